/* The EML writer (eml.c): every message as its own file; and the EML-tree reader (read.c). */
#ifndef MDX_EML_H
#define MDX_EML_H

#include "core/reader.h"
#include "core/writer.h"

extern const struct mail_writer_ops eml_writer_ops;

/*
 * the EML-tree reader: SOURCE is a directory of .eml files and folders of
 * them, read as mailbox <name>@localhost (formats.c lists it)
 */
extern const struct mail_reader_ops eml_reader_ops;

#endif
