/*
 * An mbox file's messages against the manifest lines that put messages in
 * it (the read-back's reconcile, core/check.h).  Each line's message was first looked for where the line says
 * (verify_mbox); here the file's messages as the mbox reader yields them
 * (the index check.c builds, once per file) are all accounted for, and every
 * message is accounted for, so that one message deleted from or added to
 * a file is named alone, not every message after it whose offset moved:
 *   1. a message where its line says claims that place;
 *   2. a line whose message is not there is looked for by content
 *      elsewhere in the file (its offset moved);
 *   3. between two placed messages, one unplaced line and one unclaimed
 *      message are the same message, altered (its length changed);
 *   4. lines still unplaced are missing, messages still unclaimed extra;
 *   5. a moved message must have moved by exactly what was added and taken
 *      out before it, else the manifest's offset is wrong.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "mbox/check.h"

struct afile {
	struct mail_check *c;
	struct check_line *lines;
	const struct check_report *rep;
	const char *rel;
	const struct mbox_index *ix;	/* the file's items as the mbox reader reads them */
	const struct mbox_entry *r;	/* ix->e */
	size_t nr;
	bool *claimed;		/* per item */
	size_t *idx;		/* the file's lines (entry indexes), by manifest offset */
	size_t ni;
	ssize_t *region_of;	/* per idx: the region that is its message, or -1 */
};

/* line k of the file: W its output object (where the manifest says), C its outcome */
static const struct check_loc *W(struct afile *a, size_t k) { return a->lines[a->idx[k]].want; }
static struct check_line *C(struct afile *a, size_t k) { return &a->lines[a->idx[k]]; }

static ssize_t region_at(const struct afile *a, uint64_t offset)
{
	const struct mbox_entry *e = mbox_index_at(a->ix, offset);
	return e ? e - a->r : -1;
}

static void claim(struct afile *a, size_t k, size_t r)
{
	a->claimed[r] = true;
	a->region_of[k] = (ssize_t)r;
	C(a, k)->claimed = true;
	C(a, k)->found_at = a->r[r].offset;
	C(a, k)->found_len = a->r[r].length;
}

/* step 1: the messages found where their lines say */
static void claim_in_place(struct afile *a)
{
	for (size_t k = 0; k < a->ni; k++) {
		struct check_line *c = C(a, k);
		ssize_t r = region_at(a, W(a, k)->offset);
		bool exact = r >= 0 && a->r[r].length == W(a, k)->length;
		if (c->claimed && !exact) {	/* its length spans more or less than a message */
			c->claimed = false;
			c->result = VERIFY_ABSENT;
		}
		if ((c->claimed || c->result == VERIFY_SOURCE_BAD) && exact)
			claim(a, k, (size_t)r);
	}
}

/* found_elsewhere: the line's message at another offset; its head checked too */
static void found_elsewhere(struct afile *a, size_t k, size_t r)
{
	struct check_line *c = C(a, k);
	const struct mbox_entry *key = &a->r[r];
	claim(a, k, r);
	bool head = key->is_msg && c->head &&
		    !strcmp(key->from_line, c->head) && key->flags == c->flags &&
		    (!c->item_len || key->length == c->item_len);
	free(c->why);
	c->why = NULL;
	c->result = head ? VERIFY_SAME : VERIFY_DIFFERS;
	if (!head)
		c->why = xasprintf("found at offset %llu with the source's content, but its From_ "
				   "or Status lines or its length (%llu bytes) are not the writer's ('%s')",
				   (unsigned long long)a->r[r].offset, (unsigned long long)key->length,
				   key->from_line ? key->from_line : "no From_ line");
}

/* step 2: by content, the first unclaimed message that is the source */
static void claim_by_content(struct afile *a)
{
	for (size_t k = 0; k < a->ni; k++) {
		struct check_line *c = C(a, k);
		if (a->region_of[k] >= 0 || c->result != VERIFY_ABSENT || !c->has_key)
			continue;
		for (size_t r = 0; r < a->nr; r++)
			if (!a->claimed[r] && a->r[r].is_msg && a->r[r].readable && !memcmp(a->r[r].key, c->key, 32)) {
				found_elsewhere(a, k, r);
				break;
			}
	}
}

static void hex(char out[65], const uint8_t key[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

/* pair: an unplaced line and the one unclaimed message between the same neighbours */
static void pair(struct afile *a, size_t k, size_t r)
{
	struct check_line *c = C(a, k);
	const struct mbox_entry *key = &a->r[r];
	char got[65], want[65];
	hex(got, key->key);
	hex(want, c->key);
	claim(a, k, r);
	free(c->why);
	c->why = xasprintf("the message in its place ('%s') is not the source: its content, "
			   "as the mbox reader reads it, has SHA-256 %s, the source's (Status "
			   "fields removed, CRLF turned into LF) %s",
			   key->from_line ? key->from_line : "no From_ line", got, want);
	c->result = VERIFY_DIFFERS;
}

/* not_found: a line whose message is nowhere in the file */
static void not_found(struct afile *a)
{
	for (size_t k = 0; k < a->ni; k++) {
		struct check_line *c = C(a, k);
		if (a->region_of[k] >= 0 || c->result != VERIFY_ABSENT)
			continue;
		free(c->why);
		c->why = xstrdup("no message in the file is this one (none where the manifest "
				 "says, none elsewhere with its content)");
	}
}

/* gap: lines (k0, k1) and regions (r0, r1) lie between two placed messages */
static void gap(struct afile *a, size_t k0, size_t k1, size_t r0, size_t r1)
{
	size_t lines = 0, regions = 0, lk = 0, lr = 0;
	for (size_t k = k0; k < k1; k++)
		if (a->region_of[k] < 0 && C(a, k)->result == VERIFY_ABSENT)
			lines++, lk = k;
	for (size_t r = r0; r < r1; r++)
		if (!a->claimed[r])
			regions++, lr = r;
	if (lines == 1 && regions == 1)
		pair(a, lk, lr);
}

/* step 3: the gaps between placed messages, when they are in the manifest's order */
static void pair_gaps(struct afile *a)
{
	size_t k0 = 0, r0 = 0;
	for (size_t k = 0; k <= a->ni; k++) {
		if (k < a->ni && a->region_of[k] < 0)
			continue;
		size_t r = k < a->ni ? (size_t)a->region_of[k] : a->nr;
		if (r < r0)
			return;		/* placed out of order: no gaps to speak of */
		gap(a, k0, k, r0, r);
		k0 = k + 1;
		r0 = r + 1;
	}
}

/* shift_before: what was added and taken out of the file before line k's message */
static int64_t shift_before(struct afile *a, size_t k, uint64_t found_at)
{
	int64_t shift = 0;
	for (size_t r = 0; r < a->nr; r++)
		if (!a->claimed[r] && a->r[r].offset < found_at)
			shift += (int64_t)a->r[r].length;
	for (size_t j = 0; j < k; j++) {
		if (a->region_of[j] >= 0)
			shift += (int64_t)a->r[a->region_of[j]].length - (int64_t)W(a, j)->length;
		else
			shift -= (int64_t)W(a, j)->length;
	}
	return shift;
}

/* step 5: a moved message moved by what changed before it, else the offset is wrong */
static void check_offsets(struct afile *a)
{
	for (size_t k = 0; k < a->ni; k++) {
		const struct check_loc *e = W(a, k);
		const struct check_line *l = C(a, k);
		if (a->region_of[k] < 0 || C(a, k)->result != VERIFY_SAME)
			continue;
		const struct mbox_entry *r = &a->r[a->region_of[k]];
		int64_t want = (int64_t)e->offset + shift_before(a, k, r->offset);
		if ((int64_t)r->offset != want || r->length != e->length) {
			struct vproblem p = { .kind = VK_MANIFEST, .source = l->source,
					      .line = l->line };
			p.what = xasprintf("offset %llu and length %llu, but the message is at offset "
					   "%llu, %llu bytes", (unsigned long long)e->offset,
					   (unsigned long long)e->length,
					   (unsigned long long)r->offset, (unsigned long long)r->length);
			a->rep->problem(a->rep->ctx, &p);
			free((char *)p.what);
		}
	}
}

/* step 4: the file's messages no line accounts for */
static void extras(struct afile *a)
{
	const char *folder = a->ni ? C(a, 0)->folder : a->rel;
	for (size_t r = 0; r < a->nr; r++) {
		if (a->claimed[r])
			continue;
		const struct mbox_entry *key = &a->r[r];
		struct vproblem p = { .kind = VK_EXTRA, .folder = folder, .output = a->rel,
				      .has_offset = true, .offset = a->r[r].offset,
				      .length = a->r[r].length,
				      .what = key->from_line ? key->from_line :
					      "bytes that are no message (no From_ line)" };
		a->rep->problem(a->rep->ctx, &p);
	}
}

static int by_offset(const void *x, const void *y, void *ctx)
{
	const struct check_line *l = ctx;
	uint64_t p = l[*(const size_t *)x].want->offset, q = l[*(const size_t *)y].want->offset;
	return p < q ? -1 : p > q;
}

static void align_file(struct afile a, const char *rel, GArray *lines)
{
	a.rel = rel;
	a.idx = (size_t *)lines->data;
	a.ni = lines->len;
	const struct mbox_index *ix = mbox_check_index(a.c, rel);
	if (!ix)
		return;		/* each line already says its file cannot be read */
	a.ix = ix;
	a.r = ix->e;
	a.nr = ix->n;
	g_qsort_with_data(a.idx, (gint)a.ni, sizeof(size_t), by_offset, a.lines);
	a.claimed = xcalloc(a.nr + 1, sizeof(bool));
	a.region_of = xmalloc((a.ni + 1) * sizeof(ssize_t));
	for (size_t k = 0; k < a.ni; k++)
		a.region_of[k] = -1;
	claim_in_place(&a);
	claim_by_content(&a);
	pair_gaps(&a);
	not_found(&a);
	check_offsets(&a);
	extras(&a);
	free(a.claimed);
	free(a.region_of);
}

void mbox_reconcile(struct mail_check *c, struct check_line *l, size_t n,
		    const struct check_report *rep)
{
	struct afile a = { .c = c, .lines = l, .rep = rep };
	GHashTable *files = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						  (GDestroyNotify)g_array_unref);
	GPtrArray *order = g_ptr_array_new();	/* files in manifest order: a stable report */
	for (size_t i = 0; i < n; i++) {
		if (!l[i].exported || !l[i].seen || !l[i].location)
			continue;
		GArray *lines = g_hash_table_lookup(files, l[i].location);
		if (!lines) {
			lines = g_array_new(FALSE, FALSE, sizeof(size_t));
			g_hash_table_insert(files, l[i].location, lines);
			g_ptr_array_add(order, l[i].location);
		}
		g_array_append_val(lines, i);
	}
	for (guint i = 0; i < order->len; i++)
		align_file(a, order->pdata[i], g_hash_table_lookup(files, order->pdata[i]));
	g_ptr_array_free(order, TRUE);
	g_hash_table_destroy(files);
}
