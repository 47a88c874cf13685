/*
 * PST messaging layer, issue 14: a groupware item (core/gwitem.h) as an
 * Outlook item: IPM.Appointment (with its recurrence blob, exceptions as
 * embedded messages, attendees as recipients, time zone structures),
 * IPM.Contact, IPM.DistList, IPM.Task, IPM.StickyNote.  Named properties:
 * namemap.h's GWN_* (docs/pst-groupware.md lists them with their
 * [MS-OXOCAL], [MS-OXOCNTC], [MS-OXOTASK], [MS-OXONOTE] sections).
 */
#ifndef MDX_PST_GWPST_H
#define MDX_PST_GWPST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/gwitem.h"

#include "core/conv.h"
#include "core/sbuf.h"
#include "pst/ltp.h"

/* pst_folder_class: the container class of a folder of item kind k ("IPF.Appointment" ...); NULL for mail */
const char *pst_folder_class(enum item_kind k);

/*
 * pst_write_gw_item: msg (kind != ITEM_MAIL, gw set; its body the item's
 * source bytes) as the Outlook item node nid in folder folder_nid, with
 * its row in contents.  owner: the mailbox's address ("" unknown), to
 * tell a meeting it organized from one it was invited to.  An item with
 * extra or recovered also gets its source bytes attached as
 * MDaemon-item.xml.  Returns 0, or -1 with err when the source bytes could
 * not be read (nothing added then).
 */
int pst_write_gw_item(struct pst_ndb *n, struct pst_tc *contents, uint32_t nid,
		      uint32_t folder_nid, const struct mail_msg *msg, const char *owner,
		      struct sbuf *err);

/*
 * pst_recur_pattern: the RecurrencePattern structure ([MS-OXOCAL]
 * 2.2.1.44.1) of item it's recurrence (it->recur set), appended to out:
 * PidLidTaskRecurrence's value, and the start of PidLidAppointmentRecur's.
 * Public for the unit test.
 */
void pst_recur_pattern(const struct gw_item *it, struct sbuf *out);
/*
 * pst_appt_recur: PidLidAppointmentRecur's value: the RecurrencePattern,
 * then the AppointmentRecurrencePattern (2.2.1.44.2) with an ExceptionInfo
 * and an ExtendedException per changed occurrence (sorted by date)
 */
void pst_appt_recur(const struct gw_item *it, struct sbuf *out);
/* pst_recur_last: the date of the series' last occurrence; false: it never ends */
bool pst_recur_last(const struct gw_item *it, struct gw_time *last);
/* pst_recur_first: the series' first occurrence (the recurrence's start, else the item's) */
struct gw_time pst_recur_first(const struct gw_item *it);
/* pst_local_minutes: a local wall-clock time as minutes since 1601-01-01 00:00 (the blob's unit) */
uint32_t pst_local_minutes(const struct gw_time *t);

#endif
