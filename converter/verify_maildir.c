/*
 * verify: Maildir.  The writer's one change to the bytes is CRLF to LF,
 * which cannot be undone exactly: an LF in the file may have been an LF or
 * a CRLF in a .msg with mixed line ends.  So the source is put through the
 * same rule and the result must be the file, byte for byte; that proves
 * the file is what the writer makes of this source, and holds every byte
 * of it but the CRs it documents dropping.  The flags and the internal
 * date live only in the file name: they must be the source's.
 */
#include <stdlib.h>
#include <string.h>

#include "core/flags.h"
#include "verify.h"

/*
 * name_fields: from "<date>.M<n>_<name>.mdexport:2,<flags>", the date and
 * the flag letters; -1 when the name does not have that form.
 */
static int name_fields(const char *name, long long *date, const char **letters)
{
	char *end;
	*date = strtoll(name, &end, 10);
	if (end == name || strncmp(end, ".M", 2))
		return -1;
	const char *info = strstr(name, ".mdexport:2,");
	if (!info)
		return -1;
	*letters = info + strlen(".mdexport:2,");
	return 0;
}

static void describe_flags(unsigned flags, struct sbuf *out)
{
	char names[64];
	verify_flag_names(flags, names);
	sbuf_adds(out, names);
}

/* check_name: the date and flags the file name carries */
static int check_name(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	long long date;
	const char *letters;
	if (name_fields(name, &date, &letters) < 0) {
		sbuf_addf(why, "the file name '%s' is not <date>.M<n>_<name>.mdexport:2,<flags>",
			  name);
		return VERIFY_DIFFERS;
	}
	char want[8];
	flags_maildir(src->flags, want);
	if (strcmp(letters, want)) {
		sbuf_addf(why, "the flags in the file name are '%s' (", letters);
		unsigned got = 0;
		for (const struct flag_map *f = flag_table; f->flag; f++)
			if (f->maildir && strchr(letters, f->maildir))
				got |= f->flag;
		describe_flags(got, why);
		sbuf_addf(why, "), the source has '%s' (", want);
		describe_flags(src->flags, why);
		sbuf_adds(why, ")");
		return VERIFY_DIFFERS;
	}
	if (date != (long long)src->received) {
		sbuf_addf(why, "the date in the file name is %lld, the source's internal date %lld",
			  date, (long long)src->received);
		return VERIFY_DIFFERS;
	}
	return VERIFY_SAME;
}

int verify_maildir(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	int ret = verify_file(src, path, true, why);
	return ret == VERIFY_SAME ? check_name(src, path, why) : ret;
}
