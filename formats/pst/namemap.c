#include "pst/namemap.h"

#include <string.h>

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

void pst_write_name_map(struct pst_ndb *n)
{
	struct pst_namemap m;
	pst_namemap_build(&m, pst_default_names, pst_default_nnames);
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
