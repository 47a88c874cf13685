#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/gwitem.h"
#include "core/merge.h"
#include "core/outdir.h"
#include "core/outfile.h"
#include "core/sysio.h"
#include "core/xalloc.h"
#include "options.h"
#include "verify.h"

/* the message lines go to the temporary file in chunks of this size */
#define LINES_CHUNK (64 * 1024)

struct manifest_totals {
	unsigned long long messages, exported, skipped, deleted, unreadable, bytes;
};

#define MANIFEST_PARTIAL "manifest.partial"
#define ROUND_PARTIAL "round.partial"

/* one file of lines: the whole export's, or a round's own record */
struct lines {
	int fd;			/* an unnamed temporary file; -1: none */
	struct sbuf pending;	/* lines not yet written to it */
	int error;		/* its first write error (sticky), 0 while all is well */
	struct manifest_totals totals;
};

struct manifest {
	struct tree *domain;	/* where it is published */
	struct tree *work;	/* where it is made */
	char *name;		/* its name in domain */
	char *final;		/* DIR/<domain>/<name>, for messages */
	char *partial;		/* the same of manifest.partial */
	char *output;		/* the mailbox's output relative to DIR */
	struct lines all;	/* the message lines of the whole export */
	struct lines round;	/* a round's own (fd -1: not a round) */
	char *round_name;	/* the round's record's name in domain */
	const char *publish[5];	/* (partial, final) names, NULL-ended */
	bool partial_made;
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
	m->all.fd = fd;
	m->round.fd = -1;
	sbuf_init(&m->all.pending);
	sbuf_init(&m->round.pending);
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

static void add_u64_or_null(struct sbuf *s, const char *key, bool has, uint64_t v)
{
	add_key(s, key, false);
	if (has)
		add_u64(s, v);
	else
		sbuf_adds(s, "null");
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

/*
 * add_item: a groupware item's own object (issue 14): its kind, the
 * source's ID and the UID written, and why it was not converted whole
 */
static void add_item(struct sbuf *s, const struct mail_msg *msg)
{
	const struct gw_item *gw = msg->gw;
	add_key(s, "item", false);
	sbuf_addch(s, '{');
	add_key(s, "kind", true);
	sbuf_add_json_str(s, gw_kind_name(msg->kind));
	add_str_or_null(s, "id", gw ? gw->id : NULL);
	add_str_or_null(s, "uid", gw ? gw->uid : NULL);
	add_str_or_null(s, "recovered", gw ? gw->recovered : NULL);
	sbuf_addch(s, '}');
}

/* add_flags: the IMAP names of the flags set, in enum msg_flags order */
static void add_flags(struct sbuf *s, const char *key, unsigned flags)
{
	static const unsigned order[] = { MSG_SEEN, MSG_ANSWERED, MSG_FLAGGED,
					  MSG_DELETED, MSG_DRAFT };
	bool first = true;
	add_key(s, key, false);
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
	if (loc->sha256[0]) {	/* issue 16: the item's output bytes, for verify DIR */
		add_key(s, "sha256", false);
		sbuf_add_json_str(s, loc->sha256);
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
	else if (strcmp(it->reason, "removed") && strcmp(it->reason, "filtered"))
		t->unreadable++;
}

/* flush_lines: the pending lines to the temporary file (errors are sticky) */
static void flush_lines(struct lines *l)
{
	if (!l->error && l->pending.len && l->fd >= 0)
		l->error = sys_write_all(l->fd, l->pending.buf, l->pending.len);
	sbuf_reset(&l->pending);
}

/* put_line: the line in m->line into l, counted */
static void put_line(struct manifest *m, struct lines *l, const struct manifest_msg *it)
{
	if (l->fd < 0)
		return;
	sbuf_add(&l->pending, m->line.buf, m->line.len);
	if (l->pending.len >= LINES_CHUNK)
		flush_lines(l);		/* its error is sticky: manifest_prepare reports it */
	count(&l->totals, it);
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
	add_u64_or_null(s, "size", msg->size_known, msg->size);
	add_str_or_null(s, "sha256", it->sha256);
	add_key(s, "folder", false);
	sbuf_add_json_str(s, f->path);
	add_u64_or_null(s, "uidvalidity", f->has_index, f->uidvalidity);
	add_u64_or_null(s, "uid", msg->uid != 0, msg->uid);
	add_flags(s, "flags", msg->flags);
	if (it->written_flags && *it->written_flags != msg->flags)
		add_flags(s, "written_flags", *it->written_flags);
	add_key(s, "internal_date", false);
	if (msg->date_source) {
		sbuf_addch(s, '"');
		sbuf_add_utc(s, msg->received);
		sbuf_addch(s, '"');
	} else {
		sbuf_adds(s, "null");
	}
	if (msg->kind == ITEM_MAIL) {
		add_header(m, msg, "date_header", "Date");
		add_header(m, msg, "message_id", "Message-ID");
	} else {
		add_str_or_null(s, "date_header", NULL);
		add_str_or_null(s, "message_id", NULL);
		add_item(s, msg);
	}
	add_str_or_null(s, "status", it->reason ? "skipped" : "exported");
	add_str_or_null(s, "reason", it->reason);
	add_str_or_null(s, "detail", it->detail);
	if (!it->reason && !it->loc && it->output_json) {
		add_key(s, "output", false);
		sbuf_adds(s, it->output_json);
	} else {
		add_output(m, it->reason ? NULL : it->loc);
	}
	sbuf_adds(s, "}\n");
	put_line(m, &m->all, it);
	if (!it->earlier)
		put_line(m, &m->round, it);
}

/* entry_line: an earlier line again, from its parsed form, into m->line */
static void entry_line(struct manifest *m, const struct mf_entry *e, const char *output_json,
		       bool removed, bool pruned);

void manifest_add_kept(struct manifest *m, const struct mf_entry *e, const char *output_json)
{
	entry_line(m, e, output_json, false, false);
	struct mail_msg sized = { .size = e->size };
	struct manifest_msg it = { .msg = &sized };
	put_line(m, &m->all, &it);
}

void manifest_add_removed(struct manifest *m, const struct mf_entry *e, const char *output_json,
			  bool news, bool pruned)
{
	entry_line(m, e, output_json, true, pruned);
	struct mail_msg sized = { .size = e->size };
	struct manifest_msg it = { .msg = &sized, .reason = "removed" };
	if (!pruned)
		put_line(m, &m->all, &it);
	if (news)
		put_line(m, &m->round, &it);
}

static void entry_line(struct manifest *m, const struct mf_entry *e, const char *output_json,
		       bool removed, bool pruned)
{
	struct sbuf *s = &m->line;
	sbuf_reset(s);
	sbuf_addch(s, '{');
	add_key(s, "source", true);
	sbuf_add_json_str(s, e->source);
	add_u64_or_null(s, "size", e->has_size, e->size);
	add_str_or_null(s, "sha256", e->has_sha ? e->sha256 : NULL);
	add_key(s, "folder", false);
	sbuf_add_json_str(s, e->folder);
	add_u64_or_null(s, "uidvalidity", e->has_uidvalidity, e->uidvalidity);
	add_u64_or_null(s, "uid", e->has_uid, e->uid);
	add_flags(s, "flags", e->flags);
	if (e->has_written_flags)
		add_flags(s, "written_flags", e->written_flags);
	add_key(s, "internal_date", false);
	sbuf_addch(s, '"');
	sbuf_add_utc(s, e->internal_date);
	sbuf_addch(s, '"');
	add_str_or_null(s, "date_header", e->date_header);
	add_str_or_null(s, "message_id", e->message_id);
	if (e->item_kind) {	/* a groupware item's object, as it was */
		struct gw_item gw = { .id = e->item_id, .uid = e->item_uid,
				      .recovered = e->item_recovered };
		struct mail_msg item = { .kind = (enum item_kind)e->item_kind, .gw = &gw };
		add_item(s, &item);
	}
	add_str_or_null(s, "status", removed ? "skipped" : "exported");
	add_str_or_null(s, "reason", removed ? "removed" : NULL);
	add_str_or_null(s, "detail", pruned ? "pruned" : NULL);
	add_key(s, "output", false);
	sbuf_adds(s, output_json);
	sbuf_adds(s, "}\n");
}

static void run_line(struct manifest *m, const struct manifest_run *run,
		     const struct manifest_totals *t, struct sbuf *s)
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
	add_str_or_null(s, "output", run->output ? run->output : m->output);
	if (run->round > 1) {	/* a round of export --incremental after the first */
		add_key(s, "round", false);
		add_u64(s, run->round);
	}
	sbuf_addf(s, ",\"totals\":{\"messages\":%llu,\"exported\":%llu,\"skipped\":%llu,"
		  "\"deleted\":%llu,\"unreadable\":%llu,\"bytes\":%llu}}\n", t->messages,
		  t->exported, t->skipped, t->deleted, t->unreadable, t->bytes);
}

/* copy_lines: the temporary file's lines after the run line; 0 or errno */
static int copy_lines(struct lines *l, struct outfile *of)
{
	flush_lines(l);
	if (l->error)
		return l->error;
	char buf[65536];
	for (off_t at = 0;;) {
		ssize_t n = pread(l->fd, buf, sizeof(buf), at);
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

/* write_partial: the run line and l's lines as partial in the working folder, synced */
static int write_partial(struct manifest *m, const struct manifest_run *run, struct lines *l,
			 const char *partial, const char *final, struct sbuf *err)
{
	struct outfile of;
	unlinkat(m->work->fd, partial, 0);	/* left by an interrupted run */
	if (outfile_create(&of, m->work, partial, err) < 0)
		return -1;
	m->partial_made = true;
	sbuf_reset(&m->line);
	run_line(m, run, &l->totals, &m->line);
	outfile_write(&of, m->line.buf, m->line.len);
	int e = copy_lines(l, &of);
	if (e) {
		outfile_abort(&of);
		sbuf_addf(err, "cannot write the manifest's temporary file in '%s/' for '%s': %s",
			  m->work->display, final, strerror(e));
		return -1;
	}
	outfile_sync(&of);	/* its errors are sticky: outfile_close reports them */
	return outfile_close(&of, -1, err);
}

int manifest_prepare(struct manifest *m, const struct manifest_run *run, struct sbuf *err)
{
	if (write_partial(m, run, &m->all, MANIFEST_PARTIAL, m->final, err) < 0)
		return -1;
	return m->round.fd < 0 ? 0 :
	       write_partial(m, run, &m->round, ROUND_PARTIAL, m->round_name, err);
}

int manifest_add_round(struct manifest *m, const char *record_name, struct sbuf *err)
{
	if (tree_refuse_link(m->domain, record_name, err) < 0)
		return -1;
	m->round.fd = open_unnamed(m->work->fd);
	if (m->round.fd < 0) {
		sbuf_addf(err, "cannot create a temporary file in '%s': %s", m->work->display,
			  strerror(errno));
		return -1;
	}
	m->round_name = xstrdup(record_name);
	return 0;
}

unsigned long long manifest_round_lines(const struct manifest *m)
{
	return m->round.totals.messages;
}

const char *const *manifest_publish_names(struct manifest *m)
{
	size_t n = 0;
	if (m->round.fd >= 0) {	/* the record first: the manifest says the round is whole */
		m->publish[n++] = ROUND_PARTIAL;
		m->publish[n++] = m->round_name;
	}
	m->publish[n++] = MANIFEST_PARTIAL;
	m->publish[n++] = m->name;
	m->publish[n] = NULL;
	return m->publish;
}

void manifest_published(struct manifest *m)
{
	m->partial_made = false;
}

int manifest_publish(struct manifest *m, struct sbuf *err)
{
	if (m->round.fd >= 0 &&
	    (tree_refuse_link(m->domain, m->round_name, err) < 0 ||
	     sys_renameat(m->work->fd, ROUND_PARTIAL, m->domain->fd, m->round_name, 0) < 0)) {
		if (!err->len)
			sbuf_addf(err, "cannot rename '%s/%s' to '%s/%s': %s", m->work->display,
				  ROUND_PARTIAL, m->domain->display, m->round_name, strerror(errno));
		return -1;
	}
	if (tree_refuse_link(m->domain, m->name, err) < 0 ||
	    sys_renameat(m->work->fd, MANIFEST_PARTIAL, m->domain->fd, m->name, 0) < 0) {
		if (!err->len)
			sbuf_addf(err, "cannot rename '%s' to '%s': %s", m->partial, m->final,
				  strerror(errno));
		/*
		 * it would describe the previous output (a link is left alone); a
		 * round's part is beside the earlier rounds' output, which it still
		 * describes: kept, and the next run writes the round again
		 */
		struct stat st;
		if (m->round.fd < 0 && fstatat(m->domain->fd, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
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
	/* a round whose plan is written publishes them when the next run carries it out */
	if (m->partial_made && faccessat(m->work->fd, MERGE_PLAN, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		unlinkat(m->work->fd, MANIFEST_PARTIAL, 0);
		unlinkat(m->work->fd, ROUND_PARTIAL, 0);
	}
	close(m->all.fd);
	if (m->round.fd >= 0)
		close(m->round.fd);
	free(m->round_name);
	sbuf_release(&m->round.pending);
	free(m->name);
	free(m->final);
	free(m->partial);
	free(m->output);
	sbuf_release(&m->all.pending);
	sbuf_release(&m->line);
	sbuf_release(&m->value);
	free(m);
	*mp = NULL;
}
