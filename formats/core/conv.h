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

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/sbuf.h"

struct msg_hash;		/* msghash.h */

/*
 * A message's bytes, wherever they live: a whole file (an MDaemon .msg, a
 * Maildir or EML file), a range of a file (an mbox message), or bytes a
 * reader builds.  The reader owns it; every consumer (the copy into an
 * output, the manifest's hash, the PST writer's MIME parse, verify) reads
 * through these ops and nothing else, so any of these can be a message.
 */
struct msg_body;
struct msg_body_ops {
	/* read: up to len bytes at off of the message; bytes read (0: its end), -1 (errno) */
	ssize_t (*read)(const struct msg_body *b, void *buf, size_t len, uint64_t off);
	/* stream: a new GMime stream of the message's bytes [from, to) (the caller unrefs it) */
	GMimeStream *(*stream)(const struct msg_body *b, uint64_t from, uint64_t to);
	/*
	 * changed: 0 while what holds the bytes is as it was when the reader
	 * handed the message out; 1 when it changed (why says how: "N bytes
	 * when opened, M at the end of the read"); -1 when it cannot tell (errno)
	 */
	int (*changed)(const struct msg_body *b, struct sbuf *why);
};
struct msg_body {
	const struct msg_body_ops *ops;
};

/*
 * The body of a message that is bytes [base, base + len) of an open file
 * (fd: the reader's, not owned).  file_body_watch holds the file to its
 * size and modification time in st (changed() compares them), so a file
 * that grows, shrinks or is rewritten while it is read is noticed.
 */
struct file_body {
	struct msg_body body;
	int fd;
	uint64_t base, len;
	bool watched;
	uint64_t file_size;
	int64_t mtime_ns;
};
void file_body_init(struct file_body *fb, int fd, uint64_t base, uint64_t len);
void file_body_watch(struct file_body *fb, const struct stat *st);

/*
 * The body of a message held in memory (bytes, taken over): a message read
 * ahead of its writer by the converter's pipeline.  It never changes.
 */
struct mem_body {
	struct msg_body body;
	GByteArray *bytes;
};
void mem_body_init(struct mem_body *mb, GByteArray *bytes);
void mem_body_release(struct mem_body *mb);

enum conv_status {		/* ordered by severity */
	CONV_DONE = 1,		/* iterator exhausted */
	CONV_OK = 0,
	CONV_MSG_BAD = -10,	/* skip this message, go on */
	CONV_FOLDER_BAD = -20,	/* abandon this folder, go on */
	CONV_MAILBOX_BAD = -25,	/* the mailbox cannot be read at all: no output, go on */
	CONV_FATAL = -30,	/* stop this mailbox (output side is broken) */
};

enum msg_flags {		/* one canonical set; see flags.c */
	MSG_SEEN = (1 << 0),
	MSG_ANSWERED = (1 << 1),
	MSG_FLAGGED = (1 << 2),
	MSG_DELETED = (1 << 3),
	MSG_DRAFT = (1 << 4),
};

/*
 * What an item is.  Groupware items (calendar, contacts, tasks, notes;
 * issue 14) come through the same interface as mail: their bytes are the
 * item as the source holds it, and mail_msg.gw what the reader understood
 * of it (gwitem.h).
 */
enum item_kind {
	ITEM_MAIL = 0,
	ITEM_CALENDAR,
	ITEM_CONTACT,
	ITEM_TASK,
	ITEM_NOTE,
};

struct gw_item;			/* gwitem.h */

/*
 * issue 14: a store's public folders are one more mailbox of this name (an
 * MDaemon root's "Public Folders"); a PST of them is named so too, and read
 * back as that mailbox
 */
#define MAIL_PUBLIC_MAILBOX "Public Folders"
#define MAIL_PUBLIC_DOMAIN "public"

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
	/*
	 * issue 16: NULL, or (next_mailbox said CONV_MAILBOX_BAD) the path the
	 * store's account list names the mailbox's folder by, which was not
	 * found (a Windows path of userlist.dat); map_hint: NULL, or the
	 * "WINPREFIX=LOCALDIR" the reader suggests for every such mailbox of
	 * the store (one string for all).  The converter says them once per
	 * run, not once per mailbox.
	 */
	const char *not_found;
	const char *map_hint;
};

/* mail_box_dup: a copy owning its strings (a mailbox handed on past the reader's next call) */
struct mail_box *mail_box_dup(const struct mail_box *box);
void mail_box_free(struct mail_box *box);

struct mail_folder {
	const char *path;	/* logical, UTF-8, '/'-separated: "INBOX/Projects" */
	const char *origin;	/* source directory relative to SOURCE */
	const char *folder_class; /* "IPF.Note" for mail, else groupware */
	bool is_mail;		/* holds only mail (kind ITEM_MAIL) */
	/*
	 * issue 14: the groupware items it holds (ITEM_CALENDAR ...); a
	 * groupware folder may hold mail too (.msg files beside its XML file),
	 * handed out after its items.  ITEM_MAIL: a mail folder.
	 */
	enum item_kind kind;
	bool has_index;		/* an IMAP.MRK was read */
	uint32_t uidvalidity;
	uint32_t uidnext;
	unsigned messages;	/* .msg files found (known before reading them) */
	uint64_t bytes;		/* their total size; 0 with messages: not known (PST) */
};


/*
 * A message.  The reader hands out its bytes as a body (above) and reads
 * the first chunk (prefix); head_len bytes of it are the header block
 * including the empty line that ends it.  The rest is read with
 * msg_copy_range().
 * A message the reader could not open or read is still handed out (with
 * an error) filled in as far as known.
 */
struct mail_msg {
	const char *origin;	/* path relative to SOURCE, for messages */
	const char *name;	/* file name, e.g. md50000000101.msg */
	const struct msg_body *body;	/* its bytes; NULL: they could not be had */
	uint64_t size;		/* its bytes (the body's length) */
	bool size_known;	/* false: the file could not be opened (size is 0) */
	uint32_t uid;		/* 0 = no index record */
	unsigned flags;		/* enum msg_flags */
	int64_t received;	/* internal date, Unix seconds UTC */
	const char *date_source; /* "record", "x-mdarrival-date", "mtime"; NULL: unknown */
	enum item_kind kind;	/* ITEM_MAIL unless the reader says otherwise */
	/* a groupware item (kind != ITEM_MAIL): what the reader understood of it (gwitem.h) */
	const struct gw_item *gw;
	/*
	 * the envelope sender where the store keeps one (an mbox's From_ line);
	 * NULL: taken from the header (msg_envelope_sender)
	 */
	const char *envelope_from;
	const unsigned char *prefix;
	size_t prefix_len;
	size_t head_len;	/* header block length within prefix */
	bool head_complete;	/* false: no end of headers within the cap */
	unsigned seq;		/* 1-based position within its folder */
	struct msg_hash *hash;	/* NULL, or fed every byte read from body (msghash.h) */
	void *prepared;		/* the writer's prepare result, or NULL; owned by the writer */
	/*
	 * issue 15: --fallback-charset for the writer's prepare (which has no
	 * writer to ask), NULL-terminated; set by whoever calls prepare (the
	 * read-ahead); NULL: windows-1252.  Readers leave it NULL.
	 */
	const char *const *fallback;
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
 * msg_unchanged: what holds the message is as it was when the reader
 * handed it out (its body's changed()): CONV_OK, else CONV_MSG_BAD with
 * "'<origin>' changed while it was read: ..." in err (NULL: not wanted).
 */
int msg_unchanged(const struct mail_msg *msg, struct sbuf *err);
/*
 * msg_read_head: a reader's first read of a message whose body is set:
 * its first chunk into prefix (the reader's buffer), extended until the
 * header block ends or HEAD_MAX (a warning on the mailbox's diag then, the
 * rest passed as body); sets prefix, prefix_len, head_len and
 * head_complete.  It also gives the message the mailbox handle's hash
 * (reset, then fed these bytes and, through msg_copy_range, the rest), so
 * that the manifest's SHA-256 is taken here, by the generic layer, from
 * the bytes every consumer reads, and never by a reader.  CONV_OK, or
 * CONV_MSG_BAD with err set.
 */
struct mail_mailbox;		/* reader.h */
int msg_read_head(struct mail_msg *msg, const struct mail_mailbox *mb, struct sbuf *prefix,
		  struct sbuf *err);
/* msg_read: body->read, or -1 (EBADF) for a message with no body */
ssize_t msg_read(const struct mail_msg *msg, void *buf, size_t len, uint64_t off);
/* msg_stream: a new GMime stream of bytes [from, to) (an empty one without a body) */
GMimeStream *msg_stream(const struct mail_msg *msg, uint64_t from, uint64_t to);

/*
 * msg_envelope_sender: the envelope sender the store kept (envelope_from),
 * else from X-Return-Path, else Return-Path, as a bare address;
 * "MAILER-DAEMON" when none gives one.
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
