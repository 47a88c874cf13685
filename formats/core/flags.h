/*
 * One table maps each canonical message flag onto every format's letters,
 * so that writers never hard-code them.
 */
#ifndef MDX_FLAGS_H
#define MDX_FLAGS_H

struct flag_map {
	unsigned flag;		/* enum msg_flags */
	const char *imap;	/* "\\Seen" */
	char maildir;		/* letter after ":2," ('\0' = none) */
	char mbox_status;	/* letter in Status: */
	char mbox_xstatus;	/* letter in X-Status: */
};

extern const struct flag_map flag_table[];	/* ends with flag == 0 */

/* flags_maildir: the ":2," letters in ASCII order; out holds >= 8 bytes */
void flags_maildir(unsigned flags, char *out);
/* flags_mbox: Status (always with 'O': not new) and X-Status letters */
void flags_mbox(unsigned flags, char *status, char *xstatus);
/* flags_imap: space-separated IMAP flag names; out holds >= 64 bytes */
void flags_imap(unsigned flags, char *out);

#endif
