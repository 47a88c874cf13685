/*
 * The vocabulary shared by the reader, the pipeline and every writer.
 *
 * Ownership: everything reachable from a struct mail_box, mail_folder or
 * mail_msg belongs to the reader.  It stays valid until the reader's next
 * call at the same level (next_mailbox, next_folder, next_msg) or until the
 * reader is closed.  Writers must not keep pointers past the call they were
 * given them in.
 */
#ifndef MDX_CONV_H
#define MDX_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

struct msg_hash;		/* msghash.h */

enum conv_status {		/* ordered by severity */
	CONV_DONE = 1,		/* iterator exhausted */
	CONV_OK = 0,
	CONV_MSG_BAD = -10,	/* skip this message, go on */
	CONV_FOLDER_BAD = -20,	/* abandon this folder, go on */
	CONV_FATAL = -30,	/* stop this mailbox (output side is broken) */
};

enum msg_flags {		/* one canonical set; see flags.c */
	MSG_SEEN = (1 << 0),
	MSG_ANSWERED = (1 << 1),
	MSG_FLAGGED = (1 << 2),
	MSG_DELETED = (1 << 3),
	MSG_DRAFT = (1 << 4),
};

struct mail_box {		/* one account */
	const char *domain;	/* as the store names it */
	const char *mailbox;	/* local part */
	const char *full_name;	/* "" when unknown */
	const char *path;	/* local directory (the MailDir) */
	const char *origin;	/* where it was found: "userlist.dat", "Users/", "SOURCE" */
	/*
	 * NULL, or the account ("zed@example.com") whose mailbox this one's
	 * MailDir also is: it is read once, as that account, and this one
	 * yields no folders (a warning, not an error: nothing is lost)
	 */
	const char *shared_with;
};

struct mail_folder {
	const char *path;	/* logical, UTF-8, '/'-separated: "INBOX/Projects" */
	const char *origin;	/* source directory relative to SOURCE */
	const char *folder_class; /* "IPF.Note" for mail, else groupware */
	bool is_mail;
	bool has_index;		/* an IMAP.MRK was read */
	uint32_t uidvalidity;
	uint32_t uidnext;
	unsigned messages;	/* .msg files found (known before reading them) */
	uint64_t bytes;		/* their total size */
};

/*
 * A message.  The reader opens the file read-only and reads the first chunk
 * (prefix); head_len bytes of it are the header block including the empty
 * line that ends it.  The rest of the file is read with msg_copy_range().
 * A message the reader could not open or read is still handed out (with
 * an error) filled in as far as known.
 */
struct mail_msg {
	const char *origin;	/* path relative to SOURCE, for messages */
	const char *name;	/* file name, e.g. md50000000101.msg */
	int fd;			/* open read-only */
	uint64_t size;		/* bytes in the file */
	bool size_known;	/* false: the file could not be opened (size is 0) */
	uint32_t uid;		/* 0 = no index record */
	unsigned flags;		/* enum msg_flags */
	int64_t received;	/* internal date, Unix seconds UTC */
	const char *date_source; /* "record", "x-mdarrival-date", "mtime"; NULL: unknown */
	const unsigned char *prefix;
	size_t prefix_len;
	size_t head_len;	/* header block length within prefix */
	bool head_complete;	/* false: no end of headers within the cap */
	unsigned seq;		/* 1-based position within its folder */
	struct msg_hash *hash;	/* NULL, or fed every byte read from fd (msghash.h) */
	/*
	 * watched: the reader took size and mtime_ns (st_mtim) from fstat at
	 * open, and msg_unchanged() holds the file against them once it has
	 * been read; false for a message built by hand (tests)
	 */
	bool watched;
	int64_t mtime_ns;
};

/* A sink receives message bytes; returns 0, or -1 when output failed. */
typedef int msg_sink_fn(void *ctx, const void *data, size_t len);

/*
 * msg_copy_range: feed bytes [from, size) of msg to sink in chunks (and to
 * msg->hash): exactly msg->size bytes are read, never more, so what the
 * sink gets, the size and the SHA-256 are of the same bytes.  Once the last
 * byte is read the file is held against its size and mtime at open
 * (msg_unchanged).
 * Returns CONV_OK, CONV_MSG_BAD when the source could not be read, was
 * shorter than at open or changed while it was read (err set), or
 * CONV_FATAL when the sink failed.
 */
int msg_copy_range(const struct mail_msg *msg, uint64_t from,
		   msg_sink_fn *sink, void *ctx, struct sbuf *err);

/*
 * msg_unchanged: fstat the open file again: CONV_OK when its size and
 * mtime are those at open (or msg is not watched), else CONV_MSG_BAD with
 * "'<origin>' changed while it was read: ..." in err (NULL: not wanted).
 */
int msg_unchanged(const struct mail_msg *msg, struct sbuf *err);

/*
 * msg_envelope_sender: the envelope sender from X-Return-Path, else
 * Return-Path, as a bare address; "MAILER-DAEMON" when neither gives one.
 */
void msg_envelope_sender(const struct mail_msg *msg, struct sbuf *out);

/*
 * header_block_get: the unfolded value of the first `name` field of a raw
 * header block.  Returns 1 and sets value, or 0 when absent.
 */
int header_block_get(const unsigned char *head, size_t len, const char *name,
		     struct sbuf *value);

/*
 * header_block_date: parse header `name` of a raw header block as an RFC 5322
 * date.  Returns 1 and sets *t_r, or 0 when absent or unparseable.
 */
int header_block_date(const unsigned char *head, size_t len,
		      const char *name, int64_t *t_r);

#endif
