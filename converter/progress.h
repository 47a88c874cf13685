/*
 * Progress for export and verify (--progress auto|always|never|json): one
 * line on stderr redrawn every second (mailboxes, messages, MB, messages/s,
 * ETA), or one JSON object per line for an orchestrator, fed by counters
 * the workers bump.
 *
 * Thread safety: everything here may be called from any thread once
 * progress_new has returned and until progress_free.  progress_add is two
 * relaxed atomic adds (called once per message, so it takes no lock);
 * progress_mailbox_done, progress_print and the ticker take the module's
 * mutex, so a line of text never lands in the middle of a half-drawn
 * progress line.  Every stderr write of a run that shows progress should
 * go through progress_print (diag's lines do, see progress_diag_out).
 *
 * The ticker is a thread of its own (progress_start .. progress_stop): it
 * redraws once a second whatever the workers are doing (one huge message,
 * a slow network file system, a pipeline stalled on its writer), so the
 * workers never look at a clock and the JSON stream keeps its beat.
 */
#ifndef MDX_PROGRESS_H
#define MDX_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

enum progress_mode {
	PROGRESS_AUTO = 0,	/* the line when stderr is a terminal, else nothing */
	PROGRESS_ALWAYS,	/* the line, a terminal or not (each redraw a '\r' line) */
	PROGRESS_NEVER,		/* nothing but the summaries */
	PROGRESS_JSON,		/* one JSON object per line on stderr */
};

/* progress_mode_parse: "auto", "always", "never", "json"; 0, or -1 for another word */
int progress_mode_parse(const char *word, enum progress_mode *mode);

/* What the pre-scan found (the run's totals); a count not known is left out of the line */
struct progress_totals {
	bool known;		/* false: the pre-scan has not finished (nothing below is set) */
	unsigned mailboxes;
	uint64_t messages;
	uint64_t bytes;
	bool messages_known;	/* false: a reader could only estimate bytes (mbox) */
	bool bytes_known;	/* false: a reader knows counts, not sizes (PST) */
	double scan_seconds;	/* what the pre-scan cost */
};

/* A moment of the run: the pure formatting functions below work on this */
struct progress_snap {
	double elapsed;		/* seconds since progress_start */
	unsigned mailboxes_done;
	uint64_t messages_done;
	uint64_t bytes_done;
	struct progress_totals total;
};

/* progress_rate: messages a second so far (0 before anything was done) */
double progress_rate(const struct progress_snap *s);
/*
 * progress_eta: seconds left, from the messages when their total is known,
 * else from the bytes; -1 when it cannot be told (nothing done yet, no total)
 */
double progress_eta(const struct progress_snap *s);
/* progress_fmt_eta: "42s", "5m12s", "2h05m", "3d04h"; "--" for a negative */
void progress_fmt_eta(char *buf, size_t n, double seconds);
/* progress_fmt_count: 12345 -> "12,345" */
void progress_fmt_count(char *buf, size_t n, uint64_t v);
/*
 * progress_format_line: the terminal line, at most width - 1 characters
 * (the last column would wrap on some terminals): the least useful parts
 * (rate, MB, mailboxes) are left out first on a narrow terminal.
 * Returns its length.
 */
size_t progress_format_line(char *buf, size_t n, const struct progress_snap *s, unsigned width);
/* progress_format_json: the {"type":"progress",...} object (no newline); now: Unix seconds */
void progress_format_json(struct sbuf *out, const char *type, const struct progress_snap *s,
			  double now);

struct progress;

/*
 * progress_new: for command ("export", "verify"); mode auto is decided
 * here from whether stderr is a terminal.  Never NULL.
 */
struct progress *progress_new(enum progress_mode mode, const char *command);
/* progress_shown: whether anything is shown (then the pre-scan is worth its cost) */
bool progress_shown(const struct progress *p);
/* progress_start: the clock started, the ticker running (totals: progress_set_totals) */
void progress_start(struct progress *p);
/* progress_set_totals: the pre-scan's totals, when it has finished (any thread) */
void progress_set_totals(struct progress *p, const struct progress_totals *t);
/* progress_add: a message handled (exported, skipped or unreadable) and its bytes */
void progress_add(struct progress *p, uint64_t messages, uint64_t bytes);
/* progress_mailbox_done: a mailbox ended; result: the report's word ("exported", ...) */
void progress_mailbox_done(struct progress *p, const char *mailbox, const char *result,
			   uint64_t messages, uint64_t bytes);
/*
 * progress_print: text on stderr, the progress line cleared first and drawn
 * again after; lines marked DIAG_RESULT (core/diag.h) go to stdout instead,
 * in their order with the rest (issue 16: results on stdout)
 */
void progress_print(struct progress *p, const char *text, size_t len);
/*
 * progress_hold .. progress_resume: the line off the terminal while the
 * caller writes another stream (verify's report on stdout) to it; the
 * ticker draws nothing in between (JSON objects go on: they are on stderr)
 */
void progress_hold(struct progress *p);
void progress_resume(struct progress *p);
/*
 * progress_set_log: every line printed is also appended to log, after the
 * UTC time; lines marked DIAG_LOG_ONLY (core/diag.h) go to the log only
 * (without a log they are dropped).  The caller closes log after progress_free.
 */
void progress_set_log(struct progress *p, FILE *log);
/* progress_diag_out: progress_print for struct diag's out (ctx: the struct progress) */
void progress_diag_out(void *ctx, const char *text, size_t len);
/* progress_stop: the ticker stopped and the line cleared for good (text goes on as is) */
void progress_stop(struct progress *p);
/* progress_done: json: the final {"type":"done",...,"status":N}; else nothing */
void progress_done(struct progress *p, int status);
void progress_free(struct progress **p);

#endif
