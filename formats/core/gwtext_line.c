/*
 * Content lines for iCalendar and vCard (gwtext_line.h): escaping,
 * parameters, and folding at 75 octets on a UTF-8 character boundary.
 */
#include "core/gwtext_line.h"

#include <ctype.h>
#include <string.h>

#define GWL_FOLD 75		/* octets a line holds, without its CRLF */

void gwl_init(struct gwline *e, struct sbuf *out)
{
	e->out = out;
	sbuf_init(&e->l);
}

void gwl_release(struct gwline *e)
{
	sbuf_release(&e->l);
}

void gwl_begin(struct gwline *e, const char *name)
{
	sbuf_reset(&e->l);
	sbuf_adds(&e->l, name);
}

void gwl_param(struct gwline *e, const char *name, const char *value)
{
	bool quote = strpbrk(value, ":;,") != NULL;
	sbuf_addf(&e->l, ";%s=", name);
	if (quote)
		sbuf_addch(&e->l, '"');
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			sbuf_addch(&e->l, '\'');
		else if (c >= 0x20 && c != 0x7f)	/* no line breaks or controls in a parameter */
			sbuf_addch(&e->l, (char)c);
		else if (c == '\t' || c == '\n')
			sbuf_addch(&e->l, ' ');
	}
	if (quote)
		sbuf_addch(&e->l, '"');
}

void gwl_param_raw(struct gwline *e, const char *name, const char *value)
{
	sbuf_addf(&e->l, ";%s=%s", name, value);
}

void gwl_escape(struct gwline *e, const char *value)
{
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\' || c == ';' || c == ',') {
			sbuf_addch(&e->l, '\\');
			sbuf_addch(&e->l, (char)c);
		} else if (c == '\r' || c == '\n') {
			/* CRLF, LF or a lone CR: one line break */
			if (c == '\r' && p[1] == '\n')
				p++;
			sbuf_adds(&e->l, "\\n");
		} else if (c >= 0x20 ? c != 0x7f : c == '\t') {
			sbuf_addch(&e->l, (char)c);
		}		/* other controls are not allowed in TEXT: dropped */
	}
}

void gwl_text(struct gwline *e, const char *value)
{
	sbuf_addch(&e->l, ':');
	gwl_escape(e, value);
}

void gwl_end(struct gwline *e)
{
	const char *s = e->l.buf;
	size_t len = e->l.len, pos = 0, room = GWL_FOLD;
	while (len - pos > room) {
		size_t cut = pos + room;
		/* back to the start of a UTF-8 sequence */
		while (cut > pos + 1 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		sbuf_add(e->out, s + pos, cut - pos);
		sbuf_adds(e->out, "\r\n ");
		pos = cut;
		room = GWL_FOLD - 1;	/* the leading space counts */
	}
	sbuf_add(e->out, s + pos, len - pos);
	sbuf_adds(e->out, "\r\n");
	sbuf_reset(&e->l);
}

void gwl_put_text(struct gwline *e, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	gwl_begin(e, name);
	gwl_text(e, value);
	gwl_end(e);
}

void gwl_put_raw(struct gwline *e, const char *name, const char *value)
{
	gwl_begin(e, name);
	sbuf_addch(&e->l, ':');
	sbuf_adds(&e->l, value);
	gwl_end(e);
}

void gwl_add_local(struct sbuf *s, const struct gw_time *t)
{
	sbuf_addf(s, "%04d%02d%02dT%02d%02d%02d", t->year, t->month, t->day, t->hour, t->minute,
		  t->second);
}

void gwl_add_date(struct sbuf *s, const struct gw_time *t)
{
	sbuf_addf(s, "%04d%02d%02d", t->year, t->month, t->day);
}

void gwl_add_utc(struct sbuf *s, int64_t t)
{
	struct gw_time u = gw_time_from_unix(t);
	gwl_add_local(s, &u);
	sbuf_addch(s, 'Z');
}

void gwl_xname(struct sbuf *s, const char *name)
{
	sbuf_adds(s, "X-MDAEMON-");
	bool dash = true;	/* no leading, doubled or trailing '-' */
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isalnum(c) && c < 0x80) {
			sbuf_addch(s, (char)toupper(c));
			dash = false;
		} else if (!dash) {
			sbuf_addch(s, '-');
			dash = true;
		}
	}
	if (s->len && s->buf[s->len - 1] == '-')
		sbuf_setlen(s, s->len - 1);
}

void gwl_extras(struct gwline *e, const struct gw_item *it)
{
	for (size_t i = 0; i < it->nextra; i++) {
		sbuf_reset(&e->l);
		gwl_xname(&e->l, it->extra[i].name);
		gwl_text(e, it->extra[i].value);
		gwl_end(e);
	}
	gwl_put_text(e, "X-MDAEMON-RECOVERED", it->recovered);
}
