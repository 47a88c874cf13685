/* The null writer, for --dry-run: reads every message, writes nothing (null.c). */
#ifndef MDX_NULL_H
#define MDX_NULL_H

#include "core/writer.h"

extern const struct mail_writer_ops null_writer_ops;

#endif
