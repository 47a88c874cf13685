/*
 * PST messaging layer: one internet message as an IPM.Note (a PC) with its
 * recipient table (0x692), its attachment table (0x671) and attachment PCs
 * (attach.c), PR_BODY and PR_HTML, and its row in the folder's contents
 * table.  MIME parsing is GMime's; the message is parsed where it lies in
 * its file and attachment bytes are streamed into the PST.
 *
 * NEEDSWORK (issue 3): the text and HTML bodies, and an attached
 * message's .eml, are built in memory.  An attached message is a by-value
 * .eml, not an embedded message object (attach.c says why).
 */
#ifndef MDX_PST_MESSAGE_H
#define MDX_PST_MESSAGE_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "pst/ltp.h"

struct pst_msg_in {
	const unsigned char *raw;	/* the whole message, or NULL: read `msg` */
	size_t len;			/* its size (both ways) */
	const struct mail_msg *msg;	/* with raw NULL: the message, read through its body */
	const unsigned char *head;	/* its header block */
	size_t head_len;
	unsigned flags;			/* enum msg_flags (conv.h) */
	int64_t received;		/* internal date, Unix seconds */
	/*
	 * What a PST cannot hold is reported here, one line each (NULL: not
	 * reported): an attachment that would make the message larger than
	 * PR_MESSAGE_SIZE can state is left out, a short text note in its
	 * place ("<name>.omitted.txt").
	 */
	struct sbuf *left_out;
	uint64_t size_max;		/* 0: PST_SIZE_MAX; tests set a smaller limit */
	/*
	 * NULL, or `msg` again: once everything the PST takes
	 * from the file has been read (parts, attachments), it is held against
	 * its size and mtime at open (msg_unchanged); when it changed, nothing
	 * of it is added to the folder and the reason goes to changed.
	 */
	const struct mail_msg *watch;
	struct sbuf *changed;
	/* issue 15: --fallback-charset for header text (core/hdrtext.h); NULL: windows-1252 */
	const char *const *fallback;
};

/*
 * pst_part_text: a text part's content, transfer encoding undone, as UTF-8
 * (PR_BODY, PR_HTML): decoded from its declared charset, a byte not valid
 * in it read as Windows-1252, an unknown charset as UTF-8 where valid,
 * NULs dropped.  Appended to out.  Public so that `mdexport verify` checks
 * the PST's bodies against the very decoding the writer used.
 */
void pst_part_text(GMimeObject *part, struct sbuf *out);

/*
 * What the PST takes of a message's header block is bounded, so that a
 * hostile header (one 200 MiB line) costs no more memory than a normal one:
 * each field (with its continuation lines) is kept up to its first
 * PST_FIELD_MAX bytes, and no field is kept that starts past the first
 * PST_HEAD_MAX bytes kept; what is cut is gone from the properties (Subject,
 * addresses, PR_TRANSPORT_MESSAGE_HEADERS), never from the body and
 * attachments, which GMime reads from the file past the real end of the
 * header.  A header block that ends within PST_FIELD_MAX bytes is taken as
 * it is.
 */
#define PST_FIELD_MAX (64 * 1024)
#define PST_HEAD_MAX (1024 * 1024)

/*
 * pst_message_stream: the message m (read through its body; NULL: none,
 * an empty stream) of `size` bytes as GMime is to parse it: the message
 * itself when its header block (head, head_len: the reader's, including
 * the empty line that ends it) is within PST_FIELD_MAX, else the bounded
 * header block above followed by the message from the real end of its
 * header on: then *cut is true and kept (the caller's) holds that bounded
 * header block; else *cut is false and kept is untouched.  Public so that
 * `mdexport verify` parses the very same view.
 */
GMimeStream *pst_message_stream(const struct mail_msg *m, uint64_t size,
				const unsigned char *head, size_t head_len, struct sbuf *kept,
				bool *cut);

/* pst_filetime: Unix seconds to a FILETIME (100 ns since 1601, UTC) */
uint64_t pst_filetime(int64_t unix_seconds);

/*
 * pst_prepare_message: the work on a message that needs no PST state,
 * ahead of pst_write_message: GMime's parse, the text fields and bodies
 * (charsets decoded, UTF-16 made), the recipients, the attachments'
 * names, types and, up to decode_max bytes in all, their decoded content.
 * Thread-safe: any number at once, each on its own message (m->msg's body
 * is only read); reports nothing (what is left out is found at write).
 * The result may read m->msg's body and refer to m->head, so it is
 * written with the same m, or freed.
 */
struct pst_prepared;
struct pst_prepared *pst_prepare_message(const struct pst_msg_in *m, uint64_t decode_max);
void pst_prepared_free(struct pst_prepared *p);	/* NULL: nothing */

/* how much attachment content the PST writer's prepare decodes ahead, per message */
#define PST_PREPARE_DECODE_MAX (16u * 1024 * 1024)

/*
 * pst_write_message: the message node nid (parent folder_nid) and its row
 * in `contents`, from p (pst_prepare_message of the same m; consumed and
 * freed here) or, p NULL, prepared here (attachments then read as they
 * are written, so memory stays flat in attachment size): the same bytes
 * either way.  Returns 0, or -1 when GMime could not parse it: then the
 * message is written with its raw header block and its whole bytes as an
 * attachment "message.eml", so nothing is lost (up to the size limit, see
 * left_out); or -2 when m->watch changed while it was read: then neither
 * the node nor the row is added (the blocks its attachments and recipients
 * were already written to are left unreferenced in the file).
 */
int pst_write_message(struct pst_ndb *n, struct pst_tc *contents, uint32_t nid,
		      uint32_t folder_nid, const struct pst_msg_in *m, struct pst_prepared *p);

#endif
