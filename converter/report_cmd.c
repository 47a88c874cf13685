/*
 * mdexport report REPORT...: the --report documents of several export runs
 * (the shards of one job, README "One report for all shards") summed into
 * one report of the same schema, so that what reads one reads the other.
 *
 * Strict, because the point is to prove the job complete: each input must
 * be an export's report; all must be of one job (format, --dry-run,
 * --skip-deleted) and of one split (the same N); a shard given twice, a
 * mailbox in two reports or in a report of the wrong shard is an error
 * (exit 2, nothing summed); a shard with no report is said and makes the
 * exit status at least 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"
#include "json.h"
#include "options.h"
#include "report.h"
#include "select.h"

/* a report is about 400 bytes a mailbox: this is half a million mailboxes */
#define REPORT_MAX_BYTES ((size_t)256 << 20)

struct input {			/* one REPORT file's head */
	const char *path;
	char *version, *host, *source, *format, *output;
	char *filters;		/* its "filters" object re-written (filters_text), or NULL */
	bool dry_run, skip_deleted;
	unsigned shard_k, shard_n;	/* shard_n 0: the run took every mailbox */
	int exit_status;
	char *signal;		/* issue 16: the signal that interrupted the run, or NULL */
	int64_t started, ended;
};

struct row_in {
	struct report_row row;
	size_t from;		/* the input it came from */
};

struct merge {
	const struct options *o;
	struct input *in;
	size_t nin;
	struct row_in *rows;
	size_t nrows;
	unsigned unattributed;	/* the inputs' errors outside any mailbox */
	unsigned errors;	/* problems that make a sum meaningless: exit 2 */
	unsigned *missing;	/* shards (K of the split's N) with no report */
	size_t nmissing;
};

static void say(struct merge *m, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* say: "mdexport: report: ..." on stderr; an error counts (exit 2) */
static void say(struct merge *m, bool error, const char *fmt, ...)
{
	if (!error && m->o->quiet)
		return;
	m->errors += error;
	va_list ap;
	va_start(ap, fmt);
	fputs(error ? "mdexport: report: " : "mdexport: report: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- reading one report ------------------------------------------------ */

/*
 * The field getters: each names the field ("mailboxes[3].found") in err on
 * the first problem, and does nothing once err holds one, so that a run of
 * them is checked once at its end.
 */
static const struct json *field(const struct json *o, const char *where, const char *key,
				enum json_type want, bool nullable, struct sbuf *err)
{
	if (err->len)
		return NULL;
	const struct json *v = json_get(o, key);
	bool number = want == JSON_INT || want == JSON_DOUBLE;
	if (v && (v->type == want || (nullable && v->type == JSON_NULL) ||
		  (want == JSON_TRUE && v->type == JSON_FALSE) ||
		  (want == JSON_DOUBLE && v->type == JSON_INT)))
		return v->type == JSON_NULL ? NULL : v;
	sbuf_addf(err, "%s%s%s: ", where, *where ? "." : "", key);
	if (!v)
		sbuf_adds(err, "missing");
	else
		sbuf_addf(err, "expected %s%s, found %s",
			  want == JSON_TRUE ? "true or false" : want == JSON_INT ? "a whole number" :
			  number ? "a number" :
			  json_type_name(want), nullable ? " or null" : "", json_type_name(v->type));
	return NULL;
}

static char *get_str(const struct json *o, const char *where, const char *key, bool nullable,
		     struct sbuf *err)
{
	const struct json *v = field(o, where, key, JSON_STRING, nullable, err);
	return v ? xstrdup(v->u.str.s) : NULL;
}

static bool get_bool(const struct json *o, const char *where, const char *key, struct sbuf *err)
{
	const struct json *v = field(o, where, key, JSON_TRUE, false, err);
	return v && v->type == JSON_TRUE;
}

/* get_count: a whole number 0..max */
static uint64_t get_count(const struct json *o, const char *where, const char *key,
			  uint64_t max, struct sbuf *err)
{
	const struct json *v = field(o, where, key, JSON_INT, false, err);
	if (v && (v->u.i < 0 || (uint64_t)v->u.i > max)) {
		sbuf_addf(err, "%s%s%s: %lld is out of range", where, *where ? "." : "", key,
			  (long long)v->u.i);
		return 0;
	}
	return v ? (uint64_t)v->u.i : 0;
}

static unsigned get_uint(const struct json *o, const char *where, const char *key,
			 struct sbuf *err)
{
	return (unsigned)get_count(o, where, key, UINT_MAX, err);
}

/* get_uint_since: get_uint for a field newer reports have; 0 when it is not there */
static unsigned get_uint_since(const struct json *o, const char *where, const char *key,
			       struct sbuf *err)
{
	return json_get(o, key) ? get_uint(o, where, key, err) : 0;
}

static double get_seconds(const struct json *o, const char *where, const char *key,
			  struct sbuf *err)
{
	const struct json *v = field(o, where, key, JSON_DOUBLE, false, err);
	return !v ? 0 : v->type == JSON_INT ? (double)v->u.i : v->u.d;
}

/* get_utc: "YYYY-MM-DDTHH:MM:SSZ", as the report writes it */
static int64_t get_utc(const struct json *o, const char *key, struct sbuf *err)
{
	const struct json *v = field(o, "", key, JSON_STRING, false, err);
	struct tm tm = { 0 };
	int used = 0;
	if (!v)
		return 0;
	if (sscanf(v->u.str.s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
	    used != 20 || v->u.str.len != 20) {
		sbuf_addf(err, "%s: \"%s\" is not a time as YYYY-MM-DDTHH:MM:SSZ", key,
			  v->u.str.s);
		return 0;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* result_of: the report's result word as report.h's static string, or NULL */
static const char *result_of(const char *word)
{
	static const char *const results[] = {
		"exported", "failed", "unreadable", "locked", "shared", "dry-run",
		"interrupted", "refused",	/* issue 16 */
	};
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (!strcmp(word, results[i]))
			return results[i];
	return NULL;
}

/* read_rounds: a row's "incremental" object (export --incremental), when it has one */
static void read_rounds(const struct json *x, const char *where, struct report_row *r,
			struct sbuf *err)
{
	if (!json_get(x, "incremental"))
		return;
	char inc[64];
	snprintf(inc, sizeof(inc), "%s.incremental", where);
	const struct json *o = field(x, where, "incremental", JSON_OBJECT, false, err);
	r->round = get_uint(o, inc, "round", err);
	r->unchanged = get_uint(o, inc, "unchanged", err);
	r->flags_changed = get_uint(o, inc, "flags_changed", err);
	r->removed = get_uint(o, inc, "removed", err);
	r->pruned = get_uint(o, inc, "pruned", err);
	r->renamed = get_uint(o, inc, "folders_renamed", err);
	r->reindexed = get_uint(o, inc, "uidvalidity_changed", err);
}

/*
 * read_groupware: issue 14's groupware counts and recovered items (absent
 * from reports written before it: none)
 */
static void read_groupware(const struct json *x, const char *where, struct report_row *r,
			   struct sbuf *err)
{
	static const char *const keys[] = { NULL, "events", "contacts", "tasks", "notes" };
	const struct json *g = json_get(x, "groupware");
	if (!g)
		return;
	char gw[64];
	snprintf(gw, sizeof(gw), "%s.groupware", where);
	g = field(x, where, "groupware", JSON_OBJECT, false, err);
	for (int k = 1; k < 5 && g; k++)
		r->items[k] = get_uint(g, gw, keys[k], err);
	r->recovered = g ? get_uint(g, gw, "recovered", err) : 0;
	const struct json *list = g ? json_get(g, "recovered_items") : NULL;
	if (!list || list->type != JSON_ARRAY || !list->u.arr.n)
		return;
	struct sbuf j = SBUF_INIT;
	for (size_t i = 0; i < list->u.arr.n; i++) {
		static const char *const fields[] = { "source", "kind", "why" };
		sbuf_adds(&j, i ? ",{" : "{");
		for (int f = 0; f < 3; f++) {
			const struct json *v = json_get(&list->u.arr.v[i], fields[f]);
			sbuf_addf(&j, "%s\"%s\":", f ? "," : "", fields[f]);
			if (v && v->type == JSON_STRING)
				sbuf_add_json_str(&j, v->u.str.s);
			else
				sbuf_adds(&j, "null");
		}
		sbuf_addch(&j, '}');
	}
	r->recovered_json = sbuf_detach(&j);
}

static void read_row(struct merge *m, const struct json *x, size_t i, struct sbuf *err)
{
	char where[48], skipped[64];
	snprintf(where, sizeof(where), "mailboxes[%zu]", i);
	snprintf(skipped, sizeof(skipped), "%s.skipped", where);
	const struct json *sk = field(x, where, "skipped", JSON_OBJECT, false, err);
	const struct json *res = field(x, where, "result", JSON_STRING, false, err);
	struct report_row r = {
		.mailbox = get_str(x, where, "mailbox", false, err),
		.output = get_str(x, where, "output", true, err),
		.manifest = get_str(x, where, "manifest", true, err),
		.result = res ? result_of(res->u.str.s) : NULL,
		.folders = get_uint(x, where, "folders", err),
		.groupware = get_uint(x, where, "groupware_folders", err),
		.found = get_uint(x, where, "found", err),
		.exported = get_uint(x, where, "exported", err),
		.deleted = get_uint(sk, skipped, "deleted", err),
		.unreadable_msgs = get_uint(sk, skipped, "unreadable", err),
		/* a report from before filters has none: 0 */
		.filtered = json_get(x, "filtered") ? get_uint(x, where, "filtered", err) : 0,
		.stale = get_uint(x, where, "stale_records", err),
		.errors = get_uint(x, where, "errors", err),
		.warnings = get_uint(x, where, "warnings", err),
		/* live stores (issue 13): absent from reports written before it */
		.read_again = get_uint_since(x, where, "read_again", err),
		.changing = get_uint_since(x, where, "changing", err),
		.import_warnings = get_uint_since(x, where, "import_warnings", err),
		.bytes = get_count(x, where, "bytes", INT64_MAX, err),
		.elapsed = get_seconds(x, where, "elapsed", err),
	};
	read_rounds(x, where, &r, err);
	read_groupware(x, where, &r, err);	/* issue 14 */
	if (!err->len && res && !r.result)
		sbuf_addf(err, "%s.result: \"%s\" is not a result a report has", where,
			  res->u.str.s);
	if (!err->len && r.mailbox && !strchr(r.mailbox, '@'))
		sbuf_addf(err, "%s.mailbox: \"%s\" is not MAILBOX@DOMAIN", where, r.mailbox);
	m->rows = xreallocarray(m->rows, m->nrows + 1, sizeof(*m->rows));
	m->rows[m->nrows++] = (struct row_in){ .row = r, .from = m->nin };
}

/* read_rows: the mailboxes, and the errors outside them (totals.errors beyond theirs) */
static void read_rows(struct merge *m, const struct json *doc, struct sbuf *err)
{
	const struct json *boxes = field(doc, "", "mailboxes", JSON_ARRAY, false, err);
	const struct json *totals = field(doc, "", "totals", JSON_OBJECT, false, err);
	unsigned total_errors = get_uint(totals, "totals", "errors", err);
	uint64_t row_errors = 0;
	for (size_t i = 0; boxes && i < boxes->u.arr.n && !err->len; i++) {
		read_row(m, &boxes->u.arr.v[i], i, err);
		row_errors += m->rows[m->nrows - 1].row.errors;
	}
	if (!err->len && total_errors < row_errors)
		sbuf_addf(err, "totals.errors: %u, fewer than its mailboxes' %llu", total_errors,
			  (unsigned long long)row_errors);
	else if (!err->len)
		m->unattributed += total_errors - (unsigned)row_errors;
}

/* shard_of_command: --shard K/N (or --shard=K/N) in a report's command line */
static void shard_of_command(const struct json *cmd, struct input *in)
{
	for (size_t i = 1; cmd && cmd->type == JSON_ARRAY && i < cmd->u.arr.n; i++) {
		const struct json *w = &cmd->u.arr.v[i];
		if (w->type != JSON_STRING || !w->u.str.s)
			continue;
		const char *spec = !strncmp(w->u.str.s, "--shard=", 8) ? w->u.str.s + 8 :
				   !strcmp(w->u.str.s, "--shard") && i + 1 < cmd->u.arr.n &&
				   cmd->u.arr.v[i + 1].type == JSON_STRING ?
				   cmd->u.arr.v[i + 1].u.str.s : NULL;
		if (spec)
			select_parse_shard(spec, &in->shard_k, &in->shard_n);
	}
}

/*
 * filters_text: a JSON value written back compactly, members in document
 * order: two reports' "filters" objects (filter_json, always the same keys
 * in the same order) are the same filters exactly when these are equal
 */
static void filters_text(const struct json *v, struct sbuf *out)
{
	switch (v->type) {
	case JSON_NULL: sbuf_adds(out, "null"); break;
	case JSON_FALSE: sbuf_adds(out, "false"); break;
	case JSON_TRUE: sbuf_adds(out, "true"); break;
	case JSON_INT: sbuf_addf(out, "%lld", (long long)v->u.i); break;
	case JSON_DOUBLE: sbuf_addf(out, "%.17g", v->u.d); break;
	case JSON_STRING: sbuf_add_json_str(out, v->u.str.s); break;
	case JSON_ARRAY:
		sbuf_addch(out, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			sbuf_adds(out, i ? "," : "");
			filters_text(&v->u.arr.v[i], out);
		}
		sbuf_addch(out, ']');
		break;
	case JSON_OBJECT:
		sbuf_addch(out, '{');
		for (size_t i = 0; i < v->u.obj.n; i++) {
			sbuf_adds(out, i ? "," : "");
			sbuf_add_json_str(out, v->u.obj.v[i].key);
			sbuf_addch(out, ':');
			filters_text(&v->u.obj.v[i].value, out);
		}
		sbuf_addch(out, '}');
		break;
	}
}

/* check_kind: an export's report of schema 1, or what the document is instead */
static void check_kind(const struct json *doc, struct sbuf *err)
{
	const struct json *rep = json_get(doc, "report"), *tool = json_get(doc, "tool");
	const struct json *cmd = json_get(doc, "command");
	const struct json *word = cmd && cmd->type == JSON_ARRAY && cmd->u.arr.n > 1 ?
				  &cmd->u.arr.v[1] : NULL;
	if (doc->type != JSON_OBJECT)
		sbuf_addf(err, "not a report of mdexport: the document is %s, not an object",
			  json_type_name(doc->type));
	else if (!rep && json_get(doc, "verified") && json_get(doc, "mailboxes"))
		sbuf_adds(err, "this is the output of `verify --json`, not a report (`export "
			  "--report FILE` writes one)");
	else if (!rep || rep->type != JSON_INT || !tool || tool->type != JSON_STRING ||
		 strcmp(tool->u.str.s, "mdexport"))
		sbuf_adds(err, "not a report of mdexport (it has no \"report\" number and "
			  "\"tool\":\"mdexport\")");
	else if (rep->u.i != 1)
		sbuf_addf(err, "a report of schema %lld: this mdexport reads schema 1",
			  (long long)rep->u.i);
	else if (!word || word->type != JSON_STRING)
		sbuf_adds(err, "command: not the command line of an mdexport run");
	else if (!strcmp(word->u.str.s, "report"))
		sbuf_adds(err, "a report that `mdexport report` made: give the shards' own "
			  "reports");
	else if (strcmp(word->u.str.s, "export"))
		sbuf_addf(err, "a report of `mdexport %s`, not of export", word->u.str.s);
}

static void read_head(const struct json *doc, struct input *in, struct sbuf *err)
{
	in->version = get_str(doc, "", "version", false, err);
	in->host = get_str(doc, "", "host", false, err);
	in->source = get_str(doc, "", "source", false, err);
	in->format = get_str(doc, "", "format", false, err);
	in->output = get_str(doc, "", "output", true, err);
	in->dry_run = get_bool(doc, "", "dry_run", err);
	in->skip_deleted = get_bool(doc, "", "skip_deleted", err);
	in->started = get_utc(doc, "started", err);
	in->ended = get_utc(doc, "ended", err);
	/* 128 + a signal: a run interrupted (issue 16) */
	in->exit_status = (int)get_count(doc, "", "exit_status", 255, err);
	const struct json *intr = json_get(doc, "interrupted");	/* none before issue 16 */
	if (intr && intr->type == JSON_TRUE)
		in->signal = get_str(doc, "", "signal", false, err);
	const struct json *filters = json_get(doc, "filters");	/* none before filters */
	if (filters && filters->type != JSON_NULL) {
		struct sbuf t = SBUF_INIT;
		filters_text(filters, &t);
		in->filters = sbuf_detach(&t);
	}
	const struct json *shard = json_get(doc, "shard");
	if (!shard) {	/* a report from before "shard" was written */
		shard_of_command(json_get(doc, "command"), in);
		return;
	}
	const struct json *spec = field(doc, "", "shard", JSON_STRING, true, err);
	if (spec && select_parse_shard(spec->u.str.s, &in->shard_k, &in->shard_n) < 0)
		sbuf_addf(err, "shard: \"%s\" is not K/N", spec->u.str.s);
}

/* slurp: the whole file (a report is a few hundred bytes a mailbox), or NULL and err */
static char *slurp(const char *path, size_t *len, struct sbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sbuf_addf(err, "cannot read it: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > REPORT_MAX_BYTES) {
		sbuf_addf(err, S_ISREG(st.st_mode) ? "%lld bytes: larger than a report can be" :
			  "not a file", (long long)st.st_size);
		close(fd);
		return NULL;
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t n = 1;
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		sbuf_addf(err, "cannot read it: %s", strerror(errno));
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = got;	/* a file that shrank while read is parsed as it was read */
	return buf;
}

/* read_input: one REPORT into m (its head in m->in[m->nin], its rows in m->rows) */
static void read_input(struct merge *m, const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct json doc = { .type = JSON_NULL };
	size_t len = 0;
	char *text = slurp(path, &len, &err);
	struct json_limits lim = { .max_depth = 16, .max_size = REPORT_MAX_BYTES };
	struct input *in = &m->in[m->nin];
	*in = (struct input){ .path = path };
	if (text && json_parse(text, len, &lim, &doc, &err) == 0) {
		check_kind(&doc, &err);
		if (!err.len)	/* the fields are read only from a report */
			read_head(&doc, in, &err);
		read_rows(m, &doc, &err);
	}
	if (err.len)
		say(m, true, "%s: %s", path, err.buf);
	m->nin++;
	json_free(&doc);
	free(text);
	sbuf_release(&err);
}

/* ---- checking the inputs together ------------------------------------- */

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* check_job: the same format, --dry-run and --skip-deleted: one job's runs */
static void check_job(struct merge *m)
{
	const struct input *a = &m->in[0];
	for (size_t i = 1; i < m->nin; i++) {
		const struct input *b = &m->in[i];
		if (!same(a->format, b->format) || a->dry_run != b->dry_run ||
		    a->skip_deleted != b->skip_deleted)
			say(m, true, "%s and %s are not runs of one job (format %s and %s, "
			    "--dry-run %s and %s, --skip-deleted %s and %s)", a->path, b->path,
			    a->format, b->format, a->dry_run ? "yes" : "no",
			    b->dry_run ? "yes" : "no", a->skip_deleted ? "yes" : "no",
			    b->skip_deleted ? "yes" : "no");
		if (!same(a->filters, b->filters))
			say(m, true, "%s and %s are not runs of one job (their filters differ: "
			    "%s and %s)", a->path, b->path, a->filters ? a->filters : "none",
			    b->filters ? b->filters : "none");
		if (!same(a->source, b->source))
			say(m, false, "%s read %s but %s read %s (the same store mounted "
			    "elsewhere?)", a->path, a->source, b->path, b->source);
		if (!same(a->version, b->version))
			say(m, false, "%s was made by mdexport %s, %s by %s", a->path, a->version,
			    b->path, b->version);
	}
}

/* check_shards: one split (the same N, or no --shard at all), each shard once */
static void check_shards(struct merge *m)
{
	const struct input *split = NULL, *whole = NULL;
	for (size_t i = 0; i < m->nin; i++) {
		const struct input *in = &m->in[i];
		if (!in->shard_n)
			whole = whole ? whole : in;
		else if (!split)
			split = in;
		else if (in->shard_n != split->shard_n)
			say(m, true, "%s is shard %u/%u but %s is shard %u/%u: not one split",
			    split->path, split->shard_k, split->shard_n, in->path, in->shard_k,
			    in->shard_n);
	}
	if (split && whole)
		say(m, true, "%s is shard %u/%u but %s took every mailbox (no --shard)",
		    split->path, split->shard_k, split->shard_n, whole->path);
	if (!split || m->errors)
		return;
	unsigned n = split->shard_n;
	size_t *by_k = xcalloc((size_t)n + 1, sizeof(*by_k));	/* input index + 1 */
	for (size_t i = 0; i < m->nin; i++) {
		const struct input *in = &m->in[i];
		if (by_k[in->shard_k])
			say(m, true, "shard %u/%u is given twice: %s and %s", in->shard_k, n,
			    m->in[by_k[in->shard_k] - 1].path, in->path);
		else
			by_k[in->shard_k] = i + 1;
	}
	struct sbuf list = SBUF_INIT;
	for (unsigned k = 1; k <= n; k++) {
		if (by_k[k])
			continue;
		m->missing = xreallocarray(m->missing, m->nmissing + 1, sizeof(*m->missing));
		m->missing[m->nmissing++] = k;
		sbuf_addf(&list, "%s%u/%u", list.len ? ", " : "", k, n);
	}
	free(by_k);
	if (list.len)
		fprintf(stderr, "mdexport: report: missing: no report for shard %s: the job "
			"is not complete\n", list.buf);
	sbuf_release(&list);
}

/* check_row_shards: each mailbox in the shard its report says (select_shard's rule) */
static void check_row_shards(struct merge *m)
{
	for (size_t i = 0; i < m->nrows && !m->errors; i++) {
		const struct input *in = &m->in[m->rows[i].from];
		if (!in->shard_n)
			continue;
		char *name = xstrdup(m->rows[i].row.mailbox);
		char *at = strrchr(name, '@');
		*at = '\0';
		struct mail_box box = { .mailbox = name, .domain = at + 1 };
		unsigned k = select_shard(&box, in->shard_n);
		if (k != in->shard_k)
			say(m, true, "%s (shard %u/%u) has a row for %s, which is shard %u/%u",
			    in->path, in->shard_k, in->shard_n, m->rows[i].row.mailbox, k,
			    in->shard_n);
		free(name);
	}
}

/* row_cmp: by domain, then mailbox, then input: the merged report's order */
static int row_cmp(const void *a, const void *b)
{
	const struct row_in *x = a, *y = b;
	const char *dx = strrchr(x->row.mailbox, '@'), *dy = strrchr(y->row.mailbox, '@');
	int c = strcmp(dx, dy);
	if (!c)
		c = strcmp(x->row.mailbox, y->row.mailbox);
	return c ? c : (x->from > y->from) - (x->from < y->from);
}

/* check_duplicates: a mailbox in two reports (rows sorted: they are neighbours) */
static void check_duplicates(struct merge *m)
{
	unsigned dups = 0;
	for (size_t i = 1; i < m->nrows; i++) {
		const struct row_in *x = &m->rows[i - 1], *y = &m->rows[i];
		if (strcmp(x->row.mailbox, y->row.mailbox))
			continue;
		if (++dups <= 10)
			say(m, true, "%s is in two reports: %s and %s", x->row.mailbox,
			    m->in[x->from].path, m->in[y->from].path);
		else
			m->errors++;
	}
	if (dups > 10)
		fprintf(stderr, "mdexport: report: ... and %u more mailboxes in two reports\n",
			dups - 10);
}

/* ---- the merged report --------------------------------------------------- */

/* severity: the exit statuses from best to worst (as cmd_export ranks them) */
static int severity(int status)
{
	return status == EXIT_OK ? 0 : status == EXIT_PARTIAL ? 1 : status == EXIT_LOCKED ? 2 :
	       status > 128 ? 4 : 3;	/* an interrupted shard did not finish: worst */
}

static int merged_status(const struct merge *m)
{
	int worst = m->nmissing ? EXIT_PARTIAL : EXIT_OK;
	for (size_t i = 0; i < m->nin; i++)
		if (severity(m->in[i].exit_status) > severity(worst))
			worst = m->in[i].exit_status;
	return worst;
}

/* extra_members: "merged" (each input) and "shards_missing", for the head */
static void extra_members(const struct merge *m, struct sbuf *j)
{
	sbuf_adds(j, ",\n\"merged\":[");
	for (size_t i = 0; i < m->nin; i++) {
		const struct input *in = &m->in[i];
		sbuf_adds(j, i ? ",\n {\"file\":" : "\n {\"file\":");
		sbuf_add_json_str(j, in->path);
		if (in->shard_n)
			sbuf_addf(j, ",\"shard\":\"%u/%u\"", in->shard_k, in->shard_n);
		else
			sbuf_adds(j, ",\"shard\":null");
		sbuf_adds(j, ",\"host\":");
		sbuf_add_json_str(j, in->host);
		sbuf_adds(j, ",\"started\":\"");
		sbuf_add_utc(j, in->started);
		sbuf_adds(j, "\",\"ended\":\"");
		sbuf_add_utc(j, in->ended);
		sbuf_addf(j, "\",\"exit_status\":%d}", in->exit_status);
	}
	sbuf_adds(j, "],\n\"shards_missing\":[");
	for (size_t i = 0; i < m->nmissing; i++)
		sbuf_addf(j, "%s%u", i ? "," : "", m->missing[i]);
	sbuf_addch(j, ']');
}

/* hosts: each input's host once, in order, joined by ", " */
static void hosts(const struct merge *m, struct sbuf *out)
{
	for (size_t i = 0; i < m->nin; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = same(m->in[k].host, m->in[i].host);
		if (!seen)
			sbuf_addf(out, "%s%s", out->len ? ", " : "", m->in[i].host);
	}
}

/* write_file: the document beside path, synced, renamed over it (as --report is) */
static int write_file(const struct report *r, const struct report_meta *meta, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : xstrdup(".");
	const char *base = slash ? slash + 1 : path;
	char *tmp = NULL;
	int e = EISDIR, dfd = -1, fd = -1;
	if (*base && strcmp(base, ".") && strcmp(base, ".."))
		e = (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ? errno : 0;
	for (unsigned i = 0; !e && fd < 0 && i < 100; i++) {
		free(tmp);
		tmp = xasprintf(".%s.%ld.%u.tmp", base, (long)getpid(), i);
		fd = sys_openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		e = fd < 0 && errno != EEXIST ? errno : 0;
	}
	if (!e && fd < 0)
		e = EEXIST;
	if (!e)
		e = report_write_meta(r, meta, fd);
	if (!e && sys_fsync(fd) < 0)
		e = errno;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	if (!e && sys_renameat(dfd, tmp, dfd, base, 0) < 0)
		e = errno;
	if (fd >= 0 && e)
		unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	if (e)
		fprintf(stderr, "mdexport: report: cannot write '%s': %s\n", path, strerror(e));
	return e ? -1 : 0;
}

/* publish: the table and the closing line, the JSON document; returns the exit status */
static int publish(struct merge *m, struct report *r)
{
	const struct options *o = m->o;
	const struct input *first = &m->in[0];
	int status = merged_status(m);
	struct sbuf extra = SBUF_INIT, host = SBUF_INIT;
	extra_members(m, &extra);
	hosts(m, &host);
	const char *output = first->output;
	for (size_t i = 1; i < m->nin; i++)
		output = same(output, m->in[i].output) ? output : NULL;
	struct report_meta meta = {
		.argc = o->argc, .argv = o->argv, .host = host.buf, .source = first->source,
		.format = first->format, .output = output, .dry_run = first->dry_run,
		.skip_deleted = first->skip_deleted, .exit_status = status, .extra = extra.buf,
		.filters = first->filters,
	};
	for (size_t i = 0; i < m->nin && !meta.interrupted; i++)	/* issue 16 */
		meta.interrupted = m->in[i].signal;
	for (size_t i = 0; i < m->nin; i++) {
		r->started = i && r->started < m->in[i].started ? r->started : m->in[i].started;
		meta.ended = i && meta.ended > m->in[i].ended ? meta.ended : m->in[i].ended;
	}
	FILE *tf = o->json ? stderr : stdout;	/* stdout is the document's with --json */
	r->raw_bytes = o->bytes;	/* issue 16 */
	report_print_to(tf, r, first->dry_run);
	fprintf(tf, "mdexport: report: %zu %s, %zu %s%s; exit status %d\n", m->nin,
		plural(m->nin, "report", "reports"), r->count,
		plural(r->count, "mailbox", "mailboxes"),
		m->nmissing ? "; NOT complete: a shard has no report" : "", status);
	fflush(tf);
	if (o->json && report_write_meta(r, &meta, STDOUT_FILENO)) {
		fprintf(stderr, "mdexport: report: cannot write to stdout: %s\n", strerror(errno));
		status = EXIT_FATAL;
	}
	if (o->output && write_file(r, &meta, o->output) < 0)
		status = EXIT_FATAL;
	sbuf_release(&extra);
	sbuf_release(&host);
	return status;
}

static void merge_release(struct merge *m)
{
	for (size_t i = 0; i < m->nin; i++) {
		struct input *in = &m->in[i];
		free(in->version);
		free(in->host);
		free(in->source);
		free(in->format);
		free(in->output);
		free(in->filters);
		free(in->signal);
	}
	for (size_t i = 0; i < m->nrows; i++) {
		free(m->rows[i].row.mailbox);
		free(m->rows[i].row.output);
		free(m->rows[i].row.manifest);
		free(m->rows[i].row.recovered_json);
	}
	free(m->in);
	free(m->rows);
	free(m->missing);
}

int cmd_report(const struct options *o)
{
	struct merge m = { .o = o };
	m.in = xcalloc(o->nreports, sizeof(*m.in));
	for (size_t i = 0; i < o->nreports; i++)
		read_input(&m, o->reports[i]);
	if (!m.errors)
		check_job(&m);
	if (!m.errors)
		check_shards(&m);
	check_row_shards(&m);
	if (!m.errors && m.nrows) {
		qsort(m.rows, m.nrows, sizeof(*m.rows), row_cmp);
		check_duplicates(&m);
	}
	int status = EXIT_FATAL;
	if (m.errors) {
		fprintf(stderr, "mdexport: report: nothing summed: %u %s; exit status %d\n",
			m.errors, m.errors == 1 ? "error" : "errors", status);
	} else {
		struct report r = { .unattributed = m.unattributed, .count = m.nrows };
		r.rows = xreallocarray(NULL, m.nrows ? m.nrows : 1, sizeof(*r.rows));
		for (size_t i = 0; i < m.nrows; i++)
			r.rows[i] = m.rows[i].row;	/* borrowed: m frees the strings */
		status = publish(&m, &r);
		free(r.rows);
	}
	merge_release(&m);
	return status;
}
