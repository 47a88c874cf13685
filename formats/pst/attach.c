#include "pst/attach.h"

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/hdrtext.h"
#include "pst/store.h"

#define TAG(id, type) ((uint32_t)(id) << 16 | (type))
#define NID_ATTACH_TABLE 0x671u

enum {
	ATT_METHOD_BY_VALUE = 1,
	ATT_RENDERED_IN_BODY = 0x4,	/* PR_ATTACH_FLAGS: attRenderedInBody [MS-OXCMSG] 2.2.2.18 */
};

/*
 * A message's attachment table: the template's columns (store.c) plus the
 * flags and hidden bit, so that readers listing the table alone (pffexport)
 * see which attachments are inline images.
 */
static const uint32_t table_cols[] = {
	TAG(0x0E20, PT_LONG), TAG(0x3704, PT_UNICODE), TAG(0x3705, PT_LONG), TAG(0x370B, PT_LONG),
	TAG(0x3714, PT_LONG), TAG(0x7FFE, PT_BOOLEAN),
};

/* an attachment to be: a leaf of the MIME tree and where it sits */
struct leaf {
	GMimeObject *part;
	bool in_related;	/* below a multipart/related */
};

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

static void collect(GMimeObject *obj, GMimeObject *body, GMimeObject *html, bool in_related,
		    GArray *out)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		in_related = in_related || (ct && g_mime_content_type_is_type(ct, "multipart", "related"));
		/* a multipart whose boundary never comes: its text is kept whole */
		if (g_mime_multipart_get_count(mp) == 0 && g_mime_multipart_get_prologue(mp)) {
			struct leaf l = { obj, in_related };
			g_array_append_val(out, l);
		}
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			collect(g_mime_multipart_get_part(mp, i), body, html, in_related, out);
	} else if (is_attachment(obj, body, html)) {
		struct leaf l = { obj, in_related };
		g_array_append_val(out, l);
	}
}

/*
 * cid_refs: the Content-IDs the HTML body refers to ("cid:" URLs, RFC
 * 2392), %-escapes decoded, in lower case: a Content-ID is matched
 * without regard to ASCII case, as mail clients do.
 */
static GHashTable *cid_refs(const char *html)
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *p = html ? html : "";
	while ((p = strcasestr(p, "cid:")) != NULL) {
		p += 4;
		GString *id = g_string_new(NULL);
		while (*p && !strchr("\"'<>() \t\r\n", *p)) {
			if (*p == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
				g_string_append_c(id, (char)(g_ascii_xdigit_value(p[1]) << 4 |
							     g_ascii_xdigit_value(p[2])));
				p += 3;
			} else {
				g_string_append_c(id, *p++);
			}
		}
		if (id->len)
			g_hash_table_add(set, g_ascii_strdown(id->str, (gssize)id->len));
		g_string_free(id, TRUE);
	}
	return set;
}

/* header_value: a header's value, blanks at its ends trimmed; NULL if none */
static char *header_value(GMimeObject *part, const char *name)
{
	const char *v = g_mime_object_get_header(part, name);
	if (!v)
		return NULL;
	char *s = g_strstrip(g_strdup(v));
	if (!*s) {
		g_free(s);
		return NULL;
	}
	return s;
}

/*
 * content_id: the Content-ID as the header has it, blanks and the angle
 * brackets at its ends removed ([MS-OXCMAIL] 2.2.3.4.1.4), so that an ID
 * GMime would cut short ("<a@b@c>") still matches its cid: reference;
 * NULL if none.
 */
static char *content_id(GMimeObject *part)
{
	char *v = header_value(part, "Content-ID");
	if (!v)
		return NULL;
	char *s = v;
	if (*s == '<')
		s++;
	size_t n = strlen(s);
	if (n && s[n - 1] == '>')
		s[--n] = '\0';
	char *id = n ? g_strstrip(g_strdup(s)) : NULL;
	g_free(v);
	if (id && !*id) {
		g_free(id);
		id = NULL;
	}
	return id;
}

/*
 * is_inline: an image (or other part) the HTML body shows where it refers
 * to it: it has a Content-ID the HTML names with cid:, and it is inside a
 * multipart/related or marked Content-Disposition: inline ([MS-OXCMAIL]
 * 2.2.3.4.1.4.1).  Such a part is hidden from the attachment list.
 */
static bool is_inline(const struct leaf *l, GHashTable *refs)
{
	char *cid = content_id(l->part);
	if (!cid || !g_hash_table_size(refs)) {
		g_free(cid);
		return false;
	}
	char *key = g_ascii_strdown(cid, -1);
	bool referenced = g_hash_table_contains(refs, key);
	g_free(key);
	g_free(cid);
	if (!referenced)
		return false;
	if (l->in_related)
		return true;
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(l->part);
	const char *disp = cd ? g_mime_content_disposition_get_disposition(cd) : NULL;
	return disp && !g_ascii_strcasecmp(disp, "inline");
}

/*
 * An attached message (message/rfc822) goes in as a by-value attachment
 * "<subject>.eml" holding the message as GMime writes it, not as an
 * embedded message object (PR_ATTACH_METHOD 5, PR_ATTACH_DATA_OBJ pointing
 * to a message PC in a subnode).  Tried: pffexport and readpst read such
 * an object back whole (subject, body, its own attachment), but
 * pst-extractor 1.12 cannot: its
 * PSTAttachment.embeddedPSTMessage returns null for every attachment, as
 * the attachment object it builds never has the descriptor node the getter
 * requires, and it reads the 8-byte object reference as the attachment's
 * bytes.  A .eml every reader gives back beats an object one of them
 * loses.
 */

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

/* attach_overhead: an upper bound of an attachment's bytes besides its data */
static uint64_t attach_overhead(const char *name, const char *mime, const char *cid)
{
	/* its PC heap (the name three times, extension, MIME type and
	 * Content-ID in UTF-16, ~14 properties) and its attachment-table row */
	return 2048 + 12 * (uint64_t)strlen(name) + 4 * (uint64_t)strlen(mime) +
	       4 * (uint64_t)(cid ? strlen(cid) : 0);
}

/* room: data bytes an attachment may still have; 0 when none */
static uint64_t room(const struct pst_pc *msg_pc, const struct pst_size_limit *lim,
		     uint64_t overhead)
{
	uint64_t used = lim->reserved + msg_pc->sub_bytes + overhead;
	return used < lim->max ? lim->max - used : 0;
}

/*
 * too_big: when the attachment cannot fit in what is left of the message,
 * a short note takes its place (src, name and MIME type replaced, no
 * Content-ID) and it is named in lim->left_out.
 */
static void too_big(GMimeStream **src, struct sbuf *name, char **mime, char **cid,
		    const struct pst_pc *msg_pc, const struct pst_size_limit *lim)
{
	uint64_t fits = room(msg_pc, lim, attach_overhead(name->buf, *mime, *cid));
	uint64_t size = stream_count(*src);
	if (size <= fits)
		return;
	struct sbuf note = SBUF_INIT;
	sbuf_addf(&note, "mdexport: the attachment \"%s\" (%s, %llu bytes) is not in this "
		  "PST: a PST message can hold at most %llu bytes (PR_MESSAGE_SIZE is a "
		  "signed 32-bit number). It is in the source message.\r\n", name->buf, *mime,
		  (unsigned long long)size, (unsigned long long)lim->max);
	if (lim->left_out)
		sbuf_addf(lim->left_out, "attachment \"%s\" (%llu bytes) left out: the message "
			  "would be larger than a PST message can be (%llu bytes); a note "
			  "\"%s.omitted.txt\" stands in its place\n", name->buf,
			  (unsigned long long)size, (unsigned long long)lim->max, name->buf);
	g_object_unref(*src);
	*src = g_mime_stream_mem_new();
	g_mime_stream_write(*src, note.buf, note.len);
	g_mime_stream_reset(*src);
	sbuf_adds(name, ".omitted.txt");
	g_free(*mime);
	*mime = g_strdup("text/plain");
	g_free(*cid);
	*cid = NULL;
	sbuf_release(&note);
}

/*
 * attachment_name: the part's file name, an attached message's Subject
 * (with its own charsets) + ".eml", else "attachment-<n>"; decoded by the
 * header text rule (issue 15, core/hdrtext.h; verify's check.c the same)
 */
static void attachment_name(GMimeObject *part, unsigned num, const struct hdr_charsets *cs,
			    const char *const *fallback, struct sbuf *name)
{
	if ((GMIME_IS_PART(part) || GMIME_IS_MESSAGE_PART(part)) &&
	    hdr_part_filename(part, cs, name) && name->len)
		return;
	sbuf_reset(name);
	GMimeMessage *inner = GMIME_IS_MESSAGE_PART(part) ?
		g_mime_message_part_get_message(GMIME_MESSAGE_PART(part)) : NULL;
	if (GMIME_IS_MESSAGE_PART(part)) {
		if (!inner || !hdr_message_subject(inner, fallback, name) || !name->len) {
			sbuf_reset(name);
			sbuf_adds(name, "message");
		}
		sbuf_adds(name, ".eml");
	} else {
		sbuf_addf(name, "attachment-%u", num);
	}
}

/*
 * planned_source: the stream of a planned attachment's content: its bytes
 * decoded in advance (read in place, not copied), else attachment_source.
 */
static GMimeStream *planned_source(const struct pst_attach_plan *a, uint64_t *bound)
{
	if (a->src) {		/* issue 15: a signed message's entity (msgclass.c) */
		gint64 len = g_mime_stream_length(a->src);
		*bound = len >= 0 ? (uint64_t)len : UINT64_MAX;
		g_mime_stream_reset(a->src);
		return g_object_ref(a->src);
	}
	if (!a->bytes)
		return a->part ? attachment_source(a->part, bound) : NULL;
	GMimeStream *src = g_mime_stream_mem_new_with_byte_array(a->bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(src), FALSE);
	*bound = a->bytes->len;
	return src;
}

/*
 * write_attachment: one attachment PC (a subnode of the message) and its
 * row.  hidden: an inline image (is_inline): PR_ATTACHMENT_HIDDEN true and
 * PR_ATTACH_FLAGS attRenderedInBody; every other attachment is shown.
 */
static void write_attachment(struct pst_pc *msg_pc, struct pst_tc *table,
			     const struct pst_attach_plan *a, unsigned num,
			     const struct pst_size_limit *lim)
{
	struct pst_pc apc;
	pst_pc_init(&apc, msg_pc->ndb);
	/* too_big may replace name, type and Content-ID: copies of the plan's */
	struct sbuf name = SBUF_INIT;
	sbuf_add(&name, a->name.buf, a->name.len);
	char *mime = g_strdup(a->mime);
	char *cid = g_strdup(a->cid);
	const char *location = a->location;
	bool hidden = a->hidden;
	uint64_t bound;
	GMimeStream *src = planned_source(a, &bound);
	if (src && bound > room(msg_pc, lim, attach_overhead(name.buf, mime, cid)))
		too_big(&src, &name, &mime, &cid, msg_pc, lim);	/* reads it twice, only then */
	const char *dot = strrchr(name.buf, '.');
	pst_pc_add_u32(&apc, 0x3705, PT_LONG, ATT_METHOD_BY_VALUE);	/* PR_ATTACH_METHOD */
	struct pst_pc_value data_value;
	pst_pc_value_begin(&data_value, &apc, 0x3701, PT_BINARY);	/* PR_ATTACH_DATA_BIN */
	if (src) {
		attachment_data(src, &data_value);
		g_object_unref(src);
	}
	pst_pc_value_end(&data_value);
	pst_pc_add_string(&apc, 0x3707, name.buf);		/* long file name */
	pst_pc_add_string(&apc, 0x3704, name.buf);
	pst_pc_add_string(&apc, 0x3001, name.buf);
	if (dot && dot != name.buf)
		pst_pc_add_string(&apc, 0x3703, dot);
	pst_pc_add_string(&apc, 0x370E, mime);		/* PR_ATTACH_MIME_TAG */
	if (cid)
		pst_pc_add_string(&apc, 0x3712, cid);	/* PR_ATTACH_CONTENT_ID */
	if (location)
		pst_pc_add_string(&apc, 0x3713, location);	/* PR_ATTACH_CONTENT_LOCATION */
	pst_pc_add_u32(&apc, 0x3714, PT_LONG, hidden ? ATT_RENDERED_IN_BODY : 0);	/* PR_ATTACH_FLAGS */
	pst_pc_add_bool(&apc, 0x7FFE, hidden);		/* PR_ATTACHMENT_HIDDEN */
	pst_pc_add_u32(&apc, 0x370B, PT_LONG, 0xFFFFFFFFu);	/* rendering position: none */
	pst_pc_add_u32(&apc, 0x0E21, PT_LONG, num);		/* PR_ATTACH_NUM */
	pst_pc_add_u32(&apc, 0x0E20, PT_LONG, 0);		/* PR_ATTACH_SIZE, set at write */
	pst_pc_set_value_size_prop(&apc, 0x0E20);
	uint64_t data, sub;
	pst_pc_write(&apc, &data, &sub);
	if (apc.size_saturated && lim->left_out)	/* cannot happen below the limit */
		sbuf_addf(lim->left_out, "attachment \"%s\": PR_ATTACH_SIZE %llu is past %llu; "
			  "written as %llu\n", name.buf, (unsigned long long)apc.stated_size,
			  PST_SIZE_MAX, PST_SIZE_MAX);
	uint32_t nid = (0x8000u + num) << 5 | 0x05;
	pst_pc_add_subnode(msg_pc, nid, data, sub);
	pst_pc_count_sub_bytes(msg_pc, apc.written_size);
	pst_tc_row_begin(table, nid);
	pst_tc_set_u32(table, TAG(0x0E20, PT_LONG), pst_size_value(apc.stated_size));
	pst_tc_set_string(table, TAG(0x3704, PT_UNICODE), name.buf);
	pst_tc_set_u32(table, TAG(0x3705, PT_LONG), ATT_METHOD_BY_VALUE);
	pst_tc_set_u32(table, TAG(0x370B, PT_LONG), 0xFFFFFFFFu);
	pst_tc_set_u32(table, TAG(0x3714, PT_LONG), hidden ? ATT_RENDERED_IN_BODY : 0);
	pst_tc_set_u32(table, TAG(0x7FFE, PT_BOOLEAN), hidden);
	pst_tc_row_end(table);
	pst_pc_release(&apc);
	g_free(cid);
	g_free(mime);
	sbuf_release(&name);
}

/* finish_table: the attachment table as the message's subnode 0x671 */
static void finish_table(struct pst_pc *pc, struct pst_tc *table)
{
	uint64_t data, sub;
	pst_tc_write(table, &data, &sub);
	pst_pc_add_subnode(pc, NID_ATTACH_TABLE, data, sub);
	pst_pc_count_sub_bytes(pc, table->sub.written_size);
	pst_tc_release(table);
}

/* plan_content: the content decoded into memory now when it fits in *budget */
static void plan_content(struct pst_attach_plan *a, uint64_t *budget)
{
	if (!*budget)
		return;		/* read at write time: no attachment_source twice */
	uint64_t bound;
	GMimeStream *src = attachment_source(a->part, &bound);
	if (!src || bound > *budget) {
		if (src)
			g_object_unref(src);
		return;
	}
	if (GMIME_IS_STREAM_MEM(src)) {		/* already in memory: take its array */
		a->bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(src));
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(src), FALSE);
	} else {
		a->bytes = g_byte_array_sized_new(bound < 65536 ? (guint)bound : 65536);
		char buf[65536];
		ssize_t n;
		while ((n = g_mime_stream_read(src, buf, sizeof(buf))) > 0)
			g_byte_array_append(a->bytes, (const guint8 *)buf, (guint)n);
	}
	g_object_unref(src);
	*budget -= a->bytes->len < *budget ? a->bytes->len : *budget;
	a->part = NULL;
}

/* plan_leaf: what one attachment will be (num: its PR_ATTACH_NUM) */
static void plan_leaf(struct pst_attach_plan *a, GMimeObject *part, unsigned num, bool hidden,
		      const struct hdr_charsets *cs, const char *const *fallback, uint64_t *budget)
{
	memset(a, 0, sizeof(*a));
	sbuf_init(&a->name);
	attachment_name(part, num, cs, fallback, &a->name);
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	a->mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	a->cid = content_id(part);
	a->location = header_value(part, "Content-Location");
	a->hidden = hidden;
	a->part = part;
	plan_content(a, budget);
}

bool pst_plan_attachments(struct pst_attach_list *l, GMimeMessage *msg, GMimeObject *body,
			  GMimeObject *html, const char *html_text, uint64_t decode_max,
			  const char *const *fallback)
{
	memset(l, 0, sizeof(*l));
	GMimeObject *top = msg ? g_mime_message_get_mime_part(msg) : NULL;
	if (!top)
		return true;
	GArray *leaves = g_array_new(FALSE, FALSE, sizeof(struct leaf));
	collect(top, body, html, false, leaves);
	bool all_bytes = true;
	if (leaves->len) {
		struct hdr_charsets cs;		/* issue 15: the names' charsets */
		hdr_charsets_from_message(&cs, GMIME_OBJECT(msg), fallback);
		GHashTable *refs = cid_refs(html_text);
		l->v = g_new(struct pst_attach_plan, leaves->len);
		for (unsigned i = 0; i < leaves->len; i++) {
			const struct leaf *lf = &g_array_index(leaves, struct leaf, i);
			bool inline_image = is_inline(lf, refs);
			plan_leaf(&l->v[i], lf->part, i, inline_image, &cs, fallback, &decode_max);
			l->hidden += inline_image;
			all_bytes = all_bytes && !l->v[i].part;
			l->n++;
		}
		g_hash_table_destroy(refs);
		hdr_charsets_release(&cs);
	}
	g_array_free(leaves, TRUE);
	return all_bytes;
}

void pst_attach_list_release(struct pst_attach_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct pst_attach_plan *a = &l->v[i];
		sbuf_release(&a->name);
		g_free(a->mime);
		g_free(a->cid);
		g_free(a->location);
		if (a->bytes)
			g_byte_array_unref(a->bytes);
		if (a->src)
			g_object_unref(a->src);
	}
	g_free(l->v);
	memset(l, 0, sizeof(*l));
}

unsigned pst_write_planned_attachments(struct pst_pc *pc, const struct pst_attach_list *l,
				       const struct pst_size_limit *lim)
{
	if (!l->n)
		return 0;
	struct pst_tc table;
	pst_tc_init(&table, pc->ndb, table_cols, sizeof(table_cols) / sizeof(table_cols[0]));
	for (unsigned i = 0; i < l->n; i++)
		write_attachment(pc, &table, &l->v[i], i, lim);
	finish_table(pc, &table);
	return l->n;
}

unsigned pst_write_raw_attachment(struct pst_pc *pc, const struct pst_msg_in *m,
				  const struct pst_size_limit *lim)
{
	GMimeStream *src = m->raw ?
		g_mime_stream_mem_new_with_buffer((const char *)m->raw, m->len) :
		m->msg ? msg_stream(m->msg, 0, m->len) :
		g_mime_stream_mem_new();	/* no bytes to be had: the headers still go in */
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
	struct pst_attach_list l = { g_new(struct pst_attach_plan, 1), 1, 0 };
	uint64_t none = 0;
	struct hdr_charsets cs;		/* named "message.eml": no text to decode */
	hdr_charsets_fallback_only(&cs, NULL);
	plan_leaf(&l.v[0], GMIME_OBJECT(part), 0, false, &cs, NULL, &none);
	hdr_charsets_release(&cs);
	pst_write_planned_attachments(pc, &l, lim);
	pst_attach_list_release(&l);
	g_object_unref(w);
	g_object_unref(body);
	g_object_unref(part);
	g_object_unref(copy);
	g_object_unref(src);
	return 1;
}
