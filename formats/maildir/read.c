/*
 * The Maildir++ reader: SOURCE is one Maildir (Dovecot's or Courier's
 * layout, or what this project's Maildir writer makes), read as one
 * mailbox.  INBOX is the top (cur/ and new/); every ".A.B" subdirectory
 * holding cur/ or new/ is the folder A/B, each part's escapes undone
 * ("\2e" '.', "\5c" '\', "\7e" '~': Dovecot's listescape with '\') and then
 * decoded from IMAP modified UTF-7 -- the inverse of maildir.c's names.
 *
 * Messages are the regular files of cur/ and new/ (tmp/ is never read), in
 * UID order when the folder's dovecot-uidlist gives UIDs (the files it
 * does not list after), else in name order; flags come from the
 * ":2,<letters>" suffix of a name (in new/ too, as Dovecot reads it), the
 * internal date from the file's mtime.  Bytes are handed out as they
 * are on disk (a Maildir file has LF line ends; nothing is converted).
 *
 * Nothing here writes: SOURCE is opened O_DIRECTORY, everything below it
 * with openat() relative to its parent's descriptor and O_NOFOLLOW (and
 * O_NOATIME where permitted); a symbolic link is a warning and is skipped.
 */
#include "maildir/maildir.h"
#include "maildir/uidlist.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/onebox.h"
#include "core/recsort.h"
#include "core/settle.h"
#include "core/filemsg.h"
#include "core/flags.h"
#include "core/mutf7.h"
#include "core/srcdir.h"
#include "core/sysio.h"
#include "core/xalloc.h"

/* the first read of a message, and how far it is extended to find the end of its header */

struct mr_folder {
	char *path;		/* logical, UTF-8, '/'-separated */
	char *dir;		/* directory name in SOURCE; NULL: INBOX (SOURCE itself) */
};

/*
 * A message file as the folder's index holds it, decoded from a record of
 * core/recsort.h: the index of a folder of a million files stays flat.
 */
struct mr_entry {
	const char *name;
	int sub;		/* 0: cur/, 1: new/ */
	uint64_t size;
	uint32_t uid;		/* from dovecot-uidlist; 0: none */
};

static const char *const sub_names[2] = { "cur", "new" };

struct mr_reader {
	struct onebox ob;	/* first: the store and its one mailbox (core/onebox.h) */
	int root_fd;		/* SOURCE, open while the reader is */
	char *root;		/* its absolute path (the source as given when unknown) */
	char *mailbox;
	struct mr_folder *folders;
	size_t nfolders, next_folder;
	bool folders_listed;
	struct mail_folder folder;
	char *folder_origin;
	int sub_fd[2];		/* cur/ and new/ of the current folder; -1: none */
	size_t index_mem;	/* reader_settings.index_mem */
	struct recsort *index;	/* the folder's files in the order they are given */
	struct mr_entry cur;	/* the last one given (its name in cur_name) */
	struct sbuf cur_name;
	size_t next_entry;
	struct mail_msg msg;
	struct file_msg file;	/* the open message file */
	struct sbuf prefix;
	char *msg_origin;
	struct msg_hash *hash;
	/* live stores (core/settle.h): cur/ and new/ as listed, checked at the folder's end */
	struct name_digest listed[2];
	bool listed_ok[2];
	bool folder_checked;
	unsigned unsettled;		/* folders found changed (mr_unsettled) */
	struct sbuf unsettled_what;
};

/* ---- files and directories ------------------------------------------------------ */

/* has_mail_dirs: dirfd holds cur/ or new/ as a directory (links not counted) */
static bool has_mail_dirs(int dirfd)
{
	struct stat st;
	for (int i = 0; i < 2; i++)
		if (fstatat(dirfd, sub_names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			return true;
	return false;
}

/* ---- folder names --------------------------------------------------------------- */

/*
 * decode_amp: a part whose only encoding is "&-" (what mutf7_encode makes of
 * '&', and mutf7_decode leaves alone when nothing else is encoded): append
 * it with '&' for each "&-" and return true; false, appending nothing, for
 * any other part holding '&' or a byte that is not printable ASCII
 */
static bool decode_amp(struct sbuf *out, const struct sbuf *part)
{
	bool any = false;
	for (size_t i = 0; i < part->len; i++) {
		unsigned char c = (unsigned char)part->buf[i];
		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == '&') {
			if (i + 1 >= part->len || part->buf[i + 1] != '-')
				return false;
			any = true;
		}
	}
	if (!any)
		return false;
	for (size_t i = 0; i < part->len; i++) {
		sbuf_addch(out, part->buf[i]);
		if (part->buf[i] == '&')
			i++;	/* its '-' */
	}
	return true;
}

/*
 * maildir_folder_path: append the logical path of the Maildir++ directory
 * name dir (its leading '.' included): parts split at '.', each unescaped
 * and then decoded from modified UTF-7.  Returns false when some part
 * looked encoded ('&') but did not decode; it is then kept as it is.
 */
bool maildir_folder_path(struct sbuf *out, const char *dir)
{
	bool ok = true;
	struct sbuf part = SBUF_INIT;
	const char *p = dir + (*dir == '.');
	for (;;) {
		const char *end = strchr(p, '.');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		sbuf_reset(&part);
		for (size_t i = 0; i < n; i++) {
			int hi, lo;
			if (p[i] == '\\' && i + 2 < n && (hi = g_ascii_xdigit_value(p[i + 1])) >= 0 &&
			    (lo = g_ascii_xdigit_value(p[i + 2])) >= 0 && (hi || lo)) {
				sbuf_addch(&part, hi << 4 | lo);
				i += 2;
			} else {
				sbuf_addch(&part, p[i]);
			}
		}
		if (!mutf7_decode(out, part.buf, part.len) && !decode_amp(out, &part)) {
			if (memchr(part.buf, '&', part.len))
				ok = false;
			sbuf_add(out, part.buf, part.len);
		}
		if (!end)
			break;
		sbuf_addch(out, '/');
		p = end + 1;
	}
	sbuf_release(&part);
	return ok;
}

/* ---- folders -------------------------------------------------------------------- */

static void folders_release(struct mr_reader *r)
{
	for (size_t i = 0; i < r->nfolders; i++) {
		free(r->folders[i].path);
		free(r->folders[i].dir);
	}
	free(r->folders);
	r->folders = NULL;
	r->nfolders = r->next_folder = 0;
}

static void add_folder(struct mr_reader *r, char *path, const char *dir)
{
	r->folders = xreallocarray(r->folders, r->nfolders + 1, sizeof(*r->folders));
	r->folders[r->nfolders].path = path;
	r->folders[r->nfolders].dir = dir ? xstrdup(dir) : NULL;
	r->nfolders++;
}

/* INBOX first, then by path, so that output is the same on every run */
static int cmp_folder(const void *a, const void *b)
{
	const struct mr_folder *x = a, *y = b;
	if (!x->dir != !y->dir)
		return x->dir ? 1 : -1;
	int c = strcmp(x->path, y->path);
	return c ? c : strcmp(x->dir ? x->dir : "", y->dir ? y->dir : "");
}

/* folder_candidate: the directory entry is a Maildir++ folder (warn: say so of a link) */
static bool folder_candidate(struct mr_reader *r, const struct src_name *e, bool warn)
{
	if (e->name[0] != '.')
		return false;
	if (e->kind == SRC_LINK) {
		if (warn)
			diag_warn(r->ob.m.diag, "'%s' is a symbolic link; not followed", e->name);
		return false;
	}
	if (e->kind != SRC_DIR)
		return false;
	int fd = src_open_dir_at(r->root_fd, e->name);
	if (fd < 0) {	/* unreadable but named like one: reported when it is read */
		return errno != ENOENT;
	}
	bool yes = has_mail_dirs(fd);
	close(fd);
	return yes;
}

static void load_folders(struct mr_reader *r)
{
	folders_release(r);
	add_folder(r, xstrdup("INBOX"), NULL);
	struct src_name *v;
	ssize_t n = src_list_dir(r->root_fd, &v);
	if (n < 0)
		return;		/* reported when INBOX is read */
	for (size_t i = 0; i < (size_t)n; i++) {
		if (!folder_candidate(r, &v[i], true))
			continue;
		struct sbuf path = SBUF_INIT;
		if (!maildir_folder_path(&path, v[i].name))
			diag_warn(r->ob.m.diag, "'%s': a part of the folder name is not valid "
				  "modified UTF-7; kept as it is: '%s'", v[i].name, path.buf);
		for (size_t k = 0; k < r->nfolders; k++)
			if (!strcmp(r->folders[k].path, path.buf))
				diag_warn(r->ob.m.diag, "'%s' is also folder '%s' ('%s'); both are "
					  "read", v[i].name, path.buf,
					  r->folders[k].dir ? r->folders[k].dir : ".");
		add_folder(r, sbuf_detach(&path), v[i].name);
	}
	src_names_free(v, (size_t)n);
	qsort(r->folders, r->nfolders, sizeof(*r->folders), cmp_folder);
}

/* ---- messages of one folder ----------------------------------------------------- */

static void entries_release(struct mr_reader *r)
{
	recsort_free(r->index);
	r->index = NULL;
	r->next_entry = 0;
	for (int i = 0; i < 2; i++) {
		if (r->sub_fd[i] >= 0)
			close(r->sub_fd[i]);
		r->sub_fd[i] = -1;
	}
}

/*
 * The index is built in two sorts (core/recsort.h compares records as
 * memcmp does, so each record starts with its sort key):
 *   by base name ("<base>\0" <sub> "<name>\0" <size>), to meet the
 *   dovecot-uidlist records ("<base>\0" <uid>) in one pass, and then
 *   in the order given: by UID when the folder has them, the files without
 *   one after, in name order (<0 with UID, 1 without> <uid> "<name>\0"
 *   <sub> <size>; UIDs big-endian so that memcmp orders them).
 */
static void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * base_len: a file name's base, the part before its info: before the
 * ':', ';' or '!' of "2,<flags>" (issue 16: a Maildir written for a
 * Windows share), else up to the first ':' (as Dovecot reads it)
 */
static size_t base_len(const char *name)
{
	const char *info = maildir_info(name);
	return info ? (size_t)(info - name) : strcspn(name, ":");
}

/* add_file: a file of cur/ or new/ to the by-base-name sort */
static void add_file(struct recsort *by_base, const char *name, int sub, uint64_t size,
		     struct sbuf *rec)
{
	sbuf_reset(rec);
	sbuf_add(rec, name, base_len(name));
	sbuf_addch(rec, '\0');
	sbuf_addch(rec, (char)sub);
	sbuf_add(rec, name, strlen(name) + 1);
	sbuf_add(rec, &size, sizeof(size));
	recsort_add(by_base, rec->buf, rec->len);
}

/* add_entry: a file with its UID (0: none) to the index in the order given */
static void add_entry(struct recsort *index, const char *name, int sub, uint64_t size,
		      uint32_t uid, struct sbuf *rec)
{
	uint8_t key[5] = { uid ? 0 : 1 };
	put_u32be(key + 1, uid);
	sbuf_reset(rec);
	sbuf_add(rec, key, sizeof(key));
	sbuf_add(rec, name, strlen(name) + 1);
	sbuf_addch(rec, (char)sub);
	sbuf_add(rec, &size, sizeof(size));
	recsort_add(index, rec->buf, rec->len);
}

/* decode_entry: an index record back into e (e->name points into it) */
static void decode_entry(const uint8_t *p, size_t len, struct mr_entry *e)
{
	e->uid = get_u32be(p + 1);
	e->name = (const char *)p + 5;
	size_t n = strlen(e->name) + 1;
	e->sub = p[5 + n];
	memcpy(&e->size, p + 5 + n + 1, sizeof(e->size));
	(void)len;
}

/* where: the folder's directory relative to SOURCE, as a prefix ("" or ".A/") */
static const char *where(const struct mr_reader *r)
{
	return r->folders[r->next_folder - 1].dir ? r->folder_origin : NULL;
}

static void sub_display(const struct mr_reader *r, int sub, const char *name, struct sbuf *out)
{
	sbuf_reset(out);
	const char *w = where(r);
	if (w)
		sbuf_addf(out, "%s/", w);
	sbuf_adds(out, sub_names[sub]);
	if (name)
		sbuf_addf(out, "/%s", name);
}

/* warn_odd: the names of a sub that are not message files, said in name order */
static void warn_odd(struct mr_reader *r, struct recsort *odd, const char *disp)
{
	const void *p;
	size_t len;
	while (recsort_next(odd, &p, &len) == 1) {
		const char *name = p;
		if (name[len - 1] == (char)SRC_LINK)
			diag_warn(r->ob.m.diag, "'%s/%.*s' is a symbolic link; not followed",
				  disp, (int)(len - 2), name);
		else
			diag_warn(r->ob.m.diag, "'%s/%.*s' is not a regular file; skipped",
				  disp, (int)(len - 2), name);
	}
}

/*
 * list_sub: every file of cur/ or new/ (open as sfd) to by_base, as the
 * directory gives them (never all the names in memory at once), and what
 * is not a message file to odd ("<name>\0" <kind>)
 */
static int list_sub(int sfd, int sub, struct recsort *by_base, struct recsort *odd,
		    uint64_t *count, struct name_digest *listed)
{
	struct src_iter it;
	if (src_iter_open(&it, sfd) < 0)
		return -1;
	struct sbuf rec = SBUF_INIT;
	const char *name;
	enum src_kind kind;
	int got;
	struct stat st;
	while ((got = src_iter_next(&it, &name, &kind)) == 1) {
		if (name[0] == '.')
			continue;
		name_digest_add(listed, name);
		if (kind != SRC_FILE) {
			sbuf_reset(&rec);
			sbuf_add(&rec, name, strlen(name) + 1);
			sbuf_addch(&rec, (char)kind);
			recsort_add(odd, rec.buf, rec.len);
			continue;
		}
		uint64_t size = fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
				(uint64_t)st.st_size : 0;
		add_file(by_base, name, sub, size, &rec);
		++*count;
	}
	int e = errno;
	src_iter_close(&it);
	sbuf_release(&rec);
	errno = e;
	return got;
}

/* scan_sub: the messages of cur/ (sub 0) or new/ (1) of the folder open as fd, to by_base */
static int scan_sub(struct mr_reader *r, int fd, int sub, struct recsort *by_base,
		    uint64_t *count, struct sbuf *err)
{
	struct sbuf disp = SBUF_INIT;
	int ret = CONV_OK;
	sub_display(r, sub, NULL, &disp);
	struct stat st;
	bool there = fstatat(fd, sub_names[sub], &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!there && errno == ENOENT)
		goto out;	/* a Maildir may lack one of them */
	if (there && S_ISLNK(st.st_mode)) {
		diag_warn(r->ob.m.diag, "'%s' is a symbolic link; not followed", disp.buf);
		goto out;
	}
	int sfd = src_open_dir_at(fd, sub_names[sub]);
	struct recsort *odd = recsort_new(r->index_mem, recsort_memcmp, NULL);
	r->listed[sub] = (struct name_digest){ 0 };
	if (sfd < 0 || list_sub(sfd, sub, by_base, odd, count, &r->listed[sub]) < 0) {
		sbuf_addf(err, "%scannot read folder '%s': %s", err->len ? "; " : "",
			  disp.buf, strerror(errno));
		if (sfd >= 0)
			close(sfd);
		recsort_free(odd);
		ret = CONV_FOLDER_BAD;
		goto out;
	}
	r->sub_fd[sub] = sfd;
	r->listed_ok[sub] = true;
	warn_odd(r, odd, disp.buf);
	recsort_free(odd);
out:
	sbuf_release(&disp);
	return ret;
}

/* ---- dovecot-uidlist ------------------------------------------------------------ */

/*
 * Dovecot keeps each folder's UIDs in dovecot-uidlist, in the folder's own
 * directory (as maildir-uidlist.c writes and reads it):
 *   version 1: header "1 <uidvalidity> <uidnext>", lines "<uid> <file name>"
 *   version 3: header "3 V<uidvalidity> N<uidnext> G<guid> ..." (a key
 *              letter and its value per field), lines
 *              "<uid> [<key><value> ...] :<file name>"
 * UIDs ascend; a file name is its base name (up to the first ':', where
 * the flags begin) and holds no '/'.  Anything else makes the whole file
 * untrusted: better no UIDs than wrong ones.
 */
struct uidlist {
	unsigned version;
	uint32_t uidvalidity, uidnext, last_uid;
	struct recsort *recs;	/* "<base>\0" <uid, big-endian>: by base name, then UID */
	struct sbuf rec;
};

static void uidlist_release(struct uidlist *u)
{
	recsort_free(u->recs);
	sbuf_release(&u->rec);
	*u = (struct uidlist){ 0 };
}

/* parse_v3_header: "V<uidvalidity> N<uidnext> ..." (other keys, G the GUID among them, skipped) */
static const char *parse_v3_header(struct uidlist *u, const char *p)
{
	while (*p) {
		char key = *p++;
		uint32_t *want = key == 'V' ? &u->uidvalidity : key == 'N' ? &u->uidnext : NULL;
		if (want && (!uidlist_parse_u32(&p, want) || (*p && *p != ' ')))
			return key == 'V' ? "UIDVALIDITY is not a number" : "next UID is not a number";
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

/* parse_header: the first line; NULL, or what is wrong with it */
static const char *parse_header(struct uidlist *u, const char *line)
{
	if (line[0] < '0' || line[0] > '9' || line[1] != ' ')
		return "no version number";
	u->version = (unsigned)(line[0] - '0');
	const char *p = line + 2;
	if (u->version == 1) {
		if (!uidlist_parse_u32(&p, &u->uidvalidity) || *p++ != ' ' ||
		    !uidlist_parse_u32(&p, &u->uidnext))
			return "not '1 <uidvalidity> <next uid>'";
	} else if (u->version == 3) {
		const char *why = parse_v3_header(u, p);
		if (why)
			return why;
	} else {
		return "a version other than 1 and 3";
	}
	if (!u->uidvalidity || !u->uidnext)
		return "no UIDVALIDITY or next UID";
	return NULL;
}

/* parse_entry: a "<uid> ... <file name>" line; NULL, or what is wrong with it */
static const char *parse_entry(struct uidlist *u, const char *line)
{
	const char *p = line;
	uint32_t uid;
	if (!uidlist_parse_u32(&p, &uid) || uid == 0 || *p != ' ')
		return "not '<uid> <file name>'";
	if (uid <= u->last_uid)
		return "UIDs out of order";
	if (u->version == 1 && uid >= u->uidnext)
		return "a UID not below the header's next UID";
	while (*p == ' ')
		p++;
	if (u->version == 3) {
		while (*p && *p != ':') {	/* extension fields: "W<size>", "G<guid>", ... */
			while (*p && *p != ' ')
				p++;
			while (*p == ' ')
				p++;
		}
		if (*p == ':')
			p++;
	}
	if (!*p)
		return "no file name";
	if (strchr(p, '/'))
		return "a file name holding '/'";
	u->last_uid = uid;
	uint8_t be[4];
	put_u32be(be, uid);
	sbuf_reset(&u->rec);
	sbuf_add(&u->rec, p, base_len(p));
	sbuf_addch(&u->rec, '\0');
	sbuf_add(&u->rec, be, sizeof(be));
	recsort_add(u->recs, u->rec.buf, u->rec.len);
	return NULL;
}

/* parse_uidlist: every line of f; NULL, or what is wrong (and *lineno where) */
static const char *parse_uidlist(struct uidlist *u, FILE *f, unsigned *lineno)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why = NULL;
	*lineno = 0;
	while (!why && (len = getline(&line, &cap, f)) >= 0) {
		++*lineno;
		/* Dovecot reads a line as its stream gives it: without "\n" or "\r\n" */
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (memchr(line, '\0', (size_t)len))
			why = "a NUL byte";
		else
			why = *lineno == 1 ? parse_header(u, line) : parse_entry(u, line);
	}
	if (!why && ferror(f))
		why = strerror(errno);
	else if (!why && *lineno == 0)
		why = "empty";
	free(line);
	return why;
}

/*
 * read_uidlist: the folder's dovecot-uidlist (its directory open as fd),
 * sorted by base name (u->recs made by the caller); false when there is none or it cannot be trusted
 * (a warning then, naming the file and the line)
 */
static bool read_uidlist(struct mr_reader *r, int fd, struct uidlist *u)
{
	static const char name[] = "dovecot-uidlist";
	const char *w = where(r);
	char *disp = w ? xasprintf("%s/%s", w, name) : xstrdup(name);
	int ufd = src_open_file_at(fd, name);
	FILE *f = ufd < 0 ? NULL : fdopen(ufd, "r");
	bool ok = false;
	if (!f) {
		if (errno == ELOOP)
			diag_warn(r->ob.m.diag, "'%s' is a symbolic link; not followed; the folder is "
				  "read without UIDs", disp);
		else if (errno != ENOENT)
			diag_warn(r->ob.m.diag, "cannot read '%s': %s; the folder is read without "
				  "UIDs", disp, strerror(errno));
		if (ufd >= 0)
			close(ufd);
		free(disp);
		return false;
	}
	unsigned lineno;
	const char *why = parse_uidlist(u, f, &lineno);
	fclose(f);
	if (why) {
		diag_warn(r->ob.m.diag, "'%s' line %u: %s; the folder is read without UIDs",
			  disp, lineno, why);
		uidlist_release(u);
	} else {
		ok = true;
	}
	free(disp);
	return ok;
}

/* a run of records of the same base name: the base, and (uidlist) the last UID */
struct group {
	const uint8_t *p;
	size_t len;
	bool more;		/* false: the records are done (or failed) */
};

static void group_next(struct recsort *s, struct group *g)
{
	const void *p;
	g->more = s && recsort_next(s, &p, &g->len) == 1;
	g->p = g->more ? p : NULL;
}

/*
 * uids_next: the UID the list gives the base name (0: none), its records
 * of lower bases passed over; a name listed twice has the later (higher)
 * UID, as Dovecot reads it
 */
static uint32_t uids_next(struct recsort *recs, struct group *u, const char *base)
{
	while (u->more && strcmp((const char *)u->p, base) < 0)
		group_next(recs, u);
	uint32_t uid = 0;
	while (u->more && !strcmp((const char *)u->p, base)) {
		uid = get_u32be(u->p + strlen(base) + 1);
		group_next(recs, u);
	}
	return uid;
}

/*
 * join_uids: each file (by base name from by_base) with the UID the list
 * gives its base name, to the index in the order given.  A UID goes to one
 * file only: the first of its base name in the order cur/ then new/, each
 * by name (the order the files were listed in before issue 12), as Dovecot
 * gives it to one.
 */
static bool join_uids(struct mr_reader *r, struct recsort *by_base, struct recsort *uids)
{
	struct group f, u;
	group_next(uids, &u);
	struct sbuf base = SBUF_INIT, rec = SBUF_INIT;
	bool first = true;
	uint32_t uid = 0;
	for (group_next(by_base, &f); f.more; group_next(by_base, &f)) {
		const char *b = (const char *)f.p;
		size_t blen = strlen(b);
		if (first || strcmp(base.buf, b)) {
			sbuf_reset(&base);
			sbuf_add(&base, b, blen);
			uid = uids ? uids_next(uids, &u, b) : 0;
			first = false;
		}
		const char *name = b + blen + 2;
		uint64_t size;
		memcpy(&size, name + strlen(name) + 1, sizeof(size));
		add_entry(r->index, name, f.p[blen + 1], size, uid, &rec);
		r->folder.bytes += size;
		uid = 0;	/* the others of this base name get none */
	}
	sbuf_release(&base);
	sbuf_release(&rec);
	struct sbuf why = SBUF_INIT;
	bool ok = !recsort_error(by_base, &why) && !(uids && recsort_error(uids, &why)) &&
		  !recsort_error(r->index, &why);
	if (!ok)
		diag_error(r->ob.m.diag, "%s", why.buf);
	sbuf_release(&why);
	return ok;
}

static int cmp_entry(const void *a, size_t alen, const void *b, size_t blen)
{
	return recsort_memcmp(a, alen, b, blen);
}

/* apply_uidlist: the folder's UIDVALIDITY and next UID */
static void apply_uidlist(struct mr_reader *r, const struct uidlist *u)
{
	r->folder.has_index = true;
	r->folder.uidvalidity = u->uidvalidity;
	/* as Dovecot does: a listed UID at or above the header's next one moves it on */
	r->folder.uidnext = u->uidnext > u->last_uid ? u->uidnext : u->last_uid + 1;
}

static int load_messages(struct mr_reader *r, const struct mr_folder *f, struct sbuf *err)
{
	entries_release(r);
	int fd = f->dir ? src_open_dir_at(r->root_fd, f->dir) : r->root_fd;
	if (fd < 0) {
		sbuf_addf(err, "cannot read folder '%s': %s", f->dir, strerror(errno));
		return CONV_FOLDER_BAD;
	}
	struct recsort *by_base = recsort_new(r->index_mem, recsort_memcmp, NULL);
	uint64_t count = 0;
	int ret = CONV_OK;
	r->listed_ok[0] = r->listed_ok[1] = r->folder_checked = false;
	for (int sub = 0; sub < 2; sub++)
		if (scan_sub(r, fd, sub, by_base, &count, err) != CONV_OK)
			ret = CONV_FOLDER_BAD;
	struct uidlist u = { .recs = recsort_new(r->index_mem, recsort_memcmp, NULL) };
	bool have = read_uidlist(r, fd, &u);
	if (have)
		apply_uidlist(r, &u);
	if (fd != r->root_fd)
		close(fd);
	r->index = recsort_new(r->index_mem, cmp_entry, NULL);
	if (!join_uids(r, by_base, have ? u.recs : NULL)) {
		sbuf_addf(err, "%scannot index folder '%s'", err->len ? "; " : "",
			  f->dir ? f->dir : ".");
		ret = CONV_FOLDER_BAD;
	}
	uidlist_release(&u);
	recsort_free(by_base);
	r->folder.messages = (unsigned)count;
	return ret;
}

/* ---- live stores (issue 13) ----------------------------------------------------- */

/* relist: the names of cur/ or new/ (open as sfd) as list_sub digests them; -1 (errno) */
static int relist(int sfd, struct name_digest *d)
{
	struct src_iter it;
	if (src_iter_open(&it, sfd) < 0)
		return -1;
	const char *name;
	enum src_kind kind;
	int got;
	while ((got = src_iter_next(&it, &name, &kind)) == 1)
		if (name[0] != '.')
			name_digest_add(d, name);
	int e = errno;
	src_iter_close(&it);
	errno = e;
	return got;
}

/*
 * check_settled: once, after the folder's last message was read, cur/ and
 * new/ listed again; a folder whose file names changed since it was opened
 * (a message delivered, expunged, moved from new/ to cur/, or its flags
 * changed: they are in its name) is noted for mr_unsettled
 */
static void check_settled(struct mr_reader *r)
{
	if (r->folder_checked)
		return;
	r->folder_checked = true;
	struct sbuf why = SBUF_INIT;
	for (int sub = 0; sub < 2; sub++) {
		if (!r->listed_ok[sub] || r->sub_fd[sub] < 0)
			continue;
		struct name_digest now = { 0 };
		char what[32];
		snprintf(what, sizeof(what), "files in %s/", sub_names[sub]);
		if (relist(r->sub_fd[sub], &now) < 0)
			sbuf_addf(&why, "%s%s/ cannot be listed again: %s", why.len ? "; " : "",
				  sub_names[sub], strerror(errno));
		else
			name_digest_changed(&r->listed[sub], &now, what, &why);
	}
	if (why.len) {
		r->unsettled++;
		sbuf_addf(&r->unsettled_what, "'%s': %s\n", r->folder.path, why.buf);
	}
	sbuf_release(&why);
}

static unsigned mr_unsettled(struct mail_mailbox *mm, struct sbuf *what)
{
	struct mr_reader *r = onebox_of(mm);
	sbuf_add(what, r->unsettled_what.buf, r->unsettled_what.len);
	return r->unsettled;
}

/* ---- one message ---------------------------------------------------------------- */

/* maildir_name_flags: the flags of a message file named so in cur/ (":2,<letters>";
 * ';' or '!' for ':' too: issue 16) */
unsigned maildir_name_flags(const char *name)
{
	const char *info = maildir_info(name);	/* ":2,", or ";2," / "!2," (issue 16) */
	if (!info)
		return 0;
	unsigned flags = 0;
	for (const char *p = info + 3; *p; p++)
		for (const struct flag_map *f = flag_table; f->flag; f++)
			if (f->maildir && f->maildir == *p)
				flags |= f->flag;
	return flags;
}

static void close_msg(struct mr_reader *r)
{
	file_msg_close(&r->file, &r->msg);
}

static int open_msg(struct mr_reader *r, const struct mr_entry *e, struct sbuf *err)
{
	struct sbuf o = SBUF_INIT;
	sub_display(r, e->sub, e->name, &o);
	free(r->msg_origin);
	r->msg_origin = sbuf_detach(&o);
	struct mail_msg *m = &r->msg;
	memset(m, 0, sizeof(*m));
	m->origin = r->msg_origin;
	m->name = r->cur_name.buf;
	/*
	 * flags from the name wherever it is: Dovecot leaves a message it
	 * has not yet seen as recent in new/ with its ":2,S" (doveadm flags
	 * add does so), and reads those flags itself
	 */
	m->flags = maildir_name_flags(e->name);
	m->uid = e->uid;
	m->seq = (unsigned)r->next_entry;
	struct stat st;
	/* a failed open leaves nothing open */
	return file_msg_open(&r->file, m, r->sub_fd[e->sub], e->name, &r->ob.m, &r->prefix,
			     true, &st, err);
}

/* ---- the ops -------------------------------------------------------------------- */

/* box_name: SOURCE's name, or its parent's when it is named "Maildir" */
static char *box_name(const char *path)
{
	char *a = xstrdup(path), *b = xstrdup(path);
	size_t n = strlen(a);
	while (n > 1 && a[n - 1] == '/')
		a[--n] = '\0';
	char *base = basename(a);
	char *name;
	if (!strcmp(base, "Maildir")) {
		char *parent = basename(dirname(b));
		name = xstrdup(parent);
	} else {
		name = xstrdup(base);
	}
	free(a);
	free(b);
	if (!*name || !strcmp(name, "/") || !strcmp(name, ".")) {
		free(name);
		name = xstrdup("mailbox");
	}
	return name;
}

static void mr_close(struct mail_reader *rd);

/*
 * is_maildir: SOURCE holds cur/ or new/, or is a Maildir++ root with at
 * least one .Folder holding one; else false with err set
 */
static bool is_maildir(struct mr_reader *r, const char *source, struct sbuf *err)
{
	if (has_mail_dirs(r->root_fd))
		return true;
	struct src_name *v;
	ssize_t n = src_list_dir(r->root_fd, &v);
	if (n < 0) {
		sbuf_addf(err, "cannot read the Maildir '%s': %s", source, strerror(errno));
		return false;
	}
	bool any = false;
	for (size_t i = 0; i < (size_t)n && !any; i++)
		any = folder_candidate(r, &v[i], false);	/* links: said when listed */
	src_names_free(v, (size_t)n);
	if (!any)
		sbuf_addf(err, "'%s' is not a Maildir: it has no cur/ or new/ folder and "
			  "no .Folder subfolder holding one", source);
	return any;
}

static struct mail_reader *mr_open(const char *source, const struct reader_settings *set,
				   struct diag *d, struct sbuf *err)
{
	/* set->maps name MDaemon folders: nothing here */
	int fd = src_open_at(AT_FDCWD, source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		sbuf_addf(err, "cannot open the Maildir '%s': %s", source, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		sbuf_addf(err, "cannot read the Maildir '%s': %s", source, strerror(errno));
		close(fd);
		return NULL;
	}
	struct mr_reader *r = xcalloc(1, sizeof(*r));
	onebox_init(&r->ob, &maildir_reader_ops, d);
	r->root_fd = fd;
	file_msg_init(&r->file);
	r->sub_fd[0] = r->sub_fd[1] = -1;
	r->index_mem = set ? set->index_mem : 0;
	sbuf_init(&r->prefix);
	sbuf_init(&r->cur_name);
	sbuf_init(&r->unsettled_what);
	char *real = realpath(source, NULL);
	r->root = real ? xstrdup(real) : xstrdup(source);
	free(real);
	r->mailbox = box_name(r->root);
	onebox_box(&r->ob, "localhost", r->mailbox, r->root);
	onebox_dir(&r->ob, r->root, &st);
	if (!is_maildir(r, source, err)) {
		mr_close(&r->ob.r);
		return NULL;
	}
	return &r->ob.r;
}

#define MR_OF(mm) ((struct mr_reader *)onebox_of(mm))

static void mr_close_mailbox(struct mail_mailbox *mm)
{
	if (!mm)
		return;
	struct mr_reader *r = MR_OF(mm);
	close_msg(r);
	entries_release(r);
	/* opened again (a live store's next try, issue 13): its folders listed anew */
	folders_release(r);
	r->folders_listed = false;
	r->unsettled = 0;
	sbuf_reset(&r->unsettled_what);
	onebox_close_mailbox(mm);
}

static int mr_next_folder(struct mail_mailbox *mm, const struct mail_folder **folder_r,
			  struct sbuf *err)
{
	struct mr_reader *r = MR_OF(mm);
	close_msg(r);
	entries_release(r);
	if (!r->ob.given)
		return CONV_DONE;
	if (!r->folders_listed) {
		load_folders(r);
		r->folders_listed = true;
	}
	if (r->next_folder >= r->nfolders)
		return CONV_DONE;
	const struct mr_folder *f = &r->folders[r->next_folder++];
	free(r->folder_origin);
	r->folder_origin = xstrdup(f->dir ? f->dir : ".");
	memset(&r->folder, 0, sizeof(r->folder));
	r->folder.path = f->path;
	r->folder.origin = r->folder_origin;
	r->folder.folder_class = "IPF.Note";
	r->folder.is_mail = true;
	*folder_r = &r->folder;
	return load_messages(r, f, err);
}

static int mr_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct mr_reader *r = MR_OF(mm);
	close_msg(r);
	const void *p;
	size_t len;
	int got = r->index ? recsort_next(r->index, &p, &len) : 0;
	if (got < 0) {
		recsort_error(r->index, err);
		return CONV_FOLDER_BAD;
	}
	if (got == 0) {
		check_settled(r);
		return CONV_DONE;
	}
	decode_entry(p, len, &r->cur);
	sbuf_reset(&r->cur_name);
	sbuf_adds(&r->cur_name, r->cur.name);
	r->cur.name = r->cur_name.buf;
	r->next_entry++;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static int mr_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct mr_reader *r = MR_OF(mm);
	close_msg(r);
	if (r->next_entry == 0)
		return CONV_DONE;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static void mr_close(struct mail_reader *rd)
{
	struct mr_reader *r = (struct mr_reader *)rd;
	if (!r)
		return;
	close_msg(r);
	entries_release(r);
	folders_release(r);
	if (r->root_fd >= 0)
		close(r->root_fd);
	sbuf_release(&r->prefix);
	sbuf_release(&r->cur_name);
	sbuf_release(&r->unsettled_what);
	free(r->msg_origin);
	free(r->folder_origin);
	free(r->mailbox);
	free(r->root);
	free(r);
}

/*
 * mr_probe: a Maildir has cur/ and new/ (an MDaemon store, Users folder or
 * mailbox folder never does); a Maildir++ root without INBOX mail has at
 * least a .Folder with cur/
 */
static int mr_probe(const char *path)
{
	/* stat only: nothing of SOURCE is opened before its reader is chosen */
	static const char *const subs[] = { "cur", "new" };
	int yes = 1;
	for (size_t i = 0; i < 2 && yes; i++) {
		char *sub = xasprintf("%s/%s", path, subs[i]);
		struct stat st;
		yes = lstat(sub, &st) == 0 && S_ISDIR(st.st_mode);
		free(sub);
	}
	return yes;
}

const struct mail_reader_ops maildir_reader_ops = {
	.name = "maildir",
	.probe = mr_probe,
	.open = mr_open,
	.next_mailbox = onebox_next_mailbox,
	.open_mailbox = onebox_open_mailbox,
	.next_folder = mr_next_folder,
	.next_msg = mr_next_msg,
	.reopen_msg = mr_reopen_msg,
	.close_mailbox = mr_close_mailbox,
	.close = mr_close,
	.mail_dirs = onebox_mail_dirs,
	.unsettled = mr_unsettled,
};
