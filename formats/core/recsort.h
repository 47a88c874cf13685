/*
 * A list of byte records that stays flat in memory however many come (issue
 * 12): the readers' per-folder indexes (a folder of a million messages).
 *
 * Records (up to 1 MiB each) are added, then read back once, sorted by cmp,
 * or in the order they were added when cmp is NULL.  While the records
 * added take at most `mem` bytes (4 bytes of bookkeeping each included),
 * they stay in memory and are sorted there: a normal folder never touches
 * a file.  Beyond that each full buffer is sorted and written as a run to an
 * unlinked temporary file in dir, and reading merges the runs, each through
 * a buffer of at most 64 KiB.  So memory is about 2 x mem while adding
 * (buffers grow by doubling) and a buffer per run while reading.
 *
 * cmp must be a total order over the records a caller adds (break ties on
 * every byte), since neither the in-memory sort nor the merge is stable.
 *
 * Errors of the temporary file (cannot be created, written, read) are
 * sticky: later records are dropped, recsort_next returns -1 and
 * recsort_error says what went wrong.
 *
 * Thread safety: an object is used by one thread at a time; objects share
 * nothing, so threads may each use their own.
 */
#ifndef MDX_RECSORT_H
#define MDX_RECSORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

/* what a reader keeps of a folder's index in memory before it spills, unless told */
#define RECSORT_DEFAULT_MEM ((size_t)8 << 20)
#define RECSORT_MAX_REC ((size_t)1 << 20)

/* <0, 0, >0 as memcmp */
typedef int (*recsort_cmp)(const void *a, size_t alen, const void *b, size_t blen);

struct recsort;

/* recsort_new: mem 0 means RECSORT_DEFAULT_MEM (at most 1 GiB); dir NULL: $TMPDIR, else /tmp */
struct recsort *recsort_new(size_t mem, recsort_cmp cmp, const char *dir);
void recsort_free(struct recsort *s);

/*
 * recsort_add: one record (copied); only before the first recsort_next and
 * at most RECSORT_MAX_REC bytes, else the sticky error EINVAL
 */
void recsort_add(struct recsort *s, const void *rec, size_t len);

/*
 * recsort_next: the next record in order (*rec valid until the next call or
 * recsort_free); 1, 0 at the end, -1 on an error of the temporary file
 */
int recsort_next(struct recsort *s, const void **rec, size_t *len);

/*
 * recsort_rewind: read the records again from the first, in the same order
 * (after recsort_next has begun; the runs are kept until recsort_free):
 * a caller that must look at every record before it uses them
 */
void recsort_rewind(struct recsort *s);

/* recsort_count: the records added; recsort_runs: the runs written (0: all in memory) */
uint64_t recsort_count(const struct recsort *s);
size_t recsort_runs(const struct recsort *s);

/* recsort_error: 0, or the errno with what failed appended to msg */
int recsort_error(const struct recsort *s, struct sbuf *msg);

/* recsort_memcmp: memcmp, the shorter first on a common prefix */
int recsort_memcmp(const void *a, size_t alen, const void *b, size_t blen);

#endif
