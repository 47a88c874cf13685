/* The PST writer: a Unicode PST per mailbox (pst.c); the PST/OST reader (read.c). */
#ifndef MDX_PST_PST_H
#define MDX_PST_PST_H

#include "core/reader.h"
#include "core/writer.h"

extern const struct mail_writer_ops pst_writer_ops;
extern const struct mail_reader_ops pst_reader_ops;

#endif
