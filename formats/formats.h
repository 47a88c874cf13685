/*
 * The registry: the one place that names the formats.  converter/ reaches
 * every format through it and never includes a format's own header
 * (tools/layering checks it).
 */
#ifndef MDX_FORMATS_H
#define MDX_FORMATS_H

#include "core/check.h"
#include "core/driver.h"
#include "core/reader.h"
#include "core/sbuf.h"
#include "core/writer.h"

/* formats_driver: the format of that name, or NULL */
const struct mail_driver *formats_driver(const char *name);
/* formats_driver_at: the i-th driver in --help's order (from 0), NULL past the last */
const struct mail_driver *formats_driver_at(size_t i);

enum formats_role { FORMATS_READ, FORMATS_WRITE };
/* formats_list: "mbox, maildir, eml or pst": the names of the formats that can be read or written */
void formats_list(enum formats_role role, struct sbuf *out);

/* formats_writer: the writer of the format of that name, or NULL (none, or read only) */
const struct mail_writer_ops *formats_writer(const char *name);
/* formats_dry_run_writer: the writer that reads everything and writes nothing */
const struct mail_writer_ops *formats_dry_run_writer(void);
/* formats_checker: the read-back of the output format of that name, or NULL */
const struct mail_check_ops *formats_checker(const char *name);
/*
 * formats_source_reader: the reader for SOURCE as given on the command
 * line: "<format>:<path>" names it (mdaemon:, maildir:, ...); a path without
 * a known prefix is probed (each reader's probe; the MDaemon reader takes
 * what no other claims).  *path is SOURCE without the prefix.  A prefix
 * naming a format that cannot be read is no prefix (every format that is
 * written can be read).
 */
const struct mail_reader_ops *formats_source_reader(const char *source, const char **path);

/*
 * formats_lib_versions: "NAME VERSION\n" for every library the formats
 * run with (the base's, then each driver's), for --version: the converter
 * names no library itself
 */
void formats_lib_versions(struct sbuf *out);

#endif
