/*
 * Rounds (export --incremental): a round's new items join an earlier
 * output that stays where it is.  The round is written like any export,
 * into the mailbox's working folder (outdir.h, output.partial); then, in
 * place of the one-step swap, a plan is written (DIR/.mdexport/<domain>/
 * <mailbox>/merge.plan, synced) and carried out, and removed when done:
 *
 *   M rel            move output.partial/rel to <final>/rel (folders made)
 *   A rel size mtime append output.partial/rel to <final>/rel, after first
 *                    cutting <final>/rel back to size bytes (mbox)
 *   R old new        rename <final>/old to <final>/new (Maildir flags)
 *   D rel            remove <final>/rel (--prune)
 *   F wname dname    rename <work>/wname to <domain>/dname (the manifests)
 *
 * Every step can be done again: a source already moved is skipped, an
 * append first cuts the file back to what it was before the round.  The
 * plan is the round's commit point: a run killed before it was written
 * left the earlier output untouched (the next run removes the partial
 * round); one killed after it left a plan, and the next run carries it out
 * to the end (stage_recover) before it does anything else, so a round
 * killed at any moment and run again ends as an uninterrupted round.
 */
#ifndef MDX_MERGE_H
#define MDX_MERGE_H

#include "core/outdir.h"

#define MERGE_PLAN "merge.plan"

/* stage_merge_rename, stage_merge_remove: steps for the plan (rel to the final output) */
void stage_merge_rename(struct stage *st, const char *old_rel, const char *new_rel);
void stage_merge_remove(struct stage *st, const char *rel);
/*
 * stage_merge_commit: the plan for st's partial output (every file: moved,
 * or appended when st->append and the final file exists), the steps added,
 * then t's publish pairs; written, synced, carried out.  0, or -1 (err).
 */
int stage_merge_commit(struct stage *st, struct sbuf *err);
/*
 * stage_recover: a plan a killed run left in work, carried out to the end;
 * 1 when there was one, 0 when not, -1 (err set) when it cannot be
 */
int stage_recover(struct tree *domain, struct tree *work, struct sbuf *err);

#endif
