/*
 * The verify report: counts per folder, one line per problem, text or
 * JSON (README, "verify" documents both).  Text goes to stdout as each
 * mailbox ends; the JSON document is printed whole at the end.
 */
#include "verify_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "options.h"

const char *const vkind_names[VK_NKINDS] = {
	"verified", "skipped", "altered", "missing", "extra", "incomplete", "unreadable",
	"manifest",
};

void vreport_init(struct vreport *r, bool json, const char *source, const char *dir)
{
	memset(r, 0, sizeof(*r));
	r->json = json;
	sbuf_init(&r->doc);
	sbuf_init(&r->other);
	sbuf_init(&r->absent);
	sbuf_adds(&r->doc, "{\"source\": ");
	sbuf_add_json_str(&r->doc, source);
	sbuf_adds(&r->doc, ", \"output\": ");
	sbuf_add_json_str(&r->doc, dir);
	sbuf_adds(&r->doc, ", \"mailboxes\": [");
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void vbox_report_init(struct vbox_report *b, const char *mailbox, const char *format,
		      const char *output, const char *manifest)
{
	memset(b, 0, sizeof(*b));
	b->mailbox = xstrdup(mailbox);
	b->format = dup_or_null(format);
	b->output = xstrdup(output);
	b->manifest = dup_or_null(manifest);
}

struct vfolder_count *vbox_folder(struct vbox_report *b, const char *folder)
{
	for (size_t i = 0; i < b->nfolders; i++)
		if (!strcmp(b->folders[i].folder, folder))
			return &b->folders[i];
	b->folders = xreallocarray(b->folders, b->nfolders + 1, sizeof(*b->folders));
	struct vfolder_count *f = &b->folders[b->nfolders++];
	memset(f, 0, sizeof(*f));
	f->folder = xstrdup(folder);
	return f;
}

void vbox_count(struct vbox_report *b, const char *folder, enum vkind k)
{
	vbox_folder(b, folder)->n[k]++;
	b->n[k]++;
}

void vbox_problem(struct vbox_report *b, const struct vproblem *p)
{
	if (p->kind == VK_MANIFEST)
		b->n[VK_MANIFEST]++;
	else
		vbox_count(b, p->folder ? p->folder : "", p->kind);
	b->problems = xreallocarray(b->problems, b->nproblems + 1, sizeof(*b->problems));
	struct vproblem *q = &b->problems[b->nproblems++];
	*q = *p;
	q->folder = dup_or_null(p->folder);
	q->source = dup_or_null(p->source);
	q->output = dup_or_null(p->output);
	q->what = dup_or_null(p->what);
}

bool vbox_failed(const struct vbox_report *b)
{
	for (int k = VK_ALTERED; k < VK_NKINDS; k++)
		if (b->n[k])
			return true;
	return false;
}

static void vbox_release(struct vbox_report *b)
{
	for (size_t i = 0; i < b->nfolders; i++)
		free(b->folders[i].folder);
	for (size_t i = 0; i < b->nproblems; i++) {
		struct vproblem *p = &b->problems[i];
		free((char *)p->folder);
		free((char *)p->source);
		free((char *)p->output);
		free((char *)p->what);
	}
	free(b->folders);
	free(b->problems);
	free(b->mailbox);
	free(b->format);
	free(b->output);
	free(b->manifest);
}

/* ---- text ---------------------------------------------------------------- */

/* counts_text: "12 verified, 1 altered" (the kinds that are not 0); "nothing" */
static void counts_text(struct sbuf *out, const unsigned *n, bool all)
{
	size_t before = out->len;
	for (int k = 0; k < VK_NKINDS; k++) {
		if (!n[k] && !(all && k != VK_MANIFEST))
			continue;
		sbuf_addf(out, "%s%u %s", out->len > before ? ", " : "", n[k],
			  k == VK_MANIFEST ? (n[k] == 1 ? "manifest problem" : "manifest problems") :
			  vkind_names[k]);
	}
	if (out->len == before)
		sbuf_adds(out, "no messages");
}

static void location_text(struct sbuf *out, const struct vproblem *p)
{
	if (!p->output)
		return;
	sbuf_addf(out, "%s%s", p->source ? " -> " : "", p->output);
	if (p->has_offset)
		sbuf_addf(out, " at offset %llu (%llu bytes)", (unsigned long long)p->offset,
			  (unsigned long long)p->length);
	if (p->has_nid)
		sbuf_addf(out, " node 0x%x", p->nid);
}

static void problem_text(struct sbuf *out, const struct vproblem *p, const char *indent)
{
	sbuf_addf(out, "%s%s: ", indent, vkind_names[p->kind]);
	if (p->line)
		sbuf_addf(out, "line %u: ", p->line);
	if (p->source)
		sbuf_adds(out, p->source);
	location_text(out, p);
	if (p->what)
		sbuf_addf(out, "%s%s", p->source || p->output ? ": " : "", p->what);
	sbuf_addch(out, '\n');
}

static void box_text(const struct vbox_report *b, struct sbuf *out)
{
	sbuf_addf(out, "%s: %s, output %s, manifest %s\n", b->mailbox,
		  b->format ? b->format : "format unknown", b->output,
		  b->manifest ? b->manifest : "(none)");
	for (size_t i = 0; i < b->nfolders; i++) {
		const struct vfolder_count *f = &b->folders[i];
		sbuf_addf(out, "  %s: ", f->folder);
		counts_text(out, f->n, false);
		sbuf_addch(out, '\n');
		for (size_t j = 0; j < b->nproblems; j++)
			if (b->problems[j].kind != VK_MANIFEST && b->problems[j].folder &&
			    !strcmp(b->problems[j].folder, f->folder))
				problem_text(out, &b->problems[j], "    ");
	}
	for (size_t j = 0; j < b->nproblems; j++)
		if (b->problems[j].kind == VK_MANIFEST)
			problem_text(out, &b->problems[j], "  ");
	sbuf_addf(out, "%s: %s: ", b->mailbox, vbox_failed(b) ? "FAILED" : "verified");
	counts_text(out, b->n, true);
	sbuf_addch(out, '\n');
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_str_or_null(struct sbuf *j, const char *s)
{
	if (s)
		sbuf_add_json_str(j, s);
	else
		sbuf_adds(j, "null");
}

static void json_counts(struct sbuf *j, const unsigned *n, bool with_manifest)
{
	for (int k = 0; k < VK_NKINDS; k++)
		if (k != VK_MANIFEST || with_manifest)
			sbuf_addf(j, "%s\"%s\": %u", k ? ", " : "", vkind_names[k], n[k]);
}

static void json_problem(struct sbuf *j, const struct vproblem *p)
{
	sbuf_addf(j, "{\"kind\": \"%s\", \"folder\": ", vkind_names[p->kind]);
	json_str_or_null(j, p->folder);
	sbuf_adds(j, ", \"source\": ");
	json_str_or_null(j, p->source);
	sbuf_adds(j, ", \"output\": ");
	json_str_or_null(j, p->output);
	if (p->has_offset)
		sbuf_addf(j, ", \"offset\": %llu, \"length\": %llu",
			  (unsigned long long)p->offset, (unsigned long long)p->length);
	else
		sbuf_adds(j, ", \"offset\": null, \"length\": null");
	if (p->has_nid)
		sbuf_addf(j, ", \"nid\": %u", p->nid);
	else
		sbuf_adds(j, ", \"nid\": null");
	if (p->line)
		sbuf_addf(j, ", \"line\": %u", p->line);
	else
		sbuf_adds(j, ", \"line\": null");
	sbuf_adds(j, ", \"what\": ");
	json_str_or_null(j, p->what);
	sbuf_addch(j, '}');
}

static void box_json(const struct vbox_report *b, struct sbuf *j)
{
	sbuf_adds(j, "\n  {\"mailbox\": ");
	sbuf_add_json_str(j, b->mailbox);
	sbuf_adds(j, ", \"format\": ");
	json_str_or_null(j, b->format);
	sbuf_adds(j, ", \"output\": ");
	sbuf_add_json_str(j, b->output);
	sbuf_adds(j, ", \"manifest\": ");
	json_str_or_null(j, b->manifest);
	sbuf_addf(j, ", \"verified\": %s, \"counts\": {", vbox_failed(b) ? "false" : "true");
	json_counts(j, b->n, true);
	sbuf_adds(j, "},\n   \"folders\": [");
	for (size_t i = 0; i < b->nfolders; i++) {
		sbuf_adds(j, i ? ",\n     {\"folder\": " : "\n     {\"folder\": ");
		sbuf_add_json_str(j, b->folders[i].folder);
		sbuf_adds(j, ", ");
		json_counts(j, b->folders[i].n, false);
		sbuf_addch(j, '}');
	}
	sbuf_adds(j, "],\n   \"problems\": [");
	for (size_t i = 0; i < b->nproblems; i++) {
		sbuf_adds(j, i ? ",\n     " : "\n     ");
		json_problem(j, &b->problems[i]);
	}
	sbuf_adds(j, "]}");
}

void vreport_box(struct vreport *r, struct vbox_report *b)
{
	for (int k = 0; k < VK_NKINDS; k++)
		r->n[k] += b->n[k];
	if (r->json) {
		if (r->mailboxes)
			sbuf_addch(&r->doc, ',');
		box_json(b, &r->doc);
	} else {
		struct sbuf t = SBUF_INIT;
		box_text(b, &t);
		fputs(t.buf, stdout);
		sbuf_release(&t);
	}
	r->mailboxes++;
	vbox_release(b);
}

/* other_problem: a problem outside any mailbox, its text line starting with prefix */
static void other_problem(struct vreport *r, const char *prefix, const char *what,
			  const char *path)
{
	r->n[VK_MANIFEST]++;
	if (r->json) {
		sbuf_adds(&r->other, r->nother ? ",\n  {\"what\": " : "\n  {\"what\": ");
		sbuf_add_json_str(&r->other, what);
		sbuf_adds(&r->other, ", \"path\": ");
		sbuf_add_json_str(&r->other, path);
		sbuf_addch(&r->other, '}');
	} else {
		printf("%s: %s: %s\n", prefix, path, what);
	}
	r->nother++;
}

void vreport_other(struct vreport *r, const char *what, const char *path)
{
	other_problem(r, "manifest", what, path);
}

void vreport_unlisted(struct vreport *r, const char *path, const char *what)
{
	other_problem(r, "unlisted", what, path);
}

void vreport_not_in_dir(struct vreport *r, const char *mailbox)
{
	if (r->not_in_dir++)
		sbuf_adds(&r->absent, ", ");
	sbuf_add_json_str(&r->absent, mailbox);
}

int vreport_finish(struct vreport *r)
{
	bool failed = false;
	for (int k = VK_ALTERED; k < VK_NKINDS; k++)
		failed = failed || r->n[k];
	/* issue 16: a DIR holding no export of any mailbox of SOURCE verifies nothing */
	bool nothing = !r->mailboxes && r->not_in_dir;
	failed = failed || nothing;
	int status = failed ? EXIT_PARTIAL : EXIT_OK;
	struct sbuf t = SBUF_INIT;
	counts_text(&t, r->n, true);
	if (r->json) {
		sbuf_addf(&r->doc, "\n], \"other\": [%s], \"totals\": {\"mailboxes\": %u, ",
			  r->other.buf, r->mailboxes);
		json_counts(&r->doc, r->n, true);
		sbuf_addf(&r->doc, "}, \"not_in_dir\": [%s], \"verified\": %s, "
			  "\"exit_status\": %d}\n", r->absent.buf, failed ? "false" : "true",
			  status);
		fputs(r->doc.buf, stdout);
	} else {
		if (r->not_in_dir)	/* issue 16: said once, not a line each */
			printf("mdexport: verify: %u %s of SOURCE %s no export in DIR: not checked "
			       "(--all requires every mailbox of SOURCE)%s\n", r->not_in_dir,
			       r->not_in_dir == 1 ? "mailbox" : "mailboxes",
			       r->not_in_dir == 1 ? "has" : "have",
			       nothing ? "; DIR holds no export of any mailbox of SOURCE" : "");
		printf("mdexport: verify: %u %s: %s; %s (exit status %d)\n", r->mailboxes,
		       r->mailboxes == 1 ? "mailbox" : "mailboxes", t.buf,
		       failed ? "NOT everything verifies" : "everything verifies", status);
	}
	sbuf_release(&t);
	sbuf_release(&r->doc);
	sbuf_release(&r->other);
	sbuf_release(&r->absent);
	return status;
}
