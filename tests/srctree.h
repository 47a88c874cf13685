/*
 * A scratch tree for the reader unit tests (Maildir, mbox, EML): a
 * directory made from SRCTREE_TEMPLATE (defined before this header is
 * included, "/tmp/mdx-<name>-XXXXXX", made by the test with mkdtemp), paths
 * in it, folders and files with a chosen mtime, and a sink that collects
 * bytes.  A failure to make what a test needs aborts the test.
 */
#ifndef MDX_SRCTREE_H
#define MDX_SRCTREE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sbuf.h"

static char tmpdir[] = SRCTREE_TEMPLATE;

/* tmp_path: name below the scratch directory (valid until the next call) */
static inline char *tmp_path(const char *name)
{
	static char buf[1024];
	if (snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name) >= (int)sizeof(buf))
		abort();	/* a test's own path too long: its bug */
	return buf;
}

static inline void make_dir(const char *rel)
{
	if (mkdir(tmp_path(rel), 0755) < 0 && errno != EEXIST)
		abort();
}

/* write_file: rel holds data, its mtime is mtime (Unix seconds) */
static inline void write_file(const char *rel, const char *data, int64_t mtime)
{
	int fd = open(tmp_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t len = strlen(data);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
	if (futimens(fd, ts) < 0)
		abort();
	close(fd);
}

/* sink_sbuf: a msg_sink_fn appending to the sbuf ctx */
static inline int sink_sbuf(void *ctx, const void *data, size_t len)
{
	sbuf_add(ctx, data, len);
	return 0;
}

#endif
