/*
 * The PST/OST reader: SOURCE is one Outlook data file (PST or OST, ANSI or
 * Unicode), read through libpff as one mailbox.
 *
 * The file is opened here, O_RDONLY|O_NOFOLLOW (and O_NOATIME where
 * permitted), and libpff reads it through a libbfio handle over that
 * descriptor (pread only), so no path is ever opened by libpff and no link
 * is followed.  Its size and mtime are taken at open and compared at close:
 * a file that changed during the run is a warning.
 *
 * Folders are those below the IPM subtree (the store's
 * PR_IPM_SUBTREE_ENTRYID; "Top of Personal Folders"), depth first, named
 * by their PR_DISPLAY_NAME; the Inbox (the top-level folder holding the
 * PR_IPM_*_ENTRYID that Outlook and this project's writer put on it, else
 * the top-level folder named Inbox) is "INBOX", so MDaemon -> PST -> X keeps
 * MDaemon's names.  Messages are rebuilt by read_mime.c into an unlinked
 * temporary file and handed out as a file_body over it.
 */
#include "pst/pst.h"

#include <errno.h>
#include <fcntl.h>
#include <libbfio.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/onebox.h"
#include "core/xalloc.h"
#include "pst/read.h"

#define NID_ROOT 0x122u
#define NID_IPM_SUBTREE 0x8022u
#define NID_TYPE(nid) ((nid) & 0x1Fu)
#define NID_TYPE_FOLDER 0x02u
#define NID_TYPE_MESSAGE 0x04u
#define FOLDER_DEPTH_MAX 200	/* as the MDaemon reader: a damaged file may loop */

enum {
	MSGFLAG_READ = 0x01, MSGFLAG_UNSENT = 0x08, MSGSTATUS_DELMARKED = 0x08,
	MSGSTATUS_DRAFT = 0x100, MSGSTATUS_ANSWERED = 0x200, FLAG_STATUS_FLAGGED = 2,
	VERB_REPLY_SENDER = 102, VERB_REPLY_ALL = 103,
	ICON_REPLIED = 0x105,
};

struct pr_folder {
	char *path;
	char *folder_class;	/* "IPF.Note" for mail */
	uint32_t nid;
	bool is_mail;
};

struct pst_reader {
	struct onebox ob;	/* first: the store and its one mailbox (core/onebox.h) */
	int fd;			/* SOURCE, open while the reader is */
	struct stat st;		/* at open: held against it at close */
	char *path;		/* absolute (as given when unknown) */
	char *file;		/* its name, for messages */
	libbfio_handle_t *bfio;
	libpff_file_t *pff;
	char *mailbox, *domain;
	struct pr_folder *folders;
	size_t nfolders, next_folder;
	bool listed;
	struct mail_folder folder;
	uint32_t *nids;		/* the current folder's messages */
	size_t nnids, next_nid;
	struct mail_msg msg;
	char *msg_origin;
	char msg_name[16];
	int out_fd, scratch_fd;	/* unlinked temporary files: a message, its attachments */
	struct file_body body;
	struct sbuf prefix;
};

/* open_pff: libpff over r->fd; false with err set */
static bool open_pff(struct pst_reader *r, const char *source, struct sbuf *err)
{
	libpff_error_t *e = NULL;
	if (!(r->bfio = pst_fd_handle(r->fd))) {
		sbuf_addf(err, "cannot read '%s': no I/O handle", source);
		return false;
	}
	struct sbuf why = SBUF_INIT;
	if (libpff_file_initialize(&r->pff, &e) != 1 ||
	    libpff_file_open_file_io_handle(r->pff, r->bfio, LIBPFF_OPEN_READ, &e) != 1) {
		pst_error(&e, "libpff cannot read it", &why);
		sbuf_addf(err, "'%s' is not a PST or OST file libpff can read: %s", source,
			  why.buf);
		sbuf_release(&why);
		if (r->pff)
			libpff_file_free(&r->pff, NULL);
		return false;
	}
	sbuf_release(&why);
	return true;
}

/* ---- the store -------------------------------------------------------------------- */

/* split_address: mailbox and domain from "local@domain"; false when s is not one */
static bool split_address(struct pst_reader *r, const char *s)
{
	const char *at = strrchr(s, '@');
	/* the public folders' store (core/conv.h): its name is no address, but it is theirs */
	if (!strcmp(s, MAIL_PUBLIC_MAILBOX "@" MAIL_PUBLIC_DOMAIN)) {
		r->mailbox = xstrdup(MAIL_PUBLIC_MAILBOX);
		r->domain = xstrdup(MAIL_PUBLIC_DOMAIN);
		return true;
	}
	if (!at || at == s || !at[1] || strpbrk(s, " /\\<>\"") || strchr(at + 1, '.') == NULL ||
	    memchr(s, '@', (size_t)(at - s)))
		return false;
	r->mailbox = xstrndup(s, (size_t)(at - s));
	r->domain = xstrdup(at + 1);
	return true;
}

/* box_name: mailbox and domain from the store's name "local@domain", else the file's stem */
static void box_name(struct pst_reader *r)
{
	libpff_item_t *store = NULL;
	struct sbuf name = SBUF_INIT;
	struct pst_props pr;
	if (libpff_file_get_message_store(r->pff, &store, NULL) == 1) {
		if (pst_props_open(&pr, store) == 0)
			pst_prop_string(&pr, PR_DISPLAY_NAME, &name);
		pst_props_close(&pr);
		libpff_item_free(&store, NULL);
	}
	if (!split_address(r, name.buf)) {
		/* Outlook names an OST (and many a PST) by the address: "bea@example.com.ost" */
		char *stem = xstrdup(r->file);
		char *dot = strrchr(stem, '.');
		if (dot && dot != stem)
			*dot = '\0';
		if (!split_address(r, stem)) {
			r->mailbox = xstrdup(stem);
			r->domain = xstrdup("localhost");
		}
		free(stem);
	}
	sbuf_release(&name);
}

/* sub_folder: the subfolder of f with this NID, or (nid 0) this name; NULL when none */
static libpff_item_t *sub_folder(libpff_item_t *f, uint32_t want, const char *name)
{
	int n = 0;
	if (libpff_item_get_number_of_sub_items(f, &n, NULL) != 1)
		return NULL;
	for (int i = 0; i < n; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_item_get_sub_item(f, i, &sub, NULL) != 1)
			continue;
		libpff_item_get_identifier(sub, &nid, NULL);
		bool hit = NID_TYPE(nid) == NID_TYPE_FOLDER && (want ? nid == want : false);
		if (!want && NID_TYPE(nid) == NID_TYPE_FOLDER) {
			struct pst_props pr;
			struct sbuf v = SBUF_INIT;
			hit = pst_props_open(&pr, sub) == 0 &&
			      pst_prop_string(&pr, PR_DISPLAY_NAME, &v) && !strcmp(v.buf, name);
			pst_props_close(&pr);
			sbuf_release(&v);
		}
		if (hit)
			return sub;
		libpff_item_free(&sub, NULL);
	}
	return NULL;
}

/* subtree_eid: the NID in the store's PR_IPM_SUBTREE_ENTRYID; 0 without one */
static uint32_t subtree_eid(struct pst_reader *r)
{
	libpff_item_t *store = NULL;
	struct pst_props pr;
	struct sbuf eid = SBUF_INIT;
	uint32_t type, nid = 0;
	if (libpff_file_get_message_store(r->pff, &store, NULL) != 1)
		return 0;
	/* an EntryID: flags (4), provider UID (16), then the folder's NID */
	if (pst_props_open(&pr, store) == 0 &&
	    pst_prop_raw(&pr, PR_IPM_SUBTREE_ENTRYID, &eid, &type) && eid.len >= 24) {
		const unsigned char *p = (const unsigned char *)eid.buf + 20;
		nid = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
	}
	pst_props_close(&pr);
	libpff_item_free(&store, NULL);
	sbuf_release(&eid);
	return nid;
}

/*
 * ipm_subtree: the top of the mail folders: the folder the store's
 * PR_IPM_SUBTREE_ENTRYID names; else the root's subfolder 0x8022 (every
 * PST's "Top of Personal Folders"); else, in an OST (whose store names
 * none and where 0x8022 is some other folder), "Root - Mailbox/IPM_SUBTREE";
 * else the root itself
 */
static libpff_item_t *ipm_subtree(struct pst_reader *r)
{
	libpff_item_t *root = NULL, *top = NULL, *box;
	uint32_t nid = subtree_eid(r);
	if (nid && libpff_file_get_item_by_identifier(r->pff, nid, &top, NULL) == 1)
		return top;
	if (libpff_file_get_root_folder(r->pff, &root, NULL) != 1)
		return NULL;
	top = sub_folder(root, NID_IPM_SUBTREE, NULL);
	if (!top && (box = sub_folder(root, 0, "Root - Mailbox"))) {
		top = sub_folder(box, 0, "IPM_SUBTREE");
		libpff_item_free(&box, NULL);
	}
	if (top) {
		libpff_item_free(&root, NULL);
		return top;
	}
	diag_warn(r->ob.m.diag, "'%s': no IPM subtree (top of the mail folders) found; the "
		  "folders below the root are read", r->path);
	return root;
}

/* folder_name: PR_DISPLAY_NAME, with '/' (the path separator) as '_' */
static char *folder_name(struct pst_reader *r, libpff_item_t *f, uint32_t nid)
{
	struct pst_props pr;
	struct sbuf name = SBUF_INIT;
	if (pst_props_open(&pr, f) == 0)
		pst_prop_string(&pr, PR_DISPLAY_NAME, &name);
	pst_props_close(&pr);
	if (!name.len)
		sbuf_addf(&name, "folder-%u", (unsigned)nid);
	if (strchr(name.buf, '/')) {
		char *was = xstrdup(name.buf);
		for (char *p = name.buf; (p = strchr(p, '/')); p++)
			*p = '_';
		diag_warn(r->ob.m.diag, "'%s': folder '%s' has '/' in its name; read as '%s'",
			  r->path, was, name.buf);
		free(was);
	}
	return sbuf_detach(&name);
}

/* is_inbox: a top-level folder Outlook (and our writer) marks as the Inbox */
static bool marked_inbox(libpff_item_t *f)
{
	struct pst_props pr;
	struct sbuf v = SBUF_INIT;
	uint32_t type;
	bool yes = pst_props_open(&pr, f) == 0 &&
		   (pst_prop_raw(&pr, PR_IPM_APPOINTMENT_ENTRYID, &v, &type) ||
		    pst_prop_raw(&pr, PR_IPM_DRAFTS_ENTRYID, &v, &type));
	pst_props_close(&pr);
	sbuf_release(&v);
	return yes;
}

/* add_folder: f, listed as path; a folder without a class has its parent's (parent_class) */
static size_t add_folder(struct pst_reader *r, libpff_item_t *f, uint32_t nid, char *path,
			 const char *parent_class)
{
	struct pst_props pr;
	struct sbuf cls = SBUF_INIT;
	if (pst_props_open(&pr, f) == 0)
		pst_prop_string(&pr, PR_CONTAINER_CLASS, &cls);
	pst_props_close(&pr);
	if (!cls.len && parent_class)
		sbuf_adds(&cls, parent_class);
	for (size_t i = 0; r->folders && i < r->nfolders; i++)
		if (!strcmp(r->folders[i].path, path))
			diag_warn(r->ob.m.diag, "'%s': two folders are named '%s'; both are read",
				  r->path, path);
	r->folders = xreallocarray(r->folders, r->nfolders + 1, sizeof(*r->folders));
	struct pr_folder *pf = &r->folders[r->nfolders++];
	/* no class is mail (Outlook's own top folders have none); IPF.Note.* too */
	pf->is_mail = !cls.len || !strncmp(cls.buf, "IPF.Note", 8) || !strcmp(cls.buf, "IPF.Imap");
	pf->folder_class = cls.len ? sbuf_detach(&cls) : xstrdup("IPF.Note");
	pf->path = path;
	pf->nid = nid;
	sbuf_release(&cls);
	return r->nfolders - 1;
}

/* walk: the folders below f (path: its own, NULL for the top) */
static void walk(struct pst_reader *r, libpff_item_t *f, const char *path, int depth,
		 uint32_t inbox, const char *cls)
{
	int n = 0;
	if (libpff_item_get_number_of_sub_items(f, &n, NULL) != 1)
		return;
	if (depth > FOLDER_DEPTH_MAX) {
		diag_error(r->ob.m.diag, "'%s': folder '%s' is nested deeper than %d; its "
			   "subfolders are not read", r->path, path, FOLDER_DEPTH_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_item_get_sub_item(f, i, &sub, NULL) != 1)
			continue;
		libpff_item_get_identifier(sub, &nid, NULL);
		if (NID_TYPE(nid) == NID_TYPE_FOLDER && nid != NID_ROOT) {
			char *name = nid == inbox ? xstrdup("INBOX") : folder_name(r, sub, nid);
			char *sp = path ? xasprintf("%s/%s", path, name) : xstrdup(name);
			free(name);
			size_t k = add_folder(r, sub, nid, sp, cls);
			char *own = xstrdup(r->folders[k].folder_class);
			walk(r, sub, sp, depth + 1, 0, own);
			free(own);
		}
		libpff_item_free(&sub, NULL);
	}
}

/* find_inbox: the top-level folder that is the Inbox (see marked_inbox), else named so */
static uint32_t find_inbox(struct pst_reader *r, libpff_item_t *top)
{
	int n = 0;
	uint32_t marked = 0, named = 0;
	if (libpff_item_get_number_of_sub_items(top, &n, NULL) != 1)
		return 0;
	for (int i = 0; i < n && !marked; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_item_get_sub_item(top, i, &sub, NULL) != 1)
			continue;
		libpff_item_get_identifier(sub, &nid, NULL);
		if (NID_TYPE(nid) == NID_TYPE_FOLDER) {
			char *name = folder_name(r, sub, nid);
			if (marked_inbox(sub))
				marked = nid;
			else if (!named && !g_ascii_strcasecmp(name, "Inbox"))
				named = nid;
			free(name);
		}
		libpff_item_free(&sub, NULL);
	}
	return marked ? marked : named;
}

static void count_orphans(struct pst_reader *r)
{
	int n = 0, msgs = 0;
	if (libpff_file_get_number_of_orphan_items(r->pff, &n, NULL) != 1)
		return;
	for (int i = 0; i < n; i++) {
		libpff_item_t *it = NULL;
		uint32_t nid = 0;
		if (libpff_file_get_orphan_item_by_index(r->pff, i, &it, NULL) != 1)
			continue;
		libpff_item_get_identifier(it, &nid, NULL);
		msgs += NID_TYPE(nid) == NID_TYPE_MESSAGE;
		libpff_item_free(&it, NULL);
	}
	if (msgs)
		diag_warn(r->ob.m.diag, "'%s': %d message%s outside any folder (orphans libpff "
			  "found); not exported", r->path, msgs, msgs == 1 ? "" : "s");
}

static void load_folders(struct pst_reader *r)
{
	libpff_item_t *top = ipm_subtree(r);
	if (!top) {
		diag_error(r->ob.m.diag, "'%s': libpff finds no folders in it", r->path);
		return;
	}
	walk(r, top, NULL, 0, find_inbox(r, top), NULL);
	libpff_item_free(&top, NULL);
	count_orphans(r);
}

/* load_messages: the message NIDs of folder f; CONV_FOLDER_BAD with err set */
static int load_messages(struct pst_reader *r, const struct pr_folder *f, struct sbuf *err)
{
	free(r->nids);
	r->nids = NULL;
	r->nnids = r->next_nid = 0;
	libpff_item_t *item = NULL;
	libpff_error_t *e = NULL;
	int n = 0;
	if (libpff_file_get_item_by_identifier(r->pff, f->nid, &item, &e) != 1 ||
	    libpff_item_get_number_of_sub_items(item, &n, &e) != 1) {
		struct sbuf why = SBUF_INIT;
		pst_error(&e, "libpff", &why);
		sbuf_addf(err, "'%s': cannot read folder '%s': %s", r->path, f->path, why.buf);
		sbuf_release(&why);
		if (item)
			libpff_item_free(&item, NULL);
		return CONV_FOLDER_BAD;
	}
	r->nids = xcalloc((size_t)n + 1, sizeof(*r->nids));
	for (int i = 0; i < n; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_item_get_sub_item(item, i, &sub, NULL) != 1) {
			diag_error(r->ob.m.diag, "'%s': folder '%s': item %d cannot be read",
				   r->path, f->path, i + 1);
			continue;
		}
		libpff_item_get_identifier(sub, &nid, NULL);
		if (NID_TYPE(nid) == NID_TYPE_MESSAGE)
			r->nids[r->nnids++] = nid;
		libpff_item_free(&sub, NULL);
	}
	libpff_item_free(&item, NULL);
	r->folder.messages = (unsigned)r->nnids;
	return CONV_OK;
}

/* ---- one message ------------------------------------------------------------------ */

/* msg_flags: the five flags from the item's properties */
static unsigned msg_flags(const struct pst_props *pr)
{
	uint32_t mf = 0, status = 0, verb = 0, icon = 0, flag = 0;
	unsigned flags = 0;
	if (pst_prop_u32(pr, PR_MESSAGE_FLAGS, &mf)) {
		flags |= mf & MSGFLAG_READ ? MSG_SEEN : 0;
		flags |= mf & MSGFLAG_UNSENT ? MSG_DRAFT : 0;
	}
	if (pst_prop_u32(pr, PR_MSG_STATUS, &status)) {
		flags |= status & MSGSTATUS_DELMARKED ? MSG_DELETED : 0;
		flags |= status & MSGSTATUS_DRAFT ? MSG_DRAFT : 0;
		flags |= status & MSGSTATUS_ANSWERED ? MSG_ANSWERED : 0;
	}
	if (pst_prop_u32(pr, PR_LAST_VERB_EXECUTED, &verb) &&
	    (verb == VERB_REPLY_SENDER || verb == VERB_REPLY_ALL))
		flags |= MSG_ANSWERED;
	if (pst_prop_u32(pr, PR_ICON_INDEX, &icon) && icon == ICON_REPLIED)
		flags |= MSG_ANSWERED;
	if (pst_prop_u32(pr, PR_FLAG_STATUS, &flag) && flag == FLAG_STATUS_FLAGGED)
		flags |= MSG_FLAGGED;
	return flags;
}

/* msg_date: the internal date: delivery, else submit, else creation time */
static void msg_date(struct mail_msg *m, const struct pst_props *pr)
{
	static const struct { uint32_t id; const char *name; } src[] = {
		{ PR_DELIVERY_TIME, "delivery-time" }, { PR_CLIENT_SUBMIT_TIME, "submit-time" },
		{ PR_CREATION_TIME, "creation-time" },
	};
	for (size_t i = 0; i < 3; i++)
		if (pst_prop_time(pr, src[i].id, &m->received)) {
			m->date_source = src[i].name;
			return;
		}
	m->received = 0;
	m->date_source = NULL;
}

static int open_msg(struct pst_reader *r, uint32_t nid, struct sbuf *err)
{
	const char *fpath = r->folders[r->next_folder - 1].path;
	free(r->msg_origin);
	r->msg_origin = xasprintf("%s/%u", fpath, (unsigned)nid);
	snprintf(r->msg_name, sizeof(r->msg_name), "%u", (unsigned)nid);
	struct mail_msg *m = &r->msg;
	memset(m, 0, sizeof(*m));
	m->origin = r->msg_origin;
	m->name = r->msg_name;
	m->seq = (unsigned)r->next_nid;
	libpff_item_t *item = NULL;
	libpff_error_t *e = NULL;
	struct sbuf why = SBUF_INIT, warn = SBUF_INIT;
	int ret = CONV_MSG_BAD;
	if (libpff_file_get_item_by_identifier(r->pff, nid, &item, &e) != 1) {
		pst_error(&e, "libpff", &why);
		goto out;
	}
	struct pst_props pr;
	if (pst_props_open(&pr, item) == 0) {
		m->flags = msg_flags(&pr);
		msg_date(m, &pr);
	}
	pst_props_close(&pr);
	int64_t size = pst_build_message(item, r->out_fd, r->scratch_fd, &warn, &why);
	if (size < 0)
		goto out;
	if (warn.len)	/* partial: handed out with what could be read */
		diag_warn(r->ob.m.diag, "'%s': item %u in folder '%s' is incomplete: %s",
			  r->path, (unsigned)nid, fpath, warn.buf);
	m->size = (uint64_t)size;
	m->size_known = true;
	file_body_init(&r->body, r->out_fd, 0, m->size);	/* not watched: our own file */
	m->body = &r->body.body;
	ret = msg_read_head(m, &r->ob.m, &r->prefix, err);
out:
	if (why.len)
		sbuf_addf(err, "'%s': item %u in folder '%s' cannot be read: %s", r->path,
			  (unsigned)nid, fpath, why.buf);
	if (ret != CONV_OK)
		m->body = NULL;
	if (item)
		libpff_item_free(&item, NULL);
	sbuf_release(&why);
	sbuf_release(&warn);
	return ret;
}

/* ---- the ops ---------------------------------------------------------------------- */

static void pr_close(struct mail_reader *rd);

static struct mail_reader *pr_open(const char *source, const struct reader_settings *set,
				   struct diag *d, struct sbuf *err)
{
	(void)set;	/* --map names MDaemon folders: nothing here */
	int fd = pst_open_noatime(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sbuf_addf(err, "cannot open the PST '%s': %s", source,
			  errno == ELOOP ? "it is a symbolic link (not followed)" :
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		sbuf_addf(err, "'%s' is not a regular file (a PST or OST file)", source);
		close(fd);
		return NULL;
	}
	struct pst_reader *r = xcalloc(1, sizeof(*r));
	onebox_init(&r->ob, &pst_reader_ops, d);
	r->fd = fd;
	r->st = st;
	r->out_fd = r->scratch_fd = -1;
	sbuf_init(&r->prefix);
	char *real = realpath(source, NULL);
	r->path = xstrdup(real ? real : source);
	free(real);
	char *b = xstrdup(r->path);
	r->file = xstrdup(basename(b));
	free(b);
	onebox_dir(&r->ob, r->path, &st);
	if (!open_pff(r, source, err)) {
		pr_close(&r->ob.r);
		return NULL;
	}
	if ((r->out_fd = pst_tmp_file()) < 0 || (r->scratch_fd = pst_tmp_file()) < 0) {
		sbuf_addf(err, "cannot make a temporary file in %s: %s",
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
		pr_close(&r->ob.r);
		return NULL;
	}
	box_name(r);
	onebox_box(&r->ob, r->domain, r->mailbox, r->path);
	return &r->ob.r;
}

#define PR_OF(mm) ((struct pst_reader *)onebox_of(mm))

static void pr_close_mailbox(struct mail_mailbox *mm)
{
	if (!mm)
		return;
	struct pst_reader *r = PR_OF(mm);
	r->msg.body = NULL;
	onebox_close_mailbox(mm);
}

static int pr_next_folder(struct mail_mailbox *mm, const struct mail_folder **folder_r,
			  struct sbuf *err)
{
	struct pst_reader *r = PR_OF(mm);
	r->msg.body = NULL;
	r->nnids = r->next_nid = 0;
	if (!r->ob.given)
		return CONV_DONE;
	if (!r->listed) {
		load_folders(r);
		r->listed = true;
	}
	if (r->next_folder >= r->nfolders)
		return CONV_DONE;
	const struct pr_folder *f = &r->folders[r->next_folder++];
	memset(&r->folder, 0, sizeof(r->folder));
	r->folder.path = f->path;
	r->folder.origin = f->path;
	r->folder.folder_class = f->folder_class;
	r->folder.is_mail = f->is_mail;
	*folder_r = &r->folder;
	return f->is_mail ? load_messages(r, f, err) : CONV_OK;
}

static int pr_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct pst_reader *r = PR_OF(mm);
	r->msg.body = NULL;
	if (r->next_nid >= r->nnids)
		return CONV_DONE;
	uint32_t nid = r->nids[r->next_nid++];
	int ret = open_msg(r, nid, err);
	*msg_r = &r->msg;
	return ret;
}

static int pr_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct pst_reader *r = PR_OF(mm);
	if (r->next_nid == 0)
		return CONV_DONE;
	int ret = open_msg(r, r->nids[r->next_nid - 1], err);
	*msg_r = &r->msg;
	return ret;
}

/*
 * pr_mail_dirs: the PST itself: the converter then refuses an --output DIR
 * that is the file (or inside it, which cannot be) or that holds it,
 * comparing device and inode as for a directory SOURCE
 */

/* changed: the file differs from what it was at open (size or mtime) */
static void check_unchanged(struct pst_reader *r)
{
	struct stat st;
	if (fstat(r->fd, &st) < 0)
		return;
	if (st.st_size != r->st.st_size || st.st_mtim.tv_sec != r->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != r->st.st_mtim.tv_nsec)
		diag_warn(r->ob.m.diag, "'%s' changed while it was read (%lld bytes when opened, "
			  "%lld now; or its modification time moved): what was read may mix "
			  "its old and new contents", r->path, (long long)r->st.st_size,
			  (long long)st.st_size);
}

static void pr_close(struct mail_reader *rd)
{
	struct pst_reader *r = (struct pst_reader *)rd;
	if (!r)
		return;
	if (r->pff) {
		check_unchanged(r);
		libpff_file_close(r->pff, NULL);
		libpff_file_free(&r->pff, NULL);
	}
	if (r->bfio)
		libbfio_handle_free(&r->bfio, NULL);
	for (int *fd = (int[]){ r->fd, r->out_fd, r->scratch_fd }, i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	for (size_t i = 0; i < r->nfolders; i++) {
		free(r->folders[i].path);
		free(r->folders[i].folder_class);
	}
	free(r->folders);
	free(r->nids);
	sbuf_release(&r->prefix);
	free(r->msg_origin);
	free(r->mailbox);
	free(r->domain);
	free(r->path);
	free(r->file);
	free(r);
}

/* pr_probe: a regular file (not a link) starting with the PST magic "!BDN" */
static int pr_probe(const char *path)
{
	int fd = pst_open_noatime(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	char magic[4];
	int yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "!BDN", 4);
	close(fd);
	return yes;
}

const struct mail_reader_ops pst_reader_ops = {
	.name = "pst",
	.probe = pr_probe,
	.open = pr_open,
	.next_mailbox = onebox_next_mailbox,
	.open_mailbox = onebox_open_mailbox,
	.next_folder = pr_next_folder,
	.next_msg = pr_next_msg,
	.reopen_msg = pr_reopen_msg,
	.close_mailbox = pr_close_mailbox,
	.close = pr_close,
	.mail_dirs = onebox_mail_dirs,
};
