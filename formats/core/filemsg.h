/*
 * A message that is one whole file (an MDaemon .msg, a Maildir or an EML
 * file): how every such reader opens it, so that each does it the same
 * way (read-only, never through a link, O_NOATIME where allowed, held to
 * its size and mtime, its header read through the body).
 */
#ifndef MDX_FILEMSG_H
#define MDX_FILEMSG_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/conv.h"
#include "core/reader.h"

struct file_msg {
	int fd;			/* the open file; -1: none */
	struct file_body body;	/* its bytes: all of it */
};

void file_msg_init(struct file_msg *f);
/* file_msg_close: the file closed, and m (whose body it was) left without one */
void file_msg_close(struct file_msg *f, struct mail_msg *m);
/*
 * file_msg_open: name in dirfd (dirfd < 0: its folder could not be read)
 * as message m, whose origin names it: opened, checked to be a regular
 * file, m's size and body set and held to the file's size and mtime, and
 * its header read (msg_read_head, which also gives m the mailbox's hash).
 * dated_by_mtime: the file's mtime is m's received date (a Maildir's, an
 * EML file's), set as soon as it is known.  *st is the file's stat.
 * CONV_OK, or CONV_MSG_BAD with err set and nothing left open.
 */
int file_msg_open(struct file_msg *f, struct mail_msg *m, int dirfd, const char *name,
		  const struct mail_mailbox *mb, struct sbuf *prefix, bool dated_by_mtime,
		  struct stat *st, struct sbuf *err);

#endif
