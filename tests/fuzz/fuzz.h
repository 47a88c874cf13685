/*
 * What the fuzz targets share.  Each tests/fuzz/fuzz-<name>.c defines
 * LLVMFuzzerTestOneInput; clang links it with libFuzzer (make fuzz-build,
 * tools/fuzz), gcc with replay.c into build/tests/test-fuzz-<name>, which
 * replays the seeds and the committed crash inputs under make check.
 *
 * A broken invariant is a crash: fuzz_check() prints what failed and
 * aborts, so that libFuzzer saves the input and replay.c reports it.
 */
#ifndef MDX_FUZZ_H
#define MDX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(expr) \
	((expr) ? (void)0 : fuzz_fail_(#expr, __FILE__, __LINE__))

static inline void fuzz_fail_(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz: invariant failed at %s:%d: %s\n", file, line, what);
	abort();
}

#endif
