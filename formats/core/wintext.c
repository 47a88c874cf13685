#include "core/wintext.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

size_t utf8_valid_seq(const unsigned char *p, size_t avail)
{
	if (!avail)
		return 0;
	if (p[0] < 0x80)
		return 1;
	size_t n;
	unsigned cp;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2; cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3; cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4; cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void add_codepoint(struct sbuf *out, unsigned cp)
{
	if (cp < 0x80) {
		sbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		sbuf_addch(out, (int)(0xc0 | cp >> 6));
		sbuf_addch(out, (int)(0x80 | (cp & 0x3f)));
	} else {
		sbuf_addch(out, (int)(0xe0 | cp >> 12));
		sbuf_addch(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sbuf_addch(out, (int)(0x80 | (cp & 0x3f)));
	}
}

/* decode_cp1252_byte: one byte through iconv; WHATWG fallback for holes */
static void decode_cp1252_byte(iconv_t cd, struct sbuf *out, unsigned char b)
{
	char in[1] = { (char)b }, res[8];
	char *ip = in, *op = res;
	size_t il = 1, ol = sizeof(res);
	if (cd != (iconv_t)-1 && iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) {
		sbuf_add(out, res, sizeof(res) - ol);
		return;
	}
	add_codepoint(out, b);	/* undefined in Windows-1252: U+0080+b */
}

void wintext_to_utf8(struct sbuf *out, const char *bytes, size_t len)
{
	const unsigned char *p = (const unsigned char *)bytes;
	iconv_t cd = (iconv_t)-1;
	size_t i = 0;
	while (i < len) {
		/* a run of valid UTF-8 goes in with one copy */
		size_t run = 0, n;
		while (i + run < len && (n = utf8_valid_seq(p + i + run, len - i - run)))
			run += n;
		if (run) {
			sbuf_add(out, p + i, run);
			i += run;
			continue;
		}
		if (cd == (iconv_t)-1)
			cd = iconv_open("UTF-8", "WINDOWS-1252");
		decode_cp1252_byte(cd, out, p[i]);
		i++;
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
}
