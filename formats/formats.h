/*
 * The registry: the one place that names the formats.  converter/ reaches
 * every format through it and never includes a format's own header
 * (tools/layering checks it).
 */
#ifndef MDX_FORMATS_H
#define MDX_FORMATS_H

#include "core/reader.h"
#include "core/writer.h"

/* formats_writers: every output format's writer, NULL-terminated, in the order --help lists them */
extern const struct mail_writer_ops *const formats_writers[];
/* formats_writer: the writer of that name, or NULL */
const struct mail_writer_ops *formats_writer(const char *name);
/* formats_dry_run_writer: the writer that reads everything and writes nothing */
const struct mail_writer_ops *formats_dry_run_writer(void);
/* formats_reader: the reader of that name ("mdaemon", "maildir"), or NULL */
const struct mail_reader_ops *formats_reader(const char *name);
/* formats_store_reader: the reader of SOURCE (today every SOURCE is an MDaemon store) */
const struct mail_reader_ops *formats_store_reader(void);

#endif
