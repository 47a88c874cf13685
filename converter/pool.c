/*
 * The pool of pool.h: a window of submitted jobs in submission order; the
 * threads take the oldest job not started, the head (the oldest not yet
 * finished) prints straight through the sink, and a job's finish step is
 * run by whichever thread sees it become done at the head, under the lock,
 * so finish steps never run two at a time.
 */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/xalloc.h"

#define WINDOW 1024	/* jobs submitted and not finished (their text is kept) */

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pool_run_fn *run;
	pool_finish_fn *finish;
	void *ctx;
	pool_sink_fn *sink;
	void *sink_ctx;
	struct pool_job *window[WINDOW];
	uint64_t head;		/* oldest not finished */
	uint64_t next;		/* oldest not started */
	uint64_t tail;		/* next to be submitted */
	bool closed;		/* the last job was submitted */
	struct sbuf pending;	/* the main thread's text for the next job */
	pthread_t *threads;
	unsigned nthreads;
};

static void put(struct pool *p, const char *text, size_t len)
{
	if (!len)
		return;
	if (p->sink)
		p->sink(p->sink_ctx, text, len);
	else
		diag_write_std(text, len);
}

/* advance: finish the done jobs at the head, in order; the new head prints its text (lock held) */
static void advance(struct pool *p)
{
	while (p->head < p->tail && p->window[p->head % WINDOW]->done) {
		struct pool_job *j = p->window[p->head % WINDOW];
		p->window[p->head % WINDOW] = NULL;
		p->head++;
		p->finish(j, p->ctx);	/* j may be freed: not touched again */
		if (p->head < p->tail) {
			struct pool_job *h = p->window[p->head % WINDOW];
			put(p, h->text.buf, h->text.len);
			sbuf_release(&h->text);
		}
	}
	pthread_cond_broadcast(&p->changed);
}

static void *thread_main(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next == p->tail && !p->closed)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->next == p->tail)
			break;
		struct pool_job *j = p->window[p->next++ % WINDOW];
		pthread_mutex_unlock(&p->lock);
		p->run(j, p->ctx);
		pthread_mutex_lock(&p->lock);
		j->done = true;
		advance(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *pool_new(unsigned threads, pool_run_fn *run, pool_finish_fn *finish, void *ctx,
		      struct sbuf *err)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->run = run;
	p->finish = finish;
	p->ctx = ctx;
	sbuf_init(&p->pending);
	p->threads = xcalloc(threads ? threads : 1, sizeof(*p->threads));
	for (; p->nthreads < threads; p->nthreads++) {
		int e = pthread_create(&p->threads[p->nthreads], NULL, thread_main, p);
		if (e) {
			sbuf_addf(err, "cannot start a thread: %s", strerror(e));
			pool_finish(p);
			return NULL;
		}
	}
	return p;
}

void pool_set_sink(struct pool *p, pool_sink_fn *sink, void *sink_ctx)
{
	p->sink = sink;
	p->sink_ctx = sink_ctx;
}

void pool_submit(struct pool *p, struct pool_job *job, bool last)
{
	pthread_mutex_lock(&p->lock);
	while (p->tail - p->head >= WINDOW)
		pthread_cond_wait(&p->changed, &p->lock);
	job->pool = p;
	job->seq = p->tail;
	job->done = false;
	sbuf_init(&job->text);
	if (job->seq == p->head)	/* the head prints straight away */
		put(p, p->pending.buf, p->pending.len);
	else
		sbuf_add(&job->text, p->pending.buf, p->pending.len);
	sbuf_reset(&p->pending);
	p->window[p->tail++ % WINDOW] = job;
	p->closed = last;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

void pool_write(struct pool_job *job, const char *text, size_t len)
{
	struct pool *p = job->pool;
	pthread_mutex_lock(&p->lock);
	if (job->seq == p->head)
		put(p, text, len);
	else
		sbuf_add(&job->text, text, len);
	pthread_mutex_unlock(&p->lock);
}

void pool_job_write(void *job, const char *text, size_t len)
{
	pool_write(job, text, len);
}

void pool_keep_text(void *sbuf, const char *text, size_t len)
{
	sbuf_add(sbuf, text, len);
}

void pool_print(struct pool *p, const char *text, size_t len)
{
	pthread_mutex_lock(&p->lock);
	if (p->head == p->tail)	/* nothing running: nothing to wait for */
		put(p, text, len);
	else
		sbuf_add(&p->pending, text, len);
	pthread_mutex_unlock(&p->lock);
}

bool pool_alone(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	bool alone = p->closed && p->next == p->tail;
	pthread_mutex_unlock(&p->lock);
	return alone;
}

void pool_finish(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_lock(&p->lock);
	put(p, p->pending.buf, p->pending.len);
	pthread_mutex_unlock(&p->lock);
	sbuf_release(&p->pending);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
