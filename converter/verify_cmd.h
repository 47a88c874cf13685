/*
 * The `verify` command's own state, shared by its files: verify.c (the
 * run, the manifest, each source message), verify_out.c (where the writer
 * puts each message, and the output items no manifest line names) and
 * verify_align.c (an mbox file's messages matched to the manifest's).
 */
#ifndef MDX_VERIFY_CMD_H
#define MDX_VERIFY_CMD_H

#include <glib.h>

#include "core/reader.h"
#include "options.h"
#include "verify.h"
#include "verify_report.h"

/* what became of one manifest line */
struct echeck {
	bool seen;		/* the reader found its source */
	bool done;		/* its outcome is in the report */
	char *folder;		/* the source's folder */
	int result;		/* enum verify_result of the comparison */
	char *why;
	char *location;		/* where its output is, relative to DIR (derived) */
	/* mbox: to find the message when it is not where the manifest says */
	bool has_key;
	uint8_t key[32];
	char *from_line;
	unsigned flags;
	uint64_t found_at, found_len;	/* where the message is in the file, once found */
	bool claimed;		/* a region of the file is this message */
};

struct vrun {
	const struct options *o;
	struct diag diag;
	struct mail_reader *reader;
	bool *user_matched, *domain_matched;
	struct vreport rep;
	GHashTable *manifests_seen;	/* manifest paths relative to DIR */
};

struct vbox {
	struct vrun *run;
	const struct mail_box *box;
	struct vbox_report rep;
	char *out_rel;		/* the mailbox's output, relative to DIR */
	char *manifest_rel;
	struct mf_run mrun;
	const char *format;	/* the run line's, NULL without a usable run line */
	struct mf_entry *e;
	struct echeck *chk;
	size_t n;
	GHashTable *by_source;	/* source path -> index + 1 */
	struct verify_pst *pst;
	bool pst_unreadable;
	char *mbox_path;	/* the mbox file open in mbox_fd (relative to DIR) */
	int mbox_fd;
	uint64_t mbox_size;
};

/* vpath: DIR/rel (malloc'd) */
char *vpath(const struct vbox *b, const char *rel);

/* verify_out.c */
/* out_location: where the writer puts msg of folder (relative to DIR; malloc'd) */
char *out_location(const struct vbox *b, const char *folder, const struct mail_msg *msg);
/* pst_folder_of: the PST folder a source folder becomes ("INBOX" -> "Inbox") */
char *pst_folder_of(const char *folder);
/* out_extras: every output item of the mailbox that no manifest line accounts for */
void out_extras(struct vbox *b);

/* verify_align.c: each mbox file's messages against its manifest lines */
void align_mbox_files(struct vbox *b);

/* verify.c: report one line's outcome (once) */
void record_outcome(struct vbox *b, size_t i);

#endif
