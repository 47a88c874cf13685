#include "core/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PROBLEMS_KEPT 50

void diag_progress_clear(struct diag *d)
{
	if (d->progress_shown) {
		fputs("\r\033[K", stderr);
		d->progress_shown = false;
	}
}

/* put: a whole line where d's lines go */
static void put(struct diag *d, const char *text, size_t len)
{
	if (d->write) {
		d->write(d->write_ctx, text, len);
		return;
	}
	diag_progress_clear(d);
	diag_write_std(text, len);
}

static void note_problem(struct diag *d, const char *level, const char *text)
{
	struct conv_stats *s = d->stats;
	if (!s)
		return;
	if (s->problems_listed < PROBLEMS_KEPT)
		sbuf_addf(&s->problems, "  %s: %s\n", level, text);
	s->problems_listed++;
}

/* emit_text: print (unless quiet) and count one formatted message */
static void emit_text(struct diag *d, char kind, const char *text)
{
	if (kind == 'S') {
		if (d->stats)
			d->stats->stale++;
		return;
	}
	const char *level = kind == 'W' ? "warning" : "error";
	bool count_problem = kind != 'W';
	if (!d->quiet || count_problem || d->quiet_to_log) {
		struct sbuf line = SBUF_INIT;
		if (d->quiet && !count_problem)	/* quiet_to_log */
			sbuf_addch(&line, DIAG_LOG_ONLY);
		sbuf_addf(&line, "mdexport: %s: %s\n", level, text);
		put(d, line.buf, line.len);
		sbuf_release(&line);
	}
	if (count_problem)
		note_problem(d, level, text);
	if (kind == 'W' && d->stats)
		d->stats->warnings++;
	else if (kind == 'E' && d->stats)
		d->stats->unreadable++;
	else if (kind == 'E')
		d->unattributed++;
}

/*
 * emit: kind W (warning), E (error), F (fatal), S (stale record, no text);
 * a capturing diag keeps "<kind><text>\0" for diag_replay
 */
static void emit(struct diag *d, char kind, const char *text)
{
	if (d->capture) {
		sbuf_addch(d->capture, kind);
		sbuf_adds(d->capture, text);
		sbuf_addch(d->capture, '\0');
	} else {
		emit_text(d, kind, text);
	}
}

static void __attribute__((format(printf, 3, 0)))
emitv(struct diag *d, char kind, const char *fmt, va_list ap)
{
	struct sbuf text = SBUF_INIT;
	sbuf_vaddf(&text, fmt, ap);
	emit(d, kind, text.buf);
	sbuf_release(&text);
}

void diag_replay(struct diag *d, struct sbuf *capture)
{
	for (size_t at = 0; at < capture->len; ) {
		const char *rec = capture->buf + at;
		size_t n = strlen(rec);
		emit_text(d, rec[0], rec + 1);
		at += n + 1;
	}
	sbuf_reset(capture);
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emitv(d, 'W', fmt, ap);
	va_end(ap);
}

void diag_error(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emitv(d, 'E', fmt, ap);
	va_end(ap);
}

void diag_fatal(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emitv(d, 'F', fmt, ap);
	va_end(ap);
}

void diag_stale(struct diag *d)
{
	emit(d, 'S', "");
}

void diag_printf(struct diag *d, const char *fmt, ...)
{
	struct sbuf text = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&text, fmt, ap);
	va_end(ap);
	put(d, text.buf, text.len);
	sbuf_release(&text);
}

void diag_result(struct diag *d, const char *fmt, ...)
{
	struct sbuf text = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&text, fmt, ap);
	va_end(ap);
	diag_mark_result(&text);
	put(d, text.buf, text.len);
	sbuf_release(&text);
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
	/* issue 16: one unit system everywhere people read sizes, 1024-based */
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	if (bytes < 1024) {
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
		return;
	}
	double v = (double)bytes / 1024;
	size_t u = 0;
	/* 1023.96 KiB would print as "1024.0 KiB": the next unit then */
	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1023.95) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%.1f %s", v, units[u]);
}

void size_text(char *buf, size_t n, uint64_t bytes, bool raw)
{
	if (raw)
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
	else
		human_bytes(buf, n, bytes);
}

const char *plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

size_t diag_line_len(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	return nl ? (size_t)(nl - text) + 1 : len;
}

void diag_mark_result(struct sbuf *text)
{
	struct sbuf marked = SBUF_INIT;
	const char *t = text->buf;
	size_t len = text->len;
	while (len) {
		size_t n = diag_line_len(t, len);
		size_t lead = t[0] == DIAG_LOG_ONLY;	/* the result marker goes after it */
		sbuf_add(&marked, t, lead);
		sbuf_addch(&marked, DIAG_RESULT);
		sbuf_add(&marked, t + lead, n - lead);
		t += n;
		len -= n;
	}
	sbuf_reset(text);
	sbuf_add(text, marked.buf, marked.len);
	sbuf_release(&marked);
}

bool diag_is_result(const char *text, size_t len)
{
	if (len && text[0] == DIAG_LOG_ONLY) {
		text++;
		len--;
	}
	return len && text[0] == DIAG_RESULT;
}

void diag_write_std(const char *text, size_t len)
{
	while (len) {
		size_t n = diag_line_len(text, len);
		bool log_only = text[0] == DIAG_LOG_ONLY;
		bool result = diag_is_result(text, n);
		size_t skip = (size_t)log_only + (size_t)result;
		if (!log_only && result) {
			fwrite(text + skip, 1, n - skip, stdout);
			fflush(stdout);	/* in order with stderr's lines, on one terminal too */
		} else if (!log_only) {
			fwrite(text + skip, 1, n - skip, stderr);
		}
		text += n;
		len -= n;
	}
}
