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
 * that contains it, so a corrupt file gives errors, never a crash or a loop. */

#ifndef PSTCHECK_H
#define PSTCHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_BLOCK 8192
#define MAX_REPORT 50                 /* per kind of repeated problem */

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

/* pstcheck.c */
extern nbt_ent *nbt;
extern size_t n_nbt;
extern int crypt_method;
bbt_ent *find_bbt(uint64_t bid);
nbt_ent *find_nbt(uint64_t nid);
int rd(uint64_t off, void *buf, size_t n);
/* level 0 error, 1 finding, 2 info; counted (errors, findings) always,
 * printed only when print is set */
void report(int level, int print, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

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

void ltp_init(void);
/* xcalloc, xrealloc: exit 2 when memory runs out */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);
/* lreport: like report(), printing at most MAX_REPORT of each kind (the
 * format string is the kind); ltp_summary prints how many more there were */
void lerr(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lfind(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void linfo(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ltp_summary(void);

int stream_size(uint64_t bid, uint64_t *size, const char *w);
int stream_read(uint64_t bid, stream *s, const char *w);
/* stream_load: with is_heap set, stops after a first block that is no heap page */
int stream_load(uint64_t bid, stream *s, const char *w, int is_heap);
/* sub_walk_step: accounts n subnodes visited at depth (0 starts a walk);
 * 0 when the walk must stop (reported) */
int sub_walk_step(int depth, size_t n, const char *w);
void stream_free(stream *s);
int subtree_read(uint64_t bid, sntree *t, const char *w);
const snode *sn_find(const sntree *t, uint32_t nid);
void sntree_free(sntree *t);
/* object_size: the data stream plus, recursively, every subnode's stream */
int object_size(uint64_t bid_data, uint64_t bid_sub, uint64_t *size, const char *w, int depth);

int pc_open(pc *c, const char *w, uint64_t bid_data, uint64_t bid_sub);
void pc_close(pc *c);
const prop *pc_get(const pc *c, uint16_t id);
int pc_val(pc *c, const prop *p, val *v);
int pc_u32(pc *c, uint16_t id, uint32_t *out);
void pc_validate(pc *c);

int tc_open(tc *t, const char *w, uint64_t bid_data, uint64_t bid_sub);
void tc_close(tc *t);
const uint8_t *tc_row(const tc *t, size_t i);
/* tc_cell: 1 present (v set), 0 absent, -1 unreadable (reported) */
int tc_cell(tc *t, const uint8_t *row, const tcol *c, val *v);
const tcol *tc_col(const tc *t, uint32_t tag);
void tc_validate(tc *t);

int type_fixed_size(uint16_t type);
int type_known(uint16_t type);
/* node_kind: the heap client signature a node of this NID must carry, or 0 */
int node_kind(uint32_t nid);
void check_ltp_nodes(void);
/* check_subnode_objects: the PCs and TCs among a node's subnodes (with
 * skip_msg, not the attachment table and attachments: a message's own) */
void check_subnode_objects(const char *w, uint64_t bid_sub, int depth, int skip_msg);
int msg_layer_node(uint32_t nid);
/* ltp_mute > 0: reports are dropped (a structure read a second time) */
extern int ltp_mute;

/* pstcheck_msg.c --------------------------------------------------------------- */

void check_messaging(void);
int dump_node(const char *spec);

#endif
