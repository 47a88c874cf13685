/*
 * The NDB's two B-trees, built bottom-up from their entries in key order: the
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

#include "pst/ndb.h"

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
 * The bottom-up builder, fed one entry at a time in strictly ascending key
 * order.  Leaves are filled to the maximum and every upper page to 20, so
 * a tree of n entries has ceil(n / max) leaves.  Memory holds the leaf
 * being filled and, per level, the pages still waiting for their parent
 * (at most 20 each): a page is written as soon as it is full.
 */
#define PST_BT_LEVELS 8		/* levels above the leaves: 15 * 20^8 entries */

struct pst_bt_builder {
	const struct pst_page_sink *sink;
	enum pst_ptype type;		/* PST_PTYPE_BBT or PST_PTYPE_NBT */
	union {
		struct pst_bbt_entry bbt[PST_BBT_LEAF_MAX];
		struct pst_nbt_entry nbt[PST_NBT_LEAF_MAX];
	} leaf;
	unsigned nleaf;
	struct pst_bt_key up[PST_BT_LEVELS][PST_BT_INNER_MAX];	/* up[l]: pages at level l */
	unsigned nup[PST_BT_LEVELS];
	unsigned height;		/* levels that have had a page */
	uint64_t last_key;
	uint64_t count;
	int failed;
};

void pst_bt_begin(struct pst_bt_builder *b, enum pst_ptype type, const struct pst_page_sink *sink);
/*
 * pst_bt_add_bbt / pst_bt_add_nbt: one entry (BBT or NBT builder).  Returns
 * 0, or -1 (sticky) when the sink failed or the key does not ascend: a
 * duplicate block or node.
 */
int pst_bt_add_bbt(struct pst_bt_builder *b, const struct pst_bbt_entry *e);
int pst_bt_add_nbt(struct pst_bt_builder *b, const struct pst_nbt_entry *e);
/* pst_bt_end: the pages still waiting, up to the root (*root_r); 0, or -1 (also when empty) */
int pst_bt_end(struct pst_bt_builder *b, struct pst_bref *root_r);

/*
 * pst_bbt_build / pst_nbt_build: the same over an array of n >= 1 entries
 * sorted by key.  Returns 0 or -1 (the sink failed, or the entries are not
 * strictly ascending).
 */
int pst_bbt_build(const struct pst_bbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r);
int pst_nbt_build(const struct pst_nbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r);

#endif
