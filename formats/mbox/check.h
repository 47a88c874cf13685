/*
 * Reading an mbox output back (the read-back interface, core/check.h):
 * check.c compares one message and cuts a file into messages,
 * check_align.c lines a file's messages up with the manifest's lines.
 */
#ifndef MDX_MBOX_CHECK_H
#define MDX_MBOX_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"

/* the mbox read-back (formats.c lists it) */
extern const struct mail_check_ops mbox_check_ops;

/*
 * verify_mbox: the message at [offset, offset+length) of the open mbox
 * file fd is the source: a "From " line with the envelope sender and the
 * internal date as the writer makes them, "Status:" and "X-Status:" lines
 * saying exactly the source's flags, then, mboxrd quoting undone and the
 * separating empty line taken off, the source with its Status/X-Status
 * header fields removed, CRLF turned into LF and a final LF added when it
 * had none.  key_r: SHA-256 of that normalized source (to find the message
 * elsewhere in the file when it is not at offset).
 */
int verify_mbox(const struct mail_msg *src, int fd, uint64_t file_size, uint64_t offset,
		uint64_t length, uint8_t key_r[32], struct sbuf *why);

/* one message of an mbox file as found by verify_mbox_scan */
struct mbox_region {
	uint64_t offset, length;
};
/*
 * verify_mbox_scan: every message of an mbox file: a region starts at each
 * "From " that begins a line (mboxrd quotes every other one) and runs to
 * the next or to the end.  Bytes before the first "From " are a region too
 * (they belong to no message).  Returns 0, or -1 with err set.
 */
int verify_mbox_scan(int fd, struct mbox_region **r, size_t *n, struct sbuf *err);

/* what one region holds, for matching it to a source message */
struct mbox_region_key {
	uint8_t key[32];	/* SHA-256 of the unquoted message (see verify_mbox) */
	char *from_line;	/* its "From " line, NULL when it has none */
	unsigned flags;		/* from its Status/X-Status lines */
	bool status_ok;		/* both lines there, letters all known */
};
int verify_mbox_region_key(int fd, const struct mbox_region *r, struct mbox_region_key *k,
			   struct sbuf *err);
void mbox_region_key_release(struct mbox_region_key *k);

/*
 * mbox_reconcile (check_align.c): each mbox file's messages against the
 * lines that put messages in it (the ops' reconcile).
 */
void mbox_reconcile(struct mail_check *c, struct check_line *lines, size_t n,
		    const struct check_report *rep);

#endif
