/*
 * Generic writer wrappers.  No format names or format branches here:
 * everything specific lives in formats/<fmt>/, the list of them in
 * formats/formats.c.
 */
#include "core/writer.h"

#include <stdarg.h>
#include <string.h>

struct mail_writer *mail_writer_new(const struct mail_writer_ops *v, struct diag *d)
{
	struct mail_writer *w = v->alloc();
	w->v = v;
	w->diag = d;
	sbuf_init(&w->error);
	return w;
}

int mail_writer_set_error(struct mail_writer *w, int status, const char *fmt, ...)
{
	va_list ap;
	sbuf_reset(&w->error);
	va_start(ap, fmt);
	sbuf_vaddf(&w->error, fmt, ap);
	va_end(ap);
	return status;
}

int mail_writer_take_error(struct mail_writer *w, int status, struct sbuf *err)
{
	/* the callers' err is a local about to go out of scope: it is released here */
	sbuf_reset(&w->error);
	sbuf_add(&w->error, err->buf, err->len);
	sbuf_release(err);
	return status;
}

static int after(struct mail_writer *w, int status)
{
	if (status == CONV_FATAL)
		w->dead = true;
	return status;
}

static int refuse(struct mail_writer *w)
{
	if (!w->dead)
		return 0;
	if (!w->error.len)
		sbuf_adds(&w->error, "output already failed");
	return 1;
}

int mail_writer_open(struct mail_writer *w, const struct out_target *t,
		     const struct mail_box *box)
{
	sbuf_reset(&w->error);
	return after(w, w->v->open(w, t, box));
}

int mail_writer_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	if (refuse(w))
		return CONV_FATAL;
	sbuf_reset(&w->error);
	int ret = after(w, w->v->begin_folder(w, f));
	w->in_folder = ret == CONV_OK;
	return ret;
}

void mail_item_loc_init(struct mail_item_loc *loc)
{
	sbuf_init(&loc->file);
	sbuf_init(&loc->folder);
	loc->offset = -1;
	loc->length = 0;
	loc->node = 0;
	loc->sibling = false;
}

void mail_item_loc_reset(struct mail_item_loc *loc)
{
	sbuf_reset(&loc->file);
	sbuf_reset(&loc->folder);
	loc->offset = -1;
	loc->length = 0;
	loc->node = 0;
	loc->sibling = false;
}

void mail_item_loc_release(struct mail_item_loc *loc)
{
	sbuf_release(&loc->file);
	sbuf_release(&loc->folder);
}

int mail_writer_write_msg(struct mail_writer *w, const struct mail_msg *m,
			  struct mail_item_loc *loc)
{
	mail_item_loc_reset(loc);
	int dead = refuse(w);
	if (dead || !w->in_folder) {	/* write_msg is not called: m->prepared goes */
		mail_writer_prepared_free(w->v, m->prepared);
		if (dead)
			return CONV_FATAL;
		return mail_writer_set_error(w, CONV_FATAL,
					     "BUG: write_msg outside a folder");
	}
	sbuf_reset(&w->error);
	return after(w, w->v->write_msg(w, m, loc));
}

void *mail_writer_prepare(const struct mail_writer_ops *v, const struct mail_msg *m)
{
	return v->prepare ? v->prepare(m) : NULL;
}

void mail_writer_prepared_free(const struct mail_writer_ops *v, void *prepared)
{
	if (prepared && v->prepared_free)
		v->prepared_free(prepared);
}

int mail_writer_end_folder(struct mail_writer *w)
{
	if (refuse(w))
		return CONV_FATAL;
	if (!w->in_folder)
		return CONV_OK;
	w->in_folder = false;
	sbuf_reset(&w->error);
	return after(w, w->v->end_folder(w));
}

int mail_writer_commit(struct mail_writer *w)
{
	if (refuse(w))
		return CONV_FATAL;
	sbuf_reset(&w->error);
	return after(w, w->v->commit(w));
}

void mail_writer_rollback(struct mail_writer *w)
{
	w->v->rollback(w);
}

void mail_writer_free(struct mail_writer **wp)
{
	struct mail_writer *w = *wp;
	if (!w)
		return;
	sbuf_release(&w->error);
	w->v->free(w);
	*wp = NULL;
}
