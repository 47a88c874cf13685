/*
 * App/userlist.dat: one fixed-width account record per line (237 bytes with
 * CRLF): Domain 0/45, Mailbox 45/30, FullName 75/30, MailDir 105/90, then
 * password and option fields we do not need.  Fields are space padded.
 */
#ifndef MDX_USERLIST_H
#define MDX_USERLIST_H

#include <stddef.h>

#include "sbuf.h"

struct userlist_entry {
	char *domain;		/* UTF-8 (see wintext.h) */
	char *mailbox;
	char *full_name;
	char *maildir;		/* Windows path as stored, e.g. C:\MDaemon\Users\x\y\ */
	size_t line;		/* 1-based line number */
};

struct userlist {
	struct userlist_entry *entries;
	size_t count;
};

/*
 * userlist_parse: decode the file image.  Lines too short to hold a domain,
 * a mailbox and a MailDir, or holding control bytes in the first two, are
 * skipped with one
 * warning line each in warnings ('\n'-separated).  Lines longer than 237
 * bytes are accepted (later versions may add fields).
 */
void userlist_parse(const char *data, size_t len, struct userlist *out,
		    struct sbuf *warnings);
void userlist_release(struct userlist *ul);

#endif
