/*
 * Groupware items as iCalendar (gwtext.h): the folder file's frame, the
 * VTIMEZONEs, VEVENT with its overrides, VTODO.  vCard and notes are in
 * gwtext_card.c; content lines (escaping, folding) in gwtext_line.c.
 *
 * Everything written comes from the item: DTSTAMP is its modification
 * time (else its creation, else the epoch), never the time of the run,
 * so the same item always gives the same bytes.
 */
#include "core/gwtext.h"

#include <stdlib.h>
#include <string.h>

#include "core/gwtext_card.h"
#include "core/gwtext_line.h"
#include "core/tzone.h"
#include "core/xalloc.h"

/* the years a VTIMEZONE describes at least (it comes with a file's first item) */
#define GWT_ZONE_FIRST 1970
#define GWT_ZONE_LAST 2037
#define GWT_NO_END_YEAR 4500	/* MDaemon's "no end" */

enum gwtext_kind gwtext_kind_for(enum item_kind kind)
{
	switch (kind) {
	case ITEM_CONTACT:
		return GWTEXT_VCF;
	case ITEM_NOTE:
		return GWTEXT_TXT;
	case ITEM_CALENDAR:
	case ITEM_TASK:
	case ITEM_MAIL:
		break;
	}
	return GWTEXT_ICS;
}

const char *gwtext_suffix(enum gwtext_kind k)
{
	return k == GWTEXT_VCF ? ".vcf" : k == GWTEXT_TXT ? ".txt" : ".ics";
}

void gwtext_file_init(struct gwtext_file *f, enum gwtext_kind kind, const struct gwtext_opts *o)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->opts.vcard_version = o && o->vcard_version == 3 ? 3 : 4;
}

void gwtext_file_release(struct gwtext_file *f)
{
	free(f->zones);
	f->zones = NULL;
	f->nzones = 0;
}

void gwtext_begin(struct gwtext_file *f, struct sbuf *out)
{
	if (f->kind == GWTEXT_ICS)
		sbuf_adds(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
			  "PRODID:-//mdexport//mdexport//EN\r\nCALSCALE:GREGORIAN\r\n");
}

void gwtext_end(struct gwtext_file *f, struct sbuf *out)
{
	if (f->kind == GWTEXT_ICS)
		sbuf_adds(out, "END:VCALENDAR\r\n");
}

/* ---- times ---- */

static bool has_clock_time(const struct gw_time *t)
{
	return t->set && !t->date_only;
}

/* NAME;TZID=zone:local, or NAME;VALUE=DATE:date for a date */
static void put_time(struct gwline *e, const char *name, const struct gw_item *it,
		     const struct gw_time *t, bool as_date)
{
	if (!t->set)
		return;
	gwl_begin(e, name);
	if (as_date || t->date_only) {
		gwl_param_raw(e, "VALUE", "DATE");
		sbuf_addch(&e->l, ':');
		gwl_add_date(&e->l, t);
	} else {
		if (it->zone)
			gwl_param(e, "TZID", tzone_name(it->zone));
		sbuf_addch(&e->l, ':');
		gwl_add_local(&e->l, t);
	}
	gwl_end(e);
}

static int64_t to_utc(const struct gw_item *it, const struct gw_time *t)
{
	return it->zone ? tzone_to_utc(it->zone, t) : gw_time_as_unix(t);
}

static void put_utc(struct gwline *e, const char *name, const struct gw_item *it,
		    const struct gw_time *t)
{
	if (!t->set)
		return;
	gwl_begin(e, name);
	sbuf_addch(&e->l, ':');
	gwl_add_utc(&e->l, to_utc(it, t));
	gwl_end(e);
}

/* DTSTAMP: when the item last changed, in UTC; the epoch when the source does not say */
static void put_dtstamp(struct gwline *e, const struct gw_item *it)
{
	const struct gw_time *t = it->modified.set ? &it->modified : &it->created;
	gwl_begin(e, "DTSTAMP");
	sbuf_addch(&e->l, ':');
	gwl_add_utc(&e->l, t->set ? to_utc(it, t) : 0);
	gwl_end(e);
}

/* ---- VTIMEZONE ---- */

static void widen(const struct gw_time *t, int *lo, int *hi)
{
	if (!t->set || t->year >= GWT_NO_END_YEAR)
		return;
	if (t->year < *lo)
		*lo = t->year;
	if (t->year > *hi)
		*hi = t->year;
}

/* the years the zone's description covers: 1970..2037 and any year the item uses */
static void item_years(const struct gw_item *it, int *lo, int *hi)
{
	*lo = GWT_ZONE_FIRST;
	*hi = GWT_ZONE_LAST;
	widen(&it->start, lo, hi);
	widen(&it->end, lo, hi);
	widen(&it->due, lo, hi);
	if (it->recur) {
		widen(&it->recur->start, lo, hi);
		widen(&it->recur->until, lo, hi);
		for (size_t i = 0; i < it->recur->nchanged; i++)
			widen(&it->recur->changed[i].start, lo, hi);
	}
}

static bool uses_zone(const struct gw_item *it)
{
	if (!it->zone)
		return false;
	if (it->kind == ITEM_TASK)
		return has_clock_time(&it->start) || has_clock_time(&it->due);
	return !it->all_day && has_clock_time(&it->start);
}

/* the item's VTIMEZONE, unless the file already has it (by TZID) */
static void need_zone(struct gwtext_file *f, const struct gw_item *it, struct sbuf *out)
{
	if (!uses_zone(it))
		return;
	for (size_t i = 0; i < f->nzones; i++)
		if (!strcmp(tzone_name(f->zones[i]), tzone_name(it->zone)))
			return;
	int lo, hi;
	item_years(it, &lo, &hi);
	tzone_vtimezone(it->zone, lo, hi, out);
	/* a list of pointers: each element is one `const struct tzone *` */
	typedef const struct tzone *zone_ptr;
	f->zones = xreallocarray(f->zones, f->nzones + 1, sizeof(zone_ptr));
	f->zones[f->nzones++] = it->zone;
}

/* ---- properties both VEVENT and VTODO have ---- */

static void put_categories(struct gwline *e, char *const *cats, size_t n)
{
	if (!n)
		return;
	gwl_begin(e, "CATEGORIES");
	for (size_t i = 0; i < n; i++) {
		sbuf_addch(&e->l, i ? ',' : ':');
		gwl_escape(e, cats[i]);
	}
	gwl_end(e);
}

static void put_common(struct gwline *e, const struct gw_item *it)
{
	static const int prio[] = { 9, 5, 1 };	/* low, normal, high */
	gwl_put_text(e, "SUMMARY", it->subject);
	gwl_put_text(e, "DESCRIPTION", it->body);
	put_categories(e, it->categories, it->ncategories);
	if (it->private_item)
		gwl_put_raw(e, "CLASS", "PRIVATE");
	if (it->priority >= 0 && it->priority <= 2) {
		gwl_begin(e, "PRIORITY");
		sbuf_addf(&e->l, ":%d", prio[it->priority]);
		gwl_end(e);
	}
}

static void put_stamps(struct gwline *e, const struct gw_item *it)
{
	gwl_put_text(e, "UID", it->uid);
	put_dtstamp(e, it);
	put_utc(e, "CREATED", it, &it->created);
	put_utc(e, "LAST-MODIFIED", it, &it->modified);
}

/* ---- RRULE ---- */

static const char *const ical_dow[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

static void add_days(struct sbuf *s, unsigned mask, int instance)
{
	bool first = true;
	for (int d = 0; d < 7; d++) {
		if (!(mask & (1u << d)))
			continue;
		sbuf_adds(s, first ? "" : ",");
		if (instance)
			sbuf_addf(s, "%d", instance);
		sbuf_adds(s, ical_dow[d]);
		first = false;
	}
}

static unsigned popcount7(unsigned mask)
{
	unsigned n = 0;
	for (int d = 0; d < 7; d++)
		n += (mask >> d) & 1u;
	return n;
}

/* "the n-th <day>" (one day: BYDAY=2TU) or "the n-th of <days>" (BYDAY=MO,..;BYSETPOS=n) */
static void add_nth(struct sbuf *s, unsigned mask, int instance)
{
	sbuf_adds(s, ";BYDAY=");
	if (popcount7(mask) <= 1) {
		add_days(s, mask, instance);
		return;
	}
	add_days(s, mask, 0);
	sbuf_addf(s, ";BYSETPOS=%d", instance);
}

static void add_rule_body(struct sbuf *s, const struct gw_recur *r)
{
	static const char *const freq[] = { "DAILY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY" };
	unsigned interval = r->interval ? r->interval : 1;
	if (r->freq == GW_DAILY && r->every_weekday) {
		sbuf_adds(s, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
		return;
	}
	sbuf_addf(s, "FREQ=%s", freq[r->freq >= GW_DAILY && r->freq <= GW_YEARLY ? r->freq : 1]);
	if (interval > 1)
		sbuf_addf(s, ";INTERVAL=%u", interval);
	if (r->freq == GW_WEEKLY) {
		if (interval > 1)	/* which days make "a week" matters then; Outlook's weeks start on Sunday */
			sbuf_adds(s, ";WKST=SU");
		if (r->dow_mask & 0x7f) {
			sbuf_adds(s, ";BYDAY=");
			add_days(s, r->dow_mask, 0);
		}
		return;
	}
	if (r->freq == GW_YEARLY && r->month)
		sbuf_addf(s, ";BYMONTH=%u", r->month);
	if (r->freq == GW_MONTHLY || r->freq == GW_YEARLY) {
		if (r->instance && (r->dow_mask & 0x7f))
			add_nth(s, r->dow_mask & 0x7f, r->instance);
		else if (r->day_of_month)
			sbuf_addf(s, ";BYMONTHDAY=%u", r->day_of_month);
	}
}

/* COUNT, or UNTIL: the end of the last day, in UTC (a date for all-day series) */
static void add_rule_end(struct sbuf *s, const struct gw_item *it, const struct gw_recur *r,
			 bool as_date)
{
	if (r->count) {
		sbuf_addf(s, ";COUNT=%u", r->count);
		return;
	}
	if (!r->until.set || r->until.year >= GWT_NO_END_YEAR)
		return;
	sbuf_adds(s, ";UNTIL=");
	if (as_date) {
		gwl_add_date(s, &r->until);
		return;
	}
	struct gw_time end = r->until;
	end.hour = 23;
	end.minute = 59;
	end.second = 59;
	end.date_only = false;
	gwl_add_utc(s, to_utc(it, &end));
}

static void put_rrule(struct gwline *e, const struct gw_item *it, bool as_date)
{
	const struct gw_recur *r = it->recur;
	if (!r)
		return;
	gwl_begin(e, "RRULE");
	sbuf_addch(&e->l, ':');
	add_rule_body(&e->l, r);
	add_rule_end(&e->l, it, r, as_date);
	gwl_end(e);
	if (r->sliding)
		gwl_put_raw(e, "X-MDAEMON-SLIDING", "1");
}

/* ---- VEVENT ---- */

static const char *const busy_names[] = { "FREE", "TENTATIVE", "BUSY", "OOF" };

static void put_busy(struct gwline *e, int busy, int intended)
{
	if (busy < GW_FREE || busy > GW_OOF)
		return;
	gwl_put_raw(e, "TRANSP", busy == GW_FREE ? "TRANSPARENT" : "OPAQUE");
	gwl_put_raw(e, "X-MICROSOFT-CDO-BUSYSTATUS", busy_names[busy]);
	if (intended >= GW_FREE && intended <= GW_OOF)
		gwl_put_raw(e, "X-MICROSOFT-CDO-INTENDEDSTATUS", busy_names[intended]);
}

static void put_person(struct gwline *e, const char *prop, const struct gw_person *p)
{
	gwl_begin(e, prop);
	if (p->name && *p->name)
		gwl_param(e, "CN", p->name);
}

static void put_mailto(struct gwline *e, const char *addr)
{
	sbuf_adds(&e->l, ":mailto:");
	gwl_escape(e, addr);
	gwl_end(e);
}

static void put_attendees(struct gwline *e, const struct gw_item *it)
{
	static const char *const partstat[] = { "NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE" };
	if (it->organizer.addr && *it->organizer.addr) {
		put_person(e, "ORGANIZER", &it->organizer);
		put_mailto(e, it->organizer.addr);
	}
	for (size_t i = 0; i < it->nattendees; i++) {
		const struct gw_attendee *a = &it->attendees[i];
		if (!a->who.addr || !*a->who.addr)
			continue;
		put_person(e, "ATTENDEE", &a->who);
		if (a->role == GW_RESOURCE)
			gwl_param_raw(e, "CUTYPE", "RESOURCE");
		gwl_param_raw(e, "ROLE", a->role == GW_OPTIONAL ? "OPT-PARTICIPANT" :
				     a->role == GW_RESOURCE ? "NON-PARTICIPANT" : "REQ-PARTICIPANT");
		gwl_param_raw(e, "PARTSTAT", partstat[a->status <= GW_TENTATIVE ? a->status : 0]);
		if (a->invite)
			gwl_param_raw(e, "RSVP", "TRUE");
		put_mailto(e, a->who.addr);
	}
}

static void put_alarm_before(struct gwline *e, const char *text, int minutes)
{
	gwl_put_raw(e, "BEGIN", "VALARM");
	gwl_put_raw(e, "ACTION", "DISPLAY");
	gwl_put_text(e, "DESCRIPTION", text && *text ? text : "Reminder");
	gwl_begin(e, "TRIGGER");
	sbuf_addf(&e->l, ":%sPT%dM", minutes >= 0 ? "-" : "", minutes >= 0 ? minutes : -minutes);
	gwl_end(e);
	gwl_put_raw(e, "END", "VALARM");
}

/* all-day: DTEND is the day after the last (exclusive) */
static void put_span(struct gwline *e, const struct gw_item *it, const struct gw_time *start,
		     const struct gw_time *end)
{
	put_time(e, "DTSTART", it, start, it->all_day);
	if (it->all_day) {
		struct gw_time last = end->set && gw_time_cmp(end, start) >= 0 ? *end : *start;
		struct gw_time after = gw_time_add_days(last, 1);
		put_time(e, "DTEND", it, &after, true);
	} else if (end->set) {
		put_time(e, "DTEND", it, end, false);
	}
}

static void put_exdates(struct gwline *e, const struct gw_item *it)
{
	const struct gw_recur *r = it->recur;
	for (size_t i = 0; r && i < r->ndeleted; i++)
		put_time(e, "EXDATE", it, &r->deleted[i], it->all_day);
}

static void put_creator(struct gwline *e, const struct gw_item *it)
{
	const struct gw_person *c = &it->creator;
	gwl_put_text(e, "X-MDAEMON-CREATOR", c->addr && *c->addr ? c->addr : c->name);
}

static void put_vevent(struct gwline *e, const struct gw_item *it)
{
	gwl_put_raw(e, "BEGIN", "VEVENT");
	put_stamps(e, it);
	gwl_begin(e, "SEQUENCE");
	sbuf_addf(&e->l, ":%d", it->sequence > 0 ? it->sequence : 0);
	gwl_end(e);
	put_span(e, it, &it->start, &it->end);
	put_rrule(e, it, it->all_day);
	put_exdates(e, it);
	put_common(e, it);
	gwl_put_text(e, "LOCATION", it->location);
	put_busy(e, it->busy, it->intended_busy);
	put_attendees(e, it);
	put_creator(e, it);
	gwl_extras(e, it);
	if (it->reminder_set)
		put_alarm_before(e, it->subject, it->reminder_min);
	gwl_put_raw(e, "END", "VEVENT");
}

/* a changed occurrence: its own VEVENT with RECURRENCE-ID; what it does not change is the series' */
static void put_override(struct gwline *e, const struct gw_item *it, const struct gw_change *c)
{
	gwl_put_raw(e, "BEGIN", "VEVENT");
	gwl_put_text(e, "UID", it->uid);
	put_dtstamp(e, it);
	gwl_begin(e, "SEQUENCE");
	sbuf_addf(&e->l, ":%d", it->sequence > 0 ? it->sequence : 0);
	gwl_end(e);
	put_time(e, "RECURRENCE-ID", it, &c->original, it->all_day);
	/* unchanged times: the original occurrence with the series' length */
	int64_t len = it->end.set ? gw_time_as_unix(&it->end) - gw_time_as_unix(&it->start) : 0;
	struct gw_time start = c->start.set ? c->start : c->original;
	struct gw_time end = c->end.set ? c->end : gw_time_from_unix(gw_time_as_unix(&start) + len);
	end.date_only = start.date_only;
	put_span(e, it, &start, it->end.set || c->end.set ? &end : &(struct gw_time){ 0 });
	gwl_put_text(e, "SUMMARY", c->subject ? c->subject : it->subject);
	gwl_put_text(e, "DESCRIPTION", c->body ? c->body : it->body);
	gwl_put_text(e, "LOCATION", c->location ? c->location : it->location);
	put_categories(e, it->categories, it->ncategories);
	put_busy(e, c->busy >= 0 ? c->busy : it->busy, -1);
	bool alarm = c->reminder_set >= 0 ? c->reminder_set == 1 : it->reminder_set;
	if (alarm)
		put_alarm_before(e, c->subject ? c->subject : it->subject,
				 c->reminder_min >= 0 ? c->reminder_min : it->reminder_min);
	gwl_put_raw(e, "END", "VEVENT");
}

/* ---- VTODO ---- */

static void put_task_status(struct gwline *e, const struct gw_item *it)
{
	static const char *const md_status[] = { "NOT-STARTED", "IN-PROGRESS", "COMPLETED",
						 "WAITING", "DEFERRED" };
	int st = it->task_status;
	if (it->complete && st != 2)
		st = 2;
	gwl_put_raw(e, "STATUS", st == 1 ? "IN-PROCESS" : st == 2 ? "COMPLETED" : "NEEDS-ACTION");
	if (st == 3 || st == 4)
		gwl_put_raw(e, "X-MDAEMON-STATUS", md_status[st]);
	if (it->percent > 0 || st == 2) {
		gwl_begin(e, "PERCENT-COMPLETE");
		sbuf_addf(&e->l, ":%d", st == 2 && it->percent <= 0 ? 100 :
					it->percent > 100 ? 100 : it->percent);
		gwl_end(e);
	}
}

static void put_task_effort(struct gwline *e, const struct gw_item *it)
{
	if (it->estimated_min >= 0) {
		gwl_begin(e, "X-MDAEMON-ESTIMATED-MINUTES");
		sbuf_addf(&e->l, ":%d", it->estimated_min);
		gwl_end(e);
	}
	if (it->actual_min >= 0) {
		gwl_begin(e, "X-MDAEMON-ACTUAL-MINUTES");
		sbuf_addf(&e->l, ":%d", it->actual_min);
		gwl_end(e);
	}
	gwl_put_text(e, "X-MDAEMON-MILEAGE", it->mileage);
	gwl_put_text(e, "X-MDAEMON-BILLING", it->billing);
	gwl_put_text(e, "X-MDAEMON-COMPANIES", it->companies);
}

static void put_vtodo(struct gwline *e, const struct gw_item *it)
{
	gwl_put_raw(e, "BEGIN", "VTODO");
	put_stamps(e, it);
	/*
	 * DTSTART and DUE must be of one type (RFC 5545 3.8.2.3): when one
	 * is a date and the other a time, the date is written as its midnight
	 */
	struct gw_time start = it->start, due = it->due;
	if (start.set && due.set && start.date_only != due.date_only)
		start.date_only = due.date_only = false;
	put_time(e, "DTSTART", it, &start, false);
	put_time(e, "DUE", it, &due, false);
	put_utc(e, "COMPLETED", it, &it->completed_on);
	put_task_status(e, it);
	put_rrule(e, it, start.set && start.date_only);
	put_common(e, it);
	put_task_effort(e, it);
	put_creator(e, it);
	gwl_extras(e, it);
	if (it->reminder_set && it->reminder_at.set) {
		gwl_put_raw(e, "BEGIN", "VALARM");
		gwl_put_raw(e, "ACTION", "DISPLAY");
		gwl_put_text(e, "DESCRIPTION", it->subject && *it->subject ? it->subject : "Reminder");
		gwl_begin(e, "TRIGGER");
		gwl_param_raw(e, "VALUE", "DATE-TIME");
		sbuf_addch(&e->l, ':');
		gwl_add_utc(&e->l, to_utc(it, &it->reminder_at));
		gwl_end(e);
		gwl_put_raw(e, "END", "VALARM");
	}
	gwl_put_raw(e, "END", "VTODO");
}

static void ics_item(struct gwtext_file *f, const struct gw_item *it, struct sbuf *out)
{
	need_zone(f, it, out);
	struct gwline e;
	gwl_init(&e, out);
	if (it->kind == ITEM_TASK) {
		put_vtodo(&e, it);
	} else {
		put_vevent(&e, it);
		for (size_t i = 0; it->recur && i < it->recur->nchanged; i++)
			put_override(&e, it, &it->recur->changed[i]);
	}
	gwl_release(&e);
}

void gwtext_item(struct gwtext_file *f, const struct gw_item *it, struct sbuf *out)
{
	switch (f->kind) {
	case GWTEXT_ICS:
		ics_item(f, it, out);
		break;
	case GWTEXT_VCF:
		gwtext_vcard(it, f->opts.vcard_version, out);
		break;
	case GWTEXT_TXT:
		gwtext_note(it, out);
		break;
	}
}
