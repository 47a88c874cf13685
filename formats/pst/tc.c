/*
 * Table contexts ([MS-PST] 2.3.4): TCINFO, the row index, the row matrix.
 * Row layout: LtpRowId at 0 and LtpRowVer at 4, then the 8-byte, 4-byte,
 * 2-byte and 1-byte cells, then the cell-existence block (bit iBit, the
 * first bit being the MSB of its first byte).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "pst/ltp.h"

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
	pst_heap_stream(&tc->sub.heap, n);
	sbuf_init(&tc->rows);
	tc->index = pst_ndb_spill(n, sizeof(uint64_t), "a table's row index");
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
	pst_stream_release(&tc->matrix);
	pst_spill_free(tc->index);
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

/* rows_per_block: whole rows only in each block of the row matrix */
static size_t rows_per_block(const struct pst_tc *tc)
{
	return PST_BLOCK_DATA_MAX / tc->rgib[3];
}

/*
 * flush_rows: a block's worth of rows to the row matrix's stream, padded
 * to 8,176 bytes: readers find row i at (i / rows per block) * 8176 +
 * (i % rows per block) * row size in the stream.  Only a block that more
 * rows follow is padded, so the last one is not.
 */
static void flush_rows(struct pst_tc *tc)
{
	if (!tc->streaming) {
		pst_stream_begin(&tc->matrix, tc->sub.ndb);
		tc->streaming = true;
	}
	size_t pad = PST_BLOCK_DATA_MAX - tc->rows.len;
	sbuf_grow(&tc->rows, pad);
	memset(tc->rows.buf + tc->rows.len, 0, pad);
	pst_stream_write(&tc->matrix, tc->rows.buf, PST_BLOCK_DATA_MAX);
	sbuf_reset(&tc->rows);
}

void pst_tc_row_end(struct pst_tc *tc)
{
	const uint8_t *id = tc->row + col(tc, TAG_ROW_ID)->ib;
	uint32_t row_id = (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16 |
			  (uint32_t)id[3] << 24;
	uint64_t rec = (uint64_t)row_id << 32 | tc->nrows;
	pst_spill_add(tc->index, &rec);
	if (tc->nrows && tc->nrows % rows_per_block(tc) == 0)
		flush_rows(tc);
	sbuf_add(&tc->rows, tc->row, tc->rgib[3]);
	tc->nrows++;
}

/* rows_hnid: the row matrix in the heap, or in a subnode with whole rows per block */
static uint32_t rows_hnid(struct pst_tc *tc)
{
	if (!tc->streaming && tc->rows.len == 0)
		return 0;
	if (!tc->streaming && tc->rows.len <= PST_HEAP_ALLOC_MAX)
		return pst_heap_alloc(&tc->sub.heap, tc->rows.buf, tc->rows.len);
	if (!tc->streaming)
		pst_stream_begin(&tc->matrix, tc->sub.ndb);
	pst_stream_write(&tc->matrix, tc->rows.buf, tc->rows.len);
	uint64_t bid = pst_stream_end(&tc->matrix);
	uint32_t nid = tc->sub.next_sub_index++ << 5 | 0x1F;
	pst_pc_add_subnode(&tc->sub, nid, bid, 0);
	pst_pc_count_sub_bytes(&tc->sub, tc->matrix.total);
	return nid;
}

/* The row index, drained from its sort into the BTH: (row ID, row number). */
struct index_feed {
	struct pst_bth_builder b;
	uint32_t last_id;
};

static int feed_index(void *ctx, const void *rec)
{
	struct index_feed *f = ctx;
	uint64_t v;
	memcpy(&v, rec, sizeof(v));
	uint32_t id = (uint32_t)(v >> 32);
	if (f->b.count && id == f->last_id)
		return -1;	/* a duplicate: the sort brings the two together */
	uint8_t r[8];
	put32(r, id);
	put32(r + 4, (uint32_t)v);
	pst_bth_add(&f->b, r);
	f->last_id = id;
	return 0;
}

/* write_index: the row index BTH, its header in the reserved first allocation (0x20) */
static int write_index(struct pst_tc *tc, uint32_t *hid_r)
{
	struct index_feed f = { .last_id = 0 };
	pst_bth_begin(&f.b, &tc->sub.heap, tc->sub.bth_hid, 4, 4);
	int ret = pst_spill_drain(tc->index, feed_index, &f);
	*hid_r = pst_bth_end(&f.b);
	if (ret == 0)
		return 0;
	struct sbuf why = SBUF_INIT;
	int err = pst_spill_error(tc->index, &why);
	if (!err) {
		err = EINVAL;
		sbuf_addf(&why, "table row 0x%x added twice", f.last_id);
	}
	pst_ndb_fail(tc->sub.ndb, err, why.buf);
	sbuf_release(&why);
	return -1;
}

int pst_tc_write(struct pst_tc *tc, uint64_t *bid_data, uint64_t *bid_sub)
{
	uint32_t hid_index;
	int ret = write_index(tc, &hid_index);
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
	return ret;
}
