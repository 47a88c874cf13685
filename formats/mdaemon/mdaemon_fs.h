/*
 * Read-only directory helpers for the MDaemon reader: sorted listings,
 * case-insensitive lookups (the store was written on Windows), and file
 * reads that never follow a symbolic link and never update access times.
 */
#ifndef MDX_MDAEMON_FS_H
#define MDX_MDAEMON_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/sbuf.h"

enum dent_type { DENT_OTHER, DENT_FILE, DENT_DIR, DENT_LINK };

struct dent {
	char *name;
	enum dent_type type;
};

struct dirlist {
	struct dent *ents;
	size_t count, alloc;
};

/* dent_keep_fn: whether a listing wants the entry */
typedef bool (*dent_keep_fn)(const char *name);
typedef void (*dent_fn)(void *ctx, const char *name, enum dent_type type);

/* dirlist_read: entries of dirfd sorted by name. Returns 0, or -1 (errno) */
int dirlist_read(int dirfd, struct dirlist *out);
/* dirlist_read_if: dirlist_read of the entries keep wants (NULL: all) */
int dirlist_read_if(int dirfd, dent_keep_fn keep, struct dirlist *out);
/*
 * dirlist_each: fn for each entry keep wants (NULL: all), in the order the
 * file system gives, nothing kept: a directory of a million files listed
 * in flat memory.  0, or -1 (errno) when the listing failed (fn may have
 * seen some entries by then).
 */
int dirlist_each(int dirfd, dent_keep_fn keep, dent_fn fn, void *ctx);
void dirlist_release(struct dirlist *dl);
/* dirlist_find_ci: entry whose name equals name ignoring ASCII case; exact match preferred */
const struct dent *dirlist_find_ci(const struct dirlist *dl, const char *name);

bool has_suffix_ci(const char *s, const char *suffix);

/* open_dir_at / open_file_at: O_NOFOLLOW, O_CLOEXEC, O_NOATIME when allowed */
int open_dir_at(int dirfd, const char *name);
int open_file_at(int dirfd, const char *name);
/* open_regular_at: open_file_at, then a regular file's stat in *st; -1 (errno EINVAL: not one) */
int open_regular_at(int dirfd, const char *name, struct stat *st);
/* read_small_file_at: whole file (up to max bytes) into out. 0, or -1 (errno) */
int read_small_file_at(int dirfd, const char *name, size_t max, struct sbuf *out);
/*
 * The IMAP.MRK a folder's listing picks among names equal to it ignoring
 * case: the exact spelling first, else the first in byte order, so every
 * listing (the reader's, a live store's second look) picks the same one.
 */
struct mrk_pick {
	char name[sizeof("IMAP.MRK")];
	enum dent_type type;
	bool found;
};
/* mrk_consider: name (some case of IMAP.MRK), of that type, taken when it is the better one */
void mrk_consider(struct mrk_pick *p, const char *name, enum dent_type type);
/* mrk_file: the picked name when it is a regular file, else NULL */
const char *mrk_file(const struct mrk_pick *p);

#endif
