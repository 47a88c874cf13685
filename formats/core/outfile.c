#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/msghash.h"
#include "core/outdir.h"
#include "core/sysio.h"
#include "core/xalloc.h"

int outfile_open(struct outfile *of, const char *path, struct sbuf *err)
{
	memset(of, 0, sizeof(*of));
	of->fd = sys_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (of->fd < 0) {
		sbuf_addf(err, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	of->path = xstrdup(path);
	of->dirfd = -1;
	of->buf = xmalloc(OUTFILE_BUFSIZE);
	return 0;
}

int outfile_create(struct outfile *of, struct tree *t, const char *rel, struct sbuf *err)
{
	memset(of, 0, sizeof(*of));
	of->fd = of->dirfd = -1;
	const char *leaf;
	int dirfd = tree_parent(t, rel, &leaf, err);
	if (dirfd < 0)
		return -1;
	char *display = tree_display(t, rel);
	of->fd = sys_openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
	if (of->fd < 0 || (of->dirfd = dup(dirfd)) < 0) {
		sbuf_addf(err, "cannot create '%s': %s", display, strerror(errno));
		if (of->fd >= 0) {
			close(of->fd);
			unlinkat(dirfd, leaf, 0);
		}
		of->fd = -1;
		free(display);
		return -1;
	}
	of->path = display;
	of->name = xstrdup(leaf);
	of->buf = xmalloc(OUTFILE_BUFSIZE);
	return 0;
}

/* remove_made: the file outfile made, by the way it was made */
static void remove_made(const struct outfile *of)
{
	if (of->dirfd >= 0)
		unlinkat(of->dirfd, of->name, 0);
	else
		unlink(of->path);
}

static void write_all(struct outfile *of, const char *p, size_t len)
{
	if (!of->error && len)
		of->error = sys_write_all(of->fd, p, len);
}

static void flush_buf(struct outfile *of)
{
	write_all(of, of->buf, of->len);
	of->len = 0;
}

void outfile_write_slow(struct outfile *of, const void *data, size_t len)
{
	if (of->error)
		return;
	of->offset += len;
	if (of->len + len <= OUTFILE_BUFSIZE) {
		memcpy(of->buf + of->len, data, len);
		of->len += len;
		return;
	}
	flush_buf(of);
	if (len >= OUTFILE_BUFSIZE / 2) {
		write_all(of, data, len);
	} else {
		memcpy(of->buf, data, len);
		of->len = len;
	}
}

void outfile_sync(struct outfile *of)
{
	if (!of->error)
		flush_buf(of);
	if (!of->error && sys_fsync(of->fd) < 0)
		of->error = errno;
}

int outfile_sink(void *ctx, const void *data, size_t len)
{
	struct outfile *of = ctx;
	outfile_write(of, data, len);
	return of->error ? -1 : 0;
}

int outfile_rewind(struct outfile *of, uint64_t offset)
{
	if (of->error)
		return -1;
	uint64_t flushed = of->offset - of->len;
	if (offset >= flushed) {
		of->len = (size_t)(offset - flushed);
	} else {
		of->len = 0;
		if (sys_ftruncate(of->fd, (off_t)offset) < 0 ||
		    lseek(of->fd, (off_t)offset, SEEK_SET) < 0) {
			of->error = errno;
			return -1;
		}
	}
	of->offset = offset;
	return 0;
}

void outfile_hash_add(struct outfile *of, const void *data, size_t len)
{
	if (!of->error)
		msg_hash_add(of->hash, data, len);
}

void outfile_hash_start(struct outfile *of)
{
	if (!of->hash)
		of->hash = msg_hash_new();
	msg_hash_reset(of->hash);
	of->hashing = true;
}

void outfile_hash_end(struct outfile *of, char hex[65])
{
	hex[0] = '\0';
	if (of->hashing)
		msg_hash_done(of->hash, hex);
	of->hashing = false;
}

static void release(struct outfile *of)
{
	msg_hash_free(&of->hash);
	of->hashing = false;
	if (of->dirfd >= 0)
		close(of->dirfd);
	of->dirfd = -1;
	free(of->name);
	of->name = NULL;
	free(of->path);
	free(of->buf);
	of->path = NULL;
	of->buf = NULL;
	of->fd = -1;
}

int outfile_close(struct outfile *of, int64_t mtime, struct sbuf *err)
{
	if (!of->error)
		flush_buf(of);
	if (!of->error && mtime >= 0 && sys_futimens(of->fd, mtime) < 0)
		of->error = errno;
	if (close(of->fd) < 0 && !of->error)
		of->error = errno;
	int ret = 0;
	if (of->error) {
		sbuf_addf(err, "cannot write '%s': %s", of->path,
			  strerror(of->error));
		remove_made(of);
		ret = -1;
	}
	release(of);
	return ret;
}

void outfile_abort(struct outfile *of)
{
	if (of->fd < 0)
		return;
	close(of->fd);
	remove_made(of);
	release(of);
}
