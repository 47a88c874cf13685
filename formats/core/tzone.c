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
	 * the offset at local read as UTC is off by at most the zone's
	 * offset; once more with the offset at that guess settles it.  A
	 * local time a DST gap skips takes the offset before the gap
	 * (02:30 on a spring-forward night is 03:30 daylight time).
	 */
	int first = offset_at_utc(z, local);
	int64_t guess = local - (int64_t)first * 60;
	int second = offset_at_utc(z, guess);
	if (second == first)
		return guess;
	int64_t again = local - (int64_t)second * 60;
	if (offset_at_utc(z, again) == second)
		return again;
	return local - (int64_t)(first < second ? first : second) * 60;
}

int tzone_offset(const struct tzone *z, const struct gw_time *t)
{
	return (int)((gw_time_as_unix(t) - tzone_to_utc(z, t)) / 60);
}

struct gw_time tzone_from_utc(const struct tzone *z, int64_t t)
{
	return gw_time_from_unix(t + (int64_t)offset_at_utc(z, t) * 60);
}

void tzone_description(const struct tzone *z, struct sbuf *out)
{
	struct gw_time jan = { .year = 2001, .month = 1, .day = 1, .set = true };
	int off = z->gtz ? offset_at_utc(z, gw_time_as_unix(&jan)) : z->fixed_min;
	int a = off < 0 ? -off : off;
	sbuf_addf(out, "(UTC%c%02d:%02d) %s", off < 0 ? '-' : '+', a / 60, a % 60, z->name);
}
