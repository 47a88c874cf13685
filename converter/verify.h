/*
 * `mdexport verify`: the pieces shared by the command (verify.c, the
 * generic part: what each format knows is behind the read-back interface,
 * core/check.h, reached through formats.h), the manifest parser
 * (verify_manifest.c) and the report (verify_report.c).
 */
#ifndef MDX_VERIFY_H
#define MDX_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/check.h"
#include "core/sbuf.h"

/* ---- the manifest (spec: README, "Manifest") ---------------------------- */

/* "changed": the export found the file changing while it read it, twice; not exported */
/* "filtered": left out by --since, --until, --min-size or --max-size */
/* "removed" (export --incremental): an earlier round wrote it, its source has gone since */
enum mf_reason { MF_REASON_NONE, MF_REASON_DELETED, MF_REASON_UNREADABLE, MF_REASON_CHANGED,
		 MF_REASON_FILTERED, MF_REASON_REMOVED };

struct mf_totals {
	uint64_t messages, exported, skipped, deleted, unreadable, bytes;
};

struct mf_run {			/* line 1 */
	char *version;
	char **command;
	size_t ncommand;
	int64_t started, ended;
	char *host, *source, *format, *mailbox, *output;
	unsigned round;		/* export --incremental: the round (1 when the line has none) */
	struct mf_totals totals;
};

struct mf_entry {		/* one message line */
	unsigned line;		/* 1-based line number in the file */
	char *source;		/* relative to SOURCE */
	bool has_size, has_sha;
	uint64_t size;
	char sha256[65];
	char *folder;
	bool has_uidvalidity, has_uid;
	uint32_t uidvalidity, uid;
	unsigned flags;		/* enum msg_flags */
	/* rounds: the flags the output item holds, when no longer the source's */
	bool has_written_flags;
	unsigned written_flags;
	int64_t internal_date;
	char *date_header;	/* NULL: null */
	char *message_id;	/* NULL: null */
	/* a groupware item's "item" object (issue 14); item_kind 0: a message */
	int item_kind;		/* enum item_kind */
	char *item_id, *item_uid, *item_recovered;
	bool exported;		/* status "exported" (else "skipped") */
	enum mf_reason reason;
	char *detail;		/* NULL: null; a removed line: "pruned" or null */
	bool has_output;
	struct check_loc out;	/* the "output" object: the keys the format's read-back names */
};

/*
 * mf_parse_run, mf_parse_entry: one line (without its "\n") of exactly the
 * spec's form: keys in the spec's order, no blanks between tokens, values
 * of the right types and in range.  mf_parse_entry needs the run line's
 * format for the "output" object (its keys are the format's read-back's
 * loc_keys).  Return 0, or -1 with err saying what is
 * wrong and at which byte.  On success the struct owns its strings
 * (mf_run_release / mf_entry_release); on failure nothing is left to free.
 */
int mf_parse_run(const char *line, size_t len, struct mf_run *r, struct sbuf *err);
int mf_parse_entry(const char *line, size_t len, const char *format, struct mf_entry *e,
		   struct sbuf *err);
void mf_run_release(struct mf_run *r);
void mf_entry_release(struct mf_entry *e);
/*
 * mf_read_line: the next line of a manifest into line (without its "\n"),
 * at most MF_LINE_MAX bytes kept: the rest of a longer line is read past,
 * not kept, so memory stays bounded whatever the file holds.  Returns the
 * line's full length (past the cap when it is longer: then line holds only
 * its first MF_LINE_MAX bytes), or -1 at the end of the file.  *newline:
 * whether it ended with "\n" (the last line may not).
 */
#define MF_LINE_MAX (1024 * 1024)
int64_t mf_read_line(FILE *f, struct sbuf *line, bool *newline);

/* mf_format_time: "YYYY-MM-DDTHH:MM:SSZ" of t (UTC); out holds >= 32 bytes */
void mf_format_time(int64_t t, char *out);

#endif
