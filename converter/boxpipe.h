/*
 * One mailbox read ahead of its writer (-j N): a reader thread walks the
 * mailbox (the reader's iterators are single-threaded) and reads each
 * message into memory; worker threads hash it for the manifest and run
 * the writer's optional prepare step; the caller, the mailbox's one writer,
 * takes the items back in the reader's order.
 *
 * The items are exactly what the serial loop would have seen, call by
 * call: each next_folder and next_msg result (status, err text), and what
 * the reader said on its diag during that call (captured, for the writer
 * to replay on the mailbox's diag at that point), so the output, the
 * manifest, the warnings and the counts are the same as with -j 1.
 *
 * A message is handed over "live" (the reader's own, the reader waiting
 * until the writer is done with it) when it is bigger than the in-memory
 * cap, could not be read, or changed while it was read into memory: the
 * writer then handles it as the serial loop does (including reopen_msg on
 * the mailbox, which the waiting reader leaves alone).
 */
#ifndef MDX_BOXPIPE_H
#define MDX_BOXPIPE_H

#include <stdbool.h>

#include "core/reader.h"
#include "core/writer.h"

enum pipe_kind {
	PIPE_FOLDER,		/* a next_folder result (CONV_DONE: the mailbox's end) */
	PIPE_MSG,		/* a next_msg result (CONV_DONE: the folder's end) */
};

struct pipe_item {
	enum pipe_kind kind;
	int status;		/* what the call returned */
	struct sbuf err;	/* its err text */
	struct sbuf capture;	/* what the reader said on its diag during the call */
	const struct mail_folder *folder;	/* PIPE_FOLDER, unless CONV_DONE */
	const struct mail_msg *msg;	/* PIPE_MSG, unless CONV_DONE */
	bool live;		/* msg is the reader's own, read as the serial loop reads it */
	bool hashed;		/* sha256 holds the message's SHA-256 (read into memory) */
	char sha256[65];
	struct sbuf hash_err;	/* not hashed although in memory: why */
	/* the writer was given msg (its prepared result is the writer's now) */
	bool written;
};

struct boxpipe;

/*
 * boxpipe_start: the reader thread on mb (whose diag must be one that
 * captures into `capture`: the reader thread moves what it captured into
 * each item) and `workers` worker threads; w's prepare step (may be NULL)
 * is run on every message read into memory, with msg->fallback set to
 * fallback (issue 15: --fallback-charset).  Returns NULL when a thread
 * could not be started (err set): read the mailbox serially then.
 */
struct boxpipe *boxpipe_start(struct mail_mailbox *mb, struct sbuf *capture, unsigned workers,
			      const struct mail_writer_ops *w, const char *const *fallback,
			      struct sbuf *err);
/*
 * boxpipe_next: the next item, in the reader's order, once it is ready;
 * the item before it is released (its message and folder with it, as the
 * reader's next call would release them)
 */
struct pipe_item *boxpipe_next(struct boxpipe *p);
/* boxpipe_stop: the reader stopped where it is, every thread joined, all freed (NULL: nothing) */
void boxpipe_stop(struct boxpipe *p);

#endif
