/* pstcheck_msg.c -- the messaging layer checks of tools/pstcheck, and --dump.
 *
 * Every folder's hierarchy, contents and FAI tables must list exactly the
 * nodes whose NBT parent is the folder; its counts must agree with its
 * tables and its messages; every row must equal the object it stands for
 * (contents and FAI rows the message, hierarchy rows the subfolder,
 * attachment rows the attachment); PR_MESSAGE_SIZE must be the message's
 * size: its data stream plus, recursively, every subnode's (leaf data bytes;
 * internal blocks and trailers not counted; pst-notes 4.4); PR_ATTACH_SIZE
 * the sum of the attachment's property value lengths (see attach_size); the
 * store's EntryIDs must carry its record key and name a folder.  The rules
 * Outlook's own files bend (an Outlook 2003 store) are findings, not errors.
 * Facts: ../shared/docs/pst-notes.md section 4; [MS-PST] 2.4. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pstcheck.h"

#define MSGFLAG_READ 0x01

/* ---- values as text (reports and --dump) ------------------------------------------ */

/* UTF-16LE to UTF-8, at most max input bytes; out has room for 2 * max + 8. */
static void utf16_text(const uint8_t *p, size_t len, size_t max, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i + 1 < len && i < max; i += 2) {
		uint32_t c = le16(p + i);
		if (c >= 0xD800 && c < 0xDC00 && i + 3 < len && le16(p + i + 2) >= 0xDC00 && le16(p + i + 2) < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (le16(p + i + 2) - 0xDC00);
			i += 2;
		}
		if (c < 0x20 || c == '"' || c == '\\') {
			o += (size_t)sprintf(out + o, c == '"' || c == '\\' ? "\\%c" : "\\x%02x", (int)c);
		} else if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xC0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xE0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[o] = 0;
}

/* A value as text: integers in hex, strings decoded, binaries as hex (first max bytes). */
static void render(uint16_t type, const val *v, size_t max, char *out, size_t outlen)
{
	char tmp[1200];
	if (max > 256)
		max = 256;
	int fs = type_fixed_size(type);
	if (fs > 0 && v->len == (size_t)fs) {
		uint64_t x = v->len == 8 ? le64(v->p) : v->len == 4 ? le32(v->p) : v->len == 2 ? le16(v->p) : v->p[0];
		snprintf(out, outlen, "0x%" PRIx64, x);
	} else if (type == PT_UNICODE) {
		utf16_text(v->p, v->len, max, tmp);
		if (v->len > max)
			snprintf(out, outlen, "\"%s\"... (%zu bytes)", tmp, v->len);
		else
			snprintf(out, outlen, "\"%s\"", tmp);
	} else {
		size_t o = 0;
		for (size_t i = 0; i < v->len && i < max && o + 3 < sizeof tmp; i++)
			o += (size_t)sprintf(tmp + o, "%02x", v->p[i]);
		tmp[o] = 0;
		snprintf(out, outlen, "%zu bytes %s%s", v->len, tmp, v->len > max ? "..." : "");
	}
}

/* ---- the NBT by parent --------------------------------------------------------------- */

static int cmp_link(const void *a, const void *b)
{
	const nbt_link *x = a, *y = b;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first link whose parent is p; the run ends where the parent changes. */
static size_t first_child(struct pstcheck *ck, uint32_t p)
{
	size_t lo = 0, hi = ck->n_nbt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ck->links[mid].parent < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int is_folder_type(uint32_t nid) { return (nid & 31) == 0x02 || (nid & 31) == 0x03; }

/* Does the node nid stand for a child of folder f that belongs in a table of type tt? */
static int belongs(const nbt_ent *n, uint32_t tt)
{
	uint32_t t = (uint32_t)n->nid & 31;
	if (tt == 0x0D)
		return (t == 0x02 || t == 0x03) && n->nid != 0x122;
	return tt == 0x0E ? t == 0x04 : t == 0x08;
}

static int has_key(const tc *t, uint32_t key)
{
	size_t lo = 0, hi = t->nidx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->key[mid] == key)
			return 1;
		if (t->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- rows against objects ------------------------------------------------------------- */

/* The first byte where two values differ, for a report that shows it. */
static size_t first_diff(const val *a, const val *b)
{
	size_t i = 0;
	while (i < a->len && i < b->len && a->p[i] == b->p[i])
		i++;
	return i;
}

static void report_diff(struct pstcheck *ck, tc *t, uint32_t id, const tcol *c, const char *ow,
			const val *cv, const val *pv)
{
	char a[200], b[200];
	size_t d = first_diff(cv, pv), from = d > 16 ? (d - 16) & ~(size_t)1 : 0;
	val x = { cv->p + (from < cv->len ? from : cv->len), cv->len - (from < cv->len ? from : cv->len), NULL, { 0 } };
	val y = { pv->p + (from < pv->len ? from : pv->len), pv->len - (from < pv->len ? from : pv->len), NULL, { 0 } };
	render((uint16_t)c->tag, &x, 48, a, sizeof a);
	render((uint16_t)c->tag, &y, 48, b, sizeof b);
	lerr(ck, t->h.w, "row 0x%x column 0x%08x differs from %s (%zu and %zu bytes, first difference at "
	     "byte %zu): row %s%s, object %s%s", id, c->tag, ow, cv->len, pv->len, d,
	     from ? "..." : "", a, from ? "..." : "", b);
}

static int all_zero(const val *v)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->p[i])
			return 0;
	return 1;
}

/* The columns Outlook's hierarchy rows carry when the subfolder has them
 * (outlook-empty.pst; Outlook 2003 left the spam search folder's row empty). */
static int hierarchy_required(uint16_t pid)
{
	return pid == 0x3001 || pid == 0x3602 || pid == 0x3603 || pid == 0x360A;
}

/* Every cell present in the row must equal the object's property.  A column
 * left empty while the object has the property is a finding (today's Outlook
 * fills it): with want_full (contents, FAI and attachment rows) for every
 * template column, without (hierarchy rows) for the name, the counts and
 * PR_SUBFOLDERS.
 * The table and the object are validated before: reading their values again
 * reports nothing. */
static void compare_row(struct pstcheck *ck, tc *t, const uint8_t *row, pc *obj, const char *ow, int want_full)
{
	uint32_t id = le32(row);
	for (unsigned i = 0; i < t->nc; i++) {
		const tcol *c = &t->c[i];
		uint16_t pid = (uint16_t)(c->tag >> 16), type = (uint16_t)c->tag;
		if (pid == 0x67F2 || pid == 0x67F3)
			continue;           /* LtpRowId, LtpRowVer: the table's own */
		val cv, pv;
		ck->ltp_mute++;
		int has = tc_cell(ck, t, row, c, &cv);
		ck->ltp_mute--;
		const prop *p = pc_get(obj, pid);
		if (has < 0)
			continue;
		if (p && p->type != type) {
			lerr(ck, t->h.w, "row 0x%x column 0x%08x: %s holds the property as type 0x%04x",
			     id, c->tag, ow, p->type);
		} else if (has && !p && !all_zero(&cv)) {
			/* a 0 without the property is the default Outlook shows (Outlook
			 * 2003's rows carry PR_MSG_STATUS 0 for messages without it) */
			lerr(ck, t->h.w, "row 0x%x column 0x%08x is set, but %s has no such property", id, c->tag, ow);
		} else if (!has && p && (want_full || hierarchy_required(pid))) {
			lfind(ck, t->h.w, "row 0x%x column 0x%08x is empty, but %s has the property; today's Outlook "
			      "fills it", id, c->tag, ow);
		} else if (has && p) {
			ck->ltp_mute++;
			int ok = pc_val(ck, obj, p, &pv);
			ck->ltp_mute--;
			if (ok && (pv.len != cv.len || (cv.len && memcmp(pv.p, cv.p, cv.len))))
				report_diff(ck, t, id, c, ow, &cv, &pv);
			if (ok)
				val_free(&pv);
		}
		if (has > 0)
			val_free(&cv);
	}
}

/* A PC read a second time, its problems already reported. */
static int pc_reopen(struct pstcheck *ck, pc *c, const char *w, uint64_t bid_data, uint64_t bid_sub)
{
	ck->ltp_mute++;
	int ok = pc_open(ck, c, w, bid_data, bid_sub);
	ck->ltp_mute--;
	return ok;
}

/* ---- messages and attachments ---------------------------------------------------------- */

/* The size of an attachment object as Outlook measures it for PR_ATTACH_SIZE:
 * the sum of its property values' lengths (Booleans 1 byte, PT_SHORT 2,
 * 4-byte values 4, 8-byte values 8, strings and binaries their length),
 * PR_ATTACH_SIZE's own 4 bytes included; a PT_OBJECT counts the size its
 * record gives (the embedded object), not the record.  Evidence: Outlook
 * 2003's attachments in libyal's testdata outlook.pst (22 of 22 exactly);
 * PSTFileFormat's GetTotalLengthOfAllProperties, used for attachments in
 * every Outlook version it writes for; ContinuMail's scanpst-driven fix
 * ("missing or invalid PR_ATTACH_SIZE", pst-notes [S19]). */
static uint64_t attach_size(struct pstcheck *ck, pc *c, const char *w)
{
	uint64_t n = 0, len;
	for (size_t i = 0; i < c->n; i++) {
		const prop *p = &c->p[i];
		int fs = type_fixed_size(p->type);
		const snode *s;
		val v;
		if (fs > 0) {
			n += (uint64_t)fs;
		} else if (fs == 0 && (p->v & 0x1F) && (s = sn_find(&c->h.sub, p->v))) {
			ck->ltp_mute++;
			if (stream_size(ck, s->data, &len, w))
				n += len;
			ck->ltp_mute--;
		} else if (fs == 0) {
			ck->ltp_mute++;
			if (pc_val(ck, c, p, &v)) {
				n += p->type == PT_OBJECT ? (v.len == 8 ? le32(v.p + 4) : 0) : v.len;
				val_free(&v);
			}
			ck->ltp_mute--;
		}
	}
	return n;
}

/* PR_MESSAGE_SIZE: the message's data stream plus, recursively, every
 * subnode's (leaf data bytes; internal blocks and trailers not counted): what
 * Outlook 2007 SP2 and later write and scanpst checks the contents row against
 * (pst-notes 4.4; PSTFileFormat's Outlook2007SP2 mode; ContinuMail [S19]).
 * Outlook 2003 wrote a sum of property lengths instead (libyal's outlook.pst). */
static void check_message_size(struct pstcheck *ck, pc *c, const nbt_ent *n, const char *w)
{
	uint64_t size;
	const prop *p = pc_get(c, 0x0E08);
	if (!p || !object_size(ck, n->bid_data, n->bid_sub, &size, w, 0))
		return;             /* its absence is reported with the required set */
	if (p->type != PT_LONG)
		lerr(ck, w, "PR_MESSAGE_SIZE has type 0x%04x, must be PT_LONG", p->type);
	else if (p->v != size)
		lerr(ck, w, "PR_MESSAGE_SIZE %u, but the message holds %" PRIu64 " bytes (its data stream and, "
		     "recursively, every subnode's)", p->v, size);
}

/* PR_ATTACH_SIZE, and an embedded object's PT_OBJECT record size. */
static void check_attach_size(struct pstcheck *ck, pc *c, const snode *a, const char *w)
{
	uint64_t want = attach_size(ck, c, w), disk;
	const prop *p = pc_get(c, 0x0E20);
	if (!p)
		lerr(ck, w, "no PR_ATTACH_SIZE (0x0e20); scanpst reports it missing");
	else if (p->type != PT_LONG)
		lerr(ck, w, "PR_ATTACH_SIZE has type 0x%04x, must be PT_LONG", p->type);
	else if (p->v != want && object_size(ck, a->data, a->sub, &disk, w, 0))
		lerr(ck, w, "PR_ATTACH_SIZE %u, but the attachment's property values come to %" PRIu64 " bytes "
		     "(Outlook's attachment size; the object's data stream and subnodes hold %" PRIu64 ")",
		     p->v, want, disk);
	for (size_t i = 0; i < c->n; i++) {
		val v;
		uint64_t size;
		const snode *s;
		if (c->p[i].type != PT_OBJECT)
			continue;
		ck->ltp_mute++;
		int ok = pc_val(ck, c, &c->p[i], &v);
		ck->ltp_mute--;
		if (ok && v.len == 8 && (s = sn_find(&c->h.sub, le32(v.p))) &&
		    object_size(ck, s->data, s->sub, &size, w, 0) && size != le32(v.p + 4))
			lerr(ck, w, "property 0x%04x000d: the PT_OBJECT record gives size %u, the object 0x%x holds %" PRIu64
			     " bytes", c->p[i].id, le32(v.p + 4), le32(v.p), size);
		if (ok)
			val_free(&v);
	}
}

/* One attachment PC: checked, sized, and compared with its row (if any). */
static void check_attachment(struct pstcheck *ck, const char *mw, const snode *a, tc *t)
{
	char aw[112];
	snprintf(aw, sizeof aw, "%s attachment 0x%x", mw, a->nid);
	pc ap;
	if (!pc_open(ck, &ap, aw, a->data, a->sub))
		return;
	pc_validate(ck, &ap);
	check_subnode_objects(ck, aw, a->sub, 1, 0);
	check_attach_size(ck, &ap, a, aw);
	for (size_t r = 0; t && r < t->nidx; r++) {
		const uint8_t *row = tc_row(t, t->idx[r]);
		if (t->key[r] == a->nid && row)
			compare_row(ck, t, row, &ap, "the attachment", 1);
	}
	pc_close(&ap);
}

/* The attachment PCs (subnodes of type 0x05) against the attachment table (0x671). */
static void check_attachments(struct pstcheck *ck, const char *mw, const sntree *sub)
{
	const snode *at = sn_find(sub, 0x671);
	char tw[96];
	snprintf(tw, sizeof tw, "%s attachment table", mw);
	tc t;
	int have = at && tc_open(ck, &t, tw, at->data, at->sub);
	if (have)
		tc_validate(ck, &t);
	for (size_t i = 0; i < sub->n; i++) {
		if ((sub->e[i].nid & 31) != 0x05)
			continue;
		if (!at)
			lerr(ck, mw, "attachment subnode 0x%x, but no attachment table (subnode 0x671)", sub->e[i].nid);
		else if (have && !has_key(&t, sub->e[i].nid))
			lerr(ck, tw, "attachment subnode 0x%x has no row", sub->e[i].nid);
		check_attachment(ck, mw, &sub->e[i], have ? &t : NULL);
	}
	for (size_t r = 0; have && r < t.nidx; r++) {
		const snode *a = sn_find(sub, t.key[r]);
		if (!a || (a->nid & 31) != 0x05)
			lerr(ck, tw, "row 0x%x names no attachment subnode (type 0x05) of the message", t.key[r]);
	}
	if (have)
		tc_close(&t);
}

static const struct {
	uint16_t id;
	const char *name;
} msg_required[] = {
	{ 0x001A, "PR_MESSAGE_CLASS" }, { 0x0E07, "PR_MESSAGE_FLAGS" }, { 0x0E08, "PR_MESSAGE_SIZE" },
	{ 0x0E17, "PR_MSG_STATUS" }, { 0x3007, "PR_CREATION_TIME" },
	{ 0x3008, "PR_LAST_MODIFICATION_TIME" }, { 0x300B, "PR_SEARCH_KEY" },
};

/* A message, the first time: its PC, subnodes, size and attachments. */
static void check_message_once(struct pstcheck *ck, pc *c, const nbt_ent *n, const char *w)
{
	pc_validate(ck, c);
	for (size_t i = 0; i < sizeof msg_required / sizeof msg_required[0]; i++) {
		if (pc_get(c, msg_required[i].id))
			continue;
		if (msg_required[i].id == 0x0E17)
			lfind(ck, w, "no PR_MSG_STATUS (0x0e17), which [MS-PST] 2.4.5.1 requires; Outlook 2003 "
			      "omitted it too (its contents rows then show 0)");
		else
			lerr(ck, w, "no %s (0x%04x), which [MS-PST] 2.4.5.1 requires", msg_required[i].name,
			     msg_required[i].id);
	}
	check_message_size(ck, c, n, w);
	check_subnode_objects(ck, w, n->bid_sub, 0, 1);
	sntree sub;
	ck->ltp_mute++;                   /* the subnode tree was read (and reported) above */
	int ok = subtree_read(ck, n->bid_sub, &sub, w);
	ck->ltp_mute--;
	if (ok) {
		check_attachments(ck, w, &sub);
		sntree_free(&sub);
	}
}

/* A message, checked once, and compared with its row (t, row) if it has one. */
static void check_message(struct pstcheck *ck, nbt_ent *n, tc *t, const uint8_t *row, uint32_t *flags)
{
	char w[48];
	snprintf(w, sizeof w, "message 0x%x", (uint32_t)n->nid);
	int again = ck->visited[n - ck->nbt];
	ck->visited[n - ck->nbt] = 1;
	pc c;
	*flags = 0;
	if (!(again ? pc_reopen(ck, &c, w, n->bid_data, n->bid_sub) : pc_open(ck, &c, w, n->bid_data, n->bid_sub)))
		return;
	if (!again)
		check_message_once(ck, &c, n, w);
	pc_u32(&c, 0x0E07, flags);
	if (t && row)
		compare_row(ck, t, row, &c, "the message", 1);
	pc_close(&c);
}

/* ---- folders ------------------------------------------------------------------------- */

static const char *table_name(uint32_t tt)
{
	return tt == 0x0D ? "hierarchy" : tt == 0x0E ? "contents" : tt == 0x0F ? "FAI contents" : "search contents";
}

/* The rows of folder f's table of type tt against f's children of that kind. */
static void rows_vs_children(struct pstcheck *ck, uint32_t f, uint32_t tt, tc *t, const char *tw)
{
	for (size_t r = 0; r < t->nidx; r++) {
		nbt_ent *n = find_nbt(ck, t->key[r]);
		if (!n || !belongs(n, tt))
			lerr(ck, tw, "row 0x%x: no %s node of that NID", t->key[r],
			     tt == 0x0D ? "folder" : tt == 0x0E ? "message (type 0x04)" : "FAI message (type 0x08)");
		else if (n->parent != f)
			lerr(ck, tw, "row 0x%x: its NBT parent is 0x%x, not this folder", t->key[r], n->parent);
	}
	for (size_t k = first_child(ck, f); k < ck->n_nbt && ck->links[k].parent == f; k++) {
		const nbt_ent *n = &ck->nbt[ck->links[k].i];
		if (belongs(n, tt) && !has_key(t, (uint32_t)n->nid))
			lerr(ck, tw, "node 0x%" PRIx64 " has this folder as its NBT parent but no row here", n->nid);
	}
}

/* Hierarchy rows against the subfolders' PCs (each checked on its own turn). */
static void check_hierarchy(struct pstcheck *ck, uint32_t f, tc *t, const char *tw)
{
	rows_vs_children(ck, f, 0x0D, t, tw);
	for (size_t r = 0; r < t->nidx; r++) {
		nbt_ent *n = find_nbt(ck, t->key[r]);
		const uint8_t *row = tc_row(t, t->idx[r]);
		if (!n || !belongs(n, 0x0D) || !row)
			continue;
		char cw[48];
		snprintf(cw, sizeof cw, "folder 0x%x", t->key[r]);
		pc c;
		if (pc_reopen(ck, &c, cw, n->bid_data, n->bid_sub)) {
			compare_row(ck, t, row, &c, "the subfolder", 0);
			pc_close(&c);
		}
	}
}

/* Contents or FAI rows: each message checked with its row; returns the unread rows. */
static size_t check_contents(struct pstcheck *ck, uint32_t f, uint32_t tt, tc *t, const char *tw)
{
	size_t unread = 0;
	rows_vs_children(ck, f, tt, t, tw);
	for (size_t r = 0; r < t->nidx; r++) {
		nbt_ent *n = find_nbt(ck, t->key[r]);
		const uint8_t *row = tc_row(t, t->idx[r]);
		uint32_t flags = 0;
		if (!n || !belongs(n, tt) || !row)
			continue;
		check_message(ck, n, t, row, &flags);
		unread += !(flags & MSGFLAG_READ);
	}
	return unread;
}

static void check_count(struct pstcheck *ck, pc *c, const char *w, uint16_t id, const char *name,
			uint32_t want, const char *why)
{
	uint32_t v;
	const prop *p = pc_get(c, id);
	if (!c->p && !c->n)
		return;             /* no PC: reported when it was read */
	if (!p)
		lerr(ck, w, "no %s (0x%04x)", name, id);
	else if (!pc_u32(c, id, &v) || p->type != (id == 0x360A ? PT_BOOLEAN : PT_LONG))
		lerr(ck, w, "%s has type 0x%04x", name, p->type);
	else if (v != want)
		lerr(ck, w, "%s %u, but %s: %u", name, v, why, want);
}

/* Opens (and checks) folder f's table of type tt; 0 when absent or unreadable. */
static int open_table(struct pstcheck *ck, uint32_t f, uint32_t tt, tc *t, char *tw, size_t twlen)
{
	uint32_t tn = (f & ~31u) | tt;
	nbt_ent *n = find_nbt(ck, tn);
	snprintf(tw, twlen, "folder 0x%x %s table 0x%x", f, table_name(tt), tn);
	if (!n)
		return 0;           /* reported with the NBT parents */
	if (!tc_open(ck, t, tw, n->bid_data, n->bid_sub))
		return 0;
	tc_validate(ck, t);
	return 1;
}

/* A folder PC, checked; with ok 0 (unreadable) the count checks are skipped. */
static int open_folder(struct pstcheck *ck, nbt_ent *fn, const char *w, pc *c)
{
	if (!pc_open(ck, c, w, fn->bid_data, fn->bid_sub)) {
		memset(c, 0, sizeof *c);
		return 0;
	}
	pc_validate(ck, c);
	check_subnode_objects(ck, w, fn->bid_sub, 0, 0);
	if (fn->nid == 0x122)
		linfo(ck, "node 0x122", "root folder: %zu properties", c->n);
	return 1;
}

static void check_folder(struct pstcheck *ck, nbt_ent *fn)
{
	uint32_t f = (uint32_t)fn->nid;
	char w[48], tw[96];
	snprintf(w, sizeof w, "folder 0x%x", f);
	pc c;
	int have = open_folder(ck, fn, w, &c);
	tc t;
	if (open_table(ck, f, 0x0D, &t, tw, sizeof tw)) {
		check_hierarchy(ck, f, &t, tw);
		if (have)
			check_count(ck, &c, w, 0x360A, "PR_SUBFOLDERS",
				    t.nidx > 0, "the hierarchy table's rows make it");
		tc_close(&t);
	}
	if (open_table(ck, f, 0x0E, &t, tw, sizeof tw)) {
		size_t unread = check_contents(ck, f, 0x0E, &t, tw);
		if (have) {
			check_count(ck, &c, w, 0x3602, "PR_CONTENT_COUNT",
				    (uint32_t)t.nidx, "rows in the contents table");
			check_count(ck, &c, w, 0x3603, "PR_CONTENT_UNREAD", (uint32_t)unread,
				    "contents rows whose message lacks MSGFLAG_READ");
		}
		tc_close(&t);
	}
	if (open_table(ck, f, 0x0F, &t, tw, sizeof tw)) {
		check_contents(ck, f, 0x0F, &t, tw);
		tc_close(&t);
	}
	if (have)
		pc_close(&c);
}

/* A search folder: its PC, and its table (0x10) names messages that live elsewhere. */
static void check_search_folder(struct pstcheck *ck, nbt_ent *fn)
{
	uint32_t f = (uint32_t)fn->nid;
	char w[48], tw[96];
	snprintf(w, sizeof w, "folder 0x%x", f);
	pc c;
	if (open_folder(ck, fn, w, &c))
		pc_close(&c);
	tc t;
	if (!open_table(ck, f, 0x10, &t, tw, sizeof tw))
		return;
	for (size_t r = 0; r < t.nidx; r++) {
		nbt_ent *n = find_nbt(ck, t.key[r]);
		if (!n || (n->nid & 31) != 0x04)
			lerr(ck, tw, "row 0x%x: no message (type 0x04) of that NID", t.key[r]);
	}
	tc_close(&t);
}

/* ---- the message store's EntryIDs ---------------------------------------------------- */

static const struct {
	uint16_t id;
	const char *name;
} eid_props[] = {
	{ 0x35E0, "PR_IPM_SUBTREE_ENTRYID" }, { 0x35E2, "PR_IPM_OUTBOX_ENTRYID" },
	{ 0x35E3, "PR_IPM_WASTEBASKET_ENTRYID" }, { 0x35E4, "PR_IPM_SENTMAIL_ENTRYID" },
	{ 0x35E5, "PR_VIEWS_ENTRYID" }, { 0x35E6, "PR_COMMON_VIEWS_ENTRYID" },
	{ 0x35E7, "PR_FINDER_ENTRYID" }, { 0x36D0, "PR_IPM_APPOINTMENT_ENTRYID" },
	{ 0x36D1, "PR_IPM_CONTACT_ENTRYID" }, { 0x36D2, "PR_IPM_JOURNAL_ENTRYID" },
	{ 0x36D3, "PR_IPM_NOTE_ENTRYID" }, { 0x36D4, "PR_IPM_TASK_ENTRYID" },
	{ 0x36D5, "PR_REM_ONLINE_ENTRYID" }, { 0x36D6, "PR_REM_OFFLINE_ENTRYID" },
	{ 0x36D7, "PR_IPM_DRAFTS_ENTRYID" }, { 0x36D8, "PR_ADDITIONAL_REN_ENTRYIDS" },
	{ 0x36E4, "PR_FREEBUSY_ENTRYIDS" },
};

/* One EntryID: rgbFlags 0, the store's record key, the NID of a folder.
 * On the store (strict) both are errors; on the root folder and the Inbox
 * a foreign record key or a missing folder is a finding: Outlook 2003's own
 * root folder names its special folders with another key, and a reminders
 * search folder it never made (libyal's testdata outlook.pst). */
static void check_eid(struct pstcheck *ck, const char *w, const char *name, const uint8_t *p, size_t len, int strict)
{
	if (len != 24) {
		lerr(ck, w, "%s is %zu bytes, a PST EntryID is 24 (flags, record key, NID)", name, len);
		return;
	}
	if (le32(p))
		lerr(ck, w, "%s: rgbFlags 0x%08x, must be 0", name, le32(p));
	uint32_t nid = le32(p + 20);
	nbt_ent *n = find_nbt(ck, nid);
	if (strict) {
		if (ck->have_store_key && memcmp(p + 4, ck->store_key, 16))
			lerr(ck, w, "%s: the record key (bytes 4..19) is not the store's PR_RECORD_KEY", name);
		if (!n || !is_folder_type(nid))
			lerr(ck, w, "%s names NID 0x%x, which is no folder node", name, nid);
		return;
	}
	if (ck->have_store_key && memcmp(p + 4, ck->store_key, 16))
		lfind(ck, w, "%s: the record key (bytes 4..19) is not the store's PR_RECORD_KEY; readers that "
		      "match EntryIDs to the store will not find the folder", name);
	if (!n || !is_folder_type(nid))
		lfind(ck, w, "%s names NID 0x%x, which is no folder node", name, nid);
}

static void check_eids(struct pstcheck *ck, const char *w, uint64_t bid_data, uint64_t bid_sub, int strict)
{
	pc c;
	if (!pc_reopen(ck, &c, w, bid_data, bid_sub))
		return;
	for (size_t i = 0; i < sizeof eid_props / sizeof eid_props[0]; i++) {
		const prop *p = pc_get(&c, eid_props[i].id);
		val v;
		ck->ltp_mute++;
		int ok = p && pc_val(ck, &c, p, &v);
		ck->ltp_mute--;
		if (!ok)
			continue;
		if (p->type == PT_BINARY) {
			check_eid(ck, w, eid_props[i].name, v.p, v.len, strict);
		} else if (p->type == (PT_MV | PT_BINARY) && v.len >= 4) {
			uint32_t n = le32(v.p);
			for (uint32_t k = 0; k < n && 4 + 4 * (size_t)k + 4 <= v.len; k++) {
				size_t a = le32(v.p + 4 + 4 * k);
				size_t b = k + 1 < n ? le32(v.p + 8 + 4 * k) : v.len;
				if (a < b && b <= v.len)
					check_eid(ck, w, eid_props[i].name, v.p + a, b - a, strict);
			}
		} else {
			lerr(ck, w, "%s has type 0x%04x, must be PT_BINARY", eid_props[i].name, p->type);
		}
		val_free(&v);
	}
	pc_close(&c);
}

/* The Inbox: where the receive-folder table (0x62B, checked with the other
 * nodes, so read quietly here) sends the empty message class. */
static uint32_t inbox_nid(struct pstcheck *ck)
{
	nbt_ent *n = find_nbt(ck, 0x62B);
	tc t;
	uint32_t inbox = 0;
	ck->ltp_mute++;
	if (n && tc_open(ck, &t, "node 0x62b", n->bid_data, n->bid_sub)) {
		const tcol *cls = tc_col(&t, 0x001A001F), *target = tc_col(&t, 0x66050003);
		for (size_t r = 0; cls && target && r < t.nrows; r++) {
			const uint8_t *row = tc_row(&t, r);
			val a, b;
			int has_cls = tc_cell(ck, &t, row, cls, &a);
			if (has_cls >= 0 && (has_cls == 0 || a.len == 0) && tc_cell(ck, &t, row, target, &b) > 0)
				inbox = le32(b.p);
			if (has_cls > 0)
				val_free(&a);
		}
		tc_close(&t);
	}
	ck->ltp_mute--;
	return inbox;
}

static void check_store(struct pstcheck *ck)
{
	nbt_ent *s = find_nbt(ck, 0x21);
	pc c;
	if (!s || !pc_reopen(ck, &c, "node 0x21", s->bid_data, s->bid_sub))
		return;
	static const struct {
		uint16_t id;
		const char *name;
	} req[] = { { 0x0FF9, "PR_RECORD_KEY" }, { 0x3001, "PR_DISPLAY_NAME" }, { 0x35E0, "PR_IPM_SUBTREE_ENTRYID" },
		    { 0x35E3, "PR_IPM_WASTEBASKET_ENTRYID" }, { 0x35E7, "PR_FINDER_ENTRYID" } };
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		if (!pc_get(&c, req[i].id))
			lerr(ck, "node 0x21", "message store without %s (0x%04x), which [MS-PST] 2.4.3.1 requires",
			     req[i].name, req[i].id);
	const prop *rk = pc_get(&c, 0x0FF9);
	val v;
	ck->ltp_mute++;
	int ok = rk && rk->type == PT_BINARY && pc_val(ck, &c, rk, &v);
	ck->ltp_mute--;
	if (ok) {
		if (v.len == 16) {
			memcpy(ck->store_key, v.p, 16);
			ck->have_store_key = 1;
		} else {
			lerr(ck, "node 0x21", "PR_RECORD_KEY is %zu bytes, must be 16", v.len);
		}
		val_free(&v);
	} else if (rk) {
		lerr(ck, "node 0x21", "PR_RECORD_KEY has type 0x%04x, must be PT_BINARY", rk->type);
	}
	pc_close(&c);
	check_eids(ck, "node 0x21", s->bid_data, s->bid_sub, 1);
	nbt_ent *root = find_nbt(ck, 0x122);
	if (root)
		check_eids(ck, "folder 0x122", root->bid_data, root->bid_sub, 0);
	uint32_t inbox = inbox_nid(ck);
	nbt_ent *in = inbox && inbox != 0x122 ? find_nbt(ck, inbox) : NULL;
	char w[48];
	snprintf(w, sizeof w, "folder 0x%x (Inbox)", inbox);
	if (in && is_folder_type(inbox))
		check_eids(ck, w, in->bid_data, in->bid_sub, 0);
}

/* ---- all of it ------------------------------------------------------------------------- */

void check_messaging(struct pstcheck *ck)
{
	if (ck->crypt_method == 2)
		return;
	ck->links = xcalloc(ck->n_nbt, sizeof *ck->links);
	ck->visited = xcalloc(ck->n_nbt, 1);
	for (size_t i = 0; i < ck->n_nbt; i++)
		ck->links[i] = (nbt_link){ ck->nbt[i].nid == 0x122 ? 0 : ck->nbt[i].parent, i };
	qsort(ck->links, ck->n_nbt, sizeof *ck->links, cmp_link);
	check_store(ck);
	for (size_t i = 0; i < ck->n_nbt; i++) {
		if ((ck->nbt[i].nid & 31) == 0x02)
			check_folder(ck, &ck->nbt[i]);
		else if ((ck->nbt[i].nid & 31) == 0x03)
			check_search_folder(ck, &ck->nbt[i]);
	}
	for (size_t i = 0; i < ck->n_nbt; i++) {
		uint32_t t = (uint32_t)ck->nbt[i].nid & 31, flags;
		if ((t == 0x04 || t == 0x08) && !ck->visited[i])
			check_message(ck, &ck->nbt[i], NULL, NULL, &flags);
	}
	free(ck->links);
	free(ck->visited);
	ck->links = NULL;
	ck->visited = NULL;
}

/* ---- --dump ------------------------------------------------------------------------------ */

static void dump_object(struct pstcheck *ck, uint32_t nid, uint64_t bid_data, uint64_t bid_sub, int depth);

static void dump_pc(struct pstcheck *ck, pc *c, const char *ind)
{
	printf("%sproperty context, %zu properties:\n", ind, c->n);
	for (size_t i = 0; i < c->n; i++) {
		const prop *p = &c->p[i];
		val v;
		char text[600] = "(unreadable)";
		if (type_known(p->type) && pc_val(ck, c, p, &v)) {
			render(p->type, &v, 64, text, sizeof text);
			val_free(&v);
		}
		printf("%s  0x%04x%04x  %s\n", ind, p->id, p->type, text);
	}
}

static void dump_tc(struct pstcheck *ck, tc *t, const char *ind)
{
	printf("%stable context, %u columns (row size %u), %zu rows:\n", ind, t->nc, t->rgib[3], t->nrows);
	for (unsigned i = 0; i < t->nc; i++)
		printf("%s  column 0x%08x  ib %u cb %u iBit %u\n",
		       ind, t->c[i].tag, t->c[i].ib, t->c[i].cb, t->c[i].bit);
	for (size_t r = 0; r < t->nrows; r++) {
		const uint8_t *row = tc_row(t, r);
		printf("%s  row %zu (RowId 0x%x):\n", ind, r, le32(row));
		for (unsigned i = 0; i < t->nc; i++) {
			val v;
			char text[600];
			int has = tc_cell(ck, t, row, &t->c[i], &v);
			if (has <= 0)
				continue;
			render((uint16_t)t->c[i].tag, &v, 64, text, sizeof text);
			printf("%s    0x%08x  %s\n", ind, t->c[i].tag, text);
			val_free(&v);
		}
	}
}

/* The client signature of the heap a stream starts with, or -1. */
static int heap_sig(struct pstcheck *ck, uint64_t bid_data, const char *w)
{
	stream s;
	int sig = -1;
	if (bid_data && stream_load(ck, bid_data, &s, w, 1)) {
		if (s.n && s.cb[0] >= 12 && s.leaf[0][2] == 0xEC)
			sig = s.leaf[0][3];
		stream_free(&s);
	}
	return sig;
}

static void dump_raw(struct pstcheck *ck, uint64_t bid_data, const char *w, const char *ind)
{
	stream s;
	if (!stream_read(ck, bid_data, &s, w))
		return;
	val v = { s.n ? s.leaf[0] : NULL, s.n ? s.cb[0] : 0, NULL, { 0 } };
	char text[600];
	render(PT_BINARY, &v, 64, text, sizeof text);
	printf("%sdata: %" PRIu64 " bytes in %u blocks, first block %s\n", ind, s.total, s.n, text);
	stream_free(&s);
}

static void dump_object(struct pstcheck *ck, uint32_t nid, uint64_t bid_data, uint64_t bid_sub, int depth)
{
	char ind[40], w[48];
	if (++ck->dumped > 100000) {
		if (ck->dumped == 100001)
			printf("(more than 100000 objects: stopped)\n");
		return;
	}
	snprintf(ind, sizeof ind, "%*s", 2 * (depth < 16 ? depth : 16), "");
	snprintf(w, sizeof w, "node 0x%x", nid);
	uint64_t size = 0;
	object_size(ck, bid_data, bid_sub, &size, w, 0);
	printf("%s%s 0x%x: data BID 0x%" PRIx64 ", subnode BID 0x%" PRIx64 ", %" PRIu64 " bytes with its subnodes\n",
	       ind, depth ? "subnode" : "node", nid, bid_data, bid_sub, size);
	int sig = heap_sig(ck, bid_data, w);
	pc c;
	tc t;
	if (sig == 0xBC && pc_open(ck, &c, w, bid_data, bid_sub)) {
		dump_pc(ck, &c, ind);
		pc_close(&c);
	} else if (sig == 0x7C && tc_open(ck, &t, w, bid_data, bid_sub)) {
		dump_tc(ck, &t, ind);
		tc_close(&t);
	} else if (bid_data) {
		if (sig >= 0)
			printf("%sheap-on-node, client signature 0x%02x\n", ind, sig);
		dump_raw(ck, bid_data, w, ind);
	}
	sntree sub;
	if (depth < 8 && subtree_read(ck, bid_sub, &sub, w)) {
		for (size_t i = 0; i < sub.n; i++)
			dump_object(ck, sub.e[i].nid, sub.e[i].data, sub.e[i].sub, depth + 1);
		sntree_free(&sub);
	}
}

int dump_node(struct pstcheck *ck, const char *spec)
{
	char *end;
	unsigned long nid = strtoul(spec, &end, 16);
	nbt_ent *n = find_nbt(ck, nid);
	if (!n || (*end && *end != '/')) {
		fprintf(stderr, "pstcheck: --dump %s: no such node\n", spec);
		return 0;
	}
	uint64_t data = n->bid_data, sub = n->bid_sub;
	while (*end == '/') {
		unsigned long sn = strtoul(end + 1, &end, 16);
		sntree t;
		const snode *s;
		if (!subtree_read(ck, sub, &t, "--dump") || !(s = sn_find(&t, (uint32_t)sn))) {
			fprintf(stderr, "pstcheck: --dump %s: no subnode 0x%lx\n", spec, sn);
			sntree_free(&t);
			return 0;
		}
		nid = sn;
		data = s->data;
		sub = s->sub;
		sntree_free(&t);
	}
	if (*end) {
		fprintf(stderr, "pstcheck: --dump %s: not a NID\n", spec);
		return 0;
	}
	if (nid == n->nid)
		printf("NBT parent 0x%x\n", n->parent);
	else
		printf("%s: a subnode of node 0x%" PRIx64 "\n", spec, n->nid);
	dump_object(ck, (uint32_t)nid, data, sub, 0);
	return 1;
}
