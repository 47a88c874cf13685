/* the base's libraries' versions, as the running process has them loaded */
#include "core/libversions.h"

#include <glib.h>
#include <gmime/gmime.h>
#include <openssl/crypto.h>

void core_lib_versions(struct sbuf *out)
{
	/* gmime_*_version and glib_*_version are the library's variables, not the header's macros */
	sbuf_addf(out, "GMime %u.%u.%u\n", gmime_major_version, gmime_minor_version,
		  gmime_micro_version);
	sbuf_addf(out, "GLib %u.%u.%u\n", glib_major_version, glib_minor_version,
		  glib_micro_version);
	/* OPENSSL_VERSION_STRING (3.0 and later): "3.0.11", without the name and the date */
	sbuf_addf(out, "OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
}
