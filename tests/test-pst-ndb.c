/*
 * Unit tests for the PST NDB primitives (formats/pst/ndb.c), against an
 * empty store written by Outlook itself: re-encoding its header, and
 * recomputing the trailers of its map pages, B-tree pages and every block,
 * must give back Outlook's bytes exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pst/ndb.h"
#include "unit.h"

static uint8_t *file;
static size_t file_len;

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int load_reference(void)
{
	const char *path = getenv("MDX_OUTLOOK_EMPTY");
	if (!path)
		path = "../shared/reference/outlook-empty.pst";
	FILE *f = fopen(path, "rb");
	if (!f) {
		test_check_(0, "reference store readable", __FILE__, __LINE__, path);
		return -1;
	}
	file = malloc(1 << 20);
	file_len = fread(file, 1, 1 << 20, f);
	fclose(f);
	test_assert(file_len == 271360);
	return 0;
}

static void test_header(void)
{
	struct pst_header h;
	uint8_t out[PST_HEADER_SIZE];
	test_group("header");
	test_assert(pst_header_decode(file, &h) == 0);
	test_assert(h.file_eof == file_len && h.crypt == 1 && h.amap_valid == 2);
	test_assert(h.bid_next_p == 0x17f && h.bid_next_b == 0x130);
	pst_header_encode(out, &h);
	/*
	 * Everything up to and including dwCRCFull is Outlook's to the byte.  The
	 * 36 reserved bytes after it are outside both CRCs; Outlook leaves
	 * private bytes there (0x39 0x77), a new file writes zeros.
	 */
	test_assert_mem((const char *)out, 528, (const char *)file, 528);
	static const uint8_t zeros[36];
	test_assert(!memcmp(out + 528, zeros, sizeof(zeros)));
	uint8_t bad[PST_HEADER_SIZE];
	memcpy(bad, file, sizeof(bad));
	bad[200] ^= 1;
	test_assert(pst_header_decode(bad, &h) == -1);
}

/* check_page: our trailer for the page at ib equals Outlook's */
static void check_page(uint64_t ib, enum pst_ptype type, const char *what)
{
	uint8_t page[PST_PAGE_SIZE];
	memcpy(page, file + ib, sizeof(page));
	uint64_t bid = get64(page + PST_PAGE_DATA + 8);
	memset(page + PST_PAGE_DATA, 0, PST_TRAILER_SIZE);
	pst_page_trailer(page, type, ib, bid);
	test_group(what);
	test_assert(file[ib + PST_PAGE_DATA] == type);
	test_assert_mem((const char *)page, sizeof(page), (const char *)file + ib, PST_PAGE_SIZE);
}

static unsigned blocks_checked, blocks_ok;

static void check_block(uint64_t bid, uint64_t ib, size_t cb)
{
	size_t size = pst_block_size(cb);
	if (ib + size > file_len)
		return;
	uint8_t *blk = malloc(size);
	memcpy(blk, file + ib, size);
	memset(blk + size - PST_TRAILER_SIZE, 0xAA, PST_TRAILER_SIZE);
	pst_block_trailer(blk, cb, ib, bid);
	blocks_checked++;
	blocks_ok += !memcmp(blk, file + ib, size);
	free(blk);
}

/* walk_bbt: every block of the BBT below the page at ib; returns entries seen */
static unsigned walk_bbt(uint64_t ib, int depth)
{
	const uint8_t *pg = file + ib;
	unsigned n = pg[488], level = pg[491];
	unsigned seen = 0;
	check_page(ib, PST_PTYPE_BBT, depth ? "bbt child page" : "bbt root page");
	for (unsigned i = 0; i < n && i < 20; i++) {
		const uint8_t *e = pg + 24 * i;
		if (level > 0) {
			seen += walk_bbt(get64(e + 16), depth + 1);
		} else {
			size_t cb = (size_t)(e[16] | e[17] << 8);
			check_block(get64(e), get64(e + 8), cb);
			seen++;
		}
	}
	return seen;
}

static void test_pages_and_blocks(void)
{
	struct pst_header h;
	pst_header_decode(file, &h);
	check_page(0x4400, PST_PTYPE_AMAP, "amap page");
	check_page(0x4600, PST_PTYPE_PMAP, "pmap page");
	check_page(PST_DLIST_OFFSET, PST_PTYPE_DLIST, "dlist page");
	check_page(h.nbt.ib, PST_PTYPE_NBT, "nbt root page");
	unsigned n = walk_bbt(h.bbt.ib, 0);
	test_group("blocks");
	test_assert(n == 31);		/* the notes count 31 BBT entries */
	test_assert(blocks_checked == n);
	test_assert(blocks_ok == blocks_checked);
	test_assert(pst_block_size(0) == 64 && pst_block_size(48) == 64 &&
		    pst_block_size(49) == 128 && pst_block_size(PST_BLOCK_DATA_MAX) == PST_BLOCK_MAX);
}

static void test_layout(void)
{
	test_group("layout");
	test_assert(pst_interval_start(0) == 0x4400 && pst_interval_reserved(0) == 1024);
	test_assert(pst_interval_reserved(1) == 512 && pst_interval_reserved(8) == 1024);
	/* FMap first at 0x1F04800, FPMap first at 0x7C004800 (both at +1024) */
	test_assert(pst_interval_has_fmap(128) && pst_interval_start(128) + 1024 == 0x1F04800);
	test_assert(!pst_interval_has_fmap(127) && pst_interval_has_fmap(128 + 496));
	test_assert(pst_interval_has_fpmap(8192) && pst_interval_start(8192) + 1024 == 0x7C004800ull);
	test_assert(!pst_interval_has_fpmap(8192 + 496) && !pst_interval_has_fmap(8192));

	struct pst_alloc a;
	pst_alloc_init(&a, 0x4400);
	test_assert(pst_alloc_take(&a, 512, 512) == 0x4800);	/* after AMap + PMap */
	test_assert(pst_alloc_take(&a, 64, 64) == 0x4A00);
	test_assert(pst_alloc_take(&a, 100, 64) == 0x4A40);
	test_assert(pst_alloc_take(&a, 512, 512) == 0x4C00);
	/* a block that would straddle the next AMap goes after that interval's maps */
	pst_alloc_init(&a, pst_interval_start(1) - 128);
	test_assert(pst_alloc_take(&a, 8192, 64) == pst_interval_start(1) + 512);
	pst_alloc_init(&a, pst_interval_start(128) - 64);
	test_assert(pst_alloc_take(&a, 64, 64) == pst_interval_start(128) - 64);
	test_assert(pst_alloc_take(&a, 64, 64) == pst_interval_start(128) + 1536);
	int overlaps = 0;
	pst_alloc_init(&a, 0x4400);
	for (int i = 0; i < 200000; i++) {
		uint64_t size = 64 + (uint64_t)(i * 7919 % 8129) / 64 * 64;
		uint64_t at = pst_alloc_take(&a, size, 64);
		uint64_t k = (at - PST_AMAP_FIRST) / PST_INTERVAL;
		overlaps += at < pst_interval_start(k) + pst_interval_reserved(k) ||
			    at + size > pst_interval_start(k + 1) || at % 64;
	}
	test_assert(overlaps == 0);
}

int main(void)
{
	test_layout();
	if (load_reference() == 0) {
		test_header();
		test_pages_and_blocks();
	}
	free(file);
	return test_done();
}
