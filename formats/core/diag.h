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

#include "core/sbuf.h"

struct conv_stats {
	unsigned folders;	/* mail folders exported */
	unsigned groupware;	/* non-mail folders left out */
	unsigned found;		/* messages the reader found in mail folders */
	unsigned messages;	/* messages exported */
	unsigned deleted_skipped; /* \Deleted left out (--skip-deleted) */
	unsigned unreadable_msgs; /* messages left out because they could not be read */
	unsigned unreadable;	/* items that could not be read (errors, messages included) */
	unsigned stale;		/* index records without a file */
	unsigned warnings;
	uint64_t bytes;		/* source bytes of exported messages */
	struct sbuf problems;	/* first lines of errors, for the summary */
	unsigned problems_listed;
};

struct diag {
	struct conv_stats *stats; /* NULL outside a mailbox */
	unsigned unattributed;	/* errors while stats was NULL (e.g. finding accounts) */
	bool quiet;		/* no warnings on stderr (--quiet) */
	/*
	 * out: NULL, or where each line goes instead of stderr, whole (text
	 * ends in '\n'), so that the converter can keep it off a half-drawn
	 * progress line or hold it back; it must be thread-safe when diags of
	 * several threads share it (the converter's progress_print is)
	 */
	void (*out)(void *ctx, const char *text, size_t len);
	void *out_ctx;
};

void diag_warn(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_error(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* diag_fatal: an error that ends the mailbox (output side); not counted as unreadable */
void diag_fatal(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void conv_stats_release(struct conv_stats *s);

/* human_bytes: "812 bytes", "25.0 KB", "31.4 MB", "12.0 GB" (binary units) */
void human_bytes(char *buf, size_t n, uint64_t bytes);

#endif
