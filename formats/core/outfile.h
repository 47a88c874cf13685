/*
 * Buffered output file with a sticky error: after the first failed write
 * every later write is a no-op and the errno is kept, so writers check once,
 * at outfile_close() (after Dovecot's ostream and Redis' rio).
 *
 * Files are created with O_EXCL: two items that would land on the same name
 * are an error, never a silent overwrite.
 */
#ifndef MDX_OUTFILE_H
#define MDX_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/sbuf.h"

struct msg_hash;

#define OUTFILE_BUFSIZE (128 * 1024)

struct outfile {
	int fd;			/* -1 when closed */
	int error;		/* first errno, 0 while all is well */
	uint64_t offset;	/* bytes accepted so far */
	char *path;		/* for messages */
	int dirfd;		/* the directory it was made in (outfile_create); -1: by path */
	char *name;		/* its name there */
	size_t len;		/* bytes waiting in buf */
	char *buf;
	/*
	 * hash: while an item is written (outfile_hash_start .. _end), the
	 * SHA-256 of its bytes, for the manifest (issue 16); NULL: none
	 */
	struct msg_hash *hash;
	bool hashing;
};

struct tree;
/* outfile_open: create path (must not exist). Returns 0, or -1 with err set. */
int outfile_open(struct outfile *of, const char *path, struct sbuf *err);
/*
 * outfile_create: create rel below t (outdir.h: no link followed, rel's
 * folders must exist).  Returns 0, or -1 with err set.
 */
int outfile_create(struct outfile *of, struct tree *t, const char *rel, struct sbuf *err);
void outfile_write_slow(struct outfile *of, const void *data, size_t len);

void outfile_hash_add(struct outfile *of, const void *data, size_t len);

/* outfile_write: buffered; the common case (it fits) inline, for the line filters */
static inline void outfile_write(struct outfile *of, const void *data, size_t len)
{
	if (of->hashing)
		outfile_hash_add(of, data, len);
	if (!of->error && of->len + len <= OUTFILE_BUFSIZE) {
		memcpy(of->buf + of->len, data, len);
		of->len += len;
		of->offset += len;
		return;
	}
	outfile_write_slow(of, data, len);
}
/* outfile_sink: msg_sink_fn adapter; ctx is the outfile */
int outfile_sink(void *ctx, const void *data, size_t len);
static inline bool outfile_failed(const struct outfile *of) { return of->error != 0; }
/*
 * outfile_rewind: forget everything after offset (<= of->offset), e.g. a
 * message whose source failed half-way.  Returns 0, or -1 (sticky error).
 */
int outfile_rewind(struct outfile *of, uint64_t offset);
/* outfile_sync: flush and fsync now (a failure is sticky, reported by outfile_close) */
void outfile_sync(struct outfile *of);
/*
 * outfile_close: flush, set the modification time (mtime >= 0), close.
 * Returns 0, or -1 with err naming the file and the first error.
 */
int outfile_close(struct outfile *of, int64_t mtime, struct sbuf *err);
/*
 * outfile_hash_start: the SHA-256 of what is written from now on (an item's
 * bytes; again from nothing after a rewind); outfile_hash_end: its hex
 * digest, and no more hashing
 */
void outfile_hash_start(struct outfile *of);
void outfile_hash_end(struct outfile *of, char hex[65]);
/* outfile_abort: close without checking and remove the file */
void outfile_abort(struct outfile *of);

#endif
