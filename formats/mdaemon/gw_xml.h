/*
 * MDaemon's groupware XML files (Calendar.mrk, AddrBook.mrk, TaskList.mrk,
 * Notes.mrk; issue 14), in two steps:
 *
 *  - the split: the file's bytes scanned for its record elements (<Event>,
 *    <contact>, <Task>, <Note>, by name without regard to case; comments,
 *    CDATA, processing instructions and quoted attribute values skipped),
 *    so that each item's exact bytes are known and a damaged item does not
 *    take the ones after it along.  It is fed the file in chunks: memory
 *    does not grow with the file.
 *  - the parse: one item's bytes through libxml2 (no network, no entity
 *    substitution, recover mode) into a struct gw_item, every element and
 *    attribute it does not know kept in the item's extra and counted.
 */
#ifndef MDX_MDAEMON_GW_XML_H
#define MDX_MDAEMON_GW_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gwitem.h"
#include "core/sbuf.h"

/* ---- the split ---------------------------------------------------------- */

enum gwx_span_flags {
	GWX_CUT = 1,		/* the file ends inside the item */
	GWX_INTERRUPTED = 2,	/* another item starts inside it */
};

/* gwx_span_fn: one item found: bytes [off, off + len) of the file */
typedef void gwx_span_fn(void *ctx, uint64_t off, uint64_t len, unsigned flags);

#define GWX_TAG_MAX 65536	/* the root's start tag is kept up to this size */

struct gwx_scan {
	const char *record;	/* "Event" ... */
	gwx_span_fn *fn;
	void *ctx;
	int state;
	uint64_t pos;		/* offset of the next byte */
	uint64_t mark;		/* where the current markup started ('<') */
	char name[64];		/* the current tag's name (longer ones: cut, never a record) */
	size_t name_len;
	bool name_long;
	char quote;
	bool slash;
	unsigned tail;		/* the last bytes, for "-->", "]]>", "?>" */
	char bang[8];		/* what follows "<!" so far */
	size_t bang_len;
	bool in_item;
	uint64_t item_start;
	unsigned depth;		/* record elements open inside the item */
	bool have_root;
	struct sbuf root;	/* the root's start tag, once complete */
	struct sbuf tag;	/* the tag being read, while it may be the root */
	bool root_long;
};

void gwx_scan_init(struct gwx_scan *s, const char *record, gwx_span_fn *fn, void *ctx);
void gwx_scan_feed(struct gwx_scan *s, const unsigned char *p, size_t n);
/* gwx_scan_end: at the end of the file (an item still open is handed out GWX_CUT) */
void gwx_scan_end(struct gwx_scan *s);
void gwx_scan_release(struct gwx_scan *s);

/* gwx_record_name: the record element of a file of kind ("Event" ...) */
const char *gwx_record_name(enum item_kind kind);
/* gwx_file_name: the XML file a folder of kind holds ("Calendar.mrk" ...) */
const char *gwx_file_name(enum item_kind kind);

/* ---- the parse ---------------------------------------------------------- */

/* what a file held that the parser did not know: name -> count */
struct gwx_unknowns {
	char **names;
	unsigned *counts;
	size_t n;
};
void gwx_unknowns_release(struct gwx_unknowns *u);
/* gwx_unknowns_describe: "Event/Foo x2, Event@Bar"; the total count returned */
unsigned gwx_unknowns_describe(const struct gwx_unknowns *u, struct sbuf *out);

/* what the parse needs to know beyond the bytes */
struct gwx_ctx {
	enum item_kind kind;
	const struct tzone *zone;
	const char *owner;	/* the folder owner: "mailbox@domain" */
	const char *uid_seed;	/* "domain/mailbox/folder": stable UIDs are derived from it */
	unsigned ordinal;	/* the item's place in the file (a UID seed without an ID) */
};

/*
 * gwx_parse: the item's bytes (UTF-8) into it (gw_item_init'ed by the
 * caller with the kind).  Whatever could be read is kept; an item not read
 * whole gets it->recovered and the recovered category.  Unknown names are
 * added to u.
 */
void gwx_parse(const char *xml, size_t len, const struct gwx_ctx *cx, struct gw_item *it,
	       struct gwx_unknowns *u);

/*
 * gwx_root_attrs: the root start tag's attributes: lastModified (UTC; *t_r
 * Unix seconds), 1 when it was there and read
 */
int gwx_root_last_modified(const char *tag, size_t len, int64_t *t_r);

/* gwx_parse_time: "YYYY-MM-DD HH:MM[:SS]" (or a 'T'); true when valid */
bool gwx_parse_time(const char *s, struct gw_time *t);

/*
 * gwx_peek: cheap looks into an item's bytes for the zone guess, before it
 * is parsed: the first <TimeZone Bias="..."> (true, *bias) and the newest
 * <Modified> (kept in *newest when later)
 */
bool gwx_peek_bias(const char *xml, size_t len, int *bias);
void gwx_peek_modified(const char *xml, size_t len, struct gw_time *newest);

#endif
