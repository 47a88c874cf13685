/*
 * PST node-database (NDB) primitives: the CRC, block and page signatures,
 * trailers, the file header, and where the fixed map pages sit.  These are
 * the bottom layer of the PST writer (issue 3); everything here is checked
 * byte for byte against an empty store written by Outlook itself
 * (tests/test-pst-ndb.c).  Layout facts: ../shared/docs/pst-notes.md, s. 2.
 *
 * All integers on disk are little-endian; these functions encode them one
 * field at a time, never by casting a struct.
 */
#ifndef MDX_PST_NDB_H
#define MDX_PST_NDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PST_HEADER_SIZE 564
#define PST_PAGE_SIZE 512
#define PST_PAGE_DATA 496		/* a page's bytes before its trailer */
#define PST_TRAILER_SIZE 16
#define PST_BLOCK_MAX 8192
#define PST_BLOCK_DATA_MAX 8176		/* data bytes one block can carry */
#define PST_AMAP_FIRST 0x4400ull	/* offset of the first AMap page */
#define PST_INTERVAL 0x3E000ull		/* bytes one AMap page covers */
#define PST_DLIST_OFFSET 0x4200ull

enum pst_ptype {
	PST_PTYPE_BBT = 0x80,
	PST_PTYPE_NBT = 0x81,
	PST_PTYPE_FMAP = 0x82,
	PST_PTYPE_PMAP = 0x83,
	PST_PTYPE_AMAP = 0x84,
	PST_PTYPE_FPMAP = 0x85,
	PST_PTYPE_DLIST = 0x86,
};

/* pst_crc: the PST CRC-32 (reflected 0xEDB88320, initial 0, no final XOR) */
uint32_t pst_crc(const void *data, size_t len);
/* pst_sig: block/page signature of (ib, bid): folds the low 32 bits of ib^bid */
uint16_t pst_sig(uint64_t ib, uint64_t bid);

/* pst_block_size: bytes a block with cb data bytes takes on disk (64-aligned) */
size_t pst_block_size(size_t cb);
/*
 * pst_block_trailer: fill the trailer at the end of a block whose cb data
 * bytes (already encoded, if the file is) start at blk; blk must hold
 * pst_block_size(cb) bytes, the padding is zeroed.
 */
void pst_block_trailer(uint8_t *blk, size_t cb, uint64_t ib, uint64_t bid);
/*
 * pst_page_trailer: fill the 16-byte trailer of a 512-byte page.  Map pages
 * (AMap, PMap, FMap, FPMap) carry their own offset as bid and no signature;
 * B-tree pages and the DList carry a page BID and the signature of (ib, bid).
 */
void pst_page_trailer(uint8_t *page, enum pst_ptype type, uint64_t ib, uint64_t bid);

/* Which map pages an AMap interval k starts with. */
bool pst_interval_has_pmap(uint64_t k);
bool pst_interval_has_fmap(uint64_t k);
bool pst_interval_has_fpmap(uint64_t k);
/* pst_interval_start: file offset of interval k (its AMap page) */
uint64_t pst_interval_start(uint64_t k);
/* pst_interval_reserved: bytes of map pages at the start of interval k */
uint64_t pst_interval_reserved(uint64_t k);

/*
 * A sequential allocator over the file: hands out 64-byte aligned extents
 * that never cover a map page nor straddle an interval boundary.
 */
struct pst_alloc {
	uint64_t next;		/* first free byte */
};
void pst_alloc_init(struct pst_alloc *a, uint64_t start);
/* pst_alloc_take: offset of `size` bytes (size <= PST_BLOCK_MAX), aligned to `align` */
uint64_t pst_alloc_take(struct pst_alloc *a, uint64_t size, uint64_t align);

struct pst_bref {
	uint64_t bid;
	uint64_t ib;
};

struct pst_header {
	uint16_t ver_client;		/* 19 */
	uint32_t reserved1, reserved2;	/* Outlook's private words; 0 is fine */
	uint64_t bid_next_p;
	uint32_t unique;
	uint32_t rgnid[32];
	uint64_t file_eof;
	uint64_t amap_last;
	uint64_t amap_free;
	uint64_t pmap_free;
	struct pst_bref nbt;
	struct pst_bref bbt;
	uint8_t amap_valid;		/* 2 when the AMaps are right, 0 while writing */
	uint8_t crypt;			/* 0 none, 1 permute, 2 cyclic */
	uint64_t bid_next_b;
};

/* pst_header_encode: the 564-byte Unicode header with both CRCs */
void pst_header_encode(uint8_t out[PST_HEADER_SIZE], const struct pst_header *h);
/*
 * pst_header_decode: the fields pst_header_encode writes.  Returns 0, or -1
 * when the magic, version or a CRC is wrong.
 */
int pst_header_decode(const uint8_t in[PST_HEADER_SIZE], struct pst_header *h);

#endif
