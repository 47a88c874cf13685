/*
 * Groupware items as Outlook items (gwpst.h).  Each item is one message
 * PC with its recipient table (attendees), its attachment table when it
 * has attachments (exceptions of a series, the source XML of an item not
 * understood whole) and its row in the folder's contents table.  Times:
 * the item's local wall-clock times read in its zone (core/tzone.h) give
 * the UTC properties; the recurrence blob keeps local times (gwrecur.c).
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "core/tzone.h"
#include "core/xalloc.h"
#include "pst/gwpst.h"
#include "pst/message.h"
#include "pst/namemap.h"
#include "pst/store.h"

#define PROP(id, type) ((uint32_t)(id) << 16 | (type))
#define PT_DOUBLE 0x0005u
#define PT_OBJECT 0x000Du
#define GW(n) PST_GW_PID(GWN_##n)
#define NID_RECIPIENT_TABLE 0x692u
#define NID_ATTACH_TABLE 0x671u
#define NID_EMBEDDED 0x24u		/* an exception's message, under its attachment */
#define MSGFLAG_READ 0x01u
#define MSGFLAG_HASATTACH 0x10u
#define EXCEPTION_CLASS "IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}"
#define FILETIME_NEVER 0x0CB34557A3DD4000ull	/* 4500-08-31 23:59: a series without end */

enum { RECIP_SENDABLE = 0x1, RECIP_ORGANIZER = 0x2 };
enum { ASF_MEETING = 0x1, ASF_RECEIVED = 0x2 };
enum { RESP_NONE = 0, RESP_ORGANIZED = 1, RESP_TENTATIVE = 2, RESP_ACCEPTED = 3,
       RESP_DECLINED = 4, RESP_NOT_RESPONDED = 5 };

const char *pst_folder_class(enum item_kind k)
{
	switch (k) {
	case ITEM_CALENDAR: return "IPF.Appointment";
	case ITEM_CONTACT: return "IPF.Contact";
	case ITEM_TASK: return "IPF.Task";
	case ITEM_NOTE: return "IPF.StickyNote";
	case ITEM_MAIL: break;
	}
	return NULL;
}

static bool has(const char *s)
{
	return s && *s;
}

static void add_str(struct pst_pc *pc, uint16_t id, const char *s)
{
	if (has(s))
		pst_pc_add_string(pc, id, s);
}

static void add_time(struct pst_pc *pc, uint16_t id, int64_t unix_seconds)
{
	pst_pc_add_u64(pc, id, PT_SYSTIME, pst_filetime(unix_seconds));
}

static void put32(struct sbuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	sbuf_add(b, p, 4);
}

/* add_mv: a multi-valued string or binary: count, offsets, then the values */
static void add_mv(struct pst_pc *pc, uint16_t id, uint16_t type, const struct sbuf *vals,
		   size_t n)
{
	struct sbuf b = SBUF_INIT;
	put32(&b, (uint32_t)n);
	uint32_t off = (uint32_t)(4 + 4 * n);
	for (size_t i = 0; i < n; i++) {
		put32(&b, off);
		off += (uint32_t)vals[i].len;
	}
	for (size_t i = 0; i < n; i++)
		sbuf_add(&b, vals[i].buf, vals[i].len);
	pst_pc_add_binary(pc, id, type, b.buf, b.len);
	sbuf_release(&b);
}

static void add_mv_strings(struct pst_pc *pc, uint16_t id, char *const *v, size_t n)
{
	if (!n)
		return;
	struct sbuf *u = xreallocarray(NULL, n, sizeof(*u));
	for (size_t i = 0; i < n; i++) {
		sbuf_init(&u[i]);
		pst_utf16le(&u[i], v[i] ? v[i] : "");
	}
	add_mv(pc, id, PT_MV_UNICODE, u, n);
	for (size_t i = 0; i < n; i++)
		sbuf_release(&u[i]);
	free(u);
}

/* utc: a local time of the item as Unix seconds */
static int64_t utc(const struct gw_item *it, const struct gw_time *t)
{
	return tzone_to_utc(it->zone, t);
}

static struct gw_time day_start(struct gw_time t)
{
	t.hour = t.minute = t.second = 0;
	t.date_only = false;
	return t;
}

/* a date as Outlook keeps a contact's birthday or a task's dates: its midnight, read as UTC */
static int64_t date_as_utc(struct gw_time t)
{
	t = day_start(t);
	return gw_time_as_unix(&t);
}

/* ---- the common part of every item ------------------------------------ */

/* common: class, subject, body, flags, times, importance, sensitivity, categories */
static void common(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it,
		   const char *cls, const char *subject, uint32_t icon, bool attachments)
{
	int64_t created = it->created.set ? utc(it, &it->created) : 0;
	int64_t modified = it->modified.set ? utc(it, &it->modified) : created;
	uint32_t importance = it->priority < 0 ? 1 : (uint32_t)(it->priority > 2 ? 2 : it->priority);
	uint32_t flags = MSGFLAG_READ | (attachments ? MSGFLAG_HASATTACH : 0);
	pst_pc_add_string(pc, 0x001A, cls);
	pst_pc_add_string(pc, 0x0037, subject ? subject : "");
	pst_pc_add_string(pc, 0x0E1D, subject ? subject : "");	/* PR_NORMALIZED_SUBJECT */
	pst_pc_add_string(pc, 0x0070, subject ? subject : "");	/* PR_CONVERSATION_TOPIC */
	add_str(pc, 0x1000, it->body);
	pst_pc_add_u32(pc, 0x0017, PT_LONG, importance);
	pst_pc_add_u32(pc, 0x0036, PT_LONG, it->private_item ? 2 : 0);
	pst_pc_add_u32(pc, 0x0026, PT_LONG, importance == 2 ? 1 :		/* PR_PRIORITY */
		       importance == 0 ? 0xFFFFFFFFu : 0);
	pst_pc_add_u32(pc, 0x0E07, PT_LONG, flags);
	pst_pc_add_u32(pc, 0x0E17, PT_LONG, 0);
	pst_pc_add_bool(pc, 0x0E1B, attachments);
	pst_pc_add_u32(pc, 0x1080, PT_LONG, icon);		/* PR_ICON_INDEX */
	pst_pc_add_u32(pc, 0x3FFD, PT_LONG, 65001);		/* PR_MESSAGE_CODEPAGE */
	add_time(pc, 0x3007, created);
	add_time(pc, 0x0E06, created);				/* PR_MESSAGE_DELIVERY_TIME */
	add_time(pc, 0x3008, modified);
	pst_pc_add_u32(pc, 0x0E08, PT_LONG, 0);			/* PR_MESSAGE_SIZE, set at write */
	pst_pc_set_size_prop(pc, 0x0E08);
	/* PR_SEARCH_KEY: from the UID, stable across runs */
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	const char *key = has(it->uid) ? it->uid : has(it->id) ? it->id : "";
	g_checksum_update(ck, (const guchar *)key, (gssize)strlen(key));
	guint8 digest[32];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(ck, digest, &dlen);
	g_checksum_free(ck);
	pst_pc_add_binary(pc, 0x300B, PT_BINARY, digest, 16);
	add_mv_strings(pc, PST_PID_KEYWORDS, it->categories, it->ncategories);
	if (it->private_item)
		pst_pc_add_bool(pc, GW(PRIVATE), 1);
	if (!tc)
		return;
	pst_tc_set_string(tc, PROP(0x001A, PT_UNICODE), cls);
	pst_tc_set_string(tc, PROP(0x0037, PT_UNICODE), subject ? subject : "");
	pst_tc_set_string(tc, PROP(0x0070, PT_UNICODE), subject ? subject : "");
	pst_tc_set_u32(tc, PROP(0x0017, PT_LONG), importance);
	pst_tc_set_u32(tc, PROP(0x0036, PT_LONG), it->private_item ? 2 : 0);
	pst_tc_set_u32(tc, PROP(0x0E07, PT_LONG), flags);
	pst_tc_set_u32(tc, PROP(0x0E17, PT_LONG), 0);
	pst_tc_set_u64(tc, PROP(0x3008, PT_SYSTIME), pst_filetime(modified));
	pst_tc_set_u64(tc, PROP(0x0E06, PT_SYSTIME), pst_filetime(created));
}

/* ---- recipients -------------------------------------------------------- */

static const uint32_t recipient_cols[] = {
	PROP(0x0C15, PT_LONG), PROP(0x0E0F, PT_BOOLEAN), PROP(0x0FF9, PT_BINARY),
	PROP(0x0FFE, PT_LONG), PROP(0x0FFF, PT_BINARY), PROP(0x3001, PT_UNICODE),
	PROP(0x3002, PT_UNICODE), PROP(0x3003, PT_UNICODE), PROP(0x300B, PT_BINARY),
	PROP(0x3900, PT_LONG), PROP(0x39FF, PT_UNICODE), PROP(0x3A40, PT_BOOLEAN),
	PROP(0x5FFD, PT_LONG), PROP(0x5FFF, PT_LONG),
};

/* one_off: a one-off entry ID ([MS-OXCDATA] 2.2.5.1): Unicode, SMTP */
static void one_off(struct sbuf *out, const char *name, const char *addr)
{
	static const uint8_t head[24] = { 0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10,
					  0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
					  0, 0, 0x01, 0x90 };
	sbuf_add(out, head, sizeof(head));
	const char *parts[3] = { has(name) ? name : addr, "SMTP", addr };
	for (int i = 0; i < 3; i++) {
		pst_utf16le(out, parts[i]);
		sbuf_add(out, "\0", 2);
	}
}

static void recipient(struct pst_tc *t, uint32_t row, uint32_t type, const struct gw_person *p,
		      uint32_t flags, uint32_t track)
{
	const char *addr = p->addr ? p->addr : "";
	const char *name = has(p->name) ? p->name : addr;
	struct sbuf key = SBUF_INIT, eid = SBUF_INIT;
	sbuf_adds(&key, "SMTP:");
	for (const char *c = addr; *c; c++)
		sbuf_addch(&key, g_ascii_toupper(*c));
	sbuf_add(&key, "", 1);
	one_off(&eid, name, addr);
	pst_tc_row_begin(t, row);
	pst_tc_set_u32(t, PROP(0x0C15, PT_LONG), type);
	pst_tc_set_u32(t, PROP(0x0E0F, PT_BOOLEAN), 1);
	pst_tc_set_binary(t, PROP(0x0FFF, PT_BINARY), eid.buf, eid.len);
	pst_tc_set_u32(t, PROP(0x0FFE, PT_LONG), 6);		/* MAPI_MAILUSER */
	pst_tc_set_string(t, PROP(0x3001, PT_UNICODE), name);
	pst_tc_set_string(t, PROP(0x3002, PT_UNICODE), "SMTP");
	pst_tc_set_string(t, PROP(0x3003, PT_UNICODE), addr);
	pst_tc_set_binary(t, PROP(0x300B, PT_BINARY), key.buf, key.len);
	pst_tc_set_u32(t, PROP(0x3900, PT_LONG), 0);
	pst_tc_set_string(t, PROP(0x39FF, PT_UNICODE), name);
	pst_tc_set_u32(t, PROP(0x3A40, PT_BOOLEAN), 0);
	pst_tc_set_u32(t, PROP(0x5FFD, PT_LONG), flags);	/* PidTagRecipientFlags */
	pst_tc_set_u32(t, PROP(0x5FFF, PT_LONG), track);	/* PidTagRecipientTrackStatus */
	pst_tc_row_end(t);
	sbuf_release(&key);
	sbuf_release(&eid);
}

static uint32_t track_status(enum gw_partstat s)
{
	switch (s) {
	case GW_ACCEPTED: return RESP_ACCEPTED;
	case GW_DECLINED: return RESP_DECLINED;
	case GW_TENTATIVE: return RESP_TENTATIVE;
	case GW_NEEDS_ACTION: break;
	}
	return RESP_NONE;
}

/* write_recipients: the organizer (recipOrganizer) and the attendees; the table always */
static void write_recipients(struct pst_pc *pc, const struct gw_item *it)
{
	struct pst_tc t;
	pst_tc_init(&t, pc->ndb, recipient_cols, sizeof(recipient_cols) / sizeof(recipient_cols[0]));
	uint32_t row = 0;
	if (it->nattendees && has(it->organizer.addr))
		recipient(&t, row++, 1, &it->organizer, RECIP_SENDABLE | RECIP_ORGANIZER, RESP_NONE);
	for (size_t i = 0; i < it->nattendees; i++) {
		const struct gw_attendee *a = &it->attendees[i];
		uint32_t type = a->role == GW_OPTIONAL ? 2 : a->role == GW_RESOURCE ? 3 : 1;
		recipient(&t, row++, type, &a->who, RECIP_SENDABLE, track_status(a->status));
	}
	uint64_t data, sub;
	pst_tc_write(&t, &data, &sub);
	pst_pc_add_subnode(pc, NID_RECIPIENT_TABLE, data, sub);
	pst_pc_count_sub_bytes(pc, t.sub.written_size);
	pst_tc_release(&t);
}

/* ---- attachments ------------------------------------------------------- */

static const uint32_t attach_cols[] = {
	PROP(0x0E20, PT_LONG), PROP(0x3704, PT_UNICODE), PROP(0x3705, PT_LONG), PROP(0x370B, PT_LONG),
	PROP(0x3714, PT_LONG), PROP(0x7FFE, PT_BOOLEAN),
};

struct attach_row {
	uint32_t method, flags;
	bool hidden;
	const char *name;
};

static void attach_done(struct pst_pc *msg_pc, struct pst_tc *table, struct pst_pc *apc,
			unsigned num, const struct attach_row *r)
{
	pst_pc_add_u32(apc, 0x0E21, PT_LONG, num);		/* PR_ATTACH_NUM */
	pst_pc_add_u32(apc, 0x0E20, PT_LONG, 0);		/* PR_ATTACH_SIZE, set at write */
	pst_pc_set_value_size_prop(apc, 0x0E20);
	uint64_t data, sub;
	pst_pc_write(apc, &data, &sub);
	uint32_t nid = (0x8000u + num) << 5 | 0x05;
	pst_pc_add_subnode(msg_pc, nid, data, sub);
	pst_pc_count_sub_bytes(msg_pc, apc->written_size);
	pst_tc_row_begin(table, nid);
	pst_tc_set_u32(table, PROP(0x0E20, PT_LONG), pst_size_value(apc->stated_size));
	pst_tc_set_string(table, PROP(0x3704, PT_UNICODE), r->name);
	pst_tc_set_u32(table, PROP(0x3705, PT_LONG), r->method);
	pst_tc_set_u32(table, PROP(0x370B, PT_LONG), 0xFFFFFFFFu);
	pst_tc_set_u32(table, PROP(0x3714, PT_LONG), r->flags);
	pst_tc_set_u32(table, PROP(0x7FFE, PT_BOOLEAN), r->hidden);
	pst_tc_row_end(table);
}

/* attach_source: the item's source bytes as MDaemon-item.xml, so nothing is lost */
static void attach_source(struct pst_pc *pc, struct pst_tc *table, unsigned num,
			  const struct sbuf *xml)
{
	struct pst_pc apc;
	pst_pc_init(&apc, pc->ndb);
	static const char name[] = "MDaemon-item.xml";
	pst_pc_add_u32(&apc, 0x3705, PT_LONG, 1);		/* ATTACH_BY_VALUE */
	pst_pc_add_binary(&apc, 0x3701, PT_BINARY, xml->buf, xml->len);
	pst_pc_add_string(&apc, 0x3707, name);
	pst_pc_add_string(&apc, 0x3704, name);
	pst_pc_add_string(&apc, 0x3001, name);
	pst_pc_add_string(&apc, 0x3703, ".xml");
	pst_pc_add_string(&apc, 0x370E, "application/xml");
	pst_pc_add_u32(&apc, 0x3714, PT_LONG, 0);
	pst_pc_add_bool(&apc, 0x7FFE, 0);
	pst_pc_add_u32(&apc, 0x370B, PT_LONG, 0xFFFFFFFFu);
	attach_done(pc, table, &apc, num, &(struct attach_row){ 1, 0, false, name });
	pst_pc_release(&apc);
}

/* ---- appointments ------------------------------------------------------ */

struct span {
	int64_t start, end;		/* UTC */
};

/* span_of: an event's UTC start and end (all-day: local midnight to the midnight after its last day) */
static struct span span_of(const struct gw_item *it)
{
	struct span s = { 0, 0 };
	if (!it->start.set)
		return s;
	if (it->all_day) {
		struct gw_time last = it->end.set ? it->end : it->start;
		struct gw_time a = day_start(it->start), b = day_start(gw_time_add_days(last, 1));
		s.start = utc(it, &a);
		s.end = utc(it, &b);
	} else {
		s.start = utc(it, &it->start);
		s.end = it->end.set ? utc(it, &it->end) : s.start;
	}
	if (s.end < s.start)
		s.end = s.start;
	return s;
}

/*
 * global_object_id: PidLidGlobalObjectId ([MS-OXOCAL] 2.2.1.27): an
 * Outlook UID (hex of such an ID) as it is, any other UID in the
 * third-party form: "vCal-Uid", 1, the UID, NUL.  clean: the series' ID
 * (no instance date), as PidLidCleanGlobalObjectId is.
 */
static void global_object_id(const char *uid, const struct gw_time *instance, struct sbuf *out)
{
	static const uint8_t head[16] = { 0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5,
					  0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08 };
	size_t len = strlen(uid);
	if (len >= 112 && len % 2 == 0 && !g_ascii_strncasecmp(uid, "040000008200E00074C5B7101A82E008", 32)) {
		bool hex = true;
		for (size_t i = 0; i < len && hex; i++)
			hex = g_ascii_isxdigit(uid[i]);
		if (hex) {
			size_t start = out->len;
			for (size_t i = 0; i < len; i += 2)
				sbuf_addch(out, (char)(g_ascii_xdigit_value(uid[i]) << 4 |
						       g_ascii_xdigit_value(uid[i + 1])));
			if (!instance)	/* the clean form: no instance date */
				memset(out->buf + start + 16, 0, 4);
			return;
		}
	}
	sbuf_add(out, head, sizeof(head));
	uint8_t date[4] = { 0, 0, 0, 0 };
	if (instance) {
		date[0] = (uint8_t)(instance->year >> 8);
		date[1] = (uint8_t)instance->year;
		date[2] = (uint8_t)instance->month;
		date[3] = (uint8_t)instance->day;
	}
	sbuf_add(out, date, 4);
	uint8_t zero[16] = { 0 };		/* CreationTime, X: none (deterministic) */
	sbuf_add(out, zero, 16);
	put32(out, (uint32_t)(12 + len + 1));
	sbuf_add(out, "vCal-Uid\x01\0\0\0", 12);
	sbuf_add(out, uid, len + 1);
}

static void add_goid(struct pst_pc *pc, const struct gw_item *it, const struct gw_time *instance)
{
	if (!has(it->uid))
		return;
	struct sbuf g = SBUF_INIT;
	global_object_id(it->uid, instance, &g);
	pst_pc_add_binary(pc, GW(GLOBAL_OBJECT_ID), PT_BINARY, g.buf, g.len);
	sbuf_reset(&g);
	global_object_id(it->uid, NULL, &g);
	pst_pc_add_binary(pc, GW(CLEAN_GLOBAL_OBJECT_ID), PT_BINARY, g.buf, g.len);
	sbuf_release(&g);
}

/* add_zone: the time zone structures of the item's zone, for the year it starts */
static void add_zone(struct pst_pc *pc, const struct gw_item *it)
{
	int year = it->start.set ? it->start.year : 2000;
	struct sbuf b = SBUF_INIT;
	tzone_tzreg(it->zone, year, &b);
	pst_pc_add_binary(pc, PST_PID_TZ_STRUCT, PT_BINARY, b.buf, b.len);
	sbuf_reset(&b);
	tzone_description(it->zone, &b);
	sbuf_add(&b, "", 1);
	pst_pc_add_string(pc, GW(TZ_DESCRIPTION), b.buf);
	sbuf_reset(&b);
	tzone_tzdefinition(it->zone, year, year, TZRULE_FLAG_EFFECTIVE_TZREG, &b);
	pst_pc_add_binary(pc, GW(TZDEF_START), PT_BINARY, b.buf, b.len);
	pst_pc_add_binary(pc, GW(TZDEF_END), PT_BINARY, b.buf, b.len);
	if (it->recur) {
		sbuf_reset(&b);
		tzone_tzdefinition(it->zone, year, year,
				   TZRULE_FLAG_EFFECTIVE_TZREG | TZRULE_FLAG_RECUR_CURRENT_TZREG, &b);
		pst_pc_add_binary(pc, GW(TZDEF_RECUR), PT_BINARY, b.buf, b.len);
	}
	sbuf_release(&b);
}

/* attendee_strings: PidLidAllAttendeesString, To, Cc: "Name; Name" */
static void attendee_strings(struct pst_pc *pc, const struct gw_item *it)
{
	struct sbuf all = SBUF_INIT, to = SBUF_INIT, cc = SBUF_INIT;
	for (size_t i = 0; i < it->nattendees; i++) {
		const struct gw_person *p = &it->attendees[i].who;
		const char *name = has(p->name) ? p->name : p->addr ? p->addr : "";
		struct sbuf *one = it->attendees[i].role == GW_REQUIRED ? &to : &cc;
		sbuf_addf(&all, "%s%s", all.len ? "; " : "", name);
		sbuf_addf(one, "%s%s", one->len ? "; " : "", name);
	}
	add_str(pc, GW(ALL_ATTENDEES), all.buf);
	add_str(pc, GW(TO_ATTENDEES), to.buf);
	add_str(pc, GW(CC_ATTENDEES), cc.buf);
	pst_pc_add_string(pc, 0x0E04, to.len ? to.buf : "");	/* PR_DISPLAY_TO */
	pst_pc_add_string(pc, 0x0E03, cc.len ? cc.buf : "");	/* PR_DISPLAY_CC */
	sbuf_release(&all);
	sbuf_release(&to);
	sbuf_release(&cc);
}

static uint32_t recurrence_type(const struct gw_recur *r)
{
	switch (r->freq) {
	case GW_DAILY: return 1;
	case GW_WEEKLY: return 2;
	case GW_MONTHLY: return 3;
	case GW_YEARLY: return 4;
	}
	return 0;
}

/* recurrence_text: PidLidRecurrencePattern, a plain description of the series */
static void recurrence_text(const struct gw_item *it, struct sbuf *out)
{
	static const char *const names[] = { "day", "week", "month", "year" };
	const struct gw_recur *r = it->recur;
	unsigned iv = r->interval ? r->interval : 1;
	if (r->every_weekday)
		sbuf_adds(out, "every weekday");
	else if (iv == 1)
		sbuf_addf(out, "every %s", names[(r->freq - 1) & 3]);
	else
		sbuf_addf(out, "every %u %ss", iv, names[(r->freq - 1) & 3]);
	struct gw_time first = pst_recur_first(it), last;
	sbuf_addf(out, " from %04d-%02d-%02d", first.year, first.month, first.day);
	if (pst_recur_last(it, &last))
		sbuf_addf(out, " until %04d-%02d-%02d", last.year, last.month, last.day);
}

static void add_recurrence(struct pst_pc *pc, const struct gw_item *it)
{
	struct sbuf b = SBUF_INIT;
	pst_appt_recur(it, &b);
	pst_pc_add_binary(pc, PST_PID_APPT_RECUR, PT_BINARY, b.buf, b.len);
	sbuf_reset(&b);
	recurrence_text(it, &b);
	pst_pc_add_string(pc, GW(RECURRENCE_PATTERN), b.buf);
	sbuf_release(&b);
	pst_pc_add_u32(pc, PST_PID_RECURRENCE_TYPE, PT_LONG, recurrence_type(it->recur));
	/* the series' clip: its first day's midnight to its last day's (UTC of the local dates) */
	struct gw_time first = day_start(pst_recur_first(it)), last;
	add_time(pc, PST_PID_CLIP_START, utc(it, &first));
	if (pst_recur_last(it, &last)) {
		last = day_start(last);
		add_time(pc, PST_PID_CLIP_END, utc(it, &last));
	} else {
		pst_pc_add_u64(pc, PST_PID_CLIP_END, PT_SYSTIME, FILETIME_NEVER);
	}
}

/* event_times: start, end, duration, all-day, busy, reminder: the series' or an exception's */
static void event_times(struct pst_pc *pc, const struct gw_item *it, struct span s, bool all_day,
			int busy, bool reminder, int reminder_min)
{
	add_time(pc, PST_PID_START_WHOLE, s.start);
	add_time(pc, PST_PID_END_WHOLE, s.end);
	add_time(pc, 0x0060, s.start);			/* PidTagStartDate */
	add_time(pc, 0x0061, s.end);			/* PidTagEndDate */
	add_time(pc, GW(COMMON_START), s.start);
	add_time(pc, GW(COMMON_END), s.end);
	pst_pc_add_u32(pc, GW(APPT_DURATION), PT_LONG, (uint32_t)((s.end - s.start) / 60));
	pst_pc_add_bool(pc, GW(APPT_SUBTYPE), all_day);
	pst_pc_add_u32(pc, PST_PID_BUSY_STATUS, PT_LONG, (uint32_t)(busy >= 0 ? busy : GW_BUSY));
	int intended = it->intended_busy >= 0 ? it->intended_busy : busy;
	pst_pc_add_u32(pc, GW(INTENDED_BUSY), PT_LONG, (uint32_t)(intended >= 0 ? intended : GW_BUSY));
	pst_pc_add_bool(pc, PST_PID_REMINDER_SET, reminder);
	int delta = reminder_min >= 0 ? reminder_min : 15;
	pst_pc_add_u32(pc, GW(REMINDER_DELTA), PT_LONG, (uint32_t)delta);
	add_time(pc, PST_PID_REMINDER_TIME, s.start);
	add_time(pc, GW(REMINDER_SIGNAL_TIME), s.start - 60 * (int64_t)delta);
}

/* meeting: the state flags and the response status the owner's copy has */
static void meeting(struct pst_pc *pc, const struct gw_item *it, const char *owner)
{
	bool is_meeting = it->nattendees > 0;
	bool organizer = !has(it->organizer.addr) ||
			 (has(owner) && !g_ascii_strcasecmp(owner, it->organizer.addr));
	uint32_t state = is_meeting ? ASF_MEETING | (organizer ? 0 : ASF_RECEIVED) : 0;
	uint32_t resp = !is_meeting ? RESP_NONE : organizer ? RESP_ORGANIZED : RESP_ACCEPTED;
	for (size_t i = 0; is_meeting && !organizer && i < it->nattendees; i++)
		if (has(owner) && it->attendees[i].who.addr &&
		    !g_ascii_strcasecmp(owner, it->attendees[i].who.addr))
			resp = track_status(it->attendees[i].status);
	pst_pc_add_u32(pc, GW(APPT_STATE_FLAGS), PT_LONG, state);
	pst_pc_add_u32(pc, GW(RESPONSE_STATUS), PT_LONG, resp);
	pst_pc_add_bool(pc, GW(FINVITED), is_meeting);
	if (has(it->organizer.addr)) {	/* the sender: who planned it */
		const char *name = has(it->organizer.name) ? it->organizer.name : it->organizer.addr;
		pst_pc_add_string(pc, 0x0C1A, name);
		pst_pc_add_string(pc, 0x0C1F, it->organizer.addr);
		pst_pc_add_string(pc, 0x0C1E, "SMTP");
		pst_pc_add_string(pc, 0x0042, name);
		pst_pc_add_string(pc, 0x0065, it->organizer.addr);
		pst_pc_add_string(pc, 0x0064, "SMTP");
	}
}

/* exception_message: a changed occurrence as the embedded message of its attachment */
static void exception_message(struct pst_pc *apc, const struct gw_item *it,
			      const struct gw_change *c, struct span s)
{
	struct pst_pc m;
	pst_pc_init(&m, apc->ndb);
	const char *subject = c->subject ? c->subject : it->subject;
	pst_pc_add_string(&m, 0x001A, EXCEPTION_CLASS);
	pst_pc_add_string(&m, 0x0037, subject ? subject : "");
	pst_pc_add_string(&m, 0x0E1D, subject ? subject : "");
	if (c->body)
		pst_pc_add_string(&m, 0x1000, c->body);
	const char *loc = c->location ? c->location : it->location;
	add_str(&m, GW(LOCATION), loc);
	pst_pc_add_u32(&m, 0x0E07, PT_LONG, MSGFLAG_READ);
	pst_pc_add_u32(&m, 0x0017, PT_LONG, it->priority < 0 ? 1 : (uint32_t)it->priority);
	pst_pc_add_u32(&m, 0x0036, PT_LONG, it->private_item ? 2 : 0);
	event_times(&m, it, s, it->all_day, c->busy >= 0 ? c->busy : it->busy,
		    c->reminder_set >= 0 ? c->reminder_set == 1 : it->reminder_set,
		    c->reminder_min >= 0 ? c->reminder_min : it->reminder_min);
	add_time(&m, GW(EXCEPTION_REPLACE_TIME), utc(it, &c->original));
	pst_pc_add_bool(&m, GW(FEXCEPTIONAL_BODY), c->body != NULL);
	pst_pc_add_bool(&m, PST_PID_RECURRING, 0);
	pst_pc_add_bool(&m, GW(IS_EXCEPTION), 1);
	meeting(&m, it, "");
	add_goid(&m, it, &c->original);
	write_recipients(&m, it);
	pst_pc_add_u32(&m, 0x0E08, PT_LONG, 0);
	pst_pc_set_size_prop(&m, 0x0E08);
	uint64_t data, sub;
	pst_pc_write(&m, &data, &sub);
	pst_pc_add_subnode(apc, NID_EMBEDDED, data, sub);
	pst_pc_count_sub_bytes(apc, m.written_size);
	/* PT_OBJECT's value: the subnode's NID and the object's size */
	uint8_t obj[8];
	for (int i = 0; i < 4; i++) {
		obj[i] = (uint8_t)(NID_EMBEDDED >> (8 * i));
		obj[4 + i] = (uint8_t)(pst_size_value(m.written_size) >> (8 * i));
	}
	pst_pc_add_binary(apc, 0x3701, PT_OBJECT, obj, sizeof(obj));
	/* PR_ATTACH_SIZE counts the embedded object's size, not its 8-byte record */
	apc->value_bytes += pst_size_value(m.written_size) - sizeof(obj);
	pst_pc_release(&m);
}

/* change_span: a changed occurrence's UTC start and end */
static struct span change_span(const struct gw_item *it, const struct gw_change *c)
{
	struct gw_time st = c->start.set ? c->start : c->original;
	int64_t len = it->start.set && it->end.set ?
		gw_time_as_unix(&it->end) - gw_time_as_unix(&it->start) : 0;
	struct gw_time en = c->end.set ? c->end : gw_time_from_unix(gw_time_as_unix(&st) + len);
	struct span s = { utc(it, &st), utc(it, &en) };
	if (s.end < s.start)
		s.end = s.start;
	return s;
}

/* attach_exception: [MS-OXOCAL] 2.2.10.1: a hidden attachment holding the changed occurrence */
static void attach_exception(struct pst_pc *pc, struct pst_tc *table, unsigned num,
			     const struct gw_item *it, const struct gw_change *c)
{
	struct pst_pc apc;
	pst_pc_init(&apc, pc->ndb);
	struct span s = change_span(it, c);
	const char *subject = c->subject ? c->subject : it->subject ? it->subject : "";
	pst_pc_add_u32(&apc, 0x3705, PT_LONG, 5);		/* afEmbeddedMessage */
	exception_message(&apc, it, c, s);
	pst_pc_add_string(&apc, 0x3001, subject);
	pst_pc_add_string(&apc, 0x3704, subject);
	pst_pc_add_string(&apc, 0x3707, subject);
	pst_pc_add_u32(&apc, 0x3714, PT_LONG, 0x2);		/* PidTagAttachmentFlags */
	pst_pc_add_bool(&apc, 0x7FFE, 1);			/* hidden */
	pst_pc_add_u32(&apc, 0x7FFA, PT_LONG, 0);		/* PidTagAttachmentLinkId */
	pst_pc_add_u32(&apc, 0x370B, PT_LONG, 0xFFFFFFFFu);
	struct gw_time ls = c->start.set ? c->start : c->original;
	struct span local = { gw_time_as_unix(&ls), gw_time_as_unix(&ls) + (s.end - s.start) };
	add_time(&apc, 0x7FFB, local.start);			/* PidTagExceptionStartTime: local */
	add_time(&apc, 0x7FFC, local.end);			/* PidTagExceptionEndTime: local */
	add_time(&apc, 0x7FF9, utc(it, &c->original));		/* PidTagExceptionReplaceTime */
	attach_done(pc, table, &apc, num, &(struct attach_row){ 5, 0x2, true, subject });
	pst_pc_release(&apc);
}

static uint32_t appointment_icon(const struct gw_item *it)
{
	return 0x400u | (it->recur ? 1u : 0u) | (it->nattendees ? 2u : 0u);
}

static void appointment(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it,
			const char *owner, bool attachments)
{
	common(pc, tc, it, "IPM.Appointment", it->subject, appointment_icon(it), attachments);
	/* what every appointment of Outlook's own carries (the OST in pst-extractor's test data) */
	pst_pc_add_u32(pc, PST_PID_SIDE_EFFECTS, PT_LONG, 0x171);
	event_times(pc, it, span_of(it), it->all_day, it->busy, it->reminder_set, it->reminder_min);
	add_str(pc, GW(LOCATION), it->location);
	pst_pc_add_u32(pc, GW(APPT_SEQUENCE), PT_LONG, (uint32_t)(it->sequence > 0 ? it->sequence : 0));
	meeting(pc, it, owner);
	attendee_strings(pc, it);
	add_goid(pc, it, NULL);
	add_zone(pc, it);
	pst_pc_add_bool(pc, PST_PID_RECURRING, it->recur != NULL);
	pst_pc_add_bool(pc, GW(IS_RECURRING), it->recur != NULL);
	if (it->recur) {
		add_recurrence(pc, it);
	} else {
		struct span s = span_of(it);
		add_time(pc, PST_PID_CLIP_START, s.start);
		add_time(pc, PST_PID_CLIP_END, s.end);
		pst_pc_add_u32(pc, PST_PID_RECURRENCE_TYPE, PT_LONG, 0);
	}
}

/* ---- contacts ---------------------------------------------------------- */

struct tagmap {
	enum gw_cfield f;
	uint16_t id;		/* a tag, or a GWN_ name's PST_GW_PID */
};

static const struct tagmap contact_tags[] = {
	{ GWC_GIVEN, 0x3A06 }, { GWC_SURNAME, 0x3A11 }, { GWC_MIDDLE, 0x3A44 },
	{ GWC_PREFIX, 0x3A45 }, { GWC_SUFFIX, 0x3A05 }, { GWC_NICKNAME, 0x3A4F },
	{ GWC_COMPANY, 0x3A16 }, { GWC_JOB_TITLE, 0x3A17 }, { GWC_DEPARTMENT, 0x3A18 },
	{ GWC_OFFICE, 0x3A19 }, { GWC_ASSISTANT, 0x3A30 }, { GWC_MANAGER, 0x3A4E },
	{ GWC_SPOUSE, 0x3A48 },
	{ GWC_HOME_STREET, 0x3A5D }, { GWC_HOME_CITY, 0x3A59 }, { GWC_HOME_STATE, 0x3A5C },
	{ GWC_HOME_ZIP, 0x3A5B }, { GWC_HOME_COUNTRY, 0x3A5A },
	{ GWC_OTHER_STREET, 0x3A63 }, { GWC_OTHER_CITY, 0x3A5F }, { GWC_OTHER_STATE, 0x3A62 },
	{ GWC_OTHER_ZIP, 0x3A61 }, { GWC_OTHER_COUNTRY, 0x3A60 },
	/* the work address: PidLidWorkAddress* and the mailing address tags */
	{ GWC_WORK_STREET, 0x3A29 }, { GWC_WORK_CITY, 0x3A27 }, { GWC_WORK_STATE, 0x3A28 },
	{ GWC_WORK_ZIP, 0x3A2A }, { GWC_WORK_COUNTRY, 0x3A26 },
	{ GWC_WEB_WORK, 0x3A51 }, { GWC_WEB_HOME, 0x3A50 },
	{ GWC_PHONE_MOBILE, 0x3A1C }, { GWC_PHONE_WORK, 0x3A08 }, { GWC_PHONE_WORK2, 0x3A1B },
	{ GWC_PHONE_HOME, 0x3A09 }, { GWC_PHONE_HOME2, 0x3A2F }, { GWC_PHONE_COMPANY, 0x3A57 },
	{ GWC_PHONE_ASSISTANT, 0x3A2E }, { GWC_FAX_WORK, 0x3A24 }, { GWC_FAX_HOME, 0x3A25 },
	{ GWC_PHONE_CAR, 0x3A1E }, { GWC_PAGER, 0x3A21 }, { GWC_PHONE_RADIO, 0x3A1D },
	{ GWC_PHONE_OTHER, 0x3A1F },
};

static void contact_named(struct pst_pc *pc, const struct gw_item *it)
{
	const struct tagmap named[] = {
		{ GWC_WORK_STREET, GW(WORK_STREET) }, { GWC_WORK_CITY, GW(WORK_CITY) },
		{ GWC_WORK_STATE, GW(WORK_STATE) }, { GWC_WORK_ZIP, GW(WORK_ZIP) },
		{ GWC_WORK_COUNTRY, GW(WORK_COUNTRY) }, { GWC_IM, GW(IM_ADDRESS) },
		{ GWC_WEB_WORK, GW(HTML) },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		add_str(pc, named[i].id, it->cfield[named[i].f]);
	/* the composed addresses Outlook's card shows */
	static const struct { enum gw_cfield first; enum pst_gw_name n; } addr[] = {
		{ GWC_HOME_STREET, GWN_HOME_ADDRESS }, { GWC_WORK_STREET, GWN_WORK_ADDRESS },
		{ GWC_OTHER_STREET, GWN_OTHER_ADDRESS },
	};
	for (size_t i = 0; i < 3; i++) {
		char *const *f = &it->cfield[addr[i].first];
		if (!has(f[0]) && !has(f[1]) && !has(f[2]) && !has(f[3]) && !has(f[4]))
			continue;
		struct sbuf a = SBUF_INIT;
		sbuf_addf(&a, "%s\r\n%s%s%s%s%s\r\n%s", has(f[0]) ? f[0] : "", has(f[1]) ? f[1] : "",
			  has(f[1]) ? " " : "", has(f[2]) ? f[2] : "", has(f[2]) ? " " : "",
			  has(f[3]) ? f[3] : "", has(f[4]) ? f[4] : "");
		pst_pc_add_string(pc, PST_GW_PID(addr[i].n), a.buf);
		sbuf_release(&a);
	}
	if (has(it->cfield[GWC_WORK_STREET]) || has(it->cfield[GWC_WORK_CITY]))
		pst_pc_add_u32(pc, GW(POSTAL_ADDRESS_ID), PT_LONG, 2);	/* the work address */
}

/* contact_emails: Email1..3 and the address book's view of them */
static void contact_emails(struct pst_pc *pc, const struct gw_item *it, const char *display)
{
	static const enum pst_gw_name base[3] = { GWN_EMAIL1_DISPLAY_NAME, GWN_EMAIL2_DISPLAY_NAME,
					       GWN_EMAIL3_DISPLAY_NAME };
	uint32_t mask = 0;
	struct sbuf list = SBUF_INIT;
	unsigned nlist = 0;
	for (unsigned i = 0; i < 3; i++) {
		const char *addr = it->cfield[GWC_EMAIL1 + i];
		if (!has(addr))
			continue;
		struct sbuf dn = SBUF_INIT, eid = SBUF_INIT;
		sbuf_addf(&dn, "%s (%s)", display, addr);
		pst_pc_add_string(pc, PST_GW_PID(base[i]), dn.buf);
		pst_pc_add_string(pc, PST_GW_PID(base[i] + 1), "SMTP");
		pst_pc_add_string(pc, PST_GW_PID(base[i] + 2), addr);
		pst_pc_add_string(pc, PST_GW_PID(base[i] + 3), addr);
		one_off(&eid, display, addr);
		pst_pc_add_binary(pc, PST_GW_PID(base[i] + 4), PT_BINARY, eid.buf, eid.len);
		sbuf_release(&dn);
		sbuf_release(&eid);
		mask |= 1u << i;
		put32(&list, i);
		nlist++;
	}
	if (mask) {
		pst_pc_add_u32(pc, GW(AB_ARRAY_TYPE), PT_LONG, mask);
		struct sbuf mv = SBUF_INIT;	/* PT_MV_LONG: count, then the values */
		put32(&mv, nlist);
		sbuf_add(&mv, list.buf, list.len);
		pst_pc_add_binary(pc, GW(AB_EMAIL_LIST), PT_MV_LONG, mv.buf, mv.len);
		sbuf_release(&mv);
	}
	sbuf_release(&list);
}

/* display_name: the full name, else given and surname, else company, else the first address */
static void display_name(const struct gw_item *it, struct sbuf *out)
{
	char *const *f = it->cfield;
	if (has(f[GWC_FULL_NAME]))
		sbuf_adds(out, f[GWC_FULL_NAME]);
	else if (has(f[GWC_GIVEN]) || has(f[GWC_SURNAME]))
		sbuf_addf(out, "%s%s%s", has(f[GWC_GIVEN]) ? f[GWC_GIVEN] : "",
			  has(f[GWC_GIVEN]) && has(f[GWC_SURNAME]) ? " " : "",
			  has(f[GWC_SURNAME]) ? f[GWC_SURNAME] : "");
	else if (has(f[GWC_COMPANY]))
		sbuf_adds(out, f[GWC_COMPANY]);
	else if (has(f[GWC_EMAIL1]))
		sbuf_adds(out, f[GWC_EMAIL1]);
	else if (has(it->subject))
		sbuf_adds(out, it->subject);
}

/* file_under: "Surname, Given" as Outlook files a contact, or the file-as the source gave */
static uint32_t file_under(const struct gw_item *it, const char *display, struct sbuf *out)
{
	char *const *f = it->cfield;
	if (has(f[GWC_FILE_AS])) {
		sbuf_adds(out, f[GWC_FILE_AS]);
		return 0xFFFFFFFFu;			/* a name of its own */
	}
	if (has(f[GWC_SURNAME]) && has(f[GWC_GIVEN])) {
		sbuf_addf(out, "%s, %s", f[GWC_SURNAME], f[GWC_GIVEN]);
		return 0x8017;				/* "Last, First" */
	}
	sbuf_adds(out, display);
	return has(f[GWC_COMPANY]) && !has(f[GWC_SURNAME]) && !has(f[GWC_GIVEN]) ? 0x3A16 : 0x3001;
}

static void add_date_field(struct pst_pc *pc, uint16_t id, const char *ymd)
{
	int y, m, d;
	if (!has(ymd) || sscanf(ymd, "%d-%d-%d", &y, &m, &d) != 3)
		return;
	struct gw_time t = { .year = y, .month = m, .day = d, .set = true };
	add_time(pc, id, date_as_utc(t));
}

static void contact(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it, bool att)
{
	struct sbuf display = SBUF_INIT, under = SBUF_INIT;
	display_name(it, &display);
	common(pc, tc, it, "IPM.Contact", display.buf, 0x200, att);
	pst_pc_add_string(pc, 0x3001, display.buf);
	for (size_t i = 0; i < sizeof(contact_tags) / sizeof(contact_tags[0]); i++)
		add_str(pc, contact_tags[i].id, it->cfield[contact_tags[i].f]);
	if (has(it->cfield[GWC_CHILDREN]))
		add_mv_strings(pc, 0x3A58, &it->cfield[GWC_CHILDREN], 1);
	contact_named(pc, it);
	contact_emails(pc, it, display.buf);
	uint32_t id = file_under(it, display.buf, &under);
	pst_pc_add_string(pc, GW(FILE_UNDER), under.buf);
	pst_pc_add_u32(pc, GW(FILE_UNDER_ID), PT_LONG, id);
	add_date_field(pc, 0x3A42, it->cfield[GWC_BIRTHDAY]);
	add_date_field(pc, 0x3A41, it->cfield[GWC_ANNIVERSARY]);
	sbuf_release(&display);
	sbuf_release(&under);
}

/* dist_list: a group: its name and its members as one-off entry IDs */
static void dist_list(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it, bool att)
{
	struct sbuf display = SBUF_INIT;
	display_name(it, &display);
	common(pc, tc, it, "IPM.DistList", display.buf, 0x202, att);
	pst_pc_add_string(pc, 0x3001, display.buf);
	pst_pc_add_string(pc, GW(DL_NAME), display.buf);
	pst_pc_add_string(pc, GW(FILE_UNDER), display.buf);
	if (it->nmembers) {
		struct sbuf *v = xreallocarray(NULL, it->nmembers, sizeof(*v));
		for (size_t i = 0; i < it->nmembers; i++) {
			sbuf_init(&v[i]);
			const struct gw_person *p = &it->members[i];
			one_off(&v[i], p->name, p->addr ? p->addr : "");
		}
		add_mv(pc, GW(DL_ONE_OFF_MEMBERS), PT_MV_BINARY, v, it->nmembers);
		add_mv(pc, GW(DL_MEMBERS), PT_MV_BINARY, v, it->nmembers);
		for (size_t i = 0; i < it->nmembers; i++)
			sbuf_release(&v[i]);
		free(v);
	}
	sbuf_release(&display);
}

/* ---- tasks and notes --------------------------------------------------- */

static void task(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it, bool att)
{
	common(pc, tc, it, "IPM.Task", it->subject, it->recur ? 0x501 : 0x500, att);
	int status = it->task_status >= 0 && it->task_status <= 4 ? it->task_status : 0;
	pst_pc_add_u32(pc, PST_PID_TASK_STATUS, PT_LONG, (uint32_t)status);
	double pct = (it->complete ? 100 : it->percent < 0 ? 0 : it->percent > 100 ? 100 : it->percent) / 100.0;
	uint64_t bits;
	memcpy(&bits, &pct, sizeof(bits));
	pst_pc_add_u64(pc, GW(PERCENT_COMPLETE), PT_DOUBLE, bits);
	pst_pc_add_bool(pc, PST_PID_TASK_COMPLETE, it->complete || status == 2);
	if (it->start.set) {
		add_time(pc, PST_PID_TASK_START, date_as_utc(it->start));
		struct gw_time s = day_start(it->start);
		add_time(pc, GW(COMMON_START), utc(it, &s));
	}
	if (it->due.set) {
		add_time(pc, PST_PID_TASK_DUE, date_as_utc(it->due));
		struct gw_time d = day_start(it->due);
		add_time(pc, GW(COMMON_END), utc(it, &d));
	}
	if (it->completed_on.set)
		add_time(pc, GW(TASK_DATE_COMPLETED), date_as_utc(it->completed_on));
	if (it->estimated_min >= 0)
		pst_pc_add_u32(pc, GW(TASK_ESTIMATED_EFFORT), PT_LONG, (uint32_t)it->estimated_min);
	if (it->actual_min >= 0)
		pst_pc_add_u32(pc, GW(TASK_ACTUAL_EFFORT), PT_LONG, (uint32_t)it->actual_min);
	add_str(pc, GW(MILEAGE), it->mileage);
	add_str(pc, GW(BILLING), it->billing);
	if (has(it->companies))
		add_mv_strings(pc, GW(COMPANIES), (char *const *)&it->companies, 1);
	/* a task of one's own, never assigned ([MS-OXOTASK] 2.2.2.2) */
	pst_pc_add_u32(pc, GW(TASK_STATE), PT_LONG, 1);		/* tdsOWNNEW */
	pst_pc_add_u32(pc, GW(TASK_OWNERSHIP), PT_LONG, 0);	/* olNewTask */
	pst_pc_add_u32(pc, GW(TASK_ACCEPTANCE_STATE), PT_LONG, 0);
	pst_pc_add_u32(pc, GW(TASK_MODE), PT_LONG, 0);		/* tdmtNothing */
	pst_pc_add_bool(pc, GW(TASK_FCREATOR), 1);
	pst_pc_add_bool(pc, GW(TASK_FRECURRING), it->recur != NULL);
	if (it->recur) {
		struct sbuf b = SBUF_INIT;
		pst_recur_pattern(it, &b);
		pst_pc_add_binary(pc, GW(TASK_RECURRENCE), PT_BINARY, b.buf, b.len);
		sbuf_release(&b);
	}
	pst_pc_add_bool(pc, PST_PID_REMINDER_SET, it->reminder_set);
	if (it->reminder_set && it->reminder_at.set) {
		add_time(pc, PST_PID_REMINDER_TIME, utc(it, &it->reminder_at));
		add_time(pc, GW(REMINDER_SIGNAL_TIME), utc(it, &it->reminder_at));
	}
}

static void note(struct pst_pc *pc, struct pst_tc *tc, const struct gw_item *it, bool att)
{
	int color = it->color >= 0 && it->color <= 4 ? it->color : 3;	/* yellow, Outlook's default */
	common(pc, tc, it, "IPM.StickyNote", it->subject, 0x300u + (uint32_t)color, att);
	pst_pc_add_u32(pc, GW(NOTE_COLOR), PT_LONG, (uint32_t)color);
	const struct { int v, dflt; enum pst_gw_name n; } geo[] = {
		{ it->width, 200, GWN_NOTE_WIDTH }, { it->height, 166, GWN_NOTE_HEIGHT },
		{ it->left, 0, GWN_NOTE_X }, { it->top, 0, GWN_NOTE_Y },
	};
	for (size_t i = 0; i < 4; i++)
		pst_pc_add_u32(pc, PST_GW_PID(geo[i].n), PT_LONG,
			       (uint32_t)(geo[i].v >= 0 ? geo[i].v : geo[i].dflt));
}

/* ---- the item ---------------------------------------------------------- */

static int collect(void *ctx, const void *data, size_t len)
{
	sbuf_add(ctx, data, len);
	return 0;
}

int pst_write_gw_item(struct pst_ndb *n, struct pst_tc *contents, uint32_t nid,
		      uint32_t folder_nid, const struct mail_msg *msg, const char *owner,
		      struct sbuf *err)
{
	const struct gw_item *it = msg->gw;
	bool keep_source = it->nextra || it->recovered;
	struct sbuf xml = SBUF_INIT;
	if (keep_source && msg->body && msg_copy_range(msg, 0, collect, &xml, err) != CONV_OK) {
		sbuf_release(&xml);
		return -1;
	}
	size_t nexc = it->kind == ITEM_CALENDAR && it->recur ? it->recur->nchanged : 0;
	bool att = keep_source || nexc;
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	if (att) {
		struct pst_tc table;
		pst_tc_init(&table, n, attach_cols, sizeof(attach_cols) / sizeof(attach_cols[0]));
		unsigned num = 0;
		for (size_t i = 0; i < nexc; i++)
			attach_exception(&pc, &table, num++, it, &it->recur->changed[i]);
		if (keep_source)
			attach_source(&pc, &table, num++, &xml);
		uint64_t data, sub;
		pst_tc_write(&table, &data, &sub);
		pst_pc_add_subnode(&pc, NID_ATTACH_TABLE, data, sub);
		pst_pc_count_sub_bytes(&pc, table.sub.written_size);
		pst_tc_release(&table);
	}
	write_recipients(&pc, it);
	if (contents)
		pst_tc_row_begin(contents, nid);
	switch (it->kind) {
	case ITEM_CALENDAR: appointment(&pc, contents, it, owner, att); break;
	case ITEM_CONTACT:
		if (it->is_group)
			dist_list(&pc, contents, it, att);
		else
			contact(&pc, contents, it, att);
		break;
	case ITEM_TASK: task(&pc, contents, it, att); break;
	case ITEM_NOTE: case ITEM_MAIL: note(&pc, contents, it, att); break;
	}
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	if (contents) {
		pst_tc_set_u32(contents, PROP(0x0E08, PT_LONG), pst_size_value(pc.written_size));
		pst_tc_row_end(contents);
	}
	pst_ndb_add_node(n, nid, data, sub, folder_nid);
	pst_pc_release(&pc);
	sbuf_release(&xml);
	return 0;
}
