#include "pst/namemap.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#include "pst/ndb.h"

#define GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7) { \
	(a) & 0xFF, (a) >> 8 & 0xFF, (a) >> 16 & 0xFF, (a) >> 24 & 0xFF, \
	(b) & 0xFF, (b) >> 8 & 0xFF, (c) & 0xFF, (c) >> 8 & 0xFF, \
	d0, d1, d2, d3, d4, d5, d6, d7 }

static const uint8_t ps_mapi[16] =
	GUID(0x00020328, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t ps_public_strings[16] =
	GUID(0x00020329, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_appointment[16] =
	GUID(0x00062002, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t ps_internet_headers[16] =
	GUID(0x00020386, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_common[16] =
	GUID(0x00062008, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_mentions[16] =	/* IsMentioned's set, as Outlook names it */
	GUID(0x41F28F13, 0x83F4, 0x4114, 0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B, 0xFF);
static const uint8_t psetid_log[16] =
	GUID(0x00062014, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_task[16] =
	GUID(0x00062003, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_address[16] =
	GUID(0x00062004, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_note[16] =
	GUID(0x0006200E, 0x0000, 0x0000, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
static const uint8_t psetid_meeting[16] =
	GUID(0x6ED8DA90, 0x450B, 0x101B, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05);

/* decoded from ../shared/reference/outlook-empty.pst (tests/test-pst-store.c compares) */
const struct pst_named_prop pst_default_names[] = {
	{ psetid_appointment, 0x8205, NULL }, { psetid_appointment, 0x8223, NULL },
	{ psetid_appointment, 0x8231, NULL }, { psetid_appointment, 0x8216, NULL },
	{ psetid_appointment, 0x820D, NULL }, { psetid_appointment, 0x820E, NULL },
	{ psetid_appointment, 0x8235, NULL }, { psetid_appointment, 0x8236, NULL },
	{ psetid_appointment, 0x8233, NULL },
	{ ps_internet_headers, 0, "content-class" },
	{ ps_public_strings, 0, "DRMLicense" },
	{ ps_internet_headers, 0, "x-cr-hashedpuzzle" },
	{ ps_internet_headers, 0, "x-cr-puzzleid" },
	{ psetid_common, 0x8580, NULL }, { psetid_common, 0x8581, NULL },
	{ ps_public_strings, 0, "urn:schemas-microsoft-com:office:outlook#storetypeprivate" },
	{ psetid_common, 0x8510, NULL }, { psetid_common, 0x8578, NULL },
	{ psetid_mentions, 0, "IsMentioned" },
	{ ps_public_strings, 0, "Keywords" },
	{ psetid_log, 0x8F05, NULL }, { psetid_common, 0x8514, NULL },
	{ psetid_log, 0x8F07, NULL }, { psetid_common, 0x8503, NULL },
	{ psetid_common, 0x85A8, NULL }, { psetid_common, 0x8502, NULL },
	{ psetid_task, 0x8104, NULL }, { psetid_task, 0x8105, NULL }, { psetid_task, 0x811C, NULL },
	{ ps_internet_headers, 0, "x-ms-exchange-organization-authdomain" },
	{ ps_public_strings, 0, "DoNotForward" },
	{ psetid_common, 0x8570, NULL }, { psetid_task, 0x8101, NULL },
	{ psetid_common, 0x85E0, NULL }, { psetid_common, 0x8552, NULL },
};
const size_t pst_default_nnames = sizeof(pst_default_names) / sizeof(pst_default_names[0]);
_Static_assert(sizeof(pst_default_names) / sizeof(pst_default_names[0]) == PST_DEFAULT_NNAMES,
	       "PST_DEFAULT_NNAMES");

/*
 * The names Outlook items need (issue 14), in enum pst_gw_name's order,
 * after the defaults: property 0x8000 + PST_DEFAULT_NNAMES + n.  None
 * repeats a default (those are used by their default IDs: namemap.h).
 * [MS-OXPROPS] sets and LIDs; docs/pst-groupware.md lists each with its
 * specification section.
 */
const struct pst_named_prop pst_gw_names[] = {
	[GWN_APPT_SEQUENCE] = { psetid_appointment, 0x8201, NULL },
	[GWN_LOCATION] = { psetid_appointment, 0x8208, NULL },
	[GWN_APPT_DURATION] = { psetid_appointment, 0x8213, NULL },
	[GWN_APPT_SUBTYPE] = { psetid_appointment, 0x8215, NULL },
	[GWN_APPT_STATE_FLAGS] = { psetid_appointment, 0x8217, NULL },
	[GWN_RESPONSE_STATUS] = { psetid_appointment, 0x8218, NULL },
	[GWN_INTENDED_BUSY] = { psetid_appointment, 0x8224, NULL },
	[GWN_EXCEPTION_REPLACE_TIME] = { psetid_appointment, 0x8228, NULL },
	[GWN_FINVITED] = { psetid_appointment, 0x8229, NULL },
	[GWN_RECURRENCE_PATTERN] = { psetid_appointment, 0x8232, NULL },
	[GWN_TZ_DESCRIPTION] = { psetid_appointment, 0x8234, NULL },
	[GWN_ALL_ATTENDEES] = { psetid_appointment, 0x8238, NULL },
	[GWN_TO_ATTENDEES] = { psetid_appointment, 0x823B, NULL },
	[GWN_CC_ATTENDEES] = { psetid_appointment, 0x823C, NULL },
	[GWN_FEXCEPTIONAL_BODY] = { psetid_appointment, 0x8206, NULL },
	[GWN_TZDEF_START] = { psetid_appointment, 0x825E, NULL },
	[GWN_TZDEF_END] = { psetid_appointment, 0x825F, NULL },
	[GWN_TZDEF_RECUR] = { psetid_appointment, 0x8260, NULL },
	[GWN_GLOBAL_OBJECT_ID] = { psetid_meeting, 0x0003, NULL },
	[GWN_IS_RECURRING] = { psetid_meeting, 0x0005, NULL },
	[GWN_IS_EXCEPTION] = { psetid_meeting, 0x000A, NULL },
	[GWN_CLEAN_GLOBAL_OBJECT_ID] = { psetid_meeting, 0x0023, NULL },
	[GWN_REMINDER_DELTA] = { psetid_common, 0x8501, NULL },
	[GWN_PRIVATE] = { psetid_common, 0x8506, NULL },
	[GWN_COMMON_START] = { psetid_common, 0x8516, NULL },
	[GWN_COMMON_END] = { psetid_common, 0x8517, NULL },
	[GWN_TASK_MODE] = { psetid_common, 0x8518, NULL },
	[GWN_MILEAGE] = { psetid_common, 0x8534, NULL },
	[GWN_BILLING] = { psetid_common, 0x8535, NULL },
	[GWN_COMPANIES] = { psetid_common, 0x8539, NULL },
	[GWN_REMINDER_SIGNAL_TIME] = { psetid_common, 0x8560, NULL },
	[GWN_PERCENT_COMPLETE] = { psetid_task, 0x8102, NULL },
	[GWN_TASK_DATE_COMPLETED] = { psetid_task, 0x810F, NULL },
	[GWN_TASK_ACTUAL_EFFORT] = { psetid_task, 0x8110, NULL },
	[GWN_TASK_ESTIMATED_EFFORT] = { psetid_task, 0x8111, NULL },
	[GWN_TASK_STATE] = { psetid_task, 0x8113, NULL },
	[GWN_TASK_RECURRENCE] = { psetid_task, 0x8116, NULL },
	[GWN_TASK_FCREATOR] = { psetid_task, 0x811E, NULL },
	[GWN_TASK_FRECURRING] = { psetid_task, 0x8126, NULL },
	[GWN_TASK_OWNERSHIP] = { psetid_task, 0x8129, NULL },
	[GWN_TASK_ACCEPTANCE_STATE] = { psetid_task, 0x812A, NULL },
	[GWN_FILE_UNDER] = { psetid_address, 0x8005, NULL },
	[GWN_FILE_UNDER_ID] = { psetid_address, 0x8006, NULL },
	[GWN_HOME_ADDRESS] = { psetid_address, 0x801A, NULL },
	[GWN_WORK_ADDRESS] = { psetid_address, 0x801B, NULL },
	[GWN_OTHER_ADDRESS] = { psetid_address, 0x801C, NULL },
	[GWN_POSTAL_ADDRESS_ID] = { psetid_address, 0x8022, NULL },
	[GWN_AB_EMAIL_LIST] = { psetid_address, 0x8028, NULL },
	[GWN_AB_ARRAY_TYPE] = { psetid_address, 0x8029, NULL },
	[GWN_HTML] = { psetid_address, 0x802B, NULL },
	[GWN_WORK_STREET] = { psetid_address, 0x8045, NULL },
	[GWN_WORK_CITY] = { psetid_address, 0x8046, NULL },
	[GWN_WORK_STATE] = { psetid_address, 0x8047, NULL },
	[GWN_WORK_ZIP] = { psetid_address, 0x8048, NULL },
	[GWN_WORK_COUNTRY] = { psetid_address, 0x8049, NULL },
	[GWN_DL_NAME] = { psetid_address, 0x8053, NULL },
	[GWN_DL_ONE_OFF_MEMBERS] = { psetid_address, 0x8054, NULL },
	[GWN_DL_MEMBERS] = { psetid_address, 0x8055, NULL },
	[GWN_IM_ADDRESS] = { psetid_address, 0x8062, NULL },
	[GWN_EMAIL1_DISPLAY_NAME] = { psetid_address, 0x8080, NULL },
	[GWN_EMAIL1_ADDR_TYPE] = { psetid_address, 0x8082, NULL },
	[GWN_EMAIL1_ADDRESS] = { psetid_address, 0x8083, NULL },
	[GWN_EMAIL1_ORIG_DISPLAY] = { psetid_address, 0x8084, NULL },
	[GWN_EMAIL1_ORIG_EID] = { psetid_address, 0x8085, NULL },
	[GWN_EMAIL2_DISPLAY_NAME] = { psetid_address, 0x8090, NULL },
	[GWN_EMAIL2_ADDR_TYPE] = { psetid_address, 0x8092, NULL },
	[GWN_EMAIL2_ADDRESS] = { psetid_address, 0x8093, NULL },
	[GWN_EMAIL2_ORIG_DISPLAY] = { psetid_address, 0x8094, NULL },
	[GWN_EMAIL2_ORIG_EID] = { psetid_address, 0x8095, NULL },
	[GWN_EMAIL3_DISPLAY_NAME] = { psetid_address, 0x80A0, NULL },
	[GWN_EMAIL3_ADDR_TYPE] = { psetid_address, 0x80A2, NULL },
	[GWN_EMAIL3_ADDRESS] = { psetid_address, 0x80A3, NULL },
	[GWN_EMAIL3_ORIG_DISPLAY] = { psetid_address, 0x80A4, NULL },
	[GWN_EMAIL3_ORIG_EID] = { psetid_address, 0x80A5, NULL },
	[GWN_NOTE_COLOR] = { psetid_note, 0x8B00, NULL },
	[GWN_NOTE_WIDTH] = { psetid_note, 0x8B02, NULL },
	[GWN_NOTE_HEIGHT] = { psetid_note, 0x8B03, NULL },
	[GWN_NOTE_X] = { psetid_note, 0x8B04, NULL },
	[GWN_NOTE_Y] = { psetid_note, 0x8B05, NULL },
};
_Static_assert(sizeof(pst_gw_names) / sizeof(pst_gw_names[0]) == GWN_COUNT, "GWN_COUNT");

static void put_u32(struct sbuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	sbuf_add(b, p, 4);
}

static void put_u16(struct sbuf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	sbuf_add(b, p, 2);
}

/* guid_index: 1 PS_MAPI, 2 PS_PUBLIC_STRINGS, else 3 + its place in the GUID stream */
static uint16_t guid_index(struct sbuf *guids, const uint8_t *guid)
{
	if (!memcmp(guid, ps_mapi, 16))
		return 1;
	if (!memcmp(guid, ps_public_strings, 16))
		return 2;
	for (size_t off = 0; off < guids->len; off += 16)
		if (!memcmp(guids->buf + off, guid, 16))
			return (uint16_t)(3 + off / 16);
	sbuf_add(guids, guid, 16);
	return (uint16_t)(3 + guids->len / 16 - 1);
}

/*
 * One name: its entry, and its record in the hash bucket the reader looks
 * in.  A string's entry holds its offset in the string stream, its bucket
 * record the PST CRC of the UTF-16LE name; the bucket is that key XORed
 * with the GUID index and kind bit, modulo the bucket count.
 */
static void add_name(struct pst_namemap *m, const struct pst_named_prop *p, uint16_t index)
{
	uint16_t kind = (uint16_t)(guid_index(&m->guids, p->guid) << 1 | (p->name != NULL));
	uint32_t key = p->lid, entry_id = p->lid;
	if (p->name) {
		struct sbuf u = SBUF_INIT;
		pst_utf16le(&u, p->name);
		entry_id = (uint32_t)m->strings.len;
		put_u32(&m->strings, (uint32_t)u.len);
		sbuf_add(&m->strings, u.buf, u.len);
		while (m->strings.len % 4)
			sbuf_addch(&m->strings, 0);
		key = pst_crc(u.buf, u.len);
		sbuf_release(&u);
	}
	put_u32(&m->entries, entry_id);
	put_u16(&m->entries, kind);
	put_u16(&m->entries, index);
	struct sbuf *bucket = &m->buckets[(key ^ kind) % PST_NAMEMAP_BUCKETS];
	put_u32(bucket, key);
	put_u16(bucket, kind);
	put_u16(bucket, index);
}

void pst_namemap_build(struct pst_namemap *m, const struct pst_named_prop *names, size_t count)
{
	sbuf_init(&m->guids);
	sbuf_init(&m->entries);
	sbuf_init(&m->strings);
	for (size_t b = 0; b < PST_NAMEMAP_BUCKETS; b++)
		sbuf_init(&m->buckets[b]);
	for (size_t i = 0; i < count; i++)
		add_name(m, &names[i], (uint16_t)i);
}

void pst_namemap_release(struct pst_namemap *m)
{
	sbuf_release(&m->guids);
	sbuf_release(&m->entries);
	sbuf_release(&m->strings);
	for (size_t b = 0; b < PST_NAMEMAP_BUCKETS; b++)
		sbuf_release(&m->buckets[b]);
}

/* all_names: the defaults, then (groupware) the names Outlook items need */
static struct pst_named_prop *all_names(bool groupware, size_t *count)
{
	*count = pst_default_nnames + (groupware ? (size_t)GWN_COUNT : 0);
	struct pst_named_prop *v = xreallocarray(NULL, *count, sizeof(*v));
	memcpy(v, pst_default_names, pst_default_nnames * sizeof(*v));
	if (groupware)
		memcpy(v + pst_default_nnames, pst_gw_names, GWN_COUNT * sizeof(*v));
	return v;
}

void pst_write_name_map(struct pst_ndb *n)
{
	pst_write_name_map_gw(n, false);
}

void pst_write_name_map_gw(struct pst_ndb *n, bool groupware)
{
	struct pst_namemap m;
	size_t count;
	struct pst_named_prop *names = all_names(groupware, &count);
	pst_namemap_build(&m, names, count);
	free(names);
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	pst_pc_add_u32(&pc, 0x0001, PT_LONG, PST_NAMEMAP_BUCKETS);
	pst_pc_add_binary(&pc, 0x0002, PT_BINARY, m.guids.buf, m.guids.len);
	pst_pc_add_binary(&pc, 0x0003, PT_BINARY, m.entries.buf, m.entries.len);
	pst_pc_add_binary(&pc, 0x0004, PT_BINARY, m.strings.buf, m.strings.len);
	for (uint16_t b = 0; b < PST_NAMEMAP_BUCKETS; b++)	/* Outlook writes only used buckets */
		if (m.buckets[b].len)
			pst_pc_add_binary(&pc, (uint16_t)(0x1000 + b), PT_BINARY,
					  m.buckets[b].buf, m.buckets[b].len);
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	pst_ndb_add_node(n, PST_NID_NAME_MAP, data, sub, 0);
	pst_pc_release(&pc);
	pst_namemap_release(&m);
}
