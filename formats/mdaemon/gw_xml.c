/*
 * One groupware item's XML into a struct gw_item (gw_xml.h), through
 * libxml2.  Names are matched without regard to case (the only real files
 * seen are Calendar.mrk's, PascalCase, and AddrBook.mrk's, camelCase); a
 * scalar field is taken from an attribute or from a child element alike,
 * since where the unconfirmed schemas put them is not known.  What is not
 * known is kept (gw_item.extra) and counted, never dropped.
 */
#include "mdaemon/gw_xml.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tzone.h"
#include "core/xalloc.h"

/* MDaemon's "no end" year (the WorldClient API's "send the year 4500") */
#define NO_END_YEAR 4500

struct pctx {
	const struct gwx_ctx *cx;
	struct gw_item *it;
	struct gwx_unknowns *u;
	struct sbuf why;	/* why the item was not read whole */
	bool damaged;		/* something in why is damage (not only the organizer) */
	const char *rec;	/* the record element's name as written */
};

/* ---- small helpers ------------------------------------------------------ */

static void recover(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void recover(struct pctx *p, const char *fmt, ...)
{
	va_list ap;
	p->damaged = true;
	if (p->why.len)
		sbuf_adds(&p->why, "; ");
	va_start(ap, fmt);
	sbuf_vaddf(&p->why, fmt, ap);
	va_end(ap);
}

static void count_unknown(struct gwx_unknowns *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (!strcmp(u->names[i], name)) {
			u->counts[i]++;
			return;
		}
	u->names = xreallocarray(u->names, u->n + 1, sizeof(*u->names));
	u->counts = xreallocarray(u->counts, u->n + 1, sizeof(*u->counts));
	u->names[u->n] = xstrdup(name);
	u->counts[u->n++] = 1;
}

void gwx_unknowns_release(struct gwx_unknowns *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->names[i]);
	free(u->names);
	free(u->counts);
	memset(u, 0, sizeof(*u));
}

unsigned gwx_unknowns_describe(const struct gwx_unknowns *u, struct sbuf *out)
{
	unsigned total = 0;
	for (size_t i = 0; i < u->n; i++) {
		sbuf_addf(out, "%s%s", i ? ", " : "", u->names[i]);
		if (u->counts[i] > 1)
			sbuf_addf(out, " x%u", u->counts[i]);
		total += u->counts[i];
	}
	return total;
}

/* unknown: where (e.g. "Event/Foo", "Event@Bar") kept as extra and counted */
static void unknown(struct pctx *p, const char *where, const char *value)
{
	gw_add_extra(p->it, where, value);
	count_unknown(p->u, where);
}

static char *trimmed(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static bool name_is(const char *name, const char *want)
{
	return !strcasecmp(name, want);
}

/* parse_int: a whole decimal number (spaces around allowed) */
static bool parse_int(const char *s, long lo, long hi, int *out)
{
	char *t = trimmed(s), *end;
	errno = 0;
	long v = strtol(t, &end, 10);
	bool ok = *t && !*end && !errno && v >= lo && v <= hi;
	free(t);
	if (ok)
		*out = (int)v;
	return ok;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

bool gwx_parse_time(const char *s, struct gw_time *t)
{
	char *v = trimmed(s);
	struct gw_time r = { 0 };
	int n = 0, used = 0;
	n = sscanf(v, "%4d-%2d-%2d%n", &r.year, &r.month, &r.day, &used);
	bool ok = n == 3;
	const char *rest = v + used;
	if (ok && (*rest == ' ' || *rest == 'T')) {
		int u2 = 0;
		n = sscanf(rest + 1, "%2d:%2d%n", &r.hour, &r.minute, &u2);
		ok = n == 2;
		rest += 1 + u2;
		if (ok && *rest == ':') {
			n = sscanf(rest + 1, "%2d%n", &r.second, &u2);
			ok = n == 1;
			rest += 1 + u2;
		}
		if (ok && *rest == '.')	/* fractions of a second: dropped */
			for (rest++; isdigit((unsigned char)*rest); rest++)
				;
		if (ok && *rest == 'Z')
			rest++;
	} else if (ok) {
		r.date_only = true;
	}
	ok = ok && !*rest && r.year >= 1 && r.year <= 9999 && r.month >= 1 && r.month <= 12 &&
		r.day >= 1 && r.day <= days_in_month(r.year, r.month) && r.hour < 24 &&
		r.hour >= 0 && r.minute >= 0 && r.minute < 60 && r.second >= 0 && r.second < 61;
	free(v);
	if (ok) {
		r.set = true;
		*t = r;
	}
	return ok;
}

static void time_text(const struct gw_time *t, char *buf, size_t n)
{
	snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->month, t->day, t->hour,
		 t->minute, t->second);
}

/*
 * set_time: a time field from text; a repeated element takes the last
 * value, the earlier one kept as extra when it differs (MDaemon 21 repeats
 * <Modified>)
 */
static void set_time(struct pctx *p, struct gw_time *field, const char *name, const char *v)
{
	struct gw_time t;
	if (!gwx_parse_time(v, &t)) {
		recover(p, "its %s '%s' is not a date", name, v);
		return;
	}
	if (field->set && gw_time_cmp(field, &t)) {
		char buf[40], where[80];
		time_text(field, buf, sizeof(buf));
		snprintf(where, sizeof(where), "%s/%s", p->rec, name);
		gw_add_extra(p->it, where, buf);
	}
	*field = t;
}

static void set_str(struct pctx *p, char **field, const char *name, const char *v)
{
	if (*field && strcmp(*field, v)) {
		char where[80];
		snprintf(where, sizeof(where), "%s/%s", p->rec, name);
		gw_add_extra(p->it, where, *field);
	}
	gw_set(field, v);
}

static void set_int(struct pctx *p, int *field, const char *name, const char *v, long lo, long hi)
{
	if (!parse_int(v, lo, hi, field))
		recover(p, "its %s '%s' is not a number from %ld to %ld", name, v, lo, hi);
}

static void set_bool(struct pctx *p, bool *field, const char *name, const char *v)
{
	char *t = trimmed(v);
	if (!strcmp(t, "1") || !strcasecmp(t, "true") || !strcasecmp(t, "yes"))
		*field = true;
	else if (!strcmp(t, "0") || !strcasecmp(t, "false") || !strcasecmp(t, "no") || !*t)
		*field = false;
	else
		recover(p, "its %s '%s' is not 0 or 1", name, v);
	free(t);
}

/* categories: MDaemon's comma-separated list */
static void set_categories(struct gw_item *it, const char *v)
{
	char *copy = xstrdup(v);
	for (char *save = NULL, *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		char *t = trimmed(c);
		if (*t)
			gw_add_category(it, t);
		free(t);
	}
	free(copy);
}

/* parse_person: "Display Name" <addr>, or a bare address, through GMime's parser */
static void parse_person(const char *text, struct gw_person *who)
{
	char *t = trimmed(text);
	free(who->name);
	free(who->addr);
	who->name = who->addr = NULL;
	InternetAddressList *l = *t ? internet_address_list_parse(NULL, t) : NULL;
	InternetAddress *ia = l && internet_address_list_length(l) > 0 ?
		internet_address_list_get_address(l, 0) : NULL;
	if (ia && INTERNET_ADDRESS_IS_MAILBOX(ia)) {
		const char *name = internet_address_get_name(ia);
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		who->name = name && *name ? xstrdup(name) : NULL;
		who->addr = addr && *addr ? xstrdup(addr) : NULL;
	} else if (*t) {
		if (strchr(t, '@'))
			who->addr = xstrdup(t);
		else
			who->name = xstrdup(t);
	}
	if (l)
		g_object_unref(l);
	free(t);
}

static char *content(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

static char *attr_value(const xmlAttr *a)
{
	xmlChar *c = xmlNodeListGetString(a->doc, a->children, 1);
	char *s = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

static bool has_element_children(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/* ---- scalar fields, by kind --------------------------------------------- */

/* common: the fields every kind has; true when name was one */
static bool common_field(struct pctx *p, const char *name, const char *v)
{
	struct gw_item *it = p->it;
	if (name_is(name, "ID")) {
		char *t = trimmed(v);
		set_str(p, &it->id, name, t);
		free(t);
	} else if (name_is(name, "iCalUid") || name_is(name, "guid") || name_is(name, "uid")) {
		char *t = trimmed(v);
		set_str(p, &it->uid, name, t);
		free(t);
	} else if (name_is(name, "Modified")) {
		set_time(p, &it->modified, name, v);
	} else if (name_is(name, "Created")) {
		set_time(p, &it->created, name, v);
	} else if (name_is(name, "Categories")) {
		set_categories(it, v);
	} else if (name_is(name, "Priority")) {
		set_int(p, &it->priority, name, v, 0, 2);
	} else if (name_is(name, "Private")) {
		set_bool(p, &it->private_item, name, v);
	} else if (name_is(name, "Creator") || name_is(name, "CreatedBy")) {
		parse_person(v, &it->creator);
	} else {
		return false;
	}
	return true;
}

static bool event_field(struct pctx *p, const char *name, const char *v)
{
	struct gw_item *it = p->it;
	if (name_is(name, "Sequence"))
		set_int(p, &it->sequence, name, v, 0, 1000000);
	else if (name_is(name, "BusyStatus"))
		set_int(p, &it->busy, name, v, 0, 3);
	else if (name_is(name, "IntendedBusyStatus"))
		set_int(p, &it->intended_busy, name, v, 0, 3);
	else if (name_is(name, "AllDay"))
		set_bool(p, &it->all_day, name, v);
	else if (name_is(name, "ReminderSet"))
		set_bool(p, &it->reminder_set, name, v);
	else if (name_is(name, "ReminderMin"))
		set_int(p, &it->reminder_min, name, v, 0, 10000000);
	else if (name_is(name, "Start"))
		set_time(p, &it->start, name, v);
	else if (name_is(name, "End"))
		set_time(p, &it->end, name, v);
	else if (name_is(name, "Subject"))
		set_str(p, &it->subject, name, v);
	else if (name_is(name, "Comment"))
		set_str(p, &it->body, name, v);
	else if (name_is(name, "Location"))
		set_str(p, &it->location, name, v);
	else if (name_is(name, "Planner"))
		parse_person(v, &it->organizer);
	else
		return common_field(p, name, v);
	return true;
}

static void set_hours(struct pctx *p, int *min, const char *name, const char *v)
{
	char *t = trimmed(v), *end;
	double h = strtod(t, &end);
	if (!*t || *end || h < 0 || h > 1e6)
		recover(p, "its %s '%s' is not a number of hours", name, v);
	else
		*min = (int)(h * 60 + 0.5);
	free(t);
}

static bool task_field(struct pctx *p, const char *name, const char *v)
{
	struct gw_item *it = p->it;
	struct gw_time t;
	if (name_is(name, "Status"))
		set_int(p, &it->task_status, name, v, 0, 4);
	else if (name_is(name, "PercentComplete"))
		set_int(p, &it->percent, name, v, 0, 100);
	else if (name_is(name, "ReminderSet"))
		set_bool(p, &it->reminder_set, name, v);
	else if (name_is(name, "Reminder"))
		set_time(p, &it->reminder_at, name, v);
	else if (name_is(name, "Start"))
		set_time(p, &it->start, name, v);
	else if (name_is(name, "Due"))
		set_time(p, &it->due, name, v);
	else if (name_is(name, "Completed") && gwx_parse_time(v, &t))
		it->completed_on = t, it->complete = true;
	else if (name_is(name, "Complete") || name_is(name, "Completed"))
		set_bool(p, &it->complete, name, v);
	else if (name_is(name, "EstimatedHours"))
		set_hours(p, &it->estimated_min, name, v);
	else if (name_is(name, "ActualHours"))
		set_hours(p, &it->actual_min, name, v);
	else if (name_is(name, "Mileage"))
		set_str(p, &it->mileage, name, v);
	else if (name_is(name, "Billing"))
		set_str(p, &it->billing, name, v);
	else if (name_is(name, "Companies"))
		set_str(p, &it->companies, name, v);
	else if (name_is(name, "Subject"))
		set_str(p, &it->subject, name, v);
	else if (name_is(name, "Comment"))
		set_str(p, &it->body, name, v);
	else
		return common_field(p, name, v);
	return true;
}

static bool note_field(struct pctx *p, const char *name, const char *v)
{
	struct gw_item *it = p->it;
	if (name_is(name, "Color"))
		set_int(p, &it->color, name, v, 0, 4);
	else if (name_is(name, "Top"))
		set_int(p, &it->top, name, v, -100000, 100000);
	else if (name_is(name, "Left"))
		set_int(p, &it->left, name, v, -100000, 100000);
	else if (name_is(name, "Width"))
		set_int(p, &it->width, name, v, 0, 100000);
	else if (name_is(name, "Height"))
		set_int(p, &it->height, name, v, 0, 100000);
	else if (name_is(name, "Body"))
		set_str(p, &it->body, name, v);
	else
		return common_field(p, name, v);
	return true;
}

/*
 * The contact names accepted (without regard to case): fullName and email
 * are confirmed; the rest are the WorldClient API's field names in
 * camelCase, with a few spellings each (README).
 */
static const struct {
	const char *name;
	enum gw_cfield f;
} contact_names[] = {
	{ "fullName", GWC_FULL_NAME }, { "name", GWC_FULL_NAME },
	{ "firstName", GWC_GIVEN }, { "middleName", GWC_MIDDLE }, { "lastName", GWC_SURNAME },
	{ "prefix", GWC_PREFIX }, { "namePrefix", GWC_PREFIX }, { "suffix", GWC_SUFFIX },
	{ "nickName", GWC_NICKNAME }, { "fileAs", GWC_FILE_AS },
	{ "email", GWC_EMAIL1 }, { "email1", GWC_EMAIL1 }, { "email2", GWC_EMAIL2 },
	{ "email3", GWC_EMAIL3 },
	{ "company", GWC_COMPANY }, { "title", GWC_JOB_TITLE }, { "jobTitle", GWC_JOB_TITLE },
	{ "department", GWC_DEPARTMENT }, { "office", GWC_OFFICE },
	{ "assistant", GWC_ASSISTANT }, { "manager", GWC_MANAGER },
	{ "homeAddress", GWC_HOME_STREET }, { "homeStreet", GWC_HOME_STREET },
	{ "homeCity", GWC_HOME_CITY }, { "homeState", GWC_HOME_STATE },
	{ "homeZipcode", GWC_HOME_ZIP }, { "homeZip", GWC_HOME_ZIP },
	{ "homeCountry", GWC_HOME_COUNTRY },
	{ "businessAddress", GWC_WORK_STREET }, { "businessStreet", GWC_WORK_STREET },
	{ "businessCity", GWC_WORK_CITY }, { "businessState", GWC_WORK_STATE },
	{ "businessZipcode", GWC_WORK_ZIP }, { "businessZip", GWC_WORK_ZIP },
	{ "businessCountry", GWC_WORK_COUNTRY },
	{ "otherAddress", GWC_OTHER_STREET }, { "otherStreet", GWC_OTHER_STREET },
	{ "otherCity", GWC_OTHER_CITY }, { "otherState", GWC_OTHER_STATE },
	{ "otherZipcode", GWC_OTHER_ZIP }, { "otherZip", GWC_OTHER_ZIP },
	{ "otherCountry", GWC_OTHER_COUNTRY },
	{ "businessWeb", GWC_WEB_WORK }, { "webBusiness", GWC_WEB_WORK },
	{ "homeWeb", GWC_WEB_HOME }, { "webHome", GWC_WEB_HOME },
	{ "mobile", GWC_PHONE_MOBILE }, { "mobilePhone", GWC_PHONE_MOBILE },
	{ "homeMobile", GWC_PHONE_MOBILE },
	{ "business", GWC_PHONE_WORK }, { "businessPhone", GWC_PHONE_WORK },
	{ "business2", GWC_PHONE_WORK2 }, { "business2Phone", GWC_PHONE_WORK2 },
	{ "home", GWC_PHONE_HOME }, { "homePhone", GWC_PHONE_HOME },
	{ "home2", GWC_PHONE_HOME2 }, { "home2Phone", GWC_PHONE_HOME2 },
	{ "businessMain", GWC_PHONE_COMPANY }, { "companyPhone", GWC_PHONE_COMPANY },
	{ "assistantPhone", GWC_PHONE_ASSISTANT },
	{ "businessFax", GWC_FAX_WORK }, { "homeFax", GWC_FAX_HOME },
	{ "car", GWC_PHONE_CAR }, { "carPhone", GWC_PHONE_CAR },
	{ "pager", GWC_PAGER }, { "radio", GWC_PHONE_RADIO }, { "radioPhone", GWC_PHONE_RADIO },
	{ "other", GWC_PHONE_OTHER }, { "otherPhone", GWC_PHONE_OTHER },
	{ "partner", GWC_SPOUSE }, { "spouse", GWC_SPOUSE }, { "children", GWC_CHILDREN },
	{ "birthday", GWC_BIRTHDAY }, { "anniversary", GWC_ANNIVERSARY },
	{ "im", GWC_IM },
};

static bool contact_field(struct pctx *p, const char *name, const char *v)
{
	struct gw_item *it = p->it;
	for (size_t i = 0; i < sizeof(contact_names) / sizeof(contact_names[0]); i++)
		if (name_is(name, contact_names[i].name)) {
			set_str(p, &it->cfield[contact_names[i].f], name, v);
			return true;
		}
	if (name_is(name, "notes") || name_is(name, "comment"))
		set_str(p, &it->body, name, v);
	else if (name_is(name, "group"))
		set_bool(p, &it->is_group, name, v);
	else
		return common_field(p, name, v);
	return true;
}

static bool scalar_field(struct pctx *p, const char *name, const char *v)
{
	switch (p->cx->kind) {
	case ITEM_CALENDAR:
		return event_field(p, name, v);
	case ITEM_TASK:
		return task_field(p, name, v);
	case ITEM_NOTE:
		return note_field(p, name, v);
	case ITEM_CONTACT:
		return contact_field(p, name, v);
	case ITEM_MAIL:
		break;
	}
	return false;
}

/* ---- attendees, members, recurrence -------------------------------------- */

/* where: "Event/Attendee@Type" into buf */
static const char *where(char *buf, size_t n, const char *parent, char sep, const xmlChar *name)
{
	int k = snprintf(buf, n, "%s%c%s", parent, sep, (const char *)name);
	if (k < 0)
		buf[0] = '\0';
	/* else a name too long for buf is cut: names come from the file, any length */
	return buf;
}

static void unknown_node(struct pctx *p, const char *parent, const xmlNode *c)
{
	char w[256];
	char *v = content(c);
	unknown(p, where(w, sizeof(w), parent, '/', c->name), v);
	free(v);
}

static void unknown_attr(struct pctx *p, const char *parent, const xmlAttr *a, const char *v)
{
	char w[256];
	unknown(p, where(w, sizeof(w), parent, '@', a->name), v);
}

static void parse_attendee(struct pctx *p, const xmlNode *n, const char *parent)
{
	struct gw_item *it = p->it;
	it->attendees = xreallocarray(it->attendees, it->nattendees + 1, sizeof(*it->attendees));
	struct gw_attendee *at = &it->attendees[it->nattendees++];
	memset(at, 0, sizeof(*at));
	char self[200];
	where(self, sizeof(self), parent, '/', n->name);
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		char *v = attr_value(a);
		const char *nm = (const char *)a->name;
		int x;
		if (name_is(nm, "Type"))
			x = GW_REQUIRED, set_int(p, &x, "Attendee Type", v, 0, 2), at->role = x;
		else if (name_is(nm, "Status"))
			x = 0, set_int(p, &x, "Attendee Status", v, 0, 3), at->status = x;
		else if (name_is(nm, "Invite"))
			set_bool(p, &at->invite, "Attendee Invite", v);
		else if (name_is(nm, "Sent"))
			set_bool(p, &at->sent, "Attendee Sent", v);
		else
			unknown_attr(p, self, a, v);
		free(v);
	}
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (name_is((const char *)c->name, "Email")) {
			char *v = content(c);
			parse_person(v, &at->who);
			free(v);
		} else {
			unknown_node(p, self, c);
		}
	}
}

/* parse_member: a group's member: guid, name and email, as attributes or children */
static void parse_member(struct pctx *p, const xmlNode *n, const char *parent)
{
	struct gw_item *it = p->it;
	it->members = xreallocarray(it->members, it->nmembers + 1, sizeof(*it->members));
	struct gw_person *m = &it->members[it->nmembers++];
	memset(m, 0, sizeof(*m));
	char self[200];
	where(self, sizeof(self), parent, '/', n->name);
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		char *v = attr_value(a);
		if (name_is((const char *)a->name, "name"))
			gw_set(&m->name, v);
		else if (name_is((const char *)a->name, "email"))
			gw_set(&m->addr, v);
		else
			unknown_attr(p, self, a, v);
		free(v);
	}
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		char *v = content(c);
		if (name_is((const char *)c->name, "name"))
			gw_set(&m->name, v);
		else if (name_is((const char *)c->name, "email"))
			gw_set(&m->addr, v);
		else
			unknown_node(p, self, c);
		free(v);
	}
}

static void parse_occurrence(struct pctx *p, const xmlNode *n, struct gw_time *t, const char *w)
{
	bool found = false;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		char *v = attr_value(a);
		if (name_is((const char *)a->name, "Occurrence")) {
			found = true;
			set_time(p, t, "Occurrence", v);
		} else {
			unknown_attr(p, w, a, v);
		}
		free(v);
	}
	if (!found)
		recover(p, "a %s without its Occurrence date", (const char *)n->name);
}

static void parse_changed(struct pctx *p, struct gw_recur *r, const xmlNode *n, const char *parent)
{
	char self[200];
	where(self, sizeof(self), parent, '/', n->name);
	r->changed = xreallocarray(r->changed, r->nchanged + 1, sizeof(*r->changed));
	struct gw_change *ch = &r->changed[r->nchanged++];
	memset(ch, 0, sizeof(*ch));
	ch->busy = ch->reminder_set = ch->reminder_min = -1;
	parse_occurrence(p, n, &ch->original, self);
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *nm = (const char *)c->name;
		char *v = content(c);
		bool rs;
		if (name_is(nm, "Start"))
			set_time(p, &ch->start, "Changed Start", v);
		else if (name_is(nm, "End"))
			set_time(p, &ch->end, "Changed End", v);
		else if (name_is(nm, "Subject"))
			gw_set(&ch->subject, v);
		else if (name_is(nm, "Location"))
			gw_set(&ch->location, v);
		else if (name_is(nm, "Comment"))
			gw_set(&ch->body, v);
		else if (name_is(nm, "BusyStatus"))
			set_int(p, &ch->busy, "Changed BusyStatus", v, 0, 3);
		else if (name_is(nm, "ReminderMin"))
			set_int(p, &ch->reminder_min, "Changed ReminderMin", v, 0, 10000000);
		else if (name_is(nm, "ReminderSet"))
			rs = false, set_bool(p, &rs, "Changed ReminderSet", v), ch->reminder_set = rs;
		else
			unknown_node(p, self, c);
		free(v);
	}
}

/* recur_attr: one attribute of <Recurrence>; false: not known */
static bool recur_attr(struct pctx *p, struct gw_recur *r, const char *nm, const char *v)
{
	int x = 0;
	if (name_is(nm, "Type"))
		set_int(p, &r->md_type, "Recurrence Type", v, 0, 100);
	else if (name_is(nm, "SubType"))
		set_int(p, &r->md_subtype, "Recurrence SubType", v, 0, 100);
	else if (name_is(nm, "Interval"))
		x = 1, set_int(p, &x, "Recurrence Interval", v, 1, 100000), r->interval = (unsigned)x;
	else if (name_is(nm, "DayOfWeekMask"))
		set_int(p, &x, "Recurrence DayOfWeekMask", v, 0, 127), r->dow_mask = (unsigned)x;
	else if (name_is(nm, "DayOfMonth"))
		set_int(p, &x, "Recurrence DayOfMonth", v, 1, 31), r->day_of_month = (unsigned)x;
	else if (name_is(nm, "MonthOfYear"))
		set_int(p, &x, "Recurrence MonthOfYear", v, 1, 12), r->month = (unsigned)x;
	else if (name_is(nm, "Instance"))
		/* 1..4, and 5 (the API's "last") or -1 for the last one */
		set_int(p, &x, "Recurrence Instance", v, -1, 5), r->instance = x == 5 ? -1 : x;
	else if (name_is(nm, "Occurrences"))
		set_int(p, &x, "Recurrence Occurrences", v, 0, 1000000), r->count = (unsigned)x;
	else if (name_is(nm, "Sliding"))
		set_bool(p, &r->sliding, "Recurrence Sliding", v);
	else
		return false;
	return true;
}

static void recur_child(struct pctx *p, struct gw_recur *r, const xmlNode *c, const char *self,
			struct gw_time *end)
{
	const char *nm = (const char *)c->name;
	char w[200];
	if (name_is(nm, "Deleted")) {
		r->deleted = xreallocarray(r->deleted, r->ndeleted + 1, sizeof(*r->deleted));
		struct gw_time *t = &r->deleted[r->ndeleted++];
		memset(t, 0, sizeof(*t));
		parse_occurrence(p, c, t, where(w, sizeof(w), self, '/', c->name));
	} else if (name_is(nm, "Changed")) {
		parse_changed(p, r, c, self);
	} else if (name_is(nm, "TimeZone")) {
		where(w, sizeof(w), self, '/', c->name);
		for (const xmlAttr *a = c->properties; a; a = a->next) {
			char *v = attr_value(a);
			if (name_is((const char *)a->name, "Bias") &&
			    parse_int(v, -24 * 60, 24 * 60, &r->bias))
				r->has_bias = true;
			else
				unknown_attr(p, w, a, v);
			free(v);
		}
	} else {
		char *v = content(c);
		if (name_is(nm, "Start"))
			set_time(p, &r->start, "Recurrence Start", v);
		else if (name_is(nm, "End"))
			set_time(p, end, "Recurrence End", v);
		else if (!recur_attr(p, r, nm, v))
			unknown_node(p, self, c);
		free(v);
	}
}

/* recur_map: MDaemon's Type/SubType codes (WorldClient API) into the neutral form */
static bool recur_map(struct gw_recur *r)
{
	switch (r->md_type * 10 + r->md_subtype) {
	case 10:
		r->freq = GW_DAILY;
		return true;
	case 11:
		r->freq = GW_DAILY;
		r->every_weekday = true;
		r->dow_mask = 62;
		return true;
	case 21:
		r->freq = GW_WEEKLY;
		return r->dow_mask != 0;
	case 32:
		r->freq = GW_MONTHLY;
		r->instance = 0;
		return r->day_of_month != 0;
	case 33:
		r->freq = GW_MONTHLY;
		return r->dow_mask && r->instance;
	case 42:
		r->freq = GW_YEARLY;
		r->instance = 0;
		return r->day_of_month && r->month;
	case 43:
		r->freq = GW_YEARLY;
		return r->dow_mask && r->instance && r->month;
	default:
		return false;
	}
}

/* at_time_of: t's date at the time of day of series start */
static struct gw_time at_time_of(struct gw_time t, const struct gw_time *start, bool all_day)
{
	t.hour = all_day ? 0 : start->hour;
	t.minute = all_day ? 0 : start->minute;
	t.second = all_day ? 0 : start->second;
	t.date_only = all_day;
	return t;
}

static void parse_recurrence(struct pctx *p, const xmlNode *n, const char *parent)
{
	struct gw_item *it = p->it;
	char self[200];
	where(self, sizeof(self), parent, '/', n->name);
	if (it->recur) {
		recover(p, "more than one Recurrence; the last one taken");
		gw_recur_free(it->recur);
	}
	struct gw_recur *r = it->recur = xcalloc(1, sizeof(*r));
	r->interval = 1;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		char *v = attr_value(a);
		if (!recur_attr(p, r, (const char *)a->name, v))
			unknown_attr(p, self, a, v);
		free(v);
	}
	struct gw_time end = { 0 };
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			recur_child(p, r, c, self, &end);
	if (end.set && end.year < NO_END_YEAR) {
		r->until = end;
		r->until.hour = r->until.minute = r->until.second = 0;
		r->until.date_only = true;
	}
	if (r->md_type == 0) {	/* "not recurring" */
		gw_recur_free(r);
		it->recur = NULL;
		return;
	}
	if (!recur_map(r)) {
		recover(p, "its Recurrence Type %d SubType %d is not understood; kept as a "
			"single occurrence", r->md_type, r->md_subtype);
		char v[64];
		snprintf(v, sizeof(v), "Type=%d SubType=%d", r->md_type, r->md_subtype);
		gw_add_extra(it, self, v);
		gw_recur_free(r);
		it->recur = NULL;
	}
}

/* recur_finish: once the item's own times are known, the series' too */
static void recur_finish(struct pctx *p)
{
	struct gw_item *it = p->it;
	struct gw_recur *r = it->recur;
	if (!r)
		return;
	if (!r->start.set)
		r->start = it->start;
	else if (it->start.set && gw_time_cmp(&r->start, &it->start))
		recover(p, "its Recurrence Start differs from its Start; the Start taken");
	if (it->start.set)
		r->start = it->start;
	for (size_t i = 0; i < r->ndeleted; i++)
		r->deleted[i] = at_time_of(r->deleted[i], &r->start, it->all_day);
	for (size_t i = 0; i < r->nchanged; i++)
		r->changed[i].original = at_time_of(r->changed[i].original, &r->start, it->all_day);
}

/* ---- the item ----------------------------------------------------------- */

static void parse_children(struct pctx *p, const xmlNode *root)
{
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *nm = (const char *)c->name;
		if (p->cx->kind == ITEM_CALENDAR && name_is(nm, "Attendee")) {
			parse_attendee(p, c, p->rec);
		} else if ((p->cx->kind == ITEM_CALENDAR || p->cx->kind == ITEM_TASK) &&
			   name_is(nm, "Recurrence")) {
			parse_recurrence(p, c, p->rec);
		} else if (p->cx->kind == ITEM_CONTACT && name_is(nm, "member")) {
			parse_member(p, c, p->rec);
		} else if (p->cx->kind == ITEM_CONTACT && name_is(nm, "members")) {
			for (const xmlNode *m = c->children; m; m = m->next)
				if (m->type == XML_ELEMENT_NODE)
					parse_member(p, m, p->rec);
		} else if (has_element_children(c)) {
			unknown_node(p, p->rec, c);
		} else {
			char *v = content(c);
			if (!scalar_field(p, nm, v))
				unknown_node(p, p->rec, c);
			free(v);
		}
	}
}

/* derive_uid: a stable UID from the folder and the item's ID: SHA-256, 32 hex digits */
static void derive_uid(struct pctx *p)
{
	char *seed = p->it->id ? xasprintf("%s/%s", p->cx->uid_seed, p->it->id) :
		xasprintf("%s/#%u", p->cx->uid_seed, p->cx->ordinal);
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, seed, -1);
	hex[32] = '\0';
	gw_set(&p->it->uid, hex);
	g_free(hex);
	free(seed);
}

static void finish_event(struct pctx *p)
{
	struct gw_item *it = p->it;
	if (!it->start.set) {
		recover(p, "it has no Start%s", it->modified.set ? "; its Modified taken" : "");
		if (it->modified.set)
			it->start = it->modified;
	}
	if (!it->end.set && it->start.set) {
		recover(p, "it has no End; its Start taken");
		it->end = it->start;
	}
	if (it->all_day) {
		/* End 00:00 of a later day is an exclusive end: the day before is the last */
		if (it->end.hour == 0 && it->end.minute == 0 && gw_time_cmp(&it->end, &it->start) > 0)
			it->end = gw_time_add_days(it->end, -1);
		it->start.hour = it->start.minute = it->start.second = 0;
		it->end.hour = it->end.minute = it->end.second = 0;
		it->start.date_only = it->end.date_only = true;
	}
	if (it->start.set && gw_time_cmp(&it->end, &it->start) < 0) {
		recover(p, "its End is before its Start; its Start taken as its End");
		it->end = it->start;
	}
	recur_finish(p);
	if (it->nattendees && !it->organizer.addr) {
		const char *from = it->creator.addr ? "its Creator" : "the folder's owner";
		if (it->creator.addr) {
			gw_set(&it->organizer.addr, it->creator.addr);
			gw_set(&it->organizer.name, it->creator.name);
		} else {
			gw_set(&it->organizer.addr, p->cx->owner);
		}
		gw_add_category(it, GW_CAT_ORGANIZER_RECOVERED);
		if (p->why.len)
			sbuf_adds(&p->why, "; ");
		sbuf_addf(&p->why, "a meeting without a Planner; organizer taken from %s", from);
	}
}

static void finish_item(struct pctx *p, bool organizer_only)
{
	struct gw_item *it = p->it;
	if (!it->uid || !*it->uid)
		derive_uid(p);
	if (it->kind == ITEM_NOTE && it->body && !it->subject) {
		size_t n = strcspn(it->body, "\r\n");
		it->subject = xstrndup(it->body, n);
	}
	if (it->kind == ITEM_CONTACT && !it->subject && it->cfield[GWC_FULL_NAME])
		it->subject = xstrdup(it->cfield[GWC_FULL_NAME]);
	if (p->why.len) {
		if (!organizer_only)
			gw_add_category(it, GW_CAT_RECOVERED);
		gw_set(&it->recovered, p->why.buf);
	}
}

/* parse_root_attrs: the record element's own attributes */
static void parse_root_attrs(struct pctx *p, const xmlNode *root)
{
	for (const xmlAttr *a = root->properties; a; a = a->next) {
		char *v = attr_value(a);
		if (!scalar_field(p, (const char *)a->name, v))
			unknown_attr(p, p->rec, a, v);
		free(v);
	}
}

/* xml_error: what libxml2 found wrong, for the item's recovered reason */
static void xml_error(struct pctx *p, xmlParserCtxtPtr ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char *msg = trimmed(e && e->message ? e->message : "not well-formed");
	recover(p, "its XML is damaged (line %d: %s); what libxml2 could read is kept",
		e ? e->line : 0, msg);
	free(msg);
}

void gwx_parse(const char *xml, size_t len, const struct gwx_ctx *cx, struct gw_item *it,
	       struct gwx_unknowns *u)
{
	struct pctx p = { .cx = cx, .it = it, .u = u, .why = SBUF_INIT,
			  .rec = gwx_record_name(cx->kind) };
	it->zone = cx->zone;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {	/* libxml2 fails only for memory, as xalloc would */
		fprintf(stderr, "mdexport: out of memory making an XML parser\n");
		abort();
	}
	/* no network, no DTD loading, no entity substitution; recover what can be */
	int opts = XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
		XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
	xmlDocPtr doc = len <= INT32_MAX ?
		xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, "UTF-8", opts) : NULL;
	if (!ctxt->wellFormed || !doc)
		xml_error(&p, ctxt);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root) {
		p.rec = (const char *)root->name;
		parse_root_attrs(&p, root);
		parse_children(&p, root);
	} else {
		recover(&p, "nothing of it could be read");
	}
	if (cx->kind == ITEM_CALENDAR && root)
		finish_event(&p);
	p.rec = gwx_record_name(cx->kind);	/* doc is freed below */
	finish_item(&p, !p.damaged);
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	sbuf_release(&p.why);
}

/* ---- looks before the parse --------------------------------------------- */

static const char *find_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (!strncasecmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

bool gwx_peek_bias(const char *xml, size_t len, int *bias)
{
	const char *t = find_ci(xml, len, "<TimeZone");
	if (!t)
		return false;
	const char *end = memchr(t, '>', len - (size_t)(t - xml));
	const char *b = end ? find_ci(t, (size_t)(end - t), "Bias=") : NULL;
	if (!b)
		return false;
	b += 5;
	if (*b == '"' || *b == '\'')
		b++;
	char *stop;
	long v = strtol(b, &stop, 10);
	if (stop == b || v < -24 * 60 || v > 24 * 60)
		return false;
	*bias = (int)v;
	return true;
}

void gwx_peek_modified(const char *xml, size_t len, struct gw_time *newest)
{
	const char *p = xml;
	for (;;) {
		size_t left = len - (size_t)(p - xml);
		const char *m = find_ci(p, left, "<Modified>");
		if (!m)
			return;
		m += 10;
		left = len - (size_t)(m - xml);
		const char *e = memchr(m, '<', left);
		if (!e)
			return;
		char buf[40];
		size_t n = (size_t)(e - m);
		if (n < sizeof(buf)) {
			memcpy(buf, m, n);
			buf[n] = '\0';
			struct gw_time t;
			if (gwx_parse_time(buf, &t) && (!newest->set || gw_time_cmp(&t, newest) > 0))
				*newest = t;
		}
		p = e;
	}
}

int gwx_root_last_modified(const char *tag, size_t len, int64_t *t_r)
{
	const char *a = find_ci(tag, len, "lastModified=");
	if (!a)
		return 0;
	a += 13;
	char q = *a;
	if (q != '"' && q != '\'')
		return 0;
	a++;
	const char *e = memchr(a, q, len - (size_t)(a - tag));
	if (!e || e - a >= 40)
		return 0;
	char buf[40];
	memcpy(buf, a, (size_t)(e - a));
	buf[e - a] = '\0';
	struct gw_time t;
	if (!gwx_parse_time(buf, &t) || t.date_only)
		return 0;
	*t_r = gw_time_as_unix(&t);
	return 1;
}
