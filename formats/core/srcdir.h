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
 * A directory read name by name, in the order the file system gives
 * (memory flat however many names it holds): src_iter_open (0, or -1 and
 * errno), src_iter_next (1 with *name valid until the next call, 0 at the
 * end, -1 and errno), src_iter_close.  "." and ".." are left out.
 */
struct src_iter {
	void *dir;		/* DIR * */
	int dirfd;
};
int src_iter_open(struct src_iter *it, int dirfd);
int src_iter_next(struct src_iter *it, const char **name, enum src_kind *kind);
void src_iter_close(struct src_iter *it);

/*
 * src_list_dir: the names in dirfd (not "." nor ".."), sorted by strcmp,
 * each with its kind.  Returns the count, or -1 (errno).
 */
ssize_t src_list_dir(int dirfd, struct src_name **out);
/* src_list_subdirs: src_list_dir keeping only the directories (a folder of a million files) */
ssize_t src_list_subdirs(int dirfd, struct src_name **out);
void src_names_free(struct src_name *v, size_t n);

#endif
