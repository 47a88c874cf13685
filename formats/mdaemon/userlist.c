#include "mdaemon/userlist.h"

#include <stdbool.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/wintext.h"
#include "core/xalloc.h"

enum {
	UL_DOMAIN = 0, UL_DOMAIN_LEN = 45,
	UL_MAILBOX = 45, UL_MAILBOX_LEN = 30,
	UL_NAME = 75, UL_NAME_LEN = 30,
	UL_MAILDIR = 105, UL_MAILDIR_LEN = 90,
	/* the password field (195/20) lies between: never read */
	UL_ACCESS = 217, UL_QUOTAS = 222,
	UL_MAX_MSGS = 225, UL_MAX_MSGS_LEN = 4,
	UL_MAX_DISK = 229, UL_MAX_DISK_LEN = 6,
};

/* letter: the one-letter option at off, if it is one of allowed; else '\0' */
static char letter(const char *line, size_t linelen, size_t off, const char *allowed)
{
	if (off >= linelen || !line[off])
		return '\0';
	char c = line[off];
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (!strchr(allowed, c))
		return '\0';
	return c;
}

/* number: the space-padded decimal field [off, off+n); -1 when missing or not a number */
static long number(const char *line, size_t linelen, size_t off, size_t n)
{
	if (off + n > linelen)
		return -1;
	size_t i = off, end = off + n;
	while (i < end && line[i] == ' ')
		i++;
	while (end > i && line[end - 1] == ' ')
		end--;
	if (i == end)
		return -1;
	long v = 0;
	for (; i < end; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (line[i] - '0');
	}
	return v;
}

/* options: the account's access type and quotas (userlist.h) */
static void options(const char *line, size_t len, struct userlist_entry *e)
{
	e->access = letter(line, len, UL_ACCESS, "YPINC");
	e->apply_quotas = letter(line, len, UL_QUOTAS, "YN");
	e->max_messages = number(line, len, UL_MAX_MSGS, UL_MAX_MSGS_LEN);
	e->max_disk_kb = number(line, len, UL_MAX_DISK, UL_MAX_DISK_LEN);
}

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

/*
 * parse_line: one line without its '\n'.  Returns 1 with *e filled, 0 for
 * an empty line, -1 with *problem set for a refused one.
 */
static int parse_line(const char *line, size_t len, size_t lineno,
		      struct userlist_entry *e, const char **problem)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return 0;
	bool ctl = false;
	memset(e, 0, sizeof(*e));
	e->line = lineno;
	e->domain = field(line, len, UL_DOMAIN, UL_DOMAIN_LEN, &ctl);
	e->mailbox = field(line, len, UL_MAILBOX, UL_MAILBOX_LEN, &ctl);
	bool key_ctl = ctl;
	e->full_name = field(line, len, UL_NAME, UL_NAME_LEN, &ctl);
	e->maildir = field(line, len, UL_MAILDIR, UL_MAILDIR_LEN, &ctl);
	options(line, len, e);
	*problem = NULL;
	if (!*e->domain || !*e->mailbox)
		*problem = "too short to hold a domain and a mailbox";
	else if (key_ctl || strchr(e->domain, '/') || strchr(e->mailbox, '/') ||
		 strchr(e->mailbox, '\\'))
		*problem = "domain or mailbox holds control bytes or slashes";
	else if (!*e->maildir)	/* cut short: an account without mail to find */
		*problem = "too short to hold a MailDir";
	if (*problem) {
		free(e->domain); free(e->mailbox); free(e->full_name); free(e->maildir);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 1;
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
		struct userlist_entry e;
		const char *problem;
		int r = parse_line(p, n, ++lineno, &e, &problem);
		if (r > 0) {
			out->entries = xreallocarray(out->entries, out->count + 1,
						     sizeof(e));
			out->entries[out->count++] = e;
		} else if (r < 0) {
			if (warnings->len)
				sbuf_addch(warnings, '\n');
			sbuf_addf(warnings, "line %zu: %s; ignored", lineno, problem);
		}
		p += n + (nl ? 1 : 0);
	}
}

int userlist_read(int fd, userlist_account_fn *account, userlist_refused_fn *refused,
		  void *ctx)
{
	char buf[65536];
	struct sbuf line = SBUF_INIT;
	size_t lineno = 0;
	bool go = true, pending = false;
	int ret = 0;
	while (go) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -1;
			break;
		}
		size_t len = (size_t)n, i = 0;
		while (go && (i < len || (n == 0 && pending))) {
			const char *nl = n ? memchr(buf + i, '\n', len - i) : NULL;
			size_t take = nl ? (size_t)(nl - (buf + i)) : len - i;
			size_t room = USERLIST_LINE_KEEP - line.len;
			sbuf_add(&line, buf + i, take < room ? take : room);
			pending = true;
			i += take;
			if (!nl && n)
				break;		/* the line goes on in the next read */
			i += nl ? 1 : 0;
			struct userlist_entry e;
			const char *problem;
			int r = parse_line(line.buf, line.len, ++lineno, &e, &problem);
			if (r > 0)
				go = account(ctx, &e);
			else if (r < 0)
				refused(ctx, lineno, problem);
			/* the line held a password: leave none of it in memory */
			explicit_bzero(line.buf, line.len);
			sbuf_reset(&line);
			pending = false;
		}
		if (n == 0)
			break;
	}
	int saved = errno;
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(line.buf, line.len);
	sbuf_release(&line);
	errno = saved;
	return ret;
}

void userlist_entry_release(struct userlist_entry *e)
{
	free(e->domain);
	free(e->mailbox);
	free(e->full_name);
	free(e->maildir);
	memset(e, 0, sizeof(*e));
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
