/*
 * Progress: counters bumped by the workers, drawn by a ticker thread
 * (see progress.h for why a thread and what is thread-safe).
 */
#include "progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/diag.h"
#include "core/xalloc.h"

enum shown { SHOW_NOTHING, SHOW_LINE, SHOW_JSON };

struct progress {
	pthread_mutex_t lock;	/* everything below but the atomics */
	pthread_cond_t wake;	/* the ticker's sleep, cut short by progress_stop */
	pthread_t ticker;
	bool ticking;
	bool stopping;
	enum shown show;
	bool tty;		/* stderr is a terminal: clear with ESC [K, size from TIOCGWINSZ */
	const char *command;
	struct timespec t0;	/* CLOCK_MONOTONIC at progress_start */
	struct progress_totals total;
	_Atomic uint64_t messages;	/* bumped without the lock */
	_Atomic uint64_t bytes;
	unsigned mailboxes_done;
	size_t drawn;		/* the length of the line on screen; 0: none */
	bool held;		/* progress_hold: another stream is writing to the terminal */
	bool stdout_gone;	/* a write of results failed (a closed pipe): no more tried */
	struct sbuf out;	/* what one write puts on stderr */
	FILE *log;		/* --log-file, or NULL */
};

int progress_mode_parse(const char *word, enum progress_mode *mode)
{
	static const char *const words[] = { "auto", "always", "never", "json" };
	for (int i = 0; i < 4; i++) {
		if (!strcmp(word, words[i])) {
			*mode = (enum progress_mode)i;
			return 0;
		}
	}
	return -1;
}

/* ---- pure formatting ------------------------------------------------------------- */

double progress_rate(const struct progress_snap *s)
{
	return s->elapsed > 0 ? (double)s->messages_done / s->elapsed : 0;
}

/* left: seconds to do the rest of total at the pace done took; -1 when unknown */
static double left(uint64_t done, uint64_t total, double elapsed)
{
	if (done == 0 || elapsed <= 0)
		return -1;
	if (done >= total)
		return 0;
	return (double)(total - done) * elapsed / (double)done;
}

double progress_eta(const struct progress_snap *s)
{
	if (!s->total.known)
		return -1;
	if (s->total.messages_known && s->total.messages)
		return left(s->messages_done, s->total.messages, s->elapsed);
	if (s->total.bytes_known && s->total.bytes)
		return left(s->bytes_done, s->total.bytes, s->elapsed);
	return -1;
}

void progress_fmt_eta(char *buf, size_t n, double seconds)
{
	if (seconds < 0) {
		snprintf(buf, n, "--");
		return;
	}
	unsigned long t = (unsigned long)(seconds + 0.5);
	if (t < 60)
		snprintf(buf, n, "%lus", t);
	else if (t < 3600)
		snprintf(buf, n, "%lum%02lus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, n, "%luh%02lum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, n, "%lud%02luh", t / 86400, t / 3600 % 24);
}

void progress_fmt_count(char *buf, size_t n, uint64_t v)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;
	if (!n)
		return;
	for (int i = 0; i < len && o + 1 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			buf[o++] = ',';
			if (o + 1 >= n)
				break;	/* cut, never a number without its commas */
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* mb: bytes in MiB (1024-based, as the summaries), a decimal below 10 so small runs move */
static void fmt_mb(char *buf, size_t n, uint64_t bytes, bool decimal)
{
	double mb = (double)bytes / (1u << 20);
	if (decimal)
		snprintf(buf, n, "%.1f", mb);
	else
		progress_fmt_count(buf, n, (uint64_t)(mb + 0.5));
}

enum part { PART_MAILBOXES, PART_MESSAGES, PART_MB, PART_RATE, PART_ETA, NPARTS };
#define PART_MAX 96	/* two counts of up to 26 characters and words */

static void format_parts(char parts[NPARTS][PART_MAX], const struct progress_snap *s)
{
	char a[32], b[32];
	const struct progress_totals *t = &s->total;
	if (t->known)
		snprintf(parts[PART_MAILBOXES], PART_MAX, "mailboxes %u/%u", s->mailboxes_done,
			 t->mailboxes);
	else
		snprintf(parts[PART_MAILBOXES], PART_MAX, "mailboxes %u", s->mailboxes_done);
	progress_fmt_count(a, sizeof(a), s->messages_done);
	progress_fmt_count(b, sizeof(b), t->messages);
	if (t->known && t->messages_known)
		snprintf(parts[PART_MESSAGES], PART_MAX, "messages %s/%s", a, b);
	else
		snprintf(parts[PART_MESSAGES], PART_MAX, "messages %s", a);
	bool bytes_known = t->known && t->bytes_known;
	uint64_t top = bytes_known && t->bytes > s->bytes_done ? t->bytes : s->bytes_done;
	bool decimal = top < (10u << 20);
	fmt_mb(a, sizeof(a), s->bytes_done, decimal);
	fmt_mb(b, sizeof(b), t->bytes, decimal);
	if (bytes_known)
		snprintf(parts[PART_MB], PART_MAX, "%s/%s MiB", a, b);
	else
		snprintf(parts[PART_MB], PART_MAX, "%s MiB", a);
	progress_fmt_count(a, sizeof(a), (uint64_t)(progress_rate(s) + 0.5));
	snprintf(parts[PART_RATE], PART_MAX, "%s msg/s", a);
	progress_fmt_eta(a, sizeof(a), progress_eta(s));
	snprintf(parts[PART_ETA], PART_MAX, "ETA %s", a);
}

size_t progress_format_line(char *buf, size_t n, const struct progress_snap *s, unsigned width)
{
	/* what goes first on a narrow terminal: the rate, the MB, the mailboxes, the ETA */
	static const enum part drop_order[] = { PART_RATE, PART_MB, PART_MAILBOXES, PART_ETA };
	char parts[NPARTS][PART_MAX];
	bool keep[NPARTS] = { true, true, true, true, true };
	size_t room = width > 1 ? width - 1 : 0;
	format_parts(parts, s);
	for (size_t d = 0;; d++) {
		size_t len = 0;
		for (int i = 0; i < NPARTS; i++)
			if (keep[i])
				len += (len ? 2 : 0) + strlen(parts[i]);
		if (len <= room || d == sizeof(drop_order) / sizeof(*drop_order))
			break;
		keep[drop_order[d]] = false;
	}
	size_t o = 0;
	if (n)
		buf[0] = '\0';
	for (int i = 0; i < NPARTS && n; i++) {
		if (!keep[i])
			continue;
		int w = snprintf(buf + o, n - o, "%s%s", o ? "  " : "", parts[i]);
		o = w < 0 || (size_t)w >= n - o ? n - 1 : o + (size_t)w;
	}
	if (o > room) {		/* a terminal narrower than the messages alone: cut */
		o = room < n ? room : n - 1;
		buf[o] = '\0';
	}
	return o;
}

/* add_num_or_null: a total not known is null, never a made-up 0 */
static void add_total(struct sbuf *out, const char *name, bool known, uint64_t v)
{
	if (known)
		sbuf_addf(out, ",\"%s\":%llu", name, (unsigned long long)v);
	else
		sbuf_addf(out, ",\"%s\":null", name);
}

void progress_format_json(struct sbuf *out, const char *type, const struct progress_snap *s,
			  double now)
{
	const struct progress_totals *t = &s->total;
	double eta = progress_eta(s);
	sbuf_addf(out, "{\"type\":\"%s\",\"time\":%.3f,\"elapsed\":%.3f,\"mailboxes_done\":%u,"
		  "\"mailboxes_total\":", type, now, s->elapsed, s->mailboxes_done);
	if (t->known)
		sbuf_addf(out, "%u", t->mailboxes);
	else
		sbuf_adds(out, "null");
	sbuf_addf(out, ",\"messages_done\":%llu", (unsigned long long)s->messages_done);
	add_total(out, "messages_total", t->known && t->messages_known, t->messages);
	sbuf_addf(out, ",\"bytes_done\":%llu", (unsigned long long)s->bytes_done);
	add_total(out, "bytes_total", t->known && t->bytes_known, t->bytes);
	sbuf_addf(out, ",\"rate_msgs\":%.1f,\"rate_bytes\":%.0f", progress_rate(s),
		  s->elapsed > 0 ? (double)s->bytes_done / s->elapsed : 0.0);
	if (eta >= 0)
		sbuf_addf(out, ",\"eta_seconds\":%.0f", eta);
	else
		sbuf_adds(out, ",\"eta_seconds\":null");
	if (t->known)
		sbuf_addf(out, ",\"prescan_seconds\":%.3f}", t->scan_seconds);
	else
		sbuf_adds(out, ",\"prescan_seconds\":null}");
}

/* ---- the shared state ---------------------------------------------------------------- */

struct progress *progress_new(enum progress_mode mode, const char *command)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	p->tty = isatty(STDERR_FILENO) == 1;
	p->show = mode == PROGRESS_JSON ? SHOW_JSON :
		  mode == PROGRESS_ALWAYS || (mode == PROGRESS_AUTO && p->tty) ? SHOW_LINE :
		  SHOW_NOTHING;
	p->command = command;
	sbuf_init(&p->out);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	return p;
}

bool progress_shown(const struct progress *p)
{
	return p && p->show != SHOW_NOTHING;
}

static double now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* snap: the counters now (called under the lock) */
static void snap(struct progress *p, struct progress_snap *s)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->elapsed = (double)(now.tv_sec - p->t0.tv_sec) +
		     (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
	s->mailboxes_done = p->mailboxes_done;
	s->messages_done = atomic_load_explicit(&p->messages, memory_order_relaxed);
	s->bytes_done = atomic_load_explicit(&p->bytes, memory_order_relaxed);
	s->total = p->total;
}

/* flush: p->out onto stderr in one write where it can (under the lock) */
/* write_all: buf on fd whole; 0, or the errno that stopped it (a gone stream: nothing more to tell) */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static void flush(struct progress *p)
{
	(void)write_all(STDERR_FILENO, p->out.buf, p->out.len);	/* stderr gone: nothing to tell */
	sbuf_reset(&p->out);
}

static unsigned term_width(const struct progress *p)
{
	struct winsize ws;
	if (p->tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* clear_line: the drawn line taken off (into p->out; under the lock) */
static void clear_line(struct progress *p)
{
	if (!p->drawn)
		return;
	if (p->tty) {
		sbuf_adds(&p->out, "\r\033[K");
	} else {	/* a log or a pipe: blanks, no escape codes */
		sbuf_addch(&p->out, '\r');
		for (size_t i = 0; i < p->drawn; i++)
			sbuf_addch(&p->out, ' ');
		sbuf_addch(&p->out, '\r');
	}
	p->drawn = 0;
}

/* draw: the line (SHOW_LINE) or a progress object (SHOW_JSON) into p->out (under the lock) */
static void draw(struct progress *p)
{
	struct progress_snap s;
	snap(p, &s);
	if (p->show == SHOW_JSON) {
		progress_format_json(&p->out, "progress", &s, now_unix());
		sbuf_addch(&p->out, '\n');
		return;
	}
	char line[512];
	size_t n = progress_format_line(line, sizeof(line), &s, term_width(p));
	size_t old = p->drawn;
	sbuf_addch(&p->out, '\r');
	sbuf_add(&p->out, line, n);
	if (p->tty)
		sbuf_adds(&p->out, "\033[K");
	for (size_t i = n; !p->tty && i < old; i++)	/* blank what the last one had more */
		sbuf_addch(&p->out, ' ');
	p->drawn = n;
}

static void *tick(void *arg)
{
	struct progress *p = arg;
	pthread_mutex_lock(&p->lock);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!p->stopping) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		next.tv_sec++;
		if (next.tv_sec <= now.tv_sec)	/* stopped (SIGSTOP, a suspended VM): no burst */
			next.tv_sec = now.tv_sec + 1;
		while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &next) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		if (p->show == SHOW_JSON || !p->held) {
			draw(p);
			flush(p);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void progress_start(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (p->show != SHOW_NOTHING) {
		if (p->show == SHOW_JSON) {
			struct progress_snap s;
			snap(p, &s);
			progress_format_json(&p->out, "start", &s, now_unix());
			sbuf_addch(&p->out, '\n');
		} else {
			draw(p);
		}
		flush(p);
		/* no ticker (no memory, a thread limit): the line is drawn at each print */
		p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_set_totals(struct progress *p, const struct progress_totals *t)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->total = *t;
	p->total.known = true;
	if (p->show == SHOW_JSON) {	/* an orchestrator learns them at once */
		struct progress_snap s;
		snap(p, &s);
		progress_format_json(&p->out, "totals", &s, now_unix());
		sbuf_addch(&p->out, '\n');
		flush(p);
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_add(struct progress *p, uint64_t messages, uint64_t bytes)
{
	if (!p)
		return;
	atomic_fetch_add_explicit(&p->messages, messages, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->bytes, bytes, memory_order_relaxed);
}

void progress_mailbox_done(struct progress *p, const char *mailbox, const char *result,
			   uint64_t messages, uint64_t bytes)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->mailboxes_done++;
	if (p->show == SHOW_JSON) {
		sbuf_addf(&p->out, "{\"type\":\"mailbox\",\"time\":%.3f,\"mailbox\":", now_unix());
		sbuf_add_json_str(&p->out, mailbox);
		sbuf_adds(&p->out, ",\"result\":");
		sbuf_add_json_str(&p->out, result);
		sbuf_addf(&p->out, ",\"messages\":%llu,\"bytes\":%llu,\"mailboxes_done\":%u,"
			  "\"mailboxes_total\":", (unsigned long long)messages,
			  (unsigned long long)bytes, p->mailboxes_done);
		if (p->total.known)
			sbuf_addf(&p->out, "%u}\n", p->total.mailboxes);
		else
			sbuf_adds(&p->out, "null}\n");
		flush(p);
	}
	pthread_mutex_unlock(&p->lock);
}

/* log_json: text as {"type":"log","text":...} lines, so every line of the stream is JSON */
static void log_json(struct progress *p, const char *text, size_t len)
{
	while (len) {
		size_t n = diag_line_len(text, len);
		char *line = xstrndup(text, n - (text[n - 1] == '\n'));
		sbuf_adds(&p->out, "{\"type\":\"log\",\"text\":");
		sbuf_add_json_str(&p->out, line);
		sbuf_adds(&p->out, "}\n");
		free(line);
		text += n;
		len -= n;
	}
}

void progress_set_log(struct progress *p, FILE *log)
{
	p->log = log;
}

/*
 * split_log: text's lines into the log (each after the time, markers
 * removed) and those not marked DIAG_LOG_ONLY into shown (DIAG_RESULT kept)
 */
static void split_log(struct progress *p, const char *text, size_t len, struct sbuf *shown)
{
	char when[32] = "";
	if (p->log) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	while (len) {
		size_t n = diag_line_len(text, len);
		bool log_only = text[0] == DIAG_LOG_ONLY;
		size_t marks = (size_t)log_only + (size_t)diag_is_result(text, n);
		if (p->log)
			fprintf(p->log, "%s %.*s%s", when, (int)(n - marks), text + marks,
				text[n - 1] == '\n' ? "" : "\n");
		if (!log_only)
			sbuf_add(shown, text, n);
		text += n;
		len -= n;
	}
	if (p->log)
		fflush(p->log);
}

/*
 * put_results: n bytes of result lines (markers removed) on stdout, the
 * progress line taken off first: stdout may be the same terminal (under the lock)
 */
static void put_results(struct progress *p, const char *text, size_t n)
{
	if (p->show != SHOW_JSON)
		clear_line(p);
	flush(p);
	if (p->stdout_gone)
		return;
	fflush(stdout);	/* what the program wrote there through stdio comes first */
	int e = write_all(STDOUT_FILENO, text, n);
	if (e) {	/* said once; the run goes on (its report and manifests have it all) */
		p->stdout_gone = true;
		sbuf_addf(&p->out, "mdexport: warning: cannot write the results to standard output "
			  "(%s): no more are printed; the run goes on\n", strerror(e));
		flush(p);
	}
}

/* put_shown: shown's lines, results on stdout and the rest on stderr, in order (under the lock) */
static void put_shown(struct progress *p, const struct sbuf *shown)
{
	struct sbuf results = SBUF_INIT;
	const char *t = shown->buf;
	size_t len = shown->len;
	while (len) {
		size_t n = diag_line_len(t, len);
		if (diag_is_result(t, n)) {
			sbuf_add(&results, t + 1, n - 1);
		} else {
			if (results.len)
				put_results(p, results.buf, results.len);
			sbuf_reset(&results);
			if (p->show == SHOW_JSON) {
				log_json(p, t, n);
			} else {
				clear_line(p);
				sbuf_add(&p->out, t, n);
			}
		}
		t += n;
		len -= n;
	}
	if (results.len)
		put_results(p, results.buf, results.len);
	sbuf_release(&results);
}

void progress_print(struct progress *p, const char *text, size_t len)
{
	if (!p) {
		diag_write_std(text, len);
		return;
	}
	pthread_mutex_lock(&p->lock);
	struct sbuf shown = SBUF_INIT;
	split_log(p, text, len, &shown);
	if (shown.len) {
		bool redraw = p->show == SHOW_LINE && (p->drawn > 0 || (p->ticking && !p->held));
		put_shown(p, &shown);
		if (redraw)
			draw(p);
		flush(p);
	}
	pthread_mutex_unlock(&p->lock);
	sbuf_release(&shown);
}

void progress_hold(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->held = true;
	clear_line(p);
	flush(p);
	pthread_mutex_unlock(&p->lock);
}

void progress_resume(struct progress *p)
{
	if (!p)
		return;
	fflush(stdout);
	pthread_mutex_lock(&p->lock);
	p->held = false;
	if (p->show == SHOW_LINE && !p->stopping)
		draw(p);
	flush(p);
	pthread_mutex_unlock(&p->lock);
}

void progress_diag_out(void *ctx, const char *text, size_t len)
{
	progress_print(ctx, text, len);
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	bool ticking = p->ticking;
	p->ticking = false;
	pthread_mutex_unlock(&p->lock);
	if (ticking)
		pthread_join(p->ticker, NULL);
	pthread_mutex_lock(&p->lock);
	clear_line(p);
	flush(p);
	pthread_mutex_unlock(&p->lock);
}

void progress_done(struct progress *p, int status)
{
	if (!p || p->show != SHOW_JSON)
		return;
	pthread_mutex_lock(&p->lock);
	struct progress_snap s;
	snap(p, &s);
	progress_format_json(&p->out, "done", &s, now_unix());
	sbuf_setlen(&p->out, p->out.len - 1);	/* the closing brace: one more field */
	sbuf_addf(&p->out, ",\"status\":%d}\n", status);
	flush(p);
	pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress **pp)
{
	struct progress *p = *pp;
	if (!p)
		return;
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	sbuf_release(&p->out);
	free(p);
	*pp = NULL;
}
