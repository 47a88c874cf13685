#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/outdir.h"
#include "core/outfile.h"
#include "core/sysio.h"
#include "core/xalloc.h"
#include "options.h"

/* the message lines go to the temporary file in chunks of this size */
#define LINES_CHUNK (64 * 1024)

struct manifest_totals {
	unsigned long long messages, exported, skipped, deleted, unreadable, bytes;
};

#define MANIFEST_PARTIAL "manifest.partial"

struct manifest {
	struct tree *domain;	/* where it is published */
	struct tree *work;	/* where it is made */
	char *name;		/* its name in domain */
	char *final;		/* DIR/<domain>/<name>, for messages */
	char *partial;		/* the same of manifest.partial */
	char *output;		/* the mailbox's output relative to DIR */
	int lines_fd;		/* the message lines: an unnamed temporary file */
	struct sbuf pending;	/* lines not yet written to it */
	int lines_error;	/* its first write error (sticky), 0 while all is well */
	bool partial_made;
	struct manifest_totals totals;
	struct sbuf line;	/* scratch */
	struct sbuf value;	/* scratch */
};

/*
 * open_unnamed: a file with no name in dirfd (O_TMPFILE where the file
 * system has it, else a name of the working folder's, unlinked at once)
 */
static int open_unnamed(int dirfd)
{
	int fd = sys_openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	static const char name[] = "manifest.lines";
	unlinkat(dirfd, name, 0);
	fd = sys_openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		unlinkat(dirfd, name, 0);
	return fd;
}

struct manifest *manifest_open(const struct out_target *t, const char *name,
			       const char *output, struct sbuf *err)
{
	if (tree_refuse_link(t->domain, name, err) < 0)
		return NULL;
	int fd = open_unnamed(t->work->fd);
	if (fd < 0) {
		sbuf_addf(err, "cannot create a temporary file in '%s': %s", t->work->display,
			  strerror(errno));
		return NULL;
	}
	struct manifest *m = xcalloc(1, sizeof(*m));
	m->domain = t->domain;
	m->work = t->work;
	m->name = xstrdup(name);
	m->final = tree_display(t->domain, name);
	m->partial = tree_display(t->work, MANIFEST_PARTIAL);
	m->output = xstrdup(output);
	m->lines_fd = fd;
	sbuf_init(&m->pending);
	sbuf_init(&m->line);
	sbuf_init(&m->value);
	return m;
}

/* add_key: ,"key": (the first key of an object has no comma: pass first) */
static void add_key(struct sbuf *s, const char *key, bool first)
{
	if (!first)
		sbuf_addch(s, ',');
	sbuf_addch(s, '"');
	sbuf_adds(s, key);	/* keys are the spec's plain ASCII words */
	sbuf_adds(s, "\":");
}

/* add_u64: a number in decimal; no printf, a line is written per message */
static void add_u64(struct sbuf *s, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	sbuf_add(s, p, (size_t)(buf + sizeof(buf) - p));
}

static void add_str_or_null(struct sbuf *s, const char *key, const char *v)
{
	add_key(s, key, false);
	if (v)
		sbuf_add_json_str(s, v);
	else
		sbuf_adds(s, "null");
}

/* add_header: the raw value of a header field, unfolded and trimmed, or null */
static void add_header(struct manifest *m, const struct mail_msg *msg, const char *key,
		       const char *field)
{
	struct sbuf *v = &m->value;
	bool found = msg->head_len &&
		     header_block_get(msg->prefix, msg->head_len, field, v);
	if (found) {
		size_t n = strlen(v->buf);	/* a NUL ends it: JSON strings here are C strings */
		while (n && (v->buf[n - 1] == ' ' || v->buf[n - 1] == '\t'))
			n--;
		sbuf_setlen(v, n);
	}
	add_str_or_null(&m->line, key, found ? v->buf : NULL);
}

/* add_flags: the IMAP names of the flags set, in enum msg_flags order */
static void add_flags(struct sbuf *s, unsigned flags)
{
	static const unsigned order[] = { MSG_SEEN, MSG_ANSWERED, MSG_FLAGGED,
					  MSG_DELETED, MSG_DRAFT };
	bool first = true;
	add_key(s, "flags", false);
	sbuf_addch(s, '[');
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(flags & order[i]))
			continue;
		for (const struct flag_map *f = flag_table; f->flag; f++) {
			if (f->flag != order[i])
				continue;
			if (!first)
				sbuf_addch(s, ',');
			sbuf_add_json_str(s, f->imap);
			first = false;
		}
	}
	sbuf_addch(s, ']');
}

/* add_output: where the message went, relative to DIR, or null */
static void add_output(struct manifest *m, const struct mail_item_loc *loc)
{
	struct sbuf *s = &m->line;
	add_key(s, "output", false);
	if (!loc) {
		sbuf_adds(s, "null");
		return;
	}
	struct sbuf *path = &m->value;
	sbuf_reset(path);
	sbuf_adds(path, m->output);
	if (loc->sibling) {	/* a file next to the output: its folder, then the name */
		const char *slash = strrchr(m->output, '/');
		sbuf_reset(path);
		if (slash)
			sbuf_add(path, m->output, (size_t)(slash - m->output));
	}
	if (loc->file.len) {
		sbuf_addch(path, '/');
		sbuf_add(path, loc->file.buf, loc->file.len);
	}
	sbuf_adds(s, "{\"file\":");
	sbuf_add_json_str(s, path->buf);
	if (loc->offset >= 0) {
		add_key(s, "offset", false);
		add_u64(s, (uint64_t)loc->offset);
		add_key(s, "length", false);
		add_u64(s, loc->length);
	}
	if (loc->folder.len) {
		add_key(s, "folder", false);
		sbuf_add_json_str(s, loc->folder.buf);
	}
	if (loc->node) {
		add_key(s, "nid", false);
		add_u64(s, loc->node);
	}
	sbuf_addch(s, '}');
}

static void count(struct manifest_totals *t, const struct manifest_msg *it)
{
	t->messages++;
	if (!it->reason) {
		t->exported++;
		t->bytes += it->msg->size;
		return;
	}
	t->skipped++;
	if (!strcmp(it->reason, "deleted"))
		t->deleted++;
	else
		t->unreadable++;
}

/* flush_lines: the pending lines to the temporary file (errors are sticky) */
static void flush_lines(struct manifest *m)
{
	if (!m->lines_error && m->pending.len)
		m->lines_error = sys_write_all(m->lines_fd, m->pending.buf, m->pending.len);
	sbuf_reset(&m->pending);
}

void manifest_add(struct manifest *m, const struct manifest_msg *it)
{
	const struct mail_msg *msg = it->msg;
	const struct mail_folder *f = it->folder;
	struct sbuf *s = &m->line;
	sbuf_reset(s);
	sbuf_addch(s, '{');
	add_key(s, "source", true);
	sbuf_add_json_str(s, msg->origin);
	add_key(s, "size", false);
	if (msg->size_known)
		add_u64(s, msg->size);
	else
		sbuf_adds(s, "null");
	add_str_or_null(s, "sha256", it->sha256);
	add_key(s, "folder", false);
	sbuf_add_json_str(s, f->path);
	add_key(s, "uidvalidity", false);
	if (f->has_index)
		add_u64(s, f->uidvalidity);
	else
		sbuf_adds(s, "null");
	add_key(s, "uid", false);
	if (msg->uid)
		add_u64(s, msg->uid);
	else
		sbuf_adds(s, "null");
	add_flags(s, msg->flags);
	add_key(s, "internal_date", false);
	if (msg->date_source) {
		sbuf_addch(s, '"');
		sbuf_add_utc(s, msg->received);
		sbuf_addch(s, '"');
	} else {
		sbuf_adds(s, "null");
	}
	add_header(m, msg, "date_header", "Date");
	add_header(m, msg, "message_id", "Message-ID");
	add_str_or_null(s, "status", it->reason ? "skipped" : "exported");
	add_str_or_null(s, "reason", it->reason);
	add_str_or_null(s, "detail", it->detail);
	add_output(m, it->reason ? NULL : it->loc);
	sbuf_adds(s, "}\n");
	sbuf_add(&m->pending, s->buf, s->len);
	if (m->pending.len >= LINES_CHUNK)
		flush_lines(m);		/* its error is sticky: manifest_prepare reports it */
	count(&m->totals, it);
}

static void run_line(struct manifest *m, const struct manifest_run *run, struct sbuf *s)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	sbuf_adds(s, "{\"manifest\":1,\"tool\":\"mdexport\",\"version\":");
	sbuf_add_json_str(s, MDEXPORT_VERSION);
	sbuf_adds(s, ",\"command\":[\"mdexport\"");
	for (int i = 1; i < run->argc; i++) {
		sbuf_addch(s, ',');
		sbuf_add_json_str(s, run->argv[i]);
	}
	sbuf_adds(s, "],\"started\":\"");
	sbuf_add_utc(s, run->started);
	sbuf_adds(s, "\",\"ended\":\"");
	sbuf_add_utc(s, run->ended);
	sbuf_adds(s, "\",\"host\":");
	sbuf_add_json_str(s, host);
	add_str_or_null(s, "source", run->source);
	add_str_or_null(s, "format", run->format);
	add_key(s, "mailbox", false);
	sbuf_reset(&m->value);
	sbuf_addf(&m->value, "%s@%s", run->box->mailbox, run->box->domain);
	sbuf_add_json_str(s, m->value.buf);
	add_str_or_null(s, "output", m->output);
	const struct manifest_totals *t = &m->totals;
	sbuf_addf(s, ",\"totals\":{\"messages\":%llu,\"exported\":%llu,\"skipped\":%llu,"
		  "\"deleted\":%llu,\"unreadable\":%llu,\"bytes\":%llu}}\n", t->messages,
		  t->exported, t->skipped, t->deleted, t->unreadable, t->bytes);
}

/* copy_lines: the temporary file's lines after the run line; 0 or errno */
static int copy_lines(struct manifest *m, struct outfile *of)
{
	flush_lines(m);
	if (m->lines_error)
		return m->lines_error;
	char buf[65536];
	for (off_t at = 0;;) {
		ssize_t n = pread(m->lines_fd, buf, sizeof(buf), at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		outfile_write(of, buf, (size_t)n);
		at += n;
	}
}

int manifest_prepare(struct manifest *m, const struct manifest_run *run, struct sbuf *err)
{
	struct outfile of;
	unlinkat(m->work->fd, MANIFEST_PARTIAL, 0);	/* left by an interrupted run */
	if (outfile_create(&of, m->work, MANIFEST_PARTIAL, err) < 0)
		return -1;
	m->partial_made = true;
	sbuf_reset(&m->line);
	run_line(m, run, &m->line);
	outfile_write(&of, m->line.buf, m->line.len);
	int e = copy_lines(m, &of);
	if (e) {
		outfile_abort(&of);
		sbuf_addf(err, "cannot write the manifest's temporary file in '%s/' for '%s': %s",
			  m->work->display, m->final, strerror(e));
		return -1;
	}
	outfile_sync(&of);	/* its errors are sticky: outfile_close reports them */
	return outfile_close(&of, -1, err);
}

int manifest_publish(struct manifest *m, struct sbuf *err)
{
	if (tree_refuse_link(m->domain, m->name, err) < 0 ||
	    sys_renameat(m->work->fd, MANIFEST_PARTIAL, m->domain->fd, m->name, 0) < 0) {
		if (!err->len)
			sbuf_addf(err, "cannot rename '%s' to '%s': %s", m->partial, m->final,
				  strerror(errno));
		/* it would describe the previous output (a link is left alone) */
		struct stat st;
		if (fstatat(m->domain->fd, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISLNK(st.st_mode))
			unlinkat(m->domain->fd, m->name, 0);
		return -1;
	}
	m->partial_made = false;
	return 0;
}

void manifest_free(struct manifest **mp)
{
	struct manifest *m = *mp;
	if (!m)
		return;
	if (m->partial_made)
		unlinkat(m->work->fd, MANIFEST_PARTIAL, 0);
	close(m->lines_fd);
	free(m->name);
	free(m->final);
	free(m->partial);
	free(m->output);
	sbuf_release(&m->pending);
	sbuf_release(&m->line);
	sbuf_release(&m->value);
	free(m);
	*mp = NULL;
}
