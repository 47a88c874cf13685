/*
 * `mdexport list`: what the store holds, without reading any message
 * (but with --since, --until, --min-size or --max-size: each message's
 * date and size are then read to count only those taken).
 * A table for people, --json for scripts (one document on stdout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/reader.h"
#include "core/xalloc.h"
#include "formats.h"
#include "options.h"
#include "select.h"

struct list_totals {
	unsigned mailboxes, folders, messages, problems;
	uint64_t bytes;
};

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

/* print_padded: s, then spaces up to width characters (UTF-8 aware) */
static void print_padded(const char *s, int width)
{
	int chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	fputs(s, stdout);
	for (; chars < width; chars++)
		putchar(' ');
	putchar(' ');
}

static void table_row(const char *domain, const char *mailbox, const char *folder,
		      const char *cls, unsigned messages, uint64_t bytes)
{
	print_padded(domain, 20);
	print_padded(mailbox, 16);
	print_padded(folder, 32);
	print_padded(cls, 16);
	printf("%9u %13llu\n", messages, (unsigned long long)bytes);
}

/* list_mailbox: folders of one mailbox, appended to the JSON or printed */
static void list_mailbox(struct mail_reader *r, const struct options *o,
			 const struct mail_box *box, int status, struct sbuf *err,
			 struct sbuf *j, struct list_totals *t)
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
	struct mail_mailbox *mb = status == CONV_OK ?
		r->v->open_mailbox(r, box, r->diag, NULL, err) : NULL;
	if (!mb) {
		diag_error(r->diag, "%s@%s: %s", box->mailbox, box->domain, err->buf);
		sbuf_adds(j, ", \"error\": ");
		sbuf_add_json_str(j, err->buf);
		sbuf_adds(j, ", \"folders\": []}");
		if (!o->json)
			table_row(box->domain, box->mailbox, "(unreadable)", "-", 0, 0);
		t->problems++;
		return;
	}
	sbuf_adds(j, ", \"folders\": [");
	const struct mail_folder *f;
	bool first = true;
	int ret;
	sbuf_reset(err);
	while ((ret = mb->v->next_folder(mb, &f, err)) != CONV_DONE) {
		if (ret != CONV_OK) {
			diag_error(r->diag, "%s", err->buf);
			sbuf_reset(err);
			t->problems++;
		}
		if (!filter_folder(&o->filter, f->path))	/* --folder, --exclude-folder */
			continue;
		struct mail_folder taken = *f;
		if (f->is_mail && filter_by_msg(&o->filter)) {
			taken_counts(mb, &o->filter, &taken.messages, &taken.bytes, r->diag);
			f = &taken;
		}
		json_folder(j, f, first);
		first = false;
		if (!o->json)
			table_row(box->domain, box->mailbox, f->path, f->folder_class,
				  f->messages, f->bytes);
		t->folders++;
		if (f->is_mail) {
			t->messages += f->messages;
			t->bytes += f->bytes;
		}
	}
	sbuf_adds(j, "\n  ]}");
	mb->v->close_mailbox(mb);
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
	sbuf_adds(&j, "{\"source\": ");
	sbuf_add_json_str(&j, o->source);
	sbuf_adds(&j, ", \"mailboxes\": [");
	if (!o->json) {
		print_padded("DOMAIN", 20);
		print_padded("MAILBOX", 16);
		print_padded("FOLDER", 32);
		print_padded("CLASS", 16);
		printf("%9s %13s\n", "MESSAGES", "BYTES");
	}
	const struct mail_box *box;
	int ret;
	struct select sel;
	select_init(&sel, o);
	while ((ret = r->v->next_mailbox(r, &box, &err)) != CONV_DONE) {
		if (select_wanted(&sel, box))
			list_mailbox(r, o, box, ret, &err, &j, &t);
		sbuf_reset(&err);
	}
	select_release(&sel);
	sbuf_addf(&j, "\n], \"totals\": {\"mailboxes\": %u, \"folders\": %u, "
		  "\"mail_messages\": %u, \"mail_bytes\": %llu}}\n", t.mailboxes,
		  t.folders, t.messages, (unsigned long long)t.bytes);
	if (o->json)
		fputs(j.buf, stdout);
	else
		printf("%u mailboxes, %u folders, %u mail messages, %llu bytes of mail\n",
		       t.mailboxes, t.folders, t.messages, (unsigned long long)t.bytes);
	r->v->close(r);
	sbuf_release(&err);
	sbuf_release(&j);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mdexport: cannot write the listing");
		return EXIT_FATAL;
	}
	return t.problems || d.unattributed ? EXIT_PARTIAL : EXIT_OK;
}
