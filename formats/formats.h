/*
 * The registry: the one place that names the formats.  converter/ reaches
 * every format through it and never includes a format's own header
 * (tools/layering checks it).
 */
#ifndef MDX_FORMATS_H
#define MDX_FORMATS_H

#include "core/check.h"
#include "core/reader.h"
#include "core/writer.h"

/* formats_writers: every output format's writer, NULL-terminated, in the order --help lists them */
extern const struct mail_writer_ops *const formats_writers[];
/* formats_writer: the writer of that name, or NULL */
const struct mail_writer_ops *formats_writer(const char *name);
/* formats_dry_run_writer: the writer that reads everything and writes nothing */
const struct mail_writer_ops *formats_dry_run_writer(void);
/* formats_checkers: every output format's read-back (`verify`), NULL-terminated, in --help's order */
extern const struct mail_check_ops *const formats_checkers[];
/* formats_checker: the read-back of the output format of that name, or NULL */
const struct mail_check_ops *formats_checker(const char *name);
/*
 * formats_source_reader: the reader for SOURCE as given on the command
 * line: "<format>:<path>" names it (mdaemon:, maildir:); a path without
 * a known prefix is probed (each reader's probe; the MDaemon reader takes
 * what no other claims).  *path is SOURCE
 * without the prefix.  NULL, with err set, for a prefix naming a format
 * that has no reader.
 */
const struct mail_reader_ops *formats_source_reader(const char *source, const char **path,
						    struct sbuf *err);

#endif
