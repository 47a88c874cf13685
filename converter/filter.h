/*
 * Message filters (--since, --until, --folder, --exclude-folder, --min-size,
 * --max-size): which folders and messages an export, a verify or a list
 * takes.  Parsed once by main(), read-only afterwards: every function here
 * only reads its arguments, so export jobs on -j N threads share one.
 *
 * The bounds are inclusive: a message is taken when since <= its internal
 * date <= until and min <= its size <= max.  A folder is taken when its
 * path matches a --folder glob (any, or there is none) and no
 * --exclude-folder glob; globs are fnmatch(3) patterns, case-insensitive,
 * whose '*' and '?' do not match '/' (like a shell's).
 */
#ifndef MDX_FILTER_H
#define MDX_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conv.h"
#include "core/sbuf.h"

struct filter {
	bool has_since, has_until;
	int64_t since, until;	/* Unix seconds UTC, both inclusive */
	const char *since_text, *until_text;	/* as given, for messages */
	const char **folders;	/* --folder GLOB (OR-ed) */
	size_t nfolders;
	const char **excludes;	/* --exclude-folder GLOB (wins over --folder) */
	size_t nexcludes;
	bool has_min, has_max;
	uint64_t min_size, max_size;	/* bytes, inclusive */
};

/*
 * parse_size: "0", "1048576", "10K", "5m", "20G", "1TB", "300kb": a whole
 * number of bytes, or of K, M, G, T (powers of 1024, any case), with an
 * optional trailing B.  0, or -1 for anything else (empty, a sign, a
 * space, a fraction, an unknown suffix, more than 2^64-1 bytes).
 */
int parse_size(const char *text, uint64_t *bytes);

/*
 * filter_parse_date: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM]"
 * (UTC when no zone) into Unix seconds.  A bare date is its first second,
 * or with end set its last (23:59:59), so that --until 2024-03-31 takes
 * all of that day.  0, or -1 for a malformed or impossible date
 * (2024-13-01, 2023-02-29, 24:00).
 */
int filter_parse_date(const char *text, bool end, int64_t *t);

/* filter_add_folder / filter_add_exclude: one more glob (not copied: argv's) */
void filter_add_folder(struct filter *f, const char *glob);
void filter_add_exclude(struct filter *f, const char *glob);
void filter_release(struct filter *f);

/* filter_any: some filter is set */
bool filter_any(const struct filter *f);
/* filter_by_msg: a filter on messages (dates, sizes) is set: counts need each message read */
bool filter_by_msg(const struct filter *f);

/* filter_folder: whether the folder at path ("Inbox/Projects") is taken */
bool filter_folder(const struct filter *f, const char *path);
/* filter_msg: whether the message (its internal date, its size) is taken */
bool filter_msg(const struct filter *f, const struct mail_msg *m);

/*
 * filter_json: the filters as one JSON object (for the report): since and
 * until as UTC times or null, folder and exclude_folder as arrays,
 * min_size and max_size as numbers or null; always the same keys in the
 * same order, so two runs' objects are equal exactly when their filters are
 */
void filter_json(const struct filter *f, struct sbuf *out);

#endif
