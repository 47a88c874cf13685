#include "core/flags.h"

#include <string.h>

#include "core/conv.h"

/* Maildir letters sorted ASCII here, so that building the suffix in table
 * order gives the order the Maildir specification asks for. */
const struct flag_map flag_table[] = {
	{ MSG_DRAFT, "\\Draft", 'D', 0, 'T' },
	{ MSG_FLAGGED, "\\Flagged", 'F', 0, 'F' },
	{ MSG_ANSWERED, "\\Answered", 'R', 0, 'A' },
	{ MSG_SEEN, "\\Seen", 'S', 'R', 0 },
	{ MSG_DELETED, "\\Deleted", 'T', 0, 'D' },
	{ 0, NULL, 0, 0, 0 },
};

void flags_maildir(unsigned flags, char *out)
{
	for (const struct flag_map *f = flag_table; f->flag; f++)
		if ((flags & f->flag) && f->maildir)
			*out++ = f->maildir;
	*out = '\0';
}

void flags_mbox(unsigned flags, char *status, char *xstatus)
{
	for (const struct flag_map *f = flag_table; f->flag; f++) {
		if (!(flags & f->flag))
			continue;
		if (f->mbox_status)
			*status++ = f->mbox_status;
		if (f->mbox_xstatus)
			*xstatus++ = f->mbox_xstatus;
	}
	*status++ = 'O';
	*status = '\0';
	*xstatus = '\0';
}

void flags_imap(unsigned flags, char *out)
{
	*out = '\0';
	for (const struct flag_map *f = flag_table; f->flag; f++) {
		if (!(flags & f->flag))
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, f->imap);
	}
}
