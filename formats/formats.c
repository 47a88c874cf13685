/*
 * The registry: the drivers, in the order --help lists them, and the order
 * SOURCE is probed in.  The MDaemon reader takes what no other claims (an
 * MDaemon store has no mark of its own that a probe could look for).
 */
#include "formats.h"

#include <stdbool.h>
#include <string.h>

#include "core/libversions.h"
#include "null/null.h"

/* each format's driver.c */
extern const struct mail_driver mbox_driver, maildir_driver, eml_driver, pst_driver,
	mdaemon_driver;

static const struct mail_driver *const drivers[] = {
	&mbox_driver, &maildir_driver, &eml_driver, &pst_driver, &mdaemon_driver, NULL,
};
/*
 * the order SOURCE is probed in: the most specific mark first (a Maildir's
 * cur/ and new/ before an mbox's "From ", which a Maildir's files may also
 * start with); the MDaemon store last, taking what no other claims
 */
static const struct mail_driver *const probe_order[] = {
	&maildir_driver, &mbox_driver, &eml_driver, &pst_driver, NULL,
};
static const struct mail_driver *const default_source = &mdaemon_driver;

const struct mail_driver *formats_driver(const char *name)
{
	for (size_t i = 0; drivers[i]; i++)
		if (!strcmp(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}

const struct mail_driver *formats_driver_at(size_t i)
{
	return i < sizeof(drivers) / sizeof(drivers[0]) ? drivers[i] : NULL;
}

const struct mail_writer_ops *formats_writer(const char *name)
{
	const struct mail_driver *d = formats_driver(name);
	return d ? d->writer : NULL;
}

void formats_list(enum formats_role role, struct sbuf *out)
{
	size_t n = 0, total = 0;
	for (size_t i = 0; drivers[i]; i++)
		total += role == FORMATS_WRITE ? drivers[i]->writer != NULL :
			 drivers[i]->reader != NULL;
	for (size_t i = 0; drivers[i]; i++) {
		if (role == FORMATS_WRITE ? !drivers[i]->writer : !drivers[i]->reader)
			continue;
		n++;
		if (n > 1)
			sbuf_adds(out, n == total ? " or " : ", ");
		sbuf_adds(out, drivers[i]->name);
	}
}

const struct mail_check_ops *formats_checker(const char *name)
{
	const struct mail_driver *d = formats_driver(name);
	return d ? d->check : NULL;
}

const struct mail_writer_ops *formats_dry_run_writer(void)
{
	return &null_writer_ops;
}

/* prefix_len: the length of "<name>:" when source starts with the driver's name and ':' */
static size_t prefix_len(const char *source, const struct mail_driver *d)
{
	size_t n = strlen(d->name);
	return !strncmp(source, d->name, n) && source[n] == ':' ? n + 1 : 0;
}

const struct mail_reader_ops *formats_source_reader(const char *source, const char **path)
{
	for (size_t i = 0; drivers[i]; i++) {
		size_t n = prefix_len(source, drivers[i]);
		if (n && drivers[i]->reader) {
			*path = source + n;
			return drivers[i]->reader;
		}
	}
	*path = source;
	for (size_t i = 0; probe_order[i]; i++) {
		const struct mail_reader_ops *r = probe_order[i]->reader;
		if (r && r->probe && r->probe(source) == 1)
			return r;
	}
	return default_source->reader;
}

void formats_lib_versions(struct sbuf *out)
{
	core_lib_versions(out);
	for (size_t i = 0; drivers[i]; i++)
		if (drivers[i]->lib_versions)
			drivers[i]->lib_versions(out);
}
