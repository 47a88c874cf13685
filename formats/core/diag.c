#include "core/diag.h"

#include <stdarg.h>
#include <stdio.h>

#define PROBLEMS_KEPT 50

void diag_progress_clear(struct diag *d)
{
	if (d->progress_shown) {
		fputs("\r\033[K", stderr);
		d->progress_shown = false;
	}
}

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
	if (!d->quiet || count_problem) {
		diag_progress_clear(d);
		fprintf(stderr, "mdexport: %s: ", level);
		va_copy(cp, ap);
		vfprintf(stderr, fmt, cp);
		va_end(cp);
		fputc('\n', stderr);
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

void diag_progress(struct diag *d, const char *fmt, ...)
{
	if (!d->progress)
		return;
	time_t now = time(NULL);
	if (d->progress_shown && now == d->progress_at)
		return;
	d->progress_at = now;
	va_list ap;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	d->progress_shown = true;
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
