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

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/filemsg.h"
#include "core/mutf7.h"
#include "core/sysio.h"
#include "core/wintext.h"
#include "core/xalloc.h"
#include "mdaemon/mdaemon_fs.h"
#include "mdaemon/mrk.h"

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
	char *name;		/* file name on disk */
	size_t dir;		/* index into the folder's dirs */
	bool has_record;
	struct mrk_record rec;
	uint64_t size;
};

/* the store: SOURCE's accounts; constant once open() returns, but for the cursor */
struct md_reader {
	struct mail_reader r;
	char *root;		/* realpath of SOURCE, for relative names */
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
	struct mail_folder folder;
	char *folder_origin;
	struct md_entry *entries;
	size_t nentries, next_entry;
	int *dirfds;		/* one per dir of the current folder */
	char **dirnames;	/* and its path relative to SOURCE */
	size_t ndirfds;
	struct mail_msg msg;
	struct file_msg file;	/* the open message file */
	struct sbuf prefix;
	char *msg_origin;
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

bool md_folder_name(struct sbuf *out, const char *stem, size_t len)
{
	if (!len) {
		/* ".IMAP": IMAP has no empty folder names; give it a visible one */
		sbuf_adds(out, UNNAMED_FOLDER);
		return false;
	}
	if (!mutf7_decode(out, stem, len))
		wintext_to_utf8(out, stem, len);
	return true;
}

static void walk_folders(struct md_mailbox *r, int fd, const struct dirlist *dl,
			 size_t node, const char *parent, const char *parent_class,
			 int depth);

/*
 * visit_subfolder: one "<name>.IMAP" directory of the directory dirfd
 * (node), which is depth levels below the MailDir.  Its descriptor stays
 * open while its subfolders are walked: the walk holds one per level.
 */
static void visit_subfolder(struct md_mailbox *r, int dirfd, size_t node, const char *name,
			    const char *parent, const char *parent_class, int depth)
{
	struct sbuf decoded = SBUF_INIT, logical = SBUF_INIT;
	if (!md_folder_name(&decoded, name, strlen(name) - 5)) {
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
	bool listed = fd >= 0 && dirlist_read(fd, &dl) == 0;
	char *cls = listed ? hiwater_class(r, sub, fd, &dl) : NULL;
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

static void load_folders(struct md_mailbox *r)
{
	folders_release(r);
	size_t root = add_node(r, 0, NULL);
	add_folder(r, "INBOX", root, NULL);
	struct dirlist dl;
	if (dirlist_read(r->box_fd, &dl) == 0) {
		walk_folders(r, r->box_fd, &dl, root, NULL, NULL, 0);
		dirlist_release(&dl);
	}	/* else reported when INBOX is read */
	qsort(r->folders, r->nfolders, sizeof(*r->folders), cmp_folder);
}

/* ---- messages of one folder ------------------------------------------- */

static void entries_release(struct md_mailbox *r)
{
	for (size_t i = 0; i < r->nentries; i++)
		free(r->entries[i].name);
	free(r->entries);
	r->entries = NULL;
	r->nentries = r->next_entry = 0;
	for (size_t i = 0; i < r->ndirfds; i++) {
		if (r->dirfds[i] >= 0)
			close(r->dirfds[i]);
		free(r->dirnames[i]);
	}
	free(r->dirfds);
	free(r->dirnames);
	r->dirfds = NULL;
	r->dirnames = NULL;
	r->ndirfds = 0;
}

static void add_entry(struct md_mailbox *r, size_t *alloc, const char *name,
		      size_t dir, uint64_t size)
{
	if (r->nentries == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		r->entries = xreallocarray(r->entries, *alloc, sizeof(*r->entries));
	}
	struct md_entry *e = &r->entries[r->nentries++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->dir = dir;
	e->size = size;
}

static int cmp_entry_name_ci(const void *a, const void *b)
{
	const struct md_entry *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);
	return c ? c : strcmp(x->name, y->name);
}

/* by name, then file order: of two records for one file the first is used */
static int cmp_record_name_ci(const void *a, const void *b)
{
	const struct mrk_record *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);
	if (!c)
		c = strcmp(x->name, y->name);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* output order: records by UID, then record-less files by name */
static int cmp_entry_output(const void *a, const void *b)
{
	const struct md_entry *x = a, *y = b;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->has_record != y->has_record)
		return x->has_record ? -1 : 1;
	if (x->has_record && x->rec.uid != y->rec.uid)
		return x->rec.uid < y->rec.uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

enum rec_warn { RW_SIZE, RW_TWICE, RW_NOT_MSG, RW_STALE, RW_KINDS };

static const char *const rec_warn_kind[RW_KINDS] = {
	"the size differs from the file's",
	"a file named again; ignored",
	"not a .msg file; ignored",
	"the file is missing; skipped",
};

/*
 * join_records: attach records to the entries [first, nentries) of one
 * directory, by name, case-insensitively (an exact match wins).  Records
 * without a file are reported as stale; a second record for one file is
 * reported and ignored.  Each kind of finding gets WARN_EACH lines, then
 * one line counting the rest.
 */
static void join_records(struct md_mailbox *r, size_t first, struct mrk *m,
			 const char *dir)
{
	struct md_entry *ents = r->entries + first;
	size_t ne = r->nentries - first;
	size_t seen[RW_KINDS] = { 0 };
	if (ne)		/* qsort(NULL, 0, ...) is undefined (UBSan says so) */
		qsort(ents, ne, sizeof(*ents), cmp_entry_name_ci);
	if (m->count)
		qsort(m->records, m->count, sizeof(*m->records), cmp_record_name_ci);
	size_t i = 0;
	for (size_t k = 0; k < m->count; k++) {
		struct mrk_record *rec = &m->records[k];
		while (i < ne && strcasecmp(ents[i].name, rec->name) < 0)
			i++;
		struct md_entry *hit = NULL;
		for (size_t j = i; j < ne && !strcasecmp(ents[j].name, rec->name); j++) {
			if (ents[j].has_record)
				continue;
			if (!hit || !strcmp(ents[j].name, rec->name))
				hit = &ents[j];
		}
		if (hit) {
			hit->has_record = true;
			hit->rec = *rec;
			if (hit->size != rec->size && ++seen[RW_SIZE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/%s': IMAP.MRK says %u bytes, the "
					  "file has %llu; the file is exported as it is",
					  dir, hit->name, rec->size,
					  (unsigned long long)hit->size);
		} else if (i < ne && !strcasecmp(ents[i].name, rec->name)) {
			if (++seen[RW_TWICE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' twice (UID %u); "
					  "the extra record is ignored", dir,
					  rec->name, rec->uid);
		} else if (!has_suffix_ci(rec->name, ".msg")) {
			/* never a message, whether or not such a file exists */
			if (++seen[RW_NOT_MSG] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' (UID %u), which "
					  "is not a .msg file; ignored", dir, rec->name,
					  rec->uid);
		} else {
			diag_stale(r->m.diag);
			if (++seen[RW_STALE] <= WARN_EACH)
				diag_warn(r->m.diag, "'%s/IMAP.MRK' lists '%s' (UID %u) but the "
					  "file is missing; skipped", dir,
					  rec->name, rec->uid);
		}
	}
	for (int kind = 0; kind < RW_KINDS; kind++)
		if (seen[kind] > WARN_EACH)
			diag_warn(r->m.diag, "'%s/IMAP.MRK': %zu more records like this (%s)",
				  dir, seen[kind] - WARN_EACH, rec_warn_kind[kind]);
}

/* read_prefix_at: up to want bytes of fd from offset 0 into out; 0, or -1 (errno) */
static int read_head_of(int fd, uint64_t want, struct sbuf *out)
{
	sbuf_grow(out, (size_t)want);
	while (out->len < want) {
		ssize_t n = pread(fd, out->buf + out->len, (size_t)(want - out->len),
				  (off_t)out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		sbuf_setlen(out, out->len + (size_t)n);
	}
	return 0;
}

/*
 * read_mrk: the first records of an IMAP.MRK (at most max_records), its
 * whole size in *size_r.  0, or -1 (errno).
 */
static int read_mrk(int dirfd, const char *name, size_t max_records, struct sbuf *data,
		    uint64_t *size_r)
{
	struct stat st;
	int fd = open_regular_at(dirfd, name, &st);
	if (fd < 0)
		return -1;
	uint64_t size = (uint64_t)st.st_size;
	uint64_t want = MRK_HEADER_SIZE + (uint64_t)max_records * MRK_WIDE_RECORD_SIZE;
	if (want > size)
		want = size;
	int e = read_head_of(fd, want, data) < 0 ? errno : 0;
	close(fd);
	if (e) {
		errno = e;
		return -1;
	}
	*size_r = data->len < want ? data->len : size;	/* shrank: what is there */
	return 0;
}

/* read_index: parse the directory's IMAP.MRK into m; 1 if there was one */
static int read_index(struct md_mailbox *r, int dirfd, const struct dirlist *dl,
		      const char *rdir, size_t nmsgs, struct mrk *m)
{
	memset(m, 0, sizeof(*m));
	const struct dent *e = dirlist_find_ci(dl, "IMAP.MRK");
	int ret = 0;
	struct sbuf data = SBUF_INIT, warn = SBUF_INIT;
	size_t max_records = MRK_SLACK_RECORDS + MRK_PER_MSG * nmsgs;
	uint64_t size = 0;
	if (e && e->type == DENT_LINK) {
		diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed; its "
			  "messages are exported without flags", rdir, e->name);
	} else if (!e || e->type != DENT_FILE) {
		if (nmsgs && r->folder.is_mail)
			diag_warn(r->m.diag, "'%s' has no IMAP.MRK; its messages are exported "
				  "without flags, dated by X-MDArrival-Date or file time", rdir);
	} else if (read_mrk(dirfd, e->name, max_records, &data, &size) < 0) {
		diag_warn(r->m.diag, "cannot read '%s/%s': %s; its messages are exported "
			  "without flags", rdir, e->name, strerror(errno));
	} else {
		ret = mrk_parse_prefix((const uint8_t *)data.buf, data.len, size,
				       max_records, m, &warn);
		for (char *line = warn.len ? warn.buf : NULL, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			diag_warn(r->m.diag, "'%s/%s': %s", rdir, e->name, line);
		}
	}
	sbuf_release(&data);
	sbuf_release(&warn);
	return ret;
}

/*
 * index_cut_short: an IMAP.MRK longer than read_index reads.  An error when
 * some .msg file of the directory found no record among those read (its
 * flags may be in the part not read), else a warning.
 */
static void index_cut_short(struct md_mailbox *r, const struct mrk *m, size_t first,
			    const char *rdir)
{
	size_t without = 0, nmsgs = r->nentries - first;
	for (size_t i = first; i < r->nentries; i++)
		without += !r->entries[i].has_record;
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

/* scan_dir: entries for the .msg files of one directory of the folder */
static int scan_dir(struct md_mailbox *r, size_t di, size_t *alloc, struct sbuf *err)
{
	size_t node = r->folders[r->next_folder - 1].dirs[di];
	const char *dir = r->dirnames[di] = node_display(r, node);
	int fd = open_node(r, node);
	r->dirfds[di] = fd;
	struct dirlist dl;
	if (fd < 0 || dirlist_read(fd, &dl) < 0) {
		sbuf_addf(err, "cannot read folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	size_t first = r->nentries;
	for (size_t i = 0; i < dl.count; i++) {
		const struct dent *e = &dl.ents[i];
		if (!has_suffix_ci(e->name, ".msg"))
			continue;
		if (e->type == DENT_LINK) {
			diag_warn(r->m.diag, "'%s/%s' is a symbolic link; not followed",
				  dir, e->name);
			continue;
		}
		if (e->type != DENT_FILE) {
			diag_error(r->m.diag, "'%s/%s' is not a regular file; skipped",
				   dir, e->name);
			continue;
		}
		struct stat st;
		uint64_t size = fstatat(fd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
				(uint64_t)st.st_size : 0;
		add_entry(r, alloc, e->name, di, size);
	}
	struct mrk m;
	if (read_index(r, fd, &dl, dir, r->nentries - first, &m)) {
		if (!r->folder.has_index) {
			r->folder.uidvalidity = m.uidvalidity;
			r->folder.uidnext = m.uidnext;
		}
		r->folder.has_index = true;
		join_records(r, first, &m, dir);
		if (m.read_records < m.file_records)
			index_cut_short(r, &m, first, dir);
	}
	mrk_release(&m);
	dirlist_release(&dl);
	return 0;
}

/*
 * warn_duplicate_uids: two files of one directory given the same UID by its
 * IMAP.MRK (entries are sorted by directory, then UID).  Both are exported,
 * in file name order; a reader that keys on UIDs would see only one.
 */
static void warn_duplicate_uids(struct md_mailbox *r)
{
	size_t seen = 0;
	for (size_t i = 1; i < r->nentries; i++) {
		const struct md_entry *a = &r->entries[i - 1], *b = &r->entries[i];
		if (a->has_record && b->has_record && a->dir == b->dir &&
		    a->rec.uid == b->rec.uid && ++seen <= WARN_EACH)
			diag_warn(r->m.diag, "'%s/IMAP.MRK' gives UID %u to both '%s' and "
				  "'%s'; both are exported", r->dirnames[a->dir],
				  a->rec.uid, a->name, b->name);
	}
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
	for (size_t i = 0; i < f->ndirs; i++)
		r->dirfds[i] = -1;
	size_t alloc = 0;
	int ret = CONV_OK;
	for (size_t i = 0; i < f->ndirs; i++)
		if (scan_dir(r, i, &alloc, err) < 0)
			ret = CONV_FOLDER_BAD;
	if (r->nentries)
		qsort(r->entries, r->nentries, sizeof(*r->entries), cmp_entry_output);
	warn_duplicate_uids(r);
	for (size_t i = 0; i < r->nentries; i++) {
		r->folder.messages++;
		r->folder.bytes += r->entries[i].size;
	}
	return ret;
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
	m->seq = (unsigned)r->next_entry;
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
	if (r->box_fd >= 0)
		close(r->box_fd);
	free(r->box_rel);
	sbuf_release(&r->prefix);
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
	file_msg_init(&r->file);
	r->box_fd = -1;
	sbuf_init(&r->prefix);
	if (box->shared_with)
		return &r->m;
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
	*folder_r = &r->folder;
	return load_messages(r, f, err);
}

static int md_next_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
		       struct sbuf *err)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	close_msg(r);
	if (r->next_entry >= r->nentries)
		return CONV_DONE;
	const struct md_entry *e = &r->entries[r->next_entry++];
	int ret = open_msg(r, e, err);
	*msg_r = &r->msg;
	return ret;
}

static int md_reopen_msg(struct mail_mailbox *mm, const struct mail_msg **msg_r,
			 struct sbuf *err)
{
	struct md_mailbox *r = (struct md_mailbox *)mm;
	close_msg(r);
	if (r->next_entry == 0)
		return CONV_DONE;
	int ret = open_msg(r, &r->entries[r->next_entry - 1], err);
	*msg_r = &r->msg;
	return ret;
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
};
