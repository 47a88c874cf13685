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

#include <stdbool.h>
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
#define PST_DEFAULT_NNAMES 35
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
/*
 * pst_write_name_map_gw: the same, followed by pst_gw_names when the store
 * holds groupware items (issue 14); a store of mail only keeps exactly
 * Outlook's 35 names (tests/e2e/t5100 compares them).
 */
void pst_write_name_map_gw(struct pst_ndb *n, bool groupware);

/*
 * Named properties of Outlook items (issue 14), appended after the
 * defaults so that no default ID moves.  Those among the defaults are
 * used by their default IDs (PST_PID_*).
 */
enum pst_gw_name {
	GWN_APPT_SEQUENCE, GWN_LOCATION, GWN_APPT_DURATION, GWN_APPT_SUBTYPE,
	GWN_APPT_STATE_FLAGS, GWN_RESPONSE_STATUS, GWN_INTENDED_BUSY,
	GWN_EXCEPTION_REPLACE_TIME, GWN_FINVITED, GWN_RECURRENCE_PATTERN, GWN_TZ_DESCRIPTION,
	GWN_ALL_ATTENDEES, GWN_TO_ATTENDEES, GWN_CC_ATTENDEES, GWN_FEXCEPTIONAL_BODY,
	GWN_TZDEF_START, GWN_TZDEF_END, GWN_TZDEF_RECUR,
	GWN_GLOBAL_OBJECT_ID, GWN_IS_RECURRING, GWN_IS_EXCEPTION, GWN_CLEAN_GLOBAL_OBJECT_ID,
	GWN_REMINDER_DELTA, GWN_PRIVATE, GWN_COMMON_START, GWN_COMMON_END, GWN_TASK_MODE,
	GWN_MILEAGE, GWN_BILLING, GWN_COMPANIES, GWN_REMINDER_SIGNAL_TIME,
	GWN_PERCENT_COMPLETE, GWN_TASK_DATE_COMPLETED, GWN_TASK_ACTUAL_EFFORT,
	GWN_TASK_ESTIMATED_EFFORT, GWN_TASK_STATE, GWN_TASK_RECURRENCE, GWN_TASK_FCREATOR,
	GWN_TASK_FRECURRING, GWN_TASK_OWNERSHIP, GWN_TASK_ACCEPTANCE_STATE,
	GWN_FILE_UNDER, GWN_FILE_UNDER_ID, GWN_HOME_ADDRESS, GWN_WORK_ADDRESS, GWN_OTHER_ADDRESS,
	GWN_POSTAL_ADDRESS_ID, GWN_AB_EMAIL_LIST, GWN_AB_ARRAY_TYPE, GWN_HTML,
	GWN_WORK_STREET, GWN_WORK_CITY, GWN_WORK_STATE, GWN_WORK_ZIP, GWN_WORK_COUNTRY,
	GWN_DL_NAME, GWN_DL_ONE_OFF_MEMBERS, GWN_DL_MEMBERS, GWN_IM_ADDRESS,
	GWN_EMAIL1_DISPLAY_NAME, GWN_EMAIL1_ADDR_TYPE, GWN_EMAIL1_ADDRESS, GWN_EMAIL1_ORIG_DISPLAY,
	GWN_EMAIL1_ORIG_EID,
	GWN_EMAIL2_DISPLAY_NAME, GWN_EMAIL2_ADDR_TYPE, GWN_EMAIL2_ADDRESS, GWN_EMAIL2_ORIG_DISPLAY,
	GWN_EMAIL2_ORIG_EID,
	GWN_EMAIL3_DISPLAY_NAME, GWN_EMAIL3_ADDR_TYPE, GWN_EMAIL3_ADDRESS, GWN_EMAIL3_ORIG_DISPLAY,
	GWN_EMAIL3_ORIG_EID,
	GWN_NOTE_COLOR, GWN_NOTE_WIDTH, GWN_NOTE_HEIGHT, GWN_NOTE_X, GWN_NOTE_Y,
	GWN_COUNT
};
extern const struct pst_named_prop pst_gw_names[];
/* the property ID of a groupware name */
#define PST_GW_PID(n) ((uint16_t)(0x8000u + PST_DEFAULT_NNAMES + (unsigned)(n)))

/* groupware names among the defaults (pst_default_names' order) */
#define PST_PID_BUSY_STATUS 0x8000u	/* PidLidBusyStatus */
#define PST_PID_RECURRING 0x8001u	/* PidLidRecurring */
#define PST_PID_RECURRENCE_TYPE 0x8002u	/* PidLidRecurrenceType */
#define PST_PID_APPT_RECUR 0x8003u	/* PidLidAppointmentRecur */
#define PST_PID_START_WHOLE 0x8004u	/* PidLidAppointmentStartWhole */
#define PST_PID_END_WHOLE 0x8005u	/* PidLidAppointmentEndWhole */
#define PST_PID_CLIP_START 0x8006u	/* PidLidClipStart */
#define PST_PID_CLIP_END 0x8007u	/* PidLidClipEnd */
#define PST_PID_TZ_STRUCT 0x8008u	/* PidLidTimeZoneStruct */
#define PST_PID_SIDE_EFFECTS 0x8010u	/* PidLidSideEffects, PSETID_Common 0x8510 */
#define PST_PID_KEYWORDS 0x8013u	/* PS_PUBLIC_STRINGS "Keywords" */
#define PST_PID_REMINDER_TIME 0x8019u	/* PidLidReminderTime, PSETID_Common 0x8502 */
#define PST_PID_REMINDER_SET 0x8017u	/* PidLidReminderSet, 0x8503 */
#define PST_PID_TASK_START 0x801Au	/* PidLidTaskStartDate */
#define PST_PID_TASK_DUE 0x801Bu	/* PidLidTaskDueDate */
#define PST_PID_TASK_COMPLETE 0x801Cu	/* PidLidTaskComplete */
#define PST_PID_TASK_STATUS 0x8020u	/* PidLidTaskStatus */

#endif
