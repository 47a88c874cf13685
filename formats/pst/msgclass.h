/*
 * Outlook message classes (issue 15): which PR_MESSAGE_CLASS a message
 * gets from its MIME structure, and the layout that class asks for
 * ([MS-OXOSMIME] 2.1.3, [MS-OXCMAIL] 2.2.3.7, [MS-OXOMSG] 2.2.2.1;
 * docs/pst-classes.md):
 *
 *   multipart/signed (any protocol: S/MIME or PGP/MIME)
 *       IPM.Note.SMIME.MultipartSigned; one attachment "smime.p7m",
 *       multipart/signed, holding the Content-Type field and the body of
 *       the message byte for byte (pst_signed_entity); the bodies are
 *       those of the signed content.
 *   application/(x-)pkcs7-mime, smime-type signed-data or enveloped-data
 *   (or none), or application/octet-stream named *.p7m
 *       IPM.Note.SMIME; its one attachment (the DER) named "smime.p7m",
 *       application/pkcs7-mime; no body.
 *   multipart/report; report-type=delivery-status
 *       REPORT.IPM.Note.NDR / .Delayed.DR / .Relayed.DR / .Expanded.DR /
 *       .DR by the most severe Action: field; parts kept as attachments.
 *   multipart/report; report-type=disposition-notification
 *       REPORT.IPM.Note.IPNRN (displayed) or .IPNNRN (any other
 *       disposition); parts kept.
 *   anything else (multipart/encrypted included): IPM.Note.
 *
 * Everything here reads one message and writes nothing shared: safe on
 * any number of threads at once, each with its own message.
 */
#ifndef MDX_PST_MSGCLASS_H
#define MDX_PST_MSGCLASS_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pst_class_kind {
	PST_CLASS_NOTE,		/* IPM.Note */
	PST_CLASS_SIGNED,	/* IPM.Note.SMIME.MultipartSigned */
	PST_CLASS_OPAQUE,	/* IPM.Note.SMIME */
	PST_CLASS_REPORT,	/* REPORT.IPM.Note.* */
};

struct pst_class {
	enum pst_class_kind kind;
	char name[40];			/* PR_MESSAGE_CLASS */
	/* reports: what the returned message says (NULL: not known) */
	char *orig_subject;		/* PR_ORIGINAL_SUBJECT, g_malloc'd */
	int64_t orig_sent;		/* PR_ORIGINAL_SUBMIT_TIME; has_orig_sent */
	bool has_orig_sent;
	/* Delivered-To, else X-Original-To (the topmost); NULL: neither */
	char *rcvd_name, *rcvd_addr;	/* g_malloc'd */
};

/* the attachment name both S/MIME layouts give their one attachment */
#define PST_SMIME_NAME "smime.p7m"

/*
 * pst_class_of: the class of msg (NULL: IPM.Note).  whole_head: the
 * message's header block is the file's own (not cut at PST_FIELD_MAX):
 * a multipart/signed message is SIGNED only then, as its entity is made
 * from the header block's bytes.  Release with pst_class_release.
 */
void pst_class_of(GMimeMessage *msg, bool whole_head, struct pst_class *c);
void pst_class_release(struct pst_class *c);

/*
 * pst_signed_entity: the entity a SIGNED message's attachment holds: the
 * last Content-Type field of the header block head (head_len bytes,
 * ending with its empty line), its folding and line ends as they are,
 * the empty line, then body (the bytes after the header block; a
 * reference is taken).  Read a chunk at a time: nothing is copied.
 */
GMimeStream *pst_signed_entity(const unsigned char *head, size_t head_len, GMimeStream *body);

/*
 * pst_class_props: the properties the class adds to the message's PC
 * (struct pst_pc *, ltp.h): reports' PR_ORIGINAL_SUBJECT,
 * PR_ORIGINAL_SUBMIT_TIME and PR_REPORT_TIME (sent), and for a
 * Delivered-To the PR_RECEIVED_BY_* and PR_RCVD_REPRESENTING_* set.
 * PR_REPORT_TEXT is not set: its text is PR_BODY already, and readpst
 * writes it back as a second text part (docs/pst-classes.md).
 */
struct pst_pc;
void pst_class_props(struct pst_pc *pc, const struct pst_class *c, int64_t sent);

/*
 * The attachment plans of the S/MIME layouts (struct pst_attach_list,
 * attach.h): _signed makes l (empty on entry) the one attachment
 * "smime.p7m", multipart/signed, read from entity at write time (a
 * reference is taken); _opaque names the one leaf pst_plan_attachments
 * planned "smime.p7m", application/pkcs7-mime.
 */
struct pst_attach_list;
void pst_class_plan_signed(struct pst_attach_list *l, GMimeStream *entity);
void pst_class_plan_opaque(struct pst_attach_list *l);

#endif
