/*
 * Time zones (tzone.h): an IANA zone through GLib's GTimeZone (the
 * system's zoneinfo; GMime already brings GLib), or a fixed offset.
 * GTimeZone is immutable and reference-counted, so a tzone may be read by
 * any number of threads.
 */
#include "core/tzone.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct tzone {
	GTimeZone *gtz;		/* NULL: fixed */
	int fixed_min;		/* minutes east of UTC (fixed zones) */
	char name[64];
};

struct tzone *tzone_new_iana(const char *name, struct sbuf *err)
{
	/*
	 * GLib takes "UTC", "+01:00" and POSIX TZ strings too; an IANA name
	 * is a zoneinfo file, which is what the outputs' TZIDs must name
	 */
	GTimeZone *gtz = strchr(name, '/') || !strcmp(name, "UTC") ?
		g_time_zone_new_identifier(name) : NULL;
	if (!gtz || strlen(name) >= sizeof(((struct tzone *)0)->name)) {
		if (gtz)
			g_time_zone_unref(gtz);
		sbuf_addf(err, "unknown time zone '%s' (an IANA name such as Europe/Paris, "
			  "as in /usr/share/zoneinfo)", name);
		return NULL;
	}
	struct tzone *z = xcalloc(1, sizeof(*z));
	z->gtz = gtz;
	snprintf(z->name, sizeof(z->name), "%s", name);
	return z;
}

struct tzone *tzone_new_fixed(int offset_min)
{
	struct tzone *z = xcalloc(1, sizeof(*z));
	int a = offset_min < 0 ? -offset_min : offset_min;
	z->fixed_min = offset_min;
	snprintf(z->name, sizeof(z->name), "UTC%c%02d:%02d", offset_min < 0 ? '-' : '+',
		 a / 60 % 100, a % 60);
	return z;
}

void tzone_free(struct tzone *z)
{
	if (!z)
		return;
	if (z->gtz)
		g_time_zone_unref(z->gtz);
	free(z);
}

const char *tzone_name(const struct tzone *z)
{
	return z->name;
}

bool tzone_is_fixed(const struct tzone *z)
{
	return !z->gtz;
}

/* the offset (minutes east) in effect at Unix time t */
static int offset_at_utc(const struct tzone *z, int64_t t)
{
	if (!z->gtz)
		return z->fixed_min;
	gint interval = g_time_zone_find_interval(z->gtz, G_TIME_TYPE_UNIVERSAL, t);
	return g_time_zone_get_offset(z->gtz, interval) / 60;
}

int64_t tzone_to_utc(const struct tzone *z, const struct gw_time *t)
{
	int64_t local = gw_time_as_unix(t);
	if (!z->gtz)
		return local - (int64_t)z->fixed_min * 60;
	/*
	 * the offsets a day before and a day after (no zone changes twice in
	 * two days): a reading that gives back its own offset is right.  Both
	 * right (an overlap): the first occurrence, as RFC 5545 3.3.5 says.
	 * Neither (a time a DST gap skips): the offset before the gap, so
	 * 02:30 on a spring-forward night is 03:30 daylight time.
	 */
	int before = offset_at_utc(z, local - 86400), after = offset_at_utc(z, local + 86400);
	int64_t c1 = local - (int64_t)before * 60, c2 = local - (int64_t)after * 60;
	bool ok1 = offset_at_utc(z, c1) == before, ok2 = offset_at_utc(z, c2) == after;
	if (ok1 && ok2)
		return c1 < c2 ? c1 : c2;
	if (ok2)
		return c2;
	return c1;
}

int tzone_offset(const struct tzone *z, const struct gw_time *t)
{
	return (int)((gw_time_as_unix(t) - tzone_to_utc(z, t)) / 60);
}

struct gw_time tzone_from_utc(const struct tzone *z, int64_t t)
{
	return gw_time_from_unix(t + (int64_t)offset_at_utc(z, t) * 60);
}

/*
 * The zone's rules, year by year.  GTimeZone knows only intervals (from
 * this second on, this offset); the outputs want yearly rules ("the last
 * Sunday of March at 02:00").  Each year's transitions are found by a
 * coarse scan and a binary search on g_time_zone_find_interval, then
 * described as a month, a weekday, its n-th or last occurrence and the
 * local time of day before the change (what both RFC 5545 and Windows
 * use).  Consecutive years with the same rule make a period.
 */
#define TZ_MAX_TRANS 8		/* transitions kept per year (two in a DST zone) */
#define TZ_SCAN_STEP (7 * 86400)	/* no offset lasts less than a week */

struct tz_trans {
	int64_t utc;		/* the first second of the new offset */
	int from, to;		/* offsets, seconds east of UTC */
	bool dst;		/* GLib's flag for the new interval */
};

/* a yearly onset: the local time (before the change) of a transition */
struct tz_onset {
	int month, dow, nth;	/* dow 0 Sunday; nth 1..5 by day of month */
	bool last;		/* also the month's last such weekday */
	int secs;		/* local time of day, seconds */
	int64_t utc;
	struct gw_time local;
};

struct tz_year {
	int year;
	bool dst;		/* two transitions between two offsets */
	int std_off, dst_off;	/* the lower and the higher offset; equal without DST */
	struct tz_onset to_std, to_dst;
	size_t ntr;
	struct tz_trans tr[TZ_MAX_TRANS];
};

struct tz_period {
	int first, last;	/* years */
	bool dst;
	int std_off, dst_off;
	bool std_last, dst_last;	/* every year's onset was the last weekday */
	int std_nth, dst_nth;	/* the common n-th; 0: not common */
	struct tz_year y0, yn;	/* its first and last year */
};

static int off_sec(const struct tzone *z, int64_t t)
{
	if (!z->gtz)
		return z->fixed_min * 60;
	gint iv = g_time_zone_find_interval(z->gtz, G_TIME_TYPE_UNIVERSAL, t);
	return g_time_zone_get_offset(z->gtz, iv);
}

static bool dst_at(const struct tzone *z, int64_t t)
{
	if (!z->gtz)
		return false;
	return g_time_zone_is_dst(z->gtz, g_time_zone_find_interval(z->gtz, G_TIME_TYPE_UNIVERSAL, t));
}

static int64_t year_start(int year)
{
	struct gw_time t = { .year = year, .month = 1, .day = 1, .set = true };
	return gw_time_as_unix(&t);
}

static int days_in_month(int year, int month)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : mdays[month - 1];
}

/* the first second in (lo, hi] whose offset differs from lo's */
static int64_t find_change(const struct tzone *z, int64_t lo, int64_t hi)
{
	int at_lo = off_sec(z, lo);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (off_sec(z, mid) == at_lo)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static struct tz_onset onset_of(const struct tz_trans *tr)
{
	struct tz_onset o = { .utc = tr->utc };
	o.local = gw_time_from_unix(tr->utc + tr->from);
	o.month = o.local.month;
	o.dow = gw_weekday(&o.local);
	o.nth = (o.local.day - 1) / 7 + 1;
	o.last = o.local.day + 7 > days_in_month(o.local.year, o.local.month);
	o.secs = o.local.hour * 3600 + o.local.minute * 60 + o.local.second;
	return o;
}

static void scan_year(const struct tzone *z, int year, struct tz_year *y)
{
	memset(y, 0, sizeof(*y));
	y->year = year;
	int64_t a = year_start(year), b = year_start(year + 1);
	for (int64_t t = a; t < b && z->gtz; t += TZ_SCAN_STEP) {
		int64_t nt = t + TZ_SCAN_STEP < b ? t + TZ_SCAN_STEP : b;
		if (off_sec(z, nt) == off_sec(z, t) || y->ntr == TZ_MAX_TRANS)
			continue;
		int64_t at = find_change(z, t, nt);
		y->tr[y->ntr++] = (struct tz_trans){ .utc = at, .from = off_sec(z, at - 1),
						     .to = off_sec(z, at), .dst = dst_at(z, at) };
	}
	const struct tz_trans *t0 = &y->tr[0], *t1 = &y->tr[1];
	if (y->ntr == 2 && t0->to == t1->from && t1->to == t0->from) {
		/*
		 * the lower offset is standard time, whatever GLib's flag says
		 * (Europe/Dublin's "negative DST" is Windows' GMT + daylight)
		 */
		y->dst = true;
		bool first_up = t0->to > t0->from;
		y->std_off = first_up ? t0->from : t0->to;
		y->dst_off = first_up ? t0->to : t0->from;
		y->to_dst = onset_of(first_up ? t0 : t1);
		y->to_std = onset_of(first_up ? t1 : t0);
		return;
	}
	y->std_off = y->dst_off = off_sec(z, b - 1);
}

static bool onset_fits(const struct tz_onset *o, const struct tz_onset *p0, bool all_last, int nth)
{
	return o->month == p0->month && o->dow == p0->dow && o->secs == p0->secs &&
	       ((all_last && o->last) || (nth && nth == o->nth));
}

/* year y continues period p (the same offsets, onsets by the same rule) */
static bool period_takes(const struct tz_period *p, const struct tz_year *y)
{
	if (p->dst != y->dst || p->std_off != y->std_off || p->dst_off != y->dst_off)
		return false;
	if (!p->dst)
		return y->ntr == 0;
	return onset_fits(&y->to_std, &p->y0.to_std, p->std_last, p->std_nth) &&
	       onset_fits(&y->to_dst, &p->y0.to_dst, p->dst_last, p->dst_nth);
}

static void period_start(struct tz_period *p, const struct tz_year *y)
{
	*p = (struct tz_period){ .first = y->year, .last = y->year, .dst = y->dst,
				 .std_off = y->std_off, .dst_off = y->dst_off,
				 .std_last = y->to_std.last, .dst_last = y->to_dst.last,
				 .std_nth = y->to_std.nth, .dst_nth = y->to_dst.nth,
				 .y0 = *y, .yn = *y };
}

static void period_extend(struct tz_period *p, const struct tz_year *y)
{
	p->last = y->year;
	p->yn = *y;
	p->std_last = p->std_last && y->to_std.last;
	p->dst_last = p->dst_last && y->to_dst.last;
	if (p->std_nth != y->to_std.nth)
		p->std_nth = 0;
	if (p->dst_nth != y->to_dst.nth)
		p->dst_nth = 0;
}

/* the periods of years first..last (a malloc'd array of *n) */
static struct tz_period *zone_periods(const struct tzone *z, int first, int last, size_t *n)
{
	if (last < first)
		last = first;
	int years = last - first + 1;
	struct tz_period *ps = xreallocarray(NULL, (size_t)years, sizeof(*ps));
	*n = 0;
	for (int year = first; year <= last; year++) {
		struct tz_year y;
		scan_year(z, year, &y);
		if (*n && period_takes(&ps[*n - 1], &y))
			period_extend(&ps[*n - 1], &y);
		else
			period_start(&ps[(*n)++], &y);
	}
	return ps;
}

/* a period's week of the month for an onset: 1..4, or 5 for the last (Windows and -1 in RRULE) */
static int onset_week(bool all_last, int nth)
{
	return all_last ? 5 : nth;
}

/* ---- VTIMEZONE ---- */

static void add_offset(struct sbuf *out, const char *prop, int off)
{
	int a = off < 0 ? -off : off;
	sbuf_addf(out, "%s:%c%02d%02d", prop, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	if (a % 60)
		sbuf_addf(out, "%02d", a % 60);
	sbuf_adds(out, "\r\n");
}

static void add_local(struct sbuf *out, const char *prop, const struct gw_time *t)
{
	sbuf_addf(out, "%s:%04d%02d%02dT%02d%02d%02d\r\n", prop, t->year, t->month, t->day,
		  t->hour, t->minute, t->second);
}

static void add_tzname(const struct tzone *z, int64_t at, struct sbuf *out)
{
	const char *abbr = z->gtz ? g_time_zone_get_abbreviation(
		z->gtz, g_time_zone_find_interval(z->gtz, G_TIME_TYPE_UNIVERSAL, at)) : z->name;
	/* an abbreviation is letters, digits and signs: nothing to escape */
	if (abbr && *abbr && !strpbrk(abbr, ",;\\\r\n"))
		sbuf_addf(out, "TZNAME:%s\r\n", abbr);
}

/* one observance with a single onset (no RRULE) */
static void single_onset(const struct tzone *z, const struct gw_time *local, int from, int to,
			 bool dst, int64_t at, struct sbuf *out)
{
	const char *kind = dst ? "DAYLIGHT" : "STANDARD";
	sbuf_addf(out, "BEGIN:%s\r\n", kind);
	add_local(out, "DTSTART", local);
	add_offset(out, "TZOFFSETFROM", from);
	add_offset(out, "TZOFFSETTO", to);
	add_tzname(z, at, out);
	sbuf_addf(out, "END:%s\r\n", kind);
}

static const char *const ical_dow[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

/* one yearly observance of a DST period: to daylight or back to standard */
static void yearly_onset(const struct tzone *z, const struct tz_period *p, bool to_dst,
			 bool ends, struct sbuf *out)
{
	const struct tz_onset *o0 = to_dst ? &p->y0.to_dst : &p->y0.to_std;
	const struct tz_onset *on = to_dst ? &p->yn.to_dst : &p->yn.to_std;
	int week = to_dst ? onset_week(p->dst_last, p->dst_nth) : onset_week(p->std_last, p->std_nth);
	const char *kind = to_dst ? "DAYLIGHT" : "STANDARD";
	sbuf_addf(out, "BEGIN:%s\r\n", kind);
	add_local(out, "DTSTART", &o0->local);
	add_offset(out, "TZOFFSETFROM", to_dst ? p->std_off : p->dst_off);
	add_offset(out, "TZOFFSETTO", to_dst ? p->dst_off : p->std_off);
	sbuf_addf(out, "RRULE:FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", o0->month,
		  week == 5 ? -1 : week, ical_dow[o0->dow]);
	if (ends) {
		/*
		 * UNTIL is inclusive and in UTC; a day after the last onset (the
		 * next is a year away) also suits readers that compare it with
		 * local times (dateutil's tzical does)
		 */
		sbuf_adds(out, ";UNTIL=");
		struct gw_time u = gw_time_from_unix(on->utc + 86400);
		sbuf_addf(out, "%04d%02d%02dT%02d%02d%02dZ", u.year, u.month, u.day,
			  u.hour, u.minute, u.second);
	}
	sbuf_adds(out, "\r\n");
	add_tzname(z, o0->utc, out);
	sbuf_addf(out, "END:%s\r\n", kind);
}

void tzone_vtimezone(const struct tzone *z, int first, int last, struct sbuf *out)
{
	sbuf_addf(out, "BEGIN:VTIMEZONE\r\nTZID:%s\r\n", z->name);
	/* a year before the first: its rules cover the first year's start */
	size_t n = 0;
	struct tz_period *ps = zone_periods(z, first - 1, last, &n);
	for (size_t i = 0; i < n; i++) {
		const struct tz_period *p = &ps[i];
		bool ends = i + 1 < n;
		if (p->dst) {
			yearly_onset(z, p, true, ends, out);
			yearly_onset(z, p, false, ends, out);
			continue;
		}
		for (size_t k = 0; k < p->y0.ntr; k++) {
			const struct tz_trans *t = &p->y0.tr[k];
			struct gw_time local = gw_time_from_unix(t->utc + t->from);
			single_onset(z, &local, t->from, t->to, t->dst, t->utc, out);
		}
		if (i == 0 && p->y0.ntr == 0) {
			/* no change in sight: one observance since 1970 (or the first year) */
			int y = first - 1 < 1970 ? first - 1 : 1970;
			struct gw_time start = { .year = y, .month = 1, .day = 1, .set = true };
			single_onset(z, &start, p->std_off, p->std_off, false, year_start(first), out);
		}
	}
	free(ps);
	sbuf_adds(out, "END:VTIMEZONE\r\n");
}

/* ---- [MS-OXOCAL] structures ---- */

static void put16(struct sbuf *out, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v & 0xff), (unsigned char)(v >> 8 & 0xff) };
	sbuf_add(out, b, 2);
}

static void put32(struct sbuf *out, int32_t v)
{
	uint32_t u = (uint32_t)v;
	unsigned char b[4] = { (unsigned char)(u & 0xff), (unsigned char)(u >> 8 & 0xff),
			       (unsigned char)(u >> 16 & 0xff), (unsigned char)(u >> 24 & 0xff) };
	sbuf_add(out, b, 4);
}

/* a SYSTEMTIME in the "day of the month" form: wYear 0, wDay the week (5: last) */
static void put_systemtime(struct sbuf *out, const struct tz_onset *o, int week)
{
	put16(out, 0);
	put16(out, (unsigned)o->month);
	put16(out, (unsigned)o->dow);
	put16(out, (unsigned)week);
	put16(out, (unsigned)(o->secs / 3600));
	put16(out, (unsigned)(o->secs / 60 % 60));
	put16(out, (unsigned)(o->secs % 60));
	put16(out, 0);
}

static void put_zero(struct sbuf *out, size_t n)
{
	static const unsigned char zero[16];
	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		sbuf_add(out, zero, k);
		n -= k;
	}
}

/*
 * lBias, lStandardBias, lDaylightBias: UTC = local + bias (minutes), so
 * lBias is minus the standard offset and lDaylightBias minus DST's extra
 */
static void put_biases(struct sbuf *out, const struct tz_period *p)
{
	put32(out, -(p->std_off / 60));
	put32(out, 0);
	put32(out, p->dst ? -((p->dst_off - p->std_off) / 60) : 0);
}

static void put_dates(struct sbuf *out, const struct tz_period *p, bool with_years)
{
	if (with_years)
		put16(out, 0);	/* wStandardYear */
	if (p->dst)
		put_systemtime(out, &p->y0.to_std, onset_week(p->std_last, p->std_nth));
	else
		put_zero(out, 16);
	if (with_years)
		put16(out, 0);	/* wDaylightYear */
	if (p->dst)
		put_systemtime(out, &p->y0.to_dst, onset_week(p->dst_last, p->dst_nth));
	else
		put_zero(out, 16);
}

/* a fixed zone's one period: no DST */
static struct tz_period fixed_period(const struct tzone *z, int year)
{
	return (struct tz_period){ .first = year, .last = year,
				   .std_off = z->fixed_min * 60, .dst_off = z->fixed_min * 60 };
}

/* the period holding year, the rule read over a few years around it (n-th or last weekday) */
static struct tz_period period_of_year(const struct tzone *z, int year)
{
	if (!z->gtz)
		return fixed_period(z, year);
	size_t n = 0;
	struct tz_period *ps = zone_periods(z, year - 3, year + 3, &n);
	struct tz_period p = ps[0];
	for (size_t i = 0; i < n; i++)
		if (ps[i].first <= year && year <= ps[i].last)
			p = ps[i];
	free(ps);
	return p;
}

void tzone_tzreg(const struct tzone *z, int year, struct sbuf *out)
{
	struct tz_period p = period_of_year(z, year);
	put_biases(out, &p);
	put_dates(out, &p, true);
}

static void put_tzrule(struct sbuf *out, const struct tz_period *p, int year, unsigned flags)
{
	sbuf_add(out, "\x02\x01", 2);	/* major 2, minor 1 */
	put16(out, 0x003e);
	put16(out, flags);
	/*
	 * wYear and X: Outlook writes the rest of a SYSTEMTIME (the rule's
	 * start, January 1st) where the spec shows X; we write what Outlook does
	 */
	put16(out, (unsigned)year);
	put16(out, 1);		/* month */
	put16(out, 0);		/* day of week */
	put16(out, 1);		/* day */
	put_zero(out, 8);
	put_biases(out, p);
	put_dates(out, p, false);
}

void tzone_tzdefinition(const struct tzone *z, int first, int last, unsigned flags,
			struct sbuf *out)
{
	size_t n = 1;
	struct tz_period *ps;
	if (z->gtz) {
		/* years before the first settle whether a rule is "last" or n-th */
		ps = zone_periods(z, first - 3, last, &n);
	} else {
		ps = xreallocarray(NULL, 1, sizeof(*ps));
		ps[0] = fixed_period(z, first);
	}
	size_t cch = strlen(z->name);
	sbuf_add(out, "\x02\x01", 2);
	put16(out, (unsigned)(6 + 2 * cch));	/* cbHeader: reserved, cch, name, cRules */
	put16(out, 0x0002);
	put16(out, (unsigned)cch);
	for (size_t i = 0; i < cch; i++)	/* an IANA name or "UTC+07:00" is ASCII */
		put16(out, (unsigned char)z->name[i]);
	size_t skip = 0;	/* periods over before the first year */
	while (skip + 1 < n && ps[skip].last < first)
		skip++;
	put16(out, (unsigned)(n - skip));
	for (size_t i = skip; i < n; i++) {
		/* the rule in effect is the latest; exactly one carries the flag */
		unsigned f = i + 1 == n ? (flags | TZRULE_FLAG_EFFECTIVE_TZREG) : 0;
		put_tzrule(out, &ps[i], ps[i].first < first ? first : ps[i].first, f);
	}
	free(ps);
}

void tzone_description(const struct tzone *z, struct sbuf *out)
{
	/*
	 * the standard (lower) offset, as Windows names zones; of a fixed
	 * year so that the same zone always reads the same
	 */
	int off = z->gtz ? period_of_year(z, 2025).std_off / 60 : z->fixed_min;
	int a = off < 0 ? -off : off;
	sbuf_addf(out, "(UTC%c%02d:%02d) %s", off < 0 ? '-' : '+', a / 60, a % 60, z->name);
}
