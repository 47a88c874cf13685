#include "pst/btree.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

enum { BT_ENTRIES = 488 };

static void finish_page(uint8_t *page, enum pst_ptype type, unsigned n, unsigned max,
			unsigned cb, unsigned level, uint64_t ib, uint64_t bid)
{
	page[BT_ENTRIES] = (uint8_t)n;
	page[BT_ENTRIES + 1] = (uint8_t)max;
	page[BT_ENTRIES + 2] = (uint8_t)cb;
	page[BT_ENTRIES + 3] = (uint8_t)level;
	memset(page + BT_ENTRIES + 4, 0, 4);
	pst_page_trailer(page, type, ib, bid);
}

void pst_bbt_leaf_encode(uint8_t page[PST_PAGE_SIZE], const struct pst_bbt_entry *e,
			 unsigned n, uint64_t ib, uint64_t bid)
{
	memset(page, 0, PST_PAGE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = page + 24 * i;
		put64(p, e[i].bref.bid);
		put64(p + 8, e[i].bref.ib);
		put16(p + 16, e[i].cb);
		put16(p + 18, e[i].cref);
	}
	finish_page(page, PST_PTYPE_BBT, n, PST_BBT_LEAF_MAX, 24, 0, ib, bid);
}

void pst_nbt_leaf_encode(uint8_t page[PST_PAGE_SIZE], const struct pst_nbt_entry *e,
			 unsigned n, uint64_t ib, uint64_t bid)
{
	memset(page, 0, PST_PAGE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = page + 32 * i;
		put64(p, e[i].nid);
		put64(p + 8, e[i].bid_data);
		put64(p + 16, e[i].bid_sub);
		put32(p + 24, e[i].nid_parent);
	}
	finish_page(page, PST_PTYPE_NBT, n, PST_NBT_LEAF_MAX, 32, 0, ib, bid);
}

void pst_bt_inner_encode(uint8_t page[PST_PAGE_SIZE], enum pst_ptype type, unsigned level,
			 const struct pst_bt_key *e, unsigned n, uint64_t ib, uint64_t bid)
{
	memset(page, 0, PST_PAGE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = page + 24 * i;
		put64(p, e[i].key);
		put64(p + 8, e[i].bref.bid);
		put64(p + 16, e[i].bref.ib);
	}
	finish_page(page, type, n, PST_BT_INNER_MAX, 24, level, ib, bid);
}

/* place_write: a page slot from the sink, the page encoded there, written */
static int place_write(struct pst_bt_builder *b, struct pst_bref *bref,
		       void (*fill)(struct pst_bt_builder *, uint8_t *, uint64_t, uint64_t, unsigned),
		       unsigned level)
{
	uint8_t page[PST_PAGE_SIZE];
	if (b->sink->place(b->sink->ctx, &bref->ib, &bref->bid) < 0)
		return -1;
	fill(b, page, bref->ib, bref->bid, level);
	return b->sink->write(b->sink->ctx, page, bref->ib);
}

static void fill_leaf(struct pst_bt_builder *b, uint8_t *page, uint64_t ib, uint64_t bid,
		      unsigned level)
{
	(void)level;
	if (b->type == PST_PTYPE_NBT)
		pst_nbt_leaf_encode(page, b->leaf.nbt, b->nleaf, ib, bid);
	else
		pst_bbt_leaf_encode(page, b->leaf.bbt, b->nleaf, ib, bid);
}

/* fill_inner: the page at level + 1 over the pages waiting at level */
static void fill_inner(struct pst_bt_builder *b, uint8_t *page, uint64_t ib, uint64_t bid,
		       unsigned level)
{
	pst_bt_inner_encode(page, b->type, level + 1, b->up[level], b->nup[level], ib, bid);
}

static int push(struct pst_bt_builder *b, unsigned level, struct pst_bt_key k);

/* emit_inner: a parent for the pages waiting at level; it waits one level up */
static int emit_inner(struct pst_bt_builder *b, unsigned level)
{
	struct pst_bt_key parent = { .key = b->up[level][0].key };
	if (place_write(b, &parent.bref, fill_inner, level) < 0)
		return -1;
	b->nup[level] = 0;
	return push(b, level + 1, parent);
}

/* push: a finished page at level; a full set of 20 gets its parent at once */
static int push(struct pst_bt_builder *b, unsigned level, struct pst_bt_key k)
{
	if (level == PST_BT_LEVELS)
		return -1;
	b->up[level][b->nup[level]++] = k;
	if (level + 1 > b->height)
		b->height = level + 1;
	return b->nup[level] == PST_BT_INNER_MAX ? emit_inner(b, level) : 0;
}

static int emit_leaf(struct pst_bt_builder *b)
{
	struct pst_bt_key k = { .key = b->type == PST_PTYPE_NBT ? b->leaf.nbt[0].nid :
							       b->leaf.bbt[0].bref.bid };
	if (place_write(b, &k.bref, fill_leaf, 0) < 0)
		return -1;
	b->nleaf = 0;
	return push(b, 0, k);
}

void pst_bt_begin(struct pst_bt_builder *b, enum pst_ptype type, const struct pst_page_sink *sink)
{
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->sink = sink;
}

/* take: one more entry with this key; -1 (sticky) when it does not ascend */
static int take(struct pst_bt_builder *b, uint64_t key)
{
	if (b->failed || (b->count && key <= b->last_key))
		return b->failed = -1;
	b->last_key = key;
	b->count++;
	return 0;
}

int pst_bt_add_bbt(struct pst_bt_builder *b, const struct pst_bbt_entry *e)
{
	if (b->type != PST_PTYPE_BBT || take(b, e->bref.bid) < 0)
		return b->failed = -1;
	b->leaf.bbt[b->nleaf++] = *e;
	if (b->nleaf == PST_BBT_LEAF_MAX && emit_leaf(b) < 0)
		return b->failed = -1;
	return 0;
}

int pst_bt_add_nbt(struct pst_bt_builder *b, const struct pst_nbt_entry *e)
{
	if (b->type != PST_PTYPE_NBT || take(b, e->nid) < 0)
		return b->failed = -1;
	b->leaf.nbt[b->nleaf++] = *e;
	if (b->nleaf == PST_NBT_LEAF_MAX && emit_leaf(b) < 0)
		return b->failed = -1;
	return 0;
}

int pst_bt_end(struct pst_bt_builder *b, struct pst_bref *root_r)
{
	if (b->failed || !b->count || (b->nleaf && emit_leaf(b) < 0))
		return -1;
	/*
	 * Bottom up, each level's waiting pages get a parent, until the top
	 * level holds one page: the root.  The top level is never empty: only
	 * emit_inner empties a level, and it pushes to the one above.
	 */
	for (unsigned level = 0;; level++) {
		if (level + 1 == b->height && b->nup[level] == 1) {
			*root_r = b->up[level][0].bref;
			return 0;
		}
		if (b->nup[level] && emit_inner(b, level) < 0)
			return -1;
	}
}

int pst_bbt_build(const struct pst_bbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r)
{
	struct pst_bt_builder b;
	pst_bt_begin(&b, PST_PTYPE_BBT, sink);
	for (size_t i = 0; i < n; i++)
		if (pst_bt_add_bbt(&b, &e[i]) < 0)
			return -1;
	return pst_bt_end(&b, root_r);
}

int pst_nbt_build(const struct pst_nbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r)
{
	struct pst_bt_builder b;
	pst_bt_begin(&b, PST_PTYPE_NBT, sink);
	for (size_t i = 0; i < n; i++)
		if (pst_bt_add_nbt(&b, &e[i]) < 0)
			return -1;
	return pst_bt_end(&b, root_r);
}
