#include "pst/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"

#define FANIN 16		/* runs merged at once while adding */
#define LEVELS 16		/* a run at level L holds >= limit * 16^L records */
#define READ_BYTES 8192		/* read (or written) at a time per run while merging */

struct run {
	uint64_t off;		/* byte offset in the temporary file */
	uint64_t count;		/* records */
};

struct pst_spill {
	char *dir;			/* where the temporary file goes (for messages) */
	int dirfd;			/* that directory; -1: reached by the path dir */
	const char *what;
	size_t width, limit;
	uint8_t *buf;			/* records in memory */
	size_t count, alloc;
	bool sorted;			/* buf is ascending as added */
	int fd;				/* -1 until the first run */
	uint64_t end;			/* bytes in the file */
	struct run runs[LEVELS][FANIN];
	unsigned nruns[LEVELS];
	struct run *tail;		/* the run that ends at `end`, if any */
	uint64_t tail_key;		/* its last key */
	uint64_t total;
	int error;			/* first errno, sticky */
	const char *op;			/* what failed: "create", "write", "read" */
};

static uint64_t key_of(const void *rec)
{
	uint64_t k;
	memcpy(&k, rec, sizeof(k));
	return k;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = key_of(a), y = key_of(b);
	return (x > y) - (x < y);
}

static void fail(struct pst_spill *s, int err, const char *op)
{
	if (!s->error) {
		s->error = err ? err : EIO;
		s->op = op;
	}
}

/*
 * open_named_at: where O_TMPFILE is not supported, a named file in dirfd
 * made with O_EXCL (never through a link) and unlinked at once
 */
static void open_named_at(struct pst_spill *s)
{
	char name[64];
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), ".mdexport-spill-%ld-%u", (long)getpid(), i);
		s->fd = sys_openat(s->dirfd, name,
				   O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s->fd >= 0) {
			unlinkat(s->dirfd, name, 0);
			return;
		}
		if (errno != EEXIST)
			break;
	}
	fail(s, errno, "create");
}

struct pst_spill *pst_spill_new(const char *dir, size_t width, size_t limit, const char *what)
{
	struct pst_spill *s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->dirfd = -1;
	s->what = what;
	s->width = width;
	s->limit = limit ? limit : 1;
	s->sorted = true;
	s->fd = -1;
	return s;
}

struct pst_spill *pst_spill_new_at(int dirfd, const char *display, size_t width, size_t limit,
				   const char *what)
{
	struct pst_spill *s = pst_spill_new(display, width, limit, what);
	s->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (s->dirfd < 0)
		fail(s, errno, "create");
	return s;
}

void pst_spill_free(struct pst_spill *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->buf);
	free(s->dir);
	free(s);
}

uint64_t pst_spill_count(const struct pst_spill *s)
{
	return s->total;
}

unsigned pst_spill_runs(const struct pst_spill *s)
{
	unsigned n = 0;
	for (unsigned l = 0; l < LEVELS; l++)
		n += s->nruns[l];
	return n;
}

int pst_spill_error(const struct pst_spill *s, struct sbuf *msg)
{
	if (s->error)
		sbuf_addf(msg, "temporary file for %s in '%s': %s failed: %s", s->what, s->dir,
			  s->op, strerror(s->error));
	return s->error;
}

/*
 * open_tmp: an unlinked file in dir; O_TMPFILE where the file system has it,
 * else a named file unlinked at once.  Only "not supported here" falls back:
 * a full or failing disk is an error, as for every other output call.
 */
static void open_tmp(struct pst_spill *s)
{
	if (s->error)
		return;
	s->fd = s->dirfd >= 0 ? sys_openat(s->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)
			      : sys_open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd >= 0)
		return;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		fail(s, errno, "create");
		return;
	}
	if (s->dirfd >= 0) {
		open_named_at(s);
		return;
	}
	char *path = xasprintf("%s/.mdexport-spill-XXXXXX", s->dir);
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd >= 0)
		unlink(path);
	else
		fail(s, errno, "create");
	free(path);
}

static void write_at(struct pst_spill *s, const uint8_t *p, size_t len, uint64_t off)
{
	int err = s->error ? 0 : sys_pwrite_all(s->fd, p, len, off);
	if (err)
		fail(s, err, "write");
}

static void read_at(struct pst_spill *s, uint8_t *p, size_t len, uint64_t off)
{
	while (len && !s->error) {
		ssize_t r = pread(s->fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {		/* 0: the file is shorter than what was written */
			fail(s, r < 0 ? errno : EIO, "read");
			return;
		}
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
}

/* ---- merging ------------------------------------------------------------ */

/* A merge input: a run read READ_BYTES at a time, or the records in memory. */
struct src {
	const uint8_t *p, *end;	/* records not yet taken */
	uint8_t *buf;		/* NULL for the in-memory records */
	uint64_t off, left;	/* the rest of the run: offset, records */
};

static void refill(struct pst_spill *s, struct src *in)
{
	size_t per = READ_BYTES / s->width;
	size_t n = (size_t)(in->left < per ? in->left : per);
	read_at(s, in->buf, n * s->width, in->off);
	in->off += n * s->width;
	in->left -= n;
	in->p = in->buf;
	in->end = s->error ? in->buf : in->buf + n * s->width;
}

static void src_run(struct pst_spill *s, struct src *in, const struct run *r)
{
	in->buf = xmalloc(READ_BYTES);
	in->off = r->off;
	in->left = r->count;
	refill(s, in);
}

/*
 * merge: the sources' records, ascending, to fn.  A linear scan for the
 * smallest: there are at most FANIN sources while adding, and at the end
 * (FANIN - 1) per level in use plus memory, a few dozen at the very most.
 */
static int merge(struct pst_spill *s, struct src *in, size_t k,
		 int (*fn)(void *ctx, const void *rec), void *ctx)
{
	for (;;) {
		struct src *min = NULL;
		for (size_t i = 0; i < k; i++)
			if (in[i].p < in[i].end && (!min || key_of(in[i].p) < key_of(min->p)))
				min = &in[i];
		if (s->error)
			return -1;
		if (!min)
			return 0;
		if (fn(ctx, min->p) < 0)
			return -1;
		min->p += s->width;
		if (min->p == min->end && min->left)
			refill(s, min);
	}
}

/* Output of a merge while adding: a new run at the end of the file. */
struct sink {
	struct pst_spill *s;
	uint8_t *buf;
	size_t fill;
	struct run run;
	uint64_t last;
};

static void sink_flush(struct sink *o)
{
	write_at(o->s, o->buf, o->fill, o->run.off + o->run.count * o->s->width - o->fill);
	o->fill = 0;
}

static int sink_put(void *ctx, const void *rec)
{
	struct sink *o = ctx;
	if (o->fill + o->s->width > READ_BYTES)
		sink_flush(o);
	memcpy(o->buf + o->fill, rec, o->s->width);
	o->fill += o->s->width;
	o->run.count++;
	o->last = key_of(rec);
	return 0;
}

/* give back the disk space of merged runs (where the file system can) */
static void punch(struct pst_spill *s, const struct run *r)
{
	fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->off,
		  (off_t)(r->count * s->width));
}

/* merge_level: level l's FANIN runs, merged into one at the end of the file */
static struct run merge_level(struct pst_spill *s, unsigned l)
{
	struct src in[FANIN];
	for (unsigned i = 0; i < FANIN; i++)
		src_run(s, &in[i], &s->runs[l][i]);
	struct sink o = { s, xmalloc(READ_BYTES), 0, { s->end, 0 }, 0 };
	merge(s, in, FANIN, sink_put, &o);
	sink_flush(&o);
	for (unsigned i = 0; i < FANIN; i++) {
		free(in[i].buf);
		punch(s, &s->runs[l][i]);
	}
	free(o.buf);
	s->nruns[l] = 0;
	s->end += o.run.count * s->width;
	s->tail_key = o.last;
	return o.run;
}

/* add_run: a new run at level l; full levels are merged into the next */
static void add_run(struct pst_spill *s, struct run r, unsigned l)
{
	for (; !s->error; l++) {
		if (l == LEVELS) {	/* limit * 16^16 records: cannot happen */
			fail(s, EFBIG, "merge");
			return;
		}
		s->runs[l][s->nruns[l]] = r;
		s->tail = &s->runs[l][s->nruns[l]++];
		if (s->nruns[l] < FANIN)
			return;
		r = merge_level(s, l);
	}
}

/* ---- adding ------------------------------------------------------------- */

static void sort_buf(struct pst_spill *s)
{
	if (!s->sorted)
		qsort(s->buf, s->count, s->width, cmp_key);
	s->sorted = true;
}

/* spill: the buffer, sorted, to the file: the tail run grows, or a new run */
static void spill(struct pst_spill *s)
{
	sort_buf(s);
	if (s->fd < 0)
		open_tmp(s);
	size_t len = s->count * s->width;
	uint64_t off = s->end, first = key_of(s->buf), last = key_of(s->buf + len - s->width);
	write_at(s, s->buf, len, off);
	s->end += len;
	bool extend = s->tail && first > s->tail_key;
	s->tail_key = last;		/* a merge below sets it to the merged run's */
	if (extend)
		s->tail->count += s->count;
	else
		add_run(s, (struct run){ off, s->count }, 0);
	s->count = 0;
}

void pst_spill_add(struct pst_spill *s, const void *rec)
{
	s->total++;
	if (s->error)
		return;
	if (s->count == s->limit)
		spill(s);
	if (s->count == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 64;
		if (s->alloc > s->limit)
			s->alloc = s->limit;
		s->buf = xreallocarray(s->buf, s->alloc, s->width);
	}
	uint8_t *at = s->buf + s->count * s->width;
	if (s->count && key_of(rec) < key_of(at - s->width))
		s->sorted = false;
	memcpy(at, rec, s->width);
	s->count++;
}

/* ---- draining ----------------------------------------------------------- */

int pst_spill_drain(struct pst_spill *s, int (*fn)(void *ctx, const void *rec), void *ctx)
{
	if (s->error)
		return -1;
	sort_buf(s);
	struct src *in = xcalloc(LEVELS * FANIN + 1, sizeof(*in));
	size_t k = 0;
	for (unsigned l = 0; l < LEVELS; l++)
		for (unsigned i = 0; i < s->nruns[l]; i++)
			src_run(s, &in[k++], &s->runs[l][i]);
	/* buf is NULL when nothing was ever added (an empty table's index);
	 * NULL + 0 is undefined behaviour in C, so the empty source is made
	 * without that arithmetic (found by fuzzing with clang's UBSan) */
	in[k].p = s->buf;
	in[k++].end = s->count ? s->buf + s->count * s->width : s->buf;
	int ret = merge(s, in, k, fn, ctx);
	for (size_t i = 0; i < k; i++)
		free(in[i].buf);
	free(in);
	memset(s->nruns, 0, sizeof(s->nruns));
	s->tail = NULL;
	s->count = 0;
	return ret;
}
