/*
 * The NDB writer: an append-only PST file.  Blocks are written in order at
 * 64-byte alignment as they come; each AMap interval's map pages are
 * written as soon as allocation has moved past it (sequential allocation
 * makes that final), so memory holds one interval's bitmap, not the file's;
 * at the end the BBT and NBT are built bottom-up, the last maps and the
 * header are written, and the file is synced.  The caller writes to a
 * temporary name and renames it (an unfinished file also says fAMapValid = 0).
 *
 * NEEDSWORK (issue 3): BBT/NBT entry lists grow in memory (24 and 32 bytes
 * per block and node); spill them to a temporary file for huge mailboxes.
 * Blocks are written unencoded (bCryptMethod 0); Outlook's default is 1.
 */
#ifndef MDX_PST_NDBW_H
#define MDX_PST_NDBW_H

#include <stddef.h>
#include <stdint.h>

#include "btree.h"
#include "sbuf.h"

struct pst_ndb;

/* pst_ndb_create: a new, empty file at path (must not exist). NULL + err on failure. */
struct pst_ndb *pst_ndb_create(const char *path, struct sbuf *err);
/*
 * pst_ndb_write_block: one block of cb <= PST_BLOCK_DATA_MAX bytes; returns
 * its BID (0 after an error, which is sticky and reported by finish).
 */
uint64_t pst_ndb_write_block(struct pst_ndb *n, const void *data, size_t cb);
/*
 * pst_ndb_write_data: a node's data stream of any length: one block, or a
 * tree of XBLOCKs/XXBLOCKs over full 8176-byte leaves.  Returns the BID of
 * the stream's top block.
 */
uint64_t pst_ndb_write_data(struct pst_ndb *n, const void *data, uint64_t len);
/*
 * A node data stream written as it comes, for values of unknown or large
 * size (attachments): full 8176-byte leaves, an XBLOCK per 1,021 leaves,
 * an XXBLOCK above them; memory holds one leaf and two BID lists.
 */
struct pst_stream {
	struct pst_ndb *n;
	uint8_t *leaf;			/* PST_BLOCK_DATA_MAX bytes */
	size_t fill;
	uint64_t total;
	uint64_t *leaves;		/* leaf BIDs of the XBLOCK being filled */
	unsigned nleaves;
	uint64_t *xbids;		/* finished XBLOCKs */
	unsigned nx;
	uint64_t part_total;		/* bytes under the XBLOCK being filled */
};

void pst_stream_begin(struct pst_stream *s, struct pst_ndb *n);
void pst_stream_write(struct pst_stream *s, const void *data, size_t len);
/* pst_stream_end: the BID of the stream's top block (0 for an empty stream) */
uint64_t pst_stream_end(struct pst_stream *s);

/*
 * pst_ndb_write_xblock: an XBLOCK over count (<= 1021) leaf blocks already
 * written that hold total bytes together (a heap's pages, which are not
 * all full); returns its BID.
 */
uint64_t pst_ndb_write_xblock(struct pst_ndb *n, const uint64_t *leaves, unsigned count,
			      uint64_t total);
/*
 * pst_ndb_write_subnodes: a node's subnode tree over count entries sorted
 * by NID: an SLBLOCK, or SLBLOCKs of 340 under an SIBLOCK (up to 173,400
 * subnodes); returns its BID.
 */
struct pst_sl_entry {
	uint32_t nid;
	uint64_t bid_data;
	uint64_t bid_sub;
};
uint64_t pst_ndb_write_subnodes(struct pst_ndb *n, const struct pst_sl_entry *e, size_t count);
/* pst_ndb_add_node: an NBT entry (NIDs may come in any order, each once) */
void pst_ndb_add_node(struct pst_ndb *n, uint32_t nid, uint64_t bid_data,
		      uint64_t bid_sub, uint32_t nid_parent);
/*
 * pst_ndb_finish: trees, remaining map pages, DList, header (rgnid: the
 * per-NID-type high-water marks); fsync; close.  Returns 0, or -1 with err.
 */
int pst_ndb_finish(struct pst_ndb *n, const uint32_t rgnid[32], struct sbuf *err);
/* pst_ndb_abort: close and remove the file */
void pst_ndb_abort(struct pst_ndb *n);

#endif
