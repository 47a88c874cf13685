/*
 * Unit tests for `verify`: the strict manifest line parser, the CRLF filter
 * in every chunking, and each format's comparator on an output written by
 * hand from the README's rules (for PST, by the writer, read back through
 * libpff), once as it should be and once with one thing wrong.
 */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/verify.h"
#include "core/writer.h"
#include "eml/check.h"
#include "maildir/check.h"
#include "mbox/check.h"
#include "pst/check.h"
#include "pst/pst.h"
#include "unit.h"

static char tmpdir[] = "/tmp/mdx-verify-XXXXXX";

static char *tmp_path(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* a source message as the reader hands it over: the whole file as prefix */
struct src {
	struct mail_msg m;
	int fd;
	struct file_body body;
	char *data;
};

static void src_open(struct src *s, const char *data, size_t len, unsigned flags, int64_t received)
{
	write_file(tmp_path("src.msg"), data, len);
	memset(s, 0, sizeof(*s));
	s->data = malloc(len + 1);
	memcpy(s->data, data, len);
	s->fd = open(tmp_path("src.msg"), O_RDONLY);
	file_body_init(&s->body, s->fd, 0, len);
	s->m.body = &s->body.body;
	s->m.origin = "Users/example.com/alice/md50000000001.msg";
	s->m.name = "md50000000001.msg";
	s->m.size = len;
	s->m.flags = flags;
	s->m.received = received;
	s->m.prefix = (const unsigned char *)s->data;
	s->m.prefix_len = len;
	const char *end = strstr(s->data, "\r\n\r\n");
	s->m.head_len = end ? (size_t)(end - s->data) + 4 : len;
	s->m.head_complete = true;
	s->m.seq = 1;
}

static void src_close(struct src *s)
{
	close(s->fd);
	free(s->data);
}

/* has: why says s */
static void has(const struct sbuf *why, const char *s)
{
	if (!test_check_(strstr(why->buf, s) != NULL, s, __FILE__, __LINE__, NULL))
		printf("#   why: %s\n", why->buf);
}

/* ---- the manifest parser ------------------------------------------------------ */

static const char run_line[] =
	"{\"manifest\":1,\"tool\":\"mdexport\",\"version\":\"0.1.0\",\"command\":[\"mdexport\","
	"\"export\",\"/srv/md\",\"--format\",\"mbox\"],\"started\":\"2026-11-22T08:00:00Z\","
	"\"ended\":\"2026-11-22T08:00:05Z\",\"host\":\"h\",\"source\":\"/srv/md\",\"format\":"
	"\"mbox\",\"mailbox\":\"alice@example.com\",\"output\":\"example.com/alice\",\"totals\":"
	"{\"messages\":2,\"exported\":1,\"skipped\":1,\"deleted\":1,\"unreadable\":0,\"bytes\":809}}";

#define SHA "822df628364f8163d0be5262e2d7f2d622575fd0d2513eff153ce6184e5b99d2"
static const char entry_line[] =
	"{\"source\":\"Users/example.com/alice/B\xfc" "cher.IMAP/md5.msg\",\"size\":809,\"sha256\":\""
	SHA "\",\"folder\":\"B\\u00fccher \\ud83d\\ude00\",\"uidvalidity\":1700000000,\"uid\":1,"
	"\"flags\":[\"\\\\Seen\",\"\\\\Deleted\"],\"internal_date\":\"2023-11-14T22:15:00Z\","
	"\"date_header\":\"Tue, 14 Nov 2023 22:14:58 +0000\",\"message_id\":null,\"status\":"
	"\"exported\",\"reason\":null,\"detail\":null,\"output\":{\"file\":"
	"\"example.com/alice/INBOX.mbox\",\"offset\":0,\"length\":850}}";

static void test_parse_ok(void)
{
	struct sbuf err = SBUF_INIT;
	struct mf_run r;
	test_group("manifest run line");
	test_assert(mf_parse_run(run_line, strlen(run_line), &r, &err) == 0);
	test_assert_str(r.format, "mbox");
	test_assert(r.ncommand == 5 && !strcmp(r.command[4], "mbox"));
	test_assert(r.started == 1795334400 && r.ended == 1795334405);
	test_assert(r.totals.messages == 2 && r.totals.deleted == 1 && r.totals.bytes == 809);
	mf_run_release(&r);

	struct mf_entry e;
	test_group("manifest message line");
	test_assert(mf_parse_entry(entry_line, strlen(entry_line), "mbox", &e, &err) == 0);
	test_assert_str(e.source, "Users/example.com/alice/B\xfc" "cher.IMAP/md5.msg");
	test_assert_str(e.folder, "B\xc3\xbc" "cher \xf0\x9f\x98\x80");
	test_assert(e.flags == (MSG_SEEN | MSG_DELETED) && e.uid == 1 && e.has_uidvalidity);
	test_assert(e.exported && e.out.length == 850 && !e.message_id && e.date_header);
	test_assert_str(err.buf, "");
	mf_entry_release(&e);
	sbuf_release(&err);
}

/* reject: the line with `from` replaced by `to` fails, and err says why */
static void reject(const char *from, const char *to, const char *want)
{
	char line[2048];
	const char *at = strstr(entry_line, from);
	if (!at)
		abort();
	snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - entry_line), entry_line, to,
		 at + strlen(from));
	struct sbuf err = SBUF_INIT;
	struct mf_entry e;
	int ret = mf_parse_entry(line, strlen(line), "mbox", &e, &err);
	test_assert(ret == -1);
	if (!test_assert(strstr(err.buf, want) != NULL))
		printf("#   err: %s\n", err.buf);
	sbuf_release(&err);
}

static void test_parse_rejects(void)
{
	test_group("manifest rejects");
	reject("\"size\":809", "\"size\": 809", "expected a number at byte");
	reject("\"size\":809,\"sha256\"", "\"sha256\":\"" SHA "\",\"size\":809", "expected ',\"size\":'");
	reject(SHA, "822DF628364f8163d0be5262e2d7f2d622575fd0d2513eff153ce6184e5b99d2",
	       "sha256 is not 64 lower-case hex digits");
	reject("[\"\\\\Seen\",\"\\\\Deleted\"]", "[\"\\\\Deleted\",\"\\\\Seen\"]", "flags out of order");
	reject("2023-11-14T22:15:00Z", "2023-02-30T22:15:00Z", "YYYY-MM-DDTHH:MM:SSZ");
	reject("\"uid\":1", "\"uid\":01", "leading zero");
	reject("\"uid\":1", "\"uid\":4294967296", "out of range");
	reject("\"length\":850}}", "\"length\":850}} ", "text after the end");
	reject("\"status\":\"exported\"", "\"status\":\"filtered\"", "expected '\"skipped\"");
	reject("\"size\":809", "\"size\":null", "may be null only for an unreadable or changed message");
	reject("B\\u00fccher", "B\\u0000cher", "\\u0000 in a string");
	reject("\\ud83d\\ude00", "\\ud83d", "unpaired surrogate");
	reject("\"message_id\":null", "\"message_id\":\"a\tb\"", "control character");
}

static void test_parse_skipped(void)
{
	test_group("manifest skipped lines");
	const char *line = "{\"source\":\"a.msg\",\"size\":null,\"sha256\":null,\"folder\":\"INBOX\","
			   "\"uidvalidity\":null,\"uid\":null,\"flags\":[],\"internal_date\":"
			   "\"1970-01-01T00:00:00Z\",\"date_header\":null,\"message_id\":null,"
			   "\"status\":\"skipped\",\"reason\":\"unreadable\",\"detail\":\"cannot "
			   "open 'a.msg': Permission denied\",\"output\":null}";
	struct sbuf err = SBUF_INIT;
	struct mf_entry e;
	test_assert(mf_parse_entry(line, strlen(line), "eml", &e, &err) == 0);
	test_assert(!e.exported && e.reason == MF_REASON_UNREADABLE && !e.has_size && e.detail);
	mf_entry_release(&e);
	/* skipped as deleted without \Deleted among the flags */
	const char *bad = "{\"source\":\"a.msg\",\"size\":1,\"sha256\":\"" SHA "\",\"folder\":"
			  "\"INBOX\",\"uidvalidity\":null,\"uid\":null,\"flags\":[],"
			  "\"internal_date\":\"1970-01-01T00:00:00Z\",\"date_header\":null,"
			  "\"message_id\":null,\"status\":\"skipped\",\"reason\":\"deleted\","
			  "\"detail\":null,\"output\":null}";
	test_assert(mf_parse_entry(bad, strlen(bad), "eml", &e, &err) == -1);
	test_assert(strstr(err.buf, "lack \\Deleted") != NULL);
	/* changed while it was read: the size at its last open, no sha256 */
	const char *changed = "{\"source\":\"a.msg\",\"size\":100809,\"sha256\":null,\"folder\":"
			      "\"INBOX\",\"uidvalidity\":null,\"uid\":null,\"flags\":[],"
			      "\"internal_date\":\"1970-01-01T00:00:00Z\",\"date_header\":null,"
			      "\"message_id\":null,\"status\":\"skipped\",\"reason\":\"changed\","
			      "\"detail\":\"'a.msg' changed while it was read\",\"output\":null}";
	sbuf_reset(&err);
	test_assert(mf_parse_entry(changed, strlen(changed), "eml", &e, &err) == 0);
	test_assert(!e.exported && e.reason == MF_REASON_CHANGED && e.has_size &&
		    e.size == 100809 && !e.has_sha && e.detail);
	mf_entry_release(&e);
	/* ... and never a sha256: the bytes read were not one version of it */
	char with_sha[1024];
	const char *at = strstr(changed, "null,\"folder\"");
	snprintf(with_sha, sizeof(with_sha), "%.*s\"%s\"%s", (int)(at - changed), changed, SHA,
		 at + 4);
	test_assert(mf_parse_entry(with_sha, strlen(with_sha), "eml", &e, &err) == -1);
	test_assert(strstr(err.buf, "changed while it was read has no sha256") != NULL);
	sbuf_release(&err);
}

/* ---- CRLF to LF ---------------------------------------------------------------- */

static int collect(void *ctx, const void *data, size_t len)
{
	sbuf_add(ctx, data, len);
	return 0;
}

static void test_crlf(void)
{
	static const char in[] = "a\r\nb\rc\r\r\n\r";
	static const char want[] = "a\nb\rc\r\n\r";
	test_group("CRLF to LF in every chunking");
	bool all = true;
	for (size_t step = 1; step <= sizeof(in); step++) {
		struct sbuf out = SBUF_INIT;
		struct vlf f;
		vlf_init(&f, collect, &out);
		for (size_t i = 0; i < sizeof(in) - 1; i += step)
			vlf_push(&f, in + i, sizeof(in) - 1 - i < step ? sizeof(in) - 1 - i : step);
		vlf_finish(&f);
		all = all && out.len == sizeof(want) - 1 && !memcmp(out.buf, want, out.len);
		sbuf_release(&out);
	}
	test_assert(all);
}

/* ---- EML and Maildir ------------------------------------------------------------- */

static const char msg_crlf[] = "From: a@example.net\r\nSubject: hi\r\n\r\nline 1\r\nline\r2\r\n";
static const char msg_lf[] = "From: a@example.net\nSubject: hi\n\nline 1\nline\r2\n";

static void test_eml(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT;
	test_group("verify_eml");
	src_open(&s, msg_crlf, sizeof(msg_crlf) - 1, 0, 0);
	write_file(tmp_path("a.eml"), msg_crlf, sizeof(msg_crlf) - 1);
	test_assert(verify_eml(&s.m, tmp_path("a.eml"), &why) == VERIFY_SAME);
	char bad[sizeof(msg_crlf)];
	memcpy(bad, msg_crlf, sizeof(bad));
	bad[40] ^= 1;
	write_file(tmp_path("b.eml"), bad, sizeof(bad) - 1);
	test_assert(verify_eml(&s.m, tmp_path("b.eml"), &why) == VERIFY_DIFFERS);
	has(&why, "from byte 40 on (line 4)");
	sbuf_reset(&why);
	write_file(tmp_path("c.eml"), msg_crlf, sizeof(msg_crlf) - 2);
	test_assert(verify_eml(&s.m, tmp_path("c.eml"), &why) == VERIFY_DIFFERS);
	has(&why, "51 bytes against 52");
	sbuf_reset(&why);
	test_assert(verify_eml(&s.m, tmp_path("none.eml"), &why) == VERIFY_ABSENT);
	src_close(&s);
	sbuf_release(&why);
}

static void test_maildir(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT;
	test_group("verify_maildir");
	src_open(&s, msg_crlf, sizeof(msg_crlf) - 1, MSG_SEEN | MSG_FLAGGED, 1700000000);
	const char *good = tmp_path("1700000000.M1_md50000000001.mdexport:2,FS");
	write_file(good, msg_lf, sizeof(msg_lf) - 1);
	test_assert(verify_maildir(&s.m, good, &why) == VERIFY_SAME);
	const char *flags = tmp_path("1700000000.M1_md50000000001.mdexport:2,S");
	write_file(flags, msg_lf, sizeof(msg_lf) - 1);
	test_assert(verify_maildir(&s.m, flags, &why) == VERIFY_DIFFERS);
	has(&why, "flags in the file name are 'S'");
	sbuf_reset(&why);
	const char *date = tmp_path("1700000001.M1_md50000000001.mdexport:2,FS");
	write_file(date, msg_lf, sizeof(msg_lf) - 1);
	test_assert(verify_maildir(&s.m, date, &why) == VERIFY_DIFFERS);
	has(&why, "date in the file name is 1700000001");
	sbuf_reset(&why);
	write_file(good, msg_crlf, sizeof(msg_crlf) - 1);	/* CRLF left in */
	test_assert(verify_maildir(&s.m, good, &why) == VERIFY_DIFFERS);
	has(&why, "from byte 19 on (line 1)");
	src_close(&s);
	sbuf_release(&why);
}

/* ---- mbox ---------------------------------------------------------------------- */

/* a source with a Status field, From lines to quote and no final newline */
static const char mbox_src[] =
	"Return-Path: <bob@example.net>\r\nStatus: RO\r\nX-Status: A\r\n  folded\r\n"
	"Subject: q\r\n\r\nFrom here\r\n>From there\r\nend";
/* what the README says the writer makes of it (seen, flagged; 2023-11-14 22:13:20) */
static const char mbox_out[] =
	"From bob@example.net Tue Nov 14 22:13:20 2023\nStatus: RO\nX-Status: F\n"
	"Return-Path: <bob@example.net>\nSubject: q\n\n>From here\n>>From there\nend\n\n";

/* index: the file at tmp name read through the mbox reader */
static void index_file(const char *name, struct mbox_index *ix)
{
	struct sbuf err = SBUF_INIT;
	bool absent;
	test_assert(mbox_index_build(tmp_path(name), ix, &absent, &err) == 0);
	sbuf_release(&err);
}

static void test_mbox_one(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT;
	uint8_t key[32];
	uint64_t len;
	size_t n = sizeof(mbox_out) - 1;
	struct mbox_index ix;
	test_group("verify_mbox");
	src_open(&s, mbox_src, sizeof(mbox_src) - 1, MSG_SEEN | MSG_FLAGGED, 1700000000);
	write_file(tmp_path("a.mbox"), mbox_out, n);
	index_file("a.mbox", &ix);
	test_assert(verify_mbox(&s.m, &ix, 0, n, key, &len, &why) == VERIFY_SAME);
	test_assert_str(why.buf, "");
	s.m.flags = MSG_SEEN;
	test_assert(verify_mbox(&s.m, &ix, 0, n, key, &len, &why) == VERIFY_DIFFERS);
	has(&why, "Status/X-Status lines say '\\Seen \\Flagged'");
	sbuf_reset(&why);
	s.m.flags = MSG_SEEN | MSG_FLAGGED;
	s.m.received++;
	test_assert(verify_mbox(&s.m, &ix, 0, n, key, &len, &why) == VERIFY_DIFFERS);
	test_assert(strstr(why.buf, "the From_ line is 'From bob@example.net Tue Nov 14 22:13:20 "
			    "2023', the writer makes 'From bob@example.net Tue Nov 14 22:13:21 2023'")
		    != NULL);
	sbuf_reset(&why);
	s.m.received--;
	test_assert(verify_mbox(&s.m, &ix, 1, n - 1, key, &len, &why) == VERIFY_ABSENT);
	has(&why, "no message starts at offset 1");
	mbox_index_release(&ix);
	src_close(&s);
	sbuf_release(&why);
}

static void test_mbox_quoting(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT;
	uint8_t key[32];
	uint64_t len;
	size_t n = sizeof(mbox_out) - 1;
	struct mbox_index ix;
	test_group("verify_mbox: quoting");
	src_open(&s, mbox_src, sizeof(mbox_src) - 1, MSG_SEEN | MSG_FLAGGED, 1700000000);
	char bad[sizeof(mbox_out)];
	memcpy(bad, mbox_out, sizeof(bad));
	memcpy(strstr(bad, ">>From"), "> From", 6);	/* quoting undone wrongly */
	write_file(tmp_path("b.mbox"), bad, n);
	index_file("b.mbox", &ix);
	test_assert(verify_mbox(&s.m, &ix, 0, n, key, &len, &why) == VERIFY_DIFFERS);
	has(&why, "from byte 54 on (line 5)");
	mbox_index_release(&ix);
	sbuf_reset(&why);
	memcpy(bad, mbox_out, sizeof(bad));
	memcpy(strstr(bad, ">From here"), "From here", 9);	/* a second message inside */
	write_file(tmp_path("c.mbox"), bad, n - 1);
	index_file("c.mbox", &ix);
	test_assert(verify_mbox(&s.m, &ix, 0, n - 1, key, &len, &why) == VERIFY_DIFFERS);
	has(&why, "runs into another message");
	mbox_index_release(&ix);
	src_close(&s);
	sbuf_release(&why);
}

static void test_mbox_scan(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT, file = SBUF_INIT;
	uint8_t key[32];
	uint64_t len;
	struct mbox_index ix;
	test_group("mbox_index_build: the file through the mbox reader");
	src_open(&s, mbox_src, sizeof(mbox_src) - 1, MSG_SEEN | MSG_FLAGGED, 1700000000);
	sbuf_adds(&file, "junk\n");
	sbuf_adds(&file, mbox_out);
	sbuf_adds(&file, mbox_out);
	write_file(tmp_path("d.mbox"), file.buf, file.len);
	index_file("d.mbox", &ix);
	const struct mbox_entry *r = ix.e;
	test_assert(ix.n == 3);
	size_t one = sizeof(mbox_out) - 1;
	test_assert(r[0].offset == 0 && r[0].length == 5 && r[1].offset == 5 &&
		    r[1].length == one && r[2].offset == 5 + one && r[2].length == one);
	test_assert(verify_mbox(&s.m, &ix, r[2].offset, r[2].length, key, &len, &why) ==
		    VERIFY_SAME);
	test_assert(!memcmp(r[1].key, key, 32) && r[1].is_msg &&
		    r[1].flags == (MSG_SEEN | MSG_FLAGGED));
	test_assert_str(r[1].from_line, "From bob@example.net Tue Nov 14 22:13:20 2023");
	test_assert(!r[0].is_msg && !r[0].from_line);
	mbox_index_release(&ix);
	src_close(&s);
	sbuf_release(&why);
	sbuf_release(&file);
}

/* ---- PST: written by the writer, read back through libpff ------------------------ */

static const char pst_src[] =
	"From: Bob <bob@example.net>\r\nTo: alice@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?="
	"\r\nDate: Tue, 14 Nov 2023 22:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: "
	"multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1"
	"\r\n\r\nK\xe4se\r\n--b\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n"
	"\r\nAAECAw==\r\n--b--\r\n";

static int write_pst(const struct mail_msg *m)
{
	struct diag d = { .quiet = true };
	struct mail_box box = { .domain = "example.com", .mailbox = "alice", .full_name = "",
				.path = "", .origin = "test" };
	struct mail_folder f = { .path = "INBOX", .is_mail = true };
	struct mail_writer *w = mail_writer_new(&pst_writer_ops, &d);
	struct mail_item_loc loc;
	mail_item_loc_init(&loc);
	/* the PST at tmpdir/alice.pst, staged in tmpdir/work */
	struct tree dir = TREE_INIT, work = TREE_INIT;
	struct sbuf err = SBUF_INIT;
	test_assert(tree_open_root(&dir, tmpdir, &err) == 0);
	test_assert(tree_sub(&work, &dir, "work", true, &err) == 0);
	struct out_target t = { .domain = &dir, .name = "alice", .work = &work };
	int ret = mail_writer_open(w, &t, &box) |
		  mail_writer_begin_folder(w, &f) | mail_writer_write_msg(w, m, &loc) |
		  mail_writer_end_folder(w) | mail_writer_commit(w);
	mail_writer_free(&w);
	mail_item_loc_release(&loc);
	tree_close(&work);
	tree_close(&dir);
	sbuf_release(&err);
	return ret;
}

static void test_pst(void)
{
	struct src s;
	struct sbuf why = SBUF_INIT;
	test_group("verify_pst");
	src_open(&s, pst_src, sizeof(pst_src) - 1, MSG_SEEN | MSG_ANSWERED, 1700000000);
	test_assert(write_pst(&s.m) == CONV_OK);
	struct verify_pst *p = verify_pst_open(tmp_path("alice.pst"), &why);
	test_assert(p != NULL);
	if (!p)
		return;
	size_t n;
	const uint32_t *nids = verify_pst_nids(p, &n);
	test_assert(n == 1);
	uint32_t nid = nids[0];
	test_assert_str(verify_pst_folder(p, nid), "Inbox");
	test_assert(verify_pst(p, nid, &s.m, NULL, &why) == VERIFY_SAME);
	test_assert_str(why.buf, "");
	s.m.flags = MSG_SEEN | MSG_DRAFT;
	s.m.received++;
	test_assert(verify_pst(p, nid, &s.m, NULL, &why) == VERIFY_DIFFERS);
	has(&why, "the PST's flags are '\\Seen \\Answered', the source's "
			    "'\\Seen \\Draft'");
	has(&why, "PR_MESSAGE_DELIVERY_TIME");
	sbuf_reset(&why);
	test_assert(verify_pst(p, 0x4444, &s.m, NULL, &why) == VERIFY_ABSENT);
	verify_pst_close(p);
	src_close(&s);
	/* another source: subject, body and attachment differ */
	static const char other[] = "Subject: other\r\n\r\nbody\r\n";
	src_open(&s, other, sizeof(other) - 1, MSG_SEEN | MSG_ANSWERED, 1700000000);
	sbuf_reset(&why);
	p = verify_pst_open(tmp_path("alice.pst"), &why);
	test_assert(verify_pst(p, nid, &s.m, NULL, &why) == VERIFY_DIFFERS);
	has(&why, "PR_SUBJECT is 'Gr\xc3\xbc\xc3\x9f" "e', the source's subject "
			    "'other'");
	has(&why, "PR_BODY differs");
	has(&why, "the PST has 1 attachments, the source 0");
	verify_pst_close(p);
	src_close(&s);
	sbuf_release(&why);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 2;
	g_mime_init();
	test_parse_ok();
	test_parse_rejects();
	test_parse_skipped();
	test_crlf();
	test_eml();
	test_maildir();
	test_mbox_one();
	test_mbox_quoting();
	test_mbox_scan();
	test_pst();
	g_mime_shutdown();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return test_done();
}
