/*
 * The NDB writer: an append-only PST file.  Blocks are written in order at
 * 64-byte alignment as they come; each AMap interval's map pages are
 * written as soon as allocation has moved past it (sequential allocation
 * makes that final), so memory holds one interval's bitmap, not the file's;
 * an FMap page is written once its 496 intervals are finished.  The BBT
 * and NBT entries (24 and 32 bytes per block and node) go to two external
 * sorts (spill.h): at most PST_SPILL_LIMIT entries each in memory, the
 * rest in sorted runs on unlinked temporary files next to the PST.  At the
 * end the runs are merged and fed one entry at a time to the bottom-up
 * B-tree builder (btree.h), which holds one page per level; the last maps
 * and the header are written, and the file is synced.  So memory does not
 * grow with the mailbox; a node added twice is still caught, when the
 * merge brings the two together.  The caller writes to a temporary name
 * and renames it (an unfinished file also says fAMapValid = 0).
 *
 * NEEDSWORK: blocks are written unencoded (bCryptMethod 0); Outlook's
 * default is 1.
 */
#ifndef MDX_PST_NDBW_H
#define MDX_PST_NDBW_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "pst/btree.h"

struct pst_ndb;

/* pst_ndb_create: a new, empty file at path (must not exist). NULL + err on failure. */
struct pst_ndb *pst_ndb_create(const char *path, struct sbuf *err);
/*
 * pst_ndb_create_fd: the same in a file its caller made (fd, empty, open
 * for reading and writing; it is duplicated), temporary files in the
 * directory tmpdir; display names the file in messages.  The caller
 * removes the file when the ndb fails.
 */
struct pst_ndb *pst_ndb_create_fd(int fd, int tmpdir, const char *display, struct sbuf *err);
struct pst_spill;
/* pst_ndb_spill: a spill list where this file's temporary files go */
struct pst_spill *pst_ndb_spill(const struct pst_ndb *n, size_t width, const char *what);
/*
 * pst_ndb_set_spill_limit: BBT/NBT entries (and rows of the tables' row
 * indexes) kept in memory before they go to a temporary file; default
 * PST_SPILL_LIMIT.  For tests, which make it tiny; call it before adding
 * anything.
 */
void pst_ndb_set_spill_limit(struct pst_ndb *n, size_t entries);
size_t pst_ndb_spill_limit(const struct pst_ndb *n);
/* pst_ndb_dir: the directory of the file, where temporary files go */
const char *pst_ndb_dir(const struct pst_ndb *n);
/*
 * pst_ndb_fail: make the file fail (a sticky error reported by finish,
 * with why, or strerror(err) when why is NULL); the first error wins.
 */
void pst_ndb_fail(struct pst_ndb *n, int err, const char *why);
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
/* pst_stream_release: free a stream that will not be ended (after end: nothing to do) */
void pst_stream_release(struct pst_stream *s);

/*
 * A node data stream of whole blocks of any size (a heap's pages), given
 * in order as they are finished, except the first, which comes last: a
 * heap's first page holds what is known only at the end (its root, the
 * BTH header).  The first XBLOCK is therefore written last too.  Memory:
 * three lists of up to 1,021 BIDs, allocated once a second block comes;
 * up to 1,021 x 1,021 blocks (an XXBLOCK).
 */
struct pst_pages {
	struct pst_ndb *n;
	uint64_t *first;		/* the first XBLOCK's leaves; [0]: the first block's */
	uint64_t first_total;
	uint64_t *leaves;		/* the XBLOCK being filled, once past the first */
	unsigned nleaves;
	uint64_t part_total;
	uint64_t *xbids;		/* XBLOCKs; [0] is the first, written last */
	unsigned nx;
	uint64_t count;			/* blocks, the first included */
	uint64_t total;
};

void pst_pages_begin(struct pst_pages *p, struct pst_ndb *n);
/* pst_pages_add: the next block (the second, third, ...) */
void pst_pages_add(struct pst_pages *p, const void *data, size_t cb);
/* pst_pages_end: the first block; returns the BID of the stream's top block */
uint64_t pst_pages_end(struct pst_pages *p, const void *first, size_t cb);
/* pst_pages_release: free it without ending (after end: nothing to do) */
void pst_pages_release(struct pst_pages *p);

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
/*
 * pst_ndb_check: -1 with err naming the file once a write of the file or of
 * its lists' temporary files has failed (a writer stops there instead of
 * converting the rest of the mailbox for nothing); else 0
 */
int pst_ndb_check(const struct pst_ndb *n, struct sbuf *err);
/*
 * pst_ndb_final_size: what the file would measure if it were finished after
 * `more` further bytes of blocks: the bytes allocated so far, `more` and
 * the blocks and nodes it brings (one of each per started 8 KiB, plus 16),
 * the B-trees over every entry (counted at 12 NBT and 16 BBT entries a
 * page, below the 15 and 20 a full page holds, upper levels included),
 * the map pages of the intervals that adds, and the end rounded up to the
 * next interval as pst_ndb_finish does.  An upper bound, for a writer that
 * splits its output at a size (pst.c, --split-size).
 */
uint64_t pst_ndb_final_size(const struct pst_ndb *n, uint64_t more);
/* pst_ndb_abort: close and remove the file */
void pst_ndb_abort(struct pst_ndb *n);

#endif
