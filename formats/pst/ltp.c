#include "pst/ltp.h"

#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* ---- heap-on-node ------------------------------------------------------ */

/*
 * One heap page (one block of the node): a header, the allocations packed
 * after it, then the page map: cAlloc, cFree, and cAlloc + 1 offsets (the
 * last one is where the allocations end).
 */
struct pst_heap_block {
	struct sbuf data;	/* header + allocations */
	uint16_t *starts;	/* offset of each allocation */
	size_t count;
};

enum { HNHDR_SIZE = 12, HNPAGEHDR_SIZE = 2, HNBITMAPHDR_SIZE = 66 };

static size_t header_size(size_t index)
{
	if (index == 0)
		return HNHDR_SIZE;
	return index >= 8 && (index - 8) % 128 == 0 ? HNBITMAPHDR_SIZE : HNPAGEHDR_SIZE;
}

/* block_bytes: the page's size with `extra` more bytes in `more` allocations */
static size_t block_bytes(const struct pst_heap_block *b, size_t extra, size_t more)
{
	size_t end = b->data.len + extra;
	end += end & 1;					/* the page map is 2-aligned */
	return end + 4 + 2 * (b->count + more + 1);
}

/*
 * block_at: page i if it is in memory: every page, or for a streamed heap
 * page 0 (slot 0) and the page being filled (slot 1).
 */
static struct pst_heap_block *block_at(const struct pst_heap *h, size_t i)
{
	if (i >= h->nblocks)
		return NULL;
	if (!h->stream)
		return &h->blocks[i];
	return i == 0 ? &h->blocks[0] : i + 1 == h->nblocks ? &h->blocks[1] : NULL;
}

static void release_block(struct pst_heap_block *b)
{
	sbuf_release(&b->data);
	free(b->starts);
}

/* finish_block: the page's header fields and its page map, appended */
static void finish_block(struct pst_heap *h, struct pst_heap_block *b, size_t index)
{
	uint16_t end = (uint16_t)b->data.len;
	if (b->data.len & 1)
		sbuf_addch(&b->data, 0);
	uint16_t ibhnpm = (uint16_t)b->data.len;
	uint8_t map[4 + 2 * 2048];
	put16(map, (uint16_t)b->count);
	put16(map + 2, 0);			/* cFree: nothing is ever freed */
	for (size_t i = 0; i < b->count; i++)
		put16(map + 4 + 2 * i, b->starts[i]);
	put16(map + 4 + 2 * b->count, end);
	sbuf_add(&b->data, map, 4 + 2 * (b->count + 1));
	uint8_t *p = (uint8_t *)b->data.buf;
	put16(p, ibhnpm);
	if (index == 0) {
		p[2] = 0xEC;			/* bSig */
		p[3] = h->client_sig;
		put32(p + 4, h->user_root);
		put32(p + 8, 0);		/* rgbFillLevel: hints, Outlook writes 0 */
	}
}

/* put_page: page index (not 0), finished, to the file */
static void put_page(struct pst_heap *h, struct pst_heap_block *b, size_t index)
{
	finish_block(h, b, index);
	pst_pages_add(&h->pages, b->data.buf, b->data.len);
	h->written += b->data.len;
}

/* new_block: the next page; a streamed heap first writes the one it replaces */
static struct pst_heap_block *new_block(struct pst_heap *h)
{
	if (h->nblocks == PST_HEAP_PAGES_MAX) {
		h->full = true;
		return NULL;
	}
	size_t slot = h->nblocks;
	if (h->stream && h->nblocks >= 2) {
		put_page(h, &h->blocks[1], h->nblocks - 1);
		release_block(&h->blocks[1]);
		slot = 1;
	} else {
		h->blocks = xreallocarray(h->blocks, h->nblocks + 1, sizeof(*h->blocks));
	}
	struct pst_heap_block *b = &h->blocks[slot];
	sbuf_init(&b->data);
	b->starts = NULL;
	b->count = 0;
	uint8_t zero[HNBITMAPHDR_SIZE] = { 0 };	/* filled in by pst_heap_write */
	sbuf_add(&b->data, zero, header_size(h->nblocks));
	h->nblocks++;
	return b;
}

void pst_heap_init(struct pst_heap *h, uint8_t client_sig)
{
	memset(h, 0, sizeof(*h));
	h->client_sig = client_sig;
	new_block(h);
}

void pst_heap_stream(struct pst_heap *h, struct pst_ndb *n)
{
	if (h->nblocks > 2)		/* pages already in memory stay there */
		return;
	h->stream = n;
	pst_pages_begin(&h->pages, n);
}

void pst_heap_release(struct pst_heap *h)
{
	for (size_t i = 0; i < h->nblocks; i++) {
		struct pst_heap_block *b = block_at(h, i);
		if (b)
			release_block(b);
	}
	free(h->blocks);
	pst_pages_release(&h->pages);
	memset(h, 0, sizeof(*h));
}

uint32_t pst_heap_alloc(struct pst_heap *h, const void *data, size_t len)
{
	if (len == 0 || len > PST_HEAP_ALLOC_MAX)
		return 0;
	struct pst_heap_block *b = block_at(h, h->nblocks - 1);
	if (block_bytes(b, len, 1) > PST_BLOCK_DATA_MAX || b->count >= 2047)
		b = new_block(h);
	if (!b)
		return 0;
	b->starts = xreallocarray(b->starts, b->count + 1, sizeof(*b->starts));
	b->starts[b->count++] = (uint16_t)b->data.len;
	sbuf_add(&b->data, data, len);
	/* HID: 1-based index in bits 5..15, page (block) index in bits 16..31 */
	return (uint32_t)(b->count << 5) | (uint32_t)(h->nblocks - 1) << 16;
}

uint8_t *pst_heap_at(struct pst_heap *h, uint32_t hid)
{
	size_t page = hid >> 16, index = (hid >> 5) & 0x7FF;
	struct pst_heap_block *b = block_at(h, page);
	if (!b || index == 0 || index > b->count)
		return NULL;
	return (uint8_t *)b->data.buf + b->starts[index - 1];
}

uint64_t pst_heap_size(const struct pst_heap *h)
{
	uint64_t total = h->written;
	for (size_t i = 0; i < h->nblocks; i++) {
		const struct pst_heap_block *b = block_at(h, i);
		if (b)
			total += block_bytes(b, 0, 0);
	}
	return total;
}

uint64_t pst_heap_write(struct pst_heap *h, struct pst_ndb *n)
{
	if (h->full) {
		pst_ndb_fail(n, EFBIG, "a heap needs more than 65,536 pages "
			     "(over 500 MB of a table's values)");
		return 0;
	}
	if (!h->stream)
		pst_pages_begin(&h->pages, n);
	assert(h->nblocks > 0 && h->blocks);	/* pst_heap_init made page 0 */
	struct pst_heap_block *page0 = &h->blocks[0];	/* writing pages never moves it */
	/* pages 1, 2, ... still in memory, then page 0, which names the root */
	for (size_t i = 1; i < h->nblocks; i++) {
		struct pst_heap_block *b = block_at(h, i);
		if (b)
			put_page(h, b, i);
	}
	finish_block(h, page0, 0);
	return pst_pages_end(&h->pages, page0->data.buf, page0->data.len);
}

/* ---- B-tree on heap ---------------------------------------------------- */

/*
 * The builder keeps, per level, the records not yet in a heap allocation:
 * level 0 the records themselves, level l > 0 (first key, HID) of each
 * allocation at level l - 1 still waiting for its parent.  A level's
 * allocation is made as soon as it is full, so memory is one
 * allocation's worth (3,580 bytes) per level however many records come.
 */
static size_t bth_width(const struct pst_bth_builder *b, unsigned level)
{
	return level ? b->cb_key + 4u : (size_t)b->cb_key + b->cb_ent;
}

void pst_bth_begin(struct pst_bth_builder *b, struct pst_heap *h, uint32_t hdr_hid,
		   uint8_t cb_key, uint8_t cb_ent)
{
	memset(b, 0, sizeof(*b));
	b->h = h;
	b->hdr_hid = hdr_hid;
	b->cb_key = cb_key;
	b->cb_ent = cb_ent;
}

static void bth_push(struct pst_bth_builder *b, unsigned level, const uint8_t *rec);

/* bth_emit: level's waiting records as one allocation; its (key, HID) goes up */
static void bth_emit(struct pst_bth_builder *b, unsigned level)
{
	uint8_t up[PST_BTH_KEY_MAX + 4];
	uint32_t hid = pst_heap_alloc(b->h, b->level[level], b->n[level] * bth_width(b, level));
	if (level == 0 && b->leaf_hids)
		b->leaf_hids[b->nleaves++] = hid;
	memcpy(up, b->level[level], b->cb_key);
	put32(up + b->cb_key, hid);
	b->n[level] = 0;
	bth_push(b, level + 1, up);
}

static void bth_push(struct pst_bth_builder *b, unsigned level, const uint8_t *rec)
{
	if (level == PST_BTH_LEVELS) {		/* 447^8 records: cannot happen */
		b->failed = true;
		return;
	}
	size_t w = bth_width(b, level);
	if (!b->level[level])
		b->level[level] = xmalloc(PST_HEAP_ALLOC_MAX);
	memcpy(b->level[level] + b->n[level] * w, rec, w);
	if (level + 1 > b->height)
		b->height = level + 1;
	if (++b->n[level] == PST_HEAP_ALLOC_MAX / w)
		bth_emit(b, level);
}

void pst_bth_add(struct pst_bth_builder *b, const uint8_t *rec)
{
	b->count++;
	bth_push(b, 0, rec);
}

/* put_header: the BTHHEADER into its reserved allocation, or a new one */
static uint32_t put_header(struct pst_heap *h, const uint8_t hdr[8], uint32_t hdr_hid)
{
	uint8_t *at = hdr_hid ? pst_heap_at(h, hdr_hid) : NULL;
	if (!at)
		return pst_heap_alloc(h, hdr, 8);
	memcpy(at, hdr, 8);
	return hdr_hid;
}

uint32_t pst_bth_end(struct pst_bth_builder *b)
{
	uint8_t hdr[8] = { 0xB5, b->cb_key, b->cb_ent, 0 };
	/* each level's waiting records get an allocation, up to a level of one */
	for (unsigned level = 0; b->count && !b->failed; level++) {
		if (level > 0 && level + 1 == b->height && b->n[level] == 1) {
			hdr[3] = (uint8_t)(level - 1);
			memcpy(hdr + 4, b->level[level] + b->cb_key, 4);	/* hidRoot */
			break;
		}
		if (b->n[level])
			bth_emit(b, level);
	}
	for (unsigned level = 0; level < PST_BTH_LEVELS; level++)
		free(b->level[level]);
	memset(b->level, 0, sizeof(b->level));
	return put_header(b->h, hdr, b->hdr_hid);	/* no records: hidRoot 0, empty */
}

/*
 * bth_build: over n sorted records; leaf_hids (if not NULL) receives the
 * HID of each leaf; hdr_hid (if not 0) is an 8-byte allocation reserved for
 * the BTHHEADER.
 */
static uint32_t bth_build(struct pst_heap *h, uint8_t cb_key, uint8_t cb_ent,
			  const uint8_t *records, size_t n, uint32_t *leaf_hids, uint32_t hdr_hid)
{
	struct pst_bth_builder b;
	pst_bth_begin(&b, h, hdr_hid, cb_key, cb_ent);
	b.leaf_hids = leaf_hids;
	for (size_t i = 0; i < n; i++)
		pst_bth_add(&b, records + i * ((size_t)cb_key + cb_ent));
	return pst_bth_end(&b);
}

uint32_t pst_bth_build(struct pst_heap *h, uint8_t cb_key, uint8_t cb_ent,
		       const uint8_t *records, size_t n)
{
	return bth_build(h, cb_key, cb_ent, records, n, NULL, 0);
}

uint32_t pst_bth_build_at(struct pst_heap *h, uint32_t hdr_hid, uint8_t cb_key, uint8_t cb_ent,
			  const uint8_t *records, size_t n)
{
	return bth_build(h, cb_key, cb_ent, records, n, NULL, hdr_hid);
}

/* ---- property context -------------------------------------------------- */

/* ascii_utf16le: an ASCII string's UTF-16LE is each byte and a 0; false if not ASCII */
static bool ascii_utf16le(struct sbuf *out, const char *s)
{
	size_t n = 0;
	while (s[n] && !((unsigned char)s[n] & 0x80))
		n++;
	if (s[n])
		return false;
	sbuf_grow(out, 2 * n);
	for (size_t i = 0; i < n; i++) {
		out->buf[out->len++] = s[i];
		out->buf[out->len++] = 0;
	}
	out->buf[out->len] = '\0';
	return true;
}

void pst_utf16le(struct sbuf *out, const char *utf8)
{
	/* most names, addresses and subjects: no iconv_open for them (a
	 * message has dozens of strings, and opening a converter costs more
	 * than converting one) */
	if (ascii_utf16le(out, utf8))
		return;
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	char *in = (char *)utf8;
	size_t inleft = strlen(utf8);
	while (inleft) {
		char buf[1024], *o = buf;
		size_t oleft = sizeof(buf);
		size_t r = cd == (iconv_t)-1 ? (size_t)-1 : iconv(cd, &in, &inleft, &o, &oleft);
		sbuf_add(out, buf, sizeof(buf) - oleft);
		if (r == (size_t)-1 && errno != E2BIG) {
			sbuf_add(out, "\xFD\xFF", 2);	/* U+FFFD for a bad byte */
			in++;
			inleft--;
		}
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
}

void pst_pc_init(struct pst_pc *pc, struct pst_ndb *n)
{
	memset(pc, 0, sizeof(*pc));
	pc->ndb = n;
	pst_heap_init(&pc->heap, PST_SIG_PC);
	/*
	 * The first allocation (HID 0x20) is kept for the BTHHEADER: readers of
	 * the java-libpst family look for it there in every PC and TC.
	 */
	static const uint8_t zero[8];
	pc->bth_hid = pst_heap_alloc(&pc->heap, zero, sizeof(zero));
	sbuf_init(&pc->records);
	pc->next_sub_index = 1;
}

void pst_pc_release(struct pst_pc *pc)
{
	pst_heap_release(&pc->heap);
	sbuf_release(&pc->records);
	free(pc->subnodes);
	memset(pc, 0, sizeof(*pc));
}

static void add_record(struct pst_pc *pc, uint16_t id, uint16_t type, uint32_t value)
{
	uint8_t r[8];
	put16(r, id);
	put16(r + 2, type);
	put32(r + 4, value);
	sbuf_add(&pc->records, r, sizeof(r));
}

void pst_pc_add_u32(struct pst_pc *pc, uint16_t id, uint16_t type, uint32_t v)
{
	pc->value_bytes += type == PT_SHORT ? 2 : 4;
	add_record(pc, id, type, v);
}

void pst_pc_add_bool(struct pst_pc *pc, uint16_t id, int v)
{
	pc->value_bytes += 1;
	add_record(pc, id, PT_BOOLEAN, v ? 1 : 0);
}

void pst_pc_add_u64(struct pst_pc *pc, uint16_t id, uint16_t type, uint64_t v)
{
	uint8_t b[8];
	put32(b, (uint32_t)v);
	put32(b + 4, (uint32_t)(v >> 32));
	pc->value_bytes += 8;
	add_record(pc, id, type, pst_heap_alloc(&pc->heap, b, sizeof(b)));
}

void pst_pc_count_sub_bytes(struct pst_pc *pc, uint64_t bytes)
{
	pc->sub_bytes += bytes;
}

void pst_pc_set_size_prop(struct pst_pc *pc, uint16_t id)
{
	pc->size_prop = id;
	pc->size_by_values = false;
}

void pst_pc_set_value_size_prop(struct pst_pc *pc, uint16_t id)
{
	pc->size_prop = id;
	pc->size_by_values = true;
}

void pst_pc_add_subnode(struct pst_pc *pc, uint32_t nid, uint64_t bid_data, uint64_t bid_sub)
{
	pc->subnodes = xreallocarray(pc->subnodes, pc->nsub + 1, sizeof(*pc->subnodes));
	pc->subnodes[pc->nsub++] = (struct pst_subnode){ nid, bid_data, bid_sub };
}

void pst_pc_add_binary(struct pst_pc *pc, uint16_t id, uint16_t type, const void *data, size_t len)
{
	uint32_t hnid = 0;			/* an empty value is HNID 0 */
	pc->value_bytes += len;
	if (len > PST_HEAP_ALLOC_MAX) {
		/* too big for the heap: its own subnode, and the HNID is that NID */
		hnid = pc->next_sub_index++ << 5 | 0x1F;
		pst_pc_add_subnode(pc, hnid, pst_ndb_write_data(pc->ndb, data, len), 0);
		pst_pc_count_sub_bytes(pc, len);
	} else if (len) {
		hnid = pst_heap_alloc(&pc->heap, data, len);
	}
	add_record(pc, id, type, hnid);
}

void pst_pc_value_begin(struct pst_pc_value *v, struct pst_pc *pc, uint16_t id, uint16_t type)
{
	memset(v, 0, sizeof(*v));
	v->pc = pc;
	v->id = id;
	v->type = type;
	v->small = xmalloc(PST_HEAP_ALLOC_MAX);
}

void pst_pc_value_write(struct pst_pc_value *v, const void *data, size_t len)
{
	if (!v->big && v->fill + len <= PST_HEAP_ALLOC_MAX) {
		memcpy(v->small + v->fill, data, len);
		v->fill += len;
		return;
	}
	if (!v->big) {
		v->big = true;
		pst_stream_begin(&v->st, v->pc->ndb);
		pst_stream_write(&v->st, v->small, v->fill);
	}
	pst_stream_write(&v->st, data, len);
}

uint64_t pst_pc_value_end(struct pst_pc_value *v)
{
	uint64_t len = v->fill;
	if (!v->big) {
		pst_pc_add_binary(v->pc, v->id, v->type, v->small, v->fill);
	} else {
		len = v->st.total;
		uint32_t nid = v->pc->next_sub_index++ << 5 | 0x1F;
		pst_pc_add_subnode(v->pc, nid, pst_stream_end(&v->st), 0);
		pst_pc_count_sub_bytes(v->pc, len);
		v->pc->value_bytes += len;
		add_record(v->pc, v->id, v->type, nid);
	}
	free(v->small);
	v->small = NULL;
	return len;
}

void pst_pc_add_string(struct pst_pc *pc, uint16_t id, const char *utf8)
{
	struct sbuf w = SBUF_INIT;
	pst_utf16le(&w, utf8);
	pst_pc_add_binary(pc, id, PT_UNICODE, w.buf, w.len);
	sbuf_release(&w);
}

static int cmp_record(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b;
	unsigned ix = x[0] | (unsigned)x[1] << 8, iy = y[0] | (unsigned)y[1] << 8;
	return (ix > iy) - (ix < iy);
}

static int cmp_sub(const void *a, const void *b)
{
	uint32_t x = ((const struct pst_subnode *)a)->nid, y = ((const struct pst_subnode *)b)->nid;
	return (x > y) - (x < y);
}

uint64_t pst_pc_write_subnodes(struct pst_pc *pc)
{
	if (!pc->nsub)
		return 0;
	qsort(pc->subnodes, pc->nsub, sizeof(*pc->subnodes), cmp_sub);
	struct pst_sl_entry *e = xmalloc(pc->nsub * sizeof(*e));
	for (size_t i = 0; i < pc->nsub; i++)
		e[i] = (struct pst_sl_entry){ pc->subnodes[i].nid, pc->subnodes[i].bid_data,
					      pc->subnodes[i].bid_sub };
	uint64_t bid = pst_ndb_write_subnodes(pc->ndb, e, pc->nsub);
	free(e);
	return bid;
}

int pst_sort_unique(void *records, size_t n, size_t width,
		    int (*cmp)(const void *, const void *))
{
	char *r = records;
	qsort(r, n, width, cmp);
	for (size_t i = 1; i < n; i++)
		if (!cmp(r + width * (i - 1), r + width * i))
			return -1;
	return 0;
}

int pst_pc_write(struct pst_pc *pc, uint64_t *bid_data, uint64_t *bid_sub)
{
	size_t n = pc->records.len / 8;
	if (pst_sort_unique(pc->records.buf, n, 8, cmp_record) < 0)
		return -1;
	/* a PC's BTH: 2-byte keys (the property id), 6-byte entries (type, value) */
	size_t per = PST_HEAP_ALLOC_MAX / 8;
	uint32_t *leaves = xmalloc(((n + per - 1) / per + 1) * sizeof(*leaves));
	pc->heap.user_root = bth_build(&pc->heap, 2, 6, (const uint8_t *)pc->records.buf, n, leaves,
				       pc->bth_hid);
	pc->written_size = pst_heap_size(&pc->heap) + pc->sub_bytes;
	pc->stated_size = pc->size_by_values ? pc->value_bytes : pc->written_size;
	pc->size_saturated = pc->size_prop && pc->stated_size > PST_SIZE_MAX;
	for (size_t i = 0; pc->size_prop && i < n; i++) {
		const uint8_t *r = (const uint8_t *)pc->records.buf + 8 * i;
		if ((r[0] | r[1] << 8) != pc->size_prop)
			continue;
		uint8_t *cell = pst_heap_at(&pc->heap, leaves[i / per]);
		if (cell)
			put32(cell + 8 * (i % per) + 4, pst_size_value(pc->stated_size));
	}
	free(leaves);
	*bid_data = pst_heap_write(&pc->heap, pc->ndb);
	*bid_sub = pst_pc_write_subnodes(pc);
	return 0;
}
