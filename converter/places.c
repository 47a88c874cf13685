#include "places.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xalloc.h"

void places_release(struct places *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].what);
		free(p->v[i].path);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void places_add_id(struct places *p, const char *what, const char *path, const struct fileid *id)
{
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 8;
		p->v = xreallocarray(p->v, p->alloc, sizeof(*p->v));
	}
	p->v[p->n++] = (struct place){ .what = xstrdup(what), .path = xstrdup(path), .id = *id };
}

void places_add(struct places *p, const char *what, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		places_add_id(p, what, path, &(struct fileid){ .dev = st.st_dev, .ino = st.st_ino });
}

/* holds: the place lies in (or is) the folder id */
static bool holds(const struct fileid *id, const struct place *pl)
{
	char *real = realpath(pl->path, NULL);
	size_t which;
	bool hit = real && path_hits(real, id, 1, &which) == 1;
	free(real);
	return hit;
}

int places_refuse(const struct places *p, const char *opt, const char *path, bool contain,
		  struct sbuf *err)
{
	char *resolved = path_resolve_future(path, err);
	if (!resolved)
		return -1;
	struct fileid *ids = xcalloc(p->n + 1, sizeof(*ids));
	for (size_t i = 0; i < p->n; i++)
		ids[i] = p->v[i].id;
	size_t which = 0;
	int ret = 0;
	if (path_hits(resolved, ids, p->n, &which) == 1) {
		sbuf_addf(err, "%s '%s' (%s) is inside %s '%s', which is never written to",
			  opt, path, resolved, p->v[which].what, p->v[which].path);
		ret = -1;
	}
	struct stat st;
	if (!ret && contain && stat(resolved, &st) == 0) {
		struct fileid self = { .dev = st.st_dev, .ino = st.st_ino };
		for (size_t i = 0; i < p->n && !ret; i++) {
			if (!holds(&self, &p->v[i]))
				continue;
			sbuf_addf(err, "%s '%s' (%s) holds %s '%s', which is never written to",
				  opt, path, resolved, p->v[i].what, p->v[i].path);
			ret = -1;
		}
	}
	free(ids);
	free(resolved);
	return ret;
}
