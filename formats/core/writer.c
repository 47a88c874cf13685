/*
 * Generic writer wrappers.  No format names or format branches here:
 * everything specific lives in formats/<fmt>/, the list of them in
 * formats/formats.c.
 */
#include "core/writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gwitem.h"
#include "core/gwtext.h"
#include "core/xalloc.h"

/*
 * A groupware folder's items as one text file beside its mail (issue 14):
 * made at the folder's first item (a folder without items gets none), its
 * header then, its trailer when the folder ends.  Each item's bytes in it
 * are the item's place in the manifest.
 */
struct gw_sidecar {
	struct outfile out;
	bool open;
	struct gwtext_file text;
	struct sbuf rel;	/* its name in the output */
	struct sbuf buf;
	int64_t newest;		/* the newest item's time: the file's mtime */
};

static struct gw_sidecar *side_get(struct mail_writer *w)
{
	if (!w->side) {
		w->side = xcalloc(1, sizeof(*w->side));
		w->side->out.fd = -1;
		sbuf_init(&w->side->rel);
		sbuf_init(&w->side->buf);
	}
	return w->side;
}

static int side_open(struct mail_writer *w, enum gwtext_kind kind)
{
	struct gw_sidecar *sc = side_get(w);
	struct sbuf suffix = SBUF_INIT, err = SBUF_INIT;
	if (w->round > 1)	/* a round's items beside the earlier rounds' (merge.h) */
		sbuf_addf(&suffix, ".round-%03u", w->round);
	sbuf_adds(&suffix, gwtext_suffix(kind));
	sbuf_reset(&sc->rel);
	int ret = w->v->item_file(w, w->folder, suffix.buf, &sc->out, &sc->rel, &err);
	sbuf_release(&suffix);
	if (ret != CONV_OK)
		return mail_writer_take_error(w, ret, &err);
	sbuf_release(&err);
	struct gwtext_opts o = { .vcard_version = w->vcard_version ? w->vcard_version : 4 };
	gwtext_file_init(&sc->text, kind, &o);
	sbuf_reset(&sc->buf);
	gwtext_begin(&sc->text, &sc->buf);
	outfile_write(&sc->out, sc->buf.buf, sc->buf.len);
	sc->open = true;
	sc->newest = -1;
	return CONV_OK;
}

/* side_write: the item as text; a folder's items of another kind (a task in a calendar) too */
static int side_write(struct mail_writer *w, const struct mail_msg *m, struct mail_item_loc *loc)
{
	if (!w->v->item_file)
		return mail_writer_set_error(w, CONV_MSG_BAD, "'%s': the %s format keeps no %s "
					     "items; not exported", m->origin, w->v->name,
					     gw_kind_name(m->kind));
	enum gwtext_kind kind = gwtext_kind_for(m->kind);
	struct gw_sidecar *sc = w->side;
	if (!sc || !sc->open) {
		int ret = side_open(w, kind);
		if (ret != CONV_OK)
			return ret;
		sc = w->side;
	} else if (sc->text.kind != kind) {
		return mail_writer_set_error(w, CONV_MSG_BAD, "'%s': a %s item in a folder of "
					     "another kind ('%s'); not exported", m->origin,
					     gw_kind_name(m->kind), w->folder->path);
	}
	sbuf_reset(&sc->buf);
	gwtext_item(&sc->text, m->gw, &sc->buf);
	uint64_t start = sc->out.offset;
	outfile_hash_start(&sc->out);
	outfile_write(&sc->out, sc->buf.buf, sc->buf.len);
	outfile_hash_end(&sc->out, loc->sha256);
	if (outfile_failed(&sc->out))
		return mail_writer_set_error(w, CONV_FATAL, "cannot write '%s': %s", sc->out.path,
					     strerror(sc->out.error));
	if (m->received > sc->newest)
		sc->newest = m->received;
	sbuf_adds(&loc->file, sc->rel.buf);
	loc->offset = (int64_t)start;
	loc->length = sc->out.offset - start;
	return CONV_OK;
}

static int side_close(struct mail_writer *w)
{
	struct gw_sidecar *sc = w->side;
	if (!sc || !sc->open)
		return CONV_OK;
	sbuf_reset(&sc->buf);
	gwtext_end(&sc->text, &sc->buf);
	outfile_write(&sc->out, sc->buf.buf, sc->buf.len);
	gwtext_file_release(&sc->text);
	sc->open = false;
	struct sbuf err = SBUF_INIT;
	if (outfile_close(&sc->out, sc->newest, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static void side_free(struct mail_writer *w)
{
	struct gw_sidecar *sc = w->side;
	if (!sc)
		return;
	if (sc->open) {
		outfile_abort(&sc->out);
		gwtext_file_release(&sc->text);
	}
	sbuf_release(&sc->rel);
	sbuf_release(&sc->buf);
	free(sc);
	w->side = NULL;
}

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
	w->vcard_version = t ? t->vcard_version : 0;
	w->round = t ? t->round : 0;
	return after(w, w->v->open(w, t, box));
}

int mail_writer_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	if (refuse(w))
		return CONV_FATAL;
	sbuf_reset(&w->error);
	int ret = after(w, w->v->begin_folder(w, f));
	w->in_folder = ret == CONV_OK;
	w->folder = f;
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
	loc->sha256[0] = '\0';
}

void mail_item_loc_reset(struct mail_item_loc *loc)
{
	sbuf_reset(&loc->file);
	sbuf_reset(&loc->folder);
	loc->offset = -1;
	loc->length = 0;
	loc->node = 0;
	loc->sibling = false;
	loc->sha256[0] = '\0';
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
	if (m->kind != ITEM_MAIL && !w->v->native_items) {
		mail_writer_prepared_free(w->v, m->prepared);
		return after(w, side_write(w, m, loc));
	}
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
	int ret = after(w, side_close(w));
	if (ret != CONV_OK)
		return ret;
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
	side_free(w);
	w->v->rollback(w);
}

void mail_writer_free(struct mail_writer **wp)
{
	struct mail_writer *w = *wp;
	if (!w)
		return;
	sbuf_release(&w->error);
	side_free(w);
	w->v->free(w);
	*wp = NULL;
}
