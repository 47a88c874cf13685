/*
 * Content lines for core/gwtext (iCalendar and vCard share them): a line
 * is built whole (name, parameters, value), then folded at 75 octets
 * without splitting a UTF-8 sequence and ended with CRLF (RFC 5545 3.1,
 * RFC 6350 3.2).  Private to gwtext*.c.
 */
#ifndef MDX_GWTEXT_LINE_H
#define MDX_GWTEXT_LINE_H

#include <stdint.h>

#include "core/gwitem.h"
#include "core/sbuf.h"

struct gwline {
	struct sbuf *out;	/* where finished lines go */
	struct sbuf l;		/* the line being built */
};

void gwl_init(struct gwline *e, struct sbuf *out);
void gwl_release(struct gwline *e);
/* gwl_begin: start a line with its name ("DTSTART") */
void gwl_begin(struct gwline *e, const char *name);
/* gwl_param: ";NAME=value", quoted when the value holds ':' ';' ',' (a '"' becomes '\'') */
void gwl_param(struct gwline *e, const char *name, const char *value);
/* gwl_param_raw: ";NAME=value" as it is: a constant or a list of them (TYPE=work,voice) */
void gwl_param_raw(struct gwline *e, const char *name, const char *value);
/* gwl_text: ":" and value escaped as TEXT (\\ \; \, \n) */
void gwl_text(struct gwline *e, const char *value);
/* gwl_escape: value escaped as TEXT, no ':' (a component of a list or structure) */
void gwl_escape(struct gwline *e, const char *value);
/* gwl_end: fold the line into out, with CRLF */
void gwl_end(struct gwline *e);
/* gwl_put_text: a whole "NAME:escaped" line; nothing when value is NULL or "" */
void gwl_put_text(struct gwline *e, const char *name, const char *value);
/* gwl_put_raw: a whole "NAME:value" line, value as it is (BEGIN:VEVENT) */
void gwl_put_raw(struct gwline *e, const char *name, const char *value);

/* "YYYYMMDDTHHMMSS", "YYYYMMDD", "YYYYMMDDTHHMMSSZ" */
void gwl_add_local(struct sbuf *s, const struct gw_time *t);
void gwl_add_date(struct sbuf *s, const struct gw_time *t);
void gwl_add_utc(struct sbuf *s, int64_t t);

/* gwl_xname: "X-MDAEMON-" and name in capitals, other than letters and digits as '-' */
void gwl_xname(struct sbuf *s, const char *name);
/* gwl_extras: X-MDAEMON-<NAME> for each extra, X-MDAEMON-RECOVERED for a recovered item */
void gwl_extras(struct gwline *e, const struct gw_item *it);

#endif
