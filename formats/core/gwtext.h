/*
 * Groupware items as text (issue 14), for the formats that keep them in
 * files beside the mail folders (mbox, Maildir, EML): iCalendar (RFC 5545:
 * VEVENT, VTODO, with the VTIMEZONE they need), vCard (RFC 6350 4.0, or
 * RFC 2426 3.0 for older importers) and notes as plain text.  Lines end in
 * CRLF, folded at 75 octets without splitting a UTF-8 sequence, values
 * escaped as the RFCs say.  Deterministic: the same item gives the same
 * bytes (no time of the run, no random UIDs).
 *
 * A folder's file is a header (gwtext_begin), the items (gwtext_item, each
 * a whole component: its bytes are the item's place in the manifest) and a
 * trailer (gwtext_end).  The VTIMEZONEs an .ics needs come with the first
 * item that uses each zone, inside the VCALENDAR.
 */
#ifndef MDX_GWTEXT_H
#define MDX_GWTEXT_H

#include <stdbool.h>

#include "core/gwitem.h"
#include "core/sbuf.h"

enum gwtext_kind { GWTEXT_ICS, GWTEXT_VCF, GWTEXT_TXT };

struct gwtext_opts {
	unsigned vcard_version;	/* 4 (default) or 3 */
};

/* gwtext_kind_for: the file an item kind goes to (calendar, task: .ics; contact: .vcf; note: .txt) */
enum gwtext_kind gwtext_kind_for(enum item_kind kind);
/* gwtext_suffix: ".ics", ".vcf", ".txt" */
const char *gwtext_suffix(enum gwtext_kind k);

/*
 * A folder's file being written: which zones it already described (a
 * VTIMEZONE once per file), the options.
 */
struct gwtext_file {
	enum gwtext_kind kind;
	struct gwtext_opts opts;
	const struct tzone **zones;	/* VTIMEZONEs already written */
	size_t nzones;
};
void gwtext_file_init(struct gwtext_file *f, enum gwtext_kind kind, const struct gwtext_opts *o);
void gwtext_file_release(struct gwtext_file *f);

/* gwtext_begin: what the file starts with ("BEGIN:VCALENDAR..." for .ics; "" otherwise) */
void gwtext_begin(struct gwtext_file *f, struct sbuf *out);
/*
 * gwtext_item: the item as text, appended to out: for .ics any VTIMEZONE it
 * needs that the file lacks, then its VEVENT/VTODO and its changed
 * occurrences' VEVENTs; for .vcf one VCARD; for .txt the note (a header of
 * "Field: value" lines, an empty line, the body, ended by a line "\f")
 */
void gwtext_item(struct gwtext_file *f, const struct gw_item *it, struct sbuf *out);
/* gwtext_end: what the file ends with ("END:VCALENDAR" for .ics) */
void gwtext_end(struct gwtext_file *f, struct sbuf *out);

#endif
