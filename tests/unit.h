/*
 * A tiny TAP harness for the unit tests (after Dovecot's lib-test): each
 * test_assert prints "ok N - ..." or "not ok N - ...", test_done prints the
 * plan and the closing "N passed, N failed" line and returns the exit code.
 */
#ifndef MDX_UNIT_H
#define MDX_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_state {
	int run;
	int failed;
	const char *group;
};

static struct unit_state unit_state_;

#define test_group(name) (unit_state_.group = (name))

#define test_assert(expr) test_check_((expr) != 0, #expr, __FILE__, __LINE__, NULL)

#define test_assert_str(got, want) \
	test_check_str_((got), (want), #got, __FILE__, __LINE__)

#define test_assert_mem(got, glen, want, wlen) \
	test_check_mem_((got), (glen), (want), (wlen), #got, __FILE__, __LINE__)

static inline int test_check_(int ok, const char *what, const char *file, int line,
			      const char *detail)
{
	unit_state_.run++;
	if (!ok)
		unit_state_.failed++;
	printf("%sok %d - %s: %s\n", ok ? "" : "not ", unit_state_.run,
	       unit_state_.group ? unit_state_.group : "", what);
	if (!ok) {
		printf("#   at %s:%d\n", file, line);
		if (detail)
			printf("#   %s\n", detail);
	}
	return ok;
}

static inline void test_print_escaped_(const char *label, const char *p, size_t n)
{
	printf("#   %s: \"", label);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n')
			printf("\\n");
		else if (c == '\r')
			printf("\\r");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

static inline int test_check_mem_(const char *got, size_t glen, const char *want,
				  size_t wlen, const char *what, const char *file, int line)
{
	int ok = glen == wlen && !memcmp(got, want, glen);
	test_check_(ok, what, file, line, NULL);
	if (!ok) {
		test_print_escaped_("got ", got, glen);
		test_print_escaped_("want", want, wlen);
	}
	return ok;
}

static inline int test_check_str_(const char *got, const char *want, const char *what,
				  const char *file, int line)
{
	if (!got)
		return test_check_(0, what, file, line, "got NULL");
	return test_check_mem_(got, strlen(got), want, strlen(want), what, file, line);
}

static inline int test_done(void)
{
	printf("1..%d\n", unit_state_.run);
	printf("%d passed, %d failed\n", unit_state_.run - unit_state_.failed,
	       unit_state_.failed);
	return unit_state_.failed ? 1 : 0;
}

#endif
