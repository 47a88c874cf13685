/*
 * Reading an mbox output back (the read-back interface, core/check.h):
 * check.c reads a file through the mbox reader (mbox_reader_ops) into an
 * index of its messages and compares one message, check_align.c lines a
 * file's messages up with the manifest's lines.
 */
#ifndef MDX_MBOX_CHECK_H
#define MDX_MBOX_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"

/* the mbox read-back (formats.c lists it) */
extern const struct mail_check_ops mbox_check_ops;

/*
 * One item of an mbox file as the mbox reader yields it: a message from
 * its From_ line to the next one (the separating empty line included), or
 * the bytes before the first From_ line, which are no message.
 */
struct mbox_entry {
	uint64_t offset, length;
	bool is_msg;		/* false: bytes before the first From_ line */
	char *from_line;	/* the From_ line as the writer would make it of the
				 * reader's sender and date; NULL when !is_msg */
	unsigned flags;		/* the reader's, from Status/X-Status */
	uint8_t key[32];	/* SHA-256 of the bytes the reader hands out */
	bool readable;		/* the reader could read them */
};

/* every item of one mbox file, in file order */
struct mbox_index {
	struct mbox_entry *e;
	size_t n;
	uint64_t size;		/* the file's */
	char *path;
};

/*
 * mbox_index_build: the file at path read through the mbox reader (never
 * through a symbolic link); 0, or -1 with err set when it cannot be read
 * (absent set when there is no such file).
 */
int mbox_index_build(const char *path, struct mbox_index *ix, bool *absent, struct sbuf *err);
void mbox_index_release(struct mbox_index *ix);
/* mbox_index_at: the entry starting at offset, or NULL */
const struct mbox_entry *mbox_index_at(const struct mbox_index *ix, uint64_t offset);

/*
 * verify_mbox: the message at [offset, offset+length) of the indexed file
 * is the source: the reader finds a message there whose From_ line is the
 * one the writer makes (envelope sender, internal date), whose flags are
 * the source's, whose bytes (status fields dropped, mboxrd quoting
 * undone) are the source with its Status/X-Status fields (and the other
 * fields an mbox reader hides) removed, CRLF turned into LF and a final LF
 * added, and whose length in the file is what the writer makes of it (the
 * three lines at the top, each ^>*From_ line quoted, the separating empty
 * line).  key_r: SHA-256 of that normalized source (to find the message
 * elsewhere in the file when it is not at offset); len_r: the length the
 * writer makes of it in the file (0 when the source cannot be read).
 */
int verify_mbox(const struct mail_msg *src, const struct mbox_index *ix, uint64_t offset,
		uint64_t length, uint8_t key_r[32], uint64_t *len_r, struct sbuf *why);

/*
 * mbox_reconcile (check_align.c): each mbox file's messages against the
 * lines that put messages in it (the ops' reconcile).
 */
void mbox_reconcile(struct mail_check *c, struct check_line *lines, size_t n,
		    const struct check_report *rep);
/* mbox_check_index (check.c): the index of the file rel of c's output, built once */
const struct mbox_index *mbox_check_index(struct mail_check *c, const char *rel);

#endif
