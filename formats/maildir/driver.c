/* the maildir driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "maildir/check.h"
#include "maildir/maildir.h"

extern const struct mail_driver maildir_driver;	/* formats.c */

const struct mail_driver maildir_driver = {
	.name = "maildir",
	.summary = "Maildir++ (Dovecot, Courier): folders, flags in the file names",
	.reader = &maildir_reader_ops,
	.writer = &maildir_writer_ops,
	.check = &maildir_check_ops,
	.keeps = KEEPS_BYTES | KEEPS_FLAGS | KEEPS_RECEIVED | KEEPS_FOLDERS,
};
