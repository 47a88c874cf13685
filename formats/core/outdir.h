/*
 * The output tree: names, directories and the staging that makes a
 * mailbox's output appear all at once, all of it under DIR and all of it
 * through directory descriptors.
 *
 * DIR is opened once, at the start (it may be a link an admin made on
 * purpose).  Everything below it is reached one name at a time with
 * openat(O_NOFOLLOW | O_DIRECTORY) from DIR's descriptor, so no output
 * operation ever follows a symbolic link or leaves DIR, whatever was planted
 * there, and no path length limit of the OS applies: a link is refused with
 * a message naming it.
 *
 * The layout (README, "What it writes"):
 *   DIR/<domain>/<mailbox>[.pst]                  the output
 *   DIR/<domain>/<mailbox>.manifest.jsonl         its manifest
 *   DIR/.mdexport/<domain>/<mailbox>/             the tool's own working names:
 *       lock, output.partial, output.old, manifest.partial
 * Escaped names never begin with '.', so no domain can be named .mdexport,
 * and the working names live in a folder of their own per mailbox, so no
 * mailbox or folder name can reach them.
 */
#ifndef MDX_OUTDIR_H
#define MDX_OUTDIR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/sbuf.h"

/* the tool's working folder directly under DIR */
#define OUT_WORK_DIR ".mdexport"

/* a file name's limit (NAME_MAX), and what fits before the suffixes the tool appends */
#define FSNAME_MAX 255
/* + ".manifest.jsonl", ".round-NNNNN.jsonl", ".round-NNNNN-NNNN.pst" (rounds, parts) */
#define FSNAME_MAILBOX_ROOM (FSNAME_MAX - 24)
#define FSNAME_MBOX_ROOM (FSNAME_MAX - 5)	/* + ".mbox" */

/*
 * fsname_escape: append name as one safe file name.  '%', '/', '\', control
 * bytes and DEL become %XX; a leading '.' becomes %2E (so "." and ".." are
 * impossible); the empty name becomes %00.  Everything else, including
 * UTF-8, is kept.  Then two rules keep names from colliding:
 *   - a name ending (ASCII case-insensitively) in a suffix the tool appends
 *     to names (.pst, .mbox, .eml, .jsonl) has its last '.' written
 *     %2E, so "john.pst" can never meet the PST of "john";
 *   - a name longer than FSNAME_MAX bytes (or the room the caller has, for
 *     a name that gets a suffix) keeps its first bytes (never a cut
 *     %XX or UTF-8 sequence) followed by "%~" and 24 hex digits of the
 *     SHA-256 of the whole name; "%~" is what escaping never writes, so a
 *     shortened name cannot meet a name that was not.
 * fsname_unescape reverses it (a shortened name gives its kept bytes and
 * the digest as they are: the manifest records the real name).
 */
void fsname_escape(struct sbuf *out, const char *name);
/* fsname_escape_room: the same, shortened to at most room bytes (not FSNAME_MAX) */
void fsname_escape_room(struct sbuf *out, const char *name, size_t room);
void fsname_unescape(struct sbuf *out, const char *name);
/*
 * fsname_escape_mailbox: a mailbox's name, as fsname_escape_room with
 * FSNAME_MAILBOX_ROOM, and one rule more: a name ending in '-' and digits
 * has that '-' written %2D ("john-002" -> "john%2D002", "a.round-001" ->
 * "a.round%2D001"), so a mailbox never meets another's PST part
 * (<mailbox>-002.pst) or round file (<mailbox>.round-001.pst).  Folder and
 * domain names keep the plain rules.
 */
void fsname_escape_mailbox(struct sbuf *out, const char *name);

/* mkdir_p: create path and its parents (DIR itself only). Returns 0, or -1 with err set. */
int mkdir_p(const char *path, struct sbuf *err);

/* ---- directories under DIR ------------------------------------------------------------- */

/*
 * An open directory under DIR.  display is its path as the user wrote it
 * (for messages only: nothing is ever resolved from it).  The last parent
 * directory tree_parent opened is kept, so that a writer creating file after
 * file in one folder walks the path once.
 */
struct tree {
	int fd;			/* -1: closed */
	char *display;
	char *cache_rel;	/* the directory cache_fd holds, relative to fd */
	int cache_fd;
};

#define TREE_INIT { .fd = -1, .display = NULL, .cache_rel = NULL, .cache_fd = -1 }

/* tree_open_root: DIR itself (links followed: it is the admin's own path) */
int tree_open_root(struct tree *t, const char *path, struct sbuf *err);
/*
 * tree_sub: the directory rel ('/'-separated) below base, each name opened
 * without following links, made when missing and create is set.
 */
int tree_sub(struct tree *out, const struct tree *base, const char *rel, bool create,
	     struct sbuf *err);
void tree_close(struct tree *t);
/* tree_mkdirs: make rel and its parents below t */
int tree_mkdirs(struct tree *t, const char *rel, struct sbuf *err);
/*
 * tree_parent: the descriptor of rel's directory (owned by t, valid until
 * the next call) and rel's last name in *leaf; -1 with err set
 */
int tree_parent(struct tree *t, const char *rel, const char **leaf, struct sbuf *err);
/* tree_display: t's display path, '/', rel (the caller frees) */
char *tree_display(const struct tree *t, const char *rel);
/* tree_refuse_link: -1 with err set when name in t is a symbolic link; else 0 */
int tree_refuse_link(const struct tree *t, const char *name, struct sbuf *err);
/* tree_remove: rm -r name in dirfd, never following a link; 0 or -1 (err set) */
int tree_remove(int dirfd, const char *name, const char *display, struct sbuf *err);

/* ---- staging ----------------------------------------------------------------------------- */

/*
 * Where a writer puts one mailbox: the domain folder holding the final name,
 * and the mailbox's working folder (both opened by the caller).
 */
struct out_target {
	struct tree *domain;	/* DIR/<domain> */
	const char *name;	/* the escaped mailbox name, without the format's suffix */
	struct tree *work;	/* DIR/.mdexport/<domain>/<mailbox> */
	/*
	 * a round of export --incremental (merge.h): the output joins the one
	 * at <domain>/<name>[suffix] instead of replacing it; publish: pairs of
	 * names (in work, then in domain) renamed as the plan's last steps,
	 * NULL-terminated (the manifests)
	 */
	bool merge;
	unsigned round;		/* the round's number (2, 3, ...); 0 or 1: not a round */
	const char *const *publish;
	/* i13-split: PST --split-size, bytes per part file; 0: one file (other formats: unused) */
	uint64_t split_size;
	/* issue 14: vCard version for contacts written as text (3 or 4; 0: 4) */
	unsigned vcard_version;
	/* issue 15: --fallback-charset, NULL-terminated; NULL: windows-1252 (core/hdrtext.h) */
	const char *const *fallback;
	/*
	 * issue 16: the Maildir writer's info separator (':', ';' or '!'; 0: ':'),
	 * ';' or '!' for file systems that refuse ':' (NTFS, SMB, OneDrive)
	 */
	char maildir_flag_sep;
};

/*
 * A mailbox's output is made at <work>/output.partial and swapped in for
 * <domain>/<final> only when complete.
 */
struct stage {
	struct tree *domain;
	struct tree *work;
	char *final;		/* name in domain: <mailbox>[suffix] */
	char *final_display;	/* DIR/<domain>/<final>, for messages */
	struct tree partial;	/* the partial output directory (stage_begin_dir) */
	int file_fd;		/* the partial output file (stage_begin_file); -1: none */
	bool begun;
	bool merge;		/* a round: joined to final by a plan (merge.h), not swapped */
	bool append;		/* a round's files are appended to final's of the same name */
	struct sbuf steps;	/* the plan's R and D steps (merge.h) */
	const char *const *publish;
};

#define STAGE_PARTIAL "output.partial"
#define STAGE_OLD "output.old"

/* stage_begin_dir: an empty output.partial directory (a stale one removed) */
int stage_begin_dir(struct stage *st, const struct out_target *t, const char *suffix,
		    struct sbuf *err);
/* stage_begin_file: an empty output.partial file, open for reading and writing */
int stage_begin_file(struct stage *st, const struct out_target *t, const char *suffix,
		     struct sbuf *err);
/* stage_partial_display: the partial output's path, for messages */
char *stage_partial_display(const struct stage *st);
/*
 * stage_commit: sync, then swap the partial output in for the final name in
 * one step (renameat2 RENAME_EXCHANGE; the previous output, if any, is then
 * removed).  A link at the final name is refused.  On failure the final
 * name is as it was and the partial output is left for stage_abort.
 */
int stage_commit(struct stage *st, struct sbuf *err);
/* stage_final_fd: the final output's folder (a round: it exists), opened; -1 (err set) */
int stage_final_fd(const struct stage *st, struct sbuf *err);
/* stage_abort: remove the partial output */
void stage_abort(struct stage *st);

/*
 * path_open: open(2) of a path of any length for reading: one longer than
 * the OS takes (PATH_MAX) is opened up to a folder that fits, then a name
 * at a time with O_NOFOLLOW.  The last name is never followed.
 */
int path_open(const char *path, int flags);

/* ---- where DIR may not be ---------------------------------------------------------------- */

struct fileid {
	dev_t dev;
	ino_t ino;
};

/*
 * path_resolve_future: path made absolute with every link in its existing
 * part followed and "." and ".." taken as mkdir -p and the kernel would (a
 * ".." after a folder still to be made is that folder's parent); NULL with
 * err set when a part exists but cannot be resolved.
 */
char *path_resolve_future(const char *path, struct sbuf *err);
/*
 * path_hits: 1 when the deepest existing folder of the resolved path, or
 * any folder above it, is one of ids (n of them); sets *which to its index
 */
int path_hits(const char *resolved, const struct fileid *ids, size_t n, size_t *which);
/* fd_ancestor_is: 1 when the directory dirfd or a folder above it is id */
int fd_ancestor_is(int dirfd, const struct fileid *id);

#endif
