/*
 * The strict JSON parser of json.h: recursive descent over the whole
 * document, depth-limited so that a hostile "[[[[..." cannot exhaust the
 * stack.  The first error stops the parse; its position is turned into a
 * line and a column only then.
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct parser {
	const char *start, *p, *end;
	size_t depth, max_depth;
	struct sbuf *err;
};

static void free_members(struct json_member *m, size_t n);

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fail: the error at byte at, as "line L, column C: what"; returns -1 */
static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	unsigned long line = 1, col = 1;
	for (const char *q = ps->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	sbuf_reset(ps->err);
	sbuf_addf(ps->err, "line %lu, column %lu: ", line, col);
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(ps->err, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

/* what_is_here: the next character for a message ("end of input" at the end) */
static const char *what_is_here(const struct parser *ps, char buf[8])
{
	if (ps->p >= ps->end)
		return "the end of the document";
	unsigned char c = (unsigned char)*ps->p;
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", c);
	return buf;
}

static int parse_value(struct parser *ps, struct json *out);

static int parse_literal(struct parser *ps, struct json *out)
{
	static const struct { const char *word; enum json_type t; } lits[] = {
		{ "null", JSON_NULL }, { "false", JSON_FALSE }, { "true", JSON_TRUE },
	};
	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		size_t n = strlen(lits[i].word);
		if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, lits[i].word, n)) {
			ps->p += n;
			out->type = lits[i].t;
			return 0;
		}
	}
	char buf[8];
	return fail(ps, ps->p, "expected a value, found %s", what_is_here(ps, buf));
}

static bool is_digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static size_t digits(struct parser *ps)
{
	size_t n = 0;
	for (; is_digit(ps); n++)
		ps->p++;
	return n;
}

/* number_syntax: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; *integer if neither part */
static int number_syntax(struct parser *ps, bool *integer)
{
	const char *at = ps->p;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (!is_digit(ps))
		return fail(ps, at, "a number needs a digit after '-'");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
		return fail(ps, at, "a number may not have a leading zero");
	digits(ps);
	*integer = true;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		*integer = false;
		if (!digits(ps))
			return fail(ps, ps->p, "a number needs a digit after '.'");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		*integer = false;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!digits(ps))
			return fail(ps, ps->p, "a number needs a digit in its exponent");
	}
	return 0;
}

/* parse_number: an int64 when it is a whole number that fits, else a double */
static int parse_number(struct parser *ps, struct json *out)
{
	const char *at = ps->p;
	bool integer = false;
	if (number_syntax(ps, &integer) < 0)
		return -1;
	char *text = xstrndup(at, (size_t)(ps->p - at));	/* strtod wants a C string */
	char *stop;
	errno = 0;
	if (integer) {
		long long v = strtoll(text, &stop, 10);
		if (errno != ERANGE) {
			out->type = JSON_INT;
			out->u.i = v;
			free(text);
			return 0;
		}
		errno = 0;
	}
	double d = strtod(text, &stop);
	bool huge = errno == ERANGE && (d > 1.0 || d < -1.0);	/* underflow to 0 is fine */
	free(text);
	if (huge)
		return fail(ps, at, "the number is too large for a double");
	out->type = JSON_DOUBLE;
	out->u.d = d;
	return 0;
}

static int hex4(struct parser *ps, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, ps->p++) {
		unsigned char c = ps->p < ps->end ? (unsigned char)*ps->p : 0;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return fail(ps, ps->p, "\\u needs four hexadecimal digits");
		*v = *v << 4 | d;
	}
	return 0;
}

static void add_utf8(struct sbuf *s, unsigned cp)
{
	if (cp < 0x80) {
		sbuf_addch(s, (int)cp);
	} else if (cp < 0x800) {
		sbuf_addch(s, (int)(0xc0 | cp >> 6));
		sbuf_addch(s, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sbuf_addch(s, (int)(0xe0 | cp >> 12));
		sbuf_addch(s, (int)(0x80 | (cp >> 6 & 0x3f)));
		sbuf_addch(s, (int)(0x80 | (cp & 0x3f)));
	} else {
		sbuf_addch(s, (int)(0xf0 | cp >> 18));
		sbuf_addch(s, (int)(0x80 | (cp >> 12 & 0x3f)));
		sbuf_addch(s, (int)(0x80 | (cp >> 6 & 0x3f)));
		sbuf_addch(s, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * unicode_escape: after "\u".  A surrogate pair is one character.  A lone
 * \udc80..\udcff is the byte 0x80..0xff: how sbuf_add_json_str (and
 * Python's "surrogateescape") write a byte that is not UTF-8, so that
 * mdexport's own documents read back to the bytes they name.  Any other
 * lone surrogate is an error.
 */
static int unicode_escape(struct parser *ps, struct sbuf *s)
{
	const char *at = ps->p - 2;
	unsigned cp, lo;
	if (hex4(ps, &cp) < 0)
		return -1;
	if (cp >= 0xdc80 && cp <= 0xdcff) {
		sbuf_addch(s, (int)(cp - 0xdc00));
		return 0;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ps, at, "a lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return fail(ps, at, "a high surrogate \\u%04x without its low half", cp);
		ps->p += 2;
		if (hex4(ps, &lo) < 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(ps, at, "a high surrogate \\u%04x without its low half", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	add_utf8(s, cp);
	return 0;
}

static int escape(struct parser *ps, struct sbuf *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at = ps->p++;	/* the backslash */
	if (ps->p >= ps->end)
		return fail(ps, at, "the string is not closed");
	const char *hit = *ps->p ? strchr(from, *ps->p) : NULL;
	if (hit) {
		sbuf_addch(s, to[hit - from]);
		ps->p++;
		return 0;
	}
	if (*ps->p++ == 'u')
		return unicode_escape(ps, s);
	return fail(ps, at, "an unknown escape \\%c", ps->p[-1]);
}

/* utf8_len: bytes of the well-formed UTF-8 sequence at p (RFC 3629), or 0 */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (p[0] > 0xf4 || n == 0 || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	unsigned lo = 0x80, hi = 0xbf;	/* the second byte's range: no overlong, no surrogate */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	return p[1] >= lo && p[1] <= hi ? n : 0;
}

/* parse_string: at the opening quote; the value into s */
static int parse_string(struct parser *ps, struct sbuf *s)
{
	const char *open = ps->p++;
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, open, "the string is not closed");
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			return 0;
		}
		if (c == '\\') {
			if (escape(ps, s) < 0)
				return -1;
		} else if (c < 0x20) {
			return fail(ps, ps->p, "a control character (0x%02x) in a string", c);
		} else if (c < 0x80) {
			sbuf_addch(s, c);
			ps->p++;
		} else {
			size_t n = utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
			if (!n)
				return fail(ps, ps->p, "a string that is not UTF-8");
			sbuf_add(s, ps->p, n);
			ps->p += n;
		}
	}
}

static int string_value(struct parser *ps, char **str, size_t *len)
{
	struct sbuf s = SBUF_INIT;
	if (parse_string(ps, &s) < 0) {
		sbuf_release(&s);
		return -1;
	}
	*len = s.len;
	*str = sbuf_detach(&s);
	return 0;
}

/* expect_more: after a member or an element: ',' (true) or the closing bracket */
static int expect_more(struct parser *ps, char close, bool *more)
{
	skip_ws(ps);
	if (ps->p < ps->end && (*ps->p == ',' || *ps->p == close)) {
		*more = *ps->p++ == ',';
		return 0;
	}
	char buf[8];
	return fail(ps, ps->p, "expected ',' or '%c', found %s", close, what_is_here(ps, buf));
}

static int parse_array(struct parser *ps, struct json *out)
{
	struct json *v = NULL;
	size_t n = 0, cap = 0;
	bool more = true;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		more = false;
	}
	while (more) {
		if (n == cap)
			v = xreallocarray(v, cap = cap ? 2 * cap : 4, sizeof(*v));
		if (parse_value(ps, &v[n]) < 0)
			goto bad;
		n++;
		if (expect_more(ps, ']', &more) < 0)
			goto bad;
	}
	*out = (struct json){ .type = JSON_ARRAY, .u.arr = { v, n } };
	return 0;
bad:
	for (size_t i = 0; i < n; i++)
		json_free(&v[i]);
	free(v);
	return -1;
}

struct key_ref {
	const char *key;
	size_t len;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* duplicate_key: a key twice in m[0..n) (sorted copy: no quadratic scan), or NULL */
static const char *duplicate_key(const struct json_member *m, size_t n)
{
	const char *dup = NULL;
	if (n < 2)
		return NULL;
	struct key_ref *s = xreallocarray(NULL, n, sizeof(*s));
	for (size_t i = 0; i < n; i++)
		s[i] = (struct key_ref){ m[i].key, m[i].keylen };
	qsort(s, n, sizeof(*s), key_cmp);
	for (size_t i = 1; i < n && !dup; i++)
		if (!key_cmp(&s[i - 1], &s[i]))
			dup = s[i].key;
	free(s);
	return dup;
}

static int parse_member(struct parser *ps, struct json_member *m)
{
	skip_ws(ps);
	char buf[8];
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, ps->p, "expected a key (a string), found %s", what_is_here(ps, buf));
	if (string_value(ps, &m->key, &m->keylen) < 0)
		return -1;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':') {
		free(m->key);
		return fail(ps, ps->p, "expected ':' after a key, found %s", what_is_here(ps, buf));
	}
	ps->p++;
	if (parse_value(ps, &m->value) < 0) {
		free(m->key);
		return -1;
	}
	return 0;
}

static int parse_object(struct parser *ps, struct json *out)
{
	const char *open = ps->p++;
	struct json_member *m = NULL;
	size_t n = 0, cap = 0;
	bool more = true;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		more = false;
	}
	while (more) {
		if (n == cap)
			m = xreallocarray(m, cap = cap ? 2 * cap : 8, sizeof(*m));
		if (parse_member(ps, &m[n]) < 0)
			goto bad;
		n++;
		if (expect_more(ps, '}', &more) < 0)
			goto bad;
	}
	const char *dup = duplicate_key(m, n);
	if (dup) {
		fail(ps, open, "the object has the key \"%s\" twice", dup);
		goto bad;
	}
	*out = (struct json){ .type = JSON_OBJECT, .u.obj = { m, n } };
	return 0;
bad:
	free_members(m, n);
	return -1;
}

static int parse_value(struct parser *ps, struct json *out)
{
	memset(out, 0, sizeof(*out));
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "expected a value, found the end of the document");
	char c = *ps->p;
	if (c == '"') {
		if (string_value(ps, &out->u.str.s, &out->u.str.len) < 0)
			return -1;
		out->type = JSON_STRING;
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(ps, out);
	if (c != '[' && c != '{')
		return parse_literal(ps, out);
	if (ps->depth == ps->max_depth)
		return fail(ps, ps->p, "nested deeper than %zu arrays and objects", ps->max_depth);
	ps->depth++;
	int ret = c == '[' ? parse_array(ps, out) : parse_object(ps, out);
	ps->depth--;
	return ret;
}

int json_parse(const char *text, size_t len, const struct json_limits *lim, struct json *out,
	       struct sbuf *err)
{
	struct parser ps = { .start = text, .p = text, .end = text + len,
			     .max_depth = lim && lim->max_depth ? lim->max_depth : 64, .err = err };
	memset(out, 0, sizeof(*out));
	if (lim && lim->max_size && len > lim->max_size)
		return fail(&ps, text, "the document is %zu bytes, more than the limit of %zu",
			    len, lim->max_size);
	if (parse_value(&ps, out) < 0) {
		memset(out, 0, sizeof(*out));	/* a failed value holds nothing to free */
		return -1;
	}
	skip_ws(&ps);
	if (ps.p < ps.end) {
		json_free(out);
		return fail(&ps, ps.p, "more after the end of the document");
	}
	return 0;
}

static void free_members(struct json_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].key);
		json_free(&m[i].value);
	}
	free(m);
}

void json_free(struct json *v)
{
	if (v->type == JSON_STRING) {
		free(v->u.str.s);
	} else if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++)
			json_free(&v->u.arr.v[i]);
		free(v->u.arr.v);
	} else if (v->type == JSON_OBJECT) {
		free_members(v->u.obj.v, v->u.obj.n);
	}
	memset(v, 0, sizeof(*v));
}

const struct json *json_get(const struct json *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < v->u.obj.n; i++)
		if (v->u.obj.v[i].keylen == n && !memcmp(v->u.obj.v[i].key, key, n))
			return &v->u.obj.v[i].value;
	return NULL;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {
		"null", "false", "true", "a number", "a number", "a string", "an array",
		"an object",
	};
	return names[t];
}
