/*
 * The recurrence blobs of Outlook items ([MS-OXOCAL] 2.2.1.44): the
 * RecurrencePattern (tasks' PidLidTaskRecurrence too) and the
 * AppointmentRecurrencePattern with its exceptions.  Every time in them
 * is local wall-clock time in minutes since 1601; dates are those minutes
 * at midnight.  Occurrences are counted by walking the days from the
 * first one (a series that ends after N occurrences states its last date).
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "pst/gwpst.h"

#define MINUTES_1601_TO_1970 194074560u	/* 134,774 days */
#define NEVER_END_DATE 0x5AE980DFu	/* EndDate of a series without end (4500-08-31) */
#define WALK_DAYS_MAX (400 * 366)	/* how far an occurrence count is walked */

enum {
	FREQ_DAILY = 0x200A, FREQ_WEEKLY = 0x200B, FREQ_MONTHLY = 0x200C, FREQ_YEARLY = 0x200D,
	PAT_DAY = 0, PAT_WEEK = 1, PAT_MONTH = 2, PAT_MONTH_NTH = 3,
	END_AFTER_DATE = 0x2021, END_AFTER_N = 0x2022, END_NEVER = 0x2023,
	ARO_SUBJECT = 0x0001, ARO_REMINDERDELTA = 0x0004, ARO_REMINDER = 0x0008,
	ARO_LOCATION = 0x0010, ARO_BUSYSTATUS = 0x0020, ARO_EXCEPTIONAL_BODY = 0x0200,
};

static void put16(struct sbuf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	sbuf_add(b, p, 2);
}

static void put32(struct sbuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	sbuf_add(b, p, 4);
}

uint32_t pst_local_minutes(const struct gw_time *t)
{
	return (uint32_t)(gw_time_as_unix(t) / 60 + MINUTES_1601_TO_1970);
}

static struct gw_time midnight(struct gw_time t)
{
	t.hour = t.minute = t.second = 0;
	return t;
}

static int64_t day_number(const struct gw_time *t)
{
	struct gw_time m = midnight(*t);
	return gw_time_as_unix(&m) / 86400;
}

static int days_in_month(int year, int month)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : dm[(month - 1) % 12];
}

struct gw_time pst_recur_first(const struct gw_item *it)
{
	if (it->recur && it->recur->start.set)
		return it->recur->start;
	return it->kind == ITEM_TASK && !it->start.set ? it->due : it->start;
}

/* weekdays: the recurrence's day mask, else the first occurrence's weekday */
static unsigned weekdays(const struct gw_recur *r, const struct gw_time *first)
{
	return r->dow_mask & 0x7F ? r->dow_mask & 0x7F : 1u << gw_weekday(first);
}

/* day_rule: d is the month's day the pattern names (a day number, or the n-th weekday) */
static bool day_rule(const struct gw_recur *r, const struct gw_time *first, const struct gw_time *d)
{
	int dim = days_in_month(d->year, d->month);
	if (!r->instance) {
		int dom = r->day_of_month ? (int)r->day_of_month : first->day;
		return d->day == (dom < dim ? dom : dim);
	}
	if (!(weekdays(r, first) & 1u << gw_weekday(d)))
		return false;
	if (r->instance < 0)
		return d->day + 7 > dim;
	return (d->day - 1) / 7 == r->instance - 1;
}

/* occurs_on: the series has an occurrence on date d (on or after first) */
static bool occurs_on(const struct gw_recur *r, const struct gw_time *first, const struct gw_time *d)
{
	unsigned iv = r->interval ? r->interval : 1;
	int64_t days = day_number(d) - day_number(first);
	int months = (d->year - first->year) * 12 + d->month - first->month;
	switch (r->freq) {
	case GW_DAILY:
		if (r->every_weekday)
			return gw_weekday(d) >= 1 && gw_weekday(d) <= 5;
		return days % iv == 0;
	case GW_WEEKLY: {
		int64_t week0 = day_number(first) - gw_weekday(first);
		int64_t week = (day_number(d) - week0) / 7;
		return week % iv == 0 && (weekdays(r, first) & 1u << gw_weekday(d));
	}
	case GW_MONTHLY:
		return months % (int)iv == 0 && day_rule(r, first, d);
	case GW_YEARLY: {
		int month = r->month ? (int)r->month : first->month;
		return d->month == month && (d->year - first->year) % (int)iv == 0 &&
		       day_rule(r, first, d);
	}
	}
	return false;
}

/* walk: occurrences from first up to the count, or up to until; the last and how many */
static unsigned walk(const struct gw_recur *r, const struct gw_time *first, struct gw_time *last)
{
	unsigned n = 0;
	struct gw_time d = midnight(*first), until = midnight(r->until);
	*last = d;
	for (int i = 0; i < WALK_DAYS_MAX; i++, d = gw_time_add_days(d, 1)) {
		if (r->count ? n >= r->count : gw_time_cmp(&d, &until) > 0)
			break;
		if (occurs_on(r, first, &d)) {
			n++;
			*last = d;
		}
	}
	return n;
}

bool pst_recur_last(const struct gw_item *it, struct gw_time *last)
{
	const struct gw_recur *r = it->recur;
	if (!r || (!r->count && !r->until.set))
		return false;
	struct gw_time first = pst_recur_first(it);
	walk(r, &first, last);
	return true;
}

/*
 * first_date_time: FirstDateTime (2.2.1.44.1.2): where in the first period
 * after 1601 the series' period starts; daily: minutes, weekly: the week's
 * Sunday, monthly and yearly: the first of the month, each modulo the period
 */
static uint32_t first_date_time(const struct gw_recur *r, const struct gw_time *first,
				uint32_t period)
{
	struct gw_time d = midnight(*first);
	if (r->freq == GW_DAILY && !r->every_weekday)
		return pst_local_minutes(&d) % period;
	if (r->freq == GW_DAILY || r->freq == GW_WEEKLY) {
		struct gw_time sunday = gw_time_add_days(d, -gw_weekday(&d));
		return pst_local_minutes(&sunday) % (period * 7 * 1440);
	}
	int month = r->freq == GW_YEARLY && r->month ? (int)r->month : first->month;
	unsigned index = (unsigned)((first->year - 1601) * 12 + month - 1) % period;
	struct gw_time m = { .year = 1601 + (int)index / 12, .month = (int)index % 12 + 1, .day = 1,
			     .set = true };
	return pst_local_minutes(&m);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* put_dates: a count and sorted, de-duplicated dates (minutes at midnight) */
static void put_dates(struct sbuf *out, uint32_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	put32(out, (uint32_t)k);
	for (size_t i = 0; i < k; i++)
		put32(out, v[i]);
}

/* change_start: a changed occurrence's own start (its original when it moved nowhere) */
static struct gw_time change_start(const struct gw_change *c)
{
	return c->start.set ? c->start : c->original;
}

static void put_instance_dates(const struct gw_recur *r, struct sbuf *out)
{
	size_t nd = r->ndeleted + r->nchanged;
	uint32_t *v = xreallocarray(NULL, nd ? nd : 1, sizeof(*v));
	for (size_t i = 0; i < r->ndeleted; i++) {
		struct gw_time d = midnight(r->deleted[i]);
		v[i] = pst_local_minutes(&d);
	}
	for (size_t i = 0; i < r->nchanged; i++) {
		struct gw_time o = midnight(r->changed[i].original);
		v[r->ndeleted + i] = pst_local_minutes(&o);
	}
	put_dates(out, v, nd);		/* deleted AND changed originals */
	for (size_t i = 0; i < r->nchanged; i++) {
		struct gw_time s = midnight(change_start(&r->changed[i]));
		v[i] = pst_local_minutes(&s);
	}
	put_dates(out, v, r->nchanged);	/* changed: their new dates */
	free(v);
}

/* pattern_fields: RecurFrequency, PatternType, Period and the type-specific words */
static void pattern_fields(const struct gw_recur *r, const struct gw_time *first, struct sbuf *out)
{
	unsigned iv = r->interval ? r->interval : 1;
	uint16_t freq = FREQ_DAILY, type = PAT_DAY;
	uint32_t period = iv * 1440;
	if (r->freq == GW_DAILY && r->every_weekday) {
		type = PAT_WEEK;
		period = 1;
	} else if (r->freq == GW_WEEKLY) {
		freq = FREQ_WEEKLY;
		type = PAT_WEEK;
		period = iv;
	} else if (r->freq == GW_MONTHLY || r->freq == GW_YEARLY) {
		freq = r->freq == GW_MONTHLY ? FREQ_MONTHLY : FREQ_YEARLY;
		type = r->instance ? PAT_MONTH_NTH : PAT_MONTH;
		period = r->freq == GW_MONTHLY ? iv : 12 * iv;
	}
	put16(out, freq);
	put16(out, type);
	put16(out, 0);				/* CalendarType: Gregorian */
	put32(out, first_date_time(r, first, period));
	put32(out, period);
	put32(out, r->sliding);			/* SlidingFlag (tasks) */
	if (type == PAT_WEEK)
		put32(out, r->every_weekday ? 0x3E : weekdays(r, first));
	else if (type == PAT_MONTH)
		put32(out, r->day_of_month ? r->day_of_month : (unsigned)first->day);
	else if (type == PAT_MONTH_NTH) {
		put32(out, weekdays(r, first));
		put32(out, r->instance < 0 ? 5 : (uint32_t)r->instance);
	}
}

void pst_recur_pattern(const struct gw_item *it, struct sbuf *out)
{
	const struct gw_recur *r = it->recur;
	struct gw_time first = pst_recur_first(it), last = midnight(first);
	put16(out, 0x3004);			/* ReaderVersion */
	put16(out, 0x3004);			/* WriterVersion */
	pattern_fields(r, &first, out);
	unsigned n = r->count || r->until.set ? walk(r, &first, &last) : 0;
	put32(out, r->count ? END_AFTER_N : r->until.set ? END_AFTER_DATE : END_NEVER);
	put32(out, r->count ? r->count : r->until.set ? n : 10);	/* 10: Outlook's, unused */
	put32(out, 0);				/* FirstDOW: Sunday */
	put_instance_dates(r, out);
	struct gw_time start = midnight(first);
	put32(out, pst_local_minutes(&start));
	put32(out, r->count || r->until.set ? pst_local_minutes(&last) : NEVER_END_DATE);
}

/* put_ansi: a length-prefixed 8-bit string (twice: with and without its terminator's room) */
static void put_ansi(struct sbuf *out, const char *s)
{
	size_t len = strlen(s);
	if (len > 0xFFFE)
		len = 0xFFFE;
	put16(out, (uint16_t)(len + 1));
	put16(out, (uint16_t)len);
	for (size_t i = 0; i < len; i++)	/* ASCII kept, the rest as '?': the wide copy below is the text */
		sbuf_addch(out, (unsigned char)s[i] < 0x80 ? s[i] : '?');
}

static void put_wide(struct sbuf *out, const char *s)
{
	struct sbuf u = SBUF_INIT;
	pst_utf16le(&u, s);
	size_t chars = u.len / 2 > 0xFFFF ? 0xFFFF : u.len / 2;
	put16(out, (uint16_t)chars);
	sbuf_add(out, u.buf, chars * 2);
	sbuf_release(&u);
}

/* change_end: a changed occurrence's end (its start plus the series' length when not given) */
static struct gw_time change_end(const struct gw_item *it, const struct gw_change *c)
{
	if (c->end.set)
		return c->end;
	int64_t len = it->start.set && it->end.set ?
		gw_time_as_unix(&it->end) - gw_time_as_unix(&it->start) : 0;
	struct gw_time s = change_start(c);
	return gw_time_from_unix(gw_time_as_unix(&s) + len);
}

static uint16_t override_flags(const struct gw_change *c)
{
	return (uint16_t)((c->subject ? ARO_SUBJECT : 0) | (c->reminder_min >= 0 ? ARO_REMINDERDELTA : 0) |
			  (c->reminder_set >= 0 ? ARO_REMINDER : 0) | (c->location ? ARO_LOCATION : 0) |
			  (c->busy >= 0 ? ARO_BUSYSTATUS : 0) | (c->body ? ARO_EXCEPTIONAL_BODY : 0));
}

static void exception_info(const struct gw_item *it, const struct gw_change *c, struct sbuf *out)
{
	struct gw_time s = change_start(c), e = change_end(it, c);
	uint16_t flags = override_flags(c);
	put32(out, pst_local_minutes(&s));
	put32(out, pst_local_minutes(&e));
	put32(out, pst_local_minutes(&c->original));
	put16(out, flags);
	if (flags & ARO_SUBJECT)
		put_ansi(out, c->subject);
	if (flags & ARO_REMINDERDELTA)
		put32(out, (uint32_t)c->reminder_min);
	if (flags & ARO_REMINDER)
		put32(out, (uint32_t)c->reminder_set);
	if (flags & ARO_LOCATION)
		put_ansi(out, c->location);
	if (flags & ARO_BUSYSTATUS)
		put32(out, (uint32_t)c->busy);
}

static void extended_exception(const struct gw_item *it, const struct gw_change *c,
			       struct sbuf *out)
{
	put32(out, 4);				/* ChangeHighlightSize */
	put32(out, 0);				/* ChangeHighlightValue */
	put32(out, 0);				/* ReservedBlockEE1Size */
	if (!c->subject && !c->location)
		return;
	struct gw_time s = change_start(c), e = change_end(it, c);
	put32(out, pst_local_minutes(&s));
	put32(out, pst_local_minutes(&e));
	put32(out, pst_local_minutes(&c->original));
	if (c->subject)
		put_wide(out, c->subject);
	if (c->location)
		put_wide(out, c->location);
	put32(out, 0);				/* ReservedBlockEE2Size */
}

static int cmp_change(const void *a, const void *b)
{
	const struct gw_change *x = a, *y = b;
	struct gw_time sx = change_start(x), sy = change_start(y);
	return gw_time_cmp(&sx, &sy);
}

void pst_appt_recur(const struct gw_item *it, struct sbuf *out)
{
	const struct gw_recur *r = it->recur;
	pst_recur_pattern(it, out);
	put32(out, 0x3006);			/* ReaderVersion2 */
	put32(out, 0x3009);			/* WriterVersion2: ChangeHighlight present */
	struct gw_time first = pst_recur_first(it);
	uint32_t start_off = (uint32_t)(first.hour * 60 + first.minute);
	int64_t len = it->start.set && it->end.set ?
		(gw_time_as_unix(&it->end) - gw_time_as_unix(&it->start)) / 60 : 0;
	if (it->all_day)		/* the end is the last day itself */
		len = (day_number(&it->end) - day_number(&it->start) + 1) * 1440;
	put32(out, start_off);
	put32(out, start_off + (uint32_t)(len > 0 ? len : 0));
	/* shallow copies, sorted by their start: the strings stay the item's */
	struct gw_change *v = xreallocarray(NULL, r->nchanged ? r->nchanged : 1, sizeof(*v));
	if (r->nchanged)
		memcpy(v, r->changed, r->nchanged * sizeof(*v));
	qsort(v, r->nchanged, sizeof(*v), cmp_change);
	put16(out, (uint16_t)r->nchanged);
	for (size_t i = 0; i < r->nchanged; i++)
		exception_info(it, &v[i], out);
	put32(out, 0);				/* ReservedBlock1Size */
	for (size_t i = 0; i < r->nchanged; i++)
		extended_exception(it, &v[i], out);
	put32(out, 0);				/* ReservedBlock2Size */
	free(v);
}
