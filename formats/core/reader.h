/*
 * The reader interface: two handles.  The store (struct mail_reader, from
 * open) lists the mailboxes; each mailbox is then opened on its own
 * (struct mail_mailbox, from open_mailbox) with its own diag, and yields
 * folders, a folder yields messages (iterators, not callbacks).  A mailbox
 * handle holds everything its iteration needs and reads nothing of the
 * store handle but what open left constant, so that mailboxes can be read
 * side by side.  What the calls hand out belongs to the handle that gave
 * it (see conv.h).
 *
 * Each next_* call returns CONV_OK with the item, CONV_DONE at the end, or
 * an error status with err set and the item still filled in enough to name
 * it: next_mailbox and open_mailbox CONV_MAILBOX_BAD (the mailbox cannot
 * be read at all), next_folder CONV_FOLDER_BAD (folder unreadable),
 * next_msg CONV_MSG_BAD (message unreadable).  The caller reports the error
 * and carries on with the next unit.  Warnings that lose nothing go
 * straight to the diag of the handle they concern (the store's for the
 * account list, the mailbox's for what is below it).
 */
#ifndef MDX_READER_H
#define MDX_READER_H

#include <sys/types.h>

#include "core/conv.h"
#include "core/diag.h"

struct tzone;			/* tzone.h */

struct reader_settings {
	const char *const *maps;	/* "WINPREFIX=LOCALDIR" */
	size_t nmaps;
	/*
	 * bytes of a folder's index a reader keeps in memory before it spills
	 * sorted runs to a temporary file in $TMPDIR (core/recsort.h); 0:
	 * RECSORT_DEFAULT_MEM
	 */
	size_t index_mem;
	/*
	 * issue 14: the zone the store's local times are in (--timezone);
	 * NULL: not given (a groupware reader then uses what the source
	 * reveals, and warns)
	 */
	const struct tzone *zone;
	/*
	 * issue 14: --no-public-folders: a store's public folders (an MDaemon
	 * root's "Public Folders") are not handed out as a mailbox
	 */
	bool no_public_folders;
	/*
	 * issue 15: --fallback-charset, NULL-terminated (NULL: windows-1252):
	 * how folder names that are not UTF-8 are read (core/hdrtext.h)
	 */
	const char *const *fallback;
};

/*
 * issue 14 (mdexport accounts): what a store's account list says of an
 * account beyond its struct mail_box, as the list holds it.  Unknown
 * values (an account found only by its folder): NULL or -1.
 */
struct mail_account {
	char access;		/* the list's own code ('Y', 'P', 'I', 'N', 'C' in MDaemon) */
	const char *access_text;	/* "POP and IMAP", "POP only", ...; NULL: not known */
	int disabled;		/* 1 or 0; -1: not known */
	int apply_quotas;	/* 1 or 0; -1: not known */
	long max_messages;	/* the limits as held (0: none); -1: not known */
	long max_disk_kb;
	const char *problem;	/* why its mail folder is not read; NULL: it is */
};

struct mail_reader;
struct mail_mailbox;

/* What a mailbox holds, as far as a reader can tell without reading its mail */
struct mail_estimate {
	uint64_t messages;
	uint64_t bytes;
	bool messages_known;
	bool bytes_known;	/* an estimate: file sizes, framing included */
};

/*
 * A directory the reader reads: SOURCE itself, and every account's MailDir
 * (from userlist.dat, --map or Users/), wherever it is.  dev and ino are
 * those of the directory opened without following a final symbolic link
 * (st_dev, st_ino), so a directory reached by two spellings is one entry.
 */
struct mail_dir {
	const char *path;	/* absolute, for messages (not for opening:
				 * compare dev and ino) */
	const char *owner;	/* "SOURCE", or the account: "alice@example.com" */
	dev_t dev;
	ino_t ino;
};

struct mail_reader_ops {
	const char *name;	/* also SOURCE's prefix: "<name>:<path>" */
	/* probe: 1 when path looks like this format's store, else 0 (NULL: never claims) */
	int (*probe)(const char *path);
	/* open: NULL with err set when source is unusable */
	struct mail_reader *(*open)(const char *source,
				    const struct reader_settings *set,
				    struct diag *d, struct sbuf *err);
	/*
	 * next_mailbox: the next mailbox of the store, described (nothing of it
	 * is opened); *box_r stays valid until the next call or close
	 */
	int (*next_mailbox)(struct mail_reader *r, const struct mail_box **box_r,
			    struct sbuf *err);
	/*
	 * open_mailbox: the mailbox next_mailbox last described, opened for
	 * reading with its own diag d (its warnings and errors count there) and
	 * hash (NULL, or fed every message's bytes as they are read); NULL with
	 * err set (CONV_MAILBOX_BAD) when it cannot be read at all.  A store of
	 * one mailbox may hand out a single handle at a time.
	 */
	struct mail_mailbox *(*open_mailbox)(struct mail_reader *r, const struct mail_box *box,
					     struct diag *d, struct msg_hash *hash,
					     struct sbuf *err);
	int (*next_folder)(struct mail_mailbox *m, const struct mail_folder **folder_r,
			   struct sbuf *err);
	int (*next_msg)(struct mail_mailbox *m, const struct mail_msg **msg_r,
			struct sbuf *err);
	/*
	 * reopen_msg: the message next_msg last gave, opened and read again
	 * from the start (size, mtime and first chunk taken anew), for one
	 * that changed while it was read; returns as next_msg does
	 */
	int (*reopen_msg)(struct mail_mailbox *m, const struct mail_msg **msg_r,
			  struct sbuf *err);
	/* close_mailbox: releases the handle and all it handed out (NULL: nothing) */
	void (*close_mailbox)(struct mail_mailbox *m);
	void (*close)(struct mail_reader *r);
	/*
	 * mail_dirs: every directory this reader will read messages from or
	 * below: SOURCE first, then each account's MailDir (accounts left out
	 * by --user/--domain included), each directory once.  Known right
	 * after open(), before any next_mailbox: nothing is read but the
	 * accounts' directories themselves (open and fstat).  A MailDir that
	 * could not be found or opened is not listed (it will not be read).
	 * The converter refuses an --output DIR inside any of them, or holding
	 * any of them, by comparing dev and ino up DIR's and their parents.
	 * Sets *dirs_r to an array owned by the reader, valid until close();
	 * returns its length.
	 */
	size_t (*mail_dirs)(struct mail_reader *r, const struct mail_dir **dirs_r);
	/*
	 * estimate (optional): for the progress display's totals, what the
	 * mailbox (opened, no folder read yet) holds, learned without reading
	 * any message file, for a reader whose next_folder reads each folder
	 * whole (mbox indexes its file).  NULL: the converter walks the
	 * folders with next_folder and sums mail_folder.messages and .bytes,
	 * which cost a directory listing (MDaemon, Maildir, EML) or a folder's
	 * descriptor (PST).  Thread-safe as far as the mailbox handle is.
	 */
	void (*estimate)(struct mail_mailbox *m, struct mail_estimate *e);
	/*
	 * unsettled (optional; issue 13, live stores): after the mailbox's
	 * last folder was read (next_folder gave CONV_DONE), how many of its
	 * folders were found changed while they were read, each named on a
	 * line of what ("'<folder>': <why>\n").  The reader checks a folder on
	 * the thread that reads it, right after its last message (next_msg
	 * gave CONV_DONE), against what it listed when the folder was opened;
	 * it says nothing on its diag about it: the converter decides (read
	 * the mailbox again, or report it).  NULL: never checked.
	 */
	unsigned (*unsettled)(struct mail_mailbox *m, struct sbuf *what);
	/*
	 * account (optional; issue 14): for the mailbox next_mailbox last
	 * described (box), what the store's account list says of it, into *a
	 * (strings owned by the reader, valid until the next next_mailbox).
	 * Returns 1, or 0 when that mailbox is no account (public folders).
	 * Reads nothing of the mailbox.  NULL: the store has no account list.
	 * A password is never part of it.
	 */
	int (*account)(struct mail_reader *r, const struct mail_box *box,
		       struct mail_account *a);
};

struct mail_reader {
	const struct mail_reader_ops *v;
	struct diag *diag;	/* the store's: finding and listing the mailboxes */
};

struct mail_mailbox {
	const struct mail_reader_ops *v;
	struct diag *diag;	/* this mailbox's */
	struct msg_hash *hash;	/* NULL, or fed every message's bytes (open_mailbox) */
};


#endif
