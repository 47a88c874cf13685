/*
 * The seal's walk of DIR: every name reached from DIR's descriptor with
 * openat(O_NOFOLLOW), each file streamed through SHA-256 in 1 MiB chunks
 * (memory flat in the size of a PST), a link recorded and never followed.
 * Used by `seal` and by `verify DIR`; thread-free, no state outside its
 * arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "seal.h"

#define CHUNK (1024 * 1024)

/* no_digest: OpenSSL fails a SHA-256 only when out of memory, as xalloc.h would stop */
static void no_digest(void)
{
	fputs("mdexport: out of memory (SHA-256)\n", stderr);
	abort();
}

/* open_ro: read-only, no link followed; O_NOATIME where the owner allows it */
static int open_ro(int dirfd, const char *name, int extra)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | extra;
	int fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* O_NOATIME is the file owner's (or root's) */
		fd = openat(dirfd, name, flags);
	return fd;
}

static void hex_of(const unsigned char *md, char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void seal_hash_mem(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		no_digest();
	hex_of(md, hex);
}

/*
 * hash_range: bytes [at, at + want) of fd (want UINT64_MAX: to its end);
 * 0, or an errno (EIO: the file ends before the range does)
 */
static int hash_range(int fd, unsigned char *buf, uint64_t at, uint64_t want, char hex[65],
		      uint64_t *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		no_digest();
	int e = 0;
	*size = 0;
	while (*size < want) {
		uint64_t left = want - *size;
		ssize_t n = pread(fd, buf, left < CHUNK ? (size_t)left : CHUNK,
				  (off_t)(at + *size));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		if (n == 0) {
			e = want == UINT64_MAX ? 0 : EIO;
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	hex_of(md, hex);
	return e;
}

/* hash_fd: the whole file; 0, or an errno */
static int hash_fd(int fd, unsigned char *buf, char hex[65], uint64_t *size)
{
	return hash_range(fd, buf, 0, UINT64_MAX, hex, size);
}

struct walk {
	struct seal_list *out;
	unsigned char *buf;
	struct sbuf *err;
};

static struct seal_entry *add(struct walk *w, char *rel, enum seal_kind kind)
{
	struct seal_list *l = w->out;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = (struct seal_entry){ .rel = rel, .kind = kind };
	return &l->v[l->n++];
}

/* one_file: name in dirfd hashed; the descriptor checked to be the file lstat saw */
static void one_file(struct walk *w, int dirfd, const char *name, char *rel)
{
	struct seal_entry *e = add(w, rel, SEAL_FILE);
	int fd = open_ro(dirfd, name, O_NONBLOCK);
	struct stat st;
	int err = fd < 0 ? errno : fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
	if (!err)
		err = hash_fd(fd, w->buf, e->hex, &e->size);
	if (fd >= 0)
		close(fd);
	if (err) {
		e->kind = err == ELOOP ? SEAL_LINK : SEAL_UNREADABLE;
		e->why = xstrdup(strerror(err));
	}
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix);

static void one_name(struct walk *w, int dirfd, const char *prefix, const char *name)
{
	char *rel = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		add(w, rel, SEAL_UNREADABLE)->why = xstrdup(strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		add(w, rel, SEAL_LINK);
	} else if (S_ISREG(st.st_mode)) {
		one_file(w, dirfd, name, rel);
	} else if (S_ISDIR(st.st_mode)) {
		int sub = open_ro(dirfd, name, O_DIRECTORY);
		if (sub < 0) {
			add(w, rel, SEAL_UNREADABLE)->why = xstrdup(strerror(errno));
			return;
		}
		add(w, rel, SEAL_DIR);
		walk_dir(w, sub, rel);	/* closes sub */
	} else {
		add(w, rel, SEAL_OTHER);
	}
}

/* walk_dir: every name of dirfd (consumed: closed here) */
static int walk_dir(struct walk *w, int fd, const char *prefix)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		sbuf_addf(w->err, "cannot read '%s': %s", *prefix ? prefix : ".", strerror(errno));
		close(fd);
		return -1;
	}
	/* the names first: the folder stays open once, not for every level below */
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!*prefix && !strcmp(de->d_name, SEAL_LIST)))
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	for (size_t i = 0; i < n; i++) {
		one_name(w, dirfd(d), prefix, names[i]);
		free(names[i]);
	}
	free(names);
	closedir(d);
	return 0;
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct seal_entry *)a)->rel, ((const struct seal_entry *)b)->rel);
}

void seal_list_sort(struct seal_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_rel);
}

int seal_walk(int rootfd, struct seal_list *out, struct sbuf *err)
{
	*out = (struct seal_list){ 0 };
	int fd = dup(rootfd);
	if (fd < 0) {
		sbuf_addf(err, "cannot read DIR: %s", strerror(errno));
		return -1;
	}
	struct walk w = { .out = out, .buf = xmalloc(CHUNK), .err = err };
	int ret = walk_dir(&w, fd, "");
	free(w.buf);
	seal_list_sort(out);
	return ret;
}

void seal_list_release(struct seal_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].why);
	}
	free(l->v);
	*l = (struct seal_list){ 0 };
}

/*
 * seal_line: GNU sha256sum's line.  A name holding '\\', '\n' or '\r' is
 * written with those escaped (\\, \n, \r) and the line begins with '\\',
 * as coreutils does, so that `sha256sum -c` reads the name back whole.
 */
void seal_line(struct sbuf *out, const char *hex, const char *rel)
{
	bool esc = strpbrk(rel, "\\\n\r") != NULL;
	sbuf_addf(out, "%s%s  ", esc ? "\\" : "", hex);
	for (const char *p = rel; *p; p++) {
		if (esc && *p == '\\')
			sbuf_adds(out, "\\\\");
		else if (esc && *p == '\n')
			sbuf_adds(out, "\\n");
		else if (esc && *p == '\r')
			sbuf_adds(out, "\\r");
		else
			sbuf_addch(out, *p);
	}
	sbuf_adds(out, "\n");
}

int seal_open_rel(int rootfd, const char *rel)
{
	int dirfd = dup(rootfd);
	const char *p = rel;
	const char *slash;
	while (dirfd >= 0 && (slash = strchr(p, '/'))) {
		char *name = xstrndup(p, (size_t)(slash - p));
		int sub = open_ro(dirfd, name, O_DIRECTORY);
		int e = errno;
		free(name);
		close(dirfd);
		dirfd = sub;
		errno = e;
		p = slash + 1;
	}
	if (dirfd < 0)
		return -1;
	int fd = open_ro(dirfd, p, 0);
	int e = errno;
	close(dirfd);
	errno = e;
	return fd;
}

int seal_hash_rel(int rootfd, const char *rel, char hex[65])
{
	return seal_hash_range_rel(rootfd, rel, 0, UINT64_MAX, hex);
}

int seal_hash_range_rel(int rootfd, const char *rel, uint64_t at, uint64_t len, char hex[65])
{
	int fd = seal_open_rel(rootfd, rel);
	if (fd < 0)
		return errno;
	unsigned char *buf = xmalloc(CHUNK);
	uint64_t size;
	int e = hash_range(fd, buf, at, len, hex, &size);
	free(buf);
	close(fd);
	return e;
}
