/*
 * Helpers over struct mail_msg shared by every writer: copying the bytes out
 * and reading the few header fields the formats need.  Header parsing is
 * GMime's (unfolding, RFC 2047, address lists, dates); we only hand it the
 * header block the reader already holds.
 */
#include "core/conv.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/msghash.h"
#include "core/reader.h"

#define COPY_CHUNK (256 * 1024)

/* ---- the body of a message that is (part of) a file --------------------------------- */

static ssize_t file_read(const struct msg_body *b, void *buf, size_t len, uint64_t off)
{
	const struct file_body *fb = (const struct file_body *)b;
	if (off >= fb->len)
		return 0;
	if (len > fb->len - off)
		len = (size_t)(fb->len - off);
	return pread(fb->fd, buf, len, (off_t)(fb->base + off));
}

static GMimeStream *file_stream(const struct msg_body *b, uint64_t from, uint64_t to)
{
	const struct file_body *fb = (const struct file_body *)b;
	int fd = dup(fb->fd);
	if (fd < 0)
		return NULL;
	if (to > fb->len)
		to = fb->len;
	return g_mime_stream_fs_new_with_bounds(fd, (gint64)(fb->base + from),
						(gint64)(fb->base + to));
}

static int file_changed(const struct msg_body *b, struct sbuf *why)
{
	const struct file_body *fb = (const struct file_body *)b;
	if (!fb->watched)
		return 0;
	struct stat st;
	if (fstat(fb->fd, &st) < 0)
		return -1;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if ((uint64_t)st.st_size == fb->file_size && mtime == fb->mtime_ns)
		return 0;
	if ((uint64_t)st.st_size != fb->file_size)
		sbuf_addf(why, "%llu bytes when opened, %llu at the end of the read",
			  (unsigned long long)fb->file_size, (unsigned long long)st.st_size);
	else
		sbuf_addf(why, "same size (%llu bytes), but its modification time moved "
			  "on by %lld ns", (unsigned long long)fb->file_size,
			  (long long)(mtime - fb->mtime_ns));
	return 1;
}

static const struct msg_body_ops file_body_ops = {
	.read = file_read, .stream = file_stream, .changed = file_changed,
};

void file_body_init(struct file_body *fb, int fd, uint64_t base, uint64_t len)
{
	*fb = (struct file_body){ .body = { &file_body_ops }, .fd = fd, .base = base, .len = len };
}

void file_body_watch(struct file_body *fb, const struct stat *st)
{
	fb->watched = true;
	fb->file_size = (uint64_t)st->st_size;
	fb->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ---- a mailbox described ------------------------------------------------------------ */

static const char *dup_or_null(const char *s)
{
	return s ? g_strdup(s) : NULL;
}

struct mail_box *mail_box_dup(const struct mail_box *box)
{
	struct mail_box *c = g_new0(struct mail_box, 1);
	c->domain = dup_or_null(box->domain);
	c->mailbox = dup_or_null(box->mailbox);
	c->full_name = dup_or_null(box->full_name);
	c->path = dup_or_null(box->path);
	c->origin = dup_or_null(box->origin);
	c->shared_with = dup_or_null(box->shared_with);
	c->not_found = dup_or_null(box->not_found);	/* issue 16 */
	c->map_hint = dup_or_null(box->map_hint);
	return c;
}

void mail_box_free(struct mail_box *box)
{
	if (!box)
		return;
	g_free((char *)box->domain);
	g_free((char *)box->mailbox);
	g_free((char *)box->full_name);
	g_free((char *)box->path);
	g_free((char *)box->origin);
	g_free((char *)box->shared_with);
	g_free((char *)box->not_found);
	g_free((char *)box->map_hint);
	g_free(box);
}

/* ---- the body of a message held in memory ------------------------------------------- */

static ssize_t mem_read(const struct msg_body *b, void *buf, size_t len, uint64_t off)
{
	const struct mem_body *mb = (const struct mem_body *)b;
	if (off >= mb->bytes->len)
		return 0;
	if (len > mb->bytes->len - off)
		len = (size_t)(mb->bytes->len - off);
	memcpy(buf, mb->bytes->data + off, len);
	return (ssize_t)len;
}

static GMimeStream *mem_stream(const struct msg_body *b, uint64_t from, uint64_t to)
{
	const struct mem_body *mb = (const struct mem_body *)b;
	if (to > mb->bytes->len)
		to = mb->bytes->len;
	if (from > to)
		from = to;
	/* the bytes stay the body's: the stream only looks at them */
	GMimeStream *all = g_mime_stream_mem_new_with_byte_array(mb->bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(all), FALSE);
	GMimeStream *part = g_mime_stream_substream(all, (gint64)from, (gint64)to);
	g_object_unref(all);
	return part;
}

static int mem_changed(const struct msg_body *b, struct sbuf *why)
{
	(void)b;
	(void)why;
	return 0;
}

static const struct msg_body_ops mem_body_ops = {
	.read = mem_read, .stream = mem_stream, .changed = mem_changed,
};

void mem_body_init(struct mem_body *mb, GByteArray *bytes)
{
	*mb = (struct mem_body){ .body = { &mem_body_ops }, .bytes = bytes };
}

void mem_body_release(struct mem_body *mb)
{
	if (mb->bytes)
		g_byte_array_unref(mb->bytes);
	mb->bytes = NULL;
}

/* ---- a message's bytes -------------------------------------------------------------- */

ssize_t msg_read(const struct mail_msg *msg, void *buf, size_t len, uint64_t off)
{
	if (!msg->body) {
		errno = EBADF;
		return -1;
	}
	return msg->body->ops->read(msg->body, buf, len, off);
}

GMimeStream *msg_stream(const struct mail_msg *msg, uint64_t from, uint64_t to)
{
	GMimeStream *s = msg->body ? msg->body->ops->stream(msg->body, from, to) : NULL;
	return s ? s : g_mime_stream_mem_new();
}

/* ---- the header block ---------------------------------------------------------------- */

#define FIRST_READ (64 * 1024)
#define HEAD_MAX (16u * 1024 * 1024)

/*
 * find_head_end: length of the header block including the empty line that
 * ends it, or 0 when not found in p[0..len).  Scanning starts at `from`
 * (bytes before it were already searched).
 */
static size_t find_head_end(const unsigned char *p, size_t len, size_t from)
{
	if (from == 0 && len >= 1 && p[0] == '\n')
		return 1;
	if (from == 0 && len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	size_t i = from;
	const unsigned char *nl;
	while (i < len && (nl = memchr(p + i, '\n', len - i))) {
		size_t k = (size_t)(nl - p);
		if (k + 1 < len && p[k + 1] == '\n')
			return k + 2;
		if (k + 2 < len && p[k + 1] == '\r' && p[k + 2] == '\n')
			return k + 3;
		i = k + 1;
	}
	return 0;
}

/* head_done: the header block found (or taken as all there is); sets msg's view of pb */
static int head_done(struct mail_msg *msg, const struct sbuf *pb, size_t head_len, bool complete)
{
	msg->prefix = (const unsigned char *)pb->buf;
	msg->prefix_len = pb->len;
	msg->head_len = head_len;
	msg->head_complete = complete;
	return CONV_OK;
}

int msg_read_head(struct mail_msg *msg, const struct mail_mailbox *mb, struct sbuf *pb,
		  struct sbuf *err)
{
	struct diag *d = mb->diag;
	msg->hash = mb->hash;	/* the caller's (open_mailbox): the reader only passes it on */
	if (msg->hash)
		msg_hash_reset(msg->hash);
	sbuf_reset(pb);
	uint64_t size = msg->size;
	size_t scanned = 0;
	msg->head_complete = false;
	msg->head_len = 0;
	for (;;) {
		size_t want = pb->len < FIRST_READ ? FIRST_READ : pb->len;
		if ((uint64_t)pb->len + want > size)
			want = (size_t)(size - pb->len);
		if (want) {
			sbuf_grow(pb, want);
			ssize_t n = msg_read(msg, pb->buf + pb->len, want, pb->len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				sbuf_addf(err, "cannot read '%s': %s", msg->origin, strerror(errno));
				head_done(msg, pb, 0, false);
				return CONV_MSG_BAD;
			}
			if (msg->hash)
				msg_hash_feed(msg->hash, pb->len, pb->buf + pb->len, (size_t)n);
			sbuf_setlen(pb, pb->len + (size_t)n);
			if (n == 0)
				size = pb->len;	/* shrank: stop here */
		}
		size_t end = find_head_end((const unsigned char *)pb->buf, pb->len, scanned);
		if (end)
			return head_done(msg, pb, end, true);
		scanned = pb->len > 2 ? pb->len - 2 : 0;
		if (pb->len >= size)		/* headers only, no body */
			return head_done(msg, pb, pb->len, true);
		if (pb->len >= HEAD_MAX) {
			diag_warn(d, "'%s': no end of header within %u MiB; the rest is passed "
				  "through as body", msg->origin, HEAD_MAX >> 20);
			return head_done(msg, pb, pb->len, false);
		}
	}
}

int msg_unchanged(const struct mail_msg *msg, struct sbuf *err)
{
	if (!msg->body || !msg->body->ops->changed)
		return CONV_OK;
	struct sbuf why = SBUF_INIT;
	int ret = msg->body->ops->changed(msg->body, &why);
	if (ret < 0 && err)
		sbuf_addf(err, "cannot stat '%s': %s", msg->origin, strerror(errno));
	else if (ret > 0 && err)
		sbuf_addf(err, "'%s' changed while it was read: %s", msg->origin, why.buf);
	sbuf_release(&why);
	return ret ? CONV_MSG_BAD : CONV_OK;
}

int msg_copy_range(const struct mail_msg *msg, uint64_t from,
		   msg_sink_fn *sink, void *ctx, struct sbuf *err)
{
	if (from < msg->prefix_len) {
		if (msg->hash)
			msg_hash_feed(msg->hash, from, msg->prefix + from, msg->prefix_len - from);
		if (sink(ctx, msg->prefix + from, msg->prefix_len - from) < 0)
			return CONV_FATAL;
		from = msg->prefix_len;
	}
	char buf[16384];
	char *chunk = buf;
	size_t chunk_size = sizeof(buf);
	char *big = NULL;
	if (from < msg->size && msg->size - from > sizeof(buf)) {
		big = g_malloc(COPY_CHUNK);
		chunk = big;
		chunk_size = COPY_CHUNK;
	}
	int ret = CONV_OK;
	while (from < msg->size) {
		/* the size taken at open, never more: bytes appended since are not read */
		uint64_t left = msg->size - from;
		ssize_t n = msg_read(msg, chunk, left < chunk_size ? (size_t)left : chunk_size,
				     from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sbuf_addf(err, "cannot read '%s': %s", msg->origin,
				  strerror(errno));
			ret = CONV_MSG_BAD;
			break;
		}
		if (n == 0) {
			sbuf_addf(err, "'%s' changed while it was read: it shrank "
				  "(%llu bytes when opened, it ends at %llu)", msg->origin,
				  (unsigned long long)msg->size,
				  (unsigned long long)from);
			ret = CONV_MSG_BAD;
			break;
		}
		if (msg->hash)
			msg_hash_feed(msg->hash, from, chunk, (size_t)n);
		if (sink(ctx, chunk, (size_t)n) < 0) {
			ret = CONV_FATAL;
			break;
		}
		from += (uint64_t)n;
	}
	g_free(big);
	if (ret == CONV_OK)
		ret = msg_unchanged(msg, err);
	return ret;
}

/*
 * header_block_get: the value of the first `name` field in a raw header
 * block, unfolded (line breaks inside it removed), leading blanks trimmed.
 * Locating a field is the only header work done here; what the value means
 * (addresses, dates, encoded words) is left to GMime.  Building a whole
 * GMimeMessage for two fields cost five times the rest of an export.
 * Returns 1 and fills value, or 0 when there is no such field.
 */
int header_block_get(const unsigned char *head, size_t len, const char *name,
		     struct sbuf *value)
{
	size_t nlen = strlen(name);
	const unsigned char *p = head, *end = head + len;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		const unsigned char *eol = nl ? nl + 1 : end;
		if ((size_t)(eol - p) > nlen && !g_ascii_strncasecmp((const char *)p, name, nlen)) {
			const unsigned char *q = p + nlen;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q < eol && *q == ':') {
				sbuf_reset(value);
				for (;;) {
					for (q++; q < eol; q++)
						if (*q != '\r' && *q != '\n')
							sbuf_addch(value, *q);
					if (eol >= end || (*eol != ' ' && *eol != '\t'))
						break;
					q = eol - 1;	/* a continuation line */
					nl = memchr(eol, '\n', (size_t)(end - eol));
					eol = nl ? nl + 1 : end;
				}
				size_t skip = strspn(value->buf, " \t");
				memmove(value->buf, value->buf + skip, value->len - skip + 1);
				value->len -= skip;
				return 1;
			}
		}
		p = eol;
	}
	return 0;
}

/* address_from_value: first mailbox address of a header value, or "" */
static void address_from_value(const char *value, struct sbuf *out)
{
	InternetAddressList *list = internet_address_list_parse(NULL, value);
	if (list) {
		for (int i = 0; i < internet_address_list_length(list); i++) {
			InternetAddress *ia = internet_address_list_get_address(list, i);
			if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
				const char *a = internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia));
				if (a && *a && !strchr(a, ' ')) {
					sbuf_adds(out, a);
					break;
				}
			}
		}
		g_object_unref(list);
	}
}

void msg_envelope_sender(const struct mail_msg *msg, struct sbuf *out)
{
	static const char *const names[] = { "X-Return-Path", "Return-Path" };
	if (msg->envelope_from && *msg->envelope_from) {
		sbuf_adds(out, msg->envelope_from);
		return;
	}
	size_t before = out->len;
	struct sbuf value = SBUF_INIT;
	for (size_t i = 0; i < 2 && out->len == before; i++)
		if (header_block_get(msg->prefix, msg->head_len, names[i], &value))
			address_from_value(value.buf, out);
	sbuf_release(&value);
	if (out->len == before)
		sbuf_adds(out, "MAILER-DAEMON");
}

int header_block_date(const unsigned char *head, size_t len,
		      const char *name, int64_t *t_r)
{
	struct sbuf value = SBUF_INIT;
	int found = 0;
	if (header_block_get(head, len, name, &value)) {
		GDateTime *dt = g_mime_utils_header_decode_date(value.buf);
		if (dt) {
			*t_r = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
			found = 1;
		}
	}
	sbuf_release(&value);
	return found;
}
