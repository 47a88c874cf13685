/*
 * Live stores (issue 13): a mailbox whose folders change while it is
 * exported (MDaemon still delivering).  The reader tells which folders
 * changed while they were read (mail_reader_ops.unsettled); the pipeline
 * then reads the whole mailbox again, up to LIVE_TRIES times in all, and
 * commits the last try's output, reporting the folders that never settled
 * as "changing" (exit status 1).  README, "Exporting a live store".
 */
#ifndef MDX_LIVE_H
#define MDX_LIVE_H

#include <stdbool.h>

#include "core/diag.h"
#include "core/reader.h"
#include "core/sbuf.h"

#define LIVE_TRIES 3u

/*
 * live_unsettled: after the mailbox's last folder was read, the folders
 * that changed while they were read (0: none, or a reader that cannot
 * tell), each on a line of what (reset first)
 */
unsigned live_unsettled(struct mail_mailbox *mb, struct sbuf *what);
/* live_note_again: the warning that try (2..LIVE_TRIES) reads the mailbox again, and why */
void live_note_again(struct diag *d, const char *mailbox, unsigned try, const struct sbuf *what);
/* live_note_changing: the warning naming each folder that never settled */
void live_note_changing(struct diag *d, const char *mailbox, const struct sbuf *what);

#endif
