/*
 * The writer interface: one ops table per output format (formats/<fmt>.c
 * exports exactly its table), and thin wrappers that own the invariants so
 * that no format has to repeat them.
 *
 * Call order for one mailbox:
 *   open, then for each folder: begin_folder, write_msg..., end_folder;
 *   then commit (output becomes visible) or rollback (nothing is left).
 * Every int-returning op returns an enum conv_status and, when not CONV_OK,
 * leaves a message in w->error.  CONV_MSG_BAD skips one message,
 * CONV_FOLDER_BAD the rest of the folder; CONV_FATAL ends the mailbox, after
 * which the wrappers refuse every call but rollback and free.
 */
#ifndef MDX_WRITER_H
#define MDX_WRITER_H

#include <stdbool.h>

#include "conv.h"
#include "diag.h"

struct mail_writer;

struct mail_writer_ops {
	const char *name;	/* "mbox", "maildir", "eml", "pst", "null" */
	const char *dest_suffix;	/* what the output is named: dest + this (NULL: dest) */
	struct mail_writer *(*alloc)(void);
	/* dest: output path for this mailbox without extension */
	int (*open)(struct mail_writer *w, const char *dest, const struct mail_box *box);
	int (*begin_folder)(struct mail_writer *w, const struct mail_folder *folder);
	int (*write_msg)(struct mail_writer *w, const struct mail_msg *msg);
	int (*end_folder)(struct mail_writer *w);
	int (*commit)(struct mail_writer *w);
	void (*rollback)(struct mail_writer *w);
	void (*free)(struct mail_writer *w);
};

struct mail_writer {
	const struct mail_writer_ops *v;
	struct diag *diag;
	struct sbuf error;	/* last error text */
	bool dead;		/* a CONV_FATAL happened */
	bool in_folder;
};

extern const struct mail_writer_ops mbox_writer_ops;
extern const struct mail_writer_ops maildir_writer_ops;
extern const struct mail_writer_ops eml_writer_ops;
extern const struct mail_writer_ops pst_writer_ops;
extern const struct mail_writer_ops null_writer_ops;

/* mail_writer_find: ops by name, or NULL; the list ends with NULL */
const struct mail_writer_ops *mail_writer_find(const char *name);
extern const struct mail_writer_ops *const mail_writers[];

struct mail_writer *mail_writer_new(const struct mail_writer_ops *v, struct diag *d);
int mail_writer_open(struct mail_writer *w, const char *dest, const struct mail_box *box);
int mail_writer_begin_folder(struct mail_writer *w, const struct mail_folder *f);
int mail_writer_write_msg(struct mail_writer *w, const struct mail_msg *m);
int mail_writer_end_folder(struct mail_writer *w);
int mail_writer_commit(struct mail_writer *w);
void mail_writer_rollback(struct mail_writer *w);
void mail_writer_free(struct mail_writer **w);
/* mail_writer_set_error: record the message; returns status (for `return`) */
int mail_writer_set_error(struct mail_writer *w, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* mail_writer_take_error: record a message already built in err */
int mail_writer_take_error(struct mail_writer *w, int status, struct sbuf *err);

#endif
