/*
 * PST messaging layer: a message's attachments, the attachment table
 * (subnode 0x671) and one attachment PC per attachment (subnodes
 * 0x8000 + n of type 5), their bytes streamed from the source file.
 * Used by message.c only.
 */
#ifndef MDX_PST_ATTACH_H
#define MDX_PST_ATTACH_H

#include <gmime/gmime.h>

#include "pst/ltp.h"
#include "pst/message.h"

/*
 * The size limit of one message: PR_MESSAGE_SIZE (the message's heap and
 * every subnode's data, attachments included) must fit in a PtypInteger32.
 * Attachments are written first, in order, each while it fits in what is
 * left once `reserved` (an upper bound of everything else the message
 * holds: header, bodies, recipients, tables) is set aside; one that does
 * not fit is left out, a note "<name>.omitted.txt" in its place, and named
 * in left_out (one line each; NULL: not reported).
 */
struct pst_size_limit {
	uint64_t max;			/* PST_SIZE_MAX, or less (tests) */
	uint64_t reserved;
	struct sbuf *left_out;
};

/*
 * pst_write_attachments: every leaf of msg but the body parts body and
 * html (either may be NULL) as an attachment of pc; html_text is the HTML
 * body as UTF-8 ("" when none), searched for the cid: references that make
 * an attachment an inline, hidden one.  Returns how many were written
 * (hidden ones included); *hidden: how many of them are hidden.
 */
unsigned pst_write_attachments(struct pst_pc *pc, GMimeMessage *msg, GMimeObject *body,
			       GMimeObject *html, const char *html_text, unsigned *hidden,
			       const struct pst_size_limit *lim);

/*
 * pst_write_raw_attachment: a message GMime could not parse goes in with
 * its whole bytes attached as "message.eml"; returns 1.
 */
unsigned pst_write_raw_attachment(struct pst_pc *pc, const struct pst_msg_in *m,
				  const struct pst_size_limit *lim);

#endif
