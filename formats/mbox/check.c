/*
 * Reading an mbox output back (core/check.h).  Each message the writer makes is
 *   "From " sender date "\n" "Status: ..\n" "X-Status: ..\n"
 *   Q(T(S(source)) + "\n" if that does not end in one) "\n"
 * where S removes the Status/X-Status header fields, T turns CRLF into LF
 * and Q is mboxrd quoting (README, "mbox").
 *
 * The file is read back with the project's mbox reader (mbox_reader_ops),
 * the one tested against Python's mailbox and Dovecot: it cuts the file
 * into messages, takes the sender and date from the From_ line and the
 * flags from the Status lines, drops the status fields and undoes Q.  So
 * a message verifies when the reader's From_ line, flags and bytes are the
 * source's, S, T and the final LF applied to the source (they cannot be
 * undone: the removed fields are gone, an LF may have been a CRLF).  The
 * reader also hides the fields other mbox programs keep their metadata in
 * (X-UID, Content-Length, ...: mbox_hidden_field); the writer keeps
 * those, so they are left out of the source's side of the bytes too, and
 * the length of the message in the file (which holds them, and every
 * quoting '>') must be exactly what the writer makes of the source: that
 * is what proves them there and every ^>*From_ line quoted.
 */
#include "mbox/check.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/flags.h"
#include "core/outdir.h"
#include "core/reader.h"
#include "core/xalloc.h"
#include "mbox/mbox.h"

/* reader_hides: the mbox reader drops this metadata field (the writer keeps it) */
static bool reader_hides(const unsigned char *line, size_t len)
{
	return mbox_hidden_field(line, len) == MBOX_FIELD_META;
}

/* ---- the source side: S, T and the final LF; what the writer's Q adds ---------- */

/*
 * The normalized source goes to two places: the comparison (or a digest),
 * without the fields the reader hides, and a count of what the writer
 * makes of it: its bytes and the lines Q quotes (^>*From_, one '>' each).
 */
struct norm {
	msg_sink_fn *sink;
	void *ctx;
	bool hide;		/* the current header line is one the reader hides */
	uint64_t bytes;		/* T(S(source)) + final LF */
	uint64_t quotes;	/* lines of it Q quotes */
	bool mid;		/* past the start of a line that is no ^>*From_ */
	unsigned k;		/* letters of "From " matched at a line start */
};

static void count_quotes(struct norm *n, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (n->mid) {
			if (c == '\n')
				n->mid = false;
			continue;
		}
		if (n->k == 0 && c == '>')
			continue;
		if (c == (unsigned char)"From "[n->k]) {
			if (++n->k == 5) {
				n->quotes++;
				n->mid = true;
				n->k = 0;
			}
			continue;
		}
		n->mid = c != '\n';
		n->k = 0;
	}
}

static int norm_push(void *ctx, const void *data, size_t len)
{
	struct norm *n = ctx;
	n->bytes += len;
	count_quotes(n, data, len);
	return n->hide ? 0 : n->sink(n->ctx, data, len);
}

/* push_header: the header block, Status/X-Status fields (and their continuations) left out */
static int push_header(const struct mail_msg *src, struct norm *n, struct vlf *lf)
{
	const unsigned char *p = src->prefix, *end = p + src->head_len;
	bool dropping = false;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (*p != ' ' && *p != '\t') {
			dropping = mbox_is_status_field(p, len);
			n->hide = reader_hides(p, len);
		}
		if (!dropping && vlf_push(lf, p, len) < 0)
			return -1;
		p += len;
	}
	n->hide = false;
	return 0;
}

/* push_source: S, T and the final LF of the source into n; CONV_* */
static int push_source(const struct mail_msg *src, struct norm *n, struct sbuf *err)
{
	struct vlf lf;
	vlf_init(&lf, norm_push, n);
	push_header(src, n, &lf);
	int ret = msg_copy_range(src, src->head_len, vlf_push, &lf, err);
	vlf_finish(&lf);
	if (ret == CONV_OK && lf.last != '\n')
		norm_push(n, "\n", 1);
	return ret;
}

static void norm_init(struct norm *n, msg_sink_fn *sink, void *ctx)
{
	memset(n, 0, sizeof(*n));
	n->sink = sink;
	n->ctx = ctx;
}

/* writer_head: the three lines the writer puts at the top of src */
static void writer_head(const struct mail_msg *src, struct sbuf *out)
{
	char status[8], xstatus[8];
	mbox_from_line(src, out);
	flags_mbox(src->flags, status, xstatus);
	sbuf_addf(out, "\nStatus: %s\nX-Status: %s\n", status, xstatus);
}

static int key_sink(void *ctx, const void *data, size_t len)
{
	g_checksum_update(ctx, data, (gssize)len);
	return 0;
}

static void digest(GChecksum *ck, uint8_t key[32])
{
	gsize n = 32;
	g_checksum_get_digest(ck, key, &n);
}

/* source_key: SHA-256 of the normalized source, and the file length the writer makes of it */
static int source_key(const struct mail_msg *src, uint8_t key[32], uint64_t *writer_len,
		      struct sbuf *err)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	struct norm n;
	norm_init(&n, key_sink, ck);
	int ret = push_source(src, &n, err);
	digest(ck, key);
	g_checksum_free(ck);
	struct sbuf head = SBUF_INIT;
	writer_head(src, &head);
	*writer_len = head.len + n.bytes + n.quotes + 1;
	sbuf_release(&head);
	return ret;
}

/* ---- the output side: the file through the mbox reader ------------------------- */

/* origin_offset: the offset at the end of the reader's origin "<file>:<offset>" */
static uint64_t origin_offset(const char *origin)
{
	const char *colon = strrchr(origin, ':');
	return colon ? strtoull(colon + 1, NULL, 10) : 0;
}

/*
 * The reader on one file: a file SOURCE is one mailbox of one folder.
 * The walk stops at the message at `stop` (UINT64_MAX: none) and hands it
 * to fn, or hands every message to fn.
 */
struct mbox_walk_fn {
	void (*fn)(void *ctx, const struct mail_msg *m, int status, uint64_t offset);
	void *ctx;
	uint64_t stop;
};

static int read_file(const char *path, const struct mbox_walk_fn *w, struct sbuf *err)
{
	/*
	 * The reader is handed the file already open (never through a link,
	 * and at any path length: outputs can be deeper than PATH_MAX)
	 */
	bool absent;
	int fd = verify_open_output(path, &absent, err);
	if (fd < 0)
		return -1;
	char name[64];
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	struct diag d = { .quiet = true };	/* what it warns of is reported as items */
	struct mail_reader *r = mbox_reader_ops.open(name, NULL, &d, err);
	close(fd);		/* the reader has its own descriptor */
	if (!r)
		return -1;
	const struct mail_box *box;
	struct mail_mailbox *mb = NULL;
	const struct mail_folder *f;
	int ret = mbox_reader_ops.next_mailbox(r, &box, err);
	if (ret == CONV_OK)
		mb = mbox_reader_ops.open_mailbox(r, box, &d, NULL, err);
	ret = mb ? mbox_reader_ops.next_folder(mb, &f, err) : -1;
	while (ret == CONV_OK) {
		const struct mail_msg *m;
		struct sbuf merr = SBUF_INIT;
		int st = mbox_reader_ops.next_msg(mb, &m, &merr);
		sbuf_release(&merr);
		if (st == CONV_DONE)
			break;
		if (st != CONV_OK && st != CONV_MSG_BAD) {
			ret = st;
			break;
		}
		uint64_t off = origin_offset(m->origin);
		if (w->stop == UINT64_MAX || off == w->stop)
			w->fn(w->ctx, m, st, off);
		if (off == w->stop)
			break;
	}
	if (mb)
		mbox_reader_ops.close_mailbox(mb);
	mbox_reader_ops.close(r);
	return ret == CONV_OK || ret == CONV_DONE ? 0 : -1;
}

static void add_entry(struct mbox_index *ix, uint64_t offset)
{
	if (ix->n)
		ix->e[ix->n - 1].length = offset - ix->e[ix->n - 1].offset;
	ix->e = xreallocarray(ix->e, ix->n + 1, sizeof(*ix->e));
	memset(&ix->e[ix->n], 0, sizeof(ix->e[ix->n]));
	ix->e[ix->n].offset = offset;
	ix->n++;
}

/* index_msg: one message the reader yields: where, its From_ line, flags and digest */
static void index_msg(void *ctx, const struct mail_msg *m, int status, uint64_t offset)
{
	struct mbox_index *ix = ctx;
	if (!ix->n && offset > 0)	/* bytes before the first From_ line */
		add_entry(ix, 0);
	add_entry(ix, offset);
	struct mbox_entry *e = &ix->e[ix->n - 1];
	struct sbuf from = SBUF_INIT, err = SBUF_INIT;
	mbox_from_line(m, &from);
	e->is_msg = true;
	e->from_line = sbuf_detach(&from);
	e->flags = m->flags;
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	e->readable = status == CONV_OK && msg_copy_range(m, 0, key_sink, ck, &err) == CONV_OK;
	digest(ck, e->key);
	g_checksum_free(ck);
	sbuf_release(&err);
}

int mbox_index_build(const char *path, struct mbox_index *ix, bool *absent, struct sbuf *err)
{
	memset(ix, 0, sizeof(*ix));
	ix->path = xstrdup(path);
	int fd = verify_open_output(path, absent, err);	/* never through a link */
	struct stat st;
	if (fd < 0)
		return -1;
	bool ok = fstat(fd, &st) == 0;
	close(fd);
	if (!ok || !S_ISREG(st.st_mode)) {
		sbuf_adds(err, ok ? "not a regular file" : strerror(errno));
		return -1;
	}
	ix->size = (uint64_t)st.st_size;
	struct mbox_walk_fn w = { index_msg, ix, UINT64_MAX };
	if (read_file(path, &w, err) < 0)
		return -1;
	if (!ix->n && ix->size)	/* no From_ line at all */
		add_entry(ix, 0);
	if (ix->n)
		ix->e[ix->n - 1].length = ix->size - ix->e[ix->n - 1].offset;
	return 0;
}

void mbox_index_release(struct mbox_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->e[i].from_line);
	free(ix->e);
	free(ix->path);
	memset(ix, 0, sizeof(*ix));
}

const struct mbox_entry *mbox_index_at(const struct mbox_index *ix, uint64_t offset)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ix->e[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && ix->e[lo].offset == offset ? &ix->e[lo] : NULL;
}

/* ---- one message ------------------------------------------------------------------ */

/* the reader's bytes of a message, pulled */
struct msg_pull {
	struct vpull base;
	const struct mail_msg *m;
	uint64_t pos;
};

static ssize_t msg_pull_read(struct vpull *p, unsigned char *buf, size_t n)
{
	struct msg_pull *mp = (struct msg_pull *)p;
	if (mp->pos >= mp->m->size)
		return 0;
	if (n > mp->m->size - mp->pos)
		n = (size_t)(mp->m->size - mp->pos);
	ssize_t got = msg_read(mp->m, buf, n, mp->pos);
	if (got > 0)
		mp->pos += (uint64_t)got;
	return got;
}

struct diff_ctx {
	const struct mail_msg *src;
	struct sbuf *why;
	bool done;
};

/* diff_msg: the reader's message against the normalized source, naming where they part */
static void diff_msg(void *ctx, const struct mail_msg *m, int status, uint64_t offset)
{
	(void)status;
	(void)offset;
	struct diff_ctx *d = ctx;
	struct msg_pull out = { { msg_pull_read }, m, 0 };
	struct vcmp c;
	vcmp_init(&c, &out.base);
	struct norm n;
	norm_init(&n, vcmp_push, &c);
	struct sbuf err = SBUF_INIT;
	if (push_source(d->src, &n, &err) == CONV_OK)
		vcmp_finish(&c, "the message (mboxrd quoting undone)",
			    "the source (Status fields removed, CRLF turned into LF)", d->why);
	else
		vcmp_abort(&c);
	sbuf_release(&err);
	d->done = true;
}

static void add_problem(struct sbuf *why, const char *what)
{
	if (why->len)
		sbuf_adds(why, "; ");
	sbuf_adds(why, what);
}

/* check_head: the reader's From_ line and flags, then the file's lines at the top */
static void check_head(const struct mail_msg *src, const struct mbox_index *ix,
		       const struct mbox_entry *e, struct sbuf *why)
{
	struct sbuf want = SBUF_INIT, w = SBUF_INIT;
	mbox_from_line(src, &want);
	if (strcmp(e->from_line, want.buf)) {
		sbuf_addf(&w, "the From_ line is '%s', the writer makes '%s'", e->from_line, want.buf);
		add_problem(why, w.buf);
	} else if (e->flags != src->flags) {
		char got[64], src_flags[64];
		verify_flag_names(e->flags, got);
		verify_flag_names(src->flags, src_flags);
		sbuf_addf(&w, "the Status/X-Status lines say '%s', the source's flags are '%s'",
			  got, src_flags);
		add_problem(why, w.buf);
	} else {		/* the reader is lenient; the writer's lines are exact */
		sbuf_reset(&want);
		writer_head(src, &want);
		char *got = xmalloc(want.len);
		bool absent;
		int fd = verify_open_output(ix->path, &absent, &w);
		bool same = fd >= 0 && pread(fd, got, want.len, (off_t)e->offset) ==
					       (ssize_t)want.len && !memcmp(got, want.buf, want.len);
		if (fd >= 0)
			close(fd);
		if (!same) {
			sbuf_reset(&w);
			sbuf_addf(&w, "the Status/X-Status lines are not the writer's ('%.*s')",
				  (int)(want.len - 1), want.buf + strlen(e->from_line) + 1);
			add_problem(why, w.buf);
		}
		free(got);
	}
	sbuf_release(&want);
	sbuf_release(&w);
}

/* place: is there a message at [offset, offset+length)? */
static const struct mbox_entry *place(const struct mbox_index *ix, uint64_t offset,
				      uint64_t length, struct sbuf *why)
{
	if (offset >= ix->size || length > ix->size - offset) {
		sbuf_addf(why, "the file has %llu bytes, the manifest puts the message at "
			  "%llu..%llu", (unsigned long long)ix->size,
			  (unsigned long long)offset, (unsigned long long)offset + length);
		return NULL;
	}
	const struct mbox_entry *e = mbox_index_at(ix, offset);
	if (!e || !e->is_msg) {
		sbuf_addf(why, "no message starts at offset %llu", (unsigned long long)offset);
		return NULL;
	}
	if (e->length != length) {
		sbuf_addf(why, "the message at offset %llu does not end after %llu bytes",
			  (unsigned long long)offset, (unsigned long long)length);
		return NULL;
	}
	return e;
}

int verify_mbox(const struct mail_msg *src, const struct mbox_index *ix, uint64_t offset,
		uint64_t length, uint8_t key_r[32], uint64_t *len_r, struct sbuf *why)
{
	struct sbuf err = SBUF_INIT;
	uint64_t wlen;
	const struct mbox_entry *e = place(ix, offset, length, why);
	int got = source_key(src, key_r, &wlen, &err);
	*len_r = got == CONV_OK ? wlen : 0;
	if (got != CONV_OK) {
		sbuf_reset(why);
		sbuf_adds(why, err.buf);
		sbuf_release(&err);
		return VERIFY_SOURCE_BAD;
	}
	sbuf_release(&err);
	if (!e)
		return VERIFY_ABSENT;
	check_head(src, ix, e, why);
	if (!e->readable) {
		add_problem(why, "the mbox reader cannot read it");
	} else if (memcmp(e->key, key_r, 32)) {
		struct sbuf w = SBUF_INIT;
		struct diff_ctx d = { src, &w, false };
		struct mbox_walk_fn fn = { diff_msg, &d, offset };
		if (read_file(ix->path, &fn, &w) < 0 || !d.done || !w.len)
			sbuf_adds(&w, "the message (mboxrd quoting undone) differs from the source");
		add_problem(why, w.buf);
		sbuf_release(&w);
	}
	if (e->length != wlen) {	/* what the reader hides or unquotes is counted here */
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "it takes %llu bytes of the file, the writer makes %llu of the source "
			  "(From_ and Status lines, mboxrd quoting, the empty line after it): a line "
			  "is quoted wrongly, or it runs into another message",
			  (unsigned long long)e->length, (unsigned long long)wlen);
		add_problem(why, w.buf);
		sbuf_release(&w);
	}
	return why->len ? VERIFY_DIFFERS : VERIFY_SAME;
}

/* ---- the read-back ops ---------------------------------------------------------- */

/*
 * Where the writer puts a message: <domain>/<mailbox>/<folder parts,
 * escaped>.mbox, at the offset the manifest gives.  Each file is read
 * through the reader once, into an index (a few dozen bytes a message).
 */
struct mbox_slot {
	struct mbox_index ix;
	bool ok, absent;
	char *err;
};

struct mbox_check {
	struct mail_check base;
	GHashTable *files;	/* relative to DIR -> struct mbox_slot */
};

static void slot_free(void *p)
{
	struct mbox_slot *s = p;
	mbox_index_release(&s->ix);
	free(s->err);
	free(s);
}

static struct mbox_slot *slot(struct mail_check *c, const char *rel)
{
	struct mbox_check *m = (struct mbox_check *)c;
	struct mbox_slot *s = g_hash_table_lookup(m->files, rel);
	if (s)
		return s;
	s = xcalloc(1, sizeof(*s));
	char *path = check_path(c, rel);
	struct sbuf err = SBUF_INIT;
	s->ok = mbox_index_build(path, &s->ix, &s->absent, &err) == 0;
	s->err = sbuf_detach(&err);
	free(path);
	g_hash_table_insert(m->files, xstrdup(rel), s);
	return s;
}

const struct mbox_index *mbox_check_index(struct mail_check *c, const char *rel)
{
	struct mbox_slot *s = slot(c, rel);
	return s->ok ? &s->ix : NULL;
}

static struct mail_check *mbox_check_open(const char *dir, const char *out_rel,
					  struct sbuf *err)
{
	(void)err;		/* nothing is opened before a message names its file */
	struct mbox_check *m = xcalloc(1, sizeof(*m));
	check_init(&m->base, &mbox_check_ops, dir, out_rel);
	m->files = g_hash_table_new_full(g_str_hash, g_str_equal, free, slot_free);
	return &m->base;
}

static void mbox_check_close(struct mail_check *c)
{
	struct mbox_check *m = (struct mbox_check *)c;
	g_hash_table_destroy(m->files);
	check_release(c);
	free(m);
}

/* fs_parts: "/<part>" for every '/'-separated part of a folder path, each
 * escaped as the writer names files (empty parts skipped) in room bytes */
static void fs_parts(struct sbuf *out, const char *folder, size_t room)
{
	char *copy = xstrdup(folder), *save = NULL;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		sbuf_addch(out, '/');
		fsname_escape_room(out, p, room);
	}
	free(copy);
}

static void mbox_locate(const struct mail_check *c, const char *folder,
			const struct mail_msg *msg, struct check_loc *loc)
{
	(void)msg;
	struct sbuf s = SBUF_INIT;
	sbuf_adds(&s, c->out_rel);
	fs_parts(&s, folder, FSNAME_MBOX_ROOM);
	sbuf_adds(&s, ".mbox");
	loc->file = sbuf_detach(&s);
}

/* a folder's messages are all in its file */
static void mbox_container(const struct check_loc *loc, struct sbuf *out)
{
	sbuf_adds(out, loc->file);
}

static int mbox_compare(struct mail_check *c, struct check_line *l, const struct mail_msg *m,
			struct sbuf *why)
{
	struct mbox_slot *s = slot(c, l->location);
	if (!s->ok) {
		sbuf_adds(why, s->absent ? "no such file" : s->err);
		return s->absent ? VERIFY_ABSENT : VERIFY_DIFFERS;
	}
	int ret = verify_mbox(m, &s->ix, l->want->offset, l->want->length, l->key,
			      &l->item_len, why);
	l->has_key = ret != VERIFY_SOURCE_BAD;
	struct sbuf from = SBUF_INIT;
	mbox_from_line(m, &from);
	free(l->head);
	l->head = sbuf_detach(&from);
	l->flags = m->flags;
	if (ret == VERIFY_SAME || ret == VERIFY_DIFFERS) {	/* a message is where it says */
		l->found_at = l->want->offset;
		l->found_len = l->want->length;
		l->claimed = true;
	}
	return ret;
}

struct mbox_walk {
	struct mail_check *c;
	const struct check_lister *l;
};

/* one file of the tree: an .mbox file holds the messages the reader finds in it;
 * any other file is extra */
static void mbox_list_file(void *ctx, const char *rel, const struct stat *st)
{
	struct mbox_walk *w = ctx;
	if (w->l->known_file(w->l->ctx, rel))
		return;		/* reconcile went through it */
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	const struct mbox_index *ix = S_ISREG(st->st_mode) && g_str_has_suffix(base, ".mbox") ?
				      mbox_check_index(w->c, rel) : NULL;
	if (ix) {
		for (size_t i = 0; i < ix->n; i++) {
			const struct mbox_entry *e = &ix->e[i];
			struct check_item it = { .file = rel, .has_range = true,
						 .offset = e->offset, .length = e->length,
						 .container = rel,
						 .what = e->is_msg ? e->from_line :
							 "bytes that are no message" };
			w->l->item(w->l->ctx, &it);
		}
		return;
	}
	char *dir = check_dir_of(rel);
	struct check_item it = { .file = rel, .container = dir,
				 .what = S_ISREG(st->st_mode) ? "a file no manifest line names" :
					 "not a regular file" };
	w->l->item(w->l->ctx, &it);
	free(dir);
}

static void mbox_list(struct mail_check *c, const struct check_lister *l)
{
	struct mbox_walk w = { c, l };
	check_walk(c, c->out_rel, mbox_list_file, &w);
}

static const char *const mbox_loc_keys[] = { "offset", "length", NULL };

const struct mail_check_ops mbox_check_ops = {
	.name = "mbox",
	.loc_keys = mbox_loc_keys,
	.open = mbox_check_open,
	.close = mbox_check_close,
	.locate = mbox_locate,
	.container = mbox_container,
	.compare = mbox_compare,
	.reconcile = mbox_reconcile,
	.list = mbox_list,
};
