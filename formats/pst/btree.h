/*
 * The NDB's two B-trees, built bottom-up once every entry is known: the
 * BBT (block BID -> where the block is, its size and reference count) and
 * the NBT (node ID -> its data block, subnode block and parent).
 *
 * A page is 512 bytes: 488 bytes of entries, cEnt, cEntMax, cbEnt, cLevel,
 * 4 bytes of padding, then the page trailer.  Leaves hold the entries;
 * every upper level holds (first key of the child, child's BREF).
 */
#ifndef MDX_PST_BTREE_H
#define MDX_PST_BTREE_H

#include <stddef.h>
#include <stdint.h>

#include "ndb.h"

struct pst_bbt_entry {
	struct pst_bref bref;
	uint16_t cb;
	uint16_t cref;		/* 1 + the number of references (as Outlook) */
};

struct pst_nbt_entry {
	uint64_t nid;
	uint64_t bid_data;	/* 0: the node has no data */
	uint64_t bid_sub;	/* 0: no subnodes */
	uint32_t nid_parent;	/* 0 for tables and internal nodes */
};

struct pst_bt_key {		/* an upper-level entry */
	uint64_t key;
	struct pst_bref bref;
};

#define PST_BBT_LEAF_MAX 20
#define PST_NBT_LEAF_MAX 15
#define PST_BT_INNER_MAX 20

/* Encode one page (entries sorted, n <= the level's maximum); fills the trailer. */
void pst_bbt_leaf_encode(uint8_t page[PST_PAGE_SIZE], const struct pst_bbt_entry *e,
			 unsigned n, uint64_t ib, uint64_t bid);
void pst_nbt_leaf_encode(uint8_t page[PST_PAGE_SIZE], const struct pst_nbt_entry *e,
			 unsigned n, uint64_t ib, uint64_t bid);
void pst_bt_inner_encode(uint8_t page[PST_PAGE_SIZE], enum pst_ptype type, unsigned level,
			 const struct pst_bt_key *e, unsigned n, uint64_t ib, uint64_t bid);

/*
 * Where pages go: the builder asks for a page slot (offset and page BID)
 * and hands over the finished 512 bytes.  Returns 0, or -1 to stop.
 */
struct pst_page_sink {
	void *ctx;
	int (*place)(void *ctx, uint64_t *ib_r, uint64_t *bid_r);
	int (*write)(void *ctx, const uint8_t page[PST_PAGE_SIZE], uint64_t ib);
};

/*
 * pst_bbt_build / pst_nbt_build: write the whole tree for entries sorted by
 * key (n >= 1) and return its root in *root_r.  Leaves are filled to the
 * maximum, so a tree of n entries has ceil(n / max) leaves.  Returns 0 or -1
 * (the sink failed, or the entries are not strictly ascending).
 */
int pst_bbt_build(const struct pst_bbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r);
int pst_nbt_build(const struct pst_nbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r);

#endif
