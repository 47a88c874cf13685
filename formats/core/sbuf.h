/*
 * A growable byte buffer (after git's strbuf).
 *
 * Invariants: buf is never NULL, buf[len] is always '\0', and the content is
 * binary-safe (may hold NUL bytes before len).  An sbuf set to SBUF_INIT
 * owns no memory until the first addition.
 */
#ifndef MDX_SBUF_H
#define MDX_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char sbuf_empty[];
#define SBUF_INIT { 0, 0, sbuf_empty }

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
/* sbuf_detach: hand the buffer to the caller (always a malloc'd string) */
char *sbuf_detach(struct sbuf *sb);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_setlen(struct sbuf *sb, size_t len);
void sbuf_reset(struct sbuf *sb);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, int c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * sbuf_add_json_str: append s as a quoted JSON string.  Well-formed UTF-8
 * is kept; control characters are escaped; a byte that is not part of
 * well-formed UTF-8 becomes the lone surrogate \udcXX (XX its value: what
 * Python's "surrogateescape" gives, so os.fsencode() returns the bytes).
 */
void sbuf_add_json_str(struct sbuf *sb, const char *s);
/* sbuf_add_utc: append Unix time t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) */
void sbuf_add_utc(struct sbuf *sb, int64_t t);

#endif
