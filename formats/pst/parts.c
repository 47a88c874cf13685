/* The part files of a mailbox's PST (parts.h). */
#include "pst/parts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>

#include "core/sysio.h"
#include "core/xalloc.h"
#include "pst/ndbw.h"

/* part_dir: the working folder of part k (k >= 1: the second part and on) */
static char *part_dir(size_t k)
{
	return xasprintf("part-%03zu", k + 1);
}

/* part_name: part k's name in the domain folder, without ".pst" */
static char *part_name(const struct pst_parts *ps, size_t k)
{
	return k ? xasprintf("%s-%03zu", ps->name, k + 1) : xstrdup(ps->name);
}

/*
 * record_key: the store's record key, derived from the mailbox (re-runs
 * match); a later part's from the part number too, so that two parts of a
 * mailbox open side by side in Outlook are two stores
 */
static void record_key(const struct pst_parts *ps, size_t k, uint8_t out[16])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, (const guchar *)ps->domain, (gssize)strlen(ps->domain));
	g_checksum_update(ck, (const guchar *)"/", 1);
	g_checksum_update(ck, (const guchar *)ps->mailbox, (gssize)strlen(ps->mailbox));
	if (k) {
		char num[32];
		snprintf(num, sizeof(num), "/part %zu", k + 1);
		g_checksum_update(ck, (const guchar *)num, (gssize)strlen(num));
	}
	guint8 digest[32];
	gsize len = sizeof(digest);
	g_checksum_get_digest(ck, digest, &len);
	g_checksum_free(ck);
	memcpy(out, digest, 16);
}

/* begin_part: part k's staging file and ndb */
static int begin_part(struct pst_parts *ps, size_t k, struct sbuf *err)
{
	ps->v = xreallocarray(ps->v, k + 1, sizeof(struct pst_part *));
	struct pst_part *p = ps->v[k] = xcalloc(1, sizeof(*p));
	p->work = (struct tree)TREE_INIT;
	p->stage.file_fd = -1;
	ps->n = k + 1;
	ps->cur = k;
	struct out_target t = ps->t;
	char *name = part_name(ps, k);
	if (k) {
		char *dir = part_dir(k);
		int ret = tree_sub(&p->work, ps->t.work, dir, true, err);
		free(dir);
		if (ret < 0) {
			free(name);
			return -1;
		}
		t.work = &p->work;
	}
	t.name = name;
	int ret = stage_begin_file(&p->stage, &t, ".pst", err);
	free(name);
	if (ret < 0)
		return -1;
	p->final = xstrdup(p->stage.final);
	char *display = stage_partial_display(&p->stage);
	p->ndb = pst_ndb_create_fd(p->stage.file_fd, t.work->fd, display, err);
	free(display);
	if (!p->ndb)
		return -1;
	record_key(ps, k, p->record_key);
	p->store_name = k ? xasprintf("%s@%s (part %zu)", ps->mailbox, ps->domain, k + 1) :
			    xasprintf("%s@%s", ps->mailbox, ps->domain);
	return 0;
}

/* remove_stale_dirs: the part working folders a killed run left */
static void remove_stale_dirs(const struct out_target *t)
{
	struct sbuf ignored = SBUF_INIT;
	for (size_t k = 1;; k++) {
		char *dir = part_dir(k);
		struct stat sb;
		bool there = fstatat(t->work->fd, dir, &sb, AT_SYMLINK_NOFOLLOW) == 0;
		if (there)
			tree_remove(t->work->fd, dir, "", &ignored);
		free(dir);
		if (!there)
			break;
	}
	sbuf_release(&ignored);
}

int pst_parts_open(struct pst_parts *ps, const struct out_target *t, const struct mail_box *box,
		   struct sbuf *err)
{
	memset(ps, 0, sizeof(*ps));
	ps->t = *t;
	ps->name = xstrdup(t->name);
	ps->t.name = ps->name;
	ps->domain = xstrdup(box->domain);
	ps->mailbox = xstrdup(box->mailbox);
	ps->split_size = t->split_size;
	remove_stale_dirs(t);
	return begin_part(ps, 0, err);
}

int pst_parts_next(struct pst_parts *ps, struct sbuf *err)
{
	return begin_part(ps, ps->n, err);
}

struct pst_part *pst_parts_current(struct pst_parts *ps)
{
	return ps->v[ps->cur];
}

struct pst_ndb *pst_parts_ndb(struct pst_parts *ps)
{
	return ps->v[ps->cur]->ndb;
}

struct pst_part_folder *pst_parts_folder_of(struct pst_parts *ps, size_t k, size_t i)
{
	struct pst_part *p = ps->v[k];
	if (i >= p->nf) {
		p->f = xreallocarray(p->f, i + 1, sizeof(*p->f));
		memset(p->f + p->nf, 0, (i + 1 - p->nf) * sizeof(*p->f));
		p->nf = i + 1;
	}
	return &p->f[i];
}

struct pst_part_folder *pst_parts_folder(struct pst_parts *ps, size_t i)
{
	return pst_parts_folder_of(ps, ps->cur, i);
}

/* exists_in: name is in the domain folder */
static bool exists_in(const struct pst_parts *ps, const char *name)
{
	struct stat sb;
	return fstatat(ps->t.domain->fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* drop_manifest: the previous manifest removed (and that made durable); 0 or -1 + err */
static int drop_manifest(struct pst_parts *ps, struct sbuf *err)
{
	char *name = xasprintf("%s.manifest.jsonl", ps->name);
	int ret = 0;
	if (unlinkat(ps->t.domain->fd, name, 0) < 0 && errno != ENOENT) {
		char *d = tree_display(ps->t.domain, name);
		sbuf_addf(err, "cannot remove the previous manifest '%s': %s", d, strerror(errno));
		free(d);
		ret = -1;
	} else if (sys_fsync(ps->t.domain->fd) < 0) {
		sbuf_addf(err, "cannot sync '%s': %s", ps->t.domain->display, strerror(errno));
		ret = -1;
	}
	free(name);
	return ret;
}

/* remove_stale_parts: <mailbox>-NNN.pst past this export's last part */
static int remove_stale_parts(struct pst_parts *ps, struct sbuf *err)
{
	for (size_t k = ps->n;; k++) {
		char *base = part_name(ps, k);
		char *name = xasprintf("%s.pst", base);
		free(base);
		int ret = unlinkat(ps->t.domain->fd, name, 0);
		int e = errno;
		if (ret < 0 && e != ENOENT) {
			char *d = tree_display(ps->t.domain, name);
			sbuf_addf(err, "cannot remove the stale part '%s': %s", d, strerror(e));
			free(d);
		}
		free(name);
		if (ret < 0)
			return e == ENOENT ? 0 : -1;
	}
}

int pst_parts_commit(struct pst_parts *ps, struct sbuf *err)
{
	char *second = xasprintf("%s-002.pst", ps->name);
	bool many = ps->n > 1 || exists_in(ps, second);
	free(second);
	if (many && drop_manifest(ps, err) < 0)
		return -1;
	for (size_t k = ps->n; k-- > 0;)
		if (stage_commit(&ps->v[k]->stage, err) < 0)
			return -1;
	if (many && remove_stale_parts(ps, err) < 0)
		return -1;
	pst_parts_abort(ps);	/* the part working folders */
	return 0;
}

void pst_parts_abort(struct pst_parts *ps)
{
	for (size_t k = 0; k < ps->n; k++) {
		struct pst_part *p = ps->v[k];
		if (p->ndb)
			pst_ndb_abort(p->ndb);
		p->ndb = NULL;
		stage_abort(&p->stage);
		if (p->work.fd >= 0) {
			tree_close(&p->work);
			char *dir = part_dir(k);
			unlinkat(ps->t.work->fd, dir, AT_REMOVEDIR);
			free(dir);
		}
	}
}

void pst_parts_release(struct pst_parts *ps)
{
	pst_parts_abort(ps);
	for (size_t k = 0; k < ps->n; k++) {
		free(ps->v[k]->final);
		free(ps->v[k]->store_name);
		free(ps->v[k]->f);
		free(ps->v[k]);
	}
	free(ps->v);
	free(ps->name);
	free(ps->domain);
	free(ps->mailbox);
	memset(ps, 0, sizeof(*ps));
}
