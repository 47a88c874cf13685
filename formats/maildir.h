/*
 * The Maildir writer's naming rules, shared with `mdexport verify`, which
 * checks a Maildir against exactly the names the writer gives.
 */
#ifndef MDX_MAILDIR_H
#define MDX_MAILDIR_H

#include "conv.h"
#include "sbuf.h"

/*
 * maildir_folder_parts: append the parts of a logical folder path in
 * Dovecot's on-disk form (modified UTF-7; '.', '\' and a leading '~'
 * escaped), joined by sep ('.' for the directory, '\t' for subscriptions)
 */
void maildir_folder_parts(struct sbuf *out, const char *path, char sep);
/* maildir_file_name: append <received>.M<seq>_<source stem>.mdexport:2,<flags> */
void maildir_file_name(struct sbuf *out, const struct mail_msg *msg);

#endif
