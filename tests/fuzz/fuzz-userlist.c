/*
 * userlist_parse (formats/mdaemon/userlist.c) on any userlist.dat image.  Checks:
 * every entry has a non-empty domain and mailbox without '/', and a mailbox
 * without '\\' (they become path components); every field is valid UTF-8
 * with no control bytes in domain and mailbox; line numbers rise and stay
 * within the lines of the input.
 */
#include <string.h>

#include "core/wintext.h"
#include "fuzz.h"
#include "mdaemon/userlist.h"

static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_valid_seq(p + i, len - i)))
			return 0;
	return 1;
}

static int no_ctl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userlist ul;
	struct sbuf warnings = SBUF_INIT;
	userlist_parse((const char *)data, size, &ul, &warnings);
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	size_t prev = 0;
	for (size_t i = 0; i < ul.count; i++) {
		const struct userlist_entry *e = &ul.entries[i];
		fuzz_check(e->domain && e->mailbox && e->full_name && e->maildir);
		fuzz_check(*e->domain && *e->mailbox);
		fuzz_check(!strchr(e->domain, '/') && !strchr(e->mailbox, '/') &&
			   !strchr(e->mailbox, '\\'));
		fuzz_check(no_ctl(e->domain) && no_ctl(e->mailbox));
		fuzz_check(utf8_ok(e->domain) && utf8_ok(e->mailbox) &&
			   utf8_ok(e->full_name) && utf8_ok(e->maildir));
		fuzz_check(e->line > prev && e->line <= lines);
		prev = e->line;
	}
	userlist_release(&ul);
	sbuf_release(&warnings);
	return 0;
}
