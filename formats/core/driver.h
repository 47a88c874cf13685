/*
 * A format is one driver: its name (also SOURCE's "<name>:" prefix and
 * --format's value), its reader and its writer (either may be NULL: the
 * MDaemon store is only read), and what the format keeps of a message.
 * Each format defines its driver in formats/<fmt>/driver.c; the registry
 * (formats/formats.c) lists them, and nothing else names a format.  A
 * driver's probe is its reader's (reader.h).
 */
#ifndef MDX_DRIVER_H
#define MDX_DRIVER_H

#include "core/check.h"
#include "core/reader.h"
#include "core/sbuf.h"
#include "core/writer.h"

/* what a format holds of a message, so that what it cannot hold is known, not guessed */
enum format_keeps {
	KEEPS_BYTES = 1 << 0,	/* the message's bytes, byte for byte or by a documented,
				 * reversible transformation (mbox's, Maildir's LF) */
	KEEPS_FLAGS = 1 << 1,	/* the five flags */
	KEEPS_RECEIVED = 1 << 2,	/* the internal (received) date */
	KEEPS_UIDS = 1 << 3,	/* UIDs and UIDVALIDITY in the format itself */
	KEEPS_FOLDERS = 1 << 4,	/* a folder tree */
};

struct mail_driver {
	const char *name;
	const char *summary;	/* one line for --help: what it is */
	const struct mail_reader_ops *reader;	/* NULL: cannot be read */
	const struct mail_writer_ops *writer;	/* NULL: cannot be written */
	const struct mail_check_ops *check;	/* how verify reads the writer's output back */
	unsigned keeps;		/* enum format_keeps */
	/*
	 * lib_versions: appends "NAME VERSION\n" for each library only this
	 * format uses, as the running process has it (--version); NULL: none
	 */
	void (*lib_versions)(struct sbuf *out);
};

#endif
