/*
 * The mbox reader (formats/mbox/read.c) on any file: the input is written
 * to a temporary file and read as an mbox SOURCE.  Checks: every message
 * the reader hands out has exactly msg->size bytes (read in one pass), the
 * same bytes when read again from a later offset and from an earlier one
 * (the body's cursor restarts), and through its GMime stream; the reader
 * only removes bytes (a message is never longer than the file, nor all of
 * them together); flags are the five known ones; every message names
 * where it is in the file.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/sbuf.h"
#include "fuzz.h"
#include "mbox/mbox.h"

/* read_all: msg's bytes [from, size) read through its body in chunks of step */
static void read_all(const struct mail_msg *m, uint64_t from, size_t step, struct sbuf *out)
{
	char buf[4096];
	sbuf_reset(out);
	uint64_t off = from;
	for (;;) {
		ssize_t n = msg_read(m, buf, step < sizeof(buf) ? step : sizeof(buf), off);
		fuzz_check(n >= 0);
		if (n == 0)
			break;
		sbuf_add(out, buf, (size_t)n);
		off += (uint64_t)n;
	}
}

static void check_msg(const struct mail_msg *m, size_t size)
{
	fuzz_check(m->size <= size);
	fuzz_check(m->origin && strchr(m->origin, ':'));
	fuzz_check((m->flags & ~(unsigned)(MSG_SEEN | MSG_ANSWERED | MSG_FLAGGED |
					  MSG_DELETED | MSG_DRAFT)) == 0);
	struct sbuf whole = SBUF_INIT, part = SBUF_INIT;
	read_all(m, 0, 4096, &whole);
	fuzz_check(whole.len == m->size);
	uint64_t mid = m->size / 2;
	read_all(m, mid, 7, &part);	/* forwards from the middle, small steps */
	fuzz_check(part.len == m->size - mid && !memcmp(part.buf, whole.buf + mid, part.len));
	read_all(m, 0, 3, &part);	/* back to the start: the cursor restarts */
	fuzz_check(part.len == whole.len && !memcmp(part.buf, whole.buf, part.len));
	GMimeStream *s = msg_stream(m, 0, m->size);
	fuzz_check(s != NULL);
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	while ((n = g_mime_stream_read(s, buf, sizeof(buf))) > 0) {
		fuzz_check(got + (size_t)n <= whole.len && !memcmp(buf, whole.buf + got, (size_t)n));
		got += (size_t)n;
	}
	fuzz_check(got == whole.len);
	g_object_unref(s);
	sbuf_release(&whole);
	sbuf_release(&part);
}

static void read_mbox(const char *path, size_t size)
{
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mbox_reader_ops.open(path, &set, &d, &err);
	if (!r) {
		fuzz_check(err.len > 0);
		sbuf_release(&err);
		return;
	}
	const struct mail_box *box;
	fuzz_check(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	fuzz_check(mb != NULL);
	const struct mail_folder *f;
	uint64_t total = 0;
	int ret;
	while ((ret = mb->v->next_folder(mb, &f, &err)) != CONV_DONE) {
		const struct mail_msg *m;
		while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
			if (ret == CONV_OK) {
				check_msg(m, size);
				total += m->size;
			}
			sbuf_reset(&err);
		}
	}
	fuzz_check(total <= size);
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
	conv_stats_release(&stats);
}

/* GMime, once for the process (the harness's only state) */
static bool gmime_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!gmime_ready) {
		g_mime_init();
		gmime_ready = true;
	}
	char path[] = "/tmp/mdx-fuzz-mbox-XXXXXX";
	int fd = mkstemp(path);
	fuzz_check(fd >= 0);
	fuzz_check(write(fd, data, size) == (ssize_t)size);
	close(fd);
	read_mbox(path, size);
	unlink(path);
	return 0;
}
