/*
 * The pipeline of one mailbox (boxpipe.h): one reader thread, N worker
 * threads, the caller as the writer, over a ring of items in the reader's
 * order.  One mutex guards the ring; the work done on an item (reading it,
 * hashing, preparing) is done outside it by the one thread that owns the
 * item at that moment.
 */
#include "boxpipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/msghash.h"
#include "core/xalloc.h"

#define RING 256			/* items in flight */
#define MEM_MSG_MAX (8u << 20)		/* bigger messages are handed over live */
#define MEM_INFLIGHT_MAX (16u << 20)	/* bytes read ahead, in all (prepared results add about as much) */

struct folder_copy {
	struct mail_folder f;
	char *path, *origin, *folder_class;
};

struct mem_msg {
	struct mail_msg m;
	struct mem_body body;
	char *origin, *name, *date_source, *envelope_from;
};

struct slot {
	struct pipe_item it;	/* first: boxpipe_next hands out &slot->it */
	struct folder_copy *folder;
	struct mem_msg *mem;	/* the message read into memory, or NULL */
	uint64_t bytes;		/* counted in the read-ahead budget */
	bool ready;		/* the writer may take it */
	bool taken;		/* a worker has it */
};

struct boxpipe {
	struct mail_mailbox *mb;
	struct sbuf *capture;
	const struct mail_writer_ops *w;
	const char *const *fallback;	/* issue 15: msg->fallback for prepare */
	pthread_mutex_t lock;
	pthread_cond_t to_reader;	/* room in the ring or the budget, a live item released */
	pthread_cond_t to_workers;	/* an item to prepare, or the end */
	pthread_cond_t to_writer;	/* an item became ready */
	struct slot *ring[RING];
	uint64_t head;		/* the item the writer has (or takes next) */
	uint64_t work;		/* the next item a worker looks at */
	uint64_t tail;		/* the next item the reader posts */
	uint64_t inflight;	/* bytes read ahead and not yet released */
	bool writer_has_head;	/* ring[head] was handed out */
	/*
	 * who sleeps, so that a change wakes only a thread that waits for it:
	 * each wake-up is a system call and a switch, and the messages are small
	 */
	bool reader_waits, writer_waits;
	unsigned workers_idle;
	/* the folder the writer is in: its messages come after its item is released */
	struct folder_copy *writer_folder;
	bool stop;		/* the writer gave up: everyone leaves */
	bool reader_done;
	pthread_t reader;
	bool reader_started;
	pthread_t *workers;
	unsigned nworkers;
};

/* ---- items ------------------------------------------------------------------------- */

static struct slot *slot_new(enum pipe_kind kind)
{
	struct slot *s = xcalloc(1, sizeof(*s));
	s->it.kind = kind;
	sbuf_init(&s->it.err);
	sbuf_init(&s->it.capture);
	sbuf_init(&s->it.hash_err);
	return s;
}

static struct folder_copy *folder_copy(const struct mail_folder *f)
{
	struct folder_copy *c = xcalloc(1, sizeof(*c));
	c->f = *f;
	c->f.path = c->path = xstrdup(f->path ? f->path : "");
	c->f.origin = c->origin = f->origin ? xstrdup(f->origin) : NULL;
	c->f.folder_class = c->folder_class = f->folder_class ? xstrdup(f->folder_class) : NULL;
	return c;
}

static void folder_free(struct folder_copy *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->origin);
	free(c->folder_class);
	free(c);
}

/* mem_msg_free: mm and, unless the writer was given it, its prepare result */
static void mem_msg_free(struct mem_msg *mm, const struct mail_writer_ops *w, bool written)
{
	if (!mm)
		return;
	if (!written)
		mail_writer_prepared_free(w, mm->m.prepared);
	mem_body_release(&mm->body);
	free(mm->origin);
	free(mm->name);
	free(mm->date_source);
	free(mm->envelope_from);
	free(mm);
}

static void slot_free(struct slot *s, const struct mail_writer_ops *w)
{
	if (!s)
		return;
	sbuf_release(&s->it.err);
	sbuf_release(&s->it.capture);
	sbuf_release(&s->it.hash_err);
	folder_free(s->folder);
	mem_msg_free(s->mem, w, s->it.written);
	free(s);
}

/* ---- the reader thread ------------------------------------------------------------- */

/*
 * read_all: bytes [from, size) of m into buf, as msg_copy_range reads
 * them (the size taken at open, never more); false when they could not all
 * be read (the serial path then meets the same error and reports it)
 */
static bool read_all(const struct mail_msg *m, unsigned char *buf, uint64_t from)
{
	while (from < m->size) {
		ssize_t n = msg_read(m, buf + from, (size_t)(m->size - from), from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		from += (uint64_t)n;
	}
	return true;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/*
 * mem_copy: the message m read whole into memory, as a message of its own
 * (the reader's strings copied, no hash: the worker hashes it), or NULL
 * when it must go live: not read whole, or changed while it was read
 */
static struct mem_msg *mem_copy(const struct mail_msg *m)
{
	GByteArray *bytes = g_byte_array_sized_new((guint)m->size);
	g_byte_array_set_size(bytes, (guint)m->size);
	size_t pre = m->prefix_len < m->size ? m->prefix_len : (size_t)m->size;
	if (pre)	/* an empty message may have no prefix at all */
		memcpy(bytes->data, m->prefix, pre);
	if (!read_all(m, bytes->data, pre) || msg_unchanged(m, NULL) != CONV_OK) {
		g_byte_array_unref(bytes);
		return NULL;
	}
	struct mem_msg *mm = xcalloc(1, sizeof(*mm));
	mem_body_init(&mm->body, bytes);
	mm->m = *m;
	mm->m.origin = mm->origin = dup_or_null(m->origin);
	mm->m.name = mm->name = dup_or_null(m->name);
	mm->m.date_source = mm->date_source = dup_or_null(m->date_source);
	mm->m.envelope_from = mm->envelope_from = dup_or_null(m->envelope_from);
	mm->m.body = &mm->body.body;
	mm->m.prefix = bytes->data;
	mm->m.hash = NULL;
	mm->m.prepared = NULL;
	return mm;
}

/* reader_wait: the reader sleeps until the writer releases an item (lock held) */
static void reader_wait(struct boxpipe *p)
{
	p->reader_waits = true;
	pthread_cond_wait(&p->to_reader, &p->lock);
	p->reader_waits = false;
}

/* reserve: room for `bytes` more read ahead (one item may always be); false: stopped */
static bool reserve(struct boxpipe *p, uint64_t bytes)
{
	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->inflight && p->inflight + bytes > MEM_INFLIGHT_MAX)
		reader_wait(p);
	bool ok = !p->stop;
	if (ok)
		p->inflight += bytes;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

static void unreserve(struct boxpipe *p, uint64_t bytes)
{
	pthread_mutex_lock(&p->lock);
	p->inflight -= bytes;

	pthread_mutex_unlock(&p->lock);
}

/*
 * post: s into the ring, after what the reader captured during the call;
 * a live item is waited for until the writer is done with it.  false: the
 * writer stopped (s freed).
 */
static bool post(struct boxpipe *p, struct slot *s)
{
	sbuf_add(&s->it.capture, p->capture->buf, p->capture->len);
	sbuf_reset(p->capture);
	s->ready = !s->mem;	/* nothing for a worker to do */
	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->tail - p->head >= RING)
		reader_wait(p);
	if (p->stop) {
		pthread_mutex_unlock(&p->lock);
		if (s->bytes)
			unreserve(p, s->bytes);
		slot_free(s, p->w);
		return false;
	}
	uint64_t seq = p->tail++;
	p->ring[seq % RING] = s;
	if (!s->ready && p->workers_idle)
		pthread_cond_signal(&p->to_workers);
	else if (s->ready && p->writer_waits && seq == p->head)
		pthread_cond_signal(&p->to_writer);
	if (s->it.live)		/* the writer uses the reader's own: wait until it is released */
		while (!p->stop && p->head <= seq)
			reader_wait(p);
	bool ok = !p->stop;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* read_msg: the next message of the folder, in memory when it can be */
static struct slot *read_msg(struct boxpipe *p, bool *stopped)
{
	struct mail_mailbox *mb = p->mb;
	struct slot *s = slot_new(PIPE_MSG);
	const struct mail_msg *m = NULL;
	s->it.status = mb->v->next_msg(mb, &m, &s->it.err);
	*stopped = false;
	if (s->it.status == CONV_DONE)
		return s;
	s->it.msg = m;
	s->it.live = true;
	/*
	 * a groupware item (issue 14) is handed over live: what the reader
	 * understood of it (m->gw) is the reader's until its next call
	 */
	if (s->it.status != CONV_OK || !m->body || m->size > MEM_MSG_MAX || m->kind != ITEM_MAIL)
		return s;
	if (!reserve(p, m->size)) {
		*stopped = true;
		slot_free(s, p->w);
		return NULL;
	}
	s->mem = mem_copy(m);
	if (!s->mem) {
		unreserve(p, m->size);
		return s;
	}
	s->bytes = m->size;
	s->it.msg = &s->mem->m;
	s->it.live = false;
	return s;
}

/* read_folder_msgs: every message of the folder; false when the writer stopped */
static bool read_folder_msgs(struct boxpipe *p)
{
	for (;;) {
		bool stopped;
		struct slot *s = read_msg(p, &stopped);
		if (stopped)
			return false;
		/* the rest of a folder that cannot be read is not read (pipeline.c export_folder) */
		bool end = s->it.status == CONV_DONE || s->it.status == CONV_FOLDER_BAD;
		if (!post(p, s))
			return false;
		if (end)
			return true;
	}
}

/* the same calls, in the same order, as the serial loop (pipeline.c export_folders) */
static void *reader_main(void *arg)
{
	struct boxpipe *p = arg;
	struct mail_mailbox *mb = p->mb;
	for (;;) {
		struct slot *s = slot_new(PIPE_FOLDER);
		const struct mail_folder *f = NULL;
		s->it.status = mb->v->next_folder(mb, &f, &s->it.err);
		bool end = s->it.status == CONV_DONE;
		/* a groupware folder's items and mail are read too (issue 14) */
		bool mail = !end && (f->is_mail || f->kind != ITEM_MAIL);
		if (!end) {
			s->folder = folder_copy(f);
			s->it.folder = &s->folder->f;
		}
		if (!post(p, s) || end)
			break;
		if (mail && !read_folder_msgs(p))
			break;
	}
	pthread_mutex_lock(&p->lock);
	p->reader_done = true;
	pthread_cond_broadcast(&p->to_workers);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- the workers ------------------------------------------------------------------- */

/* prepare_item: what the writer would otherwise do first: the hash, the writer's prepare */
static void prepare_item(struct boxpipe *p, struct slot *s, struct msg_hash *h)
{
	struct mail_msg *m = &s->mem->m;
	struct mem_body *mb = &s->mem->body;
	msg_hash_reset(h);
	msg_hash_feed(h, 0, mb->bytes->data, mb->bytes->len);
	s->it.hashed = msg_hash_final(h, m, s->it.sha256, &s->it.hash_err) == 1;
	m->fallback = p->fallback;	/* issue 15 */
	m->prepared = mail_writer_prepare(p->w, m);
}

static void *worker_main(void *arg)
{
	struct boxpipe *p = arg;
	struct msg_hash *h = msg_hash_new();
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->work < p->head)	/* the writer took these past us: nothing to do on them */
			p->work = p->head;
		while (!p->stop && p->work < p->tail && p->ring[p->work % RING]->ready)
			p->work++;	/* nothing to do on these */
		if (p->stop || (p->work == p->tail && p->reader_done))
			break;
		if (p->work == p->tail) {
			p->workers_idle++;
			pthread_cond_wait(&p->to_workers, &p->lock);
			p->workers_idle--;
			continue;
		}
		struct slot *s = p->ring[p->work++ % RING];
		s->taken = true;
		pthread_mutex_unlock(&p->lock);
		prepare_item(p, s, h);
		pthread_mutex_lock(&p->lock);
		s->ready = true;
		if (p->writer_waits && p->ring[p->head % RING] == s)	/* the one it waits for */
			pthread_cond_signal(&p->to_writer);
	}
	pthread_mutex_unlock(&p->lock);
	msg_hash_free(&h);
	return NULL;
}

/* ---- the writer's side ------------------------------------------------------------- */

struct boxpipe *boxpipe_start(struct mail_mailbox *mb, struct sbuf *capture, unsigned workers,
			      const struct mail_writer_ops *w, const char *const *fallback,
			      struct sbuf *err)
{
	struct boxpipe *p = xcalloc(1, sizeof(*p));
	p->mb = mb;
	p->capture = capture;
	p->w = w;
	p->fallback = fallback;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->to_reader, NULL);
	pthread_cond_init(&p->to_workers, NULL);
	pthread_cond_init(&p->to_writer, NULL);
	p->workers = xcalloc(workers ? workers : 1, sizeof(*p->workers));
	for (; p->nworkers < workers; p->nworkers++) {
		int e = pthread_create(&p->workers[p->nworkers], NULL, worker_main, p);
		if (e) {
			sbuf_addf(err, "cannot start a thread: %s", strerror(e));
			boxpipe_stop(p);
			return NULL;
		}
	}
	int e = pthread_create(&p->reader, NULL, reader_main, p);
	if (e) {
		sbuf_addf(err, "cannot start a thread: %s", strerror(e));
		boxpipe_stop(p);
		return NULL;
	}
	p->reader_started = true;
	return p;
}

/* release_head: the writer is done with ring[head] (lock held) */
static void release_head(struct boxpipe *p)
{
	struct slot *s = p->ring[p->head % RING];
	p->ring[p->head % RING] = NULL;
	p->head++;
	p->writer_has_head = false;
	p->inflight -= s->bytes;
	if (p->reader_waits)
		pthread_cond_signal(&p->to_reader);
	pthread_mutex_unlock(&p->lock);
	if (s->folder) {
		folder_free(p->writer_folder);
		p->writer_folder = s->folder;
		s->folder = NULL;
	}
	slot_free(s, p->w);
	pthread_mutex_lock(&p->lock);
}

struct pipe_item *boxpipe_next(struct boxpipe *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->writer_has_head)
		release_head(p);
	while (!(p->head < p->tail && p->ring[p->head % RING]->ready))
	{
		p->writer_waits = true;	/* the reader always posts an end */
		pthread_cond_wait(&p->to_writer, &p->lock);
		p->writer_waits = false;
	}
	struct slot *s = p->ring[p->head % RING];
	p->writer_has_head = true;
	pthread_mutex_unlock(&p->lock);
	return &s->it;
}

void boxpipe_stop(struct boxpipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->to_reader);
	pthread_cond_broadcast(&p->to_workers);
	pthread_cond_broadcast(&p->to_writer);
	pthread_mutex_unlock(&p->lock);
	if (p->reader_started)
		pthread_join(p->reader, NULL);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	for (uint64_t seq = p->head; seq < p->tail; seq++)
		slot_free(p->ring[seq % RING], p->w);
	folder_free(p->writer_folder);
	pthread_cond_destroy(&p->to_reader);
	pthread_cond_destroy(&p->to_workers);
	pthread_cond_destroy(&p->to_writer);
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}
