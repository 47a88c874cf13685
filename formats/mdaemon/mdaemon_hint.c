/*
 * issue 16: the --map to suggest for the accounts whose MailDir, as
 * userlist.dat names it, was not found under SOURCE.  Hundreds of such
 * accounts are one problem (their mail folders were copied somewhere
 * else, or not at all), so the converter says it once, with the --map
 * that would find them: their common Windows prefix, cut where MDaemon's
 * layout puts the domain folder (Users\<domain>\<mailbox>\), and the
 * local folder that holds the rest: a folder of the prefix's last name
 * beside SOURCE where the first account's folder is, else SOURCE's own
 * Users folder (where a copy of the mail folders belongs).
 * Only directory listings are read (nothing is opened below them).
 */
#include "mdaemon/mdaemon.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "mdaemon/mdaemon_fs.h"

struct wparts {
	char **v;
	size_t n;
};

/* wsplit: a Windows path's components, the drive ("D:") kept as the first */
static void wsplit(const char *path, struct wparts *p)
{
	char *copy = xstrdup(path), *save = NULL;
	p->v = NULL;
	p->n = 0;
	for (char *c = copy; *c; c++)
		if (*c == '/')
			*c = '\\';
	for (char *t = strtok_r(copy, "\\", &save); t; t = strtok_r(NULL, "\\", &save)) {
		p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
		p->v[p->n++] = xstrdup(t);
	}
	free(copy);
}

static void wfree(struct wparts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static bool missing(const struct md_account *acc)
{
	return acc->winpath && !acc->path && !acc->shared_with;
}

/*
 * common_len: how many leading components every missing account's path
 * shares (any case, as Windows names them), leaving each at least its last
 */
static size_t common_len(const struct md_accounts *a, const struct wparts *first)
{
	size_t k = first->n ? first->n - 1 : 0;
	for (size_t i = 0; i < a->count && k; i++) {
		if (!missing(&a->v[i]))
			continue;
		struct wparts w;
		wsplit(a->v[i].winpath, &w);
		size_t j = 0;
		while (j < k && j + 1 < w.n && !strcasecmp(w.v[j], first->v[j]))
			j++;
		k = j;
		wfree(&w);
	}
	return k;
}

/* sibling: a folder named like the prefix's end beside SOURCE holding rest; else NULL */
static char *sibling(const char *source, const char *name, char *const *rest, size_t nrest)
{
	char *parent = xstrdup(source);
	char *slash = strrchr(parent, '/');
	char *found = NULL;
	if (slash && slash != parent) {
		*slash = '\0';
		char *const top[] = { (char *)name };
		char *dir = md_resolve_ci(parent, top, 1);
		char *there = dir ? md_resolve_ci(dir, rest, nrest) : NULL;
		if (there)
			found = xstrdup(dir);
		free(there);
		free(dir);
	}
	free(parent);
	return found;
}

char *md_suggest_map(const char *source, const char *users, const struct md_accounts *a)
{
	const struct md_account *one = NULL;
	for (size_t i = 0; i < a->count && !one; i++)
		if (missing(&a->v[i]))
			one = &a->v[i];
	if (!one)
		return NULL;
	struct wparts first;
	wsplit(one->winpath, &first);
	size_t k = common_len(a, &first);
	/* MDaemon's layout: ...\Users\<domain>\<mailbox>\: the prefix ends before the domain */
	for (size_t j = 1; j < k; j++)
		if (!strcasecmp(first.v[j], one->domain))
			k = j;
	bool drive_only = k == 1 && strlen(first.v[0]) == 2 && first.v[0][1] == ':';
	char *hint = NULL;
	if (k && !drive_only) {
		struct sbuf prefix = SBUF_INIT;
		for (size_t j = 0; j < k; j++)
			sbuf_addf(&prefix, "%s\\", first.v[j]);
		char *dir = sibling(source, first.v[k - 1], first.v + k, first.n - k);
		hint = xasprintf("%s=%s", prefix.buf, dir ? dir : users);
		free(dir);
		sbuf_release(&prefix);
	}
	wfree(&first);
	return hint;
}
