/*
 * The mbox writer's naming rules, shared with `mdexport verify`, which
 * checks an mbox against exactly what the writer makes.
 */
#ifndef MDX_MBOX_H
#define MDX_MBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conv.h"
#include "core/sbuf.h"
#include "core/writer.h"

/* mbox_from_line: append "From <envelope sender> <asctime date, UTC>" (no "\n") */
void mbox_from_line(const struct mail_msg *msg, struct sbuf *out);
/* mbox_is_status_field: the header line names Status or X-Status (the writer drops them) */
bool mbox_is_status_field(const unsigned char *line, size_t len);

/* the mbox writer (formats.c lists it) */
extern const struct mail_writer_ops mbox_writer_ops;

#endif
