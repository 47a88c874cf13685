/*
 * Maildir++ writer: DIR/<domain>/<mailbox>/ is the Maildir; INBOX is its
 * top, every other folder a ".A.B" directory as Dovecot and Courier read it.
 *
 * Folder names: each '/'-separated part is written in IMAP modified UTF-7,
 * then '.', '\' anywhere and '~' at the start of a part become "\2e", "\5c"
 * and "\7e" -- exactly what Dovecot's listescape plugin (listescape_char
 * "\\", separator "/") reads and writes, so "Clients.Acme Corp" stays one
 * folder instead of becoming Clients/Acme Corp.  (README, "Maildir".)
 *
 * Messages go to cur/ as <internal date>.M<seq>_<source name>.mdexport:2,<flags>
 * with LF line ends and the file's mtime set to the internal date.  Names
 * are derived from the source, so a re-run writes the same tree.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/linefilter.h"
#include "core/mutf7.h"
#include "core/merge.h"
#include "core/outdir.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "maildir/maildir.h"
#include "maildir/uidlist.h"

struct maildir_writer {
	struct mail_writer w;
	struct stage stage;
	struct sbuf folder_dir;		/* cur/ of the current folder lives here */
	struct sbuf subscriptions;
	struct sbuf path;
	unsigned round;		/* export --incremental: the round (> 1: joined to the earlier) */
	char sep;		/* issue 16: the info separator (--maildir-flag-separator) */
	struct uidlist_w *uids;	/* issue 16: the folder's dovecot-uidlist */
};

static struct mail_writer *maildir_alloc(void)
{
	struct maildir_writer *m = xcalloc(1, sizeof(*m));
	sbuf_init(&m->folder_dir);
	sbuf_init(&m->subscriptions);
	sbuf_init(&m->path);
	m->uids = uidlist_w_new();
	return &m->w;
}

/* escape_part: one folder-name part in Dovecot's on-disk form */
static void escape_part(struct sbuf *out, const char *part)
{
	struct sbuf enc = SBUF_INIT;
	mutf7_encode(&enc, part);
	for (size_t i = 0; i < enc.len; i++) {
		char c = enc.buf[i];
		if (c == '.' || c == '\\' || (c == '~' && i == 0))
			sbuf_addf(out, "\\%02x", (unsigned char)c);
		else
			sbuf_addch(out, c);
	}
	sbuf_release(&enc);
}

void maildir_folder_parts(struct sbuf *out, const char *path, char sep)
{
	char *copy = xstrdup(path);
	char *save = NULL;
	bool first = true;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!first)
			sbuf_addch(out, sep);
		escape_part(out, p);
		first = false;
	}
	free(copy);
}

/* make_maildir: cur/ new/ tmp/ in dir ("" : the top), and the subfolder marker */
static int make_maildir(struct tree *top, const char *dir, bool subfolder, struct sbuf *err)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };
	struct sbuf p = SBUF_INIT;
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < 3; i++) {
		sbuf_reset(&p);
		sbuf_addf(&p, "%s%s%s", dir, *dir ? "/" : "", subdirs[i]);
		ret = tree_mkdirs(top, p.buf, err);
	}
	if (ret == 0 && subfolder) {
		struct outfile of;
		sbuf_reset(&p);
		sbuf_addf(&p, "%s/maildirfolder", dir);
		ret = outfile_create(&of, top, p.buf, err);
		if (ret == 0)
			ret = outfile_close(&of, -1, err);
	}
	sbuf_release(&p);
	return ret;
}

static int maildir_open(struct mail_writer *w, const struct out_target *t,
			const struct mail_box *box)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	(void)box;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&m->subscriptions);
	/*
	 * the root Maildir (INBOX) is always made, so always subscribed, also
	 * for a mailbox with no INBOX folder (public folders, issue 14)
	 */
	sbuf_adds(&m->subscriptions, "V\t2\n\nINBOX\n");
	m->round = t->merge ? t->round : 0;
	m->sep = t->maildir_flag_sep;
	if (!m->sep)
		m->sep = ':';
	if (stage_begin_dir(&m->stage, t, NULL, &err) < 0 ||
	    make_maildir(&m->stage.partial, "", false, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static int maildir_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&m->folder_dir);
	if (strcmp(f->path, "INBOX")) {
		if (maildir_folder_dir(&m->folder_dir, f->path))
			diag_warn(w->diag, "folder '%s' is too long for one Maildir++ "
				  "directory name; written as '%s'", f->path,
				  m->folder_dir.buf);
		if (make_maildir(&m->stage.partial, m->folder_dir.buf, true, &err) < 0)
			return mail_writer_take_error(w, CONV_FATAL, &err);
		/* subscriptions name what is on disk: its parts, tab-separated */
		for (const char *p = m->folder_dir.buf + 1; *p; p++)
			sbuf_addch(&m->subscriptions, *p == '.' ? '\t' : *p);
		sbuf_addch(&m->subscriptions, '\n');
	}	/* INBOX: subscribed at open */
	uidlist_w_begin(m->uids, f, m->folder_dir.buf);
	sbuf_release(&err);
	return CONV_OK;
}

/*
 * maildir_item_file: a groupware folder's items (issue 14) in the Maildir's
 * root, named as its folder's directory without the leading dot
 * (.Calendar: Calendar.ics; .Clients.Acme: Clients.Acme.ics); INBOX's:
 * INBOX.ics.  A file there is no folder to Dovecot or any Maildir++ reader.
 */
static int maildir_item_file(struct mail_writer *w, const struct mail_folder *f,
			     const char *suffix, struct outfile *of, struct sbuf *rel,
			     struct sbuf *err)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	sbuf_adds(rel, strcmp(f->path, "INBOX") ? m->folder_dir.buf + 1 : "INBOX");
	sbuf_adds(rel, suffix);
	return outfile_create(of, &m->stage.partial, rel->buf, err) < 0 ? CONV_FATAL : CONV_OK;
}

/*
 * name_digest: 64 bits of the SHA-256 of a name that must be shortened; a
 * cryptographic digest, so that names cannot be made to collide on purpose
 * (and two that did would fail on the O_EXCL maildirfolder, never merge)
 */
static uint64_t name_digest(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t h = 0;
	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL))
		for (int i = 0; i < 8; i++)
			h = h << 8 | md[i];
	return h;
}

bool maildir_folder_dir(struct sbuf *out, const char *path)
{
	size_t start = out->len;
	sbuf_addch(out, '.');
	maildir_folder_parts(out, path, '.');
	if (out->len - start <= MAILDIR_NAME_MAX)
		return false;
	/*
	 * Longer than a file name may be (a deep or long folder path): keep the
	 * leading whole parts that fit and end with a part that names this
	 * folder by a digest of its full name, so that each long folder gets
	 * its own directory, under the ancestors a reader shows it beneath.
	 */
	char tail[40];
	int tn = snprintf(tail, sizeof(tail), ".mdexport-%016llx",
			  (unsigned long long)name_digest(out->buf + start));
	size_t keep = 0;	/* length of the whole parts that fit, dot excluded */
	for (size_t i = start + 1; i < out->len && i - start + (size_t)tn <= MAILDIR_NAME_MAX; i++)
		if (out->buf[i] == '.')
			keep = i - start;
	sbuf_setlen(out, start + keep);	/* keep 0: a top-level ".mdexport-..." */
	sbuf_adds(out, tail);
	return true;
}

void maildir_file_name(struct sbuf *out, const struct mail_msg *msg)
{
	maildir_file_name_round(out, msg, 0);
}

void maildir_file_name_round(struct sbuf *out, const struct mail_msg *msg, unsigned round)
{
	maildir_file_name_sep(out, msg, round, ':');
}

const char *maildir_info(const char *name)
{
	for (size_t i = strlen(name); i-- > 0; )
		if (strchr(MAILDIR_INFO_SEPS, name[i]) && name[i + 1] == '2' && name[i + 2] == ',')
			return name + i;
	return NULL;
}

void maildir_file_name_sep(struct sbuf *out, const struct mail_msg *msg, unsigned round,
			   char sep)
{
	size_t start = out->len;
	sbuf_addf(out, "%lld.M%u", (long long)msg->received, msg->seq);
	if (round > 1)
		sbuf_addf(out, "R%u", round);
	sbuf_addch(out, '_');
	char letters[8], suffix[24];
	flags_maildir(msg->flags, letters);
	snprintf(suffix, sizeof(suffix), ".mdexport%c2,%s", sep ? sep : ':', letters);
	size_t n = strlen(msg->name);
	if (n > 4 && !strcasecmp(msg->name + n - 4, ".msg"))
		n -= 4;
	/*
	 * The source name is only a help to the eye (M<seq> makes the name
	 * unique in its folder): it is cut where the whole name would pass
	 * the file name limit, so that a long .msg name cannot fail the export.
	 */
	size_t room = MAILDIR_NAME_MAX - (out->len - start) - strlen(suffix);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg->name[i];
		bool plain = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
			     (c >= 'a' && c <= 'z') || c == '-' || c == '_';
		size_t need = plain ? 1 : 3;
		if (need > room)
			break;
		room -= need;
		if (plain)
			sbuf_addch(out, c);
		else
			sbuf_addf(out, "%%%02X", c);
	}
	sbuf_adds(out, suffix);
}

static int maildir_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			     struct mail_item_loc *loc)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	struct sbuf err = SBUF_INIT;
	sbuf_reset(&m->path);
	sbuf_addf(&m->path, "%s%scur/", m->folder_dir.buf, m->folder_dir.len ? "/" : "");
	size_t name_at = m->path.len;
	maildir_file_name_sep(&m->path, msg, m->round, m->sep);
	struct outfile of;
	if (outfile_create(&of, &m->stage.partial, m->path.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	struct linefilter lf;
	outfile_hash_start(&of);	/* the item's bytes, for the manifest (issue 16) */
	linefilter_init(&lf, &of, false);
	int ret = msg_copy_range(msg, 0, linefilter_push, &lf, &err);
	linefilter_finish(&lf);
	outfile_hash_end(&of, loc->sha256);
	if (ret == CONV_MSG_BAD) {
		outfile_abort(&of);
		return mail_writer_take_error(w, CONV_MSG_BAD, &err);
	}
	if (outfile_close(&of, msg->received, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_adds(&loc->file, m->path.buf);
	uidlist_w_add(m->uids, msg, m->path.buf + name_at);
	sbuf_release(&err);
	return CONV_OK;
}

/* maildir_end_folder: the folder's dovecot-uidlist (issue 16), joined to the earlier in a round */
static int maildir_end_folder(struct mail_writer *w)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	struct sbuf err = SBUF_INIT;
	int final_fd = m->round > 1 ? stage_final_fd(&m->stage, &err) : -1;
	if ((m->round > 1 && final_fd < 0) ||
	    uidlist_w_end(m->uids, &m->stage.partial, final_fd, w->diag, &err) < 0) {
		if (final_fd >= 0)
			close(final_fd);
		return mail_writer_take_error(w, CONV_FATAL, &err);
	}
	if (final_fd >= 0)
		close(final_fd);
	sbuf_release(&err);
	return CONV_OK;
}

static int maildir_commit(struct mail_writer *w)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	struct sbuf err = SBUF_INIT;
	struct outfile of;
	sbuf_reset(&m->path);
	sbuf_adds(&m->path, "subscriptions");
	if (outfile_create(&of, &m->stage.partial, m->path.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	outfile_write(&of, m->subscriptions.buf, m->subscriptions.len);
	if (outfile_close(&of, -1, &err) < 0 || stage_commit(&m->stage, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

/*
 * maildir_update_flags: a message an earlier round wrote whose flags have
 * changed since: its name's flags part (after ":2,") is renamed when the
 * round is joined to the earlier output
 */
static int maildir_update_flags(struct mail_writer *w, const char *file,
				const struct mail_msg *msg, struct mail_item_loc *loc)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	const char *info = maildir_info(base);
	if (!info)
		return mail_writer_set_error(w, CONV_MSG_BAD, "'%s' has no Maildir flags part", file);
	char letters[8];
	flags_maildir(msg->flags, letters);
	sbuf_reset(&loc->file);
	sbuf_add(&loc->file, file, (size_t)(info - file) + 3);	/* its own separator kept */
	sbuf_adds(&loc->file, letters);
	stage_merge_rename(&m->stage, file, loc->file.buf);
	uidlist_w_rename(m->uids, base, loc->file.buf + (base - file));
	return CONV_OK;
}

/* maildir_remove_item: --prune: an earlier round's file removed when the round is joined */
static int maildir_remove_item(struct mail_writer *w, const char *file)
{
	stage_merge_remove(&((struct maildir_writer *)w)->stage, file);
	return CONV_OK;
}

static void maildir_rollback(struct mail_writer *w)
{
	stage_abort(&((struct maildir_writer *)w)->stage);
}

static void maildir_free(struct mail_writer *w)
{
	struct maildir_writer *m = (struct maildir_writer *)w;
	maildir_rollback(w);
	sbuf_release(&m->folder_dir);
	sbuf_release(&m->subscriptions);
	sbuf_release(&m->path);
	uidlist_w_free(m->uids);
	free(m);
}

const struct mail_writer_ops maildir_writer_ops = {
	.name = "maildir",
	.alloc = maildir_alloc,
	.open = maildir_open,
	.begin_folder = maildir_begin_folder,
	.write_msg = maildir_write_msg,
	.item_file = maildir_item_file,
	.end_folder = maildir_end_folder,
	.commit = maildir_commit,
	.update_flags = maildir_update_flags,
	.remove_item = maildir_remove_item,
	.rollback = maildir_rollback,
	.free = maildir_free,
};
