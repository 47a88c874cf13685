/*
 * A store that is one mailbox (a Maildir, an mbox file or tree, an EML
 * tree, a PST or OST): the store handle and the mailbox handle are one
 * object, and the mailbox is handed out once at a time.  A reader puts
 * struct onebox first in its own struct, fills it at open (onebox_init,
 * onebox_box, onebox_dir) and takes the onebox_* functions below as its
 * next_mailbox, open_mailbox and mail_dirs ops; its close_mailbox releases
 * its own state and then calls onebox_close_mailbox.
 */
#ifndef MDX_ONEBOX_H
#define MDX_ONEBOX_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/reader.h"

struct onebox {
	struct mail_reader r;	/* the store */
	struct mail_mailbox m;	/* its one mailbox; m.diag is the store's until opened */
	bool given;		/* next_mailbox has handed the mailbox out */
	bool open;		/* open_mailbox has, and close_mailbox not yet */
	struct mail_box box;
	struct mail_dir dir;	/* mail_dirs(): SOURCE */
};

void onebox_init(struct onebox *o, const struct mail_reader_ops *v, struct diag *d);
/* onebox_box: the mailbox's names (kept, not copied: the reader owns them until close) */
void onebox_box(struct onebox *o, const char *domain, const char *mailbox, const char *path);
/* onebox_dir: SOURCE for mail_dirs(), by its path and what fstat said of it */
void onebox_dir(struct onebox *o, const char *path, const struct stat *st);
/* onebox_of: the reader (whose first member is the onebox) of a mailbox handle */
void *onebox_of(struct mail_mailbox *m);

int onebox_next_mailbox(struct mail_reader *r, const struct mail_box **box_r, struct sbuf *err);
struct mail_mailbox *onebox_open_mailbox(struct mail_reader *r, const struct mail_box *box,
					 struct diag *d, struct msg_hash *hash, struct sbuf *err);
/* onebox_close_mailbox: the handle back to the store (its diag, no hash) */
void onebox_close_mailbox(struct mail_mailbox *m);
size_t onebox_mail_dirs(struct mail_reader *r, const struct mail_dir **dirs_r);

#endif
