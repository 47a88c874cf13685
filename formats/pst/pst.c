/*
 * PST writer: DIR/<domain>/<mailbox>.pst, a Unicode PST per mailbox,
 * written to the mailbox's staging file (outdir.h) and swapped in for
 * <mailbox>.pst when complete.
 *
 * Folders: INBOX becomes "Inbox" (the receive folder), "Deleted Items" is
 * Outlook's own wastebasket, "Sent Items" is named on the store as the
 * sent-mail folder, "Drafts" and the junk folder ("Junk E-mail", "Junk
 * Email", "Junk" or "Spam" at the top level) on the root folder and the
 * Inbox; every folder keeps its name and nesting under the top of the
 * data file.  Each message is an IPM.Note (formats/pst/message.c); each
 * folder's contents table is written when the folder ends, folder objects
 * and hierarchy tables (which need the counts) at commit.  A folder's
 * contents table, however many rows, is written as it goes (ltp.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gmime/gmime.h>

#include "core/sysio.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "pst/message.h"
#include "pst/pst.h"
#include "pst/store.h"

#define FIRST_FOLDER_INDEX 0x408u	/* past the indexes of Outlook's own folders */
#define FIRST_MESSAGE_INDEX 0x10001u

struct pst_folder {
	struct pst_folder_info info;
	char *path;			/* logical path, "" for the IPM subtree */
	char *name;
	char *cls;
	uint64_t contents_data, contents_sub;
	bool has_contents;
};

struct pst_writer {
	struct mail_writer w;
	struct pst_ndb *ndb;
	struct stage stage;
	uint8_t record_key[16];
	struct pst_folder *folders;
	size_t nfolders;
	size_t current;			/* folder being written */
	struct pst_tc contents;
	bool in_folder;
	uint32_t next_folder_index, next_message_index;
	uint32_t sent_nid, drafts_nid, junk_nid;
	char *store_name;
	struct sbuf pst_path;		/* the current folder as the PST names it */
};

static struct mail_writer *pst_alloc(void)
{
	struct pst_writer *p = xcalloc(1, sizeof(*p));
	sbuf_init(&p->pst_path);
	return &p->w;
}

static size_t add_folder(struct pst_writer *p, uint32_t nid, uint32_t parent, const char *path,
			 const char *name)
{
	p->folders = xreallocarray(p->folders, p->nfolders + 1, sizeof(*p->folders));
	struct pst_folder *f = &p->folders[p->nfolders];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->name = xstrdup(name);
	f->cls = xstrdup("IPF.Note");
	f->info = (struct pst_folder_info){ .nid = nid, .parent = parent, .name = f->name,
					    .container_class = f->cls };
	return p->nfolders++;
}

static int pst_open(struct mail_writer *w, const struct out_target *t,
		    const struct mail_box *box)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct sbuf err = SBUF_INIT;
	if (stage_begin_file(&p->stage, t, ".pst", &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	char *display = stage_partial_display(&p->stage);
	p->ndb = pst_ndb_create_fd(p->stage.file_fd, p->stage.work->fd, display, &err);
	free(display);
	if (!p->ndb)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	/* the store's record key: derived from the mailbox, so re-runs match */
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, (const guchar *)box->domain, (gssize)strlen(box->domain));
	g_checksum_update(ck, (const guchar *)"/", 1);
	g_checksum_update(ck, (const guchar *)box->mailbox, (gssize)strlen(box->mailbox));
	guint8 digest[32];
	gsize len = sizeof(digest);
	g_checksum_get_digest(ck, digest, &len);
	g_checksum_free(ck);
	memcpy(p->record_key, digest, 16);
	p->next_folder_index = FIRST_FOLDER_INDEX;
	p->next_message_index = FIRST_MESSAGE_INDEX;
	p->store_name = xasprintf("%s@%s", box->mailbox, box->domain);
	add_folder(p, PST_NID_IPM_SUBTREE, PST_NID_ROOT, "", "Top of Outlook data file");
	free(p->folders[0].cls);
	p->folders[0].cls = NULL;
	p->folders[0].info.container_class = NULL;
	add_folder(p, PST_NID_WASTEBASKET, PST_NID_IPM_SUBTREE, "Deleted Items", "Deleted Items");
	p->folders[1].info.comment = "Deleted Items folder";	/* as Outlook's own, */
	free(p->folders[1].cls);				/* without a class */
	p->folders[1].cls = NULL;
	p->folders[1].info.container_class = NULL;
	sbuf_release(&err);
	return CONV_OK;
}

static ssize_t find_folder(const struct pst_writer *p, const char *path)
{
	for (size_t i = 0; i < p->nfolders; i++)
		if (!strcmp(p->folders[i].path, path))
			return (ssize_t)i;
	return -1;
}

/* note_special: a top-level folder Outlook knows by an entry ID */
static void note_special(struct pst_writer *p, const char *path, uint32_t nid)
{
	static const char *const junk[] = { "Junk E-mail", "Junk Email", "Junk", "Spam" };
	if (!strcmp(path, "Sent Items"))
		p->sent_nid = nid;
	else if (!strcmp(path, "Drafts"))
		p->drafts_nid = nid;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]) && !p->junk_nid; i++)
		if (!strcasecmp(path, junk[i]))
			p->junk_nid = nid;
}

/* folder_for: the folder of a logical path, creating it and its parents */
static size_t folder_for(struct pst_writer *p, const char *path)
{
	ssize_t i = find_folder(p, path);
	if (i >= 0)
		return (size_t)i;
	const char *slash = strrchr(path, '/');
	char *parent_path = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
	size_t parent = folder_for(p, parent_path);
	free(parent_path);
	const char *name = slash ? slash + 1 : path;
	if (!strcmp(path, "INBOX"))
		name = "Inbox";
	uint32_t nid = p->next_folder_index++ << 5 | 0x02;
	size_t f = add_folder(p, nid, p->folders[parent].info.nid, path, name);
	p->folders[parent].info.has_subfolders = 1;
	p->folders[f].info.parent = p->folders[parent].info.nid;
	note_special(p, path, nid);
	return f;
}

/* pst_path: folder i's path under the top of the data file ("Inbox/Projects") */
static void pst_path(const struct pst_writer *p, size_t i, struct sbuf *out)
{
	uint32_t parent = p->folders[i].info.parent;
	if (parent != PST_NID_IPM_SUBTREE) {
		for (size_t j = 0; j < p->nfolders; j++) {
			if (p->folders[j].info.nid == parent) {
				pst_path(p, j, out);
				sbuf_addch(out, '/');
				break;
			}
		}
	}
	sbuf_adds(out, p->folders[i].name);
}

static int pst_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	struct pst_writer *p = (struct pst_writer *)w;
	p->current = folder_for(p, f->path);
	sbuf_reset(&p->pst_path);
	pst_path(p, p->current, &p->pst_path);
	if (p->folders[p->current].has_contents)	/* cannot happen: paths are unique */
		return mail_writer_set_error(w, CONV_FOLDER_BAD, "folder '%s' given twice", f->path);
	pst_tc_init(&p->contents, p->ndb, pst_contents_cols, pst_contents_ncols);
	p->in_folder = true;
	return CONV_OK;
}

static int discard(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

/* msg_in: what the messaging layer takes of msg (left_out, changed: the caller's) */
static struct pst_msg_in msg_in(const struct mail_msg *msg, struct sbuf *left_out,
				struct sbuf *changed)
{
	return (struct pst_msg_in){ NULL, msg->size, msg, msg->prefix, msg->head_len, msg->flags,
				    msg->received, left_out, 0, msg, changed };
}

/*
 * pst_prepare: the writer's prepare (writer.h): pst_prepare_message, which
 * touches no writer state; thread-safe.  Its bytes of attachments decoded
 * ahead are bounded (PST_PREPARE_DECODE_MAX), past that they are read at
 * write time.
 */
static void *pst_prepare(const struct mail_msg *msg)
{
	struct pst_msg_in in = msg_in(msg, NULL, NULL);
	return pst_prepare_message(&in, PST_PREPARE_DECODE_MAX);
}

static void pst_prepared_release(void *prepared)
{
	pst_prepared_free(prepared);
}

static int pst_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			 struct mail_item_loc *loc)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct pst_folder *f = &p->folders[p->current];
	struct sbuf err = SBUF_INIT;
	/*
	 * The file is read whole first, for its size and SHA-256 (the
	 * manifest's) and to find it changed before anything is written; GMime
	 * then reads what the PST takes, and pst_write_message holds the file
	 * to its size and mtime at open again before the message is added.
	 */
	int ret = msg_copy_range(msg, 0, discard, NULL, &err);
	if (ret != CONV_OK) {
		pst_prepared_free(msg->prepared);
		return mail_writer_take_error(w, ret, &err);
	}
	struct sbuf left_out = SBUF_INIT;
	struct pst_msg_in in = msg_in(msg, &left_out, &err);
	uint32_t nid = p->next_message_index++ << 5 | 0x04;
	ret = pst_write_message(p->ndb, &p->contents, nid, f->info.nid, &in, msg->prepared);
	if (ret == -2) {	/* nothing of it in the folder: the next one takes its ID */
		p->next_message_index--;
		sbuf_release(&left_out);
		return mail_writer_take_error(w, CONV_MSG_BAD, &err);
	}
	if (ret < 0)
		diag_warn(w->diag, "'%s': MIME structure not understood; written with its "
			  "headers, the whole message attached as message.eml", msg->origin);
	/* what the format cannot hold was left out: an error, it is not in the PST */
	char *save = NULL;
	for (char *line = left_out.len ? strtok_r(left_out.buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		diag_error(w->diag, "'%s': %s", msg->origin, line);
	sbuf_release(&left_out);
	if (pst_ndb_check(p->ndb, &err) < 0)	/* a full disk: stop the mailbox now */
		return mail_writer_take_error(w, CONV_FATAL, &err);
	f->info.content_count++;
	f->info.unread_count += !(msg->flags & MSG_SEEN);
	sbuf_adds(&loc->folder, p->pst_path.buf);	/* file "": the PST itself */
	loc->node = nid;
	sbuf_release(&err);
	return CONV_OK;
}

static int pst_end_folder(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct pst_folder *f = &p->folders[p->current];
	pst_tc_write(&p->contents, &f->contents_data, &f->contents_sub);
	pst_tc_release(&p->contents);
	f->has_contents = true;
	p->in_folder = false;
	return CONV_OK;
}

/* name_specials: the root folder and the Inbox carry the Drafts and junk entry IDs */
static void name_specials(const struct pst_writer *p, struct pst_folder_info *f)
{
	f->record_key = p->record_key;
	f->drafts_nid = p->drafts_nid;
	f->junk_nid = p->junk_nid;
}

/* write_folders: every folder object with its hierarchy rows, then the root */
static void write_folders(struct pst_writer *p)
{
	struct pst_folder_info *kids = xmalloc((p->nfolders + 4) * sizeof(*kids));
	for (size_t i = 0; i < p->nfolders; i++) {
		struct pst_folder *f = &p->folders[i];
		if (!strcmp(f->path, "INBOX"))
			name_specials(p, &f->info);
		size_t nk = 0;
		for (size_t j = 0; j < p->nfolders; j++)
			if (j != i && p->folders[j].info.parent == f->info.nid)
				kids[nk++] = p->folders[j].info;
		f->info.has_subfolders = nk > 0;
		if (f->has_contents)
			pst_write_folder_with_contents(p->ndb, &f->info, kids, nk,
						       f->contents_data, f->contents_sub);
		else
			pst_write_folder(p->ndb, &f->info, kids, nk);
	}
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
					  .name = "Search Root" };
	struct pst_folder_info views = { .nid = PST_NID_COMMON_VIEWS, .parent = PST_NID_ROOT,
					 .name = "IPM_COMMON_VIEWS", .comment = "" };
	struct pst_folder_info spam = { .nid = PST_NID_SPAM_SEARCH, .parent = PST_NID_ROOT,
					.name = PST_SPAM_SEARCH_NAME };
	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
					.has_subfolders = 1 };
	name_specials(p, &root);
	/* the root's rows in Outlook's order; the spam search folder's node: store.c */
	kids[0] = p->folders[0].info;
	kids[1] = finder;
	kids[2] = spam;
	kids[3] = views;
	pst_write_folder(p->ndb, &finder, NULL, 0);
	pst_write_folder(p->ndb, &views, NULL, 0);
	pst_write_folder(p->ndb, &root, kids, 4);
	free(kids);
}

static int pst_commit(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct sbuf err = SBUF_INIT;
	size_t inbox = folder_for(p, "INBOX");	/* Outlook needs an Inbox even when empty */
	if (!p->folders[inbox].has_contents)
		p->folders[inbox].info.content_count = 0;
	write_folders(p);
	pst_write_skeleton(p->ndb, p->record_key, p->folders[inbox].info.nid);
	pst_write_store(p->ndb, p->record_key, p->store_name, p->sent_nid, PST_NID_COMMON_VIEWS);
	uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = p->next_folder_index;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = p->next_message_index;
	rgnid[0x08] = 0x8000;
	int ret = pst_ndb_finish(p->ndb, rgnid, &err);
	p->ndb = NULL;
	if (ret < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	if (stage_commit(&p->stage, &err) < 0)	/* atomic: old file or new */
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static void pst_rollback(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	if (p->in_folder)
		pst_tc_release(&p->contents);
	p->in_folder = false;
	if (p->ndb)
		pst_ndb_abort(p->ndb);
	p->ndb = NULL;
	stage_abort(&p->stage);
}

static void pst_free(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	pst_rollback(w);
	for (size_t i = 0; i < p->nfolders; i++) {
		free(p->folders[i].path);
		free(p->folders[i].name);
		free(p->folders[i].cls);
	}
	free(p->folders);
	free(p->store_name);
	sbuf_release(&p->pst_path);
	free(p);
}

const struct mail_writer_ops pst_writer_ops = {
	.name = "pst",
	.dest_suffix = ".pst",
	.alloc = pst_alloc,
	.open = pst_open,
	.begin_folder = pst_begin_folder,
	.write_msg = pst_write_msg,
	.prepare = pst_prepare,
	.prepared_free = pst_prepared_release,
	.end_folder = pst_end_folder,
	.commit = pst_commit,
	.rollback = pst_rollback,
	.free = pst_free,
	.import_stores = true,
};
