/*
 * Re-runs that cannot destroy evidence (issue 16): before an export
 * replaces what DIR holds of a mailbox, the earlier export's manifest (its
 * run line: the format and the command line) is compared with this run's.
 * Another format, or options that change the bytes written (--skip-deleted,
 * the filters, --vcard, --timezone, --split-size, --fallback-charset,
 * --maildir-flag-separator), is refused unless --force is given.
 */
#ifndef MDX_RERUN_H
#define MDX_RERUN_H

#include <stddef.h>

#include "core/sbuf.h"

struct earlier_export {
	char *format;		/* its --format */
	char *started;		/* when it ran, "YYYY-MM-DDTHH:MM:SSZ" */
	char *output;		/* its output, relative to DIR */
	char *options;		/* its options that change the bytes, as typed ("" none) */
};

/*
 * byte_options: the options of a recorded export command line that change
 * the bytes it writes, one "--name value" per option, in a canonical form
 * (long names, "--name=value" split, sorted by name, values of one name in
 * their order), joined by " "
 */
void byte_options(char *const *argv, size_t argc, struct sbuf *out);

/*
 * earlier_export_read: the run line of DIR/<domain>/<manifest>, read from
 * domain_fd without following a link.  1 read, 0 none there, -1 when it
 * cannot be read (err says why).
 */
int earlier_export_read(int domain_fd, const char *manifest, struct earlier_export *e,
			struct sbuf *err);
void earlier_export_release(struct earlier_export *e);

#endif
