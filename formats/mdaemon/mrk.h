/*
 * IMAP.MRK, MDaemon's per-folder binary index: a 36-byte header and 36-byte
 * records, little-endian (see docs/mdaemon-store.md in ../shared, section 5).
 * Fields are decoded one by one from bytes; nothing is cast from a packed
 * struct, so the parser is independent of the host's layout and byte order.
 */
#ifndef MDX_MRK_H
#define MDX_MRK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/sbuf.h"

#define MRK_HEADER_SIZE 36
#define MRK_RECORD_SIZE 36
#define MRK_WIDE_RECORD_SIZE 40
#define MRK_NAME_SIZE 23

enum mrk_flag {			/* bits of the record's flag byte */
	MRK_RECENT = 0x01,
	MRK_DRAFT = 0x02,
	MRK_DELETED = 0x04,
	MRK_FLAGGED = 0x08,
	MRK_ANSWERED = 0x10,
	MRK_SEEN = 0x20,
};

struct mrk_record {
	char name[MRK_NAME_SIZE + 1];	/* NUL-terminated */
	uint8_t flags;
	uint32_t uid;
	uint32_t size;
	uint32_t date;			/* Unix seconds UTC */
	size_t pos;			/* 0-based position in the file */
};

struct mrk {
	uint32_t version;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t write_counter;
	struct mrk_record *records;
	size_t count;
	size_t file_records;		/* whole records the file holds */
	size_t read_records;		/* of those, how many were decoded */
};

/*
 * Warnings about records are bounded: the first MRK_WARN_EACH records of
 * one kind get a line each, the rest one summary line, so a damaged index
 * of millions of records gives a handful of lines, not millions.
 */
#define MRK_WARN_EACH 10

/*
 * mrk_parse: decode an IMAP.MRK image.  Never fails on damage: a short file
 * gives 0 records, a torn trailing record is dropped, records with unusable
 * names are dropped; records of 40 bytes (a 64-bit date) are recognised
 * when the file fits only them.  Each finding appends one line to warnings
 * ('\n'-separated).  A header version other than 1 is accepted only when
 * every record reads as a version-1 record naming a .msg file.  Returns 1
 * when the index is usable, 0 when it must be ignored.
 */
int mrk_parse(const uint8_t *data, size_t len, struct mrk *out, struct sbuf *warnings);

/*
 * mrk_parse_prefix: mrk_parse for the first len bytes of an IMAP.MRK of
 * file_size bytes (len <= file_size), decoding at most max_records records:
 * the record size and a torn trailing record are judged on file_size, the
 * records on what data holds.  out->file_records says how many whole
 * records the file holds, out->read_records how many were decoded; the
 * caller reads only as much as it is willing to hold (memory bounded by
 * the folder, not by what the file claims).
 */
int mrk_parse_prefix(const uint8_t *data, size_t len, uint64_t file_size,
		     size_t max_records, struct mrk *out, struct sbuf *warnings);
void mrk_release(struct mrk *m);

/*
 * The same parse over a source read a chunk at a time, each record handed
 * to a callback as it is decoded (out->records stays NULL): a folder of a
 * million messages is indexed without its IMAP.MRK in memory (issue 12).
 *
 * read: up to len bytes at off into buf; the count read (fewer only where
 * the file ends), or -1 (errno).  len: the bytes of the file the source
 * may read (the prefix a caller is willing to hold), file_size: the whole
 * file's.  Every byte of the first len is read, whatever the parse needs,
 * so that a source that fails or ends early fails the same way however
 * the records look.
 */
typedef ssize_t (*mrk_read_fn)(void *ctx, uint64_t off, uint8_t *buf, size_t len);
typedef void (*mrk_each_fn)(void *ctx, const struct mrk_record *rec);

struct mrk_source {
	mrk_read_fn read;
	void *ctx;
	uint64_t len;
	uint64_t file_size;
};

#define MRK_READ_FAILED (-1)	/* read returned -1: its errno is kept */
#define MRK_SHORT (-2)		/* the file ended before len: scan again with what it holds */

/*
 * mrk_scan: as mrk_parse_prefix, returning 1 or 0, or MRK_READ_FAILED /
 * MRK_SHORT; on those the records given and the warnings written are void.
 * Thread safety: none of its own state; one source per call.
 */
int mrk_scan(const struct mrk_source *src, size_t max_records, mrk_each_fn each, void *ectx,
	     struct mrk *out, struct sbuf *warnings);

#endif
