#include "btree.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

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

/* One leaf page of either tree: encode entries [from, from + n). */
typedef void leaf_fn(uint8_t *page, const void *entries, size_t from, unsigned n,
		     uint64_t ib, uint64_t bid);
typedef uint64_t key_fn(const void *entries, size_t i);

static void bbt_leaf(uint8_t *page, const void *e, size_t from, unsigned n, uint64_t ib, uint64_t bid)
{
	pst_bbt_leaf_encode(page, (const struct pst_bbt_entry *)e + from, n, ib, bid);
}

static void nbt_leaf(uint8_t *page, const void *e, size_t from, unsigned n, uint64_t ib, uint64_t bid)
{
	pst_nbt_leaf_encode(page, (const struct pst_nbt_entry *)e + from, n, ib, bid);
}

static uint64_t bbt_key(const void *e, size_t i)
{
	return ((const struct pst_bbt_entry *)e)[i].bref.bid;
}

static uint64_t nbt_key(const void *e, size_t i)
{
	return ((const struct pst_nbt_entry *)e)[i].nid;
}

/* emit: place and write one page; its BREF in *bref_r */
static int emit(const struct pst_page_sink *sink, uint8_t *page, struct pst_bref *bref_r,
		void (*fill)(uint8_t *, uint64_t, uint64_t, const void *), const void *arg)
{
	if (sink->place(sink->ctx, &bref_r->ib, &bref_r->bid) < 0)
		return -1;
	fill(page, bref_r->ib, bref_r->bid, arg);
	return sink->write(sink->ctx, page, bref_r->ib);
}

struct leaf_arg { leaf_fn *leaf; const void *e; size_t from; unsigned n; };
struct inner_arg { enum pst_ptype type; unsigned level; const struct pst_bt_key *k; unsigned n; };

static void fill_leaf(uint8_t *page, uint64_t ib, uint64_t bid, const void *arg)
{
	const struct leaf_arg *a = arg;
	a->leaf(page, a->e, a->from, a->n, ib, bid);
}

static void fill_inner(uint8_t *page, uint64_t ib, uint64_t bid, const void *arg)
{
	const struct inner_arg *a = arg;
	pst_bt_inner_encode(page, a->type, a->level, a->k, a->n, ib, bid);
}

static int build(const void *e, size_t n, unsigned leaf_max, leaf_fn *leaf, key_fn *key,
		 enum pst_ptype type, const struct pst_page_sink *sink, struct pst_bref *root_r)
{
	for (size_t i = 1; i < n; i++)
		if (key(e, i) <= key(e, i - 1))
			return -1;
	if (!n)
		return -1;
	uint8_t page[PST_PAGE_SIZE];
	size_t nkeys = (n + leaf_max - 1) / leaf_max;
	struct pst_bt_key *keys = xreallocarray(NULL, nkeys, sizeof(*keys));
	int ret = 0;
	for (size_t i = 0, k = 0; ret == 0 && i < n; i += leaf_max, k++) {
		struct leaf_arg a = { leaf, e, i, (unsigned)(n - i < leaf_max ? n - i : leaf_max) };
		keys[k].key = key(e, i);
		ret = emit(sink, page, &keys[k].bref, fill_leaf, &a);
	}
	/* upper levels: each page holds up to 20 (first key, BREF) of the level below */
	for (unsigned level = 1; ret == 0 && nkeys > 1; level++) {
		size_t up = 0;
		for (size_t i = 0; ret == 0 && i < nkeys; i += PST_BT_INNER_MAX, up++) {
			unsigned cnt = (unsigned)(nkeys - i < PST_BT_INNER_MAX ? nkeys - i : PST_BT_INNER_MAX);
			struct pst_bt_key parent = { .key = keys[i].key };
			struct inner_arg a = { type, level, keys + i, cnt };
			ret = emit(sink, page, &parent.bref, fill_inner, &a);
			keys[up] = parent;	/* up <= i: this level's slot is already read */
		}
		nkeys = up;
	}
	if (ret == 0)
		*root_r = keys[0].bref;
	free(keys);
	return ret;
}

int pst_bbt_build(const struct pst_bbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r)
{
	return build(e, n, PST_BBT_LEAF_MAX, bbt_leaf, bbt_key, PST_PTYPE_BBT, sink, root_r);
}

int pst_nbt_build(const struct pst_nbt_entry *e, size_t n, const struct pst_page_sink *sink,
		  struct pst_bref *root_r)
{
	return build(e, n, PST_NBT_LEAF_MAX, nbt_leaf, nbt_key, PST_PTYPE_NBT, sink, root_r);
}
