/*
 * The output items that no manifest line accounts for.  The format's
 * read-back lists every item its output holds (core/check.h: files of a
 * tree, messages of a file, nodes of a PST); an item is extra unless a
 * line names it: a node by its ID, anything else by its file (a file that
 * holds many messages has been gone through by the format's reconcile,
 * which names the extras inside it).  Each extra is reported in the source
 * folder whose output holds it, when a line says which that is.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "verify_cmd.h"

void box_problem(void *ctx, const struct vproblem *p)
{
	struct vbox *b = ctx;
	vbox_problem(&b->rep, p);
}

struct extras {
	struct vbox *b;
	GHashTable *known;	/* output files the manifest accounts for */
	GHashTable *nodes;	/* node IDs the manifest accounts for */
	GHashTable *folder_of;	/* the output's name of a folder -> source folder */
};

/* folder_for: the source folder whose output is container */
static const char *folder_for(struct extras *x, const char *container)
{
	const char *f = container ? g_hash_table_lookup(x->folder_of, container) : NULL;
	return f ? f : container;
}

static bool known_file(void *ctx, const char *rel)
{
	struct extras *x = ctx;
	return g_hash_table_contains(x->known, rel);
}

static void an_item(void *ctx, const struct check_item *it)
{
	struct extras *x = ctx;
	if (it->has_node ? g_hash_table_contains(x->nodes, GUINT_TO_POINTER(it->node)) :
			   g_hash_table_contains(x->known, it->file))
		return;
	struct vproblem p = { .kind = VK_EXTRA, .folder = folder_for(x, it->container),
			      .output = it->file, .has_offset = it->has_range,
			      .offset = it->offset, .length = it->length,
			      .has_nid = it->has_node, .nid = it->node, .what = it->what };
	vbox_problem(&x->b->rep, &p);
}

/* known_items: what the manifest accounts for, and which folder each container holds */
static void known_items(struct extras *x)
{
	for (size_t i = 0; i < x->b->n; i++) {
		const struct mf_entry *e = &x->b->e[i];
		const struct check_line *c = &x->b->chk[i];
		if (!e->exported && e->reason != MF_REASON_REMOVED)	/* removed: its item is kept */
			continue;
		struct check_loc where = e->out;
		where.file = c->location ? c->location : e->out.file;
		g_hash_table_add(x->known, xstrdup(e->out.file));
		g_hash_table_add(x->known, xstrdup(where.file));
		if (e->out.has_node)
			g_hash_table_add(x->nodes, GUINT_TO_POINTER(e->out.node));
		struct sbuf container = SBUF_INIT;
		x->b->ops->container(&where, &container);
		g_hash_table_insert(x->folder_of, sbuf_detach(&container), e->folder);
	}
}

void out_extras(struct vbox *b)
{
	struct extras x = { b, g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
			    g_hash_table_new(g_direct_hash, g_direct_equal),
			    g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL) };
	known_items(&x);
	struct check_lister l = { known_file, an_item, &x };
	b->ops->list(b->out, &l);
	g_hash_table_destroy(x.known);
	g_hash_table_destroy(x.nodes);
	g_hash_table_destroy(x.folder_of);
}
