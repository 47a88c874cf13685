/*
 * The pre-scan (see prescan.h).  It reads what the export's own walk reads
 * before its first message: the store's account list and each mailbox's
 * folder listing (MDaemon, Maildir, EML: a directory listing and a stat a
 * message file; PST: the folder descriptors), or the reader's estimate
 * (mbox: its files' sizes, since counting its messages would read it all).
 */
#include "prescan.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/xalloc.h"

#include "select.h"

/* discard: the pre-scan's diag prints nothing (the run reports it all) */
static void discard(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
}

/* walk_folders: the folders' counts summed; a folder with messages and no bytes is a PST's */
static void walk_folders(struct mail_mailbox *m, struct progress_totals *t)
{
	struct sbuf err = SBUF_INIT;
	const struct mail_folder *f;
	int ret;
	while ((ret = m->v->next_folder(m, &f, &err)) != CONV_DONE) {
		sbuf_reset(&err);
		if (ret != CONV_OK || (!f->is_mail && f->kind == ITEM_MAIL))
			continue;
		t->messages += f->messages;
		t->bytes += f->bytes;
		if (f->messages && !f->bytes)
			t->bytes_known = false;
	}
	sbuf_release(&err);
}

static void scan_mailbox(struct mail_reader *r, const struct mail_box *box, struct diag *d,
			 struct progress_totals *t)
{
	struct sbuf err = SBUF_INIT;
	struct mail_mailbox *m = r->v->open_mailbox(r, box, d, NULL, &err);
	sbuf_release(&err);
	if (!m)
		return;
	if (r->v->estimate) {
		struct mail_estimate e;
		r->v->estimate(m, &e);
		t->messages += e.messages;
		t->bytes += e.bytes;
		t->messages_known &= e.messages_known;
		t->bytes_known &= e.bytes_known;
	} else {
		walk_folders(m, t);
	}
	m->v->close_mailbox(m);
}

void prescan(const struct options *o, struct progress_totals *t)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*t = (struct progress_totals){ .messages_known = true, .bytes_known = true };
	struct diag d = { .quiet = true, .write = discard };
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps,
					.index_mem = o->index_mem, .zone = o->zone };
	set.no_public_folders = o->no_public_folders;	/* issue 14 */
	set.fallback = (const char *const *)o->fallback;	/* issue 15 */
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = o->reader->open(o->source, &set, &d, &err);
	if (r) {
		struct select sel;
		select_init(&sel, o);
		const struct mail_box *box;
		int ret;
		while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
			sbuf_reset(&err);
			if (!select_wanted(&sel, box))
				continue;
			t->mailboxes++;
			if (ret == CONV_OK && !box->shared_with)
				scan_mailbox(r, box, &d, t);
		}
		select_release(&sel);
		r->v->close(r);
	} else {
		t->messages_known = t->bytes_known = false;
	}
	sbuf_release(&err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->scan_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

struct prescan {
	pthread_t thread;
	const struct options *o;
	struct progress *p;
};

static void *scan_thread(void *arg)
{
	struct prescan *ps = arg;
	struct progress_totals t;
	prescan(ps->o, &t);
	progress_set_totals(ps->p, &t);
	return NULL;
}

struct prescan *prescan_start(const struct options *o, struct progress *p)
{
	if (!progress_shown(p))
		return NULL;
	struct prescan *ps = xcalloc(1, sizeof(*ps));
	ps->o = o;
	ps->p = p;
	if (pthread_create(&ps->thread, NULL, scan_thread, ps) != 0)
		scan_thread(ps);	/* no thread to be had: scan now, the run waits */
	else
		return ps;
	free(ps);
	return NULL;
}

void prescan_finish(struct prescan **psp)
{
	struct prescan *ps = *psp;
	if (!ps)
		return;
	pthread_join(ps->thread, NULL);
	free(ps);
	*psp = NULL;
}
