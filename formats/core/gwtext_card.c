/*
 * Contacts as vCard 4.0 (RFC 6350) or 3.0 (RFC 2426), and notes as plain
 * text (gwtext_card.h).  A field vCard has no property for is kept as
 * X-MDAEMON-<FIELD>, never dropped.
 */
#include "core/gwtext_card.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/gwtext_line.h"
#include "core/tzone.h"

static const char *field(const struct gw_item *it, enum gw_cfield f)
{
	const char *v = it->cfield[f];
	return v && *v ? v : NULL;
}

/* a structured value (N, ADR, ORG): components escaped, joined by ';' */
static void put_structured(struct gwline *e, const char *prop, const char *type,
			   const char *const *parts, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any = any || (parts[i] && *parts[i]);
	if (!any)
		return;
	gwl_begin(e, prop);
	if (type)
		gwl_param_raw(e, "TYPE", type);
	for (size_t i = 0; i < n; i++) {
		sbuf_addch(&e->l, i ? ';' : ':');
		if (parts[i])
			gwl_escape(e, parts[i]);
	}
	gwl_end(e);
}

static void put_typed(struct gwline *e, const char *prop, const char *type, const char *value)
{
	if (!value || !*value)
		return;
	gwl_begin(e, prop);
	if (type)
		gwl_param_raw(e, "TYPE", type);
	gwl_text(e, value);
	gwl_end(e);
}

/* FN is required: the full name, else the name's parts, else an address or the company */
static void put_fn(struct gwline *e, const struct gw_item *it)
{
	struct sbuf fn = SBUF_INIT;
	const char *full = field(it, GWC_FULL_NAME);
	if (full) {
		sbuf_adds(&fn, full);
	} else {
		const enum gw_cfield parts[] = { GWC_PREFIX, GWC_GIVEN, GWC_MIDDLE, GWC_SURNAME,
						 GWC_SUFFIX };
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (field(it, parts[i]))
				sbuf_addf(&fn, "%s%s", fn.len ? " " : "", field(it, parts[i]));
	}
	const char *fallback = field(it, GWC_EMAIL1) ? field(it, GWC_EMAIL1) :
			       field(it, GWC_COMPANY) ? field(it, GWC_COMPANY) : it->subject;
	gwl_begin(e, "FN");
	gwl_text(e, fn.len ? fn.buf : fallback ? fallback : "");
	gwl_end(e);
	sbuf_release(&fn);
}

static bool is_hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* a GUID (8-4-4-4-12 hex, braces allowed): its 36 characters, lower case */
static bool guid_of(const char *uid, char out[37])
{
	size_t len = strlen(uid);
	if (len == 38 && uid[0] == '{' && uid[37] == '}') {
		uid++;
		len = 36;
	}
	if (len != 36 || uid[8] != '-' || uid[13] != '-' || uid[18] != '-' || uid[23] != '-' ||
	    !is_hex_run(uid, 8) || !is_hex_run(uid + 9, 4) || !is_hex_run(uid + 14, 4) ||
	    !is_hex_run(uid + 19, 4) || !is_hex_run(uid + 24, 12))
		return false;
	for (size_t i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)uid[i]);
	out[36] = '\0';
	return true;
}

static void put_uid(struct gwline *e, const struct gw_item *it, unsigned version)
{
	char guid[37];
	if (!it->uid || !*it->uid)
		return;
	if (version == 4 && guid_of(it->uid, guid)) {
		gwl_begin(e, "UID");
		sbuf_addf(&e->l, ":urn:uuid:%s", guid);
		gwl_end(e);
	} else if (version == 4) {
		/* vCard 4's UID is a URI unless said otherwise */
		gwl_begin(e, "UID");
		gwl_param_raw(e, "VALUE", "text");
		gwl_text(e, it->uid);
		gwl_end(e);
	} else {
		gwl_put_text(e, "UID", it->uid);
	}
}

static void put_names(struct gwline *e, const struct gw_item *it, unsigned version)
{
	const char *n[] = { field(it, GWC_SURNAME), field(it, GWC_GIVEN), field(it, GWC_MIDDLE),
			    field(it, GWC_PREFIX), field(it, GWC_SUFFIX) };
	put_fn(e, it);
	if (version == 3 && !n[0] && !n[1] && !n[2] && !n[3] && !n[4])
		gwl_put_raw(e, "N", ";;;;");	/* required in 3.0 */
	else
		put_structured(e, "N", NULL, n, 5);
	gwl_put_text(e, "NICKNAME", field(it, GWC_NICKNAME));
}

static void put_emails(struct gwline *e, const struct gw_item *it, unsigned version)
{
	const enum gw_cfield f[] = { GWC_EMAIL1, GWC_EMAIL2, GWC_EMAIL3 };
	bool first = true;
	for (size_t i = 0; i < 3; i++) {
		const char *v = field(it, f[i]);
		if (!v)
			continue;
		gwl_begin(e, "EMAIL");
		if (version == 4 && first)
			gwl_param_raw(e, "PREF", "1");
		else if (version == 3)
			gwl_param_raw(e, "TYPE", first ? "INTERNET,PREF" : "INTERNET");
		gwl_text(e, v);
		gwl_end(e);
		first = false;
	}
}

static void put_phones(struct gwline *e, const struct gw_item *it, unsigned version)
{
	static const struct {
		enum gw_cfield f;
		const char *v4, *v3;
	} tel[] = {
		{ GWC_PHONE_MOBILE, "cell", "CELL" },
		{ GWC_PHONE_WORK, "work,voice", "WORK,VOICE" },
		{ GWC_PHONE_WORK2, "work,voice", "WORK,VOICE" },
		{ GWC_PHONE_HOME, "home,voice", "HOME,VOICE" },
		{ GWC_PHONE_HOME2, "home,voice", "HOME,VOICE" },
		{ GWC_PHONE_COMPANY, "work,x-company", "WORK,X-COMPANY" },
		{ GWC_PHONE_ASSISTANT, "x-assistant", "X-ASSISTANT" },
		{ GWC_FAX_WORK, "work,fax", "WORK,FAX" },
		{ GWC_FAX_HOME, "home,fax", "HOME,FAX" },
		{ GWC_PHONE_CAR, "x-car", "CAR" },
		{ GWC_PAGER, "pager", "PAGER" },
		{ GWC_PHONE_RADIO, "x-radio", "X-RADIO" },
		{ GWC_PHONE_OTHER, "voice", "VOICE" },
	};
	for (size_t i = 0; i < sizeof(tel) / sizeof(tel[0]); i++)
		put_typed(e, "TEL", version == 4 ? tel[i].v4 : tel[i].v3, field(it, tel[i].f));
}

static void put_addresses(struct gwline *e, const struct gw_item *it, unsigned version)
{
	static const struct {
		enum gw_cfield street;
		const char *v4, *v3;
	} adr[] = {
		{ GWC_HOME_STREET, "home", "HOME" },
		{ GWC_WORK_STREET, "work", "WORK" },
		{ GWC_OTHER_STREET, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(adr) / sizeof(adr[0]); i++) {
		enum gw_cfield s = adr[i].street;	/* street, city, state, zip, country follow */
		const char *parts[] = { NULL, NULL, field(it, s), field(it, s + 1), field(it, s + 2),
					field(it, s + 3), field(it, s + 4) };
		put_structured(e, "ADR", version == 4 ? adr[i].v4 : adr[i].v3, parts, 7);
	}
}

/* "YYYY-MM-DD" as vCard 4's "YYYYMMDD" (3.0 keeps the dashes) */
static void put_date(struct gwline *e, const char *prop, const char *v, unsigned version)
{
	if (!v)
		return;
	gwl_begin(e, prop);
	sbuf_addch(&e->l, ':');
	if (version == 4 && strlen(v) == 10 && v[4] == '-' && v[7] == '-')
		sbuf_addf(&e->l, "%.4s%.2s%.2s", v, v + 5, v + 8);
	else
		gwl_escape(e, v);
	gwl_end(e);
}

static void put_work(struct gwline *e, const struct gw_item *it)
{
	const char *org[] = { field(it, GWC_COMPANY), field(it, GWC_DEPARTMENT) };
	put_structured(e, "ORG", NULL, org, field(it, GWC_DEPARTMENT) ? 2 : 1);
	gwl_put_text(e, "TITLE", field(it, GWC_JOB_TITLE));
}

/* the fields vCard has no property for */
static void put_other_fields(struct gwline *e, const struct gw_item *it, unsigned version)
{
	static const struct {
		enum gw_cfield f;
		const char *x;
	} x[] = {
		{ GWC_FILE_AS, "X-MDAEMON-FILE-AS" }, { GWC_OFFICE, "X-MDAEMON-OFFICE" },
		{ GWC_ASSISTANT, "X-MDAEMON-ASSISTANT" }, { GWC_MANAGER, "X-MDAEMON-MANAGER" },
		{ GWC_CHILDREN, "X-MDAEMON-CHILDREN" }, { GWC_IM, "X-MDAEMON-IM" },
	};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		gwl_put_text(e, x[i].x, field(it, x[i].f));
	const char *spouse = field(it, GWC_SPOUSE);
	if (spouse && version == 4) {
		gwl_begin(e, "RELATED");
		gwl_param_raw(e, "TYPE", "spouse");
		gwl_param_raw(e, "VALUE", "text");
		gwl_text(e, spouse);
		gwl_end(e);
	} else {
		gwl_put_text(e, "X-MDAEMON-SPOUSE", spouse);
	}
}

static void put_members(struct gwline *e, const struct gw_item *it, unsigned version)
{
	if (!it->is_group)
		return;
	gwl_put_raw(e, version == 4 ? "KIND" : "X-ADDRESSBOOKSERVER-KIND", "group");
	for (size_t i = 0; i < it->nmembers; i++) {
		const struct gw_person *m = &it->members[i];
		if (!m->addr || !*m->addr) {
			gwl_put_text(e, "X-MDAEMON-MEMBER", m->name);
			continue;
		}
		gwl_begin(e, version == 4 ? "MEMBER" : "X-ADDRESSBOOKSERVER-MEMBER");
		sbuf_adds(&e->l, ":mailto:");
		gwl_escape(e, m->addr);
		gwl_end(e);
	}
}

static void put_categories_card(struct gwline *e, const struct gw_item *it)
{
	if (!it->ncategories)
		return;
	gwl_begin(e, "CATEGORIES");
	for (size_t i = 0; i < it->ncategories; i++) {
		sbuf_addch(&e->l, i ? ',' : ':');
		gwl_escape(e, it->categories[i]);
	}
	gwl_end(e);
}

static void put_rev(struct gwline *e, const struct gw_item *it)
{
	const struct gw_time *t = it->modified.set ? &it->modified : &it->created;
	if (!t->set)
		return;
	gwl_begin(e, "REV");
	sbuf_addch(&e->l, ':');
	gwl_add_utc(&e->l, it->zone ? tzone_to_utc(it->zone, t) : gw_time_as_unix(t));
	gwl_end(e);
}

void gwtext_vcard(const struct gw_item *it, unsigned version, struct sbuf *out)
{
	struct gwline e;
	gwl_init(&e, out);
	version = version == 3 ? 3 : 4;
	gwl_put_raw(&e, "BEGIN", "VCARD");
	gwl_put_raw(&e, "VERSION", version == 4 ? "4.0" : "3.0");
	put_uid(&e, it, version);
	put_names(&e, it, version);
	put_emails(&e, it, version);
	put_phones(&e, it, version);
	put_addresses(&e, it, version);
	put_work(&e, it);
	put_typed(&e, "URL", version == 4 ? "work" : "WORK", field(it, GWC_WEB_WORK));
	put_typed(&e, "URL", version == 4 ? "home" : "HOME", field(it, GWC_WEB_HOME));
	put_date(&e, "BDAY", field(it, GWC_BIRTHDAY), version);
	put_date(&e, version == 4 ? "ANNIVERSARY" : "X-ANNIVERSARY", field(it, GWC_ANNIVERSARY),
		 version);
	gwl_put_text(&e, "NOTE", it->body);
	put_categories_card(&e, it);
	put_other_fields(&e, it, version);
	put_members(&e, it, version);
	put_rev(&e, it);
	gwl_extras(&e, it);
	gwl_put_raw(&e, "END", "VCARD");
	gwl_release(&e);
}

/* ---- notes ---- */

/* a header value on one line: line breaks become spaces */
static void note_field(struct sbuf *out, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	sbuf_addf(out, "%s: ", name);
	for (const char *p = value; *p; p++)
		sbuf_addch(out, *p == '\r' || *p == '\n' ? ' ' : *p);
	sbuf_adds(out, "\r\n");
}

/* a local time with the zone's offset then: "2024-02-28T14:03:00+01:00" */
static void note_time(struct sbuf *out, const char *name, const struct gw_item *it,
		      const struct gw_time *t)
{
	if (!t->set)
		return;
	sbuf_addf(out, "%s: %04d-%02d-%02dT%02d:%02d:%02d", name, t->year, t->month, t->day,
		  t->hour, t->minute, t->second);
	if (it->zone) {
		int off = tzone_offset(it->zone, t);
		int a = off < 0 ? -off : off;
		sbuf_addf(out, "%c%02d:%02d", off < 0 ? '-' : '+', a / 60, a % 60);
	}
	sbuf_adds(out, "\r\n");
}

static void note_header(const struct gw_item *it, struct sbuf *out)
{
	static const char *const colors[] = { "Blue", "Green", "Pink", "Yellow", "White" };
	note_field(out, "Subject", it->subject);
	note_field(out, "UID", it->uid);
	note_time(out, "Created", it, &it->created);
	note_time(out, "Modified", it, &it->modified);
	note_field(out, "Created-By", it->creator.addr && *it->creator.addr ? it->creator.addr :
								    it->creator.name);
	if (it->color >= 0 && it->color <= 4)
		note_field(out, "Color", colors[it->color]);
	struct sbuf v = SBUF_INIT;
	for (size_t i = 0; i < it->ncategories; i++)
		sbuf_addf(&v, "%s%s", i ? ", " : "", it->categories[i]);
	note_field(out, "Categories", v.buf);
	if (it->left >= 0 || it->top >= 0 || it->width >= 0 || it->height >= 0)
		sbuf_addf(out, "Position: left %d, top %d, width %d, height %d\r\n", it->left, it->top,
			  it->width, it->height);
	for (size_t i = 0; i < it->nextra; i++) {
		sbuf_reset(&v);
		gwl_xname(&v, it->extra[i].name);
		note_field(out, v.buf, it->extra[i].value);
	}
	note_field(out, "X-MDAEMON-RECOVERED", it->recovered);
	sbuf_release(&v);
}

/* the body with CRLF line ends; a line that is only "\f" gets a space, so it cannot end the note */
static void note_body(const char *body, struct sbuf *out)
{
	const char *p = body ? body : "";
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		if (n == 1 && *p == '\f')
			sbuf_addch(out, ' ');
		sbuf_add(out, p, n);
		sbuf_adds(out, "\r\n");
		p += n;
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p)
			p++;
	}
}

void gwtext_note(const struct gw_item *it, struct sbuf *out)
{
	note_header(it, out);
	sbuf_adds(out, "\r\n");
	note_body(it->body, out);
	sbuf_adds(out, "\f\r\n");
}
