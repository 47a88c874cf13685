/*
 * Reading a Maildir output back (the read-back interface, core/check.h).
 */
#ifndef MDX_MAILDIR_CHECK_H
#define MDX_MAILDIR_CHECK_H

#include "core/check.h"

/* the Maildir read-back (formats.c lists it) */
extern const struct mail_check_ops maildir_check_ops;

/*
 * verify_maildir: the file at path is the source with CRLF turned into LF
 * (nothing else), and its name "<date>.M<n>_<name>.mdexport:2,<flags>"
 * carries the source's internal date and exactly its flags.
 */
int verify_maildir(const struct mail_msg *src, const char *path, struct sbuf *why);

#endif
