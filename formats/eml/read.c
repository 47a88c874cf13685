/*
 * The EML-tree reader: SOURCE is a directory of .eml files (what this
 * project's EML writer makes, or any tree of saved messages), read as one
 * mailbox.  Every directory below SOURCE is a folder, its path the
 * directory names joined by '/', each name's %XX escapes undone when it
 * uses them as core/outdir.c's fsname_escape writes them; a top directory
 * named INBOX (any case) is INBOX, and so are .eml files lying in SOURCE
 * itself (a flat folder of saved messages).
 *
 * Messages are the regular files whose names end in ".eml" (any case), in
 * name order (the writer's NNNNNN.eml names sort in their numeric order),
 * handed out whole and as they are on disk; the internal date is the
 * file's mtime (the writer sets it so).  An EML file keeps no flags and no
 * UID, so there are none.  Other files are not messages: each directory's
 * count of them is one warning.
 *
 * Nothing here writes: everything is opened read-only with openat()
 * relative to its parent's descriptor, O_NOFOLLOW, and O_NOATIME where
 * permitted; a symbolic link is a warning and is skipped.
 */
#include "eml/eml.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/filemsg.h"
#include "core/onebox.h"
#include "core/recsort.h"
#include "core/outdir.h"
#include "core/srcdir.h"
#include "core/sysio.h"
#include "core/xalloc.h"

struct er_folder {
	char *path;		/* logical, UTF-8, '/'-separated */
	char **dirs;		/* its directories relative to SOURCE ("": SOURCE itself) */
	size_t ndirs;
};

/*
 * A message file as the folder's index holds it (core/recsort.h: a folder
 * of a million files stays flat), in the order given, by name and then
 * directory: "<name>\0" <dir, 4 bytes big-endian> <size>.
 */
struct er_entry {
	const char *name;
	size_t dir;		/* index into the folder's dirs */
	uint64_t size;
};

struct er_reader {
	struct onebox ob;	/* first: the store and its one mailbox (core/onebox.h) */
	int root_fd;		/* SOURCE, open while the reader is */
	char *root;		/* its absolute path (the source as given when unknown) */
	char *mailbox;
	struct er_folder *folders;
	size_t nfolders, next_folder;
	bool folders_listed;
	struct mail_folder folder;
	int *dir_fds;		/* the current folder's directories; -1: unreadable */
	size_t ndir_fds;
	size_t index_mem;	/* reader_settings.index_mem */
	struct recsort *index;	/* the folder's files, by name then directory */
	struct er_entry cur;	/* the last one given (its name in cur_name) */
	struct sbuf cur_name;
	size_t next_entry;
	struct mail_msg msg;
	struct file_msg file;	/* the open message file */
	struct sbuf prefix;
	char *msg_origin;
};

/* ---- names ------------------------------------------------------------------------ */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * unescape_name: append a directory name as a folder name.  A name whose
 * every '%' starts a %XX escape or the "%~" of a shortened name is what
 * fsname_escape wrote, and is unescaped; any other name ("100% done") is
 * kept as it is, and so is one whose escapes would give '/' or NUL, which
 * no part of a folder path can hold.
 */
static void unescape_name(struct sbuf *out, const char *name)
{
	bool escaped = false, kept = false;
	for (const char *p = name; *p && !kept; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '~') {
			p++;
		} else if (is_hex(p[1]) && is_hex(p[2])) {
			/* "%00" and "%2F" would give NUL and '/' */
			kept = (p[1] == '0' && p[2] == '0') ||
			       (p[1] == '2' && (p[2] == 'f' || p[2] == 'F'));
			escaped = true;
			p += 2;
		} else {
			kept = true;
		}
	}
	if (escaped && !kept)
		fsname_unescape(out, name);
	else
		sbuf_adds(out, name);
}

/* is_eml: a message's file name: "<something>.eml" (any case), not a hidden file */
static bool is_eml(const char *name)
{
	size_t n = strlen(name);
	/* "._x.eml" is the AppleDouble shadow of x.eml, never a message */
	return name[0] != '.' && n > 4 && !strcasecmp(name + n - 4, ".eml");
}

/* join: "<a>/<b>", or b when a is "" */
static char *join(const char *a, const char *b)
{
	return *a ? xasprintf("%s/%s", a, b) : xstrdup(b);
}

/* ---- directories ---------------------------------------------------------------- */

/* open_rel: the directory rel ("": SOURCE) below SOURCE, one name at a time */
static int open_rel(const struct er_reader *r, const char *rel)
{
	if (!*rel)
		return fcntl(r->root_fd, F_DUPFD_CLOEXEC, 0);
	char *copy = xstrdup(rel), *save = NULL;
	int fd = r->root_fd;
	for (char *p = strtok_r(copy, "/", &save); p && fd >= 0;
	     p = strtok_r(NULL, "/", &save)) {
		int next = src_open_dir_at(fd, p);
		int e = errno;
		if (fd != r->root_fd)
			close(fd);
		fd = next;
		errno = e;
	}
	free(copy);
	return fd;
}

/* display: a directory relative to SOURCE, for messages ("." for SOURCE) */
static const char *display(const char *rel)
{
	return *rel ? rel : ".";
}

/* ---- folders -------------------------------------------------------------------- */

static void folders_release(struct er_reader *r)
{
	for (size_t i = 0; i < r->nfolders; i++) {
		free(r->folders[i].path);
		for (size_t k = 0; k < r->folders[i].ndirs; k++)
			free(r->folders[i].dirs[k]);
		free(r->folders[i].dirs);
	}
	free(r->folders);
	r->folders = NULL;
	r->nfolders = r->next_folder = 0;
}

/* add_dir: directory rel is (part of) folder path: two directories with one name are one folder */
static void add_dir(struct er_reader *r, const char *path, const char *rel)
{
	struct er_folder *f = NULL;
	for (size_t i = 0; i < r->nfolders && !f; i++)
		if (!strcmp(r->folders[i].path, path))
			f = &r->folders[i];
	if (!f) {
		r->folders = xreallocarray(r->folders, r->nfolders + 1, sizeof(*r->folders));
		f = &r->folders[r->nfolders++];
		*f = (struct er_folder){ .path = xstrdup(path) };
	}
	f->dirs = xreallocarray(f->dirs, f->ndirs + 1, sizeof(*f->dirs));
	f->dirs[f->ndirs++] = xstrdup(rel);
}

/* INBOX first, then by path, so that output is the same on every run */
static int cmp_folder(const void *a, const void *b)
{
	const struct er_folder *x = a, *y = b;
	bool xi = !strcmp(x->path, "INBOX"), yi = !strcmp(y->path, "INBOX");
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* child_path: the folder path of directory name below the folder parent ("": SOURCE) */
static char *child_path(const char *parent, const char *name)
{
	if (!*parent && !strcasecmp(name, "INBOX"))
		return xstrdup("INBOX");
	struct sbuf part = SBUF_INIT;
	unescape_name(&part, name);
	char *path = join(parent, part.buf);
	sbuf_release(&part);
	return path;
}

/*
 * load_folders: every directory below SOURCE, breadth first (a queue, not
 * recursion: a tree may be deep).  One that cannot be listed is still a
 * folder; reading it says why.
 */
static void load_folders(struct er_reader *r)
{
	folders_release(r);
	add_dir(r, "INBOX", "");
	struct { char *rel, *path; } *queue = xmalloc(sizeof(*queue));
	size_t head = 0, tail = 0, alloc = 1;
	queue[tail].rel = xstrdup("");
	queue[tail++].path = xstrdup("");
	while (head < tail) {
		char *rel = queue[head].rel, *path = queue[head].path;
		head++;
		int fd = open_rel(r, rel);
		struct src_name *v = NULL;
		ssize_t n = fd < 0 ? -1 : src_list_subdirs(fd, &v);
		if (fd >= 0)
			close(fd);
		for (ssize_t i = 0; i < n; i++) {
			if (v[i].kind != SRC_DIR)
				continue;	/* a link to one is said when the folder is read */
			char *crel = join(rel, v[i].name), *cpath = child_path(path, v[i].name);
			add_dir(r, cpath, crel);
			if (tail == alloc) {
				alloc *= 2;
				queue = xreallocarray(queue, alloc, sizeof(*queue));
			}
			queue[tail].rel = crel;
			queue[tail++].path = cpath;
		}
		if (n > 0)
			src_names_free(v, (size_t)n);
		free(rel);
		free(path);
	}
	free(queue);
	qsort(r->folders, r->nfolders, sizeof(*r->folders), cmp_folder);
}

/* ---- messages of one folder ----------------------------------------------------- */

static void entries_release(struct er_reader *r)
{
	recsort_free(r->index);
	r->index = NULL;
	r->next_entry = 0;
	for (size_t i = 0; i < r->ndir_fds; i++)
		if (r->dir_fds[i] >= 0)
			close(r->dir_fds[i]);
	free(r->dir_fds);
	r->dir_fds = NULL;
	r->ndir_fds = 0;
}

static uint64_t add_entry(struct recsort *index, const char *name, size_t dir, int fd,
		      struct sbuf *rec)
{
	struct stat st;
	uint64_t size = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_size : 0;
	uint8_t be[4] = { (uint8_t)(dir >> 24), (uint8_t)(dir >> 16), (uint8_t)(dir >> 8),
			  (uint8_t)dir };
	sbuf_reset(rec);
	sbuf_add(rec, name, strlen(name) + 1);
	sbuf_add(rec, be, sizeof(be));
	sbuf_add(rec, &size, sizeof(size));
	recsort_add(index, rec->buf, rec->len);
	return size;
}

static void decode_entry(const uint8_t *p, struct er_entry *e)
{
	e->name = (const char *)p;
	const uint8_t *q = p + strlen(e->name) + 1;
	e->dir = (size_t)q[0] << 24 | (size_t)q[1] << 16 | (size_t)q[2] << 8 | q[3];
	memcpy(&e->size, q + 4, sizeof(e->size));
}

/*
 * list_dir: the .eml files of the directory open as fd to the index (the
 * names as the directory gives them, never all in memory at once), the
 * links to links (said in name order after), the rest counted in *others
 */
static int list_dir(struct er_reader *r, int fd, size_t k, struct recsort *links,
		    unsigned *others)
{
	struct src_iter it;
	if (src_iter_open(&it, fd) < 0)
		return -1;
	struct sbuf rec = SBUF_INIT;
	const char *name;
	enum src_kind kind;
	int got;
	while ((got = src_iter_next(&it, &name, &kind)) == 1) {
		if (kind == SRC_LINK) {
			recsort_add(links, name, strlen(name));
		} else if (kind == SRC_FILE && is_eml(name)) {
			r->folder.bytes += add_entry(r->index, name, k, fd, &rec);
			r->folder.messages++;
		} else if (kind != SRC_DIR) {
			++*others;
		}
	}
	int e = errno;
	src_iter_close(&it);
	sbuf_release(&rec);
	errno = e;
	return got;
}

/* scan_dir: the .eml files of the folder's directory k (its subdirectories are folders) */
static int scan_dir(struct er_reader *r, const struct er_folder *f, size_t k, struct sbuf *err)
{
	const char *rel = f->dirs[k];
	int fd = open_rel(r, rel);
	unsigned others = 0;
	struct recsort *links = recsort_new(r->index_mem, recsort_memcmp, NULL);
	if (fd < 0 || list_dir(r, fd, k, links, &others) < 0) {
		sbuf_addf(err, "%scannot read folder '%s': %s", err->len ? "; " : "",
			  display(rel), strerror(errno));
		if (fd >= 0)
			close(fd);
		recsort_free(links);
		return CONV_FOLDER_BAD;
	}
	r->dir_fds[k] = fd;
	const void *p;
	size_t len;
	while (recsort_next(links, &p, &len) == 1)
		diag_warn(r->ob.m.diag, "'%s%s%.*s' is a symbolic link; not followed",
			  rel, *rel ? "/" : "", (int)len, (const char *)p);
	recsort_free(links);
	if (others)
		diag_warn(r->ob.m.diag, "'%s': %u file%s not named *.eml, not read as messages",
			  display(rel), others, others == 1 ? "" : "s");
	return CONV_OK;
}

static int load_messages(struct er_reader *r, const struct er_folder *f, struct sbuf *err)
{
	entries_release(r);
	r->dir_fds = xreallocarray(NULL, f->ndirs, sizeof(*r->dir_fds));
	r->ndir_fds = f->ndirs;
	for (size_t k = 0; k < f->ndirs; k++)
		r->dir_fds[k] = -1;
	r->index = recsort_new(r->index_mem, recsort_memcmp, NULL);
	int ret = CONV_OK;
	for (size_t k = 0; k < f->ndirs; k++)
		if (scan_dir(r, f, k, err) != CONV_OK)
			ret = CONV_FOLDER_BAD;
	return ret;
}

/* ---- one message ---------------------------------------------------------------- */

static void close_msg(struct er_reader *r)
{
	file_msg_close(&r->file, &r->msg);
}

static int open_msg(struct er_reader *r, const struct er_entry *e, struct sbuf *err)
{
	const char *rel = r->folders[r->next_folder - 1].dirs[e->dir];
	free(r->msg_origin);
	r->msg_origin = join(rel, e->name);
	struct mail_msg *m = &r->msg;
	memset(m, 0, sizeof(*m));
	m->origin = r->msg_origin;
	m->name = r->cur_name.buf;
	m->seq = (unsigned)r->next_entry;
	struct stat st;
	/* a failed open leaves nothing open */
	return file_msg_open(&r->file, m, r->dir_fds[e->dir], e->name, &r->ob.m, &r->prefix,
			     true, &st, err);
}

/* ---- the ops -------------------------------------------------------------------- */

/* box_name: SOURCE's own name, unescaped as a folder's is (the EML writer escapes it too) */
static char *box_name(const char *path)
{
	char *a = xstrdup(path);
	size_t n = strlen(a);
	while (n > 1 && a[n - 1] == '/')
		a[--n] = '\0';
	const char *base = basename(a);
	struct sbuf name = SBUF_INIT;
	if (*base && strcmp(base, "/") && strcmp(base, "."))
		unescape_name(&name, base);
	free(a);
	if (!name.len)
		sbuf_adds(&name, "mailbox");
	return sbuf_detach(&name);
}

static void er_close(struct mail_reader *rd);

static struct mail_reader *er_open(const char *source, const struct reader_settings *set,
				   struct diag *d, struct sbuf *err)
{
	/* set->maps name MDaemon folders: nothing here */
	int fd = src_open_at(AT_FDCWD, source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sbuf_addf(err, "cannot open the EML folder '%s': %s", source, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct er_reader *r = xcalloc(1, sizeof(*r));
	onebox_init(&r->ob, &eml_reader_ops, d);
	r->root_fd = fd;
	file_msg_init(&r->file);
	sbuf_init(&r->prefix);
	sbuf_init(&r->cur_name);
	r->index_mem = set ? set->index_mem : 0;
	char *real = realpath(source, NULL);
	r->root = real ? xstrdup(real) : xstrdup(source);
	free(real);
	r->mailbox = box_name(r->root);
	onebox_box(&r->ob, "localhost", r->mailbox, r->root);
	onebox_dir(&r->ob, r->root, &st);
	return &r->ob.r;
}

#define ER_OF(mm) ((struct er_reader *)onebox_of(mm))

static void er_close_mailbox(struct mail_mailbox *mm)
{
	if (!mm)
		return;
	struct er_reader *r = ER_OF(mm);
	close_msg(r);
	onebox_close_mailbox(mm);
}

static int er_next_folder(struct mail_mailbox *mm, const struct mail_folder **folder_r,
			  struct sbuf *err)
{
	struct er_reader *r = ER_OF(mm);
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
	const struct er_folder *f = &r->folders[r->next_folder++];
	memset(&r->folder, 0, sizeof(r->folder));
	r->folder.path = f->path;
	r->folder.origin = display(f->dirs[0]);
	r->folder.folder_class = "IPF.Note";
	r->folder.is_mail = true;
	*folder_r = &r->folder;
	return load_messages(r, f, err);
}

static int er_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct er_reader *r = ER_OF(mm);
	close_msg(r);
	const void *p;
	size_t len;
	int got = r->index ? recsort_next(r->index, &p, &len) : 0;
	if (got < 0) {
		recsort_error(r->index, err);
		return CONV_FOLDER_BAD;
	}
	if (got == 0)
		return CONV_DONE;
	decode_entry(p, &r->cur);
	sbuf_reset(&r->cur_name);
	sbuf_adds(&r->cur_name, r->cur.name);
	r->cur.name = r->cur_name.buf;
	r->next_entry++;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static int er_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct er_reader *r = ER_OF(mm);
	close_msg(r);
	if (r->next_entry == 0)
		return CONV_DONE;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static void er_close(struct mail_reader *rd)
{
	struct er_reader *r = (struct er_reader *)rd;
	if (!r)
		return;
	close_msg(r);
	entries_release(r);
	folders_release(r);
	if (r->root_fd >= 0)
		close(r->root_fd);
	sbuf_release(&r->prefix);
	sbuf_release(&r->cur_name);
	free(r->msg_origin);
	free(r->mailbox);
	free(r->root);
	free(r);
}

/* ---- the probe ------------------------------------------------------------------ */

/* how many directory entries the probe looks at in all, and how many folders per level */
#define PROBE_ENTRIES 2000
#define PROBE_SUBDIRS 16

/*
 * probe_dir: the directory fd (closed here) or, depth > 0, one of its first
 * PROBE_SUBDIRS subdirectories holds a .eml file; *budget entries at most
 */
static bool probe_dir(int fd, int depth, unsigned *budget)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	char *subs[PROBE_SUBDIRS];
	size_t nsubs = 0;
	bool yes = false;
	const struct dirent *de;
	while (!yes && *budget && (de = readdir(d))) {
		(*budget)--;
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			yes = is_eml(de->d_name);
		else if (S_ISDIR(st.st_mode) && depth > 0 && nsubs < PROBE_SUBDIRS)
			subs[nsubs++] = xstrdup(de->d_name);
	}
	for (size_t i = 0; i < nsubs; i++) {
		if (!yes) {
			int sfd = src_open_dir_at(dirfd(d), subs[i]);
			yes = sfd >= 0 && probe_dir(sfd, depth - 1, budget);
		}
		free(subs[i]);
	}
	closedir(d);
	return yes;
}

/*
 * er_probe: a directory with .eml files at its top or one or two levels
 * down, and no cur/ or new/ (a Maildir's, whose reader comes first anyway).
 * Cheap: a bounded number of entries, everything opened with O_NOATIME.
 */
static int er_probe(const char *path)
{
	int fd = src_open_at(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstatat(fd, "cur", &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fstatat(fd, "new", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		return 0;
	}
	unsigned budget = PROBE_ENTRIES;
	return probe_dir(fd, 2, &budget) ? 1 : 0;
}

const struct mail_reader_ops eml_reader_ops = {
	.name = "eml",
	.probe = er_probe,
	.open = er_open,
	.next_mailbox = onebox_next_mailbox,
	.open_mailbox = onebox_open_mailbox,
	.next_folder = er_next_folder,
	.next_msg = er_next_msg,
	.reopen_msg = er_reopen_msg,
	.close_mailbox = er_close_mailbox,
	.close = er_close,
	.mail_dirs = onebox_mail_dirs,
};
