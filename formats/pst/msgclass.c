#include "pst/msgclass.h"

#include <string.h>

#include "core/sbuf.h"
#include "pst/attach.h"
#include "pst/ltp.h"
#include "pst/message.h"

/*
 * How much of a report's machine-readable part is read to find its
 * Action: or Disposition: fields, and of a returned header block: a
 * report is a few hundred bytes; what a hostile one claims past this is
 * not read (the part is still kept whole as an attachment).
 */
#define REPORT_READ_MAX (64u * 1024)

static const char *ct_param(GMimeObject *obj, const char *name)
{
	return obj ? g_mime_object_get_content_type_parameter(obj, name) : NULL;
}

static bool is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;
	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static bool name_ends_p7m(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n >= 4 && !g_ascii_strcasecmp(name + n - 4, ".p7m");
}

/*
 * is_opaque_smime: the message is one application/(x-)pkcs7-mime entity
 * (or application/octet-stream named *.p7m, [MS-OXOSMIME] 2.1.3.2) whose
 * smime-type, if any, says it carries a message: signed-data or
 * enveloped-data (also authEnveloped-data, RFC 8551); certs-only and
 * compressed-data are no message Outlook can open as S/MIME.
 */
static bool is_opaque_smime(GMimeObject *top)
{
	if (!top || !GMIME_IS_PART(top))
		return false;
	bool p7 = is_type(top, "application", "pkcs7-mime") ||
		  is_type(top, "application", "x-pkcs7-mime");
	if (!p7 && is_type(top, "application", "octet-stream"))
		p7 = name_ends_p7m(g_mime_part_get_filename(GMIME_PART(top)));
	if (!p7)
		return false;
	const char *st = ct_param(top, "smime-type");
	return !st || !g_ascii_strcasecmp(st, "signed-data") ||
	       !g_ascii_strcasecmp(st, "enveloped-data") ||
	       !g_ascii_strcasecmp(st, "authenveloped-data");
}

/* part_bytes: up to REPORT_READ_MAX bytes of a part's content, transfer encoding undone */
static void part_bytes(GMimeObject *part, struct sbuf *out)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	if (GMIME_IS_PART(part)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(part));
		GMimeStream *raw = w ? g_mime_data_wrapper_get_stream(w) : NULL;
		if (raw) {
			g_mime_stream_reset(raw);
			GMimeStream *f = g_mime_stream_filter_new(raw);
			GMimeFilter *dec = g_mime_filter_basic_new(g_mime_data_wrapper_get_encoding(w),
								   FALSE);
			if (dec) {	/* none for 7bit, 8bit, binary */
				g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
				g_object_unref(dec);
			}
			char buf[4096];
			ssize_t n;
			size_t got = 0;
			while (got < REPORT_READ_MAX &&
			       (n = g_mime_stream_read(f, buf, sizeof(buf))) > 0) {
				g_mime_stream_write(mem, buf, (size_t)n);
				got += (size_t)n;
			}
			g_object_unref(f);
		}
	} else if (GMIME_IS_MESSAGE_PART(part)) {
		/* a message/<x> GMime parsed as a message: its fields are its header */
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (m)
			g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem);
	}
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	sbuf_add(out, (const char *)a->data, a->len < REPORT_READ_MAX ? a->len : REPORT_READ_MAX);
	g_object_unref(mem);
}

/*
 * next_field: the next "Name: value" line of a report part whose name is
 * `name` (case-insensitive), its value (first line only: these fields
 * are short tokens) trimmed into val; false when none is left.
 */
static bool next_field(const char **p, const char *end, const char *name, struct sbuf *val)
{
	size_t nl = strlen(name);
	while (*p < end) {
		const char *line = *p;
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		*p = eol ? eol + 1 : end;
		const char *stop = eol ? eol : end;
		if ((size_t)(stop - line) <= nl || g_ascii_strncasecmp(line, name, nl) ||
		    line[nl] != ':')
			continue;
		const char *v = line + nl + 1;
		while (v < stop && (*v == ' ' || *v == '\t'))
			v++;
		while (stop > v && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		sbuf_reset(val);
		sbuf_add(val, v, (size_t)(stop - v));
		return true;
	}
	return false;
}

/* a report's part: the first child of the multipart/report of that type */
static GMimeObject *report_part(GMimeObject *top, const char *subtype)
{
	GMimeMultipart *mp = GMIME_MULTIPART(top);
	for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		if (is_type(o, "message", subtype))
			return o;
	}
	return NULL;
}

/*
 * dsn_suffix: the class suffix of a delivery status notification by the
 * most severe Action: of its per-recipient fields ([MS-OXCMAIL]
 * 2.2.3.7.1.1: delivered < expanded < relayed < delayed < failed); NULL
 * when it has none this knows.
 */
static const char *dsn_suffix(GMimeObject *top)
{
	static const char *const actions[] = { "delivered", "expanded", "relayed", "delayed",
					       "failed" };
	static const char *const suffix[] = { ".DR", ".Expanded.DR", ".Relayed.DR",
					      ".Delayed.DR", ".NDR" };
	GMimeObject *ds = report_part(top, "delivery-status");
	if (!ds)
		return NULL;
	struct sbuf text = SBUF_INIT, val = SBUF_INIT;
	part_bytes(ds, &text);
	const char *p = text.buf, *end = text.buf + text.len;
	int worst = -1;
	while (next_field(&p, end, "Action", &val)) {
		size_t n = strcspn(val.buf, " \t(;");
		for (int i = 0; i < 5; i++)
			if (strlen(actions[i]) == n && !g_ascii_strncasecmp(val.buf, actions[i], n) &&
			    i > worst)
				worst = i;
		/* "failure": written by some MTAs of the 2000s (one in the
		 * SpamAssassin corpus); it can mean nothing but failed */
		if (n == 7 && !g_ascii_strncasecmp(val.buf, "failure", 7))
			worst = 4;
	}
	sbuf_release(&text);
	sbuf_release(&val);
	return worst < 0 ? NULL : suffix[worst];
}

/*
 * mdn_suffix: a message disposition notification (RFC 8098): .IPNRN
 * when its Disposition: type is "displayed", else .IPNNRN (deleted, and
 * the dispositions that say the message was not read: dispatched,
 * processed, denied, failed); NULL without a Disposition: field.
 */
static const char *mdn_suffix(GMimeObject *top)
{
	GMimeObject *dn = report_part(top, "disposition-notification");
	if (!dn)
		return NULL;
	struct sbuf text = SBUF_INIT, val = SBUF_INIT;
	part_bytes(dn, &text);
	const char *p = text.buf;
	const char *s = NULL;
	if (next_field(&p, text.buf + text.len, "Disposition", &val)) {
		const char *semi = strchr(val.buf, ';');
		const char *t = semi ? semi + 1 : val.buf;
		while (*t == ' ' || *t == '\t')
			t++;
		size_t n = strcspn(t, " \t/;(");
		s = n == 9 && !g_ascii_strncasecmp(t, "displayed", 9) ? ".IPNRN" : ".IPNNRN";
	}
	sbuf_release(&text);
	sbuf_release(&val);
	return s;
}

/* take_original: subject and date of a returned message (or its header) */
static void take_original(GMimeMessage *orig, struct pst_class *c)
{
	const char *s = g_mime_message_get_subject(orig);
	if (s && !c->orig_subject)
		c->orig_subject = g_strdup(s);
	GDateTime *dt = g_mime_message_get_date(orig);
	if (dt && !c->has_orig_sent) {
		c->orig_sent = g_date_time_to_unix(dt);
		c->has_orig_sent = true;
	}
}

/*
 * report_original: what the report says of the message it is about, from
 * its returned message (message/rfc822) or returned header
 * (text/rfc822-headers, read up to REPORT_READ_MAX bytes).
 */
static void report_original(GMimeObject *top, struct pst_class *c)
{
	GMimeMultipart *mp = GMIME_MULTIPART(top);
	for (int i = 1; i < g_mime_multipart_get_count(mp) && !c->orig_subject; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		if (GMIME_IS_MESSAGE_PART(o) && is_type(o, "message", "rfc822")) {
			GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
			if (m)
				take_original(m, c);
		} else if (is_type(o, "text", "rfc822-headers")) {
			struct sbuf h = SBUF_INIT;
			part_bytes(o, &h);
			sbuf_adds(&h, "\n\n");	/* a header block, cut or not, then no body */
			GMimeStream *st = g_mime_stream_mem_new_with_buffer(h.buf, h.len);
			GMimeParser *ps = g_mime_parser_new_with_stream(st);
			GMimeMessage *m = g_mime_parser_construct_message(ps, NULL);
			if (m) {
				take_original(m, c);
				g_object_unref(m);
			}
			g_object_unref(ps);
			g_object_unref(st);
			sbuf_release(&h);
		}
	}
}

/* report_class: a multipart/report's class (c->name), or false to stay IPM.Note */
static bool report_class(GMimeObject *top, struct pst_class *c)
{
	const char *rt = ct_param(top, "report-type");
	const char *suffix = NULL;
	if (rt && !g_ascii_strcasecmp(rt, "delivery-status"))
		suffix = dsn_suffix(top);
	else if (rt && !g_ascii_strcasecmp(rt, "disposition-notification"))
		suffix = mdn_suffix(top);
	if (!suffix)
		return false;
	snprintf(c->name, sizeof(c->name), "REPORT.IPM.Note%s", suffix);
	report_original(top, c);
	return true;
}

/*
 * received_by: the mailbox the message was delivered to, from the topmost
 * Delivered-To: (the last delivery's, added by the store that holds it),
 * else X-Original-To:.  A value that is no address list is taken as the
 * address, trimmed.
 */
static void received_by(GMimeMessage *msg, struct pst_class *c)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), "Delivered-To");
	if (!v || !*v)
		v = g_mime_object_get_header(GMIME_OBJECT(msg), "X-Original-To");
	if (!v)
		return;
	InternetAddressList *l = internet_address_list_parse(NULL, v);
	for (int i = 0; l && i < internet_address_list_length(l) && !c->rcvd_addr; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *name = internet_address_get_name(ia);
		if (addr && *addr) {
			c->rcvd_addr = g_strdup(addr);
			c->rcvd_name = g_strdup(name && *name ? name : addr);
		}
	}
	if (l)
		g_object_unref(l);
	if (!c->rcvd_addr) {
		char *s = g_strstrip(g_strdup(v));
		if (*s) {
			c->rcvd_addr = s;
			c->rcvd_name = g_strdup(s);
		} else {
			g_free(s);
		}
	}
}

void pst_class_of(GMimeMessage *msg, bool whole_head, struct pst_class *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = PST_CLASS_NOTE;
	snprintf(c->name, sizeof(c->name), "IPM.Note");
	if (!msg)
		return;
	received_by(msg, c);
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	if (!top)
		return;
	if (GMIME_IS_MULTIPART(top) && is_type(top, "multipart", "signed") && whole_head) {
		c->kind = PST_CLASS_SIGNED;
		snprintf(c->name, sizeof(c->name), "IPM.Note.SMIME.MultipartSigned");
	} else if (is_opaque_smime(top)) {
		c->kind = PST_CLASS_OPAQUE;
		snprintf(c->name, sizeof(c->name), "IPM.Note.SMIME");
	} else if (GMIME_IS_MULTIPART(top) && is_type(top, "multipart", "report") &&
		   report_class(top, c)) {
		c->kind = PST_CLASS_REPORT;
	}
}

void pst_class_release(struct pst_class *c)
{
	g_free(c->orig_subject);
	g_free(c->rcvd_name);
	g_free(c->rcvd_addr);
	c->orig_subject = c->rcvd_name = c->rcvd_addr = NULL;
}

/* field_start: does the line at h (of n bytes left) start a field named `name`? */
static bool field_start(const unsigned char *h, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n <= nl || g_ascii_strncasecmp((const char *)h, name, nl))
		return false;
	size_t i = nl;
	while (i < n && (h[i] == ' ' || h[i] == '\t'))
		i++;	/* "Content-Type :" is read as the field by GMime too */
	return i < n && h[i] == ':';
}

GMimeStream *pst_signed_entity(const unsigned char *head, size_t head_len, GMimeStream *body)
{
	size_t from = 0, to = 0;	/* the last Content-Type field, its lines */
	size_t at = 0;
	while (at < head_len) {
		const unsigned char *nl = memchr(head + at, '\n', head_len - at);
		size_t next = nl ? (size_t)(nl - head) + 1 : head_len;
		if (field_start(head + at, head_len - at, "Content-Type")) {
			from = at;
			to = next;
			while (to < head_len && (head[to] == ' ' || head[to] == '\t')) {
				const unsigned char *e = memchr(head + to, '\n', head_len - to);
				to = e ? (size_t)(e - head) + 1 : head_len;
			}
		}
		at = next;
	}
	/* the empty line that ends the header block, as it is written there */
	bool crlf = head_len >= 2 && head[head_len - 2] == '\r';
	GMimeStream *cat = g_mime_stream_cat_new();
	GMimeStream *h = g_mime_stream_mem_new();
	g_mime_stream_write(h, (const char *)head + from, to - from);
	g_mime_stream_write_string(h, crlf ? "\r\n" : "\n");
	g_mime_stream_reset(h);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), h);
	g_object_unref(h);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), body);
	return cat;
}

/* search_key: "SMTP:<ADDRESS>" and its NUL, as PR_SEARCH_KEY of a one-off address */
static void search_key(const char *addr, struct sbuf *key)
{
	sbuf_adds(key, "SMTP:");
	for (const char *p = addr; *p; p++)
		sbuf_addch(key, g_ascii_toupper(*p));
	sbuf_add(key, "", 1);
}

void pst_class_props(struct pst_pc *pc, const struct pst_class *c, int64_t sent)
{
	if (c->kind == PST_CLASS_REPORT) {
		if (c->orig_subject)
			pst_pc_add_string(pc, 0x0049, c->orig_subject);	/* PR_ORIGINAL_SUBJECT */
		if (c->has_orig_sent)					/* PR_ORIGINAL_SUBMIT_TIME */
			pst_pc_add_u64(pc, 0x004E, PT_SYSTIME, pst_filetime(c->orig_sent));
		pst_pc_add_u64(pc, 0x0032, PT_SYSTIME, pst_filetime(sent));	/* PR_REPORT_TIME */
	}
	if (!c->rcvd_addr)
		return;
	struct sbuf key = SBUF_INIT;
	search_key(c->rcvd_addr, &key);
	pst_pc_add_string(pc, 0x0040, c->rcvd_name);		/* PR_RECEIVED_BY_NAME */
	pst_pc_add_string(pc, 0x0075, "SMTP");			/* PR_RECEIVED_BY_ADDRTYPE */
	pst_pc_add_string(pc, 0x0076, c->rcvd_addr);		/* PR_RECEIVED_BY_EMAIL_ADDRESS */
	pst_pc_add_binary(pc, 0x0051, PT_BINARY, key.buf, key.len);	/* ..._SEARCH_KEY */
	pst_pc_add_string(pc, 0x0044, c->rcvd_name);		/* PR_RCVD_REPRESENTING_NAME */
	pst_pc_add_string(pc, 0x0077, "SMTP");			/* ..._ADDRTYPE */
	pst_pc_add_string(pc, 0x0078, c->rcvd_addr);		/* ..._EMAIL_ADDRESS */
	pst_pc_add_binary(pc, 0x0052, PT_BINARY, key.buf, key.len);	/* ..._SEARCH_KEY */
	sbuf_release(&key);
}

void pst_class_plan_signed(struct pst_attach_list *l, GMimeStream *entity)
{
	memset(l, 0, sizeof(*l));
	l->v = g_new0(struct pst_attach_plan, 1);
	l->n = 1;
	sbuf_init(&l->v[0].name);
	sbuf_adds(&l->v[0].name, PST_SMIME_NAME);
	l->v[0].mime = g_strdup("multipart/signed");
	l->v[0].src = g_object_ref(entity);
}

void pst_class_plan_opaque(struct pst_attach_list *l)
{
	if (l->n != 1)
		return;
	sbuf_reset(&l->v[0].name);
	sbuf_adds(&l->v[0].name, PST_SMIME_NAME);
	g_free(l->v[0].mime);
	l->v[0].mime = g_strdup("application/pkcs7-mime");
}
