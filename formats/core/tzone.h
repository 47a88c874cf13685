/*
 * Time zones for groupware items (issue 14).  MDaemon keeps local
 * wall-clock times without a zone; a tzone says how to read them: an IANA
 * zone (--timezone Europe/Paris, read from the system's zoneinfo through
 * GLib's GTimeZone), or a fixed offset the source itself revealed (a
 * recurrence's TimeZone Bias).  A tzone is immutable once made and may be
 * shared by threads.  It also writes the zone for the outputs: an
 * iCalendar VTIMEZONE, and the [MS-OXOCAL] structures Outlook keeps on an
 * appointment (PidLidTimeZoneStruct, PidLidAppointmentTimeZoneDefinition*).
 */
#ifndef MDX_TZONE_H
#define MDX_TZONE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/gwitem.h"
#include "core/sbuf.h"

struct tzone;

/* tzone_new_iana: the zone named (an IANA name); NULL with err set when the system has no such zone */
struct tzone *tzone_new_iana(const char *name, struct sbuf *err);
/* tzone_new_fixed: a zone offset_min minutes east of UTC all year (no DST); named "UTC+07:00" */
struct tzone *tzone_new_fixed(int offset_min);
void tzone_free(struct tzone *z);

/* tzone_name: the TZID written: the IANA name, or "UTC+07:00" */
const char *tzone_name(const struct tzone *z);
bool tzone_is_fixed(const struct tzone *z);
/* tzone_offset: minutes east of UTC in effect at local time t (a time a DST gap skips: the offset before it) */
int tzone_offset(const struct tzone *z, const struct gw_time *t);
/* tzone_to_utc: local time t as Unix seconds */
int64_t tzone_to_utc(const struct tzone *z, const struct gw_time *t);
/* tzone_from_utc: Unix seconds as local time */
struct gw_time tzone_from_utc(const struct tzone *z, int64_t t);

/*
 * tzone_vtimezone: a VTIMEZONE component (BEGIN:VTIMEZONE ... END:VTIMEZONE,
 * CRLF line ends) describing the zone over the years first..last: its
 * STANDARD and DAYLIGHT observances with their yearly rules
 */
void tzone_vtimezone(const struct tzone *z, int first, int last, struct sbuf *out);

/*
 * tzone_tzreg: the 48-byte TZREG ([MS-OXOCAL] 2.2.1.39) for year:
 * PidLidTimeZoneStruct's value (bias, standard/daylight bias, transition dates)
 */
void tzone_tzreg(const struct tzone *z, int year, struct sbuf *out);
/*
 * tzone_tzdefinition: a TZDEFINITION ([MS-OXOCAL] 2.2.1.42) with one rule
 * per year in first..last where the rule changes (flags: TZRULE_FLAG_*);
 * the value of PidLidAppointmentTimeZoneDefinitionStartDisplay/EndDisplay
 * (flags 0) and ...RecurrenceStartDisplay? (TZRULE_FLAG_RECUR_CURRENT_TZREG)
 */
#define TZRULE_FLAG_RECUR_CURRENT_TZREG 0x0001u
#define TZRULE_FLAG_EFFECTIVE_TZREG 0x0002u
void tzone_tzdefinition(const struct tzone *z, int first, int last, unsigned flags,
			struct sbuf *out);
/* tzone_description: PidLidTimeZoneDescription: "(UTC+01:00) Europe/Paris" */
void tzone_description(const struct tzone *z, struct sbuf *out);

#endif
