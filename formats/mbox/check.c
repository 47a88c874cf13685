/*
 * Reading an mbox output back (core/check.h).  Each message the writer makes is
 *   "From " sender date "\n" "Status: ..\n" "X-Status: ..\n"
 *   Q(T(S(source)) + "\n" if that does not end in one) "\n"
 * where S removes the Status/X-Status header fields, T turns CRLF into LF
 * and Q is mboxrd quoting (README, "mbox").  Q is undone exactly here (a
 * line ^>+From  loses one '>'); the three lines at the top are read and
 * checked against the source; S, T and the final LF cannot be undone (the
 * removed fields are gone, an LF may have been a CRLF, a final LF may have
 * been added), so they are applied to the source instead, and the two
 * results must be equal byte for byte.
 *
 * An unquoted "From " at the start of a line inside a message cannot come
 * from the writer (it quotes every one), so it is where the next message
 * starts: that is how a file is cut into messages (verify_mbox_scan).
 */
#include "mbox/check.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/outdir.h"
#include "core/xalloc.h"
#include "mbox/mbox.h"

#define HEAD_CAP (256 * 1024)	/* a From_ line and two status lines fit */


/* ---- the source side: S, T and the final LF ------------------------------- */


/* push_header: the header block, Status/X-Status fields (and their continuations) left out */
static int push_header(const struct mail_msg *src, struct vlf *lf)
{
	const unsigned char *p = src->prefix, *end = p + src->head_len;
	bool dropping = false;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (*p != ' ' && *p != '\t')
			dropping = mbox_is_status_field(p, len);
		if (!dropping && vlf_push(lf, p, len) < 0)
			return -1;
		p += len;
	}
	return 0;
}

/* push_source: S, T and the final LF of the source into sink; CONV_* */
static int push_source(const struct mail_msg *src, msg_sink_fn *sink, void *ctx,
		       struct sbuf *err)
{
	struct vlf lf;
	vlf_init(&lf, sink, ctx);
	push_header(src, &lf);
	int ret = msg_copy_range(src, src->head_len, vlf_push, &lf, err);
	vlf_finish(&lf);
	if (ret == CONV_OK && lf.last != '\n')
		sink(ctx, "\n", 1);
	return ret;
}

/* ---- the output side: the three lines at the top, then Q undone ------------- */

struct mbox_head {
	struct sbuf from;	/* the From_ line, without "\n" */
	unsigned flags;
	bool status_ok;
	struct sbuf problem;	/* what is wrong with the status lines */
	uint64_t body;		/* file offset of the first byte after them */
};

/* status_letters: flags from the letters after "Status: " or "X-Status: " */
static bool status_letters(const char *p, size_t n, bool xstatus, unsigned *flags)
{
	bool saw_o = false;
	for (size_t i = 0; i < n; i++) {
		const struct flag_map *f = flag_table;
		while (f->flag && (xstatus ? f->mbox_xstatus : f->mbox_status) != p[i])
			f++;
		if (!xstatus && p[i] == 'O' && !saw_o) {
			saw_o = true;
			continue;
		}
		if (!f->flag || (*flags & f->flag))
			return false;	/* unknown or repeated */
		*flags |= f->flag;
	}
	return xstatus || saw_o;
}

/* head_line: the line at buf[*pos] (without "\n"); false when there is no complete line */
static bool head_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	if (!nl)
		return false;
	*line = buf + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return true;
}

static void parse_status(const char *buf, size_t len, size_t *pos, struct mbox_head *h)
{
	static const char *const names[] = { "Status: ", "X-Status: " };
	h->status_ok = true;
	for (int i = 0; i < 2; i++) {
		size_t at = *pos;
		const char *line;
		size_t n, k = strlen(names[i]);
		if (!head_line(buf, len, &at, &line, &n) || n < k || memcmp(line, names[i], k)) {
			sbuf_addf(&h->problem, "no %sline where the writer puts it", names[i]);
			h->status_ok = false;
			return;
		}
		if (!status_letters(line + k, n - k, i == 1, &h->flags)) {
			sbuf_addf(&h->problem, "the %sline '%.*s' is not one the writer makes",
				  names[i], (int)n, line);
			h->status_ok = false;
		}
		*pos = at;
	}
}

static void head_init(struct mbox_head *h)
{
	memset(h, 0, sizeof(*h));
	sbuf_init(&h->from);
	sbuf_init(&h->problem);
}

static void head_release(struct mbox_head *h)
{
	sbuf_release(&h->from);
	sbuf_release(&h->problem);
}

/* read_head: the lines at the top of the message at [offset, end) */
static int read_head(int fd, uint64_t offset, uint64_t end, struct mbox_head *h,
		     struct sbuf *err)
{
	size_t want = end - offset < HEAD_CAP ? (size_t)(end - offset) : HEAD_CAP;
	char *buf = xmalloc(want + 1);
	ssize_t got = pread(fd, buf, want, (off_t)offset);
	if (got < 0) {
		sbuf_addf(err, "cannot read the mbox file: %s", strerror(errno));
		free(buf);
		return -1;
	}
	size_t pos = 0, n;
	const char *line;
	if (head_line(buf, (size_t)got, &pos, &line, &n) && n >= 5 && !memcmp(line, "From ", 5)) {
		sbuf_add(&h->from, line, n);
		parse_status(buf, (size_t)got, &pos, h);
	} else {
		sbuf_adds(&h->problem, "no From_ line");
		pos = 0;
	}
	h->body = offset + pos;
	free(buf);
	return 0;
}

/*
 * Q undone, as a pull stream over the body bytes: at the start of a line,
 * one '>' is held back; if "From " follows it is dropped, otherwise
 * written.  At most one '>' and four letters are ever held.
 */
enum unq_state { U_START, U_GT, U_FROM, U_MID };

struct vunq {
	struct vpull base;
	struct vfile_pull raw;
	enum unq_state state;
	bool held_gt;		/* a '>' held back at the start of a line */
	unsigned matched;	/* letters of "From " held back */
	bool eof;
	uint64_t produced;	/* unquoted bytes so far */
	uint64_t boundary;	/* where an unquoted "From " line starts; UINT64_MAX: none */
	size_t out_len, out_pos;
	unsigned char in[8192];
	unsigned char out[8192 + 8];
};

static void put(struct vunq *u, const char *p, size_t n)
{
	memcpy(u->out + u->out_len, p, n);
	u->out_len += n;
	u->produced += n;
}

static void flush_held(struct vunq *u)
{
	if (u->held_gt)
		put(u, ">", 1);
	put(u, "From ", u->matched);
	u->held_gt = false;
	u->matched = 0;
}

/* plain: a byte that is not part of a ^>*From  prefix */
static void plain(struct vunq *u, char c)
{
	put(u, &c, 1);
	u->state = c == '\n' ? U_START : U_MID;
}

static void unq_byte(struct vunq *u, char c)
{
	switch (u->state) {
	case U_START:
	case U_GT:
		if (c == '>') {
			if (u->held_gt)
				put(u, ">", 1);
			u->held_gt = true;
			u->state = U_GT;
		} else if (c == 'F') {
			u->matched = 1;
			u->state = U_FROM;
		} else {
			flush_held(u);
			plain(u, c);
		}
		return;
	case U_FROM:
		if (c == "From "[u->matched] && ++u->matched < 5)
			return;
		if (u->matched == 5) {
			if (!u->held_gt && u->boundary == UINT64_MAX)
				u->boundary = u->produced;
			u->held_gt = false;	/* the quoting '>' is dropped */
			flush_held(u);
			u->state = U_MID;
			return;
		}
		flush_held(u);
		plain(u, c);
		return;
	case U_MID:
		plain(u, c);
		return;
	}
}

static ssize_t unq_read(struct vpull *p, unsigned char *buf, size_t n)
{
	struct vunq *u = (struct vunq *)p;
	while (u->out_pos == u->out_len && !u->eof) {
		u->out_pos = u->out_len = 0;
		ssize_t got = u->raw.base.read(&u->raw.base, u->in, sizeof(u->in));
		if (got < 0)
			return -1;
		if (got == 0) {
			flush_held(u);
			u->eof = true;
		}
		for (ssize_t i = 0; i < got; i++)
			unq_byte(u, (char)u->in[i]);
	}
	size_t avail = u->out_len - u->out_pos;
	if (n > avail)
		n = avail;
	memcpy(buf, u->out + u->out_pos, n);
	u->out_pos += n;
	return (ssize_t)n;
}

static void vunq_init(struct vunq *u, int fd, uint64_t from, uint64_t to)
{
	memset(u, 0, offsetof(struct vunq, in));
	u->base.read = unq_read;
	vfile_pull_init(&u->raw, fd, from, to);
	u->state = U_START;
	u->boundary = UINT64_MAX;
}

/* ---- one message -------------------------------------------------------------- */

static bool byte_at(int fd, uint64_t off, char *c)
{
	return pread(fd, c, 1, (off_t)off) == 1;
}

static bool from_at(int fd, uint64_t off)
{
	char b[5];
	return pread(fd, b, 5, (off_t)off) == 5 && !memcmp(b, "From ", 5);
}

/* boundaries: does a message start at offset and end at offset+length? */
static int boundaries(int fd, uint64_t file_size, uint64_t offset, uint64_t length,
		      struct sbuf *why)
{
	char before;
	if (offset >= file_size || length > file_size - offset) {
		sbuf_addf(why, "the file has %llu bytes, the manifest puts the message at "
			  "%llu..%llu", (unsigned long long)file_size,
			  (unsigned long long)offset, (unsigned long long)offset + length);
		return -1;
	}
	if (!from_at(fd, offset) || (offset && (!byte_at(fd, offset - 1, &before) ||
						before != '\n'))) {
		sbuf_addf(why, "no message starts at offset %llu", (unsigned long long)offset);
		return -1;
	}
	uint64_t end = offset + length;
	if (end < file_size && !from_at(fd, end)) {
		sbuf_addf(why, "the message at offset %llu does not end after %llu bytes",
			  (unsigned long long)offset, (unsigned long long)length);
		return -1;
	}
	return 0;
}

static int key_sink(void *ctx, const void *data, size_t len)
{
	g_checksum_update(ctx, data, (gssize)len);
	return 0;
}

/* source_key: SHA-256 of the source with S, T and the final LF applied */
static int source_key(const struct mail_msg *src, uint8_t key[32], struct sbuf *err)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	int ret = push_source(src, key_sink, ck, err);
	gsize n = 32;
	g_checksum_get_digest(ck, key, &n);
	g_checksum_free(ck);
	return ret;
}

static void add_problem(struct sbuf *why, const char *what)
{
	if (why->len)
		sbuf_adds(why, "; ");
	sbuf_adds(why, what);
}

/* check_head: the From_ line and the flags against the source */
static void check_head(const struct mail_msg *src, const struct mbox_head *h,
		       struct sbuf *why)
{
	struct sbuf want = SBUF_INIT, w = SBUF_INIT;
	mbox_from_line(src, &want);
	if (strcmp(h->from.buf, want.buf)) {
		sbuf_addf(&w, "the From_ line is '%s', the writer makes '%s'", h->from.buf, want.buf);
		add_problem(why, w.buf);
	}
	if (h->problem.len) {
		add_problem(why, h->problem.buf);
	} else if (h->flags != src->flags) {
		char got[64], src_flags[64];
		verify_flag_names(h->flags, got);
		verify_flag_names(src->flags, src_flags);
		sbuf_reset(&w);
		sbuf_addf(&w, "the Status/X-Status lines say '%s', the source's flags are '%s'",
			  got, src_flags);
		add_problem(why, w.buf);
	}
	sbuf_release(&want);
	sbuf_release(&w);
}

/* compare_body: the unquoted body against the source; the last byte must be the separator */
static int compare_body(const struct mail_msg *src, int fd, uint64_t from, uint64_t end,
			uint8_t key[32], struct sbuf *why)
{
	char last = '\0';
	bool sep = end > from && byte_at(fd, end - 1, &last) && last == '\n';
	struct vunq u;
	vunq_init(&u, fd, from, sep ? end - 1 : end);
	struct vcmp c;
	vcmp_init(&c, &u.base);
	struct sbuf err = SBUF_INIT, w = SBUF_INIT;
	int ret = push_source(src, vcmp_push, &c, &err);
	if (ret != CONV_OK) {
		vcmp_abort(&c);
		sbuf_reset(why);
		sbuf_adds(why, err.buf);
		sbuf_release(&err);
		return VERIFY_SOURCE_BAD;
	}
	bool same = vcmp_finish(&c, "the message (mboxrd quoting undone)",
				"the source (Status fields removed, CRLF turned into LF)", &w);
	memcpy(key, c.src_digest, 32);
	if (!same)
		add_problem(why, w.buf);
	if (u.boundary != UINT64_MAX)
		add_problem(why, "an unquoted From_ line inside it: it runs into another message");
	if (!sep)
		add_problem(why, "no empty line after it");
	sbuf_release(&err);
	sbuf_release(&w);
	return same && sep && u.boundary == UINT64_MAX ? VERIFY_SAME : VERIFY_DIFFERS;
}

int verify_mbox(const struct mail_msg *src, int fd, uint64_t file_size, uint64_t offset,
		uint64_t length, uint8_t key_r[32], struct sbuf *why)
{
	struct sbuf err = SBUF_INIT;
	if (boundaries(fd, file_size, offset, length, why) < 0) {
		int ret = source_key(src, key_r, &err);
		if (ret != CONV_OK) {
			sbuf_reset(why);
			sbuf_adds(why, err.buf);
		}
		sbuf_release(&err);
		return ret == CONV_OK ? VERIFY_ABSENT : VERIFY_SOURCE_BAD;
	}
	struct mbox_head h;
	head_init(&h);
	int ret = read_head(fd, offset, offset + length, &h, why);
	if (ret == 0) {
		check_head(src, &h, why);
		ret = compare_body(src, fd, h.body, offset + length, key_r, why);
		if (ret == VERIFY_SAME && why->len)
			ret = VERIFY_DIFFERS;
	} else {
		ret = VERIFY_DIFFERS;
	}
	head_release(&h);
	sbuf_release(&err);
	return ret;
}

/* ---- whole files -------------------------------------------------------------- */

static void add_region(struct mbox_region **r, size_t *n, uint64_t offset)
{
	if (*n)
		(*r)[*n - 1].length = offset - (*r)[*n - 1].offset;
	*r = xreallocarray(*r, *n + 1, sizeof(**r));
	(*r)[*n].offset = offset;
	(*r)[*n].length = 0;
	(*n)++;
}

int verify_mbox_scan(int fd, struct mbox_region **r, size_t *n, struct sbuf *err)
{
	static const char pat[] = "\nFrom ";
	*r = NULL;
	*n = 0;
	unsigned char buf[65536 + 8];
	size_t keep = 0;	/* bytes carried over from the last chunk */
	uint64_t base = 0;	/* file offset of buf[0] */
	bool at_start = true;
	for (;;) {
		ssize_t got = pread(fd, buf + keep, sizeof(buf) - 8 - keep, (off_t)(base + keep));
		if (got < 0) {
			sbuf_addf(err, "cannot read the mbox file: %s", strerror(errno));
			free(*r);
			*r = NULL;
			*n = 0;
			return -1;
		}
		size_t len = keep + (size_t)got;
		if (at_start && len) {	/* bytes before a first "From " are a region too */
			add_region(r, n, 0);
			at_start = false;
		}
		for (size_t i = 0; i + 6 <= len; i++)
			if (buf[i] == '\n' && !memcmp(buf + i, pat, 6))
				add_region(r, n, base + i + 1);
		if (got == 0) {
			if (*n)
				(*r)[*n - 1].length = base + len - (*r)[*n - 1].offset;
			return 0;
		}
		keep = len < 5 ? len : 5;	/* a "\nFrom " cut by the chunk's end */
		memmove(buf, buf + len - keep, keep);
		base += len - keep;
	}
}

static int region_sink(void *ctx, const void *data, size_t len)
{
	g_checksum_update(ctx, data, (gssize)len);
	return 0;
}

int verify_mbox_region_key(int fd, const struct mbox_region *r, struct mbox_region_key *k,
			   struct sbuf *err)
{
	memset(k, 0, sizeof(*k));
	struct mbox_head h;
	head_init(&h);
	uint64_t end = r->offset + r->length;
	if (read_head(fd, r->offset, end, &h, err) < 0) {
		head_release(&h);
		return -1;
	}
	k->from_line = h.from.len ? xstrdup(h.from.buf) : NULL;
	k->flags = h.flags;
	k->status_ok = h.status_ok;
	char last = '\0';
	bool sep = end > h.body && byte_at(fd, end - 1, &last) && last == '\n';
	struct vunq u;
	vunq_init(&u, fd, h.body, sep ? end - 1 : end);
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char buf[8192];
	ssize_t got;
	while ((got = unq_read(&u.base, buf, sizeof(buf))) > 0)
		region_sink(ck, buf, (size_t)got);
	gsize n = 32;
	g_checksum_get_digest(ck, k->key, &n);
	g_checksum_free(ck);
	head_release(&h);
	if (got < 0) {
		sbuf_addf(err, "cannot read the mbox file: %s", strerror(errno));
		mbox_region_key_release(k);
		return -1;
	}
	return 0;
}

void mbox_region_key_release(struct mbox_region_key *k)
{
	free(k->from_line);
	k->from_line = NULL;
}

/* ---- the read-back ops ---------------------------------------------------------- */

/*
 * Where the writer puts a message: <domain>/<mailbox>/<folder parts,
 * escaped>.mbox, at the offset the manifest gives.
 */
struct mbox_check {
	struct mail_check base;
	char *open_rel;		/* the mbox file open in fd (relative to DIR) */
	int fd;
	uint64_t size;
};

static struct mail_check *mbox_check_open(const char *dir, const char *out_rel,
					  struct sbuf *err)
{
	(void)err;		/* nothing is opened before a message names its file */
	struct mbox_check *m = xcalloc(1, sizeof(*m));
	check_init(&m->base, &mbox_check_ops, dir, out_rel);
	m->fd = -1;
	return &m->base;
}

static void mbox_check_close(struct mail_check *c)
{
	struct mbox_check *m = (struct mbox_check *)c;
	if (m->fd >= 0)
		close(m->fd);
	free(m->open_rel);
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

/* file_fd: the mbox file rel, open (one at a time: a folder's messages share it) */
static int file_fd(struct mbox_check *m, const char *rel, struct sbuf *why)
{
	if (m->open_rel && !strcmp(m->open_rel, rel))
		return m->fd;
	if (m->fd >= 0)
		close(m->fd);
	free(m->open_rel);
	m->open_rel = xstrdup(rel);
	char *path = check_path(&m->base, rel);
	bool absent;
	m->fd = verify_open_output(path, &absent, why);
	free(path);
	struct stat st;
	m->size = m->fd >= 0 && fstat(m->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return m->fd;
}

static int mbox_compare(struct mail_check *c, struct check_line *l, const struct mail_msg *m,
			struct sbuf *why)
{
	struct mbox_check *mc = (struct mbox_check *)c;
	int fd = file_fd(mc, l->location, why);
	if (fd < 0)
		return VERIFY_ABSENT;
	int ret = verify_mbox(m, fd, mc->size, l->want->offset, l->want->length, l->key, why);
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

/* list_regions: every message of a file no line names */
static void list_regions(const struct check_lister *l, const char *rel, int fd)
{
	struct mbox_region *r;
	size_t n;
	struct sbuf err = SBUF_INIT;
	if (verify_mbox_scan(fd, &r, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct mbox_region_key k;
			struct check_item it = { .file = rel, .has_range = true,
						 .offset = r[i].offset, .length = r[i].length,
						 .container = rel };
			if (verify_mbox_region_key(fd, &r[i], &k, &err) == 0)
				it.what = k.from_line ? k.from_line : "bytes that are no message";
			l->item(l->ctx, &it);
			mbox_region_key_release(&k);
		}
		free(r);
	}
	sbuf_release(&err);
}

struct mbox_walk {
	struct mail_check *c;
	const struct check_lister *l;
};

/* one file of the tree: an .mbox file holds messages, any other file is extra */
static void mbox_list_file(void *ctx, const char *rel, const struct stat *st)
{
	struct mbox_walk *w = ctx;
	if (w->l->known_file(w->l->ctx, rel))
		return;		/* reconcile went through it */
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	if (S_ISREG(st->st_mode) && g_str_has_suffix(base, ".mbox")) {
		char *path = check_path(w->c, rel);
		int fd = path_open(path, O_RDONLY);
		if (fd >= 0) {
			list_regions(w->l, rel, fd);
			close(fd);
		}
		free(path);
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
