#include "core/diag.h"

#include <stdarg.h>
#include <stdio.h>

#define PROBLEMS_KEPT 50

static void __attribute__((format(printf, 3, 0)))
note_problem(struct diag *d, const char *level, const char *fmt, va_list ap)
{
	struct conv_stats *s = d->stats;
	if (!s)
		return;
	if (s->problems_listed < PROBLEMS_KEPT) {
		sbuf_addf(&s->problems, "  %s: ", level);
		sbuf_vaddf(&s->problems, fmt, ap);
		sbuf_addch(&s->problems, '\n');
	}
	s->problems_listed++;
}

static void __attribute__((format(printf, 4, 0)))
emit(struct diag *d, const char *level, bool count_problem, const char *fmt, va_list ap)
{
	va_list cp;
	if (!d->quiet || count_problem) {	/* one line, written whole */
		struct sbuf line = SBUF_INIT;
		sbuf_addf(&line, "mdexport: %s: ", level);
		va_copy(cp, ap);
		sbuf_vaddf(&line, fmt, cp);
		va_end(cp);
		sbuf_addch(&line, '\n');
		if (d->out)
			d->out(d->out_ctx, line.buf, line.len);
		else
			fwrite(line.buf, 1, line.len, stderr);
		sbuf_release(&line);
	}
	if (count_problem)
		note_problem(d, level, fmt, ap);
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(d, "warning", false, fmt, ap);
	va_end(ap);
	if (d->stats)
		d->stats->warnings++;
}

void diag_error(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(d, "error", true, fmt, ap);
	va_end(ap);
	if (d->stats)
		d->stats->unreadable++;
	else
		d->unattributed++;
}

void diag_fatal(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(d, "error", true, fmt, ap);
	va_end(ap);
}

void conv_stats_release(struct conv_stats *s)
{
	sbuf_release(&s->problems);
}

void human_bytes(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= 10ull << 30)
		snprintf(buf, n, "%.1f GB", (double)bytes / (1u << 30));
	else if (bytes >= 10u << 20)
		snprintf(buf, n, "%.1f MB", (double)bytes / (1u << 20));
	else if (bytes >= 10u << 10)
		snprintf(buf, n, "%.1f KB", (double)bytes / (1u << 10));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
}
