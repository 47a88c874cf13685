/*
 * Unit tests for the text of the import files (converter/importmap.c):
 * the names of a mapping's parts, RFC 4180 fields and PowerShell
 * single-quoted strings (', and the typographic quotes PowerShell also
 * ends such a string at, doubled).
 */
#include <stdlib.h>
#include <string.h>

#include "converter/importmap.h"
#include "unit.h"

static void part(const char *file, unsigned n, const char *want)
{
	char *got = importmap_part_name(file, n);
	test_assert_str(got, want);
	free(got);
}

static void test_part_names(void)
{
	test_group("part names");
	part("map.csv", 0, "map.csv");
	part("map.csv", 1, "map-002.csv");
	part("map.csv", 11, "map-012.csv");
	part("dir.d/map", 1, "dir.d/map-002");
	part("/a/b.c/map.x.csv", 2, "/a/b.c/map.x-003.csv");
	part(".csv", 1, ".csv-002");
	part("map.csv", 999, "map-1000.csv");
}

static void field(const char *s, const char *want)
{
	struct sbuf out = SBUF_INIT;
	importmap_csv_field(&out, s);
	test_assert_str(out.buf, want);
	sbuf_release(&out);
}

static void test_csv(void)
{
	test_group("csv fields");
	field("", "");
	field("alice@example.com", "alice@example.com");
	field("a,b", "\"a,b\"");
	field("say \"hi\"", "\"say \"\"hi\"\"\"");
	field("two\r\nlines", "\"two\r\nlines\"");
	field("lf\nonly", "\"lf\nonly\"");
	field("'single' stays", "'single' stays");
}

static void quote(const char *s, const char *want)
{
	struct sbuf out = SBUF_INIT;
	importmap_ps_quote(&out, s);
	test_assert_str(out.buf, want);
	sbuf_release(&out);
}

static void test_powershell(void)
{
	test_group("powershell quoting");
	quote("", "''");
	quote("\\\\srv\\share\\a.pst", "'\\\\srv\\share\\a.pst'");
	quote("o'brien", "'o''brien'");
	quote("$(rm -r /) `x` \"y\"", "'$(rm -r /) `x` \"y\"'");
	quote("it\xE2\x80\x99s", "'it\xE2\x80\x99\xE2\x80\x99s'");	/* U+2019 */
	quote("\xE2\x80\x98x\xE2\x80\x9A\xE2\x80\x9B",
	      "'\xE2\x80\x98\xE2\x80\x98x\xE2\x80\x9A\xE2\x80\x9A\xE2\x80\x9B\xE2\x80\x9B'");
	quote("\xE2\x80\x9C\xE2\x80\x9D", "'\xE2\x80\x9C\xE2\x80\x9D'");	/* double quotes: as is */
	quote("\xC3\xBC", "'\xC3\xBC'");
}

int main(void)
{
	test_part_names();
	test_csv();
	test_powershell();
	return test_done();
}
