/*
 * mdexport --version: the release, the commit it was built from (the
 * Makefile passes MDEXPORT_COMMIT: `git describe --always --dirty`, or
 * "unknown" outside a git tree), and the libraries it runs with.  This file
 * alone is rebuilt when the commit changes (build/commit.stamp).
 */
#include "version.h"

#include "core/sbuf.h"
#include "formats.h"

#ifndef MDEXPORT_COMMIT
#define MDEXPORT_COMMIT "unknown"
#endif

/* issue 16: the commit, for SEAL.json */
const char *version_commit(void)
{
	return MDEXPORT_COMMIT;
}

int print_version(FILE *out)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addf(&sb, "mdexport %s (%s)\n", MDEXPORT_VERSION, MDEXPORT_COMMIT);
	formats_lib_versions(&sb);
	int ok = fwrite(sb.buf, 1, sb.len, out) == sb.len && fflush(out) == 0;
	sbuf_release(&sb);
	return ok ? 0 : -1;
}
