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
 *
 * write_msg also says where the message went (struct mail_item_loc), for
 * the manifest; that is all the pipeline learns of a format's layout.
 */
#ifndef MDX_WRITER_H
#define MDX_WRITER_H

#include <stdbool.h>

#include "core/conv.h"
#include "core/diag.h"
#include "core/outdir.h"
#include "core/outfile.h"

struct mail_writer;

/*
 * Where write_msg put a message.  Owned by the caller, emptied before each
 * write_msg; the writer fills what its format has.  file is relative to the
 * mailbox's output (dest + dest_suffix), '/'-separated; "" is the output
 * itself (a format that writes one file per mailbox).
 */
struct mail_item_loc {
	struct sbuf file;
	int64_t offset;		/* where the item starts in file; -1: it is all of file */
	uint64_t length;	/* its bytes from offset (when offset >= 0) */
	struct sbuf folder;	/* the folder as the format names it ("" : as the source does) */
	uint64_t node;		/* its ID inside file (a PST node ID); 0: none */
	/*
	 * sibling: file is a file next to the output, in the same folder, not
	 * one inside it (a PST's later parts, <mailbox>-002.pst: --split-size)
	 */
	bool sibling;
	/*
	 * sha256: the hex SHA-256 of the item's bytes in the output (the file,
	 * or its offset/length range), for `verify DIR` without SOURCE (issue
	 * 16); "": none (a PST's items are properties, not bytes of their own)
	 */
	char sha256[65];
};

void mail_item_loc_init(struct mail_item_loc *loc);
void mail_item_loc_reset(struct mail_item_loc *loc);
void mail_item_loc_release(struct mail_item_loc *loc);

struct mail_writer_ops {
	const char *name;	/* "mbox", "maildir", "eml", "pst", "null" */
	const char *dest_suffix;	/* what the output is named: dest + this (NULL: dest) */
	struct mail_writer *(*alloc)(void);
	/* t: where the mailbox's output goes (outdir.h); NULL for a writer that writes nothing */
	int (*open)(struct mail_writer *w, const struct out_target *t, const struct mail_box *box);
	int (*begin_folder)(struct mail_writer *w, const struct mail_folder *folder);
	/* write_msg: loc is empty on entry; fill it when returning CONV_OK */
	int (*write_msg)(struct mail_writer *w, const struct mail_msg *msg,
			 struct mail_item_loc *loc);
	/*
	 * prepare: optional (NULL: none).  Work on one message that needs no writer state
	 * (parsing, text conversion), run on a worker thread, any number at once, ahead of
	 * write_msg; thread-safe, no diag (anything to report goes into the result for
	 * write_msg to report). Returns an object that write_msg finds in msg->prepared, or
	 * NULL (write_msg then does all the work itself). prepared_free releases one that
	 * write_msg never received (a mailbox that failed).
	 * write_msg consumes msg->prepared on every return (whatever its status), and
	 * gives the same output with it as without it.
	 */
	void *(*prepare)(const struct mail_msg *msg);
	void (*prepared_free)(void *prepared);
	int (*end_folder)(struct mail_writer *w);
	/*
	 * A round of export --incremental (out_target.merge): optional, NULL when the
	 * format records such a change without touching its output.
	 * update_flags: an item an earlier round wrote at file (relative to the output)
	 * whose flags are now msg's: loc says where it will be.  remove_item (--prune):
	 * an earlier round's item whose source is gone, removed.  Both take effect at
	 * commit, with the round's new items.
	 */
	int (*update_flags)(struct mail_writer *w, const char *file, const struct mail_msg *msg,
			    struct mail_item_loc *loc);
	int (*remove_item)(struct mail_writer *w, const char *file);
	/*
	 * rounds_in_parts: each round is an output of its own beside the earlier ones
	 * (<mailbox>.round-NNN + dest_suffix: a PST), not joined to them
	 */
	bool rounds_in_parts;
	int (*commit)(struct mail_writer *w);
	void (*rollback)(struct mail_writer *w);
	void (*free)(struct mail_writer *w);
	/*
	 * import_stores: its files are mail stores an import takes whole (PST:
	 * Microsoft 365's PST Import, Exchange's New-MailboxImportRequest), so
	 * export may list them in --m365-mapping / --exchange-script files
	 */
	bool import_stores;
	/*
	 * Groupware items (issue 14; mail_msg.kind != ITEM_MAIL).  native_items:
	 * write_msg takes them itself (PST: Outlook items).  Otherwise the
	 * wrappers write each groupware folder's items as text (core/gwtext.h)
	 * into one file beside the folder's mail: item_file creates it in the
	 * output being made, named after the folder with suffix (".ics",
	 * ".vcf", ".txt", or ".round-NNN.ics" in a round), and says its name
	 * relative to the output in rel.  Neither: items are refused
	 * (CONV_MSG_BAD, "<format> keeps no ... items").
	 */
	bool native_items;
	int (*item_file)(struct mail_writer *w, const struct mail_folder *f, const char *suffix,
			 struct outfile *of, struct sbuf *rel, struct sbuf *err);
};

struct gw_sidecar;		/* writer.c: a groupware folder's text file */

struct mail_writer {
	const struct mail_writer_ops *v;
	struct diag *diag;
	struct sbuf error;	/* last error text */
	bool dead;		/* a CONV_FATAL happened */
	bool in_folder;
	/* groupware items as text (item_file): the folder, its file, the options */
	const struct mail_folder *folder;
	struct gw_sidecar *side;
	unsigned vcard_version;
	unsigned round;
};


struct mail_writer *mail_writer_new(const struct mail_writer_ops *v, struct diag *d);
int mail_writer_open(struct mail_writer *w, const struct out_target *t,
		     const struct mail_box *box);
int mail_writer_begin_folder(struct mail_writer *w, const struct mail_folder *f);
/*
 * mail_writer_write_msg: loc (the caller's) says where m went when CONV_OK;
 * m->prepared (mail_writer_prepare's, or NULL) is consumed whatever happens
 */
int mail_writer_write_msg(struct mail_writer *w, const struct mail_msg *m,
			  struct mail_item_loc *loc);
/*
 * mail_writer_prepare: v's prepare of m (NULL when v has none); thread-safe,
 * for any thread.  mail_writer_prepared_free: release one write_msg never got.
 */
void *mail_writer_prepare(const struct mail_writer_ops *v, const struct mail_msg *m);
void mail_writer_prepared_free(const struct mail_writer_ops *v, void *prepared);
int mail_writer_end_folder(struct mail_writer *w);
int mail_writer_commit(struct mail_writer *w);
void mail_writer_rollback(struct mail_writer *w);
void mail_writer_free(struct mail_writer **w);
/* mail_writer_set_error: record the message; returns status (for `return`) */
int mail_writer_set_error(struct mail_writer *w, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* mail_writer_take_error: record a message already built in err (err is released) */
int mail_writer_take_error(struct mail_writer *w, int status, struct sbuf *err);

#endif
