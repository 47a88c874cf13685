/*
 * Unit tests for core/gwtext.c: the exact text of a few items (an event in
 * a fixed zone with an attendee and an alarm, an all-day event, a task, a
 * vCard 4.0 and 3.0, a note), the file frame, one VTIMEZONE per zone per
 * file, escaping, and folding at 75 octets never inside a UTF-8 sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "core/gwtext.h"
#include "core/tzone.h"
#include "core/xalloc.h"
#include "unit.h"

static struct gw_time tm(int y, int mo, int d, int h, int mi)
{
	return (struct gw_time){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi,
				 .set = true };
}

static char *item_text(enum gwtext_kind kind, unsigned vcard, const struct gw_item *it)
{
	struct gwtext_opts o = { .vcard_version = vcard };
	struct gwtext_file f;
	struct sbuf out = SBUF_INIT;
	gwtext_file_init(&f, kind, &o);
	gwtext_item(&f, it, &out);
	gwtext_file_release(&f);
	return sbuf_detach(&out);
}

/* the text after the VTIMEZONE (tested in test-tzone) */
static const char *after_zone(const char *s)
{
	const char *p = strstr(s, "END:VTIMEZONE\r\n");
	return p ? p + strlen("END:VTIMEZONE\r\n") : s;
}

static void test_event(void)
{
	test_group("VEVENT");
	struct tzone *z = tzone_new_fixed(7 * 60);
	struct gw_item it;
	gw_item_init(&it, ITEM_CALENDAR);
	it.zone = z;
	gw_set(&it.uid, "e1@example.com");
	gw_set(&it.subject, "Plan; review, \\ done");
	gw_set(&it.body, "line 1\nline 2");
	it.start = tm(2024, 5, 6, 9, 0);
	it.end = tm(2024, 5, 6, 10, 30);
	it.modified = tm(2024, 5, 1, 12, 0);
	it.created = tm(2024, 4, 30, 8, 0);
	it.busy = GW_BUSY_TENTATIVE;
	it.reminder_set = true;
	it.reminder_min = 15;
	gw_set(&it.organizer.addr, "boss@example.com");
	it.attendees = xcalloc(1, sizeof(*it.attendees));
	it.attendees[0].who.addr = xstrdup("a@example.com");
	it.attendees[0].status = GW_DECLINED;
	it.nattendees = 1;
	char *s = item_text(GWTEXT_ICS, 4, &it);
	test_assert(!strncmp(s, "BEGIN:VTIMEZONE\r\nTZID:UTC+07:00\r\n", 33));
	test_assert_str(after_zone(s),
			"BEGIN:VEVENT\r\nUID:e1@example.com\r\nDTSTAMP:20240501T050000Z\r\n"
			"CREATED:20240430T010000Z\r\nLAST-MODIFIED:20240501T050000Z\r\nSEQUENCE:0\r\n"
			"DTSTART;TZID=\"UTC+07:00\":20240506T090000\r\n"
			"DTEND;TZID=\"UTC+07:00\":20240506T103000\r\n"
			"SUMMARY:Plan\\; review\\, \\\\ done\r\nDESCRIPTION:line 1\\nline 2\r\n"
			"PRIORITY:5\r\nTRANSP:OPAQUE\r\nX-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n"
			"ORGANIZER:mailto:boss@example.com\r\n"
			"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED:mailto:a@example.com\r\n"
			"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Plan\\; review\\, \\\\ done\r\n"
			"TRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n");
	free(s);

	/* all-day, monthly on the 2nd Tuesday until a date: no VTIMEZONE needed */
	gw_item_release(&it);
	it.zone = z;
	gw_set(&it.uid, "e2");
	it.all_day = true;
	it.start = tm(2024, 5, 14, 0, 0);
	it.end = tm(2024, 5, 14, 23, 59);
	it.recur = xcalloc(1, sizeof(*it.recur));
	it.recur->freq = GW_MONTHLY;
	it.recur->interval = 2;
	it.recur->dow_mask = 4;
	it.recur->instance = 2;
	it.recur->until = tm(2024, 12, 31, 0, 0);
	s = item_text(GWTEXT_ICS, 4, &it);
	test_assert_str(s, "BEGIN:VEVENT\r\nUID:e2\r\nDTSTAMP:19700101T000000Z\r\nSEQUENCE:0\r\n"
			"DTSTART;VALUE=DATE:20240514\r\nDTEND;VALUE=DATE:20240515\r\n"
			"RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU;UNTIL=20241231\r\n"
			"PRIORITY:5\r\nTRANSP:OPAQUE\r\nX-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nEND:VEVENT\r\n");
	free(s);
	gw_item_release(&it);
	tzone_free(z);
}

static void test_rrules(void)
{
	test_group("RRULE");
	struct gw_item it;
	gw_item_init(&it, ITEM_CALENDAR);
	gw_set(&it.uid, "r");
	it.start = tm(2024, 1, 1, 9, 0);
	it.recur = xcalloc(1, sizeof(*it.recur));
	struct {
		struct gw_recur r;
		const char *want;
	} cases[] = {
		{ { .freq = GW_DAILY, .every_weekday = true, .count = 10 },
		  "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10\r\n" },
		{ { .freq = GW_WEEKLY, .interval = 2, .dow_mask = 1 | 64 },
		  "RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=SU,SA\r\n" },
		{ { .freq = GW_MONTHLY, .interval = 1, .day_of_month = 31 },
		  "RRULE:FREQ=MONTHLY;BYMONTHDAY=31\r\n" },
		{ { .freq = GW_MONTHLY, .interval = 1, .dow_mask = 62, .instance = -1 },
		  "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1\r\n" },
		{ { .freq = GW_YEARLY, .interval = 1, .month = 3, .day_of_month = 15 },
		  "RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15\r\n" },
		{ { .freq = GW_YEARLY, .interval = 1, .month = 11, .dow_mask = 16, .instance = 4,
		    .until = { .year = 4500, .month = 8, .day = 31, .set = true } },
		  "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\r\n" },
		{ { .freq = GW_DAILY, .interval = 3, .until = { .year = 2024, .month = 2, .day = 1,
								.set = true } },
		  "RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20240201T235959Z\r\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*it.recur = cases[i].r;
		char *s = item_text(GWTEXT_ICS, 4, &it);
		char *line = strstr(s, "RRULE:");
		char *end = line ? strstr(line, "\r\n") : NULL;
		if (end)
			end[2] = '\0';
		test_assert_str(line, cases[i].want);
		free(s);
	}
	gw_item_release(&it);
}

static void test_task(void)
{
	test_group("VTODO");
	struct tzone *z = tzone_new_fixed(0);
	struct gw_item it;
	gw_item_init(&it, ITEM_TASK);
	it.zone = z;
	gw_set(&it.uid, "t1");
	gw_set(&it.subject, "Deferred one");
	it.task_status = 4;
	it.priority = 0;
	it.due = tm(2024, 6, 1, 0, 0);
	it.due.date_only = true;
	it.reminder_set = true;
	it.reminder_at = tm(2024, 5, 31, 9, 30);
	char *s = item_text(GWTEXT_ICS, 4, &it);
	test_assert_str(s, "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:19700101T000000Z\r\n"
			"DUE;VALUE=DATE:20240601\r\nSTATUS:NEEDS-ACTION\r\nX-MDAEMON-STATUS:DEFERRED\r\n"
			"SUMMARY:Deferred one\r\nPRIORITY:9\r\n"
			"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Deferred one\r\n"
			"TRIGGER;VALUE=DATE-TIME:20240531T093000Z\r\nEND:VALARM\r\nEND:VTODO\r\n");
	free(s);

	/* a date start and a timed due: one type, the date at midnight */
	it.start = tm(2024, 5, 30, 0, 0);
	it.start.date_only = true;
	it.due = tm(2024, 6, 1, 17, 0);
	s = item_text(GWTEXT_ICS, 4, &it);
	test_assert(strstr(s, "\r\nDTSTART;TZID=\"UTC+00:00\":20240530T000000\r\n"
			      "DUE;TZID=\"UTC+00:00\":20240601T170000\r\n") != NULL);
	free(s);
	gw_item_release(&it);
	tzone_free(z);
}

static void test_vcard(void)
{
	test_group("vCard");
	struct gw_item it;
	gw_item_init(&it, ITEM_CONTACT);
	gw_set(&it.uid, "B1E1C1A0-0000-4000-8000-00000000000A");
	gw_set(&it.cfield[GWC_GIVEN], "Jo");
	gw_set(&it.cfield[GWC_SURNAME], "Doe");
	gw_set(&it.cfield[GWC_EMAIL1], "jo@example.com");
	gw_set(&it.cfield[GWC_PAGER], "123");
	gw_set(&it.cfield[GWC_PHONE_CAR], "456");
	gw_set(&it.cfield[GWC_HOME_STREET], "1 Rue, B\xc3\xa2t A");
	gw_set(&it.cfield[GWC_OFFICE], "4.12");
	char *s = item_text(GWTEXT_VCF, 4, &it);
	test_assert_str(s, "BEGIN:VCARD\r\nVERSION:4.0\r\n"
			"UID:urn:uuid:b1e1c1a0-0000-4000-8000-00000000000a\r\n"
			"FN:Jo Doe\r\nN:Doe;Jo;;;\r\nEMAIL;PREF=1:jo@example.com\r\n"
			"TEL;TYPE=x-car:456\r\nTEL;TYPE=pager:123\r\n"
			"ADR;TYPE=home:;;1 Rue\\, B\xc3\xa2t A;;;;\r\n"
			"X-MDAEMON-OFFICE:4.12\r\nEND:VCARD\r\n");
	free(s);
	s = item_text(GWTEXT_VCF, 3, &it);
	test_assert_str(s, "BEGIN:VCARD\r\nVERSION:3.0\r\n"
			"UID:B1E1C1A0-0000-4000-8000-00000000000A\r\n"
			"FN:Jo Doe\r\nN:Doe;Jo;;;\r\nEMAIL;TYPE=INTERNET,PREF:jo@example.com\r\n"
			"TEL;TYPE=CAR:456\r\nTEL;TYPE=PAGER:123\r\n"
			"ADR;TYPE=HOME:;;1 Rue\\, B\xc3\xa2t A;;;;\r\n"
			"X-MDAEMON-OFFICE:4.12\r\nEND:VCARD\r\n");
	free(s);
	gw_item_release(&it);
}

static void test_note(void)
{
	test_group("note");
	struct gw_item it;
	gw_item_init(&it, ITEM_NOTE);
	gw_set(&it.subject, "Hello");
	gw_set(&it.body, "Hello\r\n\f\nbye");
	it.color = 0;
	char *s = item_text(GWTEXT_TXT, 4, &it);
	test_assert_str(s, "Subject: Hello\r\nColor: Blue\r\n\r\nHello\r\n \f\r\nbye\r\n\f\r\n");
	free(s);
	gw_item_release(&it);
}

/* every physical line at most 75 octets, and each a whole UTF-8 string */
static int lines_ok(const char *s)
{
	while (*s) {
		const char *e = strstr(s, "\r\n");
		if (!e || e - s > 75)
			return 0;
		unsigned char last = e > s ? (unsigned char)e[-1] : 0;
		if (s[0] == ' ' && ((unsigned char)s[1] & 0xC0) == 0x80)
			return 0;	/* a continuation starting inside a character */
		if (last >= 0xC0)
			return 0;	/* a line ending on a lead byte */
		s = e + 2;
	}
	return 1;
}

static void test_folding(void)
{
	test_group("folding");
	struct gw_item it;
	gw_item_init(&it, ITEM_CALENDAR);
	gw_set(&it.uid, "f");
	struct sbuf subj = SBUF_INIT;
	for (int i = 0; i < 60; i++)	/* three-byte characters, at every offset */
		sbuf_adds(&subj, i % 2 ? "\xe6\x97\xa5" : "x\xc3\xa9");
	gw_set(&it.subject, subj.buf);
	it.start = tm(2024, 1, 1, 9, 0);
	char *s = item_text(GWTEXT_ICS, 4, &it);
	test_assert(lines_ok(s));
	/* unfolded, the subject is whole again */
	struct sbuf un = SBUF_INIT;
	for (const char *p = s; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		sbuf_addch(&un, *p);
	}
	struct sbuf want = SBUF_INIT;
	sbuf_addf(&want, "\r\nSUMMARY:%s\r\n", subj.buf);
	test_assert(strstr(un.buf, want.buf) != NULL);
	free(s);
	sbuf_release(&un);
	sbuf_release(&want);
	sbuf_release(&subj);
	gw_item_release(&it);
}

static void test_file(void)
{
	test_group("file");
	struct tzone *paris = tzone_new_fixed(60), *other = tzone_new_fixed(60);
	struct gw_item a, b;
	gw_item_init(&a, ITEM_CALENDAR);
	gw_item_init(&b, ITEM_CALENDAR);
	a.zone = paris;
	b.zone = other;	/* another object, the same TZID: no second VTIMEZONE */
	a.start = b.start = tm(2024, 1, 1, 9, 0);
	struct gwtext_file f;
	struct sbuf out = SBUF_INIT;
	gwtext_file_init(&f, GWTEXT_ICS, NULL);
	gwtext_begin(&f, &out);
	gwtext_item(&f, &a, &out);
	gwtext_item(&f, &b, &out);
	gwtext_end(&f, &out);
	gwtext_file_release(&f);
	test_assert(!strncmp(out.buf, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
			     "PRODID:-//mdexport//mdexport//EN\r\n", 64));
	const char *first = strstr(out.buf, "BEGIN:VTIMEZONE");
	test_assert(first && !strstr(first + 1, "BEGIN:VTIMEZONE"));
	test_assert(out.len > 15 && !strcmp(out.buf + out.len - 15, "END:VCALENDAR\r\n"));
	test_assert(gwtext_kind_for(ITEM_TASK) == GWTEXT_ICS && gwtext_kind_for(ITEM_CONTACT) == GWTEXT_VCF &&
		    gwtext_kind_for(ITEM_NOTE) == GWTEXT_TXT);
	test_assert_str(gwtext_suffix(GWTEXT_VCF), ".vcf");
	sbuf_reset(&out);
	gwtext_file_init(&f, GWTEXT_VCF, NULL);
	test_assert(f.opts.vcard_version == 4);	/* the default */
	gwtext_begin(&f, &out);
	gwtext_end(&f, &out);
	test_assert(out.len == 0);
	gwtext_file_release(&f);
	sbuf_release(&out);
	gw_item_release(&a);
	gw_item_release(&b);
	tzone_free(paris);
	tzone_free(other);
}

int main(void)
{
	test_event();
	test_rrules();
	test_task();
	test_vcard();
	test_note();
	test_folding();
	test_file();
	return test_done();
}
