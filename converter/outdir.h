/*
 * Output paths: reversible escaping of names, directory creation, and the
 * staging that makes a mailbox's output appear all at once.
 *
 * Every file of a mailbox is written under "<final>.partial"; only when the
 * whole mailbox is done is it renamed to <final> (replacing an earlier run's
 * output).  So an interrupted run never leaves a tree that looks complete,
 * and a re-run never duplicates anything.
 */
#ifndef MDX_OUTDIR_H
#define MDX_OUTDIR_H

#include "sbuf.h"

/*
 * fsname_escape: append name as one safe file name.  '%', '/', '\', control
 * bytes and DEL become %XX; a leading '.' becomes %2E (so "." and ".." are
 * impossible); the empty name becomes %00.  Everything else, including
 * UTF-8, is kept.  fsname_unescape reverses it.
 */
void fsname_escape(struct sbuf *out, const char *name);
void fsname_unescape(struct sbuf *out, const char *name);

/*
 * path_within: 1 when path (which need not exist yet) is dir or lies below
 * it once symbolic links and ".." are resolved, 0 when not, -1 when dir
 * cannot be resolved.  The deepest existing ancestor of path is resolved
 * and the rest appended, so a DIR still to be created is judged too.
 */
int path_within(const char *path, const char *dir);

/* mkdir_p: create path and its parents. Returns 0, or -1 with err set. */
int mkdir_p(const char *path, struct sbuf *err);
/* remove_tree: rm -r without following symlinks. Returns 0 or -1 with err. */
int remove_tree(const char *path, struct sbuf *err);

struct stage {
	char *final;		/* where the output will live */
	char *partial;		/* where it is written meanwhile */
};

/* stage_begin: make an empty <final>.partial directory (removing a stale one) */
int stage_begin_dir(struct stage *st, const char *final, struct sbuf *err);
/*
 * stage_commit: sync, then swap <final>.partial in for <final> in one step
 * (the previous output, if any, is then removed).  On failure <final> is as
 * it was and the partial output is left for stage_abort.
 */
int stage_commit(struct stage *st, struct sbuf *err);
/* stage_abort: remove the partial output */
void stage_abort(struct stage *st);

#endif
