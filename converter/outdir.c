#include "outdir.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysio.h"
#include "xalloc.h"

static const char hexdigits[] = "0123456789ABCDEF";

void fsname_escape(struct sbuf *out, const char *name)
{
	if (!*name) {
		sbuf_adds(out, "%00");
		return;
	}
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

/* resolve_new: path resolved as far as it exists, the rest appended; NULL on failure */
static char *resolve_new(const char *path)
{
	char *head = xstrdup(*path ? path : ".");
	struct sbuf tail = SBUF_INIT;
	char *real;
	while (!(real = realpath(head, NULL))) {
		char *slash = strrchr(head, '/');
		struct sbuf t = SBUF_INIT;
		sbuf_addf(&t, "/%s%s", slash ? slash + 1 : head, tail.buf);
		sbuf_release(&tail);
		tail = t;
		if (!slash) {
			strcpy(head, ".");
		} else if (slash == head) {
			head[1] = '\0';
		} else {
			*slash = '\0';
		}
	}
	free(head);
	char *out = xasprintf("%s%s", strcmp(real, "/") ? real : "", tail.buf);
	free(real);
	sbuf_release(&tail);
	return out;
}

/* collapse: resolve "." and ".." components in place (an absolute path) */
static void collapse(char *p)
{
	char *out = p;
	for (char *c = p; *c; ) {
		while (*c == '/')
			c++;
		char *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);
		if (n == 2 && !strncmp(c, "..", 2)) {
			while (out > p && *--out != '/')
				;
		} else if (n && !(n == 1 && *c == '.')) {
			*out++ = '/';
			memmove(out, c, n);
			out += n;
		}
		c = end;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

int path_within(const char *path, const char *dir)
{
	char *d = realpath(dir, NULL);
	if (!d)
		return -1;
	char *p = resolve_new(path);
	collapse(p);
	size_t n = strlen(d);
	int ret = !strcmp(d, "/") || (!strncmp(p, d, n) && (p[n] == '/' || !p[n]));
	free(d);
	free(p);
	return ret;
}

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

static int remove_at(int parent, const char *name, struct sbuf *err, const char *top)
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
			if (remove_at(dirfd(d), de->d_name, err, top) < 0) {
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
		sbuf_addf(err, "cannot remove '%s': %s", top, strerror(errno));
	return -1;
}

int remove_tree(const char *path, struct sbuf *err)
{
	return remove_at(AT_FDCWD, path, err, path);
}

int stage_begin_dir(struct stage *st, const char *final, struct sbuf *err)
{
	st->final = xstrdup(final);
	st->partial = xasprintf("%s.partial", final);
	if (remove_tree(st->partial, err) < 0 || mkdir_p(st->partial, err) < 0) {
		stage_abort(st);
		return -1;
	}
	return 0;
}

/* sync_partial: everything under partial on disk before it takes final's place */
static int sync_partial(const struct stage *st, struct sbuf *err)
{
	int fd = open(st->partial, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = fd < 0 ? -1 : sys_syncfs(fd);
	if (ret < 0)
		sbuf_addf(err, "cannot sync '%s': %s", st->partial, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * swap_aside: for a file system that cannot exchange two names: final is
 * moved to <final>.old, then partial renamed to final (stage_commit removes
 * the old one).  A crash in between leaves the previous output complete at
 * <final>.old until a run replaces it; a failed rename moves it back.
 */
static int swap_aside(struct stage *st, struct sbuf *err)
{
	char *old = xasprintf("%s.old", st->final);
	int ret = -1;
	struct stat sb;
	/* no final but an .old: a killed run's previous output, kept until replaced */
	bool have_final = lstat(st->final, &sb) == 0;
	if (have_final && remove_tree(old, err) < 0)
		goto out;
	if (have_final && sys_rename(st->final, old) < 0) {
		sbuf_addf(err, "cannot move aside '%s': %s", st->final, strerror(errno));
		goto out;
	}
	if (sys_rename(st->partial, st->final) < 0) {
		sbuf_addf(err, "cannot rename '%s' to '%s': %s", st->partial,
			  st->final, strerror(errno));
		if (rename(old, st->final) < 0 && errno != ENOENT)
			sbuf_addf(err, "; the previous output is left at '%s'", old);
		goto out;
	}
	ret = 0;		/* old is removed by stage_commit */
out:
	free(old);
	return ret;
}

/*
 * swap_in: partial takes final's place.  Where final exists, the two names
 * are exchanged in one step (renameat2 RENAME_EXCHANGE), so a crash at any
 * moment leaves final either the previous complete output or the new one,
 * never neither and never a mix; the previous one is then at partial, which
 * the caller removes (or the next run's stage_begin_dir does).
 */
static int swap_in(struct stage *st, struct sbuf *err)
{
	if (sys_exchange(st->partial, st->final) == 0)
		return 0;
	if (errno == ENOENT) {		/* no previous output */
		if (sys_rename(st->partial, st->final) == 0)
			return 0;
		sbuf_addf(err, "cannot rename '%s' to '%s': %s", st->partial,
			  st->final, strerror(errno));
		return -1;
	}
	if (errno == EINVAL || errno == ENOSYS)	/* cannot exchange here */
		return swap_aside(st, err);
	sbuf_addf(err, "cannot rename '%s' to '%s': %s", st->partial, st->final,
		  strerror(errno));
	return -1;
}

int stage_commit(struct stage *st, struct sbuf *err)
{
	if (sync_partial(st, err) < 0 || swap_in(st, err) < 0)
		return -1;
	/*
	 * what is at partial now is the previous output (if any), and a
	 * <final>.old is what a run killed inside swap_aside left: neither is
	 * needed once the new output is in place
	 */
	struct sbuf ignored = SBUF_INIT;
	char *old = xasprintf("%s.old", st->final);
	remove_tree(st->partial, &ignored);
	remove_tree(old, &ignored);
	free(old);
	sbuf_release(&ignored);
	free(st->final);
	free(st->partial);
	st->final = st->partial = NULL;
	return 0;
}

void stage_abort(struct stage *st)
{
	struct sbuf ignored = SBUF_INIT;
	if (st->partial)
		remove_tree(st->partial, &ignored);
	sbuf_release(&ignored);
	free(st->final);
	free(st->partial);
	st->final = st->partial = NULL;
}
