#include "pst/ndb.h"

#include <string.h>
#include <zlib.h>

/* little-endian field access: one byte at a time, any host */
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

uint32_t pst_crc(const void *data, size_t len)
{
	/*
	 * zlib's crc32 pre- and post-inverts; starting from ~0 and inverting the
	 * result gives the PST's form (initial 0, no final XOR).  zlib takes
	 * uInt lengths, so feed it in pieces.
	 */
	uLong crc = 0xFFFFFFFFul;
	const Bytef *p = data;
	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)~crc;
}

uint16_t pst_sig(uint64_t ib, uint64_t bid)
{
	uint32_t x = (uint32_t)(ib ^ bid);
	return (uint16_t)((x >> 16) ^ (x & 0xFFFF));
}

size_t pst_block_size(size_t cb)
{
	return (cb + PST_TRAILER_SIZE + 63) & ~(size_t)63;
}

void pst_block_trailer(uint8_t *blk, size_t cb, uint64_t ib, uint64_t bid)
{
	size_t total = pst_block_size(cb);
	uint8_t *t = blk + total - PST_TRAILER_SIZE;
	memset(blk + cb, 0, total - PST_TRAILER_SIZE - cb);
	put16(t, (uint16_t)cb);
	put16(t + 2, pst_sig(ib, bid));
	put32(t + 4, pst_crc(blk, cb));
	put64(t + 8, bid);
}

void pst_page_trailer(uint8_t *page, enum pst_ptype type, uint64_t ib, uint64_t bid)
{
	bool map = type == PST_PTYPE_AMAP || type == PST_PTYPE_PMAP ||
		   type == PST_PTYPE_FMAP || type == PST_PTYPE_FPMAP;
	uint8_t *t = page + PST_PAGE_DATA;
	t[0] = (uint8_t)type;
	t[1] = (uint8_t)type;
	put16(t + 2, map ? 0 : pst_sig(ib, bid));
	put32(t + 4, pst_crc(page, PST_PAGE_DATA));
	put64(t + 8, map ? ib : bid);
}

bool pst_interval_has_pmap(uint64_t k)
{
	return k % 8 == 0;
}

bool pst_interval_has_fmap(uint64_t k)
{
	return k >= 128 && (k - 128) % 496 == 0;
}

bool pst_interval_has_fpmap(uint64_t k)
{
	return k >= 8192 && (k - 8192) % 31744 == 0;
}

uint64_t pst_interval_start(uint64_t k)
{
	return PST_AMAP_FIRST + k * PST_INTERVAL;
}

uint64_t pst_interval_reserved(uint64_t k)
{
	/* AMap, then PMap at +512, then FMap or FPMap at +1024 (never both) */
	uint64_t n = PST_PAGE_SIZE;
	if (pst_interval_has_pmap(k) || pst_interval_has_fmap(k) || pst_interval_has_fpmap(k))
		n += PST_PAGE_SIZE;	/* the +1024 slot keeps its place after PMap's */
	if (pst_interval_has_fmap(k) || pst_interval_has_fpmap(k))
		n += PST_PAGE_SIZE;
	return n;
}

void pst_alloc_init(struct pst_alloc *a, uint64_t start)
{
	a->next = start;
}

uint64_t pst_alloc_take(struct pst_alloc *a, uint64_t size, uint64_t align)
{
	for (;;) {
		uint64_t at = (a->next + align - 1) & ~(align - 1);
		uint64_t k = at < PST_AMAP_FIRST ? 0 : (at - PST_AMAP_FIRST) / PST_INTERVAL;
		uint64_t first_free = pst_interval_start(k) + pst_interval_reserved(k);
		if (at < first_free)
			at = first_free;	/* first_free is 512-aligned, so still aligned */
		if (at + size <= pst_interval_start(k + 1)) {
			a->next = at + size;
			return at;
		}
		a->next = pst_interval_start(k + 1);	/* does not fit: next interval */
	}
}

enum {
	H_CRC_PARTIAL = 4, H_MAGIC_CLIENT = 8, H_VER = 10, H_VER_CLIENT = 12,
	H_PLATFORM = 14, H_RESERVED1 = 16, H_RESERVED2 = 20, H_BID_NEXT_P = 32,
	H_UNIQUE = 40, H_RGNID = 44, H_ROOT = 180, H_RGBFM = 256, H_RGBFP = 384,
	H_SENTINEL = 512, H_CRYPT = 513, H_BID_NEXT_B = 516, H_CRC_FULL = 524,
	PARTIAL_LEN = 471, FULL_LEN = 516,
};

void pst_header_encode(uint8_t out[PST_HEADER_SIZE], const struct pst_header *h)
{
	memset(out, 0, PST_HEADER_SIZE);
	static const uint8_t magic[4] = { '!', 'B', 'D', 'N' }, client[2] = { 'S', 'M' };
	memcpy(out, magic, sizeof(magic));
	memcpy(out + H_MAGIC_CLIENT, client, sizeof(client));
	put16(out + H_VER, 23);
	put16(out + H_VER_CLIENT, h->ver_client);
	out[H_PLATFORM] = 1;
	out[H_PLATFORM + 1] = 1;
	put32(out + H_RESERVED1, h->reserved1);
	put32(out + H_RESERVED2, h->reserved2);
	put64(out + H_BID_NEXT_P, h->bid_next_p);
	put32(out + H_UNIQUE, h->unique);
	for (int i = 0; i < 32; i++)
		put32(out + H_RGNID + 4 * i, h->rgnid[i]);
	uint8_t *r = out + H_ROOT;
	put64(r + 4, h->file_eof);
	put64(r + 12, h->amap_last);
	put64(r + 20, h->amap_free);
	put64(r + 28, h->pmap_free);
	put64(r + 36, h->nbt.bid);
	put64(r + 44, h->nbt.ib);
	put64(r + 52, h->bbt.bid);
	put64(r + 60, h->bbt.ib);
	r[68] = h->amap_valid;
	memset(out + H_RGBFM, 0xFF, 128);
	memset(out + H_RGBFP, 0xFF, 128);
	out[H_SENTINEL] = 0x80;
	out[H_CRYPT] = h->crypt;
	put64(out + H_BID_NEXT_B, h->bid_next_b);
	put32(out + H_CRC_PARTIAL, pst_crc(out + 8, PARTIAL_LEN));
	put32(out + H_CRC_FULL, pst_crc(out + 8, FULL_LEN));
}

int pst_header_decode(const uint8_t in[PST_HEADER_SIZE], struct pst_header *h)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(in, "!BDN", 4) || memcmp(in + H_MAGIC_CLIENT, "SM", 2) ||
	    get16(in + H_VER) != 23 ||
	    get32(in + H_CRC_PARTIAL) != pst_crc(in + 8, PARTIAL_LEN) ||
	    get32(in + H_CRC_FULL) != pst_crc(in + 8, FULL_LEN))
		return -1;
	h->ver_client = get16(in + H_VER_CLIENT);
	h->reserved1 = get32(in + H_RESERVED1);
	h->reserved2 = get32(in + H_RESERVED2);
	h->bid_next_p = get64(in + H_BID_NEXT_P);
	h->unique = get32(in + H_UNIQUE);
	for (int i = 0; i < 32; i++)
		h->rgnid[i] = get32(in + H_RGNID + 4 * i);
	const uint8_t *r = in + H_ROOT;
	h->file_eof = get64(r + 4);
	h->amap_last = get64(r + 12);
	h->amap_free = get64(r + 20);
	h->pmap_free = get64(r + 28);
	h->nbt.bid = get64(r + 36);
	h->nbt.ib = get64(r + 44);
	h->bbt.bid = get64(r + 52);
	h->bbt.ib = get64(r + 60);
	h->amap_valid = r[68];
	h->crypt = in[H_CRYPT];
	h->bid_next_b = get64(in + H_BID_NEXT_B);
	return 0;
}
