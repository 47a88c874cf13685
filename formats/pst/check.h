/*
 * Reading a PST output back through libpff (the read-back interface,
 * core/check.h).
 */
#ifndef MDX_PST_CHECK_H
#define MDX_PST_CHECK_H

#include <stdint.h>

#include "core/check.h"

/* the PST read-back (formats.c lists it) */
extern const struct mail_check_ops pst_check_ops;

struct verify_pst;
/* verify_pst_open: NULL with err set when libpff cannot open the file */
struct verify_pst *verify_pst_open(const char *path, struct sbuf *err);
void verify_pst_close(struct verify_pst *p);
/*
 * verify_pst_folder: the folder path of message node nid (names joined by
 * '/', under the top of the data file; outside it the path starts with
 * "//"), or NULL when the PST has no such message.
 */
const char *verify_pst_folder(const struct verify_pst *p, uint32_t nid);
/*
 * verify_pst_nids: every message node in the file (folders walked from the
 * root, then orphans), in walk order; *n set.  Owned by p.
 */
const uint32_t *verify_pst_nids(const struct verify_pst *p, size_t *n);
/*
 * verify_pst: message node nid against a fresh GMime parse of the source:
 * subject, client-submit and delivery times, read/answered/flagged/
 * deleted/draft state, PR_BODY and PR_HTML against the source's text and
 * HTML parts decoded as the writer decodes them, and every attachment's
 * name and bytes (SHA-256).  VERIFY_INCOMPLETE: everything matched, but
 * an attachment is the writer's "<name>.omitted.txt" note (size limit).
 * fallback: the export's --fallback-charset (issue 15; NULL: windows-1252).
 */
int verify_pst(struct verify_pst *p, uint32_t nid, const struct mail_msg *src,
	       const char *const *fallback, struct sbuf *why);
/* verify_pst_subject: PR_SUBJECT of node nid, for naming extra messages */
void verify_pst_subject(struct verify_pst *p, uint32_t nid, struct sbuf *out);

#endif
