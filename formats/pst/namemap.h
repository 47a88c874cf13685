/*
 * The name-to-ID map (node 0x61, [MS-PST] 2.4.7): named properties
 * (a property-set GUID with a number or a string) to the property IDs
 * 0x8000 + n used in this store.  mdexport writes the 35 names an empty
 * store made by Outlook itself carries, in the same order, so that the
 * named columns of Outlook's own tables (the IPM subtree's contents table
 * uses 0x8010-0x8022) mean the same in our files.
 */
#ifndef MDX_PST_NAMEMAP_H
#define MDX_PST_NAMEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "pst/ltp.h"

#define PST_NID_NAME_MAP 0x61u
#define PST_NAMEMAP_BUCKETS 251u
/* PidLidSmartNoAttach (PSETID_Common, 0x8514): pst_default_names[0x15] */
#define PST_PID_SMART_NO_ATTACH 0x8015u

struct pst_named_prop {
	const uint8_t *guid;		/* 16 bytes, as stored (little-endian fields) */
	uint32_t lid;			/* a numbered name (when name is NULL) */
	const char *name;		/* a string name, or NULL */
};

/* the names of an Outlook-made empty store; entry i is property 0x8000 + i */
extern const struct pst_named_prop pst_default_names[];
extern const size_t pst_default_nnames;

/*
 * The map's streams for names[0..count): the GUID stream (GUIDs other
 * than PS_MAPI and PS_PUBLIC_STRINGS, in order of first use), the entry
 * stream (8 bytes a name), the string stream (length + UTF-16LE, 4-byte
 * aligned) and each hash bucket (bucket b is property 0x1000 + b).
 */
struct pst_namemap {
	struct sbuf guids, entries, strings;
	struct sbuf buckets[PST_NAMEMAP_BUCKETS];
};
void pst_namemap_build(struct pst_namemap *m, const struct pst_named_prop *names, size_t count);
void pst_namemap_release(struct pst_namemap *m);

/* pst_write_name_map: node 0x61 holding pst_default_names */
void pst_write_name_map(struct pst_ndb *n);

#endif
