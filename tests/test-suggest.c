/* converter/suggest.c: the nearest option, command or format to a mistyped word */
#include "converter/suggest.h"
#include "unit.h"

static void test_distance(void)
{
	test_group("suggest_distance");
	test_assert(suggest_distance("format", "format") == 0);
	test_assert(suggest_distance("fromat", "format") == 1);	/* a swap */
	test_assert(suggest_distance("formt", "format") == 1);	/* a deletion */
	test_assert(suggest_distance("formaat", "format") == 1);	/* an insertion */
	test_assert(suggest_distance("formet", "format") == 1);	/* a substitution */
	test_assert(suggest_distance("FORMAT", "format") == 0);	/* case does not count */
	test_assert(suggest_distance("", "abc") == 3);
	test_assert(suggest_distance("abc", "") == 3);
	test_assert(suggest_distance("ca", "abc") == 3);
	test_assert(suggest_distance("kitten", "sitting") == 3);
}

static void test_nearest(void)
{
	test_group("suggest_nearest");
	static const char *const opts[] = { "format", "output", "user", "domain", "folder",
					    "jobs", "json" };
	size_t n = sizeof(opts) / sizeof(opts[0]);
	test_assert_str(suggest_nearest("fromat", opts, n), "format");
	test_assert_str(suggest_nearest("ouptut", opts, n), "output");
	test_assert_str(suggest_nearest("usr", opts, n), "user");
	test_assert_str(suggest_nearest("jsno", opts, n), "json");	/* jobs is 3 away */
	test_assert(suggest_nearest("bogus", opts, n) == NULL);
	test_assert(suggest_nearest("x", opts, n) == NULL);
	/* two edits of a four-letter word is half of it: no guess */
	test_assert(suggest_nearest("jxbx", opts, n) == NULL);
	static const char *const cmds[] = { "list", "export", "verify", "report", "accounts" };
	test_assert_str(suggest_nearest("Export", cmds, 5), "export");
	test_assert_str(suggest_nearest("exprot", cmds, 5), "export");
	test_assert_str(suggest_nearest("verfiy", cmds, 5), "verify");
	test_assert_str(suggest_nearest("lsit", cmds, 5), "list");
	test_assert(suggest_nearest("frobnicate", cmds, 5) == NULL);
	const char *with_null[] = { NULL, "pst" };
	test_assert_str(suggest_nearest("psd", with_null, 2), "pst");
}

int main(void)
{
	test_distance();
	test_nearest();
	return test_done();
}
