/*
 * A groupware item (issue 14): a calendar event, a contact, a task or a
 * note, as a reader understood it, in no output's vocabulary.  A reader
 * hands one out as a struct mail_msg whose kind is not ITEM_MAIL and whose
 * gw points here; the message's body is then the item's own bytes in the
 * source (MDaemon: the <Event>...</Event> element as it stands in
 * Calendar.mrk), so that the manifest's SHA-256 is that of the source
 * item.  Writers turn it into what their format holds (core/gwtext.h:
 * iCalendar, vCard, text; the PST writer: Outlook items).
 *
 * Times are the store's local wall-clock times (MDaemon keeps no zone);
 * the item's zone says how to read them (core/tzone.h).  Every string is
 * UTF-8, owned by the item; NULL or "" means absent.  What the reader met
 * and did not understand is kept in extra, never dropped.
 */
#ifndef MDX_GWITEM_H
#define MDX_GWITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conv.h"

struct tzone;			/* core/tzone.h */

/* a local wall-clock time (or a date: date_only); set false: absent */
struct gw_time {
	int year;
	int month, day, hour, minute, second;
	bool set;
	bool date_only;
};

enum gw_role { GW_REQUIRED = 0, GW_OPTIONAL = 1, GW_RESOURCE = 2 };
enum gw_partstat { GW_NEEDS_ACTION = 0, GW_ACCEPTED = 1, GW_DECLINED = 2, GW_TENTATIVE = 3 };
/* MDaemon's and Outlook's busy codes are the same numbers */
enum gw_busy { GW_FREE = 0, GW_BUSY_TENTATIVE = 1, GW_BUSY = 2, GW_OOF = 3 };

struct gw_person {
	char *name;		/* display name; NULL: none */
	char *addr;		/* e-mail address; NULL: none */
};

struct gw_attendee {
	struct gw_person who;
	enum gw_role role;
	enum gw_partstat status;
	bool invite, sent;	/* MDaemon's send-invite and invite-sent flags */
};

/* a changed occurrence of a series: what it changes (NULL / -1: as the series) */
struct gw_change {
	struct gw_time original;	/* the occurrence it replaces: its date at the
					 * series' start time of day */
	struct gw_time start, end;	/* its own times */
	char *subject, *location, *body;
	int busy;		/* enum gw_busy, or -1 */
	int reminder_set;	/* 0/1, or -1 */
	int reminder_min;	/* or -1 */
};

enum gw_freq { GW_DAILY = 1, GW_WEEKLY, GW_MONTHLY, GW_YEARLY };

struct gw_recur {
	int md_type, md_subtype;	/* the source's codes, as read */
	enum gw_freq freq;
	bool every_weekday;	/* daily, Monday to Friday (MDaemon 1/1) */
	unsigned interval;	/* >= 1 */
	unsigned dow_mask;	/* 1 Sunday, 2 Monday ... 64 Saturday ([MS-OXOCAL]'s bits too) */
	unsigned day_of_month;	/* 1..31; 0: none */
	unsigned month;		/* 1..12; 0: none */
	int instance;		/* the n-th weekday: 1..4, -1 last; 0: by day of month */
	unsigned count;		/* ends after this many occurrences; 0: by until/never */
	struct gw_time start;	/* the series' first occurrence */
	struct gw_time until;	/* its last day (local); unset: no end (year 4500) */
	struct gw_time *deleted;	/* occurrences removed: dates (at the series' time of day) */
	size_t ndeleted;
	struct gw_change *changed;	/* occurrences changed, by original date */
	size_t nchanged;
	bool has_bias;
	int bias;		/* <TimeZone Bias>: minutes, UTC = local + bias */
	bool sliding;		/* tasks: the next one is due after the last is done */
};

/*
 * Contact fields.  Only fullName and email are confirmed names in
 * AddrBook.mrk; the rest follow MDaemon's WorldClient API (README).
 */
enum gw_cfield {
	GWC_FULL_NAME, GWC_GIVEN, GWC_MIDDLE, GWC_SURNAME, GWC_PREFIX, GWC_SUFFIX,
	GWC_NICKNAME, GWC_FILE_AS,
	GWC_EMAIL1, GWC_EMAIL2, GWC_EMAIL3,
	GWC_COMPANY, GWC_JOB_TITLE, GWC_DEPARTMENT, GWC_OFFICE, GWC_ASSISTANT, GWC_MANAGER,
	GWC_HOME_STREET, GWC_HOME_CITY, GWC_HOME_STATE, GWC_HOME_ZIP, GWC_HOME_COUNTRY,
	GWC_WORK_STREET, GWC_WORK_CITY, GWC_WORK_STATE, GWC_WORK_ZIP, GWC_WORK_COUNTRY,
	GWC_OTHER_STREET, GWC_OTHER_CITY, GWC_OTHER_STATE, GWC_OTHER_ZIP, GWC_OTHER_COUNTRY,
	GWC_WEB_WORK, GWC_WEB_HOME,
	GWC_PHONE_MOBILE, GWC_PHONE_WORK, GWC_PHONE_WORK2, GWC_PHONE_HOME, GWC_PHONE_HOME2,
	GWC_PHONE_COMPANY, GWC_PHONE_ASSISTANT, GWC_FAX_WORK, GWC_FAX_HOME, GWC_PHONE_CAR,
	GWC_PAGER, GWC_PHONE_RADIO, GWC_PHONE_OTHER,
	GWC_SPOUSE, GWC_CHILDREN,
	GWC_BIRTHDAY,		/* "YYYY-MM-DD" */
	GWC_ANNIVERSARY,	/* "YYYY-MM-DD" */
	GWC_IM,
	GWC_COUNT
};

/* a field or attribute the reader did not understand, kept as it was */
struct gw_extra {
	char *name;		/* "Event/Foo", "Event@Bar": where it was */
	char *value;
};

struct gw_item {
	enum item_kind kind;	/* ITEM_CALENDAR, ITEM_CONTACT, ITEM_TASK, ITEM_NOTE */
	char *id;		/* the source's ID (Event ID="7"), or NULL */
	char *uid;		/* iCalendar/vCard UID: the source's, else a stable derived one */
	const struct tzone *zone;	/* how to read its times (never NULL) */

	char *subject;		/* notes: the first line of the body */
	char *body;		/* plain text */
	char **categories;
	size_t ncategories;
	int priority;		/* 0 low, 1 normal, 2 high */
	bool private_item;
	struct gw_time created, modified;	/* local */

	/* events */
	struct gw_time start, end;	/* all-day: end is the last day itself (inclusive) */
	bool all_day;
	char *location;
	struct gw_person organizer;	/* Planner; empty: no organizer */
	struct gw_person creator;
	struct gw_attendee *attendees;
	size_t nattendees;
	int busy, intended_busy;	/* enum gw_busy; intended -1: not given */
	int sequence;
	bool reminder_set;
	int reminder_min;	/* minutes before start */
	struct gw_recur *recur;	/* NULL: a single occurrence (tasks too) */

	/* tasks (start and recur above too) */
	struct gw_time due, completed_on, reminder_at;
	int task_status;	/* 0 not started, 1 in progress, 2 done, 3 waiting, 4 deferred */
	int percent;		/* 0..100 */
	bool complete;
	int estimated_min, actual_min;	/* -1: not given */
	char *mileage, *billing, *companies;

	/* notes */
	int color;		/* 0 blue, 1 green, 2 pink, 3 yellow, 4 white; -1 not given */
	int left, top, width, height;	/* -1: not given */

	/* contacts */
	char *cfield[GWC_COUNT];
	bool is_group;		/* a distribution list: members below */
	struct gw_person *members;
	size_t nmembers;

	struct gw_extra *extra;	/* what was not understood, in source order */
	size_t nextra;
	/*
	 * NULL: converted whole.  Else why not ("the file ends inside it; its
	 * End was lost"), and categories carry MDaemon-Recovered (and
	 * MDaemon-OrganizerRecovered when the organizer was supplied)
	 */
	char *recovered;
};

#define GW_CAT_RECOVERED "MDaemon-Recovered"
#define GW_CAT_ORGANIZER_RECOVERED "MDaemon-OrganizerRecovered"

void gw_item_init(struct gw_item *it, enum item_kind kind);
void gw_item_release(struct gw_item *it);
void gw_recur_free(struct gw_recur *r);
void gw_add_category(struct gw_item *it, const char *cat);
void gw_add_extra(struct gw_item *it, const char *name, const char *value);
/* gw_set: replace *field by a copy of value (NULL: cleared) */
void gw_set(char **field, const char *value);

/* gw_kind_name: "calendar", "contact", "task", "note", "mail" (manifests, reports) */
const char *gw_kind_name(enum item_kind kind);
/* gw_kind_of_class: the item kind a folder class holds (IPF.Appointment ...); ITEM_MAIL else */
enum item_kind gw_kind_of_class(const char *folder_class);

/* gw_time_cmp: <0, 0, >0 as a is before, at, after b (unset sorts first) */
int gw_time_cmp(const struct gw_time *a, const struct gw_time *b);
/* gw_time_add_days: t moved by n days (calendar arithmetic, proleptic Gregorian) */
struct gw_time gw_time_add_days(struct gw_time t, int n);
/* gw_weekday: 0 Sunday .. 6 Saturday */
int gw_weekday(const struct gw_time *t);
/* gw_time_as_unix: t read as UTC (for arithmetic on wall-clock times) */
int64_t gw_time_as_unix(const struct gw_time *t);
struct gw_time gw_time_from_unix(int64_t t);

#endif
