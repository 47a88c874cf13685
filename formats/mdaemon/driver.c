/* the mdaemon driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "mdaemon/mdaemon.h"

#include <stdlib.h>
#include <libxml/parser.h>

extern const struct mail_driver mdaemon_driver;	/* formats.c */

/*
 * libxml2 parses the groupware XML; xmlParserVersion is the library's own
 * string ("20914" for 2.9.14), where LIBXML_DOTTED_VERSION is the header's
 */
static void mdaemon_lib_versions(struct sbuf *out)
{
	long v = strtol(xmlParserVersion, NULL, 10);
	sbuf_addf(out, "libxml2 %ld.%ld.%ld\n", v / 10000, v / 100 % 100, v % 100);
}

const struct mail_driver mdaemon_driver = {
	.name = "mdaemon",
	.summary = "an MDaemon store, a Users folder or one mailbox folder (read only)",
	.reader = &mdaemon_reader_ops,
	.writer = NULL,
	.keeps = KEEPS_BYTES | KEEPS_FLAGS | KEEPS_RECEIVED | KEEPS_UIDS | KEEPS_FOLDERS,
	.lib_versions = mdaemon_lib_versions,
};
