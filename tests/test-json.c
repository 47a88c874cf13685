/*
 * Unit tests for the strict JSON parser (converter/json.c): every kind of
 * value, string escapes and surrogate pairs, numbers as int64 or double,
 * mdexport's own \udcXX bytes read back; and documents that must fail,
 * each with the line and column of the fault and what it is, including the
 * depth and size limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "converter/json.h"
#include "unit.h"

static int parse(const char *text, struct json *v, struct sbuf *err)
{
	return json_parse(text, strlen(text), NULL, v, err);
}

static void test_values(void)
{
	test_group("values");
	struct json v;
	struct sbuf err = SBUF_INIT;
	const char *doc = " {\"a\": [1, -2, 3.5, 1e3, -0, true, false, null, \"x\"],\n"
			  "  \"b\": {}, \"c\": [], \"d\": {\"e\": {\"f\": \"\"}}} \n";
	test_assert(parse(doc, &v, &err) == 0);
	test_assert(v.type == JSON_OBJECT && v.u.obj.n == 4);
	const struct json *a = json_get(&v, "a");
	test_assert(a && a->type == JSON_ARRAY && a->u.arr.n == 9);
	if (a && a->u.arr.n == 9) {
		test_assert(a->u.arr.v[0].type == JSON_INT && a->u.arr.v[0].u.i == 1);
		test_assert(a->u.arr.v[1].type == JSON_INT && a->u.arr.v[1].u.i == -2);
		test_assert(a->u.arr.v[2].type == JSON_DOUBLE && a->u.arr.v[2].u.d == 3.5);
		test_assert(a->u.arr.v[3].type == JSON_DOUBLE && a->u.arr.v[3].u.d == 1000.0);
		test_assert(a->u.arr.v[4].type == JSON_INT && a->u.arr.v[4].u.i == 0);
		test_assert(a->u.arr.v[5].type == JSON_TRUE);
		test_assert(a->u.arr.v[6].type == JSON_FALSE);
		test_assert(a->u.arr.v[7].type == JSON_NULL);
		test_assert(a->u.arr.v[8].type == JSON_STRING);
		test_assert_str(a->u.arr.v[8].u.str.s, "x");
	}
	const struct json *b = json_get(&v, "b"), *c = json_get(&v, "c");
	test_assert(b && b->type == JSON_OBJECT && b->u.obj.n == 0);
	test_assert(c && c->type == JSON_ARRAY && c->u.arr.n == 0);
	const struct json *f = json_get(json_get(json_get(&v, "d"), "e"), "f");
	test_assert(f && f->type == JSON_STRING && f->u.str.len == 0);
	test_assert(json_get(&v, "z") == NULL);
	test_assert(json_get(a, "a") == NULL);	/* not an object */
	json_free(&v);
	/* a scalar is a document too */
	test_assert(parse("42", &v, &err) == 0 && v.type == JSON_INT && v.u.i == 42);
	test_assert(parse("\"s\"", &v, &err) == 0 && v.type == JSON_STRING);
	json_free(&v);
	sbuf_release(&err);
}

static void test_numbers(void)
{
	test_group("numbers");
	struct json v;
	struct sbuf err = SBUF_INIT;
	test_assert(parse("9223372036854775807", &v, &err) == 0 && v.type == JSON_INT &&
		    v.u.i == INT64_MAX);
	test_assert(parse("-9223372036854775808", &v, &err) == 0 && v.type == JSON_INT &&
		    v.u.i == INT64_MIN);
	/* one more than int64 holds: a double, not a wrapped integer */
	test_assert(parse("9223372036854775808", &v, &err) == 0 && v.type == JSON_DOUBLE &&
		    v.u.d == 9223372036854775808.0);
	test_assert(parse("0.125", &v, &err) == 0 && v.type == JSON_DOUBLE && v.u.d == 0.125);
	test_assert(parse("-1.5E-2", &v, &err) == 0 && v.type == JSON_DOUBLE &&
		    v.u.d + 0.015 < 1e-12 && v.u.d + 0.015 > -1e-12);
	test_assert(parse("2e+2", &v, &err) == 0 && v.type == JSON_DOUBLE && v.u.d == 200.0);
	test_assert(parse("1e-400", &v, &err) == 0 && v.type == JSON_DOUBLE);	/* underflow: 0 */
	sbuf_release(&err);
}

static void test_strings(void)
{
	test_group("strings");
	struct json v;
	struct sbuf err = SBUF_INIT;
	test_assert(parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", &v, &err) == 0);
	test_assert_str(v.u.str.s, "\" \\ / \b \f \n \r \t");
	json_free(&v);
	/* \u: one, two and three UTF-8 bytes, a surrogate pair as four, and NUL kept */
	test_assert(parse("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"", &v, &err) == 0);
	test_assert_mem(v.u.str.s, v.u.str.len, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z", 12);
	json_free(&v);
	/* UTF-8 as is */
	test_assert(parse("\"Gr\xc3\xbc\xc3\x9f\xe2\x82\xac\xf0\x9f\x98\x80\"", &v, &err) == 0);
	test_assert_str(v.u.str.s, "Gr\xc3\xbc\xc3\x9f\xe2\x82\xac\xf0\x9f\x98\x80");
	json_free(&v);
	/* \udcXX: the byte sbuf_add_json_str wrote for a byte that is not UTF-8 */
	struct sbuf w = SBUF_INIT;
	sbuf_add_json_str(&w, "Ordner-\xe4-\xff");
	test_assert(parse(w.buf, &v, &err) == 0);
	test_assert_str(v.u.str.s, "Ordner-\xe4-\xff");
	json_free(&v);
	sbuf_release(&w);
	sbuf_release(&err);
}

/* bad: the document fails with "line L, column C: <what...>" */
static void bad(const char *doc, size_t len, const char *where_what)
{
	struct json v;
	struct sbuf err = SBUF_INIT;
	int ret = json_parse(doc, len, NULL, &v, &err);
	test_assert(ret == -1);
	test_assert(v.type == JSON_NULL);
	if (!test_assert(strncmp(err.buf, where_what, strlen(where_what)) == 0))
		printf("#   got \"%s\"\n#   want \"%s...\"\n", err.buf, where_what);
	if (ret == 0)
		json_free(&v);
	sbuf_release(&err);
}

#define BAD(doc, want) bad((doc), sizeof(doc) - 1, (want))

static void test_invalid(void)
{
	test_group("invalid");
	BAD("", "line 1, column 1: expected a value, found the end");
	BAD("   \n  ", "line 2, column 3: expected a value, found the end");
	BAD("{\"a\": 1,}", "line 1, column 9: expected a key (a string), found '}'");
	BAD("[1, 2,]", "line 1, column 7: expected a value, found ']'");
	BAD("[1 2]", "line 1, column 4: expected ',' or ']', found '2'");
	BAD("{\"a\" 1}", "line 1, column 6: expected ':' after a key");
	BAD("{\"a\": 1,\n \"a\": 2}", "line 1, column 1: the object has the key \"a\" twice");
	BAD("{a: 1}", "line 1, column 2: expected a key (a string), found 'a'");
	BAD("[1]\n[2]", "line 2, column 1: more after the end of the document");
	BAD("// no\n1", "line 1, column 1: expected a value, found '/'");
	BAD("tru", "line 1, column 1: expected a value, found 't'");
	BAD("NaN", "line 1, column 1: expected a value, found 'N'");
	BAD("01", "line 1, column 1: a number may not have a leading zero");
	BAD("-", "line 1, column 1: a number needs a digit after '-'");
	BAD("1.", "line 1, column 3: a number needs a digit after '.'");
	BAD(".5", "line 1, column 1: expected a value, found '.'");
	BAD("1e", "line 1, column 3: a number needs a digit in its exponent");
	BAD("+1", "line 1, column 1: expected a value, found '+'");
	BAD("1e999", "line 1, column 1: the number is too large");
	BAD("\"abc", "line 1, column 1: the string is not closed");
	BAD("[\"a\tb\"]", "line 1, column 4: a control character (0x09) in a string");
	BAD("\"\\x\"", "line 1, column 2: an unknown escape \\x");
	BAD("\"\\u12g4\"", "line 1, column 6: \\u needs four hexadecimal digits");
	BAD("\"\\ud83d\"", "line 1, column 2: a high surrogate \\ud83d without its low half");
	BAD("\"\\ud83d\\u0041\"", "line 1, column 2: a high surrogate");
	BAD("\"\\ude00\"", "line 1, column 2: a lone low surrogate \\ude00");
	BAD("\"\xc3\"", "line 1, column 2: a string that is not UTF-8");
	BAD("\"\xc0\xaf\"", "line 1, column 2: a string that is not UTF-8");	/* overlong '/' */
	BAD("\"\xed\xa0\x80\"", "line 1, column 2: a string that is not UTF-8");	/* surrogate */
	BAD("\"\xf4\x90\x80\x80\"", "line 1, column 2: a string that is not UTF-8");	/* > U+10FFFF */
	BAD("\"a\0b\"", "line 1, column 3: a control character (0x00)");
	BAD("{\"k\":\n  [1,\n   {\"x\": nul}]}", "line 3, column 10: expected a value, found 'n'");
}

static void test_limits(void)
{
	test_group("limits");
	struct json v;
	struct sbuf err = SBUF_INIT;
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	struct json_limits lim = { .max_depth = 100 };
	test_assert(json_parse(deep, sizeof(deep), &lim, &v, &err) == 0);
	json_free(&v);
	lim.max_depth = 99;
	test_assert(json_parse(deep, sizeof(deep), &lim, &v, &err) == -1);
	test_assert_str(err.buf, "line 1, column 100: nested deeper than 99 arrays and objects");
	/* the default: 64 */
	test_assert(json_parse(deep, sizeof(deep), NULL, &v, &err) == -1);
	test_assert(strstr(err.buf, "column 65: nested deeper than 64") != NULL);
	struct json_limits small = { .max_size = 4 };
	test_assert(json_parse("12345", 5, &small, &v, &err) == -1);
	test_assert(strstr(err.buf, "5 bytes, more than the limit of 4") != NULL);
	test_assert(json_parse("1234", 4, &small, &v, &err) == 0 && v.u.i == 1234);
	sbuf_release(&err);
}

int main(void)
{
	test_values();
	test_numbers();
	test_strings();
	test_invalid();
	test_limits();
	return test_done();
}
