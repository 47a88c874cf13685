/*
 * EML writer: every message as its own file, byte for byte the .msg it came
 * from (same SHA-256), DIR/<domain>/<mailbox>/<folder path>/<NNNNNN>.eml,
 * numbered in the folder's export order, mtime = internal date.
 */
#include <stdlib.h>
#include <string.h>

#include "core/outdir.h"
#include "core/outfile.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "eml/eml.h"

struct eml_writer {
	struct mail_writer w;
	struct stage stage;
	struct sbuf dir;
	struct sbuf path;
};

static struct mail_writer *eml_alloc(void)
{
	struct eml_writer *e = xcalloc(1, sizeof(*e));
	sbuf_init(&e->dir);
	sbuf_init(&e->path);
	return &e->w;
}

static int eml_open(struct mail_writer *w, const struct out_target *t,
		    const struct mail_box *box)
{
	struct eml_writer *e = (struct eml_writer *)w;
	(void)box;
	struct sbuf err = SBUF_INIT;
	if (stage_begin_dir(&e->stage, t, NULL, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static int eml_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	struct eml_writer *e = (struct eml_writer *)w;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&e->dir);
	char *copy = xstrdup(f->path);
	char *save = NULL;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (e->dir.len)
			sbuf_addch(&e->dir, '/');
		fsname_escape(&e->dir, p);
	}
	free(copy);
	if (tree_mkdirs(&e->stage.partial, e->dir.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static int eml_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			 struct mail_item_loc *loc)
{
	struct eml_writer *e = (struct eml_writer *)w;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&e->path);
	sbuf_addf(&e->path, "%s/%06u.eml", e->dir.buf, msg->seq);
	struct outfile of;
	if (outfile_create(&of, &e->stage.partial, e->path.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	int ret = msg_copy_range(msg, 0, outfile_sink, &of, &err);
	if (ret == CONV_MSG_BAD) {
		outfile_abort(&of);
		return mail_writer_take_error(w, CONV_MSG_BAD, &err);
	}
	if (outfile_close(&of, msg->received, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_adds(&loc->file, e->path.buf);
	sbuf_release(&err);
	return CONV_OK;
}

static int eml_end_folder(struct mail_writer *w)
{
	(void)w;
	return CONV_OK;
}

static int eml_commit(struct mail_writer *w)
{
	struct eml_writer *e = (struct eml_writer *)w;
	struct sbuf err = SBUF_INIT;
	if (stage_commit(&e->stage, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static void eml_rollback(struct mail_writer *w)
{
	stage_abort(&((struct eml_writer *)w)->stage);
}

static void eml_free(struct mail_writer *w)
{
	struct eml_writer *e = (struct eml_writer *)w;
	eml_rollback(w);
	sbuf_release(&e->dir);
	sbuf_release(&e->path);
	free(e);
}

const struct mail_writer_ops eml_writer_ops = {
	.name = "eml",
	.alloc = eml_alloc,
	.open = eml_open,
	.begin_folder = eml_begin_folder,
	.write_msg = eml_write_msg,
	.end_folder = eml_end_folder,
	.commit = eml_commit,
	.rollback = eml_rollback,
	.free = eml_free,
};
