/*
 * The read-back interface: what `mdexport verify` needs to know about an
 * output format, implemented by each format in its own folder
 * (formats/<fmt>/check.c) and reached only through the registry
 * (formats_checker(), formats.h).  converter/verify*.c is generic: it
 * reads the manifest, walks the source with the export's reader, and asks
 * the format's ops
 *
 *   - which keys the manifest's "output" object holds besides "file"
 *     (loc_keys), so the manifest parser stays one parser;
 *   - where the writer puts a message (locate), worked out again from the
 *     README's naming rules, never taken from the writer or the manifest;
 *   - whether an output item is a source message after exactly the
 *     transformations the writer documents (compare): byte for byte for
 *     EML, CRLF to LF and the flags in the name for Maildir, the From_
 *     line, status fields and mboxrd quoting for mbox, field by field
 *     through libpff for PST;
 *   - for a format that keeps many messages in one file (mbox), how the
 *     file's messages line up with the manifest's lines once every
 *     message has been seen (reconcile: a message moved, one added or
 *     taken out is named alone);
 *   - every item the output holds (list), so that verify finds the items
 *     no manifest line names, in every format.
 *
 * Call order for one mailbox: open; locate and compare per source message;
 * reconcile (when the format has one); list; close.  Nothing of the output
 * is trusted: the manifest only says where to look.  Outputs are opened
 * read-only and never through a symbolic link (the writers make none).
 */
#ifndef MDX_CHECK_H
#define MDX_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/conv.h"
#include "core/sbuf.h"

/* what a comparison found */
enum verify_result {
	VERIFY_SAME = 0,	/* the item is the message, as documented */
	VERIFY_DIFFERS = 1,	/* the item is there but is not the message */
	VERIFY_ABSENT = 2,	/* no such item (file, mbox message, PST node) */
	VERIFY_INCOMPLETE = 3,	/* PST: an attachment replaced by the size-limit note */
	VERIFY_SOURCE_BAD = -1,	/* the source could not be read */
};

/* the kinds of a verify report's items (README, "Verifying an export") */
enum vkind {
	VK_VERIFIED,	/* the output item is the source message, as documented */
	VK_SKIPPED,	/* left out as the manifest says (--skip-deleted) */
	VK_ALTERED,	/* the item is there but differs */
	VK_MISSING,	/* a source message that is not in the output */
	VK_EXTRA,	/* an output item that is no source message of the manifest */
	VK_INCOMPLETE,	/* PST: an attachment left out by the size limit */
	VK_UNREADABLE,	/* the source message cannot be read (now or at export) */
	VK_MANIFEST,	/* the manifest says something the source or output contradicts */
	VK_NKINDS,
};

/* one problem of the report; strings are copied by whoever keeps it */
struct vproblem {
	enum vkind kind;
	const char *folder;	/* source folder, or where the extra item is */
	const char *source;	/* relative to SOURCE; NULL: none */
	const char *output;	/* relative to DIR; NULL: none */
	bool has_offset;	/* mbox: where in the file */
	uint64_t offset, length;
	bool has_nid;		/* pst: the message node */
	uint32_t nid;
	unsigned line;		/* manifest line; 0: none */
	const char *what;
};

/* where a format reports what only it can see (reconcile) */
struct check_report {
	void (*problem)(void *ctx, const struct vproblem *p);
	void *ctx;
};

/*
 * Where an item is: the manifest's "output" object, or where the writer
 * puts a message.  Which fields a format fills is its loc_keys.
 */
struct check_loc {
	char *file;		/* relative to DIR */
	bool has_range;		/* "offset", "length": the item is those bytes of file */
	uint64_t offset, length;
	char *folder;		/* "folder": the folder as the format names it; NULL: none */
	bool has_node;		/* "nid": the item's node in file */
	uint32_t node;
	/* "sha256" (issue 16): the item's output bytes' SHA-256; "": the line has none */
	char sha256[65];
};
void check_loc_release(struct check_loc *l);

/*
 * One manifest line as the read-back sees it: verify fills the first
 * part, compare and reconcile the outcome.  The "found" part is for a
 * format whose reconcile looks for a message away from where its line
 * says (by a digest of what the item must hold).
 */
struct check_line {
	const char *source;	/* relative to SOURCE */
	unsigned line;		/* manifest line number */
	const struct check_loc *want;	/* the line's output object (exported lines) */
	bool exported;
	bool seen;		/* the reader found its source */
	bool done;		/* its outcome is in the report */
	char *folder;		/* the source's folder */
	char *location;		/* where the writer puts it, relative to DIR (locate) */
	int result;		/* enum verify_result of the comparison */
	char *why;
	/* to find the item when it is not where the line says */
	bool has_key;
	uint8_t key[32];	/* SHA-256 of what the item must hold, as the format compares */
	char *head;		/* the item's first line as the writer makes it (mbox: From_) */
	unsigned flags;
	uint64_t item_len;	/* the item's length as the writer makes it (mbox); 0: unknown */
	bool claimed;		/* an item of the output is this message */
	uint64_t found_at, found_len;	/* where it is, once found */
};

/* one item of an output, as list gives it */
struct check_item {
	const char *file;	/* relative to DIR */
	bool has_range;		/* bytes [offset, offset+length) of file */
	uint64_t offset, length;
	bool has_node;		/* a node of file */
	uint32_t node;
	const char *container;	/* the folder it is in, as the output names it (see container) */
	const char *what;	/* what it is, said when no line names it; NULL: nothing */
};

/*
 * How list hands out items.  known_file: a file some manifest line names
 * (reconcile has been through the items inside it; a format that keeps one
 * message per file needs no answer, verify asks itself).
 */
struct check_lister {
	bool (*known_file)(void *ctx, const char *rel);
	void (*item)(void *ctx, const struct check_item *it);
	void *ctx;
};

/* one mailbox's output, open for reading back; formats embed it first */
struct mail_check {
	const struct mail_check_ops *v;
	char *dir;		/* DIR */
	char *out_rel;		/* the mailbox's output, relative to DIR (dest + dest_suffix) */
	/*
	 * issue 15: the export's --fallback-charset (NULL-terminated; NULL:
	 * windows-1252), set by verify after open: header text is compared
	 * decoded as the writer decoded it
	 */
	const char *const *fallback;
	/* issue 16: the export's --maildir-flag-separator (verify reads it back; 0: ':') */
	char maildir_flag_sep;
};

struct mail_check_ops {
	const char *name;	/* the writer's name: "mbox", "maildir", "eml", "pst" */
	/* the keys of the manifest's "output" object after "file", in order, NULL-ended:
	 * "offset", "length" (numbers), "folder" (a string), "nid" (a 32-bit number) */
	const char *const *loc_keys;
	/*
	 * open: the output of a mailbox (out_rel, relative to dir).  Always
	 * returns a handle; err is set when the output as a whole cannot be
	 * read (a PST libpff refuses): its messages then compare as absent.
	 */
	struct mail_check *(*open)(const char *dir, const char *out_rel, struct sbuf *err);
	void (*close)(struct mail_check *c);
	/* locate: where the writer puts message m of source folder: loc->file, loc->folder */
	void (*locate)(const struct mail_check *c, const char *folder, const struct mail_msg *m,
		       struct check_loc *loc);
	/* container: the folder an item at loc is in, as the output names it, into out */
	void (*container)(const struct check_loc *loc, struct sbuf *out);
	/*
	 * compare: line l's item (l->want, l->location) against its source m;
	 * an enum verify_result, and, unless VERIFY_SAME, one line in why.
	 */
	int (*compare)(struct mail_check *c, struct check_line *l, const struct mail_msg *m,
		       struct sbuf *why);
	/*
	 * reconcile (NULL: none, each line's outcome is final after compare):
	 * the n lines (exported or not, seen or not), once the source has been
	 * walked; may change outcomes, and reports extras and manifest
	 * problems it finds inside files the lines name.
	 */
	void (*reconcile)(struct mail_check *c, struct check_line *lines, size_t n,
			  const struct check_report *rep);
	/* list: every item the output holds that can hold a message */
	void (*list)(struct mail_check *c, const struct check_lister *l);
	/*
	 * names_part (NULL: none): whether file (relative to DIR), which is not
	 * where locate puts a message, is by the format's naming rules another
	 * file of the same output that may hold it (a PST's parts,
	 * <mailbox>-NNN.pst, --split-size); compare then looks there
	 */
	bool (*names_part)(const struct mail_check *c, const char *file);
};

/* ---- helpers the formats share ------------------------------------------- */

/* check_init: c's common part (copies dir and out_rel) */
void check_init(struct mail_check *c, const struct mail_check_ops *v, const char *dir,
		const char *out_rel);
void check_release(struct mail_check *c);
/* check_path: DIR/rel (malloc'd) */
char *check_path(const struct mail_check *c, const char *rel);
/* check_dir_of: rel without its last component ("" when it has none; malloc'd) */
char *check_dir_of(const char *rel);

/*
 * check_walk: every entry below rel (relative to DIR) that is not a
 * directory, symbolic links not followed, at most 64 levels deep: fn gets
 * its path relative to DIR and its lstat.
 */
void check_walk(const struct mail_check *c, const char *rel,
		void (*fn)(void *ctx, const char *rel, const struct stat *st), void *ctx);

/*
 * The output side of a comparison is pulled: read up to n bytes into buf;
 * returns the count, 0 at the end, -1 on error with errno set.
 */
struct vpull {
	ssize_t (*read)(struct vpull *p, unsigned char *buf, size_t n);
};

/* bytes [from, to) of an open file */
struct vfile_pull {
	struct vpull base;
	int fd;
	uint64_t pos, end;
};
void vfile_pull_init(struct vfile_pull *p, int fd, uint64_t from, uint64_t to);

/*
 * A streaming comparison: the source side is pushed in (vcmp_push is a
 * msg_sink_fn), the output side pulled from `out` in step.  Both sides are
 * hashed (SHA-256) whole, so the result names the first differing byte and
 * both digests.
 */
struct vcmp {
	struct vpull *out;
	uint64_t n;		/* source bytes seen */
	uint64_t out_n;		/* output bytes seen */
	uint64_t diff_at;	/* first difference; UINT64_MAX: none yet */
	uint64_t lines;		/* newlines before diff_at (or so far) */
	int out_errno;		/* the output could not be read */
	void *src_sum, *out_sum;	/* GChecksum */
	uint8_t src_digest[32];	/* SHA-256 of the source side, set by vcmp_finish */
	unsigned char buf[16384];
};
void vcmp_init(struct vcmp *c, struct vpull *out);
int vcmp_push(void *ctx, const void *data, size_t len);
/*
 * vcmp_finish: read the rest of the output side; true when both sides
 * were byte for byte the same.  Else why says where they part, naming the
 * output side `what` and the source side `vs` ("the file", "the source").
 * Sets src_digest and frees the checksums.
 */
bool vcmp_finish(struct vcmp *c, const char *what, const char *vs, struct sbuf *why);
/* vcmp_abort: free the digests without a verdict */
void vcmp_abort(struct vcmp *c);

/*
 * A CRLF-to-LF filter in front of any sink: "\r\n" becomes "\n", a bare CR
 * is kept (the Unix writers' one line-end rule).  last: the last byte
 * passed on ('\0' before any).
 */
struct vlf {
	msg_sink_fn *next;
	void *ctx;
	bool pending_cr;
	unsigned char last;
};
void vlf_init(struct vlf *f, msg_sink_fn *next, void *ctx);
int vlf_push(void *ctx, const void *data, size_t len);
int vlf_finish(struct vlf *f);

/*
 * verify_open_output: open an output file for reading (O_NOFOLLOW: the
 * writers never make symbolic links).  Returns the descriptor, or -1 with
 * why set and *absent true when there is no such file.
 */
int verify_open_output(const char *path, bool *absent, struct sbuf *why);

/*
 * verify_file: the whole file at path against the source, through the
 * CRLF-to-LF rule when lf (EML and Maildir share it).
 */
int verify_file(const struct mail_msg *src, const char *path, bool lf, struct sbuf *why);

/* verify_flag_names: "\\Seen \\Answered" in the manifest's order; "none"; out >= 64 bytes */
void verify_flag_names(unsigned flags, char *out);

/* verify_sha256_msg: hex SHA-256 of a whole message (65 bytes); CONV_* */
int verify_sha256_msg(const struct mail_msg *msg, char hex[65], struct sbuf *err);

#endif
