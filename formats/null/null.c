/*
 * The null writer, for --dry-run: it reads every message through to the end
 * (so unreadable files are found) and writes nothing.
 */
#include <stdlib.h>

#include "core/writer.h"
#include "core/xalloc.h"
#include "null/null.h"

static struct mail_writer *null_alloc(void)
{
	return xcalloc(1, sizeof(struct mail_writer));
}

static int null_open(struct mail_writer *w, const struct out_target *t,
		     const struct mail_box *box)
{
	(void)w; (void)t; (void)box;
	return CONV_OK;
}

static int null_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	(void)w; (void)f;
	return CONV_OK;
}

static int discard(void *ctx, const void *data, size_t len)
{
	(void)ctx; (void)data; (void)len;
	return 0;
}

/* null_write_msg: nothing is written, so loc stays empty */
static int null_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			  struct mail_item_loc *loc)
{
	(void)loc;
	struct sbuf err = SBUF_INIT;
	int ret = msg_copy_range(msg, 0, discard, NULL, &err);
	if (ret != CONV_OK)
		return mail_writer_take_error(w, ret, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static int null_done(struct mail_writer *w)
{
	(void)w;
	return CONV_OK;
}

static void null_rollback(struct mail_writer *w)
{
	(void)w;
}

static void null_free(struct mail_writer *w)
{
	free(w);
}

const struct mail_writer_ops null_writer_ops = {
	.name = "null",
	.alloc = null_alloc,
	.open = null_open,
	.begin_folder = null_begin_folder,
	.write_msg = null_write_msg,
	.native_items = true,	/* a dry run counts groupware items as it counts mail */
	.end_folder = null_done,
	.commit = null_done,
	.rollback = null_rollback,
	.free = null_free,
};
