/*
 * The Maildir++ writer and reader (read.c), and the writer's naming rules, shared with `mdexport verify`, which
 * checks a Maildir against exactly the names the writer gives.
 */
#ifndef MDX_MAILDIR_H
#define MDX_MAILDIR_H

#include <stdbool.h>

#include "core/conv.h"
#include "core/reader.h"
#include "core/sbuf.h"
#include "core/writer.h"

/*
 * maildir_folder_parts: append the parts of a logical folder path in
 * Dovecot's on-disk form (modified UTF-7; '.', '\' and a leading '~'
 * escaped), joined by sep ('.' for the directory, '\t' for subscriptions)
 */
void maildir_folder_parts(struct sbuf *out, const char *path, char sep);
/*
 * maildir_folder_dir: append the folder's directory name, "." and its parts
 * joined by '.'.  A name longer than MAILDIR_NAME_MAX keeps its leading
 * whole parts that fit and ends in a part "mdexport-<16 hex digits>" (a
 * digest of the full name); returns true when it was shortened so.
 */
#define MAILDIR_NAME_MAX 255	/* NAME_MAX of Linux file systems */
bool maildir_folder_dir(struct sbuf *out, const char *path);
/*
 * maildir_file_name: append <received>.M<seq>_<source stem>.mdexport:2,<flags>,
 * the stem cut so that the name stays within MAILDIR_NAME_MAX bytes
 */
void maildir_file_name(struct sbuf *out, const struct mail_msg *msg);
/*
 * maildir_file_name_round: the same for a message added by round N of
 * export --incremental (N > 1): M<seq>R<N>, so that it can never meet a
 * name an earlier round gave (a position in the folder is no longer unique
 * once messages come and go between rounds)
 */
void maildir_file_name_round(struct sbuf *out, const struct mail_msg *msg, unsigned round);
/*
 * maildir_file_name_sep: the same with sep (':', ';' or '!'; 0: ':') before
 * "2,<flags>" (issue 16: --maildir-flag-separator)
 */
void maildir_file_name_sep(struct sbuf *out, const struct mail_msg *msg, unsigned round,
			   char sep);
/*
 * maildir_info: where a message file name's info begins: the last ':', ';'
 * or '!' followed by "2," (NULL: none).  Readers differ in the separator
 * (README, "Maildir names for Windows shares"); a name holds one of them.
 */
#define MAILDIR_INFO_SEPS ":;!"
const char *maildir_info(const char *name);

/* the Maildir++ writer (formats.c lists it) */
extern const struct mail_writer_ops maildir_writer_ops;

/*
 * maildir_folder_path: append the logical folder path ('/'-separated,
 * UTF-8) of a Maildir++ directory name (".A.B", leading '.' optional): the
 * inverse of maildir_folder_dir for every name it does not shorten.  Each
 * part's "\XX" escapes are undone, then it is decoded from modified UTF-7;
 * returns false when a part holding '&' did not decode (kept as it is).
 */
bool maildir_folder_path(struct sbuf *out, const char *dir);
/* maildir_name_flags: enum msg_flags from a message file name's ":2,<letters>" */
unsigned maildir_name_flags(const char *name);

/* the Maildir++ reader: SOURCE is one Maildir, read as mailbox <name>@localhost */
extern const struct mail_reader_ops maildir_reader_ops;

#endif
