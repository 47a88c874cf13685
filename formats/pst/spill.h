/*
 * An external sort for the PST writer's lists that grow with the mailbox
 * (issue 3): the BBT and NBT entries of a file, the row index of a table.
 * Records have a fixed width and are keyed by the uint64_t they start with
 * (native byte order: the records never leave this process).
 *
 * At most `limit` records are kept in memory.  When that buffer is full it
 * is sorted and appended as a run to an unlinked temporary file in `dir`
 * (next to the PST being written, so it uses the output's disk and
 * vanishes with the process).  A buffer whose keys all follow the last run's
 * extends that run: input that comes in key order (block IDs always do,
 * message NIDs nearly) stays one run and is never merged.  Runs are merged
 * 16 at a time as they accumulate (level by level, like a log-structured
 * merge), so however many records come, memory holds the buffer and a
 * fixed table of runs; pst_spill_drain merges what is left, reading each
 * run 8 KiB at a time.
 *
 * Errors (temporary file cannot be created, written or read) are sticky:
 * later records are dropped and pst_spill_drain fails; pst_spill_error
 * says what went wrong.
 */
#ifndef MDX_PST_SPILL_H
#define MDX_PST_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

/*
 * Records kept in memory before a run is written: 16,384, i.e. 512 KiB for
 * the NBT's 32-byte records, 384 KiB for the BBT's, 128 KiB for a row
 * index.  Small next to the rest of the writer (about 8 MiB: GMime, one
 * message), and no slower than a bigger buffer: a run is one pwrite of
 * that size, in-order input never needs merging, and out-of-order input
 * is rewritten once per 16-fold growth (about 3 times for 100 M records).
 */
#define PST_SPILL_LIMIT 16384

struct pst_spill;

/* pst_spill_new: records of width >= 8 bytes; what names the list in messages ("the node list") */
struct pst_spill *pst_spill_new(const char *dir, size_t width, size_t limit, const char *what);
/* pst_spill_new_at: the same in the directory dirfd (display names it in messages) */
struct pst_spill *pst_spill_new_at(int dirfd, const char *display, size_t width, size_t limit,
				   const char *what);
void pst_spill_free(struct pst_spill *s);
void pst_spill_add(struct pst_spill *s, const void *rec);
/* pst_spill_count: records added (dropped ones included) */
uint64_t pst_spill_count(const struct pst_spill *s);
/* pst_spill_runs: runs on the temporary file now (0: all in memory) */
unsigned pst_spill_runs(const struct pst_spill *s);
/*
 * pst_spill_drain: every record, ascending by key (equal keys adjacent, in
 * no particular order), handed to fn; stops when fn returns < 0.  Once
 * only: the spill is empty afterwards.  Returns 0, or -1 when fn stopped
 * or the spill failed (then pst_spill_error says why).
 */
int pst_spill_drain(struct pst_spill *s, int (*fn)(void *ctx, const void *rec), void *ctx);
/* pst_spill_error: 0, or the errno of the first failure, described in msg */
int pst_spill_error(const struct pst_spill *s, struct sbuf *msg);

#endif
