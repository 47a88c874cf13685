#include "core/onebox.h"

#include <stddef.h>

void onebox_init(struct onebox *o, const struct mail_reader_ops *v, struct diag *d)
{
	o->r.v = o->m.v = v;
	o->r.diag = o->m.diag = d;
}

void onebox_box(struct onebox *o, const char *domain, const char *mailbox, const char *path)
{
	o->box = (struct mail_box){ .domain = domain, .mailbox = mailbox, .full_name = "",
				    .path = path, .origin = "SOURCE", .shared_with = NULL };
}

void onebox_dir(struct onebox *o, const char *path, const struct stat *st)
{
	o->dir = (struct mail_dir){ .path = path, .owner = "SOURCE", .dev = st->st_dev,
				    .ino = st->st_ino };
}

void *onebox_of(struct mail_mailbox *m)
{
	return (char *)m - offsetof(struct onebox, m);
}

int onebox_next_mailbox(struct mail_reader *r, const struct mail_box **box_r, struct sbuf *err)
{
	struct onebox *o = (struct onebox *)r;
	(void)err;
	if (o->given)
		return CONV_DONE;
	o->given = true;
	*box_r = &o->box;
	return CONV_OK;
}

struct mail_mailbox *onebox_open_mailbox(struct mail_reader *r, const struct mail_box *box,
					 struct diag *d, struct msg_hash *hash, struct sbuf *err)
{
	struct onebox *o = (struct onebox *)r;
	(void)box;
	if (o->open) {
		sbuf_adds(err, "the mailbox is already open");
		return NULL;
	}
	o->open = true;
	o->m.diag = d;
	o->m.hash = hash;
	return &o->m;
}

void onebox_close_mailbox(struct mail_mailbox *m)
{
	struct onebox *o = onebox_of(m);
	o->open = false;
	o->m.diag = o->r.diag;
	o->m.hash = NULL;
}

size_t onebox_mail_dirs(struct mail_reader *r, const struct mail_dir **dirs_r)
{
	struct onebox *o = (struct onebox *)r;
	*dirs_r = &o->dir;
	return 1;
}
