/*
 * Reading an EML output back (core/check.h).  Where the writer puts a
 * message: <domain>/<mailbox>/<folder parts, escaped>/<NNNNNN>.eml, NNNNNN
 * its place in the folder.  The writer copies the .msg byte for byte, so
 * the file must have the source's SHA-256; the comparison also names the
 * first byte where they part.
 */
#include "eml/check.h"

#include <stdlib.h>
#include <string.h>

#include "core/outdir.h"
#include "core/xalloc.h"

int verify_eml(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	return verify_file(src, path, false, why);
}

static struct mail_check *eml_check_open(const char *dir, const char *out_rel,
					 struct sbuf *err)
{
	(void)err;		/* each message is its own file, opened when compared */
	struct mail_check *c = xcalloc(1, sizeof(*c));
	check_init(c, &eml_check_ops, dir, out_rel);
	return c;
}

static void eml_check_close(struct mail_check *c)
{
	check_release(c);
	free(c);
}

static void eml_locate(const struct mail_check *c, const char *folder,
		       const struct mail_msg *msg, struct check_loc *loc)
{
	struct sbuf s = SBUF_INIT;
	sbuf_adds(&s, c->out_rel);
	char *copy = xstrdup(folder), *save = NULL;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		sbuf_addch(&s, '/');
		fsname_escape_room(&s, p, FSNAME_MAX);
	}
	free(copy);
	sbuf_addf(&s, "/%06u.eml", msg->seq);
	loc->file = sbuf_detach(&s);
}

/* a folder is the directory its files are in */
static void eml_container(const struct check_loc *loc, struct sbuf *out)
{
	char *dir = check_dir_of(loc->file);
	sbuf_adds(out, dir);
	free(dir);
}

static int eml_compare(struct mail_check *c, struct check_line *l, const struct mail_msg *m,
		       struct sbuf *why)
{
	char *path = check_path(c, l->location);
	int ret = verify_eml(m, path, why);
	free(path);
	return ret;
}

/* every file of the tree is a message */
static void eml_list_file(void *ctx, const char *rel, const struct stat *st)
{
	const struct check_lister *l = ctx;
	char *dir = check_dir_of(rel);
	struct check_item it = { .file = rel, .container = dir,
				 .what = S_ISREG(st->st_mode) ? "a file no manifest line names" :
					 "not a regular file" };
	l->item(l->ctx, &it);
	free(dir);
}

static void eml_list(struct mail_check *c, const struct check_lister *l)
{
	check_walk(c, c->out_rel, eml_list_file, (void *)l);
}

static const char *const eml_loc_keys[] = { NULL };

const struct mail_check_ops eml_check_ops = {
	.name = "eml",
	.loc_keys = eml_loc_keys,
	.open = eml_check_open,
	.close = eml_check_close,
	.locate = eml_locate,
	.container = eml_container,
	.compare = eml_compare,
	.list = eml_list,
};
