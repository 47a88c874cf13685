/*
 * The per-mailbox driver: reader -> writer, one message at a time.
 * It knows nothing of any format; it owns filtering (--user, --domain,
 * --skip-deleted), error routing by recovery unit, the manifest (a line per
 * message: what the reader found, where the writer put it), summaries, the
 * report and the exit status.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <glib.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boxpipe.h"
#include "live.h"
#include "pool.h"
#include "core/gwitem.h"
#include "core/merge.h"
#include "core/msghash.h"
#include "core/outdir.h"
#include "core/reader.h"
#include "core/sysio.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "formats.h"
#include "importmap.h"
#include "interrupt.h"
#include "notfound.h"
#include "manifest.h"
#include "options.h"
#include "places.h"
#include "prescan.h"
#include "progress.h"
#include "report.h"
#include "seal.h"	/* issue 16 */
#include "rerun.h"
#include "rounds.h"
#include "select.h"

struct run {
	const struct options *o;
	struct diag diag;
	struct mail_reader *reader;
	struct select sel;	/* --user, --domain, --shard */
	unsigned mailboxes;
	unsigned messages;
	unsigned unreadable;
	unsigned failed;	/* mailboxes whose output failed */
	unsigned locked;	/* mailboxes another run was writing: skipped */
	unsigned changing;	/* live stores: folders that never settled (exit 1) */
	struct tree root;	/* DIR, opened once (not for a dry run) */
	struct report report;
	struct pool *pool;	/* -j N, N > 1: mailboxes side by side; NULL: one at a time */
	struct progress *progress;	/* the line, the JSON stream; every stderr line goes through it */
	struct importmap *imap;	/* issue 13: --m365-mapping, --exchange-script; NULL: none */
	/* issue 16: SIGINT/SIGTERM/SIGHUP, looked at between messages; NULL: not watched */
	const struct interrupt *intr;
	unsigned interrupted;	/* mailboxes stopped by it, rolled back */
	struct notfound nf;	/* issue 16: mail folders not found, said once at the end */
	/*
	 * issue 16: DIR's seal is set aside (seal_retire) by the first mailbox
	 * that is about to change DIR, not before: a run that refuses or skips
	 * every mailbox leaves DIR, and so its seal, as they were
	 */
	pthread_mutex_t seal_lock;
	int seal_state;		/* 0: not yet; 1: set aside (or none); -1: could not be */
	bool began;		/* the mailboxes were gone through (not stopped before) */
};

static int open_run(struct run *run, const struct options *o, struct progress *p)
{
	memset(run, 0, sizeof(*run));
	run->o = o;
	run->progress = p;
	run->diag.quiet = o->quiet;
	run->diag.quiet_to_log = o->log_file != NULL;	/* issue 16: the log keeps them */
	run->diag.write = progress_diag_out;	/* the mailboxes' diags are copies of this one */
	run->diag.write_ctx = p;
	select_init(&run->sel, o);
	run->report.started = (int64_t)time(NULL);
	run->root = (struct tree)TREE_INIT;
	pthread_mutex_init(&run->seal_lock, NULL);
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps,
					.index_mem = o->index_mem, .zone = o->zone };
	set.no_public_folders = o->no_public_folders;	/* issue 14 */
	set.fallback = (const char *const *)o->fallback;	/* issue 15 */
	struct sbuf err = SBUF_INIT;
	run->reader = o->reader->open(o->source, &set, &run->diag, &err);
	if (!run->reader) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		select_release(&run->sel);
		pthread_mutex_destroy(&run->seal_lock);
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
	if (run->unreadable || run->changing)	/* changing: live stores, issue 13 */
		status = EXIT_PARTIAL;
	/* a run stopped before the mailboxes has said why: no "no mailbox" after it */
	if (run->began ? select_unmatched(&run->sel) : true)
		status = EXIT_FATAL;
	if (run->locked && status != EXIT_FATAL)
		status = EXIT_LOCKED;
	if (run->failed)
		status = EXIT_FATAL;
	tree_close(&run->root);
	run->reader->v->close(run->reader);
	select_release(&run->sel);
	pthread_mutex_destroy(&run->seal_lock);
	return status;
}

/* ---- export ----------------------------------------------------------- */

/*
 * A round of export --incremental: what the earlier rounds wrote (NULL
 * for the first round, or without --incremental) and what this round
 * found changed since the last.
 */
struct round_run {
	struct rounds *r;
	unsigned number;	/* this round (1: the first) */
	struct round_folder rf;	/* the folder being read */
	struct sbuf output;	/* scratch: an earlier line's "output" object */
	struct sbuf notes;	/* the folders renamed, for the summary */
	unsigned unchanged, flags_changed, removed, pruned, renamed, reindexed;
	bool idle;		/* nothing changed since the last round: nothing written */
};

struct box_run {
	struct run *run;
	const struct mail_box *box;
	struct mail_mailbox *mb;	/* the mailbox opened for reading */
	struct msg_hash *hash;	/* its messages' SHA-256 (NULL for a dry run) */
	struct diag diag;	/* this mailbox's: its warnings and errors count in stats */
	/*
	 * Read ahead by its own threads (boxpipe.h): the reader then says what
	 * it says on rdiag, which captures it into rcapture, and the items come
	 * from pipe; else pipe is NULL and the reader is read here.
	 */
	struct boxpipe *pipe;
	struct pipe_item *item;	/* the item last taken from pipe */
	bool split;		/* read ahead by its own threads */
	struct diag rdiag;
	struct sbuf rcapture;
	struct mail_writer *w;
	struct conv_stats stats;
	struct sbuf dest;	/* DIR/<domain>/<mailbox>, escaped */
	struct sbuf rel;	/* the output relative to DIR: <domain>/<mailbox>[suffix] */
	struct sbuf name;	/* <mailbox>, escaped */
	struct sbuf part;	/* a round written as a part of its own: its name (<name>.round-NNN) */
	struct sbuf part_rel;	/* and its output relative to DIR; empty: not such a round */
	struct tree domain;	/* DIR/<domain> */
	struct tree work;	/* DIR/.mdexport/<domain>/<mailbox> */
	int lock_fd;		/* its lock, held while the mailbox is written; -1: none */
	bool unreadable_box;	/* the reader could not open the mailbox */
	bool locked;		/* another run holds the lock: nothing touched */
	bool shared;		/* its MailDir is another account's, exported as that one */
	struct manifest *manifest;	/* NULL for a dry run */
	struct round_run round;	/* export --incremental */
	struct mail_item_loc loc;	/* where the writer put the last message */
	struct sbuf recovered;	/* issue 14: items not converted whole, JSON objects ("," between) */
	int64_t started;	/* Unix seconds */
	struct timespec t0;	/* for the elapsed time */
	struct import_box *imp;	/* issue 13: its store files (its job's); NULL: not asked for */
	unsigned live_try;	/* live stores (issue 13): this read of the mailbox, from 1 */
	bool interrupted;	/* issue 16: stopped by a signal between two messages */
	/*
	 * issue 16: what DIR held of the mailbox that this run replaces (said in
	 * the summary; empty: nothing), refused (another format or options, no
	 * --force), and the earlier output to remove once this one is in place
	 * (another format's: its name is not this run's)
	 */
	struct sbuf replaces;
	bool refused;
	char *earlier_output;
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
	const struct pipe_item *it = b->item;
	bool ahead = it && it->kind == PIPE_MSG && !it->live && it->msg == msg;
	if (msg->body && (!reason || !strcmp(reason, "deleted") || !strcmp(reason, "filtered"))) {
		struct sbuf err = SBUF_INIT;
		if (ahead && it->hashed)	/* hashed when it was read ahead */
			memcpy(hex, it->sha256, sizeof(hex));
		else if (ahead)
			sbuf_adds(&err, it->hash_err.buf);
		hashed = ahead ? it->hashed : msg_hash_final(msg->hash, msg, hex, &err);
		if (!hashed)
			diag_error(&b->diag, "%s; its manifest line has no sha256", err.buf);
		sbuf_release(&err);
	}
	struct manifest_msg rec = { .folder = f, .msg = msg, .sha256 = hashed ? hex : NULL,
				    .reason = reason, .detail = detail, .loc = &b->loc };
	manifest_add(b->manifest, &rec);
}

/*
 * The mailbox's folders and messages, from its reader (one mailbox at a
 * time) or from the items it read ahead (boxpipe.h), which carry what it
 * said while reading them, said here, in the same place as without.
 */
static int feed_folder(struct box_run *b, const struct mail_folder **f, struct sbuf *err)
{
	if (!b->pipe)
		return b->mb->v->next_folder(b->mb, f, err);
	struct pipe_item *it = b->item = boxpipe_next(b->pipe);
	diag_replay(&b->diag, &it->capture);
	sbuf_add(err, it->err.buf, it->err.len);
	*f = it->folder;
	return it->status;
}

static int feed_msg(struct box_run *b, const struct mail_msg **msg, struct sbuf *err)
{
	if (!b->pipe)
		return b->mb->v->next_msg(b->mb, msg, err);
	struct pipe_item *it = b->item = boxpipe_next(b->pipe);
	diag_replay(&b->diag, &it->capture);
	sbuf_add(err, it->err.buf, it->err.len);
	*msg = it->msg;
	return it->status;
}

/* feed_reopen: only for a message read live (the reader waits while we use it) */
static int feed_reopen(struct box_run *b, const struct mail_msg **msg, struct sbuf *err)
{
	int ret = b->mb->v->reopen_msg(b->mb, msg, err);
	if (b->pipe)
		diag_replay(&b->diag, &b->rcapture);
	return ret;
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
	*changed = false;
	if (b->item && b->item->msg == *msg)
		b->item->written = true;	/* its prepare result is the writer's from here */
	int ret = mail_writer_write_msg(b->w, *msg, &b->loc);
	if (ret == CONV_MSG_BAD && msg_unchanged(*msg, NULL) != CONV_OK) {
		diag_warn(&b->diag, "%s; reading it again from the start", b->w->error.buf);
		ret = feed_reopen(b, msg, err);
		b->stats.read_again++;	/* live stores: reported (summary, report) */
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

/*
 * note_item: a groupware item written (issue 14): counted by kind; one not
 * converted whole is said (a warning naming it and why) and listed in the
 * report
 */
static void note_item(struct box_run *b, const struct mail_msg *msg)
{
	b->stats.items[msg->kind]++;
	const struct gw_item *gw = msg->gw;
	if (!gw || !gw->recovered)
		return;
	b->stats.recovered++;
	diag_warn(&b->diag, "'%s': %s exported as far as it could be recovered (categories "
		  "%s): %s", msg->origin, gw_kind_name(msg->kind), GW_CAT_RECOVERED,
		  gw->recovered);
	if (b->recovered.len)
		sbuf_addch(&b->recovered, ',');
	sbuf_adds(&b->recovered, "{\"source\":");
	sbuf_add_json_str(&b->recovered, msg->origin);
	sbuf_adds(&b->recovered, ",\"kind\":");
	sbuf_add_json_str(&b->recovered, gw_kind_name(msg->kind));
	sbuf_adds(&b->recovered, ",\"why\":");
	sbuf_add_json_str(&b->recovered, gw->recovered);
	sbuf_addch(&b->recovered, '}');
}

/* ---- rounds (export --incremental) ------------------------------------------------ */

/* round_folder: what the earlier rounds knew of the folder about to be read */
static void round_folder(struct box_run *b, const struct mail_folder *f)
{
	struct round_run *rr = &b->round;
	if (!rr->r)
		return;
	rounds_folder(rr->r, f, &rr->rf);
	if (rr->rf.uidvalidity_changed) {
		rr->reindexed++;
		diag_warn(&b->diag, "%s@%s: folder '%s' has a new UIDVALIDITY (%u; it was %u): "
			  "the UIDs the earlier rounds recorded mean nothing now, so it is "
			  "exported again in full", b->box->mailbox, b->box->domain, f->path,
			  f->uidvalidity, rr->rf.old_uidvalidity);
	}
	if (rr->rf.renamed_from) {
		rr->renamed++;
		sbuf_addf(&rr->notes, "  folder '%s' was '%s' in the earlier rounds (the same "
			  "UIDVALIDITY and UIDs): its messages written then are where they "
			  "were written\n", f->path, rr->rf.renamed_from);
	}
}

/* round_sha: the SHA-256 of a message that has no index record (its key) */
static int round_sha(struct box_run *b, const struct mail_msg *msg, char hex[65])
{
	const struct pipe_item *it = b->item;
	if (it && it->kind == PIPE_MSG && !it->live && it->msg == msg && it->hashed) {
		memcpy(hex, it->sha256, 65);
		return 0;
	}
	struct sbuf err = SBUF_INIT;
	int ret = verify_sha256_msg(msg, hex, &err) == CONV_OK ? 0 : -1;
	sbuf_release(&err);
	return ret;
}

/* in_output: an earlier line's output file (relative to DIR) relative to the mailbox's output */
static const char *in_output(const struct box_run *b, const char *file)
{
	size_t n = b->rel.len;
	if (!strncmp(file, b->rel.buf, n) && file[n] == '/')
		return file + n + 1;
	return NULL;
}

/*
 * round_update_flags: an earlier item whose flags changed: the writer
 * renames it where its format shows flags in the name (Maildir); loc then
 * says where it will be.  false: the change is only recorded.
 */
static bool round_update_flags(struct box_run *b, const struct mf_entry *e,
			       const struct mail_msg *msg)
{
	const char *file = in_output(b, e->out.file);
	if (!b->w->v->update_flags || b->run->o->dry_run || !file)
		return false;
	mail_item_loc_reset(&b->loc);
	if (b->w->v->update_flags(b->w, file, msg, &b->loc) == CONV_OK)
		return true;
	diag_warn(&b->diag, "%s; its change of flags is only recorded", b->w->error.buf);
	return false;
}

/*
 * round_known: 1 when an earlier round wrote this message (it is not
 * written again: its line is carried over, its flags brought up to date),
 * 0 when it is new, -1 when the earlier line cannot be read again (the
 * mailbox fails: going on could double it)
 */
static int round_known(struct box_run *b, const struct mail_folder *f, const struct mail_msg *msg)
{
	struct round_run *rr = &b->round;
	char hex[65];
	if (!rr->r)
		return 0;
	bool by_hash = rounds_keyed_by_hash(f, msg);
	if (by_hash && round_sha(b, msg, hex) < 0)
		return 0;	/* cannot be read: the normal path says so */
	struct round_item *it = rounds_find(rr->r, &rr->rf, f, msg, by_hash ? hex : NULL);
	if (!it)
		return 0;
	struct mf_entry e;
	struct sbuf err = SBUF_INIT;
	if (rounds_line(rr->r, it, &e, &rr->output, &err) < 0) {
		diag_fatal(&b->diag, "%s", err.buf);
		sbuf_release(&err);
		return -1;
	}
	sbuf_release(&err);
	unsigned written = e.has_written_flags ? e.written_flags : e.flags;
	/* news for the round's own record: back in the source, or in a folder renamed since */
	bool renamed = false, news = it->removed || rr->rf.renamed_from;
	if (e.flags != msg->flags) {
		rr->flags_changed++;
		news = true;
		renamed = round_update_flags(b, &e, msg);
		if (renamed)
			written = msg->flags;
	} else {
		rr->unchanged++;
	}
	if (b->manifest) {
		struct manifest_msg rec = { .folder = f, .msg = msg, .sha256 = e.sha256,
					    .loc = renamed ? &b->loc : NULL,
					    .output_json = rr->output.buf,
					    .written_flags = &written, .earlier = !news };
		manifest_add(b->manifest, &rec);
	}
	mf_entry_release(&e);
	return 1;
}

/*
 * round_removed: the earlier rounds' messages this round did not find in
 * the source: kept in the output and recorded as removed (--prune: their
 * output removed where the format has a file per message)
 */
static int round_removed(struct box_run *b)
{
	struct round_run *rr = &b->round;
	if (!rr->r)
		return CONV_OK;
	struct sbuf err = SBUF_INIT;
	struct mf_entry e;
	struct round_item *it;
	int ret = CONV_OK;
	for (size_t iter = 0; ret == CONV_OK && (it = rounds_next_unmatched(rr->r, &iter)); ) {
		if (rounds_line(rr->r, it, &e, &rr->output, &err) < 0) {
			diag_fatal(&b->diag, "%s", err.buf);
			ret = CONV_FATAL;
			break;
		}
		if (!it->removed && !filter_folder(&b->run->o->filter, e.folder)) {
			/* its folder is left out of this round: as it was */
			if (b->manifest)
				manifest_add_kept(b->manifest, &e, rr->output.buf);
			mf_entry_release(&e);
			continue;
		}
		const char *file = in_output(b, e.out.file);
		/* a folder exported again under its new UIDVALIDITY: its earlier copies
		 * are recorded as removed, but counted there, not as removed */
		bool news = !it->removed && !rounds_reindexed(rr->r, e.folder);
		/* a groupware item's text shares its file with the folder's others: kept */
		bool prune = b->run->o->prune && b->w->v->remove_item && file && !e.item_kind;
		if (prune && !b->run->o->dry_run && b->w->v->remove_item(b->w, file) != CONV_OK) {
			diag_fatal(&b->diag, "%s", b->w->error.buf);
			ret = CONV_FATAL;
		}
		rr->removed += news;
		rr->pruned += prune;
		if (b->manifest)
			manifest_add_removed(b->manifest, &e, rr->output.buf,
					     !it->removed || prune, prune);
		mf_entry_release(&e);
	}
	sbuf_release(&err);
	return ret;
}

/* export_folder: returns CONV_FATAL when the output failed */
static int export_folder(struct box_run *b, const struct mail_folder *f)
{
	struct run *run = b->run;
	struct sbuf err = SBUF_INIT;
	int ret = mail_writer_begin_folder(b->w, f);
	if (ret != CONV_OK) {
		diag_fatal(&b->diag, "%s", b->w->error.buf);
		return CONV_FATAL;
	}
	b->stats.folders++;
	round_folder(b, f);
	const struct mail_msg *msg = NULL;
	for (;;) {
		/* issue 16: a signal stops the mailbox between two messages; it is rolled back */
		if (interrupt_signal(run->intr)) {
			b->interrupted = true;
			ret = CONV_FATAL;
			break;
		}
		if ((ret = feed_msg(b, &msg, &err)) == CONV_DONE)
			break;
		/*
		 * the rest of the folder cannot be read (its index cannot be read
		 * back): said, and the folder ends here; no message is named
		 */
		if (ret == CONV_FOLDER_BAD || !msg) {
			diag_error(&b->diag, "%s", err.buf);
			sbuf_reset(&err);
			ret = CONV_OK;
			break;
		}
		b->stats.found++;
		/* a groupware item is not in the pre-scan's totals (its XML is not read then) */
		if (msg->kind == ITEM_MAIL)
			progress_add(run->progress, 1, ret == CONV_OK ? msg->size : 0);
		if (ret != CONV_OK) {
			diag_error(&b->diag, "%s", err.buf);
			b->stats.unreadable_msgs++;
			note_msg(b, f, msg, "unreadable", err.buf);
			sbuf_reset(&err);
			continue;
		}
		int known = round_known(b, f, msg);
		if (known < 0) {
			ret = CONV_FATAL;
			break;
		}
		if (known)
			continue;
		if (run->o->skip_deleted && (msg->flags & MSG_DELETED)) {
			b->stats.deleted_skipped++;
			note_msg(b, f, msg, "deleted", NULL);
			continue;
		}
		if (!filter_msg(&run->o->filter, msg)) {	/* --since, --until, --min/max-size */
			b->stats.filtered++;
			note_msg(b, f, msg, "filtered", NULL);
			continue;
		}
		bool changed;
		ret = write_item(b, &msg, &changed, &err);
		if (ret == CONV_OK) {
			b->stats.messages++;
			b->stats.bytes += msg->size;
			if (msg->kind != ITEM_MAIL)
				note_item(b, msg);	/* issue 14 */
			note_msg(b, f, msg, NULL, NULL);
			import_box_note(b->imp, &b->loc, msg->flags);	/* issue 13 */
		} else if (ret == CONV_FATAL) {
			diag_fatal(&b->diag, "%s", err.buf);
			break;
		} else {
			diag_error(&b->diag, "%s", err.buf);
			b->stats.unreadable_msgs++;
			note_msg(b, f, msg, changed ? "changed" : "unreadable", err.buf);
		}
		sbuf_reset(&err);
	}
	sbuf_release(&err);
	if (ret == CONV_FATAL)
		return CONV_FATAL;
	if (mail_writer_end_folder(b->w) != CONV_OK) {
		diag_fatal(&b->diag, "%s", b->w->error.buf);
		return CONV_FATAL;
	}
	return CONV_OK;
}

/*
 * skip_folder: a folder --folder/--exclude-folder leave out: nothing of it
 * is written or counted.  Read ahead, its messages are in the pipe
 * (boxpipe.c reads every mail folder's): taken out unseen, and what the
 * reader said about them is dropped, as the serial loop never reads them.
 */
static void skip_folder(struct box_run *b, const struct mail_folder *f)
{
	if (!b->pipe || (!f->is_mail && f->kind == ITEM_MAIL))
		return;
	const struct pipe_item *it;
	do
		it = b->item = boxpipe_next(b->pipe);
	while (it->kind == PIPE_MSG && it->status != CONV_DONE);
}

/* read_folders: every folder of the mailbox; CONV_FATAL on output failure */
static int read_folders(struct box_run *b)
{
	struct diag *d = &b->diag;
	struct sbuf err = SBUF_INIT;
	const struct mail_folder *f;
	int ret;
	while ((ret = feed_folder(b, &f, &err)) != CONV_DONE) {
		if (ret != CONV_OK) {
			diag_error(d, "%s", err.buf);
			sbuf_reset(&err);
		}
		if (!filter_folder(&b->run->o->filter, f->path)) {	/* filter.h */
			skip_folder(b, f);
			continue;
		}
		/* groupware the reader cannot read (documents): counted, left out */
		if (!f->is_mail && f->kind == ITEM_MAIL) {
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

/*
 * start_pipe: the mailbox read ahead by its own threads (b->split); when
 * they cannot be started, it is read here, its reader's diag made one like
 * the mailbox's own
 */
static void start_pipe(struct box_run *b)
{
	struct sbuf err = SBUF_INIT;
	b->pipe = boxpipe_start(b->mb, &b->rcapture, b->run->o->jobs, b->w->v,
				 (const char *const *)b->run->o->fallback /* issue 15 */, &err);
	if (!b->pipe) {
		diag_warn(&b->diag, "%s@%s: %s; read by one thread", b->box->mailbox,
			  b->box->domain, err.buf);
		diag_replay(&b->diag, &b->rcapture);
		b->rdiag = b->diag;
	}
	sbuf_release(&err);
}

/* export_folders: every folder of the mailbox; CONV_FATAL on output failure */
static int export_folders(struct box_run *b)
{
	if (b->split)
		start_pipe(b);
	int ret = read_folders(b);
	boxpipe_stop(b->pipe);
	b->pipe = NULL;
	b->item = NULL;
	return ret;
}

/* round_summary: what a round of --incremental found changed since the last */
static void round_summary(const struct box_run *b, struct sbuf *out)
{
	const struct round_run *rr = &b->round;
	if (!b->run->o->incremental)
		return;
	if (!rr->r) {
		sbuf_addf(out, "  round 1: no earlier round in DIR: every message is new\n");
		return;
	}
	if (rr->idle)
		sbuf_addf(out, "  round %u: nothing changed since round %u: nothing written\n",
			  rr->number, rr->number - 1);
	sbuf_addf(out, "  round %u: %u new; already exported: %u unchanged, %u with changed "
		  "flags (%s); removed from the source: %u%s; folders renamed: %u; folders "
		  "with a new UIDVALIDITY (exported again): %u\n", rr->number, b->stats.messages,
		  rr->unchanged, rr->flags_changed,
		  b->run->o->format->update_flags ? "renamed" : "recorded in the manifest",
		  rr->removed, b->run->o->prune ? " (--prune: their output removed)" :
		  " (kept in the output)", rr->renamed, rr->reindexed);
	sbuf_add(out, rr->notes.buf, rr->notes.len);
}

/* summary: the mailbox's summary lines, into out */
static void summary(struct box_run *b, bool failed, struct sbuf *out)
{
	const struct conv_stats *s = &b->stats;
	bool dry = b->run->o->dry_run;
	char size[32];
	size_text(size, sizeof(size), s->bytes, b->run->o->bytes);	/* issue 16: --bytes */
	if (b->shared) {
		sbuf_addf(out, "mdexport: %s@%s: not exported here: its mail folder '%s' is "
			"also %s's, and is exported as %s\n", b->box->mailbox, b->box->domain,
			b->box->path, b->box->shared_with, b->box->shared_with);
		return;
	}
	if (b->locked) {
		sbuf_addf(out, "mdexport: %s@%s: skipped, another mdexport run is writing "
			"'%s' (its lock is held); nothing of it was touched; run again when "
			"that run has finished\n", b->box->mailbox, b->box->domain, b->dest.buf);
		return;
	}
	if (b->refused) {	/* issue 16: rerun_guard said why */
		sbuf_addf(out, "mdexport: %s@%s: not exported; its earlier export in DIR is "
			  "kept as it was (--force replaces it)\n", b->box->mailbox, b->box->domain);
		return;
	}
	if (b->unreadable_box && b->box->not_found)	/* issue 16: one line for all at the end */
		return;
	if (b->unreadable_box) {
		sbuf_addf(out, "mdexport: %s@%s: not exported, the mailbox could not be "
			"read; unreadable: %u; warnings: %u\n", b->box->mailbox,
			b->box->domain, s->unreadable, s->warnings);
		if (s->problems.len)
			sbuf_addf(out, "%s", s->problems.buf);
		return;
	}
	sbuf_addf(out, "mdexport: %s@%s: %s %u %s (%s) in %u %s%s%s\n",
		b->box->mailbox, b->box->domain,
		b->interrupted ? "interrupted, nothing of this run written (an earlier "
		"output is as it was); had read" :
		failed ? "FAILED, nothing written; had read" :
		dry ? "would export" : "exported",
		s->messages, plural(s->messages, "message", "messages"), size,
		s->folders, plural(s->folders, "folder", "folders"),
		failed || dry ? "" : " to ", failed || dry ? "" : b->dest.buf);
	round_summary(b, out);
	if (b->replaces.len && !failed)	/* issue 16 */
		sbuf_addf(out, "  %s: %s\n", dry ? "would replace" : "replaced", b->replaces.buf);
	else if (dry && !b->run->o->incremental)
		sbuf_addf(out, "  would create: DIR holds no export of it\n");
	if (s->items[ITEM_CALENDAR] + s->items[ITEM_CONTACT] + s->items[ITEM_TASK] +
	    s->items[ITEM_NOTE])	/* issue 14 */
		sbuf_addf(out, "  of them groupware: %u %s, %u %s, %u %s, %u %s (%u recovered, "
			  "not whole)\n", s->items[ITEM_CALENDAR],
			  plural(s->items[ITEM_CALENDAR], "event", "events"), s->items[ITEM_CONTACT],
			  plural(s->items[ITEM_CONTACT], "contact", "contacts"), s->items[ITEM_TASK],
			  plural(s->items[ITEM_TASK], "task", "tasks"), s->items[ITEM_NOTE],
			  plural(s->items[ITEM_NOTE], "note", "notes"), s->recovered);
	sbuf_addf(out, "  skipped: %u deleted (--skip-deleted), %u filtered, %u groupware %s "
		"(documents, not exported), %u stale index %s (file missing); unreadable: %u; warnings: %u\n",
		s->deleted_skipped, s->filtered, s->groupware, plural(s->groupware, "folder", "folders"),
		s->stale, plural(s->stale, "record", "records"), s->unreadable, s->warnings);
	if (s->import_warnings)		/* i13-split */
		sbuf_addf(out, "  Microsoft 365 import: %u %s over its limits (items over 150 MB "
			"are skipped, folders deeper than 299 levels refused; see the warnings)\n",
			s->import_warnings, plural(s->import_warnings, "item or folder",
						   "items or folders"));
	if (s->read_again || s->changing)	/* live stores (issue 13) */
		sbuf_addf(out, "  live source: %u %s read again (changed while read), %u %s "
			  "still changing after %u tries\n", s->read_again,
			  plural(s->read_again, "message", "messages"), s->changing,
			  plural(s->changing, "folder", "folders"), LIVE_TRIES);
	if (s->problems.len)
		sbuf_addf(out, "%s", s->problems.buf);
	if (s->problems_listed > 50)
		sbuf_addf(out, "  ... and %u more\n", s->problems_listed - 50);
}

/* mark_log_only: each line of text for the log only (DIAG_LOG_ONLY; -q with --log-file) */
static void mark_log_only(struct sbuf *text)
{
	struct sbuf marked = SBUF_INIT;
	for (size_t i = 0; i < text->len; i++) {
		if (i == 0 || text->buf[i - 1] == '\n')
			sbuf_addch(&marked, DIAG_LOG_ONLY);
		sbuf_addch(&marked, text->buf[i]);
	}
	sbuf_reset(text);
	sbuf_add(text, marked.buf, marked.len);
	sbuf_release(&marked);
}

/* print_summary: the summary where the mailbox's lines go, in one piece */
static void print_summary(struct box_run *b, bool failed)
{
	const struct options *o = b->run->o;
	if (o->quiet && !o->log_file)	/* issue 16: -q prints only errors and the last line */
		return;
	struct sbuf out = SBUF_INIT;
	summary(b, failed, &out);
	diag_mark_result(&out);	/* issue 16: results on stdout */
	if (o->quiet)	/* for the --log-file only */
		mark_log_only(&out);
	diag_printf(&b->diag, "%s", out.buf);
	sbuf_release(&out);
}

/*
 * dest_path: DIR/<domain>/<mailbox> (escaped) in dest, the same relative to
 * DIR in rel (with the format's suffix), the escaped mailbox in name
 */
static void dest_path(struct box_run *b)
{
	const struct options *o = b->run->o;
	sbuf_reset(&b->name);
	fsname_escape_mailbox(&b->name, b->box->mailbox);	/* i13-split: never -NNN */
	sbuf_reset(&b->rel);
	fsname_escape(&b->rel, b->box->domain);
	sbuf_addch(&b->rel, '/');
	sbuf_adds(&b->rel, b->name.buf);
	sbuf_reset(&b->dest);
	sbuf_addf(&b->dest, "%s/%s", o->output ? o->output : ".", b->rel.buf);
	if (o->format->dest_suffix)
		sbuf_adds(&b->rel, o->format->dest_suffix);
}

/*
 * take_lock: DIR/.mdexport/<domain>/<mailbox>/lock, flock()ed for the
 * mailbox's whole write: 1 taken, 0 another run holds it, -1 error (err
 * set), -2 the working folder went away under us (a run that finished
 * removed it: open it again).  The kernel drops a flock when its holder
 * dies, so a killed run never leaves a mailbox locked.  A finished run
 * removes the lock file while it still holds the lock, so the lock counts
 * only if the file locked is still the one at that name.
 */
static int take_lock(struct box_run *b, struct sbuf *err)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = openat(b->work.fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == ENOENT)
			return -2;
		if (fd < 0) {
			sbuf_addf(err, "cannot open the lock '%s/lock': %s", b->work.display,
				  strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return 0;
			sbuf_addf(err, "cannot lock '%s/lock': %s", b->work.display, strerror(e));
			return -1;
		}
		struct stat held, named;
		if (fstat(fd, &held) == 0 &&
		    fstatat(b->work.fd, "lock", &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
			b->lock_fd = fd;
			return 1;
		}
		close(fd);	/* removed by the run we waited for: take the new one */
	}
	sbuf_addf(err, "cannot lock '%s/lock': it keeps changing", b->work.display);
	return -1;
}

/*
 * open_target: DIR/<domain> and the mailbox's working folder, made when
 * missing, each name opened without following a link, and the mailbox's
 * lock.  1 ready, 0 locked by another run, -1 error (err set).
 */
static int open_target(struct box_run *b, struct sbuf *err)
{
	struct run *run = b->run;
	struct sbuf dom = SBUF_INIT, work = SBUF_INIT;
	fsname_escape(&dom, b->box->domain);
	sbuf_addf(&work, OUT_WORK_DIR "/%s/%s", dom.buf, b->name.buf);
	int ret = tree_sub(&b->domain, &run->root, dom.buf, true, err);
	for (int tries = 0; ret == 0; tries++) {
		tree_close(&b->work);
		ret = tree_sub(&b->work, &run->root, work.buf, true, err);
		if (ret == 0)
			ret = take_lock(b, err);
		if (ret != -2)
			break;
		if (tries == 100) {	/* another run keeps removing it: give up */
			sbuf_addf(err, "cannot keep '%s' in place", b->work.display);
			ret = -1;
			break;
		}
		ret = 0;
	}
	sbuf_release(&dom);
	sbuf_release(&work);
	return ret;
}

/*
 * dry_target: a dry run of a round reads the earlier rounds' manifest in
 * DIR/<domain> (nothing is made; none there: a first round); always 1
 */
static int dry_target(struct box_run *b)
{
	struct run *run = b->run;
	if (run->root.fd < 0)	/* issue 16: every dry run says what it would replace */
		return 1;
	struct sbuf dom = SBUF_INIT, ignored = SBUF_INIT;
	fsname_escape(&dom, b->box->domain);
	if (tree_sub(&b->domain, &run->root, dom.buf, false, &ignored) < 0)
		b->domain = (struct tree)TREE_INIT;
	sbuf_release(&dom);
	sbuf_release(&ignored);
	return 1;
}

/*
 * close_target: the lock released and the working folder removed, with
 * the folders above it when empty, so a finished run leaves nothing of its
 * own in DIR but outputs and manifests (a killed run's leftovers are in
 * there, and the next run clears them)
 */
static void close_target(struct box_run *b)
{
	if (b->lock_fd >= 0) {
		unlinkat(b->work.fd, "lock", 0);	/* still held: see take_lock */
		close(b->lock_fd);
		b->lock_fd = -1;
		struct sbuf dom = SBUF_INIT, work = SBUF_INIT;
		fsname_escape(&dom, b->box->domain);
		sbuf_addf(&work, OUT_WORK_DIR "/%s/%s", dom.buf, b->name.buf);
		for (char *slash; (unlinkat(b->run->root.fd, work.buf, AT_REMOVEDIR) == 0) &&
				  (slash = strrchr(work.buf, '/')); )
			*slash = '\0';
		sbuf_release(&dom);
		sbuf_release(&work);
	}
	tree_close(&b->work);
	tree_close(&b->domain);
}

/*
 * open_rounds: --incremental: the earlier rounds' manifest, read; this
 * round is then joined to their output (t->merge), or is a part of its own
 * beside it (a PST: <mailbox>.round-NNN.pst).  Round 2 keeps the first
 * round's manifest as <mailbox>.round-001.jsonl (a second name of the
 * file: a manifest is only ever replaced whole, never written in place).
 */
static int open_rounds(struct box_run *b, struct out_target *t, struct sbuf *err)
{
	const struct options *o = b->run->o;
	struct round_run *rr = &b->round;
	rr->number = 1;
	if (!o->incremental || b->domain.fd < 0)
		return 0;
	char *name = xasprintf("%s.manifest.jsonl", b->name.buf);
	char *display = tree_display(&b->domain, name);
	int ret = rounds_open(&rr->r, b->domain.fd, name, display, o->format->name, err);
	free(display);
	if (ret > 0) {
		rr->number = rounds_number(rr->r);
		if (rr->number == 2 && !o->dry_run) {
			char *first = xasprintf("%s.round-001.jsonl", b->name.buf);
			if (linkat(b->domain.fd, name, b->domain.fd, first, 0) < 0 && errno != EEXIST)
				diag_warn(&b->diag, "cannot keep the first round's manifest as '%s': %s",
					  first, strerror(errno));
			free(first);
		}
	}
	free(name);
	if (ret <= 0)
		return ret;
	if (o->format->rounds_in_parts) {
		sbuf_addf(&b->part, "%s.round-%03u", b->name.buf, rr->number);
		t->name = b->part.buf;
		size_t dom = strlen(b->rel.buf) - strlen(b->name.buf) -
			     (o->format->dest_suffix ? strlen(o->format->dest_suffix) : 0);
		sbuf_reset(&b->part_rel);
		sbuf_addf(&b->part_rel, "%.*s%s%s", (int)dom, b->rel.buf, b->part.buf,
			  o->format->dest_suffix ? o->format->dest_suffix : "");
		sbuf_reset(&b->dest);	/* the summary names the part (write_mailbox adds the suffix) */
		sbuf_addf(&b->dest, "%s/%.*s%s", o->output, (int)dom, b->rel.buf, b->part.buf);
	} else {
		t->merge = true;
		t->round = rr->number;
	}
	return 0;
}

/* open_manifest: DIR/<domain>/<mailbox>.manifest.jsonl, unless a dry run */
static int open_manifest(struct box_run *b, struct out_target *t, struct sbuf *err)
{
	if (b->run->o->dry_run)
		return 0;
	char *name = xasprintf("%s.manifest.jsonl", b->name.buf);
	b->manifest = manifest_open(t, name, b->part_rel.len ? b->part_rel.buf : b->rel.buf, err);
	free(name);
	if (!b->manifest)
		return -1;
	if (b->round.number > 1) {
		char *record = xasprintf("%s.round-%03u.jsonl", b->name.buf, b->round.number);
		int ret = manifest_add_round(b->manifest, record, err);
		free(record);
		if (ret < 0)
			return -1;
	}
	if (t->merge)	/* the round's plan publishes them (merge.h) */
		t->publish = manifest_publish_names(b->manifest);
	return 0;
}

/* prepare_manifest: the manifest's partial file, complete and synced */
static int prepare_manifest(struct box_run *b, struct sbuf *err)
{
	if (!b->manifest)
		return 0;
	const struct options *o = b->run->o;
	struct manifest_run mr = {
		.argv = o->record_argv, .argc = o->record_argc, .started = b->started,
		.ended = (int64_t)time(NULL), .source = o->source,
		.format = o->format->name, .box = b->box, .round = b->round.number,
		.output = b->rel.buf,
	};
	return manifest_prepare(b->manifest, &mr, err);
}

/* ---- live stores (issue 13; converter/live.h) ---------------------------- */

/* write_steps' answer when the mailbox is to be read again (compared by address) */
static const char live_again[] = "read the mailbox again";
static void open_box(struct box_run *b, int reader_status, struct sbuf *reader_err);

/*
 * live_settled: after every folder was read, true when none changed while
 * it was read, or when this was the last try (those still changing are
 * then named and counted, and what was read is committed); false: the
 * mailbox is to be read again (write_mailbox)
 */
static bool live_settled(struct box_run *b)
{
	struct sbuf what = SBUF_INIT;
	unsigned n = live_unsettled(b->mb, &what);
	bool settled = n == 0 || b->live_try >= LIVE_TRIES;
	if (n && settled) {
		char *name = xasprintf("%s@%s", b->box->mailbox, b->box->domain);
		live_note_changing(&b->diag, name, &what);
		free(name);
		b->stats.changing = n;
	}
	sbuf_release(&what);
	return settled;
}

/*
 * live_reopen: the mailbox closed and opened again for another try, its
 * counts started again (the summary and report give the last try's), the
 * warning saying why.  The output of the try before is rolled back by the
 * caller: the whole mailbox is staged until commit, so dropping it is the
 * writers' ordinary rollback (README, "Exporting a live store").
 * -1: the mailbox can no longer be opened (err set).
 */
static int live_reopen(struct box_run *b, struct sbuf *err)
{
	struct sbuf what = SBUF_INIT;
	live_unsettled(b->mb, &what);
	b->mb->v->close_mailbox(b->mb);
	b->mb = NULL;
	conv_stats_release(&b->stats);
	b->stats = (struct conv_stats){ .problems = SBUF_INIT };
	char *name = xasprintf("%s@%s", b->box->mailbox, b->box->domain);
	live_note_again(&b->diag, name, b->live_try + 1, &what);
	struct sbuf rerr = SBUF_INIT;
	open_box(b, CONV_OK, &rerr);
	if (!b->mb)
		sbuf_addf(err, "%s: cannot open the mailbox again: %s", name, rerr.buf);
	free(name);
	sbuf_release(&rerr);
	sbuf_release(&what);
	return b->mb ? 0 : -1;
}

/* round_reset: a round read again from the start (the earlier rounds' manifest too) */
static void round_reset(struct box_run *b)
{
	struct round_run *rr = &b->round;
	rounds_free(&rr->r);
	sbuf_reset(&rr->notes);
	rr->unchanged = rr->flags_changed = rr->removed = rr->pruned = 0;
	rr->renamed = rr->reindexed = 0;
	rr->idle = false;
	sbuf_reset(&b->part);
	sbuf_reset(&b->part_rel);
	dest_path(b);
}

/* ---- end of live stores --------------------------------------------------- */

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
	struct out_target t = { .domain = &b->domain, .name = b->name.buf, .work = &b->work,
				.split_size = b->run->o->split_size /* i13-split */,
				.vcard_version = b->run->o->vcard_version /* issue 14 */,
				.fallback = (const char *const *)b->run->o->fallback /* issue 15 */,
				.maildir_flag_sep = b->run->o->maildir_flag_sep /* issue 16 */ };
	bool dry = b->run->o->dry_run;
	/* a round a killed run had begun to join to the output: carried out first */
	if (!dry && stage_recover(&b->domain, &b->work, err) < 0)
		return err->buf;
	if (open_rounds(b, &t, err) < 0 || open_manifest(b, &t, err) < 0)
		return err->buf;
	if (mail_writer_open(b->w, dry ? NULL : &t, b->box) != CONV_OK)
		return b->w->error.buf;
	if (export_folders(b) == CONV_FATAL)
		return "";
	if (!live_settled(b))	/* live stores (issue 13): read it again */
		return live_again;
	if (round_removed(b) == CONV_FATAL)
		return "";
	if (b->manifest && b->round.r && !manifest_round_lines(b->manifest)) {
		/* a round that found nothing changed writes nothing (a run again after a
		 * round that was killed once it was whole ends as the round itself) */
		mail_writer_rollback(b->w);
		b->round.idle = true;
		dest_path(b);
		return NULL;
	}
	if (prepare_manifest(b, err) < 0)
		return err->buf;
	if (b->part_rel.len && !b->stats.messages) {
		/* a round of its own with nothing new: no part (nothing to import); its record stays */
		mail_writer_rollback(b->w);
		sbuf_reset(&b->part_rel);
		dest_path(b);	/* the summary names the mailbox's output */
	} else if (mail_writer_commit(b->w) != CONV_OK) {
		return b->w->error.buf;
	}
	if (b->manifest && t.merge) {
		manifest_published(b->manifest);
	} else if (b->manifest && manifest_publish(b->manifest, err) < 0) {
		sbuf_addf(err, "; the output of %s@%s is in place without a manifest",
			  b->box->mailbox, b->box->domain);
		return err->buf;
	}
	return NULL;
}

static bool write_mailbox(struct box_run *b, const struct mail_writer_ops *ops,
			  struct sbuf *err)
{
	const char *failure;
	for (b->live_try = 1;; b->live_try++) {	/* live stores (issue 13): up to LIVE_TRIES */
		b->w = mail_writer_new(ops, &b->diag);
		failure = write_steps(b, err);
		if (failure != live_again)
			break;
		mail_writer_rollback(b->w);
		mail_writer_free(&b->w);
		manifest_free(&b->manifest);
		round_reset(b);
		if (live_reopen(b, err) < 0) {
			failure = err->buf;
			b->w = mail_writer_new(ops, &b->diag);	/* rolled back below: nothing */
			break;
		}
	}
	if (failure && *failure)
		diag_fatal(&b->diag, "%s", failure);
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

/*
 * A mailbox to export, as the main thread listed it: the reader's
 * description copied (its next call may change it), the run's diag
 * settings at that moment; then what export_mailbox made of it, for
 * finish_job to add to the run in listing order.
 */
struct box_job {
	struct pool_job pj;
	struct run *run;
	struct mail_box *box;
	int reader_status;
	struct sbuf reader_err;
	struct diag diag;
	struct report_row row;
	unsigned messages;	/* exported (none for a failed mailbox) */
	unsigned unreadable;
	unsigned changing;	/* live stores (issue 13) */
	bool failed, locked;
	bool interrupted;	/* issue 16: stopped by a signal, rolled back */
	bool not_started;	/* issue 16: its turn came after a signal: no row */
	struct import_box *imp;	/* issue 13: its store files, handed to the run in finish_job */
	bool round_wrote;	/* not a round, or a round that wrote output of its own */
};

static struct box_job *job_new(struct run *run, const struct mail_box *box, int status,
			       const struct sbuf *err)
{
	struct box_job *j = xcalloc(1, sizeof(*j));
	j->run = run;
	j->box = mail_box_dup(box);
	j->reader_status = status;
	sbuf_init(&j->reader_err);
	sbuf_add(&j->reader_err, err->buf, err->len);
	j->diag = run->diag;
	j->diag.unattributed = 0;
	if (run->imap)	/* issue 13 */
		j->imp = import_box_new(box->mailbox, box->domain);
	return j;
}

static void job_free(struct box_job *j)
{
	mail_box_free(j->box);
	sbuf_release(&j->reader_err);
	sbuf_release(&j->pj.text);
	import_box_free(&j->imp);
	free(j);
}

/* finish_job: the mailbox's row and counts added to the run, in listing order */
static void finish_job(struct pool_job *pj, void *ctx)
{
	struct box_job *j = (struct box_job *)pj;
	struct run *run = ctx;
	if (j->not_started) {	/* issue 16: nothing of it was looked at */
		job_free(j);
		return;
	}
	/* issue 13; before the row moves.  A round that wrote no part of its own has no
	 * new file to import (the earlier rounds' were in their runs' files) */
	importmap_add(run->imap, &j->imp, j->round_wrote ? j->row.output : NULL);
	report_add(&run->report, &j->row);
	run->mailboxes++;
	run->messages += j->messages;
	run->unreadable += j->unreadable;
	run->failed += j->failed;
	run->interrupted += j->interrupted;
	run->locked += j->locked;
	run->changing += j->changing;
	job_free(j);
}

/* fill_result: the mailbox's row of the end-of-run report, and its counts */
static void fill_result(struct box_run *b, struct box_job *j, bool failed)
{
	const struct conv_stats *s = &b->stats;
	bool wrote = !failed && !b->unreadable_box && !b->shared && !b->locked && !b->run->o->dry_run;
	j->row = (struct report_row){
		.mailbox = xasprintf("%s@%s", b->box->mailbox, b->box->domain),
		.output = wrote ? xstrdup(b->rel.buf) : NULL,
		.result = b->shared ? "shared" : b->locked ? "locked" : b->unreadable_box ? "unreadable" :
			  b->interrupted ? "interrupted" : b->refused ? "refused" : failed ? "failed" :
			  b->run->o->dry_run ? "dry-run" : "exported",
		.folders = s->folders, .groupware = s->groupware, .found = s->found,
		.exported = failed ? 0 : s->messages, .deleted = s->deleted_skipped,
		.filtered = s->filtered,
		.unreadable_msgs = s->unreadable_msgs, .stale = s->stale,
		.errors = s->unreadable, .warnings = s->warnings,
		.import_warnings = s->import_warnings,	/* i13-split */
		.bytes = failed ? 0 : s->bytes, .elapsed = seconds_since(&b->t0),
		.read_again = s->read_again, .changing = failed ? 0 : s->changing,
	};
	/* issue 14: groupware items */
	for (int k = ITEM_CALENDAR; k <= ITEM_NOTE; k++)
		j->row.items[k] = failed ? 0 : s->items[k];
	j->row.recovered = failed ? 0 : s->recovered;
	j->row.recovered_json = failed || !b->recovered.len ? NULL : xstrdup(b->recovered.buf);
	if (wrote) {
		const char *suffix = b->run->o->format->dest_suffix;
		size_t n = strlen(b->rel.buf) - (suffix ? strlen(suffix) : 0);
		j->row.manifest = xasprintf("%.*s.manifest.jsonl", (int)n, b->rel.buf);
		if (b->part_rel.len) {	/* a round of its own: the part it wrote */
			free(j->row.output);
			j->row.output = xstrdup(b->part_rel.buf);
		}
	}
	j->round_wrote = !b->round.r || (b->part_rel.len && !b->round.idle);
	if (b->run->o->incremental) {
		const struct round_run *rr = &b->round;
		j->row.round = rr->number;
		j->row.unchanged = rr->unchanged;
		j->row.flags_changed = rr->flags_changed;
		j->row.removed = rr->removed;
		j->row.pruned = rr->pruned;
		j->row.renamed = rr->renamed;
		j->row.reindexed = rr->reindexed;
	}
	j->messages = failed ? 0 : s->messages;	/* a failed mailbox wrote none */
	j->unreadable = s->unreadable;
	j->failed = failed && !b->interrupted;
	j->interrupted = b->interrupted;
	j->locked = b->locked;
	j->changing = failed ? 0 : s->changing;	/* live stores (issue 13) */
}

/*
 * open_box: the mailbox opened for reading; read ahead by its own threads
 * when it is the last work of a run with idle cores and its format has work
 * to spread (the reader then says what it says on rdiag, replayed here)
 */
static void open_box(struct box_run *b, int reader_status, struct sbuf *reader_err)
{
	struct run *run = b->run;
	const struct mail_box *box = b->box;
	/*
	 * only for a writer with a prepare step (PST: the MIME parse, the text):
	 * for the formats that copy bytes (mbox, Maildir, EML) a message's work
	 * is too small to pay for handing it between threads (measured: one
	 * 200,000-message mailbox to mbox took 8.8 s alone and 11.9 s read ahead)
	 */
	b->split = run->pool && !run->o->dry_run && run->o->format->prepare && pool_alone(run->pool);
	b->rdiag = (struct diag){ .capture = &b->rcapture };
	if (reader_status == CONV_OK && !box->shared_with)
		b->mb = run->reader->v->open_mailbox(run->reader, box,
						     b->split ? &b->rdiag : &b->diag, b->hash,
						     reader_err);
	diag_replay(&b->diag, &b->rcapture);
}

/*
 * rerun_guard (issue 16): what DIR holds of the mailbox, read from its
 * manifest.  Another format, or options that change the bytes, is refused
 * without --force (an export is evidence: a re-run must not destroy it
 * unasked); with --force, or the same format and options, it is replaced
 * and the summary says so.  A round (--incremental) is rounds.c's to judge.
 * Returns -1 when refused (err set).
 */
static int rerun_guard(struct box_run *b, struct sbuf *err)
{
	const struct options *o = b->run->o;
	if (o->incremental || b->domain.fd < 0)
		return 0;
	char *manifest = xasprintf("%s.manifest.jsonl", b->name.buf);
	struct earlier_export e;
	struct sbuf why = SBUF_INIT, now = SBUF_INIT;
	int found = earlier_export_read(b->domain.fd, manifest, &e, &why);
	free(manifest);
	if (found < 0)		/* a manifest that cannot be read is no export to keep */
		diag_warn(&b->diag, "%s@%s: %s; replaced", b->box->mailbox, b->box->domain, why.buf);
	int ret = 0;
	if (found > 0) {
		byte_options(o->record_argv, (size_t)o->record_argc, &now);
		bool same = !strcmp(e.format, o->format->name) && !strcmp(e.options, now.buf);
		sbuf_addf(&b->replaces, "the %s export made %s%s%s", e.format, e.started,
			  e.options[0] ? " with " : "", e.options);
		if (!same && o->dry_run)
			sbuf_adds(&b->replaces, " (another format or options: refused without --force)");
		if (!same && !o->force && !o->dry_run) {
			sbuf_addf(err, "%s@%s: not exported: '%s/%s' holds %s; this run writes "
				  "%s%s%s; it is not replaced without --force (or choose another "
				  "--output)", b->box->mailbox, b->box->domain, o->output, e.output,
				  b->replaces.buf, o->format->name, now.len ? " with " : "", now.buf);
			b->refused = true;
			ret = -1;
		} else if (!same && strcmp(e.output, b->rel.buf)) {
			b->earlier_output = xstrdup(e.output);
		}
		earlier_export_release(&e);
	}
	sbuf_release(&why);
	sbuf_release(&now);
	return ret;
}

/* retire_seal: DIR's seal set aside before the first change to DIR (once; -1 with err set) */
static int retire_seal(struct run *run, struct sbuf *err)
{
	pthread_mutex_lock(&run->seal_lock);
	if (run->seal_state == 0)
		run->seal_state = seal_retire(run->root.fd, run->o->output, err) < 0 ? -1 : 1;
	else if (run->seal_state < 0)
		sbuf_addf(err, "not exported: the seal of '%s' could not be set aside",
			  run->o->output);
	int state = run->seal_state;
	pthread_mutex_unlock(&run->seal_lock);
	return state < 0 ? -1 : 0;
}

/* drop_earlier_output: another format's output, once this run's is in place (--force) */
static void drop_earlier_output(struct box_run *b)
{
	if (!b->earlier_output)
		return;
	const char *leaf = strrchr(b->earlier_output, '/');
	leaf = leaf ? leaf + 1 : b->earlier_output;
	struct sbuf err = SBUF_INIT;
	char *display = tree_display(&b->domain, leaf);
	if (tree_remove(b->domain.fd, leaf, display, &err) < 0 && errno != ENOENT)
		diag_warn(&b->diag, "%s; the earlier export is still there", err.buf);
	free(display);
	sbuf_release(&err);
}

static void export_mailbox(struct box_job *j)
{
	struct run *run = j->run;
	const struct mail_box *box = j->box;
	struct box_run b = { .run = run, .box = box, .started = (int64_t)time(NULL) };
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	sbuf_init(&b.stats.problems);
	sbuf_init(&b.dest);
	sbuf_init(&b.rel);
	sbuf_init(&b.name);
	sbuf_init(&b.part);
	sbuf_init(&b.part_rel);
	sbuf_init(&b.round.output);
	sbuf_init(&b.round.notes);
	sbuf_init(&b.rcapture);
	sbuf_init(&b.recovered);
	b.domain = b.work = (struct tree)TREE_INIT;
	sbuf_init(&b.replaces);
	b.lock_fd = -1;
	b.hash = run->o->dry_run ? NULL : msg_hash_new();
	mail_item_loc_init(&b.loc);
	b.diag = j->diag;	/* its settings and where its lines go */
	b.diag.stats = &b.stats;
	b.imp = j->imp;	/* issue 13 */
	if (run->pool) {
		b.diag.write = pool_job_write;
		b.diag.write_ctx = &j->pj;
	}
	bool failed = false;
	struct sbuf err = SBUF_INIT;
	open_box(&b, j->reader_status, &j->reader_err);
	if (j->reader_status != CONV_OK || (!box->shared_with && !b.mb)) {
		b.unreadable_box = true;
		if (box->not_found && j->reader_status != CONV_OK)
			b.stats.unreadable++;	/* issue 16: said once for all at the end */
		else
			diag_error(&b.diag, "%s@%s: %s", box->mailbox, box->domain,
				   j->reader_err.buf);
	} else if (box->shared_with) {
		b.shared = true;
	} else {
		dest_path(&b);
		int ready = run->o->dry_run ? dry_target(&b) : open_target(&b, &err);
		if (ready > 0 && rerun_guard(&b, &err) < 0)	/* issue 16: refused */
			ready = -1;
		if (ready > 0 && !run->o->dry_run && retire_seal(run, &err) < 0)
			ready = -1;
		if (ready < 0) {
			diag_fatal(&b.diag, "%s", err.buf);
			failed = true;
		} else if (ready == 0) {
			b.locked = true;
		} else {
			failed = !write_mailbox(&b, run->o->dry_run ? formats_dry_run_writer() :
						run->o->format, &err);
			if (!failed)
				drop_earlier_output(&b);
		}
		close_target(&b);
	}
	if (b.mb)
		b.mb->v->close_mailbox(b.mb);
	char *name = xasprintf("%s@%s", box->mailbox, box->domain);
	fill_result(&b, j, failed);
	progress_mailbox_done(run->progress, name, j->row.result, j->messages,
			      failed ? 0 : b.stats.bytes);
	free(name);
	print_summary(&b, failed);	/* after: the line it redraws counts this mailbox */
	msg_hash_free(&b.hash);
	sbuf_release(&err);
	sbuf_release(&b.dest);
	sbuf_release(&b.rel);
	sbuf_release(&b.name);
	sbuf_release(&b.part);
	sbuf_release(&b.part_rel);
	sbuf_release(&b.round.output);
	sbuf_release(&b.round.notes);
	rounds_free(&b.round.r);
	sbuf_release(&b.rcapture);
	sbuf_release(&b.recovered);
	sbuf_release(&b.replaces);
	free(b.earlier_output);
	mail_item_loc_release(&b.loc);
	conv_stats_release(&b.stats);
}

static void run_job(struct pool_job *pj, void *ctx)
{
	(void)ctx;
	struct box_job *j = (struct box_job *)pj;
	/* issue 16: a mailbox whose turn comes after a signal is not started */
	if (interrupt_signal(j->run->intr))
		j->not_started = true;
	else
		export_mailbox(j);
}

/*
 * export_all: every mailbox wanted, one at a time, or side by side on
 * -j N threads.  Side by side, each is listed one ahead, so that the last
 * is known to be the last when it is handed over (it may then use the idle
 * threads), and what the store said while the next was listed is printed
 * after it, where one at a time prints it.
 */
static void export_all(struct run *run)
{
	const struct options *o = run->o;
	struct sbuf err = SBUF_INIT, listing = SBUF_INIT;
	struct diag said = run->diag;	/* where the run's lines go */
	if (o->jobs > 1) {
		run->pool = pool_new(o->jobs, run_job, finish_job, run, &err);
		if (!run->pool) {
			diag_warn(&run->diag, "%s; one mailbox at a time", err.buf);
		} else {
			pool_set_sink(run->pool, said.write, said.write_ctx);
			run->diag.write = pool_keep_text;
			run->diag.write_ctx = &listing;
		}
		sbuf_reset(&err);
	}
	struct mail_reader *r = run->reader;
	struct box_job *held = NULL;
	const struct mail_box *box;
	int ret;
	for (;;) {
		/* issue 16: after a signal no mailbox is started; the one held is not run */
		bool stop = interrupt_signal(run->intr) != 0;
		ret = stop ? CONV_DONE : r->v->next_mailbox(r, &box, &err);
		bool end = ret == CONV_DONE;
		if (stop && held) {
			job_free(held);
			held = NULL;
		}
		if (held)
			pool_submit(run->pool, &held->pj, end);
		held = NULL;
		if (run->pool) {
			pool_print(run->pool, listing.buf, listing.len);
			sbuf_reset(&listing);
		}
		if (end)
			break;
		if (select_wanted(&run->sel, box)) {
			notfound_add(&run->nf, box, ret);	/* issue 16 */
			struct box_job *j = job_new(run, box, ret, &err);
			if (run->pool) {
				held = j;
			} else {
				export_mailbox(j);
				finish_job(&j->pj, run);
			}
		}
		sbuf_reset(&err);
	}
	sbuf_release(&err);
	if (run->pool) {
		pool_finish(run->pool);
		run->pool = NULL;
		run->diag.write = said.write;
		run->diag.write_ctx = said.write_ctx;
	}
	sbuf_release(&listing);
}

/*
 * guarded_places: SOURCE, every --map target and every mail folder the
 * reader will read: what DIR and the report may neither be in nor hold
 */
static void guarded_places(const struct run *run, struct places *p)
{
	const struct options *o = run->o;
	places_add(p, "SOURCE", o->source);
	for (size_t i = 0; i < o->nmaps; i++) {
		const char *eq = strchr(o->maps[i], '=');
		if (eq)
			places_add(p, "the --map folder", eq + 1);
	}
	const struct mail_dir *dirs;
	size_t n = run->reader->v->mail_dirs(run->reader, &dirs);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(dirs[i].owner, "SOURCE"))
			continue;	/* added above */
		char *what = xasprintf("the mail folder of %s", dirs[i].owner);
		places_add_id(p, what, dirs[i].path,
			      &(struct fileid){ .dev = dirs[i].dev, .ino = dirs[i].ino });
		free(what);
	}
}

/*
 * The --report file: written to a temporary name beside FILE (made now, so
 * that a bad FILE stops the run before it starts) and renamed over FILE
 * when complete: a FILE that is a link is replaced, never followed.
 */
struct report_file {
	int dirfd;		/* FILE's folder; -1: no report */
	char *base;		/* FILE's name there */
	char *tmp;		/* the temporary name there */
	int fd;
};

static int open_report(const struct options *o, const struct places *guard,
		       struct report_file *rf)
{
	*rf = (struct report_file){ .dirfd = -1, .fd = -1 };
	if (!o->report)
		return 0;
	struct sbuf err = SBUF_INIT;
	const char *slash = strrchr(o->report, '/');
	char *dir = slash ? xstrndup(o->report, (size_t)(slash - o->report) + (slash == o->report))
			  : xstrdup(".");
	rf->base = xstrdup(slash ? slash + 1 : o->report);
	if (!*rf->base || !strcmp(rf->base, ".") || !strcmp(rf->base, ".."))
		sbuf_addf(&err, "--report '%s' names a folder, not a file", o->report);
	/* issue 16: its folder is made as DIR's is */
	else if (places_refuse(guard, "--report", dir, false, &err) == 0 &&
		 mkdir_p(dir, &err) == 0 &&
		 (rf->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		sbuf_addf(&err, "cannot create '%s': %s", o->report, strerror(errno));
	for (unsigned i = 0; !err.len && rf->fd < 0 && i < 100; i++) {
		free(rf->tmp);
		rf->tmp = xasprintf(".%s.%ld.%u.tmp", rf->base, (long)getpid(), i);
		rf->fd = sys_openat(rf->dirfd, rf->tmp,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (rf->fd < 0 && errno != EEXIST)
			sbuf_addf(&err, "cannot create a file beside '%s': %s", o->report,
				  strerror(errno));
	}
	free(dir);
	if (!err.len && rf->fd < 0)
		sbuf_addf(&err, "cannot create a file beside '%s'", o->report);
	if (err.len)
		fprintf(stderr, "mdexport: %s\n", err.buf);
	sbuf_release(&err);
	return rf->fd >= 0 ? 0 : -1;
}

/* close_report: publish (rename over FILE) or drop the temporary file; 0 or errno */
static int close_report(struct report_file *rf, bool publish)
{
	int e = 0;
	if (rf->fd >= 0 && close(rf->fd) < 0)
		e = errno;
	if (rf->fd >= 0 && publish && !e &&
	    sys_renameat(rf->dirfd, rf->tmp, rf->dirfd, rf->base, 0) < 0)
		e = errno;
	if (rf->fd >= 0 && (!publish || e))
		unlinkat(rf->dirfd, rf->tmp, 0);
	if (rf->dirfd >= 0)
		close(rf->dirfd);
	free(rf->base);
	free(rf->tmp);
	*rf = (struct report_file){ .dirfd = -1, .fd = -1 };
	return e;
}

/* print_report: the table, where the run's lines go, in one piece */
static void print_report(struct run *run)
{
	if (run->o->quiet && !run->o->log_file)	/* issue 16: the --report FILE has it all */
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem) {
		if (!run->o->quiet)
			report_print(&run->report, run->o->dry_run);
		return;
	}
	report_print_to(mem, &run->report, run->o->dry_run);
	if (fclose(mem) == 0) {
		struct sbuf t = SBUF_INIT;
		sbuf_add(&t, text, len);
		diag_mark_result(&t);	/* issue 16: results on stdout */
		if (run->o->quiet)	/* for the --log-file only */
			mark_log_only(&t);
		progress_print(run->progress, t.buf, t.len);
		sbuf_release(&t);
	}
	free(text);
}

/*
 * finish_report: the table on stderr, the JSON into the report file;
 * returns the exit status.  A report that could not be written whole is
 * not published: a cut JSON document would only mislead.
 */
static int finish_report(struct run *run, struct report_file *rf, int status)
{
	const struct options *o = run->o;
	print_report(run);
	if (rf->fd >= 0) {
		int e = report_write(&run->report, o, (int64_t)time(NULL), status, rf->fd);
		if (!e && sys_fsync(rf->fd) < 0)
			e = errno;
		int ce = close_report(rf, !e);
		if (e || ce) {
			fprintf(stderr, "mdexport: cannot write '%s': %s\n", o->report,
				strerror(e ? e : ce));
			status = EXIT_FATAL;
		}
	}
	report_release(&run->report);
	return status;
}

/*
 * open_output: DIR made (the admin's own path: links in it are followed)
 * and opened once; everything below it is reached from this descriptor
 */
static int open_output(struct run *run, const struct places *guard)
{
	const struct options *o = run->o;
	struct sbuf err = SBUF_INIT;
	int ret = -1;
	if (places_refuse(guard, "--output", o->output, true, &err) < 0 ||
	    mkdir_p(o->output, &err) < 0 || tree_open_root(&run->root, o->output, &err) < 0)
		goto out;
	/* made now: one more look, from the folder itself up, for a race with a link */
	for (size_t i = 0; i < guard->n; i++) {
		if (fd_ancestor_is(run->root.fd, &guard->v[i].id)) {
			sbuf_addf(&err, "--output '%s' is inside %s '%s', which is never "
				  "written to", o->output, guard->v[i].what, guard->v[i].path);
			goto out;
		}
	}
	if (faccessat(run->root.fd, ".", W_OK | X_OK, 0) < 0) {
		sbuf_addf(&err, "cannot write to '%s': %s", o->output, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "mdexport: %s\n", err.buf);
	sbuf_release(&err);
	return ret;
}

/*
 * open_import_files: issue 13's --m365-mapping / --exchange-script (and
 * --address-map) checked and their folders opened before anything is
 * exported
 */
static int open_import_files(struct run *run, const struct places *guard)
{
	struct sbuf err = SBUF_INIT;
	int ret = importmap_open(run->o, &run->imap, &err);
	if (ret == 0)
		ret = importmap_guard(run->imap, guard, &err);
	if (ret < 0)
		fprintf(stderr, "mdexport: %s\n", err.buf);
	sbuf_release(&err);
	return ret;
}

/*
 * open_log: --log-file FILE, appended to (a log keeps every run), refused
 * inside SOURCE as the report is; its first line for this run is the command
 */
static int open_log(const struct options *o, const struct places *guard, struct progress *p,
		    FILE **log)
{
	*log = NULL;
	if (!o->log_file)
		return 0;
	struct sbuf err = SBUF_INIT;
	char *dir = g_path_get_dirname(o->log_file);
	if (places_refuse(guard, "--log-file", dir, false, &err) == 0 &&
	    !(*log = fopen(o->log_file, "ae")))
		sbuf_addf(&err, "cannot open the log file '%s': %s", o->log_file, strerror(errno));
	g_free(dir);
	if (err.len) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		return -1;
	}
	progress_set_log(p, *log);
	sbuf_addch(&err, DIAG_LOG_ONLY);
	sbuf_adds(&err, "mdexport: log: started:");
	for (int i = 0; i < o->argc; i++)
		sbuf_addf(&err, " %s", o->argv[i]);
	sbuf_addch(&err, '\n');
	progress_print(p, err.buf, err.len);
	sbuf_release(&err);
	return 0;
}

static void close_log(struct progress *p, FILE **log)
{
	if (!*log)
		return;
	progress_set_log(p, NULL);
	if (fclose(*log) != 0)
		fprintf(stderr, "mdexport: cannot write the log file: %s\n", strerror(errno));
	*log = NULL;
}

/*
 * interrupted_line: a run stopped by a signal says so once, with what is
 * whole and how to go on (issue 16)
 */
static void interrupted_line(const struct run *run, int sig, struct sbuf *out)
{
	sbuf_addf(out, "mdexport: interrupted by %s: %u %s done (each whole, with its manifest); "
		  "%u stopped and rolled back (an earlier output of it is as it was); the "
		  "mailboxes not started are untouched. Run the same command again to "
		  "export them all again, or add --incremental to add only what is missing\n",
		  interrupt_name(sig), run->mailboxes - run->interrupted,
		  run->mailboxes - run->interrupted == 1 ? "mailbox" : "mailboxes",
		  run->interrupted);
}

static int export_run(const struct options *o, struct progress *p,
		      const struct interrupt *intr)
{
	struct sbuf err = SBUF_INIT;
	struct run run;
	struct report_file report = { .dirfd = -1, .fd = -1 };	/* closed on every path */
	struct places guard = { 0 };
	if (open_run(&run, o, p) < 0)	/* SOURCE first: nothing is created for a bad one */
		return EXIT_FATAL;
	run.intr = intr;
	guarded_places(&run, &guard);
	if (o->dry_run && o->output) {	/* the earlier rounds; what a run would replace */
		struct sbuf ignored = SBUF_INIT;
		if (tree_open_root(&run.root, o->output, &ignored) < 0)
			run.root = (struct tree)TREE_INIT;
		sbuf_release(&ignored);
	}
	FILE *log = NULL;
	if (open_log(o, &guard, p, &log) < 0 ||
	    open_report(o, &guard, &report) < 0 || open_import_files(&run, &guard) < 0 ||
	    (!o->dry_run && open_output(&run, &guard) < 0)) {
		close_report(&report, false);	/* nothing was exported: no report either */
		close_log(p, &log);
		importmap_free(&run.imap);
		places_release(&guard);
		close_run(&run);
		return EXIT_FATAL;
	}
	places_release(&guard);
	progress_start(p);
	struct prescan *scan = prescan_start(o, p);	/* the totals, beside the run */
	run.began = true;
	export_all(&run);
	prescan_finish(&scan);
	progress_stop(p);	/* the line is gone before the closing lines */
	run.report.unattributed = run.diag.unattributed;
	run.report.raw_bytes = o->bytes;	/* issue 16: --bytes */
	run.report.not_found = &run.nf;
	/* issue 13: the import files, before the report (a failure to write one is fatal) */
	bool import_failed = importmap_finish(run.imap, &run.root, &run.diag) < 0;
	importmap_free(&run.imap);
	int status = close_run(&run);
	int sig = interrupt_signal(intr);
	if (sig) {	/* issue 16: 128 + the signal, as a shell says of a process it stopped */
		status = 128 + sig;
		run.report.interrupted = interrupt_name(sig);
	}
	status = finish_report(&run, &report, import_failed ? EXIT_FATAL : status);
	char locked[128] = "";
	if (run.locked)
		snprintf(locked, sizeof(locked), "; %u skipped (locked by another run)", run.locked);
	if (run.changing)	/* live stores (issue 13) */
		snprintf(locked + strlen(locked), sizeof(locked) - strlen(locked),
			 "; %u %s still changing", run.changing,
			 run.changing == 1 ? "folder" : "folders");
	/* issue 16: plurals */
	sbuf_addf(&err, "mdexport: %s %u %s from %u %s; %u unreadable %s; %u %s failed%s; "
		  "exit status %d\n", o->dry_run ? "would export" : "exported", run.messages,
		  plural(run.messages, "message", "messages"), run.mailboxes,
		  plural(run.mailboxes, "mailbox", "mailboxes"), run.unreadable,
		  plural(run.unreadable, "item", "items"), run.failed,
		  plural(run.failed, "mailbox", "mailboxes"), locked, status);
	diag_mark_result(&err);	/* issue 16: the final line is a result (stdout) */
	if (sig)
		interrupted_line(&run, sig, &err);
	notfound_line(&run.nf, &err);	/* issue 16: after the final line, what to do next */
	notfound_release(&run.nf);
	progress_print(p, err.buf, err.len);
	sbuf_release(&err);
	close_log(p, &log);
	/* issue 16: export --seal, after everything the run writes (the report too) */
	if (o->seal && (status == EXIT_OK || status == EXIT_PARTIAL)) {
		int sealed = seal_dir(o->output, o->quiet);
		status = sealed == EXIT_OK ? status : EXIT_FATAL;
	}
	return status;
}

int cmd_export(const struct options *o)
{
	/*
	 * issue 16: the results go to stdout, often a pipe (| head, | less): a
	 * reader that goes away must not kill an export half-way.  With SIGPIPE
	 * ignored the write fails with EPIPE, the results stop (said once, on
	 * stderr: progress.c) and the export goes on to its end.  (GLib already
	 * ignores it when GMime starts; this does not depend on that.)
	 */
	signal(SIGPIPE, SIG_IGN);
	/* before any thread starts: they inherit the signals blocked (interrupt.h) */
	struct interrupt *intr = interrupt_start();
	struct progress *p = progress_new(o->progress, "export");
	int status = export_run(o, p, intr);
	progress_stop(p);
	progress_done(p, status);
	progress_free(&p);
	interrupt_stop(&intr);
	return status;
}
