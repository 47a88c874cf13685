/*
 * Header text to Unicode: the rule of hdrtext.h (README "Header text and
 * charsets").  GMime gives the structure of address fields; the text
 * itself is decoded here, because GMime's own decoding guesses 8-bit text
 * by its own charset list and joins adjacent ISO-2022-JP words wrongly.
 */
#include "core/hdrtext.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <glib.h>

#include "core/xalloc.h"

/* ---- charset names (rule 2) ------------------------------------------------ */

/* what Outlook reads a declared name as: the Windows code page, a superset */
static const struct {
	const char *name, *as;
} cs_map[] = {
	{ "gb2312", "CP936" }, { "gbk", "CP936" }, { "x-gbk", "CP936" }, { "cp936", "CP936" },
	{ "euc-cn", "CP936" }, { "gb18030", "GB18030" },
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" }, { "euc-kr", "CP949" },
	{ "cp949", "CP949" }, { "ks_c_5601-1989", "CP949" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "ms_kanji", "CP932" }, { "cp932", "CP932" },
	{ "windows-31j", "CP932" },
	{ "big5", "CP950" }, { "cp950", "CP950" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" }, { "latin5", "WINDOWS-1254" },
	{ "tis-620", "CP874" }, { "iso-8859-11", "CP874" },
};

const char *hdr_charset_map(const char *name)
{
	for (size_t i = 0; i < sizeof(cs_map) / sizeof(cs_map[0]); i++)
		if (!g_ascii_strcasecmp(name, cs_map[i].name))
			return cs_map[i].as;
	return name;
}

/* conv_open: a descriptor from name (mapped) to UTF-8; (iconv_t)-1 when unknown */
static iconv_t conv_open(const char *name)
{
	if (!*name || strchr(name, '/'))	/* "//TRANSLIT" and the like are no charset */
		return (iconv_t)-1;
	return iconv_open("UTF-8", hdr_charset_map(name));
}

bool hdr_charset_known(const char *name)
{
	iconv_t cd = conv_open(name);
	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

/* ---- conversion ------------------------------------------------------------ */

static void add_escaped(struct sbuf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sbuf_addf(out, "\\x%02x", p[i]);
}

/* decoded_non_ascii: out[from..] holds a character beyond ASCII */
static bool decoded_non_ascii(const struct sbuf *out, size_t from)
{
	for (size_t i = from; i < out->len; i++)
		if ((unsigned char)out->buf[i] >= 0x80)
			return true;
	return false;
}

/*
 * convert: bytes in cs to UTF-8 appended to out.  strict: false at the
 * first byte that is not valid (out then as it was); an incomplete
 * character at the very end is allowed (as "\xNN") when end_ok and the
 * bytes before it hold a whole character beyond ASCII in cs: a text cut
 * short mid-character shows what it is before the cut, while "Caf" and a
 * lone 0xE9 (Latin-1's "Cafe" with an accent) is no UTF-8 cut short.  Not
 * strict: each byte not decoded becomes "\xNN" and conversion goes on.
 */
static bool convert(const char *cs, const unsigned char *bytes, size_t len, bool strict,
		    bool end_ok, struct sbuf *out)
{
	iconv_t cd = conv_open(cs);
	if (cd == (iconv_t)-1) {
		if (!strict)
			add_escaped(out, bytes, len);
		return false;
	}
	size_t start = out->len;
	char *in = (char *)bytes;
	size_t left = len;
	bool ok = true;
	while (left) {
		char buf[1024];
		char *o = buf;
		size_t room = sizeof(buf);
		size_t r = iconv(cd, &in, &left, &o, &room);
		int e = errno;
		sbuf_add(out, buf, sizeof(buf) - room);
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EINVAL && (!strict || (end_ok && decoded_non_ascii(out, start)))) {
			/* cut short at the end */
			add_escaped(out, (const unsigned char *)in, left);
			break;
		}
		if (strict) {
			ok = false;
			break;
		}
		add_escaped(out, (const unsigned char *)in, 1);
		in++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	if (ok) {	/* a stateful charset's return to its initial state */
		char buf[64];
		char *o = buf;
		size_t room = sizeof(buf);
		iconv(cd, NULL, NULL, &o, &room);
		sbuf_add(out, buf, sizeof(buf) - room);
	}
	iconv_close(cd);
	if (!ok)
		sbuf_setlen(out, start);
	return ok;
}

static bool all_ascii(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return false;
	return true;
}

/* raw_run: rule 4, one stretch of raw text; at_end: it ends the field's value */
static void raw_run(const unsigned char *p, size_t n, bool at_end, const struct hdr_charsets *cs,
		    struct sbuf *out)
{
	if (all_ascii(p, n)) {
		sbuf_add(out, p, n);
		return;
	}
	if (convert("UTF-8", p, n, true, at_end, out))
		return;
	for (size_t i = 0; i < cs->n; i++)
		if (convert(cs->names[i], p, n, true, at_end, out))
			return;
	convert(cs->n ? cs->names[0] : HDR_DEFAULT_FALLBACK, p, n, false, at_end, out);
}

/* ---- encoded words (rule 3) ------------------------------------------------- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	return c == '/' ? 63 : -1;
}

/* b_decode: base64 as far as it goes; a final lone character is dropped */
static void b_decode(const char *t, size_t n, struct sbuf *out)
{
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < n && t[i] != '='; i++) {
		int v = b64_value((unsigned char)t[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sbuf_addch(out, (int)((acc >> bits) & 0xff));
		}
	}
}

static void q_decode(const char *t, size_t n, struct sbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '_') {
			sbuf_addch(out, ' ');
		} else if (t[i] == '=' && i + 2 < n && g_ascii_xdigit_value(t[i + 1]) >= 0 &&
			   g_ascii_xdigit_value(t[i + 2]) >= 0) {
			sbuf_addch(out, g_ascii_xdigit_value(t[i + 1]) * 16 + g_ascii_xdigit_value(t[i + 2]));
			i += 2;
		} else {
			sbuf_addch(out, t[i]);
		}
	}
}

/* an encoded word found in the value */
struct eword {
	size_t start, end;	/* [start, end) in the value */
	char *cs;		/* its charset, the *lang suffix removed */
	struct sbuf bytes;	/* decoded */
};

static bool ew_char(char c)
{
	return c != '?' && c != ' ' && c != '\t';
}

/* match_word: an encoded word at s[i..n); false when none starts there */
static bool match_word(const char *s, size_t i, size_t n, struct eword *w)
{
	if (i + 1 >= n || s[i] != '=' || s[i + 1] != '?')
		return false;
	size_t c = i + 2, c0 = c;
	while (c < n && ew_char(s[c]))
		c++;
	if (c == c0 || c + 2 >= n || s[c] != '?' || !strchr("BbQq", s[c + 1]) || s[c + 2] != '?')
		return false;
	size_t t = c + 3, t0 = t;
	while (t < n && ew_char(s[t]))
		t++;
	if (t + 1 >= n || s[t] != '?' || s[t + 1] != '=')
		return false;
	w->start = i;
	w->end = t + 2;
	w->cs = g_strndup(s + c0, c - c0);
	char *star = strchr(w->cs, '*');
	if (star)
		*star = '\0';
	sbuf_init(&w->bytes);
	if (s[c + 1] == 'B' || s[c + 1] == 'b')
		b_decode(s + t0, t - t0, &w->bytes);
	else
		q_decode(s + t0, t - t0, &w->bytes);
	return true;
}

static bool blank_only(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/*
 * decode_clean: rules 3 and 4 over an unfolded, trimmed value.  Words
 * with only blanks between them and the same charset are joined as bytes
 * (a group) and converted once; a group that does not convert is raw text.
 */
/*
 * word_text: rule 3's conversion of a group of encoded words' bytes: in
 * their charset; when not valid in it, in the first of UTF-8 and the
 * charsets the message declares in which they are (a mailer that labelled
 * its words wrongly), else still in their charset with each byte it cannot
 * read as \xNN (the word said which charset: one bad byte of a Big5
 * subject does not make it Windows-1252, the fallback).  A charset no
 * converter knows, or US-ASCII (which has no 8-bit bytes to say anything
 * about), is no such evidence: the bytes are then raw text (rule 4).
 */
static void word_text(const struct eword *w, bool last, const struct hdr_charsets *cs,
		      struct sbuf *out)
{
	const unsigned char *b = (const unsigned char *)w->bytes.buf;
	size_t n = w->bytes.len;
	const char *as = hdr_charset_map(w->cs);
	bool ascii = !g_ascii_strcasecmp(as, "us-ascii") || !g_ascii_strcasecmp(as, "ascii");
	if (ascii || !hdr_charset_known(w->cs)) {
		raw_run(b, n, last, cs, out);
		return;
	}
	if (convert(w->cs, b, n, true, false, out) || convert("UTF-8", b, n, true, false, out))
		return;
	for (size_t i = 0; i < cs->declared; i++)
		if (convert(cs->names[i], b, n, true, false, out))
			return;
	convert(w->cs, b, n, false, false, out);
}

static void decode_clean(const char *s, size_t n, const struct hdr_charsets *cs,
			 struct sbuf *out)
{
	size_t pos = 0;		/* raw text from here not yet written */
	struct eword w;
	for (size_t i = 0; i < n;) {
		if (!match_word(s, i, n, &w)) {
			i++;
			continue;
		}
		raw_run((const unsigned char *)s + pos, w.start - pos, false, cs, out);
		/* the group: more words after blanks, same charset */
		size_t end = w.end, k = w.end;
		for (;;) {
			while (k < n && (s[k] == ' ' || s[k] == '\t'))
				k++;
			struct eword nx;
			if (!match_word(s, k, n, &nx))
				break;
			bool same = !g_ascii_strcasecmp(nx.cs, w.cs);
			if (same)
				sbuf_add(&w.bytes, nx.bytes.buf, nx.bytes.len);
			g_free(nx.cs);
			sbuf_release(&nx.bytes);
			if (!same)
				break;
			end = k = nx.end;
		}
		bool last = blank_only(s, end, n);
		word_text(&w, last, cs, out);
		g_free(w.cs);
		sbuf_release(&w.bytes);
		/* blanks before a following word (of another charset) are dropped */
		k = end;
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		struct eword nx;
		if (k < n && match_word(s, k, n, &nx)) {
			g_free(nx.cs);
			sbuf_release(&nx.bytes);
			end = k;
		}
		pos = i = end;
	}
	raw_run((const unsigned char *)s + pos, n - pos, true, cs, out);
}

void hdrtext_raw_block(const char *bytes, size_t len, const struct hdr_charsets *cs,
		       struct sbuf *out)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(bytes + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - bytes) + 1 : len;
		raw_run((const unsigned char *)bytes + i, end - i, false, cs, out);
		i = end;
	}
}

/* clean_value: rule 0: CR, LF and NUL removed, blanks trimmed at both ends */
static void clean_value(const char *raw, size_t len, struct sbuf *v)
{
	for (size_t i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n' && raw[i] != '\0')
			sbuf_addch(v, (unsigned char)raw[i]);
	size_t a = 0, b = v->len;
	while (a < b && (v->buf[a] == ' ' || v->buf[a] == '\t'))
		a++;
	while (b > a && (v->buf[b - 1] == ' ' || v->buf[b - 1] == '\t'))
		b--;
	memmove(v->buf, v->buf + a, b - a);
	sbuf_setlen(v, b - a);
}

void hdrtext_decode(const char *raw, size_t len, const struct hdr_charsets *cs,
		    struct sbuf *out)
{
	struct sbuf v = SBUF_INIT;
	clean_value(raw, len, &v);
	decode_clean(v.buf, v.len, cs, out);
	sbuf_release(&v);
}

/* ---- candidates (rule 1) ----------------------------------------------------- */

static bool is_unicode_name(const char *n)
{
	return !g_ascii_strcasecmp(n, "us-ascii") || !g_ascii_strcasecmp(n, "ascii") ||
	       !g_ascii_strcasecmp(n, "utf-8") || !g_ascii_strcasecmp(n, "utf8");
}

static void add_name(struct hdr_charsets *cs, const char *name)
{
	cs->names = xrealloc(cs->names, (cs->n + 1) * sizeof(*cs->names));
	cs->names[cs->n++] = xstrdup(name);
}

static void add_declared(struct hdr_charsets *cs, const char *name)
{
	if (!name || !*name || is_unicode_name(name) || !hdr_charset_known(name))
		return;
	for (size_t i = 0; i < cs->n; i++)
		if (!g_ascii_strcasecmp(cs->names[i], name))
			return;
	add_name(cs, name);
}

/* walk: text leaves (text/ anything) depth first; an attached message is not the message's own */
static void walk(struct hdr_charsets *cs, GMimeObject *obj)
{
	if (GMIME_IS_MESSAGE(obj)) {
		GMimeObject *top = g_mime_message_get_mime_part(GMIME_MESSAGE(obj));
		if (top)
			walk(cs, top);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			walk(cs, g_mime_multipart_get_part(mp, i));
	} else if (GMIME_IS_PART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		if (ct && g_mime_content_type_is_type(ct, "text", "*"))
			add_declared(cs, g_mime_content_type_get_parameter(ct, "charset"));
	}
}

static void add_fallbacks(struct hdr_charsets *cs, const char *const *fallback)
{
	if (!fallback || !fallback[0]) {
		add_name(cs, HDR_DEFAULT_FALLBACK);
		return;
	}
	for (size_t i = 0; fallback[i]; i++)
		add_name(cs, fallback[i]);
}

void hdr_charsets_from_message(struct hdr_charsets *cs, GMimeObject *msg,
			       const char *const *fallback)
{
	memset(cs, 0, sizeof(*cs));
	if (msg)
		walk(cs, msg);
	cs->declared = cs->n;
	add_fallbacks(cs, fallback);
}

void hdr_charsets_fallback_only(struct hdr_charsets *cs, const char *const *fallback)
{
	hdr_charsets_from_message(cs, NULL, fallback);
}

void hdr_charsets_release(struct hdr_charsets *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->names[i]);
	free(cs->names);
	memset(cs, 0, sizeof(*cs));
}

const char *hdrtext_fallback_check(const char *const *fallback)
{
	for (size_t i = 0; fallback && fallback[i]; i++)
		if (!hdr_charset_known(fallback[i]))
			return fallback[i];
	return NULL;
}

/* ---- address fields (rule 5) ------------------------------------------------- */

/*
 * GMime takes the structure of the raw value, but must not decode its
 * text: each 8-bit byte b is handed to it as the private-use character
 * U+F700+b (valid UTF-8, kept as it is), and the '=' that opens an
 * encoded word as U+F73D, so that no word is recognised.  What GMime
 * gives back is mapped back to the raw bytes and decoded here.
 */
#define PROTECT_BASE 0xF700u

static void protect(const char *s, size_t n, struct sbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c == '=' && i + 1 < n && s[i + 1] == '?')) {
			char u[8];
			int k = g_unichar_to_utf8((gunichar)(PROTECT_BASE + c), u);
			sbuf_add(out, u, (size_t)k);
		} else {
			sbuf_addch(out, c);
		}
	}
}

static void unprotect(const char *s, struct sbuf *out)
{
	for (const char *p = s; *p;) {
		gunichar u = g_utf8_get_char_validated(p, -1);
		if (u >= PROTECT_BASE && u <= PROTECT_BASE + 0xff) {
			sbuf_addch(out, (int)(u - PROTECT_BASE));
			p = g_utf8_next_char(p);
		} else {
			sbuf_addch(out, (unsigned char)*p++);
		}
	}
}

/* decode_back: a string GMime gave, back to raw bytes and decoded (rules 3, 4) */
static char *decode_back(const char *s, const struct hdr_charsets *cs)
{
	struct sbuf raw = SBUF_INIT, out = SBUF_INIT;
	unprotect(s ? s : "", &raw);
	decode_clean(raw.buf, raw.len, cs, &out);
	sbuf_release(&raw);
	return sbuf_detach(&out);
}

/* addr_back: an address GMime gave: its bytes, encoded words not decoded (rule 4 only) */
static char *addr_back(const char *s, const struct hdr_charsets *cs)
{
	struct sbuf raw = SBUF_INIT, out = SBUF_INIT;
	unprotect(s ? s : "", &raw);
	raw_run((const unsigned char *)raw.buf, raw.len, true, cs, &out);
	sbuf_release(&raw);
	return sbuf_detach(&out);
}

static InternetAddressList *parse_list(const char *raw, size_t len)
{
	struct sbuf v = SBUF_INIT, p = SBUF_INIT;
	clean_value(raw, len, &v);
	protect(v.buf, v.len, &p);
	InternetAddressList *l = internet_address_list_parse(NULL, p.buf);
	sbuf_release(&v);
	sbuf_release(&p);
	return l;
}

static void flatten(InternetAddressList *l, const struct hdr_charsets *cs, GArray *out)
{
	for (int i = 0; l && i < internet_address_list_length(l); i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			flatten(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), cs,
				out);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			const char *nm = internet_address_get_name(ia);
			struct hdr_addr r;
			r.addr = addr_back(a, cs);
			r.name = nm && *nm ? decode_back(nm, cs) : NULL;
			if (!r.name || !*r.name) {
				g_free(r.name);
				r.name = g_strdup(r.addr);
			}
			g_array_append_val(out, r);
		}
	}
}

void hdr_addresses(const char *raw, size_t len, const struct hdr_charsets *cs, GArray *out)
{
	InternetAddressList *l = parse_list(raw, len);
	flatten(l, cs, out);
	if (l)
		g_object_unref(l);
}

void hdr_addr_array_free(GArray *a)
{
	if (!a)
		return;
	for (guint i = 0; i < a->len; i++) {
		struct hdr_addr *r = &g_array_index(a, struct hdr_addr, i);
		g_free(r->name);
		g_free(r->addr);
	}
	g_array_free(a, TRUE);
}

void hdr_display_list(const char *raw, size_t len, const struct hdr_charsets *cs,
		      struct sbuf *out)
{
	InternetAddressList *l = parse_list(raw, len);
	for (int i = 0; l && i < internet_address_list_length(l); i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		const char *nm = internet_address_get_name(ia);
		char *name = nm && *nm ? decode_back(nm, cs) : NULL;
		if ((!name || !*name) && INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			g_free(name);
			name = addr_back(internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia)), cs);
		}
		if (out->len)
			sbuf_adds(out, "; ");
		sbuf_adds(out, name ? name : "");
		g_free(name);
	}
	if (l)
		g_object_unref(l);
}

/* ---- whole headers and parts ------------------------------------------------- */

const char *hdr_object_raw(GMimeObject *obj, const char *field)
{
	GMimeHeaderList *hl = obj ? g_mime_object_get_header_list(obj) : NULL;
	GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, field) : NULL;
	if (!h)
		return NULL;
	const char *raw = g_mime_header_get_raw_value(h);
	return raw ? raw : g_mime_header_get_value(h);	/* a header set, not parsed */
}

bool hdr_object_raw_list(GMimeObject *obj, const char *field, struct sbuf *out)
{
	GMimeHeaderList *hl = obj ? g_mime_object_get_header_list(obj) : NULL;
	bool got = false;
	for (int i = 0; hl && i < g_mime_header_list_get_count(hl); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h), field))
			continue;
		const char *raw = g_mime_header_get_raw_value(h);
		if (!raw)
			raw = g_mime_header_get_value(h);
		if (got)
			sbuf_adds(out, ", ");
		sbuf_adds(out, raw ? raw : "");
		got = true;
	}
	return got;
}

bool hdr_object_text(GMimeObject *obj, const char *field, const struct hdr_charsets *cs,
		     struct sbuf *out)
{
	const char *raw = hdr_object_raw(obj, field);
	if (!raw)
		return false;
	hdrtext_decode(raw, strlen(raw), cs, out);
	return true;
}

bool hdr_message_subject(GMimeMessage *msg, const char *const *fallback, struct sbuf *out)
{
	struct hdr_charsets cs;
	hdr_charsets_from_message(&cs, GMIME_OBJECT(msg), fallback);
	bool got = hdr_object_text(GMIME_OBJECT(msg), "Subject", &cs, out);
	hdr_charsets_release(&cs);
	return got;
}

/* ---- parameters (rule 6) ----------------------------------------------------- */

/*
 * One parameter of a raw Content-Type or Content-Disposition value.  The
 * value's bytes are taken here rather than from GMime's parameter list,
 * which has already converted them by its own charset rules.
 */
struct param {
	const char *name;
	size_t name_len;
	struct sbuf value;	/* unquoted */
};

/* next_param: the parameter after the ';' at or after *pos; false when no more */
static bool next_param(const char *s, size_t n, size_t *pos, struct param *p)
{
	size_t i = *pos;
	while (i < n && s[i] != ';') {		/* the type, or the rest of a bad value */
		if (s[i] == '"')
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		i++;
	}
	if (i >= n)
		return false;
	i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	p->name = s + i;
	while (i < n && s[i] != '=' && s[i] != ';' && s[i] != ' ' && s[i] != '\t')
		i++;
	p->name_len = (size_t)(s + i - p->name);
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	sbuf_reset(&p->value);
	if (i < n && s[i] == '=') {
		for (i++; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
			;
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				sbuf_addch(&p->value, (unsigned char)s[i]);
			}
			i += i < n;
		} else {
			while (i < n && s[i] != ';')
				sbuf_addch(&p->value, (unsigned char)s[i++]);
			while (p->value.len && (p->value.buf[p->value.len - 1] == ' ' ||
						p->value.buf[p->value.len - 1] == '\t'))
				sbuf_setlen(&p->value, p->value.len - 1);
		}
	}
	*pos = i;
	return true;
}

/* pct_decode: RFC 2231's %XX into bytes */
static void pct_decode(const char *s, size_t n, struct sbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && g_ascii_xdigit_value(s[i + 1]) >= 0 && g_ascii_xdigit_value(s[i + 2]) >= 0) {
			sbuf_addch(out, g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		} else {
			sbuf_addch(out, (unsigned char)s[i]);
		}
	}
}

/* an RFC 2231 parameter's sections, by number */
struct r2231 {
	GPtrArray *parts;	/* struct sbuf * per section number (NULL: missing) */
	char *charset;
};

/*
 * rfc2231_section: name*, name*N or name*N* of base; its number (0 for
 * name*) and whether it is %-encoded; false when p is no section of base
 */
static bool rfc2231_section(const struct param *p, const char *base, unsigned *num, bool *enc)
{
	size_t bl = strlen(base);
	if (p->name_len <= bl || g_ascii_strncasecmp(p->name, base, bl) || p->name[bl] != '*')
		return false;
	const char *r = p->name + bl + 1, *end = p->name + p->name_len;
	*num = 0;
	*enc = false;
	if (r == end) {
		*enc = true;
		return true;
	}
	if (!g_ascii_isdigit(*r))
		return false;
	for (; r < end && g_ascii_isdigit(*r); r++)
		*num = *num * 10 + (unsigned)(*r - '0');
	if (*num > 999)
		return false;
	if (r < end && *r == '*') {
		*enc = true;
		r++;
	}
	return r == end;
}

static void r2231_add(struct r2231 *r, const struct param *p, unsigned num, bool enc)
{
	const char *v = p->value.buf;
	size_t n = p->value.len;
	if (num == 0 && enc) {	/* charset'lang'text */
		const char *q1 = memchr(v, '\'', n);
		const char *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - v)) : NULL;
		if (q2) {
			g_free(r->charset);
			r->charset = g_strndup(v, (size_t)(q1 - v));
			n -= (size_t)(q2 + 1 - v);
			v = q2 + 1;
		}
	}
	while (r->parts->len <= num)
		g_ptr_array_add(r->parts, NULL);
	struct sbuf *b = g_ptr_array_index(r->parts, num);
	if (!b) {
		b = xcalloc(1, sizeof(*b));
		sbuf_init(b);
		g_ptr_array_index(r->parts, num) = b;
	}
	if (enc)
		pct_decode(v, n, b);
	else
		sbuf_add(b, v, n);
}

static void free_section(gpointer p)
{
	if (p) {
		sbuf_release(p);
		free(p);
	}
}

/*
 * param_text: parameter `base` of a raw value decoded into out; false
 * when there is none.  RFC 2231 sections win over a plain value.
 */
static bool param_text(const char *raw, const char *base, const struct hdr_charsets *cs,
		       struct sbuf *out)
{
	struct sbuf v = SBUF_INIT, plain = SBUF_INIT;
	clean_value(raw, strlen(raw), &v);
	struct param p = { NULL, 0, SBUF_INIT };
	struct r2231 r = { g_ptr_array_new_with_free_func(free_section), NULL };
	bool have_plain = false;
	unsigned num;
	bool enc;
	for (size_t pos = 0; next_param(v.buf, v.len, &pos, &p);) {
		if (rfc2231_section(&p, base, &num, &enc)) {
			r2231_add(&r, &p, num, enc);
		} else if (!have_plain && p.name_len == strlen(base) &&
			   !g_ascii_strncasecmp(p.name, base, p.name_len)) {
			sbuf_add(&plain, p.value.buf, p.value.len);
			have_plain = true;
		}
	}
	bool got = r.parts->len > 0 || have_plain;
	if (r.parts->len) {
		struct sbuf bytes = SBUF_INIT;
		for (guint i = 0; i < r.parts->len; i++) {
			struct sbuf *b = g_ptr_array_index(r.parts, i);
			if (b)
				sbuf_add(&bytes, b->buf, b->len);
		}
		if (!r.charset || !*r.charset ||
		    !convert(r.charset, (const unsigned char *)bytes.buf, bytes.len, true, false, out))
			decode_clean(bytes.buf, bytes.len, cs, out);
		sbuf_release(&bytes);
	} else if (have_plain) {
		decode_clean(plain.buf, plain.len, cs, out);
	}
	g_ptr_array_free(r.parts, TRUE);
	g_free(r.charset);
	sbuf_release(&p.value);
	sbuf_release(&plain);
	sbuf_release(&v);
	return got;
}

bool hdr_part_filename(GMimeObject *part, const struct hdr_charsets *cs, struct sbuf *out)
{
	const char *cd = hdr_object_raw(part, "Content-Disposition");
	if (cd && param_text(cd, "filename", cs, out))
		return true;
	const char *ct = hdr_object_raw(part, "Content-Type");
	return ct && param_text(ct, "name", cs, out);
}

/* ---- folder names (rule 7) ----------------------------------------------------- */

void hdrtext_folder_name(const char *bytes, size_t len, const char *const *fallback,
			 struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)bytes;
	if (all_ascii(p, len) || convert("UTF-8", p, len, true, false, out)) {
		if (all_ascii(p, len))
			sbuf_add(out, bytes, len);
		return;
	}
	struct hdr_charsets cs;
	hdr_charsets_fallback_only(&cs, fallback);
	bool done = false;
	for (size_t i = 0; i < cs.n && !done; i++)
		done = convert(cs.names[i], p, len, true, false, out);
	hdr_charsets_release(&cs);
	if (!done)
		convert("UTF-8", p, len, false, false, out);
}
