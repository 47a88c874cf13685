/*
 * EML writer: every message as its own file, byte for byte the .msg it came
 * from (same SHA-256), DIR/<domain>/<mailbox>/<folder path>/<NNNNNN>.eml,
 * numbered in the folder's export order, mtime = internal date.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/merge.h"
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
	int final_fd;		/* a round: the earlier rounds' output folder; else -1 */
	unsigned next;		/* a round: the folder's next number (after the earlier rounds') */
};

static struct mail_writer *eml_alloc(void)
{
	struct eml_writer *e = xcalloc(1, sizeof(*e));
	sbuf_init(&e->dir);
	sbuf_init(&e->path);
	e->final_fd = -1;
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
	if (t->merge && (e->final_fd = stage_final_fd(&e->stage, &err)) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

/*
 * last_number: the highest NNNNNN of the NNNNNN.eml names in dir of the
 * earlier rounds' output (0: none): a round numbers its messages on from
 * there, never meeting an earlier name
 */
static unsigned last_number(int final_fd, const char *dir)
{
	int fd = openat(final_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	unsigned last = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		unsigned long n = strtoul(de->d_name, &end, 10);
		if (end != de->d_name && !strcmp(end, ".eml") && n > last && n < UINT_MAX)
			last = (unsigned)n;
	}
	closedir(d);
	return last;
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
	e->next = e->final_fd >= 0 ? last_number(e->final_fd, e->dir.buf) + 1 : 0;
	sbuf_release(&err);
	return CONV_OK;
}

/* eml_item_file: a groupware folder's items (issue 14) beside its folder: Calendar/ and Calendar.ics */
static int eml_item_file(struct mail_writer *w, const struct mail_folder *f, const char *suffix,
			 struct outfile *of, struct sbuf *rel, struct sbuf *err)
{
	struct eml_writer *e = (struct eml_writer *)w;
	(void)f;		/* begin_folder named its directory: e->dir */
	sbuf_add(rel, e->dir.buf, e->dir.len);
	sbuf_adds(rel, suffix);
	return outfile_create(of, &e->stage.partial, rel->buf, err) < 0 ? CONV_FATAL : CONV_OK;
}

static int eml_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			 struct mail_item_loc *loc)
{
	struct eml_writer *e = (struct eml_writer *)w;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&e->path);
	sbuf_addf(&e->path, "%s/%06u.eml", e->dir.buf, e->final_fd >= 0 ? e->next : msg->seq);
	struct outfile of;
	if (outfile_create(&of, &e->stage.partial, e->path.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	outfile_hash_start(&of);	/* the item's bytes, for the manifest (issue 16) */
	int ret = msg_copy_range(msg, 0, outfile_sink, &of, &err);
	outfile_hash_end(&of, loc->sha256);
	if (ret == CONV_MSG_BAD) {
		outfile_abort(&of);
		return mail_writer_take_error(w, CONV_MSG_BAD, &err);
	}
	if (outfile_close(&of, msg->received, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	e->next++;
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
	struct eml_writer *e = (struct eml_writer *)w;
	stage_abort(&e->stage);
	if (e->final_fd >= 0)
		close(e->final_fd);
	e->final_fd = -1;
}

/* eml_remove_item: --prune: an earlier round's file removed when the round is joined */
static int eml_remove_item(struct mail_writer *w, const char *file)
{
	stage_merge_remove(&((struct eml_writer *)w)->stage, file);
	return CONV_OK;
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
	.item_file = eml_item_file,
	.end_folder = eml_end_folder,
	.commit = eml_commit,
	.remove_item = eml_remove_item,
	.rollback = eml_rollback,
	.free = eml_free,
};
