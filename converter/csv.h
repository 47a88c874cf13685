/* CSV fields (RFC 4180) for list --csv and accounts --csv */
#ifndef MDX_CSV_H
#define MDX_CSV_H

#include <stddef.h>

#include "core/sbuf.h"

/* csv_field: s[0..len) as one field: quoted when it holds a comma, a quote, CR or LF; quotes doubled */
void csv_field(struct sbuf *out, const char *s, size_t len);

#endif
