/*
 * `mdexport accounts` (issue 14): one row per account of the store's
 * account list, for an admin who creates the accounts elsewhere (Active
 * Directory, Microsoft 365) before importing their mail.  What the list
 * says of an account comes from the reader's optional account op (a
 * format without an account list has none); the mail found is what the
 * reader's folder listing counts (next_folder: a directory listing and
 * the index, no message read), as `list` counts it.  Nothing names a
 * format here.
 *
 * The rows are kept (each a few short strings; a store's account list is
 * bounded by its reader) so that the table's columns can be aligned; CSV
 * and JSON are written from the same rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/reader.h"
#include "core/xalloc.h"
#include "csv.h"
#include "notfound.h"
#include "options.h"
#include "select.h"

struct acc_row {
	char *domain, *mailbox, *address, *full_name;
	char *path;		/* "" when not found */
	char *origin;
	char *access;		/* the list's code, "" when not known */
	char *access_text;	/* "" when not known */
	char *problem;		/* "" when the mail folder was read */
	char *shared_with;	/* "" unless another account reads this MailDir */
	int found;		/* the mail folder was found and opened */
	int disabled, apply_quotas;	/* 1, 0, -1 not known */
	long max_messages, max_disk_kb;	/* -1 not known */
	unsigned folders, messages;	/* mail folders and their messages found */
	uint64_t bytes;
};

struct acc_rows {
	struct acc_row *v;
	size_t count, alloc;
	unsigned problems;
	struct notfound nf;	/* issue 16: mail folders not found, said once */
};

static char *dup0(const char *s)
{
	return xstrdup(s ? s : "");
}

/* count_mail: the mail folders, messages and bytes the reader's listing finds */
static int count_mail(struct mail_reader *r, const struct mail_box *box, struct acc_row *row,
		      struct sbuf *err)
{
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, r->diag, NULL, err);
	if (!mb)
		return -1;
	const struct mail_folder *f;
	int ret, bad = 0;
	sbuf_reset(err);
	while ((ret = mb->v->next_folder(mb, &f, err)) != CONV_DONE) {
		if (ret != CONV_OK) {
			diag_error(r->diag, "%s", err->buf);
			sbuf_reset(err);
			bad = 1;
		}
		if (!f->is_mail)
			continue;
		row->folders++;
		row->messages += f->messages;
		row->bytes += f->bytes;
	}
	mb->v->close_mailbox(mb);
	return bad;
}

static void add_row(struct acc_rows *rows, struct mail_reader *r, const struct mail_box *box,
		    const struct mail_account *a, int status, struct sbuf *err)
{
	if (rows->count == rows->alloc) {
		rows->alloc = rows->alloc ? rows->alloc * 2 : 32;
		rows->v = xreallocarray(rows->v, rows->alloc, sizeof(*rows->v));
	}
	struct acc_row *row = &rows->v[rows->count++];
	memset(row, 0, sizeof(*row));
	row->domain = dup0(box->domain);
	row->mailbox = dup0(box->mailbox);
	row->address = xasprintf("%s@%s", box->mailbox, box->domain);
	row->full_name = dup0(box->full_name);
	row->origin = dup0(box->origin);
	row->access = xasprintf("%.1s", a->access ? &a->access : "");
	row->access_text = dup0(a->access_text);
	row->shared_with = dup0(box->shared_with);
	row->disabled = a->disabled;
	row->apply_quotas = a->apply_quotas;
	row->max_messages = a->max_messages;
	row->max_disk_kb = a->max_disk_kb;
	int counted = status == CONV_OK ? count_mail(r, box, row, err) : -1;
	row->found = counted >= 0;
	row->path = dup0(row->found ? box->path : "");
	if (counted < 0) {
		const char *why = err->len ? err->buf : a->problem ? a->problem : "not found";
		if (!notfound_add(&rows->nf, box, status))	/* issue 16: else said once */
			diag_error(r->diag, "%s: %s", row->address, why);
		row->problem = xstrdup(why);
	} else {
		row->problem = xstrdup("");
	}
	if (counted != 0)
		rows->problems++;
}

static void rows_release(struct acc_rows *rows)
{
	for (size_t i = 0; i < rows->count; i++) {
		struct acc_row *w = &rows->v[i];
		char *all[] = { w->domain, w->mailbox, w->address, w->full_name, w->path,
				w->origin, w->access, w->access_text, w->problem,
				w->shared_with };
		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			free(all[k]);
	}
	free(rows->v);
}

/* ---- output -------------------------------------------------------------------- */

/* the columns, in the order of every form (JSON keys, CSV header, table) */
enum col { C_DOMAIN, C_MAILBOX, C_ADDRESS, C_NAME, C_FOUND, C_ACCESS, C_ACCESS_TEXT,
	   C_DISABLED, C_QUOTAS, C_MAX_MSGS, C_MAX_KB, C_MESSAGES, C_BYTES, C_FOLDERS,
	   C_ORIGIN, C_SHARED, C_PATH, C_PROBLEM, C_COUNT };

static const char *const col_key[C_COUNT] = {
	"domain", "mailbox", "address", "full_name", "mail_folder_found", "access",
	"access_text", "disabled", "apply_quotas", "max_messages", "max_disk_kb",
	"messages", "bytes", "folders", "origin", "shared_with", "path", "problem",
};

static const char *const col_title[C_COUNT] = {
	"DOMAIN", "MAILBOX", "ADDRESS", "FULL NAME", "FOUND", "ACC", "ACCESS",
	"DISABLED", "QUOTAS", "MAX MSGS", "MAX KB", "MESSAGES", "BYTES", "FOLDERS",
	"ORIGIN", "SHARED WITH", "PATH", "PROBLEM",
};

/* the table leaves out what the other columns say already */
static bool in_table(enum col c)
{
	return c != C_ACCESS && c != C_FOLDERS && c != C_SHARED && c != C_PROBLEM;
}

static bool numeric(enum col c)
{
	return c == C_MAX_MSGS || c == C_MAX_KB || c == C_MESSAGES || c == C_BYTES ||
	       c == C_FOLDERS;
}

/* tri: a yes/no that may be unknown, as text ("" when unknown) */
static const char *tri(int v)
{
	return v < 0 ? "" : v ? "yes" : "no";
}

/*
 * cell: column c of row as text ("" for unknown); *json_raw says the JSON
 * form is the text itself (a number, true, false, null), not a string
 */
static void cell(const struct acc_row *w, enum col c, struct sbuf *out, bool *json_raw)
{
	*json_raw = false;
	long n = -2;
	switch (c) {
	case C_DOMAIN: sbuf_adds(out, w->domain); break;
	case C_MAILBOX: sbuf_adds(out, w->mailbox); break;
	case C_ADDRESS: sbuf_adds(out, w->address); break;
	case C_NAME: sbuf_adds(out, w->full_name); break;
	case C_FOUND: sbuf_adds(out, tri(w->found)); break;
	case C_ACCESS: sbuf_adds(out, w->access); break;
	case C_ACCESS_TEXT: sbuf_adds(out, w->access_text); break;
	case C_DISABLED: sbuf_adds(out, tri(w->disabled)); break;
	case C_QUOTAS: sbuf_adds(out, tri(w->apply_quotas)); break;
	case C_MAX_MSGS: n = w->max_messages; break;
	case C_MAX_KB: n = w->max_disk_kb; break;
	case C_MESSAGES: sbuf_addf(out, "%u", w->messages); *json_raw = true; break;
	case C_BYTES: sbuf_addf(out, "%llu", (unsigned long long)w->bytes); *json_raw = true; break;
	case C_FOLDERS: sbuf_addf(out, "%u", w->folders); *json_raw = true; break;
	case C_ORIGIN: sbuf_adds(out, w->origin); break;
	case C_SHARED: sbuf_adds(out, w->shared_with); break;
	case C_PATH: sbuf_adds(out, w->path); break;
	case C_PROBLEM: sbuf_adds(out, w->problem); break;
	default: break;
	}
	if (n >= 0)
		sbuf_addf(out, "%ld", n);
	if (n != -2)
		*json_raw = n >= 0;
}

/* json_cell: the JSON value of column c: null for unknown, booleans and numbers bare */
static void json_cell(const struct acc_row *w, enum col c, struct sbuf *j)
{
	struct sbuf v = SBUF_INIT;
	bool raw;
	cell(w, c, &v, &raw);
	bool yesno = c == C_FOUND || c == C_DISABLED || c == C_QUOTAS;
	bool null_if_empty = yesno || c == C_ACCESS || c == C_ACCESS_TEXT ||
			     c == C_MAX_MSGS || c == C_MAX_KB || c == C_SHARED ||
			     c == C_PATH || c == C_PROBLEM;
	if (null_if_empty && !v.len)
		sbuf_adds(j, "null");
	else if (yesno)
		sbuf_adds(j, v.buf[0] == 'y' ? "true" : "false");
	else if (raw)
		sbuf_add(j, v.buf, v.len);
	else
		sbuf_add_json_str(j, v.buf);
	sbuf_release(&v);
}

static void put_json(const struct acc_rows *rows, FILE *f)
{
	struct sbuf j = SBUF_INIT;
	fputs("[", f);
	for (size_t i = 0; i < rows->count; i++) {
		sbuf_adds(&j, i ? ",\n  {" : "\n  {");
		for (int c = 0; c < C_COUNT; c++) {
			sbuf_addf(&j, "%s\"%s\": ", c ? ", " : "", col_key[c]);
			json_cell(&rows->v[i], (enum col)c, &j);
		}
		sbuf_adds(&j, "}");
		fwrite(j.buf, 1, j.len, f);
		sbuf_reset(&j);
	}
	fputs(rows->count ? "\n]\n" : "]\n", f);
	sbuf_release(&j);
}

static void put_csv(const struct acc_rows *rows, FILE *f)
{
	struct sbuf line = SBUF_INIT, v = SBUF_INIT;
	for (int c = 0; c < C_COUNT; c++) {
		if (c)
			sbuf_addch(&line, ',');
		sbuf_adds(&line, col_key[c]);
	}
	sbuf_adds(&line, "\r\n");
	for (size_t i = 0; i <= rows->count; i++) {
		fwrite(line.buf, 1, line.len, f);
		sbuf_reset(&line);
		for (int c = 0; i < rows->count && c < C_COUNT; c++) {
			bool raw;
			sbuf_reset(&v);
			cell(&rows->v[i], (enum col)c, &v, &raw);
			if (c)
				sbuf_addch(&line, ',');
			csv_field(&line, v.buf, v.len);
		}
		sbuf_adds(&line, "\r\n");
	}
	sbuf_release(&line);
	sbuf_release(&v);
}

/* width: characters of UTF-8 s (what a terminal shows, near enough) */
static size_t width(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

static void put_padded(struct sbuf *out, const char *s, size_t w, bool right)
{
	size_t have = width(s);
	for (size_t k = have; right && k < w; k++)
		sbuf_addch(out, ' ');
	sbuf_adds(out, s);
	for (size_t k = have; !right && k < w; k++)
		sbuf_addch(out, ' ');
}

/* table_cell: cell, with the size for people unless --bytes (issue 16) */
static void table_cell(const struct acc_row *w, enum col c, bool raw_bytes, struct sbuf *v)
{
	bool raw;
	if (c == C_BYTES && !raw_bytes) {
		char size[32];
		human_bytes(size, sizeof(size), w->bytes);
		sbuf_adds(v, size);
	} else {
		cell(w, c, v, &raw);
	}
}

static void put_table(const struct acc_rows *rows, FILE *f, bool raw_bytes)
{
	size_t w[C_COUNT];
	struct sbuf v = SBUF_INIT, line = SBUF_INIT;
	for (int c = 0; c < C_COUNT; c++)
		w[c] = width(c == C_BYTES && !raw_bytes ? "SIZE" : col_title[c]);
	for (size_t i = 0; i < rows->count; i++)
		for (int c = 0; c < C_COUNT; c++) {
			sbuf_reset(&v);
			table_cell(&rows->v[i], (enum col)c, raw_bytes, &v);
			if (width(v.buf) > w[c])
				w[c] = width(v.buf);
		}
	for (size_t i = 0; i <= rows->count; i++) {
		for (int c = 0; c < C_COUNT; c++) {
			if (!in_table((enum col)c))
				continue;
			sbuf_reset(&v);
			if (i == 0)
				sbuf_adds(&v, c == C_BYTES && !raw_bytes ? "SIZE" : col_title[c]);
			else
				table_cell(&rows->v[i - 1], (enum col)c, raw_bytes, &v);
			if (!v.len && i)
				sbuf_adds(&v, "-");
			if (line.len)
				sbuf_adds(&line, "  ");
			put_padded(&line, v.buf, c == C_PATH ? 0 : w[c], numeric((enum col)c));
		}
		sbuf_addch(&line, '\n');
		fwrite(line.buf, 1, line.len, f);
		sbuf_reset(&line);
	}
	sbuf_release(&v);
	sbuf_release(&line);
}

/* put_totals: the table's count and totals line, on stderr */
static void put_totals(const struct acc_rows *rows, bool raw_bytes)
{
	unsigned found = 0, disabled = 0;
	unsigned long long messages = 0, bytes = 0;
	for (size_t i = 0; i < rows->count; i++) {
		found += rows->v[i].found > 0;
		disabled += rows->v[i].disabled > 0;
		messages += rows->v[i].messages;
		bytes += rows->v[i].bytes;
	}
	char size[32];
	size_text(size, sizeof(size), bytes, raw_bytes);	/* issue 16: sizes, plurals */
	fprintf(stderr, "%zu %s (%u with their mail folder found, %u disabled), "
		"%llu mail %s, %s of mail\n", rows->count,
		plural(rows->count, "account", "accounts"), found, disabled, messages,
		plural(messages, "message", "messages"), size);
}

/* ---- the command ------------------------------------------------------------------ */

/* collect: every wanted account of the store, with its mail counted */
static void collect(struct mail_reader *r, const struct options *o, struct acc_rows *rows,
		    bool *unmatched)
{
	struct select sel;
	struct sbuf err = SBUF_INIT;
	const struct mail_box *box;
	int ret;
	select_init(&sel, o);
	while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
		struct mail_account a;
		/* the account first: what is no account (public folders) is never selected */
		if (r->v->account(r, box, &a) && select_wanted(&sel, box))
			add_row(rows, r, box, &a, ret, &err);
		sbuf_reset(&err);
	}
	*unmatched = select_unmatched(&sel);
	select_release(&sel);
	sbuf_release(&err);
}

int cmd_accounts(const struct options *o)
{
	if (!o->reader->account) {
		fprintf(stderr, "mdexport: SOURCE '%s' (%s) has no account list\n", o->source,
			o->reader->name);
		return EXIT_FATAL;
	}
	struct diag d = { .quiet = o->quiet };
	struct reader_settings set = { .maps = o->maps, .nmaps = o->nmaps,
				       .index_mem = o->index_mem,
				       .no_public_folders = true };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = o->reader->open(o->source, &set, &d, &err);
	if (!r) {
		fprintf(stderr, "mdexport: %s\n", err.buf);
		sbuf_release(&err);
		return EXIT_FATAL;
	}
	sbuf_release(&err);
	struct acc_rows rows = { 0 };
	bool unmatched;
	collect(r, o, &rows, &unmatched);
	r->v->close(r);
	if (o->json)
		put_json(&rows, stdout);
	else if (o->csv)
		put_csv(&rows, stdout);
	else
		put_table(&rows, stdout, o->bytes);
	if (!o->json && !o->csv)
		put_totals(&rows, o->bytes);
	struct sbuf line = SBUF_INIT;	/* issue 16: after the table: what to do about them */
	notfound_line(&rows.nf, &line);
	fputs(line.buf, stderr);
	sbuf_release(&line);
	notfound_release(&rows.nf);
	int status = rows.problems || d.unattributed ? EXIT_PARTIAL : EXIT_OK;
	rows_release(&rows);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mdexport: cannot write the account list");
		return EXIT_FATAL;
	}
	return unmatched ? EXIT_FATAL : status;
}
