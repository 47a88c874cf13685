/*
 * `mdexport verify SOURCE DIR`: re-reads the store with the same reader
 * the export used (read-only, as ever) and, mailbox by mailbox, holds each
 * source message against its manifest line and its output item.
 *
 * The manifest is a map, not evidence: it says where each message went,
 * and what it says about the source (size, SHA-256, flags, dates) is
 * checked against the source itself.  Where the output is, is worked out
 * again from the source by the writer's documented naming; a manifest that
 * disagrees is reported.  What the output holds is compared with the
 * source by the format's read-back (core/check.h, found through the
 * registry by the run line's format), never with the manifest.  Nothing
 * here knows one format from another.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pool.h"
#include "core/outdir.h"
#include "core/sbuf.h"
#include "core/xalloc.h"
#include "formats.h"
#include "prescan.h"
#include "progress.h"
#include "verify_cmd.h"
#include "verify_item.h"

/* RESULT_FILTERED_OUT: the export's filters left it out, this verify's take it */
enum { RESULT_SKIPPED = 10, RESULT_NOT_EXPORTED = 11, RESULT_FILTERED_OUT = 12 };

char *vpath(const struct vbox *b, const char *rel)
{
	return xasprintf("%s/%s", b->run->o->output, rel);
}

/* ---- problems ------------------------------------------------------------- */

static void manifest_problem(struct vbox *b, unsigned line, const char *source,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void manifest_problem(struct vbox *b, unsigned line, const char *source,
			     const char *fmt, ...)
{
	struct sbuf w = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&w, fmt, ap);
	va_end(ap);
	struct vproblem p = { .kind = VK_MANIFEST, .source = source, .line = line,
			      .what = w.buf };
	vbox_problem(&b->rep, &p);
	sbuf_release(&w);
}

/* ---- the manifest ----------------------------------------------------------- */

static void check_run(struct vbox *b)
{
	const struct mf_run *r = &b->mrun;
	char *mailbox = xasprintf("%s@%s", b->box->mailbox, b->box->domain);
	if (strcmp(r->mailbox, mailbox))
		manifest_problem(b, 1, NULL, "the run line is for mailbox '%s', not '%s'",
				 r->mailbox, mailbox);
	if (strcmp(r->output, b->out_rel))
		manifest_problem(b, 1, NULL, "the run line's output is '%s', the mailbox's "
				 "output is '%s'", r->output, b->out_rel);
	if (r->started > r->ended)
		manifest_problem(b, 1, NULL, "the run ended before it started");
	if (r->ncommand < 2 || strcmp(r->command[1], "export"))
		manifest_problem(b, 1, NULL, "the run line's command is not an export");
	free(mailbox);
}

/* check_totals: the run line's totals against the message lines */
static void check_totals(struct vbox *b, uint64_t lines)
{
	struct mf_totals t = { .messages = lines };
	for (size_t i = 0; i < b->n; i++) {
		const struct mf_entry *e = &b->e[i];
		t.exported += e->exported;
		t.skipped += !e->exported;
		t.deleted += e->reason == MF_REASON_DELETED;
		t.unreadable += e->reason == MF_REASON_UNREADABLE || e->reason == MF_REASON_CHANGED;
		t.bytes += e->exported ? e->size : 0;
	}
	const struct mf_totals *r = &b->mrun.totals;
	static const char *const names[] = { "messages", "exported", "skipped", "deleted",
					     "unreadable", "bytes" };
	const uint64_t got[] = { r->messages, r->exported, r->skipped, r->deleted,
				 r->unreadable, r->bytes };
	const uint64_t want[] = { t.messages, t.exported, t.skipped, t.deleted, t.unreadable,
				  t.bytes };
	for (size_t i = 0; i < 6; i++)
		if (got[i] != want[i])
			manifest_problem(b, 1, NULL, "totals say %s %llu, the lines that follow %llu",
					 names[i], (unsigned long long)got[i],
					 (unsigned long long)want[i]);
}

/* add_entry: a parsed line; one that repeats a source path is reported, not kept */
static void add_entry(struct vbox *b, struct mf_entry *e)
{
	gpointer first = g_hash_table_lookup(b->by_source, e->source);
	if (e->reason == MF_REASON_REMOVED) {	/* a round's: its source is gone */
		b->e = xreallocarray(b->e, b->n + 1, sizeof(*b->e));
		b->e[b->n++] = *e;
		return;
	}
	if (first && b->e[GPOINTER_TO_SIZE(first) - 1].reason == MF_REASON_REMOVED)
		first = NULL;	/* removed once, its source back (a folder exported again) */
	if (first) {
		manifest_problem(b, e->line, e->source, "lists the source message again "
				 "(first at line %u)", b->e[GPOINTER_TO_SIZE(first) - 1].line);
		mf_entry_release(e);
		return;
	}
	b->e = xreallocarray(b->e, b->n + 1, sizeof(*b->e));
	b->e[b->n] = *e;
	b->n++;
	g_hash_table_insert(b->by_source, b->e[b->n - 1].source, GSIZE_TO_POINTER(b->n));
}

/* parse_line: line n (without its "\n"); false when line 1 is no run line */
static bool parse_line(struct vbox *b, unsigned n, const char *line, size_t len)
{
	struct sbuf err = SBUF_INIT;
	bool ok = true;
	if (n == 1) {
		ok = mf_parse_run(line, len, &b->mrun, &err) == 0;
		if (ok) {	/* the parser takes only a format that has a read-back */
			b->format = b->mrun.format;
			b->ops = formats_checker(b->format);
		}
		else
			manifest_problem(b, 1, NULL, "not the run line the spec asks for: %s; "
					 "nothing can be verified without it", err.buf);
	} else {
		struct mf_entry e;
		if (mf_parse_entry(line, len, b->format, &e, &err) == 0) {
			e.line = n;
			add_entry(b, &e);
		} else {
			manifest_problem(b, n, NULL, "%s", err.buf);
		}
	}
	sbuf_release(&err);
	return ok;
}

/*
 * read_manifest: every line; returns the number of message lines, -1 when
 * unusable.  A line longer than any the export writes (MF_LINE_MAX) is
 * reported and not parsed; memory stays bounded by the cap.
 */
static long read_manifest(struct vbox *b, FILE *f, const char *path)
{
	struct sbuf line = SBUF_INIT;
	int64_t len;
	bool newline;
	unsigned n = 0;
	while ((len = mf_read_line(f, &line, &newline)) >= 0) {
		n++;
		if (!newline)
			manifest_problem(b, n, NULL, "the line does not end with a newline");
		if (len > MF_LINE_MAX) {
			manifest_problem(b, n, NULL, "'%s' line %u is %lld bytes long, longer than "
					 "a manifest line can be (%d bytes); it is not read", path,
					 n, (long long)len, MF_LINE_MAX);
			if (n == 1) {
				manifest_problem(b, 1, NULL, "no run line: nothing can be verified "
						 "without it");
				break;
			}
		} else if (memchr(line.buf, '\0', line.len)) {
			manifest_problem(b, n, NULL, "a NUL byte in the line");
		} else if (!parse_line(b, n, line.buf, line.len)) {
			break;
		}
	}
	sbuf_release(&line);
	if (n == 0)
		manifest_problem(b, 0, NULL, "the manifest is empty: no run line");
	return b->format ? (long)n - 1 : -1;
}

/*
 * planted_link: the first of the mailbox's names under DIR (its domain
 * folder, the manifest, the output) that is a symbolic link, or NULL: an
 * export's own files never are, and verify reads nothing through one
 * (DIR itself may be a link an admin made)
 */
static char *planted_link(const struct vbox *b, const char *out_rel)
{
	const char *slash = strchr(b->manifest_rel, '/');
	char *dom = xstrndup(b->manifest_rel, slash ? (size_t)(slash - b->manifest_rel) : 0);
	const char *rels[] = { dom, b->manifest_rel, out_rel };
	for (size_t i = 0; i < sizeof(rels) / sizeof(*rels); i++) {
		if (!rels[i] || !*rels[i])
			continue;
		char *path = vpath(b, rels[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			free(dom);
			return path;
		}
		free(path);
	}
	free(dom);
	return NULL;
}

/* refuse_links: -1 (a problem of the mailbox) when planted_link finds one */
static int refuse_links(struct vbox *b, const char *out_rel)
{
	char *planted = planted_link(b, out_rel);
	if (!planted)
		return 0;
	manifest_problem(b, 0, NULL, "'%s' is a symbolic link: an export's own files never "
			 "are, and nothing is read through one", planted);
	free(planted);
	return -1;
}

static int load_manifest(struct vbox *b)
{
	if (refuse_links(b, NULL) < 0)
		return -1;
	char *path = vpath(b, b->manifest_rel);
	FILE *f = fopen(path, "re");
	if (!f) {
		manifest_problem(b, 0, NULL, "cannot read the manifest '%s': %s; nothing of "
				 "this mailbox can be verified", path, strerror(errno));
		free(path);
		return -1;
	}
	long lines = read_manifest(b, f, path);
	fclose(f);
	free(path);
	if (lines < 0)
		return -1;
	const struct mail_writer_ops *w = formats_writer(b->format);
	if (w && w->dest_suffix) {	/* the output is named dest + suffix (a PST) */
		char *with = xasprintf("%s%s", b->out_rel, w->dest_suffix);
		free(b->out_rel);
		b->out_rel = with;
	}
	free(b->rep.format);
	b->rep.format = xstrdup(b->format);
	free(b->rep.output);
	b->rep.output = xstrdup(b->out_rel);
	check_run(b);
	check_totals(b, (uint64_t)lines);
	b->chk = xcalloc(b->n + 1, sizeof(*b->chk));
	for (size_t i = 0; i < b->n; i++) {
		b->chk[i].source = b->e[i].source;
		b->chk[i].line = b->e[i].line;
		b->chk[i].want = &b->e[i].out;
		b->chk[i].exported = b->e[i].exported;
	}
	if (refuse_links(b, b->out_rel) < 0) {
		b->format = NULL;	/* as without a manifest: nothing is read */
		return -1;
	}
	return 0;
}

/* ---- one source message ------------------------------------------------------ */

static void trimmed_header(const struct mail_msg *m, const char *name, char **out)
{
	struct sbuf v = SBUF_INIT;
	*out = NULL;
	if (header_block_get(m->prefix, m->head_len, name, &v)) {
		while (v.len && (v.buf[v.len - 1] == ' ' || v.buf[v.len - 1] == '\t'))
			sbuf_setlen(&v, v.len - 1);
		*out = sbuf_detach(&v);
	}
	sbuf_release(&v);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* check_headers: date_header and message_id against the source's header */
static void check_headers(struct vbox *b, const struct mf_entry *e, const struct mail_msg *m)
{
	char *date, *id;
	trimmed_header(m, "Date", &date);
	trimmed_header(m, "Message-ID", &id);
	if (!same_str(date, e->date_header))
		manifest_problem(b, e->line, e->source, "date_header is %s%s%s, the source's "
				 "Date: is %s%s%s", e->date_header ? "'" : "",
				 e->date_header ? e->date_header : "null", e->date_header ? "'" : "",
				 date ? "'" : "", date ? date : "absent", date ? "'" : "");
	if (!same_str(id, e->message_id))
		manifest_problem(b, e->line, e->source, "message_id is %s, the source's "
				 "Message-ID: is %s", e->message_id ? e->message_id : "null",
				 id ? id : "absent");
	free(date);
	free(id);
}

static void check_index(struct vbox *b, const struct mf_entry *e, const struct mail_folder *f,
			const struct mail_msg *m)
{
	if (e->has_uidvalidity != f->has_index ||
	    (f->has_index && e->uidvalidity != f->uidvalidity))
		manifest_problem(b, e->line, e->source, "uidvalidity is not the folder's (%s%u)",
				 f->has_index ? "" : "no index; ", f->uidvalidity);
	if (e->has_uid != (m->uid != 0) || (m->uid && e->uid != m->uid))
		manifest_problem(b, e->line, e->source, "uid is not the index record's (%u)",
				 m->uid);
	if (e->flags != m->flags) {
		char want[64];
		verify_flag_names(m->flags, want);
		manifest_problem(b, e->line, e->source, "flags are not the source's (%s)", want);
	}
	if (e->internal_date != m->received) {
		char want[32];
		mf_format_time(m->received, want);
		manifest_problem(b, e->line, e->source, "internal_date is not the source's (%s)",
				 want);
	}
}

/* check_fields: what the line says about the source, against the source */
static void check_fields(struct vbox *b, const struct mf_entry *e, const struct mail_folder *f,
			 const struct mail_msg *m, const char *sha)
{
	/* a message that changed while the export read it: its figures were no version's */
	bool changed = e->reason == MF_REASON_CHANGED;
	if (!changed && (!e->has_size || e->size != m->size))
		manifest_problem(b, e->line, e->source, "size is not the source file's (%llu)",
				 (unsigned long long)m->size);
	if (!changed && (!e->has_sha || strcmp(e->sha256, sha)))
		manifest_problem(b, e->line, e->source, "sha256 %s is not the source file's (%s)",
				 e->has_sha ? e->sha256 : "null", sha);
	if (strcmp(e->folder, f->path))
		manifest_problem(b, e->line, e->source, "folder '%s' is not the source's ('%s')",
				 e->folder, f->path);
	check_index(b, e, f, m);
	if (m->kind == ITEM_MAIL)	/* an item's object is checked by verify_item */
		check_headers(b, e, m);
}

static void set_result(struct check_line *c, int result, const char *why)
{
	c->result = result;
	free(c->why);
	c->why = why && *why ? xstrdup(why) : NULL;
}

/*
 * round_file: a later round of export --incremental names its new items
 * on from the earlier ones (EML numbers, Maildir's R<round> tag), which the
 * source alone cannot say: the line's file is taken when the export has
 * rounds and the file is inside the mailbox's output
 */
static bool round_file(const struct vbox *b, const char *file)
{
	size_t n = strlen(b->out_rel);
	return b->mrun.round > 1 && !strncmp(file, b->out_rel, n) && file[n] == '/' &&
	       !strstr(file + n, "/../") && !strstr(file + n, "/./");
}

static void check_exported(struct vbox *b, size_t i, const struct mail_folder *f,
			   const struct mail_msg *m)
{
	struct mf_entry *e = &b->e[i];
	struct check_line *c = &b->chk[i];
	struct check_loc loc = { 0 };
	b->ops->locate(b->out, f->path, m, &loc);
	c->location = loc.file;
	loc.file = NULL;
	/* a line naming another file of the output (a PST part) or a round's name: checked there */
	if (strcmp(e->out.file, c->location) &&
	    (round_file(b, e->out.file) ||
	     (b->ops->names_part && b->ops->names_part(b->out, e->out.file)))) {
		free(c->location);
		c->location = xstrdup(e->out.file);
	}
	if (strcmp(e->out.file, c->location))
		manifest_problem(b, e->line, e->source, "output file '%s' is not the name the "
				 "writer gives it ('%s')", e->out.file, c->location);
	/* a format that names folders inside its file: nothing is looked at in an
	 * output that cannot be read */
	/* rounds: a folder renamed since keeps what earlier rounds wrote under its old name */
	if (loc.folder && !b->out_bad && e->out.folder && strcmp(e->out.folder, loc.folder) &&
	    b->mrun.round < 2)
		manifest_problem(b, e->line, e->source, "output folder '%s' is not where the "
				 "writer puts folder '%s' ('%s')", e->out.folder, f->path, loc.folder);
	check_loc_release(&loc);
	struct sbuf why = SBUF_INIT;
	struct mail_msg as_written;	/* a round recorded a change of flags its output does not show */
	if (e->has_written_flags) {
		as_written = *m;
		as_written.flags = e->written_flags;
		m = &as_written;
	}
	int ret = b->ops->compare(b->out, c, m, &why);
	set_result(c, ret, why.buf);
	sbuf_release(&why);
}

/*
 * check_filtered: a message the export's filters left out is skipped when
 * this verify's filters leave it out too; else it is missing: a verify
 * without the export's filters must not pass as if all had been exported
 */
static void check_filtered(struct vbox *b, size_t i, const struct mail_folder *f,
			   const struct mail_msg *m)
{
	const struct filter *vf = &b->run->o->filter;
	if (!filter_folder(vf, f->path) || !filter_msg(vf, m))
		set_result(&b->chk[i], RESULT_SKIPPED, NULL);
	else
		set_result(&b->chk[i], RESULT_FILTERED_OUT, "not exported: the export's filters "
			   "left it out (see the manifest's run line); verify with the same "
			   "filters to accept that");
}

/* check_readable: a message the reader could read; its line and its output */
static void check_readable(struct vbox *b, size_t i, const struct mail_folder *f,
			   const struct mail_msg *m)
{
	struct mf_entry *e = &b->e[i];
	struct check_line *c = &b->chk[i];
	char sha[65];
	struct sbuf err = SBUF_INIT;
	if (verify_sha256_msg(m, sha, &err) != CONV_OK) {
		set_result(c, VERIFY_SOURCE_BAD, err.buf);
		sbuf_release(&err);
		return;
	}
	sbuf_release(&err);
	check_fields(b, e, f, m, sha);
	if (e->reason == MF_REASON_CHANGED) {
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "not exported: it changed while the export read it (%s)",
			  e->detail);
		set_result(c, RESULT_NOT_EXPORTED, w.buf);
		sbuf_release(&w);
	} else if (e->reason == MF_REASON_FILTERED) {
		check_filtered(b, i, f, m);
	} else if (e->exported && m->kind != ITEM_MAIL) {	/* issue 14 */
		struct sbuf why = SBUF_INIT;
		int ret = verify_item(b, i, m, &why);
		set_result(c, ret, why.buf);
		sbuf_release(&why);
	} else if (e->exported) {
		check_exported(b, i, f, m);
	} else if (e->reason == MF_REASON_DELETED) {
		set_result(c, RESULT_SKIPPED, NULL);
	} else {
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "not exported: the export could not read it (%s); it reads now",
			  e->detail);
		set_result(c, RESULT_NOT_EXPORTED, w.buf);
		sbuf_release(&w);
	}
}

/* folder_filtered: the export's command (the run line's) has --folder or --exclude-folder */
static bool folder_filtered(const struct vbox *b)
{
	for (size_t i = 0; i < b->mrun.ncommand; i++)
		if (!strncmp(b->mrun.command[i], "--folder", 8) ||
		    !strncmp(b->mrun.command[i], "--exclude-folder", 16))
			return true;
	return false;
}

static void check_message(struct vbox *b, const struct mail_folder *f, const struct mail_msg *m,
			  int status, const struct sbuf *err)
{
	if (!b->format) {		/* no usable manifest: counted, not checked */
		vbox_count(&b->rep, f->path, VK_MISSING);
		return;
	}
	gpointer hit = g_hash_table_lookup(b->by_source, m->origin);
	if (!hit) {
		struct vproblem p = { .kind = VK_MANIFEST, .folder = f->path, .source = m->origin,
				      .what = folder_filtered(b) ?
				      "the manifest has no line for this source message (the "
				      "export's --folder/--exclude-folder left its folder out? "
				      "verify with the same filters)" :
				      "the manifest has no line for this source message" };
		vbox_problem(&b->rep, &p);
		return;
	}
	size_t i = GPOINTER_TO_SIZE(hit) - 1;
	struct check_line *c = &b->chk[i];
	c->seen = true;
	c->folder = xstrdup(f->path);
	if (status == CONV_OK) {
		check_readable(b, i, f, m);
	} else {
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "cannot be read now: %s", err->buf);
		if (b->e[i].reason == MF_REASON_UNREADABLE || b->e[i].reason == MF_REASON_CHANGED)
			sbuf_addf(&w, "; nor at export: %s", b->e[i].detail);
		set_result(c, VERIFY_SOURCE_BAD, w.buf);
		sbuf_release(&w);
	}
	if (!b->ops->reconcile || m->kind != ITEM_MAIL) {
		record_outcome(b, i);	/* else once reconcile has been through its file */
		if (m->kind != ITEM_MAIL) {	/* an item's text file is no format's to reconcile */
			free(c->location);
			c->location = NULL;
		}
	}
}

/* ---- outcomes ------------------------------------------------------------------ */

static enum vkind kind_of(int result)
{
	switch (result) {
	case VERIFY_SAME: return VK_VERIFIED;
	case RESULT_SKIPPED: return VK_SKIPPED;
	case RESULT_FILTERED_OUT: return VK_MISSING;
	case VERIFY_DIFFERS: return VK_ALTERED;
	case VERIFY_ABSENT: return VK_MISSING;
	case VERIFY_INCOMPLETE: return VK_INCOMPLETE;
	default: return VK_UNREADABLE;
	}
}

void record_outcome(struct vbox *b, size_t i)
{
	const struct mf_entry *e = &b->e[i];
	struct check_line *c = &b->chk[i];
	if (c->done || !c->seen)
		return;
	c->done = true;
	enum vkind k = kind_of(c->result);
	if (k == VK_VERIFIED || k == VK_SKIPPED) {
		vbox_count(&b->rep, c->folder, k);
		return;
	}
	struct vproblem p = { .kind = k, .folder = c->folder, .source = e->source,
			      .output = c->location, .what = c->why };
	if (e->out.has_range && c->location) {	/* where in the file, once found */
		p.has_offset = true;
		p.offset = c->claimed ? c->found_at : e->out.offset;
		p.length = c->claimed ? c->found_len : e->out.length;
	}
	if (e->exported && e->out.has_node) {
		p.has_nid = true;
		p.nid = e->out.node;
	}
	vbox_problem(&b->rep, &p);
}

/* ---- one mailbox --------------------------------------------------------------------- */

static void box_init(struct vbox *b, struct vrun *run, const struct mail_box *box)
{
	memset(b, 0, sizeof(*b));
	b->run = run;
	b->box = box;
	struct sbuf rel = SBUF_INIT;
	fsname_escape(&rel, box->domain);
	sbuf_addch(&rel, '/');
	fsname_escape_mailbox(&rel, box->mailbox);
	b->out_rel = xstrdup(rel.buf);
	sbuf_adds(&rel, ".manifest.jsonl");
	b->manifest_rel = sbuf_detach(&rel);
	b->by_source = g_hash_table_new(g_str_hash, g_str_equal);
	char *name = xasprintf("%s@%s", box->mailbox, box->domain);
	vbox_report_init(&b->rep, name, NULL, b->out_rel, b->manifest_rel);
	free(name);
}

static void box_release(struct vbox *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->chk[i].why);
		free(b->chk[i].location);
		free(b->chk[i].head);
		free(b->chk[i].folder);
		mf_entry_release(&b->e[i]);
	}
	free(b->e);
	free(b->chk);
	mf_run_release(&b->mrun);
	free(b->fallback);	/* issue 15 */
	g_hash_table_destroy(b->by_source);
	if (b->out)
		b->out->v->close(b->out);
	free(b->out_rel);
	free(b->manifest_rel);
}

/*
 * fallback_of: issue 15: the --fallback-charset verify compares with:
 * verify's own when given, else the export's, from the command its run
 * line recorded (as --vcard is, verify_item.c); NULL: windows-1252
 */
static const char *const *fallback_of(struct vbox *b)
{
	if (b->run->o->nfallback)
		return (const char *const *)b->run->o->fallback;
	size_t n = 0;
	for (size_t i = 0; i < b->mrun.ncommand; i++) {
		const char *w = b->mrun.command[i], *v = NULL;
		if (!strcmp(w, "--fallback-charset") && i + 1 < b->mrun.ncommand)
			v = b->mrun.command[++i];
		else if (!strncmp(w, "--fallback-charset=", 19))
			v = w + 19;
		if (!v)
			continue;
		b->fallback = xreallocarray(b->fallback, n + 2, sizeof(*b->fallback));
		b->fallback[n++] = v;
		b->fallback[n] = NULL;
	}
	return (const char *const *)b->fallback;
}

/*
 * flag_sep_of: issue 16: the export's --maildir-flag-separator, from the
 * command its run line recorded (':' when not given), as vcard_of reads --vcard
 */
static char flag_sep_of(const struct vbox *b)
{
	static const char opt[] = "--maildir-flag-separator";
	size_t n = sizeof(opt) - 1;
	char sep = ':';
	for (size_t i = 0; i < b->mrun.ncommand; i++) {
		const char *a = b->mrun.command[i];
		if (!strcmp(a, opt) && i + 1 < b->mrun.ncommand)
			sep = b->mrun.command[i + 1][0];
		else if (!strncmp(a, opt, n) && a[n] == '=')
			sep = a[n + 1];
	}
	return sep;
}

/* open_output: the mailbox's output, for reading back; one that cannot be read is missing */
static void open_output(struct vbox *b)
{
	struct sbuf err = SBUF_INIT;
	b->out = b->ops->open(b->run->o->output, b->out_rel, &err);
	b->out->fallback = fallback_of(b);	/* issue 15 */
	b->out->maildir_flag_sep = flag_sep_of(b);	/* issue 16 */
	if (err.len) {
		b->out_bad = true;
		struct vproblem p = { .kind = VK_MISSING, .folder = "(mailbox)", .output = b->out_rel,
				      .what = err.buf };
		vbox_problem(&b->rep, &p);
	}
	sbuf_release(&err);
}

static void walk_source(struct vbox *b, struct mail_mailbox *r)
{
	struct sbuf err = SBUF_INIT;
	const struct mail_folder *f;
	const struct mail_msg *m;
	int ret;
	while ((ret = r->v->next_folder(r, &f, &err)) != CONV_DONE) {
		if (ret != CONV_OK)
			diag_error(&b->diag, "%s", err.buf);
		sbuf_reset(&err);
		if (!f->is_mail && f->kind == ITEM_MAIL)	/* documents: never exported */
			continue;
		/* a folder the filters leave out: only what the manifest lists of it is checked */
		bool taken = filter_folder(&b->run->o->filter, f->path);
		if (taken)
			vbox_folder(&b->rep, f->path);
		m = NULL;
		while ((ret = r->v->next_msg(r, &m, &err)) != CONV_DONE) {
			if (ret == CONV_FOLDER_BAD || !m) {	/* the rest of the folder cannot be read */
				diag_error(&b->diag, "%s", err.buf);
				sbuf_reset(&err);
				break;
			}
			uint64_t size = ret == CONV_OK ? m->size : 0;
			if (m->kind == ITEM_MAIL)	/* items: not in the pre-scan's totals */
				progress_add(b->run->progress, 1, size);
			b->walked++;
			b->walked_bytes += size;
			if (taken || (b->format && g_hash_table_lookup(b->by_source, m->origin)))
				check_message(b, f, m, ret, &err);
			sbuf_reset(&err);
		}
	}
	sbuf_release(&err);
}

/* finish: what only the whole mailbox can tell */
static void finish(struct vbox *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->e[i].reason == MF_REASON_REMOVED) {
			/* kept in the output where the line says: counted as skipped; a
			 * format that reconciles its files sees its item claimed there */
			struct check_line *c = &b->chk[i];
			c->seen = c->exported = c->claimed = true;
			c->folder = xstrdup(b->e[i].folder);
			/* a groupware item's text file is no format's to reconcile (issue 14) */
			c->location = b->e[i].item_kind ? NULL : xstrdup(b->e[i].out.file);
			set_result(c, RESULT_SKIPPED, NULL);
		} else if (!b->chk[i].seen) {
			manifest_problem(b, b->e[i].line, b->e[i].source, "the source has no such "
					 "message (in a mail folder)");
		}
	}
	if (b->ops->reconcile) {
		struct check_report rep = { box_problem, b };
		b->ops->reconcile(b->out, b->chk, b->n, &rep);
	}
	for (size_t i = 0; i < b->n; i++)
		record_outcome(b, i);
	out_extras(b);
}

/* a mailbox to verify, as listed (copied), and then its report, added in listing order */
struct vjob {
	struct pool_job pj;
	struct vrun *run;
	struct mail_box *box;
	int status;
	struct sbuf err;
	/* its mail folder is another account's: its mail is verified as that account */
	bool shared;
	struct diag diag;	/* the run's diag settings, as they were when it was listed */
	struct vbox b;
};

/* verify_mailbox: the mailbox's report, in j->b (added to the run's by finish_job) */
static void verify_mailbox(struct vjob *j)
{
	struct vrun *run = j->run;
	struct vbox *b = &j->b;
	box_init(b, run, j->box);
	b->diag = j->diag;
	if (run->pool) {
		b->diag.write = pool_job_write;
		b->diag.write_ctx = &j->pj;
	}
	struct sbuf open_err = SBUF_INIT;
	struct mail_mailbox *mb = j->status != CONV_OK ? NULL :
		run->reader->v->open_mailbox(run->reader, j->box, &b->diag, NULL, &open_err);
	if (j->status != CONV_OK || !mb) {
		struct vproblem p = { .kind = VK_UNREADABLE, .folder = "(mailbox)",
				      .what = mb || j->status != CONV_OK ? j->err.buf : open_err.buf };
		vbox_problem(&b->rep, &p);
	} else {
		if (load_manifest(b) == 0)
			open_output(b);
		walk_source(b, mb);
		if (b->format)
			finish(b);
		mb->v->close_mailbox(mb);
	}
	sbuf_release(&open_err);
}

static void run_job(struct pool_job *pj, void *ctx)
{
	(void)ctx;
	struct vjob *j = (struct vjob *)pj;
	if (!j->shared)
		verify_mailbox(j);
}

static void finish_job(struct pool_job *pj, void *ctx)
{
	struct vjob *j = (struct vjob *)pj;
	struct vrun *run = ctx;
	char *name = xasprintf("%s@%s", j->box->mailbox, j->box->domain);
	progress_mailbox_done(run->progress, name, j->shared ? "shared" :
			      vbox_failed(&j->b.rep) ? "problems" : "verified",
			      j->b.walked, j->b.walked_bytes);
	free(name);
	progress_hold(run->progress);	/* the report goes to stdout, maybe the same terminal */
	if (j->shared && !run->rep.json)
		printf("%s@%s: not exported: its mail folder is %s's, verified there\n",
		       j->box->mailbox, j->box->domain, j->box->shared_with);
	if (!j->shared) {
		g_hash_table_add(run->manifests_seen, xstrdup(j->b.manifest_rel));
		vreport_box(&run->rep, &j->b.rep);
		box_release(&j->b);
	}
	progress_resume(run->progress);
	mail_box_free(j->box);
	sbuf_release(&j->err);
	sbuf_release(&j->pj.text);
	free(j);
}

static struct vjob *job_new(struct vrun *run, const struct mail_box *box, int status,
			    const struct sbuf *err)
{
	struct vjob *j = xcalloc(1, sizeof(*j));
	j->run = run;
	j->box = mail_box_dup(box);
	j->status = status;
	j->shared = status == CONV_OK && box->shared_with;
	j->diag = run->diag;
	sbuf_init(&j->err);
	sbuf_add(&j->err, err->buf, err->len);
	return j;
}

/*
 * in_scope (issue 16): verify checks the mailboxes DIR holds exports of; one
 * of SOURCE that DIR holds nothing of is counted, said once, and not
 * checked, unless --all, or --user/--domain named it: then it is required
 */
static bool in_scope(struct vrun *run, const struct mail_box *box)
{
	const struct options *o = run->o;
	if (o->all || o->nusers || o->ndomains || box->shared_with)
		return true;
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "%s/", o->output);
	fsname_escape(&path, box->domain);
	sbuf_addch(&path, '/');
	fsname_escape_mailbox(&path, box->mailbox);
	sbuf_adds(&path, ".manifest.jsonl");
	struct stat st;
	bool there = lstat(path.buf, &st) == 0 || errno != ENOENT;
	sbuf_release(&path);
	if (!there) {
		char *name = xasprintf("%s@%s", box->mailbox, box->domain);
		vreport_not_in_dir(&run->rep, name);
		free(name);
	}
	return there;
}

/* verify_all: every mailbox wanted, one at a time or side by side (-j N), reported in order */
static void verify_all(struct vrun *run)
{
	struct sbuf err = SBUF_INIT, listing = SBUF_INIT;
	struct diag said = run->diag;	/* where the run's lines go */
	if (run->o->jobs > 1) {
		run->pool = pool_new(run->o->jobs, run_job, finish_job, run, &err);
		if (run->pool) {
			pool_set_sink(run->pool, said.write, said.write_ctx);
			run->diag.write = pool_keep_text;
			run->diag.write_ctx = &listing;
		}
		sbuf_reset(&err);
	}
	const struct mail_box *box;
	struct mail_reader *r = run->reader;
	int ret;
	while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
		if (run->pool) {
			pool_print(run->pool, listing.buf, listing.len);
			sbuf_reset(&listing);
		}
		if (!select_wanted(&run->sel, box) || !in_scope(run, box)) {
			sbuf_reset(&err);
			continue;
		}
		notfound_add(&run->nf, box, ret);	/* issue 16 */
		struct vjob *j = job_new(run, box, ret, &err);
		if (run->pool) {
			pool_submit(run->pool, &j->pj, false);
		} else {
			run_job(&j->pj, run);
			finish_job(&j->pj, run);
		}
		sbuf_reset(&err);
	}
	if (run->pool) {
		pool_print(run->pool, listing.buf, listing.len);
		pool_finish(run->pool);
		run->pool = NULL;
		run->diag.write = said.write;
		run->diag.write_ctx = said.write_ctx;
	}
	sbuf_release(&listing);
	sbuf_release(&err);
}

/* ---- the run -------------------------------------------------------------------------- */

/* stray_manifests: manifests in DIR of no mailbox of SOURCE (only when all are verified) */
static void stray_manifests(struct vrun *run)
{
	const char *dir = run->o->output;
	GDir *top = g_dir_open(dir, 0, NULL);
	const char *dom;
	while (top && (dom = g_dir_read_name(top))) {
		char *sub = g_build_filename(dir, dom, NULL);
		GDir *d = g_file_test(sub, G_FILE_TEST_IS_DIR) ? g_dir_open(sub, 0, NULL) : NULL;
		const char *name;
		while (d && (name = g_dir_read_name(d))) {
			char *rel = g_strdup_printf("%s/%s", dom, name);
			if (g_str_has_suffix(name, ".manifest.jsonl") &&
			    !g_hash_table_contains(run->manifests_seen, rel))
				vreport_other(&run->rep, "a manifest for a mailbox that SOURCE does "
					      "not have", rel);
			g_free(rel);
		}
		if (d)
			g_dir_close(d);
		g_free(sub);
	}
	if (top)
		g_dir_close(top);
}

static int open_run(struct vrun *run, const struct options *o)
{
	memset(run, 0, sizeof(*run));
	run->o = o;
	run->diag.quiet = true;	/* the export showed the reader's warnings */
	struct stat st;
	if (stat(o->output, &st) < 0 || access(o->output, R_OK | X_OK) < 0) {
		fprintf(stderr, "mdexport: cannot read the export '%s': %s\n", o->output,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mdexport: the export '%s' is not a directory\n", o->output);
		return -1;
	}
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps,
					.index_mem = o->index_mem, .zone = o->zone };
	set.no_public_folders = o->no_public_folders;	/* issue 14 */
	set.fallback = (const char *const *)o->fallback;	/* issue 15 */
	struct sbuf err = SBUF_INIT;
	run->reader = o->reader->open(o->source, &set, &run->diag, &err);
	if (!run->reader) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		return -1;
	}
	sbuf_release(&err);
	select_init(&run->sel, o);
	run->manifests_seen = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	vreport_init(&run->rep, o->json, o->source, o->output);
	return 0;
}

static int verify_run(const struct options *o, struct progress *p)
{
	struct vrun run;
	if (open_run(&run, o) < 0)
		return EXIT_FATAL;
	run.progress = p;
	run.diag.write = progress_diag_out;	/* the reader keeps &run.diag: set in time */
	run.diag.write_ctx = p;
	progress_start(p);
	struct prescan *scan = prescan_start(o, p);	/* the totals, beside the run */
	verify_all(&run);
	prescan_finish(&scan);
	progress_stop(p);
	if (!o->nusers && !o->ndomains && !o->shard_n) {	/* the others' are another run's */
		stray_manifests(&run);
		verify_unlisted(&run);	/* issue 16 */
	}
	bool bad_filter = select_unmatched(&run.sel);
	int status = vreport_finish(&run.rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mdexport: cannot write the report");
		status = EXIT_FATAL;
	}
	struct sbuf hint = SBUF_INIT;	/* issue 16: after the report, what to do next */
	notfound_line(&run.nf, &hint);
	progress_print(p, hint.buf, hint.len);
	sbuf_release(&hint);
	notfound_release(&run.nf);
	run.reader->v->close(run.reader);
	select_release(&run.sel);
	g_hash_table_destroy(run.manifests_seen);
	return bad_filter ? EXIT_FATAL : status;
}

int cmd_verify(const struct options *o)
{
	struct progress *p = progress_new(o->progress, "verify");
	int status = verify_run(o, p);
	progress_stop(p);
	progress_done(p, status);
	progress_free(&p);
	return status;
}
