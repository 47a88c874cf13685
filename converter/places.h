/*
 * The places an export must never write into: SOURCE and every folder the
 * reader takes mail from (--map targets and the mail folders the accounts
 * name).  DIR and the --report file's folder are refused when they lie in
 * one of them or, for DIR, contain one, judged by device and inode of every
 * folder on the way to the root, after every link is followed, so no
 * spelling of a path ("new/../link", a link to a link) gets around it.
 */
#ifndef MDX_PLACES_H
#define MDX_PLACES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/outdir.h"
#include "core/sbuf.h"

struct place {
	char *what;		/* "SOURCE", "the mail folder of alice@example.com", ... */
	char *path;		/* as given */
	struct fileid id;
};

struct places {
	struct place *v;
	size_t n, alloc;
};

void places_release(struct places *p);
/* places_add: path (which must exist to be added: a missing one holds nothing to harm) */
void places_add(struct places *p, const char *what, const char *path);
/* places_add_id: a folder known by device and inode (path names it in messages) */
void places_add_id(struct places *p, const char *what, const char *path, const struct fileid *id);
/*
 * places_refuse: -1 with err set when path (which need not exist yet), once
 * resolved, lies in one of the places, or, with contain, holds one; else 0.
 * opt names the option in the message ("--output").
 */
int places_refuse(const struct places *p, const char *opt, const char *path, bool contain,
		  struct sbuf *err);

#endif
