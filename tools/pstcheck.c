/* pstcheck -- a strict structural checker for Unicode PST files.
 *
 * Usage: pstcheck FILE.pst [--json] [--quiet] [--nodes] [--dump NID[/SUBNID]]
 *
 * It reads the file on its own (no libpff) and verifies, in order: the header
 * and ROOT, the fixed-position map pages (AMap, PMap, FMap, FPMap, DList), the
 * NBT and BBT B-trees, every block in the BBT (trailer, CRC, signature,
 * internal block trees, reference counts), the allocation map against what the
 * walk found, the NBT parent links; then, through its own LTP reader
 * (pstcheck_ltp.c), every node's data stream, subnode tree, heap-on-node,
 * BTHs, property contexts and table contexts; then the messaging layer
 * (pstcheck_msg.c): each folder's hierarchy, contents and FAI tables against
 * the NBT, its counts, every table row against the object it stands for,
 * PR_MESSAGE_SIZE and PR_ATTACH_SIZE against the objects' sizes, and the
 * store's EntryIDs.  Every problem is an "error"; something legal that
 * differs from what today's Outlook writes is a "finding" with its reason.
 *
 * --nodes prints the NBT (NID, type, parent) instead of the report.
 * --dump NID prints a node for developers (after a quiet check): a PC's
 * properties (tag, type, value: integers in hex, strings decoded from
 * UTF-16LE, binaries as hex, first 64 bytes) or a TC's columns and rows,
 * then its subnodes, each dumped the same way.  NID/SUBNID dumps one
 * subnode (e.g. 0x200024/0x671, a message's attachment table).  NIDs are
 * hexadecimal, with or without 0x.
 *
 * Exit: 0 no errors, 1 errors, 2 the file cannot be read at all.  With
 * --dump: 0 when the node was printed, 2 when there is no such node.
 * Layout facts: [MS-PST] 2.2 / 2.3 and ../shared/docs/pst-notes.md.  */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pstcheck.h"

#define PAGE 512
#define AMAP_FIRST 0x4400ULL
#define AMAP_SPAN 0x3E000ULL          /* bytes covered by one AMap */
#define DLIST_OFF 0x4200ULL

enum { PT_BBT = 0x80, PT_NBT = 0x81, PT_FMAP = 0x82, PT_PMAP = 0x83,
       PT_AMAP = 0x84, PT_FPMAP = 0x85, PT_DLIST = 0x86 };

/* ---- output ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void emit(struct pstcheck *ck, const char *level, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void emit(struct pstcheck *ck, const char *level, const char *where, const char *fmt, va_list ap)
{
	char what[1024];
	vsnprintf(what, sizeof what, fmt, ap);
	if (ck->opt_quiet)
		return;
	if (ck->opt_json) {
		printf("%s\n  {\"level\": ", ck->json_first ? "" : ",");
		ck->json_first = 0;
		json_str(level);
		printf(", \"where\": ");
		json_str(where);
		printf(", \"what\": ");
		json_str(what);
		printf("}");
	} else {
		printf("%s: %s: %s\n", level, where, what);
	}
}

static void err(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void err(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ck->n_err++;
	emit(ck, "error", where, fmt, ap);
	va_end(ap);
}

static void find(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void find(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ck->n_find++;
	emit(ck, "finding", where, fmt, ap);
	va_end(ap);
}

void report(struct pstcheck *ck, int level, int print, const char *where, const char *fmt, va_list ap)
{
	if (level == 0)
		ck->n_err++;
	else if (level == 1)
		ck->n_find++;
	if (print)
		emit(ck, level == 0 ? "error" : level == 1 ? "finding" : "info", where, fmt, ap);
}

static void info(struct pstcheck *ck, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void info(struct pstcheck *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(ck, "info", where, fmt, ap);
	va_end(ap);
}

/* ---- file access ---------------------------------------------------------- */

/* Reads n bytes at off; 0 when any of them lies outside the file. */
int rd(struct pstcheck *ck, uint64_t off, void *buf, size_t n)
{
	if (off > ck->fsize || n > ck->fsize - off)
		return 0;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(ck->fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* The PST CRC: reflected CRC-32, initial value 0, no final XOR. */
static uint32_t pst_crc(const uint8_t *p, size_t n)
{
	return ~(uint32_t)crc32(0xFFFFFFFFUL, p, (uInt)n);
}

/* [MS-PST] ComputeSig: uses the low 32 bits of ib ^ bid. */
static uint16_t pst_sig(uint64_t ib, uint64_t bid)
{
	uint32_t x = (uint32_t)(ib ^ bid);
	return (uint16_t)((x >> 16) ^ (x & 0xFFFF));
}

static uint64_t align64(uint64_t n) { return (n + 63) & ~63ULL; }

/* Marks [off, off+len) as used; reports overlaps with earlier allocations. */
static int mark_used(struct pstcheck *ck, uint64_t off, uint64_t len, const char *what)
{
	if (off < AMAP_FIRST || off + len > ck->fsize || len == 0)
		return 1;
	uint64_t b0 = (off - AMAP_FIRST) / 64, b1 = (off - AMAP_FIRST + len + 63) / 64;
	int clash = 0;
	for (uint64_t b = b0; b < b1 && b < ck->used_bits; b++) {
		if (ck->used[b >> 3] & (0x80 >> (b & 7)))
			clash = 1;
		ck->used[b >> 3] |= (uint8_t)(0x80 >> (b & 7));
	}
	if (clash) {
		if (++ck->n_overlap <= MAX_REPORT) {
			char w[64];
			snprintf(w, sizeof w, "0x%" PRIx64, off);
			err(ck, w, "%s of %" PRIu64 " bytes overlaps another allocation", what, len);
		}
		return 0;
	}
	return 1;
}

/* ---- 1. header -------------------------------------------------------------- */

static int check_header(struct pstcheck *ck)
{
	if (ck->fsize < HDR_SIZE) {
		err(ck, "header", "file is %" PRIu64 " bytes, too short for a PST header (564)", ck->fsize);
		return 0;
	}
	if (!rd(ck, 0, ck->hdr, HDR_SIZE)) {
		err(ck, "header", "cannot read the header");
		return 0;
	}
	if (memcmp(ck->hdr, "!BDN", 4) != 0) {
		err(ck, "header", "dwMagic is not !BDN: not a PST file");
		return 0;
	}
	if (memcmp(ck->hdr + 8, "SM", 2) != 0) {
		if (memcmp(ck->hdr + 8, "SO", 2) == 0)
			err(ck, "header", "wMagicClient is SO (an OST), not SM (a PST)");
		else
			err(ck, "header", "wMagicClient is 0x%04x, not SM", le16(ck->hdr + 8));
	}
	uint16_t ver = le16(ck->hdr + 10);
	if (ver == 14 || ver == 15) {
		err(ck, "header", "wVer %u: ANSI file, not Unicode (23); not checked further", ver);
		return 0;
	}
	if (ver == 36) {
		err(ck, "header", "wVer 36: 4K-page (OST-style) file, not a Unicode PST (23); not checked further");
		return 0;
	}
	if (ver != 23) {
		err(ck, "header", "wVer %u is not 23 (Unicode PST); not checked further", ver);
		return 0;
	}
	uint32_t c = pst_crc(ck->hdr + 8, 471);
	if (c != le32(ck->hdr + 4))
		err(ck, "header", "dwCRCPartial 0x%08x, computed 0x%08x", le32(ck->hdr + 4), c);
	c = pst_crc(ck->hdr + 8, 516);
	if (c != le32(ck->hdr + 524))
		err(ck, "header", "dwCRCFull 0x%08x, computed 0x%08x", le32(ck->hdr + 524), c);
	if (le16(ck->hdr + 12) != 19)
		find(ck, "header", "wVerClient %u; today's Outlook writes 19", le16(ck->hdr + 12));
	if (ck->hdr[14] != 1 || ck->hdr[15] != 1)
		find(ck, "header", "bPlatformCreate/Access %u/%u; Outlook writes 1/1", ck->hdr[14], ck->hdr[15]);
	if (ck->hdr[512] != 0x80)
		err(ck, "header", "bSentinel 0x%02x, must be 0x80", ck->hdr[512]);
	ck->crypt_method = ck->hdr[513];
	if (ck->crypt_method > 2)
		err(ck, "header", "bCryptMethod %d is none of 0 (none), 1 (permute), 2 (cyclic)", ck->crypt_method);
	else if (ck->crypt_method == 2)
		find(ck, "header", "bCryptMethod 2 (cyclic, \"high\" encryption); Outlook's default is 1 (permute)");
	else if (ck->crypt_method == 0)
		find(ck, "header", "bCryptMethod 0 (none); Outlook's default is 1 (permute)");
	int fm = 1;
	for (int i = 256; i < 384; i++)
		if (ck->hdr[i] != 0xFF)
			fm = 0;
	if (!fm)
		find(ck, "header", "rgbFM/rgbFP are not all 0xFF; Outlook writes 0xFF (deprecated fields)");
	ck->h_bid_next_p = le64(ck->hdr + 32);
	ck->h_bid_next_b = le64(ck->hdr + 516);
	/* ROOT at 180 */
	ck->h_eof = le64(ck->hdr + 184);
	ck->h_amap_last = le64(ck->hdr + 192);
	ck->h_amap_free = le64(ck->hdr + 200);
	ck->h_pmap_free = le64(ck->hdr + 208);
	ck->h_nbt_bid = le64(ck->hdr + 216);
	ck->h_nbt_ib = le64(ck->hdr + 224);
	ck->h_bbt_bid = le64(ck->hdr + 232);
	ck->h_bbt_ib = le64(ck->hdr + 240);
	ck->h_amap_valid = ck->hdr[248];
	if (le32(ck->hdr + 180) != 0)
		find(ck, "ROOT", "dwReserved (orphan count) is %u; Outlook writes 0", le32(ck->hdr + 180));
	if (ck->h_eof != ck->fsize)
		err(ck, "ROOT", "ibFileEof 0x%" PRIx64 " but the file is 0x%" PRIx64 " bytes", ck->h_eof, ck->fsize);
	if (ck->h_eof < AMAP_FIRST + PAGE || (ck->h_eof - AMAP_FIRST) % AMAP_SPAN != 0)
		err(ck, "ROOT", "ibFileEof 0x%" PRIx64 " is not 0x4400 + n * 0x3E000 (files grow in whole AMap "
		    "intervals)", ck->h_eof);
	if (ck->h_amap_valid == 1)
		find(ck, "ROOT", "fAMapValid 1 (VALID_AMAP1, pre-2007 AMap); Outlook writes 2");
	else if (ck->h_amap_valid != 2)
		err(ck, "ROOT", "fAMapValid %u: the AMap is marked invalid (Outlook must rebuild it)",
		    ck->h_amap_valid);
	if (ck->h_pmap_free != 0)
		find(ck, "ROOT", "cbPMapFree %" PRIu64 "; Outlook writes 0 (the PMap is deprecated)", ck->h_pmap_free);
	return 1;
}

/* ---- 2. map pages ------------------------------------------------------------- */

/* Reads and checks a page trailer; map pages have bid == ib and wSig 0. */
static int check_page(struct pstcheck *ck, uint64_t ib, int ptype, int is_map, uint64_t want_bid, uint8_t *pg,
		      const char *name)
{
	char w[80];
	snprintf(w, sizeof w, "%s page 0x%" PRIx64, name, ib);
	if (!rd(ck, ib, pg, PAGE)) {
		err(ck, w, "page lies beyond the end of the file");
		return 0;
	}
	int ok = 1;
	if (pg[496] != ptype || pg[497] != ptype) {
		err(ck, w, "trailer ptype 0x%02x/0x%02x, expected 0x%02x", pg[496], pg[497], ptype);
		ok = 0;
	}
	uint32_t c = pst_crc(pg, 496);
	if (c != le32(pg + 500)) {
		err(ck, w, "trailer dwCRC 0x%08x, computed 0x%08x", le32(pg + 500), c);
		ok = 0;
	}
	uint64_t bid = le64(pg + 504);
	uint16_t sig = le16(pg + 498);
	if (is_map) {
		if (bid != ib) {
			err(ck, w, "trailer bid 0x%" PRIx64 ", a map page's bid must be its offset", bid);
			ok = 0;
		}
		if (sig != 0) {
			err(ck, w, "trailer wSig 0x%04x, must be 0 on a map page", sig);
			ok = 0;
		}
	} else {
		if (bid != want_bid) {
			err(ck, w, "trailer bid 0x%" PRIx64 ", the reference says 0x%" PRIx64, bid, want_bid);
			ok = 0;
		}
		if (sig != pst_sig(ib, bid)) {
			err(ck, w, "trailer wSig 0x%04x, computed 0x%04x", sig, pst_sig(ib, bid));
			ok = 0;
		}
	}
	return ok;
}

static void check_maps(struct pstcheck *ck)
{
	uint8_t pg[PAGE];
	uint64_t end = ck->fsize < ck->h_eof ? ck->fsize : ck->h_eof;
	if (end < AMAP_FIRST + PAGE) {
		err(ck, "AMap", "the file ends before the first AMap page at 0x4400");
		ck->n_intervals = 0;
		return;
	}
	ck->n_intervals = (end - AMAP_FIRST + AMAP_SPAN - 1) / AMAP_SPAN;
	ck->used_bits = (ck->fsize - AMAP_FIRST) / 64 + 1;
	ck->used = calloc(ck->used_bits / 8 + 1, 1);
	ck->amap_copy = calloc(ck->n_intervals, 496);
	ck->amap_ok = calloc(ck->n_intervals, 1);
	if (!ck->used || !ck->amap_copy || !ck->amap_ok) {
		fprintf(stderr, "pstcheck: out of memory\n");
		exit(2);
	}
	uint64_t last = AMAP_FIRST + (ck->n_intervals - 1) * AMAP_SPAN;
	if (ck->h_amap_last != last)
		err(ck, "ROOT", "ibAMapLast 0x%" PRIx64 ", the last AMap page is at 0x%" PRIx64, ck->h_amap_last, last);
	/* DList */
	if (rd(ck, DLIST_OFF, pg, PAGE)) {
		int zero = 1;
		for (int i = 0; i < PAGE; i++)
			if (pg[i])
				zero = 0;
		if (zero) {
			find(ck, "DList page 0x4200", "no density list; Outlook 2007 SP2 and later write one");
		} else {
			uint8_t dp[PAGE];
			uint64_t bid = le64(pg + 504);
			if (bid > ck->h_bid_next_p)
				err(ck, "DList page 0x4200",
				    "bid 0x%" PRIx64 " is above bidNextP 0x%" PRIx64, bid, ck->h_bid_next_p);
			if (bid == DLIST_OFF)
				find(ck, "DList page 0x4200", "trailer bid is the page offset (map-page style); "
				     "Outlook gives the DList a page BID (bidNextP) and its signature");
			if (check_page(ck, DLIST_OFF, PT_DLIST, 0, bid, dp, "DList")) {
				unsigned cent = dp[1];
				if (cent > 119)
					err(ck, "DList page 0x4200", "cEntDList %u exceeds 119", cent);
				for (unsigned i = 0; i < cent && i < 119; i++) {
					uint32_t e = le32(dp + 8 + 4 * i);
					if ((e & 0xFFFFF) >= ck->n_intervals)
						err(ck, "DList page 0x4200", "entry %u names AMap page %u, the file has %" PRIu64,
						    i, e & 0xFFFFF, ck->n_intervals);
				}
			}
		}
	}
	unsigned long bad = 0;
	for (uint64_t k = 0; k < ck->n_intervals; k++) {
		uint64_t base = AMAP_FIRST + k * AMAP_SPAN;
		unsigned long e0 = ck->n_err;
		if (check_page(ck, base, PT_AMAP, 1, 0, pg, "AMap")) {
			memcpy(ck->amap_copy + k * 496, pg, 496);
			ck->amap_ok[k] = 1;
		}
		mark_used(ck, base, PAGE, "AMap page");
		if (k % 8 == 0) {
			check_page(ck, base + PAGE, PT_PMAP, 1, 0, pg, "PMap");
			mark_used(ck, base + PAGE, PAGE, "PMap page");
		}
		if (k >= 128 && (k - 128) % 496 == 0) {
			check_page(ck, base + 2 * PAGE, PT_FMAP, 1, 0, pg, "FMap");
			mark_used(ck, base + 2 * PAGE, PAGE, "FMap page");
		}
		if (k >= 8192 && (k - 8192) % 31744 == 0) {
			check_page(ck, base + 2 * PAGE, PT_FPMAP, 1, 0, pg, "FPMap");
			mark_used(ck, base + 2 * PAGE, PAGE, "FPMap page");
		}
		if (ck->n_err != e0 && ++bad > MAX_REPORT) {
			err(ck, "AMap", "too many bad map pages; stopped checking map pages");
			break;
		}
	}
}

/* ---- 3. B-trees ------------------------------------------------------------------ */

static void push_bbt(struct pstcheck *ck, uint64_t bid, uint64_t ib, uint16_t cb, uint16_t cref)
{
	if (ck->n_bbt == ck->cap_bbt) {
		ck->cap_bbt = ck->cap_bbt ? ck->cap_bbt * 2 : 1024;
		ck->bbt = realloc(ck->bbt, ck->cap_bbt * sizeof *ck->bbt);
		if (!ck->bbt) {
			fprintf(stderr, "pstcheck: out of memory\n");
			exit(2);
		}
	}
	ck->bbt[ck->n_bbt++] = (bbt_ent){ bid, ib, cb, cref, 0, 0 };
}

static void push_nbt(struct pstcheck *ck, uint64_t nid, uint64_t bd, uint64_t bs, uint32_t parent)
{
	if (ck->n_nbt == ck->cap_nbt) {
		ck->cap_nbt = ck->cap_nbt ? ck->cap_nbt * 2 : 1024;
		ck->nbt = realloc(ck->nbt, ck->cap_nbt * sizeof *ck->nbt);
		if (!ck->nbt) {
			fprintf(stderr, "pstcheck: out of memory\n");
			exit(2);
		}
	}
	ck->nbt[ck->n_nbt++] = (nbt_ent){ nid, bd, bs, parent };
}

typedef struct {
	const char *name;
	int ptype;
	int have_last;
	uint64_t last_key;
	unsigned long bad_order;
} tree;

/* Walks one BT page.  want_level < 0 for the root (any level accepted).
 * first_key receives the page's first key.  Returns 0 when the page is unusable. */
static int walk_bt(struct pstcheck *ck, tree *t, uint64_t bid, uint64_t ib, int want_level,
		   uint64_t *first_key, int depth)
{
	uint8_t pg[PAGE];
	char w[80];
	snprintf(w, sizeof w, "%s page 0x%" PRIx64, t->name, ib);
	if (depth > 16)
		return 0;
	if (ib % PAGE != 0) {
		err(ck, w, "a B-tree page must be 512-byte aligned");
		return 0;
	}
	if (!rd(ck, ib, pg, PAGE)) {
		err(ck, w, "page lies beyond the end of the file (bid 0x%" PRIx64 ")", bid);
		return 0;
	}
	if (!mark_used(ck, ib, PAGE, "B-tree page"))
		return 0;     /* already walked or clashing: do not descend twice */
	ck->n_bt_pages++;
	if (bid > ck->max_page_bid)
		ck->max_page_bid = bid;
	int ok = check_page(ck, ib, t->ptype, 0, bid, pg, t->name);
	if (pg[496] != t->ptype)
		return 0;   /* wrong kind of page: its contents mean nothing here */
	unsigned cent = pg[488], centmax = pg[489], cbent = pg[490], level = pg[491];
	if (level > 8) {
		err(ck, w, "cLevel %u is implausible", level);
		return 0;
	}
	if (want_level >= 0 && (int)level != want_level) {
		err(ck, w, "cLevel %u, its parent expects %d", level, want_level);
		return 0;
	}
	unsigned want_cb, want_max;
	if (level > 0 || t->ptype == PT_BBT) {	/* BTENTRY and BBTENTRY: 24 bytes */
		want_cb = 24;
		want_max = 20;
	} else {
		want_cb = 32;
		want_max = 15;
	}
	if (cbent != want_cb) {
		err(ck, w, "cbEnt %u, expected %u", cbent, want_cb);
		return 0;
	}
	if (centmax != want_max)
		err(ck, w, "cEntMax %u, expected %u", centmax, want_max);
	if (cent > want_max || cent * cbent > 488) {
		err(ck, w, "cEnt %u exceeds the page's room (%u)", cent, want_max);
		return 0;
	}
	if (cent == 0 && want_level >= 0)
		err(ck, w, "non-root page with no entries");
	if (le32(pg + 492) != 0)
		find(ck, w, "dwPadding is not zero; Outlook writes zero");
	(void)ok;
	uint64_t prev = 0;
	for (unsigned i = 0; i < cent; i++) {
		const uint8_t *e = pg + i * cbent;
		uint64_t key = le64(e);
		if (t->ptype == PT_NBT && level == 0 && (key >> 32) != 0) {
			err(ck, w, "entry %u: NID 0x%" PRIx64 " has non-zero upper 32 bits", i, key);
			key &= 0xFFFFFFFFULL;
		}
		if (i == 0 && first_key)
			*first_key = key;
		if (i > 0 && key <= prev)
			err(ck, w, "entry %u: key 0x%" PRIx64 " not above the previous 0x%" PRIx64, i, key, prev);
		prev = key;
		if (level > 0) {
			uint64_t cbid = le64(e + 8), cib = le64(e + 16), child_key = 0;
			if (walk_bt(ck, t, cbid, cib, (int)level - 1, &child_key, depth + 1) && child_key != key)
				err(ck, w, "entry %u: key 0x%" PRIx64 " but the child page 0x%" PRIx64 " starts at 0x%" PRIx64,
				    i, key, cib, child_key);
			continue;
		}
		if (t->have_last && key <= t->last_key && ++t->bad_order <= MAX_REPORT)
			err(ck, w, "entry %u: key 0x%" PRIx64 " not above the previous page's last key 0x%" PRIx64,
			    i, key, t->last_key);
		t->have_last = 1;
		t->last_key = key;
		if (t->ptype == PT_BBT) {
			uint64_t bib = le64(e + 8);
			uint16_t cb = le16(e + 16), cref = le16(e + 18);
			if (le32(e + 20) != 0)
				find(ck, w, "entry %u: padding is not zero; Outlook writes zero", i);
			push_bbt(ck, key, bib, cb, cref);
		} else {
			push_nbt(ck, key, le64(e + 8), le64(e + 16), le32(e + 24));
		}
	}
	return 1;
}

static int cmp_bbt(const void *a, const void *b)
{
	uint64_t x = ((const bbt_ent *)a)->bid, y = ((const bbt_ent *)b)->bid;
	return x < y ? -1 : x > y;
}

static int cmp_nbt(const void *a, const void *b)
{
	uint64_t x = ((const nbt_ent *)a)->nid, y = ((const nbt_ent *)b)->nid;
	return x < y ? -1 : x > y;
}

bbt_ent *find_bbt(struct pstcheck *ck, uint64_t bid)
{
	bid &= ~1ULL;
	size_t lo = 0, hi = ck->n_bbt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t m = ck->bbt[mid].bid & ~1ULL;
		if (m == bid)
			return &ck->bbt[mid];
		if (m < bid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

nbt_ent *find_nbt(struct pstcheck *ck, uint64_t nid)
{
	size_t lo = 0, hi = ck->n_nbt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ck->nbt[mid].nid == nid)
			return &ck->nbt[mid];
		if (ck->nbt[mid].nid < nid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void check_trees(struct pstcheck *ck)
{
	tree tn = { "NBT", PT_NBT, 0, 0, 0 }, tb = { "BBT", PT_BBT, 0, 0, 0 };
	walk_bt(ck, &tb, ck->h_bbt_bid, ck->h_bbt_ib, -1, NULL, 0);
	walk_bt(ck, &tn, ck->h_nbt_bid, ck->h_nbt_ib, -1, NULL, 0);
	if (ck->n_bbt)
		qsort(ck->bbt, ck->n_bbt, sizeof *ck->bbt, cmp_bbt);
	if (ck->n_nbt)
		qsort(ck->nbt, ck->n_nbt, sizeof *ck->nbt, cmp_nbt);
	for (size_t i = 1; i < ck->n_bbt; i++)
		if ((ck->bbt[i].bid & ~1ULL) == (ck->bbt[i - 1].bid & ~1ULL))
			err(ck, "BBT", "BID 0x%" PRIx64 " appears twice", ck->bbt[i].bid);
	if (ck->h_bid_next_p <= ck->max_page_bid)
		err(ck, "header", "bidNextP 0x%" PRIx64 " is not above the highest page BID 0x%" PRIx64,
		    ck->h_bid_next_p, ck->max_page_bid);
	uint64_t maxb = 0;
	for (size_t i = 0; i < ck->n_bbt; i++) {
		if (ck->bbt[i].bid & 1)
			find(ck, "BBT", "BID 0x%" PRIx64 " has the reserved bit 0 set; Outlook leaves it clear",
			     ck->bbt[i].bid);
		if ((ck->bbt[i].bid & ~3ULL) > maxb)
			maxb = ck->bbt[i].bid & ~3ULL;
	}
	if (ck->n_bbt && (ck->h_bid_next_b & ~3ULL) <= maxb)
		err(ck, "header", "bidNextB 0x%" PRIx64 " is not above the highest block BID 0x%" PRIx64,
		    ck->h_bid_next_b, maxb);
	/* rgnid: per-type high-water marks must cover every NID used */
	uint32_t maxidx[32] = { 0 };
	for (size_t i = 0; i < ck->n_nbt; i++) {
		uint32_t nid = (uint32_t)ck->nbt[i].nid;
		if (nid >> 5 > maxidx[nid & 31])
			maxidx[nid & 31] = nid >> 5;
	}
	for (int t = 0; t < 32; t++) {
		uint32_t mark = le32(ck->hdr + 44 + 4 * t);
		if (maxidx[t] && mark < maxidx[t]) {
			char w[32];
			snprintf(w, sizeof w, "header rgnid[0x%02x]", t);
			err(ck, w, "high-water NID index 0x%x is below NID index 0x%x in use", mark, maxidx[t]);
		}
	}
}

/* ---- 4. blocks ---------------------------------------------------------------- */

static void blk_err(struct pstcheck *ck, const char *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void blk_err(struct pstcheck *ck, const char *w, const char *fmt, ...)
{
	va_list ap;
	ck->n_err++;
	if (++ck->n_block_err > MAX_REPORT * 4) {
		if (ck->n_block_err == MAX_REPORT * 4 + 1 && !ck->opt_quiet && !ck->opt_json)
			printf("error: blocks: too many block errors; further ones counted, not printed\n");
		return;
	}
	va_start(ap, fmt);
	emit(ck, "error", w, fmt, ap);
	va_end(ap);
}

/* Reads a block whose BBT entry is b into buf (>= 8192 bytes); checks its trailer once. */
static int read_block(struct pstcheck *ck, bbt_ent *b, uint8_t *buf)
{
	char w[80];
	snprintf(w, sizeof w, "block 0x%" PRIx64 " @0x%" PRIx64, b->bid, b->ib);
	uint64_t size = align64((uint64_t)b->cb + 16);
	int first = b->state == 0;
	if (b->state < 0)
		return 0;
	b->state = -1;
	if (size > MAX_BLOCK) {
		if (first)
			blk_err(ck, w, "cb %u makes the block larger than 8192 bytes", b->cb);
		return 0;
	}
	if (b->ib % 64 != 0) {
		if (first)
			blk_err(ck, w, "block is not 64-byte aligned");
		return 0;
	}
	if (b->ib < AMAP_FIRST || !rd(ck, b->ib, buf, (size_t)size)) {
		if (first)
			blk_err(ck, w, "block lies outside the file (size %" PRIu64 ")", size);
		return 0;
	}
	const uint8_t *tr = buf + size - 16;
	int ok = 1;
	if (le16(tr) != b->cb) {
		blk_err(ck, w, "trailer cb %u, the BBT says %u", le16(tr), b->cb);
		ok = 0;
	}
	uint64_t tbid = le64(tr + 8);
	if (tbid != b->bid) {
		blk_err(ck, w, "trailer bid 0x%" PRIx64 ", the BBT says 0x%" PRIx64, tbid, b->bid);
		ok = 0;
	}
	if (le16(tr + 2) != pst_sig(b->ib, b->bid)) {
		blk_err(ck, w, "trailer wSig 0x%04x, computed 0x%04x", le16(tr + 2), pst_sig(b->ib, b->bid));
		ok = 0;
	}
	uint32_t c = pst_crc(buf, b->cb);
	if (c != le32(tr + 4)) {
		blk_err(ck, w, "trailer dwCRC 0x%08x, computed 0x%08x", le32(tr + 4), c);
		ok = 0;
	}
	for (uint64_t i = b->cb; i < size - 16; i++)
		if (buf[i]) {
			find(ck, w, "padding between data and trailer is not zero; Outlook writes zeros");
			break;
		}
	mark_used(ck, b->ib, size, "block");
	b->state = 1;
	return ok || 1;   /* trailer problems are reported; the contents are still usable */
}

static void add_ref(struct pstcheck *ck, uint64_t bid, const char *from)
{
	if (bid == 0)
		return;
	bbt_ent *b = find_bbt(ck, bid);
	if (!b) {
		blk_err(ck, from, "references BID 0x%" PRIx64 ", which is not in the BBT", bid);
		return;
	}
	b->refs++;
}

/* Parses one internal block (XBLOCK/XXBLOCK/SLBLOCK/SIBLOCK) and counts its references. */
static void check_internal(struct pstcheck *ck, bbt_ent *b)
{
	char w[80];
	snprintf(w, sizeof w, "block 0x%" PRIx64, b->bid);
	if (b->cb < 8) {
		blk_err(ck, w, "internal block of %u bytes is shorter than its 8-byte header", b->cb);
		return;
	}
	uint8_t btype = ck->blockbuf[0], level = ck->blockbuf[1];
	uint16_t cent = le16(ck->blockbuf + 2);
	if (btype == 1) {
		if (level != 1 && level != 2) {
			blk_err(ck, w, "XBLOCK/XXBLOCK with cLevel %u", level);
			return;
		}
		if (8 + (uint32_t)cent * 8 > b->cb) {
			blk_err(ck, w, "cEnt %u does not fit in cb %u", cent, b->cb);
			return;
		}
		if (8 + (uint32_t)cent * 8 != b->cb)
			find(ck, w, "cb %u is larger than its %u entries need", b->cb, cent);
		if (cent == 0 || cent > 1021)
			blk_err(ck, w, "cEnt %u outside 1..1021", cent);
		uint64_t total = 0;
		int known = 1;
		for (unsigned i = 0; i < cent; i++) {
			uint64_t cbid = le64(ck->blockbuf + 8 + 8 * i);
			bbt_ent *c = find_bbt(ck, cbid);
			add_ref(ck, cbid, w);
			if (!c) {
				known = 0;
				continue;
			}
			if (level == 1) {
				if (c->bid & 2)
					blk_err(ck, w, "XBLOCK child 0x%" PRIx64 " is an internal block", cbid);
				total += c->cb;
			} else {
				if (!(c->bid & 2))
					blk_err(ck, w, "XXBLOCK child 0x%" PRIx64 " is not an XBLOCK", cbid);
				uint8_t h[8];
				if (c->ib <= ck->fsize && rd(ck, c->ib, h, 8) && h[0] == 1 && h[1] == 1)
					total += le32(h + 4);
				else
					known = 0;
			}
		}
		if (known && total != le32(ck->blockbuf + 4))
			blk_err(ck, w, "lcbTotal %u, the children hold %" PRIu64 " bytes",
				le32(ck->blockbuf + 4), total);
	} else if (btype == 2) {
		unsigned esz = level == 0 ? 24 : 16, maxent = level == 0 ? 340 : 510;
		if (level > 1) {
			blk_err(ck, w, "SLBLOCK/SIBLOCK with cLevel %u", level);
			return;
		}
		if (8 + (uint32_t)cent * esz > b->cb) {
			blk_err(ck, w, "cEnt %u does not fit in cb %u", cent, b->cb);
			return;
		}
		if (cent == 0 || cent > maxent)
			blk_err(ck, w, "cEnt %u outside 1..%u", cent, maxent);
		uint32_t prev = 0;
		int garbage = 0;
		for (unsigned i = 0; i < cent; i++) {
			const uint8_t *e = ck->blockbuf + 8 + esz * i;
			/* a subnode NID is 32 bits in an 8-byte field; Outlook 2003 left
			 * the upper half uninitialised (libyal's testdata outlook.pst) */
			uint32_t nid = le32(e);
			garbage |= le32(e + 4) != 0;
			if (i && nid <= prev)
				blk_err(ck, w, "entry %u: NID 0x%x not above the previous 0x%x", i, nid, prev);
			prev = nid;
			if (level == 0) {
				uint64_t bd = le64(e + 8), bs = le64(e + 16);
				if (bd == 0)
					blk_err(ck, w, "subnode 0x%x has no data block", nid);
				add_ref(ck, bd, w);
				add_ref(ck, bs, w);
				bbt_ent *s = bs ? find_bbt(ck, bs) : NULL;
				if (s && !(s->bid & 2))
					blk_err(ck, w, "subnode 0x%x: subnode BID 0x%" PRIx64 " is not an internal block",
						nid, bs);
			} else {
				uint64_t cb = le64(e + 8);
				add_ref(ck, cb, w);
				bbt_ent *s = find_bbt(ck, cb);
				if (s && !(s->bid & 2))
					blk_err(ck, w, "SIBLOCK child 0x%" PRIx64 " is not an internal block", cb);
			}
		}
		if (garbage && ++ck->n_nid_garbage <= MAX_REPORT)
			find(ck, w, "subnode NIDs with non-zero upper 32 bits (readers use the low 32); "
			     "today's Outlook writes zeros");
	} else {
		blk_err(ck, w, "internal block with btype %u (not 1 or 2)", btype);
	}
}

static void check_blocks(struct pstcheck *ck)
{
	for (size_t i = 0; i < ck->n_bbt; i++) {
		bbt_ent *b = &ck->bbt[i];
		if (!read_block(ck, b, ck->blockbuf))
			continue;
		if (b->bid & 2)
			check_internal(ck, b);
	}
	for (size_t i = 0; i < ck->n_nbt; i++) {
		char w[48];
		snprintf(w, sizeof w, "node 0x%" PRIx64, ck->nbt[i].nid);
		add_ref(ck, ck->nbt[i].bid_data, w);
		add_ref(ck, ck->nbt[i].bid_sub, w);
		bbt_ent *s = ck->nbt[i].bid_sub ? find_bbt(ck, ck->nbt[i].bid_sub) : NULL;
		if (s && !(s->bid & 2))
			blk_err(ck, w, "subnode BID 0x%" PRIx64 " is not an internal (SL/SI) block", s->bid);
		if (s && s->state == 1 && rd(ck, s->ib, ck->blockbuf, 1) && ck->blockbuf[0] != 2)
			blk_err(ck, w, "subnode BID 0x%" PRIx64 " is not an SLBLOCK/SIBLOCK", s->bid);
		bbt_ent *dt = ck->nbt[i].bid_data ? find_bbt(ck, ck->nbt[i].bid_data) : NULL;
		if (dt && (dt->bid & 2) && dt->state == 1 && rd(ck, dt->ib, ck->blockbuf, 1) && ck->blockbuf[0] != 1)
			blk_err(ck, w, "data BID 0x%" PRIx64 " is an internal block but not an XBLOCK/XXBLOCK",
				dt->bid);
	}
	unsigned long orphans = 0, low = 0, high = 0;
	for (size_t i = 0; i < ck->n_bbt; i++) {
		bbt_ent *b = &ck->bbt[i];
		char w[48];
		snprintf(w, sizeof w, "block 0x%" PRIx64, b->bid);
		if (b->refs == 0) {
			if (++orphans <= MAX_REPORT)
				find(ck, w, "not referenced by any node or block (orphan, cRef %u); Outlook frees such "
				     "blocks", b->cref);
		} else if (b->cref < 1 + b->refs) {
			if (++low <= MAX_REPORT)
				blk_err(ck, w, "cRef %u, but it has %u references (must be 1 + references = %u)",
					b->cref, b->refs, 1 + b->refs);
		} else if (b->cref > 1 + b->refs) {
			if (++high <= MAX_REPORT)
				find(ck, w, "cRef %u, but only %u references (Outlook writes 1 + references = %u); the block leaks",
				     b->cref, b->refs, 1 + b->refs);
		}
	}
	if (orphans > MAX_REPORT)
		find(ck, "BBT", "%lu orphan blocks in all", orphans);
	if (low > MAX_REPORT)
		err(ck, "BBT", "%lu blocks in all with cRef below 1 + references", low);
	if (high > MAX_REPORT)
		find(ck, "BBT", "%lu blocks in all with cRef above 1 + references", high);
}

/* ---- 5. AMap against the walk ------------------------------------------------------ */

static void amap_run(struct pstcheck *ck, int set, uint64_t start, uint64_t len, unsigned long *runs)
{
	if (++*runs > MAX_REPORT)
		return;
	char w[64];
	snprintf(w, sizeof w, "AMap page 0x%" PRIx64,
		 (uint64_t)(AMAP_FIRST + (start - AMAP_FIRST) / AMAP_SPAN * AMAP_SPAN));
	if (set)
		err(ck, w, "0x%" PRIx64 "..0x%" PRIx64 " (%" PRIu64 " bytes) marked allocated but no page or block "
		    "lives there (leaked space; scanpst rebuilds the AMap)", start, start + len, len);
	else
		err(ck, w, "0x%" PRIx64 "..0x%" PRIx64 " (%" PRIu64 " bytes) marked free but a page or block lives "
		    "there (it would be overwritten)", start, start + len, len);
}

static void check_amap(struct pstcheck *ck)
{
	uint64_t free_file = 0, diff_bytes[2] = { 0, 0 };
	unsigned long runs = 0;
	int cur = -1;               /* kind of the open run: 1 set-unused, 0 clear-used */
	uint64_t run_start = 0, run_len = 0;
	int amaps_ok = 1;
	for (uint64_t k = 0; k < ck->n_intervals; k++) {
		const uint8_t *am = ck->amap_copy + k * 496;
		uint64_t base = AMAP_FIRST + k * AMAP_SPAN;
		if (!ck->amap_ok[k]) {    /* a bad page's bits mean nothing: do not cascade */
			amaps_ok = 0;
			continue;
		}
		for (uint64_t bit = 0; bit < 496 * 8; bit++) {
			int set = (am[bit >> 3] >> (7 - (bit & 7))) & 1;
			if (!set)
				free_file += 64;
			uint64_t g = k * 496 * 8 + bit;
			uint64_t off = base + bit * 64;
			int u = off < ck->fsize && g < ck->used_bits && ((ck->used[g >> 3] >> (7 - (g & 7))) & 1);
			int kind = set == u ? -1 : set;
			if (kind >= 0)
				diff_bytes[kind] += 64;
			if (kind == cur && kind >= 0 && run_start + run_len == off) {
				run_len += 64;
				continue;
			}
			if (cur >= 0)
				amap_run(ck, cur, run_start, run_len, &runs);
			cur = kind;
			run_start = off;
			run_len = 64;
		}
	}
	if (cur >= 0)
		amap_run(ck, cur, run_start, run_len, &runs);
	if (runs > MAX_REPORT)
		err(ck, "AMap", "%lu ranges differ from the walk in all (%" PRIu64 " bytes allocated without use, "
		    "%" PRIu64 " bytes in use but free)", runs, diff_bytes[1], diff_bytes[0]);
	if (amaps_ok && free_file != ck->h_amap_free)
		err(ck, "ROOT", "cbAMapFree %" PRIu64 ", the AMaps have %" PRIu64 " bytes free",
		    ck->h_amap_free, free_file);
	/* FMaps: one byte per AMap of their stretch, its longest run of free
	 * 64-byte units, at most 255 ([MS-PST] 2.2.2.7.5); deprecated, so a
	 * wrong value is a finding */
	unsigned long fmap_off = 0;
	for (uint64_t k = 128; k < ck->n_intervals; k += 496) {
		uint8_t pg[PAGE];
		uint64_t ib = AMAP_FIRST + k * AMAP_SPAN + 2 * PAGE;
		if (!rd(ck, ib, pg, PAGE) || pg[496] != PT_FMAP)
			continue;         /* reported with the map pages */
		for (uint64_t i = 0; i < 496 && k + i < ck->n_intervals; i++) {
			const uint8_t *am = ck->amap_copy + (k + i) * 496;
			unsigned run = 0, longest = 0;
			if (!ck->amap_ok[k + i])
				continue;
			for (unsigned bit = 0; bit < 496 * 8; bit++) {
				run = (am[bit >> 3] >> (7 - (bit & 7))) & 1 ? 0 : run + 1;
				if (run > longest)
					longest = run;
			}
			if (longest > 255)
				longest = 255;
			if (pg[i] != longest && ++fmap_off <= MAX_REPORT) {
				char w[48];
				snprintf(w, sizeof w, "FMap page 0x%" PRIx64, ib);
				find(ck, w, "byte %" PRIu64 " (AMap page 0x%" PRIx64 ") is %u, its longest free run is %u",
				     i, (uint64_t)(AMAP_FIRST + (k + i) * AMAP_SPAN), pg[i], longest);
			}
		}
	}
	if (fmap_off > MAX_REPORT)
		find(ck, "FMap", "%lu FMap bytes in all disagree with their AMaps", fmap_off);
}

/* ---- 6. node parents and the skeleton ------------------------------------------------ */

static void check_parents(struct pstcheck *ck)
{
	for (size_t i = 0; i < ck->n_nbt; i++) {
		uint32_t p = ck->nbt[i].parent, nid = (uint32_t)ck->nbt[i].nid, t = nid & 31;
		if (p && !find_nbt(ck, p)) {
			char w[48];
			snprintf(w, sizeof w, "node 0x%x", nid);
			err(ck, w, "parent NID 0x%x is not in the NBT", p);
		}
		char w[48];
		snprintf(w, sizeof w, "node 0x%x", nid);
		nbt_ent *pn = p ? find_nbt(ck, p) : NULL;
		uint32_t pt = pn ? (uint32_t)pn->nid & 31 : 0;
		if (nid == 0x122) {
			if (p != 0x122)
				err(ck, w, "the root folder's parent is 0x%x, must be itself", p);
		} else if (t == 0x02 || t == 0x03) {
			if (pn && pt != 0x02 && pt != 0x03)
				err(ck, w, "folder's parent 0x%x is not a folder", p);
			else if (!p)
				err(ck, w, "folder without a parent folder");
			if (t == 0x02)
				for (uint32_t tt = 0x0D; tt <= 0x0F; tt++)
					if (!find_nbt(ck, (nid & ~31u) | tt))
						err(ck, w, "folder without its %s table node 0x%x",
						    tt == 0x0D ? "hierarchy" : tt == 0x0E ? "contents" : "FAI contents",
						    (nid & ~31u) | tt);
			if (t == 0x03 && !find_nbt(ck, (nid & ~31u) | 0x10))
				find(ck, w, "search folder without its search contents table 0x%x; Outlook creates it "
				     "with the folder", (nid & ~31u) | 0x10);
		} else if (t == 0x04 || t == 0x08) {
			if (pn && pt != 0x02 && pt != 0x03)
				err(ck, w, "message's parent 0x%x is not a folder", p);
			else if (!p)
				err(ck, w, "message without a parent folder");
		} else if (p) {
			find(ck, w, "parent 0x%x on a table or internal node; Outlook writes 0", p);
		}
	}
	if (!find_nbt(ck, 0x21))
		err(ck, "NBT", "no message store node 0x21");
	if (!find_nbt(ck, 0x122))
		err(ck, "NBT", "no root folder node 0x122");
	static const uint32_t skel[] = { 0x61, 0x12D, 0x12E, 0x12F, 0x1E1, 0x201, 0x261, 0x60D, 0x60E,
		0x60F, 0x610, 0x62B, 0x64C, 0x671, 0x692, 0x6B6, 0x6D7, 0x6F8, 0xC01, 0xE01, 0xE41, 0xEC1,
		0xEE1, 0xF01, 0xF21, 0x2223, 0x2226, 0x2227, 0x8022, 0x8042, 0x8062, 0x8082 };
	for (size_t i = 0; i < sizeof skel / sizeof skel[0]; i++)
		if (!find_nbt(ck, skel[i])) {
			char w[32];
			snprintf(w, sizeof w, "node 0x%x", skel[i]);
			find(ck, w, "absent; today's Outlook creates it in every new store (pst-notes 4.1)");
		}
}

/* ---- main ------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: pstcheck FILE.pst [--json] [--quiet] [--nodes] [--dump NID[/SUBNID]]\n");
	exit(2);
}

/* Checks the open file (or prints its nodes or dumps one); the exit status. */
static int run(struct pstcheck *ck, const char *path, const char *dump)
{
	ltp_init(ck);
	if (ck->opt_nodes || dump)
		ck->opt_quiet = 1;
	if (ck->opt_json && !ck->opt_quiet) {
		printf("{\"file\": ");
		json_str(path);
		printf(", \"items\": [");
	}
	if (check_header(ck)) {
		check_maps(ck);
		if (ck->n_intervals) {
			check_trees(ck);
			check_blocks(ck);
			check_amap(ck);
			check_parents(ck);
			check_ltp_nodes(ck);
			check_messaging(ck);
			ltp_summary(ck);
		}
	}
	if (dump)
		return dump_node(ck, dump) ? 0 : 2;
	if (ck->opt_nodes) {
		for (size_t i = 0; i < ck->n_nbt; i++)
			printf("0x%08" PRIx64 " type 0x%02x parent 0x%08x\n", ck->nbt[i].nid,
			       (unsigned)(ck->nbt[i].nid & 31), ck->nbt[i].parent);
		return ck->n_err ? 1 : 0;
	}
	if (ck->opt_json && !ck->opt_quiet) {
		printf("\n], \"nodes\": %zu, \"blocks\": %zu, \"errors\": %lu, \"findings\": %lu}\n",
		       ck->n_nbt, ck->n_bbt, ck->n_err, ck->n_find);
	} else {
		info(ck, "walk", "%zu nodes, %zu blocks, %lu B-tree pages, %" PRIu64 " AMap intervals",
		     ck->n_nbt, ck->n_bbt, ck->n_bt_pages, ck->n_intervals);
		printf("pstcheck: %s: %lu errors, %lu findings\n", path, ck->n_err, ck->n_find);
	}
	return ck->n_err ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* the whole state of the check (about 21 KB: the block buffer, the report kinds) */
	struct pstcheck state = { .json_first = 1, .fd = -1 };
	struct pstcheck *ck = &state;
	const char *path = NULL, *dump = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			dump = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			ck->opt_json = 1;
		else if (!strcmp(argv[i], "--quiet"))
			ck->opt_quiet = 1;
		else if (!strcmp(argv[i], "--nodes"))
			ck->opt_nodes = 1;
		else if (path || (argv[i][0] == '-' && argv[i][1]))
			usage();	/* an unknown option, or a second file */
		else
			path = argv[i];
	}
	if (!path)
		usage();
	ck->fd = open(path, O_RDONLY);
	struct stat st;
	if (ck->fd < 0 || fstat(ck->fd, &st) != 0) {
		fprintf(stderr, "pstcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "pstcheck: %s: not a regular file\n", path);
		close(ck->fd);
		return 2;
	}
	ck->fsize = (uint64_t)st.st_size;
	int rc = run(ck, path, dump);
	close(ck->fd);
	free(ck->used);
	free(ck->amap_copy);
	free(ck->amap_ok);
	free(ck->bbt);
	free(ck->nbt);
	free(ck->bad_bids);
	return rc;
}
