/*
 * Table contexts ([MS-PST] 2.3.4): TCINFO, the row index, the row matrix.
 * Row layout: LtpRowId at 0 and LtpRowVer at 4, then the 8-byte, 4-byte,
 * 2-byte and 1-byte cells, then the cell-existence block (bit iBit, the
 * first bit being the MSB of its first byte).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ltp.h"
#include "xalloc.h"

#define TAG_ROW_ID 0x67F20003u
#define TAG_ROW_VER 0x67F30003u

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static uint8_t cell_size(uint32_t tag)
{
	switch (tag & 0xFFFF) {
	case PT_BOOLEAN: return 1;
	case PT_SHORT: return 2;
	case PT_LONGLONG: case PT_SYSTIME: return 8;
	default: return 4;	/* PT_LONG, and HNIDs for strings and binaries */
	}
}

static int cmp_col(const void *a, const void *b)
{
	uint32_t x = ((const struct pst_tc_col *)a)->tag, y = ((const struct pst_tc_col *)b)->tag;
	return (x > y) - (x < y);
}

/* rank: where a column goes in the row (RowId, RowVer, 8, 4, 2, 1 bytes) */
static int rank(const struct pst_tc_col *c)
{
	if (c->tag == TAG_ROW_ID)
		return 0;
	if (c->tag == TAG_ROW_VER)
		return 1;
	return c->cb == 8 ? 2 : c->cb == 4 ? 3 : c->cb == 2 ? 4 : 5;
}

void pst_tc_init(struct pst_tc *tc, struct pst_ndb *n, const uint32_t *tags, size_t ntags)
{
	memset(tc, 0, sizeof(*tc));
	pst_pc_init(&tc->sub, n);
	tc->sub.heap.client_sig = PST_SIG_TC;
	sbuf_init(&tc->rows);
	sbuf_init(&tc->index);
	tc->cols = xcalloc(ntags + 2, sizeof(*tc->cols));
	bool has_id = false, has_ver = false;
	for (size_t i = 0; i < ntags; i++) {
		has_id |= tags[i] == TAG_ROW_ID;
		has_ver |= tags[i] == TAG_ROW_VER;
		tc->cols[tc->ncols++].tag = tags[i];
	}
	if (!has_id)
		tc->cols[tc->ncols++].tag = TAG_ROW_ID;
	if (!has_ver)
		tc->cols[tc->ncols++].tag = TAG_ROW_VER;
	for (size_t i = 0; i < tc->ncols; i++)
		tc->cols[i].cb = cell_size(tc->cols[i].tag);
	/* place cells rank by rank; iBit follows the same order */
	uint16_t ib = 0;
	uint8_t ibit = 0;
	for (int r = 0; r <= 5; r++) {
		for (size_t i = 0; i < tc->ncols; i++) {
			if (rank(&tc->cols[i]) != r)
				continue;
			tc->cols[i].ib = ib;
			tc->cols[i].ibit = ibit++;
			ib = (uint16_t)(ib + tc->cols[i].cb);
		}
		if (r == 3)
			tc->rgib[0] = ib;	/* end of the 8- and 4-byte cells */
		else if (r == 4)
			tc->rgib[1] = ib;
		else if (r == 5)
			tc->rgib[2] = ib;
	}
	tc->rgib[3] = (uint16_t)(ib + (tc->ncols + 7) / 8);
	qsort(tc->cols, tc->ncols, sizeof(*tc->cols), cmp_col);
	tc->row = xmalloc(tc->rgib[3]);
}

void pst_tc_release(struct pst_tc *tc)
{
	pst_pc_release(&tc->sub);
	sbuf_release(&tc->rows);
	sbuf_release(&tc->index);
	free(tc->cols);
	free(tc->row);
	memset(tc, 0, sizeof(*tc));
}

static const struct pst_tc_col *col(const struct pst_tc *tc, uint32_t tag)
{
	struct pst_tc_col key = { .tag = tag };
	return bsearch(&key, tc->cols, tc->ncols, sizeof(key), cmp_col);
}

static void mark_cell(struct pst_tc *tc, const struct pst_tc_col *c)
{
	tc->row[tc->rgib[2] + c->ibit / 8] |= (uint8_t)(0x80 >> (c->ibit % 8));
}

void pst_tc_set_u32(struct pst_tc *tc, uint32_t tag, uint32_t v)
{
	const struct pst_tc_col *c = col(tc, tag);
	if (!c)
		return;
	uint8_t *p = tc->row + c->ib;
	if (c->cb == 1)
		p[0] = (uint8_t)v;
	else if (c->cb == 2)
		put16(p, (uint16_t)v);
	else
		put32(p, v);
	mark_cell(tc, c);
}

void pst_tc_set_u64(struct pst_tc *tc, uint32_t tag, uint64_t v)
{
	const struct pst_tc_col *c = col(tc, tag);
	if (!c || c->cb != 8)
		return;
	put32(tc->row + c->ib, (uint32_t)v);
	put32(tc->row + c->ib + 4, (uint32_t)(v >> 32));
	mark_cell(tc, c);
}

void pst_tc_set_binary(struct pst_tc *tc, uint32_t tag, const void *data, size_t len)
{
	const struct pst_tc_col *c = col(tc, tag);
	if (!c || c->cb != 4)
		return;
	/* the PC's value rule (heap, subnode, or 0 when empty) gives the HNID */
	size_t before = tc->sub.records.len;
	pst_pc_add_binary(&tc->sub, 0, (uint16_t)tag, data, len);
	const uint8_t *r = (const uint8_t *)tc->sub.records.buf + before;
	uint32_t hnid = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 |
			(uint32_t)r[7] << 24;
	sbuf_setlen(&tc->sub.records, before);
	put32(tc->row + c->ib, hnid);
	mark_cell(tc, c);
}

void pst_tc_set_string(struct pst_tc *tc, uint32_t tag, const char *utf8)
{
	struct sbuf w = SBUF_INIT;
	pst_utf16le(&w, utf8);
	pst_tc_set_binary(tc, tag, w.buf, w.len);
	sbuf_release(&w);
}

void pst_tc_row_begin(struct pst_tc *tc, uint32_t row_id)
{
	memset(tc->row, 0, tc->rgib[3]);
	pst_tc_set_u32(tc, TAG_ROW_ID, row_id);
	pst_tc_set_u32(tc, TAG_ROW_VER, 1);
}

void pst_tc_row_end(struct pst_tc *tc)
{
	uint8_t rec[8];
	memcpy(rec, tc->row + col(tc, TAG_ROW_ID)->ib, 4);
	put32(rec + 4, tc->nrows++);
	sbuf_add(&tc->index, rec, sizeof(rec));
	sbuf_add(&tc->rows, tc->row, tc->rgib[3]);
}

static int cmp_index(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b;
	uint32_t ix = x[0] | x[1] << 8 | x[2] << 16 | (uint32_t)x[3] << 24;
	uint32_t iy = y[0] | y[1] << 8 | y[2] << 16 | (uint32_t)y[3] << 24;
	return (ix > iy) - (ix < iy);
}

/* rows_hnid: the row matrix in the heap, or in a subnode with whole rows per block */
static uint32_t rows_hnid(struct pst_tc *tc)
{
	size_t len = tc->rows.len, rowsize = tc->rgib[3];
	if (len == 0)
		return 0;
	if (len <= PST_HEAP_ALLOC_MAX)
		return pst_heap_alloc(&tc->sub.heap, tc->rows.buf, len);
	size_t per_block = PST_BLOCK_DATA_MAX / rowsize;
	size_t nblocks = (tc->nrows + per_block - 1) / per_block;
	uint64_t *bids = xmalloc(nblocks * sizeof(*bids));
	uint64_t total = 0;
	uint8_t *block = xcalloc(1, PST_BLOCK_DATA_MAX);
	for (size_t b = 0; b < nblocks; b++) {
		size_t rows = tc->nrows - b * per_block < per_block ? tc->nrows - b * per_block : per_block;
		/*
		 * whole rows only, and every block but the last padded to 8,176
		 * bytes: readers find row i at (i / per_block) * 8176 +
		 * (i % per_block) * row size in the stream
		 */
		size_t cb = b + 1 < nblocks ? PST_BLOCK_DATA_MAX : rows * rowsize;
		memset(block, 0, PST_BLOCK_DATA_MAX);
		memcpy(block, tc->rows.buf + b * per_block * rowsize, rows * rowsize);
		bids[b] = pst_ndb_write_block(tc->sub.ndb, block, cb);
		total += cb;
	}
	free(block);
	uint64_t bid = nblocks == 1 ? bids[0] :
		pst_ndb_write_xblock(tc->sub.ndb, bids, (unsigned)nblocks, total);
	free(bids);
	uint32_t nid = tc->sub.next_sub_index++ << 5 | 0x1F;
	pst_pc_add_subnode(&tc->sub, nid, bid, 0);
	pst_pc_count_sub_bytes(&tc->sub, total);
	return nid;
}

int pst_tc_write(struct pst_tc *tc, uint64_t *bid_data, uint64_t *bid_sub)
{
	size_t n = tc->index.len / 8;
	if (pst_sort_unique(tc->index.buf, n, 8, cmp_index) < 0)
		return -1;
	/* the row index's BTHHEADER takes the reserved first allocation, 0x20 */
	uint32_t hid_index = pst_bth_build_at(&tc->sub.heap, tc->sub.bth_hid, 4, 4,
					      (const uint8_t *)tc->index.buf, n);
	uint32_t hnid_rows = rows_hnid(tc);
	size_t info_len = 22 + 8 * tc->ncols;
	uint8_t *info = xcalloc(1, info_len);
	info[0] = 0x7C;
	info[1] = (uint8_t)tc->ncols;
	for (int i = 0; i < 4; i++)
		put16(info + 2 + 2 * i, tc->rgib[i]);
	put32(info + 10, hid_index);
	put32(info + 14, hnid_rows);
	put32(info + 18, 0);			/* hidIndex: deprecated */
	for (size_t i = 0; i < tc->ncols; i++) {
		uint8_t *d = info + 22 + 8 * i;
		put32(d, tc->cols[i].tag);
		put16(d + 4, tc->cols[i].ib);
		d[6] = tc->cols[i].cb;
		d[7] = tc->cols[i].ibit;
	}
	tc->sub.heap.user_root = pst_heap_alloc(&tc->sub.heap, info, info_len);
	free(info);
	/* the heap and subnodes are written as a PC's are, minus its BTH */
	tc->sub.written_size = pst_heap_size(&tc->sub.heap) + tc->sub.sub_bytes;
	*bid_data = pst_heap_write(&tc->sub.heap, tc->sub.ndb);
	*bid_sub = pst_pc_write_subnodes(&tc->sub);
	return 0;
}
