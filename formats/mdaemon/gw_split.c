/*
 * The split of a groupware XML file into its items (gw_xml.h): a byte-at-
 * a-time scanner of XML's markup, enough to know where each record element
 * starts and ends.  It does not check the XML: libxml2 reads each item
 * afterwards.  What it must get right is what can hide a '<' or a '>':
 * comments, CDATA sections, processing instructions, declarations and
 * quoted attribute values.
 */
#include "mdaemon/gw_xml.h"

#include <string.h>
#include <strings.h>

enum {
	S_TEXT, S_LT, S_BANG, S_COMMENT, S_CDATA, S_PI, S_DECL, S_NAME, S_ATTRS, S_QUOTE,
	S_ENDNAME, S_ENDREST,
};

void gwx_scan_init(struct gwx_scan *s, const char *record, gwx_span_fn *fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->record = record;
	s->fn = fn;
	s->ctx = ctx;
	s->state = S_TEXT;
	sbuf_init(&s->root);
	sbuf_init(&s->tag);
}

void gwx_scan_release(struct gwx_scan *s)
{
	sbuf_release(&s->root);
	sbuf_release(&s->tag);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_record(const struct gwx_scan *s)
{
	return !s->name_long && strlen(s->record) == s->name_len &&
		!strncasecmp(s->name, s->record, s->name_len);
}

static void name_add(struct gwx_scan *s, unsigned char c)
{
	if (s->name_len + 1 < sizeof(s->name))
		s->name[s->name_len++] = (char)c;
	else
		s->name_long = true;
}

/* start_tag_done: a start tag ended at s->pos (its '>') */
static void start_tag_done(struct gwx_scan *s)
{
	uint64_t end = s->pos + 1;
	if (is_record(s)) {
		if (s->in_item && s->depth) {
			/* an item inside an item: the first one lost its end */
			s->fn(s->ctx, s->item_start, s->mark - s->item_start, GWX_INTERRUPTED);
			s->in_item = false;
		}
		if (s->slash) {
			s->fn(s->ctx, s->mark, end - s->mark, 0);
			return;
		}
		s->in_item = true;
		s->item_start = s->mark;
		s->depth = 1;
		return;
	}
	if (!s->have_root && !s->in_item) {
		s->have_root = true;
		if (!s->root_long)
			sbuf_add(&s->root, s->tag.buf, s->tag.len);
	}
}

static void end_tag_done(struct gwx_scan *s)
{
	if (!s->in_item || !is_record(s))
		return;
	if (--s->depth == 0) {
		s->in_item = false;
		s->fn(s->ctx, s->item_start, s->pos + 1 - s->item_start, 0);
	}
}

/*
 * tag_cut_short: a '<' inside a start tag, which XML does not allow: the
 * tag ended there (a record's item starts with it, so that its bytes are
 * still handed out, damaged), and the '<' starts new markup
 */
static void tag_cut_short(struct gwx_scan *s)
{
	if (is_record(s)) {
		s->slash = false;
		start_tag_done(s);
	}
	s->mark = s->pos;
	s->state = S_LT;
}

/* tail_is: the last bytes seen (up to 3) spell end */
static bool tail_is(const struct gwx_scan *s, const char *end)
{
	size_t n = strlen(end);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)end[n - 1 - i] != ((s->tail >> (8 * i)) & 0xff))
			return false;
	return true;
}

static void step_bang(struct gwx_scan *s, unsigned char c)
{
	static const char cdata[] = "[CDATA[";
	s->bang[s->bang_len++] = (char)c;
	if (s->bang_len == 2 && !memcmp(s->bang, "--", 2)) {
		s->state = S_COMMENT;
		s->tail = 0;
	} else if (!memcmp(s->bang, cdata, s->bang_len) ||
		   (s->bang_len == 1 && s->bang[0] == '-')) {
		if (s->bang_len == sizeof(cdata) - 1) {
			s->state = S_CDATA;
			s->tail = 0;
		}
	} else {
		s->state = c == '>' ? S_TEXT : S_DECL;
	}
}

static void step_lt(struct gwx_scan *s, unsigned char c)
{
	s->name_len = 0;
	s->name_long = false;
	s->slash = false;
	if (c == '!') {
		s->state = S_BANG;
		s->bang_len = 0;
	} else if (c == '?') {
		s->state = S_PI;
		s->tail = 0;
	} else if (c == '/') {
		s->state = S_ENDNAME;
	} else if (is_space(c) || c == '<' || c == '>') {
		s->state = S_TEXT;	/* a stray '<': not markup (libxml2 will say so) */
		if (c == '<') {
			s->mark = s->pos;
			s->state = S_LT;
		}
	} else {
		s->state = S_NAME;
		name_add(s, c);
	}
}

/* step_tag: inside a start tag, after its name */
static void step_tag(struct gwx_scan *s, unsigned char c)
{
	if (c == '"' || c == '\'') {
		s->quote = (char)c;
		s->state = S_QUOTE;
		s->slash = false;
	} else if (c == '>') {
		s->state = S_TEXT;
		start_tag_done(s);
	} else {
		s->slash = c == '/';
	}
}

static void step(struct gwx_scan *s, unsigned char c)
{
	switch (s->state) {
	case S_TEXT:
		if (c == '<') {
			s->mark = s->pos;
			s->state = S_LT;
		}
		break;
	case S_LT:
		step_lt(s, c);
		break;
	case S_BANG:
		step_bang(s, c);
		break;
	case S_COMMENT:
		s->tail = (s->tail << 8) | c;
		if (tail_is(s, "-->"))
			s->state = S_TEXT;
		break;
	case S_CDATA:
		s->tail = (s->tail << 8) | c;
		if (tail_is(s, "]]>"))
			s->state = S_TEXT;
		break;
	case S_PI:
		s->tail = (s->tail << 8) | c;
		if (tail_is(s, "?>"))
			s->state = S_TEXT;
		break;
	case S_DECL:
		if (c == '>')
			s->state = S_TEXT;
		break;
	case S_NAME:
		if (c == '<') {	/* a tag cut short: resynchronise on the new one */
			tag_cut_short(s);
		} else if (is_space(c) || c == '/' || c == '>') {
			s->state = S_ATTRS;
			step_tag(s, c);
		} else {
			name_add(s, c);
		}
		break;
	case S_ATTRS:
	case S_QUOTE:
		if (c == '<') {
			/*
			 * '<' cannot stand in an attribute value: the tag was cut
			 * short (an unclosed quote must not swallow the items after)
			 */
			tag_cut_short(s);
		} else if (s->state == S_ATTRS) {
			step_tag(s, c);
		} else if (c == (unsigned char)s->quote) {
			s->state = S_ATTRS;
		}
		break;
	case S_ENDNAME:
		if (is_space(c) || c == '>') {
			s->state = S_ENDREST;
			if (c == '>') {
				s->state = S_TEXT;
				end_tag_done(s);
			}
		} else {
			name_add(s, c);
		}
		break;
	case S_ENDREST:
		if (c == '>') {
			s->state = S_TEXT;
			end_tag_done(s);
		}
		break;
	default:
		break;
	}
}

/* keep_tag: the bytes of a start tag that may be the root's */
static void keep_tag(struct gwx_scan *s, unsigned char c, int before)
{
	if (s->have_root || s->in_item)
		return;
	if (before == S_TEXT && c == '<') {
		sbuf_reset(&s->tag);
		s->root_long = false;
	}
	if (s->tag.len < GWX_TAG_MAX)
		sbuf_addch(&s->tag, c);
	else
		s->root_long = true;
}

void gwx_scan_feed(struct gwx_scan *s, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++, s->pos++) {
		int before = s->state;
		keep_tag(s, p[i], before);
		step(s, p[i]);
	}
}

void gwx_scan_end(struct gwx_scan *s)
{
	if (s->in_item)
		s->fn(s->ctx, s->item_start, s->pos - s->item_start, GWX_CUT);
	s->in_item = false;
}

const char *gwx_record_name(enum item_kind kind)
{
	switch (kind) {
	case ITEM_CALENDAR:
		return "Event";
	case ITEM_CONTACT:
		return "contact";
	case ITEM_TASK:
		return "Task";
	case ITEM_NOTE:
		return "Note";
	case ITEM_MAIL:
		break;
	}
	return "";
}

const char *gwx_file_name(enum item_kind kind)
{
	switch (kind) {
	case ITEM_CALENDAR:
		return "Calendar.mrk";
	case ITEM_CONTACT:
		return "AddrBook.mrk";
	case ITEM_TASK:
		return "TaskList.mrk";
	case ITEM_NOTE:
		return "Notes.mrk";
	case ITEM_MAIL:
		break;
	}
	return "";
}
