/*
 * App/userlist.dat: one fixed-width account record per line (237 bytes with
 * CRLF): Domain 0/45, Mailbox 45/30, FullName 75/30, MailDir 105/90,
 * Password 195/20 (never read), then one-letter options 215..224
 * (AccessType at 217, ApplyQuotas at 222), MaxMessageCount 225/4 and
 * MaxDiskSpace 229/6 (KB).  Fields are space padded.
 */
#ifndef MDX_USERLIST_H
#define MDX_USERLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

struct userlist_entry {
	char *domain;		/* UTF-8 (see wintext.h) */
	char *mailbox;
	char *full_name;
	char *maildir;		/* Windows path as stored, e.g. C:\MDaemon\Users\x\y\ */
	size_t line;		/* 1-based line number */
	/*
	 * issue 14 (mdexport accounts): the account's options as the line
	 * holds them.  access: 'Y' POP and IMAP, 'P' POP only, 'I' IMAP only,
	 * 'N' neither, 'C' disabled; '\0' when the line is too short or the
	 * byte is none of these.  apply_quotas: 'Y', 'N' or '\0'.  The limits:
	 * -1 when the field is missing or not a number (0 is what the file
	 * says; MDaemon takes it as "no limit").
	 */
	char access;
	char apply_quotas;
	long max_messages;
	long max_disk_kb;
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
void userlist_entry_release(struct userlist_entry *e);

/*
 * The longest part of a line that is kept: the fields we use end at byte
 * 195, later versions may add fields after them; the rest of a longer line
 * is read past and dropped, so a file without line ends costs no memory.
 */
#define USERLIST_LINE_KEEP 4096

/*
 * userlist_read: read an open userlist.dat line by line, holding one line
 * (at most USERLIST_LINE_KEEP bytes of it) at a time.  For each account
 * line calls account(ctx, e), which takes ownership of e's strings; for
 * each refused line refused(ctx, line number, reason).  account returns
 * false to stop reading.  Returns 0, or -1 (errno) when the file could not
 * be read.
 */
typedef bool userlist_account_fn(void *ctx, struct userlist_entry *e);
typedef void userlist_refused_fn(void *ctx, size_t lineno, const char *reason);
int userlist_read(int fd, userlist_account_fn *account, userlist_refused_fn *refused,
		  void *ctx);

#endif
