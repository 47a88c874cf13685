/*
 * PST messaging layer, first part: the store and its folder skeleton.
 * NEEDSWORK (issue 3): only the nodes readers need so far (message store,
 * root folder, IPM subtree, search root, Deleted Items, with their
 * tables); Outlook's full 47-node set (templates, queues, spam search
 * folder, name-to-id map) comes next.
 */
#ifndef MDX_PST_STORE_H
#define MDX_PST_STORE_H

#include <stdint.h>

#include "ltp.h"

#define PST_NID_STORE 0x21u
#define PST_NID_ROOT 0x122u
#define PST_NID_IPM_SUBTREE 0x8022u
#define PST_NID_FINDER 0x8042u
#define PST_NID_WASTEBASKET 0x8062u
#define PST_NID_COMMON_VIEWS 0x8082u

/* the three tables of a folder share its NID index */
#define PST_NID_HIERARCHY(f) (((f) & ~0x1Fu) | 0x0D)
#define PST_NID_CONTENTS(f) (((f) & ~0x1Fu) | 0x0E)
#define PST_NID_FAI(f) (((f) & ~0x1Fu) | 0x0F)

/* the hierarchy table columns Outlook uses (pst-notes 3.3) */
extern const uint32_t pst_hierarchy_cols[];
extern const size_t pst_hierarchy_ncols;
extern const uint32_t pst_contents_cols[];
extern const size_t pst_contents_ncols;
extern const uint32_t pst_attach_cols[];
extern const size_t pst_attach_ncols;
extern const uint32_t pst_recipient_cols[];
extern const size_t pst_recipient_ncols;

/*
 * pst_write_templates: the empty table templates Outlook keeps (hierarchy,
 * contents, FAI, attachment, recipient), the receive-folder table sending
 * every message class to inbox_nid, and the empty search queue nodes.
 */
void pst_write_templates(struct pst_ndb *n, uint32_t inbox_nid);

struct pst_folder_info {
	uint32_t nid;
	uint32_t parent;
	const char *name;
	uint32_t content_count, unread_count;
	int has_subfolders;
	const char *container_class;	/* NULL: none */
};

/*
 * pst_write_folder: a folder's PC and its three tables; children are rows
 * of its hierarchy table (name and counts as in their info).
 */
void pst_write_folder(struct pst_ndb *n, const struct pst_folder_info *f,
		      const struct pst_folder_info *children, size_t nchildren);
/*
 * pst_write_folder_with_contents: the same, with a contents table already
 * written (its data and subnode BIDs) instead of an empty one.
 */
void pst_write_folder_with_contents(struct pst_ndb *n, const struct pst_folder_info *f,
				    const struct pst_folder_info *children, size_t nchildren,
				    uint64_t contents_data, uint64_t contents_sub);
/*
 * pst_write_store: the message store PC; sent_nid: the Sent Items folder,
 * views_nid: the common views folder (0 when there is none)
 */
void pst_write_store(struct pst_ndb *n, const uint8_t record_key[16], const char *name,
		     uint32_t sent_nid, uint32_t views_nid);
/* pst_write_name_map: the (empty) name-to-ID map, node 0x61 */
void pst_write_name_map(struct pst_ndb *n);
/* pst_entry_id: the 24-byte EntryID of nid in the store with record_key */
void pst_entry_id(uint8_t out[24], const uint8_t record_key[16], uint32_t nid);

#endif
