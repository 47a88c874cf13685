#include "core/outdir.h"
#include "core/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"

static const char hexdigits[] = "0123456789ABCDEF";

/* ---- names ------------------------------------------------------------------------------- */

/* the suffixes the tool appends to escaped names (writers and the manifest) */
/* ".jsonl": the manifests, and a round's own record (<mailbox>.round-NNN.jsonl) */
static const char *const reserved_suffixes[] = { ".pst", ".mbox", ".eml", ".jsonl" };

static void escape_plain(struct sbuf *out, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		bool esc = *p < 0x20 || *p == 0x7f || *p == '%' || *p == '/' ||
			   *p == '\\' || (*p == '.' && p == (const unsigned char *)name);
		if (esc) {
			sbuf_addch(out, '%');
			sbuf_addch(out, hexdigits[*p >> 4]);
			sbuf_addch(out, hexdigits[*p & 15]);
		} else {
			sbuf_addch(out, *p);
		}
	}
}

/* protect_suffix: the name from start on ends in a reserved suffix: its last '.' becomes %2E */
static void protect_suffix(struct sbuf *out, size_t start)
{
	size_t len = out->len - start;
	for (size_t i = 0; i < sizeof(reserved_suffixes) / sizeof(*reserved_suffixes); i++) {
		size_t n = strlen(reserved_suffixes[i]);
		if (len <= n || strcasecmp(out->buf + out->len - n, reserved_suffixes[i]))
			continue;
		size_t dot = out->len - 1;
		while (out->buf[dot] != '.')	/* the suffix has one: found before start */
			dot--;
		char *tail = xstrdup(out->buf + dot + 1);
		sbuf_setlen(out, dot);
		sbuf_adds(out, "%2E");
		sbuf_adds(out, tail);
		free(tail);
		return;
	}
}

/* shorten: the name from start on is longer than room: keep a head, add a digest */
static void shorten(struct sbuf *out, size_t start, const char *name, size_t room)
{
	enum { DIGEST_HEX = 24 };
	if (out->len - start <= room)
		return;
	size_t cut = start + room - 2 - DIGEST_HEX;
	if (out->buf[cut - 1] == '%')		/* never half an escape */
		cut -= 1;
	else if (out->buf[cut - 2] == '%')
		cut -= 2;
	while (cut > start && ((unsigned char)out->buf[cut] & 0xC0) == 0x80)
		cut--;				/* nor half a UTF-8 sequence */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(name, strlen(name), md, &mdlen, EVP_sha256(), NULL))
		memset(md, 0, sizeof(md));	/* cannot happen with a working libcrypto */
	sbuf_setlen(out, cut);
	sbuf_adds(out, "%~");
	for (size_t i = 0; i < DIGEST_HEX / 2; i++) {
		sbuf_addch(out, hexdigits[md[i] >> 4]);
		sbuf_addch(out, hexdigits[md[i] & 15]);
	}
}


/*
 * protect_number: the name from start on ends in '-' and digits: that '-'
 * becomes %2D, so no mailbox meets the names the tool gives a mailbox's
 * other files (<mailbox>-002.pst, <mailbox>.round-001.pst)
 */
static void protect_number(struct sbuf *out, size_t start)
{
	size_t i = out->len;
	while (i > start && out->buf[i - 1] >= '0' && out->buf[i - 1] <= '9')
		i--;
	if (i == out->len || i <= start || out->buf[i - 1] != '-')
		return;
	char *tail = xstrdup(out->buf + i);
	sbuf_setlen(out, i - 1);
	sbuf_adds(out, "%2D");
	sbuf_adds(out, tail);
	free(tail);
}

/* escape_name: the escaping of every name; a mailbox's never ends in -<digits> */
static void escape_name(struct sbuf *out, const char *name, size_t room, bool mailbox)
{
	if (!*name) {
		sbuf_adds(out, "%00");
		return;
	}
	size_t start = out->len;
	escape_plain(out, name);
	protect_suffix(out, start);
	if (mailbox)
		protect_number(out, start);
	shorten(out, start, name, room);
}

void fsname_escape_room(struct sbuf *out, const char *name, size_t room)
{
	escape_name(out, name, room, false);
}

void fsname_escape_mailbox(struct sbuf *out, const char *name)
{
	escape_name(out, name, FSNAME_MAILBOX_ROOM, true);
}

void fsname_escape(struct sbuf *out, const char *name)
{
	fsname_escape_room(out, name, FSNAME_MAX);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void fsname_unescape(struct sbuf *out, const char *name)
{
	if (!strcmp(name, "%00"))
		return;
	for (const char *p = name; *p; p++) {
		int hi, lo;
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			sbuf_addch(out, hi * 16 + lo);
			p += 2;
		} else {
			sbuf_addch(out, *p);
		}
	}
}

/* ---- DIR itself -------------------------------------------------------------------------- */

/* exists_as_dir: after EEXIST, is it a directory? (err set if not) */
static int exists_as_dir(const char *path, struct sbuf *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	sbuf_addf(err, "cannot create directory '%s': %s", path, strerror(ENOTDIR));
	return -1;
}

int mkdir_p(const char *path, struct sbuf *err)
{
	if (sys_mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST)
		return exists_as_dir(path, err);
	if (errno != ENOENT) {
		sbuf_addf(err, "cannot create directory '%s': %s", path, strerror(errno));
		return -1;
	}
	char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');
	int ret = -1;
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir_p(parent, err) == 0) {
			if (sys_mkdir(path, 0755) == 0)
				ret = 0;
			else if (errno == EEXIST)
				ret = exists_as_dir(path, err);
			else
				sbuf_addf(err, "cannot create directory '%s': %s",
					  path, strerror(errno));
		}
	} else {
		sbuf_addf(err, "cannot create directory '%s': %s", path, strerror(ENOENT));
	}
	free(parent);
	return ret;
}

/* how often a path under DIR is made again when another run removed a level of it */
#define TREE_RACE_RETRIES 16

/* ---- directories under DIR ----------------------------------------------------------------- */

/* why_not: err for a failed open or make of name in dirfd: a link is named as one */
static void why_not(int dirfd, const char *display, size_t dlen, const char *name,
		    const char *doing, int e, struct sbuf *err)
{
	struct stat st;
	if ((e == ELOOP || e == ENOTDIR || e == EEXIST) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		sbuf_addf(err, "'%.*s' is a symbolic link: mdexport never follows a link "
			  "inside the output folder (remove it, or choose another --output)",
			  (int)dlen, display);
	else
		sbuf_addf(err, "cannot %s '%.*s': %s", doing, (int)dlen, display, strerror(e));
}

/* open_step: one name below dirfd, as a directory, never through a link */
static int open_step(int dirfd, const char *name, bool create, const char *display,
		     size_t dlen, int *errno_r, struct sbuf *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (sys_mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) {
			*errno_r = errno;
			why_not(dirfd, display, dlen, name, "create directory", errno, err);
			return -1;
		}
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		*errno_r = errno;
		why_not(dirfd, display, dlen, name, "open directory", errno, err);
	}
	return fd;
}

/*
 * walk: the directory rel below base (whose path for messages is bdisplay),
 * one name at a time; a new descriptor, or -1 with err set
 */
static int walk(int base, const char *bdisplay, const char *rel, bool create, int *errno_r,
		struct sbuf *err)
{
	struct sbuf display = SBUF_INIT;
	sbuf_adds(&display, bdisplay);
	int fd = dup(base);
	if (fd < 0)
		sbuf_addf(err, "cannot open directory '%s': %s", bdisplay, strerror(errno));
	char *copy = xstrdup(rel);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		sbuf_addch(&display, '/');
		sbuf_adds(&display, c);
		int next = -1;
		if (!strcmp(c, ".") || !strcmp(c, ".."))
			sbuf_addf(err, "BUG: '%s' names a folder outside the output", display.buf);
		else
			next = open_step(fd, c, create, display.buf, display.len, errno_r, err);
		close(fd);
		fd = next;
	}
	free(copy);
	sbuf_release(&display);
	return fd;
}

/*
 * walk_made: walk, but when another run into the same DIR removes a
 * working folder it emptied (DIR/.mdexport/<domain>) between our making
 * one level and the next, the next mkdirat finds its parent gone
 * (ENOENT): the path is made again from the top, a few times.
 */
static int walk_made(int base, const char *bdisplay, const char *rel, bool create,
		     struct sbuf *err)
{
	for (int attempt = 0;; attempt++) {
		size_t before = err->len;
		int e = 0;
		int fd = walk(base, bdisplay, rel, create, &e, err);
		if (fd >= 0 || !create || e != ENOENT || attempt >= TREE_RACE_RETRIES)
			return fd;
		sbuf_setlen(err, before);
	}
}

int tree_open_root(struct tree *t, const char *path, struct sbuf *err)
{
	*t = (struct tree)TREE_INIT;
	t->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fd < 0) {
		sbuf_addf(err, "cannot open directory '%s': %s", path, strerror(errno));
		return -1;
	}
	t->display = xstrdup(path);
	return 0;
}

int tree_sub(struct tree *out, const struct tree *base, const char *rel, bool create,
	     struct sbuf *err)
{
	*out = (struct tree)TREE_INIT;
	out->fd = walk_made(base->fd, base->display, rel, create, err);
	if (out->fd < 0)
		return -1;
	out->display = tree_display(base, rel);
	return 0;
}

void tree_close(struct tree *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->cache_fd >= 0)
		close(t->cache_fd);
	free(t->display);
	free(t->cache_rel);
	*t = (struct tree)TREE_INIT;
}

char *tree_display(const struct tree *t, const char *rel)
{
	return *rel ? xasprintf("%s/%s", t->display, rel) : xstrdup(t->display);
}

int tree_mkdirs(struct tree *t, const char *rel, struct sbuf *err)
{
	int fd = walk_made(t->fd, t->display, rel, true, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int tree_parent(struct tree *t, const char *rel, const char **leaf, struct sbuf *err)
{
	const char *slash = strrchr(rel, '/');
	if (!slash) {
		*leaf = rel;
		return t->fd;
	}
	*leaf = slash + 1;
	size_t n = (size_t)(slash - rel);
	if (t->cache_fd >= 0 && strlen(t->cache_rel) == n && !strncmp(t->cache_rel, rel, n))
		return t->cache_fd;
	if (t->cache_fd >= 0)
		close(t->cache_fd);
	free(t->cache_rel);
	t->cache_rel = xstrndup(rel, n);
	int e = 0;
	t->cache_fd = walk(t->fd, t->display, t->cache_rel, false, &e, err);
	return t->cache_fd;
}

int tree_refuse_link(const struct tree *t, const char *name, struct sbuf *err)
{
	struct stat st;
	if (fstatat(t->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	char *d = tree_display(t, name);
	why_not(t->fd, d, strlen(d), name, "replace", ELOOP, err);
	free(d);
	return -1;
}

static int remove_at(int parent, const char *name, const char *display, struct sbuf *err)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			goto fail;
		}
		struct dirent *de;
		int ret = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (remove_at(dirfd(d), de->d_name, display, err) < 0) {
				ret = -1;
				break;
			}
		}
		closedir(d);
		if (ret < 0)
			return -1;
		if (unlinkat(parent, name, AT_REMOVEDIR) < 0)
			goto fail;
		return 0;
	}
	if (unlinkat(parent, name, 0) < 0)
		goto fail;
	return 0;
fail:
	if (!err->len)
		sbuf_addf(err, "cannot remove '%s': %s", display, strerror(errno));
	return -1;
}

int tree_remove(int dirfd, const char *name, const char *display, struct sbuf *err)
{
	return remove_at(dirfd, name, display, err);
}

/* ---- staging ----------------------------------------------------------------------------- */

static int stage_prepare(struct stage *st, const struct out_target *t, const char *suffix,
			 struct sbuf *err)
{
	memset(st, 0, sizeof(*st));
	st->partial = (struct tree)TREE_INIT;
	st->file_fd = -1;
	st->domain = t->domain;
	st->work = t->work;
	st->final = xasprintf("%s%s", t->name, suffix ? suffix : "");
	st->final_display = tree_display(t->domain, st->final);
	st->begun = true;
	st->merge = t->merge;
	st->publish = t->publish;
	sbuf_init(&st->steps);
	if (tree_refuse_link(st->domain, st->final, err) < 0)
		return -1;
	char *pd = stage_partial_display(st);
	int ret = tree_remove(st->work->fd, STAGE_PARTIAL, pd, err);	/* a stale one */
	free(pd);
	return ret;
}

char *stage_partial_display(const struct stage *st)
{
	return tree_display(st->work, STAGE_PARTIAL);
}

int stage_begin_dir(struct stage *st, const struct out_target *t, const char *suffix,
		    struct sbuf *err)
{
	if (stage_prepare(st, t, suffix, err) < 0 ||
	    tree_sub(&st->partial, st->work, STAGE_PARTIAL, true, err) < 0) {
		stage_abort(st);
		return -1;
	}
	return 0;
}

int stage_begin_file(struct stage *st, const struct out_target *t, const char *suffix,
		     struct sbuf *err)
{
	if (stage_prepare(st, t, suffix, err) < 0) {
		stage_abort(st);
		return -1;
	}
	st->file_fd = sys_openat(st->work->fd, STAGE_PARTIAL,
				 O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (st->file_fd < 0) {
		char *pd = stage_partial_display(st);
		sbuf_addf(err, "cannot create '%s': %s", pd, strerror(errno));
		free(pd);
		stage_abort(st);
		return -1;
	}
	return 0;
}

static int stage_fail(const struct stage *st, const char *doing, struct sbuf *err)
{
	int e = errno;
	char *pd = stage_partial_display(st);
	sbuf_addf(err, "cannot %s '%s' to '%s': %s", doing, pd, st->final_display, strerror(e));
	free(pd);
	return -1;
}

/*
 * swap_aside: for a file system that cannot exchange two names: final is
 * moved to the working folder's output.old, then partial renamed to final
 * (stage_commit removes the old one).  A crash in between leaves the
 * previous output complete at output.old until a run replaces it; a failed
 * rename moves it back.
 */
static int swap_aside(struct stage *st, struct sbuf *err)
{
	int wfd = st->work->fd, dfd = st->domain->fd;
	struct stat sb;
	/* no final but an output.old: a killed run's previous output, kept until replaced */
	bool have_final = fstatat(dfd, st->final, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	char *od = tree_display(st->work, STAGE_OLD);
	int ret = -1;
	if (have_final && tree_remove(wfd, STAGE_OLD, od, err) < 0)
		goto out;
	if (have_final && sys_renameat(dfd, st->final, wfd, STAGE_OLD, 0) < 0) {
		sbuf_addf(err, "cannot move aside '%s': %s", st->final_display, strerror(errno));
		goto out;
	}
	if (sys_renameat(wfd, STAGE_PARTIAL, dfd, st->final, 0) < 0) {
		stage_fail(st, "rename", err);
		if (have_final && renameat(wfd, STAGE_OLD, dfd, st->final) < 0)
			sbuf_addf(err, "; the previous output is left at '%s'", od);
		goto out;
	}
	ret = 0;		/* output.old is removed by stage_commit */
out:
	free(od);
	return ret;
}

/*
 * swap_in: partial takes final's place.  Where final exists, the two names
 * are exchanged in one step (renameat2 RENAME_EXCHANGE), so a crash at any
 * moment leaves final either the previous complete output or the new one,
 * never neither and never a mix; the previous one is then at partial, which
 * stage_commit removes (or the next run's stage_begin does).
 */
static int swap_in(struct stage *st, struct sbuf *err)
{
	int wfd = st->work->fd, dfd = st->domain->fd;
	if (sys_renameat(wfd, STAGE_PARTIAL, dfd, st->final, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno == ENOENT) {		/* no previous output */
		if (sys_renameat(wfd, STAGE_PARTIAL, dfd, st->final, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL)
			return stage_fail(st, "rename", err);
	}
	if (errno == EINVAL || errno == ENOSYS)	/* cannot exchange here */
		return swap_aside(st, err);
	return stage_fail(st, "rename", err);
}

int stage_commit(struct stage *st, struct sbuf *err)
{
	if (st->merge) {
		if (stage_merge_commit(st, err) < 0)
			return -1;
		stage_abort(st);
		return 0;
	}
	int fd = st->file_fd >= 0 ? st->file_fd : st->partial.fd;
	if (sys_syncfs(fd) < 0) {
		char *pd = stage_partial_display(st);
		sbuf_addf(err, "cannot sync '%s': %s", pd, strerror(errno));
		free(pd);
		return -1;
	}
	if (tree_refuse_link(st->domain, st->final, err) < 0 || swap_in(st, err) < 0)
		return -1;
	/*
	 * what is at output.partial now is the previous output (if any), and an
	 * output.old is what a run killed inside swap_aside left: neither is
	 * needed once the new output is in place
	 */
	stage_abort(st);
	return 0;
}

int stage_final_fd(const struct stage *st, struct sbuf *err)
{
	int fd = openat(st->domain->fd, st->final, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		sbuf_addf(err, "cannot open the earlier rounds' output '%s': %s", st->final_display,
			  strerror(errno));
	return fd;
}

void stage_abort(struct stage *st)
{
	if (!st->begun)
		return;
	struct sbuf ignored = SBUF_INIT;
	tree_close(&st->partial);
	if (st->file_fd >= 0)
		close(st->file_fd);
	st->file_fd = -1;
	/* a round whose plan is written is whole: the next run carries it out (merge.h) */
	if (faccessat(st->work->fd, MERGE_PLAN, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		tree_remove(st->work->fd, STAGE_PARTIAL, "", &ignored);
	tree_remove(st->work->fd, STAGE_OLD, "", &ignored);
	sbuf_release(&ignored);
	free(st->final);
	free(st->final_display);
	st->final = st->final_display = NULL;
	sbuf_release(&st->steps);
	st->begun = false;
}

int path_open(const char *path, int flags)
{
	size_t len = strlen(path);
	if (len < PATH_MAX)
		return open(path, flags | O_NOFOLLOW | O_CLOEXEC);
	/* the longest head that fits, ending at a '/' */
	const char *cut = path + PATH_MAX - 1;
	while (cut > path && *cut != '/')
		cut--;
	if (cut == path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char *head = xstrndup(path, (size_t)(cut - path));
	int fd = open(head, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(head);
	char *rest = xstrdup(cut + 1);
	char *save = NULL, *c = strtok_r(rest, "/", &save);
	while (fd >= 0 && c) {
		char *next = strtok_r(NULL, "/", &save);
		int f = openat(fd, c, (next ? O_RDONLY | O_DIRECTORY : flags) | O_NOFOLLOW |
			       O_CLOEXEC);
		int e = errno;
		close(fd);
		errno = e;
		fd = f;
		c = next;
	}
	free(rest);
	return fd;
}

/* ---- where DIR may not be ---------------------------------------------------------------- */

char *path_resolve_future(const char *path, struct sbuf *err)
{
	struct sbuf cur = SBUF_INIT;
	if (*path != '/') {
		char *cwd = realpath(".", NULL);
		if (!cwd) {
			sbuf_addf(err, "cannot resolve the current folder: %s", strerror(errno));
			return NULL;
		}
		sbuf_adds(&cur, strcmp(cwd, "/") ? cwd : "");
		free(cwd);
	}
	size_t real_len = cur.len;	/* cur up to here exists */
	char *copy = xstrdup(path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {	/* cur is resolved: its parent is lexical */
			char *slash = strrchr(cur.buf ? cur.buf : "", '/');
			sbuf_setlen(&cur, slash ? (size_t)(slash - cur.buf) : 0);
			if (cur.len < real_len)
				real_len = cur.len;
			continue;
		}
		size_t before = cur.len;
		sbuf_addch(&cur, '/');
		sbuf_adds(&cur, c);
		if (before != real_len)	/* below a folder still to be made */
			continue;
		struct stat st;
		if (lstat(cur.buf, &st) < 0) {
			if (errno == ENOENT)
				continue;
			sbuf_addf(err, "cannot resolve '%s': %s", cur.buf, strerror(errno));
			goto fail;
		}
		char *r = realpath(cur.buf, NULL);
		if (!r) {
			sbuf_addf(err, "cannot resolve '%s': %s", cur.buf, strerror(errno));
			goto fail;
		}
		sbuf_reset(&cur);
		sbuf_adds(&cur, strcmp(r, "/") ? r : "");
		free(r);
		real_len = cur.len;
	}
	free(copy);
	if (!cur.len)
		sbuf_addch(&cur, '/');
	return sbuf_detach(&cur);
fail:
	free(copy);
	sbuf_release(&cur);
	return NULL;
}

static bool same_id(const struct stat *st, const struct fileid *id)
{
	return st->st_dev == id->dev && st->st_ino == id->ino;
}

int path_hits(const char *resolved, const struct fileid *ids, size_t n, size_t *which)
{
	char *p = xstrdup(resolved);
	int hit = 0;
	for (;;) {
		struct stat st;
		if (stat(*p ? p : "/", &st) == 0) {
			for (size_t i = 0; i < n && !hit; i++) {
				if (same_id(&st, &ids[i])) {
					*which = i;
					hit = 1;
				}
			}
		}
		char *slash = strrchr(p, '/');
		if (hit || !slash || !*p)
			break;
		*slash = '\0';
	}
	free(p);
	return hit;
}

int fd_ancestor_is(int dirfd, const struct fileid *id)
{
	int fd = dup(dirfd);
	for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
		struct stat st, up;
		if (fstat(fd, &st) < 0)
			break;
		if (same_id(&st, id)) {
			close(fd);
			return 1;
		}
		int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = parent;
		if (fd < 0 || (fstat(fd, &up) == 0 && up.st_dev == st.st_dev &&
			       up.st_ino == st.st_ino))
			break;	/* the root is its own parent */
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
