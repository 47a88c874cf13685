/*
 * The mbox reader: SOURCE is one mbox file (one mailbox, folder INBOX) or a
 * tree of them (Thunderbird's "Inbox" and "Inbox.sbd/Work", mutt's and
 * Dovecot's "inbox" and "Lists/foo", this project's writer's "INBOX.mbox"
 * and "INBOX/Projects.mbox"), read as one mailbox: every mbox file is a
 * folder (README, "An mbox as SOURCE").
 *
 * A folder is read in one pass that indexes its messages (offsets, lengths,
 * flags, UID, date: a few dozen bytes each, never their bytes).  A message
 * is then handed out as a body of its own (struct mb_body) that streams
 * its bytes from the file through a filter:
 *   - the metadata fields the mbox keeps in the header (Status, X-UID,
 *     X-Mozilla-Status, Content-Length, ...: hidden_fields) are dropped;
 *   - a line ">From ", ">>From ", ... loses one '>' (mboxrd), except in the
 *     body of a message whose Content-Length: is exact (Dovecot, mboxcl2:
 *     their bodies are not quoted, the length says where they end).
 * The index pass and every read run the same per-line decision
 * (xform_line), so the length the index gives is the length read.
 *
 * Nothing here writes: a directory SOURCE is opened O_DIRECTORY, everything
 * below it with openat() relative to its parent's descriptor and O_NOFOLLOW
 * (and O_NOATIME where permitted); a symbolic link is a warning and is
 * skipped.
 */
#include "mbox/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/onebox.h"
#include "core/recsort.h"
#include "core/outdir.h"
#include "core/srcdir.h"
#include "core/sysio.h"
#include "core/xalloc.h"

#define SCAN_BUF (64 * 1024)	/* what one reader of a file buffers */
#define PEEK 1024		/* a line's first bytes, enough to tell what it is */
#define MAX_DEPTH 64		/* folder nesting followed in a tree */

/* ---- files and directories ------------------------------------------------------ */

/* starts_mbox: the open file is empty or starts with "From " (1), else 0; -1 (errno) */
static int starts_mbox(int fd)
{
	char head[5];
	ssize_t n;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	return n == 0 || (n == 5 && !memcmp(head, "From ", 5));
}

/* ---- a forward reader over a range of a file ---------------------------------------- */

/*
 * scan: reads [pos, limit) of a file in pieces: a piece ends at the end of
 * its line or of the buffer, and one that starts a line holds at least
 * PEEK bytes of it (or all there is), so the kind of every line is told
 * from the same bytes wherever the reading started.
 */
struct scan {
	int fd;
	uint64_t limit;
	uint64_t base;		/* file offset of buf[0] */
	size_t at, end;		/* buf[at..end) is not taken yet */
	bool bol;		/* base + at starts a line */
	unsigned char *buf;	/* SCAN_BUF bytes, from the first read on */
};

struct piece {
	const unsigned char *p;
	size_t len;
	bool bol;
};

static void scan_seek(struct scan *s, uint64_t pos, bool bol)
{
	if (pos >= s->base && pos <= s->base + s->end) {
		s->at = (size_t)(pos - s->base);
	} else {
		s->base = pos;
		s->at = s->end = 0;
	}
	s->bol = bol;
}

static void scan_start(struct scan *s, int fd, uint64_t from, uint64_t limit)
{
	s->fd = fd;
	s->limit = limit;
	s->base = from;
	s->at = s->end = 0;
	s->bol = true;
}

static uint64_t scan_pos(const struct scan *s)
{
	return s->base + s->at;
}

/* scan_fill: min(want, what is left) bytes buffered: 0, or -1 (errno; ENODATA: file too short) */
static int scan_fill(struct scan *s, size_t want)
{
	uint64_t pos = scan_pos(s);
	uint64_t left = s->limit > pos ? s->limit - pos : 0;
	if (want > left)
		want = (size_t)left;
	if (s->end - s->at >= want)
		return 0;
	if (!s->buf)
		s->buf = xmalloc(SCAN_BUF);
	memmove(s->buf, s->buf + s->at, s->end - s->at);
	s->end -= s->at;
	s->base = pos;
	s->at = 0;
	size_t room = SCAN_BUF - s->end;
	if (room > left - s->end)
		room = (size_t)(left - s->end);
	while (s->end < want) {
		ssize_t n = pread(s->fd, s->buf + s->end, room, (off_t)(s->base + s->end));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENODATA;
			return -1;
		}
		s->end += (size_t)n;
		room -= (size_t)n;
	}
	return 0;
}

/* scan_piece: the next piece (0), the end of the range (1), or -1 (errno) */
static int scan_piece(struct scan *s, struct piece *pc)
{
	if (scan_fill(s, PEEK) < 0)
		return -1;
	if (s->at == s->end)
		return 1;
	const unsigned char *p = s->buf + s->at;
	size_t n = s->end - s->at;
	const unsigned char *nl = memchr(p, '\n', n);
	*pc = (struct piece){ .p = p, .len = nl ? (size_t)(nl - p) + 1 : n, .bol = s->bol };
	return 0;
}

static void scan_take(struct scan *s, size_t n)
{
	if (n) {
		s->bol = s->buf[s->at + n - 1] == '\n';
		s->at += n;
	}
}

/* ---- what a line is ----------------------------------------------------------------- */

/*
 * The fields an mbox keeps its own metadata in, dropped from the bytes
 * handed out: Dovecot's mbox_hide_headers (what it hides from IMAP clients)
 * and Thunderbird's X-Mozilla-* fields.
 */
static const char *const hidden_fields[] = {
	"Content-Length", "Status", "X-IMAP", "X-IMAPbase", "X-Keywords", "X-Status",
	"X-UID", "X-Mozilla-Status", "X-Mozilla-Status2", "X-Mozilla-Keys", NULL,
};

enum field { F_CONTENT_LENGTH, F_STATUS, F_X_IMAP, F_X_IMAPBASE, F_X_KEYWORDS,
	     F_X_STATUS, F_X_UID, F_MOZ_STATUS, F_MOZ_STATUS2, F_MOZ_KEYS, F_OTHER };

/* field_of: which hidden field the header line names (F_OTHER: none) */
static enum field field_of(const unsigned char *p, size_t n)
{
	const unsigned char *colon = memchr(p, ':', n);
	if (!colon)
		return F_OTHER;
	size_t len = (size_t)(colon - p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	for (int i = 0; hidden_fields[i]; i++)
		if (strlen(hidden_fields[i]) == len &&
		    !strncasecmp((const char *)p, hidden_fields[i], len))
			return (enum field)i;
	return F_OTHER;
}

int mbox_hidden_field(const unsigned char *line, size_t len)
{
	enum field f = field_of(line, len);
	if (f == F_OTHER)
		return MBOX_FIELD_SHOWN;
	return f == F_STATUS || f == F_X_STATUS ? MBOX_FIELD_STATUS : MBOX_FIELD_META;
}

static bool empty_line(const unsigned char *p, size_t n)
{
	return (n >= 1 && p[0] == '\n') || (n >= 2 && p[0] == '\r' && p[1] == '\n');
}

/* quoted_from: ">From ", ">>From ", ...: a line an mboxrd writer quoted */
static bool quoted_from(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '>')
		i++;
	return i && n - i >= 5 && !memcmp(p + i, "From ", 5);
}

enum line_kind { LINE_KEEP, LINE_UNQUOTE, LINE_DROP };

/* the filter's state at a line start: header or body, and whether a dropped field goes on */
struct xform {
	bool in_header;
	bool dropping;
	bool body_quoted;	/* false: a body whose Content-Length was exact */
};

/* xform_line: what becomes of the line whose first piece is p[0..n) */
static enum line_kind xform_line(struct xform *x, const unsigned char *p, size_t n)
{
	if (!x->in_header)
		return x->body_quoted && quoted_from(p, n) ? LINE_UNQUOTE : LINE_KEEP;
	if (empty_line(p, n)) {
		x->in_header = false;
		return LINE_KEEP;
	}
	if (p[0] == ' ' || p[0] == '\t')	/* a continuation: its field's fate */
		return x->dropping ? LINE_DROP : LINE_KEEP;
	x->dropping = field_of(p, n) != F_OTHER;
	if (x->dropping)
		return LINE_DROP;
	return quoted_from(p, n) ? LINE_UNQUOTE : LINE_KEEP;
}

/* ---- From_ lines ----------------------------------------------------------------------- */

static bool word_in(const unsigned char *p, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (!strncasecmp((const char *)p, words[i], 3))
			return true;
	return false;
}

/* date_start: where "Www Mmm " begins in p[from..n), or n */
static size_t date_start(const unsigned char *p, size_t n, size_t from)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", NULL };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
					      "Aug", "Sep", "Oct", "Nov", "Dec", NULL };
	for (size_t i = from; i + 8 <= n; i++)
		if ((p[i - 1] == ' ' || p[i - 1] == '\t') && p[i + 3] == ' ' &&
		    p[i + 7] == ' ' && word_in(p + i, days) && word_in(p + i + 4, months))
			return i;
	return n;
}

/*
 * from_line_date: the date of a From_ line p[0..n) ("From " addr date):
 * 1 with *t set, 0 when it has an address but no date GMime reads, -1
 * when it is no From_ line.  asctime's form has no zone: GMime reads it
 * as UTC.
 */
static int from_line_date(const unsigned char *p, size_t n, int64_t *t)
{
	if (n < 6 || memcmp(p, "From ", 5) || p[5] == ' ' || p[5] == '\n')
		return -1;
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	size_t d = date_start(p, n, 6);
	if (d >= n)
		return 0;
	char *date = xstrndup((const char *)p + d, n - d);
	GDateTime *dt = g_mime_utils_header_decode_date(date);
	free(date);
	if (!dt)
		return 0;
	*t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 1;
}

/* strict_from: a From_ line that ends a message: an address and a date */
static bool strict_from(const unsigned char *p, size_t n, int64_t *t)
{
	return from_line_date(p, n, t) == 1;
}

/* ---- one message's bytes --------------------------------------------------------------- */

/* where a message's bytes are: [start, end) of the file, filtered to len bytes */
struct mb_src {
	int fd;
	uint64_t start, end, len;
	bool quoted;
};

/* a reader of a message's filtered bytes, at the output offset out */
struct cursor {
	struct scan scan;
	bool started;
	uint64_t out;
	struct xform x;
	enum line_kind mode;	/* the current line's, past its start */
};

static void cursor_reset(struct cursor *c, const struct mb_src *m)
{
	scan_start(&c->scan, m->fd, m->start, m->end);
	c->started = true;
	c->out = 0;
	c->x = (struct xform){ .in_header = true, .body_quoted = m->quoted };
	c->mode = LINE_KEEP;
}

static void cursor_release(struct cursor *c)
{
	free(c->scan.buf);
	c->scan.buf = NULL;
	c->started = false;
}

/*
 * cursor_read: up to len bytes of the message at off: the count (0 at its
 * end, or when the file ended early), or -1 (errno).  Reading on from where
 * the last read ended is a straight walk; an earlier offset starts again
 * at the message's first byte.
 */
static ssize_t cursor_read(struct cursor *c, const struct mb_src *m, void *buf, size_t len,
			   uint64_t off)
{
	if (off >= m->len)
		return 0;
	if (len > m->len - off)
		len = (size_t)(m->len - off);
	if (!c->started || off < c->out)
		cursor_reset(c, m);
	size_t got = 0;
	while (got < len) {
		struct piece pc;
		int r = scan_piece(&c->scan, &pc);
		if (r < 0 && errno != ENODATA && !got)
			return -1;
		if (r)
			break;
		if (pc.bol) {
			c->mode = xform_line(&c->x, pc.p, pc.len);
			if (c->mode == LINE_UNQUOTE) {
				scan_take(&c->scan, 1);	/* the '>' that quoted it */
				continue;
			}
		}
		if (c->mode == LINE_DROP) {
			scan_take(&c->scan, pc.len);
			continue;
		}
		uint64_t want = off + got;
		size_t from = want > c->out ? (size_t)(want - c->out) : 0;
		size_t n = 0;
		if (from < pc.len) {
			n = pc.len - from < len - got ? pc.len - from : len - got;
			memcpy((char *)buf + got, pc.p + from, n);
			got += n;
		} else {
			from = pc.len;
		}
		c->out += from + n;
		scan_take(&c->scan, from + n);
	}
	return (ssize_t)got;
}

/* ---- a GMime stream of a message's bytes ---------------------------------------------- */

/*
 * MdxMboxStream: the PST writer and verify parse a message with GMime,
 * which reads it through a stream (and its parts through substreams, left
 * in place: persist_stream).  Each stream has a cursor of its own over the
 * file; the first one owns a descriptor of its own (dup), substreams hold
 * a reference to it.
 */
typedef struct {
	GMimeStream parent;
	struct mb_src src;
	struct cursor cur;
	GMimeStream *root;	/* NULL: this one owns src.fd */
} MdxMboxStream;

typedef struct {
	GMimeStreamClass parent_class;
} MdxMboxStreamClass;

/* GObject's type registration (its type id is GLib's, set once) */
// cppcheck-suppress unknownMacro
G_DEFINE_TYPE(MdxMboxStream, mdx_mbox_stream, GMIME_TYPE_STREAM)

static ssize_t ms_read(GMimeStream *st, char *buf, size_t len)
{
	MdxMboxStream *s = (MdxMboxStream *)st;
	if (st->position >= st->bound_end)
		return 0;
	if ((gint64)len > st->bound_end - st->position)
		len = (size_t)(st->bound_end - st->position);
	ssize_t n = cursor_read(&s->cur, &s->src, buf, len, (uint64_t)st->position);
	if (n > 0)
		st->position += n;
	return n;
}

static ssize_t ms_write(GMimeStream *st, const char *buf, size_t len)
{
	(void)st;
	(void)buf;
	(void)len;
	errno = EBADF;
	return -1;
}

static int ms_flush(GMimeStream *st)
{
	(void)st;
	return 0;
}

static int ms_close(GMimeStream *st)
{
	(void)st;
	return 0;
}

static gboolean ms_eos(GMimeStream *st)
{
	return st->position >= st->bound_end;
}

static int ms_reset(GMimeStream *st)
{
	st->position = st->bound_start;
	return 0;
}

static gint64 ms_seek(GMimeStream *st, gint64 offset, GMimeSeekWhence whence)
{
	gint64 to = whence == GMIME_STREAM_SEEK_SET ? offset :
		    whence == GMIME_STREAM_SEEK_CUR ? st->position + offset :
		    st->bound_end + offset;
	if (to < st->bound_start) {
		errno = EINVAL;
		return -1;
	}
	st->position = to < st->bound_end ? to : st->bound_end;
	return st->position;
}

static gint64 ms_tell(GMimeStream *st)
{
	return st->position;
}

static gint64 ms_length(GMimeStream *st)
{
	return st->bound_end - st->bound_start;
}

static GMimeStream *ms_new(const struct mb_src *src, GMimeStream *root, gint64 from, gint64 to)
{
	MdxMboxStream *s = g_object_new(mdx_mbox_stream_get_type(), NULL);
	s->src = *src;
	s->root = root ? g_object_ref(root) : NULL;
	g_mime_stream_construct(&s->parent, from, to);
	return &s->parent;
}

static GMimeStream *ms_substream(GMimeStream *st, gint64 start, gint64 end)
{
	MdxMboxStream *s = (MdxMboxStream *)st;
	return ms_new(&s->src, s->root ? s->root : st, start, end);
}

static void ms_finalize(GObject *o)
{
	MdxMboxStream *s = (MdxMboxStream *)o;
	cursor_release(&s->cur);
	if (s->root)
		g_object_unref(s->root);
	else if (s->src.fd >= 0)
		close(s->src.fd);
	G_OBJECT_CLASS(mdx_mbox_stream_parent_class)->finalize(o);
}

static void mdx_mbox_stream_class_init(MdxMboxStreamClass *k)
{
	GMimeStreamClass *sk = GMIME_STREAM_CLASS(k);
	G_OBJECT_CLASS(k)->finalize = ms_finalize;
	sk->read = ms_read;
	sk->write = ms_write;
	sk->flush = ms_flush;
	sk->close = ms_close;
	sk->eos = ms_eos;
	sk->reset = ms_reset;
	sk->seek = ms_seek;
	sk->tell = ms_tell;
	sk->length = ms_length;
	sk->substream = ms_substream;
}

static void mdx_mbox_stream_init(MdxMboxStream *s)
{
	s->src.fd = -1;
}

/* ---- the message's body (conv.h's msg_body) ------------------------------------------- */

struct mb_body {
	struct msg_body body;
	struct mb_src src;
	struct cursor cur;	/* a cache: reads through a const body move it */
	uint64_t file_size;
	int64_t mtime_ns;
};

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static ssize_t mb_read(const struct msg_body *b, void *buf, size_t len, uint64_t off)
{
	/* the body is the reader's, never const itself: only its cursor moves */
	struct mb_body *mb = (struct mb_body *)(uintptr_t)b;
	return cursor_read(&mb->cur, &mb->src, buf, len, off);
}

static GMimeStream *mb_stream(const struct msg_body *b, uint64_t from, uint64_t to)
{
	const struct mb_body *mb = (const struct mb_body *)b;
	struct mb_src src = mb->src;
	src.fd = fcntl(mb->src.fd, F_DUPFD_CLOEXEC, 0);
	if (src.fd < 0)
		return NULL;
	if (to > src.len)
		to = src.len;
	if (from > to)
		from = to;
	return ms_new(&src, NULL, (gint64)from, (gint64)to);
}

static int mb_changed(const struct msg_body *b, struct sbuf *why)
{
	const struct mb_body *mb = (const struct mb_body *)b;
	struct stat st;
	if (fstat(mb->src.fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size == mb->file_size && mtime_ns(&st) == mb->mtime_ns)
		return 0;
	if ((uint64_t)st.st_size != mb->file_size)
		sbuf_addf(why, "the mbox was %llu bytes when opened, %llu at the end of the read",
			  (unsigned long long)mb->file_size, (unsigned long long)st.st_size);
	else
		sbuf_addf(why, "same size (%llu bytes), but its modification time moved on by "
			  "%lld ns", (unsigned long long)mb->file_size,
			  (long long)(mtime_ns(&st) - mb->mtime_ns));
	return 1;
}

static const struct msg_body_ops mb_body_ops = {
	.read = mb_read, .stream = mb_stream, .changed = mb_changed,
};

/* ---- the index of a folder ---------------------------------------------------------------- */

struct mb_rec {
	uint64_t from_off;	/* its From_ line */
	uint64_t start, end;	/* its bytes in the file, From_ line and separator not included */
	uint64_t len;		/* filtered */
	int64_t received;
	uint32_t uid;
	unsigned flags;
	bool has_date;		/* received is the From_ line's */
	bool quoted;
};

/* the state of the pass that indexes one file */
struct indexer {
	struct scan scan;
	uint64_t size;
	const char *display;	/* the file, for messages */
	struct diag *diag;	/* NULL: no warnings (a second pass) */
	/*
	 * the messages' records (struct mb_rec, as they are: they never leave
	 * this process) in file order, flat in memory (core/recsort.h)
	 */
	struct recsort *recs;
	size_t n;
	uint64_t bytes;		/* the messages' filtered lengths, summed */
	struct mb_rec cur;
	bool in_msg, pseudo;
	bool any;		/* a From_ line was found */
	struct xform x;
	enum line_kind mode;
	bool prev_empty;	/* the line before this one was empty */
	uint64_t empty_off, empty_out;	/* that line's offset, and the length before it */
	uint64_t content_length;
	bool has_content_length;
	uint32_t uidvalidity, uidnext;
	bool has_base;
};

static void parse_flags(struct mb_rec *m, enum field f, const char *v)
{
	if (f == F_STATUS) {
		if (strchr(v, 'R'))
			m->flags |= MSG_SEEN;
	} else if (f == F_X_STATUS) {
		m->flags |= (strchr(v, 'A') ? MSG_ANSWERED : 0) | (strchr(v, 'F') ? MSG_FLAGGED : 0) |
			    (strchr(v, 'T') ? MSG_DRAFT : 0) | (strchr(v, 'D') ? MSG_DELETED : 0);
	} else if (f == F_MOZ_STATUS) {
		char *end;
		unsigned long s = strtoul(v, &end, 16);
		if (end != v)
			m->flags |= ((s & 0x1) ? MSG_SEEN : 0) | ((s & 0x2) ? MSG_ANSWERED : 0) |
				    ((s & 0x4) ? MSG_FLAGGED : 0) | ((s & 0x8) ? MSG_DELETED : 0);
	}
}

/* parse_u32: a decimal number at the start of v (after blanks) */
static bool parse_u32(const char **v, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(*v, &end, 10);
	if (end == *v || errno || n > UINT32_MAX)
		return false;
	*out = (uint32_t)n;
	*v = end;
	return true;
}

/* header_field: a field of the message's header, first PEEK bytes of its line in p */
static void header_field(struct indexer *ix, const unsigned char *p, size_t n)
{
	enum field f = field_of(p, n);
	if (f == F_OTHER)
		return;
	const unsigned char *colon = memchr(p, ':', n);
	char *v = xstrndup((const char *)colon + 1, n - (size_t)(colon + 1 - p));
	const char *s = v + strspn(v, " \t");
	uint32_t a, b;
	unsigned long long cl;
	char *end;
	switch (f) {
	case F_X_UID:
		if (parse_u32(&s, &a))
			ix->cur.uid = a;
		break;
	case F_X_IMAP:
		ix->pseudo = ix->n == 0;	/* c-client's first, "folder internal data" message */
		/* fall through */
	case F_X_IMAPBASE:
		if (ix->n == 0 && parse_u32(&s, &a) && parse_u32(&s, &b)) {
			ix->uidvalidity = a;
			ix->uidnext = b;
			ix->has_base = true;
		}
		break;
	case F_CONTENT_LENGTH:
		errno = 0;
		cl = strtoull(s, &end, 10);
		ix->has_content_length = end != s && !errno && *(end + strspn(end, " \t\r\n")) == '\0';
		ix->content_length = cl;
		break;
	default:
		parse_flags(&ix->cur, f, s);
	}
	free(v);
}

static void begin_msg(struct indexer *ix, uint64_t from_off, const struct piece *pc)
{
	ix->cur = (struct mb_rec){ .from_off = from_off, .start = from_off + pc->len,
				   .quoted = true };
	ix->cur.has_date = from_line_date(pc->p, pc->len, &ix->cur.received) == 1;
	ix->in_msg = ix->any = true;
	ix->pseudo = false;
	ix->x = (struct xform){ .in_header = true, .body_quoted = true };
	ix->prev_empty = false;
	ix->has_content_length = false;
}

static void end_msg(struct indexer *ix, uint64_t end)
{
	if (!ix->in_msg)
		return;
	ix->in_msg = false;
	ix->cur.end = end;
	if (ix->pseudo)
		return;
	recsort_add(ix->recs, &ix->cur, sizeof(ix->cur));
	ix->n++;
	ix->bytes += ix->cur.len;
}

/* peek_from: the strict From_ line at off in the file (scan's buffer left as it is) */
static bool peek_from(const struct indexer *ix, uint64_t off)
{
	unsigned char buf[PEEK];
	size_t want = ix->size - off < PEEK ? (size_t)(ix->size - off) : PEEK;
	ssize_t n;
	do
		n = pread(ix->scan.fd, buf, want, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	const unsigned char *nl = memchr(buf, '\n', (size_t)n);
	int64_t t;
	return strict_from(buf, nl ? (size_t)(nl - buf) + 1 : (size_t)n, &t);
}

/*
 * content_length_end: the header of the current message ends at body; its
 * Content-Length is exact when the body's end is the file's, or an empty
 * line followed by the file's end or a From_ line (as Dovecot writes)
 */
static bool content_length_end(struct indexer *ix, uint64_t body)
{
	if (!ix->has_content_length || ix->content_length > ix->size - body)
		return false;
	uint64_t e = body + ix->content_length;
	if (e == ix->size)
		return true;
	char c;
	if (pread(ix->scan.fd, &c, 1, (off_t)e) != 1 || c != '\n')
		return false;
	return e + 1 == ix->size || peek_from(ix, e + 1);
}

/* exact_length: the message ends where its Content-Length says; the scan goes on past it */
static void exact_length(struct indexer *ix, uint64_t body)
{
	uint64_t e = body + ix->content_length;
	ix->cur.quoted = false;
	ix->cur.len += ix->content_length;
	end_msg(ix, e);
	scan_seek(&ix->scan, e < ix->size ? e + 1 : e, true);
}

/* index_line_start: a line begins (its first piece pc, at off); false: stop the line */
static bool index_line_start(struct indexer *ix, const struct piece *pc, uint64_t off)
{
	int64_t t;
	bool from = (off == 0 && pc->len >= 5 && !memcmp(pc->p, "From ", 5)) ||
		    ((!ix->in_msg || ix->prev_empty) && strict_from(pc->p, pc->len, &t));
	if (from) {
		if (ix->in_msg) {
			ix->cur.len = ix->empty_out;	/* the separator is not the message's */
			end_msg(ix, ix->empty_off);
		} else if (off > 0 && !ix->any && ix->diag) {
			diag_warn(ix->diag, "'%s': %llu bytes before the first From_ line (at "
				  "offset %llu) are not a message; skipped", ix->display,
				  (unsigned long long)off, (unsigned long long)off);
		}
		begin_msg(ix, off, pc);
		scan_take(&ix->scan, pc->len);
		return false;
	}
	if (!ix->in_msg) {
		ix->mode = LINE_DROP;
		return true;
	}
	bool was_header = ix->x.in_header;
	ix->mode = xform_line(&ix->x, pc->p, pc->len);
	bool empty = empty_line(pc->p, pc->len);
	if (was_header && !empty && ix->mode == LINE_DROP && pc->p[0] != ' ' && pc->p[0] != '\t')
		header_field(ix, pc->p, pc->len);
	ix->prev_empty = empty;
	if (empty) {
		ix->empty_off = off;
		ix->empty_out = ix->cur.len;
	}
	if (was_header && empty) {
		ix->cur.len += pc->len;
		scan_take(&ix->scan, pc->len);
		if (content_length_end(ix, off + pc->len))
			exact_length(ix, off + pc->len);
		return false;
	}
	if (ix->mode == LINE_UNQUOTE)
		ix->cur.len--;
	return true;
}

/* index_file: one pass over the folder's file: CONV_OK, or CONV_FOLDER_BAD (err) */
static int index_file(struct indexer *ix, struct sbuf *err)
{
	for (;;) {
		struct piece pc;
		int r = scan_piece(&ix->scan, &pc);
		if (r < 0) {
			sbuf_addf(err, "cannot read '%s': %s", ix->display,
				  errno == ENODATA ? "it shrank while it was read" : strerror(errno));
			return CONV_FOLDER_BAD;
		}
		if (r > 0)
			break;
		uint64_t off = scan_pos(&ix->scan);
		if (pc.bol && !index_line_start(ix, &pc, off))
			continue;
		if (ix->in_msg && ix->mode != LINE_DROP)
			ix->cur.len += pc.len;
		scan_take(&ix->scan, pc.len);
	}
	if (ix->in_msg && ix->prev_empty && ix->empty_off + 1 == ix->size) {
		/* "\n\n" at the end: the last empty line separates, it is not the message's */
		ix->cur.len = ix->empty_out;
		end_msg(ix, ix->empty_off);
	}
	end_msg(ix, ix->size);
	if (ix->size && !ix->n && !ix->pseudo && ix->diag)
		diag_warn(ix->diag, "'%s': no From_ line: not an mbox; nothing read", ix->display);
	return CONV_OK;
}

/* ---- folders -------------------------------------------------------------------- */

struct mb_folder {
	char *path;		/* logical, UTF-8, '/'-separated */
	char *rel;		/* the file relative to SOURCE; NULL: SOURCE is the file */
};

struct mb_reader {
	struct onebox ob;	/* first: the store and its one mailbox (core/onebox.h) */
	struct sbuf envelope;	/* the current message's From_ line sender */
	int root_fd;		/* a directory SOURCE; -1 for a file */
	int file_fd;		/* a file SOURCE; -1 for a directory */
	char *root;		/* SOURCE's absolute path (as given when unknown) */
	char *file_name;	/* a file SOURCE's name */
	char *mailbox;
	struct mb_folder *folders;
	size_t nfolders, next_folder;
	bool folders_listed;
	struct mail_folder folder;
	int fd;			/* the current folder's file; -1: none */
	struct stat st;		/* it, when indexed */
	const char *display;	/* it, relative to SOURCE */
	size_t index_mem;	/* reader_settings.index_mem */
	struct recsort *recs;	/* the current folder's messages (struct indexer) */
	size_t nrecs, next_rec;
	struct mb_rec rec;	/* the last one given */
	struct mail_msg msg;
	struct mb_body body;
	struct sbuf prefix;
	char *msg_origin;
};

static void folders_release(struct mb_reader *r)
{
	for (size_t i = 0; i < r->nfolders; i++) {
		free(r->folders[i].path);
		free(r->folders[i].rel);
	}
	free(r->folders);
	r->folders = NULL;
	r->nfolders = r->next_folder = 0;
}

static void add_folder(struct mb_reader *r, char *path, const char *rel)
{
	for (size_t k = 0; k < r->nfolders; k++)
		if (!strcmp(r->folders[k].path, path))
			diag_warn(r->ob.m.diag, "'%s' is also folder '%s' ('%s'); both are read",
				  rel, path, r->folders[k].rel);
	r->folders = xreallocarray(r->folders, r->nfolders + 1, sizeof(*r->folders));
	r->folders[r->nfolders].path = path;
	r->folders[r->nfolders].rel = rel ? xstrdup(rel) : NULL;
	r->nfolders++;
}

/* INBOX first, then by path, so that output is the same on every run */
static int cmp_folder(const void *a, const void *b)
{
	const struct mb_folder *x = a, *y = b;
	bool xi = !strcmp(x->path, "INBOX"), yi = !strcmp(y->path, "INBOX");
	if (xi != yi)
		return xi ? -1 : 1;
	int c = strcmp(x->path, y->path);
	return c ? c : strcmp(x->rel ? x->rel : "", y->rel ? y->rel : "");
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n > k && !strcasecmp(name + n - k, suffix);
}

/*
 * known_other: a file that is known not to be an mbox: Thunderbird's
 * indexes and settings, Dovecot's index and subscriptions; skipped silently
 */
static bool known_other(const char *name)
{
	static const char *const suffixes[] = { ".msf", ".dat", ".json", ".html", ".sqlite",
						".log", NULL };
	if (!strncmp(name, "dovecot", 7) || !strcmp(name, "subscriptions"))
		return true;
	for (size_t i = 0; suffixes[i]; i++)
		if (has_suffix(name, suffixes[i]))
			return true;
	return false;
}

/*
 * add_component: append one part of a folder's path from a file or
 * directory name: its suffix (".mbox" of this project's writer,
 * ".sbd" of Thunderbird's subfolder directories) taken off, the writer's
 * %XX escapes undone, and a top-level inbox in any case named INBOX
 */
static void add_component(struct sbuf *path, const char *name, const char *suffix)
{
	size_t n = strlen(name);
	char *stem = has_suffix(name, suffix) ? xstrndup(name, n - strlen(suffix)) : xstrdup(name);
	struct sbuf plain = SBUF_INIT;
	fsname_unescape(&plain, stem);
	bool ok = strlen(plain.buf) == plain.len && plain.len && !strchr(plain.buf, '/');
	const char *comp = ok ? plain.buf : stem;
	if (path->len)
		sbuf_addch(path, '/');
	sbuf_adds(path, !path->len && !strcasecmp(comp, "inbox") ? "INBOX" : comp);
	sbuf_release(&plain);
	free(stem);
}

static char *join_rel(const char *rel, const char *name)
{
	return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

static void walk(struct mb_reader *r, int dirfd, const char *rel, const char *logical,
		 int depth);

static void walk_dir(struct mb_reader *r, int dirfd, const char *rel, const char *logical,
		     const char *name, int depth)
{
	char *sub = join_rel(rel, name);
	if (depth >= MAX_DEPTH) {
		diag_warn(r->ob.m.diag, "'%s': folders nested deeper than %d; not read", sub,
			  MAX_DEPTH);
		free(sub);
		return;
	}
	int fd = src_open_dir_at(dirfd, name);
	if (fd < 0) {
		diag_warn(r->ob.m.diag, "cannot read folder '%s': %s", sub, strerror(errno));
	} else {
		struct sbuf path = SBUF_INIT;
		sbuf_adds(&path, logical);
		add_component(&path, name, ".sbd");
		walk(r, fd, sub, path.buf, depth + 1);
		sbuf_release(&path);
		close(fd);
	}
	free(sub);
}

static void walk_file(struct mb_reader *r, int dirfd, const char *rel, const char *logical,
		      const char *name)
{
	if (known_other(name))
		return;
	char *sub = join_rel(rel, name);
	int fd = src_open_file_at(dirfd, name);
	int yes = fd < 0 ? -1 : starts_mbox(fd);
	if (yes < 0) {
		diag_warn(r->ob.m.diag, "cannot read '%s': %s; skipped", sub, strerror(errno));
	} else if (!yes) {
		diag_warn(r->ob.m.diag, "'%s' is not an mbox (it does not start with \"From \"); "
			  "skipped", sub);
	} else {
		struct sbuf path = SBUF_INIT;
		sbuf_adds(&path, logical);
		add_component(&path, name, ".mbox");
		add_folder(r, sbuf_detach(&path), sub);
	}
	if (fd >= 0)
		close(fd);
	free(sub);
}

/* walk: the mbox files in dirfd and below it; rel and logical: where dirfd is */
static void walk(struct mb_reader *r, int dirfd, const char *rel, const char *logical,
		 int depth)
{
	struct src_name *v;
	ssize_t n = src_list_dir(dirfd, &v);
	if (n < 0) {
		diag_warn(r->ob.m.diag, "cannot read folder '%s': %s", *rel ? rel : ".",
			  strerror(errno));
		return;
	}
	for (size_t i = 0; i < (size_t)n; i++) {
		const char *name = v[i].name;
		if (name[0] == '.')	/* Dovecot's .imap/, and whatever hides */
			continue;
		if (v[i].kind == SRC_LINK) {
			char *sub = join_rel(rel, name);
			diag_warn(r->ob.m.diag, "'%s' is a symbolic link; not followed", sub);
			free(sub);
		} else if (v[i].kind == SRC_DIR) {
			walk_dir(r, dirfd, rel, logical, name, depth);
		} else if (v[i].kind == SRC_FILE) {
			walk_file(r, dirfd, rel, logical, name);
		}
	}
	src_names_free(v, (size_t)n);
}

static void load_folders(struct mb_reader *r)
{
	folders_release(r);
	if (r->file_fd >= 0) {
		add_folder(r, xstrdup("INBOX"), NULL);
		return;
	}
	walk(r, r->root_fd, "", "", 0);
	if (!r->nfolders)
		diag_warn(r->ob.m.diag, "'%s': no mbox file found", r->root);
	else
		qsort(r->folders, r->nfolders, sizeof(*r->folders), cmp_folder);
}

/* open_rel: the file rel below SOURCE, each directory on the way opened from its parent */
static int open_rel(const struct mb_reader *r, const char *rel)
{
	char *copy = xstrdup(rel);
	int dirfd = r->root_fd, fd = -1;
	char *p = copy;
	for (char *slash; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		int next = src_open_dir_at(dirfd, p);
		if (dirfd != r->root_fd)
			close(dirfd);
		dirfd = next;
		if (dirfd < 0)
			break;
	}
	if (dirfd >= 0)
		fd = src_open_file_at(dirfd, p);
	int e = errno;
	if (dirfd >= 0 && dirfd != r->root_fd)
		close(dirfd);
	free(copy);
	errno = e;
	return fd;
}

/* ---- messages of one folder ----------------------------------------------------- */

static void close_folder(struct mb_reader *r)
{
	r->msg.body = NULL;
	cursor_release(&r->body.cur);
	if (r->fd >= 0 && r->fd != r->file_fd)
		close(r->fd);
	r->fd = -1;
	recsort_free(r->recs);
	r->recs = NULL;
	r->nrecs = r->next_rec = 0;
}

/* index_folder: the open folder file's messages, anew (r->st taken now); warn: say what is odd */
static int index_folder(struct mb_reader *r, bool warn, struct sbuf *err)
{
	recsort_free(r->recs);
	r->recs = NULL;
	r->nrecs = 0;
	if (fstat(r->fd, &r->st) < 0) {
		sbuf_addf(err, "cannot read '%s': %s", r->display, strerror(errno));
		return CONV_FOLDER_BAD;
	}
	if (!S_ISREG(r->st.st_mode)) {
		sbuf_addf(err, "'%s' is not a regular file", r->display);
		return CONV_FOLDER_BAD;
	}
	struct indexer ix = { .size = (uint64_t)r->st.st_size, .display = r->display,
			      .diag = warn ? r->ob.m.diag : NULL,
			      .recs = recsort_new(r->index_mem, NULL, NULL) };
	scan_start(&ix.scan, r->fd, 0, ix.size);
	int ret = index_file(&ix, err);
	free(ix.scan.buf);
	r->recs = ix.recs;
	r->nrecs = ix.n;
	r->folder.bytes = ix.bytes;
	r->folder.has_index = ix.has_base;
	r->folder.uidvalidity = ix.uidvalidity;
	r->folder.uidnext = ix.uidnext;
	return ret;
}

static int open_folder(struct mb_reader *r, const struct mb_folder *f, struct sbuf *err)
{
	r->display = f->rel ? f->rel : r->file_name;
	r->fd = f->rel ? open_rel(r, f->rel) : r->file_fd;
	if (r->fd < 0) {
		sbuf_addf(err, "cannot open '%s': %s", r->display, strerror(errno));
		return CONV_FOLDER_BAD;
	}
	int ret = index_folder(r, true, err);
	r->folder.messages = (unsigned)r->nrecs;
	return ret;
}

/* ---- one message ---------------------------------------------------------------- */

/*
 * read_envelope: the sender of the From_ line at off ("From <sender> <date>"),
 * kept as the message's envelope sender so that an mbox written again
 * keeps it; "" when it cannot be read (the header's Return-Path is used)
 */
static void read_envelope(struct mb_reader *r, uint64_t off)
{
	char line[512];
	sbuf_reset(&r->envelope);
	ssize_t n = pread(r->fd, line, sizeof(line) - 1, (off_t)off);
	if (n <= 5 || memcmp(line, "From ", 5))
		return;
	size_t end = 5;
	while (end < (size_t)n && line[end] != ' ' && line[end] != '\t' && line[end] != '\n' &&
	       line[end] != '\r')
		end++;
	if (end > 5 && end < (size_t)n)	/* a sender cut by the buffer is not one */
		sbuf_add(&r->envelope, line + 5, end - 5);
}

static int open_msg(struct mb_reader *r, const struct mb_rec *e, struct sbuf *err)
{
	free(r->msg_origin);
	r->msg_origin = xasprintf("%s:%llu", r->display, (unsigned long long)e->from_off);
	struct mail_msg *m = &r->msg;
	memset(m, 0, sizeof(*m));
	m->origin = r->msg_origin;
	m->name = r->display;
	m->flags = e->flags;
	m->uid = e->uid;
	m->seq = (unsigned)r->next_rec;
	m->size = e->len;
	m->size_known = true;
	struct mb_body *b = &r->body;
	b->body.ops = &mb_body_ops;
	b->src = (struct mb_src){ .fd = r->fd, .start = e->start, .end = e->end, .len = e->len,
				  .quoted = e->quoted };
	b->cur.started = false;
	b->file_size = (uint64_t)r->st.st_size;
	b->mtime_ns = mtime_ns(&r->st);
	m->body = &b->body;
	int ret = msg_read_head(m, &r->ob.m, &r->prefix, err);
	sys_fault_source(r->fd, m->origin);	/* tests only: the file changes now */
	read_envelope(r, e->from_off);
	m->envelope_from = r->envelope.len ? r->envelope.buf : NULL;
	m->received = e->received;
	m->date_source = "from-line";
	if (!e->has_date) {
		if (header_block_date(m->prefix, m->head_len, "Date", &m->received)) {
			m->date_source = "date-header";
		} else {
			m->received = (int64_t)r->st.st_mtim.tv_sec;
			m->date_source = "mtime";
		}
	}
	return ret;
}

/* ---- the ops -------------------------------------------------------------------- */

/* box_name: a directory's name, or its parent's when it is mail/ or Mail/; a file's stem */
static char *box_name(const char *path, bool file)
{
	char *a = xstrdup(path), *b = xstrdup(path);
	size_t n = strlen(a);
	while (n > 1 && a[n - 1] == '/')
		a[--n] = '\0';
	char *base = basename(a);
	char *name;
	if (!file && (!strcmp(base, "mail") || !strcmp(base, "Mail"))) {
		name = xstrdup(basename(dirname(b)));
	} else {
		name = xstrdup(base);
		char *dot = strrchr(name, '.');
		if (file && dot && dot != name)
			*dot = '\0';
	}
	free(a);
	free(b);
	if (!*name || !strcmp(name, "/") || !strcmp(name, ".")) {
		free(name);
		name = xstrdup("mailbox");
	}
	return name;
}

static void mb_close(struct mail_reader *rd);

static struct mb_reader *mb_new(struct diag *d)
{
	struct mb_reader *r = xcalloc(1, sizeof(*r));
	onebox_init(&r->ob, &mbox_reader_ops, d);
	r->root_fd = r->file_fd = r->fd = -1;
	sbuf_init(&r->prefix);
	sbuf_init(&r->envelope);
	return r;
}

static struct mail_reader *mb_open(const char *source, const struct reader_settings *set,
				   struct diag *d, struct sbuf *err)
{
	/* set->maps name MDaemon folders: nothing here */
	/* SOURCE itself may be a link the admin made: followed, as a Maildir SOURCE is */
	int fd = src_open_at(AT_FDCWD, source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sbuf_addf(err, "cannot open the mbox '%s': %s", source, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		sbuf_addf(err, "'%s' is neither an mbox file nor a folder of them", source);
		close(fd);
		return NULL;
	}
	struct mb_reader *r = mb_new(d);
	r->index_mem = set ? set->index_mem : 0;
	bool file = S_ISREG(st.st_mode);
	if (file)
		r->file_fd = fd;
	else
		r->root_fd = fd;
	char *real = realpath(source, NULL);
	r->root = real ? xstrdup(real) : xstrdup(source);
	free(real);
	r->mailbox = box_name(r->root, file);
	onebox_box(&r->ob, "localhost", r->mailbox, r->root);
	char *copy = xstrdup(r->root);
	r->file_name = xstrdup(basename(copy));
	free(copy);
	onebox_dir(&r->ob, r->root, &st);
	return &r->ob.r;
}

#define MB_OF(mm) ((struct mb_reader *)onebox_of(mm))

static void mb_close_mailbox(struct mail_mailbox *mm)
{
	if (!mm)
		return;
	struct mb_reader *r = MB_OF(mm);
	r->msg.body = NULL;
	onebox_close_mailbox(mm);
}

static int mb_next_folder(struct mail_mailbox *mm, const struct mail_folder **folder_r,
			  struct sbuf *err)
{
	struct mb_reader *r = MB_OF(mm);
	close_folder(r);
	if (!r->ob.given)
		return CONV_DONE;
	if (!r->folders_listed) {
		load_folders(r);
		r->folders_listed = true;
	}
	if (r->next_folder >= r->nfolders)
		return CONV_DONE;
	const struct mb_folder *f = &r->folders[r->next_folder++];
	memset(&r->folder, 0, sizeof(r->folder));
	r->folder.path = f->path;
	r->folder.origin = f->rel ? f->rel : r->file_name;
	r->folder.folder_class = "IPF.Note";
	r->folder.is_mail = true;
	*folder_r = &r->folder;
	return open_folder(r, f, err);
}

/* next_rec: the folder's next record into r->rec; false with err set when it cannot be read */
static bool next_rec(struct mb_reader *r, struct sbuf *err)
{
	const void *p;
	size_t len;
	if (recsort_next(r->recs, &p, &len) != 1 || len != sizeof(r->rec)) {
		if (!recsort_error(r->recs, err))
			sbuf_addf(err, "the index of '%s' lost a message", r->display);
		return false;
	}
	memcpy(&r->rec, p, sizeof(r->rec));
	return true;
}

/*
 * mb_estimate: the size of every mbox file (From_ lines and quoting
 * included), found by a directory walk and one fstatat each: indexing the
 * files to count their messages would read them whole, as the export does
 */
static void mb_estimate(struct mail_mailbox *mm, struct mail_estimate *e)
{
	struct mb_reader *r = MB_OF(mm);
	*e = (struct mail_estimate){ .bytes_known = true };
	if (!r->ob.given)
		return;
	if (!r->folders_listed) {
		load_folders(r);
		r->folders_listed = true;
	}
	for (size_t i = 0; i < r->nfolders; i++) {
		struct stat st;
		const char *rel = r->folders[i].rel;
		if (rel ? fstatat(r->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 :
			  fstat(r->file_fd, &st) == 0)
			e->bytes += (uint64_t)st.st_size;
	}
}

static int mb_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct mb_reader *r = MB_OF(mm);
	r->msg.body = NULL;
	if (r->next_rec >= r->nrecs)
		return CONV_DONE;
	if (!next_rec(r, err))
		return CONV_FOLDER_BAD;
	r->next_rec++;
	int ret = open_msg(r, &r->rec, err);
	*msg_r = &r->msg;
	return ret;
}

/* mb_reopen_msg: the folder's file indexed anew, and the same message (by position) again */
static int mb_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct mb_reader *r = MB_OF(mm);
	r->msg.body = NULL;
	if (r->next_rec == 0 || r->fd < 0)
		return CONV_DONE;
	size_t at = r->next_rec - 1;
	*msg_r = &r->msg;
	if (index_folder(r, false, err) != CONV_OK)
		return CONV_MSG_BAD;
	if (at >= r->nrecs) {
		sbuf_addf(err, "'%s' changed while it was read: message %zu is no longer there",
			  r->display, at + 1);
		return CONV_MSG_BAD;
	}
	for (size_t i = 0; i <= at; i++)	/* the records are read in order only */
		if (!next_rec(r, err))
			return CONV_MSG_BAD;
	return open_msg(r, &r->rec, err);
}

static void mb_close(struct mail_reader *rd)
{
	struct mb_reader *r = (struct mb_reader *)rd;
	if (!r)
		return;
	close_folder(r);
	folders_release(r);
	if (r->root_fd >= 0)
		close(r->root_fd);
	if (r->file_fd >= 0)
		close(r->file_fd);
	sbuf_release(&r->prefix);
	sbuf_release(&r->envelope);
	free(r->msg_origin);
	free(r->mailbox);
	free(r->file_name);
	free(r->root);
	free(r);
}

static bool probe_dir(int dirfd, int depth);

/* probe_file: name in dirfd is a regular file starting with "From " */
static bool probe_file(int dirfd, const char *name)
{
	if (name[0] == '.' || known_other(name))
		return false;
	int fd = src_open_file_at(dirfd, name);
	if (fd < 0)
		return false;
	struct stat st;
	bool yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		   starts_mbox(fd) == 1;
	close(fd);
	return yes;
}

/*
 * probe_pass: one read of dirfd's names (in the order the file system
 * gives: only whether one matches counts), its files probed, or (subdirs)
 * its folders probed at depth 0; 1 yes, 0 no, -1 the listing failed
 */
static int probe_pass(int dirfd, bool subdirs)
{
	struct src_iter it;
	if (src_iter_open(&it, dirfd) < 0)
		return -1;
	const char *name;
	enum src_kind kind;
	int r, yes = 0;
	while (!yes && (r = src_iter_next(&it, &name, &kind)) == 1) {
		if (!subdirs && kind == SRC_FILE) {
			yes = probe_file(dirfd, name);
		} else if (subdirs && kind == SRC_DIR && name[0] != '.') {
			int fd = src_open_dir_at(dirfd, name);
			if (fd >= 0) {
				yes = probe_dir(fd, 0);
				close(fd);
			}
		}
	}
	src_iter_close(&it);
	return yes ? 1 : r < 0 ? -1 : 0;
}

/*
 * probe_dir: dirfd holds an mbox file, at its top or (depth 1) one folder
 * down.  The names are read as they come, none kept: a folder of a
 * million EML files is probed in flat memory (issue 12).
 */
static bool probe_dir(int dirfd, int depth)
{
	int yes = probe_pass(dirfd, false);
	if (!yes && depth)
		yes = probe_pass(dirfd, true);
	return yes == 1;
}

/*
 * mb_probe: a regular file starting with "From ", or a directory holding
 * one at its top or one level down (read with O_NOATIME: 5 bytes a file)
 */
static int mb_probe(const char *path)
{
	int fd = src_open_at(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	int yes = 0;
	if (fstat(fd, &st) < 0)
		yes = 0;
	else if (S_ISREG(st.st_mode))
		yes = st.st_size > 0 && starts_mbox(fd) == 1;
	else if (S_ISDIR(st.st_mode))
		yes = probe_dir(fd, 1);
	close(fd);
	return yes;
}

const struct mail_reader_ops mbox_reader_ops = {
	.name = "mbox",
	.probe = mb_probe,
	.open = mb_open,
	.next_mailbox = onebox_next_mailbox,
	.open_mailbox = onebox_open_mailbox,
	.next_folder = mb_next_folder,
	.next_msg = mb_next_msg,
	.reopen_msg = mb_reopen_msg,
	.close_mailbox = mb_close_mailbox,
	.close = mb_close,
	.mail_dirs = onebox_mail_dirs,
	.estimate = mb_estimate,
};
