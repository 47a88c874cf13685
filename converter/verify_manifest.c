/*
 * The manifest's lines, read back strictly: exactly the spec's form (keys
 * in order, no blanks between tokens, the spec's types and values), so a
 * line edited by hand or by another program is reported, not guessed at.
 * A cursor walks the line expecting each literal and value in turn; the
 * first thing that is not what the spec says ends the line with an error
 * naming it and its byte position.
 *
 * Strings: JSON escapes are decoded (\uXXXX to UTF-8, surrogate pairs
 * joined, a lone \udcXX the byte XX, as the writer escapes bytes that are
 * not UTF-8); other bytes are taken as they are, so a source path that is not
 * UTF-8 (a Latin-1 folder name on a Windows store) is still matched byte
 * for byte.  "\u0000" is refused: no path or header holds a NUL.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "formats.h"
#include "verify.h"

struct cur {
	const char *p, *start, *end;
	struct sbuf *err;
	bool failed;
};

static int fail(struct cur *c, const char *what)
{
	if (!c->failed)
		sbuf_addf(c->err, "%s at byte %zu", what, (size_t)(c->p - c->start) + 1);
	c->failed = true;
	return -1;
}

/* lit: the exact text s comes next */
static int lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if (c->failed)
		return -1;
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n)) {
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "expected '%s'", s);
		fail(c, w.buf);
		sbuf_release(&w);
		return -1;
	}
	c->p += n;
	return 0;
}

static bool peek(const struct cur *c, const char *s)
{
	size_t n = strlen(s);
	return !c->failed && (size_t)(c->end - c->p) >= n && !memcmp(c->p, s, n);
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		v = v << 4 | d;
	}
	return v;
}

static void add_utf8(struct sbuf *out, unsigned cp)
{
	if (cp < 0x80) {
		sbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		sbuf_addch(out, 0xC0 | (int)(cp >> 6));
		sbuf_addch(out, 0x80 | (int)(cp & 0x3F));
	} else if (cp < 0x10000) {
		sbuf_addch(out, 0xE0 | (int)(cp >> 12));
		sbuf_addch(out, 0x80 | (int)((cp >> 6) & 0x3F));
		sbuf_addch(out, 0x80 | (int)(cp & 0x3F));
	} else {
		sbuf_addch(out, 0xF0 | (int)(cp >> 18));
		sbuf_addch(out, 0x80 | (int)((cp >> 12) & 0x3F));
		sbuf_addch(out, 0x80 | (int)((cp >> 6) & 0x3F));
		sbuf_addch(out, 0x80 | (int)(cp & 0x3F));
	}
}

/* unicode_escape: after "\u": one code point (a surrogate pair: both halves) */
static int unicode_escape(struct cur *c, struct sbuf *out)
{
	int hi = c->end - c->p >= 4 ? hex4(c->p) : -1;
	if (hi < 0)
		return fail(c, "bad \\u escape");
	c->p += 4;
	unsigned cp = (unsigned)hi;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		int lo = c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' ?
			 hex4(c->p + 2) : -1;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return fail(c, "unpaired surrogate in \\u escape");
		c->p += 6;
		cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
	} else if (hi >= 0xDC80 && hi <= 0xDCFF) {
		/* the manifest's way to carry a byte that is not UTF-8 (a file
		 * name, an 8-bit header): \udcXX is the byte XX, as Python's
		 * surrogateescape reads it */
		sbuf_addch(out, hi & 0xFF);
		return 0;
	} else if (hi >= 0xDC00 && hi <= 0xDFFF) {
		return fail(c, "unpaired surrogate in \\u escape");
	}
	if (cp == 0)
		return fail(c, "\\u0000 in a string");
	add_utf8(out, cp);
	return 0;
}

static int escape(struct cur *c, struct sbuf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (c->p >= c->end)
		return fail(c, "string not closed");
	char e = *c->p++;
	if (e == 'u')
		return unicode_escape(c, out);
	const char *hit = strchr(from, e);
	if (!hit || !e)
		return fail(c, "unknown escape in a string");
	sbuf_addch(out, to[hit - from]);
	return 0;
}

/* str: a JSON string; *out a malloc'd C string */
static int str(struct cur *c, char **out)
{
	if (lit(c, "\"") < 0)
		return -1;
	struct sbuf s = SBUF_INIT;
	for (;;) {
		if (c->p >= c->end) {
			fail(c, "string not closed");
			break;
		}
		unsigned char ch = (unsigned char)*c->p++;
		if (ch == '"') {
			*out = sbuf_detach(&s);
			return 0;
		}
		if (ch < 0x20 || ch == 0x7f) {
			c->p--;
			fail(c, "control character in a string");
			break;
		}
		if (ch == '\\') {
			if (escape(c, &s) < 0)
				break;
			continue;
		}
		/* a run of plain bytes at once (a manifest is mostly them; rounds read every line) */
		const char *run = c->p - 1;
		while (c->p < c->end && *c->p != '"' && *c->p != '\\' &&
		       (unsigned char)*c->p >= 0x20 && *c->p != 0x7f)
			c->p++;
		sbuf_add(&s, run, (size_t)(c->p - run));
	}
	sbuf_release(&s);
	return -1;
}

/* str_or_null: NULL for null */
static int str_or_null(struct cur *c, char **out)
{
	*out = NULL;
	if (peek(c, "null"))
		return lit(c, "null");
	return str(c, out);
}

/* num: a non-negative integer without leading zeros, at most max */
static int num(struct cur *c, uint64_t max, uint64_t *v)
{
	if (c->failed)
		return -1;
	const char *s = c->p;
	uint64_t n = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');
		if (n > (max - d) / 10)
			return fail(c, "number out of range");
		n = n * 10 + d;
		c->p++;
	}
	if (c->p == s)
		return fail(c, "expected a number");
	if (*s == '0' && c->p - s > 1) {
		c->p = s;
		return fail(c, "number with a leading zero");
	}
	*v = n;
	return 0;
}

static int num_or_null(struct cur *c, uint64_t max, bool *has, uint64_t *v)
{
	*has = !peek(c, "null");
	*v = 0;
	return *has ? num(c, max, v) : lit(c, "null");
}

static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* parse_time: exactly "YYYY-MM-DDTHH:MM:SSZ", a real date, to Unix seconds */
static int parse_time(const char *s, int64_t *t)
{
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return -1;
	struct tm tm = { 0 };
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t v = timegm(&tm);
	char back[32];
	mf_format_time((int64_t)v, back);
	if (strcmp(back, s))	/* 31 February and the like */
		return -1;
	*t = (int64_t)v;
	return 0;
}

void mf_format_time(int64_t t, char *out)
{
	time_t v = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&v, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(out, "?");
}

static int time_value(struct cur *c, int64_t *t)
{
	const char *at = c->p;
	char *s = NULL;
	if (str(c, &s) < 0)
		return -1;
	int ret = parse_time(s, t);
	free(s);
	if (ret < 0) {
		c->p = at;
		return fail(c, "not a time of the form YYYY-MM-DDTHH:MM:SSZ");
	}
	return 0;
}

/* ---- the run line ---------------------------------------------------------- */

static int command(struct cur *c, struct mf_run *r)
{
	if (lit(c, "[") < 0)
		return -1;
	do {
		char *s = NULL;
		if (str(c, &s) < 0)
			return -1;
		r->command = xreallocarray(r->command, r->ncommand + 1, sizeof(char *));
		r->command[r->ncommand++] = s;
	} while (peek(c, ",") && lit(c, ",") == 0);
	return lit(c, "]");
}

/* format_name: an output format that can be read back (the registry's list) */
static int format_name(struct cur *c, char **out)
{
	const char *at = c->p;
	if (str(c, out) < 0)
		return -1;
	if (formats_checker(*out))
		return 0;
	struct sbuf w = SBUF_INIT;
	sbuf_adds(&w, "format is none of ");
	const struct mail_driver *d;
	for (size_t i = 0, n = 0; (d = formats_driver_at(i)) != NULL; i++)
		if (d->check)
			sbuf_addf(&w, "%s%s", n++ ? ", " : "", d->name);
	c->p = at;
	fail(c, w.buf);
	sbuf_release(&w);
	return -1;
}

static int totals(struct cur *c, struct mf_totals *t)
{
	static const char *const keys[] = { "{\"messages\":", ",\"exported\":", ",\"skipped\":",
					     ",\"deleted\":", ",\"unreadable\":", ",\"bytes\":" };
	uint64_t *v[] = { &t->messages, &t->exported, &t->skipped, &t->deleted,
			  &t->unreadable, &t->bytes };
	for (size_t i = 0; i < 6; i++)
		if (lit(c, keys[i]) < 0 || num(c, UINT64_MAX, v[i]) < 0)
			return -1;
	return lit(c, "}");
}

static int run_fields(struct cur *c, struct mf_run *r)
{
	char *tool = NULL;
	lit(c, "{\"manifest\":1,\"tool\":");
	const char *at = c->p;
	if (str(c, &tool) == 0 && strcmp(tool, "mdexport")) {
		c->p = at;
		fail(c, "tool is not \"mdexport\"");
	}
	free(tool);
	lit(c, ",\"version\":");
	str(c, &r->version);
	lit(c, ",\"command\":");
	command(c, r);
	lit(c, ",\"started\":");
	time_value(c, &r->started);
	lit(c, ",\"ended\":");
	time_value(c, &r->ended);
	lit(c, ",\"host\":");
	str(c, &r->host);
	lit(c, ",\"source\":");
	str(c, &r->source);
	lit(c, ",\"format\":");
	format_name(c, &r->format);
	lit(c, ",\"mailbox\":");
	str(c, &r->mailbox);
	lit(c, ",\"output\":");
	str(c, &r->output);
	uint64_t round = 1;
	if (peek(c, ",\"round\":") && lit(c, ",\"round\":") == 0 && num(c, UINT32_MAX, &round) == 0 &&
	    round < 2)
		fail(c, "round is written only from 2 on");
	r->round = (unsigned)round;
	lit(c, ",\"totals\":");
	totals(c, &r->totals);
	lit(c, "}");
	if (!c->failed && c->p != c->end)
		fail(c, "text after the end of the object");
	return c->failed ? -1 : 0;
}

int mf_parse_run(const char *line, size_t len, struct mf_run *r, struct sbuf *err)
{
	struct cur c = { line, line, line + len, err, false };
	memset(r, 0, sizeof(*r));
	if (run_fields(&c, r) < 0) {
		mf_run_release(r);
		return -1;
	}
	return 0;
}

void mf_run_release(struct mf_run *r)
{
	for (size_t i = 0; i < r->ncommand; i++)
		free(r->command[i]);
	free(r->command);
	free(r->version);
	free(r->host);
	free(r->source);
	free(r->format);
	free(r->mailbox);
	free(r->output);
	memset(r, 0, sizeof(*r));
}

/* ---- a message line ------------------------------------------------------------ */

/* hex_value: a "sha256" string of 64 lower-case hex digits into hex */
static int hex_value(struct cur *c, char hex[65])
{
	const char *at = c->p;
	char *s = NULL;
	if (str(c, &s) < 0)
		return -1;
	bool ok = strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
	if (ok)
		memcpy(hex, s, 65);
	free(s);
	if (!ok) {
		c->p = at;
		return fail(c, "sha256 is not 64 lower-case hex digits");
	}
	return 0;
}

static int sha_value(struct cur *c, struct mf_entry *e)
{
	e->has_sha = !peek(c, "null");
	if (!e->has_sha)
		return lit(c, "null");
	return hex_value(c, e->sha256);
}

/* out_sha: the output object's "sha256" (issue 16) */
static int out_sha(struct cur *c, struct check_loc *o)
{
	lit(c, ",\"sha256\":");
	return hex_value(c, o->sha256);
}

/* flag_list: the IMAP names of the flags set, in the spec's order */
static int flag_list(struct cur *c, unsigned *flags)
{
	static const char *const names[] = { "\"\\\\Seen\"", "\"\\\\Answered\"",
					     "\"\\\\Flagged\"", "\"\\\\Deleted\"", "\"\\\\Draft\"" };
	static const unsigned bits[] = { MSG_SEEN, MSG_ANSWERED, MSG_FLAGGED, MSG_DELETED,
					 MSG_DRAFT };
	*flags = 0;
	if (lit(c, "[") < 0)
		return -1;
	size_t next = 0;
	bool first = true;
	while (!peek(c, "]")) {
		if (!first && lit(c, ",") < 0)
			return -1;
		size_t i = next;
		while (i < 5 && !peek(c, names[i]))
			i++;
		if (i == 5)
			return fail(c, "not a flag, or flags out of order (\\Seen, \\Answered, "
				    "\\Flagged, \\Deleted, \\Draft)");
		lit(c, names[i]);
		*flags |= bits[i];
		next = i + 1;
		first = false;
	}
	return lit(c, "]");
}

static int status_fields(struct cur *c, struct mf_entry *e)
{
	lit(c, ",\"status\":");
	if (peek(c, "\"exported\"")) {
		e->exported = true;
		lit(c, "\"exported\",\"reason\":null,\"detail\":null,\"output\":");
		return 0;
	}
	if (lit(c, "\"skipped\",\"reason\":") < 0)
		return -1;
	if (peek(c, "\"removed\"")) {	/* its output is kept: the object follows */
		e->reason = MF_REASON_REMOVED;
		lit(c, "\"removed\",\"detail\":");
		str_or_null(c, &e->detail);
		return lit(c, ",\"output\":");
	}
	if (peek(c, "\"deleted\"")) {
		e->reason = MF_REASON_DELETED;
		return lit(c, "\"deleted\",\"detail\":null,\"output\":null");
	}
	if (peek(c, "\"filtered\"")) {	/* left out by the export's filters */
		e->reason = MF_REASON_FILTERED;
		return lit(c, "\"filtered\",\"detail\":null,\"output\":null");
	}
	e->reason = peek(c, "\"changed\"") ? MF_REASON_CHANGED : MF_REASON_UNREADABLE;
	if (lit(c, e->reason == MF_REASON_CHANGED ? "\"changed\",\"detail\":" :
		   "\"unreadable\",\"detail\":") < 0 || str(c, &e->detail) < 0)
		return -1;
	return lit(c, ",\"output\":null");
}

/* loc_value: the value of one of the location keys a read-back names (check.h) */
static void loc_value(struct cur *c, const char *key, struct check_loc *o)
{
	uint64_t v = 0;
	struct sbuf k = SBUF_INIT;
	sbuf_addf(&k, ",\"%s\":", key);
	lit(c, k.buf);
	sbuf_release(&k);
	if (!strcmp(key, "offset")) {
		o->has_range = num(c, UINT64_MAX, &o->offset) == 0;
	} else if (!strcmp(key, "length")) {
		num(c, UINT64_MAX, &o->length);
	} else if (!strcmp(key, "folder")) {
		str(c, &o->folder);
	} else if (!strcmp(key, "nid")) {
		o->has_node = num(c, UINT32_MAX, &v) == 0;
		o->node = (uint32_t)v;
	}
}

/* output_object: "file", then the keys the format's read-back names, in its order */
static int output_object(struct cur *c, const char *format, bool item, struct check_loc *o)
{
	/* a groupware item a format keeps as text: its bytes in the folder's file (issue 14) */
	static const char *const text_keys[] = { "offset", "length", NULL };
	const struct mail_check_ops *ops = formats_checker(format);
	const struct mail_writer_ops *w = formats_writer(format);
	const char *const *keys = item && w && !w->native_items ? text_keys :
				  ops ? ops->loc_keys : NULL;
	lit(c, "{\"file\":");
	str(c, &o->file);
	for (size_t i = 0; keys && keys[i]; i++)
		loc_value(c, keys[i], o);
	if (peek(c, ",\"sha256\":"))	/* issue 16's: a manifest before it has none */
		out_sha(c, o);
	return lit(c, "}");
}

/* item_object: a groupware item's kind, ID, UID and why it was recovered (issue 14) */
static int item_object(struct cur *c, struct mf_entry *e)
{
	static const char *const kinds[] = { "\"calendar\"", "\"contact\"", "\"task\"",
					     "\"note\"" };
	static const enum item_kind values[] = { ITEM_CALENDAR, ITEM_CONTACT, ITEM_TASK,
						 ITEM_NOTE };
	lit(c, ",\"item\":{\"kind\":");
	for (size_t i = 0; i < 4 && !e->item_kind; i++)
		if (peek(c, kinds[i])) {
			lit(c, kinds[i]);
			e->item_kind = (int)values[i];
		}
	if (!e->item_kind)
		return fail(c, "an item's kind is calendar, contact, task or note");
	lit(c, ",\"id\":");
	str_or_null(c, &e->item_id);
	lit(c, ",\"uid\":");
	str_or_null(c, &e->item_uid);
	lit(c, ",\"recovered\":");
	str_or_null(c, &e->item_recovered);
	return lit(c, "}");
}

static int entry_fields(struct cur *c, const char *format, struct mf_entry *e)
{
	uint64_t v;
	lit(c, "{\"source\":");
	str(c, &e->source);
	lit(c, ",\"size\":");
	num_or_null(c, UINT64_MAX, &e->has_size, &e->size);
	lit(c, ",\"sha256\":");
	sha_value(c, e);
	lit(c, ",\"folder\":");
	str(c, &e->folder);
	lit(c, ",\"uidvalidity\":");
	if (num_or_null(c, UINT32_MAX, &e->has_uidvalidity, &v) == 0)
		e->uidvalidity = (uint32_t)v;
	lit(c, ",\"uid\":");
	if (num_or_null(c, UINT32_MAX, &e->has_uid, &v) == 0)
		e->uid = (uint32_t)v;
	lit(c, ",\"flags\":");
	flag_list(c, &e->flags);
	if (peek(c, ",\"written_flags\":")) {
		lit(c, ",\"written_flags\":");
		e->has_written_flags = flag_list(c, &e->written_flags) == 0;
	}
	lit(c, ",\"internal_date\":");
	time_value(c, &e->internal_date);
	lit(c, ",\"date_header\":");
	str_or_null(c, &e->date_header);
	lit(c, ",\"message_id\":");
	str_or_null(c, &e->message_id);
	if (peek(c, ",\"item\":"))
		item_object(c, e);
	if (status_fields(c, e) == 0 && (e->exported || e->reason == MF_REASON_REMOVED)) {
		e->has_output = true;
		output_object(c, format, e->item_kind != 0, &e->out);
	}
	lit(c, "}");
	if (!c->failed && c->p != c->end)
		fail(c, "text after the end of the object");
	return c->failed ? -1 : 0;
}

/* consistent: what the grammar alone cannot say */
static int consistent(const struct mf_entry *e, struct sbuf *err)
{
	if (e->reason == MF_REASON_CHANGED && e->has_sha) {
		sbuf_adds(err, "a message that changed while it was read has no sha256");
		return -1;
	}
	if (e->reason != MF_REASON_UNREADABLE && e->reason != MF_REASON_CHANGED &&
	    (!e->has_size || !e->has_sha)) {
		sbuf_adds(err, "size and sha256 may be null only for an unreadable or changed "
			  "message");
		return -1;
	}
	if (e->reason == MF_REASON_DELETED && !(e->flags & MSG_DELETED)) {
		sbuf_adds(err, "skipped as deleted, but its flags lack \\Deleted");
		return -1;
	}
	return 0;
}

int mf_parse_entry(const char *line, size_t len, const char *format, struct mf_entry *e,
		   struct sbuf *err)
{
	struct cur c = { line, line, line + len, err, false };
	memset(e, 0, sizeof(*e));
	if (entry_fields(&c, format, e) < 0 || consistent(e, err) < 0) {
		mf_entry_release(e);
		return -1;
	}
	return 0;
}

int64_t mf_read_line(FILE *f, struct sbuf *line, bool *newline)
{
	sbuf_reset(line);
	*newline = false;
	int64_t len = 0;
	int ch;
	while ((ch = getc_unlocked(f)) != EOF) {
		if (ch == '\n') {
			*newline = true;
			return len;
		}
		if (line->len < MF_LINE_MAX)
			sbuf_addch(line, ch);
		len++;
	}
	return len || line->len ? len : -1;
}

void mf_entry_release(struct mf_entry *e)
{
	free(e->source);
	free(e->folder);
	free(e->date_header);
	free(e->message_id);
	free(e->item_id);
	free(e->item_uid);
	free(e->item_recovered);
	free(e->detail);
	check_loc_release(&e->out);
	memset(e, 0, sizeof(*e));
}
