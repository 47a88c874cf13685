/*
 * recsort.h: records gathered in one arena as [uint32 length][bytes], an
 * array of their offsets sorted with qsort_r; full arenas become runs of
 * the same layout in one unlinked temporary file, merged by picking the
 * least head among the runs (a linear scan: a million 100-byte records
 * make about 12 runs at the default 8 MiB).
 */
#include "core/recsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"

#define RUN_BUF ((size_t)64 << 10)
#define MIN_RUN_BUF ((size_t)4 << 10)

/* a run being read: the bytes [off, end) of the file not yet in buf */
struct run {
	uint64_t start, off, end;
	uint8_t *buf;
	size_t cap, have, pos;	/* buf holds have bytes; the head record is at pos */
};

struct recsort {
	recsort_cmp cmp;
	size_t mem;
	char *dir;
	uint8_t *arena;
	size_t len, cap;
	uint32_t *idx;
	size_t n, idx_cap;
	uint64_t total;
	int fd;
	uint64_t file_len;
	struct run *runs;
	size_t nruns;
	bool reading;
	size_t pos;		/* in memory: the next record */
	size_t pending;		/* on file: the run whose head was last handed out (+1) */
	int error;
	const char *op;
};

int recsort_memcmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

struct recsort *recsort_new(size_t mem, recsort_cmp cmp, const char *dir)
{
	struct recsort *s = xcalloc(1, sizeof(*s));
	/* at most 1 GiB: the arena's offsets are 32 bits */
	s->mem = !mem ? RECSORT_DEFAULT_MEM : mem > ((size_t)1 << 30) ? (size_t)1 << 30 : mem;
	s->cmp = cmp;
	const char *env = getenv("TMPDIR");
	s->dir = xstrdup(dir ? dir : env && *env ? env : "/tmp");
	s->fd = -1;
	return s;
}

void recsort_free(struct recsort *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->nruns; i++)
		free(s->runs[i].buf);
	free(s->runs);
	free(s->arena);
	free(s->idx);
	free(s->dir);
	free(s);
}

uint64_t recsort_count(const struct recsort *s)
{
	return s->total;
}

size_t recsort_runs(const struct recsort *s)
{
	return s->nruns;
}

static void fail(struct recsort *s, int err, const char *op)
{
	if (!s->error) {
		s->error = err ? err : EIO;
		s->op = op;
	}
}

int recsort_error(const struct recsort *s, struct sbuf *msg)
{
	if (s->error)
		sbuf_addf(msg, "temporary file of a folder's index in '%s': %s failed: %s",
			  s->dir, s->op, strerror(s->error));
	return s->error;
}

/* rec_at: the record at off in p (its length in *len) */
static const uint8_t *rec_at(const uint8_t *p, size_t off, size_t *len)
{
	uint32_t l;
	memcpy(&l, p + off, sizeof(l));
	*len = l;
	return p + off + sizeof(l);
}

static int cmp_idx(const void *a, const void *b, void *ctx)
{
	const struct recsort *s = ctx;
	size_t la, lb;
	const uint8_t *pa = rec_at(s->arena, *(const uint32_t *)a, &la);
	const uint8_t *pb = rec_at(s->arena, *(const uint32_t *)b, &lb);
	return s->cmp(pa, la, pb, lb);
}

static void sort_arena(struct recsort *s)
{
	if (s->cmp && s->n > 1)
		qsort_r(s->idx, s->n, sizeof(*s->idx), cmp_idx, s);
}

/* open_tmp: an unlinked file in dir; O_TMPFILE where the file system has it */
static void open_tmp(struct recsort *s)
{
	s->fd = sys_open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd >= 0)
		return;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		fail(s, errno, "create");
		return;
	}
	char *path = xasprintf("%s/.mdexport-index-XXXXXX", s->dir);
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd >= 0)
		unlink(path);
	else
		fail(s, errno, "create");
	free(path);
}

/* flush: the bytes gathered in out appended to the file */
static void flush(struct recsort *s, const uint8_t *out, size_t *used)
{
	int e = s->error || !*used ? 0 : sys_pwrite_all(s->fd, out, *used, s->file_len);
	if (e)
		fail(s, e, "write");
	s->file_len += *used;
	*used = 0;
}

/* spill: the arena, sorted, appended to the file as a run (in order of the index) */
static void spill(struct recsort *s)
{
	if (s->fd < 0 && !s->error)
		open_tmp(s);
	sort_arena(s);
	uint8_t *out = xmalloc(RUN_BUF);
	size_t used = 0;
	uint64_t start = s->file_len;
	for (size_t i = 0; i < s->n && !s->error; i++) {
		size_t l;
		const uint8_t *p = s->arena + s->idx[i];
		rec_at(s->arena, s->idx[i], &l);
		size_t whole = sizeof(uint32_t) + l;
		if (used + whole > RUN_BUF)
			flush(s, out, &used);
		if (whole > RUN_BUF) {
			flush(s, p, &whole);
			continue;
		}
		memcpy(out + used, p, whole);
		used += whole;
	}
	flush(s, out, &used);
	free(out);
	s->runs = xreallocarray(s->runs, s->nruns + 1, sizeof(*s->runs));
	s->runs[s->nruns++] = (struct run){ .start = start, .off = start, .end = s->file_len };
	s->len = s->n = 0;
}

void recsort_add(struct recsort *s, const void *rec, size_t len)
{
	if (s->reading || len > RECSORT_MAX_REC)	/* a caller's mistake */
		fail(s, EINVAL, "add");
	if (s->error)
		return;
	size_t whole = sizeof(uint32_t) + len;
	if (s->n && s->len + whole + (s->n + 1) * sizeof(uint32_t) > s->mem)
		spill(s);
	if (s->len + whole > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + whole)
			cap *= 2;
		s->arena = xrealloc(s->arena, cap);
		s->cap = cap;
	}
	if (s->n == s->idx_cap) {
		s->idx_cap = s->idx_cap ? s->idx_cap * 2 : 256;
		s->idx = xreallocarray(s->idx, s->idx_cap, sizeof(*s->idx));
	}
	uint32_t l = (uint32_t)len;
	s->idx[s->n++] = (uint32_t)s->len;
	memcpy(s->arena + s->len, &l, sizeof(l));
	if (len)
		memcpy(s->arena + s->len + sizeof(l), rec, len);
	s->len += whole;
	s->total++;
}

/* ---- reading back ---------------------------------------------------------- */

static void read_at(struct recsort *s, uint8_t *p, size_t len, uint64_t off)
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

/* fill: at least want bytes from the head of run r in its buffer, if the run has them */
static void fill(struct recsort *s, struct run *r, size_t want)
{
	if (r->have - r->pos >= want)
		return;
	memmove(r->buf, r->buf + r->pos, r->have - r->pos);
	r->have -= r->pos;
	r->pos = 0;
	if (want > r->cap) {
		r->buf = xrealloc(r->buf, want);
		r->cap = want;
	}
	size_t room = r->cap - r->have;
	size_t take = r->end - r->off < room ? (size_t)(r->end - r->off) : room;
	read_at(s, r->buf + r->have, take, r->off);
	r->off += take;
	r->have += take;
}

/* head: run r's next record, NULL when the run is done */
static const uint8_t *head(struct recsort *s, struct run *r, size_t *len)
{
	fill(s, r, sizeof(uint32_t));
	if (s->error || r->have - r->pos < sizeof(uint32_t))
		return NULL;
	uint32_t l;
	memcpy(&l, r->buf + r->pos, sizeof(l));
	fill(s, r, sizeof(l) + l);
	if (s->error || r->have - r->pos < sizeof(l) + l) {
		fail(s, EIO, "read");
		return NULL;
	}
	*len = l;
	return r->buf + r->pos + sizeof(l);
}

/* start_reading: the last records spilled too when some were, and a buffer per run */
static void start_reading(struct recsort *s)
{
	s->reading = true;
	if (!s->nruns) {
		sort_arena(s);
		return;
	}
	if (s->n)
		spill(s);
	free(s->arena);
	free(s->idx);
	s->arena = NULL;
	s->idx = NULL;
	s->cap = s->idx_cap = 0;
	size_t each = s->mem / s->nruns;
	each = each > RUN_BUF ? RUN_BUF : each < MIN_RUN_BUF ? MIN_RUN_BUF : each;
	for (size_t i = 0; i < s->nruns; i++) {
		s->runs[i].buf = xmalloc(each);
		s->runs[i].cap = each;
	}
}

int recsort_next(struct recsort *s, const void **rec, size_t *len)
{
	if (!s->reading)
		start_reading(s);
	if (s->error)
		return -1;
	if (!s->nruns) {
		if (s->pos >= s->n)
			return 0;
		*rec = rec_at(s->arena, s->idx[s->pos++], len);
		return 1;
	}
	if (s->pending) {	/* the record handed out last is consumed now */
		struct run *r = &s->runs[s->pending - 1];
		size_t l;
		if (head(s, r, &l))
			r->pos += sizeof(uint32_t) + l;
		s->pending = 0;
	}
	const uint8_t *best = NULL;
	size_t best_len = 0, best_run = 0;
	for (size_t i = 0; i < s->nruns; i++) {
		size_t l;
		const uint8_t *p = head(s, &s->runs[i], &l);
		if (p && (!best || (s->cmp && s->cmp(p, l, best, best_len) < 0))) {
			best = p;
			best_len = l;
			best_run = i;
		}
		if (best && !s->cmp)
			break;	/* in the order added: the runs one after another */
	}
	if (s->error)
		return -1;
	if (!best)
		return 0;
	s->pending = best_run + 1;
	*rec = best;
	*len = best_len;
	return 1;
}

void recsort_rewind(struct recsort *s)
{
	if (!s->reading)
		return;		/* not begun: the next recsort_next starts from the first anyway */
	s->pos = 0;
	s->pending = 0;
	for (size_t i = 0; i < s->nruns; i++) {
		s->runs[i].off = s->runs[i].start;
		s->runs[i].have = s->runs[i].pos = 0;
	}
}
