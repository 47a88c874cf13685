/* pstcheck.h -- what the parts of tools/pstcheck share.
 *
 * pstcheck.c      the NDB layer (header, maps, B-trees, blocks, AMap), the
 *                 output and main();
 * pstcheck_ltp.c  the LTP reader: node data streams, subnode trees, the
 *                 heap-on-node, BTHs, property and table contexts, checked
 *                 strictly as they are read;
 * pstcheck_msg.c  the messaging layer on top of it: folders against their
 *                 tables, rows against the objects, PR_MESSAGE_SIZE, the
 *                 store's EntryIDs, and --dump.
 *
 * Every reader here bounds what it reads by the file and by the structure
 * that contains it, so a corrupt file gives errors, never a crash or a loop.
 *
 * All that a check changes lives in one struct pstcheck (below), which main()
 * owns and passes, as ck, to every function that needs it; nothing at file
 * scope is mutable (the tables are static const). */

#ifndef PSTCHECK_H
#define PSTCHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_BLOCK 8192
#define MAX_REPORT 50                 /* per kind of repeated problem */
#define HDR_SIZE 564

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

typedef struct {
	uint64_t bid, ib;
	uint16_t cb, cref;
	uint32_t refs;
	int state;                    /* 0 unchecked, 1 readable, -1 bad */
} bbt_ent;

typedef struct {
	uint64_t nid, bid_data, bid_sub;
	uint32_t parent;
} nbt_ent;

typedef struct {
	const char *fmt;              /* the kind of a report: its format string */
	int level;
	unsigned long n;
} report_kind;

typedef struct {
	uint32_t parent;
	size_t i;                     /* index in nbt[] */
} nbt_link;

/* Everything one check of one file changes: the options, the report state,
 * the file and what was read from it.  main() owns the only one and hands
 * it to every function that reads or changes any of it. */
struct pstcheck {
	/* options and the report (pstcheck.c) */
	int opt_json, opt_quiet, opt_nodes;
	unsigned long n_err, n_find;
	int json_first;               /* no JSON item printed yet */

	/* the file and its header */
	int fd;
	uint64_t fsize;
	uint8_t hdr[HDR_SIZE];
	int crypt_method;
	uint64_t h_eof, h_amap_last, h_amap_free, h_pmap_free;
	uint64_t h_nbt_bid, h_nbt_ib, h_bbt_bid, h_bbt_ib, h_bid_next_p, h_bid_next_b;
	uint8_t h_amap_valid;
	uint64_t n_intervals;         /* AMap intervals inside the file */
	uint64_t max_page_bid;

	/* computed allocation map, one bit per 64 bytes from AMAP_FIRST to file end */
	uint8_t *used;
	uint64_t used_bits;
	unsigned long n_overlap;

	/* the B-trees, sorted by BID and NID after the walk */
	bbt_ent *bbt;
	size_t n_bbt, cap_bbt;
	nbt_ent *nbt;
	size_t n_nbt, cap_nbt;
	unsigned long n_bt_pages;

	uint8_t *amap_copy;           /* the file's AMap bitmaps, 496 bytes each */
	uint8_t *amap_ok;             /* per interval: its AMap page passed its checks */

	/* blocks */
	unsigned long n_block_err;
	uint8_t blockbuf[MAX_BLOCK];
	unsigned long n_nid_garbage;

	/* the LTP reader (pstcheck_ltp.c) */
	uint8_t perm_i[256];          /* the inverse of mpbbR (ltp_init) */
	report_kind kinds[512];
	size_t n_kinds;
	int ltp_mute;                 /* > 0: reports are dropped (a structure read a second time) */
	uint64_t *bad_bids;           /* blocks already reported: an open-addressed set */
	size_t n_bad, cap_bad;
	unsigned long sub_budget;     /* what is left of one subnode walk's work */

	/* the messaging layer (pstcheck_msg.c) */
	nbt_link *links;              /* the NBT by parent */
	uint8_t *visited;             /* messages already checked, by nbt[] index */
	uint8_t store_key[16];
	int have_store_key;
	unsigned long dumped;         /* objects printed: shared subnode trees are finite */
};

/* pstcheck.c */
bbt_ent *find_bbt(struct pstcheck *ck, uint64_t bid);
nbt_ent *find_nbt(struct pstcheck *ck, uint64_t nid);
int rd(struct pstcheck *ck, uint64_t off, void *buf, size_t n);
/* level 0 error, 1 finding, 2 info; counted (errors, findings) always,
 * printed only when print is set */
void report(struct pstcheck *ck, int level, int print, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* pstcheck_ltp.c: the reader ------------------------------------------------ */

/* A value read from a PC or a TC cell.  p is valid until the object is
 * closed (or until val_free, for values read from a subnode). */
typedef struct {
	const uint8_t *p;
	size_t len;
	uint8_t *owned;               /* malloc'd copy of a subnode's stream */
	uint8_t inl[8];               /* an inline value's bytes */
} val;

void val_free(val *v);

/* A node's data stream: its leaf blocks, in order, decoded. */
typedef struct {
	uint8_t **leaf;
	uint32_t *cb;
	unsigned n;
	uint64_t total;
} stream;

typedef struct {
	uint32_t nid;
	uint64_t data, sub;
} snode;

typedef struct {
	snode *e;
	size_t n;
} sntree;

typedef struct {
	char w[80];                   /* the node, as it is named in reports */
	stream s;                     /* the heap pages */
	uint16_t *map;                /* per page: ibHnpm */
	uint16_t *nalloc;             /* per page: cAlloc */
	uint8_t sig;                  /* bClientSig */
	uint32_t root;                /* hidUserRoot */
	sntree sub;                   /* the node's subnodes (HNIDs name them) */
	uint32_t *first;              /* per page: its first allocation's number */
	uint8_t *seen;                /* allocations visited by a BTH walk */
	uint32_t nseen;
} heap;

typedef struct {
	uint16_t id, type;
	uint32_t v;                   /* dwValueHnid */
} prop;

typedef struct {
	heap h;
	prop *p;
	size_t n;
} pc;

typedef struct {
	uint32_t tag;
	uint16_t ib;
	uint8_t cb, bit;
} tcol;

typedef struct {
	heap h;
	tcol *c;
	unsigned nc;
	uint16_t rgib[4];             /* ends of the 8/4-, 2-, 1-byte cells; row size */
	uint32_t *key, *idx;          /* the row index: row ID -> row number */
	size_t nidx;
	const uint8_t *hrows;         /* the row matrix in the heap, or */
	stream rs;                    /* in a subnode, whole rows per block */
	size_t per_block, nrows;
} tc;

enum { PT_SHORT = 0x02, PT_LONG = 0x03, PT_FLOAT = 0x04, PT_DOUBLE = 0x05, PT_CURRENCY = 0x06,
       PT_APPTIME = 0x07, PT_ERROR = 0x0A, PT_BOOLEAN = 0x0B, PT_OBJECT = 0x0D, PT_LONGLONG = 0x14,
       PT_STRING8 = 0x1E, PT_UNICODE = 0x1F, PT_SYSTIME = 0x40, PT_CLSID = 0x48,
       PT_SVREID = 0xFB, PT_SRESTRICT = 0xFD, PT_ACTIONS = 0xFE, PT_BINARY = 0x102, PT_MV = 0x1000 };

void ltp_init(struct pstcheck *ck);
/* xcalloc, xrealloc: exit 2 when memory runs out */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);
/* lreport: like report(), printing at most MAX_REPORT of each kind (the
 * format string is the kind); ltp_summary prints how many more there were */
void lerr(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lfind(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void linfo(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ltp_summary(struct pstcheck *ck);

int stream_size(struct pstcheck *ck, uint64_t bid, uint64_t *size, const char *w);
int stream_read(struct pstcheck *ck, uint64_t bid, stream *s, const char *w);
/* stream_load: with is_heap set, stops after a first block that is no heap page */
int stream_load(struct pstcheck *ck, uint64_t bid, stream *s, const char *w, int is_heap);
/* sub_walk_step: accounts n subnodes visited at depth (0 starts a walk);
 * 0 when the walk must stop (reported) */
int sub_walk_step(struct pstcheck *ck, int depth, size_t n, const char *w);
void stream_free(stream *s);
int subtree_read(struct pstcheck *ck, uint64_t bid, sntree *t, const char *w);
const snode *sn_find(const sntree *t, uint32_t nid);
void sntree_free(sntree *t);
/* object_size: the data stream plus, recursively, every subnode's stream */
int object_size(struct pstcheck *ck, uint64_t bid_data, uint64_t bid_sub, uint64_t *size, const char *w, int depth);

int pc_open(struct pstcheck *ck, pc *c, const char *w, uint64_t bid_data, uint64_t bid_sub);
void pc_close(pc *c);
const prop *pc_get(const pc *c, uint16_t id);
int pc_val(struct pstcheck *ck, pc *c, const prop *p, val *v);
int pc_u32(pc *c, uint16_t id, uint32_t *out);
void pc_validate(struct pstcheck *ck, pc *c);

int tc_open(struct pstcheck *ck, tc *t, const char *w, uint64_t bid_data, uint64_t bid_sub);
void tc_close(tc *t);
const uint8_t *tc_row(const tc *t, size_t i);
/* tc_cell: 1 present (v set), 0 absent, -1 unreadable (reported) */
int tc_cell(struct pstcheck *ck, tc *t, const uint8_t *row, const tcol *c, val *v);
const tcol *tc_col(const tc *t, uint32_t tag);
void tc_validate(struct pstcheck *ck, tc *t);

int type_fixed_size(uint16_t type);
int type_known(uint16_t type);
/* node_kind: the heap client signature a node of this NID must carry, or 0 */
int node_kind(uint32_t nid);
void check_ltp_nodes(struct pstcheck *ck);
/* check_subnode_objects: the PCs and TCs among a node's subnodes (with
 * skip_msg, not the attachment table and attachments: a message's own) */
void check_subnode_objects(struct pstcheck *ck, const char *w, uint64_t bid_sub, int depth, int skip_msg);
int msg_layer_node(struct pstcheck *ck, uint32_t nid);

/* pstcheck_msg.c --------------------------------------------------------------- */

void check_messaging(struct pstcheck *ck);
int dump_node(struct pstcheck *ck, const char *spec);

#endif
