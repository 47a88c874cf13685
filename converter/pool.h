/*
 * Mailboxes exported side by side (-j N): N threads run the jobs the main
 * thread submits, in any order; what each job prints, and its finish step,
 * come out in the order the jobs were submitted, so a run with -j N prints
 * what -j 1 prints.  The job at the head of that order prints as it goes;
 * the others' text is kept until they reach the head.
 */
#ifndef MDX_POOL_H
#define MDX_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

struct pool;

/* embedded in the caller's job; the pool fills it */
struct pool_job {
	struct pool *pool;
	uint64_t seq;
	struct sbuf text;	/* printed when the job reaches the head */
	bool done;
};

/* run: the job's work, on a pool thread; finish: after it, in submission order */
typedef void pool_run_fn(struct pool_job *job, void *ctx);
typedef void pool_finish_fn(struct pool_job *job, void *ctx);
/* sink: where the text goes, one call at a time (NULL: stderr) */
typedef void pool_sink_fn(void *ctx, const char *text, size_t len);

/* pool_new: NULL with err set when the threads cannot be started */
struct pool *pool_new(unsigned threads, pool_run_fn *run, pool_finish_fn *finish, void *ctx,
		      struct sbuf *err);
void pool_set_sink(struct pool *p, pool_sink_fn *sink, void *sink_ctx);
/*
 * pool_submit: job queued (waits while too many are unfinished); `last`:
 * no job will follow it.  Text printed before (pool_print) goes first.
 */
void pool_submit(struct pool *p, struct pool_job *job, bool last);
/* pool_write: text of a job, in its place in the order (thread-safe) */
void pool_write(struct pool_job *job, const char *text, size_t len);
/* pool_job_write: pool_write in the shape of a diag's writer (ctx: the struct pool_job) */
void pool_job_write(void *job, const char *text, size_t len);
/*
 * pool_keep_text: a diag's writer that keeps the text in ctx (a struct sbuf):
 * the store's lines while the main thread lists, until pool_print gives them
 * their place among the jobs'
 */
void pool_keep_text(void *sbuf, const char *text, size_t len);
/* pool_print: text of the main thread, printed before the next job's */
void pool_print(struct pool *p, const char *text, size_t len);
/*
 * pool_alone: whether the calling job has the cores to itself from now on:
 * no job waits to start and none will be submitted (worth splitting its
 * own work over the idle threads)
 */
bool pool_alone(struct pool *p);
/* pool_finish: every job run and finished, the threads joined, the pool freed */
void pool_finish(struct pool *p);

#endif
