#include "store.h"

#include <string.h>

#define PROP(id, type) ((uint32_t)(id) << 16 | (type))

const uint32_t pst_hierarchy_cols[] = {
	PROP(0x0E30, PT_BINARY), PROP(0x0E33, PT_LONGLONG), PROP(0x0E34, PT_BINARY),
	PROP(0x0E38, PT_LONG), PROP(0x3001, PT_UNICODE), PROP(0x3602, PT_LONG),
	PROP(0x3603, PT_LONG), PROP(0x360A, PT_BOOLEAN), PROP(0x3613, PT_UNICODE),
	PROP(0x6635, PT_LONG), PROP(0x6636, PT_LONG), PROP(0x67F2, PT_LONG), PROP(0x67F3, PT_LONG),
};
const size_t pst_hierarchy_ncols = sizeof(pst_hierarchy_cols) / sizeof(pst_hierarchy_cols[0]);

const uint32_t pst_contents_cols[] = {
	PROP(0x0017, PT_LONG), PROP(0x001A, PT_UNICODE), PROP(0x0036, PT_LONG),
	PROP(0x0037, PT_UNICODE), PROP(0x0039, PT_SYSTIME), PROP(0x0042, PT_UNICODE),
	PROP(0x0057, PT_BOOLEAN), PROP(0x0058, PT_BOOLEAN), PROP(0x0070, PT_UNICODE),
	PROP(0x0071, PT_BINARY), PROP(0x0E03, PT_UNICODE), PROP(0x0E04, PT_UNICODE),
	PROP(0x0E06, PT_SYSTIME), PROP(0x0E07, PT_LONG), PROP(0x0E08, PT_LONG),
	PROP(0x0E17, PT_LONG), PROP(0x0E30, PT_BINARY), PROP(0x0E33, PT_LONGLONG),
	PROP(0x0E34, PT_BINARY), PROP(0x0E38, PT_LONG), PROP(0x0E3C, PT_BINARY),
	PROP(0x0E3D, PT_BINARY), PROP(0x1097, PT_LONG), PROP(0x3008, PT_SYSTIME),
	PROP(0x3013, PT_BINARY), PROP(0x65C6, PT_LONG), PROP(0x67F2, PT_LONG),
	PROP(0x67F3, PT_LONG),
};
const size_t pst_contents_ncols = sizeof(pst_contents_cols) / sizeof(pst_contents_cols[0]);

/* the FAI contents table columns (pst-notes 3.3) */
static const uint32_t fai_cols[] = {
	PROP(0x001A, PT_UNICODE), PROP(0x0E07, PT_LONG), PROP(0x0E17, PT_LONG),
	PROP(0x3001, PT_UNICODE), PROP(0x67F2, PT_LONG), PROP(0x67F3, PT_LONG),
	PROP(0x6800, PT_UNICODE), PROP(0x6803, PT_BOOLEAN), PROP(0x6805, PT_BINARY),
	PROP(0x682F, PT_UNICODE), PROP(0x7003, PT_LONG), PROP(0x7004, PT_LONG),
	PROP(0x7005, PT_LONG), PROP(0x7006, PT_UNICODE), PROP(0x7007, PT_BINARY),
};

const uint32_t pst_attach_cols[] = {
	PROP(0x0E20, PT_LONG), PROP(0x3704, PT_UNICODE), PROP(0x3705, PT_LONG), PROP(0x370B, PT_LONG),
};
const size_t pst_attach_ncols = sizeof(pst_attach_cols) / sizeof(pst_attach_cols[0]);

const uint32_t pst_recipient_cols[] = {
	PROP(0x0C15, PT_LONG), PROP(0x0E0F, PT_BOOLEAN), PROP(0x0FF9, PT_BINARY),
	PROP(0x0FFE, PT_LONG), PROP(0x0FFF, PT_BINARY), PROP(0x3001, PT_UNICODE),
	PROP(0x3002, PT_UNICODE), PROP(0x3003, PT_UNICODE), PROP(0x300B, PT_BINARY),
	PROP(0x3900, PT_LONG), PROP(0x39FF, PT_UNICODE), PROP(0x3A40, PT_BOOLEAN),
};
const size_t pst_recipient_ncols = sizeof(pst_recipient_cols) / sizeof(pst_recipient_cols[0]);

/* the receive-folder table: message class -> folder NID */
static const uint32_t receive_cols[] = { PROP(0x001A, PT_UNICODE), PROP(0x6605, PT_LONG) };


void pst_write_name_map(struct pst_ndb *n)
{
	/*
	 * The name-to-ID map.  Readers require the node and non-empty streams
	 * (pst-extractor will not open a file without them), so it maps one
	 * named property, PidLidFlagRequest (PSETID_Common, LID 0x8530), to
	 * 0x8000, as Outlook's own stores do among their ~25 entries.
	 * NEEDSWORK: the hash-bucket streams (0x1000 + n) Outlook uses to look
	 * names up are not written yet.
	 */
	static const uint8_t psetid_common[16] = {	/* {00062008-0000-0000-C000-000000000046} */
		0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
	};
	/* dwPropertyID 0x8530; wGuid = (3: the first GUID-stream GUID) << 1, numeric; index 0 */
	static const uint8_t entry[8] = { 0x30, 0x85, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00 };
	static const uint8_t no_strings[4] = { 0 };
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	pst_pc_add_u32(&pc, 0x0001, PT_LONG, 251);		/* hash buckets */
	pst_pc_add_binary(&pc, 0x0002, PT_BINARY, psetid_common, sizeof(psetid_common));
	pst_pc_add_binary(&pc, 0x0003, PT_BINARY, entry, sizeof(entry));
	pst_pc_add_binary(&pc, 0x0004, PT_BINARY, no_strings, sizeof(no_strings));
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	pst_ndb_add_node(n, 0x61, data, sub, 0);
	pst_pc_release(&pc);
}

void pst_entry_id(uint8_t out[24], const uint8_t record_key[16], uint32_t nid)
{
	memset(out, 0, 4);			/* rgbFlags */
	memcpy(out + 4, record_key, 16);
	for (int i = 0; i < 4; i++)
		out[20 + i] = (uint8_t)(nid >> (8 * i));
}

static void write_table(struct pst_ndb *n, uint32_t nid, const uint32_t *cols, size_t ncols,
			const struct pst_folder_info *rows, size_t nrows)
{
	struct pst_tc tc;
	pst_tc_init(&tc, n, cols, ncols);
	for (size_t i = 0; i < nrows; i++) {
		pst_tc_row_begin(&tc, rows[i].nid);
		pst_tc_set_string(&tc, PROP(0x3001, PT_UNICODE), rows[i].name);
		pst_tc_set_u32(&tc, PROP(0x3602, PT_LONG), rows[i].content_count);
		pst_tc_set_u32(&tc, PROP(0x3603, PT_LONG), rows[i].unread_count);
		pst_tc_set_u32(&tc, PROP(0x360A, PT_BOOLEAN), rows[i].has_subfolders != 0);
		if (rows[i].container_class)
			pst_tc_set_string(&tc, PROP(0x3613, PT_UNICODE), rows[i].container_class);
		pst_tc_row_end(&tc);
	}
	uint64_t data, sub;
	pst_tc_write(&tc, &data, &sub);
	pst_ndb_add_node(n, nid, data, sub, 0);
	pst_tc_release(&tc);
}

void pst_write_templates(struct pst_ndb *n, uint32_t inbox_nid)
{
	write_table(n, 0x60D, pst_hierarchy_cols, pst_hierarchy_ncols, NULL, 0);
	write_table(n, 0x60E, pst_contents_cols, pst_contents_ncols, NULL, 0);
	write_table(n, 0x60F, fai_cols, sizeof(fai_cols) / sizeof(fai_cols[0]), NULL, 0);
	write_table(n, 0x671, pst_attach_cols, pst_attach_ncols, NULL, 0);
	write_table(n, 0x692, pst_recipient_cols, pst_recipient_ncols, NULL, 0);
	struct pst_tc tc;
	pst_tc_init(&tc, n, receive_cols, 2);
	pst_tc_row_begin(&tc, inbox_nid);
	pst_tc_set_string(&tc, PROP(0x001A, PT_UNICODE), "");	/* every class */
	pst_tc_set_u32(&tc, PROP(0x6605, PT_LONG), inbox_nid);
	pst_tc_row_end(&tc);
	uint64_t data, sub;
	pst_tc_write(&tc, &data, &sub);
	pst_ndb_add_node(n, 0x62B, data, sub, 0);
	pst_tc_release(&tc);
	/* the search management queue and search domain object start empty */
	pst_ndb_add_node(n, 0x1E1, 0, 0, 0);
	pst_ndb_add_node(n, 0x261, 0, 0, 0);
}

static void write_folder_pc(struct pst_ndb *n, const struct pst_folder_info *f)
{
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	pst_pc_add_string(&pc, 0x3001, f->name);
	pst_pc_add_u32(&pc, 0x3602, PT_LONG, f->content_count);
	pst_pc_add_u32(&pc, 0x3603, PT_LONG, f->unread_count);
	pst_pc_add_bool(&pc, 0x360A, f->has_subfolders);
	if (f->container_class)
		pst_pc_add_string(&pc, 0x3613, f->container_class);
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	pst_ndb_add_node(n, f->nid, data, sub, f->parent);
	pst_pc_release(&pc);
}

void pst_write_folder_with_contents(struct pst_ndb *n, const struct pst_folder_info *f,
				    const struct pst_folder_info *children, size_t nchildren,
				    uint64_t contents_data, uint64_t contents_sub)
{
	write_folder_pc(n, f);
	write_table(n, PST_NID_HIERARCHY(f->nid), pst_hierarchy_cols, pst_hierarchy_ncols,
		    children, nchildren);
	pst_ndb_add_node(n, PST_NID_CONTENTS(f->nid), contents_data, contents_sub, 0);
	write_table(n, PST_NID_FAI(f->nid), fai_cols, sizeof(fai_cols) / sizeof(fai_cols[0]),
		    NULL, 0);
}

void pst_write_folder(struct pst_ndb *n, const struct pst_folder_info *f,
		      const struct pst_folder_info *children, size_t nchildren)
{
	write_folder_pc(n, f);
	write_table(n, PST_NID_HIERARCHY(f->nid), pst_hierarchy_cols, pst_hierarchy_ncols,
		    children, nchildren);
	write_table(n, PST_NID_CONTENTS(f->nid), pst_contents_cols, pst_contents_ncols, NULL, 0);
	write_table(n, PST_NID_FAI(f->nid), fai_cols, sizeof(fai_cols) / sizeof(fai_cols[0]),
		    NULL, 0);
}

void pst_write_store(struct pst_ndb *n, const uint8_t record_key[16], const char *name,
		     uint32_t sent_nid, uint32_t views_nid)
{
	struct pst_pc pc;
	uint8_t eid[24];
	pst_pc_init(&pc, n);
	pst_pc_add_binary(&pc, 0x0FF9, PT_BINARY, record_key, 16);	/* PR_RECORD_KEY */
	pst_pc_add_string(&pc, 0x3001, name);
	pst_entry_id(eid, record_key, PST_NID_IPM_SUBTREE);
	pst_pc_add_binary(&pc, 0x35E0, PT_BINARY, eid, sizeof(eid));
	pst_entry_id(eid, record_key, PST_NID_WASTEBASKET);
	pst_pc_add_binary(&pc, 0x35E3, PT_BINARY, eid, sizeof(eid));
	pst_entry_id(eid, record_key, PST_NID_FINDER);
	pst_pc_add_binary(&pc, 0x35E7, PT_BINARY, eid, sizeof(eid));
	if (sent_nid) {
		pst_entry_id(eid, record_key, sent_nid);
		pst_pc_add_binary(&pc, 0x35E4, PT_BINARY, eid, sizeof(eid));
	}
	if (views_nid) {
		pst_entry_id(eid, record_key, views_nid);
		pst_pc_add_binary(&pc, 0x35E6, PT_BINARY, eid, sizeof(eid));
	}
	/* PR_VALID_FOLDER_MASK: subtree, wastebasket, finder (, sent mail, common views) */
	pst_pc_add_u32(&pc, 0x35DF, PT_LONG, 0x01 | 0x08 | 0x80 | (sent_nid ? 0x10 : 0) |
		       (views_nid ? 0x40 : 0));
	pst_pc_add_u32(&pc, 0x67FF, PT_LONG, 0);				/* no password */
	uint64_t data, sub;
	pst_pc_write(&pc, &data, &sub);
	pst_ndb_add_node(n, PST_NID_STORE, data, sub, 0);
	pst_pc_release(&pc);
}
