/*
 * verify: what DIR holds besides the exports its manifests describe (issue
 * 16).  An export is evidence: a file in it that no manifest accounts for
 * (another format's output left beside a new one, a file added by hand, a
 * run's working folder) is named, and verify does not say "everything
 * verifies".  A manifest describes, in its domain folder: itself, the
 * output its run line names, and that output's rounds and parts
 * (NAME.round-NNN.jsonl, NAME.round-NNN.pst, NAME-NNN.pst).
 */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "verify.h"
#include "verify_cmd.h"
#include "seal.h"	/* issue 16 */

#define MANIFEST_SUFFIX ".manifest.jsonl"

/* an output a manifest names: its stem (the escaped mailbox) and suffix (".pst" or "") */
struct owner {
	char *stem, *suffix;
};

/* digits_then: name at p is 3 or more digits and then exactly tail */
static bool digits_then(const char *p, const char *tail)
{
	size_t n = 0;
	while (g_ascii_isdigit(p[n]))
		n++;
	return n >= 3 && !strcmp(p + n, tail);
}

/* part_of: a round's manifest or part, or a split part, of the owner's output */
static bool part_of(const struct owner *o, const char *name)
{
	size_t n = strlen(o->stem);
	if (strncmp(name, o->stem, n))
		return false;
	const char *rest = name + n;
	if (!strncmp(rest, ".round-", 7))
		return digits_then(rest + 7, ".jsonl") ||
		       (*o->suffix && digits_then(rest + 7, o->suffix));
	return *o->suffix && rest[0] == '-' && digits_then(rest + 1, o->suffix);
}

/* read_owner: the output a manifest's run line names; false when it has none readable */
static bool read_owner(const char *path, const char *manifest, struct owner *o)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	struct sbuf line = SBUF_INIT, err = SBUF_INIT;
	struct mf_run run;
	bool newline, ok = mf_read_line(f, &line, &newline) >= 0 &&
			   mf_parse_run(line.buf, line.len, &run, &err) == 0;
	fclose(f);
	sbuf_release(&line);
	sbuf_release(&err);
	if (!ok)
		return false;
	const char *leaf = run.output ? strrchr(run.output, '/') : NULL;
	leaf = leaf ? leaf + 1 : run.output ? run.output : "";
	size_t stem_len = strlen(manifest) - strlen(MANIFEST_SUFFIX);
	o->stem = xstrndup(manifest, stem_len);
	o->suffix = xstrdup(!strncmp(leaf, o->stem, stem_len) ? leaf + stem_len : "");
	mf_run_release(&run);
	return true;
}

/* domain_folder: every name in DIR/<dom> that no manifest there describes */
static void domain_folder(struct vrun *run, const char *dom)
{
	char *sub = g_build_filename(run->o->output, dom, NULL);
	GDir *d = g_dir_open(sub, 0, NULL);
	GArray *owners = g_array_new(FALSE, FALSE, sizeof(struct owner));
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		struct owner o;
		char *path = g_build_filename(sub, name, NULL);
		if (g_str_has_suffix(name, MANIFEST_SUFFIX) && read_owner(path, name, &o))
			g_array_append_val(owners, o);
		g_free(path);
	}
	if (d)
		g_dir_rewind(d);
	while (d && (name = g_dir_read_name(d))) {
		bool described = g_str_has_suffix(name, MANIFEST_SUFFIX);
		for (guint i = 0; !described && i < owners->len; i++) {
			const struct owner *o = &g_array_index(owners, struct owner, i);
			described = (!strncmp(name, o->stem, strlen(o->stem)) &&
				     !strcmp(name + strlen(o->stem), o->suffix)) || part_of(o, name);
		}
		if (!described) {
			char *rel = g_strdup_printf("%s/%s", dom, name);
			vreport_unlisted(&run->rep, rel, "in DIR, but no manifest describes it");
			g_free(rel);
		}
	}
	for (guint i = 0; i < owners->len; i++) {
		free(g_array_index(owners, struct owner, i).stem);
		free(g_array_index(owners, struct owner, i).suffix);
	}
	g_array_free(owners, TRUE);
	if (d)
		g_dir_close(d);
	g_free(sub);
}

void verify_unlisted(struct vrun *run)
{
	const char *dir = run->o->output;
	GDir *top = g_dir_open(dir, 0, NULL);
	const char *name;
	while (top && (name = g_dir_read_name(top))) {
		char *path = g_build_filename(dir, name, NULL);
		bool link = g_file_test(path, G_FILE_TEST_IS_SYMLINK);
		bool folder = g_file_test(path, G_FILE_TEST_IS_DIR) && !link;
		g_free(path);
		if (seal_owned(name) && !folder && !link)	/* issue 16: the seal's own files */
			continue;
		if (!strcmp(name, ".mdexport"))
			vreport_unlisted(&run->rep, name, "the working folder of an export that was "
					 "cut short (the next export into DIR clears it)");
		else if (folder)
			domain_folder(run, name);
		else
			vreport_unlisted(&run->rep, name, "in DIR, but no manifest describes it");
	}
	if (top)
		g_dir_close(top);
}
