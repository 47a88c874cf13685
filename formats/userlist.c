#include "userlist.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wintext.h"
#include "xalloc.h"

enum {
	UL_DOMAIN = 0, UL_DOMAIN_LEN = 45,
	UL_MAILBOX = 45, UL_MAILBOX_LEN = 30,
	UL_NAME = 75, UL_NAME_LEN = 30,
	UL_MAILDIR = 105, UL_MAILDIR_LEN = 90,
};

/* field: bytes [off, off+n) of the line clipped to its length, trimmed */
static char *field(const char *line, size_t linelen, size_t off, size_t n,
		   bool *has_ctl)
{
	struct sbuf out = SBUF_INIT;
	if (off < linelen) {
		size_t end = off + n < linelen ? off + n : linelen;
		while (end > off && (line[end - 1] == ' ' || line[end - 1] == '\0'))
			end--;
		size_t start = off;
		while (start < end && line[start] == ' ')
			start++;
		for (size_t i = start; i < end; i++)
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
				*has_ctl = true;
		wintext_to_utf8(&out, line + start, end - start);
	}
	return sbuf_detach(&out);
}

static void warn_line(struct sbuf *w, size_t lineno, const char *what)
{
	if (w->len)
		sbuf_addch(w, '\n');
	sbuf_addf(w, "line %zu: %s; ignored", lineno, what);
}

static void parse_line(const char *line, size_t len, size_t lineno,
		       struct userlist *out, struct sbuf *warnings)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return;
	bool ctl = false;
	struct userlist_entry e = { .line = lineno };
	e.domain = field(line, len, UL_DOMAIN, UL_DOMAIN_LEN, &ctl);
	e.mailbox = field(line, len, UL_MAILBOX, UL_MAILBOX_LEN, &ctl);
	bool key_ctl = ctl;
	e.full_name = field(line, len, UL_NAME, UL_NAME_LEN, &ctl);
	e.maildir = field(line, len, UL_MAILDIR, UL_MAILDIR_LEN, &ctl);
	const char *problem = NULL;
	if (!*e.domain || !*e.mailbox)
		problem = "too short to hold a domain and a mailbox";
	else if (key_ctl || strchr(e.domain, '/') || strchr(e.mailbox, '/') ||
		 strchr(e.mailbox, '\\'))
		problem = "domain or mailbox holds control bytes or slashes";
	else if (!*e.maildir)	/* cut short: an account without mail to find */
		problem = "too short to hold a MailDir";
	if (problem) {
		warn_line(warnings, lineno, problem);
		free(e.domain); free(e.mailbox); free(e.full_name); free(e.maildir);
		return;
	}
	out->entries = xreallocarray(out->entries, out->count + 1, sizeof(e));
	out->entries[out->count++] = e;
}

void userlist_parse(const char *data, size_t len, struct userlist *out,
		    struct sbuf *warnings)
{
	memset(out, 0, sizeof(*out));
	size_t lineno = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		parse_line(p, n, ++lineno, out, warnings);
		p += n + (nl ? 1 : 0);
	}
}

void userlist_release(struct userlist *ul)
{
	for (size_t i = 0; i < ul->count; i++) {
		free(ul->entries[i].domain);
		free(ul->entries[i].mailbox);
		free(ul->entries[i].full_name);
		free(ul->entries[i].maildir);
	}
	free(ul->entries);
	memset(ul, 0, sizeof(*ul));
}
