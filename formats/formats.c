#include "formats.h"

#include <stdbool.h>
#include <string.h>

#include "eml/check.h"
#include "eml/eml.h"
#include "maildir/check.h"
#include "maildir/maildir.h"
#include "mbox/check.h"
#include "mbox/mbox.h"
#include "mdaemon/mdaemon.h"
#include "null/null.h"
#include "pst/check.h"
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

/* formats_writer_named: a writer's name is the first n bytes of s */
static bool formats_writer_named(const char *s, size_t n)
{
	for (size_t i = 0; formats_writers[i]; i++)
		if (strlen(formats_writers[i]->name) == n && !strncmp(formats_writers[i]->name, s, n))
			return true;
	return false;
}

const struct mail_check_ops *const formats_checkers[] = {
	&mbox_check_ops, &maildir_check_ops, &eml_check_ops, &pst_check_ops, NULL,
};

const struct mail_check_ops *formats_checker(const char *name)
{
	for (size_t i = 0; formats_checkers[i]; i++)
		if (!strcmp(formats_checkers[i]->name, name))
			return formats_checkers[i];
	return NULL;
}

const struct mail_writer_ops *formats_dry_run_writer(void)
{
	return &null_writer_ops;
}

/* the readers, in the order SOURCE is probed; the default takes what none claims */
static const struct mail_reader_ops *const readers[] = {
	&maildir_reader_ops, &mdaemon_reader_ops, NULL,
};
static const struct mail_reader_ops *const default_reader = &mdaemon_reader_ops;

/* prefix_len: the length of "<name>:" when source starts with a reader's name and ':' */
static size_t prefix_len(const char *source, const struct mail_reader_ops *r)
{
	size_t n = strlen(r->name);
	return !strncmp(source, r->name, n) && source[n] == ':' ? n + 1 : 0;
}

const struct mail_reader_ops *formats_source_reader(const char *source, const char **path,
						    struct sbuf *err)
{
	for (size_t i = 0; readers[i]; i++) {
		size_t n = prefix_len(source, readers[i]);
		if (n) {
			*path = source + n;
			return readers[i];
		}
	}
	const char *colon = strchr(source, ':');
	const char *slash = strchr(source, '/');
	if (colon && colon > source && (!slash || colon < slash) &&
	    formats_writer_named(source, (size_t)(colon - source))) {
		sbuf_addf(err, "'%.*s' cannot be read yet, only written (SOURCE '%s')",
			  (int)(colon - source), source, source);
		return NULL;
	}
	*path = source;
	for (size_t i = 0; readers[i]; i++)
		if (readers[i] != default_reader && readers[i]->probe &&
		    readers[i]->probe(source) == 1)
			return readers[i];
	return default_reader;
}
