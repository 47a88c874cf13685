/*
 * Unit tests for the mbox reader (formats/mbox/read.c) on small mbox files
 * made in a temp dir: where messages split (a From_ line in a body with and
 * without an empty line before it, a last message without its newline, an
 * empty file), mboxrd/mboxo unquoting, flags from every field, UID and
 * UIDVALIDITY, the metadata fields gone from the bytes, size == bytes read
 * (by read, by copy, by GMime stream, at any offset), Dovecot's exact
 * Content-Length, and a damaged file.
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/msghash.h"
#include "mbox/mbox.h"
#include "unit.h"

#define SRCTREE_TEMPLATE "/tmp/mdx-mbread-XXXXXX"
#include "srctree.h"

struct want {
	const char *data;	/* the bytes handed out */
	unsigned flags;
	uint32_t uid;
	int64_t received;
	const char *date_source;
};

/* check_msg: m is w, whichever way its bytes are read */
static void check_msg(const struct mail_msg *m, const struct want *w)
{
	size_t n = strlen(w->data);
	test_assert(m->size == n);
	test_assert(m->flags == w->flags);
	test_assert(m->uid == w->uid);
	if (!test_assert(m->received == w->received))
		printf("#   received %lld\n", (long long)m->received);
	test_assert_str(m->date_source, w->date_source);
	struct sbuf got = SBUF_INIT, err = SBUF_INIT;
	test_assert(msg_copy_range(m, 0, sink_sbuf, &got, &err) == CONV_OK);
	test_assert_mem(got.buf, got.len, w->data, n);
	/* reads at every offset, backwards too: the cursor starts again */
	bool same = true;
	for (size_t off = n; off-- > 0;) {
		char buf[7];
		ssize_t k = msg_read(m, buf, sizeof(buf), off);
		size_t want = n - off < sizeof(buf) ? n - off : sizeof(buf);
		same = same && k == (ssize_t)want && !memcmp(buf, w->data + off, want);
	}
	test_assert(same);
	/* a GMime stream and a substream of it */
	GMimeStream *s = msg_stream(m, 0, m->size);
	sbuf_reset(&got);
	char buf[3];
	ssize_t k;
	while ((k = g_mime_stream_read(s, buf, sizeof(buf))) > 0)
		sbuf_add(&got, buf, (size_t)k);
	test_assert_mem(got.buf, got.len, w->data, n);
	if (n > 4) {
		GMimeStream *sub = g_mime_stream_substream(s, 2, (gint64)n - 1);
		sbuf_reset(&got);
		while ((k = g_mime_stream_read(sub, buf, sizeof(buf))) > 0)
			sbuf_add(&got, buf, (size_t)k);
		test_assert_mem(got.buf, got.len, w->data + 2, n - 3);
		g_object_unref(sub);
	}
	g_object_unref(s);
	sbuf_release(&got);
	sbuf_release(&err);
}

/* read_file: the mbox rel as SOURCE, its one folder against want[0..n) */
static void read_file(const char *rel, const struct want *want, size_t n, unsigned warnings,
		      uint32_t uidvalidity)
{
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct msg_hash *hash = msg_hash_new();
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mbox_reader_ops.open(tmp_path(rel), &set, &d, &err);
	if (!test_assert(r != NULL)) {
		printf("#   err: %s\n", err.buf);
		return;
	}
	const struct mail_box *box;
	const struct mail_folder *f;
	const struct mail_msg *m;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, hash, &err);
	test_assert(mb != NULL);
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_OK);
	test_assert_str(f->path, "INBOX");
	test_assert(f->messages == n);
	test_assert(f->has_index == (uidvalidity != 0) && f->uidvalidity == uidvalidity);
	size_t i = 0;
	int ret;
	while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
		test_assert(ret == CONV_OK);
		if (!test_assert(i < n))
			break;
		test_assert(m->seq == i + 1);
		check_msg(m, &want[i]);
		const struct mail_msg *again;
		test_assert(mb->v->reopen_msg(mb, &again, &err) == CONV_OK);
		check_msg(again, &want[i]);
		i++;
	}
	test_assert(i == n);
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_DONE);
	if (!test_assert(stats.warnings == warnings))
		printf("#   warnings: %u\n", stats.warnings);
	test_assert_str(err.buf, "");
	mb->v->close_mailbox(mb);
	r->v->close(r);
	msg_hash_free(&hash);
	sbuf_release(&err);
}

#define T2001 978307200		/* Mon Jan  1 00:00:00 2001 UTC */

static void test_split(void)
{
	test_group("mbox reader: where messages split");
	write_file("split",
		   "From a@example.com Mon Jan  1 00:00:00 2001\n"
		   "Subject: one\n\nbody\nFrom inside, no empty line before\n\n"
		   "From b@example.com Mon Jan  1 00:00:01 2001\n"
		   "Subject: two\n\nFrom me, not a date\n\n"
		   "From c@example.com Mon Jan  1 00:00:02 2001\n"
		   "Subject: three\n\nno final newline", 5);
	static const struct want split[] = {
		{ "Subject: one\n\nbody\nFrom inside, no empty line before\n", 0, 0, T2001,
		  "from-line" },
		{ "Subject: two\n\nFrom me, not a date\n", 0, 0, T2001 + 1, "from-line" },
		{ "Subject: three\n\nno final newline", 0, 0, T2001 + 2, "from-line" },
	};
	read_file("split", split, 3, 0, 0);
	write_file("empty", "", 5);
	read_file("empty", NULL, 0, 0, 0);
	/* one ending "\n\n": the last empty line separates */
	write_file("sep", "From x Mon Jan  1 00:00:00 2001\nSubject: s\n\nb\n\n", 5);
	static const struct want sep[] = { { "Subject: s\n\nb\n", 0, 0, T2001, "from-line" } };
	read_file("sep", sep, 1, 0, 0);
}

static void test_quoting(void)
{
	test_group("mbox reader: mboxrd and mboxo quoting undone");
	write_file("quoted",
		   "From a Mon Jan  1 00:00:00 2001\n"
		   ">From header line\nSubject: q\n\n>From one\n>>From two\n>>>From three\n"
		   "> From not quoted\n>Fromage\nFrom plain\n", 5);
	static const struct want q[] = {
		{ "From header line\nSubject: q\n\nFrom one\n>From two\n>>From three\n"
		  "> From not quoted\n>Fromage\nFrom plain\n", 0, 0, T2001, "from-line" },
	};
	read_file("quoted", q, 1, 0, 0);
}

static void test_fields(void)
{
	test_group("mbox reader: flags, UIDs, the fields removed");
	write_file("fields",
		   "From a Mon Jan  1 00:00:00 2001\n"
		   "X-IMAPbase: 1234567890 0000000009\nX-UID: 7\nStatus: RO\n"
		   "X-Status: AFTD\nX-Keywords: $Label1\n  continued\nSubject: f\n"
		   "Content-Length: 99999\n\nbody\n\n"
		   "From b Mon Jan  1 00:00:01 2001\n"
		   "X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: \n"
		   "Subject: g\n\n\n"
		   "From c Mon Jan  1 00:00:02 2001\n"
		   "X-Mozilla-Status: 000e\nStatus: O\nX-UID: 8\nSubject: h\n\nh\n\n"
		   "From d Mon Jan  1 00:00:03 2001\n"
		   "Status: O\nSubject: i\nX-IMAP: 1 2\n\ni\n", 5);
	static const struct want f[] = {
		{ "Subject: f\n\nbody\n",
		  MSG_SEEN | MSG_ANSWERED | MSG_FLAGGED | MSG_DRAFT | MSG_DELETED, 7, T2001,
		  "from-line" },
		{ "Subject: g\n\n", MSG_SEEN, 0, T2001 + 1, "from-line" },
		{ "Subject: h\n\nh\n", MSG_ANSWERED | MSG_FLAGGED | MSG_DELETED, 8, T2001 + 2,
		  "from-line" },
		{ "Subject: i\n\ni\n", 0, 0, T2001 + 3, "from-line" },
	};
	read_file("fields", f, 4, 0, 1234567890);
}

static void test_dates(void)
{
	test_group("mbox reader: the received date's fallbacks");
	write_file("dates", "From nobody-with-no-date\nDate: Tue, 2 Jan 2001 00:00:00 +0000\n"
		   "Subject: d\n\nx\n", 5);
	static const struct want d[] = {
		{ "Date: Tue, 2 Jan 2001 00:00:00 +0000\nSubject: d\n\nx\n", 0, 0, T2001 + 86400,
		  "date-header" },
	};
	read_file("dates", d, 1, 0, 0);
	write_file("mtime", "From nobody\nSubject: d\n\nx\n", 424242);
	static const struct want t[] = {
		{ "Subject: d\n\nx\n", 0, 0, 424242, "mtime" },
	};
	read_file("mtime", t, 1, 0, 0);
}

static void test_content_length(void)
{
	test_group("mbox reader: an exact Content-Length (Dovecot) wins over From_ lines");
	/* as Dovecot writes: no quoting, Content-Length of the body, one "\n" after it */
	write_file("dovecot",
		   "From MAILER-DAEMON  Mon Jan  1 00:00:00 2001\n"
		   "Subject: c\nX-IMAPbase: 42 0000000003\nX-UID: 1\nStatus: O\n"
		   "X-Keywords:                 \nContent-Length: 64\n\n"
		   "a\n\nFrom x@example.com Mon Jan  1 00:00:00 2001\n>From kept as is\n\n"
		   "From MAILER-DAEMON  Mon Jan  1 00:00:01 2001\n"
		   "Subject: d\nX-UID: 2\nStatus: RO\nContent-Length: 2\n\nb\n\n", 5);
	static const struct want c[] = {
		{ "Subject: c\n\na\n\nFrom x@example.com Mon Jan  1 00:00:00 2001\n"
		  ">From kept as is\n", 0, 1, T2001, "from-line" },
		{ "Subject: d\n\nb\n", MSG_SEEN, 2, T2001 + 1, "from-line" },
	};
	read_file("dovecot", c, 2, 0, 42);
}

/* stderr into a file while f runs; returns what was written */
static char *capture_stderr(void (*f)(void))
{
	fflush(stderr);
	int saved = dup(2);
	int fd = open(tmp_path("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		abort();
	f();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char *out = calloc(1, 4096);
	if (!out || pread(fd, out, 4095, 0) < 0)
		abort();
	close(fd);
	return out;
}

static void read_damaged(void)
{
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = false, .stats = &stats };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mbox_reader_ops.open(tmp_path("damaged"), NULL, &d, &err);
	if (!r)
		return;
	const struct mail_box *box;
	const struct mail_folder *f;
	const struct mail_msg *m;
	struct sbuf got = SBUF_INIT;
	struct mail_mailbox *mb = NULL;
	if (r->v->next_mailbox(r, &box, &err) == CONV_OK &&
	    (mb = r->v->open_mailbox(r, box, &d, NULL, &err)) != NULL &&
	    mb->v->next_folder(mb, &f, &err) == CONV_OK && f->messages == 1 &&
	    mb->v->next_msg(mb, &m, &err) == CONV_OK)
		msg_copy_range(m, 0, sink_sbuf, &got, &err);
	test_assert_str(got.buf, "Subject: ok\n\nok\n");
	test_assert(stats.warnings == 1);
	if (mb)
		mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&got);
	sbuf_release(&err);
}

static void test_damaged(void)
{
	test_group("mbox reader: a damaged file");
	write_file("damaged", "garbage\nmore garbage\n"
		   "From a Mon Jan  1 00:00:00 2001\nSubject: ok\n\nok\n", 5);
	char *said = capture_stderr(read_damaged);
	if (!test_assert(strstr(said, "damaged") && strstr(said, "offset 21")))
		printf("#   said: %s\n", said);
	free(said);
}

static void test_tree(void)
{
	test_group("mbox reader: a tree of mbox files");
	mkdir(tmp_path("tree"), 0755);
	mkdir(tmp_path("tree/Inbox.sbd"), 0755);
	mkdir(tmp_path("tree/INBOX"), 0755);
	mkdir(tmp_path("tree/.imap"), 0755);
	const char *msg = "From a Mon Jan  1 00:00:00 2001\nSubject: t\n\nt\n";
	write_file("tree/Inbox", msg, 5);
	write_file("tree/Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->", 5);
	write_file("tree/Inbox.sbd/Work", msg, 5);
	write_file("tree/INBOX/Pro%2Fjects.mbox", msg, 5);
	write_file("tree/A%25B%2Embox.mbox", msg, 5);
	write_file("tree/.imap/x", msg, 5);
	write_file("tree/notes.txt", "not mail\n", 5);
	if (symlink("Inbox", tmp_path("tree/link")) < 0)
		abort();
	test_assert(mbox_reader_ops.probe(tmp_path("tree")) == 1);
	test_assert(mbox_reader_ops.probe(tmp_path("tree/Inbox")) == 1);
	test_assert(mbox_reader_ops.probe(tmp_path("tree/notes.txt")) == 0);
	test_assert(mbox_reader_ops.probe(tmpdir) == 1);	/* one level down */
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mbox_reader_ops.open(tmp_path("tree"), NULL, &d, &err);
	if (!test_assert(r != NULL))
		return;
	const struct mail_dir *dirs;
	struct stat st;
	test_assert(stat(tmp_path("tree"), &st) == 0);
	test_assert(r->v->mail_dirs(r, &dirs) == 1 && dirs[0].ino == st.st_ino);
	const struct mail_box *box;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	test_assert_str(box->mailbox, "tree");
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	if (!test_assert(mb != NULL))
		return;
	static const char *const want[] = { "INBOX", "A%B.mbox", "INBOX/Pro%2Fjects",
					    "INBOX/Work" };
	static const char *const origin[] = { "Inbox", "A%25B%2Embox.mbox",
					      "INBOX/Pro%2Fjects.mbox", "Inbox.sbd/Work" };
	const struct mail_folder *f;
	size_t n = 0;
	while (mb->v->next_folder(mb, &f, &err) == CONV_OK && n < 4) {
		test_assert_str(f->path, want[n]);
		test_assert_str(f->origin, origin[n]);
		test_assert(f->messages == 1);
		n++;
	}
	test_assert(n == 4);
	/* notes.txt is not an mbox; link is a link */
	if (!test_assert(stats.warnings == 2))
		printf("#   warnings: %u\n", stats.warnings);
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 2;
	g_mime_init();
	test_split();
	test_quoting();
	test_fields();
	test_dates();
	test_content_length();
	test_damaged();
	test_tree();
	g_mime_shutdown();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return test_done();
}
