/*
 * Unit tests for the MDaemon groupware reader (formats/mdaemon/gw_*.c),
 * through the reader interface: fixtures/groupware read whole, every item
 * compared field by field with fixtures/groupware.expected.json (the model
 * tools/mkgroupware wrote the files from, not this reader's code); its
 * bytes and SHA-256 against the file; the zone chosen and said; unknown
 * fields reported; the damaged file's good items before and after the bad
 * ones.  Then the split alone on hostile input.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/gwitem.h"
#include "core/msghash.h"
#include "core/tzone.h"
#include "converter/json.h"
#include "mdaemon/gw_xml.h"
#include "mdaemon/mdaemon.h"
#include "unit.h"

#define STORE "fixtures/groupware"
#define EXPECTED "fixtures/groupware.expected.json"

/* ---- reading the expectations ------------------------------------------- */

static const char *jstr(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

static int64_t jint(const struct json *o, const char *key, int64_t dflt)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_INT ? v->u.i : dflt;
}

static bool jbool(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_TRUE;
}

static const struct json *jarr(const struct json *o, const char *key, size_t *n)
{
	const struct json *v = json_get(o, key);
	*n = v && v->type == JSON_ARRAY ? v->u.arr.n : 0;
	return *n ? v->u.arr.v : NULL;
}

/* same_str: NULL and "" are both "absent" */
static bool same_str(const char *got, const char *want, const char *what, const char *item)
{
	bool ok = (!got || !*got) ? (!want || !*want) : (want && !strcmp(got, want));
	if (!ok)
		printf("#   %s %s: got '%s', want '%s'\n", item, what, got ? got : "(null)",
		       want ? want : "(null)");
	return test_assert(ok);
}

/* same_time: the expectation as written in the model: a date, or date and time */
static bool same_time(const struct gw_time *t, const char *want, const char *what,
		      const char *item)
{
	char got[40] = "";
	if (t->set && t->date_only)
		snprintf(got, sizeof(got), "%04d-%02d-%02d", t->year, t->month, t->day);
	else if (t->set)
		snprintf(got, sizeof(got), "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->month,
			 t->day, t->hour, t->minute, t->second);
	char w[40] = "";
	if (want && strlen(want) == 16)
		snprintf(w, sizeof(w), "%s:00", want);
	else if (want)
		snprintf(w, sizeof(w), "%s", want);
	return same_str(got, w, what, item);
}

static void same_int(long got, long want, const char *what, const char *item)
{
	if (got != want)
		printf("#   %s %s: got %ld, want %ld\n", item, what, got, want);
	test_assert(got == want);
}

static void same_person(const struct gw_person *p, const struct json *w, const char *what,
			const char *item)
{
	if (!w || w->type == JSON_NULL) {
		same_str(p->addr, NULL, what, item);
		return;
	}
	same_str(p->addr, jstr(w, "addr"), what, item);
	same_str(p->name, jstr(w, "name"), what, item);
}

static void same_categories(const struct gw_item *it, const struct json *w, const char *item)
{
	size_t n;
	const struct json *c = jarr(w, "categories", &n);
	same_int((long)it->ncategories, (long)n, "categories", item);
	for (size_t i = 0; i < n && i < it->ncategories; i++)
		same_str(it->categories[i], c[i].u.str.s, "category", item);
}

static void same_extra(const struct gw_item *it, const struct json *w, const char *item)
{
	size_t n;
	const struct json *e = jarr(w, "extra", &n);
	same_int((long)it->nextra, (long)n, "extra", item);
	for (size_t i = 0; i < n && i < it->nextra; i++) {
		same_str(it->extra[i].name, e[i].u.arr.v[0].u.str.s, "extra name", item);
		same_str(it->extra[i].value, e[i].u.arr.v[1].u.str.s, "extra value", item);
	}
}

static void same_recur(const struct gw_recur *r, const struct json *w, const char *item)
{
	const struct json *wr = json_get(w, "recur");
	if (!wr || wr->type == JSON_NULL) {
		test_assert(r == NULL);
		return;
	}
	if (!test_assert(r != NULL))
		return;
	static const char *const freq[] = { "", "daily", "weekly", "monthly", "yearly" };
	same_str(freq[r->freq], jstr(wr, "freq"), "freq", item);
	if (json_get(wr, "md_type")) {
		same_int(r->md_type, jint(wr, "md_type", -1), "md_type", item);
		same_int(r->md_subtype, jint(wr, "md_subtype", -1), "md_subtype", item);
		test_assert(r->every_weekday == jbool(wr, "every_weekday"));
		same_int(r->interval, jint(wr, "interval", 1), "interval", item);
		same_int(r->day_of_month, jint(wr, "day_of_month", 0), "day_of_month", item);
		same_int(r->month, jint(wr, "month", 0), "month", item);
		same_int(r->instance, jint(wr, "instance", 0), "instance", item);
		same_int(r->count, jint(wr, "count", 0), "count", item);
		same_int(r->has_bias ? r->bias : -9999, jint(wr, "bias", -9999), "bias", item);
	}
	same_int(r->dow_mask, jint(wr, "dow_mask", 0), "dow_mask", item);
	if (json_get(wr, "sliding"))
		test_assert(r->sliding == jbool(wr, "sliding"));
	same_time(&r->until, jstr(wr, "until"), "until", item);
	size_t n;
	const struct json *d = jarr(wr, "deleted", &n);
	if (json_get(wr, "deleted"))
		same_int((long)r->ndeleted, (long)n, "deleted", item);
	for (size_t i = 0; i < n && i < r->ndeleted; i++)
		same_time(&r->deleted[i], d[i].u.str.s, "deleted", item);
	const struct json *c = jarr(wr, "changed", &n);
	if (json_get(wr, "changed"))
		same_int((long)r->nchanged, (long)n, "changed", item);
	for (size_t i = 0; i < n && i < r->nchanged; i++) {
		const struct gw_change *ch = &r->changed[i];
		same_time(&ch->original, jstr(&c[i], "original"), "changed original", item);
		same_time(&ch->start, jstr(&c[i], "start"), "changed start", item);
		same_time(&ch->end, jstr(&c[i], "end"), "changed end", item);
		same_str(ch->subject, jstr(&c[i], "subject"), "changed subject", item);
		same_str(ch->location, jstr(&c[i], "location"), "changed location", item);
	}
}

static void check_event(const struct gw_item *it, const struct json *w, const char *item)
{
	same_str(it->subject, jstr(w, "subject"), "subject", item);
	same_str(it->body, jstr(w, "body"), "body", item);
	same_str(it->location, jstr(w, "location"), "location", item);
	same_time(&it->start, jstr(w, "start"), "start", item);
	same_time(&it->end, jstr(w, "end"), "end", item);
	test_assert(it->all_day == jbool(w, "all_day"));
	test_assert(it->private_item == jbool(w, "private"));
	same_int(it->busy, jint(w, "busy", -1), "busy", item);
	same_int(it->priority, jint(w, "priority", -1), "priority", item);
	same_int(it->sequence, jint(w, "sequence", -1), "sequence", item);
	int64_t rem = jint(w, "reminder_min", -1);
	test_assert(it->reminder_set == (rem >= 0));
	if (rem >= 0)
		same_int(it->reminder_min, rem, "reminder_min", item);
	same_person(&it->organizer, json_get(w, "organizer"), "organizer", item);
	same_person(&it->creator, json_get(w, "creator"), "creator", item);
	size_t n;
	const struct json *a = jarr(w, "attendees", &n);
	same_int((long)it->nattendees, (long)n, "attendees", item);
	for (size_t i = 0; i < n && i < it->nattendees; i++) {
		const struct gw_attendee *at = &it->attendees[i];
		same_str(at->who.addr, jstr(&a[i], "addr"), "attendee addr", item);
		same_str(at->who.name, jstr(&a[i], "name"), "attendee name", item);
		same_int(at->role, jint(&a[i], "role", -1), "attendee role", item);
		same_int(at->status, jint(&a[i], "status", -1), "attendee status", item);
		test_assert(at->invite == jbool(&a[i], "invite"));
		test_assert(at->sent == jbool(&a[i], "sent"));
	}
	same_recur(it->recur, w, item);
}

/* the contact field names tools/mkgroupware writes, and where they must land */
static const struct {
	const char *name;
	enum gw_cfield f;
} cnames[] = {
	{ "fullName", GWC_FULL_NAME }, { "firstName", GWC_GIVEN }, { "lastName", GWC_SURNAME },
	{ "email", GWC_EMAIL1 }, { "email2", GWC_EMAIL2 }, { "company", GWC_COMPANY },
	{ "title", GWC_JOB_TITLE }, { "department", GWC_DEPARTMENT },
	{ "businessPhone", GWC_PHONE_WORK }, { "mobile", GWC_PHONE_MOBILE },
	{ "businessAddress", GWC_WORK_STREET }, { "businessCity", GWC_WORK_CITY },
	{ "businessZip", GWC_WORK_ZIP }, { "businessCountry", GWC_WORK_COUNTRY },
	{ "birthday", GWC_BIRTHDAY }, { "homeCity", GWC_HOME_CITY }, { "nickName", GWC_NICKNAME },
};

static void check_contact(const struct gw_item *it, const struct json *w, const char *item)
{
	const struct json *f = json_get(w, "fields");
	size_t seen = 0;
	for (size_t i = 0; f && i < f->u.obj.n; i++) {
		const struct json_member *m = &f->u.obj.v[i];
		bool known = false;
		for (size_t k = 0; k < sizeof(cnames) / sizeof(cnames[0]); k++)
			if (!strcmp(cnames[k].name, m->key)) {
				known = true;
				same_str(it->cfield[cnames[k].f], m->value.u.str.s, m->key, item);
			}
		if (!test_assert(known))
			printf("#   the test does not know contact field %s\n", m->key);
		seen++;
	}
	size_t set = 0;
	for (size_t i = 0; i < GWC_COUNT; i++)
		set += it->cfield[i] != NULL;
	same_int((long)set, (long)seen, "contact fields set", item);
	same_str(it->body, jstr(w, "body"), "notes", item);
	test_assert(it->is_group == jbool(w, "is_group"));
	size_t n;
	const struct json *mem = jarr(w, "members", &n);
	same_int((long)it->nmembers, (long)n, "members", item);
	for (size_t i = 0; i < n && i < it->nmembers; i++) {
		same_str(it->members[i].name, jstr(&mem[i], "name"), "member name", item);
		same_str(it->members[i].addr, jstr(&mem[i], "addr"), "member addr", item);
	}
}

static void check_task(const struct gw_item *it, const struct json *w, const char *item)
{
	same_str(it->subject, jstr(w, "subject"), "subject", item);
	same_str(it->body, jstr(w, "body"), "body", item);
	same_time(&it->start, jstr(w, "start"), "start", item);
	same_time(&it->due, jstr(w, "due"), "due", item);
	same_time(&it->reminder_at, jstr(w, "reminder_at"), "reminder", item);
	same_time(&it->completed_on, jstr(w, "completed_on"), "completed", item);
	test_assert(it->complete == jbool(w, "complete"));
	same_int(it->task_status, jint(w, "task_status", -1), "status", item);
	same_int(it->percent, jint(w, "percent", -1), "percent", item);
	same_int(it->priority, jint(w, "priority", -1), "priority", item);
	same_int(it->estimated_min, jint(w, "estimated_min", -1), "estimated", item);
	same_str(it->mileage, jstr(w, "mileage"), "mileage", item);
	same_recur(it->recur, w, item);
}

static void check_note(const struct gw_item *it, const struct json *w, const char *item)
{
	same_str(it->subject, jstr(w, "subject"), "subject", item);
	same_str(it->body, jstr(w, "body"), "body", item);
	same_int(it->color, jint(w, "color", -2), "color", item);
	same_int(it->top, jint(w, "top", -2), "top", item);
	same_int(it->left, jint(w, "left", -2), "left", item);
	same_int(it->width, jint(w, "width", -2), "width", item);
	same_int(it->height, jint(w, "height", -2), "height", item);
	same_time(&it->created, jstr(w, "created"), "created", item);
}

/* ---- the fixture through the reader ------------------------------------- */

struct lines {
	struct sbuf all;
};

static void keep_line(void *ctx, const char *text, size_t len)
{
	sbuf_add(&((struct lines *)ctx)->all, text, len);
}

/* want_item: the expectation for (source, name), and its folder's */
static const struct json *want_item(const struct json *exp, const char *source, const char *name,
				    const struct json **folder_r)
{
	size_t nf;
	const struct json *fs = jarr(exp, "folders", &nf);
	for (size_t i = 0; i < nf; i++) {
		size_t ni;
		const struct json *items = jarr(&fs[i], "items", &ni);
		for (size_t k = 0; k < ni; k++)
			if (!strcmp(jstr(&items[k], "source"), source) &&
			    !strcmp(jstr(&items[k], "name"), name)) {
				*folder_r = &fs[i];
				return &items[k];
			}
	}
	return NULL;
}

/* file_bytes: bytes [off, off + len) of the fixture file rel */
static void file_bytes(const char *rel, int64_t off, int64_t len, struct sbuf *out)
{
	char *path = g_strdup_printf("%s/%s", STORE, rel);
	gchar *all = NULL;
	gsize n = 0;
	sbuf_reset(out);
	if (g_file_get_contents(path, &all, &n, NULL) && off >= 0 && (gsize)(off + len) <= n)
		sbuf_add(out, all + off, (size_t)len);
	g_free(all);
	g_free(path);
}

static int sink(void *ctx, const void *data, size_t len)
{
	sbuf_add(ctx, data, len);
	return 0;
}

/*
 * origin_file: the XML file of an item's origin, which is FILE#ID, or
 * FILE@OFFSET for an item without an ID of its own (unique in the mailbox:
 * the manifest's source, verify's key)
 */
static char *origin_file(const char *origin)
{
	const char *end = strstr(origin, ".mrk");
	return end ? g_strndup(origin, (gsize)(end + 4 - origin)) : g_strdup(origin);
}

static void check_item(const struct mail_msg *m, const struct json *exp, struct msg_hash *hash,
		       unsigned *count)
{
	const struct json *folder = NULL;
	char *file = origin_file(m->origin);
	const struct json *w = want_item(exp, file, m->name, &folder);
	if (!test_assert(w != NULL)) {
		printf("#   no expectation for %s %s\n", m->origin, m->name);
		g_free(file);
		return;
	}
	/* the origin names the item: its ID, else (none, or an earlier item's) its offset */
	const char *id = jstr(w, "id");
	char *by_id = g_strdup_printf("%s#%s", file, id ? id : "");
	char *by_off = g_strdup_printf("%s@%lld", file, (long long)jint(w, "offset", -1));
	test_assert((id && *id && !strcmp(m->origin, by_id)) || !strcmp(m->origin, by_off));
	g_free(by_id);
	g_free(by_off);
	(*count)++;
	const struct gw_item *it = m->gw;
	char item[300];
	snprintf(item, sizeof(item), "%s %s", m->origin, m->name);
	if (!test_assert(it != NULL)) {
		g_free(file);
		return;
	}
	static const char *const kinds[] = { "mail", "calendar", "contact", "task", "note" };
	same_str(kinds[m->kind], jstr(w, "kind"), "kind", item);
	test_assert(it->kind == m->kind);
	same_str(it->id, jstr(w, "id"), "id", item);
	same_str(it->uid, jstr(w, "uid"), "uid", item);
	same_str(tzone_name(it->zone), jstr(w, "zone"), "zone", item);
	test_assert((it->recovered != NULL) == jbool(w, "recovered"));
	same_categories(it, w, item);
	same_extra(it, w, item);
	if (jstr(w, "modified")) {
		same_time(&it->modified, jstr(w, "modified"), "modified", item);
		test_assert(m->received == tzone_to_utc(it->zone, &it->modified));
		same_str(m->date_source, "modified", "date source", item);
	}
	test_assert(m->uid == 0);
	/* its bytes are the item's in the file, and the manifest's SHA-256 theirs */
	struct sbuf got = SBUF_INIT, want = SBUF_INIT, err = SBUF_INIT;
	file_bytes(file, jint(w, "offset", -1), jint(w, "size", -1), &want);
	test_assert(msg_copy_range(m, 0, sink, &got, &err) == CONV_OK);
	test_assert(want.len > 0);
	test_assert_mem(got.buf, got.len, want.buf, want.len);
	char hex[65];
	test_assert(msg_hash_final(hash, m, hex, &err) == 1);
	same_str(hex, jstr(w, "sha256"), "sha256", item);
	sbuf_release(&got);
	sbuf_release(&want);
	sbuf_release(&err);
	switch (m->kind) {
	case ITEM_CALENDAR:
		check_event(it, w, item);
		break;
	case ITEM_CONTACT:
		check_contact(it, w, item);
		break;
	case ITEM_TASK:
		check_task(it, w, item);
		break;
	case ITEM_NOTE:
		check_note(it, w, item);
		break;
	case ITEM_MAIL:
		break;
	}
	g_free(file);
}

struct run {
	unsigned items, mail, recovered, folders_gw;
	struct sbuf folders;	/* "mailbox/folder=kind:class;" */
	struct lines lines;
	unsigned warnings, errors;
};

static void read_store(const struct json *exp, const struct tzone *zone, struct run *run)
{
	struct conv_stats stats = { 0 };
	sbuf_init(&run->lines.all);
	sbuf_init(&run->folders);
	struct diag d = { .stats = &stats, .write = keep_line, .write_ctx = &run->lines };
	struct msg_hash *hash = msg_hash_new();
	struct reader_settings set = { .zone = zone };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mdaemon_reader_ops.open(STORE, &set, &d, &err);
	if (!test_assert(r != NULL))
		return;
	const struct mail_box *box;
	while (r->v->next_mailbox(r, &box, &err) == CONV_OK) {
		struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, hash, &err);
		if (!test_assert(mb != NULL))
			continue;
		const struct mail_folder *f;
		while (mb->v->next_folder(mb, &f, &err) != CONV_DONE) {
			sbuf_addf(&run->folders, "%s/%s=%d:%s;", box->mailbox, f->path, f->kind,
				  f->folder_class);
			run->folders_gw += f->kind != ITEM_MAIL;
			const struct mail_msg *m;
			int ret;
			bool mail_seen = false;
			while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
				test_assert(ret == CONV_OK);
				if (m->kind == ITEM_MAIL) {
					run->mail++;
					mail_seen = true;
					continue;
				}
				test_assert(!mail_seen);	/* items first, then mail */
				test_assert(f->kind == m->kind);
				run->recovered += m->gw && m->gw->recovered;
				check_item(m, exp, hash, &run->items);
				/* reopen: the same item again */
				const struct mail_msg *again;
				char *name = g_strdup(m->name);
				test_assert(mb->v->reopen_msg(mb, &again, &err) == CONV_OK);
				test_assert_str(again->name, name);
				test_assert(again->gw && again->kind == f->kind);
				g_free(name);
			}
		}
		mb->v->close_mailbox(mb);
	}
	if (!test_assert_str(err.buf, ""))
		printf("#   err: %s\n", err.buf);
	r->v->close(r);
	msg_hash_free(&hash);
	sbuf_release(&err);
	run->warnings = stats.warnings;
	run->errors = stats.unreadable;
}

static void run_release(struct run *run)
{
	sbuf_release(&run->lines.all);
	sbuf_release(&run->folders);
}

static bool said(const struct run *run, const char *what)
{
	bool ok = strstr(run->lines.all.buf ? run->lines.all.buf : "", what) != NULL;
	if (!ok)
		printf("#   not said: %s\n#   said:\n%s", what, run->lines.all.buf);
	return ok;
}

static void test_fixture(const struct json *exp)
{
	test_group("groupware reader: fixtures/groupware, every item");
	struct run run = { 0 };
	read_store(exp, NULL, &run);
	size_t nf, total = 0;
	const struct json *fs = jarr(exp, "folders", &nf);
	for (size_t i = 0; i < nf; i++) {
		size_t ni;
		jarr(&fs[i], "items", &ni);
		total += ni;	/* the public folders' too: a mailbox of their own (issue 14) */
	}
	same_int(run.items, (long)total, "items read", "store");
	test_assert(total > 30);
	/* INBOX's, frank's calendar's (after its 0 items) and the public Announcements' */
	same_int(run.mail, 3, "mail messages", "store");
	/* broken, bad date, end before start, cut off; two meetings without a Planner */
	same_int(run.recovered, 6, "recovered", "store");

	test_group("groupware reader: folder kinds from Hiwater, the XML file, the name");
	test_assert(strstr(run.folders.buf, "erika/Calendar=1:IPF.Appointment;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/Team=1:IPF.Appointment;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/Old Calendar=1:IPF.Appointment;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/Contacts=2:IPF.Contact;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/Tasks=3:IPF.Task;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/Notes=4:IPF.StickyNote;") != NULL);
	test_assert(strstr(run.folders.buf, "erika/INBOX=0:IPF.Note;") != NULL);
	test_assert(strstr(run.folders.buf, "frank/Calendar=1:IPF.Appointment;") != NULL);
	test_assert(strstr(run.folders.buf, "Public Folders/Company Calendar=1:IPF.Appointment;") != NULL);
	if (!test_assert(run.folders_gw == 8))
		printf("#   folders: %s\n", run.folders.buf);

	test_group("groupware reader: the zone assumed, said once per file");
	test_assert(said(&run, "no --timezone: times in 'Users/example.com/erika/Calendar.IMAP/"
			 "Calendar.mrk' read as UTC+01:00 (its recurrences' TimeZone Bias)"));
	test_assert(said(&run, "no --timezone: times in 'Users/example.com/erika/Team.IMAP/"
			 "Calendar.mrk' read as UTC+02:00 (its lastModified (UTC) against its "
			 "newest item's Modified)"));
	test_assert(said(&run, "no --timezone: times in 'Users/example.com/erika/Old Calendar"
			 ".IMAP/Calendar.mrk' read as UTC+00:00 (nothing in it tells the offset)"));

	test_group("groupware reader: unknown fields kept and reported, other encodings");
	test_assert(said(&run, "'Users/example.com/erika/Calendar.IMAP/Calendar.mrk': kept 3 "
			 "unknown fields (Event@Bar, Event/Foo x2) as X-MDAEMON-*"));
	test_assert(said(&run, "'Users/example.com/erika/Contacts.IMAP/AddrBook.mrk': kept 1 "
			 "unknown field (contact/shoeSize) as X-MDAEMON-*"));
	test_assert(said(&run, "'Users/example.com/erika/Old Calendar.IMAP/Calendar.mrk' is not "
			 "all UTF-8"));
	same_int(run.errors, 0, "errors", "store");
	run_release(&run);
}

static void test_zone_given(const struct json *exp)
{
	test_group("groupware reader: --timezone wins, nothing guessed");
	struct sbuf err = SBUF_INIT;
	struct tzone *z = tzone_new_iana("Europe/Berlin", &err);
	if (!test_assert(z != NULL))
		return;
	struct conv_stats stats = { 0 };
	struct run run = { 0 };
	sbuf_init(&run.lines.all);
	struct diag d = { .stats = &stats, .write = keep_line, .write_ctx = &run.lines };
	struct reader_settings set = { .zone = z };
	struct mail_reader *r = mdaemon_reader_ops.open(STORE, &set, &d, &err);
	const struct mail_box *box;
	unsigned items = 0;
	while (r && r->v->next_mailbox(r, &box, &err) == CONV_OK) {
		struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
		const struct mail_folder *f;
		while (mb && mb->v->next_folder(mb, &f, &err) != CONV_DONE) {
			const struct mail_msg *m;
			while (mb->v->next_msg(mb, &m, &err) != CONV_DONE)
				if (m->gw) {
					items++;
					test_assert(m->gw->zone == z);
				}
		}
		if (mb)
			mb->v->close_mailbox(mb);
	}
	test_assert(items > 30);
	test_assert(strstr(run.lines.all.buf ? run.lines.all.buf : "", "--timezone") == NULL);
	if (r)
		r->v->close(r);
	(void)exp;
	tzone_free(z);
	sbuf_release(&run.lines.all);
	sbuf_release(&err);
}

/* ---- the split alone ----------------------------------------------------- */

struct spans {
	struct sbuf text;	/* "off+len/flags;" */
};

static void span(void *ctx, uint64_t off, uint64_t len, unsigned flags)
{
	sbuf_addf(&((struct spans *)ctx)->text, "%llu+%llu/%u;", (unsigned long long)off,
		  (unsigned long long)len, flags);
}

/* split: data fed a byte at a time (every chunk boundary) and whole: the same spans */
static void split(const char *data, const char *want)
{
	struct spans a = { SBUF_INIT }, b = { SBUF_INIT };
	struct gwx_scan s;
	gwx_scan_init(&s, "Event", span, &a);
	for (size_t i = 0; data[i]; i++)
		gwx_scan_feed(&s, (const unsigned char *)data + i, 1);
	gwx_scan_end(&s);
	gwx_scan_release(&s);
	gwx_scan_init(&s, "Event", span, &b);
	gwx_scan_feed(&s, (const unsigned char *)data, strlen(data));
	gwx_scan_end(&s);
	gwx_scan_release(&s);
	test_assert_str(a.text.buf ? a.text.buf : "", want);
	test_assert_str(b.text.buf ? b.text.buf : "", want);
	sbuf_release(&a.text);
	sbuf_release(&b.text);
}

static void test_split(void)
{
	test_group("groupware split: markup that hides '<' and '>'");
	/* "<C>" 0..2; "<Event>" at 3, its end "</Event>" ends at 22 */
	split("<C><Event>x</Event></C>", "3+16/0;");
	split("<C><event a=\"x>y\" b='>'>x</EVENT ></C>", "3+31/0;");
	split("<C><Event><![CDATA[</Event><Event>]]></Event></C>", "3+42/0;");
	split("<C><!-- <Event> --><Event/><?pi </Event>?></C>", "19+8/0;");
	split("<C><Events>no</Events><Eventual/></C>", "");
	test_group("groupware split: damage does not take the next item along");
	/* an item whose end was lost: the next one starts it anew */
	split("<C><Event><A></Event><Event>y</Event></C>", "3+18/0;21+16/0;");
	split("<C><Event><S>x<Event>y</Event></C>", "3+11/2;14+16/0;");
	/* an unclosed quote ends at the next '<' */
	split("<C><Event ID=\"5><S>x</S></Event><Event>z</Event></C>", "3+29/0;32+16/0;");
	/* the file ends inside one */
	split("<C><Event>a</Event><Event><S>cut", "3+16/0;19+13/1;");
}

/* ---- an item over the cap ------------------------------------------------ */

static void put(const char *dir, const char *name, const char *data, size_t len)
{
	char *path = g_build_filename(dir, name, NULL);
	if (!g_file_set_contents(path, data, (gssize)len, NULL))
		abort();
	g_free(path);
}

static void test_big_item(void)
{
	test_group("groupware reader: an item over 16 MiB is reported and skipped, the next read");
	char top[] = "/tmp/mdx-gwread-XXXXXX";
	if (!mkdtemp(top))
		abort();
	char *cal = g_build_filename(top, "Users", "example.com", "u", "Calendar.IMAP", NULL);
	if (g_mkdir_with_parents(cal, 0755) < 0)
		abort();
	GString *f = g_string_new("<Calendar>\r\n<Event ID=\"1\"><Start>2024-01-01 10:00</Start>"
				  "<End>2024-01-01 11:00</End></Event>\r\n<Event ID=\"2\"><Comment>");
	for (size_t i = 0; i < (17u << 20) / 64; i++)
		g_string_append(f, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n");
	g_string_append(f, "</Comment></Event>\r\n<Event ID=\"3\"><Start>2024-01-02 10:00</Start>"
			"<End>2024-01-02 11:00</End></Event>\r\n</Calendar>\r\n");
	put(cal, "Calendar.mrk", f->str, f->len);
	g_string_free(f, TRUE);
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = mdaemon_reader_ops.open(top, &set, &d, &err);
	const struct mail_box *box;
	struct sbuf got = SBUF_INIT;
	while (r && r->v->next_mailbox(r, &box, &err) == CONV_OK) {
		struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
		const struct mail_folder *fo;
		while (mb && mb->v->next_folder(mb, &fo, &err) != CONV_DONE) {
			const struct mail_msg *m;
			int ret;
			while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
				sbuf_addf(&got, "%d:%s:%s;", ret, m->name, m->gw && m->gw->id ?
					  m->gw->id : "-");
				if (ret != CONV_OK) {
					test_assert(strstr(err.buf, "more than 16 MiB; skipped") != NULL);
					sbuf_reset(&err);
				}
			}
		}
		if (mb)
			mb->v->close_mailbox(mb);
	}
	test_assert_str(got.buf, "0:Calendar.mrk#1:1;-10:Calendar.mrk@94:-;0:Calendar.mrk#3:3;");
	if (r)
		r->v->close(r);
	sbuf_release(&got);
	sbuf_release(&err);
	char *cmd = g_strdup_printf("rm -rf '%s'", top);
	if (system(cmd) != 0)
		abort();
	g_free(cmd);
	g_free(cal);
}

int main(void)
{
	g_mime_init();
	struct sbuf err = SBUF_INIT;
	gchar *text = NULL;
	gsize len = 0;
	struct json exp;
	if (!g_file_get_contents(EXPECTED, &text, &len, NULL) ||
	    json_parse(text, len, NULL, &exp, &err) < 0) {
		printf("Bail out! cannot read %s: %s\n", EXPECTED, err.buf ? err.buf : "");
		return 1;
	}
	test_split();
	test_fixture(&exp);
	test_zone_given(&exp);
	test_big_item();
	json_free(&exp);
	g_free(text);
	sbuf_release(&err);
	g_mime_shutdown();
	return test_done();
}
