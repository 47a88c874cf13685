/*
 * Unit tests for the EML-tree reader (formats/eml/read.c): a tree made by
 * hand (top-level files as INBOX with an INBOX directory, nested and
 * escaped folder names, a shortened name, names that only look escaped,
 * files that are not messages, links) read back folder by folder and
 * message by message; and the probe.
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eml/eml.h"
#include "unit.h"

#define SRCTREE_TEMPLATE "/tmp/mdx-emlread-XXXXXX"
#include "srctree.h"

struct want_msg {
	const char *origin;
	int64_t received;
	const char *data;
};

struct want_folder {
	const char *path;
	size_t n;
	struct want_msg msgs[3];
};

static const char msg_a[] = "Subject: a\r\nFrom: x@example.com\r\n\r\nbody a\r\n";
static const char msg_b[] = "Subject: b\n\nbody b\n";
static const char msg_c[] = "Subject: c\n";

/* INBOX first, then by path */
static const struct want_folder tree[] = {
	{ "INBOX", 3, { { "000001.eml", 100, msg_a }, { "INBOX/000002.eml", 200, msg_b },
			{ "Z.EML", 300, msg_c } } },
	{ ".hidden", 0, { { 0 } } },
	{ "100% done", 1, { { "100% done/x.eml", 500, msg_a } } },
	{ "Archive", 0, { { 0 } } },
	{ "Archive/2023", 2, { { "Archive/2023/000001.eml", 600, msg_c },
			       { "Archive/2023/000010.eml", 700, msg_b } } },
	{ "INBOX/Sub", 1, { { "INBOX/Sub/m.Eml", 400, msg_b } } },
	{ "a%2Fb", 0, { { 0 } } },
	{ "long%~0123456789abcdef01234567", 0, { { 0 } } },
	{ "\xc3\x9c" "bersicht", 1, { { "%C3%9Cbersicht/y.eml", 800, msg_b } } },
};

static void build_tree(void)
{
	make_dir("box");
	static const char *const dirs[] = {
		"box/inbox", "box/inbox/Sub", "box/%2Ehidden", "box/100% done", "box/Archive",
		"box/Archive/2023", "box/a%2Fb", "box/long%~0123456789abcdef01234567",
		"box/%C3%9Cbersicht",
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		make_dir(dirs[i]);
	char rel[600];
	for (size_t f = 0; f < sizeof(tree) / sizeof(tree[0]); f++)
		for (size_t i = 0; i < tree[f].n; i++) {
			const char *o = tree[f].msgs[i].origin;
			/* INBOX's directory is spelt "inbox" on disk */
			snprintf(rel, sizeof(rel), "box/%s%s", strncmp(o, "INBOX", 5) ? "" : "inbox",
				 strncmp(o, "INBOX", 5) ? o : o + 5);
			write_file(rel, tree[f].msgs[i].data, tree[f].msgs[i].received);
		}
	/* not messages: other files (one warning per directory), hidden ones, links */
	write_file("box/notes.txt", "x", 1);
	write_file("box/.DS_Store", "x", 1);
	write_file("box/Archive/2023/._000001.eml", "x", 1);
	write_file("box/Archive/2023/index.html", "x", 1);
	if (symlink("000001.eml", tmp_path("box/link.eml")) < 0 ||
	    symlink("Archive", tmp_path("box/Linked")) < 0)
		abort();
}

/* read_all: the tree read and compared with tree[] */
static void read_all(void)
{
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT, got = SBUF_INIT;
	struct mail_reader *r = eml_reader_ops.open(tmp_path("box/"), &set, &d, &err);
	if (!test_assert(r != NULL))
		return;
	const struct mail_box *box;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	test_assert(mb != NULL);
	test_assert_str(box->mailbox, "box");
	test_assert_str(box->domain, "localhost");
	const struct mail_folder *f;
	size_t nf = 0;
	while (mb->v->next_folder(mb, &f, &err) == CONV_OK) {
		if (!test_assert(nf < sizeof(tree) / sizeof(tree[0])))
			break;
		const struct want_folder *w = &tree[nf++];
		test_assert_str(f->path, w->path);
		test_assert(f->is_mail && !f->has_index && f->messages == w->n);
		const struct mail_msg *m;
		size_t nm = 0;
		while (mb->v->next_msg(mb, &m, &err) == CONV_OK) {
			if (!test_assert(nm < w->n))
				break;
			const struct want_msg *wm = &w->msgs[nm++];
			char want_origin[300];
			snprintf(want_origin, sizeof(want_origin), "%s%s",
				 strncmp(wm->origin, "INBOX", 5) ? "" : "inbox",
				 strncmp(wm->origin, "INBOX", 5) ? wm->origin : wm->origin + 5);
			test_assert_str(m->origin, want_origin);
			test_assert(m->seq == nm && m->flags == 0 && m->uid == 0);
			test_assert(m->received == wm->received);
			test_assert_str(m->date_source, "mtime");
			test_assert(m->size == strlen(wm->data));
			sbuf_reset(&got);
			test_assert(msg_copy_range(m, 0, sink_sbuf, &got, &err) == CONV_OK);
			test_assert_mem(got.buf, got.len, wm->data, strlen(wm->data));
			const struct mail_msg *again;
			test_assert(mb->v->reopen_msg(mb, &again, &err) == CONV_OK);
			test_assert(again->seq == nm && again->size == strlen(wm->data));
		}
		test_assert(nm == w->n);
	}
	test_assert(nf == sizeof(tree) / sizeof(tree[0]));
	/* two links; notes.txt and .DS_Store at the top; ._000001.eml and index.html */
	if (!test_assert(stats.warnings == 4))
		printf("#   %u warnings\n", stats.warnings);
	test_assert_str(err.buf, "");
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
	sbuf_release(&got);
}

static void test_probe(void)
{
	test_group("eml reader: probe");
	test_assert(eml_reader_ops.probe(tmp_path("box")) == 1);
	make_dir("deep");
	make_dir("deep/a");
	make_dir("deep/a/b");
	test_assert(eml_reader_ops.probe(tmp_path("deep")) == 0);
	write_file("deep/a/b/m.eml", msg_b, 1);
	test_assert(eml_reader_ops.probe(tmp_path("deep")) == 1);	/* two levels down */
	make_dir("deep/cur");
	test_assert(eml_reader_ops.probe(tmp_path("deep")) == 0);	/* a Maildir's */
	make_dir("deeper");
	make_dir("deeper/a");
	make_dir("deeper/a/b");
	make_dir("deeper/a/b/c");
	write_file("deeper/a/b/c/m.eml", msg_b, 1);
	test_assert(eml_reader_ops.probe(tmp_path("deeper")) == 0);	/* too deep to look */
	write_file("file.eml", msg_b, 1);
	test_assert(eml_reader_ops.probe(tmp_path("file.eml")) == 0);
	test_assert(eml_reader_ops.probe(tmp_path("missing")) == 0);

	test_group("eml reader: unusable SOURCE");
	struct diag d = { .quiet = true };
	struct sbuf err = SBUF_INIT;
	test_assert(eml_reader_ops.open(tmp_path("file.eml"), NULL, &d, &err) == NULL);
	test_assert(strstr(err.buf, "cannot open the EML folder") && strstr(err.buf, strerror(ENOTDIR)));
	sbuf_release(&err);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 2;
	g_mime_init();
	build_tree();
	test_group("eml reader: a tree made by hand");
	read_all();
	test_probe();
	g_mime_shutdown();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return test_done();
}
