/*
 * Groupware items through the PST writer (issue 14; formats/pst/gwpst.c):
 * items filled by hand (struct gw_item), one folder of each kind, written
 * through pst_writer_ops as the converter drives it, then read back by
 * readers this project did not write: tools/pstcheck (ours, strict),
 * libpff's pffexport (message classes, item counts) and libpst's readpst
 * -e (appointments as .ics, contacts as vCards: DTSTART, DTEND, RRULE,
 * SUMMARY, LOCATION; FN, N, EMAIL, TEL, ORG).
 *
 * `test-pst-gw --write DIR` only writes DIR/box.pst (and the items' XML):
 * tests/e2e/t3400-pst-groupware.py decodes the properties and the
 * recurrence blob from pffexport -d and reads the file with pst-extractor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gwitem.h"
#include "core/outdir.h"
#include "core/tzone.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "pst/gwpst.h"
#include "pst/namemap.h"
#include "pst/pst.h"
#include "testutil.h"
#include "unit.h"

static struct gw_time at(int y, int mo, int d, int h, int mi)
{
	return (struct gw_time){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi,
				 .set = true };
}

static struct gw_time day(int y, int mo, int d)
{
	struct gw_time t = at(y, mo, d, 0, 0);
	t.date_only = true;
	return t;
}

static void person(struct gw_person *p, const char *name, const char *addr)
{
	gw_set(&p->name, name);
	gw_set(&p->addr, addr);
}

static struct gw_recur *recur(enum gw_freq f, unsigned interval, struct gw_time start)
{
	struct gw_recur *r = xcalloc(1, sizeof(*r));
	r->freq = f;
	r->interval = interval;
	r->start = start;
	return r;
}

#define NITEMS 13

struct items {
	struct gw_item v[NITEMS];
	size_t n;
};

static struct gw_item *add(struct items *s, enum item_kind k, const struct tzone *z,
			   const char *uid, const char *subject)
{
	struct gw_item *it = &s->v[s->n++];
	gw_item_init(it, k);
	it->zone = z;
	gw_set(&it->uid, uid);
	gw_set(&it->subject, subject);
	it->created = it->modified = at(2026, 1, 5, 8, 0);
	return it;
}

static void calendar(struct items *s, const struct tzone *z)
{
	struct gw_item *it = add(s, ITEM_CALENDAR, z, "meeting-1@example.com",
				 "Planung Q3 \xE2\x80\x94 \xC3\x9C" "bersicht");
	gw_set(&it->body, "Agenda:\n1. Zahlen\n2. Caf\xC3\xA9");
	gw_set(&it->location, "Raum 4.12");
	it->start = at(2026, 3, 10, 9, 0);
	it->end = at(2026, 3, 10, 10, 30);
	person(&it->organizer, "Alice Planner", "alice@example.com");
	it->attendees = xcalloc(3, sizeof(*it->attendees));
	it->nattendees = 3;
	person(&it->attendees[0].who, "Bob Required", "bob@example.com");
	it->attendees[0].status = GW_ACCEPTED;
	person(&it->attendees[1].who, "Carol Optional", "carol@example.com");
	it->attendees[1].role = GW_OPTIONAL;
	it->attendees[1].status = GW_TENTATIVE;
	person(&it->attendees[2].who, "Room 4.12", "room412@example.com");
	it->attendees[2].role = GW_RESOURCE;
	it->attendees[2].status = GW_DECLINED;
	it->reminder_set = true;
	it->reminder_min = 15;
	it->busy = GW_BUSY;
	it->private_item = true;
	it->priority = 2;
	it->sequence = 3;
	gw_add_category(it, "Work");
	gw_add_category(it, "Caf\xC3\xA9");

	it = add(s, ITEM_CALENDAR, z, "allday-1@example.com", "Conference");
	it->all_day = true;
	it->start = day(2026, 3, 12);
	it->end = day(2026, 3, 13);
	it->busy = GW_OOF;

	/* weekly Monday and Wednesday, 10 times; one deleted, one moved */
	it = add(s, ITEM_CALENDAR, z, "standup-1@example.com", "Standup");
	it->start = at(2026, 3, 2, 9, 0);
	it->end = at(2026, 3, 2, 9, 15);
	it->recur = recur(GW_WEEKLY, 1, it->start);
	it->recur->dow_mask = 2 | 8;
	it->recur->count = 10;
	it->recur->deleted = xcalloc(1, sizeof(struct gw_time));
	it->recur->deleted[0] = at(2026, 3, 4, 9, 0);
	it->recur->ndeleted = 1;
	it->recur->changed = xcalloc(1, sizeof(struct gw_change));
	it->recur->nchanged = 1;
	struct gw_change *c = &it->recur->changed[0];
	c->original = at(2026, 3, 9, 9, 0);
	c->start = at(2026, 3, 9, 11, 0);
	c->end = at(2026, 3, 9, 11, 15);
	gw_set(&c->subject, "Standup (moved)");
	gw_set(&c->location, "Room 2");
	c->busy = c->reminder_set = c->reminder_min = -1;

	/* the second Tuesday of every month, until the end of the year */
	it = add(s, ITEM_CALENDAR, z, "review-1@example.com", "Review");
	it->start = at(2026, 3, 10, 14, 0);
	it->end = at(2026, 3, 10, 15, 0);
	it->recur = recur(GW_MONTHLY, 1, it->start);
	it->recur->dow_mask = 4;
	it->recur->instance = 2;
	it->recur->until = day(2026, 12, 31);

	/* every year on 15 March, all day, no end */
	it = add(s, ITEM_CALENDAR, z, "birthday-1@example.com", "Birthday");
	it->all_day = true;
	it->start = it->end = day(2026, 3, 15);
	it->recur = recur(GW_YEARLY, 1, it->start);
	it->recur->month = 3;
	it->recur->day_of_month = 15;
	it->busy = GW_FREE;

	/* every other day, five times; damaged in the source: its XML goes along */
	it = add(s, ITEM_CALENDAR, z, "daily-1@example.com", "Daily check");
	it->start = at(2026, 4, 1, 7, 30);
	it->end = at(2026, 4, 1, 7, 45);
	it->recur = recur(GW_DAILY, 2, it->start);
	it->recur->count = 5;
	gw_add_extra(it, "Event/Colour", "teal");
	gw_set(&it->recovered, "the file ends inside it");
	gw_add_category(it, GW_CAT_RECOVERED);
}

static void contacts(struct items *s, const struct tzone *z)
{
	struct gw_item *it = add(s, ITEM_CONTACT, z, "contact-1", NULL);
	static const struct { enum gw_cfield f; const char *v; } fields[] = {
		{ GWC_FULL_NAME, "Dr. J\xC3\xBCrgen M\xC3\xBCller" }, { GWC_GIVEN, "J\xC3\xBCrgen" },
		{ GWC_SURNAME, "M\xC3\xBCller" }, { GWC_MIDDLE, "K." }, { GWC_PREFIX, "Dr." },
		{ GWC_NICKNAME, "Jogi" }, { GWC_EMAIL1, "juergen@example.com" },
		{ GWC_EMAIL2, "jm@example.org" }, { GWC_COMPANY, "Example GmbH" },
		{ GWC_JOB_TITLE, "Engineer" }, { GWC_DEPARTMENT, "R&D" },
		{ GWC_PHONE_MOBILE, "+49 170 1234567" }, { GWC_PHONE_WORK, "+49 30 1234" },
		{ GWC_PHONE_HOME, "+49 30 9876" }, { GWC_FAX_WORK, "+49 30 1235" },
		{ GWC_WORK_STREET, "Hauptstra\xC3\x9F" "e 1" }, { GWC_WORK_CITY, "Berlin" },
		{ GWC_WORK_ZIP, "10115" }, { GWC_WORK_COUNTRY, "Germany" },
		{ GWC_HOME_STREET, "Nebenweg 2" }, { GWC_HOME_CITY, "Potsdam" },
		{ GWC_BIRTHDAY, "1980-05-17" }, { GWC_WEB_WORK, "https://example.com/" },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		gw_set(&it->cfield[fields[i].f], fields[i].v);
	gw_set(&it->body, "Met at the fair.");
	gw_add_category(it, "Clients");

	it = add(s, ITEM_CONTACT, z, "group-1", NULL);
	gw_set(&it->cfield[GWC_FULL_NAME], "Team");
	it->is_group = true;
	it->members = xcalloc(2, sizeof(*it->members));
	it->nmembers = 2;
	person(&it->members[0], "Bob Required", "bob@example.com");
	person(&it->members[1], "Carol Optional", "carol@example.com");
}

static void tasks_and_notes(struct items *s, const struct tzone *z)
{
	struct gw_item *it = add(s, ITEM_TASK, z, "task-1", "Write the report");
	gw_set(&it->body, "Chapters 1-3");
	it->start = day(2026, 3, 2);
	it->due = day(2026, 3, 20);
	it->task_status = 1;
	it->percent = 50;
	it->priority = 2;
	it->estimated_min = 240;
	it->actual_min = 90;
	gw_set(&it->mileage, "12 km");
	gw_set(&it->billing, "Project X");
	gw_set(&it->companies, "Example GmbH");
	it->reminder_set = true;
	it->reminder_at = at(2026, 3, 19, 9, 0);

	it = add(s, ITEM_TASK, z, "task-2", "Water the plants");
	it->start = it->due = day(2026, 3, 6);
	it->recur = recur(GW_WEEKLY, 1, it->start);
	it->recur->dow_mask = 32;
	it->task_status = 0;

	it = add(s, ITEM_TASK, z, "task-3", "Done thing");
	it->due = day(2026, 2, 1);
	it->complete = true;
	it->task_status = 2;
	it->percent = 100;
	it->completed_on = day(2026, 2, 2);

	it = add(s, ITEM_NOTE, z, "note-1", "Shopping");
	gw_set(&it->body, "Shopping\nmilk, bread");
	it->color = 1;
	it->width = 250;
	it->height = 200;
	it->left = 40;
	it->top = 60;
}

/* write_box: every item, folder by folder, into dir/box.pst; how many were written */
static size_t write_box(const char *dir, struct items *s)
{
	static const struct { const char *path; enum item_kind k; } folders[] = {
		{ "Calendar", ITEM_CALENDAR }, { "Contacts", ITEM_CONTACT },
		{ "Tasks", ITEM_TASK }, { "Notes", ITEM_NOTE },
	};
	struct mail_box box = { .domain = "example.com", .mailbox = "alice", .full_name = "",
				.path = dir, .origin = "SOURCE" };
	struct diag d = { .quiet = true };
	struct tree root = TREE_INIT, work = TREE_INIT;
	struct sbuf err = SBUF_INIT;
	if (tree_open_root(&root, dir, &err) < 0 || tree_sub(&work, &root, "work", true, &err) < 0)
		abort();
	struct out_target t = { .domain = &root, .name = "box", .work = &work };
	struct mail_item_loc loc;
	mail_item_loc_init(&loc);
	struct mail_writer *w = mail_writer_new(&pst_writer_ops, &d);
	size_t written = 0;
	int ok = mail_writer_open(w, &t, &box) == CONV_OK;
	for (size_t f = 0; ok && f < 4; f++) {
		struct mail_folder folder = { .path = folders[f].path, .origin = folders[f].path,
			.folder_class = pst_folder_class(folders[f].k), .kind = folders[f].k };
		ok = mail_writer_begin_folder(w, &folder) == CONV_OK;
		for (size_t i = 0; ok && i < s->n; i++) {
			if (s->v[i].kind != folders[f].k)
				continue;
			/* the body: the item's "source XML" (here made up: its UID) */
			char *xml = xasprintf("<Item UID=\"%s\"><Colour>teal</Colour></Item>\r\n",
					      s->v[i].uid);
			GByteArray *bytes = g_byte_array_new();
			g_byte_array_append(bytes, (const guint8 *)xml, (guint)strlen(xml));
			struct mem_body mb;
			mem_body_init(&mb, bytes);
			struct mail_msg m = { .origin = s->v[i].uid, .name = s->v[i].uid,
				.body = &mb.body, .size = strlen(xml), .size_known = true,
				.uid = (uint32_t)i + 1, .received = 1767600000, .kind = s->v[i].kind,
				.gw = &s->v[i], .prefix = (const unsigned char *)xml,
				.prefix_len = strlen(xml), .head_complete = true, .seq = (unsigned)i + 1 };
			m.prepared = mail_writer_prepare(&pst_writer_ops, &m);
			int st = mail_writer_write_msg(w, &m, &loc);
			if (st != CONV_OK)
				printf("# %s: %d %s\n", s->v[i].uid, st, w->error.buf);
			written += st == CONV_OK;
			mem_body_release(&mb);
			free(xml);
		}
		ok = ok && mail_writer_end_folder(w) == CONV_OK;
	}
	if (!ok || mail_writer_commit(w) != CONV_OK) {
		printf("# write: %s\n", w->error.buf);
		written = 0;
	}
	mail_writer_free(&w);
	mail_item_loc_release(&loc);
	tree_close(&work);
	tree_close(&root);
	sbuf_release(&err);
	return written;
}

static void build(struct items *s, const struct tzone *z)
{
	memset(s, 0, sizeof(*s));
	calendar(s, z);
	contacts(s, z);
	tasks_and_notes(s, z);
}

static void release(struct items *s)
{
	for (size_t i = 0; i < s->n; i++)
		gw_item_release(&s->v[i]);
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* check_blob: the weekly series' RecurrencePattern, field by field ([MS-OXOCAL] 2.2.1.44.1) */
static void check_blob(const struct gw_item *standup)
{
	struct sbuf b = SBUF_INIT;
	pst_appt_recur(standup, &b);
	const uint8_t *p = (const uint8_t *)b.buf;
#define U16(o) ((unsigned)(p[o] | p[(o) + 1] << 8))
#define U32(o) ((uint32_t)p[o] | (uint32_t)p[(o) + 1] << 8 | (uint32_t)p[(o) + 2] << 16 | (uint32_t)p[(o) + 3] << 24)
	test_assert(U16(0) == 0x3004 && U16(2) == 0x3004);
	test_assert(U16(4) == 0x200B && U16(6) == 1);		/* weekly, PatternType Week */
	test_assert(U32(14) == 1 && U32(18) == 0);		/* Period 1 week, not sliding */
	test_assert(U32(22) == 0x0A);				/* Monday and Wednesday */
	test_assert(U32(26) == 0x2022 && U32(30) == 10);	/* ends after 10 */
	test_assert(U32(38) == 2);				/* deleted: the 4th and the moved 9th */
	struct gw_time d4 = day(2026, 3, 4), d9 = day(2026, 3, 9);
	test_assert(U32(42) == pst_local_minutes(&d4) && U32(46) == pst_local_minutes(&d9));
	test_assert(U32(50) == 1 && U32(54) == pst_local_minutes(&d9));	/* modified: the 9th */
	struct gw_time first = day(2026, 3, 2), last = day(2026, 4, 1);	/* 10th: Wed 1 April */
	test_assert(U32(58) == pst_local_minutes(&first));
	test_assert(U32(62) == pst_local_minutes(&last));
	/* FirstDateTime: the Sunday before, modulo one week */
	struct gw_time sunday = day(2026, 3, 1);
	test_assert(U32(10) == pst_local_minutes(&sunday) % 10080);
	test_assert(U32(66) == 0x3006 && U32(70) == 0x3009);
	test_assert(U32(74) == 540 && U32(78) == 555);		/* 09:00 to 09:15 */
	test_assert(U16(82) == 1);				/* one exception */
	struct gw_time s = at(2026, 3, 9, 11, 0), o = at(2026, 3, 9, 9, 0);
	test_assert(U32(84) == pst_local_minutes(&s) && U32(92) == pst_local_minutes(&o));
	test_assert(U16(96) == (0x1 | 0x10));			/* subject, location */
	test_assert(U16(98) == 16 && U16(100) == 15 && !memcmp(p + 102, "Standup (moved)", 15));
#undef U16
#undef U32
	sbuf_release(&b);
}

int main(int argc, char **argv)
{
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct tzone *z = tzone_new_iana("Europe/Berlin", &err);
	if (!z) {
		printf("# %s\n", err.buf);
		return 1;
	}
	struct items s;
	build(&s, z);
	if (argc == 3 && !strcmp(argv[1], "--write")) {
		size_t n = write_box(argv[2], &s);
		release(&s);
		tzone_free(z);
		return n == s.n ? 0 : 1;
	}
	test_group("named properties");
	/* the defaults the items use by their default IDs */
	test_assert(pst_default_names[PST_PID_REMINDER_SET - 0x8000].lid == 0x8503);
	test_assert(pst_default_names[PST_PID_REMINDER_TIME - 0x8000].lid == 0x8502);
	test_assert(pst_default_names[PST_PID_TASK_STATUS - 0x8000].lid == 0x8101);
	test_assert(pst_default_names[PST_PID_START_WHOLE - 0x8000].lid == 0x820D);
	test_assert(pst_default_names[PST_PID_TZ_STRUCT - 0x8000].lid == 0x8233);
	test_assert(pst_default_names[PST_PID_SIDE_EFFECTS - 0x8000].lid == 0x8510);
	test_assert(!strcmp(pst_default_names[PST_PID_KEYWORDS - 0x8000].name, "Keywords"));
	/* none of the appended names repeats a default */
	int dup = 0;
	for (size_t i = 0; i < GWN_COUNT; i++)
		for (size_t j = 0; j < pst_default_nnames; j++)
			dup += pst_gw_names[i].lid == pst_default_names[j].lid &&
			       !memcmp(pst_gw_names[i].guid, pst_default_names[j].guid, 16);
	test_assert(dup == 0);

	test_group("recurrence blob");
	check_blob(&s.v[2]);

	char dir[] = "/tmp/mdx-gw-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_group("write");
	test_assert(write_box(dir, &s) == s.n);
	char *path = xasprintf("%s/box.pst", dir);
	test_group("pstcheck");
	test_assert(test_pstcheck_errors(path, "-e '^$'", "groupware store") == 0);

	test_group("pffexport");
	char *cmd = xasprintf("cd '%s' && pffexport -q -t px box.pst >/dev/null 2>&1 && "
			      "find px.export -maxdepth 3 | sort", dir);
	test_run(cmd, &out);
	free(cmd);
	printf("# %.*s\n", (int)(out.len > 2000 ? 2000 : out.len), out.buf);
	test_assert(count_lines(out.buf, "/Calendar/Appointment") == 6);
	test_assert(count_lines(out.buf, "/Contacts/Contact") == 1);
	test_assert(count_lines(out.buf, "/Contacts/DistributionList") == 1);
	test_assert(count_lines(out.buf, "/Tasks/Task") == 3);
	test_assert(count_lines(out.buf, "/Notes/Note") == 1);

	test_group("readpst");
	sbuf_reset(&out);
	cmd = xasprintf("cd '%s' && mkdir -p rp && readpst -e -q -o rp box.pst >/dev/null 2>&1; "
			"cat rp/*/Calendar/* rp/*/Contacts/* 2>/dev/null", dir);
	test_run(cmd, &out);
	free(cmd);
	printf("# readpst: %.*s\n", (int)(out.len > 3000 ? 3000 : out.len), out.buf);
	test_assert(strstr(out.buf, "SUMMARY:Planung Q3 \xE2\x80\x94 \xC3\x9C" "bersicht") != NULL);
	/* 09:00 to 10:30 in Berlin (CET) */
	test_assert(strstr(out.buf, "DTSTART;VALUE=DATE-TIME:20260310T080000Z") != NULL);
	test_assert(strstr(out.buf, "DTEND;VALUE=DATE-TIME:20260310T093000Z") != NULL);
	/* all day 12 and 13 March: local midnight to the midnight after */
	test_assert(strstr(out.buf, "DTSTART;VALUE=DATE-TIME:20260311T230000Z") != NULL);
	test_assert(strstr(out.buf, "DTEND;VALUE=DATE-TIME:20260313T230000Z") != NULL);
	test_assert(strstr(out.buf, "TRIGGER:-PT15M") != NULL);
	test_assert(strstr(out.buf, "LOCATION:Raum 4.12") != NULL);
	/* readpst separates BYDAY's days with ';' */
	test_assert(strstr(out.buf, "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO;WE") != NULL);
	/* until 31 December: readpst states the occurrences the blob counts (10, up to 8 Dec) */
	test_assert(strstr(out.buf, "RRULE:FREQ=MONTHLY;COUNT=10;BYSETPOS=2;BYDAY=TU") != NULL);
	test_assert(strstr(out.buf, "RRULE:FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=3") != NULL);
	test_assert(strstr(out.buf, "RRULE:FREQ=YEARLY") != NULL);
	test_assert(strstr(out.buf, "RRULE:FREQ=DAILY;COUNT=5;INTERVAL=2") != NULL);
	/* readpst's FN is PidLidFileUnder: "Surname, Given" */
	test_assert(strstr(out.buf, "FN:M\xC3\xBCller\\, J\xC3\xBCrgen") != NULL);
	test_assert(strstr(out.buf, "N:M\xC3\xBCller;J\xC3\xBCrgen;K.;Dr.;") != NULL);
	test_assert(strstr(out.buf, "BDAY:1980-05-17") != NULL);
	test_assert(strstr(out.buf, "ADR;TYPE=work:;;Hauptstra\xC3\x9F" "e 1;Berlin;;10115;Germany") != NULL);
	test_assert(strstr(out.buf, "TEL;TYPE=work,fax:+49 30 1235") != NULL);
	test_assert(strstr(out.buf, "juergen@example.com") != NULL);
	test_assert(strstr(out.buf, "ORG:Example GmbH") != NULL);
	test_assert(strstr(out.buf, "+49 170 1234567") != NULL);

	free(path);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	release(&s);
	tzone_free(z);
	sbuf_release(&err);
	sbuf_release(&out);
	return test_done();
}
