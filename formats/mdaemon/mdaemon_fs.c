#include "mdaemon/mdaemon_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/srcdir.h"
#include "core/xalloc.h"

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static enum dent_type type_of(int dirfd, const struct dirent *de)
{
	switch (de->d_type) {
	case DT_REG: return DENT_FILE;
	case DT_DIR: return DENT_DIR;
	case DT_LNK: return DENT_LINK;
	case DT_UNKNOWN: break;
	default: return DENT_OTHER;
	}
	struct stat st;
	if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DENT_OTHER;
	if (S_ISREG(st.st_mode))
		return DENT_FILE;
	if (S_ISDIR(st.st_mode))
		return DENT_DIR;
	return S_ISLNK(st.st_mode) ? DENT_LINK : DENT_OTHER;
}

int dirlist_each(int dirfd, dent_keep_fn keep, dent_fn fn, void *ctx)
{
	int fd = dup(dirfd);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/*
		 * As when every entry was kept: each one's type is looked up, and
		 * a failed lookup's errno fails the listing; fn's does not.
		 */
		enum dent_type type = type_of(dirfd, de);
		int e = errno;
		if (!keep || keep(de->d_name))
			fn(ctx, de->d_name, type);
		errno = e;
	}
	int saved = errno;
	closedir(d);
	errno = saved;
	return saved ? -1 : 0;
}

static void dirlist_append(void *ctx, const char *name, enum dent_type type)
{
	struct dirlist *out = ctx;
	if (out->count == out->alloc) {
		out->alloc = out->alloc ? out->alloc * 2 : 64;
		out->ents = xreallocarray(out->ents, out->alloc, sizeof(*out->ents));
	}
	out->ents[out->count].name = xstrdup(name);
	out->ents[out->count].type = type;
	out->count++;
}

int dirlist_read_if(int dirfd, dent_keep_fn keep, struct dirlist *out)
{
	memset(out, 0, sizeof(*out));
	if (dirlist_each(dirfd, keep, dirlist_append, out) < 0) {
		int saved = errno;
		dirlist_release(out);
		errno = saved;
		return -1;
	}
	if (out->count)
		qsort(out->ents, out->count, sizeof(*out->ents), cmp_dent);
	return 0;
}

int dirlist_read(int dirfd, struct dirlist *out)
{
	return dirlist_read_if(dirfd, NULL, out);
}

void dirlist_release(struct dirlist *dl)
{
	for (size_t i = 0; i < dl->count; i++)
		free(dl->ents[i].name);
	free(dl->ents);
	memset(dl, 0, sizeof(*dl));
}

const struct dent *dirlist_find_ci(const struct dirlist *dl, const char *name)
{
	const struct dent *ci = NULL;
	for (size_t i = 0; i < dl->count; i++) {
		if (!strcmp(dl->ents[i].name, name))
			return &dl->ents[i];
		if (!ci && !strcasecmp(dl->ents[i].name, name))
			ci = &dl->ents[i];
	}
	return ci;
}

bool has_suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

int open_dir_at(int dirfd, const char *name)
{
	return src_open_dir_at(dirfd, name);
}

int open_file_at(int dirfd, const char *name)
{
	return src_open_file_at(dirfd, name);
}

int open_regular_at(int dirfd, const char *name, struct stat *st)
{
	int fd = open_file_at(dirfd, name);
	if (fd < 0)
		return -1;
	int e = 0;
	if (fstat(fd, st) < 0)
		e = errno;
	else if (!S_ISREG(st->st_mode))
		e = EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int read_small_file_at(int dirfd, const char *name, size_t max, struct sbuf *out)
{
	struct stat st;
	int fd = open_regular_at(dirfd, name, &st);
	if (fd < 0)
		return -1;
	int e = 0;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	sbuf_grow(out, (size_t)st.st_size);
	for (;;) {
		sbuf_grow(out, 65536);
		ssize_t n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		sbuf_setlen(out, out->len + (size_t)n);
		if (out->len > max) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	return 0;
}

void mrk_consider(struct mrk_pick *p, const char *name, enum dent_type type)
{
	bool better = !p->found || (strcmp(p->name, "IMAP.MRK") &&
				    (!strcmp(name, "IMAP.MRK") || strcmp(name, p->name) < 0));
	if (!better)
		return;
	memcpy(p->name, name, sizeof(p->name));
	p->type = type;
	p->found = true;
}

const char *mrk_file(const struct mrk_pick *p)
{
	return p->found && p->type == DENT_FILE ? p->name : NULL;
}
