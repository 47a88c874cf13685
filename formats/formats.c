#include "formats.h"

#include <string.h>

#include "eml/eml.h"
#include "maildir/maildir.h"
#include "mbox/mbox.h"
#include "mdaemon/mdaemon.h"
#include "null/null.h"
#include "pst/pst.h"

const struct mail_writer_ops *const formats_writers[] = {
	&mbox_writer_ops, &maildir_writer_ops, &eml_writer_ops, &pst_writer_ops, NULL,
};

const struct mail_writer_ops *formats_writer(const char *name)
{
	for (size_t i = 0; formats_writers[i]; i++)
		if (!strcmp(formats_writers[i]->name, name))
			return formats_writers[i];
	return NULL;
}

const struct mail_writer_ops *formats_dry_run_writer(void)
{
	return &null_writer_ops;
}

const struct mail_reader_ops *formats_store_reader(void)
{
	return &mdaemon_reader_ops;
}

const struct mail_reader_ops *formats_reader(const char *name)
{
	static const struct mail_reader_ops *const readers[] = {
		&mdaemon_reader_ops, &maildir_reader_ops, NULL,
	};
	for (size_t i = 0; readers[i]; i++)
		if (!strcmp(readers[i]->name, name))
			return readers[i];
	return NULL;
}
