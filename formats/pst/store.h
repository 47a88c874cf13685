/*
 * PST messaging layer, first part: the store and its folder skeleton.
 * Every node of an empty store written by Outlook itself
 * (../shared/reference/outlook-empty.pst, 47 nodes) is written, with the
 * same table columns (tests/e2e/t5100-pst-skeleton.py compares them node
 * by node), so that Outlook has nothing to re-provision.
 */
#ifndef MDX_PST_STORE_H
#define MDX_PST_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "pst/ltp.h"

#define PST_NID_STORE 0x21u
#define PST_NID_ROOT 0x122u
#define PST_NID_IPM_SUBTREE 0x8022u
#define PST_NID_FINDER 0x8042u
#define PST_NID_WASTEBASKET 0x8062u
#define PST_NID_COMMON_VIEWS 0x8082u
#define PST_NID_SPAM_SEARCH 0x2223u
#define PST_SPAM_SEARCH_NAME "SPAM Search Folder 2"

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
 * pst_write_skeleton: the nodes every store has besides its folders: the
 * table templates, the receive-folder table sending every message class to
 * inbox_nid, the outgoing queue, the search nodes and spam search folder,
 * Outlook's undocumented queues, and the name-to-ID map.
 */
void pst_write_skeleton(struct pst_ndb *n, const uint8_t record_key[16], uint32_t inbox_nid);
/* pst_write_skeleton_gw: the same; groupware: the name map has the names Outlook items need */
void pst_write_skeleton_gw(struct pst_ndb *n, const uint8_t record_key[16], uint32_t inbox_nid,
			   bool groupware);
/* pst_derive_guid: a GUID made from the store's record key and a label (no randomness) */
void pst_derive_guid(uint8_t out[16], const uint8_t record_key[16], const char *label);

struct pst_folder_info {
	uint32_t nid;
	uint32_t parent;
	const char *name;
	uint32_t content_count, unread_count;
	int has_subfolders;
	const char *container_class;	/* NULL: none */
	const char *comment;		/* PR_COMMENT, or NULL */
	/* the root folder and the Inbox name the special folders (0: none) */
	const uint8_t *record_key;	/* NULL on other folders */
	uint32_t drafts_nid, junk_nid;
	/*
	 * issue 14: the first calendar, contacts, notes and tasks folders
	 * (PidTagIpm{Appointment,Contact,Note,Task}EntryId; 0: none)
	 */
	uint32_t calendar_nid, contacts_nid, notes_nid, tasks_nid;
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
/* pst_entry_id: the 24-byte EntryID of nid in the store with record_key */
void pst_entry_id(uint8_t out[24], const uint8_t record_key[16], uint32_t nid);

#endif
