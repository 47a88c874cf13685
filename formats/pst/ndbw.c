#include "pst/ndbw.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"
#include "pst/spill.h"

#define XBLOCK_MAX_CHILDREN 1021	/* (8176 - 8) / 8 */
#define BLOCK_CREF 2			/* 1 + one reference: blocks are never shared */

#define FMAP_FIRST 128			/* the first interval an FMap page covers */

struct pst_ndb {
	int fd;
	char *path;
	char *dir;			/* where the temporary files go */
	int dirfd;			/* that directory (pst_ndb_create_fd); -1: by path */
	int error;			/* first errno, sticky */
	char *why;			/* NULL, or what failed (else strerror says it) */
	struct pst_alloc alloc;
	uint64_t interval;		/* the AMap interval allocation is in */
	uint8_t amap[PST_PAGE_DATA];	/* its bitmap, 1 bit per 64 bytes, MSB first */
	uint8_t fmap[PST_PAGE_DATA];	/* the FMap page being filled: longest free runs */
	uint64_t amap_free;		/* free bytes in finished intervals */
	uint64_t next_bid;		/* block BIDs step by 4 */
	uint64_t next_page_bid;		/* page BIDs step by 1 */
	size_t spill_limit;
	struct pst_spill *bbt;		/* struct pst_bbt_entry records, BIDs ascending */
	struct pst_spill *nbt;		/* struct pst_nbt_entry records, in any order */
	uint8_t *scratch;		/* one block's bytes */
};

/* the lists spill by key: both entries start with it */
_Static_assert(offsetof(struct pst_bbt_entry, bref.bid) == 0, "BBT key first");
_Static_assert(offsetof(struct pst_nbt_entry, nid) == 0, "NBT key first");

void pst_ndb_fail(struct pst_ndb *n, int err, const char *why)
{
	if (n->error)
		return;
	n->error = err ? err : EIO;
	n->why = why ? xstrdup(why) : NULL;
}

static void pwrite_all(struct pst_ndb *n, const void *data, size_t len, uint64_t ib)
{
	if (!n->error)
		n->error = sys_pwrite_all(n->fd, data, len, ib);
}

static void mark(struct pst_ndb *n, uint64_t ib, uint64_t size)
{
	uint64_t from = (ib - pst_interval_start(n->interval)) / 64;
	uint64_t to = from + (size + 63) / 64;
	for (uint64_t b = from; b < to; b++)
		n->amap[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

static void fill_page(uint8_t *page, uint8_t byte, enum pst_ptype type, uint64_t ib)
{
	memset(page, byte, PST_PAGE_DATA);
	pst_page_trailer(page, type, ib, ib);
}

/* start_interval: a fresh bitmap with the interval's own map pages marked */
static void start_interval(struct pst_ndb *n, uint64_t k)
{
	n->interval = k;
	memset(n->amap, 0, sizeof(n->amap));
	mark(n, pst_interval_start(k), pst_interval_reserved(k));
}

/*
 * write_fmap: the FMap page whose last interval so far is k: one byte per
 * interval (its longest free run), the page in the first one's map pages.
 * Written when its 496th interval is finished, or at the end, so memory
 * holds one FMap page however big the file.
 */
static void write_fmap(struct pst_ndb *n, uint64_t k)
{
	uint64_t first = k - (k - FMAP_FIRST) % PST_PAGE_DATA;
	uint64_t ib = pst_interval_start(first) + 2 * PST_PAGE_SIZE;
	uint8_t page[PST_PAGE_SIZE];
	memcpy(page, n->fmap, PST_PAGE_DATA);
	pst_page_trailer(page, PST_PTYPE_FMAP, ib, ib);
	pwrite_all(n, page, sizeof(page), ib);
	memset(n->fmap, 0, sizeof(n->fmap));
}

/* finish_interval: write the current interval's AMap (and PMap/FPMap) pages */
static void finish_interval(struct pst_ndb *n)
{
	uint64_t k = n->interval, start = pst_interval_start(k);
	unsigned run = 0, longest = 0, free_units = 0;
	for (unsigned b = 0; b < PST_PAGE_DATA * 8; b++) {
		bool used = n->amap[b / 8] & (0x80 >> (b % 8));
		run = used ? 0 : run + 1;
		free_units += !used;
		if (run > longest)
			longest = run;
	}
	n->amap_free += (uint64_t)free_units * 64;
	if (k >= FMAP_FIRST) {
		n->fmap[(k - FMAP_FIRST) % PST_PAGE_DATA] = (uint8_t)(longest > 255 ? 255 : longest);
		if ((k - FMAP_FIRST) % PST_PAGE_DATA == PST_PAGE_DATA - 1)
			write_fmap(n, k);
	}
	uint8_t page[PST_PAGE_SIZE];
	memcpy(page, n->amap, PST_PAGE_DATA);
	pst_page_trailer(page, PST_PTYPE_AMAP, start, start);
	pwrite_all(n, page, sizeof(page), start);
	if (pst_interval_has_pmap(k)) {		/* deprecated: all 0xFF, as Outlook */
		fill_page(page, 0xFF, PST_PTYPE_PMAP, start + PST_PAGE_SIZE);
		pwrite_all(n, page, sizeof(page), start + PST_PAGE_SIZE);
	}
	if (pst_interval_has_fpmap(k)) {	/* NEEDSWORK: Outlook's FPMap content unknown */
		fill_page(page, 0xFF, PST_PTYPE_FPMAP, start + 2 * PST_PAGE_SIZE);
		pwrite_all(n, page, sizeof(page), start + 2 * PST_PAGE_SIZE);
	}
}

/* take: allocate size bytes, finishing every interval allocation leaves behind */
static uint64_t take(struct pst_ndb *n, uint64_t size, uint64_t align)
{
	uint64_t ib = pst_alloc_take(&n->alloc, size, align);
	uint64_t k = (ib - PST_AMAP_FIRST) / PST_INTERVAL;
	while (n->interval < k) {
		finish_interval(n);
		start_interval(n, n->interval + 1);
	}
	mark(n, ib, size);
	return ib;
}

/* dir_of: the directory part of path ("." when there is none) */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static void new_lists(struct pst_ndb *n)
{
	pst_spill_free(n->bbt);
	pst_spill_free(n->nbt);
	n->bbt = pst_ndb_spill(n, sizeof(struct pst_bbt_entry), "the block list");
	n->nbt = pst_ndb_spill(n, sizeof(struct pst_nbt_entry), "the node list");
}

struct pst_spill *pst_ndb_spill(const struct pst_ndb *n, size_t width, const char *what)
{
	if (n->dirfd >= 0)
		return pst_spill_new_at(n->dirfd, n->dir, width, n->spill_limit, what);
	return pst_spill_new(n->dir, width, n->spill_limit, what);
}

/* remove_file: the file this ndb made, the way it was made */
static void remove_file(const struct pst_ndb *n)
{
	if (n->dirfd < 0)
		unlink(n->path);
	/* else its maker (pst_ndb_create_fd's caller) removes it */
}

void pst_ndb_set_spill_limit(struct pst_ndb *n, size_t entries)
{
	n->spill_limit = entries;
	new_lists(n);
}

size_t pst_ndb_spill_limit(const struct pst_ndb *n)
{
	return n->spill_limit;
}

const char *pst_ndb_dir(const struct pst_ndb *n)
{
	return n->dir;
}

static struct pst_ndb *ndb_new(int fd, const char *path, int dirfd)
{
	struct pst_ndb *n = xcalloc(1, sizeof(*n));
	n->fd = fd;
	n->dirfd = dirfd;
	n->path = xstrdup(path);
	n->dir = dir_of(path);
	n->spill_limit = PST_SPILL_LIMIT;
	new_lists(n);
	n->next_bid = 4;
	n->next_page_bid = 1;
	n->scratch = xmalloc(PST_BLOCK_MAX);
	pst_alloc_init(&n->alloc, PST_AMAP_FIRST);
	start_interval(n, 0);
	return n;
}

struct pst_ndb *pst_ndb_create(const char *path, struct sbuf *err)
{
	int fd = sys_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		sbuf_addf(err, "cannot create '%s': %s", path, strerror(errno));
		return NULL;
	}
	return ndb_new(fd, path, -1);
}

struct pst_ndb *pst_ndb_create_fd(int fd, int tmpdir, const char *display, struct sbuf *err)
{
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int dirfd = own < 0 ? -1 : fcntl(tmpdir, F_DUPFD_CLOEXEC, 0);
	if (dirfd < 0) {
		sbuf_addf(err, "cannot use '%s': %s", display, strerror(errno));
		if (own >= 0)
			close(own);
		return NULL;
	}
	return ndb_new(own, display, dirfd);
}

static void add_bbt(struct pst_ndb *n, uint64_t bid, uint64_t ib, size_t cb)
{
	struct pst_bbt_entry e;
	memset(&e, 0, sizeof(e));	/* no stray padding bytes in the temporary file */
	e.bref = (struct pst_bref){ bid, ib };
	e.cb = (uint16_t)cb;
	e.cref = BLOCK_CREF;
	pst_spill_add(n->bbt, &e);
}

/* put_block: write cb bytes already in n->scratch as a block; internal sets bit 1 */
static uint64_t put_block(struct pst_ndb *n, size_t cb, bool internal)
{
	uint64_t bid = n->next_bid | (internal ? 2 : 0);
	n->next_bid += 4;
	size_t size = pst_block_size(cb);
	uint64_t ib = take(n, size, 64);
	pst_block_trailer(n->scratch, cb, ib, bid);
	pwrite_all(n, n->scratch, size, ib);
	add_bbt(n, bid, ib, cb);
	return n->error ? 0 : bid;
}

uint64_t pst_ndb_write_block(struct pst_ndb *n, const void *data, size_t cb)
{
	if (cb > PST_BLOCK_DATA_MAX) {
		n->error = n->error ? n->error : EINVAL;
		return 0;
	}
	memcpy(n->scratch, data, cb);
	return put_block(n, cb, false);
}

/* xblock: btype 1, cLevel, cEnt, lcbTotal, then the child BIDs */
static uint64_t put_xblock(struct pst_ndb *n, unsigned level, const uint64_t *bids,
			   unsigned count, uint64_t total)
{
	if (total > UINT32_MAX) {	/* lcbTotal is 32 bits: no stream of 4 GiB or more */
		n->error = n->error ? n->error : EFBIG;
		return 0;
	}
	uint8_t *p = n->scratch;
	p[0] = 1;
	p[1] = (uint8_t)level;
	p[2] = (uint8_t)count;
	p[3] = (uint8_t)(count >> 8);
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(total >> (8 * i));
	for (unsigned c = 0; c < count; c++)
		for (unsigned i = 0; i < 8; i++)
			p[8 + 8 * c + i] = (uint8_t)(bids[c] >> (8 * i));
	return put_block(n, 8 + 8 * (size_t)count, true);
}

uint64_t pst_ndb_write_data(struct pst_ndb *n, const void *data, uint64_t len)
{
	const uint8_t *p = data;
	if (len <= PST_BLOCK_DATA_MAX)
		return pst_ndb_write_block(n, data, (size_t)len);
	uint64_t per_x = (uint64_t)XBLOCK_MAX_CHILDREN * PST_BLOCK_DATA_MAX;
	uint64_t nx = (len + per_x - 1) / per_x;
	if (nx > XBLOCK_MAX_CHILDREN) {		/* beyond an XXBLOCK: ~7.9 GiB */
		n->error = n->error ? n->error : EFBIG;
		return 0;
	}
	uint64_t xbids[XBLOCK_MAX_CHILDREN];
	uint64_t *leaves = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*leaves));
	for (uint64_t x = 0; x < nx; x++) {
		uint64_t off = x * per_x, part = len - off < per_x ? len - off : per_x;
		unsigned count = 0;
		for (uint64_t o = 0; o < part; o += PST_BLOCK_DATA_MAX) {
			size_t cb = (size_t)(part - o < PST_BLOCK_DATA_MAX ? part - o : PST_BLOCK_DATA_MAX);
			leaves[count++] = pst_ndb_write_block(n, p + off + o, cb);
		}
		xbids[x] = put_xblock(n, 1, leaves, count, part);
	}
	free(leaves);
	return nx == 1 ? xbids[0] : put_xblock(n, 2, xbids, (unsigned)nx, len);
}

uint64_t pst_ndb_write_xblock(struct pst_ndb *n, const uint64_t *leaves, unsigned count,
			      uint64_t total)
{
	if (count > XBLOCK_MAX_CHILDREN) {
		n->error = n->error ? n->error : EFBIG;
		return 0;
	}
	return put_xblock(n, 1, leaves, count, total);
}

#define SLBLOCK_MAX 340
#define SIBLOCK_MAX 510

static void put_le64(uint8_t *q, uint64_t v)
{
	for (int b = 0; b < 8; b++)
		q[b] = (uint8_t)(v >> (8 * b));
}

/* put_slblock: one SLBLOCK (btype 2, level 0) over up to 340 entries */
static uint64_t put_slblock(struct pst_ndb *n, const struct pst_sl_entry *e, size_t count)
{
	uint8_t *p = n->scratch;
	memset(p, 0, 8);
	p[0] = 2;
	p[2] = (uint8_t)count;
	p[3] = (uint8_t)(count >> 8);
	for (size_t i = 0; i < count; i++) {
		uint8_t *q = p + 8 + 24 * i;
		put_le64(q, e[i].nid);
		put_le64(q + 8, e[i].bid_data);
		put_le64(q + 16, e[i].bid_sub);
	}
	return put_block(n, 8 + 24 * count, true);
}

uint64_t pst_ndb_write_subnodes(struct pst_ndb *n, const struct pst_sl_entry *e, size_t count)
{
	if (count == 0 || count > (size_t)SLBLOCK_MAX * SIBLOCK_MAX) {
		n->error = n->error ? n->error : (count ? EFBIG : EINVAL);
		return 0;
	}
	if (count <= SLBLOCK_MAX)
		return put_slblock(n, e, count);
	/* more: SLBLOCKs of 340, under one SIBLOCK (btype 2, level 1) */
	size_t nsl = (count + SLBLOCK_MAX - 1) / SLBLOCK_MAX;
	uint64_t *bids = xmalloc(nsl * sizeof(*bids));
	for (size_t i = 0; i < nsl; i++) {
		size_t k = count - i * SLBLOCK_MAX < SLBLOCK_MAX ? count - i * SLBLOCK_MAX : SLBLOCK_MAX;
		bids[i] = put_slblock(n, e + i * SLBLOCK_MAX, k);
	}
	uint8_t *p = n->scratch;
	memset(p, 0, 8);
	p[0] = 2;
	p[1] = 1;
	p[2] = (uint8_t)nsl;
	p[3] = (uint8_t)(nsl >> 8);
	for (size_t i = 0; i < nsl; i++) {
		put_le64(p + 8 + 16 * i, e[i * SLBLOCK_MAX].nid);	/* first NID below */
		put_le64(p + 16 + 16 * i, bids[i]);
	}
	free(bids);
	return put_block(n, 8 + 16 * nsl, true);
}

void pst_stream_begin(struct pst_stream *s, struct pst_ndb *n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->leaf = xmalloc(PST_BLOCK_DATA_MAX);
	s->leaves = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*s->leaves));
	s->xbids = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*s->xbids));
}

/* flush_xblock: close the XBLOCK being filled */
static void flush_xblock(struct pst_stream *s)
{
	if (!s->nleaves)
		return;
	if (s->nx == XBLOCK_MAX_CHILDREN) {	/* beyond an XXBLOCK: ~7.9 GiB */
		s->n->error = s->n->error ? s->n->error : EFBIG;
		s->nleaves = 0;
		return;
	}
	s->xbids[s->nx++] = put_xblock(s->n, 1, s->leaves, s->nleaves, s->part_total);
	s->nleaves = 0;
	s->part_total = 0;
}

static void flush_leaf(struct pst_stream *s)
{
	if (s->nleaves == XBLOCK_MAX_CHILDREN)
		flush_xblock(s);
	s->leaves[s->nleaves++] = pst_ndb_write_block(s->n, s->leaf, s->fill);
	s->part_total += s->fill;
	s->fill = 0;
}

void pst_stream_write(struct pst_stream *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		if (s->fill == PST_BLOCK_DATA_MAX)
			flush_leaf(s);
		size_t k = PST_BLOCK_DATA_MAX - s->fill < len ? PST_BLOCK_DATA_MAX - s->fill : len;
		memcpy(s->leaf + s->fill, p, k);
		s->fill += k;
		s->total += k;
		p += k;
		len -= k;
	}
}

uint64_t pst_stream_end(struct pst_stream *s)
{
	uint64_t bid = 0;
	if (s->total <= PST_BLOCK_DATA_MAX && s->nleaves == 0) {
		bid = s->total ? pst_ndb_write_block(s->n, s->leaf, s->fill) : 0;
	} else {
		if (s->fill)
			flush_leaf(s);
		flush_xblock(s);
		bid = s->nx == 1 ? s->xbids[0] : put_xblock(s->n, 2, s->xbids, s->nx, s->total);
	}
	pst_stream_release(s);
	return bid;
}

void pst_stream_release(struct pst_stream *s)
{
	free(s->leaf);
	free(s->leaves);
	free(s->xbids);
	s->leaf = NULL;
	s->leaves = s->xbids = NULL;
}

void pst_pages_begin(struct pst_pages *p, struct pst_ndb *n)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->count = 1;			/* the first block, to come last */
}

/* pages_flush_x: the XBLOCK being filled, written (past the first) */
static void pages_flush_x(struct pst_pages *p)
{
	if (!p->nleaves)
		return;
	if (p->nx == XBLOCK_MAX_CHILDREN) {	/* beyond an XXBLOCK */
		p->n->error = p->n->error ? p->n->error : EFBIG;
		p->nleaves = 0;
		return;
	}
	p->xbids[p->nx++] = put_xblock(p->n, 1, p->leaves, p->nleaves, p->part_total);
	p->nleaves = 0;
	p->part_total = 0;
}

void pst_pages_add(struct pst_pages *p, const void *data, size_t cb)
{
	uint64_t bid = pst_ndb_write_block(p->n, data, cb);
	p->total += cb;
	if (p->count < XBLOCK_MAX_CHILDREN) {
		if (!p->first)
			p->first = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*p->first));
		p->first[p->count++] = bid;
		p->first_total += cb;
		return;
	}
	if (!p->leaves) {
		p->leaves = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*p->leaves));
		p->xbids = xmalloc(XBLOCK_MAX_CHILDREN * sizeof(*p->xbids));
		p->nx = 1;		/* [0]: the first XBLOCK */
	}
	if (p->nleaves == XBLOCK_MAX_CHILDREN)
		pages_flush_x(p);
	p->leaves[p->nleaves++] = bid;
	p->part_total += cb;
	p->count++;
}

uint64_t pst_pages_end(struct pst_pages *p, const void *first, size_t cb)
{
	uint64_t bid = pst_ndb_write_block(p->n, first, cb);
	p->total += cb;
	if (p->count > 1) {
		p->first[0] = bid;
		p->first_total += cb;
		uint64_t nfirst = p->count < XBLOCK_MAX_CHILDREN ? p->count : XBLOCK_MAX_CHILDREN;
		bid = put_xblock(p->n, 1, p->first, (unsigned)nfirst, p->first_total);
	}
	if (p->leaves) {
		pages_flush_x(p);
		p->xbids[0] = bid;
		bid = put_xblock(p->n, 2, p->xbids, p->nx, p->total);
	}
	pst_pages_release(p);
	return p->n->error ? 0 : bid;
}

void pst_pages_release(struct pst_pages *p)
{
	free(p->first);
	free(p->leaves);
	free(p->xbids);
	p->first = p->leaves = p->xbids = NULL;
}

void pst_ndb_add_node(struct pst_ndb *n, uint32_t nid, uint64_t bid_data,
		      uint64_t bid_sub, uint32_t nid_parent)
{
	struct pst_nbt_entry e;
	memset(&e, 0, sizeof(e));
	e.nid = nid;
	e.bid_data = bid_data;
	e.bid_sub = bid_sub;
	e.nid_parent = nid_parent;
	pst_spill_add(n->nbt, &e);
}

static int page_place(void *ctx, uint64_t *ib_r, uint64_t *bid_r)
{
	struct pst_ndb *n = ctx;
	*ib_r = take(n, PST_PAGE_SIZE, PST_PAGE_SIZE);
	*bid_r = n->next_page_bid++;
	return n->error ? -1 : 0;
}

static int page_write(void *ctx, const uint8_t page[PST_PAGE_SIZE], uint64_t ib)
{
	struct pst_ndb *n = ctx;
	pwrite_all(n, page, PST_PAGE_SIZE, ib);
	return n->error ? -1 : 0;
}

static void write_dlist(struct pst_ndb *n)
{
	uint8_t page[PST_PAGE_SIZE] = { 0 };	/* no entries, like Outlook's empty store */
	pst_page_trailer(page, PST_PTYPE_DLIST, PST_DLIST_OFFSET, n->next_page_bid++);
	pwrite_all(n, page, sizeof(page), PST_DLIST_OFFSET);
}

static int feed_bbt(void *ctx, const void *rec)
{
	struct pst_bbt_entry e;
	memcpy(&e, rec, sizeof(e));
	return pst_bt_add_bbt(ctx, &e);
}

static int feed_nbt(void *ctx, const void *rec)
{
	struct pst_nbt_entry e;
	memcpy(&e, rec, sizeof(e));
	return pst_bt_add_nbt(ctx, &e);
}

/*
 * build_tree: the BBT or NBT over its list, drained in key order into the
 * bottom-up builder.  The list arrives sorted, so the builder refusing an
 * entry means the key came twice (unless writing the pages failed).
 */
static void build_tree(struct pst_ndb *n, struct pst_spill *list, enum pst_ptype type,
		       struct pst_bref *root)
{
	struct pst_page_sink sink = { n, page_place, page_write };
	struct pst_bt_builder b;
	pst_bt_begin(&b, type, &sink);
	int (*feed)(void *, const void *) = type == PST_PTYPE_NBT ? feed_nbt : feed_bbt;
	if (n->error || (pst_spill_drain(list, feed, &b) == 0 && pst_bt_end(&b, root) == 0))
		return;
	struct sbuf why = SBUF_INIT;
	int err = pst_spill_error(list, &why);
	if (!err && !n->error) {	/* a caller bug */
		err = EINVAL;
		if (!b.count)
			sbuf_addf(&why, "no %s", type == PST_PTYPE_NBT ? "nodes" : "blocks");
		else
			sbuf_addf(&why, "%s 0x%" PRIx64 " added twice",
				  type == PST_PTYPE_NBT ? "node" : "block", b.last_key);
	}
	if (err)
		pst_ndb_fail(n, err, why.buf);
	sbuf_release(&why);
}

int pst_ndb_check(const struct pst_ndb *n, struct sbuf *err)
{
	struct sbuf why = SBUF_INIT;
	int e = n->error;
	if (!e)		/* the lists' temporary files fail on their own */
		e = pst_spill_error(n->bbt, &why);
	if (!e)
		e = pst_spill_error(n->nbt, &why);
	if (e)
		sbuf_addf(err, "cannot write '%s': %s", n->path,
			  n->error ? (n->why ? n->why : strerror(e)) : why.buf);
	sbuf_release(&why);
	return e ? -1 : 0;
}

int pst_ndb_finish(struct pst_ndb *n, const uint32_t rgnid[32], struct sbuf *err)
{
	struct pst_header h = { .ver_client = 19, .crypt = 0, .amap_valid = 2 };
	/* the BBT goes last: building the NBT allocates no blocks, only pages */
	build_tree(n, n->nbt, PST_PTYPE_NBT, &h.nbt);
	build_tree(n, n->bbt, PST_PTYPE_BBT, &h.bbt);
	pst_spill_free(n->nbt);		/* their temporary files go now, before the fsync */
	pst_spill_free(n->bbt);
	n->nbt = n->bbt = NULL;
	finish_interval(n);		/* the last interval: its free tail counts */
	uint64_t k = n->interval;
	if (k >= FMAP_FIRST && (k - FMAP_FIRST) % PST_PAGE_DATA != PST_PAGE_DATA - 1)
		write_fmap(n, k);		/* the last FMap page, if not full */
	uint64_t intervals = n->interval + 1;
	write_dlist(n);
	h.file_eof = pst_interval_start(intervals);
	h.amap_last = pst_interval_start(n->interval);
	h.amap_free = n->amap_free;
	h.bid_next_b = n->next_bid;
	h.bid_next_p = n->next_page_bid;
	memcpy(h.rgnid, rgnid, sizeof(h.rgnid));
	uint8_t hdr[PST_HEADER_SIZE];
	pst_header_encode(hdr, &h);
	if (!n->error && sys_ftruncate(n->fd, (off_t)h.file_eof) < 0)
		n->error = errno;
	pwrite_all(n, hdr, sizeof(hdr), 0);
	if (!n->error && sys_fsync(n->fd) < 0)
		n->error = errno;
	int ret = 0;
	if (close(n->fd) < 0 && !n->error)
		n->error = errno;
	n->fd = -1;
	if (n->error) {
		sbuf_addf(err, "cannot write '%s': %s", n->path, n->why ? n->why : strerror(n->error));
		remove_file(n);
		ret = -1;
	}
	pst_ndb_abort(n);
	return ret;
}

uint64_t pst_ndb_final_size(const struct pst_ndb *n, uint64_t more)
{
	uint64_t extra = more / PST_BLOCK_DATA_MAX + 16;
	uint64_t blocks = pst_spill_count(n->bbt) + extra;
	uint64_t nodes = pst_spill_count(n->nbt) + extra;
	uint64_t pages = (nodes + 11) / 12 + (blocks + 15) / 16 + 8;
	uint64_t end = n->alloc.next + more + pages * PST_PAGE_SIZE;
	/* every interval crossed starts with its map pages (AMap, and PMap/FMap now and then) */
	end += ((end - n->alloc.next) / PST_INTERVAL + 1) * 4 * PST_PAGE_SIZE;
	uint64_t k = end < PST_AMAP_FIRST ? 0 : (end - PST_AMAP_FIRST) / PST_INTERVAL;
	return pst_interval_start(k + 1);
}

void pst_ndb_abort(struct pst_ndb *n)
{
	if (n->fd >= 0) {
		close(n->fd);
		remove_file(n);
	}
	if (n->dirfd >= 0)
		close(n->dirfd);
	pst_spill_free(n->bbt);
	pst_spill_free(n->nbt);
	free(n->path);
	free(n->dir);
	free(n->why);
	free(n->scratch);
	free(n);
}
