/*
 * `mdexport verify DIR` (issue 16): an export checked without its SOURCE,
 * by a reviewer who has only DIR.  Against SEAL.sha256: every file it lists
 * is there with that SHA-256 (an altered or missing one named), and every
 * file of DIR is in it (an added one named); a link is named, never
 * followed.  Against the manifests: each parses (verify's own parser), its
 * run line's totals are its lines', and every output file its lines name
 * is there.  Without a seal the items' bytes cannot be checked (only SOURCE
 * or a seal can say what they should be): that is said, and DIR does not
 * verify (exit 1), whatever else holds.
 */
#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "core/xalloc.h"
#include "seal.h"
#include "verify.h"

#define MANIFEST_SUFFIX ".manifest.jsonl"
/* a file a seal line has matched (a kind no walk gives; back to SEAL_FILE after) */
#define SEEN ((enum seal_kind)(SEAL_UNREADABLE + 1))

struct problem {
	const char *kind;	/* altered, missing, not_in_seal, link, manifest, output_missing, ... */
	char *path;		/* relative to DIR; NULL: DIR */
	char *detail;
};

struct box {
	char *manifest, *mailbox, *format;
	uint64_t messages;
	bool ok;
};

struct vs {
	const struct options *o;
	int rootfd;
	struct seal_list files;
	GHashTable *by_rel;	/* rel -> struct seal_entry * */
	GArray *problems;	/* struct problem */
	GArray *boxes;		/* struct box */
	bool sealed;
	char seal_hex[65];
	uint64_t listed, matching;
	uint64_t items_hashed, items_matching;	/* output items with a "sha256" (issue 16) */
};

static void problem(struct vs *v, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct vs *v, const char *kind, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct problem p = { .kind = kind, .path = path ? xstrdup(path) : NULL,
			     .detail = g_strdup_vprintf(fmt, ap) };
	va_end(ap);
	g_array_append_val(v->problems, p);
}

/* unescape: a sha256sum name written with a leading '\\'; false when not one */
static bool unescape(const char *s, struct sbuf *out)
{
	for (; *s; s++) {
		if (*s != '\\') {
			sbuf_addch(out, *s);
			continue;
		}
		s++;
		if (*s == '\\')
			sbuf_addch(out, '\\');
		else if (*s == 'n')
			sbuf_addch(out, '\n');
		else if (*s == 'r')
			sbuf_addch(out, '\r');
		else
			return false;
	}
	return true;
}

/* seal_entry_line: one line of SEAL.sha256 into hex and name; false when malformed */
static bool parse_seal_line(const char *line, char hex[65], struct sbuf *name)
{
	bool esc = *line == '\\';
	line += esc;
	for (int i = 0; i < 64; i++) {
		if (!g_ascii_isxdigit(line[i]) || g_ascii_isupper(line[i]))
			return false;
		hex[i] = line[i];
	}
	hex[64] = '\0';
	if (line[64] != ' ' || (line[65] != ' ' && line[65] != '*') || !line[66])
		return false;
	if (esc)
		return unescape(line + 66, name);
	sbuf_adds(name, line + 66);
	return true;
}

/* check_one: a seal line's file against DIR's */
static void check_one(struct vs *v, const char *hex, const char *rel)
{
	struct seal_entry *e = g_hash_table_lookup(v->by_rel, rel);
	v->listed++;
	if (!e || e->kind == SEAL_DIR) {
		problem(v, "missing", rel, "sealed, not in DIR");
		return;
	}
	if (e->kind == SEEN) {
		problem(v, "seal", rel, "listed twice in %s", SEAL_LIST);
		return;
	}
	if (e->kind != SEAL_FILE)
		return;		/* named by check_unsealed */
	e->kind = SEEN;
	if (strcmp(e->hex, hex))
		problem(v, "altered", rel, "SHA-256 %s, sealed %s", e->hex, hex);
	else
		v->matching++;
}

/* check_seal: SEAL.sha256 line by line; false when DIR has none */
static bool check_seal(struct vs *v)
{
	int fd = seal_open_rel(v->rootfd, SEAL_LIST);
	if (fd < 0 && errno == ENOENT)
		return false;
	v->sealed = true;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		problem(v, errno == ELOOP ? "link" : "unreadable", SEAL_LIST, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return true;
	}
	struct sbuf line = SBUF_INIT, name = SBUF_INIT;
	bool newline;
	unsigned n = 0;
	while (mf_read_line(f, &line, &newline) >= 0) {
		char hex[65];
		n++;
		sbuf_reset(&name);
		if (line.len > MF_LINE_MAX - 1 || memchr(line.buf, '\0', line.len) ||
		    !parse_seal_line(line.buf, hex, &name))
			problem(v, "seal", SEAL_LIST, "line %u is not a sha256sum line", n);
		else
			check_one(v, hex, name.buf);
	}
	fclose(f);
	sbuf_release(&line);
	sbuf_release(&name);
	return true;
}

/* check_unsealed: what DIR holds that the seal does not vouch for */
static void check_unsealed(struct vs *v)
{
	for (size_t i = 0; i < v->files.n; i++) {
		struct seal_entry *e = &v->files.v[i];
		if (e->kind == SEAL_LINK)
			problem(v, "link", e->rel, "a symbolic link: not followed (an export's own "
				"files never are)");
		else if (e->kind == SEAL_OTHER)
			problem(v, "other", e->rel, "not a regular file or folder");
		else if (e->kind == SEAL_UNREADABLE)
			problem(v, "unreadable", e->rel, "%s", e->why);
		else if (e->kind == SEAL_FILE && v->sealed)
			problem(v, "not_in_seal", e->rel, "in DIR, not in %s", SEAL_LIST);
		if (e->kind == SEEN)
			e->kind = SEAL_FILE;
	}
}

/* totals_of: what the lines of a manifest add up to (as verify SOURCE DIR counts) */
static void add_totals(struct mf_totals *t, const struct mf_entry *e)
{
	t->messages++;
	t->exported += e->exported;
	t->skipped += !e->exported;
	t->deleted += e->reason == MF_REASON_DELETED;
	t->unreadable += e->reason == MF_REASON_UNREADABLE || e->reason == MF_REASON_CHANGED;
	t->bytes += e->exported ? e->size : 0;
}

static void compare_totals(struct vs *v, const char *rel, const struct mf_totals *r,
			   const struct mf_totals *t, struct box *b)
{
	static const char *const names[] = { "messages", "exported", "skipped", "deleted",
					     "unreadable", "bytes" };
	const uint64_t got[] = { r->messages, r->exported, r->skipped, r->deleted,
				 r->unreadable, r->bytes };
	const uint64_t want[] = { t->messages, t->exported, t->skipped, t->deleted,
				  t->unreadable, t->bytes };
	for (size_t i = 0; i < 6; i++) {
		if (got[i] != want[i]) {
			problem(v, "manifest", rel, "totals say %s %llu, the lines that follow %llu",
				names[i], (unsigned long long)got[i], (unsigned long long)want[i]);
			b->ok = false;
		}
	}
}

/*
 * check_item: an output item's bytes (its file, or its offset/length range
 * of one) against the SHA-256 its manifest line recorded (issue 16); false
 * when they differ or cannot be read, the item named
 */
static bool check_item(struct vs *v, const char *rel, unsigned n, const struct mf_entry *e)
{
	const struct check_loc *o = &e->out;
	char hex[65];
	int err = seal_hash_range_rel(v->rootfd, o->file, o->has_range ? o->offset : 0,
				      o->has_range ? o->length : UINT64_MAX, hex);
	v->items_hashed++;
	if (!err && !strcmp(hex, o->sha256)) {
		v->items_matching++;
		return true;
	}
	struct sbuf where = SBUF_INIT;
	if (o->has_range) {
		uint64_t end = o->offset + o->length;
		sbuf_addf(&where, " bytes %llu-%llu", (unsigned long long)o->offset,
			  (unsigned long long)end);
	}
	if (err)
		problem(v, "item_unreadable", o->file, "%s line %u (source '%s', folder '%s'):%s "
			"cannot be read: %s", rel, n, e->source, e->folder, where.buf,
			err == EIO ? "the file ends before them" : strerror(err));
	else
		problem(v, "item_altered", o->file, "%s line %u (source '%s', folder '%s'):%s "
			"have SHA-256 %s, the manifest says %s", rel, n, e->source, e->folder,
			where.len ? where.buf : " the file's bytes", hex, o->sha256);
	sbuf_release(&where);
	return false;
}

/* entry_line: one message line parsed, counted, its output looked for */
static void entry_line(struct vs *v, const char *rel, const struct sbuf *line, unsigned n,
		       const char *format, struct mf_totals *t, struct box *b)
{
	struct mf_entry e;
	struct sbuf err = SBUF_INIT;
	if (mf_parse_entry(line->buf, line->len, format, &e, &err) < 0) {
		problem(v, "manifest", rel, "line %u: %s", n, err.buf);
		b->ok = false;
	} else {
		add_totals(t, &e);
		const struct seal_entry *out = e.has_output && e.out.file ?
			g_hash_table_lookup(v->by_rel, e.out.file) : NULL;
		if (e.has_output && e.out.file && (!out || out->kind == SEAL_DIR)) {
			problem(v, "output_missing", e.out.file, "named by %s line %u, not in DIR",
				rel, n);
			b->ok = false;
		} else if (e.has_output && out && e.out.sha256[0] && !check_item(v, rel, n, &e)) {
			b->ok = false;
		}
		mf_entry_release(&e);
	}
	sbuf_release(&err);
}

/* check_manifest: one manifest read line by line (memory flat in its length) */
static void check_manifest(struct vs *v, const char *rel)
{
	struct box b = { .manifest = xstrdup(rel), .ok = true };
	int fd = seal_open_rel(v->rootfd, rel);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	struct sbuf line = SBUF_INIT, err = SBUF_INIT;
	struct mf_run run;
	bool newline, have_run = false;
	if (!f && fd >= 0)
		close(fd);
	if (f && mf_read_line(f, &line, &newline) >= 0 && line.len < MF_LINE_MAX &&
	    mf_parse_run(line.buf, line.len, &run, &err) == 0)
		have_run = true;
	if (!have_run) {
		problem(v, "manifest", rel, "no run line: %s", !f ? strerror(errno) :
			err.len ? err.buf : "empty or too long");
		b.ok = false;
	}
	struct mf_totals t = { 0 };
	for (unsigned n = 2; have_run && mf_read_line(f, &line, &newline) >= 0; n++) {
		if (!newline || line.len >= MF_LINE_MAX || memchr(line.buf, '\0', line.len)) {
			problem(v, "manifest", rel, "line %u is cut, too long or holds a NUL", n);
			b.ok = false;
		} else {
			entry_line(v, rel, &line, n, run.format, &t, &b);
		}
	}
	if (have_run) {
		compare_totals(v, rel, &run.totals, &t, &b);
		b.mailbox = xstrdup(run.mailbox ? run.mailbox : "");
		b.format = xstrdup(run.format ? run.format : "");
		b.messages = t.messages;
		mf_run_release(&run);
	}
	if (f)
		fclose(f);
	sbuf_release(&line);
	sbuf_release(&err);
	g_array_append_val(v->boxes, b);
}

static bool is_manifest(const char *rel)
{
	const char *slash = strchr(rel, '/');
	return slash && !strchr(slash + 1, '/') && g_str_has_suffix(rel, MANIFEST_SUFFIX) &&
	       strcmp(slash + 1, MANIFEST_SUFFIX);
}

/* seal_digest: SEAL.sha256's own SHA-256, to compare with the evidence log */
static void seal_digest(struct vs *v)
{
	int e = seal_hash_rel(v->rootfd, SEAL_LIST, v->seal_hex);
	if (e)
		problem(v, "unreadable", SEAL_LIST, "%s", strerror(e));
}

static void print_text(const struct vs *v, const char *dir)
{
	for (guint i = 0; i < v->problems->len; i++) {
		const struct problem *p = &g_array_index(v->problems, struct problem, i);
		printf("%-15s %s%s%s: %s\n", p->kind, dir, p->path ? "/" : "",
		       p->path ? p->path : "", p->detail);
	}
	unsigned bad = v->problems->len;
	if (v->sealed)
		printf("mdexport: verify '%s': %llu of %llu sealed files match %s (its SHA-256: %s); "
		       "%u %s checked; ", dir, (unsigned long long)v->matching,
		       (unsigned long long)v->listed, SEAL_LIST, v->seal_hex, v->boxes->len,
		       v->boxes->len == 1 ? "manifest" : "manifests");
	else
		printf("mdexport: verify '%s': %u %s checked; ", dir, v->boxes->len,
		       v->boxes->len == 1 ? "manifest" : "manifests");
	printf("%llu of %llu output %s match their manifest's SHA-256; ",
	       (unsigned long long)v->items_matching, (unsigned long long)v->items_hashed,
	       v->items_hashed == 1 ? "item" : "items");
	if (bad)
		printf("%u %s: does not verify\n", bad, bad == 1 ? "problem" : "problems");
	else
		printf("everything verifies\n");
}

static void print_json(const struct vs *v, const char *dir)
{
	struct sbuf o = SBUF_INIT;
	sbuf_adds(&o, "{\"dir\":");
	sbuf_add_json_str(&o, dir);
	sbuf_addf(&o, ",\"sealed\":%s,\"seal_sha256\":", v->sealed ? "true" : "false");
	if (v->sealed)
		sbuf_addf(&o, "\"%s\"", v->seal_hex);
	else
		sbuf_adds(&o, "null");
	sbuf_addf(&o, ",\"files_sealed\":%llu,\"files_matching\":%llu,\"items_hashed\":%llu,"
		  "\"items_matching\":%llu,\"manifests\":[", (unsigned long long)v->listed,
		  (unsigned long long)v->matching, (unsigned long long)v->items_hashed,
		  (unsigned long long)v->items_matching);
	for (guint i = 0; i < v->boxes->len; i++) {
		const struct box *b = &g_array_index(v->boxes, struct box, i);
		sbuf_adds(&o, i ? ",{\"manifest\":" : "{\"manifest\":");
		sbuf_add_json_str(&o, b->manifest);
		sbuf_adds(&o, ",\"mailbox\":");
		sbuf_add_json_str(&o, b->mailbox ? b->mailbox : "");
		sbuf_adds(&o, ",\"format\":");
		sbuf_add_json_str(&o, b->format ? b->format : "");
		sbuf_addf(&o, ",\"messages\":%llu,\"ok\":%s}", (unsigned long long)b->messages,
			  b->ok ? "true" : "false");
	}
	sbuf_adds(&o, "],\"problems\":[");
	for (guint i = 0; i < v->problems->len; i++) {
		const struct problem *p = &g_array_index(v->problems, struct problem, i);
		sbuf_adds(&o, i ? ",{\"problem\":" : "{\"problem\":");
		sbuf_add_json_str(&o, p->kind);
		sbuf_adds(&o, ",\"path\":");
		if (p->path)
			sbuf_add_json_str(&o, p->path);
		else
			sbuf_adds(&o, "null");
		sbuf_adds(&o, ",\"detail\":");
		sbuf_add_json_str(&o, p->detail);
		sbuf_adds(&o, "}");
	}
	sbuf_addf(&o, "],\"verifies\":%s}\n", v->problems->len ? "false" : "true");
	fwrite(o.buf, 1, o.len, stdout);
	sbuf_release(&o);
}

static void vs_release(struct vs *v)
{
	for (guint i = 0; i < v->problems->len; i++) {
		struct problem *p = &g_array_index(v->problems, struct problem, i);
		free(p->path);
		g_free(p->detail);
	}
	for (guint i = 0; i < v->boxes->len; i++) {
		struct box *b = &g_array_index(v->boxes, struct box, i);
		free(b->manifest);
		free(b->mailbox);
		free(b->format);
	}
	g_array_free(v->problems, TRUE);
	g_array_free(v->boxes, TRUE);
	g_hash_table_destroy(v->by_rel);
	seal_list_release(&v->files);
	close(v->rootfd);
}

/* run: the checks, in the order a reviewer reads them */
static int run(struct vs *v, const char *dir)
{
	struct sbuf err = SBUF_INIT;
	if (seal_walk(v->rootfd, &v->files, &err) < 0) {
		fprintf(stderr, "mdexport: verify: '%s': %s\n", dir, err.buf);
		sbuf_release(&err);
		return EXIT_FATAL;
	}
	sbuf_release(&err);
	bool any_manifest = false;
	for (size_t i = 0; i < v->files.n; i++) {
		g_hash_table_insert(v->by_rel, v->files.v[i].rel, &v->files.v[i]);
		any_manifest |= v->files.v[i].kind == SEAL_FILE && is_manifest(v->files.v[i].rel);
	}
	if (g_hash_table_contains(v->by_rel, ".mdexport"))
		problem(v, "working_folder", ".mdexport", "an export into DIR is in progress or "
			"was cut short");
	if (!check_seal(v) && !any_manifest) {
		fprintf(stderr, "mdexport: verify: '%s' holds no export (no %s, no manifest); to "
			"check an export against its store: mdexport verify SOURCE DIR\n", dir,
			SEAL_LIST);
		return EXIT_FATAL;
	}
	if (!v->sealed)
		problem(v, "no_seal", NULL, "DIR has no %s: the manifests the items are checked "
			"against are vouched for by nothing (seal DIR when it is made, or check "
			"it against its store: mdexport verify SOURCE DIR)", SEAL_LIST);
	else
		seal_digest(v);
	check_unsealed(v);
	for (size_t i = 0; i < v->files.n; i++)
		if (v->files.v[i].kind == SEAL_FILE && is_manifest(v->files.v[i].rel))
			check_manifest(v, v->files.v[i].rel);
	return v->problems->len ? EXIT_PARTIAL : EXIT_OK;
}

int cmd_verify_sealed(const struct options *o)
{
	const char *dir = o->output;
	struct vs v = { .o = o, .by_rel = g_hash_table_new(g_str_hash, g_str_equal),
			.problems = g_array_new(FALSE, FALSE, sizeof(struct problem)),
			.boxes = g_array_new(FALSE, FALSE, sizeof(struct box)) };
	v.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.rootfd < 0) {
		fprintf(stderr, "mdexport: verify: cannot read the export '%s': %s\n", dir,
			strerror(errno));
		g_hash_table_destroy(v.by_rel);
		g_array_free(v.problems, TRUE);
		g_array_free(v.boxes, TRUE);
		return EXIT_FATAL;
	}
	int ret = run(&v, dir);
	if (ret != EXIT_FATAL) {
		if (o->json)
			print_json(&v, dir);
		else
			print_text(&v, dir);
	}
	fflush(stdout);
	vs_release(&v);
	return ret;
}
