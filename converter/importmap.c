#include "importmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/sysio.h"
#include "core/xalloc.h"

/* ---- one mailbox's files (its job's thread) ------------------------------ */

struct import_box {
	char *mailbox, *domain;
	char **files;		/* relative to DIR, '/'-separated, in the order first written */
	size_t nfiles;
	unsigned deleted;	/* messages flagged \Deleted written into them */
	struct sbuf path;	/* scratch */
};

struct import_box *import_box_new(const char *mailbox, const char *domain)
{
	struct import_box *ib = xcalloc(1, sizeof(*ib));
	ib->mailbox = xstrdup(mailbox);
	ib->domain = xstrdup(domain);
	sbuf_init(&ib->path);
	return ib;
}

void import_box_free(struct import_box **ibp)
{
	struct import_box *ib = *ibp;
	if (!ib)
		return;
	for (size_t i = 0; i < ib->nfiles; i++)
		free(ib->files[i]);
	free(ib->files);
	free(ib->mailbox);
	free(ib->domain);
	sbuf_release(&ib->path);
	free(ib);
	*ibp = NULL;
}

/*
 * normalize: "." and ".." taken out of a '/'-separated relative path in
 * place (a part written beside the output may be named "../x.pst" from
 * it); -1 when it climbs out of DIR or names nothing
 */
static int normalize(struct sbuf *p)
{
	char *src = p->buf, *out = p->buf;
	size_t len = 0;
	while (*src) {
		size_t n = strcspn(src, "/");
		if ((n == 1 && src[0] == '.') || n == 0) {
			/* nothing: an empty or "." component */
		} else if (n == 2 && src[0] == '.' && src[1] == '.') {
			if (!len)
				return -1;
			char *slash = memrchr(out, '/', len);
			len = slash ? (size_t)(slash - out) : 0;
		} else {
			if (len)
				out[len++] = '/';
			memmove(out + len, src, n);
			len += n;
		}
		src += n + (src[n] == '/');
	}
	sbuf_setlen(p, len);
	return len ? 0 : -1;
}

static void add_file(struct import_box *ib, const char *path)
{
	for (size_t i = ib->nfiles; i-- > 0; )	/* the last is the likely one */
		if (!strcmp(ib->files[i], path))
			return;
	ib->files = xreallocarray(ib->files, ib->nfiles + 1, sizeof(*ib->files));
	ib->files[ib->nfiles++] = xstrdup(path);
}

/* box_path: the file loc names, relative to DIR, into ib->path (as the manifest joins it) */
static int box_path(struct import_box *ib, const char *output, const struct mail_item_loc *loc)
{
	sbuf_reset(&ib->path);
	sbuf_adds(&ib->path, output);
	if (loc && loc->file.len) {
		sbuf_addch(&ib->path, '/');
		sbuf_add(&ib->path, loc->file.buf, loc->file.len);
	}
	return normalize(&ib->path);
}

/*
 * The output's name is known only when the mailbox is handed over
 * (importmap_add), so the files are kept as the writer named them
 * (relative to the output, "" the output itself) and joined there.
 */
void import_box_note(struct import_box *ib, const struct mail_item_loc *loc, unsigned flags)
{
	if (!ib)
		return;
	if (flags & MSG_DELETED)
		ib->deleted++;
	sbuf_reset(&ib->path);
	sbuf_add(&ib->path, loc->file.buf, loc->file.len);
	add_file(ib, ib->path.buf);
}

/* ---- --address-map -------------------------------------------------------- */

struct addr_entry {
	char *old, *new;	/* "user@dom" or, for a whole domain, "@dom" */
	bool used;
};

struct addr_map {
	struct addr_entry *v;
	size_t n;
};

/* csv_split: one line's fields (RFC 4180 quoting), each trimmed of spaces; -1 on a bad quote */
static int csv_split(const char *line, char ***fields, size_t *n)
{
	struct sbuf f = SBUF_INIT;
	*fields = NULL;
	*n = 0;
	const char *p = line;
	for (;;) {
		sbuf_reset(&f);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;	/* a doubled quote */
				sbuf_addch(&f, *p);
			}
			if (*p != '"')
				break;	/* unterminated */
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				break;
		} else {
			size_t k = strcspn(p, ",\"");
			if (p[k] == '"')
				break;
			sbuf_add(&f, p, k);
			p += k;
			while (f.len && (f.buf[f.len - 1] == ' ' || f.buf[f.len - 1] == '\t'))
				sbuf_setlen(&f, f.len - 1);
		}
		*fields = xreallocarray(*fields, *n + 1, sizeof(**fields));
		(*fields)[(*n)++] = sbuf_detach(&f);
		if (*p != ',') {
			sbuf_release(&f);
			return 0;
		}
		p++;
	}
	sbuf_release(&f);
	return -1;
}

static void free_fields(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

/* addr_valid: "user@domain" (one '@', both sides) or, when domain, "@domain" */
static bool addr_valid(const char *a, bool domain)
{
	const char *at = strchr(a, '@');
	if (!at || strchr(at + 1, '@') || !at[1] || strchr(a, ' '))
		return false;
	return domain ? at == a : at != a;
}

/* map_entry: one line's entry checked and added; NULL, or what is wrong with it */
static const char *map_entry(struct addr_map *m, char **f, size_t n)
{
	if (n != 2)
		return "wants two fields, old,new";
	bool domain = f[0][0] == '@';
	if (!addr_valid(f[0], domain) || !addr_valid(f[1], domain))
		return domain ? "a whole domain is mapped as @old.example,@new.example" :
		       "wants two addresses, old@domain,new@domain (or @old,@new for a domain)";
	for (size_t i = 0; i < m->n; i++) {
		if (strcasecmp(m->v[i].old, f[0]))
			continue;
		return strcasecmp(m->v[i].new, f[1]) ? "maps an address already mapped to another" :
		       NULL;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = (struct addr_entry){ .old = xstrdup(f[0]), .new = xstrdup(f[1]) };
	return NULL;
}

/* map_line: one line of the file; -1 with err set when it is not an entry */
static int map_line(struct addr_map *m, const char *file, unsigned lineno, char *line,
		    struct sbuf *err)
{
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	const char *p = line + strspn(line, " \t");
	if (!*p || *p == '#')
		return 0;	/* blank lines and comments */
	char **f;
	size_t n;
	const char *bad = "has an unbalanced quote";
	if (csv_split(p, &f, &n) == 0) {
		bool header = lineno == 1 && n == 2 && !strcasecmp(f[0], "old") &&
			      !strcasecmp(f[1], "new");
		bad = header ? NULL : map_entry(m, f, n);
		free_fields(f, n);
	}
	if (bad)
		sbuf_addf(err, "--address-map '%s' line %u %s", file, lineno, bad);
	return bad ? -1 : 0;
}

static void map_release(struct addr_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].old);
		free(m->v[i].new);
	}
	free(m->v);
	*m = (struct addr_map){ 0 };
}

static int map_load(struct addr_map *m, const char *file, struct sbuf *err)
{
	FILE *fp = fopen(file, "re");
	if (!fp) {
		sbuf_addf(err, "cannot read --address-map '%s': %s", file, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int ret = 0;
	while (ret == 0 && getline(&line, &cap, fp) >= 0)
		ret = map_line(m, file, ++lineno, line, err);
	if (ret == 0 && ferror(fp)) {
		sbuf_addf(err, "cannot read --address-map '%s': %s", file, strerror(errno));
		ret = -1;
	}
	free(line);
	fclose(fp);
	return ret;
}

/*
 * map_lookup: the address mailbox@domain is imported into: its own entry,
 * else its domain's (the mailbox name kept), else NULL
 */
static char *map_lookup(struct addr_map *m, const char *mailbox, const char *domain)
{
	char *addr = xasprintf("%s@%s", mailbox, domain);
	struct addr_entry *dom = NULL;
	char *found = NULL;
	for (size_t i = 0; i < m->n && !found; i++) {
		struct addr_entry *e = &m->v[i];
		if (e->old[0] != '@' && !strcasecmp(e->old, addr)) {
			e->used = true;
			found = xstrdup(e->new);
		} else if (e->old[0] == '@' && !strcasecmp(e->old + 1, domain)) {
			dom = e;
		}
	}
	if (!found && dom) {
		dom->used = true;
		found = xasprintf("%s%s", mailbox, dom->new);
	}
	free(addr);
	return found;
}

/* ---- the run's files ------------------------------------------------------- */

/* an output file: written to a temporary name beside it, renamed over it */
struct out_file {
	const char *given;	/* as on the command line */
	char *dir;		/* its folder */
	char *base;		/* its name there */
	int dirfd;		/* -1: not asked for */
};

struct importmap {
	const struct options *o;
	struct addr_map map;
	bool mapped;		/* --address-map given */
	struct import_box **boxes;
	size_t n;
	struct out_file csv, script;
};

static int out_open(struct out_file *f, const char *given, const char *opt, struct sbuf *err)
{
	f->given = given;
	f->dirfd = -1;
	const char *slash = strrchr(given, '/');
	f->dir = slash ? xstrndup(given, (size_t)(slash - given) + (slash == given)) :
		 xstrdup(".");
	f->base = xstrdup(slash ? slash + 1 : given);
	if (!*f->base || !strcmp(f->base, ".") || !strcmp(f->base, "..")) {
		sbuf_addf(err, "%s '%s' names a folder, not a file", opt, given);
		return -1;
	}
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0 || faccessat(f->dirfd, ".", W_OK | X_OK, 0) < 0) {
		sbuf_addf(err, "cannot create %s '%s': %s", opt, given, strerror(errno));
		return -1;
	}
	return 0;
}

static void out_close(struct out_file *f)
{
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->dir);
	free(f->base);
	*f = (struct out_file){ .dirfd = -1 };
}

int importmap_open(const struct options *o, struct importmap **mp, struct sbuf *err)
{
	*mp = NULL;
	if (!o->m365_mapping && !o->exchange_script)
		return 0;
	struct importmap *m = xcalloc(1, sizeof(*m));
	m->o = o;
	m->csv.dirfd = m->script.dirfd = -1;
	int ret = 0;
	if (o->address_map) {
		m->mapped = true;
		ret = map_load(&m->map, o->address_map, err);
	}
	if (ret == 0 && o->m365_mapping)
		ret = out_open(&m->csv, o->m365_mapping, "--m365-mapping", err);
	if (ret == 0 && o->exchange_script)
		ret = out_open(&m->script, o->exchange_script, "--exchange-script", err);
	if (ret < 0) {
		importmap_free(&m);
		return -1;
	}
	*mp = m;
	return 0;
}

int importmap_guard(const struct importmap *m, const struct places *guard, struct sbuf *err)
{
	if (!m)
		return 0;
	if (m->csv.dir && places_refuse(guard, "--m365-mapping", m->csv.dir, false, err) < 0)
		return -1;
	if (m->script.dir && places_refuse(guard, "--exchange-script", m->script.dir, false,
					   err) < 0)
		return -1;
	return 0;
}

void importmap_add(struct importmap *m, struct import_box **ibp, const char *output)
{
	struct import_box *ib = *ibp;
	*ibp = NULL;
	if (!m || !ib || !output) {
		import_box_free(&ib);
		return;
	}
	/* the writer's names joined to the output: the output itself first */
	char **named = ib->files;
	size_t n = ib->nfiles;
	ib->files = NULL;
	ib->nfiles = 0;
	if (box_path(ib, output, NULL) == 0)
		add_file(ib, ib->path.buf);
	for (size_t i = 0; i < n; i++) {
		struct mail_item_loc loc;
		mail_item_loc_init(&loc);
		sbuf_adds(&loc.file, named[i]);
		if (box_path(ib, output, &loc) == 0)
			add_file(ib, ib->path.buf);
		mail_item_loc_release(&loc);
		free(named[i]);
	}
	free(named);
	m->boxes = xreallocarray(m->boxes, m->n + 1, sizeof(struct import_box *));
	m->boxes[m->n++] = ib;
}

void importmap_free(struct importmap **mp)
{
	struct importmap *m = *mp;
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		import_box_free(&m->boxes[i]);
	free(m->boxes);
	map_release(&m->map);
	out_close(&m->csv);
	out_close(&m->script);
	free(m);
	*mp = NULL;
}

/* ---- text ------------------------------------------------------------------ */

char *importmap_part_name(const char *file, unsigned part)
{
	if (part == 0)
		return xstrdup(file);
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)	/* no extension (a leading dot is none) */
		dot = base + strlen(base);
	return xasprintf("%.*s-%03u%s", (int)(dot - file), file, part + 1, dot);
}

void importmap_csv_field(struct sbuf *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		sbuf_adds(out, s);
		return;
	}
	sbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			sbuf_addch(out, '"');
		sbuf_addch(out, *s);
	}
	sbuf_addch(out, '"');
}

/*
 * PowerShell ends a single-quoted string at any of ' and the typographic
 * quotes U+2018, U+2019, U+201A, U+201B; each is doubled to stand for itself
 */
void importmap_ps_quote(struct sbuf *out, const char *s)
{
	sbuf_addch(out, '\'');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\'') {
			sbuf_addch(out, '\'');
		} else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x98 && p[2] <= 0x9B) {
			sbuf_add(out, p, 3);
			sbuf_add(out, p, 3);
			p += 2;
			continue;
		}
		sbuf_addch(out, *p);
	}
	sbuf_addch(out, '\'');
}

/* ---- writing ----------------------------------------------------------------- */

/* a file to import, as the files name it */
struct import_row {
	const struct import_box *box;
	const char *path;	/* relative to DIR */
	char *address;		/* the mailbox it goes into */
};

static int cmp_box(const void *a, const void *b)
{
	const struct import_box *x = *(struct import_box *const *)a;
	const struct import_box *y = *(struct import_box *const *)b;
	int c = strcmp(x->domain, y->domain);
	return c ? c : strcmp(x->mailbox, y->mailbox);
}

/* cmp_file: the mailbox's output first (its first file), then by name */
static int cmp_file(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* write_atomic: data as dir/base, through a temporary name beside it; 0 or an errno */
static int write_atomic(int dirfd, const char *base, const struct sbuf *data)
{
	char *tmp = NULL;
	int fd = -1, e = 0;
	for (unsigned i = 0; fd < 0 && i < 100; i++) {
		free(tmp);
		tmp = xasprintf(".%s.%ld.%u.tmp", base, (long)getpid(), i);
		fd = sys_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e = errno ? errno : EEXIST;
		free(tmp);
		return e;
	}
	if (sys_write_all(fd, data->buf, data->len) < 0 || sys_fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && sys_renameat(dirfd, tmp, dirfd, base, 0) < 0)
		e = errno;
	if (e)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	return e;
}

/* file_ok: whether path is a regular file under DIR; else say why it is left out */
static bool file_ok(const struct tree *root, const char *path, struct diag *d)
{
	struct stat st;
	if (fstatat(root->fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		diag_warn(d, "'%s/%s' is not a file in DIR; left out of the import files",
			  root->display, path);
		return false;
	}
	size_t n = strlen(path);
	if (n < 4 || strcmp(path + n - 4, ".pst"))
		diag_warn(d, "'%s/%s' does not end in .pst: the AzCopy filter of the README "
			  "leaves it out", root->display, path);
	return true;
}

/* box_address: where the mailbox is imported to (--address-map, else its own) */
static char *box_address(struct importmap *m, const struct import_box *b, struct diag *d)
{
	char *addr = m->mapped ? map_lookup(&m->map, b->mailbox, b->domain) : NULL;
	if (!addr && m->mapped)
		diag_warn(d, "%s@%s has no entry in --address-map '%s'; imported into "
			  "%s@%s", b->mailbox, b->domain, m->o->address_map, b->mailbox,
			  b->domain);
	return addr ? addr : xasprintf("%s@%s", b->mailbox, b->domain);
}

/* collect: the rows, sorted (domain, mailbox, file), files missing from DIR left out */
static struct import_row *collect(struct importmap *m, const struct tree *root,
				  struct diag *d, size_t *nrows)
{
	if (m->n > 1)	/* qsort of NULL is undefined, even for none */
		qsort(m->boxes, m->n, sizeof(struct import_box *), cmp_box);
	struct import_row *rows = NULL;
	*nrows = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct import_box *b = m->boxes[i];
		if (b->nfiles > 1)
			qsort(b->files + 1, b->nfiles - 1, sizeof(*b->files), cmp_file);
		char *addr = box_address(m, b, d);
		bool owned = false;
		for (size_t k = 0; k < b->nfiles; k++) {
			if (!file_ok(root, b->files[k], d))
				continue;
			rows = xreallocarray(rows, *nrows + 1, sizeof(*rows));
			rows[(*nrows)++] = (struct import_row){ .box = b, .path = b->files[k],
						 .address = owned ? xstrdup(addr) : addr };
			owned = true;
		}
		if (!owned)
			free(addr);
		if (b->deleted && owned)
			diag_warn(d, "%s@%s: %u %s flagged \\Deleted %s in its PST files; they "
				  "come back as ordinary mail after an import; --skip-deleted "
				  "leaves them out", b->mailbox, b->domain, b->deleted,
				  b->deleted == 1 ? "message" : "messages",
				  b->deleted == 1 ? "is" : "are");
	}
	return rows;
}

/* split_path: a row's folder relative to DIR ("" for DIR itself) and its file name */
static void split_path(const char *path, struct sbuf *dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	sbuf_reset(dir);
	if (slash)
		sbuf_add(dir, path, (size_t)(slash - path));
	*name = slash ? slash + 1 : path;
}

static void csv_row(struct sbuf *out, const struct import_row *r, const char *root_folder)
{
	struct sbuf dir = SBUF_INIT;
	const char *name;
	split_path(r->path, &dir, &name);
	sbuf_adds(out, "Exchange,");
	importmap_csv_field(out, dir.buf);
	sbuf_addch(out, ',');
	importmap_csv_field(out, name);
	sbuf_addch(out, ',');
	importmap_csv_field(out, r->address);
	sbuf_adds(out, ",FALSE,");
	importmap_csv_field(out, root_folder);
	sbuf_adds(out, ",,,,\r\n");
	sbuf_release(&dir);
}

static const char csv_header[] = "Workload,FilePath,Name,Mailbox,IsArchive,TargetRootFolder,"
				 "ContentCodePage,SPFileContainer,SPManifestContainer,SPSiteUrl\r\n";

/* write_csv: the mapping, IMPORTMAP_ROWS_MAX rows a file; 0 or -1 (said on d) */
static int write_csv(struct importmap *m, const struct import_row *rows, size_t n,
		     struct diag *d)
{
	const char *root_folder = m->o->target_root ? m->o->target_root : "/";
	size_t max = m->o->import_rows ? m->o->import_rows : IMPORTMAP_ROWS_MAX;
	unsigned parts = n ? (unsigned)((n + max - 1) / max) : 1;
	struct sbuf text = SBUF_INIT;
	int ret = 0;
	for (unsigned p = 0; p < parts && ret == 0; p++) {
		sbuf_reset(&text);
		sbuf_adds(&text, csv_header);
		for (size_t i = (size_t)p * max; i < n && i < ((size_t)p + 1) * max; i++)
			csv_row(&text, &rows[i], root_folder);
		char *base = importmap_part_name(m->csv.base, p);
		char *shown = importmap_part_name(m->csv.given, p);
		int e = write_atomic(m->csv.dirfd, base, &text);
		if (e) {
			diag_error(d, "cannot write the --m365-mapping file '%s': %s", shown,
				   strerror(e));
			ret = -1;
		}
		free(base);
		free(shown);
	}
	/* a part an earlier, bigger run wrote would be taken for one of this run's */
	char *next = importmap_part_name(m->csv.base, parts);
	struct stat st;
	if (ret == 0 && fstatat(m->csv.dirfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0)
		diag_warn(d, "'%s' in the folder of --m365-mapping is not from this run (which "
			  "wrote %u mapping %s): do not import it with them", next, parts,
			  parts == 1 ? "file" : "files");
	free(next);
	if (ret == 0)
		diag_result(d, "mdexport: Microsoft 365 mapping: %zu PST %s in %u %s, "
			    "first '%s'\n", n, n == 1 ? "file" : "files", parts,
			    parts == 1 ? "file" : "files", m->csv.given);
	sbuf_release(&text);
	return ret;
}

/*
 * request_name: -Name, the file's path in DIR without ".pst": unique in the
 * run, so two files into one mailbox (parts, rounds, two source mailboxes
 * mapped to one address) are two requests, not a clash with the default
 * name "MailboxImport"
 */
static char *request_name(const char *path)
{
	size_t n = strlen(path);
	if (n > 4 && !strcmp(path + n - 4, ".pst"))
		n -= 4;
	return xstrndup(path, n);
}

static void script_line(struct sbuf *out, const struct import_row *row, const char *unc,
			const char *root_folder)
{
	struct sbuf path = SBUF_INIT;
	size_t n = strlen(unc);
	while (n > 2 && unc[n - 1] == '\\')
		n--;
	sbuf_add(&path, unc, n);
	sbuf_addch(&path, '\\');
	for (const char *p = row->path; *p; p++)
		sbuf_addch(&path, *p == '/' ? '\\' : *p);
	char *name = request_name(row->path);
	sbuf_adds(out, "New-MailboxImportRequest -Mailbox ");
	importmap_ps_quote(out, row->address);
	sbuf_adds(out, " -FilePath ");
	importmap_ps_quote(out, path.buf);
	sbuf_adds(out, " -Name ");
	importmap_ps_quote(out, name);
	if (root_folder) {
		sbuf_adds(out, " -TargetRootFolder ");
		importmap_ps_quote(out, root_folder);
	}
	sbuf_adds(out, "\r\n");
	free(name);
	sbuf_release(&path);
}

static const char script_head[] =
	"\xEF\xBB\xBF"	/* UTF-8 BOM: Windows PowerShell 5.1 reads a file without one as ANSI */
	"# Written by mdexport " MDEXPORT_VERSION ": one New-MailboxImportRequest per PST file.\r\n"
	"# Copy DIR to the share first; run this in the Exchange Management Shell as a user\r\n"
	"# with the \"Mailbox Import Export\" role. Follow the requests with:\r\n"
	"#   Get-MailboxImportRequest | Get-MailboxImportRequestStatistics\r\n";

static int write_script(struct importmap *m, const struct import_row *rows, size_t n,
			struct diag *d)
{
	struct sbuf text = SBUF_INIT;
	sbuf_adds(&text, script_head);
	for (size_t i = 0; i < n; i++)
		script_line(&text, &rows[i], m->o->unc, m->o->target_root);
	int e = write_atomic(m->script.dirfd, m->script.base, &text);
	sbuf_release(&text);
	if (e) {
		diag_error(d, "cannot write the --exchange-script file '%s': %s",
			   m->script.given, strerror(e));
		return -1;
	}
	diag_result(d, "mdexport: Exchange script: %zu New-MailboxImportRequest %s in '%s'\n",
		    n, n == 1 ? "line" : "lines", m->script.given);
	return 0;
}

int importmap_finish(struct importmap *m, const struct tree *root, struct diag *d)
{
	if (!m)
		return 0;
	if (m->o->dry_run) {
		diag_result(d, "mdexport: no import file written (a dry run writes nothing)\n");
		return 0;
	}
	size_t n;
	struct import_row *rows = collect(m, root, d, &n);
	int ret = 0;
	if (m->csv.dirfd >= 0 && write_csv(m, rows, n, d) < 0)
		ret = -1;
	if (m->script.dirfd >= 0 && write_script(m, rows, n, d) < 0)
		ret = -1;
	for (size_t i = 0; i < n; i++)
		free(rows[i].address);
	free(rows);
	return ret;
}
