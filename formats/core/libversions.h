/*
 * The versions of the libraries the program runs with (not the headers it
 * was compiled against: a shared library can be upgraded under a built
 * binary, and verify's results depend on what parses the PST and the MIME).
 * Each appends "NAME VERSION\n" lines; --version prints them.
 */
#ifndef MDX_LIBVERSIONS_H
#define MDX_LIBVERSIONS_H

#include "core/sbuf.h"

/* core_lib_versions: GMime, GLib and OpenSSL (libcrypto), which formats/core uses */
void core_lib_versions(struct sbuf *out);

#endif
