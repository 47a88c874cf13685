/*
 * `mdexport list`: what the store holds, without reading any message
 * (but with --since, --until, --min-size or --max-size: each message's
 * date and size are then read to count only those taken).
 * One line per mailbox for people (issue 16), --folders one per folder;
 * --csv and --json for scripts (raw numbers).  The table's columns are as
 * wide as their widest value, so every row is gathered before any is
 * printed (a row per mailbox or folder: small beside the mail it counts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/reader.h"
#include "core/xalloc.h"
#include "csv.h"
#include "formats.h"
#include "notfound.h"
#include "options.h"
#include "select.h"

struct list_row {
	char *domain, *mailbox;
	char *folder, *cls;	/* --folders; NULL in the mailbox view */
	char *error;		/* the mailbox could not be read: why; else NULL */
	unsigned folders, messages, groupware, problems;
	uint64_t bytes;
};

struct list_rows {
	struct list_row *v;
	size_t count, alloc;
};

struct list_totals {
	unsigned mailboxes, folders, messages, groupware, problems;
	unsigned errors;	/* of the problems: errors (the exit status; warnings lose nothing) */
	uint64_t bytes;
	struct notfound nf;	/* issue 16: mail folders not found, said once */
};

static struct list_row *add_row(struct list_rows *rows, const struct mail_box *box)
{
	if (rows->count == rows->alloc) {
		rows->alloc = rows->alloc ? rows->alloc * 2 : 32;
		rows->v = xreallocarray(rows->v, rows->alloc, sizeof(*rows->v));
	}
	struct list_row *w = &rows->v[rows->count++];
	memset(w, 0, sizeof(*w));
	w->domain = xstrdup(box->domain);
	w->mailbox = xstrdup(box->mailbox);
	return w;
}

static void rows_release(struct list_rows *rows)
{
	for (size_t i = 0; i < rows->count; i++) {
		free(rows->v[i].domain);
		free(rows->v[i].mailbox);
		free(rows->v[i].folder);
		free(rows->v[i].cls);
		free(rows->v[i].error);
	}
	free(rows->v);
}

/*
 * taken_counts: the folder's messages and bytes that the message filters
 * take (filter.h), from each message read (the index alone has no dates
 * for every store); a message that cannot be read counts as found
 */
static void taken_counts(struct mail_mailbox *mb, const struct filter *flt, unsigned *messages,
			 uint64_t *bytes, struct diag *d)
{
	struct sbuf err = SBUF_INIT;
	const struct mail_msg *m;
	int ret;
	*messages = 0;
	*bytes = 0;
	while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
		if (ret != CONV_OK)
			diag_warn(d, "%s", err.buf);
		sbuf_reset(&err);
		if (ret == CONV_OK && !filter_msg(flt, m))
			continue;
		(*messages)++;
		*bytes += m->size;
	}
	sbuf_release(&err);
}

static void json_folder(struct sbuf *j, const struct mail_folder *f, bool first)
{
	sbuf_adds(j, first ? "\n      " : ",\n      ");
	sbuf_adds(j, "{\"path\": ");
	sbuf_add_json_str(j, f->path);
	sbuf_adds(j, ", \"class\": ");
	sbuf_add_json_str(j, f->folder_class);
	sbuf_addf(j, ", \"mail\": %s, \"messages\": %u, \"bytes\": %llu, "
		  "\"indexed\": %s, \"uidvalidity\": %u, \"source\": ",
		  f->is_mail ? "true" : "false", f->messages,
		  (unsigned long long)f->bytes, f->has_index ? "true" : "false",
		  f->uidvalidity);
	sbuf_add_json_str(j, f->origin);
	sbuf_addch(j, '}');
}

/* json_box_counts: the mailbox view's numbers, closing its JSON object */
static void json_box_counts(struct sbuf *j, const struct list_row *w)
{
	sbuf_addf(j, ", \"mail_folders\": %u, \"mail_messages\": %u, \"mail_bytes\": %llu, "
		  "\"groupware_folders\": %u, \"problems\": %u}", w->folders, w->messages,
		  (unsigned long long)w->bytes, w->groupware, w->problems);
}

/*
 * list_folders: the folders of the opened mailbox: into the JSON, the
 * mailbox's row (box) and, with --folders, a row each
 */
static void list_folders(struct mail_mailbox *mb, const struct options *o,
			 const struct mail_box *box, struct diag *bd, struct sbuf *j,
			 struct list_rows *rows, struct list_row *sum)
{
	struct sbuf err = SBUF_INIT;
	const struct mail_folder *f;
	bool first = true;
	int ret;
	while ((ret = mb->v->next_folder(mb, &f, &err)) != CONV_DONE) {
		if (ret != CONV_OK) {
			diag_error(bd, "%s", err.buf);
			sbuf_reset(&err);
		}
		if (!filter_folder(&o->filter, f->path))	/* --folder, --exclude-folder */
			continue;
		struct mail_folder taken = *f;
		if (f->is_mail && filter_by_msg(&o->filter)) {
			taken_counts(mb, &o->filter, &taken.messages, &taken.bytes, bd);
			f = &taken;
		}
		json_folder(j, f, first);
		first = false;
		if (o->folders) {
			struct list_row *w = add_row(rows, box);
			w->folder = xstrdup(f->path);
			w->cls = xstrdup(f->folder_class);
			w->messages = f->messages;
			w->bytes = f->bytes;
		}
		if (f->is_mail) {
			sum->folders++;
			sum->messages += f->messages;
			sum->bytes += f->bytes;
		} else {
			sum->groupware++;
		}
	}
	sbuf_release(&err);
}

/* list_mailbox: one mailbox, appended to the JSON and to the rows */
static void list_mailbox(struct mail_reader *r, const struct options *o,
			 const struct mail_box *box, int status, struct sbuf *err,
			 struct sbuf *j, struct list_rows *rows, struct list_totals *t)
{
	if (t->mailboxes++)
		sbuf_adds(j, ",");
	sbuf_adds(j, "\n  {\"domain\": ");
	sbuf_add_json_str(j, box->domain);
	sbuf_adds(j, ", \"mailbox\": ");
	sbuf_add_json_str(j, box->mailbox);
	sbuf_adds(j, ", \"full_name\": ");
	sbuf_add_json_str(j, box->full_name);
	sbuf_adds(j, ", \"path\": ");
	sbuf_add_json_str(j, box->path);
	sbuf_adds(j, ", \"found_by\": ");
	sbuf_add_json_str(j, box->origin);
	/* the mailbox's own diag: its warnings and errors are its problems */
	struct conv_stats st = { 0 };
	struct diag bd = { .stats = &st, .quiet = o->quiet };
	struct list_row sum = { 0 };
	struct mail_mailbox *mb = status == CONV_OK ?
		r->v->open_mailbox(r, box, &bd, NULL, err) : NULL;
	if (!mb && notfound_add(&t->nf, box, status)) {
		st.unreadable++;	/* a problem of its own, said at the end with the others */
	} else if (!mb) {
		diag_error(&bd, "%s@%s: %s", box->mailbox, box->domain, err->buf);
	}
	if (!mb) {
		sbuf_adds(j, ", \"error\": ");
		sbuf_add_json_str(j, err->buf);
		sbuf_adds(j, ", \"folders\": []");
	} else {
		sbuf_adds(j, ", \"folders\": [");
		list_folders(mb, o, box, &bd, j, rows, &sum);
		sbuf_adds(j, "\n  ]");
		mb->v->close_mailbox(mb);
	}
	sum.problems = st.warnings + st.unreadable;
	t->errors += st.unreadable;
	conv_stats_release(&st);
	if (!o->folders || !mb) {
		struct list_row *w = add_row(rows, box);
		w->folders = sum.folders;
		w->messages = sum.messages;
		w->bytes = sum.bytes;
		w->groupware = sum.groupware;
		w->problems = sum.problems;
		if (!mb)
			w->error = xstrdup(err->buf);
		if (o->folders) {	/* an unreadable mailbox still has its line */
			w->folder = xstrdup("(unreadable)");
			w->cls = xstrdup("-");
		}
	}
	json_box_counts(j, &sum);
	t->folders += sum.folders + sum.groupware;
	t->messages += sum.messages;
	t->bytes += sum.bytes;
	t->groupware += sum.groupware;
	t->problems += sum.problems;
}

/* ---- the output --------------------------------------------------------------------- */

enum col { C_DOMAIN, C_MAILBOX, C_FOLDER, C_CLASS, C_FOLDERS, C_MESSAGES, C_SIZE,
	   C_GROUPWARE, C_PROBLEMS, C_COUNT };
static const char *const col_title[C_COUNT] = { "DOMAIN", "MAILBOX", "FOLDER", "CLASS",
	"FOLDERS", "MESSAGES", "SIZE", "GROUPWARE", "PROBLEMS" };
static const char *const col_key[C_COUNT] = { "domain", "mailbox", "folder", "class",
	"folders", "messages", "bytes", "groupware_folders", "problems" };

/* shown: whether column c is in the view (--folders: folder and class, no per-box counts) */
static bool shown(enum col c, bool folders)
{
	if (c == C_FOLDER || c == C_CLASS)
		return folders;
	if (c == C_FOLDERS || c == C_GROUPWARE || c == C_PROBLEMS)
		return !folders;
	return true;
}

/* cell: column c of w as text; raw: numbers as they are (CSV, --bytes) */
static void cell(const struct list_row *w, enum col c, bool raw, struct sbuf *out)
{
	char size[32];
	switch (c) {
	case C_DOMAIN: sbuf_adds(out, w->domain); break;
	case C_MAILBOX: sbuf_adds(out, w->mailbox); break;
	case C_FOLDER: sbuf_adds(out, w->folder ? w->folder : ""); break;
	case C_CLASS: sbuf_adds(out, w->cls ? w->cls : ""); break;
	case C_FOLDERS: sbuf_addf(out, "%u", w->folders); break;
	case C_MESSAGES: sbuf_addf(out, "%u", w->messages); break;
	case C_SIZE:
		if (raw) {
			sbuf_addf(out, "%llu", (unsigned long long)w->bytes);
		} else {
			human_bytes(size, sizeof(size), w->bytes);
			sbuf_adds(out, size);
		}
		break;
	case C_GROUPWARE: sbuf_addf(out, "%u", w->groupware); break;
	case C_PROBLEMS: sbuf_addf(out, "%u", w->problems); break;
	default: break;
	}
}

/* width: characters of UTF-8 s (what a terminal shows, near enough) */
static size_t width(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static bool numeric(enum col c)
{
	return c >= C_FOLDERS;
}

static void put_table(const struct list_rows *rows, const struct options *o)
{
	size_t w[C_COUNT];
	struct sbuf v = SBUF_INIT, line = SBUF_INIT;
	for (int c = 0; c < C_COUNT; c++)
		w[c] = width(c == C_SIZE && o->bytes ? "BYTES" : col_title[c]);
	for (size_t i = 0; i < rows->count; i++)
		for (int c = 0; c < C_COUNT; c++) {
			sbuf_reset(&v);
			cell(&rows->v[i], (enum col)c, o->bytes, &v);
			if (width(v.buf) > w[c])
				w[c] = width(v.buf);
		}
	for (size_t i = 0; i <= rows->count; i++) {
		for (int c = 0; c < C_COUNT; c++) {
			if (!shown((enum col)c, o->folders))
				continue;
			sbuf_reset(&v);
			if (i == 0)
				sbuf_adds(&v, c == C_SIZE && o->bytes ? "BYTES" : col_title[c]);
			else
				cell(&rows->v[i - 1], (enum col)c, o->bytes, &v);
			if (line.len)
				sbuf_adds(&line, "  ");
			size_t have = width(v.buf);
			for (size_t k = have; numeric((enum col)c) && k < w[c]; k++)
				sbuf_addch(&line, ' ');
			sbuf_add(&line, v.buf, v.len);
			for (size_t k = have; !numeric((enum col)c) && k < w[c]; k++)
				sbuf_addch(&line, ' ');
		}
		while (line.len && line.buf[line.len - 1] == ' ')	/* no trailing blanks */
			line.buf[--line.len] = '\0';
		sbuf_addch(&line, '\n');
		fwrite(line.buf, 1, line.len, stdout);
		sbuf_reset(&line);
	}
	sbuf_release(&v);
	sbuf_release(&line);
}

/* put_csv: a header row, then a row each; sizes in bytes; the mailbox view adds error */
static void put_csv(const struct list_rows *rows, const struct options *o)
{
	struct sbuf line = SBUF_INIT, v = SBUF_INIT;
	for (size_t i = 0; i <= rows->count; i++) {
		for (int c = 0; c < C_COUNT; c++) {
			if (!shown((enum col)c, o->folders))
				continue;
			if (line.len)
				sbuf_addch(&line, ',');
			sbuf_reset(&v);
			if (i == 0)
				sbuf_adds(&v, col_key[c]);
			else
				cell(&rows->v[i - 1], (enum col)c, true, &v);
			csv_field(&line, v.buf, v.len);
		}
		if (!o->folders) {
			const char *e = i == 0 ? "error" : rows->v[i - 1].error;
			sbuf_addch(&line, ',');
			if (e)
				csv_field(&line, e, strlen(e));
		}
		sbuf_adds(&line, "\r\n");
		fwrite(line.buf, 1, line.len, stdout);
		sbuf_reset(&line);
	}
	sbuf_release(&line);
	sbuf_release(&v);
}

/* put_total: the table's last line, a sentence */
static void put_total(const struct list_totals *t, const struct options *o)
{
	char size[32];
	size_text(size, sizeof(size), t->bytes, o->bytes);
	printf("%u %s, %u mail %s, %u mail %s, %s of mail, %u groupware %s, %u %s\n",
	       t->mailboxes, plural(t->mailboxes, "mailbox", "mailboxes"),
	       t->folders - t->groupware, plural(t->folders - t->groupware, "folder", "folders"),
	       t->messages, plural(t->messages, "message", "messages"), size,
	       t->groupware, plural(t->groupware, "folder", "folders"),
	       t->problems, plural(t->problems, "problem", "problems"));
}

int cmd_list(const struct options *o)
{
	struct diag d = { .quiet = o->quiet };
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps,
					.index_mem = o->index_mem, .zone = o->zone };
	set.no_public_folders = o->no_public_folders;	/* issue 14 */
	set.fallback = (const char *const *)o->fallback;	/* issue 15 */
	struct sbuf err = SBUF_INIT, j = SBUF_INIT;
	struct mail_reader *r = o->reader->open(o->source, &set, &d, &err);
	if (!r) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		return EXIT_FATAL;
	}
	struct list_totals t = { 0 };
	struct list_rows rows = { 0 };
	sbuf_adds(&j, "{\"source\": ");
	sbuf_add_json_str(&j, o->source);
	sbuf_adds(&j, ", \"mailboxes\": [");
	const struct mail_box *box;
	int ret;
	struct select sel;
	select_init(&sel, o);
	while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
		if (select_wanted(&sel, box))
			list_mailbox(r, o, box, ret, &err, &j, &rows, &t);
		sbuf_reset(&err);
	}
	select_release(&sel);
	sbuf_addf(&j, "\n], \"totals\": {\"mailboxes\": %u, \"folders\": %u, "
		  "\"mail_messages\": %u, \"mail_bytes\": %llu, \"groupware_folders\": %u, "
		  "\"problems\": %u}, ", t.mailboxes, t.folders, t.messages,
		  (unsigned long long)t.bytes, t.groupware, t.problems);
	notfound_json(&t.nf, &j);
	sbuf_adds(&j, "}\n");
	if (o->json) {
		fputs(j.buf, stdout);
	} else if (o->csv) {
		put_csv(&rows, o);
	} else {
		put_table(&rows, o);
		put_total(&t, o);
	}
	struct sbuf line = SBUF_INIT;
	notfound_line(&t.nf, &line);
	fputs(line.buf, stderr);
	sbuf_release(&line);
	notfound_release(&t.nf);
	r->v->close(r);
	rows_release(&rows);
	sbuf_release(&err);
	sbuf_release(&j);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mdexport: cannot write the listing");
		return EXIT_FATAL;
	}
	return t.errors || d.unattributed ? EXIT_PARTIAL : EXIT_OK;
}
