/* pstcheck_ltp.c -- the LTP reader of tools/pstcheck ([MS-PST] 2.3).
 *
 * Node data streams (a block, or an XBLOCK/XXBLOCK tree of leaves), subnode
 * trees (SLBLOCK/SIBLOCK), the heap-on-node over any number of pages, BTHs
 * of any depth, property contexts and table contexts.  Everything is
 * checked as it is read: a HID must name an allocation that exists, every
 * allocation must lie inside its page, BTH keys must be sorted and unique,
 * row index entries must point at real rows, TCOLDESCs must be sorted with
 * cells inside the row and not overlapping.  Recursion is bounded by levels
 * that must decrease and by a visited set, so no file can make it loop.
 * Layout facts: ../shared/docs/pst-notes.md section 3. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pstcheck.h"

#define MAX_STREAM (256u << 20)       /* the most of one stream a check reads */
#define MAX_SUBNODES (1u << 20)
#define ROWS_DATA 8176u               /* data bytes of a block */

/* [MS-PST] 5.1 mpbbR: the NDB_CRYPT_PERMUTE encoding table (format constant). */
static const uint8_t perm_r[256] = {
	0x41, 0x36, 0x13, 0x62, 0xa8, 0x21, 0x6e, 0xbb, 0xf4, 0x16, 0xcc, 0x04, 0x7f, 0x64, 0xe8, 0x5d,
	0x1e, 0xf2, 0xcb, 0x2a, 0x74, 0xc5, 0x5e, 0x35, 0xd2, 0x95, 0x47, 0x9e, 0x96, 0x2d, 0x9a, 0x88,
	0x4c, 0x7d, 0x84, 0x3f, 0xdb, 0xac, 0x31, 0xb6, 0x48, 0x5f, 0xf6, 0xc4, 0xd8, 0x39, 0x8b, 0xe7,
	0x23, 0x3b, 0x38, 0x8e, 0xc8, 0xc1, 0xdf, 0x25, 0xb1, 0x20, 0xa5, 0x46, 0x60, 0x4e, 0x9c, 0xfb,
	0xaa, 0xd3, 0x56, 0x51, 0x45, 0x7c, 0x55, 0x00, 0x07, 0xc9, 0x2b, 0x9d, 0x85, 0x9b, 0x09, 0xa0,
	0x8f, 0xad, 0xb3, 0x0f, 0x63, 0xab, 0x89, 0x4b, 0xd7, 0xa7, 0x15, 0x5a, 0x71, 0x66, 0x42, 0xbf,
	0x26, 0x4a, 0x6b, 0x98, 0xfa, 0xea, 0x77, 0x53, 0xb2, 0x70, 0x05, 0x2c, 0xfd, 0x59, 0x3a, 0x86,
	0x7e, 0xce, 0x06, 0xeb, 0x82, 0x78, 0x57, 0xc7, 0x8d, 0x43, 0xaf, 0xb4, 0x1c, 0xd4, 0x5b, 0xcd,
	0xe2, 0xe9, 0x27, 0x4f, 0xc3, 0x08, 0x72, 0x80, 0xcf, 0xb0, 0xef, 0xf5, 0x28, 0x6d, 0xbe, 0x30,
	0x4d, 0x34, 0x92, 0xd5, 0x0e, 0x3c, 0x22, 0x32, 0xe5, 0xe4, 0xf9, 0x9f, 0xc2, 0xd1, 0x0a, 0x81,
	0x12, 0xe1, 0xee, 0x91, 0x83, 0x76, 0xe3, 0x97, 0xe6, 0x61, 0x8a, 0x17, 0x79, 0xa4, 0xb7, 0xdc,
	0x90, 0x7a, 0x5c, 0x8c, 0x02, 0xa6, 0xca, 0x69, 0xde, 0x50, 0x1a, 0x11, 0x93, 0xb9, 0x52, 0x87,
	0x58, 0xfc, 0xed, 0x1d, 0x37, 0x49, 0x1b, 0x6a, 0xe0, 0x29, 0x33, 0x99, 0xbd, 0x6c, 0xd9, 0x94,
	0xf3, 0x40, 0x54, 0x6f, 0xf0, 0xc6, 0x73, 0xb8, 0xd6, 0x3e, 0x65, 0x18, 0x44, 0x1f, 0xdd, 0x67,
	0x10, 0xf1, 0x0c, 0x19, 0xec, 0xae, 0x03, 0xa1, 0x14, 0x7b, 0xa9, 0x0b, 0xff, 0xf8, 0xa3, 0xc0,
	0xa2, 0x01, 0xf7, 0x2e, 0xbc, 0x24, 0x68, 0x75, 0x0d, 0xfe, 0xba, 0x2f, 0xb5, 0xd0, 0xda, 0x3d
};

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fprintf(stderr, "pstcheck: out of memory\n");
		exit(2);
	}
	return p;
}

void *xrealloc(void *p, size_t n, size_t size)
{
	p = size && n > SIZE_MAX / size ? NULL : realloc(p, n && size ? n * size : 1);
	if (!p) {
		fprintf(stderr, "pstcheck: out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- reports: at most MAX_REPORT of each kind ---------------------------------- */

static void lreport(struct pstcheck *ck, int level, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void lreport(struct pstcheck *ck, int level, const char *where, const char *fmt, va_list ap)
{
	if (ck->ltp_mute)
		return;             /* a second read of something already reported */
	report_kind *k = NULL;
	for (size_t i = 0; i < ck->n_kinds && !k; i++)
		if (ck->kinds[i].fmt == fmt)
			k = &ck->kinds[i];
	if (!k && ck->n_kinds < sizeof ck->kinds / sizeof ck->kinds[0]) {
		k = &ck->kinds[ck->n_kinds++];
		*k = (report_kind){ fmt, level, 0 };
	}
	unsigned long n = k ? ++k->n : 1;
	report(ck, level, n <= MAX_REPORT, where, fmt, ap);
}

void lerr(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lreport(ck, 0, where, fmt, ap);
	va_end(ap);
}

void lfind(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lreport(ck, 1, where, fmt, ap);
	va_end(ap);
}

void linfo(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(ck, 2, 1, where, fmt, ap);
	va_end(ap);
}

void ltp_summary(struct pstcheck *ck)
{
	for (size_t i = 0; i < ck->n_kinds; i++)
		if (ck->kinds[i].n > MAX_REPORT)
			linfo(ck, "report", "%lu %s in all like \"%.60s\" (the first %d printed)", ck->kinds[i].n,
			      ck->kinds[i].level ? "findings" : "errors", ck->kinds[i].fmt, MAX_REPORT);
}

void val_free(val *v)
{
	free(v->owned);
	v->owned = NULL;
	v->p = NULL;
	v->len = 0;
}

/* ---- data streams ---------------------------------------------------------------- */

/* A block is read by every walk that passes it (a node's heap, its size, its
 * subnodes): what is wrong with it is reported the first time only
 * (ck->bad_bids, an open-addressed set of BIDs). */
static size_t bad_slot(struct pstcheck *ck, uint64_t bid)
{
	size_t i = (size_t)(bid * 0x9E3779B97F4A7C15ULL >> 20) & (ck->cap_bad - 1);
	while (ck->bad_bids[i] && ck->bad_bids[i] != bid)
		i = (i + 1) & (ck->cap_bad - 1);
	return i;
}

/* 1 the first time a block is named here, 0 after (an open-addressed set) */
static int bad_once(struct pstcheck *ck, uint64_t bid)
{
	bid = (bid & ~1ULL) | (bid == 0);    /* 0 marks a free slot */
	if (ck->cap_bad && ck->bad_bids[bad_slot(ck, bid)] == bid)
		return 0;
	if (2 * (ck->n_bad + 1) > ck->cap_bad) {
		uint64_t *old = ck->bad_bids;
		size_t oldcap = ck->cap_bad;
		ck->cap_bad = ck->cap_bad ? 2 * ck->cap_bad : 256;
		ck->bad_bids = xcalloc(ck->cap_bad, sizeof *ck->bad_bids);
		for (size_t k = 0; k < oldcap; k++)
			if (old[k])
				ck->bad_bids[bad_slot(ck, old[k])] = old[k];
		free(old);
	}
	ck->bad_bids[bad_slot(ck, bid)] = bid;
	ck->n_bad++;
	return 1;
}

typedef struct {
	bbt_ent **b;
	size_t n, cap;
	uint64_t total;
} leaves;

/* Reads an internal block (never encoded) whose BBT entry is b. */
static int read_internal(struct pstcheck *ck, bbt_ent *b, uint8_t *buf, const char *w)
{
	if (b->cb < 8 || b->cb > MAX_BLOCK - 16 || !rd(ck, b->ib, buf, b->cb)) {
		if (bad_once(ck, b->bid))
			lerr(ck, w, "internal block 0x%" PRIx64 " (cb %u) cannot be read", b->bid, b->cb);
		return 0;
	}
	return 1;
}

static bbt_ent *usable_block(struct pstcheck *ck, uint64_t bid, const char *w)
{
	bbt_ent *b = find_bbt(ck, bid);
	if (!b && bad_once(ck, bid))
		lerr(ck, w, "BID 0x%" PRIx64 " is not in the BBT", bid);
	else if (b && b->state != 1 && bad_once(ck, bid))
		lerr(ck, w, "block 0x%" PRIx64 " is unreadable (see the block errors)", bid);
	return b && b->state == 1 ? b : NULL;
}

/* want: -1 the top of a stream, 0 a leaf, 1 an XBLOCK (below an XXBLOCK). */
static int get_leaves(struct pstcheck *ck, uint64_t bid, int want, leaves *l, const char *w)
{
	bbt_ent *b = usable_block(ck, bid, w);
	if (!b)
		return 0;
	if (!(b->bid & 2)) {
		if (want > 0) {
			if (bad_once(ck, bid))
				lerr(ck, w, "XXBLOCK child 0x%" PRIx64 " is a data block, not an XBLOCK", bid);
			return 0;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 16;
			/* an array of pointers: the pointer size is meant */
			l->b = xrealloc(l->b, l->cap, sizeof *l->b); /* NOLINT(bugprone-sizeof-expression) */
		}
		l->b[l->n++] = b;
		l->total += b->cb;
		return 1;
	}
	uint8_t buf[MAX_BLOCK];
	if (!read_internal(ck, b, buf, w))
		return 0;
	unsigned level = buf[1], cent = le16(buf + 2);
	if (buf[0] != 1 || (level != 1 && level != 2)) {
		if (bad_once(ck, bid))
			lerr(ck, w, "block 0x%" PRIx64 " in a data stream is not an XBLOCK/XXBLOCK (btype %u, "
			     "cLevel %u)", bid, buf[0], level);
		return 0;
	}
	if (want == 0 || (want == 1 && level != 1)) {
		if (bad_once(ck, bid))
			lerr(ck, w, "block 0x%" PRIx64 " has cLevel %u where a %s belongs", bid, level,
			     want ? "XBLOCK" : "data block");
		return 0;
	}
	if (8 + 8u * cent > b->cb) {
		if (bad_once(ck, bid))
			lerr(ck, w, "XBLOCK 0x%" PRIx64 ": cEnt %u does not fit in cb %u", bid, cent, b->cb);
		return 0;
	}
	for (unsigned i = 0; i < cent; i++)
		if (!get_leaves(ck, le64(buf + 8 + 8 * i), level == 2 ? 1 : 0, l, w))
			return 0;
	return 1;
}

int stream_size(struct pstcheck *ck, uint64_t bid, uint64_t *size, const char *w)
{
	leaves l = { 0 };
	int ok = bid == 0 || get_leaves(ck, bid, -1, &l, w);
	*size = l.total;
	free(l.b);
	return ok;
}

void stream_free(stream *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->leaf[i]);
	free(s->leaf);
	free(s->cb);
	memset(s, 0, sizeof *s);
}

/* Reads a stream; for a heap (heap set), only its first page when that is no
 * heap page, so a wrong BID cannot make a heap of megabytes of attachment. */
int stream_load(struct pstcheck *ck, uint64_t bid, stream *s, const char *w, int is_heap)
{
	memset(s, 0, sizeof *s);
	if (bid == 0)
		return 1;
	leaves l = { 0 };
	int ok = get_leaves(ck, bid, -1, &l, w);
	if (ok && l.total > MAX_STREAM) {
		lerr(ck, w, "a data stream of %" PRIu64 " bytes: more than this checker reads", l.total);
		ok = 0;
	} else if (ok && is_heap && l.n > 65536) {
		lerr(ck, w, "a heap of %zu pages; a HID can name 65536", l.n);
		ok = 0;
	}
	if (ok) {
		s->leaf = xcalloc(l.n, sizeof *s->leaf);
		s->cb = xcalloc(l.n, sizeof *s->cb);
	}
	for (size_t i = 0; ok && i < l.n; i++) {
		bbt_ent *b = l.b[i];
		s->leaf[i] = xcalloc(b->cb + 1u, 1);
		s->cb[i] = b->cb;
		s->n++;
		s->total += b->cb;
		if (!rd(ck, b->ib, s->leaf[i], b->cb)) {
			if (bad_once(ck, b->bid))
				lerr(ck, w, "data block 0x%" PRIx64 " cannot be read", b->bid);
			ok = 0;
		} else if (ck->crypt_method == 1) {
			for (unsigned j = 0; j < b->cb; j++)
				s->leaf[i][j] = ck->perm_i[s->leaf[i][j]];
		}
		if (ok && is_heap && i == 0 && (b->cb < 12 || s->leaf[0][2] != 0xEC))
			break;              /* hn_open reports it */
	}
	free(l.b);
	if (!ok)
		stream_free(s);
	return ok;
}

int stream_read(struct pstcheck *ck, uint64_t bid, stream *s, const char *w)
{
	return stream_load(ck, bid, s, w, 0);
}

/* ---- subnode trees ------------------------------------------------------------------ */

void sntree_free(sntree *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

/* want: -1 the top, 0 an SLBLOCK (below an SIBLOCK). */
static int sub_collect(struct pstcheck *ck, uint64_t bid, int want, sntree *t, size_t *cap, const char *w)
{
	bbt_ent *b = usable_block(ck, bid, w);
	uint8_t buf[MAX_BLOCK];
	if (!b || !read_internal(ck, b, buf, w))
		return 0;
	unsigned level = buf[1], cent = le16(buf + 2), esz = level ? 16 : 24;
	if (!(b->bid & 2) || buf[0] != 2 || level > 1 || (want == 0 && level != 0)) {
		if (bad_once(ck, bid))
			lerr(ck, w, "block 0x%" PRIx64 " in a subnode tree is not an SLBLOCK%s (btype %u, "
			     "cLevel %u)", bid, want ? "/SIBLOCK" : "", buf[0], level);
		return 0;
	}
	if (8 + esz * cent > b->cb) {
		if (bad_once(ck, bid))
			lerr(ck, w, "subnode block 0x%" PRIx64 ": cEnt %u does not fit in cb %u", bid, cent, b->cb);
		return 0;
	}
	for (unsigned i = 0; i < cent; i++) {
		const uint8_t *e = buf + 8 + esz * i;
		uint64_t nid = le32(e);         /* the upper half: see check_internal */
		if (t->n && (uint32_t)nid <= t->e[t->n - 1].nid) {
			if (bad_once(ck, bid))
				lerr(ck, w, "subnode 0x%x is not above the previous subnode 0x%x", (uint32_t)nid,
				     t->e[t->n - 1].nid);
			return 0;
		}
		if (level == 1) {
			size_t before = t->n;
			if (!sub_collect(ck, le64(e + 8), 0, t, cap, w))
				return 0;
			if (t->n > before && t->e[before].nid != (uint32_t)nid && bad_once(ck, bid))
				lerr(ck, w, "SIBLOCK 0x%" PRIx64 " entry %u: key 0x%x, its SLBLOCK starts at 0x%x",
				     bid, i, (uint32_t)nid, t->e[before].nid);
			continue;
		}
		if (t->n >= MAX_SUBNODES) {
			lerr(ck, w, "more than %u subnodes", MAX_SUBNODES);
			return 0;
		}
		if (t->n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			t->e = xrealloc(t->e, *cap, sizeof *t->e);
		}
		t->e[t->n++] = (snode){ (uint32_t)nid, le64(e + 8), le64(e + 16) };
	}
	return 1;
}

int subtree_read(struct pstcheck *ck, uint64_t bid, sntree *t, const char *w)
{
	size_t cap = 0;
	t->e = NULL;
	t->n = 0;
	if (bid == 0)
		return 1;
	if (!sub_collect(ck, bid, -1, t, &cap, w)) {
		sntree_free(t);
		return 0;
	}
	return 1;
}

const snode *sn_find(const sntree *t, uint32_t nid)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->e[mid].nid == nid)
			return &t->e[mid];
		if (t->e[mid].nid < nid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Bounds the work of one recursive walk over subnode trees, which shared
 * or cyclic SLBLOCKs could otherwise make exponential (ck->sub_budget). */
int sub_walk_step(struct pstcheck *ck, int depth, size_t n, const char *w)
{
	if (depth == 0)
		ck->sub_budget = 1UL << 20;
	if (depth > 8) {
		lerr(ck, w, "subnodes nested more than 8 deep");
		return 0;
	}
	if (n > ck->sub_budget) {
		if (ck->sub_budget)
			lerr(ck, w, "more than a million subnodes below one node (shared or cyclic subnode trees)");
		ck->sub_budget = 0;
		return 0;
	}
	ck->sub_budget -= n;
	return 1;
}

int object_size(struct pstcheck *ck, uint64_t bid_data, uint64_t bid_sub, uint64_t *size, const char *w, int depth)
{
	uint64_t n = 0;
	*size = 0;
	if (!sub_walk_step(ck, depth, 0, w))
		return 0;
	if (!stream_size(ck, bid_data, &n, w))
		return 0;
	sntree t;
	if (!subtree_read(ck, bid_sub, &t, w))
		return 0;
	int ok = sub_walk_step(ck, depth + 1, t.n, w);
	for (size_t i = 0; ok && i < t.n; i++) {
		uint64_t s;
		ok = object_size(ck, t.e[i].data, t.e[i].sub, &s, w, depth + 1);
		n += s;
	}
	sntree_free(&t);
	*size = n;
	return ok;
}

/* ---- heap-on-node ------------------------------------------------------------------- */

static unsigned page_hdr_len(unsigned i)
{
	if (i == 0)
		return 12;
	return i == 8 || (i > 8 && (i - 8) % 128 == 0) ? 66 : 2;
}

/* Checks heap page i's header and page map; 0 leaves the page without allocations. */
static int hn_page(struct pstcheck *ck, heap *h, unsigned i)
{
	const uint8_t *d = h->s.leaf[i];
	unsigned cb = h->s.cb[i], hl = page_hdr_len(i);
	if (cb < hl + 4) {
		lerr(ck, h->w, "heap page %u of %u bytes is too short for its %u-byte header and page map",
		     i, cb, hl);
		return 0;
	}
	unsigned ib = le16(d);
	if (ib < hl || ib + 4 > cb) {
		lerr(ck, h->w, "heap page %u: ibHnpm %u outside the page (header %u, cb %u)", i, ib, hl, cb);
		return 0;
	}
	unsigned nal = le16(d + ib), nfree = le16(d + ib + 2);
	if (ib + 4 + 2 * (nal + 1) > cb) {
		lerr(ck, h->w, "heap page %u: the page map with cAlloc %u runs past the page", i, nal);
		return 0;
	}
	if (nal > 2047) {
		lerr(ck, h->w, "heap page %u: cAlloc %u, a HID can name at most 2047 allocations", i, nal);
		return 0;
	}
	if (nfree > nal)
		lerr(ck, h->w, "heap page %u: cFree %u > cAlloc %u", i, nfree, nal);
	unsigned prev = 0, empty = 0;
	for (unsigned k = 0; k <= nal; k++) {
		unsigned o = le16(d + ib + 4 + 2 * k);
		if (k == 0 && o != hl)
			lerr(ck, h->w, "heap page %u: first allocation at %u, expected %u (after the header)",
			     i, o, hl);
		if (o > ib || (k > 0 && o < prev) || o < hl) {
			lerr(ck, h->w, "heap page %u: allocation %u at %u..%u does not lie between the header "
			     "and the page map at %u", i, k, prev, o, ib);
			return 0;
		}
		if (k > 0 && o == prev)
			empty++;
		if (k > 0 && o - prev > 3580)
			lerr(ck, h->w, "heap page %u: allocation %u is %u bytes, above the 3580-byte limit",
			     i, k, o - prev);
		prev = o;
	}
	if (empty != nfree)
		lfind(ck, h->w, "heap page %u: cFree %u but %u empty allocations; Outlook keeps cFree accurate",
		      i, nfree, empty);
	h->map[i] = (uint16_t)ib;
	h->nalloc[i] = (uint16_t)nal;
	return 1;
}

static void hn_close(heap *h)
{
	stream_free(&h->s);
	free(h->map);
	free(h->nalloc);
	free(h->first);
	free(h->seen);
	sntree_free(&h->sub);
	memset(h, 0, sizeof *h);
}

/* Opens the heap of a node (or subnode) named w; 0 when it is unusable (reported). */
static int hn_open(struct pstcheck *ck, heap *h, const char *w, uint64_t bid_data, uint64_t bid_sub)
{
	memset(h, 0, sizeof *h);
	snprintf(h->w, sizeof h->w, "%s", w);
	if (bid_data == 0) {
		lerr(ck, w, "no data, but it must hold a heap-on-node");
		return 0;
	}
	if (!stream_load(ck, bid_data, &h->s, w, 1) || !subtree_read(ck, bid_sub, &h->sub, w)) {
		hn_close(h);
		return 0;
	}
	if (h->s.n == 0 || h->s.n > 65536) {
		lerr(ck, w, "a heap of %u pages (1..65536)", h->s.n);
		hn_close(h);
		return 0;
	}
	const uint8_t *d = h->s.leaf[0];
	if (h->s.cb[0] < 12 || d[2] != 0xEC) {
		lerr(ck, w, "no heap-on-node: HNHDR bSig 0x%02x, must be 0xEC", h->s.cb[0] > 2 ? d[2] : 0);
		hn_close(h);
		return 0;
	}
	h->sig = d[3];
	h->root = le32(d + 4);
	h->map = xcalloc(h->s.n, sizeof *h->map);
	h->nalloc = xcalloc(h->s.n, sizeof *h->nalloc);
	h->first = xcalloc(h->s.n, sizeof *h->first);
	for (unsigned i = 0; i < h->s.n; i++) {
		if (!hn_page(ck, h, i) && i == 0) {
			hn_close(h);
			return 0;
		}
		h->first[i] = h->nseen;
		h->nseen += h->nalloc[i];
	}
	h->seen = xcalloc(h->nseen / 8 + 1, 1);
	return 1;
}

/* The allocation a HID names; reports (as `what`) and returns 0 when there is none. */
static int hn_get(struct pstcheck *ck, heap *h, uint32_t hid, const uint8_t **p, size_t *len, const char *what)
{
	unsigned page = hid >> 16, idx = (hid >> 5) & 0x7FF;
	if (hid & 0x1F) {
		lerr(ck, h->w, "%s: 0x%x is not a HID (hidType %u, must be 0)", what, hid, hid & 0x1F);
		return 0;
	}
	if (page >= h->s.n) {
		lerr(ck, h->w, "%s: HID 0x%x names heap page %u; the heap has %u", what, hid, page, h->s.n);
		return 0;
	}
	if (idx == 0 || idx > h->nalloc[page]) {
		lerr(ck, h->w, "%s: HID 0x%x names allocation %u of heap page %u, which has %u",
		     what, hid, idx, page, h->nalloc[page]);
		return 0;
	}
	const uint8_t *m = h->s.leaf[page] + h->map[page] + 4;
	unsigned off = le16(m + 2 * (idx - 1)), end = le16(m + 2 * idx);
	*p = h->s.leaf[page] + off;
	*len = end - off;
	return 1;
}

/* Marks the allocation hid as visited; 0 if it was already. */
static int hn_visit(heap *h, uint32_t hid)
{
	uint32_t k = h->first[hid >> 16] + ((hid >> 5) & 0x7FF) - 1;
	if (h->seen[k >> 3] & (1u << (k & 7)))
		return 0;
	h->seen[k >> 3] |= (uint8_t)(1u << (k & 7));
	return 1;
}

/* An HNID: 0 (empty), a HID, or the NID of a subnode holding the value. */
static int hn_value(struct pstcheck *ck, heap *h, uint32_t hnid, val *v, const char *what)
{
	memset(v, 0, sizeof *v);
	if (hnid == 0)
		return 1;
	if ((hnid & 0x1F) == 0)
		return hn_get(ck, h, hnid, &v->p, &v->len, what);
	const snode *s = sn_find(&h->sub, hnid);
	if (!s) {
		lerr(ck, h->w, "%s: HNID 0x%x names subnode 0x%x, which the node does not have", what, hnid, hnid);
		return 0;
	}
	stream st;
	char w[160];
	snprintf(w, sizeof w, "%s subnode 0x%x", h->w, hnid);
	if (!stream_read(ck, s->data, &st, w))
		return 0;
	v->owned = xcalloc(st.total + 1, 1);
	for (unsigned i = 0; i < st.n; i++) {
		memcpy(v->owned + v->len, st.leaf[i], st.cb[i]);
		v->len += st.cb[i];
	}
	v->p = v->owned;
	stream_free(&st);
	return 1;
}

/* ---- B-trees on the heap ---------------------------------------------------------- */

typedef struct {
	unsigned ck, ce;
	size_t n, cap;
	uint8_t *rec;                 /* n records of ck + ce bytes */
	const char *what;
} bth;

/* Compares two little-endian keys of n bytes as integers. */
static int key_cmp(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = n; i-- > 0;)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int bth_walk(struct pstcheck *ck, heap *h, bth *b, uint32_t hid, unsigned level, uint8_t *first)
{
	const uint8_t *p;
	size_t len;
	char what[64];
	snprintf(what, sizeof what, "%s BTH level-%u page", b->what, level);
	if (!hn_get(ck, h, hid, &p, &len, what))
		return 0;
	if (!hn_visit(h, hid)) {
		lerr(ck, h->w, "%s: HID 0x%x is reached twice (a cycle or a shared page)", what, hid);
		return 0;
	}
	size_t rs = level ? b->ck + 4 : b->ck + b->ce;
	if (len == 0 || len % rs) {
		lerr(ck, h->w, "%s HID 0x%x: %zu bytes, not a whole number of %zu-byte records", what, hid, len, rs);
		return 0;
	}
	memcpy(first, p, b->ck);
	for (size_t i = 0; i < len / rs; i++) {
		const uint8_t *r = p + i * rs;
		if (level) {
			uint8_t child_key[16];
			if (!bth_walk(ck, h, b, le32(r + b->ck), level - 1, child_key))
				return 0;
			if (memcmp(child_key, r, b->ck))
				lerr(ck, h->w, "%s HID 0x%x: record %zu's key differs from the first key of its child page",
				     what, hid, i);
			continue;
		}
		if (b->n && key_cmp(b->rec + (b->n - 1) * rs, r, b->ck) >= 0)
			lerr(ck, h->w, "%s: keys not sorted and unique (record %zu of HID 0x%x)", b->what, i, hid);
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->rec = xrealloc(b->rec, b->cap, rs);
		}
		memcpy(b->rec + b->n++ * rs, r, rs);
	}
	return 1;
}

/* Reads the BTH whose BTHHEADER is at hid; want_key/want_ent 0: any. */
static int bth_read(struct pstcheck *ck, heap *h, uint32_t hid, unsigned want_key,
		    unsigned want_ent, bth *b, const char *what)
{
	const uint8_t *p;
	size_t len;
	memset(b, 0, sizeof *b);
	b->what = what;
	char w[64];
	snprintf(w, sizeof w, "%s BTHHEADER", what);
	if (!hn_get(ck, h, hid, &p, &len, w))
		return 0;
	if (len != 8) {
		lerr(ck, h->w, "%s: %zu bytes, must be 8", w, len);
		if (len < 8)
			return 0;
	}
	b->ck = p[1];
	b->ce = p[2];
	unsigned levels = p[3];
	uint32_t root = le32(p + 4);
	if (p[0] != 0xB5) {
		lerr(ck, h->w, "%s: bType 0x%02x, must be 0xB5", w, p[0]);
		return 0;
	}
	if ((b->ck != 2 && b->ck != 4 && b->ck != 8 && b->ck != 16) || b->ce == 0 || b->ce > 32) {
		lerr(ck, h->w, "%s: cbKey %u / cbEnt %u (cbKey 2, 4, 8 or 16; cbEnt 1..32)", w, b->ck, b->ce);
		return 0;
	}
	if ((want_key && b->ck != want_key) || (want_ent && b->ce != want_ent)) {
		lerr(ck, h->w, "%s: cbKey %u / cbEnt %u, must be %u / %u", w, b->ck, b->ce, want_key, want_ent);
		return 0;
	}
	if (levels > 16) {
		lerr(ck, h->w, "%s: bIdxLevels %u is implausible", w, levels);
		return 0;
	}
	if (root == 0)
		return 1;           /* empty */
	memset(h->seen, 0, h->nseen / 8 + 1);
	uint8_t first[16];
	if (!bth_walk(ck, h, b, root, levels, first)) {
		free(b->rec);
		b->rec = NULL;
		b->n = 0;
		return 0;
	}
	return 1;
}

/* ---- property types -------------------------------------------------------------- */

/* Bytes of a fixed-size type (1, 2, 4 or 8), 0 for a variable-size one, -1 unknown. */
int type_fixed_size(uint16_t type)
{
	switch (type) {
	case PT_BOOLEAN:
		return 1;
	case PT_SHORT:
		return 2;
	case PT_LONG: case PT_FLOAT: case PT_ERROR:
		return 4;
	case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_LONGLONG: case PT_SYSTIME:
		return 8;
	case PT_STRING8: case PT_UNICODE: case PT_BINARY: case PT_CLSID: case PT_OBJECT:
	case PT_SVREID: case PT_SRESTRICT: case PT_ACTIONS:
		return 0;
	}
	if (type & PT_MV) {
		uint16_t t = (uint16_t)(type & ~PT_MV);
		if (t == PT_SHORT || t == PT_LONG || t == PT_FLOAT || t == PT_DOUBLE || t == PT_CURRENCY ||
		    t == PT_APPTIME || t == PT_LONGLONG || t == PT_SYSTIME || t == PT_CLSID ||
		    t == PT_STRING8 || t == PT_UNICODE || t == PT_BINARY)
			return 0;
	}
	return -1;
}

int type_known(uint16_t type) { return type_fixed_size(type) >= 0; }

/* Checks a variable-size value's bytes against its type. */
static void check_var(struct pstcheck *ck, heap *h, const char *what, uint16_t type, const val *v)
{
	uint16_t base = (uint16_t)(type & ~PT_MV);
	if (type == PT_UNICODE && v->len % 2)
		lerr(ck, h->w, "%s: a PT_UNICODE value of odd length %zu", what, v->len);
	else if (type == PT_CLSID && v->len != 16)
		lerr(ck, h->w, "%s: a PT_CLSID value of %zu bytes, must be 16", what, v->len);
	else if (type == PT_OBJECT && v->len != 8)
		lerr(ck, h->w, "%s: a PT_OBJECT record of %zu bytes, must be 8 (nid, size)", what, v->len);
	else if (type == PT_OBJECT && !sn_find(&h->sub, le32(v->p)))
		lerr(ck, h->w, "%s: PT_OBJECT names subnode 0x%x, which does not exist", what, le32(v->p));
	if (!(type & PT_MV))
		return;
	int fs = base == PT_CLSID ? 16 : type_fixed_size(base);
	if (fs > 0) {
		if (v->len % (size_t)fs)
			lerr(ck, h->w, "%s: a multi-valued value of %zu bytes, not a multiple of %d", what, v->len, fs);
		return;
	}
	/* variable elements: ulCount, then ulCount offsets, then the data */
	if (v->len == 0)
		return;
	uint32_t n = v->len >= 4 ? le32(v->p) : 0;
	if (v->len < 4 || n > (v->len - 4) / 4) {
		lerr(ck, h->w, "%s: multi-valued count %u does not fit in %zu bytes", what, n, v->len);
		return;
	}
	uint32_t prev = 4 + 4 * n;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t o = le32(v->p + 4 + 4 * i);
		if (o < prev || o > v->len) {
			lerr(ck, h->w, "%s: multi-valued element %u at offset %u, outside %u..%zu",
			     what, i, o, prev, v->len);
			return;
		}
		prev = o;
	}
}

/* ---- property contexts ------------------------------------------------------------ */

void pc_close(pc *c)
{
	hn_close(&c->h);
	free(c->p);
	c->p = NULL;
	c->n = 0;
}

int pc_open(struct pstcheck *ck, pc *c, const char *w, uint64_t bid_data, uint64_t bid_sub)
{
	memset(c, 0, sizeof *c);
	if (!hn_open(ck, &c->h, w, bid_data, bid_sub))
		return 0;
	if (c->h.sig != 0xBC) {
		lerr(ck, w, "heap client signature 0x%02x; a property context's is 0xBC", c->h.sig);
		pc_close(c);
		return 0;
	}
	bth b;
	if (!bth_read(ck, &c->h, c->h.root, 2, 6, &b, "PC")) {
		pc_close(c);
		return 0;
	}
	c->p = xcalloc(b.n, sizeof *c->p);
	for (size_t i = 0; i < b.n; i++) {
		const uint8_t *r = b.rec + 8 * i;
		c->p[i] = (prop){ le16(r), le16(r + 2), le32(r + 4) };
	}
	c->n = b.n;
	free(b.rec);
	return 1;
}

const prop *pc_get(const pc *c, uint16_t id)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->p[mid].id == id)
			return &c->p[mid];
		if (c->p[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int pc_val(struct pstcheck *ck, pc *c, const prop *p, val *v)
{
	char what[48];
	snprintf(what, sizeof what, "property 0x%04x%04x", p->id, p->type);
	int fs = type_fixed_size(p->type);
	memset(v, 0, sizeof *v);
	if (fs < 0) {
		lerr(ck, c->h.w, "%s: unknown property type 0x%04x", what, p->type);
		return 0;
	}
	if (fs > 0 && fs <= 4) {
		for (int i = 0; i < 4; i++)
			v->inl[i] = (uint8_t)(p->v >> (8 * i));
		v->p = v->inl;
		v->len = (size_t)fs;
		return 1;
	}
	if (fs == 8) {
		if (!hn_get(ck, &c->h, p->v, &v->p, &v->len, what))
			return 0;
		if (v->len != 8) {
			lerr(ck, c->h.w, "%s: an 8-byte value in an allocation of %zu bytes", what, v->len);
			return 0;
		}
		return 1;
	}
	return hn_value(ck, &c->h, p->v, v, what);
}

/* pc_u32: an integer property (PT_LONG, PT_SHORT, PT_BOOLEAN); 0 when absent or unreadable */
int pc_u32(pc *c, uint16_t id, uint32_t *out)
{
	const prop *p = pc_get(c, id);
	if (!p || (p->type != PT_LONG && p->type != PT_SHORT && p->type != PT_BOOLEAN))
		return 0;
	*out = p->type == PT_LONG ? p->v : p->type == PT_SHORT ? (p->v & 0xFFFF) : (p->v & 0xFF);
	return 1;
}

/* A big value in a subnode: there and readable, its size right for its type;
 * its bytes are not read (an attachment may be gigabytes). */
static void check_sub_value(struct pstcheck *ck, pc *c, const prop *p, const char *what)
{
	const snode *s = sn_find(&c->h.sub, p->v);
	uint64_t size;
	char w[160];
	snprintf(w, sizeof w, "%s subnode 0x%x", c->h.w, p->v);
	if (!s)
		lerr(ck, c->h.w, "%s: HNID 0x%x names subnode 0x%x, which the node does not have", what, p->v, p->v);
	else if (stream_size(ck, s->data, &size, w) && p->type == PT_UNICODE && size % 2)
		lerr(ck, c->h.w, "%s: a PT_UNICODE value of odd length %" PRIu64, what, size);
}

void pc_validate(struct pstcheck *ck, pc *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const prop *p = &c->p[i];
		val v;
		char what[48];
		snprintf(what, sizeof what, "property 0x%04x%04x", p->id, p->type);
		if (type_fixed_size(p->type) == 0 && (p->v & 0x1F) && !(p->type & PT_MV) &&
		    p->type != PT_OBJECT && p->type != PT_CLSID) {
			check_sub_value(ck, c, p, what);
			continue;
		}
		if (!pc_val(ck, c, p, &v))
			continue;
		if (p->type == PT_BOOLEAN && p->v > 1)
			lerr(ck, c->h.w, "%s: PT_BOOLEAN value 0x%x, must be 0 or 1", what, p->v);
		else if ((p->type == PT_SHORT && p->v > 0xFFFF))
			lfind(ck, c->h.w, "%s: PT_SHORT with non-zero upper bytes (0x%x)", what, p->v);
		if (type_fixed_size(p->type) == 0)
			check_var(ck, &c->h, what, p->type, &v);
		val_free(&v);
	}
}

/* ---- table contexts --------------------------------------------------------------- */

void tc_close(tc *t)
{
	hn_close(&t->h);
	stream_free(&t->rs);
	free(t->c);
	free(t->key);
	free(t->idx);
	memset(t, 0, sizeof *t);
}

static int cmp_ib(const void *a, const void *b)
{
	const tcol *x = a, *y = b;
	return x->ib != y->ib ? (x->ib < y->ib ? -1 : 1) : 0;
}

/* One TCOLDESC: sized for its type, inside the area of the row its size
 * belongs to, its cell-existence bit unused so far (bits: 256 flags). */
static int tc_coldesc(struct pstcheck *ck, tc *t, unsigned i, uint8_t *bits)
{
	const char *w = t->h.w;
	const uint16_t *g = t->rgib;
	tcol *c = &t->c[i];
	int fs = type_fixed_size(c->tag & 0xFFFF), ok = 1;
	unsigned want = fs < 0 ? c->cb : fs == 0 ? 4 : (unsigned)fs;
	if (i && c->tag <= t->c[i - 1].tag)
		lerr(ck, w, "TCOLDESC %u: tag 0x%08x not above the previous 0x%08x", i, c->tag, t->c[i - 1].tag);
	if (fs < 0)
		lerr(ck, w, "TCOLDESC %u: unknown property type in tag 0x%08x", i, c->tag);
	if (c->cb != want) {
		lerr(ck, w, "column 0x%08x: cbData %u, its type takes %u", c->tag, c->cb, want);
		ok = 0;
	}
	unsigned lo = c->cb >= 4 ? 0 : c->cb == 2 ? g[0] : g[1];
	unsigned hi = c->cb >= 4 ? g[0] : c->cb == 2 ? g[1] : g[2];
	if (c->ib < lo || c->ib + c->cb > hi) {
		lerr(ck, w, "column 0x%08x: cell %u..%u outside its %u-byte area %u..%u of the row",
		     c->tag, c->ib, c->ib + c->cb, c->cb, lo, hi);
		ok = 0;
	}
	if (c->bit >= 8 * (g[3] - g[2]) || (bits[c->bit >> 3] & (1u << (c->bit & 7)))) {
		lerr(ck, w, "column 0x%08x: iBit %u outside the cell-existence block or used twice", c->tag, c->bit);
		ok = 0;
	}
	bits[c->bit >> 3] |= (uint8_t)(1u << (c->bit & 7));
	return ok;
}

/* The TCOLDESCs: sorted by tag, each valid, the cells apart, RowId first. */
static int tc_cols(struct pstcheck *ck, tc *t, const uint8_t *d)
{
	const char *w = t->h.w;
	uint16_t *g = t->rgib;
	int ok = 1;
	if (g[0] > g[1] || g[1] > g[2] || g[2] > g[3] || g[3] != g[2] + (t->nc + 7) / 8) {
		lerr(ck, w, "TCINFO rgib %u/%u/%u/%u: the areas must ascend and the row end with %u "
		     "cell-existence bytes", g[0], g[1], g[2], g[3], (t->nc + 7) / 8);
		ok = 0;
	}
	uint8_t bits[32] = { 0 };
	for (unsigned i = 0; i < t->nc; i++) {
		const uint8_t *e = d + 22 + 8 * i;
		t->c[i] = (tcol){ le32(e), le16(e + 4), e[6], e[7] };
		ok &= tc_coldesc(ck, t, i, bits);
	}
	tcol *s = xcalloc(t->nc, sizeof *s);
	memcpy(s, t->c, t->nc * sizeof *s);
	qsort(s, t->nc, sizeof *s, cmp_ib);
	for (unsigned i = 1; i < t->nc; i++)
		if (s[i - 1].ib + s[i - 1].cb > s[i].ib) {
			lerr(ck, w, "columns 0x%08x and 0x%08x: cells overlap at %u", s[i - 1].tag, s[i].tag, s[i].ib);
			ok = 0;
		}
	free(s);
	const tcol *id = tc_col(t, 0x67F20003);
	if (!id || id->ib != 0 || id->cb != 4) {
		lerr(ck, w, "no PidTagLtpRowId column (0x67F20003) at row offset 0");
		ok = 0;
	}
	return ok;
}

const tcol *tc_col(const tc *t, uint32_t tag)
{
	for (unsigned i = 0; i < t->nc; i++)
		if (t->c[i].tag == tag)
			return &t->c[i];
	return NULL;
}

/* The row matrix: in the heap, or in a subnode with floor(8176 / row size) rows a block. */
static int tc_matrix(struct pstcheck *ck, tc *t, uint32_t hnid)
{
	size_t rs = t->rgib[3];
	if (hnid == 0)
		return 1;
	if (rs == 0) {
		lerr(ck, t->h.w, "a row matrix but a row size of 0");
		return 0;
	}
	if ((hnid & 0x1F) == 0) {
		size_t len;
		if (!hn_get(ck, &t->h, hnid, &t->hrows, &len, "TCINFO hnidRows"))
			return 0;
		if (len % rs)
			lerr(ck, t->h.w, "the row matrix of %zu bytes is not a whole number of %zu-byte rows", len, rs);
		t->nrows = len / rs;
		return 1;
	}
	const snode *s = sn_find(&t->h.sub, hnid);
	char w[160];
	snprintf(w, sizeof w, "%s rows subnode 0x%x", t->h.w, hnid);
	if (!s) {
		lerr(ck, t->h.w, "TCINFO hnidRows names subnode 0x%x, which the node does not have", hnid);
		return 0;
	}
	if (!stream_read(ck, s->data, &t->rs, w))
		return 0;
	t->per_block = ROWS_DATA / rs;
	if (t->per_block == 0) {
		lerr(ck, w, "rows of %zu bytes do not fit in a block", rs);
		return 0;
	}
	for (unsigned i = 0; i < t->rs.n; i++) {
		size_t cb = t->rs.cb[i], need = t->per_block * rs;
		if (i + 1 < t->rs.n && cb < need) {
			lerr(ck, w, "row block %u holds %zu bytes, less than %zu whole rows of %zu",
			     i, cb, t->per_block, rs);
			return 0;
		}
		if (i + 1 == t->rs.n && (cb % rs || cb > need)) {
			lerr(ck, w, "the last row block holds %zu bytes, not a whole number of %zu-byte rows (at most %zu)",
			     cb, rs, t->per_block);
			return 0;
		}
		t->nrows += i + 1 < t->rs.n ? t->per_block : cb / rs;
	}
	return 1;
}

const uint8_t *tc_row(const tc *t, size_t i)
{
	size_t rs = t->rgib[3];
	if (i >= t->nrows)
		return NULL;
	if (t->hrows)
		return t->hrows + i * rs;
	return t->rs.leaf[i / t->per_block] + (i % t->per_block) * rs;
}

/* The row index against the rows: every entry names a real row whose RowId is its key. */
static int tc_index(struct pstcheck *ck, tc *t, uint32_t hid)
{
	bth b;
	if (hid == 0) {
		lerr(ck, t->h.w, "TCINFO hidRowIndex is 0: a table needs a row index BTH");
		return 0;
	}
	if (!bth_read(ck, &t->h, hid, 4, 4, &b, "row index"))
		return 0;
	t->nidx = b.n;
	t->key = xcalloc(b.n, sizeof *t->key);
	t->idx = xcalloc(b.n, sizeof *t->idx);
	for (size_t i = 0; i < b.n; i++) {
		t->key[i] = le32(b.rec + 8 * i);
		t->idx[i] = le32(b.rec + 8 * i + 4);
	}
	free(b.rec);
	return 1;
}

static int tc_index_rows(struct pstcheck *ck, tc *t)
{
	if (t->nidx != t->nrows)
		lerr(ck, t->h.w, "the row index has %zu entries, the row matrix %zu rows", t->nidx, t->nrows);
	uint8_t *used = xcalloc(t->nrows / 8 + 1, 1);
	int ok = 1;
	for (size_t i = 0; i < t->nidx; i++) {
		const uint8_t *r = tc_row(t, t->idx[i]);
		if (!r) {
			lerr(ck, t->h.w, "row index: row ID 0x%x points at row %u; there are %zu rows",
			     t->key[i], t->idx[i], t->nrows);
			ok = 0;
			continue;
		}
		if (le32(r) != t->key[i])
			lerr(ck, t->h.w, "row index: row ID 0x%x points at row %u, whose RowId is 0x%x",
			     t->key[i], t->idx[i], le32(r));
		if (used[t->idx[i] >> 3] & (1u << (t->idx[i] & 7)))
			lerr(ck, t->h.w, "row %u is named by two row index entries", t->idx[i]);
		used[t->idx[i] >> 3] |= (uint8_t)(1u << (t->idx[i] & 7));
	}
	for (size_t i = 0; i < t->nrows; i++)
		if (!(used[i >> 3] & (1u << (i & 7))))
			lerr(ck, t->h.w, "row %zu (RowId 0x%x) is not in the row index", i, le32(tc_row(t, i)));
	free(used);
	return ok;
}

int tc_open(struct pstcheck *ck, tc *t, const char *w, uint64_t bid_data, uint64_t bid_sub)
{
	memset(t, 0, sizeof *t);
	if (!hn_open(ck, &t->h, w, bid_data, bid_sub))
		return 0;
	const uint8_t *d;
	size_t len;
	if (t->h.sig != 0x7C) {
		lerr(ck, w, "heap client signature 0x%02x; a table context's is 0x7C", t->h.sig);
		goto bad;
	}
	if (!hn_get(ck, &t->h, t->h.root, &d, &len, "hidUserRoot (TCINFO)"))
		goto bad;
	if (len < 22 || d[0] != 0x7C || len < 22 + 8u * d[1]) {
		lerr(ck, w, "TCINFO of %zu bytes: bType 0x%02x (must be 0x7C), room for %zu of its %u columns",
		     len, len ? d[0] : 0, len < 22 ? 0 : (len - 22) / 8, len > 1 ? d[1] : 0);
		goto bad;
	}
	t->nc = d[1];
	if (len != 22 + 8u * t->nc)
		lerr(ck, w, "TCINFO with %u columns is %zu bytes, expected %u", t->nc, len, 22 + 8u * t->nc);
	for (int i = 0; i < 4; i++)
		t->rgib[i] = le16(d + 2 + 2 * i);
	if (le32(d + 18))
		lerr(ck, w, "TCINFO hidIndex 0x%x: deprecated, a new PST must set it to 0", le32(d + 18));
	uint32_t hid_index = le32(d + 10), hnid_rows = le32(d + 14);
	t->c = xcalloc(t->nc, sizeof *t->c);
	if (!tc_cols(ck, t, d) || !tc_index(ck, t, hid_index) || !tc_matrix(ck, t, hnid_rows))
		goto bad;
	if (!tc_index_rows(ck, t))
		goto bad;
	return 1;
bad:
	tc_close(t);
	return 0;
}

int tc_cell(struct pstcheck *ck, tc *t, const uint8_t *row, const tcol *c, val *v)
{
	memset(v, 0, sizeof *v);
	if (!(row[t->rgib[2] + c->bit / 8] & (0x80 >> (c->bit % 8))))
		return 0;
	int fs = type_fixed_size(c->tag & 0xFFFF);
	if (fs > 0) {
		v->p = row + c->ib;
		v->len = c->cb;
		return 1;
	}
	char what[64];
	snprintf(what, sizeof what, "row 0x%x column 0x%08x", le32(row), c->tag);
	if (!hn_value(ck, &t->h, le32(row + c->ib), v, what))
		return -1;
	check_var(ck, &t->h, what, c->tag & 0xFFFF, v);
	return 1;
}

/* Every variable-size cell of every row must resolve. */
void tc_validate(struct pstcheck *ck, tc *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const uint8_t *row = tc_row(t, r);
		for (unsigned i = 0; i < t->nc; i++) {
			val v;
			if (type_fixed_size(t->c[i].tag & 0xFFFF) == 0 && tc_cell(ck, t, row, &t->c[i], &v) > 0)
				val_free(&v);
		}
	}
}

/* ---- every node -------------------------------------------------------------------- */

/* Folders, their tables and messages are read, and reported, by pstcheck_msg.c. */
int msg_layer_node(struct pstcheck *ck, uint32_t nid)
{
	uint32_t type = nid & 31, base = nid & ~31u;
	if (type == 0x02 || type == 0x03 || type == 0x04 || type == 0x08)
		return 1;
	if (type >= 0x0D && type <= 0x0F)
		return find_nbt(ck, base | 0x02) != NULL;
	return type == 0x10 && find_nbt(ck, base | 0x03) != NULL;
}

void ltp_init(struct pstcheck *ck)
{
	for (int i = 0; i < 256; i++)
		ck->perm_i[perm_r[i]] = (uint8_t)i;
}

int node_kind(uint32_t nid)
{
	uint32_t type = nid & 31;
	if (type == 0x02 || type == 0x03 || type == 0x04 || type == 0x05 || type == 0x07 ||
	    type == 0x08 || nid == 0x21 || nid == 0x61)
		return 0xBC;
	if (type >= 0x0B && type <= 0x12)
		return 0x7C;
	return 0;
}

static void check_object(struct pstcheck *ck, const char *w, int kind, uint32_t nid,
			 uint64_t bid_data, uint64_t bid_sub,
			 int depth);

void check_subnode_objects(struct pstcheck *ck, const char *w, uint64_t bid_sub, int depth, int skip_msg)
{
	sntree t;
	if (!sub_walk_step(ck, depth, 0, w) || !subtree_read(ck, bid_sub, &t, w))
		return;
	for (size_t i = 0; i < t.n && sub_walk_step(ck, depth + 1, 1, w); i++) {
		char sw[128];
		snprintf(sw, sizeof sw, "%s subnode 0x%x", w, t.e[i].nid);
		uint32_t sn = t.e[i].nid;
		if (skip_msg && (sn == 0x671 || (sn & 31) == 0x05))
			continue;           /* checked with the message (pstcheck_msg.c) */
		if (node_kind(sn))
			check_object(ck, sw, node_kind(t.e[i].nid), t.e[i].nid, t.e[i].data, t.e[i].sub, depth + 1);
	}
	sntree_free(&t);
}

/* An info line Outlook's own store is compared by: how many properties. */
static void count_line(struct pstcheck *ck, const char *w, uint32_t nid, size_t n)
{
	if (nid == 0x21 || nid == 0x122)
		linfo(ck, w, "%s: %zu properties", nid == 0x21 ? "message store" : "root folder", n);
}

/* A PC (kind 0xBC) or TC (0x7C) and, for a PC, its subnodes. */
static void check_object(struct pstcheck *ck, const char *w, int kind, uint32_t nid,
			 uint64_t bid_data, uint64_t bid_sub,
			 int depth)
{
	if (kind == 0xBC) {
		pc c;
		if (pc_open(ck, &c, w, bid_data, bid_sub)) {
			pc_validate(ck, &c);
			if (depth == 0)
				count_line(ck, w, nid, c.n);
			pc_close(&c);
		}
		check_subnode_objects(ck, w, bid_sub, depth, 0);
	} else if (kind == 0x7C) {
		tc t;
		if (tc_open(ck, &t, w, bid_data, bid_sub)) {
			tc_validate(ck, &t);
			tc_close(&t);
		}
	}
}

/* A node that is none of the known PCs and TCs: what its heap says it is, if it has one. */
static void check_other(struct pstcheck *ck, const char *w, const nbt_ent *n)
{
	bbt_ent *b = n->bid_data ? find_bbt(ck, n->bid_data) : NULL;
	uint8_t d[12];
	if (!b || b->state != 1 || (b->bid & 2) || b->cb < 12 || !rd(ck, b->ib, d, 12))
		return;
	if ((ck->crypt_method == 1 ? ck->perm_i[d[2]] : d[2]) != 0xEC)
		return;
	int sig = ck->crypt_method == 1 ? ck->perm_i[d[3]] : d[3];
	if (sig == 0xBC || sig == 0x7C) {
		check_object(ck, w, sig, (uint32_t)n->nid, n->bid_data, n->bid_sub, 1);
		return;
	}
	heap h;
	if (!hn_open(ck, &h, w, n->bid_data, n->bid_sub))
		return;
	bth bt;
	if (h.sig == 0xB5 && bth_read(ck, &h, h.root, 0, 0, &bt, "BTH"))
		free(bt.rec);
	hn_close(&h);
}

void check_ltp_nodes(struct pstcheck *ck)
{
	if (ck->crypt_method == 2) {
		lfind(ck, "LTP", "LTP and messaging checks skipped: cyclic decoding is not implemented");
		return;
	}
	for (size_t i = 0; i < ck->n_nbt; i++) {
		uint32_t nid = (uint32_t)ck->nbt[i].nid;
		char w[48];
		snprintf(w, sizeof w, "node 0x%x", nid);
		if (msg_layer_node(ck, nid))
			continue;           /* checked by the messaging layer (pstcheck_msg.c) */
		if (node_kind(nid))
			check_object(ck, w, node_kind(nid), nid, ck->nbt[i].bid_data, ck->nbt[i].bid_sub, 0);
		else
			check_other(ck, w, &ck->nbt[i]);
	}
}
