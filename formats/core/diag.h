/*
 * Diagnostics: warnings and errors go to stderr as they happen and are
 * counted in the current mailbox's statistics, so the summary and the exit
 * status agree with what was printed.
 *
 * Levels follow the recovery unit:
 *   diag_warn   - something odd that lost nothing (torn index, size mismatch)
 *   diag_error  - an item that could not be read; makes the exit status 1
 */
#ifndef MDX_DIAG_H
#define MDX_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/sbuf.h"

struct conv_stats {
	unsigned folders;	/* mail folders exported */
	unsigned groupware;	/* non-mail folders left out (documents) */
	/*
	 * issue 14: groupware items exported, by enum item_kind (1 calendar,
	 * 2 contact, 3 task, 4 note), and how many of them were recovered
	 * (not converted whole)
	 */
	unsigned items[5];
	unsigned recovered;
	unsigned found;		/* messages the reader found in mail folders */
	unsigned messages;	/* messages exported */
	unsigned deleted_skipped; /* \Deleted left out (--skip-deleted) */
	unsigned filtered;	/* left out by --since, --until, --min-size, --max-size */
	unsigned unreadable_msgs; /* messages left out because they could not be read */
	unsigned unreadable;	/* items that could not be read (errors, messages included) */
	unsigned stale;		/* index records without a file */
	unsigned warnings;
	unsigned import_warnings; /* of warnings: what Microsoft 365's PST import will not take */
	uint64_t bytes;		/* source bytes of exported messages */
	unsigned read_again;	/* messages that changed while read, read again (live store) */
	unsigned changing;	/* folders that never settled while read (live store) */
	struct sbuf problems;	/* first lines of errors, for the summary */
	unsigned problems_listed;
};

/*
 * Where a diag's lines go: NULL, stderr; else write(ctx, line, len) is
 * called with each whole line (the converter orders the lines of mailboxes
 * exported side by side, and keeps them clear of its progress line).
 */
typedef void diag_write_fn(void *ctx, const char *text, size_t len);

struct diag {
	struct conv_stats *stats; /* NULL outside a mailbox */
	diag_write_fn *write;	/* NULL: stderr */
	void *write_ctx;
	/*
	 * capture: when set, nothing is printed or counted: each warning and
	 * error is kept here as a record, for diag_replay on another diag, in
	 * another thread (a mailbox read ahead of its writer: its reader's
	 * messages are then printed and counted where the serial order has them)
	 */
	struct sbuf *capture;
	unsigned unattributed;	/* errors while stats was NULL (e.g. finding accounts) */
	bool quiet;		/* no warnings on stderr (--quiet) */
	/*
	 * quiet_to_log: with quiet, warnings are still written, marked
	 * DIAG_LOG_ONLY, for a log that keeps what the terminal does not show
	 * (export --log-file)
	 */
	bool quiet_to_log;
	bool progress;		/* stderr is a terminal */
	bool progress_shown;	/* a progress line needs clearing */
	time_t progress_at;
};

/* a line that starts with this byte is for the log only (the marker is not written) */
#define DIAG_LOG_ONLY '\001'
/*
 * a line that starts with this byte (after DIAG_LOG_ONLY, if any) is a
 * result, for stdout: a summary, a table, a run's final line (issue 16:
 * results on stdout, diagnostics on stderr); the marker is not written
 */
#define DIAG_RESULT '\002'

/*
 * diag_mark_result: each line of text marked DIAG_RESULT (text ends with
 * a newline or is empty)
 */
void diag_mark_result(struct sbuf *text);
/* diag_line_len: the first line of text[0..len), its newline included (len when none) */
size_t diag_line_len(const char *text, size_t len);
/* diag_is_result: the line starting at text (after any DIAG_LOG_ONLY) is a result */
bool diag_is_result(const char *text, size_t len);
/*
 * diag_write_std: text's lines to stdout (DIAG_RESULT) or stderr (the
 * rest), in their order, markers removed; DIAG_LOG_ONLY lines are dropped
 * (no log is kept here).  For callers with no progress line to keep clear.
 */
void diag_write_std(const char *text, size_t len);

void diag_warn(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_error(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* diag_fatal: an error that ends the mailbox (output side); not counted as unreadable */
void diag_fatal(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* diag_progress: at most once a second, rewrite one status line on a tty */
void diag_progress(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_progress_clear(struct diag *d);
/* diag_stale: an index record without a file (counted in stats->stale) */
void diag_stale(struct diag *d);
/* diag_printf: a line (or lines) of the run's own text, where d's lines go */
void diag_printf(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* diag_result: like diag_printf, each line marked a result (DIAG_RESULT: on stdout) */
void diag_result(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* diag_replay: print and count on d what another diag captured (capture emptied) */
void diag_replay(struct diag *d, struct sbuf *capture);

void conv_stats_release(struct conv_stats *s);

/*
 * human_bytes: "512 B", "25.0 KiB", "31.4 MiB", "12.0 GiB", "1.2 TiB"
 * (1024-based, one decimal): the one way sizes are written for people
 */
void human_bytes(char *buf, size_t n, uint64_t bytes);
/* size_text: human_bytes, or with raw (--bytes) the exact count: "1572864 B" */
void size_text(char *buf, size_t n, uint64_t bytes, bool raw);
/* plural: one or many, as n asks ("1 mailbox", "2 mailboxes", "0 mailboxes") */
const char *plural(unsigned long long n, const char *one, const char *many);

#endif
