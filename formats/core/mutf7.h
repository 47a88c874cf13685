/*
 * IMAP modified UTF-7 (RFC 3501 section 5.1.3), the form Maildir++ folder
 * names take on disk in Dovecot and Courier.
 */
#ifndef MDX_MUTF7_H
#define MDX_MUTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

/* mutf7_encode: append UTF-8 name as modified UTF-7 (invalid bytes: U+FFFD) */
void mutf7_encode(struct sbuf *out, const char *utf8);

/*
 * mutf7_decode: when in[0..len) is strictly valid modified UTF-7 holding at
 * least one encoded run, append its UTF-8 form and return true; otherwise
 * append nothing and return false ("R&D" and plain names are not decoded).
 */
bool mutf7_decode(struct sbuf *out, const char *in, size_t len);

#endif
