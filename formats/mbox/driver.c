/* the mbox driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "mbox/check.h"
#include "mbox/mbox.h"

extern const struct mail_driver mbox_driver;	/* formats.c */

const struct mail_driver mbox_driver = {
	.name = "mbox",
	.summary = "one mboxrd file per folder (mutt, Thunderbird, Dovecot)",
	.reader = &mbox_reader_ops,
	.writer = &mbox_writer_ops,
	.check = &mbox_check_ops,
	.keeps = KEEPS_BYTES | KEEPS_FLAGS | KEEPS_RECEIVED | KEEPS_FOLDERS,
};
