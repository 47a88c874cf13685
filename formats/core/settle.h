/*
 * Live stores (issue 13): what a reader listed of a folder, kept small, to
 * tell after the folder's last message whether the folder changed while it
 * was read: the number of names and a digest of them that is the same for
 * the same set of names in whatever order the file system lists them
 * (a sum of the names' hashes: no name kept, nothing sorted, flat memory
 * for a folder of a million files).
 */
#ifndef MDX_CORE_SETTLE_H
#define MDX_CORE_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"

struct name_digest {
	uint64_t count;
	uint64_t sum;
};

void name_digest_add(struct name_digest *d, const char *name);
/*
 * name_digest_changed: whether now differs from then; what names the
 * files ("messages"), why says how (appended, "; " before it when why
 * already holds something)
 */
bool name_digest_changed(const struct name_digest *then, const struct name_digest *now,
			 const char *what, struct sbuf *why);

#endif
