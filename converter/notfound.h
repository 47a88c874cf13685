/*
 * issue 16: the mailboxes whose mail folder the store's account list names
 * but which was not found (struct mail_box.not_found), gathered during a
 * run and said once at its end, with the --map the reader suggests,
 * instead of one error line each: 500 accounts copied without their mail
 * folders are one problem, not 500.
 */
#ifndef MDX_NOTFOUND_H
#define MDX_NOTFOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/conv.h"
#include "core/sbuf.h"

struct notfound {
	char **names;		/* "mailbox@domain" */
	char **paths;		/* as the account list names them */
	size_t count;
	char *hint;		/* the reader's "WINPREFIX=LOCALDIR", or NULL */
};

/*
 * notfound_add: box, when next_mailbox said it cannot be read because its
 * folder is not found (status CONV_MAILBOX_BAD and box->not_found), is
 * recorded: true (the caller says nothing of it now); else false.  Not
 * thread-safe: called where next_mailbox is.
 */
bool notfound_add(struct notfound *nf, const struct mail_box *box, int status);
/* notfound_line: the one line saying them all (nothing when none), "\n"-ended */
void notfound_line(const struct notfound *nf, struct sbuf *out);
/* notfound_json: `"not_found": [{"mailbox": ..., "path": ...}], "map_hint": ...` */
void notfound_json(const struct notfound *nf, struct sbuf *j);
void notfound_release(struct notfound *nf);

#endif
