/*
 * Messages in a PST (formats/pst/message.c), read back by libpff's
 * pffexport and libpst's readpst: every fixture INBOX message is present in
 * the Inbox with its subject, sender, body and flags; PR_MESSAGE_SIZE and
 * the contents table agree (checked by tools/pstcheck and by pffexport).
 */
#include <dirent.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "pst/message.h"
#include "pst/store.h"
#include "testutil.h"
#include "unit.h"

#define INBOX_NID 0x8102u	/* index 0x408: past Outlook's own folders */
#define FIXTURE "fixtures/store/Users/example.com/alice"

static size_t head_len(const struct sbuf *m)
{
	const char *e = strstr(m->buf, "\r\n\r\n");
	return e ? (size_t)(e - m->buf) + 4 : m->len;
}

static const char *const names[] = {
	"md50000000101.msg", "md50000000102.msg", "md50000000106.msg", "md50000000108.msg",
	"md5001000000111.msg",
};
static const unsigned flags[] = {
	MSG_SEEN | MSG_ANSWERED, MSG_FLAGGED, MSG_SEEN, MSG_SEEN,
	MSG_SEEN | MSG_ANSWERED | MSG_FLAGGED | MSG_DRAFT,
};
#define NMSG (sizeof(names) / sizeof(names[0]))

/* finish_store: root, top, finder, trash and the Inbox over `contents` (cdata, csub) */
static void finish_store(struct pst_ndb *n, uint32_t count, uint32_t unread, uint64_t cdata,
			 uint64_t csub)
{
	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
		.has_subfolders = 1 };
	struct pst_folder_info top = { .nid = PST_NID_IPM_SUBTREE, .parent = PST_NID_ROOT,
		.name = "Top of Outlook data file", .has_subfolders = 1 };
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
		.name = "Search Root" };
	struct pst_folder_info trash = { .nid = PST_NID_WASTEBASKET, .parent = PST_NID_IPM_SUBTREE,
		.name = "Deleted Items" };
	struct pst_folder_info inbox = { .nid = INBOX_NID, .parent = PST_NID_IPM_SUBTREE,
		.name = "Inbox", .content_count = count, .unread_count = unread,
		.container_class = "IPF.Note" };
	struct pst_folder_info root_children[] = { top, finder };
	struct pst_folder_info top_children[] = { trash, inbox };
	pst_write_folder(n, &root, root_children, 2);
	pst_write_folder(n, &top, top_children, 2);
	pst_write_folder(n, &finder, NULL, 0);
	pst_write_folder(n, &trash, NULL, 0);
	/* the Inbox: its PC and tables, with the contents table written by the caller */
	pst_write_folder_with_contents(n, &inbox, NULL, 0, cdata, csub);
}

/* store_rgnid: the NID high-water marks of a store of finish_store and `messages` */
static const uint32_t *store_rgnid(uint32_t messages)
{
	static uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = 0x409;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = 0x10000 + messages;
	rgnid[0x08] = 0x8000;
	return rgnid;
}

/* ---- the size limit, at a small scale -------------------------------------- */

#define LIMIT 100000		/* the test's PR_MESSAGE_SIZE limit (PST_SIZE_MAX in use) */

static void add_base64_part(struct sbuf *m, const char *name, const uint8_t *data, size_t len)
{
	sbuf_addf(m, "--B\r\nContent-Type: application/octet-stream\r\n"
		  "Content-Disposition: attachment; filename=\"%s\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n", name);
	gchar *enc = g_base64_encode(data, len);
	for (size_t i = 0, n = strlen(enc); i < n; i += 76) {
		sbuf_add(m, enc + i, n - i < 76 ? n - i : 76);
		sbuf_adds(m, "\r\n");
	}
	g_free(enc);
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, data, (gssize)len);
	snprintf(out, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
}

/*
 * A message bigger than PR_MESSAGE_SIZE can state (here LIMIT, in use
 * 2^31 - 1): its attachments go in while they fit; one that does not is
 * left out, a note in its place, and named in left_out.  Its base64 text
 * is long (a bound is not enough: it is counted).  A quoted-printable part
 * whose encoded text is past the room left, but its bytes are not, is
 * written whole.  Read back by pffexport.
 */
static void size_limit(const char *dir)
{
	static uint8_t small[3000], big[200000], qp[30000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)((i * 2654435761u) >> 13);
	memcpy(small, big + 777, sizeof(small));
	for (size_t i = 0; i < sizeof(qp); i++)
		qp[i] = (uint8_t)i;
	struct sbuf m = SBUF_INIT;
	sbuf_adds(&m, "From: a@example.com\r\nTo: b@example.com\r\nSubject: too big\r\n"
		  "Date: Mon, 06 Jan 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
		  "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
		  "--B\r\nContent-Type: text/plain\r\n\r\nthree attachments\r\n");
	add_base64_part(&m, "small.bin", small, sizeof(small));
	add_base64_part(&m, "big.bin", big, sizeof(big));
	sbuf_adds(&m, "--B\r\nContent-Type: application/octet-stream\r\n"
		  "Content-Disposition: attachment; filename=\"qp.bin\"\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	for (size_t i = 0; i < sizeof(qp); i++)	/* every byte as =XX: 3 times its size */
		sbuf_addf(&m, "=%02X%s", qp[i], i % 25 == 24 ? "=\r\n" : "");
	sbuf_adds(&m, "\r\n--B--\r\n");

	char path[256], cmd[1024];
	snprintf(path, sizeof(path), "%s/limit.pst", dir);
	struct sbuf err = SBUF_INIT, left = SBUF_INIT, out = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	static const uint8_t key[16] = { 1, 2, 3 };
	pst_write_store(n, key, "limit", 0, 0);
	struct pst_tc contents;
	pst_tc_init(&contents, n, pst_contents_cols, pst_contents_ncols);
	test_group("size limit");
	struct pst_msg_in in = { (const unsigned char *)m.buf, m.len, NULL,
				 (const unsigned char *)m.buf, head_len(&m), MSG_SEEN, 1736157600,
				 &left, LIMIT, NULL, NULL, NULL };
	test_assert(pst_write_message(n, &contents, 0x200024, INBOX_NID, &in, NULL) == 0);
	printf("# left out: %s", left.buf);
	test_assert(strstr(left.buf, "attachment \"big.bin\" (200000 bytes) left out") != NULL);
	test_assert(strchr(left.buf, '\n') == left.buf + left.len - 1);	/* that one only */
	uint64_t cdata, csub;
	test_assert(pst_tc_write(&contents, &cdata, &csub) == 0);
	pst_tc_release(&contents);
	finish_store(n, 1, 0, cdata, csub);
	test_assert(pst_ndb_finish(n, store_rgnid(1), &err) == 0);
	test_assert(test_pstcheck_errors(path, "-e '^$'", "limit") == 0);

	snprintf(cmd, sizeof(cmd), "cd '%s' && pffexport -q -t limit limit.pst >/dev/null 2>&1 && "
		 "cd limit.export/*/Inbox/Message00001 && grep '^Size:' OutlookHeaders.txt; "
		 "ls Attachments; sha256sum Attachments/*; cat Attachments/*omitted*", dir);
	test_run(cmd, &out);
	printf("# pffexport:\n");
	for (char *l = out.buf, *e; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		printf("#   %.*s\n", (int)(e ? e - l : (long)strlen(l)), l);
	}
	char hex[65], line[128];
	sha256_hex(small, sizeof(small), hex);
	snprintf(line, sizeof(line), "%s  Attachments/1_small.bin", hex);
	test_assert(strstr(out.buf, line) != NULL);
	sha256_hex(qp, sizeof(qp), hex);
	snprintf(line, sizeof(line), "%s  Attachments/3_qp.bin", hex);
	test_assert(strstr(out.buf, line) != NULL);
	test_assert(strstr(out.buf, "2_big.bin.omitted.txt\n") != NULL);
	test_assert(strstr(out.buf, "\"big.bin\" (application/octet-stream, 200000 bytes) is not "
			   "in this PST") != NULL);
	const char *size = strstr(out.buf, "Size:");
	unsigned long msg_size = size ? strtoul(size + 5, NULL, 10) : 0;
	printf("# PR_MESSAGE_SIZE %lu, limit %d\n", msg_size, LIMIT);
	test_assert(msg_size > sizeof(small) + sizeof(qp) && msg_size <= LIMIT);
	sbuf_release(&m);
	sbuf_release(&err);
	sbuf_release(&left);
	sbuf_release(&out);
}

int main(void)
{
	g_mime_init();
	char dir[] = "/tmp/mdx-pstmsg-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[128], cmd[1024];
	snprintf(path, sizeof(path), "%s/alice.pst", dir);
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	static const uint8_t key[16] = { 0x6d, 0x64, 0x78, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3 };
	pst_write_store(n, key, "alice@example.com", 0, 0);

	struct pst_tc contents;
	pst_tc_init(&contents, n, pst_contents_cols, pst_contents_ncols);
	unsigned unread = 0;
	test_group("write");
	for (size_t i = 0; i < NMSG; i++) {
		struct sbuf m = SBUF_INIT;
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", FIXTURE, names[i]);
		test_assert(test_read_file(p, &m) == 0);
		struct pst_msg_in in = { (const unsigned char *)m.buf, m.len, NULL,
					 (const unsigned char *)m.buf, head_len(&m), flags[i],
					 1700000000 + 3600 * (int64_t)i, NULL, 0, NULL, NULL, NULL };
		test_assert(pst_write_message(n, &contents, 0x200024 + 32 * (uint32_t)i, INBOX_NID, &in, NULL) == 0);
		unread += !(flags[i] & MSG_SEEN);
		sbuf_release(&m);
	}
	/* a message GMime cannot parse: an empty one; it goes in with its bytes attached */
	struct pst_msg_in empty = { (const unsigned char *)"", 0, NULL, (const unsigned char *)"", 0,
				    MSG_SEEN, 1700100000, NULL, 0, NULL, NULL, NULL };
	test_group("unparseable");
	int r = pst_write_message(n, &contents, 0x200024 + 32 * NMSG, INBOX_NID, &empty, NULL);
	test_assert(r == -1 || r == 0);
	printf("# GMime %s an empty message\n", r ? "refuses" : "accepts");
	unread += 0;
	uint64_t cdata, csub;
	test_group("write");
	test_assert(pst_tc_write(&contents, &cdata, &csub) == 0);
	pst_tc_release(&contents);

	finish_store(n, NMSG + 1, unread, cdata, csub);
	test_assert(pst_ndb_finish(n, store_rgnid(NMSG + 1), &err) == 0);

	test_group("pstcheck");
	snprintf(cmd, sizeof(cmd), "tools/pstcheck '%s' 2>&1", path);
	test_run(cmd, &out);
	if (!test_assert(strstr(out.buf, ": 0 errors,") != NULL))
		printf("# %s\n", out.buf);

	test_group("pffexport");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && pffexport -q -t out '%s' >/dev/null 2>&1; "
		 "for f in out.export/*/Inbox/Message*/OutlookHeaders.txt out.export/*/*/Inbox/Message*/OutlookHeaders.txt; do "
		 "[ -f \"$f\" ] && cat \"$f\" \"$(dirname \"$f\")/Message.txt\" 2>/dev/null; done; "
		 "find out.export | sort", dir, path);
	test_run(cmd, &out);
	printf("# pffexport (first 3000 bytes):\n");
	for (char *l = out.buf, *e; l && *l && l < out.buf + 3000; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		printf("#   %.*s\n", (int)(e ? e - l : (long)strlen(l)), l);
	}
	test_assert(strstr(out.buf, "[fixture] inbox-seen-answered-17char") != NULL);
	test_assert(strstr(out.buf, "[fixture] inbox-flagged") != NULL);
	test_assert(strstr(out.buf, "Fixture message for case inbox-seen-answered-17char.") != NULL);
	test_assert(strstr(out.buf, "carol@example.net") != NULL);

	test_group("readpst");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p rp && readpst -q -o rp '%s' >/dev/null 2>&1; "
		 "find rp -type f -name 'Inbox*' -exec cat {} +", dir, path);
	test_run(cmd, &out);
	size_t froms = 0;
	for (const char *p = out.buf; (p = strstr(p, "\nFrom ")); p++)
		froms++;
	froms += !strncmp(out.buf, "From ", 5);
	printf("# readpst mbox: %zu bytes, %zu messages\n", out.len, froms);
	test_assert(froms == NMSG + 1);
	test_assert(strstr(out.buf, "Subject: [fixture] inbox-seen-answered-17char") != NULL);
	test_assert(strstr(out.buf, "Fixture message for case inbox-flagged-return-path-only.") != NULL);

	size_limit(dir);

	if (getenv("KEEP")) return test_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	sbuf_release(&err);
	sbuf_release(&out);
	g_mime_shutdown();
	return test_done();
}
