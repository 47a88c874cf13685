/*
 * The PST/OST reader's two halves (read.c: the store, folders and flags;
 * read_mime.c: a message item rebuilt as RFC 5322 bytes) and the property
 * access both use.  Everything is read through libpff.
 */
#ifndef MDX_PST_READ_H
#define MDX_PST_READ_H

#include <libbfio.h>
#include <libpff.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"

/* MAPI property tags this reader uses (MS-OXPROPS) */
enum {
	PR_SUBJECT = 0x0037, PR_CLIENT_SUBMIT_TIME = 0x0039,
	PR_SENT_REPRESENTING_NAME = 0x0042, PR_SENT_REPRESENTING_EMAIL = 0x0065,
	PR_TRANSPORT_MESSAGE_HEADERS = 0x007D, PR_RECIPIENT_TYPE = 0x0C15,
	PR_SENDER_NAME = 0x0C1A, PR_SENDER_EMAIL = 0x0C1F, PR_SENDER_ADDRTYPE = 0x0C1E,
	PR_DELIVERY_TIME = 0x0E06, PR_MESSAGE_FLAGS = 0x0E07, PR_MSG_STATUS = 0x0E17,
	PR_BODY = 0x1000, PR_HTML = 0x1013, PR_INTERNET_MESSAGE_ID = 0x1035,
	PR_IN_REPLY_TO_ID = 0x1042, PR_ICON_INDEX = 0x1080, PR_LAST_VERB_EXECUTED = 0x1081,
	PR_FLAG_STATUS = 0x1090, PR_DISPLAY_NAME = 0x3001, PR_ADDRTYPE = 0x3002,
	PR_EMAIL_ADDRESS = 0x3003, PR_CREATION_TIME = 0x3007,
	PR_ATTACH_FILENAME = 0x3704, PR_ATTACH_LONG_FILENAME = 0x3707,
	PR_ATTACH_MIME_TAG = 0x370E, PR_ATTACH_CONTENT_ID = 0x3712,
	PR_SMTP_ADDRESS = 0x39FE, PR_INTERNET_CPID = 0x3FDE, PR_MESSAGE_CODEPAGE = 0x3FFD,
	PR_SENDER_SMTP_ADDRESS = 0x5D01, PR_SENT_REPRESENTING_SMTP = 0x5D02,
	PR_CONTAINER_CLASS = 0x3613, PR_IPM_SUBTREE_ENTRYID = 0x35E0,
	PR_IPM_APPOINTMENT_ENTRYID = 0x36D0, PR_IPM_DRAFTS_ENTRYID = 0x36D7,
};

/* an item's property context (its first record set), or a recipient's row */
struct pst_props {
	libpff_record_set_t *set;
	unsigned codepage;	/* for 8-bit strings: the message's, 0 when unknown */
};

int pst_props_open(struct pst_props *pr, libpff_item_t *item);
void pst_props_close(struct pst_props *pr);
/* pst_prop_raw: the stored bytes of a property (appended); false when absent */
bool pst_prop_raw(const struct pst_props *pr, uint32_t id, struct sbuf *out, uint32_t *type);
/* pst_prop_string: a string property as UTF-8 (appended); false when absent */
bool pst_prop_string(const struct pst_props *pr, uint32_t id, struct sbuf *out);
bool pst_prop_u32(const struct pst_props *pr, uint32_t id, uint32_t *v);
/* pst_prop_time: a PT_SYSTIME property as Unix seconds; false when absent or zero */
bool pst_prop_time(const struct pst_props *pr, uint32_t id, int64_t *t);
/* pst_utf16_to_utf8: UTF-16LE bytes as UTF-8 (appended), by GLib */
void pst_utf16_to_utf8(const char *raw, size_t len, struct sbuf *out);
/* pst_decode_cp: bytes in Windows code page cp as UTF-8 (see read_mime.c) */
void pst_decode_cp(const char *bytes, size_t len, unsigned cp, struct sbuf *out);
/* pst_error: libpff's error text after what, and the error freed */
void pst_error(libpff_error_t **e, const char *what, struct sbuf *out);

/* read_io.c: open without following a link (O_NOATIME where permitted) */
int pst_open_noatime(const char *path, int flags);
/* pst_fd_handle: a libbfio handle that only preads fd (left open); NULL on failure */
libbfio_handle_t *pst_fd_handle(int fd);
/* pst_tmp_file: an unlinked read-write file in $TMPDIR, else /tmp; -1 (errno) */
int pst_tmp_file(void);

/*
 * pst_build_message: message item rebuilt as an RFC 5322 message (LF line
 * ends) written to out_fd from offset 0 (truncated first); attachment data
 * is staged in scratch_fd.  Returns the message's size, or -1 with err set
 * when nothing usable could be made.  What could not be read of an item
 * that is still handed out is said in warn ("; "-separated).
 */
int64_t pst_build_message(libpff_item_t *item, int out_fd, int scratch_fd,
			  struct sbuf *warn, struct sbuf *err);

#endif
