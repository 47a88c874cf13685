/*
 * The per-mailbox driver: reader -> writer, one message at a time.
 * It knows nothing of any format; it owns filtering (--user, --domain,
 * --skip-deleted), error routing by recovery unit, summaries and the exit
 * status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "outdir.h"
#include "reader.h"
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
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps };
	struct sbuf err = SBUF_INIT;
	run->reader = mdaemon_reader_ops.open(o->source, &set, &run->diag, &err);
	if (!run->reader) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
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
	return status;
}

/* ---- export ----------------------------------------------------------- */

struct box_run {
	struct run *run;
	const struct mail_box *box;
	struct mail_writer *w;
	struct conv_stats stats;
	struct sbuf dest;
	bool unreadable_box;	/* the reader could not open the mailbox */
};

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
		if (ret != CONV_OK) {
			diag_error(&run->diag, "%s", err.buf);
			sbuf_reset(&err);
			continue;
		}
		if (run->o->skip_deleted && (msg->flags & MSG_DELETED)) {
			b->stats.deleted_skipped++;
			continue;
		}
		ret = mail_writer_write_msg(b->w, msg);
		if (ret == CONV_OK) {
			b->stats.messages++;
			b->stats.bytes += msg->size;
			diag_progress(&run->diag, "%s@%s: %s: %u messages", b->box->mailbox,
				      b->box->domain, f->path, b->stats.messages);
		} else if (ret == CONV_FATAL) {
			diag_fatal(&run->diag, "%s", b->w->error.buf);
			break;
		} else {
			diag_error(&run->diag, "%s", b->w->error.buf);
		}
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

static void human_bytes(char *buf, size_t n, uint64_t bytes)
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

/* dest_path: DIR/<domain>/<mailbox>, escaped; the domain folder is created */
static int dest_path(struct box_run *b, struct sbuf *err)
{
	const struct options *o = b->run->o;
	sbuf_reset(&b->dest);
	sbuf_addf(&b->dest, "%s/", o->output ? o->output : ".");
	fsname_escape(&b->dest, b->box->domain);
	if (!o->dry_run && mkdir_p(b->dest.buf, err) < 0)
		return -1;
	sbuf_addch(&b->dest, '/');
	fsname_escape(&b->dest, b->box->mailbox);
	return 0;
}

static void export_mailbox(struct run *run, const struct mail_box *box,
			   int reader_status, struct sbuf *reader_err)
{
	struct box_run b = { .run = run, .box = box };
	sbuf_init(&b.stats.problems);
	sbuf_init(&b.dest);
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
		const struct mail_writer_ops *ops = run->o->dry_run ?
			&null_writer_ops : run->o->format;
		b.w = mail_writer_new(ops, &run->diag);
		if (mail_writer_open(b.w, b.dest.buf, box) != CONV_OK) {
			diag_fatal(&run->diag, "%s", b.w->error.buf);
			failed = true;
		} else if (export_folders(&b) == CONV_FATAL) {
			failed = true;
		} else if (mail_writer_commit(b.w) != CONV_OK) {
			diag_fatal(&run->diag, "%s", b.w->error.buf);
			failed = true;
		}
		if (failed)
			mail_writer_rollback(b.w);
		else if (ops->dest_suffix)	/* the summary names the file written */
			sbuf_adds(&b.dest, ops->dest_suffix);
		mail_writer_free(&b.w);
	}
	print_summary(&b, failed);
	run->mailboxes++;
	run->messages += b.stats.messages;
	run->unreadable += b.stats.unreadable;
	run->failed += failed;
	run->diag.stats = NULL;
	sbuf_release(&err);
	sbuf_release(&b.dest);
	conv_stats_release(&b.stats);
}

int cmd_export(const struct options *o)
{
	struct sbuf err = SBUF_INIT;
	struct run run;
	if (open_run(&run, o) < 0)	/* SOURCE first: nothing is created for a bad one */
		return EXIT_FATAL;
	if (!o->dry_run &&
	    (mkdir_p(o->output, &err) < 0 || access(o->output, W_OK | X_OK) < 0)) {
		if (!err.len)
			sbuf_addf(&err, "cannot write to '%s': %s", o->output, strerror(errno));
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
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
	int status = close_run(&run);
	fprintf(stderr, "mdexport: %s %u messages from %u mailboxes; %u unreadable "
		"items; %u mailboxes failed; exit status %d\n",
		o->dry_run ? "would export" : "exported", run.messages,
		run.mailboxes, run.unreadable, run.failed, status);
	return status;
}
