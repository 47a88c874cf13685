/*
 * gwtext-dump DIR: writes DIR/calendar.ics, tasks.ics, contacts4.vcf,
 * contacts3.vcf and notes.txt from groupware items built here, through
 * core/gwtext.h as the writers use it (begin, items, end).  A test driver
 * only (tests/e2e/t8610-gwtext.py reads the files back with
 * tests/lib/icscheck.py); not installed, not run by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gwtext.h"
#include "core/tzone.h"
#include "core/xalloc.h"

static struct gw_time tm(int y, int mo, int d, int h, int mi)
{
	return (struct gw_time){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi,
				 .set = true };
}

static void attendee(struct gw_item *it, const char *name, const char *addr, enum gw_role role,
		     enum gw_partstat st)
{
	it->attendees = xreallocarray(it->attendees, it->nattendees + 1, sizeof(*it->attendees));
	struct gw_attendee *a = &it->attendees[it->nattendees++];
	memset(a, 0, sizeof(*a));
	a->who.name = xstrdup(name);
	a->who.addr = xstrdup(addr);
	a->role = role;
	a->status = st;
	a->invite = true;
}

static struct gw_recur *recur(enum gw_freq freq, struct gw_time start)
{
	struct gw_recur *r = xcalloc(1, sizeof(*r));
	r->freq = freq;
	r->interval = 1;
	r->start = start;
	r->until = tm(4500, 8, 31, 0, 0);
	return r;
}

/* the series of mdaemon-groupware.md 4.3, and more: Monday, Wednesday, Friday at 09:00 */
static void standup(struct gw_item *it, const struct tzone *paris)
{
	gw_item_init(it, ITEM_CALENDAR);
	it->zone = paris;
	gw_set(&it->uid, "5d0e6a3c9b2f4e17a8c1f0b9d6e4a302");
	gw_set(&it->id, "11");
	gw_set(&it->subject, "Team stand-up \xc3\xa9quipe \xe2\x80\x94 a long subject that has to be "
			     "folded over more than one line, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e too");
	gw_set(&it->body, "Bring: notes; figures, and \\ backslashes\r\nSecond line");
	gw_set(&it->location, "Room 2, floor 3");
	gw_add_category(it, "Team");
	gw_add_category(it, "Daily, short");
	it->sequence = 2;
	it->priority = 2;
	it->modified = tm(2024, 3, 4, 16, 15);
	it->modified.second = 20;
	it->start = tm(2024, 1, 8, 9, 0);
	it->end = tm(2024, 1, 8, 9, 30);
	it->reminder_set = true;
	it->reminder_min = 10;
	it->intended_busy = GW_BUSY;
	gw_set(&it->organizer.name, "Lead, Team");
	gw_set(&it->organizer.addr, "lead@example.com");
	gw_set(&it->creator.addr, "assistant@example.com");
	attendee(it, "Ana Ruiz", "ana.ruiz@example.com", GW_REQUIRED, GW_ACCEPTED);
	attendee(it, "Tom \"T\" Berg", "tom.berg@example.com", GW_OPTIONAL, GW_NEEDS_ACTION);
	attendee(it, "Projector 1", "projector1@example.com", GW_RESOURCE, GW_TENTATIVE);
	struct gw_recur *r = recur(GW_WEEKLY, it->start);
	r->md_type = 2;
	r->md_subtype = 1;
	r->dow_mask = 2 | 8 | 32;
	r->deleted = xcalloc(1, sizeof(*r->deleted));
	r->deleted[0] = tm(2024, 1, 10, 9, 0);
	r->ndeleted = 1;
	r->changed = xcalloc(1, sizeof(*r->changed));
	r->changed[0] = (struct gw_change){ .original = tm(2024, 1, 12, 9, 0),
					    .start = tm(2024, 1, 12, 11, 0),
					    .end = tm(2024, 1, 12, 11, 30), .busy = -1,
					    .reminder_set = -1, .reminder_min = -1 };
	r->changed[0].subject = xstrdup("Stand-up (moved)");
	r->nchanged = 1;
	r->has_bias = true;
	r->bias = -60;
	it->recur = r;
	gw_add_extra(it, "Event/Colour", "red");
}

static void all_day(struct gw_item *it, const struct tzone *paris)
{
	gw_item_init(it, ITEM_CALENDAR);
	it->zone = paris;
	gw_set(&it->uid, "0b77d0e4a1c94f2f9e8a6b3c2d1e0f55");
	gw_set(&it->subject, "Office closed");
	it->all_day = true;
	it->start = tm(2024, 4, 1, 0, 0);
	it->end = tm(2024, 4, 2, 23, 59);
	it->busy = GW_FREE;
	it->private_item = true;
	it->priority = 0;
	it->created = tm(2024, 2, 20, 8, 40);
}

/* the last Friday of the month, five times, across New York's DST change */
static void last_friday(struct gw_item *it, const struct tzone *ny)
{
	gw_item_init(it, ITEM_CALENDAR);
	it->zone = ny;
	gw_set(&it->uid, "last-friday@example.com");
	gw_set(&it->subject, "Month end");
	it->start = tm(2024, 1, 26, 16, 0);
	it->end = tm(2024, 1, 26, 17, 0);
	it->modified = tm(2024, 1, 2, 12, 0);
	struct gw_recur *r = recur(GW_MONTHLY, it->start);
	r->md_type = 3;
	r->md_subtype = 3;
	r->dow_mask = 32;
	r->instance = -1;
	r->count = 5;
	it->recur = r;
}

/* every other day until a date, in a fixed zone */
static void fixed_daily(struct gw_item *it, const struct tzone *fixed)
{
	gw_item_init(it, ITEM_CALENDAR);
	it->zone = fixed;
	gw_set(&it->uid, "fixed-daily@example.com");
	gw_set(&it->subject, "Backup check");
	it->start = tm(2023, 1, 3, 8, 0);
	it->end = tm(2023, 1, 3, 8, 15);
	it->modified = tm(2023, 1, 1, 10, 0);
	struct gw_recur *r = recur(GW_DAILY, it->start);
	r->md_type = 1;
	r->interval = 2;
	r->until = tm(2023, 1, 11, 0, 0);
	it->recur = r;
}

static void recovered(struct gw_item *it, const struct tzone *paris)
{
	gw_item_init(it, ITEM_CALENDAR);
	it->zone = paris;
	gw_set(&it->uid, "recovered@example.com");
	gw_set(&it->subject, "Half an event");
	it->start = tm(2024, 7, 1, 14, 0);
	gw_set(&it->recovered, "the file ends inside it; its End was lost");
	gw_add_category(it, GW_CAT_RECOVERED);
	gw_add_extra(it, "Event@Strange", "1");
}

static void task(struct gw_item *it, const struct tzone *paris, int n)
{
	gw_item_init(it, ITEM_TASK);
	it->zone = paris;
	char uid[32];
	snprintf(uid, sizeof(uid), "task-%d@example.com", n);
	gw_set(&it->uid, uid);
	it->modified = tm(2024, 3, 4, 11, 0);
	if (n == 1) {
		gw_set(&it->subject, "Send VAT return");
		gw_set(&it->body, "Figures are in the shared drive.");
		it->priority = 2;
		it->task_status = 1;
		it->percent = 40;
		it->start = tm(2024, 3, 1, 0, 0);
		it->start.date_only = true;
		it->due = tm(2024, 3, 20, 0, 0);
		it->due.date_only = true;
		it->reminder_set = true;
		it->reminder_at = tm(2024, 3, 19, 9, 0);
		it->estimated_min = 90;
	} else if (n == 2) {
		gw_set(&it->subject, "Done already");
		it->task_status = 2;
		it->complete = true;
		it->percent = 100;
		it->completed_on = tm(2024, 2, 1, 17, 30);
		it->due = tm(2024, 2, 1, 18, 0);
	} else {
		gw_set(&it->subject, "Waiting for the auditor");
		it->task_status = 3;
		it->start = tm(2024, 3, 4, 0, 0);
		it->start.date_only = true;
		struct gw_recur *r = recur(GW_WEEKLY, it->start);
		r->dow_mask = 2;
		r->sliding = true;
		r->count = 3;
		it->recur = r;
	}
}

static void contact(struct gw_item *it, int n)
{
	gw_item_init(it, ITEM_CONTACT);
	if (n == 1) {
		gw_set(&it->uid, "{3F2A9C1E-7B44-4D0E-9A61-2C8E5B7D1F03}");
		gw_set(&it->cfield[GWC_FULL_NAME], "Ana Ruiz");
		gw_set(&it->cfield[GWC_GIVEN], "Ana");
		gw_set(&it->cfield[GWC_SURNAME], "Ruiz");
		gw_set(&it->cfield[GWC_EMAIL1], "ana.ruiz@example.com");
		gw_set(&it->cfield[GWC_EMAIL2], "ana@home.example");
		gw_set(&it->cfield[GWC_COMPANY], "Example Tools; Ltd");
		gw_set(&it->cfield[GWC_DEPARTMENT], "Sales");
		gw_set(&it->cfield[GWC_JOB_TITLE], "Buyer");
		gw_set(&it->cfield[GWC_PHONE_WORK], "+44 20 7946 0000");
		gw_set(&it->cfield[GWC_PHONE_MOBILE], "+44 7700 900123");
		gw_set(&it->cfield[GWC_FAX_WORK], "+44 20 7946 0001");
		gw_set(&it->cfield[GWC_WORK_STREET], "1 High Street");
		gw_set(&it->cfield[GWC_WORK_CITY], "London");
		gw_set(&it->cfield[GWC_WORK_ZIP], "EC1A 1AA");
		gw_set(&it->cfield[GWC_WORK_COUNTRY], "United Kingdom");
		gw_set(&it->cfield[GWC_HOME_CITY], "Bath");
		gw_set(&it->cfield[GWC_WEB_WORK], "https://tools.example.com/");
		gw_set(&it->cfield[GWC_BIRTHDAY], "1980-05-17");
		gw_set(&it->cfield[GWC_ANNIVERSARY], "2005-09-03");
		gw_set(&it->cfield[GWC_SPOUSE], "Luis");
		gw_set(&it->body, "Met at the fair,\nprefers e-mail.");
		gw_add_category(it, "Suppliers");
		gw_add_extra(it, "contact/pager2", "555");
	} else {
		gw_set(&it->uid, "group-7");
		gw_set(&it->cfield[GWC_FULL_NAME], "Finance team");
		it->is_group = true;
		it->members = xcalloc(2, sizeof(*it->members));
		it->members[0].addr = xstrdup("cfo@example.com");
		it->members[0].name = xstrdup("CFO");
		it->members[1].addr = xstrdup("clerk@example.com");
		it->nmembers = 2;
	}
}

static void note(struct gw_item *it, const struct tzone *paris)
{
	gw_item_init(it, ITEM_NOTE);
	it->zone = paris;
	gw_set(&it->uid, "note-2");
	gw_set(&it->subject, "Door code changes on 1 April.");
	gw_set(&it->body, "Door code changes on 1 April.\nNew code: 4711");
	it->color = 3;
	it->left = 120;
	it->top = 80;
	it->width = 240;
	it->height = 200;
	it->created = tm(2024, 2, 28, 14, 3);
	it->modified = tm(2024, 7, 1, 9, 12);
	gw_set(&it->creator.addr, "ana.ruiz@example.com");
	gw_add_category(it, "Office");
}

static int write_file(const char *dir, const char *name, enum gwtext_kind kind, unsigned vcard,
		      struct gw_item *items, size_t n)
{
	struct gwtext_opts o = { .vcard_version = vcard };
	struct gwtext_file f;
	struct sbuf out = SBUF_INIT, path = SBUF_INIT;
	gwtext_file_init(&f, kind, &o);
	gwtext_begin(&f, &out);
	for (size_t i = 0; i < n; i++)
		gwtext_item(&f, &items[i], &out);
	gwtext_end(&f, &out);
	gwtext_file_release(&f);
	sbuf_addf(&path, "%s/%s", dir, name);
	FILE *fp = fopen(path.buf, "wb");
	int rc = !fp || fwrite(out.buf, 1, out.len, fp) != out.len;
	if (fp && fclose(fp))
		rc = 1;
	if (rc)
		perror(path.buf);
	sbuf_release(&out);
	sbuf_release(&path);
	return rc;
}

static void release_all(struct gw_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gw_item_release(&items[i]);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gwtext-dump DIR\n");
		return 2;
	}
	struct sbuf err = SBUF_INIT;
	struct tzone *paris = tzone_new_iana("Europe/Paris", &err);
	struct tzone *ny = tzone_new_iana("America/New_York", &err);
	struct tzone *fixed = tzone_new_fixed(7 * 60);
	if (!paris || !ny) {
		fprintf(stderr, "gwtext-dump: %s\n", err.buf);
		return 1;
	}
	int rc = 0;
	struct gw_item cal[5];
	standup(&cal[0], paris);
	all_day(&cal[1], paris);
	last_friday(&cal[2], ny);
	fixed_daily(&cal[3], fixed);
	recovered(&cal[4], paris);
	rc |= write_file(argv[1], "calendar.ics", GWTEXT_ICS, 4, cal, 5);
	release_all(cal, 5);

	struct gw_item tasks[3];
	for (int i = 0; i < 3; i++)
		task(&tasks[i], paris, i + 1);
	rc |= write_file(argv[1], "tasks.ics", GWTEXT_ICS, 4, tasks, 3);
	release_all(tasks, 3);

	struct gw_item cards[2];
	contact(&cards[0], 1);
	contact(&cards[1], 2);
	rc |= write_file(argv[1], "contacts4.vcf", GWTEXT_VCF, 4, cards, 2);
	rc |= write_file(argv[1], "contacts3.vcf", GWTEXT_VCF, 3, cards, 2);
	release_all(cards, 2);

	struct gw_item notes[1];
	note(&notes[0], paris);
	rc |= write_file(argv[1], "notes.txt", GWTEXT_TXT, 4, notes, 1);
	release_all(notes, 1);

	tzone_free(paris);
	tzone_free(ny);
	tzone_free(fixed);
	sbuf_release(&err);
	return rc;
}
