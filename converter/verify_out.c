/*
 * Where each writer puts a message, worked out again from the README's
 * naming rules (not taken from the writers), and the output items that no
 * manifest line accounts for.
 *
 *   mbox     <domain>/<mailbox>/<folder parts, escaped>.mbox
 *   maildir  <domain>/<mailbox>[/.<parts in Dovecot's listescape form, '.'-joined>]
 *            /cur/<date>.M<n>_<name, [0-9A-Za-z_-] kept, else %XX>.mdexport:2,<flags>
 *   eml      <domain>/<mailbox>/<folder parts, escaped>/<NNNNNN>.eml
 *   pst      <domain>/<mailbox>.pst, INBOX becoming Inbox
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/outdir.h"
#include "core/xalloc.h"
#include "maildir/maildir.h"
#include "verify_cmd.h"

/* fs_parts: "/<part>" for every '/'-separated part of a folder path, each
 * escaped as the mbox and EML writers name files (empty parts skipped) in
 * room bytes */
static void fs_parts(struct sbuf *out, const char *folder, size_t room)
{
	char *copy = xstrdup(folder), *save = NULL;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		sbuf_addch(out, '/');
		fsname_escape_room(out, p, room);
	}
	free(copy);
}

char *out_location(const struct vbox *b, const char *folder, const struct mail_msg *msg)
{
	struct sbuf s = SBUF_INIT;
	sbuf_adds(&s, b->out_rel);
	if (!strcmp(b->format, "mbox")) {
		fs_parts(&s, folder, FSNAME_MBOX_ROOM);
		sbuf_adds(&s, ".mbox");
	} else if (!strcmp(b->format, "eml")) {
		fs_parts(&s, folder, FSNAME_MAX);
		sbuf_addf(&s, "/%06u.eml", msg->seq);
	} else if (!strcmp(b->format, "maildir")) {
		if (strcmp(folder, "INBOX")) {
			sbuf_addch(&s, '/');
			maildir_folder_dir(&s, folder);
		}
		sbuf_adds(&s, "/cur/");
		maildir_file_name(&s, msg);
	}
	return sbuf_detach(&s);
}

char *pst_folder_of(const char *folder)
{
	if (!strcmp(folder, "INBOX"))
		return xstrdup("Inbox");
	if (!strncmp(folder, "INBOX/", 6))
		return xasprintf("Inbox/%s", folder + 6);
	return xstrdup(folder);
}

/* ---- extras ------------------------------------------------------------------- */

struct extras {
	struct vbox *b;
	GHashTable *known;	/* output paths the manifest accounts for */
	GHashTable *folder_of;	/* directory or file -> source folder */
};

static void extra(struct extras *x, const char *rel, const char *folder, const char *what)
{
	struct vproblem p = { .kind = VK_EXTRA, .folder = folder, .output = rel, .what = what };
	vbox_problem(&x->b->rep, &p);
}

static char *dir_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	return slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
}

/* folder_for: the source folder whose output is in dir (Maildir: above cur/) */
static const char *folder_for(struct extras *x, const char *container)
{
	const char *f = g_hash_table_lookup(x->folder_of, container);
	return f ? f : container;
}

static void extra_mbox_regions(struct extras *x, const char *rel, int fd)
{
	struct mbox_region *r;
	size_t n;
	struct sbuf err = SBUF_INIT;
	if (verify_mbox_scan(fd, &r, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct mbox_region_key k;
			struct vproblem p = { .kind = VK_EXTRA, .folder = folder_for(x, rel),
					      .output = rel, .has_offset = true,
					      .offset = r[i].offset, .length = r[i].length };
			if (verify_mbox_region_key(fd, &r[i], &k, &err) == 0)
				p.what = k.from_line ? k.from_line : "bytes that are no message";
			vbox_problem(&x->b->rep, &p);
			mbox_region_key_release(&k);
		}
		free(r);
	}
	sbuf_release(&err);
}

/* an_item: one file of the output tree; extra unless the manifest names it */
static void an_item(struct extras *x, const char *rel, const struct stat *st)
{
	const char *fmt = x->b->format;
	if (g_hash_table_contains(x->known, rel))
		return;
	char *dir = dir_of(rel);
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	if (!strcmp(fmt, "maildir")) {
		const char *sub = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		bool msgdir = !strcmp(sub, "cur") || !strcmp(sub, "new") || !strcmp(sub, "tmp");
		char *folder_dir = dir_of(dir);
		if (msgdir)	/* other files (subscriptions, indexes) hold no message */
			extra(x, rel, folder_for(x, folder_dir), S_ISREG(st->st_mode) ?
			      "a message file no manifest line names" : "not a regular file");
		free(folder_dir);
	} else if (!strcmp(fmt, "mbox") && S_ISREG(st->st_mode) && g_str_has_suffix(base, ".mbox")) {
		char *path = vpath(x->b, rel);
		int fd = path_open(path, O_RDONLY);
		if (fd >= 0) {
			extra_mbox_regions(x, rel, fd);
			close(fd);
		}
		free(path);
	} else {
		extra(x, rel, folder_for(x, dir), S_ISREG(st->st_mode) ?
		      "a file no manifest line names" : "not a regular file");
	}
	free(dir);
}

/* walk_tree: every entry below rel (not following symbolic links) */
static void walk_tree(struct extras *x, const char *rel, int depth)
{
	char *path = vpath(x->b, rel);
	int fd = depth < 64 ? path_open(path, O_RDONLY | O_DIRECTORY) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !d)
		close(fd);
	free(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *sub = xasprintf("%s/%s", rel, de->d_name);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode))
				walk_tree(x, sub, depth + 1);
			else
				an_item(x, sub, &st);
		}
		free(sub);
	}
	if (d)
		closedir(d);
}

static void pst_extras(struct extras *x)
{
	size_t n;
	const uint32_t *nids = verify_pst_nids(x->b->pst, &n);
	GHashTable *claimed = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = 0; i < x->b->n; i++)
		if (x->b->e[i].exported)
			g_hash_table_add(claimed, GUINT_TO_POINTER(x->b->e[i].out.nid));
	for (size_t i = 0; i < n; i++) {
		if (g_hash_table_contains(claimed, GUINT_TO_POINTER(nids[i])))
			continue;
		const char *in = verify_pst_folder(x->b->pst, nids[i]);
		struct sbuf subject = SBUF_INIT, what = SBUF_INIT;
		verify_pst_subject(x->b->pst, nids[i], &subject);
		sbuf_addf(&what, "a message no manifest line names, subject '%s'", subject.buf);
		struct vproblem p = { .kind = VK_EXTRA, .folder = folder_for(x, in),
				      .output = x->b->out_rel, .has_nid = true, .nid = nids[i],
				      .what = what.buf };
		vbox_problem(&x->b->rep, &p);
		sbuf_release(&subject);
		sbuf_release(&what);
	}
	g_hash_table_destroy(claimed);
}

/* known_items: what the manifest accounts for, and which folder each container holds */
static void known_items(struct extras *x)
{
	for (size_t i = 0; i < x->b->n; i++) {
		const struct mf_entry *e = &x->b->e[i];
		const struct echeck *c = &x->b->chk[i];
		if (!e->exported)
			continue;
		const char *loc = c->location ? c->location : e->out.file;
		g_hash_table_add(x->known, xstrdup(e->out.file));
		g_hash_table_add(x->known, xstrdup(loc));
		char *container = !strcmp(x->b->format, "pst") ? xstrdup(e->out.folder) :
				  !strcmp(x->b->format, "mbox") ? xstrdup(loc) : dir_of(loc);
		if (!strcmp(x->b->format, "maildir")) {
			char *up = dir_of(container);	/* above cur/ */
			free(container);
			container = up;
		}
		g_hash_table_insert(x->folder_of, container, e->folder);
	}
}

void out_extras(struct vbox *b)
{
	struct extras x = { b, g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
			    g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL) };
	known_items(&x);
	if (!strcmp(b->format, "pst")) {
		if (b->pst)
			pst_extras(&x);
	} else {
		walk_tree(&x, b->out_rel, 0);
	}
	g_hash_table_destroy(x.known);
	g_hash_table_destroy(x.folder_of);
}
