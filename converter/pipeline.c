/*
 * The per-mailbox driver: reader -> writer, one message at a time.
 * It knows nothing of any format; it owns filtering (--user, --domain,
 * --skip-deleted), error routing by recovery unit, the manifest (a line per
 * message: what the reader found, where the writer put it), summaries, the
 * report and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"
#include "msghash.h"
#include "options.h"
#include "outdir.h"
#include "reader.h"
#include "report.h"
#include "sysio.h"
#include "writer.h"
#include "xalloc.h"

struct run {
	const struct options *o;
	struct diag diag;
	struct mail_reader *reader;
	bool *user_matched;
	bool *domain_matched;
	unsigned mailboxes;
	unsigned messages;
	unsigned unreadable;
	unsigned failed;	/* mailboxes whose output failed */
	struct msg_hash *hash;	/* NULL for a dry run: no manifest, nothing to hash */
	struct report report;
};

static bool wanted(struct run *run, const struct mail_box *box)
{
	const struct options *o = run->o;
	if (!o->nusers && !o->ndomains)
		return true;
	bool hit = false;
	for (size_t i = 0; i < o->nusers; i++) {
		const char *at = strrchr(o->users[i], '@');
		size_t n = at ? (size_t)(at - o->users[i]) : strlen(o->users[i]);
		if (strlen(box->mailbox) == n &&
		    !strncasecmp(o->users[i], box->mailbox, n) &&
		    (!at || !strcasecmp(at + 1, box->domain))) {
			run->user_matched[i] = true;
			hit = true;
		}
	}
	for (size_t i = 0; i < o->ndomains; i++) {
		if (!strcasecmp(o->domains[i], box->domain)) {
			run->domain_matched[i] = true;
			hit = true;
		}
	}
	return hit;
}

static int open_run(struct run *run, const struct options *o)
{
	memset(run, 0, sizeof(*run));
	run->o = o;
	run->diag.quiet = o->quiet;
	run->diag.progress = isatty(STDERR_FILENO) && !o->json;
	run->user_matched = xcalloc(o->nusers + 1, sizeof(bool));
	run->domain_matched = xcalloc(o->ndomains + 1, sizeof(bool));
	run->report.started = (int64_t)time(NULL);
	run->hash = o->dry_run ? NULL : msg_hash_new();
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps, .hash = run->hash };
	struct sbuf err = SBUF_INIT;
	run->reader = mdaemon_reader_ops.open(o->source, &set, &run->diag, &err);
	if (!run->reader) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		msg_hash_free(&run->hash);
		free(run->user_matched);
		free(run->domain_matched);
		return -1;
	}
	sbuf_release(&err);
	return 0;
}

/* close_run: report filters that matched nothing; returns the exit status */
static int close_run(struct run *run)
{
	int status = EXIT_OK;
	run->unreadable += run->diag.unattributed;
	if (run->unreadable)
		status = EXIT_PARTIAL;
	for (size_t i = 0; i < run->o->nusers; i++) {
		if (!run->user_matched[i]) {
			fprintf(stderr, "mdexport: no mailbox '%s' in '%s'\n",
				run->o->users[i], run->o->source);
			status = EXIT_FATAL;
		}
	}
	for (size_t i = 0; i < run->o->ndomains; i++) {
		if (!run->domain_matched[i]) {
			fprintf(stderr, "mdexport: no domain '%s' in '%s'\n",
				run->o->domains[i], run->o->source);
			status = EXIT_FATAL;
		}
	}
	if (run->failed)
		status = EXIT_FATAL;
	run->reader->v->close(run->reader);
	free(run->user_matched);
	free(run->domain_matched);
	msg_hash_free(&run->hash);
	return status;
}

/* ---- export ----------------------------------------------------------- */

struct box_run {
	struct run *run;
	const struct mail_box *box;
	struct mail_writer *w;
	struct conv_stats stats;
	struct sbuf dest;	/* DIR/<domain>/<mailbox>, escaped */
	struct sbuf rel;	/* the output relative to DIR: <domain>/<mailbox>[suffix] */
	bool unreadable_box;	/* the reader could not open the mailbox */
	struct manifest *manifest;	/* NULL for a dry run */
	struct mail_item_loc loc;	/* where the writer put the last message */
	int64_t started;	/* Unix seconds */
	struct timespec t0;	/* for the elapsed time */
};

/*
 * note_msg: the message's manifest line; reason NULL: exported (b->loc says
 * where), "deleted", "unreadable" or "changed" (detail says why).  The hash
 * covers the bytes the writer read; whatever it did not read is read here.
 * A message that changed while it was read has no hash: no bytes of it
 * were written, and those read were not one version of it.
 */
static void note_msg(struct box_run *b, const struct mail_folder *f,
		     const struct mail_msg *msg, const char *reason, const char *detail)
{
	if (!b->manifest)
		return;
	char hex[65];
	bool hashed = false;
	if (msg->fd >= 0 && (!reason || !strcmp(reason, "deleted"))) {
		struct sbuf err = SBUF_INIT;
		hashed = msg_hash_final(msg->hash, msg, hex, &err);
		if (!hashed)
			diag_error(&b->run->diag, "%s; its manifest line has no sha256", err.buf);
		sbuf_release(&err);
	}
	struct manifest_msg it = { .folder = f, .msg = msg, .sha256 = hashed ? hex : NULL,
				   .reason = reason, .detail = detail, .loc = &b->loc };
	manifest_add(b->manifest, &it);
}

/*
 * write_item: the message through the writer.  One whose file is no longer
 * what it was at open (size or mtime; the writer read exactly the size
 * taken at open and has taken back what it wrote of it) is opened and
 * written again from the start, once; *msg is then the message as opened
 * again.  Returns the writer's status or the reader's (err says why; for
 * CONV_MSG_BAD, *changed says whether it changed on the second read too).
 */
static int write_item(struct box_run *b, const struct mail_msg **msg, bool *changed,
		      struct sbuf *err)
{
	struct mail_reader *r = b->run->reader;
	*changed = false;
	int ret = mail_writer_write_msg(b->w, *msg, &b->loc);
	if (ret == CONV_MSG_BAD && msg_unchanged(*msg, NULL) != CONV_OK) {
		diag_warn(&b->run->diag, "%s; reading it again from the start", b->w->error.buf);
		ret = r->v->reopen_msg(r, msg, err);
		if (ret != CONV_OK)
			return ret;
		ret = mail_writer_write_msg(b->w, *msg, &b->loc);
		*changed = ret == CONV_MSG_BAD && msg_unchanged(*msg, NULL) != CONV_OK;
	}
	if (ret != CONV_OK)
		sbuf_addf(err, "%s%s", b->w->error.buf,
			  *changed ? " (it changed again when read a second time; not exported)" : "");
	return ret;
}

/* export_folder: returns CONV_FATAL when the output failed */
static int export_folder(struct box_run *b, const struct mail_folder *f)
{
	struct run *run = b->run;
	struct mail_reader *r = run->reader;
	struct sbuf err = SBUF_INIT;
	int ret = mail_writer_begin_folder(b->w, f);
	if (ret != CONV_OK) {
		diag_fatal(&run->diag, "%s", b->w->error.buf);
		return CONV_FATAL;
	}
	b->stats.folders++;
	const struct mail_msg *msg;
	while ((ret = r->v->next_msg(r, &msg, &err)) != CONV_DONE) {
		b->stats.found++;
		if (ret != CONV_OK) {
			diag_error(&run->diag, "%s", err.buf);
			b->stats.unreadable_msgs++;
			note_msg(b, f, msg, "unreadable", err.buf);
			sbuf_reset(&err);
			continue;
		}
		if (run->o->skip_deleted && (msg->flags & MSG_DELETED)) {
			b->stats.deleted_skipped++;
			note_msg(b, f, msg, "deleted", NULL);
			continue;
		}
		bool changed;
		ret = write_item(b, &msg, &changed, &err);
		if (ret == CONV_OK) {
			b->stats.messages++;
			b->stats.bytes += msg->size;
			note_msg(b, f, msg, NULL, NULL);
			diag_progress(&run->diag, "%s@%s: %s: %u messages", b->box->mailbox,
				      b->box->domain, f->path, b->stats.messages);
		} else if (ret == CONV_FATAL) {
			diag_fatal(&run->diag, "%s", err.buf);
			break;
		} else {
			diag_error(&run->diag, "%s", err.buf);
			b->stats.unreadable_msgs++;
			note_msg(b, f, msg, changed ? "changed" : "unreadable", err.buf);
		}
		sbuf_reset(&err);
	}
	sbuf_release(&err);
	if (ret == CONV_FATAL)
		return CONV_FATAL;
	if (mail_writer_end_folder(b->w) != CONV_OK) {
		diag_fatal(&run->diag, "%s", b->w->error.buf);
		return CONV_FATAL;
	}
	return CONV_OK;
}

/* export_folders: every folder of the mailbox; CONV_FATAL on output failure */
static int export_folders(struct box_run *b)
{
	struct mail_reader *r = b->run->reader;
	struct diag *d = &b->run->diag;
	struct sbuf err = SBUF_INIT;
	const struct mail_folder *f;
	int ret;
	while ((ret = r->v->next_folder(r, &f, &err)) != CONV_DONE) {
		if (ret != CONV_OK) {
			diag_error(d, "%s", err.buf);
			sbuf_reset(&err);
		}
		if (!f->is_mail) {
			b->stats.groupware++;
			continue;
		}
		if (export_folder(b, f) == CONV_FATAL) {
			sbuf_release(&err);
			return CONV_FATAL;
		}
	}
	sbuf_release(&err);
	return CONV_OK;
}

static const char *plural(unsigned n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(const struct box_run *b, bool failed)
{
	const struct conv_stats *s = &b->stats;
	bool dry = b->run->o->dry_run;
	char size[32];
	human_bytes(size, sizeof(size), s->bytes);
	diag_progress_clear(&b->run->diag);
	if (b->unreadable_box) {
		fprintf(stderr, "mdexport: %s@%s: not exported, the mailbox could not be "
			"read; unreadable: %u; warnings: %u\n", b->box->mailbox,
			b->box->domain, s->unreadable, s->warnings);
		if (s->problems.len)
			fputs(s->problems.buf, stderr);
		return;
	}
	fprintf(stderr, "mdexport: %s@%s: %s %u %s (%s) in %u %s%s%s\n",
		b->box->mailbox, b->box->domain,
		failed ? "FAILED, nothing written; had read" :
		dry ? "would export" : "exported",
		s->messages, plural(s->messages, "message", "messages"), size,
		s->folders, plural(s->folders, "folder", "folders"),
		failed || dry ? "" : " to ", failed || dry ? "" : b->dest.buf);
	fprintf(stderr, "  skipped: %u deleted (--skip-deleted), %u groupware %s (not mail), "
		"%u stale index %s (file missing); unreadable: %u; warnings: %u\n",
		s->deleted_skipped, s->groupware, plural(s->groupware, "folder", "folders"),
		s->stale, plural(s->stale, "record", "records"), s->unreadable, s->warnings);
	if (s->problems.len)
		fputs(s->problems.buf, stderr);
	if (s->problems_listed > 50)
		fprintf(stderr, "  ... and %u more\n", s->problems_listed - 50);
}

/*
 * dest_path: DIR/<domain>/<mailbox> (escaped) in dest, the same relative to
 * DIR in rel (with the format's suffix); the domain folder is created
 */
static int dest_path(struct box_run *b, struct sbuf *err)
{
	const struct options *o = b->run->o;
	sbuf_reset(&b->rel);
	fsname_escape(&b->rel, b->box->domain);
	sbuf_reset(&b->dest);
	sbuf_addf(&b->dest, "%s/%s", o->output ? o->output : ".", b->rel.buf);
	if (!o->dry_run && mkdir_p(b->dest.buf, err) < 0)
		return -1;
	sbuf_addch(&b->dest, '/');
	fsname_escape(&b->dest, b->box->mailbox);
	sbuf_addch(&b->rel, '/');
	fsname_escape(&b->rel, b->box->mailbox);
	if (o->format->dest_suffix)
		sbuf_adds(&b->rel, o->format->dest_suffix);
	return 0;
}

/* open_manifest: DIR/<domain>/<mailbox>.manifest.jsonl, unless a dry run */
static int open_manifest(struct box_run *b, struct sbuf *err)
{
	if (b->run->o->dry_run)
		return 0;
	char *final = xasprintf("%s.manifest.jsonl", b->dest.buf);
	b->manifest = manifest_open(final, b->rel.buf, err);
	free(final);
	return b->manifest ? 0 : -1;
}

/* prepare_manifest: the manifest's partial file, complete and synced */
static int prepare_manifest(struct box_run *b, struct sbuf *err)
{
	if (!b->manifest)
		return 0;
	const struct options *o = b->run->o;
	struct manifest_run mr = {
		.argv = o->argv, .argc = o->argc, .started = b->started,
		.ended = (int64_t)time(NULL), .source = o->source,
		.format = o->format->name, .box = b->box,
	};
	return manifest_prepare(b->manifest, &mr, err);
}

/*
 * write_mailbox: open, every folder, then commit the output and the
 * manifest.  The manifest is complete before the output is committed and
 * renamed right after, so a failure at any step leaves neither (only a
 * failed rename of the manifest itself leaves the output without one).
 * Returns false when the mailbox failed (output rolled back).
 */
/*
 * write_steps: the steps of write_mailbox in order, up to the first that
 * fails.  Returns NULL when all succeeded, else what to report ("" when the
 * step reported it where it happened).
 */
static const char *write_steps(struct box_run *b, struct sbuf *err)
{
	if (open_manifest(b, err) < 0)
		return err->buf;
	if (mail_writer_open(b->w, b->dest.buf, b->box) != CONV_OK)
		return b->w->error.buf;
	if (export_folders(b) == CONV_FATAL)
		return "";
	if (prepare_manifest(b, err) < 0)
		return err->buf;
	if (mail_writer_commit(b->w) != CONV_OK)
		return b->w->error.buf;
	if (b->manifest && manifest_publish(b->manifest, err) < 0) {
		sbuf_addf(err, "; the output of %s@%s is in place without a manifest",
			  b->box->mailbox, b->box->domain);
		return err->buf;
	}
	return NULL;
}

static bool write_mailbox(struct box_run *b, const struct mail_writer_ops *ops,
			  struct sbuf *err)
{
	b->w = mail_writer_new(ops, &b->run->diag);
	const char *failure = write_steps(b, err);
	if (failure && *failure)
		diag_fatal(&b->run->diag, "%s", failure);
	if (failure)
		mail_writer_rollback(b->w);
	else if (ops->dest_suffix)	/* the summary names the file written */
		sbuf_adds(&b->dest, ops->dest_suffix);
	mail_writer_free(&b->w);
	manifest_free(&b->manifest);
	return !failure;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* add_report_row: the mailbox's row of the end-of-run report */
static void add_report_row(struct box_run *b, bool failed)
{
	const struct conv_stats *s = &b->stats;
	bool wrote = !failed && !b->unreadable_box && !b->run->o->dry_run;
	struct report_row row = {
		.mailbox = xasprintf("%s@%s", b->box->mailbox, b->box->domain),
		.output = wrote ? xstrdup(b->rel.buf) : NULL,
		.result = b->unreadable_box ? "unreadable" : failed ? "failed" :
			  b->run->o->dry_run ? "dry-run" : "exported",
		.folders = s->folders, .groupware = s->groupware, .found = s->found,
		.exported = failed ? 0 : s->messages, .deleted = s->deleted_skipped,
		.unreadable_msgs = s->unreadable_msgs, .stale = s->stale,
		.errors = s->unreadable, .warnings = s->warnings,
		.bytes = failed ? 0 : s->bytes, .elapsed = seconds_since(&b->t0),
	};
	if (wrote) {
		const char *suffix = b->run->o->format->dest_suffix;
		size_t n = strlen(row.output) - (suffix ? strlen(suffix) : 0);
		row.manifest = xasprintf("%.*s.manifest.jsonl", (int)n, row.output);
	}
	report_add(&b->run->report, &row);
}

static void export_mailbox(struct run *run, const struct mail_box *box,
			   int reader_status, struct sbuf *reader_err)
{
	struct box_run b = { .run = run, .box = box, .started = (int64_t)time(NULL) };
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	sbuf_init(&b.stats.problems);
	sbuf_init(&b.dest);
	sbuf_init(&b.rel);
	mail_item_loc_init(&b.loc);
	run->diag.stats = &b.stats;
	bool failed = false;
	struct sbuf err = SBUF_INIT;
	if (reader_status != CONV_OK) {
		b.unreadable_box = true;
		diag_error(&run->diag, "%s@%s: %s", box->mailbox, box->domain,
			   reader_err->buf);
	} else if (dest_path(&b, &err) < 0) {
		diag_fatal(&run->diag, "%s", err.buf);
		failed = true;
	} else {
		failed = !write_mailbox(&b, run->o->dry_run ? &null_writer_ops : run->o->format,
					&err);
	}
	print_summary(&b, failed);
	add_report_row(&b, failed);
	run->mailboxes++;
	run->messages += failed ? 0 : b.stats.messages;	/* a failed mailbox wrote none */
	run->unreadable += b.stats.unreadable;
	run->failed += failed;
	run->diag.stats = NULL;
	sbuf_release(&err);
	sbuf_release(&b.dest);
	sbuf_release(&b.rel);
	mail_item_loc_release(&b.loc);
	conv_stats_release(&b.stats);
}

/* inside_source: DIR or the report would be written inside SOURCE (refused) */
static bool inside_source(const struct options *o)
{
	const char *what[] = { o->dry_run ? NULL : o->output, o->report };
	const char *name[] = { "--output", "--report" };
	for (size_t i = 0; i < 2; i++) {
		if (what[i] && path_within(what[i], o->source) == 1) {
			fprintf(stderr, "mdexport: %s '%s' is inside SOURCE '%s', which is "
				"never written to\n", name[i], what[i], o->source);
			return true;
		}
	}
	return false;
}

/* open_report: --report FILE, created now so that a bad FILE stops the run before it starts */
static int open_report(const struct options *o, int *fd_r)
{
	*fd_r = -1;
	if (!o->report)
		return 0;
	*fd_r = sys_open(o->report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd_r >= 0)
		return 0;
	fprintf(stderr, "mdexport: cannot create '%s': %s\n", o->report, strerror(errno));
	return -1;
}

/*
 * finish_report: the table on stderr, the JSON into fd; returns the exit
 * status.  A report that could not be written whole is removed: a cut JSON
 * document would only mislead.
 */
static int finish_report(struct run *run, int fd, int status)
{
	const struct options *o = run->o;
	report_print(&run->report, o->dry_run);
	if (fd >= 0) {
		int e = report_write(&run->report, o, (int64_t)time(NULL), status, fd);
		if (close(fd) < 0 && !e)
			e = errno;
		if (e) {
			fprintf(stderr, "mdexport: cannot write '%s': %s\n", o->report,
				strerror(e));
			unlink(o->report);
			status = EXIT_FATAL;
		}
	}
	report_release(&run->report);
	return status;
}

int cmd_export(const struct options *o)
{
	struct sbuf err = SBUF_INIT;
	struct run run;
	int report = -1;
	if (open_run(&run, o) < 0)	/* SOURCE first: nothing is created for a bad one */
		return EXIT_FATAL;
	if (inside_source(o) || open_report(o, &report) < 0) {
		close_run(&run);
		return EXIT_FATAL;
	}
	if (!o->dry_run &&
	    (mkdir_p(o->output, &err) < 0 || access(o->output, W_OK | X_OK) < 0)) {
		if (!err.len)
			sbuf_addf(&err, "cannot write to '%s': %s", o->output, strerror(errno));
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		if (report >= 0) {	/* nothing was exported: no report either */
			close(report);
			unlink(o->report);
		}
		close_run(&run);
		return EXIT_FATAL;
	}
	const struct mail_box *box;
	int ret;
	struct mail_reader *r = run.reader;
	while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
		if (wanted(&run, box))
			export_mailbox(&run, box, ret, &err);
		sbuf_reset(&err);
	}
	sbuf_release(&err);
	run.report.unattributed = run.diag.unattributed;
	int status = finish_report(&run, report, close_run(&run));
	fprintf(stderr, "mdexport: %s %u messages from %u mailboxes; %u unreadable "
		"items; %u mailboxes failed; exit status %d\n",
		o->dry_run ? "would export" : "exported", run.messages,
		run.mailboxes, run.unreadable, run.failed, status);
	return status;
}
