#include "pst/message.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/hdrtext.h"
#include "core/wintext.h"
#include "pst/attach.h"
#include "pst/msgclass.h"
#include "pst/namemap.h"
#include "pst/store.h"

#define PROP(id, type) ((uint32_t)(id) << 16 | (type))
#define TAG(id, type) PROP(id, type)

enum {
	MSGFLAG_READ = 0x01, MSGFLAG_UNSENT = 0x08, MSGFLAG_HASATTACH = 0x10,
	MSGSTATUS_DELMARKED = 0x08, MSGSTATUS_DRAFT = 0x100, MSGSTATUS_ANSWERED = 0x200,
};

/* head_ends: the header block ends with its empty line ("\n\n" or "\n\r\n") */
static bool head_ends(const unsigned char *h, size_t n)
{
	return (n >= 2 && h[n - 1] == '\n' && h[n - 2] == '\n') ||
	       (n >= 3 && h[n - 1] == '\n' && h[n - 2] == '\r' && h[n - 3] == '\n');
}

/*
 * The header scan of pst_message_stream: a state machine over the bytes of
 * the file from its start up to the empty line that ends the header,
 * keeping what the caps allow.  Line ends are kept as they are (CRLF or
 * LF), also after a line cut short.
 */
struct head_scan {
	struct sbuf *kept;
	bool line_start;	/* the next byte starts a line */
	bool start_cr;		/* the line so far is one CR: an empty line if LF follows */
	bool pending_cr;	/* a CR was seen: a line end if LF follows, else content */
	bool keep_field;	/* the field started within PST_HEAD_MAX */
	bool keep_line;		/* this line belongs to a kept field */
	size_t field_kept;	/* bytes kept of the field so far */
};

static void scan_content(struct head_scan *s, unsigned char c)
{
	if (s->keep_line && s->field_kept < PST_FIELD_MAX) {
		sbuf_addch(s->kept, c);
		s->field_kept++;
	}
}

/* scan_byte: false once the empty line that ends the header has been taken */
static bool scan_byte(struct head_scan *s, unsigned char c)
{
	if (s->line_start) {
		s->line_start = false;
		if (c == '\n' || (c == '\r' && !s->start_cr)) {
			if (c == '\r') {
				s->start_cr = true;
				s->line_start = true;	/* still undecided */
				return true;
			}
			sbuf_adds(s->kept, s->start_cr ? "\r\n" : "\n");
			return false;
		}
		bool cont = !s->start_cr && (c == ' ' || c == '\t');
		if (!cont) {
			s->keep_field = s->kept->len < PST_HEAD_MAX;
			s->field_kept = 0;
		}
		s->keep_line = s->keep_field;
		if (s->start_cr) {	/* a line that starts with a lone CR */
			s->start_cr = false;
			scan_content(s, '\r');
		}
	}
	if (c == '\n') {
		if (s->keep_line)
			sbuf_adds(s->kept, s->pending_cr ? "\r\n" : "\n");
		s->pending_cr = false;
		s->line_start = true;
		return true;
	}
	if (s->pending_cr)
		scan_content(s, '\r');
	s->pending_cr = c == '\r';
	if (!s->pending_cr)
		scan_content(s, c);
	return true;
}

/* scan_head: the bounded header block into kept; returns where the body starts */
static uint64_t scan_head(const struct mail_msg *m, uint64_t size, struct sbuf *kept)
{
	struct head_scan s = { .kept = kept, .line_start = true };
	unsigned char *buf = g_malloc(65536);
	uint64_t at = 0;
	while (at < size) {
		uint64_t left = size - at;
		ssize_t n = msg_read(m, buf, left < 65536 ? (size_t)left : 65536, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* the reader and the writer report a short file */
		for (ssize_t i = 0; i < n; i++) {
			/* past the caps, a line's bytes are skipped to its end */
			if (!s.line_start && !s.start_cr && (!s.keep_line ||
			    s.field_kept >= PST_FIELD_MAX)) {
				const unsigned char *nl = memchr(buf + i, '\n', (size_t)(n - i));
				if (!nl) {	/* the line goes on in the next chunk */
					s.pending_cr = buf[n - 1] == '\r';
					break;
				}
				ssize_t j = nl - buf;
				s.pending_cr = j > i ? buf[j - 1] == '\r' : s.pending_cr;
				i = j;
			}
			if (!scan_byte(&s, buf[i])) {
				g_free(buf);
				return at + (uint64_t)i + 1;
			}
		}
		at += (uint64_t)n;
	}
	g_free(buf);
	return at;
}

GMimeStream *pst_message_stream(const struct mail_msg *m, uint64_t size,
				const unsigned char *head, size_t head_len, struct sbuf *kept,
				bool *cut)
{
	*cut = false;
	if (!m || !m->body)
		return g_mime_stream_mem_new();
	if (head_len <= PST_FIELD_MAX && head_ends(head, head_len))
		return msg_stream(m, 0, size);
	*cut = true;
	sbuf_reset(kept);
	uint64_t body = scan_head(m, size, kept);
	GMimeStream *cat = g_mime_stream_cat_new();
	GMimeStream *h = g_mime_stream_mem_new_with_buffer(kept->buf, kept->len);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), h);
	g_object_unref(h);
	GMimeStream *file = msg_stream(m, body, size);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), file);
	g_object_unref(file);
	return cat;
}

uint64_t pst_filetime(int64_t t)
{
	return (uint64_t)(t + 11644473600LL) * 10000000ull;
}

/*
 * Address fields (issue 15): the raw values of every `field` header of
 * msg, decoded by the header text rule (core/hdrtext.h), never by GMime's
 * own guess.  display_names: "Name; Name2", as Outlook's PR_DISPLAY_TO.
 */
static void display_names(GMimeObject *msg, const char *field, const struct hdr_charsets *cs,
			  struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	if (hdr_object_raw_list(msg, field, &raw))
		hdr_display_list(raw.buf, raw.len, cs, out);
	sbuf_release(&raw);
}

/* field_mailboxes: the mailboxes of every `field` header (groups flattened): struct hdr_addr */
static GArray *field_mailboxes(GMimeObject *msg, const char *field, const struct hdr_charsets *cs)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct hdr_addr));
	struct sbuf raw = SBUF_INIT;
	if (hdr_object_raw_list(msg, field, &raw))
		hdr_addresses(raw.buf, raw.len, cs, a);
	sbuf_release(&raw);
	return a;
}

/* first_mailbox: name and address of the first mailbox of From: */
static void first_mailbox(GMimeObject *msg, const struct hdr_charsets *cs, struct sbuf *name,
			  struct sbuf *addr)
{
	GArray *a = field_mailboxes(msg, "From", cs);
	if (a->len) {
		sbuf_adds(name, g_array_index(a, struct hdr_addr, 0).name);
		sbuf_adds(addr, g_array_index(a, struct hdr_addr, 0).addr);
	}
	hdr_addr_array_free(a);
}

/* find_text: the first text/<subtype> part that is not an attachment */
static GMimeTextPart *find_text(GMimeObject *obj, const char *subtype)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			GMimeTextPart *t = find_text(g_mime_multipart_get_part(mp, i), subtype);
			if (t)
				return t;
		}
		return NULL;
	}
	if (!GMIME_IS_TEXT_PART(obj))
		return NULL;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	if (cd && g_mime_content_disposition_is_attachment(cd))
		return NULL;
	return g_mime_content_type_is_type(ct, "text", subtype) ? GMIME_TEXT_PART(obj) : NULL;
}

/* ---- body text ----------------------------------------------------------- */

/* is_utf8_name: a charset name that means UTF-8, or ASCII (a subset of it) */
static bool is_utf8_name(const char *charset)
{
	static const char *const names[] = { "utf-8", "utf8", "us-ascii", "ascii",
					     "ansi_x3.4-1968", "iso646-us", "us" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!g_ascii_strcasecmp(charset, names[i]))
			return true;
	return false;
}

/*
 * decode_text: bytes in `charset` to UTF-8, never failing, no byte lost
 * but NULs.  A known charset is converted by iconv (GMime's names
 * and aliases); a byte that is not valid in it is taken as Windows-1252
 * and the conversion goes on after it.  No charset, UTF-8 or ASCII, or a
 * name iconv does not know: UTF-8 where the bytes are valid UTF-8, each
 * other byte as Windows-1252 (wintext_to_utf8).  NUL characters are
 * dropped: a MAPI string ends at the first one.
 */
static void decode_text(const char *charset, const char *bytes, size_t len, struct sbuf *out)
{
	size_t start = out->len;
	iconv_t cd = (iconv_t)-1;
	if (charset && *charset && !is_utf8_name(charset))
		cd = g_mime_iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		wintext_to_utf8(out, bytes, len);
	} else {
		char buf[8192];
		char *in = (char *)bytes;
		size_t left = len;
		while (left) {
			char *o = buf;
			size_t room = sizeof(buf);
			size_t r = iconv(cd, &in, &left, &o, &room);
			int e = errno;
			sbuf_add(out, buf, sizeof(buf) - room);
			if (r == (size_t)-1 && e != E2BIG) {
				wintext_to_utf8(out, in, 1);	/* EILSEQ, EINVAL: one byte */
				in++;
				left--;
			}
		}
		g_mime_iconv_close(cd);
	}
	size_t w = start;
	for (size_t r = start; r < out->len; r++)
		if (out->buf[r])
			out->buf[w++] = out->buf[r];
	sbuf_setlen(out, w);
}

/* pst_part_text: a text part's content (transfer encoding undone) as UTF-8; message.h */
void pst_part_text(GMimeObject *part, struct sbuf *out)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
	if (!content)
		return;
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	decode_text(g_mime_object_get_content_type_parameter(part, "charset"),
		    (const char *)bytes->data, bytes->len, out);
	g_object_unref(mem);
}

/* ---- recipients ---------------------------------------------------------- */

#define NID_RECIPIENT_TABLE 0x692u


static void recipient_row(struct pst_tc *t, uint32_t row, uint32_t type, const char *name,
			  const char *addr)
{
	struct sbuf key = SBUF_INIT;
	sbuf_adds(&key, "SMTP:");
	for (const char *p = addr; *p; p++)
		sbuf_addch(&key, g_ascii_toupper(*p));
	sbuf_add(&key, "", 1);			/* PR_SEARCH_KEY keeps its NUL */
	pst_tc_row_begin(t, row);
	pst_tc_set_u32(t, TAG(0x0C15, PT_LONG), type);		/* 1 To, 2 Cc, 3 Bcc */
	pst_tc_set_u32(t, TAG(0x0E0F, PT_BOOLEAN), 1);
	pst_tc_set_u32(t, TAG(0x0FFE, PT_LONG), 6);		/* MAPI_MAILUSER */
	pst_tc_set_string(t, TAG(0x3001, PT_UNICODE), name);
	pst_tc_set_string(t, TAG(0x3002, PT_UNICODE), "SMTP");
	pst_tc_set_string(t, TAG(0x3003, PT_UNICODE), addr);
	pst_tc_set_binary(t, TAG(0x300B, PT_BINARY), key.buf, key.len);
	pst_tc_set_u32(t, TAG(0x3900, PT_LONG), 0);		/* DT_MAILUSER */
	pst_tc_set_string(t, TAG(0x39FF, PT_UNICODE), name);
	pst_tc_set_u32(t, TAG(0x3A40, PT_BOOLEAN), 0);
	pst_tc_row_end(t);
	sbuf_release(&key);
}

/* a recipient row to be: its type (1 To, 2 Cc, 3 Bcc), name and address (g_malloc'd) */
struct recipient {
	uint32_t type;
	char *name, *addr;
};

/* plan_recipients: mailboxes of a field (groups flattened) as recipients of one type */
static void plan_recipients(GArray *out, GMimeObject *msg, const char *field,
			    const struct hdr_charsets *cs, uint32_t type)
{
	GArray *a = field_mailboxes(msg, field, cs);
	for (guint i = 0; i < a->len; i++) {
		const struct hdr_addr *h = &g_array_index(a, struct hdr_addr, i);
		struct recipient r = { type, g_strdup(h->name), g_strdup(h->addr) };
		g_array_append_val(out, r);
	}
	hdr_addr_array_free(a);
}

/* write_recipients: the recipient table 0x692 (To, Cc, Bcc), always present */
static void write_recipients(struct pst_pc *pc, const GArray *recips)
{
	struct pst_tc t;
	pst_tc_init(&t, pc->ndb, pst_recipient_cols, pst_recipient_ncols);
	for (guint i = 0; i < recips->len; i++) {
		const struct recipient *r = &g_array_index(recips, struct recipient, i);
		recipient_row(&t, i, r->type, r->name, r->addr);
	}
	uint64_t data, sub;
	pst_tc_write(&t, &data, &sub);
	pst_pc_add_subnode(pc, NID_RECIPIENT_TABLE, data, sub);
	pst_pc_count_sub_bytes(pc, t.sub.written_size);
	pst_tc_release(&t);
}

struct fields {
	struct sbuf subject, from_name, from_addr, to, cc, bcc, msgid, headers, body;
	struct sbuf prefix, in_reply_to, references;
	struct sbuf headers16, body16;	/* headers and body as UTF-16LE (pst_utf16le) */
	uint32_t importance;		/* 0 low, 1 normal, 2 high */
	uint32_t sensitivity;		/* 0 none, 1 personal, 2 private, 3 confidential */
	int64_t sent;			/* Date:, or the internal date */
	GMimeObject *body_part;		/* the part PR_BODY came from */
	GMimeObject *html_part;		/* the part PR_HTML came from */
	struct sbuf html;
	unsigned attachments;
	unsigned hidden;		/* attachments that are inline images */
	struct pst_class cls;		/* issue 15: PR_MESSAGE_CLASS and its layout */
};

/*
 * subject_prefix: "RE: ", "Fwd: " and the like (up to 3 letters and a
 * colon, then a blank), which Outlook keeps apart from the normalized
 * subject.
 */
static void subject_prefix(const char *subject, struct sbuf *prefix)
{
	size_t n = 0;
	while (n < 4 && g_ascii_isalpha(subject[n]))
		n++;
	if (n >= 1 && n <= 3 && subject[n] == ':' && subject[n + 1] == ' ')
		sbuf_add(prefix, subject, n + 2);
}

/* importance_of: Importance: or X-Priority: (1-2 high, 4-5 low) */
static uint32_t importance_of(GMimeObject *m)
{
	const char *v = g_mime_object_get_header(m, "Importance");
	if (v) {
		while (*v == ' ')
			v++;
		if (!g_ascii_strncasecmp(v, "high", 4))
			return 2;
		if (!g_ascii_strncasecmp(v, "low", 3))
			return 0;
		return 1;
	}
	v = g_mime_object_get_header(m, "X-Priority");
	while (v && *v == ' ')
		v++;
	if (v && (*v == '1' || *v == '2'))
		return 2;
	if (v && (*v == '4' || *v == '5'))
		return 0;
	return 1;
}

/* sensitivity_of: the Sensitivity: header (RFC 2156) */
static uint32_t sensitivity_of(GMimeObject *m)
{
	const char *v = g_mime_object_get_header(m, "Sensitivity");
	while (v && *v == ' ')
		v++;
	if (!v)
		return 0;
	if (!g_ascii_strncasecmp(v, "personal", 8))
		return 1;
	if (!g_ascii_strncasecmp(v, "private", 7))
		return 2;
	if (!g_ascii_strncasecmp(v, "company-confidential", 20))
		return 3;
	return 0;
}

static void fields_from_mime(GMimeMessage *msg, const struct pst_msg_in *m,
			     const struct hdr_charsets *cs, struct fields *f)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	hdr_object_text(obj, "Subject", cs, &f->subject);	/* issue 15: the header text rule */
	first_mailbox(obj, cs, &f->from_name, &f->from_addr);
	display_names(obj, "To", cs, &f->to);
	display_names(obj, "Cc", cs, &f->cc);
	display_names(obj, "Bcc", cs, &f->bcc);	/* drafts, sent copies */
	const char *s = g_mime_message_get_message_id(msg);
	if (s)
		sbuf_addf(&f->msgid, "<%s>", s);
	subject_prefix(f->subject.buf, &f->prefix);
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To");
	if (v)
		sbuf_adds(&f->in_reply_to, v);
	v = g_mime_object_get_header(GMIME_OBJECT(msg), "References");
	if (v)
		sbuf_adds(&f->references, v);
	f->importance = importance_of(GMIME_OBJECT(msg));
	f->sensitivity = sensitivity_of(GMIME_OBJECT(msg));
	GDateTime *dt = g_mime_message_get_date(msg);
	f->sent = dt ? g_date_time_to_unix(dt) : m->received;
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeTextPart *text = body ? find_text(body, "plain") : NULL;
	f->body_part = text ? GMIME_OBJECT(text) : NULL;
	GMimeTextPart *html = body ? find_text(body, "html") : NULL;
	f->html_part = html ? GMIME_OBJECT(html) : NULL;
	if (html)
		pst_part_text(f->html_part, &f->html);	/* UTF-8: PR_INTERNET_CPID says 65001 */
	if (text)
		pst_part_text(f->body_part, &f->body);
}

static void set_text(struct pst_pc *pc, struct pst_tc *tc, uint16_t id, const struct sbuf *v)
{
	pst_pc_add_string(pc, id, v->buf);
	if (tc)
		pst_tc_set_string(tc, PROP(id, PT_UNICODE), v->buf);
}

static void set_long(struct pst_pc *pc, struct pst_tc *tc, uint16_t id, uint32_t v)
{
	pst_pc_add_u32(pc, id, PT_LONG, v);
	if (tc)
		pst_tc_set_u32(tc, PROP(id, PT_LONG), v);
}

static void set_time(struct pst_pc *pc, struct pst_tc *tc, uint16_t id, int64_t t)
{
	pst_pc_add_u64(pc, id, PT_SYSTIME, pst_filetime(t));
	if (tc)
		pst_tc_set_u64(tc, PROP(id, PT_SYSTIME), pst_filetime(t));
}

static void add_properties(struct pst_pc *pc, struct pst_tc *tc, const struct fields *f,
			   const struct pst_msg_in *m, const unsigned char *head, size_t head_len)
{
	/*
	 * MSGFLAG_HASATTACH and PR_HASATTACH: the message has at least one
	 * attachment object ([MS-OXCMSG] 2.2.1.2), hidden inline images
	 * included: that is what MAPI and the readers take them to mean.
	 * Whether Outlook draws a paperclip for a message whose attachments
	 * are all hidden is PidLidSmartNoAttach's say, a named property
	 * (namemap.h): true then.
	 */
	unsigned mflags = (m->flags & MSG_SEEN ? MSGFLAG_READ : 0) |
			  (m->flags & MSG_DRAFT ? MSGFLAG_UNSENT : 0) |
			  (f->attachments ? MSGFLAG_HASATTACH : 0);
	pst_pc_add_bool(pc, 0x0E1B, f->attachments > 0);		/* PR_HASATTACH */
	if (f->attachments && f->hidden == f->attachments)
		pst_pc_add_bool(pc, PST_PID_SMART_NO_ATTACH, 1);
	unsigned status = (m->flags & MSG_DELETED ? MSGSTATUS_DELMARKED : 0) |
			  (m->flags & MSG_DRAFT ? MSGSTATUS_DRAFT : 0) |
			  (m->flags & MSG_ANSWERED ? MSGSTATUS_ANSWERED : 0);
	struct sbuf cls = SBUF_INIT;
	sbuf_adds(&cls, f->cls.name);		/* issue 15: msgclass.c */
	set_text(pc, tc, 0x001A, &cls);
	sbuf_release(&cls);
	pst_class_props(pc, &f->cls, f->sent);
	set_text(pc, tc, 0x0037, &f->subject);
	struct sbuf normalized = SBUF_INIT;
	const char *rest = f->subject.buf + f->prefix.len;
	while (f->prefix.len && (*rest == ' ' || *rest == '\t'))
		rest++;			/* "Re:   x" normalizes to "x" */
	sbuf_adds(&normalized, rest);
	set_text(pc, NULL, 0x0E1D, &normalized);		/* PR_NORMALIZED_SUBJECT */
	set_text(pc, tc, 0x0070, &normalized);		/* PR_CONVERSATION_TOPIC */
	sbuf_release(&normalized);
	set_text(pc, NULL, 0x003D, &f->prefix);		/* PR_SUBJECT_PREFIX */
	set_long(pc, tc, 0x0017, f->importance);
	set_long(pc, tc, 0x0036, f->sensitivity);
	pst_pc_add_u32(pc, 0x0026, PT_LONG, f->importance == 2 ? 1 :	/* PR_PRIORITY */
		       f->importance == 0 ? 0xFFFFFFFFu : 0);
	set_long(pc, tc, 0x0E07, mflags);
	set_long(pc, tc, 0x0E17, status);
	set_long(pc, NULL, 0x0E08, 0);			/* PR_MESSAGE_SIZE: set at write */
	pst_pc_set_size_prop(pc, 0x0E08);
	set_time(pc, tc, 0x0039, f->sent);		/* client submit time */
	set_time(pc, tc, 0x0E06, m->received);		/* delivery time */
	set_time(pc, NULL, 0x3007, m->received);	/* creation */
	set_time(pc, tc, 0x3008, m->received);		/* last modification */
	set_text(pc, NULL, 0x0C1A, &f->from_name);
	set_text(pc, NULL, 0x0C1F, &f->from_addr);
	set_text(pc, tc, 0x0042, &f->from_name);
	set_text(pc, NULL, 0x0065, &f->from_addr);
	pst_pc_add_string(pc, 0x0C1E, "SMTP");
	pst_pc_add_string(pc, 0x0064, "SMTP");
	set_text(pc, tc, 0x0E04, &f->to);
	set_text(pc, tc, 0x0E03, &f->cc);
	set_text(pc, NULL, 0x0E02, &f->bcc);		/* PR_DISPLAY_BCC */
	/* PR_TRANSPORT_MESSAGE_HEADERS and PR_BODY: made UTF-16 by prepare */
	pst_pc_add_binary(pc, 0x007D, PT_UNICODE, f->headers16.buf, f->headers16.len);
	if (f->body.len)
		pst_pc_add_binary(pc, 0x1000, PT_UNICODE, f->body16.buf, f->body16.len);
	if (f->html.len) {
		pst_pc_add_binary(pc, 0x1013, PT_BINARY, f->html.buf, f->html.len);	/* PR_HTML */
		pst_pc_add_u32(pc, 0x3FDE, PT_LONG, 65001);	/* PR_INTERNET_CPID: UTF-8 */
		pst_pc_add_u32(pc, 0x3FFD, PT_LONG, 65001);	/* PR_MESSAGE_CODEPAGE */
	}
	if (f->msgid.len)
		set_text(pc, NULL, 0x1035, &f->msgid);
	if (f->in_reply_to.len)
		set_text(pc, NULL, 0x1042, &f->in_reply_to);	/* PR_IN_REPLY_TO_ID */
	if (f->references.len)
		set_text(pc, NULL, 0x1039, &f->references);	/* PR_INTERNET_REFERENCES */
	if (m->flags & MSG_ANSWERED) {
		pst_pc_add_u32(pc, 0x1081, PT_LONG, 102);	/* last verb: reply */
		pst_pc_add_u64(pc, 0x1082, PT_SYSTIME, pst_filetime(m->received));
		pst_pc_add_u32(pc, 0x1080, PT_LONG, 0x105);	/* icon: replied */
	}
	if (m->flags & MSG_FLAGGED) {
		pst_pc_add_u32(pc, 0x1090, PT_LONG, 2);		/* follow-up flagged */
		pst_pc_add_u32(pc, 0x1095, PT_LONG, 6);		/* red */
	}
	/* PR_SEARCH_KEY: 16 bytes derived from the header, stable across runs */
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, head, (gssize)head_len);
	guint8 digest[32];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(ck, digest, &dlen);
	g_checksum_free(ck);
	pst_pc_add_binary(pc, 0x300B, PT_BINARY, digest, 16);
}

/*
 * What prepare makes of a message: everything the PST takes of it that is
 * not PST state.  The GMime message (with its parser and stream) is kept
 * only while an attachment is still to be read from it.
 */
struct pst_prepared {
	struct fields f;
	struct sbuf kept;		/* the bounded header block, when cut */
	bool cut;
	bool parsed;			/* GMime made a message of it */
	GArray *recipients;		/* struct recipient */
	struct pst_attach_list attachments;
	GMimeStream *st;
	GMimeParser *parser;
	GMimeMessage *msg;
};

static void fields_init(struct fields *f, int64_t received)
{
	memset(f, 0, sizeof(*f));
	struct sbuf *all[] = { &f->subject, &f->from_name, &f->from_addr, &f->to, &f->cc, &f->bcc,
			       &f->msgid, &f->headers, &f->body, &f->html, &f->prefix,
			       &f->in_reply_to, &f->references, &f->headers16, &f->body16 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sbuf_init(all[i]);
	f->sent = received;
	f->importance = 1;
	pst_class_of(NULL, false, &f->cls);	/* IPM.Note until the parse says more */
}

static void fields_release(struct fields *f)
{
	struct sbuf *all[] = { &f->subject, &f->from_name, &f->from_addr, &f->to, &f->cc, &f->bcc,
			       &f->msgid, &f->headers, &f->body, &f->html, &f->prefix,
			       &f->in_reply_to, &f->references, &f->headers16, &f->body16 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sbuf_release(all[i]);
	pst_class_release(&f->cls);
}

/* drop_mime: the GMime message, its parser and stream, once nothing reads them */
static void drop_mime(struct pst_prepared *p)
{
	if (p->msg)
		g_object_unref(p->msg);
	if (p->parser)
		g_object_unref(p->parser);
	if (p->st)
		g_object_unref(p->st);
	p->msg = NULL;
	p->parser = NULL;
	p->st = NULL;
	p->f.body_part = p->f.html_part = NULL;
}

/*
 * delivered_to_recipient (issue 15): a message that names no recipient
 * (a Bcc copy, list mail) gets the mailbox it was delivered to
 * (Delivered-To, else X-Original-To) as a Bcc row: it reached that
 * mailbox without being named in To or Cc, which is what a Bcc is, and
 * a reply-all from it then writes to nobody it was not written to.
 */
static void delivered_to_recipient(struct pst_prepared *p)
{
	const struct pst_class *c = &p->f.cls;
	if (p->recipients->len || !c->rcvd_addr)
		return;
	struct recipient r = { 3, g_strdup(c->rcvd_name), g_strdup(c->rcvd_addr) };
	g_array_append_val(p->recipients, r);
	sbuf_adds(&p->f.bcc, c->rcvd_name);
}

/* signed_entity: a SIGNED message's attachment stream, from the file's own bytes */
static GMimeStream *signed_entity(const struct pst_msg_in *m)
{
	size_t hl = m->head_len <= m->len ? m->head_len : m->len;
	GMimeStream *body = m->raw ?
		g_mime_stream_mem_new_with_buffer((const char *)m->raw + hl, m->len - hl) :
		msg_stream(m->msg, hl, m->len);
	GMimeStream *e = pst_signed_entity(m->head, hl, body);
	g_object_unref(body);
	return e;
}

struct pst_prepared *pst_prepare_message(const struct pst_msg_in *m, uint64_t decode_max)
{
	struct pst_prepared *p = g_new0(struct pst_prepared, 1);
	fields_init(&p->f, m->received);
	sbuf_init(&p->kept);
	/* a file is parsed where it lies: GMime reads parts on demand */
	p->st = m->raw ? g_mime_stream_mem_new_with_buffer((const char *)m->raw, m->len) :
		pst_message_stream(m->msg, m->len, m->head, m->head_len, &p->kept, &p->cut);
	const unsigned char *head = p->cut ? (const unsigned char *)p->kept.buf : m->head;
	size_t head_len = p->cut ? p->kept.len : m->head_len;
	p->parser = g_mime_parser_new_with_stream(p->st);
	g_mime_parser_set_persist_stream(p->parser, TRUE);	/* parts stay in the file */
	p->msg = g_mime_parser_construct_message(p->parser, NULL);
	p->parsed = p->msg != NULL;
	p->recipients = g_array_new(FALSE, FALSE, sizeof(struct recipient));
	if (p->msg) {
		struct hdr_charsets cs;	/* issue 15: the message's charsets for its header text */
		hdr_charsets_from_message(&cs, GMIME_OBJECT(p->msg), m->fallback);
		/* the header block's 8-bit text by the same rule (issue 15): readers show it */
		hdrtext_raw_block((const char *)head, head_len, &cs, &p->f.headers);
		pst_utf16le(&p->f.headers16, p->f.headers.buf);
		fields_from_mime(p->msg, m, &cs, &p->f);
		pst_utf16le(&p->f.body16, p->f.body.buf);
		plan_recipients(p->recipients, GMIME_OBJECT(p->msg), "To", &cs, 1);
		plan_recipients(p->recipients, GMIME_OBJECT(p->msg), "Cc", &cs, 2);
		plan_recipients(p->recipients, GMIME_OBJECT(p->msg), "Bcc", &cs, 3);
		hdr_charsets_release(&cs);
		/* issue 15: the class, its attachment layout, Delivered-To (msgclass.h) */
		pst_class_of(p->msg, !p->cut, &p->f.cls);
		delivered_to_recipient(p);
		if (p->f.cls.kind == PST_CLASS_SIGNED) {
			GMimeStream *e = signed_entity(m);
			pst_class_plan_signed(&p->attachments, e);
			g_object_unref(e);
			drop_mime(p);
		} else if (pst_plan_attachments(&p->attachments, p->msg, p->f.body_part,
						p->f.html_part, p->f.html.buf, decode_max,
						m->fallback)) {
			drop_mime(p);
		}
		if (p->f.cls.kind == PST_CLASS_OPAQUE)
			pst_class_plan_opaque(&p->attachments);
	} else {
		struct hdr_charsets cs;	/* no message to declare a charset: the fallbacks */
		hdr_charsets_fallback_only(&cs, m->fallback);
		hdrtext_raw_block((const char *)head, head_len, &cs, &p->f.headers);
		pst_utf16le(&p->f.headers16, p->f.headers.buf);
		hdr_charsets_release(&cs);
		drop_mime(p);	/* written raw (pst_write_raw_attachment) */
	}
	return p;
}

void pst_prepared_free(struct pst_prepared *p)
{
	if (!p)
		return;
	drop_mime(p);
	pst_attach_list_release(&p->attachments);
	for (guint i = 0; i < p->recipients->len; i++) {
		struct recipient *r = &g_array_index(p->recipients, struct recipient, i);
		g_free(r->name);
		g_free(r->addr);
	}
	g_array_free(p->recipients, TRUE);
	sbuf_release(&p->kept);
	fields_release(&p->f);
	g_free(p);
}

int pst_write_message(struct pst_ndb *n, struct pst_tc *contents, uint32_t nid,
		      uint32_t folder_nid, const struct pst_msg_in *m, struct pst_prepared *p)
{
	if (!p)			/* the same work, here; attachments are read as written */
		p = pst_prepare_message(m, 0);
	struct fields *f = &p->f;
	const unsigned char *head = p->cut ? (const unsigned char *)p->kept.buf : m->head;
	size_t head_len = p->cut ? p->kept.len : m->head_len;
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	/*
	 * What PR_MESSAGE_SIZE counts besides attachments, bounded from above:
	 * the text fields and recipients all come from the header (UTF-16, a
	 * few copies each, a recipient row of ~100 bytes per address of 3
	 * bytes or more), the bodies (UTF-16 text, UTF-8 HTML), the heaps.
	 */
	struct pst_size_limit lim = { m->size_max ? m->size_max : PST_SIZE_MAX,
				      16384 + 40 * (uint64_t)f->headers.len +
				      2 * (uint64_t)f->body.len + (uint64_t)f->html.len, m->left_out };
	f->attachments = p->parsed ? pst_write_planned_attachments(&pc, &p->attachments, &lim) :
			 pst_write_raw_attachment(&pc, m, &lim);
	f->hidden = p->parsed ? p->attachments.hidden : 0;
	int ret = p->parsed ? 0 : -1;
	/* every read of the file is done: was it one version of it? */
	if (m->watch && msg_unchanged(m->watch, m->changed) != CONV_OK) {
		ret = -2;
		goto out;
	}
	write_recipients(&pc, p->recipients);
	if (contents)
		pst_tc_row_begin(contents, nid);
	add_properties(&pc, contents, f, m, head, head_len);
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	if (pc.size_saturated && m->left_out)	/* only when `reserved` fell short */
		sbuf_addf(m->left_out, "PR_MESSAGE_SIZE %llu is past %llu; written as %llu\n",
			  (unsigned long long)pc.written_size, PST_SIZE_MAX, PST_SIZE_MAX);
	if (contents) {
		pst_tc_set_u32(contents, PROP(0x0E08, PT_LONG), pst_size_value(pc.written_size));
		pst_tc_row_end(contents);
	}
	pst_ndb_add_node(n, nid, data, sub, folder_nid);
out:
	pst_pc_release(&pc);
	pst_prepared_free(p);
	return ret;
}
