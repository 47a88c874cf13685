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
 *
 * Parts (--split-size, README "Splitting PSTs"): when the next message
 * would take the part being written past the size asked for (its size so
 * far, pst_ndb_final_size, plus a bound on the message's), and the part
 * holds a message already, the folder being written ends its contents
 * table in that part and a new part, <mailbox>-002.pst and so on, takes
 * the rest.  Every part stays open until commit, because folders come one
 * at a time and every part gets the whole folder tree: the folder objects,
 * with each part's own counts, are written into every part at commit.
 * Each part is staged in a working folder of its own and swapped in at
 * commit, the highest first and <mailbox>.pst last (pst_parts.c).
 * Message node IDs run on across parts, so a node ID names one message of
 * the mailbox whichever part holds it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gmime/gmime.h>

#include "core/sysio.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "pst/gwpst.h"
#include "pst/message.h"
#include "pst/ndbw.h"
#include "pst/parts.h"
#include "pst/pst.h"
#include "pst/store.h"

#define FIRST_FOLDER_INDEX 0x408u	/* past the indexes of Outlook's own folders */
#define FIRST_MESSAGE_INDEX 0x10001u
/* Microsoft 365's PST import: items it skips, folder depths it refuses */
#define IMPORT_ITEM_MAX (150ull << 20)
#define IMPORT_DEPTH_MAX 299
/*
 * a bound on what a message of `size` source bytes adds to a PST: its text
 * body and headers become UTF-16 (at most twice the bytes), the rest is
 * kept decoded (at most as big), plus its property context, recipient and
 * attachment tables and their blocks
 */
#define MSG_BOUND(size) (2 * (uint64_t)(size) + 32768)
/* what commit adds to a part per folder (its PC and three tables) and once (the skeleton) */
#define FOLDER_BOUND 4096u
#define SKELETON_BOUND 65536u

struct pst_folder {
	struct pst_folder_info info;	/* counts: the part's, set when it is written */
	char *path;			/* logical path, "" for the IPM subtree */
	char *name;
	char *cls;
	bool seen;			/* the source gave it (each folder comes once) */
};

struct pst_writer {
	struct mail_writer w;
	struct pst_parts parts;		/* the files; parts.cur is the one being written */
	struct pst_folder *folders;
	size_t nfolders;
	size_t current;			/* folder being written */
	struct pst_tc contents;		/* its contents table, in the current part */
	bool in_folder;
	uint32_t next_folder_index, next_message_index;
	uint32_t sent_nid, drafts_nid, junk_nid;
	struct sbuf pst_path;		/* the current folder as the PST names it */
	unsigned depth;			/* its depth below the top of the data file */
	/* issue 14: the first folder of each groupware kind (ITEM_CALENDAR..ITEM_NOTE), items seen */
	uint32_t gw_nid[ITEM_NOTE + 1];
	bool groupware;
	char *owner;			/* the mailbox's address, for meetings */
	const char *const *fallback;	/* issue 15: out_target's --fallback-charset */
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
	if (pst_parts_open(&p->parts, t, box, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	p->fallback = t ? t->fallback : NULL;	/* issue 15 */
	p->next_folder_index = FIRST_FOLDER_INDEX;
	p->next_message_index = FIRST_MESSAGE_INDEX;
	p->owner = g_strdup_printf("%s@%s", box->mailbox ? box->mailbox : "",	/* issue 14 */
				   box->domain ? box->domain : "");
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

/* import_warning: what Microsoft 365's import will not take, said and counted */
static void import_warning(struct mail_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void import_warning(struct mail_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	diag_warn(w->diag, "%s", text);
	g_free(text);
	if (w->diag->stats)
		w->diag->stats->import_warnings++;
}

static int pst_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	struct pst_writer *p = (struct pst_writer *)w;
	p->current = folder_for(p, f->path);
	sbuf_reset(&p->pst_path);
	pst_path(p, p->current, &p->pst_path);
	if (p->folders[p->current].seen)	/* cannot happen: paths are unique */
		return mail_writer_set_error(w, CONV_FOLDER_BAD, "folder '%s' given twice", f->path);
	p->folders[p->current].seen = true;
	if (f->kind != ITEM_MAIL && f->kind <= ITEM_NOTE) {	/* issue 14: a groupware folder */
		struct pst_folder *pf = &p->folders[p->current];
		free(pf->cls);
		pf->cls = xstrdup(pst_folder_class(f->kind));
		pf->info.container_class = pf->cls;
		if (!p->gw_nid[f->kind])
			p->gw_nid[f->kind] = pf->info.nid;
	}
	p->depth = 1;
	for (const char *c = p->pst_path.buf; *c; c++)
		p->depth += *c == '/';
	if (p->depth > IMPORT_DEPTH_MAX)
		import_warning(w, "folder '%s' is %u levels deep: Microsoft 365's import refuses "
			       "folder trees deeper than %u levels", f->path, p->depth,
			       IMPORT_DEPTH_MAX);
	pst_tc_init(&p->contents, pst_parts_ndb(&p->parts), pst_contents_cols,
		    pst_contents_ncols);
	p->in_folder = true;
	return CONV_OK;
}

/* close_contents: the current folder's contents table, ended in the current part */
static void close_contents(struct pst_writer *p)
{
	struct pst_part_folder *pf = pst_parts_folder(&p->parts, p->current);
	pst_tc_write(&p->contents, &pf->contents_data, &pf->contents_sub);
	pst_tc_release(&p->contents);
	pf->has_contents = true;
}

/*
 * maybe_split: a new part for msg when it would take the current one past
 * the split size and that part holds a message already; the folder being
 * written goes on in the new part.  -1 with err when the part cannot be made.
 */
static int maybe_split(struct pst_writer *p, const struct mail_msg *msg, struct sbuf *err)
{
	uint64_t limit = p->parts.split_size;
	struct pst_part *cur = pst_parts_current(&p->parts);
	if (!limit || !cur->messages)
		return 0;
	uint64_t bound = MSG_BOUND(msg->size) + SKELETON_BOUND +
			 (uint64_t)p->nfolders * FOLDER_BOUND;
	if (pst_ndb_final_size(cur->ndb, bound) <= limit)
		return 0;
	close_contents(p);
	if (pst_parts_next(&p->parts, err) < 0) {
		p->in_folder = false;
		return -1;
	}
	pst_tc_init(&p->contents, pst_parts_ndb(&p->parts), pst_contents_cols,
		    pst_contents_ncols);
	return 0;
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
				    msg->received, left_out, 0, msg, changed,
				    msg->fallback /* issue 15: set for prepare (boxpipe) */ };
}

/*
 * pst_prepare: the writer's prepare (writer.h): pst_prepare_message, which
 * touches no writer state; thread-safe.  Its bytes of attachments decoded
 * ahead are bounded (PST_PREPARE_DECODE_MAX), past that they are read at
 * write time.
 */
static void *pst_prepare(const struct mail_msg *msg)
{
	if (msg->kind != ITEM_MAIL)	/* issue 14: an item is written whole at write_msg */
		return NULL;
	struct pst_msg_in in = msg_in(msg, NULL, NULL);
	return pst_prepare_message(&in, PST_PREPARE_DECODE_MAX);
}

static void pst_prepared_release(void *prepared)
{
	pst_prepared_free(prepared);
}

static int written(struct pst_writer *p, const struct mail_msg *msg, struct mail_item_loc *loc,
		   uint32_t nid, struct sbuf *errp);

static int pst_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			 struct mail_item_loc *loc)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct pst_folder *f = &p->folders[p->current];
	struct sbuf err = SBUF_INIT;
	if (maybe_split(p, msg, &err) < 0) {
		pst_prepared_free(msg->prepared);
		return mail_writer_take_error(w, CONV_FATAL, &err);
	}
	struct pst_part *part = pst_parts_current(&p->parts);
	struct pst_ndb *ndb = part->ndb;
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
	uint32_t nid = p->next_message_index << 5 | 0x04;
	if (msg->kind != ITEM_MAIL && msg->gw) {	/* issue 14: an Outlook item */
		pst_prepared_free(msg->prepared);
		if (pst_write_gw_item(ndb, &p->contents, nid, f->info.nid, msg, p->owner, &err) < 0)
			return mail_writer_take_error(w, CONV_MSG_BAD, &err);
		p->next_message_index++;
		p->groupware = true;
		return written(p, msg, loc, nid, &err);
	}
	struct sbuf left_out = SBUF_INIT;
	struct pst_msg_in in = msg_in(msg, &left_out, &err);
	in.fallback = p->fallback;	/* issue 15: the same as msg->fallback when prepared */
	p->next_message_index++;
	ret = pst_write_message(ndb, &p->contents, nid, f->info.nid, &in, msg->prepared);
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
	return written(p, msg, loc, nid, &err);
}

/* written: the message is in the part: counted, checked for a full disk, located */
static int written(struct pst_writer *p, const struct mail_msg *msg, struct mail_item_loc *loc,
		   uint32_t nid, struct sbuf *errp)
{
	struct mail_writer *w = &p->w;
	struct pst_folder *f = &p->folders[p->current];
	struct pst_part *part = pst_parts_current(&p->parts);
	struct sbuf err = *errp;
	if (pst_ndb_check(part->ndb, &err) < 0)	/* a full disk: stop the mailbox now */
		return mail_writer_take_error(w, CONV_FATAL, &err);
	struct pst_part_folder *pf = pst_parts_folder(&p->parts, p->current);
	pf->count++;
	pf->unread += msg->kind == ITEM_MAIL && !(msg->flags & MSG_SEEN);	/* items: read */
	part->messages++;
	if (msg->size > IMPORT_ITEM_MAX)
		import_warning(w, "'%s' in folder '%s': %llu bytes; Microsoft 365's import skips "
			       "items over 150 MB", msg->origin, f->path,
			       (unsigned long long)msg->size);
	sbuf_adds(&loc->folder, p->pst_path.buf);
	if (p->parts.cur > 0) {		/* a later part: named next to the first */
		sbuf_adds(&loc->file, part->final);
		loc->sibling = true;
	}				/* else file "": the PST itself */
	loc->node = nid;
	sbuf_release(&err);
	return CONV_OK;
}

static int pst_end_folder(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	close_contents(p);
	p->in_folder = false;
	return CONV_OK;
}

/* name_specials: the root folder and the Inbox carry the Drafts and junk entry IDs */
static void name_specials(const struct pst_writer *p, const struct pst_part *part,
			  struct pst_folder_info *f)
{
	f->record_key = part->record_key;
	f->drafts_nid = p->drafts_nid;
	f->junk_nid = p->junk_nid;
	f->calendar_nid = p->gw_nid[ITEM_CALENDAR];	/* issue 14 */
	f->contacts_nid = p->gw_nid[ITEM_CONTACT];
	f->tasks_nid = p->gw_nid[ITEM_TASK];
	f->notes_nid = p->gw_nid[ITEM_NOTE];
}

/* folder_info: folder i as part k holds it (its counts there) */
static struct pst_folder_info folder_info(struct pst_writer *p, size_t k, size_t i)
{
	struct pst_folder_info info = p->folders[i].info;
	const struct pst_part_folder *pf = pst_parts_folder_of(&p->parts, k, i);
	info.content_count = pf->count;
	info.unread_count = pf->unread;
	return info;
}

/* write_folders: every folder object of part k with its hierarchy rows, then the root */
static void write_folders(struct pst_writer *p, size_t k)
{
	const struct pst_part *part = p->parts.v[k];
	struct pst_ndb *ndb = part->ndb;
	struct pst_folder_info *kids = xmalloc((p->nfolders + 4) * sizeof(*kids));
	for (size_t i = 0; i < p->nfolders; i++) {
		struct pst_folder_info info = folder_info(p, k, i);
		if (!strcmp(p->folders[i].path, "INBOX"))
			name_specials(p, part, &info);
		size_t nk = 0;
		for (size_t j = 0; j < p->nfolders; j++)
			if (j != i && p->folders[j].info.parent == info.nid)
				kids[nk++] = folder_info(p, k, j);
		info.has_subfolders = nk > 0;
		const struct pst_part_folder *pf = pst_parts_folder_of(&p->parts, k, i);
		if (pf->has_contents)
			pst_write_folder_with_contents(ndb, &info, kids, nk, pf->contents_data,
						       pf->contents_sub);
		else
			pst_write_folder(ndb, &info, kids, nk);
	}
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
					  .name = "Search Root" };
	struct pst_folder_info views = { .nid = PST_NID_COMMON_VIEWS, .parent = PST_NID_ROOT,
					 .name = "IPM_COMMON_VIEWS", .comment = "" };
	struct pst_folder_info spam = { .nid = PST_NID_SPAM_SEARCH, .parent = PST_NID_ROOT,
					.name = PST_SPAM_SEARCH_NAME };
	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
					.has_subfolders = 1 };
	name_specials(p, part, &root);
	/* the root's rows in Outlook's order; the spam search folder's node: store.c */
	kids[0] = folder_info(p, k, 0);
	kids[0].has_subfolders = p->nfolders > 1;
	kids[1] = finder;
	kids[2] = spam;
	kids[3] = views;
	pst_write_folder(ndb, &finder, NULL, 0);
	pst_write_folder(ndb, &views, NULL, 0);
	pst_write_folder(ndb, &root, kids, 4);
	free(kids);
}

/* finish_part: part k's folders, skeleton, store and trees; the file complete */
static int finish_part(struct pst_writer *p, size_t k, size_t inbox, struct sbuf *err)
{
	struct pst_part *part = p->parts.v[k];
	write_folders(p, k);
	pst_write_skeleton_gw(part->ndb, part->record_key, p->folders[inbox].info.nid,
			      p->groupware);
	pst_write_store(part->ndb, part->record_key, part->store_name, p->sent_nid,
			PST_NID_COMMON_VIEWS);
	uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = p->next_folder_index;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = p->next_message_index;
	rgnid[0x08] = 0x8000;
	int ret = pst_ndb_finish(part->ndb, rgnid, err);
	part->ndb = NULL;
	return ret;
}

static int pst_commit(struct mail_writer *w)
{
	struct pst_writer *p = (struct pst_writer *)w;
	struct sbuf err = SBUF_INIT;
	size_t inbox = folder_for(p, "INBOX");	/* Outlook needs an Inbox even when empty */
	for (size_t k = 0; k < p->parts.n; k++)
		if (finish_part(p, k, inbox, &err) < 0)
			return mail_writer_take_error(w, CONV_FATAL, &err);
	if (pst_parts_commit(&p->parts, &err) < 0)
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
	pst_parts_abort(&p->parts);
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
	g_free(p->owner);
	pst_parts_release(&p->parts);
	sbuf_release(&p->pst_path);
	free(p);
}

const struct mail_writer_ops pst_writer_ops = {
	.name = "pst",
	.dest_suffix = ".pst",
	.rounds_in_parts = true,
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
	.native_items = true,	/* issue 14: Outlook items (gwpst.h) */
};
