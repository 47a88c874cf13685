/*
 * Finding accounts.  userlist.dat names each account's MailDir as a Windows
 * path (C:\MDaemon\Users\dom\box\, or anywhere the admin's template put
 * it).  We map it onto SOURCE: first through the user's --map prefixes,
 * then by looking for the longest tail of the path (at least two folders)
 * that exists under SOURCE, matching names case-insensitively as Windows
 * does.  Walking Users/<domain>/<mailbox>/ then adds accounts that
 * userlist.dat lacks (or all of them, when there is no userlist.dat).
 */
#include "mdaemon/mdaemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/wintext.h"
#include "core/xalloc.h"
#include "mdaemon/mdaemon_fs.h"
#include "mdaemon/userlist.h"

/*
 * userlist.dat is read line by line (userlist_read), so its size costs no
 * memory; what it costs is the accounts it holds, capped here.  The
 * biggest MDaemon sites hold tens of thousands of accounts; a file that
 * claims more is more likely damage than a store, and every account costs
 * a lookup of its MailDir.  Refused and repeated lines are warned about
 * one by one up to UL_WARN_EACH, then counted on one line.
 */
#define USERLIST_ACCOUNTS_MAX 200000
#define UL_WARN_EACH 10

bool md_skip_dir(const char *name)
{
	static const char *const never[] = { "Queues", "BADMSGS", "WC", "Files", NULL };
	for (size_t i = 0; never[i]; i++)
		if (!strcasecmp(name, never[i]))
			return true;
	return false;
}

/* warn_if_link_ci: a warning when dir's entry `name` (any case) is a symbolic link */
static void warn_if_link_ci(const char *dir, const char *name, struct diag *d)
{
	int fd = open_dir_at(AT_FDCWD, dir);
	if (fd < 0)
		return;
	struct dirlist dl;
	if (dirlist_read(fd, &dl) == 0) {
		const struct dent *e = dirlist_find_ci(&dl, name);
		if (e && e->type == DENT_LINK)
			diag_warn(d, "'%s/%s' is a symbolic link; not followed", dir, e->name);
		dirlist_release(&dl);
	}
	close(fd);
}

/* find_dir_ci: the real name of subdirectory `name` of dir, or NULL */
static char *find_dir_ci(const char *dir, const char *name)
{
	int fd = open_dir_at(AT_FDCWD, dir);
	if (fd < 0)
		return NULL;
	struct dirlist dl;
	char *found = NULL;
	if (dirlist_read(fd, &dl) == 0) {
		const struct dent *e = dirlist_find_ci(&dl, name);
		if (e && e->type == DENT_DIR)
			found = xstrdup(e->name);
		dirlist_release(&dl);
	}
	close(fd);
	return found;
}

/* md_resolve_ci: base/comps[0]/.../comps[n-1] with case-insensitive names */
char *md_resolve_ci(const char *base, char *const *comps, size_t n)
{
	char *cur = xstrdup(base);
	for (size_t i = 0; i < n && cur; i++) {
		const char *c = comps[i];
		char *real = NULL;
		if (*c && strcmp(c, ".") && strcmp(c, ".."))
			real = find_dir_ci(cur, c);
		char *next = real ? xasprintf("%s/%s", cur, real) : NULL;
		free(real);
		free(cur);
		cur = next;
	}
	return cur;
}

/* split_winpath: components of a Windows path, without drive or empty parts */
static size_t split_winpath(const char *path, char ***comps_r)
{
	char *copy = xstrdup(path);
	char **comps = NULL;
	size_t n = 0;
	for (char *p = copy; *p; p++)
		if (*p == '/')
			*p = '\\';
	char *save = NULL;
	for (char *tok = strtok_r(copy, "\\", &save); tok; tok = strtok_r(NULL, "\\", &save)) {
		if (n == 0 && strlen(tok) == 2 && tok[1] == ':')
			continue;	/* drive letter */
		comps = xreallocarray(comps, n + 1, sizeof(*comps));
		comps[n++] = xstrdup(tok);
	}
	free(copy);
	*comps_r = comps;
	return n;
}

static void free_comps(char **comps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(comps[i]);
	free(comps);
}

/* map_prefix: apply one "WINPREFIX=LOCALDIR" to winpath, or NULL */
static char *map_prefix(const char *map, const char *winpath)
{
	const char *eq = strchr(map, '=');
	if (!eq)
		return NULL;
	char *prefix = xstrndup(map, (size_t)(eq - map));
	char **pc, **wc;
	size_t np = split_winpath(prefix, &pc), nw = split_winpath(winpath, &wc);
	bool drive_ok = true;
	if (strlen(prefix) >= 2 && prefix[1] == ':' && strlen(winpath) >= 2)
		drive_ok = winpath[1] == ':' &&
			   (prefix[0] | 0x20) == (winpath[0] | 0x20);
	char *res = NULL;
	bool match = drive_ok && np <= nw;
	for (size_t i = 0; match && i < np; i++)
		match = !strcasecmp(pc[i], wc[i]);
	if (match)
		res = md_resolve_ci(eq + 1, wc + np, nw - np);
	free_comps(pc, np);
	free_comps(wc, nw);
	free(prefix);
	return res;
}

static char *map_maildir(const char *source, const struct reader_settings *set,
			 const char *winpath)
{
	for (size_t i = 0; i < set->nmaps; i++) {
		char *p = map_prefix(set->maps[i], winpath);
		if (p)
			return p;
	}
	char **comps;
	size_t n = split_winpath(winpath, &comps);
	char *res = NULL;
	for (size_t i = 0; !res && i + 2 <= n; i++)
		res = md_resolve_ci(source, comps + i, n - i);
	free_comps(comps, n);
	return res;
}

static struct md_account *add_account(struct md_accounts *a, const char *domain,
				      const char *mailbox, const char *full_name,
				      char *path, const char *origin, char *problem)
{
	a->v = xreallocarray(a->v, a->count + 1, sizeof(*a->v));
	struct md_account *acc = &a->v[a->count++];
	acc->domain = xstrdup(domain);
	acc->mailbox = xstrdup(mailbox);
	acc->full_name = xstrdup(full_name);
	acc->path = path;
	acc->origin = xstrdup(origin);
	acc->problem = problem;
	acc->shared_with = NULL;
	acc->winpath = NULL;
	acc->line = 0;
	acc->has_id = false;
	acc->dev = 0;
	acc->ino = 0;
	acc->access = acc->apply_quotas = '\0';
	acc->max_messages = acc->max_disk_kb = -1;
	acc->is_public = false;
	return acc;
}

/*
 * claim: whether the walked directory (domain/mailbox, st) is already an
 * account.  Same directory: yes.  A userlist.dat account of the same name
 * whose MailDir was not found takes this directory (with a warning).
 * Names differing only in case are different mailboxes on this side.
 */
static bool claim(struct md_accounts *a, const char *domain, const char *mailbox,
		  const char *path, const struct stat *st, struct diag *d)
{
	for (size_t i = 0; i < a->count; i++)	/* ids: no system call per pair */
		if (a->v[i].has_id && a->v[i].dev == st->st_dev &&
		    a->v[i].ino == st->st_ino)
			return true;
	for (size_t i = 0; i < a->count; i++) {
		struct md_account *acc = &a->v[i];
		if (acc->path || strcasecmp(acc->domain, domain) ||
		    strcasecmp(acc->mailbox, mailbox))
			continue;
		diag_warn(d, "%s@%s: %s; using '%s', found under Users", acc->mailbox,
			  acc->domain, acc->problem, path);
		acc->path = xstrdup(path);
		acc->has_id = true;
		acc->dev = st->st_dev;
		acc->ino = st->st_ino;
		free(acc->problem);
		acc->problem = NULL;
		free(acc->winpath);
		acc->winpath = NULL;
		return true;
	}
	return false;
}

struct ul_read {
	struct userlist_entry *v;
	size_t count, alloc;
	size_t *slots;		/* open addressing: 1 + index into v; 0 = free */
	size_t nslots;		/* a power of two, at least twice count */
	size_t refused, repeats;
	bool capped;
	struct diag *d;
	const char *app, *name;
};

/* key_hash: FNV-1a of "mailbox@domain" in ASCII lower case (Windows names) */
static size_t key_hash(const struct userlist_entry *e)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (int part = 0; part < 2; part++) {
		for (const unsigned char *p = (const unsigned char *)(part ? e->domain : e->mailbox);
		     *p; p++) {
			unsigned char c = *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p | 0x20) : *p;
			h = (h ^ c) * 0x100000001b3u;
		}
		h = (h ^ '@') * 0x100000001b3u;
	}
	return (size_t)h;
}

static bool same_account(const struct userlist_entry *a, const struct userlist_entry *b)
{
	return !strcasecmp(a->domain, b->domain) && !strcasecmp(a->mailbox, b->mailbox);
}

/* ul_find: the slot holding e's account, or the free one where it goes */
static size_t *ul_find(struct ul_read *u, const struct userlist_entry *e)
{
	size_t mask = u->nslots - 1;
	for (size_t i = key_hash(e) & mask;; i = (i + 1) & mask)
		if (!u->slots[i] || same_account(&u->v[u->slots[i] - 1], e))
			return &u->slots[i];
}

static void ul_grow(struct ul_read *u)
{
	size_t *old = u->slots, n = u->nslots;
	u->nslots = n ? n * 2 : 256;
	u->slots = xcalloc(u->nslots, sizeof(*u->slots));
	for (size_t i = 0; i < n; i++)
		if (old[i])
			*ul_find(u, &u->v[old[i] - 1]) = old[i];
	free(old);
}

/*
 * ul_account: keep a new account; a line naming an account an earlier line
 * named is dropped at once (warned about, bounded), so repeats cost nothing.
 */
static bool ul_account(void *ctx, struct userlist_entry *e)
{
	struct ul_read *u = ctx;
	if (2 * (u->count + 1) > u->nslots)
		ul_grow(u);
	size_t *slot = ul_find(u, e);
	if (*slot) {
		const struct userlist_entry *first = &u->v[*slot - 1];
		if (++u->repeats <= UL_WARN_EACH)
			diag_warn(u->d, "%s/%s: line %zu: account %s@%s again (first on "
				  "line %zu); ignored", u->app, u->name, e->line,
				  e->mailbox, e->domain, first->line);
		userlist_entry_release(e);
		return true;
	}
	if (u->count == USERLIST_ACCOUNTS_MAX) {
		u->capped = true;
		userlist_entry_release(e);
		return false;
	}
	if (u->count == u->alloc) {
		u->alloc = u->alloc ? u->alloc * 2 : 64;
		u->v = xreallocarray(u->v, u->alloc, sizeof(*u->v));
	}
	u->v[u->count++] = *e;
	*slot = u->count;
	return true;
}

static void ul_refused(void *ctx, size_t lineno, const char *reason)
{
	struct ul_read *u = ctx;
	if (++u->refused <= UL_WARN_EACH)
		diag_warn(u->d, "%s/%s: line %zu: %s; ignored", u->app, u->name,
			  lineno, reason);
}

struct acc_ref {		/* an account, as qsort moves it */
	struct md_account *acc;
};

static int cmp_account_id(const void *a, const void *b)
{
	const struct md_account *x = ((const struct acc_ref *)a)->acc;
	const struct md_account *y = ((const struct acc_ref *)b)->acc;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * mark_shared: userlist.dat accounts [first, count) whose MailDirs are one
 * directory (device and inode of the opened directory): the first in
 * userlist.dat order keeps it, the others are not read.  Sorting keeps
 * this O(n log n) for big userlists.
 */
static void mark_shared(struct md_accounts *a, size_t first, struct diag *d)
{
	size_t n = 0;
	struct acc_ref *by = xreallocarray(NULL, a->count - first + 1, sizeof(*by));
	for (size_t i = first; i < a->count; i++) {
		struct md_account *acc = &a->v[i];
		if (!acc->path)
			continue;
		int fd = open_dir_at(AT_FDCWD, acc->path);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			acc->has_id = true;
			acc->dev = st.st_dev;
			acc->ino = st.st_ino;
			by[n++].acc = acc;
		}
		if (fd >= 0)
			close(fd);
	}
	if (n > 1)
		qsort(by, n, sizeof(*by), cmp_account_id);
	for (size_t i = 1, keep = 0; i < n; i++) {
		if (by[i].acc->dev != by[keep].acc->dev || by[i].acc->ino != by[keep].acc->ino) {
			keep = i;
			continue;
		}
		const struct md_account *k = by[keep].acc;
		struct md_account *s = by[i].acc;
		diag_warn(d, "%s@%s (userlist.dat line %zu) and %s@%s (line %zu) have the "
			  "same MailDir '%s'; it is exported once, as %s@%s", k->mailbox,
			  k->domain, k->line, s->mailbox, s->domain, s->line, k->path,
			  k->mailbox, k->domain);
		s->shared_with = xasprintf("%s@%s", k->mailbox, k->domain);
	}
	free(by);
}

static void read_userlist(const char *source, const char *app,
			  const struct reader_settings *set, struct diag *d,
			  struct md_accounts *out)
{
	/*
	 * An App folder or userlist.dat that cannot be read is an error: the
	 * accounts whose MailDir is outside Users/ cannot be found without it.
	 */
	int fd = open_dir_at(AT_FDCWD, app);
	struct dirlist dl;
	if (fd < 0 || dirlist_read(fd, &dl) < 0) {
		diag_error(d, "cannot read '%s': %s; finding accounts by walking "
			   "Users/ only", app, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	const struct dent *e = dirlist_find_ci(&dl, "userlist.dat");
	if (e && e->type == DENT_LINK) {
		diag_warn(d, "'%s/%s' is a symbolic link; not followed; finding "
			  "accounts by walking Users/ only", app, e->name);
		e = NULL;
	}
	int ufd = e ? open_file_at(fd, e->name) : -1;
	struct stat st;
	struct ul_read u = { .d = d, .app = app, .name = e ? e->name : "" };
	if (e && (ufd < 0 || fstat(ufd, &st) < 0 || !S_ISREG(st.st_mode) ||
		  userlist_read(ufd, ul_account, ul_refused, &u) < 0)) {
		if (ufd >= 0 && fstat(ufd, &st) == 0 && !S_ISREG(st.st_mode))
			errno = EINVAL;
		diag_error(d, "cannot read '%s/%s': %s; finding accounts by "
			   "walking Users/ only", app, e->name, strerror(errno));
	}
	if (ufd >= 0)
		close(ufd);
	if (u.refused > UL_WARN_EACH)
		diag_warn(d, "%s/%s: %zu more lines like these; ignored", app, u.name,
			  u.refused - UL_WARN_EACH);
	if (u.capped)
		diag_error(d, "'%s/%s' holds more than %d accounts; the lines after line "
			   "%zu are not read", app, u.name, USERLIST_ACCOUNTS_MAX,
			   u.v[u.count - 1].line);
	if (u.repeats > UL_WARN_EACH)
		diag_warn(d, "%s/%s: %zu more lines naming an account again; ignored",
			  app, u.name, u.repeats - UL_WARN_EACH);
	free(u.slots);
	size_t first = out->count;
	for (size_t i = 0; i < u.count; i++) {
		struct userlist_entry *ue = &u.v[i];
		char *path = map_maildir(source, set, ue->maildir);
		char *problem = path ? NULL :
			xasprintf("MailDir '%s' (userlist.dat line %zu) was not found "
				  "under SOURCE; use --map 'WINPREFIX=LOCALDIR'",
				  ue->maildir, ue->line);
		struct md_account *acc = add_account(out, ue->domain, ue->mailbox,
						     ue->full_name, path, "userlist.dat",
						     problem);
		acc->line = ue->line;
		acc->winpath = path ? NULL : xstrdup(ue->maildir);
		acc->access = ue->access;
		acc->apply_quotas = ue->apply_quotas;
		acc->max_messages = ue->max_messages;
		acc->max_disk_kb = ue->max_disk_kb;
		userlist_entry_release(ue);
	}
	free(u.v);
	mark_shared(out, first, d);
	dirlist_release(&dl);
	close(fd);
}

/* walk_domain: add every mailbox folder of one Users/<domain> folder */
static void walk_domain(const char *domdir, const char *domain,
			struct md_accounts *out, struct diag *d)
{
	int fd = open_dir_at(AT_FDCWD, domdir);
	struct dirlist dl;
	if (fd < 0 || dirlist_read(fd, &dl) < 0) {
		diag_error(d, "cannot read domain folder '%s': %s", domdir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < dl.count; i++) {
		const struct dent *e = &dl.ents[i];
		if (e->type == DENT_LINK)
			diag_warn(d, "'%s/%s' is a symbolic link; not followed", domdir, e->name);
		if (e->type != DENT_DIR || md_skip_dir(e->name))
			continue;
		char *path = xasprintf("%s/%s", domdir, e->name);
		struct stat st;
		struct sbuf box = SBUF_INIT;
		wintext_to_utf8(&box, e->name, strlen(e->name));
		if (fstatat(fd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !claim(out, domain, box.buf, path, &st, d)) {
			struct md_account *acc = add_account(out, domain, box.buf, "",
							     path, "Users/", NULL);
			acc->has_id = true;
			acc->dev = st.st_dev;
			acc->ino = st.st_ino;
		} else
			free(path);
		sbuf_release(&box);
	}
	dirlist_release(&dl);
	close(fd);
}

static void walk_users(const char *users, struct md_accounts *out, struct diag *d)
{
	int fd = open_dir_at(AT_FDCWD, users);
	struct dirlist dl;
	if (fd < 0 || dirlist_read(fd, &dl) < 0) {
		diag_error(d, "cannot read '%s': %s", users, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < dl.count; i++) {
		const struct dent *e = &dl.ents[i];
		if (e->type == DENT_LINK)
			diag_warn(d, "'%s/%s' is a symbolic link; not followed", users, e->name);
		if (e->type != DENT_DIR || md_skip_dir(e->name))
			continue;
		char *domdir = xasprintf("%s/%s", users, e->name);
		struct sbuf dom = SBUF_INIT;
		wintext_to_utf8(&dom, e->name, strlen(e->name));
		walk_domain(domdir, dom.buf, out, d);
		sbuf_release(&dom);
		free(domdir);
	}
	dirlist_release(&dl);
	close(fd);
}

/* looks_like_mailbox: holds an IMAP.MRK, a HIWATER.MRK, a .msg or a .IMAP folder */
static bool looks_like_mailbox(const char *dir)
{
	int fd = open_dir_at(AT_FDCWD, dir);
	struct dirlist dl;
	if (fd < 0)
		return false;
	bool yes = false;
	if (dirlist_read(fd, &dl) == 0) {
		for (size_t i = 0; i < dl.count && !yes; i++) {
			const char *n = dl.ents[i].name;
			yes = !strcasecmp(n, "IMAP.MRK") || !strcasecmp(n, "HIWATER.MRK") ||
			      (dl.ents[i].type == DENT_FILE && has_suffix_ci(n, ".msg")) ||
			      (dl.ents[i].type == DENT_DIR && has_suffix_ci(n, ".IMAP"));
		}
		dirlist_release(&dl);
	}
	close(fd);
	return yes;
}

static int cmp_account(const void *a, const void *b)
{
	const struct md_account *x = a, *y = b;
	int c = strcasecmp(x->domain, y->domain);
	if (!c)
		c = strcasecmp(x->mailbox, y->mailbox);
	if (!c)
		c = strcmp(x->domain, y->domain);
	return c ? c : strcmp(x->mailbox, y->mailbox);
}

/* base_name_of: last component of path (path has no trailing slash) */
static const char *base_name_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void add_single_mailbox(const char *source, struct md_accounts *out)
{
	char *parent = xstrdup(source);
	char *slash = strrchr(parent, '/');
	const char *domain = "";
	if (slash && slash != parent) {
		*slash = '\0';
		domain = base_name_of(parent);
	}
	struct sbuf dom = SBUF_INIT, box = SBUF_INIT;
	wintext_to_utf8(&dom, domain, strlen(domain));
	wintext_to_utf8(&box, base_name_of(source), strlen(base_name_of(source)));
	add_account(out, dom.buf, box.buf, "", xstrdup(source), "SOURCE", NULL);
	sbuf_release(&dom);
	sbuf_release(&box);
	free(parent);
}

/*
 * add_public: SOURCE's "Public Folders" (any case) as the last mailbox;
 * a link there is warned about and not followed
 */
static void add_public(const char *source, struct md_accounts *out, struct diag *d)
{
	char *name = find_dir_ci(source, MD_PUBLIC_DIR);
	if (!name) {
		warn_if_link_ci(source, MD_PUBLIC_DIR, d);
		return;
	}
	struct md_account *acc = add_account(out, MD_PUBLIC_DOMAIN, MD_PUBLIC_MAILBOX,
					     MD_PUBLIC_MAILBOX,
					     xasprintf("%s/%s", source, name),
					     MD_PUBLIC_DIR "/", NULL);
	acc->is_public = true;
	free(name);
}

int md_find_accounts(const char *source_arg, const struct reader_settings *set,
		     struct diag *d, struct md_accounts *out, struct sbuf *err)
{
	memset(out, 0, sizeof(*out));
	char *source = realpath(source_arg, NULL);
	struct stat st;
	if (!source || stat(source, &st) < 0 || !S_ISDIR(st.st_mode)) {
		sbuf_addf(err, "cannot open SOURCE '%s': %s", source_arg,
			  source ? strerror(ENOTDIR) : strerror(errno));
		free(source);
		return -1;
	}
	if (access(source, R_OK | X_OK) < 0) {
		sbuf_addf(err, "cannot read SOURCE '%s': %s", source_arg, strerror(errno));
		free(source);
		return -1;
	}
	char *users = find_dir_ci(source, "Users");
	if (!users)
		warn_if_link_ci(source, "Users", d);
	int ret = 0;
	if (users) {			/* the MDaemon root */
		char *app = find_dir_ci(source, "App");
		if (!app)
			warn_if_link_ci(source, "App", d);
		char *app_path = app ? xasprintf("%s/%s", source, app) : NULL;
		char *users_path = xasprintf("%s/%s", source, users);
		if (app_path)
			read_userlist(source, app_path, set, d, out);
		walk_users(users_path, out, d);
		out->map_hint = md_suggest_map(source, users_path, out);	/* issue 16 */
		free(app);
		free(app_path);
		free(users_path);
	} else if (!strcasecmp(base_name_of(source), "Users")) {
		walk_users(source, out, d);
	} else if (looks_like_mailbox(source)) {
		add_single_mailbox(source, out);
	} else {
		sbuf_addf(err, "'%s' does not look like an MDaemon store: it has no "
			  "Users folder and no mailbox files (IMAP.MRK, *.msg, *.IMAP)",
			  source_arg);
		ret = -1;
	}
	if (out->count)
		qsort(out->v, out->count, sizeof(*out->v), cmp_account);
	if (users && !(set && set->no_public_folders))	/* an MDaemon root: after the accounts */
		add_public(source, out, d);
	free(users);
	free(source);
	return ret;
}

void md_accounts_release(struct md_accounts *a)
{
	for (size_t i = 0; i < a->count; i++) {
		free(a->v[i].domain);
		free(a->v[i].mailbox);
		free(a->v[i].full_name);
		free(a->v[i].path);
		free(a->v[i].origin);
		free(a->v[i].problem);
		free(a->v[i].shared_with);
		free(a->v[i].winpath);
	}
	free(a->v);
	free(a->map_hint);
	memset(a, 0, sizeof(*a));
}
