/*
 * Names written by a Windows server: read as UTF-8 where the bytes are valid
 * UTF-8, and each byte that is not decoded as Windows-1252 (through iconv;
 * the five bytes Windows-1252 leaves undefined map to U+0080+byte, as the
 * WHATWG encoding standard does, so no byte is ever lost).
 */
#ifndef MDX_WINTEXT_H
#define MDX_WINTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

/* wintext_to_utf8: append the decoded form of bytes[0..len) to out */
void wintext_to_utf8(struct sbuf *out, const char *bytes, size_t len);
/* utf8_valid_seq: length of the valid UTF-8 sequence at p (0 if invalid) */
size_t utf8_valid_seq(const unsigned char *p, size_t avail);

#endif
