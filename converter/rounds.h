/*
 * export --incremental: what the earlier rounds of one mailbox wrote, as
 * the whole export's manifest (DIR/<domain>/<mailbox>.manifest.jsonl)
 * records it, never by reading the output.  A source message is the same
 * message as one written before when it has the same folder, UIDVALIDITY
 * and UID (an index record), else the same folder and SHA-256.  A folder
 * that is new by name but has the UIDVALIDITY of an earlier folder no
 * longer seen is that folder renamed; a folder whose UIDVALIDITY changed
 * is exported again in full.
 *
 * Memory: one entry per message of the earlier rounds (its key and where
 * its line is in the manifest, about 120 bytes), not the lines themselves.
 */
#ifndef MDX_ROUNDS_H
#define MDX_ROUNDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/conv.h"
#include "core/sbuf.h"
#include "verify.h"

struct rounds;

/* one message line of an earlier round */
struct round_item {
	uint64_t offset;	/* the line in the manifest */
	uint32_t length;
	unsigned flags;		/* the source's flags as last recorded */
	bool removed;		/* recorded as removed from the source already */
	bool matched;		/* this round found its source */
	size_t next;		/* another line with the same key (same bytes twice): index + 1 */
};

/* what this round makes of one source folder */
struct round_folder {
	const char *key_folder;	/* the folder's name in the earlier rounds' keys */
	const char *renamed_from;	/* NULL, or the earlier name of a renamed folder */
	bool uidvalidity_changed;
	uint32_t old_uidvalidity;
};

/*
 * rounds_open: the manifest name in domain_fd (display: its path, for
 * messages), written by an export of format; 1 loaded, 0 there is none
 * (this is the first round), -1 (err set): unusable (another format, a
 * line that cannot be read: a round on top of it could double messages)
 */
int rounds_open(struct rounds **out, int domain_fd, const char *name, const char *display,
		const char *format, struct sbuf *err);
/* rounds_number: the number of the round this run makes (the last one's + 1) */
unsigned rounds_number(const struct rounds *r);
void rounds_folder(struct rounds *r, const struct mail_folder *f, struct round_folder *rf);
/* rounds_reindexed: this round found the folder with a new UIDVALIDITY (rounds_folder) */
bool rounds_reindexed(const struct rounds *r, const char *folder);
/* rounds_keyed_by_hash: the message has no index record: it is found by its SHA-256 */
bool rounds_keyed_by_hash(const struct mail_folder *f, const struct mail_msg *m);
/* rounds_find: the earlier line of this message (marked matched), or NULL: it is new */
struct round_item *rounds_find(struct rounds *r, const struct round_folder *rf,
			       const struct mail_folder *f, const struct mail_msg *m,
			       const char *sha256);
/*
 * rounds_line: the earlier line of it parsed into e (mf_entry_release it)
 * and its "output" object's text into output; 0, or -1 (err set)
 */
int rounds_line(struct rounds *r, const struct round_item *it, struct mf_entry *e,
		struct sbuf *output, struct sbuf *err);
/* rounds_next_unmatched: the earlier lines this round did not find, one by one; NULL at the end */
struct round_item *rounds_next_unmatched(struct rounds *r, size_t *iter);
void rounds_free(struct rounds **r);

#endif
