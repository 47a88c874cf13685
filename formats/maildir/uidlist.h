/*
 * issue 16: the dovecot-uidlist the Maildir writer leaves in each folder,
 * so that Dovecot serves the export with the source's UIDVALIDITY and UIDs
 * (README, "Maildir: the source's UIDs for Dovecot").
 *
 * Dovecot's format (maildir-uidlist.c), version 3:
 *   3 V<uidvalidity> N<next uid>
 *   <uid> :<file name>
 * UIDs strictly ascending and below the next UID.  The file name is the
 * whole name the writer gave (flags included): Dovecot compares names up
 * to its info separator, so the whole name matches a Dovecot built with
 * ':' (where a ';' or '!' name has no ':' at all: its base is all of it)
 * as well as one built with the file's own separator.
 *
 * One folder at a time: begin, a line per message written, end (the
 * file is written into the partial output, so it appears with the rest of
 * the mailbox or not at all).  A round of export --incremental joins the
 * earlier round's list: its lines kept (renamed where the flags changed),
 * the round's messages after them.
 */
#ifndef MDX_MAILDIR_UIDLIST_H
#define MDX_MAILDIR_UIDLIST_H

#include <stdint.h>

#include "core/conv.h"
#include "core/diag.h"
#include "core/outdir.h"
#include "core/sbuf.h"

#define UIDLIST_NAME "dovecot-uidlist"

struct uidlist_w;

struct uidlist_w *uidlist_w_new(void);
void uidlist_w_free(struct uidlist_w *u);

/* uidlist_w_begin: folder f, whose directory in the output is dir ("": INBOX) */
void uidlist_w_begin(struct uidlist_w *u, const struct mail_folder *f, const char *dir);
/* uidlist_w_add: a message written as name (cur/'s file name) with the source's uid (0: none) */
void uidlist_w_add(struct uidlist_w *u, const struct mail_msg *msg, const char *name);
/* uidlist_w_rename: a round: an earlier file of this folder renamed (its flags changed) */
void uidlist_w_rename(struct uidlist_w *u, const char *old_name, const char *new_name);
/*
 * uidlist_w_end: write the folder's list into partial (the output being
 * made); final_fd: the earlier rounds' output (a round), else -1.
 * 0, or -1 with err set (the output failed); a folder whose list cannot be
 * made as Dovecot needs it is said on d and left without one.
 */
int uidlist_w_end(struct uidlist_w *u, struct tree *partial, int final_fd, struct diag *d,
		  struct sbuf *err);

/*
 * uidlist_parse_u32: a decimal number at *p that fits 32 bits (*p moved past
 * it), else false; for the writer's earlier list and the reader's (read.c)
 */
bool uidlist_parse_u32(const char **p, uint32_t *out);

#endif
