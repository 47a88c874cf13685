/*
 * The PST reader's files: SOURCE opened without following a link and
 * without touching its access time, handed to libpff as a libbfio handle
 * over that descriptor (pread only, never a write), and the unlinked
 * temporary files a message is built in.
 */
#include "pst/read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

/* ---- the file, through a libbfio handle over our descriptor ---------------------- */

struct fdio {
	int fd;
	off64_t pos;
};

static int fdio_free(intptr_t **h, libbfio_error_t **e)
{
	(void)e;
	free(*h);
	*h = NULL;
	return 1;
}

static int fdio_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
	(void)e;
	struct fdio *c = xmalloc(sizeof(*c));
	*c = *(struct fdio *)src;
	*dst = (intptr_t *)c;
	return 1;
}

static int fdio_open(intptr_t *h, int flags, libbfio_error_t **e)
{
	(void)h;
	(void)e;
	return flags & LIBBFIO_ACCESS_FLAG_WRITE ? -1 : 1;	/* never for writing */
}

static int fdio_close(intptr_t *h, libbfio_error_t **e)
{
	(void)h;
	(void)e;
	return 0;	/* the descriptor is the reader's */
}

static ssize_t fdio_read(intptr_t *h, uint8_t *buf, size_t n, libbfio_error_t **e)
{
	(void)e;
	struct fdio *f = (struct fdio *)h;
	ssize_t got;
	do
		got = pread(f->fd, buf, n, f->pos);
	while (got < 0 && errno == EINTR);
	if (got > 0)
		f->pos += got;
	return got;
}

static ssize_t fdio_write(intptr_t *h, const uint8_t *buf, size_t n, libbfio_error_t **e)
{
	(void)h;
	(void)buf;
	(void)n;
	(void)e;
	return -1;	/* SOURCE is never written */
}

static int fdio_size(intptr_t *h, size64_t *size, libbfio_error_t **e)
{
	(void)e;
	struct stat st;
	if (fstat(((struct fdio *)h)->fd, &st) < 0)
		return -1;
	*size = (size64_t)st.st_size;
	return 1;
}

static off64_t fdio_seek(intptr_t *h, off64_t off, int whence, libbfio_error_t **e)
{
	struct fdio *f = (struct fdio *)h;
	size64_t size = 0;
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence == SEEK_END && fdio_size(h, &size, e) == 1)
		off += (off64_t)size;
	else if (whence != SEEK_SET)
		return -1;
	if (off < 0)
		return -1;
	f->pos = off;
	return off;
}

static int fdio_yes(intptr_t *h, libbfio_error_t **e)
{
	(void)h;
	(void)e;
	return 1;
}

int pst_open_noatime(const char *path, int flags)
{
	int fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME needs ownership or CAP_FOWNER */
		fd = open(path, flags);
	return fd;
}

/* pst_fd_handle: a libbfio handle reading fd (which stays the caller's); NULL on failure */
libbfio_handle_t *pst_fd_handle(int fd)
{
	struct fdio *io = xmalloc(sizeof(*io));
	*io = (struct fdio){ .fd = fd, .pos = 0 };
	libbfio_handle_t *h = NULL;
	if (libbfio_handle_initialize(&h, (intptr_t *)io, fdio_free, fdio_clone,
				      fdio_open, fdio_close, fdio_read, fdio_write, fdio_seek,
				      fdio_yes, fdio_yes, fdio_size,
				      LIBBFIO_FLAG_IO_HANDLE_MANAGED |
				      LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION, NULL) != 1) {
		free(io);
		return NULL;
	}
	return h;
}

/* tmp_file: an unlinked read-write file in $TMPDIR (else /tmp); -1 (errno) */
int pst_tmp_file(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char *name = xasprintf("%s/mdexport-pst-XXXXXX", dir);	/* no O_TMPFILE there */
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0)
		unlink(name);
	free(name);
	return fd;
}
