/*
 * The groupware item's bookkeeping (gwitem.h): making, filling and
 * releasing one, and the calendar arithmetic its wall-clock times need.
 */
#include "core/gwitem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

void gw_item_init(struct gw_item *it, enum item_kind kind)
{
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->priority = 1;
	it->busy = GW_BUSY;
	it->intended_busy = -1;
	it->estimated_min = it->actual_min = -1;
	it->color = -1;
	it->left = it->top = it->width = it->height = -1;
}

static void person_release(struct gw_person *p)
{
	free(p->name);
	free(p->addr);
}

void gw_recur_free(struct gw_recur *r)
{
	if (!r)
		return;
	free(r->deleted);
	for (size_t i = 0; i < r->nchanged; i++) {
		free(r->changed[i].subject);
		free(r->changed[i].location);
		free(r->changed[i].body);
	}
	free(r->changed);
	free(r);
}

void gw_item_release(struct gw_item *it)
{
	free(it->id);
	free(it->uid);
	free(it->subject);
	free(it->body);
	for (size_t i = 0; i < it->ncategories; i++)
		free(it->categories[i]);
	free(it->categories);
	free(it->location);
	person_release(&it->organizer);
	person_release(&it->creator);
	for (size_t i = 0; i < it->nattendees; i++)
		person_release(&it->attendees[i].who);
	free(it->attendees);
	gw_recur_free(it->recur);
	free(it->mileage);
	free(it->billing);
	free(it->companies);
	for (size_t i = 0; i < GWC_COUNT; i++)
		free(it->cfield[i]);
	for (size_t i = 0; i < it->nmembers; i++)
		person_release(&it->members[i]);
	free(it->members);
	for (size_t i = 0; i < it->nextra; i++) {
		free(it->extra[i].name);
		free(it->extra[i].value);
	}
	free(it->extra);
	free(it->recovered);
	gw_item_init(it, it->kind);
}

void gw_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

/* a category once, compared as Outlook does (without regard to case) */
void gw_add_category(struct gw_item *it, const char *cat)
{
	for (size_t i = 0; i < it->ncategories; i++)
		if (!strcasecmp(it->categories[i], cat))
			return;
	it->categories = xreallocarray(it->categories, it->ncategories + 1, sizeof(char *));
	it->categories[it->ncategories++] = xstrdup(cat);
}

void gw_add_extra(struct gw_item *it, const char *name, const char *value)
{
	it->extra = xreallocarray(it->extra, it->nextra + 1, sizeof(*it->extra));
	it->extra[it->nextra].name = xstrdup(name);
	it->extra[it->nextra].value = xstrdup(value ? value : "");
	it->nextra++;
}

const char *gw_kind_name(enum item_kind kind)
{
	switch (kind) {
	case ITEM_CALENDAR:
		return "calendar";
	case ITEM_CONTACT:
		return "contact";
	case ITEM_TASK:
		return "task";
	case ITEM_NOTE:
		return "note";
	case ITEM_MAIL:
		break;
	}
	return "mail";
}

enum item_kind gw_kind_of_class(const char *folder_class)
{
	static const struct {
		const char *prefix;
		enum item_kind kind;
	} classes[] = {
		{ "IPF.Appointment", ITEM_CALENDAR },
		{ "IPF.Contact", ITEM_CONTACT },
		{ "IPF.Task", ITEM_TASK },
		{ "IPF.StickyNote", ITEM_NOTE },
	};
	if (!folder_class)
		return ITEM_MAIL;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		size_t n = strlen(classes[i].prefix);
		if (!strncasecmp(folder_class, classes[i].prefix, n) &&
		    (folder_class[n] == '\0' || folder_class[n] == '.'))
			return classes[i].kind;
	}
	return ITEM_MAIL;
}

int gw_time_cmp(const struct gw_time *a, const struct gw_time *b)
{
	if (a->set != b->set)
		return a->set ? 1 : -1;
	int64_t x = gw_time_as_unix(a), y = gw_time_as_unix(b);
	return (x > y) - (x < y);
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t gw_time_as_unix(const struct gw_time *t)
{
	return days_from_civil(t->year, t->month, t->day) * 86400 +
	       t->hour * 3600 + t->minute * 60 + t->second;
}

struct gw_time gw_time_from_unix(int64_t t)
{
	struct gw_time g = { .set = true };
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &g.year, &g.month, &g.day);
	g.hour = (int)(secs / 3600);
	g.minute = (int)(secs / 60 % 60);
	g.second = (int)(secs % 60);
	return g;
}

struct gw_time gw_time_add_days(struct gw_time t, int n)
{
	struct gw_time r = gw_time_from_unix(gw_time_as_unix(&t) + (int64_t)n * 86400);
	r.date_only = t.date_only;
	r.set = t.set;
	return r;
}

int gw_weekday(const struct gw_time *t)
{
	int64_t days = days_from_civil(t->year, t->month, t->day);
	int64_t w = (days + 4) % 7;	/* 1970-01-01 was a Thursday */
	return (int)(w < 0 ? w + 7 : w);
}
