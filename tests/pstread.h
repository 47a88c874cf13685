/*
 * Reading our PSTs back by hand in the unit tests: the file in memory, the
 * NBT and BBT looked up, a node's data tree reassembled (XBLOCKs and
 * XXBLOCKs), heap allocations by HID and a BTH's records in order.  One
 * file at a time (the globals below); no bounds checks: the files are
 * ours, and pstcheck checks them separately.
 */
#ifndef MDX_PSTREAD_H
#define MDX_PSTREAD_H

#include <stdint.h>
#include <stdlib.h>

#include "core/sbuf.h"
#include "pst/ndb.h"
#include "testutil.h"

static uint8_t *img;
static size_t img_len;

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* find_in_tree: leaf entry for key in the NBT (cb 32) or BBT (cb 24) */
static const uint8_t *find_in_tree(uint64_t page_ib, uint64_t key, int nbt)
{
	const uint8_t *pg = img + page_ib;
	unsigned n = pg[488], level = pg[491], cb = level ? 24 : nbt ? 32 : 24;
	for (unsigned i = n; i-- > 0;) {
		const uint8_t *e = pg + cb * i;
		if (get(e, 8) > key)
			continue;
		if (level)
			return find_in_tree(get(e + 16, 8), key, nbt);
		return get(e, 8) == key ? e : NULL;
	}
	return NULL;
}

static struct pst_header hdr;

/* stream: the bytes under bid (data tree); pages_r/npages_r: each leaf block */
static void stream(uint64_t bid, struct sbuf *out, struct sbuf *pages)
{
	const uint8_t *e = find_in_tree(hdr.bbt.ib, bid & ~1ull, 0);
	if (!e)
		return;
	const uint8_t *p = img + get(e + 8, 8);
	size_t cb = (size_t)get(e + 16, 2);
	if (!(bid & 2)) {
		uint64_t start = out->len, len = cb;
		sbuf_add(out, p, cb);
		if (pages) {
			sbuf_add(pages, &start, 8);
			sbuf_add(pages, &len, 8);
		}
		return;
	}
	unsigned count = (unsigned)get(p + 2, 2);
	for (unsigned i = 0; i < count; i++)
		stream(get(p + 8 + 8 * i, 8), out, pages);
}

struct heap_view {
	struct sbuf data, pages;	/* pages: (start, len) per heap page */
};

/* heap_get: the allocation a HID names, as (pointer, length) */
static const uint8_t *heap_get(const struct heap_view *h, uint32_t hid, size_t *len)
{
	size_t page = hid >> 16, index = (hid >> 5) & 0x7FF;
	const uint64_t *pg = (const uint64_t *)h->pages.buf;
	if (index == 0 || page >= h->pages.len / 16)
		return NULL;
	const uint8_t *base = (const uint8_t *)h->data.buf + pg[2 * page];
	size_t ibhnpm = (size_t)get(base, 2);
	size_t calloc_ = (size_t)get(base + ibhnpm, 2);
	if (index > calloc_)
		return NULL;
	size_t from = (size_t)get(base + ibhnpm + 4 + 2 * (index - 1), 2);
	size_t to = (size_t)get(base + ibhnpm + 4 + 2 * index, 2);
	*len = to - from;
	return base + from;
}

/* bth_records: all records of the BTH whose header is at hid, in order */
static void bth_collect(const struct heap_view *h, uint32_t hid, unsigned level,
			unsigned cb_key, unsigned cb_ent, struct sbuf *out)
{
	size_t len;
	const uint8_t *p = heap_get(h, hid, &len);
	if (!p)
		return;
	if (level == 0) {
		sbuf_add(out, p, len);
		return;
	}
	for (size_t i = 0; i + cb_key + 4 <= len; i += cb_key + 4)
		bth_collect(h, (uint32_t)get(p + i + cb_key, 4), level - 1, cb_key, cb_ent, out);
}

/* load: the file at path, and its header in hdr (0, or -1 when it does not decode) */
static int load(const char *path)
{
	free(img);
	img = test_slurp(path, &img_len);
	return img_len >= PST_HEADER_SIZE ? pst_header_decode(img, &hdr) : -1;
}


#endif
