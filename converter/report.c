#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"

void report_add(struct report *r, const struct report_row *row)
{
	r->rows = xreallocarray(r->rows, r->count + 1, sizeof(*r->rows));
	r->rows[r->count++] = *row;
}

/* sum: the totals row */
static struct report_row sum(const struct report *r)
{
	struct report_row t = { .result = "" };
	for (size_t i = 0; i < r->count; i++) {
		const struct report_row *x = &r->rows[i];
		t.folders += x->folders;
		t.groupware += x->groupware;
		t.found += x->found;
		t.exported += x->exported;
		t.deleted += x->deleted;
		t.filtered += x->filtered;
		t.unreadable_msgs += x->unreadable_msgs;
		t.stale += x->stale;
		t.errors += x->errors;
		t.warnings += x->warnings;
		t.import_warnings += x->import_warnings;
		t.bytes += x->bytes;
		t.read_again += x->read_again;
		t.changing += x->changing;
		t.elapsed += x->elapsed;
		t.round = x->round > t.round ? x->round : t.round;
		t.unchanged += x->unchanged;
		t.flags_changed += x->flags_changed;
		t.removed += x->removed;
		t.pruned += x->pruned;
		t.renamed += x->renamed;
		t.reindexed += x->reindexed;
		for (int k = 0; k < 5; k++)	/* issue 14 */
			t.items[k] += x->items[k];
		t.recovered += x->recovered;
	}
	t.errors += r->unattributed;
	return t;
}

/* width: characters (not bytes) of a UTF-8 string */
static int width(const char *s)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static void print_row(FILE *f, const struct report_row *x, const char *name, int w, bool raw)
{
	char size[32];
	size_text(size, sizeof(size), x->bytes, raw);
	fprintf(f, "  %s%*s %7u %8u %8u %9u %10u %8u %*s %8.2fs  %s\n", name,
		w - width(name), "", x->folders, x->found, x->exported, x->deleted,
		x->unreadable_msgs, x->filtered, raw ? 14 : 11, size, x->elapsed, x->result);
}

void report_print(const struct report *r, bool dry_run)
{
	report_print_to(stdout, r, dry_run);	/* issue 16: results on stdout */
}

void report_print_to(FILE *f, const struct report *r, bool dry_run)
{
	int w = 7;			/* "mailbox" */
	for (size_t i = 0; i < r->count; i++)
		if (width(r->rows[i].mailbox) > w)
			w = width(r->rows[i].mailbox);
	fprintf(f, "mdexport: report%s:\n", dry_run ? " (dry run: nothing written)" : "");
	fprintf(f, "  %*s %7s %8s %8s %s\n", w, "", "", "", "",
		"----------- skipped -----------");
	fprintf(f, "  %-*s %7s %8s %8s %9s %10s %8s %*s %9s  %s\n", w, "mailbox",
		"folders", "found", "exported", "deleted", "unreadable", "filtered",
		r->raw_bytes ? 14 : 11, r->raw_bytes ? "bytes" : "size", "elapsed", "result");
	for (size_t i = 0; i < r->count; i++)
		print_row(f, &r->rows[i], r->rows[i].mailbox, w, r->raw_bytes);
	struct report_row t = sum(r);
	char name[64];
	snprintf(name, sizeof(name), "total (%zu)", r->count);
	print_row(f, &t, name, w, r->raw_bytes);
}

static void json_counts(struct sbuf *j, const struct report_row *x)
{
	sbuf_addf(j, "\"folders\":%u,\"groupware_folders\":%u,\"found\":%u,\"exported\":%u,"
		  "\"skipped\":{\"deleted\":%u,\"unreadable\":%u},\"filtered\":%u,"
		  "\"bytes\":%llu,\"stale_records\":%u,\"errors\":%u,\"warnings\":%u,"
		  "\"elapsed\":%.3f",
		  x->folders, x->groupware, x->found, x->exported, x->deleted,
		  x->unreadable_msgs, x->filtered, (unsigned long long)x->bytes, x->stale, x->errors,
		  x->warnings, x->elapsed);
	sbuf_addf(j, ",\"import_warnings\":%u", x->import_warnings);	/* i13-split */
	if (x->round)
		sbuf_addf(j, ",\"incremental\":{\"round\":%u,\"unchanged\":%u,"
			  "\"flags_changed\":%u,\"removed\":%u,\"pruned\":%u,"
			  "\"folders_renamed\":%u,\"uidvalidity_changed\":%u}", x->round,
			  x->unchanged, x->flags_changed, x->removed, x->pruned, x->renamed,
			  x->reindexed);
	/* live stores (issue 13): messages read again, folders that never settled */
	sbuf_addf(j, ",\"read_again\":%u,\"changing\":%u", x->read_again, x->changing);
	/* issue 14: groupware items (events, contacts, tasks, notes) and those recovered */
	sbuf_addf(j, ",\"groupware\":{\"events\":%u,\"contacts\":%u,\"tasks\":%u,\"notes\":%u,"
		  "\"recovered\":%u", x->items[1], x->items[2], x->items[3], x->items[4],
		  x->recovered);
	if (x->recovered_json)
		sbuf_addf(j, ",\"recovered_items\":[%s]", x->recovered_json);
	sbuf_addch(j, '}');
}

static void json_str_or_null(struct sbuf *j, const char *s)
{
	if (s)
		sbuf_add_json_str(j, s);
	else
		sbuf_adds(j, "null");
}

static void json_row(struct sbuf *j, const struct report_row *x)
{
	sbuf_adds(j, "{\"mailbox\":");
	sbuf_add_json_str(j, x->mailbox);
	sbuf_adds(j, ",\"result\":");
	sbuf_add_json_str(j, x->result);
	sbuf_adds(j, ",\"output\":");
	json_str_or_null(j, x->output);
	sbuf_adds(j, ",\"manifest\":");
	json_str_or_null(j, x->manifest);
	sbuf_addch(j, ',');
	json_counts(j, x);
	sbuf_addch(j, '}');
}

/* json_head: what the run was */
static void json_head(struct sbuf *j, const struct report *r, const struct report_meta *m)
{
	sbuf_adds(j, "{\"report\":1,\"tool\":\"mdexport\",\"version\":");
	sbuf_add_json_str(j, MDEXPORT_VERSION);
	sbuf_adds(j, ",\"command\":[\"mdexport\"");
	for (int i = 1; i < m->argc; i++) {
		sbuf_addch(j, ',');
		sbuf_add_json_str(j, m->argv[i]);
	}
	sbuf_adds(j, "],\n\"started\":\"");
	sbuf_add_utc(j, r->started);
	sbuf_adds(j, "\",\"ended\":\"");
	sbuf_add_utc(j, m->ended);
	sbuf_adds(j, "\",\"host\":");
	sbuf_add_json_str(j, m->host);
	sbuf_adds(j, ",\"source\":");
	sbuf_add_json_str(j, m->source);
	sbuf_adds(j, ",\"format\":");
	sbuf_add_json_str(j, m->format);
	sbuf_adds(j, ",\"output\":");
	json_str_or_null(j, m->output);
	sbuf_addf(j, ",\"dry_run\":%s,\"skip_deleted\":%s,\"shard\":",
		  m->dry_run ? "true" : "false", m->skip_deleted ? "true" : "false");
	json_str_or_null(j, m->shard);
	sbuf_adds(j, ",\"filters\":");
	sbuf_adds(j, m->filters ? m->filters : "null");
	sbuf_addf(j, ",\"exit_status\":%d,\"interrupted\":%s", m->exit_status,
		  m->interrupted ? "true" : "false");
	if (m->interrupted) {	/* issue 16: which signal; the rows are the mailboxes done */
		sbuf_adds(j, ",\"signal\":");
		sbuf_add_json_str(j, m->interrupted);
	}
	if (m->extra)
		sbuf_adds(j, m->extra);
	sbuf_adds(j, ",\n\"mailboxes\":[");
}

int report_write_meta(const struct report *r, const struct report_meta *m, int fd)
{
	struct sbuf j = SBUF_INIT;
	json_head(&j, r, m);
	for (size_t i = 0; i < r->count; i++) {
		sbuf_adds(&j, i ? ",\n" : "\n");
		json_row(&j, &r->rows[i]);
	}
	struct report_row t = sum(r);
	sbuf_addf(&j, "\n],\n\"totals\":{\"mailboxes\":%zu,\"failed\":", r->count);
	unsigned failed = 0;
	for (size_t i = 0; i < r->count; i++)
		failed += strcmp(r->rows[i].result, "failed") == 0;
	sbuf_addf(&j, "%u,", failed);
	json_counts(&j, &t);
	sbuf_adds(&j, "}");
	if (r->not_found && r->not_found->count) {	/* issue 16: every one, with the hint */
		sbuf_adds(&j, ",\n");
		notfound_json(r->not_found, &j);
	}
	sbuf_adds(&j, "}\n");
	int ret = sys_write_all(fd, j.buf, j.len);
	sbuf_release(&j);
	return ret;
}

int report_write(const struct report *r, const struct options *o, int64_t ended,
		 int exit_status, int fd)
{
	char host[256] = "", shard[32] = "";
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (o->shard_n)
		snprintf(shard, sizeof(shard), "%u/%u", o->shard_k, o->shard_n);
	struct sbuf filters = SBUF_INIT;
	if (filter_any(&o->filter))	/* else null, as in a report from before filters */
		filter_json(&o->filter, &filters);
	struct report_meta m = {
		.filters = filters.len ? filters.buf : NULL,
		.argc = o->argc, .argv = o->argv, .ended = ended, .host = host,
		.source = o->source, .format = o->format->name, .output = o->output,
		.shard = o->shard_n ? shard : NULL, .dry_run = o->dry_run,
		.skip_deleted = o->skip_deleted, .exit_status = exit_status,
		.interrupted = r->interrupted,
	};
	int ret = report_write_meta(r, &m, fd);
	sbuf_release(&filters);
	return ret;
}

void report_release(struct report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->rows[i].mailbox);
		free(r->rows[i].output);
		free(r->rows[i].manifest);
		free(r->rows[i].recovered_json);
	}
	free(r->rows);
	r->rows = NULL;
	r->count = 0;
}
