#include "live.h"

#include <stdio.h>
#include <string.h>

unsigned live_unsettled(struct mail_mailbox *mb, struct sbuf *what)
{
	sbuf_reset(what);
	if (!mb || !mb->v->unsettled)
		return 0;
	return mb->v->unsettled(mb, what);
}

/* warn_lines: a warning for each line of what (its newline dropped), tail added */
static void warn_lines(struct diag *d, const char *mailbox, const struct sbuf *what,
		       const char *tail)
{
	const char *p = what->len ? what->buf : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		diag_warn(d, "%s: folder %.*s%s", mailbox, n, p, tail);
		p += n + (nl != NULL);
	}
}

void live_note_again(struct diag *d, const char *mailbox, unsigned try, const struct sbuf *what)
{
	char tail[160];
	snprintf(tail, sizeof(tail), " (it changed while it was read); reading the mailbox "
		 "again, try %u of %u", try, LIVE_TRIES);
	warn_lines(d, mailbox, what, tail);
}

void live_note_changing(struct diag *d, const char *mailbox, const struct sbuf *what)
{
	char tail[200];
	snprintf(tail, sizeof(tail), " (it changed while it was read, on each of %u tries); "
		 "exported as the last try read it; it is counted as changing", LIVE_TRIES);
	warn_lines(d, mailbox, what, tail);
}
