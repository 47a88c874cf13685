/* The PST writer: a Unicode PST per mailbox (pst.c). */
#ifndef MDX_PST_PST_H
#define MDX_PST_PST_H

#include "core/writer.h"

extern const struct mail_writer_ops pst_writer_ops;

#endif
