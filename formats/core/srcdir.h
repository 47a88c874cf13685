/*
 * Reading a directory tree in SOURCE without touching it: every name opened
 * read-only relative to its parent's descriptor, never following a link,
 * with O_NOATIME where permitted (the readers of Maildir and EML trees).
 */
#ifndef MDX_SRCDIR_H
#define MDX_SRCDIR_H

#include <sys/types.h>

/* src_open_at: openat(dirfd, name, flags | O_NOATIME), without O_NOATIME where it is refused */
int src_open_at(int dirfd, const char *name, int flags);
/* src_open_dir_at / src_open_file_at: a directory / a file, read-only, no link followed */
int src_open_dir_at(int dirfd, const char *name);
int src_open_file_at(int dirfd, const char *name);

enum src_kind { SRC_OTHER, SRC_FILE, SRC_DIR, SRC_LINK, SRC_NONE };

/* a name in a directory and what it is, without following a link */
struct src_name {
	char *name;
	enum src_kind kind;
};

/*
 * src_list_dir: the names in dirfd (not "." nor ".."), sorted by strcmp,
 * each with its kind.  Returns the count, or -1 (errno).
 */
ssize_t src_list_dir(int dirfd, struct src_name **out);
void src_names_free(struct src_name *v, size_t n);

#endif
