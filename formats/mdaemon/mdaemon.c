/*
 * The MDaemon store reader.
 *
 * A mailbox's INBOX is its MailDir; every "<name>.IMAP" directory below it
 * is a folder, nested ones are subfolders, and "Inbox.IMAP" holds INBOX's
 * subfolders (any messages directly in it are merged into INBOX).  Names
 * are matched case-insensitively because the store was written on Windows.
 * Each folder's IMAP.MRK gives UIDs, flags and arrival dates; records are
 * joined to .msg files by name.  Damage in an index is a warning: a message
 * on disk is always exported, with or without its record.
 *
 * Nothing here writes: files are opened O_RDONLY|O_NOFOLLOW (and O_NOATIME
 * where permitted), symbolic links are never followed.
 */
#include "mdaemon/mdaemon.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/filemsg.h"
#include "core/gwitem.h"
#include "core/mutf7.h"
#include "core/recsort.h"
#include "core/sysio.h"
#include "core/hdrtext.h"
#include "core/wintext.h"
#include "core/xalloc.h"
#include "mdaemon/gw_read.h"	/* issue 14: groupware folders */
#include "mdaemon/mdaemon_fs.h"
#include "mdaemon/mrk.h"
#include "mdaemon/settle.h"

#define HIWATER_MAX (1024u * 1024)
#define DEPTH_MAX 200
#define UNNAMED_FOLDER "(no name)"
/*
 * IMAP.MRK is read up to MRK_SLACK_RECORDS plus MRK_PER_MSG records per
 * .msg file of its folder, never more: memory follows what the folder
 * holds, not what the file claims (a sparse 1 GiB IMAP.MRK claims 30
 * million records).  MDaemon writes one record per message, and stale
 * records (files removed behind its back) are the exception, so a file
 * longer than that is damage; reading stops there, with an error when some
 * .msg file found no record among those read.
 */
#define MRK_SLACK_RECORDS 100000u
#define MRK_PER_MSG 4u
/* warnings of one kind about one directory: this many lines, then a count */
#define WARN_EACH MRK_WARN_EACH

/*
 * Directories are opened by name relative to their parent's descriptor
 * (openat, O_NOFOLLOW), never by a path string, so no PATH_MAX limit
 * applies to how deep or how long a folder tree is.  A folder's directory
 * is a node: its name and its parent's node, the MailDir being node 0.
 * Descriptors: the mailbox's stays open while it is read; listing the
 * folders keeps one per level of the walk (at most DEPTH_MAX + 1, and only
 * during the walk); reading a folder re-opens its directories by walking
 * down from the mailbox's descriptor (one openat per level), so a deep
 * tree costs depth openat calls per folder, not depth descriptors for the
 * whole run.
 */
struct md_node {
	size_t parent;
	char *name;		/* NULL: the MailDir itself */
};

struct md_folder {
	char *path;		/* logical name */
	char *folder_class;	/* NULL: mail */
	size_t *dirs;		/* nodes (INBOX may have two) */
	size_t ndirs;
};

struct md_entry {
	const char *name;	/* file name on disk */
	size_t dir;		/* index into the folder's dirs */
	bool has_record;
	struct mrk_record rec;
	uint64_t size;
};

/* the store: SOURCE's accounts; constant once open() returns, but for the cursor */
struct md_reader {
	struct mail_reader r;
	char *root;		/* realpath of SOURCE, for relative names */
	size_t index_mem;	/* reader_settings.index_mem */
	const struct tzone *zone;	/* reader_settings.zone (issue 14) */
	const char *const *fallback;	/* reader_settings.fallback (issue 15) */
	struct md_accounts accounts;
	size_t next_account;
	struct mail_box box;
	struct mail_dir *mdirs;	/* mail_dirs() */
	size_t nmdirs;
};

/* one mailbox, opened on its own (open_mailbox): all its iteration state */
struct md_mailbox {
	struct mail_mailbox m;
	const char *root;	/* the store's, for relative names */
	size_t index_mem;	/* a folder's index in memory (core/recsort.h) */
	const char *const *fallback;	/* reader_settings.fallback (issue 15) */
	int box_fd;		/* the mailbox's MailDir, while it is read */
	char *box_rel;		/* its path relative to SOURCE, for messages */
	struct md_node *nodes;
	size_t nnodes, nodes_alloc;
	struct md_folder *folders;
	size_t nfolders, next_folder;
	/*
	 * The mailbox's folders are listed at its first next_folder, not at
	 * open_mailbox: what goes wrong while listing then counts in that
	 * mailbox's summary.
	 */
	bool folders_listed;
	bool no_inbox;		/* issue 14: public folders: the root is no folder */
	struct mail_folder folder;
	char *folder_origin;
	struct recsort *index;	/* the folder's messages, in output order (see below) */
	uint64_t next_entry;	/* messages handed out */
	struct md_entry cur;	/* the last one (its name in cur_name) */
	struct sbuf cur_name;
	int *dirfds;		/* one per dir of the current folder */
	char **dirnames;	/* and its path relative to SOURCE */
	size_t ndirfds;
	/* live stores (settle.h): each dir as listed, checked again at the folder's end */
	struct md_dirstate *dirstates;
	bool folder_checked;
	unsigned unsettled;		/* folders found changed (md_unsettled) */
	struct sbuf unsettled_what;
	struct mail_msg msg;
	struct file_msg file;	/* the open message file */
	struct sbuf prefix;
	char *msg_origin;
	/* issue 14: the groupware folder's items, handed out before its mail */
	struct gwr_env gw_env;
	struct gwr_zones gw_zones;
	struct gwr_folder *gw;
	bool gw_pending;	/* a groupware folder whose file is not open yet */
	bool gw_last;		/* the last message handed out was an item */
	char *domain, *mailbox;
};

/* rel: abs relative to SOURCE, for messages (abs itself when outside) */
static const char *rel(const char *root, const char *abs)
{
	size_t n = strlen(root);
	if (!strncmp(abs, root, n) && abs[n] == '/')
		return abs + n + 1;
	if (!strcmp(abs, root))
		return ".";
	return abs;
}

/* ---- directories -------------------------------------------------------- */

static size_t add_node(struct md_mailbox *r, size_t parent, const char *name)
{
	if (r->nnodes == r->nodes_alloc) {
		r->nodes_alloc = r->nodes_alloc ? r->nodes_alloc * 2 : 16;
		r->nodes = xreallocarray(r->nodes, r->nodes_alloc, sizeof(*r->nodes));
	}
	r->nodes[r->nnodes].parent = parent;
	r->nodes[r->nnodes].name = name ? xstrdup(name) : NULL;
	return r->nnodes++;
}

static void nodes_release(struct md_mailbox *r)
{
	for (size_t i = 0; i < r->nnodes; i++)
		free(r->nodes[i].name);
	free(r->nodes);
	r->nodes = NULL;
	r->nnodes = r->nodes_alloc = 0;
}

/* node_chain: the nodes from the MailDir down to idx (root excluded) */
static size_t node_chain(const struct md_mailbox *r, size_t idx, size_t **chain_r)
{
	size_t n = 0;
	for (size_t i = idx; r->nodes[i].name; i = r->nodes[i].parent)
		n++;
	size_t *chain = xreallocarray(NULL, n ? n : 1, sizeof(*chain));
	size_t k = n;
	for (size_t i = idx; r->nodes[i].name; i = r->nodes[i].parent)
		chain[--k] = i;
	*chain_r = chain;
	return n;
}

/* node_path: the directory's path relative to SOURCE, for messages */
static void node_path(const struct md_mailbox *r, size_t idx, struct sbuf *out)
{
	size_t *chain;
	size_t n = node_chain(r, idx, &chain);
	sbuf_reset(out);
	if (!n || strcmp(r->box_rel, "."))
		sbuf_adds(out, r->box_rel);
	for (size_t i = 0; i < n; i++) {
		if (out->len)
			sbuf_addch(out, '/');
		sbuf_adds(out, r->nodes[chain[i]].name);
	}
	free(chain);
}

/* node_display: node_path as a new string */
static char *node_display(const struct md_mailbox *r, size_t idx)
{
	struct sbuf p = SBUF_INIT;
	node_path(r, idx, &p);
	return sbuf_detach(&p);
}

/* open_node: the directory, walked down from the mailbox's descriptor; -1 (errno) */
static int open_node(const struct md_mailbox *r, size_t idx)
{
	size_t *chain;
	size_t n = node_chain(r, idx, &chain);
	int fd = n ? r->box_fd : open_dir_at(r->box_fd, ".");
	for (size_t i = 0; i < n && fd >= 0; i++) {
		int next = open_dir_at(fd, r->nodes[chain[i]].name);
		int e = errno;
		if (fd != r->box_fd)
			close(fd);
		errno = e;
		fd = next;
	}
	free(chain);
	return fd;
}

/* ---- folders ---------------------------------------------------------- */

static void folders_release(struct md_mailbox *r)
{
	for (size_t i = 0; i < r->nfolders; i++) {
		free(r->folders[i].path);
		free(r->folders[i].folder_class);
		free(r->folders[i].dirs);
	}
	free(r->folders);
	r->folders = NULL;
	r->nfolders = r->next_folder = 0;
	nodes_release(r);
}

/* add_folder: a directory for logical path; same path twice merges */
static void add_folder(struct md_mailbox *r, const char *path, size_t node,
		       const char *folder_class)
{
	for (size_t i = 0; i < r->nfolders; i++) {
		struct md_folder *f = &r->folders[i];
		if (strcmp(f->path, path))
			continue;
		if (strcmp(path, "INBOX")) {
			char *d = node_display(r, node);
			diag_warn(r->m.diag, "'%s' is also folder '%s'; its messages "
				  "are merged into that folder", d, path);
			free(d);
		}
		f->dirs = xreallocarray(f->dirs, f->ndirs + 1, sizeof(*f->dirs));
		f->dirs[f->ndirs++] = node;
		if (!f->folder_class && folder_class)
			f->folder_class = xstrdup(folder_class);
		return;
	}
	r->folders = xreallocarray(r->folders, r->nfolders + 1, sizeof(*r->folders));
	struct md_folder *f = &r->folders[r->nfolders++];
	f->path = xstrdup(path);
	f->folder_class = folder_class ? xstrdup(folder_class) : NULL;
	f->dirs = xmalloc(sizeof(*f->dirs));
	f->dirs[0] = node;
	f->ndirs = 1;
}

/* hiwater_class: FolderClass= from the [Groupware] section, or NULL */
static char *hiwater_class(struct md_mailbox *r, size_t node, int dirfd,
			   const struct dirlist *dl)
{
	const struct dent *e = dirlist_find_ci(dl, "HIWATER.MRK");
	struct sbuf data = SBUF_INIT;
	char *cls = NULL;
	if (e && e->type == DENT_LINK) {
		char *d = node_display(r, node);
		diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed; the "
			  "folder is taken as a mail folder", d, e->name);
		free(d);
	}
	if (!e || read_small_file_at(dirfd, e->name, HIWATER_MAX, &data) < 0)
		goto out;
	bool in_groupware = false;
	for (char *line = data.buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '[') {
			in_groupware = !strcasecmp(line, "[Groupware]");
		} else if (in_groupware && !strncasecmp(line, "FolderClass", 11)) {
			char *v = line + 11;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v++ != '=')
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			free(cls);
			struct sbuf val = SBUF_INIT;
			wintext_to_utf8(&val, v, strlen(v));
			cls = sbuf_detach(&val);
		}
	}
out:
	sbuf_release(&data);
	if (cls && (!*cls || !strcasecmp(cls, "IPF.Note"))) {
		free(cls);
		cls = NULL;
	}
	return cls;
}

bool md_folder_name(struct sbuf *out, const char *stem, size_t len, const char *const *fallback)
{
	if (!len) {
		/* ".IMAP": IMAP has no empty folder names; give it a visible one */
		sbuf_adds(out, UNNAMED_FOLDER);
		return false;
	}
	if (mutf7_decode(out, stem, len))
		return true;
	if (fallback && fallback[0])	/* issue 15: the user's charsets, in order */
		hdrtext_folder_name(stem, len, fallback, out);
	else		/* the default, Windows-1252, as every name of the store is read */
		wintext_to_utf8(out, stem, len);
	return true;
}

static void walk_folders(struct md_mailbox *r, int fd, const struct dirlist *dl,
			 size_t node, const char *parent, const char *parent_class,
			 int depth);

/*
 * walk_wants: what the folder walk looks at in a directory (subfolders,
 * HIWATER.MRK), so that a folder of a million .msg files is not listed
 * into memory to find them
 */
static bool walk_wants(const char *name)
{
	return has_suffix_ci(name, ".IMAP") || !strcasecmp(name, "HIWATER.MRK") ||
		gwr_wants(name);
}

/*
 * visit_subfolder: one "<name>.IMAP" directory of the directory dirfd
 * (node), which is depth levels below the MailDir.  Its descriptor stays
 * open while its subfolders are walked: the walk holds one per level.
 */
static void visit_subfolder(struct md_mailbox *r, int dirfd, size_t node, const char *name,
			    const char *parent, const char *parent_class, int depth)
{
	struct sbuf decoded = SBUF_INIT, logical = SBUF_INIT;
	if (!md_folder_name(&decoded, name, strlen(name) - 5, r->fallback)) {
		char *d = node_display(r, node);
		diag_warn(r->m.diag, "'%s/%s' has an empty folder name; exported as '%s'",
			  d, name, UNNAMED_FOLDER);
		free(d);
	}
	bool inbox_children = !parent && !strcasecmp(decoded.buf, "Inbox");
	if (inbox_children)
		sbuf_adds(&logical, "INBOX");
	else if (parent)
		sbuf_addf(&logical, "%s/%s", parent, decoded.buf);
	else
		sbuf_adds(&logical, decoded.buf);

	size_t sub = add_node(r, node, name);
	int fd = open_dir_at(dirfd, name);
	struct dirlist dl;
	bool listed = fd >= 0 && dirlist_read_if(fd, walk_wants, &dl) == 0;
	char *cls = listed ? hiwater_class(r, sub, fd, &dl) : NULL;
	if (!cls && listed && !parent_class) {	/* issue 14: no FolderClass */
		const char *guess = gwr_class_guess(&dl, decoded.buf, !parent);
		cls = guess ? xstrdup(guess) : NULL;
	}
	const char *eff = cls ? cls : parent_class;	/* a calendar's child is a calendar */
	add_folder(r, logical.buf, sub, eff);
	if (depth + 1 > DEPTH_MAX) {
		/* an error, not a warning: messages in those folders are not exported */
		char *d = node_display(r, sub);
		diag_error(r->m.diag, "'%s' is nested more than %d folders deep; "
			   "its subfolders are not read", d, DEPTH_MAX);
		free(d);
	} else if (listed) {	/* else reported when the folder itself is read */
		walk_folders(r, fd, &dl, sub, logical.buf, eff, depth + 1);
	}
	if (listed)
		dirlist_release(&dl);
	if (fd >= 0)
		close(fd);
	free(cls);
	sbuf_release(&decoded);
	sbuf_release(&logical);
}

static void walk_folders(struct md_mailbox *r, int fd, const struct dirlist *dl,
			 size_t node, const char *parent, const char *parent_class,
			 int depth)
{
	for (size_t i = 0; i < dl->count; i++) {
		const struct dent *e = &dl->ents[i];
		if (!has_suffix_ci(e->name, ".IMAP"))
			continue;
		if (e->type == DENT_LINK) {
			char *d = node_display(r, node);
			diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed",
				  d, e->name);
			free(d);
			continue;
		}
		if (e->type == DENT_DIR)
			visit_subfolder(r, fd, node, e->name, parent, parent_class, depth);
	}
}

static int cmp_folder(const void *a, const void *b)
{
	const struct md_folder *x = a, *y = b;
	bool xi = !strcmp(x->path, "INBOX"), yi = !strcmp(y->path, "INBOX");
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->path, y->path);
}

static bool is_msg_name(const char *name)
{
	return has_suffix_ci(name, ".msg");
}

/*
 * warn_root_msgs: public folders (issue 14): .msg files directly in
 * "Public Folders" are in no folder any client sees; they are named, not
 * exported
 */
static void warn_root_msgs(struct md_mailbox *r)
{
	struct dirlist dl;
	if (dirlist_read_if(r->box_fd, is_msg_name, &dl) < 0)
		return;		/* the walk below says what is wrong with the folder */
	if (dl.count)
		diag_warn(r->m.diag, "'%s' holds %zu message file%s outside any folder "
			  "(first: '%s'); not exported", r->box_rel, dl.count,
			  dl.count == 1 ? "" : "s", dl.ents[0].name);
	dirlist_release(&dl);
}

static void load_folders(struct md_mailbox *r)
{
	folders_release(r);
	size_t root = add_node(r, 0, NULL);
	if (r->no_inbox)
		warn_root_msgs(r);
	else
		add_folder(r, "INBOX", root, NULL);
	struct dirlist dl;
	if (dirlist_read_if(r->box_fd, walk_wants, &dl) == 0) {
		walk_folders(r, r->box_fd, &dl, root, NULL, NULL, 0);
		dirlist_release(&dl);
	}	/* else reported when INBOX is read */
	if (r->nfolders > 1)	/* public folders may have none (no INBOX) */
		qsort(r->folders, r->nfolders, sizeof(*r->folders), cmp_folder);
}

/* ---- messages of one folder ------------------------------------------- */

/*
 * A folder's index is kept in core/recsort lists, flat in memory however
 * many messages it holds (issue 12).  For each directory of the folder:
 *
 *   the listing     "<lower name>\0<name>\0" <size, 8 bytes>: the .msg files
 *                   by name ignoring case, then by name;
 *   the records     "<lower name>\0<name>\0" <position, big-endian 8 bytes>
 *                   <flags 1, UID 4, size 4, date 4>: IMAP.MRK's usable
 *                   records in the same order, then file order;
 *   the odd ones    "<name>\0" <'l' link | 'o' other>: .msg names that are
 *                   not regular files, by name, for the warnings;
 *
 * and one merge of the first two gives each file its record, into the
 * folder's index (all its directories):
 *
 *   "<dir, big-endian 4>" <0: a record, 1: none> "<UID, big-endian 4>"
 *   "<name>\0" <flags 1, record size 4, date 4, file size 8>
 *
 * which sorts in the output order: by directory, records by UID, then the
 * files without one by name.  "Lower" is tolower() byte by byte, the order
 * and the equality strcasecmp gives.
 */
#define OUT_NAME 9		/* where the name starts in an index record */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* add_lower_key: "<lower name>\0<name>\0" */
static void add_lower_key(struct sbuf *out, const char *name)
{
	size_t n = strlen(name);
	sbuf_grow(out, 2 * n + 2);
	for (size_t i = 0; i < n; i++)
		sbuf_addch(out, (char)tolower((unsigned char)name[i]));
	sbuf_add(out, "", 1);
	sbuf_add(out, name, n + 1);
}

static void entries_release(struct md_mailbox *r)
{
	recsort_free(r->index);
	r->index = NULL;
	r->next_entry = 0;
	for (size_t i = 0; i < r->ndirfds; i++) {
		if (r->dirfds[i] >= 0)
			close(r->dirfds[i]);
		free(r->dirnames[i]);
	}
	free(r->dirfds);
	free(r->dirnames);
	free(r->dirstates);
	r->dirfds = NULL;
	r->dirnames = NULL;
	r->dirstates = NULL;
	r->ndirfds = 0;
}

/* index_add: one file of directory dir into the folder's index */
static void index_add(struct md_mailbox *r, const struct md_entry *e, struct sbuf *rec)
{
	uint8_t head[OUT_NAME], tail[17];
	put_be32(head, (uint32_t)e->dir);
	head[4] = !e->has_record;
	put_be32(head + 5, e->has_record ? e->rec.uid : 0);
	tail[0] = e->rec.flags;
	memcpy(tail + 1, &e->rec.size, 4);
	memcpy(tail + 5, &e->rec.date, 4);
	memcpy(tail + 9, &e->size, 8);
	sbuf_reset(rec);
	sbuf_add(rec, head, sizeof(head));
	sbuf_add(rec, e->name, strlen(e->name) + 1);
	sbuf_add(rec, tail, sizeof(tail));
	recsort_add(r->index, rec->buf, rec->len);
	r->folder.messages++;
	r->folder.bytes += e->size;
}

/* index_decode: an index record into e (e->name points into it) */
static void index_decode(const uint8_t *p, struct md_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = get_be32(p);
	e->has_record = !p[4];
	e->rec.uid = get_be32(p + 5);
	e->name = (const char *)p + OUT_NAME;
	const uint8_t *t = p + OUT_NAME + strlen(e->name) + 1;
	e->rec.flags = t[0];
	memcpy(&e->rec.size, t + 1, 4);
	memcpy(&e->rec.date, t + 5, 4);
	memcpy(&e->size, t + 9, 8);
}

/* what listing one directory finds (dirlist_each) */
struct listing {
	int fd;
	struct recsort *files, *odd;
	size_t nmsgs;
	struct sbuf rec;
	/* IMAP.MRK: an exact match, else the first by name of those equal ignoring case */
	struct mrk_pick mrk;
	struct md_dirstate state;	/* the .msg names, for the check at the folder's end */
};

static void list_one(void *ctx, const char *name, enum dent_type type)
{
	struct listing *l = ctx;
	if (!strcasecmp(name, "IMAP.MRK")) {
		mrk_consider(&l->mrk, name, type);
		return;
	}
	if (!has_suffix_ci(name, ".msg"))
		return;
	name_digest_add(&l->state.msgs, name);
	sbuf_reset(&l->rec);
	if (type != DENT_FILE) {
		sbuf_add(&l->rec, name, strlen(name) + 1);
		sbuf_addch(&l->rec, type == DENT_LINK ? 'l' : 'o');
		recsort_add(l->odd, l->rec.buf, l->rec.len);
		return;
	}
	struct stat st;
	uint64_t size = fstatat(l->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
			(uint64_t)st.st_size : 0;
	add_lower_key(&l->rec, name);
	sbuf_add(&l->rec, &size, sizeof(size));
	recsort_add(l->files, l->rec.buf, l->rec.len);
	l->nmsgs++;
}

/* warn_odd: the .msg names that are not regular files, by name */
static void warn_odd(struct md_mailbox *r, struct recsort *odd, const char *dir)
{
	const void *p;
	size_t len;
	while (recsort_next(odd, &p, &len) == 1) {
		const char *name = p;
		if (name[len - 1] == 'l')
			diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed",
				  dir, name);
		else
			diag_error(r->m.diag, "'%s/%s' is not a regular file; skipped",
				   dir, name);
	}
}

/* ---- IMAP.MRK ---------------------------------------------------------- */

/* the IMAP.MRK being read (mrk_scan's source and callback) */
struct mrk_reading {
	int fd;
	int err;		/* the errno of a failed read */
	uint64_t end;		/* where the file was found to end */
	struct recsort *recs;
	struct sbuf rec;
};

static ssize_t mrk_pread(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	struct mrk_reading *m = ctx;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(m->fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			m->err = errno;
			return -1;
		}
		if (n == 0) {
			m->end = off + got;
			break;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void mrk_add(void *ctx, const struct mrk_record *rec)
{
	struct mrk_reading *m = ctx;
	uint8_t pos[8], tail[13];
	for (int i = 0; i < 8; i++)
		pos[i] = (uint8_t)((uint64_t)rec->pos >> (56 - 8 * i));
	tail[0] = rec->flags;
	memcpy(tail + 1, &rec->uid, 4);
	memcpy(tail + 5, &rec->size, 4);
	memcpy(tail + 9, &rec->date, 4);
	sbuf_reset(&m->rec);
	add_lower_key(&m->rec, rec->name);
	sbuf_add(&m->rec, pos, sizeof(pos));
	sbuf_add(&m->rec, tail, sizeof(tail));
	recsort_add(m->recs, m->rec.buf, m->rec.len);
}

/* mrk_decode: a record of the records list (its lower key skipped) */
static void mrk_decode(const uint8_t *p, struct mrk_record *rec)
{
	const char *lower = (const char *)p;
	const char *name = lower + strlen(lower) + 1;
	size_t n = strlen(name);
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->name, name, n < MRK_NAME_SIZE ? n : MRK_NAME_SIZE);
	const uint8_t *t = (const uint8_t *)name + n + 1 + 8;
	rec->flags = t[0];
	memcpy(&rec->uid, t + 1, 4);
	memcpy(&rec->size, t + 5, 4);
	memcpy(&rec->date, t + 9, 4);
}

/*
 * scan_mrk: the records of an IMAP.MRK into a new list in *recs_r, as
 * mrk_scan returns.  What it reads: at most max_records records (as far
 * as the file's size said when it was opened); a file that turns out
 * shorter is read again as long as it is found to be (as when it was read
 * into memory, where the bytes there were what was parsed).
 */
static int scan_mrk(struct md_mailbox *r, int dirfd, const char *name, size_t max_records,
		    struct mrk *m, struct recsort **recs_r, struct sbuf *warn)
{
	struct stat st;
	struct mrk_reading rd = { .fd = open_regular_at(dirfd, name, &st), .rec = SBUF_INIT };
	if (rd.fd < 0)
		return MRK_READ_FAILED;
	uint64_t size = (uint64_t)st.st_size;
	uint64_t want = MRK_HEADER_SIZE + (uint64_t)max_records * MRK_WIDE_RECORD_SIZE;
	struct mrk_source src = { .read = mrk_pread, .ctx = &rd, .len = want < size ? want : size,
				  .file_size = size };
	int ret = MRK_SHORT;
	for (int tries = 0; ret == MRK_SHORT && tries < 8; tries++) {
		recsort_free(rd.recs);
		rd.recs = recsort_new(r->index_mem, recsort_memcmp, NULL);
		sbuf_reset(warn);
		ret = mrk_scan(&src, max_records, mrk_add, &rd, m, warn);
		src.len = src.file_size = rd.end;	/* if it was short */
	}
	close(rd.fd);
	sbuf_release(&rd.rec);
	if (ret < 0) {
		recsort_free(rd.recs);
		rd.recs = NULL;
		errno = ret == MRK_SHORT ? EAGAIN : rd.err;	/* short each time: it keeps changing */
	}
	*recs_r = rd.recs;
	return ret;
}

/*
 * read_index: the directory's IMAP.MRK (mrk: the listing's) into m and a
 * new records list in *recs_r; 1 if there was a usable one
 */
static int read_index(struct md_mailbox *r, int dirfd, const struct listing *l,
		      const char *rdir, struct mrk *m, struct recsort **recs_r)
{
	memset(m, 0, sizeof(*m));
	*recs_r = NULL;
	int ret = 0;
	struct sbuf warn = SBUF_INIT;
	size_t max_records = MRK_SLACK_RECORDS + MRK_PER_MSG * l->nmsgs;
	if (l->mrk.found && l->mrk.type == DENT_LINK) {
		diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed; its "
			  "messages are exported without flags", rdir, l->mrk.name);
	} else if (!mrk_file(&l->mrk)) {
		if (l->nmsgs && r->folder.is_mail)
			diag_warn(r->m.diag, "'%s' has no IMAP.MRK; its messages are exported "
				  "without flags, dated by X-MDArrival-Date or file time", rdir);
	} else if ((ret = scan_mrk(r, dirfd, l->mrk.name, max_records, m, recs_r, &warn)) < 0) {
		diag_warn(r->m.diag, "cannot read '%s/%s': %s; its messages are exported "
			  "without flags", rdir, l->mrk.name, strerror(errno));
		ret = 0;
	} else {
		for (char *line = warn.len ? warn.buf : NULL, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			diag_warn(r->m.diag, "'%s/%s': %s", rdir, l->mrk.name, line);
		}
	}
	sbuf_release(&warn);
	return ret;
}

/*
 * index_cut_short: an IMAP.MRK longer than read_index reads.  An error when
 * some .msg file of the directory found no record among those read (its
 * flags may be in the part not read), else a warning.
 */
static void index_cut_short(struct md_mailbox *r, const struct mrk *m, size_t nmsgs,
			    size_t without, const char *rdir)
{
	if (without)
		diag_error(r->m.diag, "'%s/IMAP.MRK' holds %zu records for %zu .msg files; "
			   "only the first %zu are read (at most %u plus %u per .msg file); "
			   "%zu messages without a record among them are exported without "
			   "flags", rdir, m->file_records, nmsgs, m->read_records,
			   MRK_SLACK_RECORDS, MRK_PER_MSG, without);
	else
		diag_warn(r->m.diag, "'%s/IMAP.MRK' holds %zu records for %zu .msg files; "
			  "only the first %zu are read (at most %u plus %u per .msg file); "
			  "every .msg file has its record among them", rdir,
			  m->file_records, nmsgs, m->read_records, MRK_SLACK_RECORDS,
			  MRK_PER_MSG);
}

/* ---- the join ----------------------------------------------------------- */

enum rec_warn { RW_SIZE, RW_TWICE, RW_NOT_MSG, RW_STALE, RW_KINDS };

static const char *const rec_warn_kind[RW_KINDS] = {
	"the size differs from the file's",
	"a file named again; ignored",
	"not a .msg file; ignored",
	"the file is missing; skipped",
};

/*
 * The files of one name ignoring case (a store copied from Windows has one;
 * a Linux directory may hold "A.msg" and "a.msg"), as the join holds them:
 * the only part of a directory in memory at once.
 */
struct group {
	struct recsort *files;
	bool more;		/* files has a record at head */
	const uint8_t *head;
	struct sbuf lower;	/* the group's key */
	struct md_entry *v;
	size_t n, alloc;
	size_t dir;
};

static void group_advance(struct group *g)
{
	const void *p;
	size_t len;
	g->more = recsort_next(g->files, &p, &len) == 1;
	g->head = g->more ? p : NULL;
}

static void group_clear(struct group *g)
{
	for (size_t i = 0; i < g->n; i++)
		free((char *)g->v[i].name);
	g->n = 0;
}

/* group_load: the next files of one name ignoring case (none: g->n is 0) */
static void group_load(struct group *g)
{
	group_clear(g);
	if (!g->more)
		return;
	sbuf_reset(&g->lower);
	sbuf_adds(&g->lower, (const char *)g->head);
	while (g->more && !strcmp((const char *)g->head, g->lower.buf)) {
		if (g->n == g->alloc) {
			g->alloc = g->alloc ? g->alloc * 2 : 4;
			g->v = xreallocarray(g->v, g->alloc, sizeof(*g->v));
		}
		struct md_entry *e = &g->v[g->n++];
		memset(e, 0, sizeof(*e));
		const char *name = (const char *)g->head + g->lower.len + 1;
		e->name = xstrdup(name);
		e->dir = g->dir;
		memcpy(&e->size, name + strlen(name) + 1, sizeof(e->size));
		group_advance(g);
	}
}

/* group_flush: the group's files into the folder's index; those without a record counted */
static void group_flush(struct md_mailbox *r, struct group *g, struct sbuf *rec,
			size_t *without)
{
	for (size_t i = 0; i < g->n; i++) {
		*without += !g->v[i].has_record;
		index_add(r, &g->v[i], rec);
	}
	group_clear(g);
}

/* key_cmp: a group's key against a record's (both "<lower name>\0") */
static int key_cmp(const struct group *g, const uint8_t *rec)
{
	return strcmp(g->lower.buf, (const char *)rec);
}

/*
 * join_records: the directory's files (g->files) each given its record
 * (recs: sorted the same way; NULL: no index), by name ignoring case (an
 * exact match wins), into the folder's index.  Records without a file are
 * reported as stale; a second record for one file is reported and
 * ignored.  Each kind of finding gets WARN_EACH lines, then one line
 * counting the rest.  Returns the files left without a record.
 */
static size_t join_records(struct md_mailbox *r, struct group *g, struct recsort *recs,
			   const char *dir)
{
	size_t seen[RW_KINDS] = { 0 }, without = 0;
	struct sbuf rec = SBUF_INIT;
	const void *p;
	size_t len;
	group_advance(g);
	group_load(g);
	while (recs && recsort_next(recs, &p, &len) == 1) {
		struct mrk_record mr;
		mrk_decode(p, &mr);
		while (g->n && key_cmp(g, p) < 0) {
			group_flush(r, g, &rec, &without);
			group_load(g);
		}
		struct md_entry *hit = NULL;
		bool named = g->n && !key_cmp(g, p);
		for (size_t j = 0; named && j < g->n; j++) {
			if (g->v[j].has_record)
				continue;
			if (!hit || !strcmp(g->v[j].name, mr.name))
				hit = &g->v[j];
		}
		if (hit) {
			hit->has_record = true;
			hit->rec = mr;
			if (hit->size != mr.size && ++seen[RW_SIZE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/%s': IMAP.MRK says %u bytes, the "
					  "file has %llu; the file is exported as it is",
					  dir, hit->name, mr.size,
					  (unsigned long long)hit->size);
		} else if (named) {
			if (++seen[RW_TWICE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' twice (UID %u); "
					  "the extra record is ignored", dir,
					  mr.name, mr.uid);
		} else if (!has_suffix_ci(mr.name, ".msg")) {
			/* never a message, whether or not such a file exists */
			if (++seen[RW_NOT_MSG] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' (UID %u), which "
					  "is not a .msg file; ignored", dir, mr.name,
					  mr.uid);
		} else {
			diag_stale(r->m.diag);
			if (++seen[RW_STALE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' (UID %u) but the "
					  "file is missing; skipped", dir,
					  mr.name, mr.uid);
		}
	}
	for (; g->n; group_load(g))
		group_flush(r, g, &rec, &without);
	sbuf_release(&rec);
	for (int kind = 0; kind < RW_KINDS; kind++)
		if (seen[kind] > WARN_EACH)
			diag_warn(r->m.diag, "'%s/IMAP.MRK': %zu more records like this (%s)",
				  dir, seen[kind] - WARN_EACH, rec_warn_kind[kind]);
	return without;
}

/* index_trouble: a failed list's error (once per folder); true if there was one */
static bool index_trouble(struct md_mailbox *r, struct recsort *const *lists, size_t n,
			  const char *dir, struct sbuf *err)
{
	struct sbuf why = SBUF_INIT;
	for (size_t i = 0; i < n && !why.len; i++)
		if (lists[i])
			recsort_error(lists[i], &why);
	if (why.len) {
		diag_error(r->m.diag, "%s", why.buf);
		sbuf_addf(err, "%scannot index folder '%s'", err->len ? "; " : "", dir);
	}
	sbuf_release(&why);
	return why.len != 0;
}

/*
 * scan_dir: the .msg files of one directory of the folder, with their
 * records, into the folder's index.  0; -1: the directory cannot be
 * listed (its messages are missing, the others are read); -2: a list of
 * the index failed (its temporary file).
 */
static int scan_dir(struct md_mailbox *r, size_t di, struct sbuf *err)
{
	size_t node = r->folders[r->next_folder - 1].dirs[di];
	const char *dir = r->dirnames[di] = node_display(r, node);
	int fd = open_node(r, node);
	r->dirfds[di] = fd;
	if (fd < 0) {
		sbuf_addf(err, "cannot read folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	struct listing l = { .fd = fd, .rec = SBUF_INIT };
	l.files = recsort_new(r->index_mem, recsort_memcmp, NULL);
	l.odd = recsort_new(r->index_mem, recsort_memcmp, NULL);
	if (dirlist_each(fd, NULL, list_one, &l) < 0) {
		int e = errno;
		recsort_free(l.files);
		recsort_free(l.odd);
		sbuf_release(&l.rec);
		sbuf_addf(err, "cannot read folder '%s': %s", dir, strerror(e));
		return -1;
	}
	sbuf_release(&l.rec);
	l.state.taken = true;
	md_dirstate_read_mrk(fd, mrk_file(&l.mrk), &l.state);
	r->dirstates[di] = l.state;
	warn_odd(r, l.odd, dir);
	struct mrk m;
	struct recsort *recs = NULL;
	struct group g = { .files = l.files, .lower = SBUF_INIT, .dir = di };
	if (read_index(r, fd, &l, dir, &m, &recs)) {
		if (!r->folder.has_index) {
			r->folder.uidvalidity = m.uidvalidity;
			r->folder.uidnext = m.uidnext;
		}
		r->folder.has_index = true;
		size_t without = join_records(r, &g, recs, dir);
		if (m.read_records < m.file_records)
			index_cut_short(r, &m, l.nmsgs, without, dir);
	} else {
		join_records(r, &g, NULL, dir);
	}
	struct recsort *lists[] = { l.odd, l.files, recs, r->index };
	bool bad = index_trouble(r, lists, sizeof(lists) / sizeof(lists[0]), dir, err);
	group_clear(&g);
	free(g.v);
	sbuf_release(&g.lower);
	recsort_free(recs);
	recsort_free(l.files);
	recsort_free(l.odd);
	return bad ? -2 : 0;
}

/*
 * warn_duplicate_uids: two files of one directory given the same UID by its
 * IMAP.MRK (the index is sorted by directory, then UID).  Both are
 * exported, in file name order; a reader that keys on UIDs would see only
 * one.  The index is read through once for this, then rewound.
 */
static void warn_duplicate_uids(struct md_mailbox *r)
{
	size_t seen = 0;
	struct sbuf prev = SBUF_INIT;	/* the record before, whole */
	const void *p;
	size_t len;
	while (recsort_next(r->index, &p, &len) == 1) {
		struct md_entry a, b;
		index_decode(p, &b);
		if (prev.len) {
			index_decode((const uint8_t *)prev.buf, &a);
			if (a.has_record && b.has_record && a.dir == b.dir &&
			    a.rec.uid == b.rec.uid && ++seen <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' gives UID %u to both '%s' "
					  "and '%s'; both are exported", r->dirnames[a.dir],
					  a.rec.uid, a.name, b.name);
		}
		sbuf_reset(&prev);
		sbuf_add(&prev, p, len);
	}
	sbuf_release(&prev);
	recsort_rewind(r->index);
	if (seen > WARN_EACH)
		diag_warn(r->m.diag, "'%s/IMAP.MRK': %zu more files given the UID of "
			  "the file before them; all are exported", r->dirnames[0],
			  seen - WARN_EACH);
}

static int load_messages(struct md_mailbox *r, struct md_folder *f, struct sbuf *err)
{
	entries_release(r);
	r->dirfds = xreallocarray(NULL, f->ndirs, sizeof(*r->dirfds));
	r->dirnames = xcalloc(f->ndirs, sizeof(*r->dirnames));
	r->ndirfds = f->ndirs;
	r->dirstates = xcalloc(f->ndirs, sizeof(*r->dirstates));
	r->folder_checked = false;
	for (size_t i = 0; i < f->ndirs; i++)
		r->dirfds[i] = -1;
	r->index = recsort_new(r->index_mem, recsort_memcmp, NULL);
	int ret = CONV_OK;
	bool bad_index = false;
	for (size_t i = 0; i < f->ndirs && !bad_index; i++) {
		int got = scan_dir(r, i, err);
		if (got < 0)
			ret = CONV_FOLDER_BAD;
		bad_index = got == -2;
	}
	if (bad_index) {	/* the folder is not read: its index is not whole */
		recsort_free(r->index);
		r->index = NULL;
		r->folder.messages = 0;
		r->folder.bytes = 0;
		return ret;
	}
	warn_duplicate_uids(r);
	return ret;
}

/*
 * check_settled: once, after the folder's last message was read, each of
 * its directories listed again and its IMAP.MRK header read again; a
 * folder that changed since it was opened is noted for md_unsettled (live
 * stores, issue 13).  A directory that could not be read at open is not
 * checked (it is reported already); one that cannot be listed now counts
 * as changed.
 */
static void check_settled(struct md_mailbox *r)
{
	if (r->folder_checked || !r->dirstates)
		return;
	r->folder_checked = true;
	struct sbuf why = SBUF_INIT;
	for (size_t i = 0; i < r->ndirfds; i++) {
		if (!r->dirstates[i].taken || r->dirfds[i] < 0)
			continue;
		struct md_dirstate now;
		struct sbuf one = SBUF_INIT;
		if (md_dirstate_take(r->dirfds[i], &now) < 0)
			sbuf_addf(&one, "'%s' cannot be listed again: %s", r->dirnames[i],
				  strerror(errno));
		else
			md_dirstate_changed(&r->dirstates[i], &now, &one);
		if (one.len)
			sbuf_addf(&why, "%s%s", why.len ? "; " : "", one.buf);
		sbuf_release(&one);
	}
	if (why.len) {
		r->unsettled++;
		sbuf_addf(&r->unsettled_what, "'%s': %s\n", r->folder.path, why.buf);
	}
	sbuf_release(&why);
}

/* ---- reading one message ---------------------------------------------- */

static void set_received(struct md_mailbox *r, const struct md_entry *e,
			 const struct stat *st)
{
	struct mail_msg *m = &r->msg;
	if (e->has_record && e->rec.date) {
		m->received = e->rec.date;
		m->date_source = "record";
	} else if (header_block_date(m->prefix, m->head_len, "X-MDArrival-Date",
				     &m->received)) {
		m->date_source = "x-mdarrival-date";
	} else {
		m->received = (int64_t)st->st_mtim.tv_sec;
		m->date_source = "mtime";
	}
}

static unsigned flags_from_record(uint8_t f)
{
	unsigned out = 0;
	if (f & MRK_SEEN) out |= MSG_SEEN;
	if (f & MRK_ANSWERED) out |= MSG_ANSWERED;
	if (f & MRK_FLAGGED) out |= MSG_FLAGGED;
	if (f & MRK_DELETED) out |= MSG_DELETED;
	if (f & MRK_DRAFT) out |= MSG_DRAFT;
	return out;		/* \Recent is session state: dropped */
}

static void close_msg(struct md_mailbox *r)
{
	file_msg_close(&r->file, &r->msg);
}

static int open_msg(struct md_mailbox *r, const struct md_entry *e, struct sbuf *err)
{
	free(r->msg_origin);
	r->msg_origin = xasprintf("%s/%s", r->dirnames[e->dir], e->name);
	struct mail_msg *m = &r->msg;
	memset(m, 0, sizeof(*m));
	m->origin = r->msg_origin;
	m->name = e->name;
	m->uid = e->has_record ? e->rec.uid : 0;
	m->flags = e->has_record ? flags_from_record(e->rec.flags) : 0;
	m->seq = (unsigned)r->next_entry + gwr_count(r->gw);
	if (e->has_record && e->rec.date) {	/* known even if the file cannot be read */
		m->received = e->rec.date;
		m->date_source = "record";
	}
	struct stat st;
	int ret = file_msg_open(&r->file, m, r->dirfds[e->dir], e->name, &r->m, &r->prefix,
				false, &st, err);
	if (ret == CONV_OK)
		set_received(r, e, &st);
	return ret;
}

/* ---- the ops ---------------------------------------------------------- */

static void add_mail_dir(struct md_reader *r, const char *path, const char *owner,
			 const struct stat *st)
{
	for (size_t i = 0; i < r->nmdirs; i++)
		if (r->mdirs[i].dev == st->st_dev && r->mdirs[i].ino == st->st_ino)
			return;
	r->mdirs = xreallocarray(r->mdirs, r->nmdirs + 1, sizeof(*r->mdirs));
	struct mail_dir *m = &r->mdirs[r->nmdirs++];
	m->path = xstrdup(path);
	m->owner = xstrdup(owner);
	m->dev = st->st_dev;
	m->ino = st->st_ino;
}

/* list_mail_dirs: SOURCE and every MailDir found, by device and inode */
static void list_mail_dirs(struct md_reader *r)
{
	int fd = open_dir_at(AT_FDCWD, r->root);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0)
		add_mail_dir(r, r->root, "SOURCE", &st);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < r->accounts.count; i++) {
		const struct md_account *a = &r->accounts.v[i];
		if (!a->path || a->problem || a->shared_with)	/* not read (a shared one: by its owner) */
			continue;
		if (a->has_id) {
			st.st_dev = a->dev;
			st.st_ino = a->ino;
		} else {
			fd = open_dir_at(AT_FDCWD, a->path);
			bool ok = fd >= 0 && fstat(fd, &st) == 0;
			if (fd >= 0)
				close(fd);
			if (!ok)
				continue;
		}
		char *owner = xasprintf("%s@%s", a->mailbox, a->domain);
		add_mail_dir(r, a->path, owner, &st);
		free(owner);
	}
}

static size_t md_mail_dirs(struct mail_reader *rd, const struct mail_dir **dirs_r)
{
	struct md_reader *r = (struct md_reader *)rd;
	*dirs_r = r->mdirs;
	return r->nmdirs;
}

static struct mail_reader *md_open(const char *source, const struct reader_settings *set,
				   struct diag *d, struct sbuf *err)
{
	struct md_reader *r = xcalloc(1, sizeof(*r));
	r->r.v = &mdaemon_reader_ops;
	r->r.diag = d;
	r->index_mem = set ? set->index_mem : 0;
	r->zone = set ? set->zone : NULL;
	r->fallback = set ? set->fallback : NULL;
	gwr_init();	/* before any mailbox is read on its own thread */
	if (md_find_accounts(source, set, d, &r->accounts, err) < 0) {
		free(r);
		return NULL;
	}
	char *real = realpath(source, NULL);
	r->root = real ? real : xstrdup(source);
	list_mail_dirs(r);
	return &r->r;
}

static int md_next_mailbox(struct mail_reader *rd, const struct mail_box **box_r,
			   struct sbuf *err)
{
	struct md_reader *r = (struct md_reader *)rd;
	if (r->next_account >= r->accounts.count)
		return CONV_DONE;
	const struct md_account *a = &r->accounts.v[r->next_account++];
	r->box.domain = a->domain;
	r->box.mailbox = a->mailbox;
	r->box.full_name = a->full_name;
	r->box.path = a->path ? a->path : "";
	r->box.origin = a->origin;
	r->box.shared_with = a->shared_with;
	r->box.not_found = a->shared_with ? NULL : a->winpath;	/* issue 16 */
	r->box.map_hint = r->accounts.map_hint;
	*box_r = &r->box;
	if (!a->shared_with && (a->problem || !a->path)) {	/* not found, or another's */
		sbuf_adds(err, a->problem ? a->problem : "no MailDir");
		return CONV_MAILBOX_BAD;
	}
	return CONV_OK;
}

static void md_close_mailbox(struct mail_mailbox *mm)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	if (!r)
		return;
	close_msg(r);
	entries_release(r);
	folders_release(r);
	gwr_close(r->gw);
	gwr_zones_release(&r->gw_zones);
	free(r->domain);
	free(r->mailbox);
	if (r->box_fd >= 0)
		close(r->box_fd);
	free(r->box_rel);
	sbuf_release(&r->prefix);
	sbuf_release(&r->cur_name);
	sbuf_release(&r->unsettled_what);
	free(r->msg_origin);
	free(r->folder_origin);
	free(r);
}

/*
 * md_open_mailbox: the mailbox folder, kept open while the mailbox is read
 * (its folders are opened below it).  When it cannot be opened, the whole
 * mailbox is unreadable: no output is written for it (an empty one would
 * look like a mailbox with no mail).  A mailbox shared with another
 * account (read as its owner) opens with no folders.
 */
static struct mail_mailbox *md_open_mailbox(struct mail_reader *rd, const struct mail_box *box,
					    struct diag *d, struct msg_hash *hash,
					    struct sbuf *err)
{
	const struct md_reader *s = (const struct md_reader *)rd;
	struct md_mailbox *r = xcalloc(1, sizeof(*r));
	r->m.v = &mdaemon_reader_ops;
	r->m.diag = d;
	r->m.hash = hash;
	r->root = s->root;
	r->index_mem = s->index_mem;
	r->fallback = s->fallback;
	r->domain = xstrdup(box->domain);
	r->mailbox = xstrdup(box->mailbox);
	r->gw_env = (struct gwr_env){ .mb = &r->m, .domain = r->domain, .mailbox = r->mailbox,
				      .zone = s->zone, .zones = &r->gw_zones };
	sbuf_init(&r->cur_name);
	sbuf_init(&r->unsettled_what);
	file_msg_init(&r->file);
	r->box_fd = -1;
	sbuf_init(&r->prefix);
	if (box->shared_with)
		return &r->m;
	for (size_t i = 0; i < s->accounts.count; i++)	/* issue 14 */
		if (s->accounts.v[i].is_public && !strcmp(s->accounts.v[i].path, box->path))
			r->no_inbox = true;
	r->box_rel = xstrdup(rel(s->root, box->path));
	r->box_fd = open_dir_at(AT_FDCWD, box->path);	/* opens only when readable */
	if (r->box_fd < 0) {
		sbuf_addf(err, "cannot read the mailbox folder '%s': %s", r->box_rel,
			  strerror(errno));
		md_close_mailbox(&r->m);
		return NULL;
	}
	return &r->m;
}

static int md_next_folder(struct mail_mailbox *mm, const struct mail_folder **folder_r,
			  struct sbuf *err)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	close_msg(r);
	entries_release(r);
	gwr_close(r->gw);
	r->gw = NULL;
	r->gw_last = r->gw_pending = false;
	if (r->box_fd < 0)
		return CONV_DONE;
	if (!r->folders_listed) {
		load_folders(r);
		r->folders_listed = true;
	}
	if (r->next_folder >= r->nfolders)
		return CONV_DONE;
	struct md_folder *f = &r->folders[r->next_folder++];
	free(r->folder_origin);
	r->folder_origin = node_display(r, f->dirs[0]);
	memset(&r->folder, 0, sizeof(r->folder));
	r->folder.path = f->path;
	r->folder.origin = r->folder_origin;
	r->folder.folder_class = f->folder_class ? f->folder_class : "IPF.Note";
	r->folder.is_mail = !f->folder_class;
	r->folder.kind = gw_kind_of_class(f->folder_class);
	*folder_r = &r->folder;
	/* issue 14: its XML file is opened at its first next_msg (list reads none) */
	r->gw_pending = r->folder.kind != ITEM_MAIL;
	return load_messages(r, f, err);
}

static int md_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	close_msg(r);
	r->gw_last = false;
	if (r->gw_pending && r->ndirfds) {
		struct md_folder *f = &r->folders[r->next_folder - 1];
		r->gw = gwr_open(r->dirfds[0], r->dirnames[0], f->path, r->folder.kind,
				 &r->gw_env);
	}
	r->gw_pending = false;
	if (r->gw) {	/* issue 14: a groupware folder's items first */
		int got = gwr_next(r->gw, &r->msg, &r->prefix, err);
		*msg_r = &r->msg;
		if (got != CONV_DONE) {
			r->gw_last = true;
			return got;
		}
	}
	const void *p;
	size_t len;
	int got = r->index ? recsort_next(r->index, &p, &len) : 0;
	if (got < 0) {
		recsort_error(r->index, err);
		return CONV_FOLDER_BAD;
	}
	if (got == 0) {
		check_settled(r);
		return CONV_DONE;
	}
	index_decode(p, &r->cur);
	sbuf_reset(&r->cur_name);
	sbuf_adds(&r->cur_name, r->cur.name);
	r->cur.name = r->cur_name.buf;
	r->next_entry++;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static int md_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	close_msg(r);
	if (r->gw_last) {
		*msg_r = &r->msg;
		return gwr_again(r->gw, &r->msg, &r->prefix, err);
	}
	if (r->next_entry == 0)
		return CONV_DONE;
	int ret = open_msg(r, &r->cur, err);
	*msg_r = &r->msg;
	return ret;
}

static unsigned md_unsettled(struct mail_mailbox *mm, struct sbuf *what)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	sbuf_add(what, r->unsettled_what.buf, r->unsettled_what.len);
	return r->unsettled;
}

/* access_text: userlist.dat's AccessType in words (mdaemon-store.md 9.1) */
static const char *access_text(char code)
{
	switch (code) {
	case 'Y': return "POP and IMAP";
	case 'P': return "POP only";
	case 'I': return "IMAP only";
	case 'N': return "none";
	case 'C': return "none (disabled)";
	default: return NULL;
	}
}

/* md_account: issue 14, `mdexport accounts`: the account next_mailbox last gave */
static int md_account(struct mail_reader *rd, const struct mail_box *box,
		      struct mail_account *out)
{
	const struct md_reader *r = (const struct md_reader *)rd;
	(void)box;		/* always the one next_mailbox described */
	memset(out, 0, sizeof(*out));
	if (!r->next_account)
		return 0;
	const struct md_account *a = &r->accounts.v[r->next_account - 1];
	if (a->is_public)
		return 0;
	bool listed = a->line > 0;	/* from userlist.dat: its options are known */
	out->access = a->access;
	out->access_text = access_text(a->access);
	out->disabled = a->access ? a->access == 'C' : -1;
	out->apply_quotas = a->apply_quotas ? a->apply_quotas == 'Y' : -1;
	out->max_messages = listed ? a->max_messages : -1;
	out->max_disk_kb = listed ? a->max_disk_kb : -1;
	out->problem = a->problem;
	return 1;
}

static void md_close(struct mail_reader *rd)
{
	struct md_reader *r = (struct md_reader *)rd;
	if (!r)
		return;
	md_accounts_release(&r->accounts);
	for (size_t i = 0; i < r->nmdirs; i++) {
		free((char *)r->mdirs[i].path);
		free((char *)r->mdirs[i].owner);
	}
	free(r->mdirs);
	free(r->root);
	free(r);
}

const struct mail_reader_ops mdaemon_reader_ops = {
	.name = "mdaemon",
	.open = md_open,
	.next_mailbox = md_next_mailbox,
	.open_mailbox = md_open_mailbox,
	.next_folder = md_next_folder,
	.next_msg = md_next_msg,
	.reopen_msg = md_reopen_msg,
	.close_mailbox = md_close_mailbox,
	.close = md_close,
	.mail_dirs = md_mail_dirs,
	.unsettled = md_unsettled,
	.account = md_account,
};
