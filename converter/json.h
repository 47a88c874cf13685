/*
 * A small strict JSON parser (RFC 8259): a whole document into a tree.
 * For reading mdexport's own documents back (`mdexport report`), so it is
 * strict rather than forgiving: no comments, no trailing commas, no
 * duplicate keys, no invalid UTF-8, no lone surrogates, nothing after the
 * value.  Errors say where: "line L, column C: what" (column in bytes, both
 * from 1).  Thread-safe: no state outside its arguments.
 */
#ifndef MDX_JSON_H
#define MDX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_INT, JSON_DOUBLE, JSON_STRING, JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json {
	enum json_type type;
	union {
		int64_t i;	/* JSON_INT: a number without fraction or exponent that fits */
		double d;	/* JSON_DOUBLE: any other number */
		struct { char *s; size_t len; } str;	/* NUL-terminated; may hold NULs */
		struct { struct json *v; size_t n; } arr;
		struct { struct json_member *v; size_t n; } obj;	/* in document order */
	} u;
};

struct json_member {
	char *key;		/* NUL-terminated */
	size_t keylen;
	struct json value;
};

struct json_limits {
	size_t max_depth;	/* arrays and objects nested; 0: 64 */
	size_t max_size;	/* bytes of the document; 0: no limit here */
};

/*
 * json_parse: text[0..len) into *out.  Returns 0, or -1 with "line L,
 * column C: what" in err (and *out left empty: nothing to free).
 */
int json_parse(const char *text, size_t len, const struct json_limits *lim, struct json *out,
	       struct sbuf *err);
void json_free(struct json *v);

/* json_get: the member key of an object; NULL when v is not an object or has no such key */
const struct json *json_get(const struct json *v, const char *key);
/* json_type_name: "null", "a number", ... for messages */
const char *json_type_name(enum json_type t);

#endif
