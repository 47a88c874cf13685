/*
 * The files of one mailbox's PST (pst.c): <mailbox>.pst, and with
 * --split-size <mailbox>-002.pst, <mailbox>-003.pst, ... (README,
 * "Splitting PSTs").  Each part is a complete store of its own, written to
 * a staging file in the mailbox's working folder (the first part at the
 * usual output.partial, part k in part-00k/output.partial) and kept open
 * until the writer commits, because every part gets the whole folder tree
 * and folders come one at a time.
 */
#ifndef MDX_PST_PARTS_H
#define MDX_PST_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conv.h"
#include "core/outdir.h"
#include "core/sbuf.h"

/* what a folder holds in one part */
struct pst_part_folder {
	uint64_t contents_data, contents_sub;	/* its contents table, once written */
	uint32_t count, unread;
	bool has_contents;
};

struct pst_part {
	struct pst_ndb *ndb;		/* NULL once finished */
	struct stage stage;
	struct tree work;		/* parts after the first: their own working folder */
	char *final;			/* the file's name in the domain folder */
	uint8_t record_key[16];
	char *store_name;
	struct pst_part_folder *f;	/* by the writer's folder index */
	size_t nf;
	uint64_t messages;
};

struct pst_parts {
	struct pst_part **v;		/* each allocated alone: its stage points into it */
	size_t n, cur;			/* cur: the part being written (the last) */
	uint64_t split_size;		/* 0: never split */
	struct out_target t;
	char *name;			/* t.name, kept */
	char *domain, *mailbox;
};

/* pst_parts_open: the first part begun (stale parts' working folders removed); 0 or -1 + err */
int pst_parts_open(struct pst_parts *ps, const struct out_target *t, const struct mail_box *box,
		   struct sbuf *err);
/* pst_parts_next: a new part begun, and made the current one; 0 or -1 + err */
int pst_parts_next(struct pst_parts *ps, struct sbuf *err);
struct pst_part *pst_parts_current(struct pst_parts *ps);
struct pst_ndb *pst_parts_ndb(struct pst_parts *ps);
/* pst_parts_folder: folder i in the current part; _of: in part k (zeroed when new) */
struct pst_part_folder *pst_parts_folder(struct pst_parts *ps, size_t i);
struct pst_part_folder *pst_parts_folder_of(struct pst_parts *ps, size_t k, size_t i);
/*
 * pst_parts_commit: every part (each finished: ndb NULL) swapped in for its
 * name, then the stale higher parts of a previous export removed.  When
 * more than one file is involved (this export's parts, or a previous
 * one's), the previous manifest is removed first and the parts renamed
 * from the highest to <mailbox>.pst, so that a run killed in between
 * leaves an output without a manifest (unfinished, as verify and the next
 * run see it), never an old manifest over a mix of old and new parts;
 * the pipeline publishes the new manifest after the commit.
 */
int pst_parts_commit(struct pst_parts *ps, struct sbuf *err);
/* pst_parts_abort: every part's file and staging removed */
void pst_parts_abort(struct pst_parts *ps);
void pst_parts_release(struct pst_parts *ps);

#endif
