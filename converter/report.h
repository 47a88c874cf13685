/*
 * The end-of-export report: one row per mailbox (folders, messages found,
 * exported, skipped by reason, bytes, elapsed time, result), printed as a
 * table on stderr after the mailboxes' summaries and, with --report FILE,
 * written as one JSON document (README, "Report").
 */
#ifndef MDX_REPORT_H
#define MDX_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "core/diag.h"
#include "options.h"

struct report_row {
	char *mailbox;		/* "alice@example.com" */
	char *output;		/* relative to DIR; NULL when nothing was written */
	char *manifest;		/* relative to DIR; NULL when none was written */
	const char *result;	/* "exported", "failed", "unreadable", "dry-run" */
	unsigned folders, groupware, found, exported, deleted, unreadable_msgs;
	unsigned stale, errors, warnings;
	uint64_t bytes;		/* source bytes of the exported messages */
	double elapsed;		/* seconds */
};

struct report {
	struct report_row *rows;
	size_t count;
	unsigned unattributed;	/* errors outside any mailbox */
	int64_t started;	/* Unix seconds */
};

/* report_add: append a row; the report takes over its strings */
void report_add(struct report *r, const struct report_row *row);
/* report_print: the table (for stderr), appended to out */
void report_print(const struct report *r, bool dry_run, struct sbuf *out);
/*
 * report_write: the JSON document into fd (opened by the caller); ended is
 * the time the run ended.  Returns 0, or the errno of the failed write.
 */
int report_write(const struct report *r, const struct options *o, int64_t ended,
		 int exit_status, int fd);
void report_release(struct report *r);

#endif
