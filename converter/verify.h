/*
 * `mdexport verify`: the pieces shared by the command (verify.c), the
 * manifest parser (verify_manifest.c), the per-format comparators
 * (verify_eml.c, verify_maildir.c, verify_mbox.c, verify_pst.c) and the
 * report (verify_report.c).
 *
 * A comparator takes one source message as the reader gives it and one
 * output item, and says whether the item is the message after exactly the
 * transformations its writer documents (README, "What it writes").  It
 * never trusts the manifest for content: the manifest only says where to
 * look.  Each returns an enum verify_result and, unless VERIFY_SAME, one
 * line in `why` saying what differs.
 */
#ifndef MDX_VERIFY_H
#define MDX_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/conv.h"
#include "core/sbuf.h"

enum verify_result {
	VERIFY_SAME = 0,	/* the item is the message, as documented */
	VERIFY_DIFFERS = 1,	/* the item is there but is not the message */
	VERIFY_ABSENT = 2,	/* no such item (file, mbox message, PST node) */
	VERIFY_INCOMPLETE = 3,	/* PST: an attachment replaced by the size-limit note */
	VERIFY_SOURCE_BAD = -1,	/* the source could not be read */
};

/* ---- the manifest (spec: README, "Manifest") ---------------------------- */

/* "changed": the export found the file changing while it read it, twice; not exported */
enum mf_reason { MF_REASON_NONE, MF_REASON_DELETED, MF_REASON_UNREADABLE, MF_REASON_CHANGED };

struct mf_totals {
	uint64_t messages, exported, skipped, deleted, unreadable, bytes;
};

struct mf_run {			/* line 1 */
	char *version;
	char **command;
	size_t ncommand;
	int64_t started, ended;
	char *host, *source, *format, *mailbox, *output;
	struct mf_totals totals;
};

struct mf_output {
	char *file;		/* relative to DIR */
	uint64_t offset, length;	/* mbox */
	char *folder;		/* pst */
	uint32_t nid;		/* pst */
};

struct mf_entry {		/* one message line */
	unsigned line;		/* 1-based line number in the file */
	char *source;		/* relative to SOURCE */
	bool has_size, has_sha;
	uint64_t size;
	char sha256[65];
	char *folder;
	bool has_uidvalidity, has_uid;
	uint32_t uidvalidity, uid;
	unsigned flags;		/* enum msg_flags */
	int64_t internal_date;
	char *date_header;	/* NULL: null */
	char *message_id;	/* NULL: null */
	bool exported;		/* status "exported" (else "skipped") */
	enum mf_reason reason;
	char *detail;		/* NULL: null */
	bool has_output;
	struct mf_output out;
};

/*
 * mf_parse_run, mf_parse_entry: one line (without its "\n") of exactly the
 * spec's form: keys in the spec's order, no blanks between tokens, values
 * of the right types and in range.  mf_parse_entry needs the run line's
 * format for the "output" object.  Return 0, or -1 with err saying what is
 * wrong and at which byte.  On success the struct owns its strings
 * (mf_run_release / mf_entry_release); on failure nothing is left to free.
 */
int mf_parse_run(const char *line, size_t len, struct mf_run *r, struct sbuf *err);
int mf_parse_entry(const char *line, size_t len, const char *format, struct mf_entry *e,
		   struct sbuf *err);
void mf_run_release(struct mf_run *r);
void mf_entry_release(struct mf_entry *e);
/*
 * mf_read_line: the next line of a manifest into line (without its "\n"),
 * at most MF_LINE_MAX bytes kept: the rest of a longer line is read past,
 * not kept, so memory stays bounded whatever the file holds.  Returns the
 * line's full length (past the cap when it is longer: then line holds only
 * its first MF_LINE_MAX bytes), or -1 at the end of the file.  *newline:
 * whether it ended with "\n" (the last line may not).
 */
#define MF_LINE_MAX (1024 * 1024)
int64_t mf_read_line(FILE *f, struct sbuf *line, bool *newline);

/* mf_format_time: "YYYY-MM-DDTHH:MM:SSZ" of t (UTC); out holds >= 32 bytes */
void mf_format_time(int64_t t, char *out);

/* ---- source-side helpers (verify_stream.c) ------------------------------ */

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
 * verify_file: the whole file at path against the source, through the
 * CRLF-to-LF rule when lf (EML and Maildir share it).
 */
int verify_file(const struct mail_msg *src, const char *path, bool lf, struct sbuf *why);

/* verify_flag_names: "\\Seen \\Answered" in the manifest's order; "none"; out >= 64 bytes */
void verify_flag_names(unsigned flags, char *out);

/* verify_sha256_msg: hex SHA-256 of a whole message (65 bytes); CONV_* */
int verify_sha256_msg(const struct mail_msg *msg, char hex[65], struct sbuf *err);

/* ---- the comparators ---------------------------------------------------- */

/*
 * verify_open_output: open an output file for reading (O_NOFOLLOW: the
 * writers never make symbolic links).  Returns the descriptor, or -1 with
 * why set and *absent true when there is no such file.
 */
int verify_open_output(const char *path, bool *absent, struct sbuf *why);

/* EML: the file at path has the source's SHA-256 (it is byte for byte the .msg) */
int verify_eml(const struct mail_msg *src, const char *path, struct sbuf *why);

/*
 * Maildir: the file at path is the source with CRLF turned into LF
 * (nothing else), and its name "<date>.M<n>_<name>.mdexport:2,<flags>"
 * carries the source's internal date and exactly its flags.
 */
int verify_maildir(const struct mail_msg *src, const char *path, struct sbuf *why);

/*
 * mbox: the message at [offset, offset+length) of the open mbox file fd is
 * the source: a "From " line with the envelope sender and the internal
 * date as the writer makes them, "Status:" and "X-Status:" lines saying
 * exactly the source's flags, then, mboxrd quoting undone and the
 * separating empty line taken off, the source with its Status/X-Status
 * header fields removed, CRLF turned into LF and a final LF added when it
 * had none.  key_r: SHA-256 of that normalized source (to find the message
 * elsewhere in the file when it is not at offset).
 */
int verify_mbox(const struct mail_msg *src, int fd, uint64_t file_size, uint64_t offset,
		uint64_t length, uint8_t key_r[32], struct sbuf *why);

/* one message of an mbox file as found by verify_mbox_scan */
struct mbox_region {
	uint64_t offset, length;
};
/*
 * verify_mbox_scan: every message of an mbox file: a region starts at each
 * "From " that begins a line (mboxrd quotes every other one) and runs to
 * the next or to the end.  Bytes before the first "From " are a region too
 * (they belong to no message).  Returns 0, or -1 with err set.
 */
int verify_mbox_scan(int fd, struct mbox_region **r, size_t *n, struct sbuf *err);

/* what one region holds, for matching it to a source message */
struct mbox_region_key {
	uint8_t key[32];	/* SHA-256 of the unquoted message (see verify_mbox) */
	char *from_line;	/* its "From " line, NULL when it has none */
	unsigned flags;		/* from its Status/X-Status lines */
	bool status_ok;		/* both lines there, letters all known */
};
int verify_mbox_region_key(int fd, const struct mbox_region *r, struct mbox_region_key *k,
			   struct sbuf *err);
void mbox_region_key_release(struct mbox_region_key *k);

/* PST (verify_pst.c): the file read back through libpff */
struct verify_pst;
/* verify_pst_open: NULL with err set when libpff cannot open the file */
struct verify_pst *verify_pst_open(const char *path, struct sbuf *err);
void verify_pst_close(struct verify_pst *p);
/*
 * verify_pst_folder: the folder path of message node nid (names joined by
 * '/', under the top of the data file; outside it the path starts with
 * "//"), or NULL when the PST has no such message.
 */
const char *verify_pst_folder(const struct verify_pst *p, uint32_t nid);
/*
 * verify_pst_nids: every message node in the file (folders walked from the
 * root, then orphans), in walk order; *n set.  Owned by p.
 */
const uint32_t *verify_pst_nids(const struct verify_pst *p, size_t *n);
/*
 * verify_pst: message node nid against a fresh GMime parse of the source:
 * subject, client-submit and delivery times, read/answered/flagged/
 * deleted/draft state, PR_BODY and PR_HTML against the source's text and
 * HTML parts decoded as the writer decodes them, and every attachment's
 * name and bytes (SHA-256).  VERIFY_INCOMPLETE: everything matched, but
 * an attachment is the writer's "<name>.omitted.txt" note (size limit).
 */
int verify_pst(struct verify_pst *p, uint32_t nid, const struct mail_msg *src,
	       struct sbuf *why);
/* verify_pst_subject: PR_SUBJECT of node nid, for naming extra messages */
void verify_pst_subject(struct verify_pst *p, uint32_t nid, struct sbuf *out);

#endif
