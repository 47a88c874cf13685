/*
 * The `verify` command's own state, shared by its files: verify.c (the
 * run, the manifest, each source message) and verify_out.c (the output
 * items no manifest line names).  What a format knows is behind its
 * read-back (core/check.h): struct check_line is what became of one
 * manifest line.
 */
#ifndef MDX_VERIFY_CMD_H
#define MDX_VERIFY_CMD_H

#include <glib.h>

#include "core/reader.h"
#include "options.h"
#include "notfound.h"
#include "select.h"
#include "verify.h"
#include "verify_report.h"

struct pool;

struct vrun {
	const struct options *o;
	struct diag diag;
	struct mail_reader *reader;
	struct select sel;	/* --user, --domain, --shard */
	struct vreport rep;
	GHashTable *manifests_seen;	/* manifest paths relative to DIR */
	struct pool *pool;	/* -j N, N > 1: mailboxes side by side; NULL: one at a time */
	struct progress *progress;
	struct notfound nf;	/* issue 16: mail folders not found, the --map to try said once */
};

/* verify_unlisted: every file in DIR that no manifest describes, named (verify_dir.c) */
void verify_unlisted(struct vrun *run);

struct vbox {
	struct vrun *run;
	const struct mail_box *box;
	struct diag diag;	/* the mailbox's reader's (quiet: the export showed warnings) */
	struct vbox_report rep;
	char *out_rel;		/* the mailbox's output, relative to DIR */
	char *manifest_rel;
	struct mf_run mrun;
	const char *format;	/* the run line's, NULL without a usable run line */
	const struct mail_check_ops *ops;	/* its read-back (set with format) */
	struct mail_check *out;	/* the output, open for reading back */
	const char **fallback;	/* issue 15: the export's --fallback-charset (into mrun), or NULL */
	bool out_bad;		/* the output as a whole cannot be read */
	struct mf_entry *e;
	struct check_line *chk;	/* per line */
	size_t n;
	GHashTable *by_source;	/* source path -> index + 1 */
	uint64_t walked, walked_bytes;	/* source messages read, for the progress display */
};

/* vpath: DIR/rel (malloc'd) */
char *vpath(const struct vbox *b, const char *rel);

/* verify_out.c: every output item of the mailbox that no manifest line accounts for */
void out_extras(struct vbox *b);
/* box_problem: one problem of the mailbox (a check_report's problem: ctx is the vbox) */
void box_problem(void *ctx, const struct vproblem *p);

/* verify.c: report one line's outcome (once) */
void record_outcome(struct vbox *b, size_t i);

#endif
