/*
 * Reading a Maildir output back (core/check.h).  Where the writer puts a
 * message: <domain>/<mailbox>[/.<parts in Dovecot's listescape form,
 * '.'-joined>]/cur/<date>.M<n>_<name, [0-9A-Za-z_-] kept, else
 * %XX>.mdexport:2,<flags> (maildir.h's naming, the writer's own: a second
 * copy of the escaping rules would prove nothing the comparison does not).
 *
 * The writer's one change to the bytes is CRLF to LF,
 * which cannot be undone exactly: an LF in the file may have been an LF or
 * a CRLF in a .msg with mixed line ends.  So the source is put through the
 * same rule and the result must be the file, byte for byte; that proves
 * the file is what the writer makes of this source, and holds every byte
 * of it but the CRs it documents dropping.  The flags and the internal
 * date live only in the file name: they must be the source's.
 */
#include "maildir/check.h"

#include <stdlib.h>
#include <string.h>

#include "core/flags.h"
#include "core/xalloc.h"
#include "maildir/maildir.h"

/*
 * name_fields: from "<date>.M<n>_<name>.mdexport:2,<flags>", the date and
 * the flag letters; -1 when the name does not have that form.
 */
static int name_fields(const char *name, long long *date, const char **letters)
{
	char *end;
	*date = strtoll(name, &end, 10);
	if (end == name || strncmp(end, ".M", 2))
		return -1;
	/* the separator before "2," is the export's (issue 16); locate asked for it */
	const char *info = maildir_info(name);
	size_t tag = strlen(".mdexport");
	if (!info || (size_t)(info - name) < tag || strncmp(info - tag, ".mdexport", tag))
		return -1;
	*letters = info + 3;
	return 0;
}

static void describe_flags(unsigned flags, struct sbuf *out)
{
	char names[64];
	verify_flag_names(flags, names);
	sbuf_adds(out, names);
}

/* check_name: the date and flags the file name carries */
static int check_name(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	long long date;
	const char *letters;
	if (name_fields(name, &date, &letters) < 0) {
		sbuf_addf(why, "the file name '%s' is not <date>.M<n>_<name>.mdexport:2,<flags>",
			  name);
		return VERIFY_DIFFERS;
	}
	char want[8];
	flags_maildir(src->flags, want);
	if (strcmp(letters, want)) {
		sbuf_addf(why, "the flags in the file name are '%s' (", letters);
		unsigned got = 0;
		for (const struct flag_map *f = flag_table; f->flag; f++)
			if (f->maildir && strchr(letters, f->maildir))
				got |= f->flag;
		describe_flags(got, why);
		sbuf_addf(why, "), the source has '%s' (", want);
		describe_flags(src->flags, why);
		sbuf_adds(why, ")");
		return VERIFY_DIFFERS;
	}
	if (date != (long long)src->received) {
		sbuf_addf(why, "the date in the file name is %lld, the source's internal date %lld",
			  date, (long long)src->received);
		return VERIFY_DIFFERS;
	}
	return VERIFY_SAME;
}

int verify_maildir(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	int ret = verify_file(src, path, true, why);
	return ret == VERIFY_SAME ? check_name(src, path, why) : ret;
}

/* ---- the read-back ops ---------------------------------------------------------- */

static struct mail_check *maildir_check_open(const char *dir, const char *out_rel,
					     struct sbuf *err)
{
	(void)err;		/* each message is its own file, opened when compared */
	struct mail_check *c = xcalloc(1, sizeof(*c));
	check_init(c, &maildir_check_ops, dir, out_rel);
	return c;
}

static void maildir_check_close(struct mail_check *c)
{
	check_release(c);
	free(c);
}

static void maildir_locate(const struct mail_check *c, const char *folder,
			   const struct mail_msg *msg, struct check_loc *loc)
{
	struct sbuf s = SBUF_INIT;
	sbuf_adds(&s, c->out_rel);
	if (strcmp(folder, "INBOX")) {
		sbuf_addch(&s, '/');
		maildir_folder_dir(&s, folder);
	}
	sbuf_adds(&s, "/cur/");
	maildir_file_name_sep(&s, msg, 0, c->maildir_flag_sep);
	loc->file = sbuf_detach(&s);
}

/* a folder is the directory above cur/ */
static void maildir_container(const struct check_loc *loc, struct sbuf *out)
{
	char *cur = check_dir_of(loc->file);
	char *folder = check_dir_of(cur);
	sbuf_adds(out, folder);
	free(folder);
	free(cur);
}

static int maildir_compare(struct mail_check *c, struct check_line *l,
			   const struct mail_msg *m, struct sbuf *why)
{
	char *path = check_path(c, l->location);
	int ret = verify_maildir(m, path, why);
	free(path);
	return ret;
}

/* one file of the tree: in cur/, new/ or tmp/ it is a message; other files
 * (subscriptions, indexes) hold none */
static void maildir_list_file(void *ctx, const char *rel, const struct stat *st)
{
	const struct check_lister *l = ctx;
	char *dir = check_dir_of(rel);
	const char *sub = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	if (!strcmp(sub, "cur") || !strcmp(sub, "new") || !strcmp(sub, "tmp")) {
		char *folder = check_dir_of(dir);
		struct check_item it = { .file = rel, .container = folder,
					 .what = S_ISREG(st->st_mode) ?
						 "a message file no manifest line names" :
						 "not a regular file" };
		l->item(l->ctx, &it);
		free(folder);
	}
	free(dir);
}

static void maildir_list(struct mail_check *c, const struct check_lister *l)
{
	check_walk(c, c->out_rel, maildir_list_file, (void *)l);
}

static const char *const maildir_loc_keys[] = { NULL };

const struct mail_check_ops maildir_check_ops = {
	.name = "maildir",
	.loc_keys = maildir_loc_keys,
	.open = maildir_check_open,
	.close = maildir_check_close,
	.locate = maildir_locate,
	.container = maildir_container,
	.compare = maildir_compare,
	.list = maildir_list,
};
