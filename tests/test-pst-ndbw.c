/*
 * Unit tests for the NDB writer (formats/pst/ndbw.c): files are written and
 * then read back here field by field: header, size, every map page, AMap
 * bits against what the trees and blocks really occupy, cbAMapFree, FMap
 * bytes, every block trailer, and data streams (single blocks, XBLOCK,
 * XXBLOCK) reassembled byte for byte.  With a tiny spill limit, nodes added
 * in a shuffled order must still come out once each in the NBT, with their
 * own blocks; a node added twice, and a temporary file that cannot be
 * created or written, must make the file fail with a message saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pst/ndbw.h"
#include "testutil.h"
#include "unit.h"

static uint8_t *img;
static size_t img_len;
static uint8_t *used;		/* 1 per 64-byte unit: what the reader finds allocated */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void use(uint64_t ib, uint64_t size)
{
	for (uint64_t u = ib / 64; u < (ib + size + 63) / 64; u++)
		used[u] = 1;
}

struct bbt_found { uint64_t bid, ib; uint16_t cb; };
static struct bbt_found *found;
static size_t nfound, nnodes;
struct nbt_found { uint64_t nid, bid_data; };
static struct nbt_found *node_list;	/* the NBT's leaf entries, in tree order */
static int page_errors;

static void check_page(uint64_t ib, uint8_t type)
{
	uint8_t page[PST_PAGE_SIZE];
	memcpy(page, img + ib, sizeof(page));
	pst_page_trailer(page, (enum pst_ptype)type, ib, get64(img + ib + 504));
	page_errors += memcmp(page, img + ib, sizeof(page)) != 0 || img[ib + 496] != type;
}

static void walk(uint64_t ib, uint8_t type, int nbt)
{
	check_page(ib, type);
	use(ib, PST_PAGE_SIZE);
	const uint8_t *pg = img + ib;
	unsigned n = pg[488], level = pg[491];
	for (unsigned i = 0; i < n; i++) {
		if (level) {
			walk(get64(pg + 24 * i + 16), type, nbt);
		} else if (nbt) {
			const uint8_t *e = pg + 32 * i;
			node_list = realloc(node_list, (nnodes + 1) * sizeof(*node_list));
			node_list[nnodes++] = (struct nbt_found){ get64(e), get64(e + 8) };
		} else {
			const uint8_t *e = pg + 24 * i;
			found = realloc(found, (nfound + 1) * sizeof(*found));
			found[nfound++] = (struct bbt_found){ get64(e), get64(e + 8), get16(e + 16) };
		}
	}
}

static const struct bbt_found *block(uint64_t bid)
{
	for (size_t i = 0; i < nfound; i++)
		if (found[i].bid == bid)
			return &found[i];
	return NULL;
}

/* read_stream: the bytes of the data tree under bid, appended to out */
static int read_stream(uint64_t bid, struct sbuf *out)
{
	const struct bbt_found *b = block(bid);
	if (!b)
		return -1;
	const uint8_t *p = img + b->ib;
	if (!(bid & 2)) {
		sbuf_add(out, p, b->cb);
		return 0;
	}
	unsigned count = (unsigned)(p[2] | p[3] << 8);
	for (unsigned i = 0; i < count; i++)
		if (read_stream(get64(p + 8 + 8 * i), out) < 0)
			return -1;
	return 0;
}

static void load(const char *path)
{
	free(img);
	img = test_slurp(path, &img_len);
}

/* longest_free: the longest run of free 64-byte units in interval k's AMap */
static unsigned longest_free(uint64_t k)
{
	const uint8_t *amap = img + pst_interval_start(k);
	unsigned run = 0, longest = 0;
	for (unsigned b = 0; b < PST_PAGE_DATA * 8; b++) {
		run = amap[b / 8] & (0x80 >> (b % 8)) ? 0 : run + 1;
		longest = run > longest ? run : longest;
	}
	return longest;
}

/*
 * fmap_errors: each FMap page (at intervals 128, 624, ...) holds, for
 * itself and the next 495 intervals, the longest free run (at most 255),
 * and 0 past the end of the file.
 */
static unsigned fmap_errors(uint64_t intervals)
{
	unsigned errors = 0, pages = 0;
	for (uint64_t k = 128; k < intervals; k += PST_PAGE_DATA, pages++) {
		const uint8_t *fm = img + pst_interval_start(k) + 2 * PST_PAGE_SIZE;
		for (uint64_t i = 0; i < PST_PAGE_DATA; i++) {
			unsigned want = k + i < intervals ? longest_free(k + i) : 0;
			errors += fm[i] != (want > 255 ? 255 : want);
		}
	}
	printf("# %u FMap pages, %u wrong bytes\n", pages, errors);
	return errors;
}

static void check_file(const char *path, const char *what, const struct sbuf *streams,
		       const uint64_t *stream_bids, unsigned nstreams, size_t nodes)
{
	load(path);
	test_group(what);
	struct pst_header h;
	if (!test_assert(pst_header_decode(img, &h) == 0))
		return;
	test_assert(h.file_eof == img_len);
	test_assert((img_len - PST_AMAP_FIRST) % PST_INTERVAL == 0);
	test_assert(h.amap_valid == 2 && h.crypt == 0);
	uint64_t intervals = (img_len - PST_AMAP_FIRST) / PST_INTERVAL;
	test_assert(h.amap_last == pst_interval_start(intervals - 1));
	free(used);
	used = calloc(img_len / 64 + 1, 1);
	free(found);
	found = NULL;
	free(node_list);
	node_list = NULL;
	nfound = nnodes = 0;
	page_errors = 0;
	for (uint64_t k = 0; k < intervals; k++) {
		uint64_t s = pst_interval_start(k);
		use(s, pst_interval_reserved(k));
		check_page(s, PST_PTYPE_AMAP);
		if (pst_interval_has_pmap(k))
			check_page(s + 512, PST_PTYPE_PMAP);
		if (pst_interval_has_fmap(k))
			check_page(s + 1024, PST_PTYPE_FMAP);
	}
	check_page(PST_DLIST_OFFSET, PST_PTYPE_DLIST);
	walk(h.nbt.ib, PST_PTYPE_NBT, 1);
	walk(h.bbt.ib, PST_PTYPE_BBT, 0);
	int block_errors = 0;
	for (size_t i = 0; i < nfound; i++) {
		size_t size = pst_block_size(found[i].cb);
		uint8_t *copy = malloc(size);
		memcpy(copy, img + found[i].ib, size);
		pst_block_trailer(copy, found[i].cb, found[i].ib, found[i].bid);
		block_errors += memcmp(copy, img + found[i].ib, size) != 0;
		block_errors += found[i].ib % 64 != 0 || found[i].bid >= h.bid_next_b;
		use(found[i].ib, size);
		free(copy);
	}
	test_assert(page_errors == 0);
	test_assert(block_errors == 0);
	/* the AMaps say exactly what is used; cbAMapFree counts the rest */
	uint64_t mismatches = 0, free_units = 0;
	for (uint64_t k = 0; k < intervals; k++) {
		const uint8_t *amap = img + pst_interval_start(k);
		for (unsigned b = 0; b < PST_PAGE_DATA * 8; b++) {
			bool bit = amap[b / 8] & (0x80 >> (b % 8));
			uint64_t unit = (pst_interval_start(k) + 64 * (uint64_t)b) / 64;
			mismatches += bit != (used[unit] != 0);
			free_units += !bit;
		}
	}
	test_assert(mismatches == 0);
	test_assert(h.amap_free == free_units * 64);
	test_assert(fmap_errors(intervals) == 0);
	for (unsigned i = 0; i < nstreams; i++) {
		struct sbuf got = SBUF_INIT;
		test_assert(read_stream(stream_bids[i], &got) == 0 &&
			    got.len == streams[i].len && !memcmp(got.buf, streams[i].buf, got.len));
		sbuf_release(&got);
	}
	test_assert(nnodes == nodes);
}

/*
 * Nodes of the internal type (1) and indexes no skeleton node uses: the
 * NDB layer alone, with no property contexts for a checker to open.
 */
static uint32_t internal_nid(size_t i)
{
	return (uint32_t)((0x1000 + i) << 5 | 0x01);
}

/*
 * pstcheck: the project's independent checker (tools/pstcheck, built by
 * `make`) must find nothing wrong but what an NDB-only file cannot have:
 * the messaging layer's message store and root folder.
 */
static void pstcheck(const char *path, const char *what)
{
	test_assert(access("tools/pstcheck", X_OK) == 0);
	test_assert(test_pstcheck_errors(path, "-e 'no root folder node 0x122' "
					 "-e 'no message store node 0x21'", what) == 0);
}

static void make_bytes(struct sbuf *s, size_t len, unsigned seed)
{
	sbuf_grow(s, len);
	for (size_t i = 0; i < len; i++)
		s->buf[i] = (char)((i * 2654435761u + seed) >> 13);
	sbuf_setlen(s, len);
}

static void run(const char *what, const size_t *lens, unsigned nstreams, size_t extra_nodes)
{
	char path[] = "/tmp/mdx-ndbw-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	struct sbuf streams[8];
	uint64_t bids[8];
	for (unsigned i = 0; i < nstreams; i++) {
		sbuf_init(&streams[i]);
		make_bytes(&streams[i], lens[i], i);
		bids[i] = pst_ndb_write_data(n, streams[i].buf, streams[i].len);
		pst_ndb_add_node(n, internal_nid(i), bids[i], 0, 0);
	}
	for (size_t i = 0; i < extra_nodes; i++) {
		uint64_t b = pst_ndb_write_block(n, "x", 1);
		pst_ndb_add_node(n, internal_nid(nstreams + i), b, 0, 0);
	}
	uint32_t rgnid[32] = { 0 };
	rgnid[1] = (uint32_t)(0x1000 + nstreams + extra_nodes);
	test_group(what);
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);
	check_file(path, what, streams, bids, nstreams, nstreams + extra_nodes);
	pstcheck(path, what);
	for (unsigned i = 0; i < nstreams; i++)
		sbuf_release(&streams[i]);
	unlink(path);
	sbuf_release(&err);
}

/*
 * An XBLOCK's lcbTotal is 32 bits: a stream of 4 GiB or more cannot be
 * described (an XXBLOCK could hold its 8.5 GB of leaves).  The writer
 * refuses it, the file fails with EFBIG, instead of a wrapped total.
 */
static void lcb_total_limit(void)
{
	char path[] = "/tmp/mdx-ndbw-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	test_group("lcbTotal past 32 bits");
	uint64_t leaf = pst_ndb_write_block(n, "x", 1);
	test_assert(leaf != 0);
	test_assert(pst_ndb_write_xblock(n, &leaf, 1, 1ull << 32) == 0);
	pst_ndb_add_node(n, internal_nid(0), leaf, 0, 0);
	uint32_t rgnid[32] = { 0 };
	rgnid[1] = 0x1001;
	test_assert(pst_ndb_finish(n, rgnid, &err) == -1);
	test_assert(strstr(err.buf, "File too large") != NULL);
	test_assert(access(path, F_OK) != 0);		/* no half-written file is left */
	sbuf_release(&err);
}

/* ---- spilled lists ------------------------------------------------------ */

static char dir[] = "/tmp/mdx-ndbw-spill-XXXXXX";

static uint32_t rgnid_for(size_t count, uint32_t out[32])
{
	memset(out, 0, 32 * sizeof(*out));
	out[1] = (uint32_t)(0x1000 + count);
	return out[1];
}

/*
 * spilled: count nodes, each with a 1-byte block naming it, added in a
 * shuffled order with `limit` entries in memory: many runs, merged level
 * by level.  The NBT must hold every node once, ascending, with its own
 * block; the BBT every block; the temporary files are in the PST's
 * directory, nameless, and gone when the file is done.
 */
static void spilled(const char *what, size_t count, size_t limit)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/spilled.pst", dir);
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, limit);
	uint64_t *bid = calloc(count, sizeof(*bid));
	for (size_t i = 0; i < count; i++) {
		size_t k = i * 7919 % count;	/* 7919: prime, does not divide count */
		uint8_t byte = (uint8_t)k;
		bid[k] = pst_ndb_write_block(n, &byte, 1);
		pst_ndb_add_node(n, internal_nid(k), bid[k], 0, 0);
	}
	test_group(what);
	test_assert(test_tmp_fds(dir) == 2);	/* the block list and the node list */
	test_assert(test_dir_entries(dir) == 1);
	uint32_t rgnid[32];
	rgnid_for(count, rgnid);
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);
	test_assert(test_tmp_fds(dir) == 0 && test_dir_entries(dir) == 1);
	check_file(path, what, NULL, NULL, 0, count);
	int order = 0, blocks = 0;
	for (size_t k = 0; k < nnodes && nnodes == count; k++) {
		order += node_list[k].nid != internal_nid(k) || node_list[k].bid_data != bid[k];
		const struct bbt_found *b = block(bid[k]);
		blocks += !b || b->cb != 1 || img[b->ib] != (uint8_t)k;
	}
	test_assert(nnodes == count && order == 0);
	test_assert(nfound == count && blocks == 0);
	pstcheck(path, what);
	unlink(path);
	free(bid);
	sbuf_release(&err);
}

/* finish_fails: finish must fail, saying want, and leave nothing behind */
static void finish_fails(struct pst_ndb *n, const char *path, size_t count, const char *want)
{
	struct sbuf err = SBUF_INIT;
	uint32_t rgnid[32];
	rgnid_for(count, rgnid);
	test_assert(pst_ndb_finish(n, rgnid, &err) == -1);
	printf("# %s\n", err.buf);
	test_assert(strstr(err.buf, want) != NULL);
	test_assert(strncmp(err.buf, "cannot write '", 14) == 0 && strstr(err.buf, path) != NULL);
	test_assert(access(path, F_OK) == -1 && errno == ENOENT);
	test_assert(test_tmp_fds(dir) == 0);
	sbuf_release(&err);
}

/* a node added twice, the two in different runs: caught when they are merged */
static void duplicate(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/dup.pst", dir);
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, 16);
	for (size_t i = 0; i < 1000; i++)
		pst_ndb_add_node(n, internal_nid(999 - i), 0, 0, 0);
	pst_ndb_add_node(n, internal_nid(500), 0, 0, 0);
	test_group("a node added twice, in different runs");
	sbuf_addf(&want, "node 0x%x added twice", internal_nid(500));
	finish_fails(n, path, 1000, want.buf);
	test_assert(test_dir_entries(dir) == 0);
	sbuf_release(&err);
	sbuf_release(&want);
}

/* create_fails: the directory is gone when the first run is written */
static void create_fails(void)
{
	char sub[128], path[160];
	snprintf(sub, sizeof(sub), "%s/gone", dir);
	snprintf(path, sizeof(path), "%s/x.pst", sub);
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	test_group("the temporary file cannot be created");
	test_assert(mkdir(sub, 0700) == 0);
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, 16);
	unlink(path);		/* the PST stays open */
	test_assert(rmdir(sub) == 0);
	for (size_t i = 0; i < 100; i++)
		pst_ndb_add_node(n, internal_nid(i), 0, 0, 0);
	sbuf_addf(&want, "temporary file for the node list in '%s': create failed: %s", sub,
		  strerror(ENOENT));
	finish_fails(n, path, 100, want.buf);
	sbuf_release(&err);
	sbuf_release(&want);
}

/*
 * write_fails: a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) that the
 * node list's temporary file outgrows while the PST, with no blocks yet,
 * stays empty: the write fails with EFBIG, as on a full disk.
 */
static void write_fails(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/big.pst", dir);
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	test_group("the temporary file cannot be written");
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, 100);
	struct rlimit old, small = { 64 * 1024, 0 };
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	test_assert(setrlimit(RLIMIT_FSIZE, &small) == 0);
	for (size_t i = 0; i < 20000; i++)	/* 640 KB of NBT entries */
		pst_ndb_add_node(n, internal_nid(i), 0, 0, 0);
	setrlimit(RLIMIT_FSIZE, &old);
	sbuf_addf(&want, "temporary file for the node list in '%s': write failed: %s", dir,
		  strerror(EFBIG));
	finish_fails(n, path, 20000, want.buf);
	test_assert(test_dir_entries(dir) == 0);
	sbuf_release(&err);
	sbuf_release(&want);
}

int main(void)
{
	static const size_t small[] = { 0, 1, 100, PST_BLOCK_DATA_MAX };
	run("small blocks", small, 4, 0);
	static const size_t xblock[] = { PST_BLOCK_DATA_MAX + 1, 5 * PST_BLOCK_DATA_MAX };
	run("xblock streams", xblock, 2, 0);
	static const size_t xxblock[] = { 1021u * PST_BLOCK_DATA_MAX + 7 };
	run("xxblock stream, two intervals and more", xxblock, 1, 0);
	static const size_t many[] = { 10 };
	run("20,000 nodes: multi-level trees", many, 1, 20000);
	static const size_t big[] = { 40u * 1024 * 1024 };
	run("40 MB: past the first FMap", big, 1, 0);
	lcb_total_limit();
	static const size_t fmaps[] = { 165u * 1024 * 1024 };
	run("165 MB: the first FMap page full, a second one", fmaps, 1, 0);
	if (!mkdtemp(dir))
		return 1;
	spilled("20,000 nodes shuffled, 37 entries in memory", 20000, 37);
	spilled("3,000 nodes shuffled, 1 entry in memory", 3000, 1);
	duplicate();
	create_fails();
	write_fails();
	rmdir(dir);
	free(img);
	free(used);
	free(found);
	free(node_list);
	return test_done();
}
