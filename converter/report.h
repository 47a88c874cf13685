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

#include "notfound.h"

#include "core/diag.h"
#include "options.h"

struct report_row {
	char *mailbox;		/* "alice@example.com" */
	char *output;		/* relative to DIR; NULL when nothing was written */
	char *manifest;		/* relative to DIR; NULL when none was written */
	const char *result;	/* "exported", "failed", "unreadable", "dry-run" */
	unsigned folders, groupware, found, exported, deleted, unreadable_msgs;
	unsigned filtered;	/* left out by --since, --until, --min-size, --max-size */
	unsigned stale, errors, warnings;
	unsigned import_warnings;	/* i13-split: of warnings, Microsoft 365 import limits */
	unsigned read_again, changing;	/* live stores (issue 13; converter/live.h) */
	uint64_t bytes;		/* source bytes of the exported messages */
	double elapsed;		/* seconds */
	/*
	 * export --incremental (round 0: not asked for): the round made, and what
	 * changed since the last: messages already exported, flags changed,
	 * removed from the source (pruned: their output removed too), folders
	 * renamed, folders with a new UIDVALIDITY (exported again)
	 */
	unsigned round, unchanged, flags_changed, removed, pruned, renamed, reindexed;
	/*
	 * issue 14: groupware items exported by kind (index: enum item_kind) and
	 * those recovered, not whole; recovered_json: their JSON objects, ","
	 * between (NULL: none), owned by the row
	 */
	unsigned items[5], recovered;
	char *recovered_json;
};

struct report {
	struct report_row *rows;
	size_t count;
	unsigned unattributed;	/* errors outside any mailbox */
	int64_t started;	/* Unix seconds */
	/* issue 16: the signal that stopped the run ("SIGINT"), or NULL */
	const char *interrupted;
	bool raw_bytes;		/* issue 16: --bytes: the size column in bytes */
	/* issue 16: the mailboxes whose mail folder is not found (NULL: none gathered) */
	const struct notfound *not_found;
};

/* report_add: append a row; the report takes over its strings */
void report_add(struct report *r, const struct report_row *row);
/* report_print: the table, on stdout (a result) */
void report_print(const struct report *r, bool dry_run);
/* report_print_to: the same table on f (`mdexport report` prints it on stdout) */
void report_print_to(FILE *f, const struct report *r, bool dry_run);
/*
 * report_write: the JSON document into fd (opened by the caller); ended is
 * the time the run ended.  Returns 0, or the errno of the failed write.
 */
int report_write(const struct report *r, const struct options *o, int64_t ended,
		 int exit_status, int fd);

/* what a report document says about its run (the head of the JSON document) */
struct report_meta {
	int argc;		/* the command line, argv[0] written as "mdexport" */
	char *const *argv;
	int64_t ended;		/* started is the report's */
	const char *host, *source, *format;
	const char *output;	/* NULL: null */
	const char *shard;	/* "K/N", or NULL: null (every mailbox) */
	bool dry_run, skip_deleted;
	int exit_status;
	const char *interrupted;	/* issue 16: the signal's name, or NULL: not interrupted */
	const char *extra;	/* NULL, or more members for the head: ,"key":value... */
	const char *filters;	/* the "filters" object (filter_json), or NULL: null */
};

/* report_write_meta: report_write with the head given (`mdexport report`); 0 or errno */
int report_write_meta(const struct report *r, const struct report_meta *m, int fd);
void report_release(struct report *r);

#endif
