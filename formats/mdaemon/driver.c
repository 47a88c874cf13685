/* the mdaemon driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "mdaemon/mdaemon.h"

extern const struct mail_driver mdaemon_driver;	/* formats.c */

const struct mail_driver mdaemon_driver = {
	.name = "mdaemon",
	.summary = "an MDaemon store, a Users folder or one mailbox folder (read only)",
	.reader = &mdaemon_reader_ops,
	.writer = NULL,
	.keeps = KEEPS_BYTES | KEEPS_FLAGS | KEEPS_RECEIVED | KEEPS_UIDS | KEEPS_FOLDERS,
};
