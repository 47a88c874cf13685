/*
 * Unit tests for the NBT/BBT page encoders and the bottom-up builder
 * (formats/pst/btree.c): Outlook's own pages re-encoded from their entries,
 * trees of every shape walked back entry by entry, and the builder writing
 * each page as soon as it is full.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pst/btree.h"
#include "unit.h"

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---- Outlook's pages -------------------------------------------------- */

static uint8_t *ref;

/* same_page: our page equals Outlook's where Outlook's has no stale bytes */
static void check_same(const uint8_t *ours, const uint8_t *theirs, unsigned used, const char *what)
{
	int stale = 0;
	for (unsigned i = used; i < 488; i++)
		stale |= theirs[i];
	test_group(what);
	test_assert_mem((const char *)ours, used, (const char *)theirs, used);
	test_assert_mem((const char *)ours + 488, 8, (const char *)theirs + 488, 8);
	if (!stale) /* then the whole page, trailer and CRC included */
		test_assert_mem((const char *)ours, PST_PAGE_SIZE, (const char *)theirs, PST_PAGE_SIZE);
	else
		printf("# %s: Outlook left stale bytes in unused slots; trailer not compared\n", what);
}

static void reencode(uint64_t ib, int nbt)
{
	const uint8_t *pg = ref + ib;
	unsigned n = pg[488], level = pg[491];
	uint64_t bid = get64(pg + 504);
	uint8_t page[PST_PAGE_SIZE];
	char what[64];
	snprintf(what, sizeof(what), "%s page 0x%llx level %u", nbt ? "nbt" : "bbt",
		 (unsigned long long)ib, level);
	if (level > 0) {
		struct pst_bt_key k[PST_BT_INNER_MAX];
		for (unsigned i = 0; i < n; i++) {
			k[i].key = get64(pg + 24 * i);
			k[i].bref.bid = get64(pg + 24 * i + 8);
			k[i].bref.ib = get64(pg + 24 * i + 16);
		}
		pst_bt_inner_encode(page, nbt ? PST_PTYPE_NBT : PST_PTYPE_BBT, level, k, n, ib, bid);
		check_same(page, pg, 24 * n, what);
		for (unsigned i = 0; i < n; i++)
			reencode(k[i].bref.ib, nbt);
	} else if (nbt) {
		struct pst_nbt_entry e[PST_NBT_LEAF_MAX];
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *p = pg + 32 * i;
			e[i] = (struct pst_nbt_entry){ get64(p), get64(p + 8), get64(p + 16), get32(p + 24) };
		}
		pst_nbt_leaf_encode(page, e, n, ib, bid);
		check_same(page, pg, 32 * n, what);
	} else {
		struct pst_bbt_entry e[PST_BBT_LEAF_MAX];
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *p = pg + 24 * i;
			e[i] = (struct pst_bbt_entry){ { get64(p), get64(p + 8) }, get16(p + 16), get16(p + 18) };
		}
		pst_bbt_leaf_encode(page, e, n, ib, bid);
		check_same(page, pg, 24 * n, what);
	}
}

static void test_outlook_pages(void)
{
	const char *path = getenv("MDX_OUTLOOK_EMPTY");
	FILE *f = fopen(path ? path : "../shared/reference/outlook-empty.pst", "rb");
	test_group("reference");
	if (!test_assert(f != NULL))
		return;
	ref = malloc(1 << 20);
	size_t len = fread(ref, 1, 1 << 20, f);
	fclose(f);
	test_assert(len == 271360);
	reencode(get64(ref + 180 + 44), 1);	/* NBT root */
	reencode(get64(ref + 180 + 60), 0);	/* BBT root */
	free(ref);
}

/* ---- building and walking back ----------------------------------------- */

struct mem_sink {
	uint8_t *pages;		/* page i lives at ib = 0x10000 + 512 * i */
	size_t count, alloc;
	uint64_t next_bid;
};

static int mem_place(void *ctx, uint64_t *ib_r, uint64_t *bid_r)
{
	struct mem_sink *m = ctx;
	if (m->count == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 16;
		m->pages = realloc(m->pages, m->alloc * PST_PAGE_SIZE);
	}
	*ib_r = 0x10000 + (uint64_t)PST_PAGE_SIZE * m->count++;
	*bid_r = m->next_bid++;
	return 0;
}

static int mem_write(void *ctx, const uint8_t page[PST_PAGE_SIZE], uint64_t ib)
{
	struct mem_sink *m = ctx;
	memcpy(m->pages + (ib - 0x10000), page, PST_PAGE_SIZE);
	return 0;
}

struct walk {
	struct mem_sink *m;
	uint64_t last_key;
	size_t leaves_seen, entries_seen;
	int errors;
};

static void walk(struct walk *w, struct pst_bref bref, int expect_level, uint64_t first_key, int nbt)
{
	const uint8_t *pg = w->m->pages + (bref.ib - 0x10000);
	unsigned n = pg[488], level = pg[491];
	uint8_t copy[PST_PAGE_SIZE];
	memcpy(copy, pg, sizeof(copy));
	pst_page_trailer(copy, pg[496], bref.ib, bref.bid);	/* recompute: must not change */
	w->errors += memcmp(copy, pg, PST_PAGE_SIZE) != 0;
	w->errors += pg[496] != (nbt ? PST_PTYPE_NBT : PST_PTYPE_BBT);
	w->errors += get64(pg + 504) != bref.bid;
	w->errors += expect_level >= 0 && (int)level != expect_level;
	w->errors += n == 0;
	unsigned cb = level ? 24 : nbt ? 32 : 24;
	w->errors += pg[490] != cb;
	w->errors += get64(pg) != first_key;
	for (unsigned i = 0; i < n; i++) {
		uint64_t key = get64(pg + cb * i);
		if (level) {
			struct pst_bref child = { get64(pg + 24 * i + 8), get64(pg + 24 * i + 16) };
			walk(w, child, (int)level - 1, key, nbt);
		} else {
			w->errors += w->entries_seen && key <= w->last_key;
			w->last_key = key;
			w->entries_seen++;
		}
	}
	w->leaves_seen += level == 0;
}

static void check_tree(size_t n, int nbt)
{
	struct mem_sink m = { .next_bid = 0x100 };
	struct pst_page_sink sink = { &m, mem_place, mem_write };
	struct pst_bref root;
	int ret;
	if (nbt) {
		struct pst_nbt_entry *e = calloc(n, sizeof(*e));
		for (size_t i = 0; i < n; i++)
			e[i] = (struct pst_nbt_entry){ 0x21 + 32 * i, 4 * i + 4, 0, 0x122 };
		ret = pst_nbt_build(e, n, &sink, &root);
		free(e);
	} else {
		struct pst_bbt_entry *e = calloc(n, sizeof(*e));
		for (size_t i = 0; i < n; i++)
			e[i] = (struct pst_bbt_entry){ { 4 * i + 4, 0x4400 + 64 * i }, 100, 2 };
		ret = pst_bbt_build(e, n, &sink, &root);
		free(e);
	}
	char what[64];
	snprintf(what, sizeof(what), "%s of %zu entries", nbt ? "nbt" : "bbt", n);
	test_group(what);
	test_assert(ret == 0);
	struct walk w = { .m = &m };
	walk(&w, root, -1, nbt ? 0x21 : 4, nbt);
	size_t leaf_max = nbt ? PST_NBT_LEAF_MAX : PST_BBT_LEAF_MAX;
	test_assert(w.errors == 0);
	test_assert(w.entries_seen == n);
	test_assert(w.leaves_seen == (n + leaf_max - 1) / leaf_max);
	free(m.pages);
}

static void test_builder(void)
{
	static const size_t sizes[] = { 1, 14, 15, 16, 20, 21, 300, 400, 401, 6001, 120001 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_tree(sizes[i], 0);
		check_tree(sizes[i], 1);
	}
	struct mem_sink m = { .next_bid = 1 };
	struct pst_page_sink sink = { &m, mem_place, mem_write };
	struct pst_nbt_entry bad[2] = { { 0x42, 0, 0, 0 }, { 0x22, 0, 0, 0 } };
	struct pst_bref root;
	test_group("unsorted");
	test_assert(pst_nbt_build(bad, 2, &sink, &root) == -1);
	test_assert(pst_nbt_build(bad, 0, &sink, &root) == -1);
	free(m.pages);
}

/*
 * The builder fed one entry at a time writes each page as soon as it is
 * full: after 6,000 NBT entries, 400 leaves, 20 pages above them and one
 * above those are written before the end; a repeated key is refused and
 * the builder stays failed.
 */
static void test_streaming(void)
{
	struct mem_sink m = { .next_bid = 1 };
	struct pst_page_sink sink = { &m, mem_place, mem_write };
	struct pst_bt_builder b;
	struct pst_bref root;
	test_group("streaming");
	pst_bt_begin(&b, PST_PTYPE_NBT, &sink);
	int ret = 0;
	for (uint64_t i = 0; i < 6000; i++) {
		struct pst_nbt_entry e = { 0x21 + 32 * i, 4 * i + 4, 0, 0x122 };
		ret |= pst_bt_add_nbt(&b, &e);
	}
	test_assert(ret == 0 && m.count == 400 + 20 + 1);
	struct pst_nbt_entry again = { 0x21 + 32 * 5999, 8, 0, 0x122 };
	struct pst_nbt_entry next = { 0x21 + 32 * 6000, 8, 0, 0x122 };
	test_assert(pst_bt_add_nbt(&b, &again) == -1);
	test_assert(pst_bt_add_nbt(&b, &next) == -1);	/* sticky */
	test_assert(pst_bt_end(&b, &root) == -1);
	test_assert(m.count == 400 + 20 + 1);
	/* a BBT builder takes no NBT entry, and an empty tree has no root */
	pst_bt_begin(&b, PST_PTYPE_BBT, &sink);
	test_assert(pst_bt_add_nbt(&b, &next) == -1);
	pst_bt_begin(&b, PST_PTYPE_BBT, &sink);
	test_assert(pst_bt_end(&b, &root) == -1);
	free(m.pages);
}

int main(void)
{
	test_outlook_pages();
	test_builder();
	test_streaming();
	return test_done();
}
