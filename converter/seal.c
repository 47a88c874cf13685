/*
 * `mdexport seal DIR` and `export --seal` (issue 16): DIR/SEAL.json, the
 * run's metadata, then DIR/SEAL.sha256, one GNU sha256sum line per file of
 * DIR (SEAL.json and the manifests included), so that a reviewer without
 * this tool checks every byte with `sha256sum -c --strict SEAL.sha256`.
 * Both are written to a temporary name in DIR and renamed into place: a
 * seal is whole or absent.  The seal's own SHA-256 is printed, for the
 * evidence log (a seal rewritten with DIR cannot be told from the real one
 * by anything inside DIR).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"
#include "seal.h"
#include "verify.h"
#include "version.h"

#define MANIFEST_SUFFIX ".manifest.jsonl"
#define FLUSH_AT (64 * 1024)

bool seal_owned(const char *name)
{
	return !strcmp(name, SEAL_LIST) || !strcmp(name, SEAL_META) ||
	       !strncmp(name, SEAL_LIST ".replaced-", strlen(SEAL_LIST ".replaced-")) ||
	       !strncmp(name, SEAL_META ".replaced-", strlen(SEAL_META ".replaced-"));
}

/* stamp: now as YYYYMMDDTHHMMSSZ */
static void stamp(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y%m%dT%H%M%SZ", &tm);
}

int seal_retire(int rootfd, const char *display, struct sbuf *err)
{
	static const char *const names[] = { SEAL_LIST, SEAL_META };
	char when[32];
	stamp(when);
	for (size_t i = 0; i < 2; i++) {
		struct stat st;
		if (fstatat(rootfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		char *to = xasprintf("%s.replaced-%s", names[i], when);
		int r = sys_renameat(rootfd, names[i], rootfd, to, 0);
		if (r < 0)
			sbuf_addf(err, "cannot rename '%s/%s' (a seal this export makes stale): %s",
				  display, names[i], strerror(errno));
		else
			fprintf(stderr, "mdexport: '%s' was sealed; this export changes it, so "
				"its %s is kept as '%s' (seal DIR again: mdexport seal, or "
				"export --seal)\n", display, names[i], to);
		free(to);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* manifest_json: one manifest's run line, as SEAL.json lists it */
static void manifest_json(int rootfd, const char *rel, struct sbuf *out, bool *first)
{
	int fd = seal_open_rel(rootfd, rel);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct sbuf line = SBUF_INIT, err = SBUF_INIT;
	struct mf_run run;
	bool newline;
	bool ok = mf_read_line(f, &line, &newline) >= 0 &&
		  mf_parse_run(line.buf, line.len, &run, &err) == 0;
	fclose(f);
	sbuf_addf(out, "%s\n    {\"manifest\": ", *first ? "" : ",");
	*first = false;
	sbuf_add_json_str(out, rel);
	if (ok) {
		char started[32];
		mf_format_time(run.started, started);
		sbuf_adds(out, ", \"mailbox\": ");
		sbuf_add_json_str(out, run.mailbox ? run.mailbox : "");
		sbuf_adds(out, ", \"format\": ");
		sbuf_add_json_str(out, run.format ? run.format : "");
		sbuf_addf(out, ", \"started\": \"%s\", \"round\": %u, \"messages\": %llu}", started,
			  run.round, (unsigned long long)run.totals.messages);
		mf_run_release(&run);
	} else {
		sbuf_adds(out, ", \"error\": ");
		sbuf_add_json_str(out, err.len ? err.buf : "no run line");
		sbuf_adds(out, "}");
	}
	sbuf_release(&line);
	sbuf_release(&err);
}

static bool is_manifest(const struct seal_entry *e)
{
	const char *slash = strchr(e->rel, '/');
	return e->kind == SEAL_FILE && slash && !strchr(slash + 1, '/') &&
	       strlen(e->rel) > strlen(MANIFEST_SUFFIX) &&
	       !strcmp(e->rel + strlen(e->rel) - strlen(MANIFEST_SUFFIX), MANIFEST_SUFFIX);
}

/* meta: SEAL.json's text */
static void meta(int rootfd, const char *dir, const struct seal_list *l, struct sbuf *out)
{
	uint64_t files = 0, bytes = 0;
	for (size_t i = 0; i < l->n; i++) {
		files += l->v[i].kind == SEAL_FILE;
		bytes += l->v[i].kind == SEAL_FILE ? l->v[i].size : 0;
	}
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	uid_t uid = getuid();
	struct passwd pw, *found = NULL;
	char pwbuf[4096];
	getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found);
	sbuf_addf(out, "{\n  \"tool\": \"mdexport\",\n  \"version\": \"%s\",\n  \"commit\": ",
		  MDEXPORT_VERSION);
	sbuf_add_json_str(out, version_commit());
	sbuf_adds(out, ",\n  \"sealed\": \"");
	sbuf_add_utc(out, (int64_t)time(NULL));
	sbuf_adds(out, "\",\n  \"host\": ");
	sbuf_add_json_str(out, host);
	sbuf_addf(out, ",\n  \"user\": {\"uid\": %lu, \"name\": ", (unsigned long)uid);
	if (found)
		sbuf_add_json_str(out, found->pw_name);
	else
		sbuf_adds(out, "null");
	sbuf_adds(out, "},\n  \"dir\": ");
	sbuf_add_json_str(out, dir);
	sbuf_addf(out, ",\n  \"files\": %llu,\n  \"bytes\": %llu,\n  \"list\": \"%s\",\n"
		  "  \"manifests\": [", (unsigned long long)files, (unsigned long long)bytes,
		  SEAL_LIST);
	bool first = true;
	for (size_t i = 0; i < l->n; i++)
		if (is_manifest(&l->v[i]))
			manifest_json(rootfd, l->v[i].rel, out, &first);
	sbuf_adds(out, first ? "]\n}\n" : "\n  ]\n}\n");
}

/* tmp_create: a new temporary file in rootfd for name; its name in *tmp */
static int tmp_create(int rootfd, const char *name, char **tmp)
{
	int fd = -1;
	for (unsigned i = 0; fd < 0 && i < 100; i++) {
		free(*tmp);
		*tmp = xasprintf(".%s.%ld.%u.tmp", name, (long)getpid(), i);
		fd = sys_openat(rootfd, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

/* settle: the temporary file fd made durable and closed; 0 or an errno (e if set) */
static int settle(int fd, int e)
{
	if (!e && sys_fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	return e;
}

/* write_whole: text into a new temporary file for name (*tmp); 0 or an errno */
static int write_whole(int rootfd, const char *name, const struct sbuf *text, char **tmp)
{
	int fd = tmp_create(rootfd, name, tmp);
	return fd < 0 ? errno : settle(fd, sys_write_all(fd, text->buf, text->len));
}

/* write_list: SEAL.sha256 into a temporary file (*tmp), streamed, its own SHA-256 in hex */
static int write_list(int rootfd, const struct seal_list *l, char **tmp, char hex[65])
{
	int fd = tmp_create(rootfd, SEAL_LIST, tmp);
	if (fd < 0)
		return errno;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		fputs("mdexport: out of memory (SHA-256)\n", stderr);
		abort();
	}
	struct sbuf out = SBUF_INIT;
	int e = 0;
	for (size_t i = 0; i <= l->n && !e; i++) {
		if (i < l->n && l->v[i].kind == SEAL_FILE)
			seal_line(&out, l->v[i].hex, l->v[i].rel);
		if (out.len && (out.len >= FLUSH_AT || i == l->n)) {
			EVP_DigestUpdate(ctx, out.buf, out.len);
			e = sys_write_all(fd, out.buf, out.len);
			sbuf_reset(&out);
		}
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	sbuf_release(&out);
	return settle(fd, e);
}

/* unsealable: each name no seal can vouch for, on stderr; their number */
static unsigned unsealable(const char *dir, const struct seal_list *l)
{
	unsigned bad = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct seal_entry *e = &l->v[i];
		const char *why = e->kind == SEAL_LINK ? "a symbolic link (not followed; an "
				  "export's own files never are)" :
				  e->kind == SEAL_OTHER ? "not a regular file or folder" :
				  e->kind == SEAL_UNREADABLE ? e->why : NULL;
		if (why) {
			fprintf(stderr, "mdexport: seal: '%s/%s': %s\n", dir, e->rel, why);
			bad++;
		}
	}
	return bad;
}

/* drop_meta: an earlier SEAL.json out of the list (the new one replaces it) */
static void drop_meta(struct seal_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->v[i].rel, SEAL_META)) {
			free(l->v[i].rel);
			free(l->v[i].why);
			memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
	}
}

/* seal_open: DIR's descriptor (DIR itself may be a link the admin made) */
static int seal_open(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "mdexport: seal: cannot open '%s': %s\n", dir, strerror(errno));
	return fd;
}

/* add_meta: SEAL.json (text) into the list, which is sorted again */
static void add_meta(struct seal_list *l, const struct sbuf *text)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = (struct seal_entry){ .rel = xstrdup(SEAL_META), .kind = SEAL_FILE,
					  .size = text->len };
	seal_hash_mem(text->buf, text->len, l->v[l->n].hex);
	l->n++;
	seal_list_sort(l);
}

/*
 * seal_files: SEAL.json and SEAL.sha256 from the walk l, both written whole
 * to temporary names first and renamed one after the other, so that a
 * failure (a full disk) leaves the earlier seal as it was; an exit status
 */
static int seal_files(int rootfd, const char *dir, struct seal_list *l)
{
	struct sbuf text = SBUF_INIT;
	meta(rootfd, dir, l, &text);
	char hex[65];
	char *tmp_meta = NULL, *tmp_list = NULL;
	int e = write_whole(rootfd, SEAL_META, &text, &tmp_meta);
	if (!e) {
		add_meta(l, &text);
		e = write_list(rootfd, l, &tmp_list, hex);
	}
	if (!e && sys_renameat(rootfd, tmp_meta, rootfd, SEAL_META, 0) < 0)
		e = errno;
	if (!e && sys_renameat(rootfd, tmp_list, rootfd, SEAL_LIST, 0) < 0)
		e = errno;
	if (!e && sys_fsync(rootfd) < 0)
		e = errno;
	if (e && tmp_meta)
		unlinkat(rootfd, tmp_meta, 0);
	if (e && tmp_list)
		unlinkat(rootfd, tmp_list, 0);
	free(tmp_meta);
	free(tmp_list);
	sbuf_release(&text);
	if (e) {
		fprintf(stderr, "mdexport: seal: cannot write the seal in '%s': %s; not sealed\n",
			dir, strerror(e));
		return EXIT_FATAL;
	}
	uint64_t files = 0;
	for (size_t i = 0; i < l->n; i++)
		files += l->v[i].kind == SEAL_FILE;
	/* the seal's digest is the result (for the evidence log): said even with -q */
	printf("mdexport: sealed '%s': %llu %s in %s/%s, whose SHA-256 is %s "
	       "(record it apart from DIR)\n", dir, (unsigned long long)files,
	       files == 1 ? "file" : "files", dir, SEAL_LIST, hex);
	fflush(stdout);
	return EXIT_OK;
}

int seal_dir(const char *dir, bool quiet)
{
	(void)quiet;	/* nothing but errors and the result is said */
	int rootfd = seal_open(dir);
	if (rootfd < 0)
		return EXIT_FATAL;
	struct stat st;
	if (fstatat(rootfd, ".mdexport", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(stderr, "mdexport: seal: '%s' holds .mdexport: an export into it is in "
			"progress or was cut short; not sealed (finish or re-run the export first)\n",
			dir);
		close(rootfd);
		return EXIT_FATAL;
	}
	struct sbuf err = SBUF_INIT;
	struct seal_list l;
	int ret = EXIT_OK;
	if (seal_walk(rootfd, &l, &err) < 0) {
		fprintf(stderr, "mdexport: seal: '%s': %s\n", dir, err.buf);
		ret = EXIT_FATAL;
	} else if (unsealable(dir, &l)) {
		fprintf(stderr, "mdexport: seal: '%s' is not sealed: the names above cannot be "
			"vouched for\n", dir);
		ret = EXIT_PARTIAL;
	} else {
		drop_meta(&l);
		ret = seal_files(rootfd, dir, &l);
	}
	seal_list_release(&l);
	sbuf_release(&err);
	close(rootfd);
	return ret;
}

int cmd_seal(const struct options *o)
{
	return seal_dir(o->output, o->quiet);
}
