/*
 * Contacts as vCard and notes as text, for core/gwtext.c (private to
 * gwtext*.c; gwtext.h is the interface).
 */
#ifndef MDX_GWTEXT_CARD_H
#define MDX_GWTEXT_CARD_H

#include "core/gwitem.h"
#include "core/sbuf.h"

/* gwtext_vcard: one BEGIN:VCARD..END:VCARD, version 4 (RFC 6350) or 3 (RFC 2426) */
void gwtext_vcard(const struct gw_item *it, unsigned version, struct sbuf *out);
/* gwtext_note: "Field: value" lines, an empty line, the body, a line "\f" */
void gwtext_note(const struct gw_item *it, struct sbuf *out);

#endif
