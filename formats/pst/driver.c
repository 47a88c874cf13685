/* the pst driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "pst/check.h"
#include "pst/pst.h"

#include <libpff.h>
#include <zlib.h>

extern const struct mail_driver pst_driver;	/* formats.c */

/* libpff reads PSTs (the reader, verify); zlib computes the PST's CRCs */
static void pst_lib_versions(struct sbuf *out)
{
	sbuf_addf(out, "libpff %s\n", libpff_get_version());
	sbuf_addf(out, "zlib %s\n", zlibVersion());
}

const struct mail_driver pst_driver = {
	.name = "pst",
	.summary = "a Unicode Outlook PST per mailbox (Outlook, Microsoft 365 import)",
	.reader = &pst_reader_ops,
	.writer = &pst_writer_ops,
	.check = &pst_check_ops,
	.keeps = KEEPS_FLAGS | KEEPS_RECEIVED | KEEPS_FOLDERS,
	.lib_versions = pst_lib_versions,
};
