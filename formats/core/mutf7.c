#include "core/mutf7.h"

#include <stdint.h>
#include <string.h>

#include "core/wintext.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* next_codepoint: decode one UTF-8 sequence (U+FFFD for a bad byte) */
static uint32_t next_codepoint(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	size_t n = utf8_valid_seq(p, strnlen((const char *)p, 4));
	if (!n) {
		*pp = p + 1;
		return 0xfffd;
	}
	uint32_t cp = n == 1 ? p[0] : n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3fu);
	*pp = p + n;
	return cp;
}

struct b64_state {
	uint32_t bits;
	int nbits;
};

static void put16(struct sbuf *out, struct b64_state *st, uint32_t unit)
{
	st->bits = st->bits << 16 | (unit & 0xffff);
	st->nbits += 16;
	while (st->nbits >= 6) {
		st->nbits -= 6;
		sbuf_addch(out, b64[(st->bits >> st->nbits) & 0x3f]);
	}
}

static void put_codepoint(struct sbuf *out, struct b64_state *st, uint32_t cp)
{
	if (cp >= 0x10000) {
		cp -= 0x10000;
		put16(out, st, 0xd800 | (cp >> 10));
		put16(out, st, 0xdc00 | (cp & 0x3ff));
	} else {
		put16(out, st, cp);
	}
}

void mutf7_encode(struct sbuf *out, const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	while (*p) {
		if (*p >= 0x20 && *p <= 0x7e) {
			sbuf_addch(out, *p);
			if (*p == '&')
				sbuf_addch(out, '-');
			p++;
			continue;
		}
		struct b64_state st = { 0, 0 };
		sbuf_addch(out, '&');
		while (*p && !(*p >= 0x20 && *p <= 0x7e))
			put_codepoint(out, &st, next_codepoint(&p));
		if (st.nbits)
			sbuf_addch(out, b64[(st.bits << (6 - st.nbits)) & 0x3f]);
		sbuf_addch(out, '-');
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* decode_run: base64 run [p, end) to UTF-8; false when not strictly valid */
static bool decode_run(const char *p, const char *end, struct sbuf *out)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	size_t units = 0;
	for (; p < end; p++) {
		int v = b64_value(*p);
		if (v < 0)
			return false;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;
		units++;
		if (high) {
			if (u < 0xdc00 || u > 0xdfff)
				return false;
			u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		} else if ((u >= 0xdc00 && u <= 0xdfff) || (u >= 0x20 && u <= 0x7e) || u == 0) {
			/* a lone low surrogate; ASCII that needs no encoding; U+0000
			 * ("&AAA-"), no character of a name: decoded, the folder name
			 * would end at it as a C string (found by fuzzing) */
			return false;
		}
		char tmp[8];
		size_t n = 0;
		if (u < 0x80) {
			tmp[n++] = (char)u;
		} else if (u < 0x800) {
			tmp[n++] = (char)(0xc0 | u >> 6);
			tmp[n++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			tmp[n++] = (char)(0xe0 | u >> 12);
			tmp[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
			tmp[n++] = (char)(0x80 | (u & 0x3f));
		} else {
			tmp[n++] = (char)(0xf0 | u >> 18);
			tmp[n++] = (char)(0x80 | ((u >> 12) & 0x3f));
			tmp[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
			tmp[n++] = (char)(0x80 | (u & 0x3f));
		}
		sbuf_add(out, tmp, n);
	}
	return units > 0 && !high && nbits < 6 && (bits & ((1u << nbits) - 1)) == 0;
}

bool mutf7_decode(struct sbuf *out, const char *in, size_t len)
{
	struct sbuf res = SBUF_INIT;
	bool encoded = false, ok = true;
	const char *p = in, *end = in + len;
	while (ok && p < end) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e) {
			ok = false;
		} else if (c != '&') {
			sbuf_addch(&res, c);
			p++;
		} else {
			const char *dash = memchr(p + 1, '-', (size_t)(end - p - 1));
			if (!dash) {
				ok = false;
			} else if (dash == p + 1) {
				sbuf_addch(&res, '&');
				p = dash + 1;
			} else {
				ok = decode_run(p + 1, dash, &res);
				encoded = true;
				p = dash + 1;
			}
		}
	}
	ok = ok && encoded;
	if (ok)
		sbuf_add(out, res.buf, res.len);
	sbuf_release(&res);
	return ok;
}
