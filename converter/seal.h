/*
 * Sealed exports (issue 16): `mdexport seal DIR` writes DIR/SEAL.json (the
 * run's metadata) and DIR/SEAL.sha256 (every file of DIR in GNU sha256sum's
 * format), so that a reviewer checks the export with `sha256sum -c --strict
 * SEAL.sha256` alone; `mdexport verify DIR` checks it against its seal and
 * manifests without SOURCE.  Nothing under DIR is ever read through a
 * symbolic link: everything is reached with openat(O_NOFOLLOW) from DIR's
 * descriptor.
 */
#ifndef MDX_SEAL_H
#define MDX_SEAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "options.h"

#define SEAL_LIST "SEAL.sha256"
#define SEAL_META "SEAL.json"

enum seal_kind { SEAL_FILE, SEAL_DIR, SEAL_LINK, SEAL_OTHER, SEAL_UNREADABLE };

struct seal_entry {
	char *rel;		/* relative to DIR, '/'-separated */
	enum seal_kind kind;
	uint64_t size;
	char hex[65];		/* SEAL_FILE: its SHA-256 */
	char *why;		/* SEAL_UNREADABLE: strerror */
};

struct seal_list {
	struct seal_entry *v;
	size_t n;
};

/*
 * seal_walk: every name under rootfd (DIR/SEAL.sha256 left out), files
 * hashed, links and other non-files recorded and never followed, sorted by
 * path in C byte order.  0, or -1 with err set when a folder cannot be read.
 */
int seal_walk(int rootfd, struct seal_list *out, struct sbuf *err);
void seal_list_release(struct seal_list *l);
void seal_list_sort(struct seal_list *l);
/* seal_line: "<hex>  <path>\n" as GNU sha256sum writes it (a path with \ or newline escaped) */
void seal_line(struct sbuf *out, const char *hex, const char *rel);
/* seal_hash_mem: the SHA-256 of len bytes as lower-case hex */
void seal_hash_mem(const void *data, size_t len, char hex[65]);
/* seal_hash_rel: the SHA-256 of the file rel under rootfd (no link followed); 0 or errno */
int seal_hash_rel(int rootfd, const char *rel, char hex[65]);
/*
 * seal_hash_range_rel: the SHA-256 of bytes [at, at + len) of rel (len
 * UINT64_MAX: to its end); 0, or errno (EIO: the file is shorter)
 */
int seal_hash_range_rel(int rootfd, const char *rel, uint64_t at, uint64_t len, char hex[65]);
/* seal_open_rel: rel under rootfd opened read-only, no link followed; -1 with errno */
int seal_open_rel(int rootfd, const char *rel);

/*
 * seal_dir: seal the export in dir (as given: recorded in SEAL.json).
 * Prints what it did (stdout) or why not (stderr).  Returns EXIT_OK,
 * EXIT_PARTIAL (something in DIR cannot be sealed: each named; nothing
 * written) or EXIT_FATAL (DIR unusable, an export in it in progress or cut
 * short, a write failed).
 */
int seal_dir(const char *dir, bool quiet);
/*
 * seal_retire: an export is about to change DIR: a seal there no longer
 * describes it, so SEAL.sha256 and SEAL.json are renamed
 * NAME.replaced-YYYYMMDDTHHMMSSZ (kept as evidence of what DIR held) and
 * said on stderr.  0, or -1 with err set.
 */
int seal_retire(int rootfd, const char *display, struct sbuf *err);
/* seal_owned: whether a top-level name of DIR is the seal's (verify's unlisted files) */
bool seal_owned(const char *name);

int cmd_seal(const struct options *o);
/* verify DIR (no SOURCE): against the seal and the manifests (verify_sealed.c) */
int cmd_verify_sealed(const struct options *o);

#endif
