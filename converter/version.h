/* mdexport --version (issue 16) */
#ifndef MDX_VERSION_H
#define MDX_VERSION_H

#include <stdio.h>

/*
 * print_version: "mdexport X.Y.Z (COMMIT)" first, so that a script can
 * parse it, then one "NAME VERSION" line per library the program runs
 * with.  Returns 0, or -1 when out cannot be written.
 */
int print_version(FILE *out);
/* version_commit: the commit the program was built from ("unknown" outside git) */
const char *version_commit(void);

#endif
