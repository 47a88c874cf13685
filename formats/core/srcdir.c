/*
 * Reading a directory tree in SOURCE (srcdir.h).  O_NOATIME keeps even the
 * access times as they were; it needs ownership of the file (or
 * CAP_FOWNER), so where it is refused the open is retried without it.
 */
#include "core/srcdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

int src_open_at(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

int src_open_dir_at(int dirfd, const char *name)
{
	return src_open_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int src_open_file_at(int dirfd, const char *name)
{
	/* O_NONBLOCK: a FIFO planted under a message's name must not hang the open */
	return src_open_at(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
}

/* kind_at: what name is in dirfd, without following a link (SRC_NONE: not there) */
static enum src_kind kind_at(int dirfd, const char *name, unsigned char d_type)
{
	switch (d_type) {
	case DT_REG: return SRC_FILE;
	case DT_DIR: return SRC_DIR;
	case DT_LNK: return SRC_LINK;
	case DT_UNKNOWN: break;
	default: return SRC_OTHER;
	}
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return SRC_NONE;
	if (S_ISREG(st.st_mode))
		return SRC_FILE;
	if (S_ISDIR(st.st_mode))
		return SRC_DIR;
	return S_ISLNK(st.st_mode) ? SRC_LINK : SRC_OTHER;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct src_name *)a)->name, ((const struct src_name *)b)->name);
}

void src_names_free(struct src_name *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int src_iter_open(struct src_iter *it, int dirfd)
{
	/* a descriptor of its own: closedir() closes it, dirfd stays open */
	int fd = src_open_at(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	it->dir = d;
	it->dirfd = dirfd;
	return 0;
}

int src_iter_next(struct src_iter *it, const char **name, enum src_kind *kind)
{
	const struct dirent *de;
	errno = 0;
	while ((de = readdir(it->dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		*name = de->d_name;
		*kind = kind_at(it->dirfd, de->d_name, de->d_type);
		return 1;
	}
	return errno ? -1 : 0;
}

void src_iter_close(struct src_iter *it)
{
	if (it->dir)
		closedir(it->dir);
	it->dir = NULL;
}

static ssize_t list_names(int dirfd, struct src_name **out, bool dirs_only);

ssize_t src_list_dir(int dirfd, struct src_name **out)
{
	return list_names(dirfd, out, false);
}

ssize_t src_list_subdirs(int dirfd, struct src_name **out)
{
	return list_names(dirfd, out, true);
}

static ssize_t list_names(int dirfd, struct src_name **out, bool dirs_only)
{
	*out = NULL;
	struct src_iter it;
	if (src_iter_open(&it, dirfd) < 0)
		return -1;
	struct src_name *v = NULL;
	size_t n = 0, alloc = 0;
	const char *name;
	enum src_kind kind;
	int r;
	while ((r = src_iter_next(&it, &name, &kind)) == 1) {
		if (dirs_only && kind != SRC_DIR)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[n].name = xstrdup(name);
		v[n].kind = kind;
		n++;
	}
	int e = errno;
	src_iter_close(&it);
	if (r < 0) {
		src_names_free(v, n);
		errno = e;
		return -1;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_name);
	*out = v;
	return (ssize_t)n;
}
