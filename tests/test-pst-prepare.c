/*
 * The PST writer's prepare (writer.h, formats/pst/pst.c) changes nothing
 * in the output: the same messages written into a PST three ways give the
 * same bytes:
 *   plain     write_msg alone, each message read from an open file (as the
 *             readers hand them out);
 *   threaded  every message first prepared by 4 threads at once, out of
 *             order and ahead of the writes, from an in-memory body (as the
 *             -j pipeline hands them out), then written in order;
 *   mixed     as threaded, but every third prepare result released with
 *             prepared_free and the message written without one.
 * The messages: every .msg of the fixture store, the PST fuzz corpus and
 * regressions (multipart, nested message/rfc822, related with cid: images,
 * an empty boundary, headers only, an empty message), and a few made
 * here: base64 and binary attachments, 8-bit and RFC 2047 headers, a
 * header field past PST_FIELD_MAX (the bounded header view), a multipart
 * whose boundary never comes, a message/rfc822 with an attachment of its
 * own.  The PST is also read back by tools/pstcheck (0 errors).
 *
 * Build it with -fsanitize=thread for the data-race check (docs/performance.md,
 * "PST: the work a -j pipeline can do on worker threads").
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <iconv.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/outdir.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "pst/pst.h"
#include "testutil.h"
#include "unit.h"

#define THREADS 4

/* ---- the messages ------------------------------------------------------------ */

struct input {
	char *name;
	struct sbuf bytes;
};

struct inputs {
	struct input *v;
	size_t n;
};

static struct inputs *collecting;	/* nftw has no context argument */

static void add_input(struct inputs *in, const char *name, const char *data, size_t len)
{
	in->v = xreallocarray(in->v, in->n + 1, sizeof(*in->v));
	struct input *i = &in->v[in->n++];
	i->name = xstrdup(name);
	sbuf_init(&i->bytes);
	sbuf_add(&i->bytes, data, len);
}

static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	size_t n = strlen(path);
	bool msg = n > 4 && !strcasecmp(path + n - 4, ".msg");
	if (type != FTW_F || !S_ISREG(st->st_mode) || (!msg && !strstr(path, "/fuzz/")))
		return 0;
	struct sbuf b = SBUF_INIT;
	if (test_read_file(path, &b) == 0)
		add_input(collecting, path, b.buf, b.len);
	sbuf_release(&b);
	return 0;
}

/* made: messages the fixture and the corpus lack */
static void add_made(struct inputs *in)
{
	struct sbuf m = SBUF_INIT;
	sbuf_adds(&m, "From: =?iso-8859-1?q?J=F6rg?= <j@example.com>\r\nTo: a@example.com, "
		  "Grp: b@example.com, \"C D\" <c@example.com>;\r\nCc: e@example.com\r\n"
		  "Subject: Re: caf\xe9 \xe0 8-bit\r\nDate: Tue, 5 Mar 2024 10:00:00 +0100\r\n"
		  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
		  "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n--b1\r\n"
		  "Content-Type: application/octet-stream; name=\"bin.dat\"\r\n"
		  "Content-Disposition: attachment; filename=\"bin.dat\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n");
	for (int i = 0; i < 400; i++)
		sbuf_adds(&m, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n");
	sbuf_adds(&m, "--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.com\r\n"
		  "Subject: inner\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n--b2\r\n"
		  "Content-Type: text/plain\r\n\r\ninner body\r\n--b2\r\nContent-Type: image/png\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b2--\r\n\r\n--b1--\r\n");
	add_input(in, "made: 8-bit headers, base64, message/rfc822", m.buf, m.len);

	sbuf_reset(&m);
	sbuf_adds(&m, "From: big@example.com\r\nX-Long: ");
	for (int i = 0; i < 9000; i++)
		sbuf_adds(&m, "0123456789 ");	/* one field of ~99 KiB: the header is cut */
	sbuf_adds(&m, "\r\nSubject: after the long field\r\nContent-Type: text/html; "
		  "charset=windows-1252\r\n\r\n<p>\x93quoted\x94 \x80</p>\r\n");
	add_input(in, "made: a header field past PST_FIELD_MAX", m.buf, m.len);

	sbuf_reset(&m);
	sbuf_adds(&m, "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=never\r\n\r\n"
		  "the boundary never comes\r\nso this is the prologue\r\n");
	add_input(in, "made: a boundary that never comes", m.buf, m.len);

	sbuf_reset(&m);
	sbuf_adds(&m, "Subject: no body at all, no empty line");
	add_input(in, "made: a header line and nothing else", m.buf, m.len);
	sbuf_release(&m);
}

/* head_len: the header block with its ending empty line, as a reader finds it */
static size_t head_len(const char *p, size_t len)
{
	if (len >= 1 && p[0] == '\n')
		return 1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* the in-memory body is core's (conv.h mem_body), the one the -j pipeline uses */

/* ---- the three ways --------------------------------------------------------------- */

struct msgs {
	struct mail_msg *m;
	struct mem_body *mem;
	struct file_body *file;
	int *fd;
	size_t n;
};

static int file_of(const struct sbuf *b)
{
	int fd = memfd_create("msg", MFD_CLOEXEC);
	if (fd < 0 || write(fd, b->buf, b->len) != (ssize_t)b->len)
		abort();
	return fd;
}

static void make_msgs(struct msgs *s, const struct inputs *in, bool in_memory)
{
	s->n = in->n;
	s->m = xcalloc(in->n, sizeof(*s->m));
	s->mem = xcalloc(in->n, sizeof(*s->mem));
	s->file = xcalloc(in->n, sizeof(*s->file));
	s->fd = xcalloc(in->n, sizeof(*s->fd));
	for (size_t i = 0; i < in->n; i++) {
		const struct sbuf *b = &in->v[i].bytes;
		s->fd[i] = -1;
		const struct msg_body *body;
		if (in_memory) {
			GByteArray *bytes = g_byte_array_sized_new((guint)b->len);
			g_byte_array_append(bytes, (const guint8 *)b->buf, (guint)b->len);
			mem_body_init(&s->mem[i], bytes);
			body = &s->mem[i].body;
		} else {
			s->fd[i] = file_of(b);
			file_body_init(&s->file[i], s->fd[i], 0, b->len);
			body = &s->file[i].body;
		}
		/* the whole message is its prefix: the reader read it all */
		s->m[i] = (struct mail_msg){ .origin = in->v[i].name, .name = in->v[i].name,
			.body = body, .size = b->len, .size_known = true, .uid = (uint32_t)i + 1,
			.flags = (unsigned)i % 32, .received = 1700000000 + (int64_t)i * 3600,
			.date_source = "record", .prefix = (const unsigned char *)b->buf,
			.prefix_len = b->len, .head_len = head_len(b->buf, b->len),
			.head_complete = true, .seq = (unsigned)i + 1 };
	}
}

static void free_msgs(struct msgs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s->m);
	for (size_t i = 0; i < s->n; i++)
		mem_body_release(&s->mem[i]);
	free(s->mem);
	free(s->file);
	free(s->fd);
}

struct worker {
	struct msgs *s;
	unsigned t;
	size_t made;
};

/* prepare_some: thread t prepares messages t, t + THREADS, ... last to first */
static void *prepare_some(void *arg)
{
	struct worker *wk = arg;
	for (size_t k = wk->s->n; k-- > 0;) {
		if (k % THREADS != wk->t)
			continue;
		wk->s->m[k].prepared = mail_writer_prepare(&pst_writer_ops, &wk->s->m[k]);
		wk->made += wk->s->m[k].prepared != NULL;
	}
	return NULL;
}

/* prepare_all: every message prepared by THREADS threads at once; how many were */
static size_t prepare_all(struct msgs *s)
{
	pthread_t th[THREADS];
	struct worker wk[THREADS];
	for (unsigned t = 0; t < THREADS; t++) {
		wk[t] = (struct worker){ s, t, 0 };
		if (pthread_create(&th[t], NULL, prepare_some, &wk[t]) != 0)
			abort();
	}
	size_t made = 0;
	for (unsigned t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		made += wk[t].made;
	}
	return made;
}

/*
 * write_pst: the messages into top/<name>/box.pst, one INBOX (the same
 * mailbox name each time: the store's record key is derived from it);
 * how many messages were written
 */
static size_t write_pst(const char *top, const char *name, struct msgs *s)
{
	char *dir = xasprintf("%s/%s", top, name);
	if (mkdir(dir, 0700) < 0)
		abort();
	struct mail_box box = { .domain = "example.com", .mailbox = "box", .full_name = "",
				.path = dir, .origin = "SOURCE" };
	struct mail_folder folder = { .path = "INBOX", .origin = "", .folder_class = "IPF.Note",
				      .is_mail = true, .has_index = true, .uidvalidity = 1,
				      .uidnext = (uint32_t)s->n + 1, .messages = (unsigned)s->n };
	struct diag d = { .quiet = true };
	struct tree root = TREE_INIT, work = TREE_INIT;
	struct sbuf err = SBUF_INIT;
	if (tree_open_root(&root, dir, &err) < 0 || tree_sub(&work, &root, "work", true, &err) < 0)
		abort();
	struct out_target t = { .domain = &root, .name = "box", .work = &work };
	struct mail_item_loc loc;
	mail_item_loc_init(&loc);
	struct mail_writer *w = mail_writer_new(&pst_writer_ops, &d);
	size_t written = 0;
	if (mail_writer_open(w, &t, &box) == CONV_OK &&
	    mail_writer_begin_folder(w, &folder) == CONV_OK) {
		for (size_t i = 0; i < s->n; i++) {
			written += mail_writer_write_msg(w, &s->m[i], &loc) == CONV_OK;
			s->m[i].prepared = NULL;	/* consumed */
		}
		if (mail_writer_end_folder(w) != CONV_OK || mail_writer_commit(w) != CONV_OK)
			written = 0;
	}
	mail_writer_free(&w);
	mail_item_loc_release(&loc);
	tree_close(&work);
	tree_close(&root);
	sbuf_release(&err);
	free(dir);
	return written;
}

/* read_pst: top/<name>/box.pst into out */
static void read_pst(const char *top, const char *name, struct sbuf *out)
{
	char *path = xasprintf("%s/%s/box.pst", top, name);
	test_assert(test_read_file(path, out) == 0);
	free(path);
}

static void pstcheck(const char *dir, const char *name)
{
	if (access("tools/pstcheck", X_OK) < 0) {
		test_assert(!"tools/pstcheck is built (make all)");
		return;
	}
	char *cmd = xasprintf("tools/pstcheck '%s/%s/box.pst' 2>&1", dir, name);
	struct sbuf out = SBUF_INIT;
	test_run(cmd, &out);
	test_assert(strstr(out.buf, ": 0 errors,") != NULL);
	if (!strstr(out.buf, ": 0 errors,"))
		printf("# %s", out.buf);
	sbuf_release(&out);
	free(cmd);
}

/*
 * pin_converters: the glibc gconv modules the messages need, loaded once
 * and held: glibc unloads an unused module after a few iconv_close of
 * others, so without this every thread dlopens and dlcloses them (a cost,
 * and under -fsanitize=thread a deadlock in the sanitizer's symbolizer).
 */
static void pin_converters(iconv_t *cd, size_t n)
{
	static const char *const pairs[][2] = { { "UTF-16LE", "UTF-8" }, { "UTF-8", "ISO-8859-1" },
						{ "UTF-8", "WINDOWS-1252" } };
	for (size_t i = 0; i < n; i++)
		cd[i] = iconv_open(pairs[i][0], pairs[i][1]);
}

int main(void)
{
	g_mime_init();
	iconv_t pinned[3];
	pin_converters(pinned, 3);
	test_group("pst prepare");
	struct inputs in = { NULL, 0 };
	collecting = &in;
	nftw("fixtures/store", add_file, 16, FTW_PHYS);
	nftw("tests/fuzz/corpus/pst-message", add_file, 16, FTW_PHYS);
	nftw("tests/fuzz/regress/pst-message", add_file, 16, FTW_PHYS);
	add_made(&in);
	test_assert(in.n >= 50);

	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char *dir = xasprintf("%s/mdx-test-pst-prepare-XXXXXX", base);
	test_assert(mkdtemp(dir) != NULL);

	struct msgs plain, threaded, mixed;
	make_msgs(&plain, &in, false);
	make_msgs(&threaded, &in, true);
	make_msgs(&mixed, &in, true);
	test_assert(write_pst(dir, "plain", &plain) == in.n);
	test_assert(prepare_all(&threaded) == in.n);	/* every message gets a result */
	test_assert(write_pst(dir, "threaded", &threaded) == in.n);
	test_assert(prepare_all(&mixed) == in.n);
	for (size_t i = 0; i < mixed.n; i += 3) {	/* released unused: a failed mailbox */
		mail_writer_prepared_free(&pst_writer_ops, mixed.m[i].prepared);
		mixed.m[i].prepared = NULL;
	}
	test_assert(write_pst(dir, "mixed", &mixed) == in.n);

	struct sbuf a = SBUF_INIT, b = SBUF_INIT, c = SBUF_INIT;
	read_pst(dir, "plain", &a);
	read_pst(dir, "threaded", &b);
	read_pst(dir, "mixed", &c);
	test_assert(a.len > 100000);	/* the messages are in it */
	test_assert(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	test_assert(a.len == c.len && !memcmp(a.buf, c.buf, a.len));
	pstcheck(dir, "threaded");

	/* a writer that failed: prepared results the writer never wrote are released */
	struct msgs dead;
	make_msgs(&dead, &in, true);
	test_assert(prepare_all(&dead) == in.n);
	for (size_t i = 0; i < dead.n; i++) {
		mail_writer_prepared_free(&pst_writer_ops, dead.m[i].prepared);
		dead.m[i].prepared = NULL;
	}
	mail_writer_prepared_free(&pst_writer_ops, NULL);	/* nothing */
	free_msgs(&dead);

	for (const char *const *n = (const char *const[]){ "plain", "threaded", "mixed", NULL };
	     *n; n++) {
		char *p = xasprintf("%s/%s/box.pst", dir, *n);
		unlink(p);
		free(p);
		p = xasprintf("%s/%s/work", dir, *n);
		rmdir(p);
		free(p);
		p = xasprintf("%s/%s", dir, *n);
		rmdir(p);
		free(p);
	}
	test_assert(rmdir(dir) == 0);
	free(dir);
	sbuf_release(&a);
	sbuf_release(&b);
	sbuf_release(&c);
	free_msgs(&plain);
	free_msgs(&threaded);
	free_msgs(&mixed);
	for (size_t i = 0; i < in.n; i++) {
		free(in.v[i].name);
		sbuf_release(&in.v[i].bytes);
	}
	free(in.v);
	for (size_t i = 0; i < 3; i++)
		if (pinned[i] != (iconv_t)-1)
			iconv_close(pinned[i]);
	return test_done();
}
