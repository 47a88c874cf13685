/*
 * The mbox writer's naming rules, shared with `mdexport verify`, which
 * checks an mbox against exactly what the writer makes; the mbox reader.
 */
#ifndef MDX_MBOX_H
#define MDX_MBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conv.h"
#include "core/reader.h"
#include "core/sbuf.h"
#include "core/writer.h"

/* mbox_from_line: append "From <envelope sender> <asctime date, UTC>" (no "\n") */
void mbox_from_line(const struct mail_msg *msg, struct sbuf *out);
/* mbox_is_status_field: the header line names Status or X-Status (the writer drops them) */
bool mbox_is_status_field(const unsigned char *line, size_t len);

/* the mbox writer and reader (read.c; formats.c lists them) */
extern const struct mail_writer_ops mbox_writer_ops;
extern const struct mail_reader_ops mbox_reader_ops;

/*
 * mbox_hidden_field: what the reader does with a header line: hands it out
 * (MBOX_FIELD_SHOWN), reads it as flags (MBOX_FIELD_STATUS: Status,
 * X-Status) or reads and drops it as the mbox's own metadata
 * (MBOX_FIELD_META: Dovecot's mbox_hide_headers, Thunderbird's X-Mozilla-*)
 */
enum { MBOX_FIELD_SHOWN, MBOX_FIELD_STATUS, MBOX_FIELD_META };
int mbox_hidden_field(const unsigned char *line, size_t len);

#endif
