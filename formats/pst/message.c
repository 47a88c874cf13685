#include "message.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "store.h"
#include "wintext.h"

#define PROP(id, type) ((uint32_t)(id) << 16 | (type))

enum {
	MSGFLAG_READ = 0x01, MSGFLAG_UNSENT = 0x08, MSGFLAG_HASATTACH = 0x10,
	MSGSTATUS_DELMARKED = 0x08, MSGSTATUS_DRAFT = 0x100, MSGSTATUS_ANSWERED = 0x200,
};

uint64_t pst_filetime(int64_t t)
{
	return (uint64_t)(t + 11644473600LL) * 10000000ull;
}

/* names: "Name; Name2" of an address list, as Outlook's PR_DISPLAY_TO */
static void display_names(InternetAddressList *list, struct sbuf *out)
{
	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *name = internet_address_get_name(ia);
		if (!name || !*name) {
			if (INTERNET_ADDRESS_IS_MAILBOX(ia))
				name = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		}
		if (out->len)
			sbuf_adds(out, "; ");
		sbuf_adds(out, name ? name : "");
	}
}

/* first_mailbox: name and address of the first mailbox in a list */
static void first_mailbox(InternetAddressList *list, const char **name, const char **addr)
{
	*name = *addr = "";
	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *nm = internet_address_get_name(ia);
			*addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			*name = nm && *nm ? nm : *addr;
			return;
		}
	}
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

/* ---- attachments --------------------------------------------------------- */

#define NID_ATTACH_TABLE 0x671u
#define TAG(id, type) PROP(id, type)


/*
 * is_attachment: every leaf that is not the text body (PR_BODY) or the
 * HTML body (PR_HTML) goes in as an attachment, further text parts
 * included: nothing is dropped.
 */
static bool is_attachment(GMimeObject *part, GMimeObject *body, GMimeObject *html)
{
	return part != body && part != html &&
	       (GMIME_IS_MESSAGE_PART(part) || GMIME_IS_PART(part));
}

static void collect(GMimeObject *obj, GMimeObject *body, GMimeObject *html, GPtrArray *out)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		/* a multipart whose boundary never comes: its text is kept whole */
		if (g_mime_multipart_get_count(mp) == 0 && g_mime_multipart_get_prologue(mp))
			g_ptr_array_add(out, obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			collect(g_mime_multipart_get_part(mp, i), body, html, out);
	} else if (is_attachment(obj, body, html)) {
		g_ptr_array_add(out, obj);
	}
}

/*
 * attachment_source: a stream of the attachment's decoded content (NULL:
 * none), read a chunk at a time (GMime keeps the part in the file:
 * persist_stream), so an attachment of any size never sits in memory.  A
 * message part is the attached message as text.  *bound: at most how many
 * bytes it gives, known without reading it (UINT64_MAX: not known).
 */
static GMimeStream *attachment_source(GMimeObject *part, uint64_t *bound)
{
	GMimeStream *src = NULL;
	*bound = UINT64_MAX;
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		src = g_mime_stream_mem_new();
		if (inner)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, src);
	} else if (GMIME_IS_MULTIPART(part)) {
		const char *text = g_mime_multipart_get_prologue(GMIME_MULTIPART(part));
		src = g_mime_stream_mem_new();
		g_mime_stream_write_string(src, text ? text : "");
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
		GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
		if (raw) {
			g_mime_stream_reset(raw);
			GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
			gint64 len = g_mime_stream_length(raw);
			/* decoding never makes more bytes; base64 makes 3 of every 4 */
			if (len >= 0)
				*bound = enc == GMIME_CONTENT_ENCODING_BASE64 ?
					 (uint64_t)len / 4 * 3 + 3 : (uint64_t)len;
			src = g_mime_stream_filter_new(raw);
			GMimeFilter *dec = g_mime_filter_basic_new(enc, FALSE);
			if (dec) {
				g_mime_stream_filter_add(GMIME_STREAM_FILTER(src), dec);
				g_object_unref(dec);
			}
		}
	}
	if (src && GMIME_IS_STREAM_MEM(src))
		*bound = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(src))->len;
	if (src)
		g_mime_stream_reset(src);
	return src;
}

/* stream_count: how many bytes src gives (read through once, then reset) */
static uint64_t stream_count(GMimeStream *src)
{
	char buf[65536];
	ssize_t n;
	uint64_t total = 0;
	while ((n = g_mime_stream_read(src, buf, sizeof(buf))) > 0)
		total += (uint64_t)n;
	g_mime_stream_reset(src);
	return total;
}

/* attachment_data: the stream into the attachment's 0x3701 value */
static void attachment_data(GMimeStream *src, struct pst_pc_value *v)
{
	char buf[65536];
	ssize_t n;
	while ((n = g_mime_stream_read(src, buf, sizeof(buf))) > 0)
		pst_pc_value_write(v, buf, (size_t)n);
}

/*
 * The size limit of one message: PR_MESSAGE_SIZE (the message's heap and
 * every subnode's data, attachments included) must fit in a PtypInteger32.
 * Attachments are written first, in order, each while it fits in what is
 * left once `reserved` (an upper bound of everything else the message
 * holds: header, bodies, recipients, tables) is set aside; one that does
 * not fit is left out, a note in its place, and named in left_out.
 */
struct size_limit {
	uint64_t max;			/* PST_SIZE_MAX, or less (tests) */
	uint64_t reserved;
	struct sbuf *left_out;
};

/* attach_overhead: an upper bound of an attachment's bytes besides its data */
static uint64_t attach_overhead(const char *name, const char *mime, const char *cid)
{
	/* its PC heap (the name three times, extension, MIME type and
	 * Content-ID in UTF-16, ~12 properties) and its attachment-table row */
	return 2048 + 12 * (uint64_t)strlen(name) + 4 * (uint64_t)strlen(mime) +
	       4 * (uint64_t)(cid ? strlen(cid) : 0);
}

/* room: data bytes an attachment may still have; 0 when none */
static uint64_t room(const struct pst_pc *msg_pc, const struct size_limit *lim, uint64_t overhead)
{
	uint64_t used = lim->reserved + msg_pc->sub_bytes + overhead;
	return used < lim->max ? lim->max - used : 0;
}

static void attachment_name(GMimeObject *part, unsigned num, struct sbuf *name)
{
	const char *fn = GMIME_IS_PART(part) ? g_mime_part_get_filename(GMIME_PART(part)) : NULL;
	if (fn && *fn) {
		sbuf_adds(name, fn);
	} else if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		const char *subj = inner ? g_mime_message_get_subject(inner) : NULL;
		sbuf_addf(name, "%s.eml", subj && *subj ? subj : "message");
	} else {
		sbuf_addf(name, "attachment-%u", num);
	}
}

/* write_attachment: one attachment PC (a subnode of the message) and its row */
static void write_attachment(struct pst_pc *msg_pc, struct pst_tc *table, GMimeObject *part,
			     unsigned num, const struct size_limit *lim)
{
	struct pst_pc apc;
	pst_pc_init(&apc, msg_pc->ndb);
	struct sbuf name = SBUF_INIT;
	attachment_name(part, num, &name);
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	char *mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	const char *cid = g_mime_object_get_content_id(part);
	uint64_t bound, size = 0;
	GMimeStream *src = attachment_source(part, &bound);
	uint64_t fits = room(msg_pc, lim, attach_overhead(name.buf, mime, cid));
	if (src && bound > fits)
		size = stream_count(src);	/* twice through, only when it may not fit */
	if (src && bound > fits && size > fits) {
		/* too big for the message: a note stands in for it */
		struct sbuf note = SBUF_INIT;
		sbuf_addf(&note, "mdexport: the attachment \"%s\" (%s, %llu bytes) is not in this "
			  "PST: a PST message can hold at most %llu bytes (PR_MESSAGE_SIZE is a "
			  "signed 32-bit number). It is in the source message.\r\n", name.buf, mime,
			  (unsigned long long)size, (unsigned long long)lim->max);
		if (lim->left_out)
			sbuf_addf(lim->left_out, "attachment \"%s\" (%llu bytes) left out: the message "
				  "would be larger than a PST message can be (%llu bytes); a note "
				  "\"%s.omitted.txt\" stands in its place\n", name.buf,
				  (unsigned long long)size, (unsigned long long)lim->max, name.buf);
		g_object_unref(src);
		src = g_mime_stream_mem_new();
		g_mime_stream_write(src, note.buf, note.len);
		g_mime_stream_reset(src);
		sbuf_adds(&name, ".omitted.txt");
		g_free(mime);
		mime = g_strdup("text/plain");
		cid = NULL;
		sbuf_release(&note);
	}
	const char *dot = strrchr(name.buf, '.');
	pst_pc_add_u32(&apc, 0x3705, PT_LONG, 1);		/* PR_ATTACH_METHOD: by value */
	struct pst_pc_value data_value;
	pst_pc_value_begin(&data_value, &apc, 0x3701, PT_BINARY);	/* PR_ATTACH_DATA_BIN */
	if (src)
		attachment_data(src, &data_value);
	pst_pc_value_end(&data_value);
	if (src)
		g_object_unref(src);
	pst_pc_add_string(&apc, 0x3707, name.buf);		/* long file name */
	pst_pc_add_string(&apc, 0x3704, name.buf);
	pst_pc_add_string(&apc, 0x3001, name.buf);
	if (dot && dot != name.buf)
		pst_pc_add_string(&apc, 0x3703, dot);
	pst_pc_add_string(&apc, 0x370E, mime);		/* PR_ATTACH_MIME_TAG */
	if (cid && *cid)
		pst_pc_add_string(&apc, 0x3712, cid);
	pst_pc_add_u32(&apc, 0x370B, PT_LONG, 0xFFFFFFFFu);	/* rendering position: none */
	pst_pc_add_u32(&apc, 0x0E21, PT_LONG, num);		/* PR_ATTACH_NUM */
	pst_pc_add_u32(&apc, 0x0E20, PT_LONG, 0);		/* PR_ATTACH_SIZE, set at write */
	pst_pc_set_size_prop(&apc, 0x0E20);
	uint64_t data, sub;
	pst_pc_write(&apc, &data, &sub);
	if (apc.size_saturated && lim->left_out)	/* cannot happen below the limit */
		sbuf_addf(lim->left_out, "attachment \"%s\": PR_ATTACH_SIZE %llu is past %llu; "
			  "written as %llu\n", name.buf, (unsigned long long)apc.written_size,
			  PST_SIZE_MAX, PST_SIZE_MAX);
	uint32_t nid = (0x8000u + num) << 5 | 0x05;
	pst_pc_add_subnode(msg_pc, nid, data, sub);
	pst_pc_count_sub_bytes(msg_pc, apc.written_size);
	pst_tc_row_begin(table, nid);
	pst_tc_set_u32(table, TAG(0x0E20, PT_LONG), pst_size_value(apc.written_size));
	pst_tc_set_string(table, TAG(0x3704, PT_UNICODE), name.buf);
	pst_tc_set_u32(table, TAG(0x3705, PT_LONG), 1);
	pst_tc_set_u32(table, TAG(0x370B, PT_LONG), 0xFFFFFFFFu);
	pst_tc_row_end(table);
	pst_pc_release(&apc);
	g_free(mime);
	sbuf_release(&name);
}

/*
 * write_raw_attachment: a message GMime could not parse still goes in
 * whole: its bytes as "message.eml", so nothing is lost.
 */
static unsigned write_raw_attachment(struct pst_pc *pc, const struct pst_msg_in *m,
				     const struct size_limit *lim)
{
	int fd = m->raw ? -1 : dup(m->fd);
	GMimeStream *src = m->raw ?
		g_mime_stream_mem_new_with_buffer((const char *)m->raw, m->len) :
		fd >= 0 ? g_mime_stream_fs_new_with_bounds(fd, 0, (gint64)m->len) :
		g_mime_stream_mem_new();	/* out of descriptors: the headers still go in */
	GMimeStream *copy = g_mime_stream_mem_new();
	g_mime_stream_write_to_stream(src, copy);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(copy));
	GMimePart *part = g_mime_part_new_with_type("message", "rfc822");
	GMimeStream *body = g_mime_stream_mem_new();
	if (bytes->len)
		g_mime_stream_write(body, (const char *)bytes->data, bytes->len);
	g_mime_stream_reset(body);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(body, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_mime_part_set_filename(part, "message.eml");
	struct pst_tc table;
	pst_tc_init(&table, pc->ndb, pst_attach_cols, pst_attach_ncols);
	write_attachment(pc, &table, GMIME_OBJECT(part), 0, lim);
	uint64_t data, sub;
	pst_tc_write(&table, &data, &sub);
	pst_pc_add_subnode(pc, NID_ATTACH_TABLE, data, sub);
	pst_pc_count_sub_bytes(pc, table.sub.written_size);
	pst_tc_release(&table);
	g_object_unref(w);
	g_object_unref(body);
	g_object_unref(part);
	g_object_unref(copy);
	g_object_unref(src);
	return 1;
}

/* write_attachments: all of a message's attachments; returns how many */
static unsigned write_attachments(struct pst_pc *pc, GMimeMessage *msg, GMimeObject *body,
				  GMimeObject *html, const struct size_limit *lim)
{
	GMimeObject *top = msg ? g_mime_message_get_mime_part(msg) : NULL;
	if (!top)
		return 0;
	GPtrArray *parts = g_ptr_array_new();
	collect(top, body, html, parts);
	unsigned n = parts->len;
	if (n) {
		struct pst_tc table;
		pst_tc_init(&table, pc->ndb, pst_attach_cols, pst_attach_ncols);
		for (unsigned i = 0; i < n; i++)
			write_attachment(pc, &table, g_ptr_array_index(parts, i), i, lim);
		uint64_t data, sub;
		pst_tc_write(&table, &data, &sub);
		pst_pc_add_subnode(pc, NID_ATTACH_TABLE, data, sub);
		pst_pc_count_sub_bytes(pc, table.sub.written_size);
		pst_tc_release(&table);
	}
	g_ptr_array_free(parts, TRUE);
	return n;
}

/* ---- recipients ---------------------------------------------------------- */

#define NID_RECIPIENT_TABLE 0x692u


static void recipient_row(struct pst_tc *t, uint32_t row, uint32_t type, InternetAddressMailbox *mb)
{
	const char *addr = internet_address_mailbox_get_addr(mb);
	const char *name = internet_address_get_name(INTERNET_ADDRESS(mb));
	if (!addr)
		addr = "";
	if (!name || !*name)
		name = addr;
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

/* add_recipients: mailboxes of a list (groups flattened) as rows of one type */
static void add_recipients(struct pst_tc *t, InternetAddressList *list, uint32_t type,
			   uint32_t *row)
{
	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia))
			add_recipients(t, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				       type, row);
		else if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			recipient_row(t, (*row)++, type, INTERNET_ADDRESS_MAILBOX(ia));
	}
}

/* write_recipients: the recipient table 0x692 (To, Cc, Bcc), always present */
static void write_recipients(struct pst_pc *pc, GMimeMessage *msg)
{
	struct pst_tc t;
	pst_tc_init(&t, pc->ndb, pst_recipient_cols, pst_recipient_ncols);
	uint32_t row = 0;
	if (msg) {
		add_recipients(&t, g_mime_message_get_to(msg), 1, &row);
		add_recipients(&t, g_mime_message_get_cc(msg), 2, &row);
		add_recipients(&t, g_mime_message_get_bcc(msg), 3, &row);
	}
	uint64_t data, sub;
	pst_tc_write(&t, &data, &sub);
	pst_pc_add_subnode(pc, NID_RECIPIENT_TABLE, data, sub);
	pst_pc_count_sub_bytes(pc, t.sub.written_size);
	pst_tc_release(&t);
}

struct fields {
	struct sbuf subject, from_name, from_addr, to, cc, msgid, headers, body;
	struct sbuf prefix, in_reply_to, references;
	uint32_t importance;		/* 0 low, 1 normal, 2 high */
	uint32_t sensitivity;		/* 0 none, 1 personal, 2 private, 3 confidential */
	int64_t sent;			/* Date:, or the internal date */
	GMimeObject *body_part;		/* the part PR_BODY came from */
	GMimeObject *html_part;		/* the part PR_HTML came from */
	struct sbuf html;
	unsigned attachments;
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

static void fields_from_mime(GMimeMessage *msg, const struct pst_msg_in *m, struct fields *f)
{
	const char *s = g_mime_message_get_subject(msg);
	sbuf_adds(&f->subject, s ? s : "");
	const char *name, *addr;
	first_mailbox(g_mime_message_get_from(msg), &name, &addr);
	sbuf_adds(&f->from_name, name);
	sbuf_adds(&f->from_addr, addr);
	display_names(g_mime_message_get_to(msg), &f->to);
	display_names(g_mime_message_get_cc(msg), &f->cc);
	s = g_mime_message_get_message_id(msg);
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
	char *h = html ? g_mime_text_part_get_text(html) : NULL;
	if (h) {
		sbuf_adds(&f->html, h);	/* UTF-8: PR_INTERNET_CPID says 65001 */
		g_free(h);
	}
	char *t = text ? g_mime_text_part_get_text(text) : NULL;
	if (t) {
		sbuf_adds(&f->body, t);
		g_free(t);
	}
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
			   const struct pst_msg_in *m)
{
	unsigned mflags = (m->flags & MSG_SEEN ? MSGFLAG_READ : 0) |
			  (m->flags & MSG_DRAFT ? MSGFLAG_UNSENT : 0) |
			  (f->attachments ? MSGFLAG_HASATTACH : 0);
	pst_pc_add_bool(pc, 0x0E1B, f->attachments > 0);		/* PR_HASATTACH */
	unsigned status = (m->flags & MSG_DELETED ? MSGSTATUS_DELMARKED : 0) |
			  (m->flags & MSG_DRAFT ? MSGSTATUS_DRAFT : 0) |
			  (m->flags & MSG_ANSWERED ? MSGSTATUS_ANSWERED : 0);
	struct sbuf cls = SBUF_INIT;
	sbuf_adds(&cls, "IPM.Note");
	set_text(pc, tc, 0x001A, &cls);
	sbuf_release(&cls);
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
	set_text(pc, NULL, 0x007D, &f->headers);
	if (f->body.len)
		set_text(pc, NULL, 0x1000, &f->body);
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
	g_checksum_update(ck, m->head, (gssize)m->head_len);
	guint8 digest[32];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(ck, digest, &dlen);
	g_checksum_free(ck);
	pst_pc_add_binary(pc, 0x300B, PT_BINARY, digest, 16);
}

int pst_write_message(struct pst_ndb *n, struct pst_tc *contents, uint32_t nid,
		      uint32_t folder_nid, const struct pst_msg_in *m)
{
	struct fields f;
	struct sbuf *all[] = { &f.subject, &f.from_name, &f.from_addr, &f.to, &f.cc,
			       &f.msgid, &f.headers, &f.body, &f.html, &f.prefix,
			       &f.in_reply_to, &f.references };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sbuf_init(all[i]);
	f.sent = m->received;
	f.body_part = f.html_part = NULL;
	f.importance = 1;
	f.sensitivity = 0;
	f.attachments = 0;
	wintext_to_utf8(&f.headers, (const char *)m->head, m->head_len);
	/* a file is parsed where it lies: GMime reads parts on demand */
	int fd = m->raw ? -1 : dup(m->fd);
	GMimeStream *st = m->raw ?
		g_mime_stream_mem_new_with_buffer((const char *)m->raw, m->len) :
		fd >= 0 ? g_mime_stream_fs_new_with_bounds(fd, 0, (gint64)m->len) :
		g_mime_stream_mem_new();		/* no fd to spare: headers only */
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_persist_stream(parser, TRUE);	/* parts stay in the file */
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	if (msg)
		fields_from_mime(msg, m, &f);
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	/*
	 * What PR_MESSAGE_SIZE counts besides attachments, bounded from above:
	 * the text fields and recipients all come from the header (UTF-16, a
	 * few copies each, a recipient row of ~100 bytes per address of 3
	 * bytes or more), the bodies (UTF-16 text, UTF-8 HTML), the heaps.
	 */
	struct size_limit lim = { m->size_max ? m->size_max : PST_SIZE_MAX,
				  16384 + 40 * (uint64_t)f.headers.len + 2 * (uint64_t)f.body.len +
				  (uint64_t)f.html.len, m->left_out };
	f.attachments = msg ? write_attachments(&pc, msg, f.body_part, f.html_part, &lim) :
			      write_raw_attachment(&pc, m, &lim);
	write_recipients(&pc, msg);
	if (contents)
		pst_tc_row_begin(contents, nid);
	add_properties(&pc, contents, &f, m);
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
	pst_pc_release(&pc);
	if (msg)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sbuf_release(all[i]);
	return msg ? 0 : -1;
}
