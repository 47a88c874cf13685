/*
 * Unit tests for the external sort (formats/pst/spill.c): records come back
 * in key order with every byte intact, whatever the order they went in
 * and however small the memory buffer (so that runs are written, extended
 * and merged level by level); in-order input stays one run; the temporary
 * file lives in the given directory with no name there; failures to
 * create or write it are reported, never a wrong result.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pst/spill.h"
#include "testutil.h"
#include "unit.h"

struct rec {
	uint64_t key;
	uint64_t a, b;		/* derived from the key: checked on the way out */
};

static struct rec make(uint64_t key)
{
	return (struct rec){ key, key * 0x9E3779B97F4A7C15ull, ~key };
}

struct seen {
	uint64_t count, bad, disorder, sum;
	uint64_t last;
	uint64_t stop_after;	/* 0: never stop */
};

static int check_rec(void *ctx, const void *p)
{
	struct seen *s = ctx;
	struct rec r;
	memcpy(&r, p, sizeof(r));
	struct rec want = make(r.key);
	s->bad += r.a != want.a || r.b != want.b;
	s->disorder += s->count && r.key < s->last;
	s->last = r.key;
	s->sum += r.key;
	s->count++;
	return s->stop_after && s->count == s->stop_after ? -1 : 0;
}

static char dir[] = "/tmp/mdx-spill-XXXXXX";

/*
 * sort_case: n records with keys key(i), limit in memory; all must come
 * back ascending and intact; runs_max: the most runs there may be before
 * draining (merging keeps them few).
 */
static void sort_case(const char *what, size_t n, size_t limit, uint64_t (*key)(size_t, size_t),
		      unsigned runs_min, unsigned runs_max)
{
	test_group(what);
	struct pst_spill *s = pst_spill_new(dir, sizeof(struct rec), limit, "the test list");
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		struct rec r = make(key(i, n));
		sum += r.key;
		pst_spill_add(s, &r);
	}
	unsigned runs = pst_spill_runs(s);
	printf("# %s: %u runs\n", what, runs);
	test_assert(runs >= runs_min && runs <= runs_max);
	test_assert(pst_spill_count(s) == n);
	test_assert(test_tmp_fds(dir) == (n > limit ? 1 : 0));
	test_assert(test_dir_entries(dir) == 0);
	struct seen got = { 0 };
	test_assert(pst_spill_drain(s, check_rec, &got) == 0);
	test_assert(got.count == n && got.bad == 0 && got.disorder == 0 && got.sum == sum);
	struct sbuf msg = SBUF_INIT;
	test_assert(pst_spill_error(s, &msg) == 0 && msg.len == 0);
	sbuf_release(&msg);
	pst_spill_free(s);
	test_assert(test_tmp_fds(dir) == 0);
}

static uint64_t ascending(size_t i, size_t n) { (void)n; return 3 * (uint64_t)i + 1; }
static uint64_t descending(size_t i, size_t n) { return (uint64_t)(n - i); }
/* a permutation of 0..n-1 (7919 is prime and does not divide n) */
static uint64_t shuffled(size_t i, size_t n) { return (uint64_t)(i * 7919 % n); }
/* every key twice, far apart: duplicates in different runs come out adjacent */
static uint64_t twice(size_t i, size_t n) { return (uint64_t)(i % (n / 2)) * 2654435761u % 100003; }

/* keys_case: the exact multiset back, for a shuffled permutation */
static void keys_case(void)
{
	enum { N = 30011, LIMIT = 10 };
	test_group("a permutation, 10 records in memory: each key once");
	struct pst_spill *s = pst_spill_new(dir, sizeof(struct rec), LIMIT, "the test list");
	for (size_t i = 0; i < N; i++) {
		struct rec r = make(shuffled(i, N));
		pst_spill_add(s, &r);
	}
	struct seen got = { 0 };
	test_assert(pst_spill_drain(s, check_rec, &got) == 0);
	/* ascending and N of them from a permutation of 0..N-1: the last key is N-1 */
	test_assert(got.count == N && got.disorder == 0 && got.last == N - 1 && got.bad == 0);
	pst_spill_free(s);
}

static void stop_case(void)
{
	test_group("the consumer stops the drain");
	struct pst_spill *s = pst_spill_new(dir, sizeof(struct rec), 16, "the test list");
	for (size_t i = 0; i < 1000; i++) {
		struct rec r = make(shuffled(i, 1000));
		pst_spill_add(s, &r);
	}
	struct seen got = { .stop_after = 10 };
	test_assert(pst_spill_drain(s, check_rec, &got) == -1);
	test_assert(got.count == 10 && got.last == 9);
	struct sbuf msg = SBUF_INIT;
	test_assert(pst_spill_error(s, &msg) == 0);
	sbuf_release(&msg);
	pst_spill_free(s);
}

static void create_fails(void)
{
	test_group("the temporary file cannot be created");
	char gone[64];
	snprintf(gone, sizeof(gone), "%s/no-such-dir", dir);
	struct pst_spill *s = pst_spill_new(gone, sizeof(struct rec), 4, "the test list");
	for (size_t i = 0; i < 100; i++) {
		struct rec r = make(i);
		pst_spill_add(s, &r);
	}
	struct seen got = { 0 };
	test_assert(pst_spill_drain(s, check_rec, &got) == -1 && got.count == 0);
	struct sbuf msg = SBUF_INIT, want = SBUF_INIT;
	test_assert(pst_spill_error(s, &msg) == ENOENT);
	sbuf_addf(&want, "temporary file for the test list in '%s': create failed: %s", gone,
		  strerror(ENOENT));
	test_assert_str(msg.buf, want.buf);
	test_assert(pst_spill_count(s) == 100);
	sbuf_release(&msg);
	sbuf_release(&want);
	pst_spill_free(s);
}

/*
 * write_fails: a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes
 * writing the temporary file fail with EFBIG, as a full disk would.
 */
static void write_fails(void)
{
	test_group("the temporary file cannot be written");
	struct rlimit old, small = { 64 * 1024, 0 };
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	struct pst_spill *s = pst_spill_new(dir, sizeof(struct rec), 100, "the test list");
	test_assert(setrlimit(RLIMIT_FSIZE, &small) == 0);
	for (size_t i = 0; i < 20000; i++) {	/* 480 KB of records */
		struct rec r = make(i);
		pst_spill_add(s, &r);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	struct seen got = { 0 };
	test_assert(pst_spill_drain(s, check_rec, &got) == -1 && got.count == 0);
	struct sbuf msg = SBUF_INIT, want = SBUF_INIT;
	test_assert(pst_spill_error(s, &msg) == EFBIG);
	sbuf_addf(&want, "temporary file for the test list in '%s': write failed: %s", dir,
		  strerror(EFBIG));
	test_assert_str(msg.buf, want.buf);
	sbuf_release(&msg);
	sbuf_release(&want);
	pst_spill_free(s);
	test_assert(test_tmp_fds(dir) == 0 && test_dir_entries(dir) == 0);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	sort_case("all in memory", 1000, 4096, shuffled, 0, 0);
	sort_case("in order, 100 in memory: one run, extended", 100000, 100, ascending, 1, 1);
	/* 2,000 buffers of 50: level-0 runs merge by 16 into level 1, those into level 2 */
	sort_case("descending, 50 in memory: runs merged", 100000, 50, descending, 2, 45);
	sort_case("shuffled, 7 in memory", 50000, 7, shuffled, 2, 60);
	sort_case("duplicate keys, 33 in memory", 40000, 33, twice, 2, 60);
	sort_case("one in memory", 5000, 1, shuffled, 2, 60);
	keys_case();
	stop_case();
	create_fails();
	write_fails();
	rmdir(dir);
	return test_done();
}
