/*
 * Unit tests for the Maildir++ reader (formats/maildir/read.c): a Maildir
 * built by hand (INBOX in cur/ and new/, escaped, nested and modified
 * UTF-7 folder names, a link and tmp/ that must not be read) read back
 * folder by folder and message by message; SOURCEs it must refuse; and a
 * round trip through the project's own Maildir writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/msghash.h"
#include "core/writer.h"
#include "maildir/maildir.h"
#include "unit.h"

#define SRCTREE_TEMPLATE "/tmp/mdx-mdread-XXXXXX"
#include "srctree.h"

/* a Maildir (cur/ new/ tmp/) at rel */
static void make_maildir(const char *rel)
{
	char p[600];
	make_dir(rel);
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", rel, subs[i]);
		make_dir(p);
	}
}

/* the message's bytes, read as a writer reads them */
static void msg_bytes(const struct mail_msg *m, struct sbuf *out)
{
	struct sbuf err = SBUF_INIT;
	sbuf_reset(out);
	test_assert(msg_copy_range(m, 0, sink_sbuf, out, &err) == CONV_OK);
	sbuf_release(&err);
}

/* ---- a Maildir made by hand ------------------------------------------------------ */

struct want_msg {
	const char *origin;
	unsigned flags;
	int64_t received;
	const char *data;
};

struct want_folder {
	const char *path;
	const char *origin;
	size_t n;
	struct want_msg msgs[3];
};

static const char msg_a[] = "Subject: a\nFrom: x@example.com\n\nbody a\n";
static const char msg_b[] = "Subject: b\n\nbody b, a longer one\n";
static const char msg_c[] = "Subject: c\r\n\r\nwith CRLF, as it is on disk\r\n";
static const char msg_d[] = "Subject: d\n\nd\n";
static const char msg_e[] = "Subject: e\n";	/* headers only */

static const struct want_folder hand[] = {
	{ "INBOX", ".", 2, {
		{ "cur/1700000000.M1P1.host:2,FS", MSG_FLAGGED | MSG_SEEN, 1700000000, msg_a },
		{ "new/1700000100.M2P1.host", 0, 1700000100, msg_b } } },
	{ "Archive", ".Archive", 2, {
		{ ".Archive/cur/1600000000.M1P2.host:2,DRT",
		  MSG_DRAFT | MSG_ANSWERED | MSG_DELETED, 1600000000, msg_c },
		/* flags in new/ count: Dovecot writes and reads them there too */
		{ ".Archive/new/1600000001.M2P2.host:2,S", MSG_SEEN, 1600000001, msg_d } } },
	{ "Archive/2023", ".Archive.2023", 1, {
		{ ".Archive.2023/cur/1672531200.M1P3.host:2,", 0, 1672531200, msg_e } } },
	{ "Clients.Acme Corp", ".Clients\\2eAcme Corp", 1, {
		{ ".Clients\\2eAcme Corp/cur/1500000000.M1.host:2,Sab", MSG_SEEN, 1500000000,
		  msg_a } } },
	{ "Kunden \xc3\x9c" "bersicht", ".Kunden &ANw-bersicht", 0, { { 0 } } },
};

static void build_hand(void)
{
	make_dir("alice");
	make_maildir("alice/Maildir");
	char rel[512];
	for (size_t f = 0; f < sizeof(hand) / sizeof(hand[0]); f++) {
		if (f) {
			snprintf(rel, sizeof(rel), "alice/Maildir/%s", hand[f].origin);
			make_maildir(rel);
		}
		for (size_t i = 0; i < hand[f].n; i++) {
			snprintf(rel, sizeof(rel), "alice/Maildir/%s", hand[f].msgs[i].origin);
			write_file(rel, hand[f].msgs[i].data, hand[f].msgs[i].received);
		}
	}
	/* never read: tmp/, a dotfile, links (to a message and to a folder), non-folders */
	write_file("alice/Maildir/tmp/1700000050.M9.host", msg_d, 1);
	write_file("alice/Maildir/cur/.1700000050.hidden", msg_d, 1);
	if (symlink("1700000000.M1P1.host:2,FS", tmp_path("alice/Maildir/cur/1700000050.link")) < 0 ||
	    symlink(".Archive", tmp_path("alice/Maildir/.Linked")) < 0)
		abort();
	make_maildir("alice/Maildir/notafolder");
	make_dir("alice/Maildir/.nocur");
	make_dir("alice/Maildir/cur/1700000060.subdir");
	write_file("alice/Maildir/.dotfile", "x", 1);
}

static void test_hand(void)
{
	build_hand();
	test_group("maildir reader: a Maildir made by hand");
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct msg_hash *hash = msg_hash_new();
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT, got = SBUF_INIT;
	/* a trailing slash: the mailbox is still named after Maildir's parent */
	struct mail_reader *r = maildir_reader_ops.open(tmp_path("alice/Maildir/"), &set, &d, &err);
	if (!test_assert(r != NULL)) {
		printf("#   err: %s\n", err.buf);
		return;
	}
	const struct mail_dir *dirs;
	struct stat st;
	test_assert(stat(tmp_path("alice/Maildir"), &st) == 0);
	test_assert(r->v->mail_dirs(r, &dirs) == 1);
	test_assert(dirs[0].dev == st.st_dev && dirs[0].ino == st.st_ino);
	test_assert_str(dirs[0].owner, "SOURCE");

	const struct mail_box *box;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, hash, &err);
	test_assert(mb != NULL);
	test_assert_str(box->mailbox, "alice");
	test_assert_str(box->domain, "localhost");
	test_assert_str(box->origin, "SOURCE");
	test_assert(box->shared_with == NULL);

	const struct mail_folder *f;
	size_t nf = 0;
	int ret;
	while ((ret = mb->v->next_folder(mb, &f, &err)) != CONV_DONE) {
		test_assert(ret == CONV_OK);
		if (!test_assert(nf < sizeof(hand) / sizeof(hand[0])))
			break;
		const struct want_folder *w = &hand[nf++];
		test_assert_str(f->path, w->path);
		test_assert_str(f->origin, w->origin);
		test_assert_str(f->folder_class, "IPF.Note");
		test_assert(f->is_mail && !f->has_index && f->uidvalidity == 0);
		test_assert(f->messages == w->n);
		uint64_t bytes = 0;
		for (size_t i = 0; i < w->n; i++)
			bytes += strlen(w->msgs[i].data);
		test_assert(f->bytes == bytes);
		const struct mail_msg *m;
		size_t nm = 0;
		while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
			test_assert(ret == CONV_OK);
			if (!test_assert(nm < w->n))
				break;
			const struct want_msg *wm = &w->msgs[nm++];
			test_assert_str(m->origin, wm->origin);
			test_assert_str(m->name, strrchr(wm->origin, '/') + 1);
			test_assert(m->seq == nm);
			test_assert(m->flags == wm->flags);
			test_assert(m->received == wm->received);
			test_assert_str(m->date_source, "mtime");
			test_assert(m->uid == 0);
			test_assert(m->size_known && m->size == strlen(wm->data));
			test_assert(m->head_complete);
			const char *blank = strstr(wm->data, "\n\n");
			const char *crblank = strstr(wm->data, "\r\n\r\n");
			size_t head = crblank ? (size_t)(crblank - wm->data) + 4 :
				      blank ? (size_t)(blank - wm->data) + 2 : strlen(wm->data);
			test_assert(m->head_len == head);
			test_assert_mem((const char *)m->prefix, m->prefix_len, wm->data,
					strlen(wm->data));
			msg_bytes(m, &got);
			test_assert_mem(got.buf, got.len, wm->data, strlen(wm->data));
			/* the manifest's SHA-256 is of the bytes on disk */
			char hex[65], want_hex[65];
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int mdn = 0;
			EVP_Digest(wm->data, strlen(wm->data), md, &mdn, EVP_sha256(), NULL);
			for (unsigned k = 0; k < mdn && k < 32; k++)
				snprintf(want_hex + 2 * k, 3, "%02x", md[k]);
			test_assert(msg_hash_final(hash, m, hex, &err) == 1);
			test_assert_str(hex, want_hex);
			/* reopen: the same message again */
			const struct mail_msg *again;
			test_assert(mb->v->reopen_msg(mb, &again, &err) == CONV_OK);
			test_assert_str(again->origin, wm->origin);
			test_assert(again->seq == nm && again->size == strlen(wm->data));
		}
		test_assert(nm == w->n);
	}
	test_assert(nf == sizeof(hand) / sizeof(hand[0]));
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_DONE);
	/* the links to a message and to a folder, and cur/1700000060.subdir */
	test_assert(stats.warnings == 3);
	if (!test_assert_str(err.buf, ""))
		printf("#   err: %s\n", err.buf);
	mb->v->close_mailbox(mb);
	r->v->close(r);
	msg_hash_free(&hash);
	sbuf_release(&err);
	sbuf_release(&got);
}

/* ---- SOURCEs it refuses, folders it cannot read ------------------------------------ */

static void refuse(const char *rel, const char *want1, const char *want2)
{
	struct diag d = { .quiet = true };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = maildir_reader_ops.open(tmp_path(rel), &set, &d, &err);
	test_assert(r == NULL);
	if (r)
		r->v->close(r);
	if (!test_assert(strstr(err.buf, tmp_path(rel)) && strstr(err.buf, want1) &&
			 strstr(err.buf, want2)))
		printf("#   err: %s\n", err.buf);
	sbuf_release(&err);
}

static void test_refuse(void)
{
	test_group("maildir reader: unusable SOURCE");
	refuse("missing", "cannot open the Maildir", strerror(ENOENT));
	write_file("plain", "x", 1);
	refuse("plain", "cannot open the Maildir", strerror(ENOTDIR));
	make_dir("empty");
	make_dir("empty/.nocur");
	refuse("empty", "is not a Maildir", "no cur/ or new/");

	/* a Maildir++ root without INBOX directories is still a Maildir */
	test_group("maildir reader: folders only, one unreadable");
	make_dir("root");
	make_maildir("root/.A");
	make_maildir("root/.B");
	write_file("root/.A/new/1.M1.host", msg_d, 5);
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = maildir_reader_ops.open(tmp_path("root"), &set, &d, &err);
	if (!test_assert(r != NULL))
		return;
	const struct mail_box *box;
	const struct mail_folder *f;
	const struct mail_msg *m;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	test_assert(mb != NULL);
	test_assert_str(box->mailbox, "root");
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_OK);
	test_assert_str(f->path, "INBOX");
	test_assert(f->messages == 0);
	test_assert(mb->v->next_msg(mb, &m, &err) == CONV_DONE);
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_OK);
	test_assert_str(f->path, "A");
	test_assert(mb->v->next_msg(mb, &m, &err) == CONV_OK);
	test_assert(m->flags == 0 && m->received == 5);
	/* B's cur/ stops being a directory after the folders were listed */
	test_assert(rmdir(tmp_path("root/.B/cur")) == 0);
	write_file("root/.B/cur", "x", 1);
	int ret = mb->v->next_folder(mb, &f, &err);
	test_assert_str(f->path, "B");
	test_assert(ret == CONV_FOLDER_BAD);
	if (!test_assert(strstr(err.buf, "cannot read folder '.B/cur'") &&
			 strstr(err.buf, strerror(ENOTDIR))))
		printf("#   err: %s\n", err.buf);
	test_assert(f->messages == 0);
	test_assert(mb->v->next_msg(mb, &m, &err) == CONV_DONE);
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_DONE);
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
}

/* ---- folder names and flags -------------------------------------------------------- */

static void name_is(const char *dir, const char *want, bool ok)
{
	struct sbuf out = SBUF_INIT;
	test_assert(maildir_folder_path(&out, dir) == ok);
	test_assert_str(out.buf, want);
	/* and the writer gives the same directory name back */
	if (ok) {
		struct sbuf back = SBUF_INIT;
		maildir_folder_dir(&back, out.buf);
		test_assert_str(back.buf, dir);
		sbuf_release(&back);
	}
	sbuf_release(&out);
}

static void test_names(void)
{
	test_group("maildir reader: folder names");
	name_is(".Archive", "Archive", true);
	name_is(".Archive.2023", "Archive/2023", true);
	name_is(".Clients\\2eAcme Corp", "Clients.Acme Corp", true);
	name_is(".a\\5cb", "a\\b", true);
	name_is(".\\7ehome.x~y", "~home/x~y", true);
	name_is(".Kunden &ANw-bersicht &IKw-", "Kunden \xc3\x9c" "bersicht \xe2\x82\xac", true);
	name_is(".R&-D", "R&D", true);
	name_is(".A&-B &ANw-", "A&B \xc3\x9c", true);
	/* not modified UTF-7: kept as it is, with a warning */
	name_is(".R&D", "R&D", false);
	name_is(".Bad &AB", "Bad &AB", false);
	test_group("maildir reader: flags from names");
	test_assert(maildir_name_flags("1.M1.h:2,DFRST") ==
		    (MSG_DRAFT | MSG_FLAGGED | MSG_ANSWERED | MSG_SEEN | MSG_DELETED));
	test_assert(maildir_name_flags("1.M1.h:2,") == 0);
	test_assert(maildir_name_flags("1.M1.h") == 0);
	test_assert(maildir_name_flags("1.M1.h:1,S") == 0);
	test_assert(maildir_name_flags("1.M1.h:2,Sab") == MSG_SEEN);
	/* issue 16: ';' and '!' (--maildir-flag-separator, mbsync, NeoMutt, Python) */
	test_assert(maildir_name_flags("1.M1.h;2,FS") == (MSG_FLAGGED | MSG_SEEN));
	test_assert(maildir_name_flags("1.M1.h!2,R") == MSG_ANSWERED);
	test_assert(maildir_name_flags("1.M1.h;1,S") == 0);
	test_assert(maildir_name_flags("1.M1;x.h") == 0);
	/* the last info wins: a base holding ';2,' still takes the ':' after it */
	test_assert(maildir_name_flags("1.M1;2,F.h:2,S") == MSG_SEEN);
	test_assert(maildir_info("a;b.c!2,S") && !strcmp(maildir_info("a;b.c!2,S"), "!2,S"));
	test_assert(maildir_info("a:b") == NULL);
}

/* ---- a round trip through the project's Maildir writer ------------------------------ */

struct src {
	const char *folder;
	const char *data;	/* CRLF */
	unsigned flags;
	int64_t received;
};

static const struct src trip[] = {
	{ "INBOX", "Subject: one\r\n\r\nfirst\r\n", MSG_SEEN, 1700000000 },
	{ "INBOX", "Subject: two\r\n\r\nsecond\r\nline\r\n", MSG_FLAGGED | MSG_ANSWERED, 1700000001 },
	{ "Archive/2023", "Subject: three\r\n\r\n", MSG_DELETED | MSG_DRAFT, 1672531200 },
	{ "Clients.Acme Corp", "Subject: four\r\n\r\nfour\r\n", 0, 1500000000 },
	{ "Kunden \xc3\x9c" "bersicht \xe2\x82\xac", "Subject: five\r\n\r\n5\r\n", MSG_SEEN,
	  1400000000 },
	{ "~home", "Subject: six\r\n\r\n6\r\n", 0, 1300000000 },
};
#define NTRIP (sizeof(trip) / sizeof(trip[0]))

static void lf(struct sbuf *out, const char *crlf)
{
	sbuf_reset(out);
	for (const char *p = crlf; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			sbuf_addch(out, *p);
}

static int write_trip(void)
{
	struct diag d = { .quiet = true };
	struct mail_box box = { .domain = "localhost", .mailbox = "bob", .full_name = "",
				.path = "", .origin = "test" };
	struct mail_writer *w = mail_writer_new(&maildir_writer_ops, &d);
	struct mail_item_loc loc;
	mail_item_loc_init(&loc);
	struct tree dir = TREE_INIT, work = TREE_INIT;
	struct sbuf err = SBUF_INIT;
	make_dir("out");
	test_assert(tree_open_root(&dir, tmp_path("out"), &err) == 0);
	test_assert(tree_sub(&work, &dir, "work", true, &err) == 0);
	struct out_target t = { .domain = &dir, .name = "bob", .work = &work };
	int ret = mail_writer_open(w, &t, &box);
	for (size_t i = 0; i < NTRIP && ret == CONV_OK; i++) {
		if (!i || strcmp(trip[i].folder, trip[i - 1].folder)) {
			if (i)
				ret |= mail_writer_end_folder(w);
			struct mail_folder f = { .path = trip[i].folder, .is_mail = true };
			ret |= mail_writer_begin_folder(w, &f);
		}
		write_file("src.msg", trip[i].data, trip[i].received);
		int fd = open(tmp_path("src.msg"), O_RDONLY);
		size_t len = strlen(trip[i].data);
		struct file_body body;
		file_body_init(&body, fd, 0, len);
		struct mail_msg m = { .origin = "src.msg", .name = "src.msg", .body = &body.body,
				      .size = len, .size_known = true, .flags = trip[i].flags,
				      .received = trip[i].received,
				      .prefix = (const unsigned char *)trip[i].data,
				      .prefix_len = len, .head_len = len, .head_complete = true,
				      .seq = (unsigned)i + 1 };
		mail_item_loc_reset(&loc);
		ret |= mail_writer_write_msg(w, &m, &loc);
		close(fd);
	}
	ret |= mail_writer_end_folder(w) | mail_writer_commit(w);
	mail_writer_free(&w);
	mail_item_loc_release(&loc);
	tree_close(&work);
	tree_close(&dir);
	sbuf_release(&err);
	return ret;
}

/* the order the reader gives: INBOX, then by path */
static int cmp_trip(const void *a, const void *b)
{
	const struct src *x = *(const struct src *const *)a, *y = *(const struct src *const *)b;
	bool xi = !strcmp(x->folder, "INBOX"), yi = !strcmp(y->folder, "INBOX");
	if (xi != yi)
		return xi ? -1 : 1;
	int c = strcmp(x->folder, y->folder);
	return c ? c : (x->received > y->received) - (x->received < y->received);
}

static void test_round_trip(void)
{
	test_group("maildir reader: what the Maildir writer wrote");
	test_assert(write_trip() == CONV_OK);
	const struct src *order[NTRIP];
	for (size_t i = 0; i < NTRIP; i++)
		order[i] = &trip[i];
	qsort(order, NTRIP, sizeof(order[0]), cmp_trip);

	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT, got = SBUF_INIT, want = SBUF_INIT;
	struct mail_reader *r = maildir_reader_ops.open(tmp_path("out/bob"), &set, &d, &err);
	if (!test_assert(r != NULL)) {
		printf("#   err: %s\n", err.buf);
		return;
	}
	const struct mail_box *box;
	const struct mail_folder *f;
	const struct mail_msg *m;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	test_assert(mb != NULL);
	test_assert_str(box->mailbox, "bob");
	size_t k = 0;
	int ret;
	while ((ret = mb->v->next_folder(mb, &f, &err)) != CONV_DONE) {
		test_assert(ret == CONV_OK);
		if (!test_assert(k < NTRIP))
			break;
		test_assert_str(f->path, order[k]->folder);
		unsigned seq = 0;
		while ((ret = mb->v->next_msg(mb, &m, &err)) != CONV_DONE) {
			test_assert(ret == CONV_OK);
			if (!test_assert(k < NTRIP && !strcmp(f->path, order[k]->folder)))
				break;
			test_assert(m->seq == ++seq);
			test_assert(m->flags == order[k]->flags);
			test_assert(m->received == order[k]->received);
			lf(&want, order[k]->data);
			test_assert(m->size == want.len);
			msg_bytes(m, &got);
			test_assert_mem(got.buf, got.len, want.buf, want.len);
			k++;
		}
	}
	test_assert(k == NTRIP);
	test_assert(stats.warnings == 0);
	test_assert_str(err.buf, "");
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
	sbuf_release(&got);
	sbuf_release(&want);
}

/* ---- dovecot-uidlist ------------------------------------------------------------- */

struct want_uid {
	const char *origin;
	uint32_t uid;
};

/* read_uids: the folder at rel (INBOX only) read; its messages' origins and UIDs in order */
static void read_uids(const char *rel, bool has_index, uint32_t uidvalidity, uint32_t uidnext,
		      const struct want_uid *want, size_t n, unsigned warnings, const char *warn_what)
{
	struct conv_stats stats = { 0 };
	struct diag d = { .quiet = true, .stats = &stats };
	struct reader_settings set = { 0 };
	struct sbuf err = SBUF_INIT;
	struct mail_reader *r = maildir_reader_ops.open(tmp_path(rel), &set, &d, &err);
	if (!test_assert(r != NULL))
		return;
	const struct mail_box *box;
	const struct mail_folder *f;
	const struct mail_msg *m;
	test_assert(r->v->next_mailbox(r, &box, &err) == CONV_OK);
	struct mail_mailbox *mb = r->v->open_mailbox(r, box, &d, NULL, &err);
	test_assert(mb != NULL);
	test_assert(mb->v->next_folder(mb, &f, &err) == CONV_OK);
	test_assert(f->has_index == has_index);
	test_assert(f->uidvalidity == uidvalidity);
	test_assert(f->uidnext == uidnext);
	size_t k = 0;
	while (mb->v->next_msg(mb, &m, &err) == CONV_OK) {
		if (!test_assert(k < n))
			break;
		if (!test_assert_str(m->origin, want[k].origin) || !test_assert(m->uid == want[k].uid))
			printf("#   message %zu: %s uid %u\n", k, m->origin, m->uid);
		k++;
	}
	test_assert(k == n);
	if (!test_assert(stats.warnings == warnings))
		printf("#   %u warnings (%s)\n", stats.warnings, warn_what ? warn_what : "");
	test_assert_str(err.buf, "");
	mb->v->close_mailbox(mb);
	r->v->close(r);
	sbuf_release(&err);
}

static void test_uidlist(void)
{
	char rel[600];
	test_group("maildir reader: dovecot-uidlist version 3, files not listed after");
	make_maildir("u3");
	/* UIDs against name order: the list decides; one file in new/ with flags */
	write_file("u3/cur/1000.M1.host:2,S", msg_a, 10);
	write_file("u3/cur/2000.M2.host:2,", msg_b, 20);
	write_file("u3/new/3000.M3.host", msg_d, 30);
	write_file("u3/new/0500.M4.host:2,F", msg_e, 40);	/* not listed */
	write_file("u3/cur/0400.M5.host:2,", msg_e, 50);	/* not listed */
	write_file("u3/dovecot-uidlist",
		   "3 V1700000001 N12 Gcaca90280052156b3d47000083ecc375\n"
		   "4 :3000.M3.host\n"
		   "7 W1234 GF00D :2000.M2.host\n"
		   "9 :1000.M1.host:2,S\n"	/* an older Dovecot's full name: the base counts */
		   "10 :9999.M9.gone\n", 1);
	static const struct want_uid w3[] = {
		{ "new/3000.M3.host", 4 }, { "cur/2000.M2.host:2,", 7 },
		{ "cur/1000.M1.host:2,S", 9 },
		{ "cur/0400.M5.host:2,", 0 }, { "new/0500.M4.host:2,F", 0 },
	};
	read_uids("u3", true, 1700000001, 12, w3, 5, 0, NULL);

	test_group("maildir reader: dovecot-uidlist version 1, CRLF, next UID moved on");
	make_maildir("u1");
	write_file("u1/cur/a.host:2,S", msg_a, 10);
	write_file("u1/cur/b.host:2,S", msg_b, 10);
	write_file("u1/dovecot-uidlist", "1 42 3\r\n1 b.host\r\n2 a.host:2,S\r\n", 1);
	static const struct want_uid w1[] = { { "cur/b.host:2,S", 1 }, { "cur/a.host:2,S", 2 } };
	read_uids("u1", true, 42, 3, w1, 2, 0, NULL);
	/* version 3 lets a UID at or above the header's next one move it on, as Dovecot does */
	write_file("u1/dovecot-uidlist", "3 V42 N2\n5 :b.host\n", 1);
	static const struct want_uid w1b[] = { { "cur/b.host:2,S", 5 }, { "cur/a.host:2,S", 0 } };
	read_uids("u1", true, 42, 6, w1b, 2, 0, NULL);

	test_group("maildir reader: a malformed dovecot-uidlist: a warning, no UIDs, name order");
	static const struct want_uid none[] = { { "cur/a.host:2,S", 0 }, { "cur/b.host:2,S", 0 } };
	static const char *const bad[] = {
		"",					/* empty */
		"x V1 N2\n",				/* no version */
		"2 1 2\n",				/* version 2 */
		"3 N5\n",				/* no UIDVALIDITY */
		"3 Vabc N5\n",
		"1 42\n",
		"1 42 3\n3 a.host\n",			/* v1: UID not below next */
		"3 V1 N9\n2 :a.host\n2 :b.host\n",	/* not ascending */
		"3 V1 N9\n0 :a.host\n",
		"3 V1 N9\n1:a.host\n",
		"3 V1 N9\n1 W12 \n",			/* no file name */
		"3 V1 N9\n1 :x/a.host\n",
		"3 V1 N9\n99999999999 :a.host\n",	/* beyond 32 bits */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("u1/dovecot-uidlist", bad[i], 1);
		read_uids("u1", false, 0, 0, none, 2, 1, bad[i]);
	}
	/* a link is not followed: a warning, and no UIDs */
	snprintf(rel, sizeof(rel), "%s", tmp_path("u1/dovecot-uidlist"));
	unlink(rel);
	write_file("u1/list-elsewhere", "1 42 3\n1 b.host\n", 1);
	if (symlink("list-elsewhere", rel) < 0)
		abort();
	read_uids("u1", false, 0, 0, none, 2, 1, "link");

	test_group("maildir reader: a file listed twice, two files with one base name");
	make_maildir("u2");
	write_file("u2/cur/a.host:2,S", msg_a, 10);
	write_file("u2/new/a.host", msg_b, 10);
	write_file("u2/cur/c.host:2,", msg_d, 10);
	write_file("u2/dovecot-uidlist", "3 V7 N20\n3 :c.host\n5 :a.host\n8 :c.host\n", 1);
	/* c.host has the later UID (8); a.host's 5 goes to one file, the other has none */
	static const struct want_uid w2[] = {
		{ "cur/a.host:2,S", 5 }, { "cur/c.host:2,", 8 }, { "new/a.host", 0 },
	};
	read_uids("u2", true, 7, 20, w2, 3, 0, NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 2;
	g_mime_init();
	test_names();
	test_hand();
	test_refuse();
	test_round_trip();
	test_uidlist();
	g_mime_shutdown();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return test_done();
}
