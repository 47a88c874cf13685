#include "filter.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

int parse_size(const char *text, uint64_t *bytes)
{
	const char *p = text;
	uint64_t n = 0;
	if (!p || *p < '0' || *p > '9')
		return -1;	/* empty, a sign, a space */
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	static const char units[] = "KMGT";
	const char *u = *p ? strchr(units, *p & ~0x20) : NULL;
	if (u) {
		for (unsigned shift = 10 * (unsigned)(u - units + 1); shift; shift -= 10) {
			if (n > UINT64_MAX >> 10)
				return -1;
			n <<= 10;
		}
		p++;
	}
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -1;
	*bytes = n;
	return 0;
}

/* digits: exactly n decimal digits at *p (advanced past them) into *v */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

static int days_in(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* zone: "", "Z" or "+HH:MM" / "-HH:MM" / "+HHMM": seconds east of UTC */
static bool zone(const char *p, int *east)
{
	int hh, mm;
	*east = 0;
	if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
		return true;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (!digits(&p, 2, &mm) || *p || hh > 23 || mm > 59)
		return false;
	*east = sign * (hh * 3600 + mm * 60);
	return true;
}

int filter_parse_date(const char *text, bool end, int64_t *t)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, east = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo))
		return -1;
	bool bare = !*p;
	if (!bare) {
		if ((*p != 'T' && *p != 't') || (p++, !digits(&p, 2, &h)) || *p++ != ':' ||
		    !digits(&p, 2, &mi) || (*p == ':' && (p++, !digits(&p, 2, &s))) ||
		    h > 23 || mi > 59 || s > 59 || !zone(p, &east))
			return -1;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	*t = (int64_t)timegm(&tm) - east + (bare && end ? 86399 : 0);
	return 0;
}

void filter_add_folder(struct filter *f, const char *glob)
{
	f->folders = xreallocarray(f->folders, f->nfolders + 1, sizeof(*f->folders));
	f->folders[f->nfolders++] = glob;
}

void filter_add_exclude(struct filter *f, const char *glob)
{
	f->excludes = xreallocarray(f->excludes, f->nexcludes + 1, sizeof(*f->excludes));
	f->excludes[f->nexcludes++] = glob;
}

void filter_release(struct filter *f)
{
	free(f->folders);
	free(f->excludes);
	*f = (struct filter){ 0 };
}

bool filter_by_msg(const struct filter *f)
{
	return f->has_since || f->has_until || f->has_min || f->has_max;
}

bool filter_any(const struct filter *f)
{
	return filter_by_msg(f) || f->nfolders || f->nexcludes;
}

/* any_match: path matches one of the globs ('*' stays within a level) */
static bool any_match(const char *const *globs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], path, FNM_PATHNAME | FNM_CASEFOLD) == 0)
			return true;
	return false;
}

bool filter_folder(const struct filter *f, const char *path)
{
	if (f->nfolders && !any_match(f->folders, f->nfolders, path))
		return false;
	return !any_match(f->excludes, f->nexcludes, path);
}

bool filter_msg(const struct filter *f, const struct mail_msg *m)
{
	return (!f->has_since || m->received >= f->since) &&
	       (!f->has_until || m->received <= f->until) &&
	       (!f->has_min || m->size >= f->min_size) &&
	       (!f->has_max || m->size <= f->max_size);
}

static void json_time(struct sbuf *out, bool has, int64_t t)
{
	if (!has) {
		sbuf_adds(out, "null");
		return;
	}
	sbuf_addch(out, '"');
	sbuf_add_utc(out, t);
	sbuf_addch(out, '"');
}

static void json_globs(struct sbuf *out, const char *const *globs, size_t n)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_addch(out, ',');
		sbuf_add_json_str(out, globs[i]);
	}
	sbuf_addch(out, ']');
}

static void json_size(struct sbuf *out, bool has, uint64_t n)
{
	if (has)
		sbuf_addf(out, "%llu", (unsigned long long)n);
	else
		sbuf_adds(out, "null");
}

void filter_json(const struct filter *f, struct sbuf *out)
{
	sbuf_adds(out, "{\"since\":");
	json_time(out, f->has_since, f->since);
	sbuf_adds(out, ",\"until\":");
	json_time(out, f->has_until, f->until);
	sbuf_adds(out, ",\"folder\":");
	json_globs(out, f->folders, f->nfolders);
	sbuf_adds(out, ",\"exclude_folder\":");
	json_globs(out, f->excludes, f->nexcludes);
	sbuf_adds(out, ",\"min_size\":");
	json_size(out, f->has_min, f->min_size);
	sbuf_adds(out, ",\"max_size\":");
	json_size(out, f->has_max, f->max_size);
	sbuf_addch(out, '}');
}
