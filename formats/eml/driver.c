/* the eml driver (core/driver.h): what formats/formats.c lists */
#include "core/driver.h"
#include "eml/check.h"
#include "eml/eml.h"

extern const struct mail_driver eml_driver;	/* formats.c */

const struct mail_driver eml_driver = {
	.name = "eml",
	.summary = "one .eml file per message, a folder per folder",
	.reader = &eml_reader_ops,
	.writer = &eml_writer_ops,
	.check = &eml_check_ops,
	.keeps = KEEPS_BYTES | KEEPS_RECEIVED | KEEPS_FOLDERS,
};
