/*
 * The PST reader's access to properties through libpff: strings (UTF-16
 * decoded by GLib, 8-bit ones from the message's code page through
 * iconv), numbers, times; and libpff's errors as one line.
 */
#include "pst/read.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

#include "core/wintext.h"

/* ---- properties ---------------------------------------------------------------- */

void pst_error(libpff_error_t **e, const char *what, struct sbuf *out)
{
	char buf[1024] = "";
	if (*e)
		libpff_error_sprint(*e, buf, sizeof(buf));
	/* libpff's text is several lines ("func: what"): the last says most */
	char *last = buf;
	for (char *p = strchr(buf, '\n'); p; p = strchr(p + 1, '\n'))
		if (p[1])
			last = p + 1;
	last[strcspn(last, "\n")] = '\0';
	sbuf_addf(out, "%s%s%s", what, *last ? ": " : "", last);
	libpff_error_free(e);
}

int pst_props_open(struct pst_props *pr, libpff_item_t *item)
{
	pr->set = NULL;
	pr->codepage = 0;
	return libpff_item_get_record_set_by_index(item, 0, &pr->set, NULL) == 1 ? 0 : -1;
}

void pst_props_close(struct pst_props *pr)
{
	if (pr->set)
		libpff_record_set_free(&pr->set, NULL);
}

static libpff_record_entry_t *prop(const struct pst_props *pr, uint32_t id)
{
	libpff_record_entry_t *e = NULL;
	if (!pr->set || libpff_record_set_get_entry_by_type(
		    pr->set, id, 0, &e, LIBPFF_ENTRY_VALUE_FLAG_MATCH_ANY_VALUE_TYPE, NULL) != 1)
		return NULL;
	return e;
}

bool pst_prop_raw(const struct pst_props *pr, uint32_t id, struct sbuf *out, uint32_t *type)
{
	libpff_record_entry_t *e = prop(pr, id);
	size_t n = 0;
	bool ok = e && libpff_record_entry_get_value_type(e, type, NULL) == 1 &&
		  libpff_record_entry_get_data_size(e, &n, NULL) == 1;
	if (ok && n) {
		sbuf_grow(out, n);
		ok = libpff_record_entry_get_data(e, (uint8_t *)out->buf + out->len, n, NULL) == 1;
		if (ok)
			sbuf_setlen(out, out->len + n);
	}
	if (e)
		libpff_record_entry_free(&e, NULL);
	return ok;
}

/* utf16_to_utf8: UTF-16LE bytes, by GLib (libpff 20180714 mangles some surrogate pairs) */
void pst_utf16_to_utf8(const char *raw, size_t len, struct sbuf *out)
{
	size_t n = len / 2;
	gunichar2 *u = g_new(gunichar2, n + 1);
	for (size_t i = 0; i < n; i++)
		u[i] = (gunichar2)((unsigned char)raw[2 * i] | (unsigned char)raw[2 * i + 1] << 8);
	while (n && !u[n - 1])	/* a terminating NUL, if stored */
		n--;
	char *s = g_utf16_to_utf8(u, (glong)n, NULL, NULL, NULL);
	if (!s) {		/* an unpaired surrogate: each unit alone, U+FFFD for the bad ones */
		for (size_t i = 0; i < n; i++) {
			char b[8];
			gunichar c = u[i] >= 0xD800 && u[i] < 0xE000 ? 0xFFFD : u[i];
			sbuf_add(out, b, (size_t)g_unichar_to_utf8(c, b));
		}
	}
	sbuf_adds(out, s ? s : "");
	g_free(s);
	g_free(u);
}

/* cp_charset: the iconv name of a Windows code page */
static void cp_charset(unsigned cp, char *buf, size_t n)
{
	static const struct { unsigned cp; const char *name; } names[] = {
		{ 65001, "UTF-8" }, { 1200, "UTF-16LE" }, { 20127, "ASCII" },
		{ 932, "SHIFT_JIS" }, { 936, "GBK" }, { 949, "CP949" }, { 950, "BIG5" },
		{ 20866, "KOI8-R" }, { 21866, "KOI8-U" }, { 50220, "ISO-2022-JP" },
		{ 50221, "ISO-2022-JP" }, { 50222, "ISO-2022-JP" }, { 51932, "EUC-JP" },
		{ 51949, "EUC-KR" }, { 52936, "HZ-GB-2312" }, { 54936, "GB18030" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cp == cp) {
			snprintf(buf, n, "%s", names[i].name);
			return;
		}
	if (cp >= 28591 && cp <= 28606)
		snprintf(buf, n, "ISO-8859-%u", cp - 28590);
	else
		snprintf(buf, n, "CP%u", cp);
}

/*
 * pst_decode_cp: bytes in code page cp, through iconv; without a code page,
 * or when they are not valid in it, as UTF-8 where valid, else Windows-1252
 * (wintext: nothing is lost)
 */
void pst_decode_cp(const char *bytes, size_t len, unsigned cp, struct sbuf *out)
{
	while (len && !bytes[len - 1])
		len--;
	if (cp && cp != 1252) {
		char cs[32];
		cp_charset(cp, cs, sizeof(cs));
		gsize got = 0;
		gchar *s = g_convert(bytes, (gssize)len, "UTF-8", cs, NULL, &got, NULL);
		if (s) {
			sbuf_add(out, s, got);
			g_free(s);
			return;
		}
	}
	wintext_to_utf8(out, bytes, len);
}

bool pst_prop_string(const struct pst_props *pr, uint32_t id, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	uint32_t type = 0;
	bool ok = pst_prop_raw(pr, id, &raw, &type);
	if (ok && type == 0x001F)
		pst_utf16_to_utf8(raw.buf, raw.len, out);
	else if (ok && (type == 0x001E || type == 0x0102))
		pst_decode_cp(raw.buf, raw.len, pr->codepage, out);
	else
		ok = false;
	sbuf_release(&raw);
	return ok;
}

bool pst_prop_u32(const struct pst_props *pr, uint32_t id, uint32_t *v)
{
	libpff_record_entry_t *e = prop(pr, id);
	bool ok = e && libpff_record_entry_get_data_as_32bit_integer(e, v, NULL) == 1;
	if (e)
		libpff_record_entry_free(&e, NULL);
	return ok;
}

bool pst_prop_time(const struct pst_props *pr, uint32_t id, int64_t *t)
{
	libpff_record_entry_t *e = prop(pr, id);
	uint64_t ft = 0;
	bool ok = e && libpff_record_entry_get_data_as_filetime(e, &ft, NULL) == 1 && ft;
	if (e)
		libpff_record_entry_free(&e, NULL);
	if (ok)	/* 100 ns ticks since 1601 */
		*t = (int64_t)(ft / 10000000u) - INT64_C(11644473600);
	return ok;
}
