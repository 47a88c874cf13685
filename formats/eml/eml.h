/* The EML writer: every message as its own file (eml.c). */
#ifndef MDX_EML_H
#define MDX_EML_H

#include "core/writer.h"

extern const struct mail_writer_ops eml_writer_ops;

#endif
