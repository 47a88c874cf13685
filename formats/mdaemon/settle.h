/*
 * Live stores (issue 13): what a folder directory looked like when the
 * reader listed it, taken again after its last message was read, to tell
 * whether MDaemon changed it in between.  MDaemon writes a new .msg, then
 * appends its record to IMAP.MRK and moves UIDNext and LastWriteCounter on
 * (the counter also moves on a flag change or an expunge): either a new
 * listing or a new header shows the change.
 */
#ifndef MDX_MDAEMON_SETTLE_H
#define MDX_MDAEMON_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "core/settle.h"

struct md_dirstate {
	bool taken;		/* false: the directory could not be read */
	struct name_digest msgs;	/* the .msg names listed */
	bool mrk;		/* an IMAP.MRK header was read */
	uint32_t uidnext, write_counter;
};

/*
 * md_dirstate_read_mrk: the header of the directory's IMAP.MRK (mrk_name,
 * NULL: none listed) into s; a file that cannot be read or is shorter than
 * the header counts as none
 */
void md_dirstate_read_mrk(int dirfd, const char *mrk_name, struct md_dirstate *s);
/* md_dirstate_take: the directory listed and its IMAP.MRK header read, now; -1 (errno) */
int md_dirstate_take(int dirfd, struct md_dirstate *s);
/* md_dirstate_changed: whether now differs from then; why says how (appended) */
bool md_dirstate_changed(const struct md_dirstate *then, const struct md_dirstate *now,
			 struct sbuf *why);

#endif
