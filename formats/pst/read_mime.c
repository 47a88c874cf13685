/*
 * A PST message item rebuilt as RFC 5322 bytes, through GMime.
 *
 * The header is the item's PR_TRANSPORT_MESSAGE_HEADERS (the header block
 * as the message arrived) less its Content-Type, Content-Transfer-Encoding
 * and MIME-Version, which describe a body that is rebuilt here.  A field it
 * lacks (or every field, without one) is made from the properties: From
 * (sender), To/Cc/Bcc (recipient table), Subject, Date (submit time),
 * Message-ID, In-Reply-To.  Every field is set through GMime, which encodes
 * non-ASCII text (RFC 2047) and folds.
 *
 * The body: the text (PR_BODY) and HTML (PR_HTML) bodies, as
 * multipart/alternative when both are there, then every attachment in a
 * multipart/mixed: a file by its long name, MIME type and Content-ID
 * (always base64, so its bytes come back as they were); an embedded message
 * as message/rfc822, rebuilt the same way (depth-bounded).
 *
 * Memory: the two bodies are held while the message is written (as the PST
 * writer does); attachment data is copied from libpff in 64 KiB chunks to
 * a scratch file and streamed from there, and the message is written to
 * the reader's output file, so a large attachment costs no memory.
 */
#include "pst/read.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/wintext.h"
#include "core/xalloc.h"

#define EMBED_DEPTH_MAX 8	/* message/rfc822 inside message/rfc822 ... */
#define ATT_CHUNK (64 * 1024)

/* ---- the header ----------------------------------------------------------------- */

struct build {
	uint32_t nid;		/* the item's, for boundaries */
	unsigned parts;		/* multiparts made so far */
	int scratch_fd;
	uint64_t scratch_off;	/* where the next attachment's data goes */
	struct sbuf *warn;
};

static void warn(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct build *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (b->warn->len)
		sbuf_adds(b->warn, "; ");
	sbuf_vaddf(b->warn, fmt, ap);
	va_end(ap);
}

/* dropped_field: a field of the transport header that describes the old body */
static bool dropped_field(const char *line, size_t len)
{
	static const char *const names[] = {
		"content-type", "content-transfer-encoding", "mime-version",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (len > n && !g_ascii_strncasecmp(line, names[i], n)) {
			size_t k = n;
			while (k < len && (line[k] == ' ' || line[k] == '\t'))
				k++;
			if (k < len && line[k] == ':')
				return true;
		}
	}
	return false;
}

/* field_line: "Name:" with a name of printable ASCII */
static bool field_line(const char *line, size_t len)
{
	size_t k = 0;
	while (k < len && line[k] > ' ' && line[k] < 0x7f && line[k] != ':')
		k++;
	while (k < len && (line[k] == ' ' || line[k] == '\t'))
		k++;
	return k > 0 && k < len && line[k] == ':';
}

/*
 * transport_header: the header block of PR_TRANSPORT_MESSAGE_HEADERS up to
 * its first empty line, less the dropped fields, ending in an empty line;
 * false when it holds no header field
 */
static bool transport_header(const struct pst_props *pr, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	bool any = false, keep = false;
	if (pst_prop_string(pr, PR_TRANSPORT_MESSAGE_HEADERS, &raw)) {
		const char *p = raw.buf, *end = raw.buf + raw.len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *eol = nl ? nl + 1 : end;
			size_t n = (size_t)((nl ? nl : end) - p);
			if (n && p[n - 1] == '\r')
				n--;
			if (n == 0)
				break;	/* its end */
			if (*p == ' ' || *p == '\t') {
				if (keep) {	/* a continuation line of a kept field */
					sbuf_addch(out, '\n');
					sbuf_add(out, p, n);
				}
			} else if (field_line(p, n)) {
				keep = !dropped_field(p, n);
				if (keep) {
					if (out->len)
						sbuf_addch(out, '\n');
					sbuf_add(out, p, n);
				}
				any = true;
			} else {
				break;	/* not a header line: what follows is not header */
			}
			p = eol;
		}
	}
	sbuf_release(&raw);
	if (any)
		sbuf_adds(out, "\n\n");
	return any;
}

/* parse_header: the header block as a GMime message (with an empty body) */
static GMimeMessage *parse_header(const struct sbuf *head)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(head->buf, head->len);
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(s);
	return msg;
}

static bool has_field(GMimeMessage *msg, const char *name)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), name);
	return v && *v;
}

/* address: an SMTP address from smtp_id, else email_id unless it is an X.500 (EX) name */
static void address(const struct pst_props *pr, uint32_t smtp_id, uint32_t email_id,
		    struct sbuf *out)
{
	if (pst_prop_string(pr, smtp_id, out) && out->len)
		return;
	sbuf_reset(out);
	if (pst_prop_string(pr, email_id, out) && out->buf[0] == '/')
		sbuf_reset(out);	/* "/O=ENRON/OU=NA/CN=..." is no address */
}

static void add_mailbox(GMimeMessage *msg, GMimeAddressType t, const char *name,
			const char *addr)
{
	if (!*name && !*addr)
		return;
	if (*addr) {
		g_mime_message_add_mailbox(msg, t, name, addr);
		return;
	}
	/* a name without an address: an empty group ("Name: ;") keeps it, validly */
	InternetAddress *group = internet_address_group_new(name);
	internet_address_list_add(g_mime_message_get_addresses(msg, t), group);
	g_object_unref(group);
}

/* from_props: From made of the sender (or sent-representing) properties */
static void from_props(GMimeMessage *msg, const struct pst_props *pr)
{
	struct sbuf name = SBUF_INIT, addr = SBUF_INIT;
	pst_prop_string(pr, PR_SENDER_NAME, &name);
	address(pr, PR_SENDER_SMTP_ADDRESS, PR_SENDER_EMAIL, &addr);
	if (!name.len && !addr.len) {
		pst_prop_string(pr, PR_SENT_REPRESENTING_NAME, &name);
		address(pr, PR_SENT_REPRESENTING_SMTP, PR_SENT_REPRESENTING_EMAIL, &addr);
	}
	add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, name.buf, addr.buf);
	sbuf_release(&name);
	sbuf_release(&addr);
}

/* recipients_props: To/Cc/Bcc (those of the types in want) from the recipient table */
static void recipients_props(GMimeMessage *msg, libpff_item_t *item, unsigned codepage,
			     const bool want[4], struct build *b)
{
	libpff_item_t *rcpts = NULL;
	int n = 0;
	if (libpff_message_get_recipients(item, &rcpts, NULL) != 1)
		return;		/* no recipient table */
	if (libpff_item_get_number_of_record_sets(rcpts, &n, NULL) != 1)
		warn(b, "its recipient table cannot be read");
	static const GMimeAddressType types[4] = {
		GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
		GMIME_ADDRESS_TYPE_BCC,
	};
	struct sbuf name = SBUF_INIT, addr = SBUF_INIT;
	for (int i = 0; i < n; i++) {
		struct pst_props rp = { .codepage = codepage };
		uint32_t type = 1;
		if (libpff_item_get_record_set_by_index(rcpts, i, &rp.set, NULL) != 1) {
			warn(b, "recipient %d cannot be read", i + 1);
			continue;
		}
		pst_prop_u32(&rp, PR_RECIPIENT_TYPE, &type);
		type &= 0x0F;	/* the high bits mark a resent recipient */
		if (type >= 1 && type <= 3 && want[type]) {
			sbuf_reset(&name);
			sbuf_reset(&addr);
			pst_prop_string(&rp, PR_DISPLAY_NAME, &name);
			address(&rp, PR_SMTP_ADDRESS, PR_EMAIL_ADDRESS, &addr);
			add_mailbox(msg, types[type], name.buf, addr.buf);
		}
		pst_props_close(&rp);
	}
	sbuf_release(&name);
	sbuf_release(&addr);
	libpff_item_free(&rcpts, NULL);
}

static void set_msgid_field(GMimeMessage *msg, const char *field, const char *v)
{
	if (!strcmp(field, "Message-Id")) {
		char *id = g_mime_utils_decode_message_id(v);
		if (id && *id)
			g_mime_message_set_message_id(msg, id);
		g_free(id);
	} else {
		g_mime_object_set_header(GMIME_OBJECT(msg), field, v, "utf-8");
	}
}

/* fill_header: every field the header lacks that the properties give */
static void fill_header(GMimeMessage *msg, libpff_item_t *item, const struct pst_props *pr,
			bool had_header, struct build *b)
{
	if (!has_field(msg, "From"))
		from_props(msg, pr);
	bool want[4] = { false, !has_field(msg, "To"), !has_field(msg, "Cc"),
			 !had_header && !has_field(msg, "Bcc") };
	if (!had_header || (want[1] && want[2]))
		recipients_props(msg, item, pr->codepage, want, b);
	struct sbuf v = SBUF_INIT;
	if (!has_field(msg, "Subject") && pst_prop_string(pr, PR_SUBJECT, &v)) {
		/* a subject's first two bytes may be 0x01 and its prefix length */
		const char *s = v.buf[0] == 0x01 && v.len >= 2 ? v.buf + 2 : v.buf;
		g_mime_message_set_subject(msg, s, "utf-8");
	}
	int64_t t;
	if (!has_field(msg, "Date") && (pst_prop_time(pr, PR_CLIENT_SUBMIT_TIME, &t) ||
					pst_prop_time(pr, PR_DELIVERY_TIME, &t))) {
		GDateTime *dt = g_date_time_new_from_unix_utc(t);
		if (dt) {
			g_mime_message_set_date(msg, dt);
			g_date_time_unref(dt);
		}
	}
	static const struct { const char *field; uint32_t id; } ids[] = {
		{ "Message-Id", PR_INTERNET_MESSAGE_ID }, { "In-Reply-To", PR_IN_REPLY_TO_ID },
	};
	for (size_t i = 0; i < 2; i++) {
		sbuf_reset(&v);
		if (!has_field(msg, ids[i].field) && pst_prop_string(pr, ids[i].id, &v) && v.len)
			set_msgid_field(msg, ids[i].field, v.buf);
	}
	sbuf_release(&v);
}

/* ---- the bodies ----------------------------------------------------------------- */

/* lf_text: text with CRLF and lone CR as LF, NULs dropped */
static char *lf_text(const struct sbuf *s)
{
	char *t = xmalloc(s->len + 1);
	size_t k = 0;
	for (size_t i = 0; i < s->len; i++) {
		char c = s->buf[i];
		if (c == '\r') {
			if (i + 1 < s->len && s->buf[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if (c)
			t[k++] = c;
	}
	t[k] = '\0';
	return t;
}

/*
 * multipart: a new multipart with a boundary of its own that is the same on
 * every read ("=_" never appears in base64 or quoted-printable text), so the
 * message's bytes and SHA-256 are the same when verify reads it again
 */
static GMimeMultipart *multipart(struct build *b, const char *subtype)
{
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype(subtype);
	char boundary[64];
	snprintf(boundary, sizeof(boundary), "=_mdexport_pst_%08x_%u", (unsigned)b->nid,
		 ++b->parts);
	g_mime_multipart_set_boundary(mp, boundary);
	return mp;
}

static GMimeObject *text_part(const char *subtype, const struct sbuf *text)
{
	GMimeTextPart *p = g_mime_text_part_new_with_subtype(subtype);
	char *t = lf_text(text);
	g_mime_text_part_set_text(p, t);
	free(t);
	GMimePart *part = GMIME_PART(p);
	g_mime_part_set_content_encoding(part, g_mime_part_get_best_content_encoding(
		part, GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT(p);
}

/* html_body: PR_HTML (binary, in the message's internet code page, or a string) as UTF-8 */
static bool html_body(const struct pst_props *pr, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	uint32_t type = 0, cpid = 0;
	bool ok = pst_prop_raw(pr, PR_HTML, &raw, &type) && raw.len;
	if (ok && type == 0x001F) {
		pst_utf16_to_utf8(raw.buf, raw.len, out);
	} else if (ok) {
		if (!pst_prop_u32(pr, PR_INTERNET_CPID, &cpid))
			cpid = pr->codepage;
		pst_decode_cp(raw.buf, raw.len, cpid, out);
	}
	sbuf_release(&raw);
	return ok && out->len;
}

static GMimeObject *bodies(struct build *b, const struct pst_props *pr)
{
	struct sbuf text = SBUF_INIT, html = SBUF_INIT;
	bool has_text = pst_prop_string(pr, PR_BODY, &text) && text.len;
	bool has_html = html_body(pr, &html);
	GMimeObject *obj;
	if (has_text && has_html) {
		GMimeMultipart *alt = multipart(b, "alternative");
		GMimeObject *a = text_part("plain", &text), *h = text_part("html", &html);
		g_mime_multipart_add(alt, a);
		g_mime_multipart_add(alt, h);
		g_object_unref(a);
		g_object_unref(h);
		obj = GMIME_OBJECT(alt);
	} else {
		obj = has_html ? text_part("html", &html) : text_part("plain", &text);
	}
	sbuf_release(&text);
	sbuf_release(&html);
	return obj;
}

/* ---- attachments ---------------------------------------------------------------- */

static GMimeMessage *build(struct build *b, libpff_item_t *item, int depth, struct sbuf *err);

/* stage: the attachment's data copied to the scratch file; its stream there, or NULL */
static GMimeStream *stage(struct build *b, libpff_item_t *att, struct sbuf *why)
{
	size64_t size = 0;
	libpff_error_t *e = NULL;
	if (libpff_attachment_get_data_size(att, &size, &e) != 1) {
		pst_error(&e, "its data cannot be read", why);
		return NULL;
	}
	uint64_t start = b->scratch_off;
	char *buf = g_malloc(ATT_CHUNK);
	uint64_t done = 0;
	if (size && libpff_attachment_data_seek_offset(att, 0, SEEK_SET, &e) < 0)
		pst_error(&e, "its data cannot be read", why);
	while (!why->len && done < size) {
		size_t want = size - done < ATT_CHUNK ? (size_t)(size - done) : ATT_CHUNK;
		ssize_t n = libpff_attachment_data_read_buffer(att, (uint8_t *)buf, want, &e);
		if (n <= 0) {
			pst_error(&e, "its data cannot be read", why);
			break;
		}
		int r = sys_pwrite_all(b->scratch_fd, buf, (size_t)n, start + done);
		if (r) {
			sbuf_addf(why, "cannot write its data to a temporary file: %s",
				  strerror(r));
			break;
		}
		done += (uint64_t)n;
	}
	g_free(buf);
	b->scratch_off += done;
	if (why->len)
		return NULL;
	int fd = dup(b->scratch_fd);
	if (fd < 0) {
		sbuf_addf(why, "cannot stage its data: %s", strerror(errno));
		return NULL;
	}
	return g_mime_stream_fs_new_with_bounds(fd, (gint64)start, (gint64)(start + done));
}

/* as_message: bytes that are a message (message/rfc822) parsed; NULL when they are not */
static GMimeObject *as_message(GMimeStream *s)
{
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_mime_stream_reset(s);
	if (!m)
		return NULL;
	GMimeMessagePart *mp = g_mime_message_part_new_with_message("rfc822", m);
	g_object_unref(m);
	return GMIME_OBJECT(mp);
}

/* file_part: a by-value attachment as a base64 MIME part (or an attached message) */
static GMimeObject *file_part(struct build *b, libpff_item_t *att, const struct pst_props *ap,
			      struct sbuf *why)
{
	GMimeStream *s = stage(b, att, why);
	if (!s)
		return NULL;
	struct sbuf v = SBUF_INIT;
	pst_prop_string(ap, PR_ATTACH_MIME_TAG, &v);
	GMimeContentType *ct = v.len ? g_mime_content_type_parse(NULL, v.buf) : NULL;
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : "application";
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "octet-stream";
	GMimeObject *obj = NULL;
	if (!g_ascii_strcasecmp(type, "message") && !g_ascii_strcasecmp(sub, "rfc822"))
		obj = as_message(s);
	if (!obj) {
		GMimePart *part = g_mime_part_new_with_type(type, sub);
		GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(
			s, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(part, w);
		g_object_unref(w);
		g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
		obj = GMIME_OBJECT(part);
	}
	if (ct)
		g_object_unref(ct);
	g_object_unref(s);
	sbuf_release(&v);
	return obj;
}

/* attachment: attachment i of item as a MIME part; NULL (said in warn) when it cannot be had */
static GMimeObject *attachment(struct build *b, libpff_item_t *item, int i, int depth,
			       unsigned codepage)
{
	libpff_item_t *att = NULL;
	libpff_error_t *e = NULL;
	struct sbuf why = SBUF_INIT, name = SBUF_INIT;
	GMimeObject *obj = NULL;
	int type = 0;
	struct pst_props ap = { 0 };
	if (libpff_message_get_attachment(item, i, &att, &e) != 1 ||
	    libpff_attachment_get_type(att, &type, &e) != 1) {
		pst_error(&e, "cannot be read", &why);
		goto out;
	}
	pst_props_open(&ap, att);
	ap.codepage = codepage;
	if (!pst_prop_string(&ap, PR_ATTACH_LONG_FILENAME, &name) || !name.len)
		if (!pst_prop_string(&ap, PR_ATTACH_FILENAME, &name) || !name.len)
			pst_prop_string(&ap, PR_DISPLAY_NAME, &name);
	if (type == LIBPFF_ATTACHMENT_TYPE_DATA) {
		obj = file_part(b, att, &ap, &why);
	} else if (type == LIBPFF_ATTACHMENT_TYPE_ITEM) {
		libpff_item_t *sub = NULL;
		GMimeMessage *m = NULL;
		if (depth >= EMBED_DEPTH_MAX)
			sbuf_addf(&why, "an attached message nested deeper than %d",
				  EMBED_DEPTH_MAX);
		else if (libpff_attachment_get_item(att, &sub, &e) != 1)
			pst_error(&e, "its message cannot be read", &why);
		else
			m = build(b, sub, depth + 1, &why);
		if (sub)
			libpff_item_free(&sub, NULL);
		if (m) {
			obj = GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", m));
			g_object_unref(m);
		}
	} else {
		sbuf_adds(&why, "a reference to a file outside the PST (not read)");
	}
	if (obj && name.len) {
		g_mime_object_set_content_disposition_parameter(obj, "filename", name.buf);
		if (GMIME_IS_PART(obj))
			g_mime_part_set_filename(GMIME_PART(obj), name.buf);
	}
	if (obj) {
		g_mime_object_set_disposition(obj, "attachment");
		sbuf_reset(&name);
		if (pst_prop_string(&ap, PR_ATTACH_CONTENT_ID, &name) && name.len)
			g_mime_object_set_content_id(obj, name.buf);
	}
out:
	if (why.len)
		warn(b, "attachment %d%s%s%s: %s", i + 1, name.len ? " ('" : "", name.buf,
		     name.len ? "')" : "", why.buf);
	pst_props_close(&ap);
	if (att)
		libpff_item_free(&att, NULL);
	sbuf_release(&why);
	sbuf_release(&name);
	return obj;
}

/* ---- the message ---------------------------------------------------------------- */

/*
 * keep_content_fields: the transport header's other Content-* fields
 * (Content-Class, Content-Language...), which GMime files under the old
 * body, carried over to the new one
 */
static void keep_content_fields(GMimeMessage *msg, GMimeObject *body)
{
	GMimeObject *old = g_mime_message_get_mime_part(msg);
	GMimeHeaderList *list = old ? g_mime_object_get_header_list(old) : NULL;
	int n = list ? g_mime_header_list_get_count(list) : 0;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(h);
		if (g_ascii_strcasecmp(name, "Content-Type") &&
		    g_ascii_strcasecmp(name, "Content-Transfer-Encoding") &&
		    g_ascii_strcasecmp(name, "Content-Disposition"))
			g_mime_object_append_header(body, name, g_mime_header_get_value(h),
						    "utf-8");
	}
}

static GMimeMessage *build(struct build *b, libpff_item_t *item, int depth, struct sbuf *err)
{
	struct pst_props pr;
	if (pst_props_open(&pr, item) < 0) {
		sbuf_adds(err, "its properties cannot be read");
		return NULL;
	}
	uint32_t cp = 0;
	if (pst_prop_u32(&pr, PR_MESSAGE_CODEPAGE, &cp) || pst_prop_u32(&pr, PR_INTERNET_CPID, &cp))
		pr.codepage = cp;
	struct sbuf head = SBUF_INIT;
	bool had_header = transport_header(&pr, &head);
	GMimeMessage *msg = had_header ? parse_header(&head) : NULL;
	if (!msg)
		msg = g_mime_message_new(FALSE);
	sbuf_release(&head);
	fill_header(msg, item, &pr, had_header, b);
	GMimeObject *body = bodies(b, &pr);
	int natt = 0;
	if (libpff_message_get_number_of_attachments(item, &natt, NULL) != 1)
		natt = 0;
	if (natt > 0) {
		GMimeMultipart *mixed = multipart(b, "mixed");
		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (int i = 0; i < natt; i++) {
			GMimeObject *a = attachment(b, item, i, depth, pr.codepage);
			if (a) {
				g_mime_multipart_add(mixed, a);
				g_object_unref(a);
			}
		}
		body = GMIME_OBJECT(mixed);
	}
	keep_content_fields(msg, body);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	pst_props_close(&pr);
	return msg;
}

int64_t pst_build_message(libpff_item_t *item, int out_fd, int scratch_fd,
			  struct sbuf *warn_out, struct sbuf *err)
{
	struct build b = { .scratch_fd = scratch_fd, .warn = warn_out };
	libpff_item_get_identifier(item, &b.nid, NULL);
	if (sys_ftruncate(out_fd, 0) < 0 || sys_ftruncate(scratch_fd, 0) < 0 ||
	    lseek(out_fd, 0, SEEK_SET) < 0) {
		sbuf_addf(err, "cannot reset a temporary file: %s", strerror(errno));
		return -1;
	}
	GMimeMessage *msg = build(&b, item, 0, err);
	if (!msg)
		return -1;
	int fd = dup(out_fd);
	if (fd < 0) {
		sbuf_addf(err, "cannot write the rebuilt message: %s", strerror(errno));
		g_object_unref(msg);
		return -1;
	}
	/* the transport header's lines end in CRLF, GMime's in LF: all LF */
	GMimeStream *fs = g_mime_stream_fs_new(fd);
	GMimeStream *f = g_mime_stream_filter_new(fs);
	GMimeFilter *d2u = g_mime_filter_dos2unix_new(FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), d2u);
	g_object_unref(d2u);
	int64_t size = -1;
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, f) < 0 ||
	    g_mime_stream_flush(f) < 0)
		sbuf_addf(err, "cannot write the rebuilt message to a temporary file: %s",
			  strerror(errno));
	else
		size = (int64_t)lseek(out_fd, 0, SEEK_END);
	g_object_unref(f);
	g_object_unref(fs);
	g_object_unref(msg);
	if (size < 0 && !err->len)
		sbuf_addf(err, "cannot size the rebuilt message: %s", strerror(errno));
	return size;
}
