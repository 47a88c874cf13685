/*
 * The manifest: DIR/<domain>/<mailbox>.manifest.jsonl, one JSON object per
 * line, ties every source message (path, size, SHA-256, folder, UID, flags,
 * dates) to where it went in the output (README, "Manifest").
 *
 * The first line describes the run and holds totals and the end time, so
 * it can only be written last: message lines go to an unnamed temporary
 * file in the mailbox's working folder as they come (memory stays flat),
 * and manifest_prepare() writes the working folder's manifest.partial as
 * the run line followed by them.  manifest_publish() renames it into place once the mailbox's output
 * is committed; a mailbox that fails leaves no manifest.
 */
#ifndef MDX_MANIFEST_H
#define MDX_MANIFEST_H

#include <stdint.h>

#include "core/conv.h"
#include "core/writer.h"

struct manifest;

/*
 * one message line; status "exported" when reason is NULL, else "skipped";
 * the run line's "unreadable" total counts both "unreadable" and "changed"
 */
struct manifest_msg {
	const struct mail_folder *folder;
	const struct mail_msg *msg;
	const char *sha256;	/* lower-case hex, or NULL when the file could not be read */
	const char *reason;	/* NULL, "deleted", "filtered", "unreadable" or "changed" */
	const char *detail;	/* NULL, or why it is unreadable or changed */
	const struct mail_item_loc *loc;	/* where it went (exported only) */
	/*
	 * Rounds (--incremental).  A message an earlier round wrote: output_json is
	 * its line's "output" object as that round wrote it (used when loc is NULL),
	 * written_flags the flags its output item holds when they are no longer
	 * the source's (NULL: they are).  earlier: the line goes only into the
	 * whole export's manifest, not the round's own record (it is no news).
	 */
	const char *output_json;
	const unsigned *written_flags;
	bool earlier;
};

struct manifest_run {
	char *const *argv;	/* the command line; argv[0] is written as "mdexport" */
	int argc;
	int64_t started, ended;	/* Unix seconds */
	const char *source;	/* SOURCE as given */
	const char *format;
	const struct mail_box *box;
	unsigned round;		/* export --incremental: this round (1: the first, or none) */
	/* the mailbox's output named in the run line, when not the output the lines are in
	 * (a round written as a part of its own: the lines name the part) */
	const char *output;
};

/*
 * manifest_open: the manifest of one mailbox, to be published as name in
 * t->domain, made in t->work (outdir.h; both stay open while the manifest
 * does); output is the mailbox's output relative to DIR (what the
 * writers' locations are relative to).  NULL with err set on failure.
 */
struct manifest *manifest_open(const struct out_target *t, const char *name,
			       const char *output, struct sbuf *err);
/*
 * manifest_add_round: a round after the first also writes its own record,
 * record_name in t->domain: the run line and the lines of what the round
 * did (new messages, flags changed, messages removed); 0, or -1 (err set)
 */
int manifest_add_round(struct manifest *m, const char *record_name, struct sbuf *err);
/*
 * manifest_add_removed: a message an earlier round wrote whose source is
 * gone: its earlier line e, again, with status "skipped", reason "removed"
 * and its output (output_json) kept.  news: it left the source in this
 * round (the line goes into the round's record too); pruned: --prune
 * removed its output, and it leaves the whole export's manifest.
 */
struct mf_entry;
void manifest_add_removed(struct manifest *m, const struct mf_entry *e, const char *output_json,
			  bool news, bool pruned);
/*
 * manifest_add_kept: an earlier round's exported line e carried over as it
 * was (its folder is left out of this round by --folder/--exclude-folder)
 */
void manifest_add_kept(struct manifest *m, const struct mf_entry *e, const char *output_json);
/* manifest_round_lines: the lines of the round's own record so far (0: nothing changed) */
unsigned long long manifest_round_lines(const struct manifest *m);
/* manifest_publish_names: the (partial, final) names manifest_publish renames; NULL-ended */
const char *const *manifest_publish_names(struct manifest *m);
/* manifest_published: the merge plan has published them (merge.h) */
void manifest_published(struct manifest *m);
/* manifest_add: one message line (a write error is kept for manifest_prepare) */
void manifest_add(struct manifest *m, const struct manifest_msg *it);
/* manifest_prepare: write and sync manifest.partial; 0, or -1 with err set */
int manifest_prepare(struct manifest *m, const struct manifest_run *run, struct sbuf *err);
/* manifest_publish: rename manifest.partial to its name; 0, or -1 with err set */
int manifest_publish(struct manifest *m, struct sbuf *err);
/* manifest_free: closes the temporary file, removes a partial not published */
void manifest_free(struct manifest **m);

#endif
