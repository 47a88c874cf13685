/*
 * PST lists-tables-properties (LTP) layer, writing side: the heap-on-node
 * (HN), the B-tree-on-heap (BTH) and the property context (PC).  A PC is
 * one MAPI object's property bag: a BTH of {property id, type, value or
 * heap id} records in a heap; values over 3,580 bytes live in subnodes.
 * Layout facts: ../shared/docs/pst-notes.md, section 3; [MS-PST] 2.3.
 */
#ifndef MDX_PST_LTP_H
#define MDX_PST_LTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "pst/ndbw.h"
#include "pst/spill.h"

#define PST_HEAP_ALLOC_MAX 3580		/* the largest single heap allocation */
/*
 * PR_MESSAGE_SIZE and PR_ATTACH_SIZE are PtypInteger32, signed: the
 * largest size they can state.  Larger objects are kept from being
 * written (message.c); pst_size_value is the backstop.
 */
#define PST_SIZE_MAX 0x7FFFFFFFull

/* pst_size_value: a size as a PtypInteger32 property: saturated at PST_SIZE_MAX, never wrapped */
static inline uint32_t pst_size_value(uint64_t size)
{
	return size > PST_SIZE_MAX ? (uint32_t)PST_SIZE_MAX : (uint32_t)size;
}
#define PST_HEAP_PAGES_MAX 65536	/* a HID has 16 bits for the page */

enum pst_client_sig {
	PST_SIG_TC = 0x7C,
	PST_SIG_BTH = 0xB5,
	PST_SIG_PC = 0xBC,
};

struct pst_heap_block;

/*
 * A heap keeps its pages in memory until pst_heap_write, or, once
 * pst_heap_stream is called, only page 0 (which names the root, known
 * last) and the page being filled: each page is written as soon as the
 * next one starts (pst_pages: page 0 goes last, the XBLOCKs keep order).
 */
struct pst_heap {
	uint8_t client_sig;
	uint32_t user_root;		/* HID of the client's root structure */
	struct pst_heap_block *blocks;	/* see block_at in ltp.c */
	size_t nblocks;			/* pages so far */
	struct pst_ndb *stream;		/* set by pst_heap_stream */
	struct pst_pages pages;
	uint64_t written;		/* bytes of the pages already written */
	bool full;			/* an allocation found no page: 65,536 are full */
};

void pst_heap_init(struct pst_heap *h, uint8_t client_sig);
/*
 * pst_heap_stream: write full pages to n as they fill (right after init).
 * Their allocations can then no longer be changed (pst_heap_at: NULL).
 */
void pst_heap_stream(struct pst_heap *h, struct pst_ndb *n);
void pst_heap_release(struct pst_heap *h);
/* pst_heap_alloc: copy len (1..3580) bytes into the heap; returns their HID (0: none) */
uint32_t pst_heap_alloc(struct pst_heap *h, const void *data, size_t len);
/*
 * pst_heap_write: the heap as the node's data (one block, or XBLOCKs of
 * pages); a heap that ran out of pages makes the file fail.
 */
uint64_t pst_heap_write(struct pst_heap *h, struct pst_ndb *n);

/*
 * pst_bth_build: a B-tree on the heap over n sorted records of
 * cb_key + cb_ent bytes each; returns the HID of its BTHHEADER.
 */
uint32_t pst_bth_build(struct pst_heap *h, uint8_t cb_key, uint8_t cb_ent,
		       const uint8_t *records, size_t n);
/* pst_bth_build_at: the same, its BTHHEADER in the reserved allocation hdr_hid */
uint32_t pst_bth_build_at(struct pst_heap *h, uint32_t hdr_hid, uint8_t cb_key, uint8_t cb_ent,
			  const uint8_t *records, size_t n);
/*
 * A B-tree on the heap built bottom-up from records given one at a time in
 * key order; memory holds one allocation (3,580 bytes) per level.
 */
#define PST_BTH_LEVELS 8
#define PST_BTH_KEY_MAX 16

struct pst_bth_builder {
	struct pst_heap *h;
	uint32_t hdr_hid;
	uint8_t cb_key, cb_ent;
	uint8_t *level[PST_BTH_LEVELS];	/* records waiting for an allocation */
	size_t n[PST_BTH_LEVELS];
	unsigned height;		/* levels that have had a record */
	uint64_t count;
	uint32_t *leaf_hids;		/* NULL, or where each leaf's HID goes */
	size_t nleaves;
	bool failed;
};

/* pst_bth_begin: hdr_hid: 0, or an 8-byte allocation reserved for the BTHHEADER */
void pst_bth_begin(struct pst_bth_builder *b, struct pst_heap *h, uint32_t hdr_hid,
		   uint8_t cb_key, uint8_t cb_ent);
/* pst_bth_add: one record of cb_key + cb_ent bytes, keys ascending */
void pst_bth_add(struct pst_bth_builder *b, const uint8_t *rec);
/* pst_bth_end: the remaining allocations and the BTHHEADER; returns its HID */
uint32_t pst_bth_end(struct pst_bth_builder *b);

/* pst_heap_at: the bytes of an allocation, writable until pst_heap_write; NULL if none */
uint8_t *pst_heap_at(struct pst_heap *h, uint32_t hid);
/* pst_heap_size: bytes the heap's pages will take, page maps included */
uint64_t pst_heap_size(const struct pst_heap *h);

/* MAPI property types used by the writer */
enum pst_ptype_prop {
	PT_SHORT = 0x0002, PT_LONG = 0x0003, PT_BOOLEAN = 0x000B, PT_LONGLONG = 0x0014,
	PT_UNICODE = 0x001F, PT_SYSTIME = 0x0040, PT_BINARY = 0x0102,
	PT_MV_LONG = 0x1003, PT_MV_UNICODE = 0x101F, PT_MV_BINARY = 0x1102,
};

struct pst_subnode {
	uint32_t nid;
	uint64_t bid_data;
	uint64_t bid_sub;
};

/*
 * A property context under construction.  Properties may be added in any
 * order, each id once; pst_pc_write sorts them.  Subnodes (values too big
 * for the heap, and later recipient/attachment tables) are collected here
 * and written as the node's SLBLOCK.
 */
struct pst_pc {
	struct pst_ndb *ndb;
	struct pst_heap heap;
	struct sbuf records;		/* 8 bytes each: id, type, value/HNID */
	struct pst_subnode *subnodes;
	size_t nsub;
	uint32_t next_sub_index;
	uint64_t sub_bytes;		/* data bytes of the subnodes, for PR_MESSAGE_SIZE */
	uint32_t bth_hid;		/* HID 0x20, reserved for the BTHHEADER */
	uint16_t size_prop;		/* 0, or the property to set to the object's size */
	bool size_by_values;		/* it states value_bytes, not the object's size */
	uint64_t value_bytes;		/* the property values' lengths, added up */
	uint64_t written_size;		/* the object's size, after pst_pc_write */
	uint64_t stated_size;		/* what size_prop says, after pst_pc_write */
	bool size_saturated;		/* it was past PST_SIZE_MAX: the property says PST_SIZE_MAX */
	int error;
};

void pst_pc_init(struct pst_pc *pc, struct pst_ndb *n);
void pst_pc_release(struct pst_pc *pc);
void pst_pc_add_u32(struct pst_pc *pc, uint16_t id, uint16_t type, uint32_t v);
void pst_pc_add_bool(struct pst_pc *pc, uint16_t id, int v);
void pst_pc_add_u64(struct pst_pc *pc, uint16_t id, uint16_t type, uint64_t v);
void pst_pc_add_binary(struct pst_pc *pc, uint16_t id, uint16_t type, const void *data, size_t len);
/*
 * A binary value written as it comes (an attachment's bytes): kept for
 * the heap while it fits in 3,580 bytes, else streamed into a subnode.
 */
struct pst_pc_value {
	struct pst_pc *pc;
	uint16_t id, type;
	uint8_t *small;
	size_t fill;
	bool big;
	struct pst_stream st;
};
void pst_pc_value_begin(struct pst_pc_value *v, struct pst_pc *pc, uint16_t id, uint16_t type);
void pst_pc_value_write(struct pst_pc_value *v, const void *data, size_t len);
/* pst_pc_value_end: adds the property; returns the value's length */
uint64_t pst_pc_value_end(struct pst_pc_value *v);

/* pst_pc_add_string: UTF-8 in, stored as UTF-16LE (invalid bytes become U+FFFD) */
void pst_pc_add_string(struct pst_pc *pc, uint16_t id, const char *utf8);
/*
 * pst_pc_add_subnode: attach a subnode (e.g. a table) under a fixed NID;
 * bytes: the data it holds (its streams, recursively), for the size rule.
 */
void pst_pc_add_subnode(struct pst_pc *pc, uint32_t nid, uint64_t bid_data, uint64_t bid_sub);
void pst_pc_count_sub_bytes(struct pst_pc *pc, uint64_t bytes);
/*
 * pst_pc_set_size_prop: when writing, set the PT_LONG property `id`
 * (already added) to the object's size as Outlook measures it: the PC's
 * own stream plus every subnode's data ([MS-PST]; pst-notes 4.4); a size
 * past PST_SIZE_MAX is written as PST_SIZE_MAX and size_saturated set.
 */
void pst_pc_set_size_prop(struct pst_pc *pc, uint16_t id);
/*
 * pst_pc_set_value_size_prop: the same, but stating the sum of the
 * property values' lengths (integers 4 bytes, booleans 1, times 8,
 * strings and binaries their bytes; the size property's own 4 included):
 * Outlook's PR_ATTACH_SIZE, as its own attachments show (tools/pstcheck).
 */
void pst_pc_set_value_size_prop(struct pst_pc *pc, uint16_t id);
/*
 * pst_pc_write: write the heap and the subnode tree; sets *bid_data and
 * *bid_sub (0 when there are no subnodes).  Returns 0, or -1 on a bad
 * property set (a duplicate id).
 */
int pst_pc_write(struct pst_pc *pc, uint64_t *bid_data, uint64_t *bid_sub);

/* pst_sort_unique: sort n records of width bytes; -1 when two compare equal */
int pst_sort_unique(void *records, size_t n, size_t width,
		    int (*cmp)(const void *, const void *));

/* pst_pc_write_subnodes: the SLBLOCK over the collected subnodes, or 0 */
uint64_t pst_pc_write_subnodes(struct pst_pc *pc);

/* pst_utf16le: append UTF-8 text as UTF-16LE (no terminator) */
void pst_utf16le(struct sbuf *out, const char *utf8);



/*
 * A table context under construction: rows of fixed-size cells (strings
 * and binaries as HNIDs into the table's heap), a row index BTH (row ID ->
 * row number), the row matrix in the heap or, when bigger than one heap
 * allocation, in a subnode with whole rows per block.
 *
 * Memory does not grow with the rows (a folder's contents table may have
 * hundreds of thousands): the heap is streamed (pst_heap_stream), the row
 * matrix goes to its subnode's stream a block of rows at a time, and the
 * row index (8 bytes a row) is an external sort (spill.h) drained into the
 * BTH at pst_tc_write.  What stays is a page of heap, a block of rows,
 * the sort's buffer, and the subnodes of values over 3,580 bytes.
 */
struct pst_tc_col {
	uint32_t tag;		/* property id << 16 | type */
	uint16_t ib;		/* offset in the row */
	uint8_t cb;		/* cell size */
	uint8_t ibit;		/* its bit in the cell-existence block */
};

struct pst_tc {
	struct pst_pc sub;	/* borrowed for its heap, subnodes and ndb */
	struct pst_tc_col *cols;	/* sorted by tag */
	size_t ncols;
	uint16_t rgib[4];	/* end of 8/4-byte cells, 2-byte, 1-byte; row size */
	struct sbuf rows;	/* rows not yet written: at most a block's */
	struct pst_stream matrix;	/* the row matrix's subnode, once past a block */
	bool streaming;
	struct pst_spill *index;	/* row ID << 32 | row number, one uint64_t a row */
	uint8_t *row;		/* the row being built */
	uint32_t nrows;
};

/* pst_tc_init: columns by tag (RowId and RowVer are added if missing) */
void pst_tc_init(struct pst_tc *tc, struct pst_ndb *n, const uint32_t *tags, size_t ntags);
void pst_tc_release(struct pst_tc *tc);
/* rows: begin (row ID = the child's NID), set cells, end; rows in any ID order */
void pst_tc_row_begin(struct pst_tc *tc, uint32_t row_id);
void pst_tc_set_u32(struct pst_tc *tc, uint32_t tag, uint32_t v);	/* 1, 2 and 4-byte cells */
void pst_tc_set_u64(struct pst_tc *tc, uint32_t tag, uint64_t v);
void pst_tc_set_binary(struct pst_tc *tc, uint32_t tag, const void *data, size_t len);
void pst_tc_set_string(struct pst_tc *tc, uint32_t tag, const char *utf8);
void pst_tc_row_end(struct pst_tc *tc);
/*
 * pst_tc_write: like pst_pc_write; returns 0, or -1: a duplicate row ID (a
 * caller bug, which also makes the file fail), or the row index could not
 * be read back from its temporary file (the file fails, saying why).
 */
int pst_tc_write(struct pst_tc *tc, uint64_t *bid_data, uint64_t *bid_sub);

#endif
