/*
 * Replays inputs through one fuzz target (FUZZ_TARGET, linked with it) as
 * a TAP test, one "ok" line per file, without libFuzzer or clang.  Given
 * files, replays those; given none, every file of tests/fuzz/corpus/<target>/
 * (the seeds) and tests/fuzz/regress/<target>/ (inputs that once crashed),
 * from the top of the source tree (where tools/run-tests runs it).  A
 * crash or a broken invariant aborts the run; the last "# replaying" line
 * names the input.  Run from the top of the tree, it also turns on the
 * targets' slow checks (MDX_FUZZ_PSTCHECK=tools/pstcheck).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"<name>\"'"
#endif

static int ran;

static int read_all(const char *path, uint8_t **data_r, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	int bad = ferror(f) || !buf;
	fclose(f);
	if (bad) {
		free(buf);
		return -1;
	}
	*data_r = buf;
	*len_r = len;
	return 0;
}

static int replay(const char *path)
{
	uint8_t *data;
	size_t len;
	printf("# replaying %s\n", path);
	fflush(stdout);
	int ok = read_all(path, &data, &len) == 0;
	if (ok) {
		/* an exact-size copy, so that ASan sees a read past the input */
		uint8_t *copy = malloc(len ? len : 1);
		if (copy) {
			if (len)
				memcpy(copy, data, len);
			LLVMFuzzerTestOneInput(copy, len);
			free(copy);
		}
		ok = copy != NULL;
		free(data);
	}
	printf("%sok %d - %s: %s\n", ok ? "" : "not ", ++ran, FUZZ_TARGET, path);
	fflush(stdout);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay_dir: every regular file of dir, in name order; -1: dir unreadable */
static int replay_dir(const char *dir, int *failed)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		size_t plen = strlen(dir) + strlen(e->d_name) + 2;
		if (!(names[n] = malloc(plen)))
			break;
		snprintf(names[n++], plen, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		*failed += !replay(names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;
	/* deeper checks than fuzzing can afford: fuzz-pst-message reads its PST back */
	if (access("tools/pstcheck", X_OK) == 0)
		setenv("MDX_FUZZ_PSTCHECK", "tools/pstcheck", 0);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			failed += !replay(argv[i]);
	} else {
		if (replay_dir("tests/fuzz/corpus/" FUZZ_TARGET, &failed) < 0) {
			printf("not ok 1 - %s: no seed corpus tests/fuzz/corpus/%s "
			       "(run from the top of the tree)\n", FUZZ_TARGET, FUZZ_TARGET);
			failed++;
			ran++;
		}
		replay_dir("tests/fuzz/regress/" FUZZ_TARGET, &failed);	/* may not exist */
	}
	printf("1..%d\n", ran);
	return failed ? 1 : 0;
}
