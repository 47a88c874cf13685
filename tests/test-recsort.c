/*
 * core/recsort: the records come back in cmp order (or in the order added)
 * whether they stay in memory or spill to many runs, with their bytes
 * intact, including records larger than a run's read buffer; a directory
 * that cannot hold the temporary file is an error, not lost records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/recsort.h"
#include "unit.h"

static char dir[] = "/tmp/test-recsort-XXXXXX";

/* rec: "key-<k>:" then filler to a length that depends on i (0 to 200, some 70,000) */
static size_t make_rec(char *buf, size_t cap, uint32_t k, size_t i)
{
	size_t n = (size_t)snprintf(buf, cap, "key-%010" PRIu32 ":", k);
	size_t pad = i % 97 == 3 ? 70000 : (i * 7) % 200;
	for (size_t j = 0; j < pad && n < cap; j++)
		buf[n++] = (char)('a' + (i + j) % 26);
	return n;
}

static uint32_t key_of(size_t i, size_t count)
{
	return (uint32_t)((i * 7919u) % count);	/* a permutation: count is not a multiple of 7919 */
}

static void check_case(const char *name, size_t count, size_t mem, bool sorted, bool spills)
{
	test_group(name);
	struct recsort *s = recsort_new(mem, sorted ? recsort_memcmp : NULL, dir);
	static char buf[80000], want[80000];
	for (size_t i = 0; i < count; i++)
		recsort_add(s, buf, make_rec(buf, sizeof(buf), key_of(i, count), i));
	test_assert(recsort_count(s) == count);
	const void *rec;
	size_t len;
	int r;
	/* sorted: key k came from the i with key_of(i) == k; unsorted: the i-th added */
	size_t *from = calloc(count, sizeof(*from));
	if (!from)
		abort();
	for (size_t i = 0; i < count; i++)
		from[key_of(i, count)] = i;
	/* twice: recsort_rewind gives the same records again */
	for (int pass = 0; pass < 2; pass++) {
		size_t got = 0, bad = 0;
		if (pass)
			recsort_rewind(s);
		while ((r = recsort_next(s, &rec, &len)) == 1) {
			size_t i = sorted ? from[got] : got;
			size_t wl = make_rec(want, sizeof(want), key_of(i, count), i);
			if (len != wl || memcmp(rec, want, wl))
				bad++;
			got++;
		}
		test_assert(r == 0);
		test_assert(got == count);
		test_assert(bad == 0);
		test_assert(spills ? recsort_runs(s) > 1 : recsort_runs(s) == 0);
		test_assert(recsort_next(s, &rec, &len) == 0);
	}
	free(from);
	recsort_free(s);
}

static void create_fails(void)
{
	test_group("no temporary file");
	struct recsort *s = recsort_new(64, recsort_memcmp, "/nonexistent/dir");
	for (int i = 0; i < 100; i++)
		recsort_add(s, "abcdefghij", 10);
	const void *rec;
	size_t len;
	test_assert(recsort_next(s, &rec, &len) == -1);
	struct sbuf msg = SBUF_INIT;
	test_assert(recsort_error(s, &msg) == ENOENT);
	test_assert(strstr(msg.buf, "/nonexistent/dir") != NULL);
	sbuf_release(&msg);
	recsort_free(s);
}

static void too_big(void)
{
	test_group("a record over RECSORT_MAX_REC");
	struct recsort *s = recsort_new(0, recsort_memcmp, dir);
	char *big = calloc(RECSORT_MAX_REC + 1, 1);
	if (!big)
		abort();
	recsort_add(s, "a", 1);
	recsort_add(s, big, RECSORT_MAX_REC + 1);
	free(big);
	const void *rec;
	size_t len;
	test_assert(recsort_next(s, &rec, &len) == -1);
	struct sbuf msg = SBUF_INIT;
	test_assert(recsort_error(s, &msg) == EINVAL);
	sbuf_release(&msg);
	recsort_free(s);
}

static void empty_case(void)
{
	test_group("empty");
	struct recsort *s = recsort_new(0, recsort_memcmp, dir);
	const void *rec;
	size_t len;
	test_assert(recsort_next(s, &rec, &len) == 0);
	test_assert(recsort_count(s) == 0);
	recsort_free(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	empty_case();
	check_case("sorted, in memory", 3001, 0, true, false);
	check_case("sorted, 4 KiB: many runs", 3001, 4096, true, true);
	check_case("sorted, 64 KiB: runs", 20011, 65536, true, true);
	check_case("in order added, in memory", 3001, 0, false, false);
	check_case("in order added, 4 KiB: many runs", 3001, 4096, false, true);
	create_fails();
	too_big();
	rmdir(dir);
	return test_done();
}
