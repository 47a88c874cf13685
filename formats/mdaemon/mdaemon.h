/*
 * Internal to the MDaemon reader: finding the accounts of a store.
 */
#ifndef MDX_MDAEMON_H
#define MDX_MDAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/diag.h"
#include "core/reader.h"
#include "core/sbuf.h"

struct md_account {
	char *domain;
	char *mailbox;
	char *full_name;
	char *path;		/* local MailDir; NULL when it could not be found */
	char *origin;		/* "userlist.dat", "Users/" or "SOURCE" */
	char *problem;		/* why it is not read (path NULL) */
	char *shared_with;	/* NULL, or the account ("a@b") that reads this MailDir */
	char *winpath;		/* issue 16: userlist.dat's MailDir, when not found; else NULL */
	size_t line;		/* userlist.dat line; 0 when not from there */
	/* issue 14: userlist.dat's options (userlist.h); '\0' and -1 when not known */
	char access;
	char apply_quotas;
	long max_messages;
	long max_disk_kb;
	/* issue 14: SOURCE's "Public Folders": not an account, and no INBOX */
	bool is_public;
	bool has_id;		/* dev/ino are those of the opened MailDir */
	dev_t dev;
	ino_t ino;
};

struct md_accounts {
	struct md_account *v;
	size_t count;
	/*
	 * issue 16: the --map that may find the accounts whose MailDir was not
	 * found ("WINPREFIX=LOCALDIR": their common Windows prefix, and where
	 * it may be here); NULL when none is missing or they share no prefix
	 */
	char *map_hint;
};

/*
 * md_find_accounts: decide what SOURCE is (MDaemon root, its Users folder,
 * or one mailbox) and list its accounts, sorted by domain and mailbox.
 * Returns 0, or -1 with err set when SOURCE is not usable at all.
 *
 * Two userlist.dat accounts whose MailDir is one directory (same device
 * and inode of the opened directory, whatever the strings say) are read
 * once, as the first of them in userlist.dat order; the others get a
 * warning and a problem ("shares its mail folder ...") and are not read.
 */
/*
 * Public folders (issue 14): an MDaemon root's "Public Folders" directory
 * is one more mailbox, named MD_PUBLIC_MAILBOX in domain MD_PUBLIC_DOMAIN
 * (output DIR/public/Public Folders[.pst]), listed after the accounts,
 * unless set->no_public_folders.  Its folders are its *.IMAP
 * directories; it has no INBOX.
 */
#define MD_PUBLIC_DIR "Public Folders"
#define MD_PUBLIC_DOMAIN MAIL_PUBLIC_DOMAIN
#define MD_PUBLIC_MAILBOX MAIL_PUBLIC_MAILBOX

int md_find_accounts(const char *source, const struct reader_settings *set,
		     struct diag *d, struct md_accounts *out, struct sbuf *err);
void md_accounts_release(struct md_accounts *a);
/* md_resolve_ci: base/comps[0]/.../comps[n-1], names matched in any case; NULL: not there */
char *md_resolve_ci(const char *base, char *const *comps, size_t n);
/*
 * md_suggest_map (mdaemon_hint.c): for the accounts of a whose MailDir was
 * not found, "WINPREFIX=LOCALDIR", or NULL (none missing, or no prefix
 * they share); users is SOURCE's Users folder
 */
char *md_suggest_map(const char *source, const char *users, const struct md_accounts *a);

/*
 * md_folder_name: append to out the name (UTF-8) of folder directory
 * "<stem>.IMAP", stem being its len bytes before ".IMAP": modified UTF-7
 * when it is strictly that, else Windows text (wintext.h), or, with
 * --fallback-charset given (fallback, NULL-terminated; issue 15), UTF-8
 * when valid, else the first fallback that reads it (core/hdrtext.h).
 * An empty stem gives a visible placeholder name and returns false; else true.
 */
bool md_folder_name(struct sbuf *out, const char *stem, size_t len, const char *const *fallback);

/* md_skip_dir: names that are never mailboxes or folders (Queues, WC, ...) */
bool md_skip_dir(const char *name);

/* the MDaemon store reader (formats.c names it) */
extern const struct mail_reader_ops mdaemon_reader_ops;

#endif
