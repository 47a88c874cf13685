/*
 * PST messaging layer: a message's attachments, the attachment table
 * (subnode 0x671) and one attachment PC per attachment (subnodes
 * 0x8000 + n of type 5), their bytes streamed from the source file.
 * Used by message.c only.
 */
#ifndef MDX_PST_ATTACH_H
#define MDX_PST_ATTACH_H

#include <gmime/gmime.h>
#include <stdbool.h>

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
 * A message's attachments are planned first (pst_plan_attachments: which
 * leaves, their names, types, Content-IDs, hidden or not, and where their
 * content comes from), then written (pst_write_planned_attachments).  The
 * plan touches no PST state, so it can be made on a worker thread ahead of
 * the write (pst_prepare_message); what it holds is then handed over whole
 * to the writing thread.
 */
struct pst_attach_plan {
	struct sbuf name;
	char *mime;			/* g_malloc'd */
	char *cid, *location;		/* g_malloc'd; NULL: none */
	bool hidden;			/* an inline image (PR_ATTACHMENT_HIDDEN) */
	GMimeObject *part;		/* content read from it at write time; NULL: bytes */
	GByteArray *bytes;		/* content decoded in advance, or NULL */
	GMimeStream *src;		/* issue 15: else read from this stream, or NULL */
};

struct pst_attach_list {
	struct pst_attach_plan *v;
	unsigned n;
	unsigned hidden;		/* how many of them are hidden */
};

/*
 * pst_plan_attachments: every leaf of msg (NULL: none) but the body parts
 * body and html (either may be NULL) into l (empty on entry); html_text is
 * the HTML body as UTF-8 ("" when none), searched for the cid: references
 * that make an attachment an inline, hidden one.  Contents of at most
 * decode_max bytes in all are decoded into memory now (bytes); the rest
 * stay parts of msg, which must then live until the write.  Returns true
 * when every content is in memory (msg is no longer needed).  Thread-safe
 * on a msg no other thread uses.  fallback: --fallback-charset for the
 * file names (issue 15; NULL: windows-1252).
 */
bool pst_plan_attachments(struct pst_attach_list *l, GMimeMessage *msg, GMimeObject *body,
			  GMimeObject *html, const char *html_text, uint64_t decode_max,
			  const char *const *fallback);

/*
 * pst_write_planned_attachments: the planned attachments as attachments of
 * pc, in order, with the attachment table; returns how many were written
 * (hidden ones included).  The same bytes whether a content was decoded in
 * advance or is read now.
 */
unsigned pst_write_planned_attachments(struct pst_pc *pc, const struct pst_attach_list *l,
				       const struct pst_size_limit *lim);

void pst_attach_list_release(struct pst_attach_list *l);

/*
 * pst_write_raw_attachment: a message GMime could not parse goes in with
 * its whole bytes attached as "message.eml"; returns 1.
 */
unsigned pst_write_raw_attachment(struct pst_pc *pc, const struct pst_msg_in *m,
				  const struct pst_size_limit *lim);

#endif
