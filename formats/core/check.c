/*
 * The read-back interface's shared helpers (check.h): the handle's common
 * part, the walk of an output tree, and the streaming comparison for
 * `verify`: a source message of any size against
 * an output item of any size, a chunk at a time, naming the first byte
 * where they part.  The source side is pushed through the same sinks
 * msg_copy_range() feeds, the output side pulled to match it, so neither
 * ever sits in memory whole.
 *
 * The CRLF-to-LF filter here is the verifier's own, written from the
 * README's rule rather than shared with formats/core/linefilter.c, so that a
 * mistake in the writer's filter cannot hide itself.
 */
#include "core/check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/outdir.h"
#include "core/xalloc.h"

/* ---- the handle and the output tree ------------------------------------------ */

void check_init(struct mail_check *c, const struct mail_check_ops *v, const char *dir,
		const char *out_rel)
{
	c->v = v;
	c->dir = xstrdup(dir);
	c->out_rel = xstrdup(out_rel);
}

void check_release(struct mail_check *c)
{
	free(c->dir);
	free(c->out_rel);
}

void check_loc_release(struct check_loc *l)
{
	free(l->file);
	free(l->folder);
	memset(l, 0, sizeof(*l));
}

char *check_path(const struct mail_check *c, const char *rel)
{
	return xasprintf("%s/%s", c->dir, rel);
}

char *check_dir_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	return slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
}

static void walk_below(const struct mail_check *c, const char *rel, int depth,
		       void (*fn)(void *ctx, const char *rel, const struct stat *st), void *ctx)
{
	char *path = check_path(c, rel);
	int fd = depth < 64 ? path_open(path, O_RDONLY | O_DIRECTORY) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !d)
		close(fd);
	free(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *sub = xasprintf("%s/%s", rel, de->d_name);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode))
				walk_below(c, sub, depth + 1, fn, ctx);
			else
				fn(ctx, sub, &st);
		}
		free(sub);
	}
	if (d)
		closedir(d);
}

void check_walk(const struct mail_check *c, const char *rel,
		void (*fn)(void *ctx, const char *rel, const struct stat *st), void *ctx)
{
	walk_below(c, rel, 0, fn, ctx);
}

/* ---- streaming comparison ------------------------------------------------------ */

static ssize_t vfile_read(struct vpull *p, unsigned char *buf, size_t n)
{
	struct vfile_pull *f = (struct vfile_pull *)p;
	if (f->pos >= f->end)
		return 0;
	if (n > f->end - f->pos)
		n = (size_t)(f->end - f->pos);
	ssize_t got;
	do
		got = pread(f->fd, buf, n, (off_t)f->pos);
	while (got < 0 && errno == EINTR);
	if (got > 0)
		f->pos += (uint64_t)got;
	return got;
}

void vfile_pull_init(struct vfile_pull *p, int fd, uint64_t from, uint64_t to)
{
	p->base.read = vfile_read;
	p->fd = fd;
	p->pos = from;
	p->end = to;
}

void vcmp_init(struct vcmp *c, struct vpull *out)
{
	c->out = out;
	c->n = c->out_n = c->lines = 0;
	c->diff_at = UINT64_MAX;
	c->out_errno = 0;
	c->src_sum = g_checksum_new(G_CHECKSUM_SHA256);
	c->out_sum = g_checksum_new(G_CHECKSUM_SHA256);
}

/* pull: up to n output bytes into c->buf; 0 at its end or on error */
static size_t pull(struct vcmp *c, size_t n)
{
	size_t have = 0;
	while (!c->out_errno && have < n) {
		ssize_t got = c->out->read(c->out, c->buf + have, n - have);
		if (got < 0)
			c->out_errno = errno ? errno : EIO;
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	g_checksum_update(c->out_sum, c->buf, (gssize)have);
	c->out_n += have;
	return have;
}

/* note: compare a source chunk with the output bytes pulled for it */
static void note(struct vcmp *c, const unsigned char *src, size_t n, size_t got)
{
	if (c->diff_at != UINT64_MAX)
		return;
	size_t i = 0;
	size_t both = n < got ? n : got;
	while (i < both && src[i] == c->buf[i])
		i++;
	for (size_t k = 0; k < i; k++)
		c->lines += src[k] == '\n';
	if (i < n)		/* a differing byte, or the output ended */
		c->diff_at = c->n + i;
}

int vcmp_push(void *ctx, const void *data, size_t len)
{
	struct vcmp *c = ctx;
	const unsigned char *p = data;
	g_checksum_update(c->src_sum, p, (gssize)len);
	while (len) {
		size_t n = len < sizeof(c->buf) ? len : sizeof(c->buf);
		size_t got = pull(c, n);
		note(c, p, n, got);
		c->n += n;
		p += n;
		len -= n;
	}
	return 0;
}

static void drain(struct vcmp *c)
{
	while (pull(c, sizeof(c->buf)))
		;
}

bool vcmp_finish(struct vcmp *c, const char *what, const char *vs, struct sbuf *why)
{
	drain(c);
	gsize len = sizeof(c->src_digest);
	g_checksum_get_digest(c->src_sum, c->src_digest, &len);	/* closes it: */
	bool same = c->diff_at == UINT64_MAX && c->out_n == c->n && !c->out_errno;
	if (c->out_errno) {
		sbuf_addf(why, "cannot read %s: %s", what, strerror(c->out_errno));
	} else if (!same) {		/* get_string still works on a closed checksum */
		uint64_t at = c->diff_at == UINT64_MAX ? c->n : c->diff_at;
		sbuf_addf(why, "%s differs from %s from byte %llu on (line %llu): %llu bytes "
			  "against %llu, SHA-256 %s against %s", what, vs,
			  (unsigned long long)at, (unsigned long long)c->lines + 1,
			  (unsigned long long)c->out_n, (unsigned long long)c->n,
			  g_checksum_get_string(c->out_sum), g_checksum_get_string(c->src_sum));
	}
	vcmp_abort(c);
	return same;
}

void vcmp_abort(struct vcmp *c)
{
	if (c->src_sum)
		g_checksum_free(c->src_sum);
	if (c->out_sum)
		g_checksum_free(c->out_sum);
	c->src_sum = c->out_sum = NULL;
}

/* ---- output files ---------------------------------------------------------- */

/* verify_open_output: O_NOFOLLOW, as an output the writer made is never a symbolic link */
int verify_open_output(const char *path, bool *absent, struct sbuf *why)
{
	*absent = false;
	int fd = path_open(path, O_RDONLY);	/* any length: outputs can be deep */
	if (fd < 0) {
		*absent = errno == ENOENT || errno == ENOTDIR;
		if (*absent)
			sbuf_adds(why, "no such file");
		else
			sbuf_addf(why, "cannot open it: %s", strerror(errno));
		return -1;
	}
	return fd;
}

/*
 * verify_file: the whole file at path against the source, through the
 * CRLF-to-LF rule when lf; VERIFY_SAME, _DIFFERS, _ABSENT or _SOURCE_BAD.
 */
int verify_file(const struct mail_msg *src, const char *path, bool lf, struct sbuf *why)
{
	bool absent;
	int fd = verify_open_output(path, &absent, why);
	if (fd < 0)
		return absent ? VERIFY_ABSENT : VERIFY_DIFFERS;
	off_t size = lseek(fd, 0, SEEK_END);
	struct vfile_pull out;
	vfile_pull_init(&out, fd, 0, size < 0 ? 0 : (uint64_t)size);
	struct vcmp c;
	vcmp_init(&c, &out.base);
	struct vlf f;
	vlf_init(&f, vcmp_push, &c);
	struct sbuf err = SBUF_INIT;
	int ret = msg_copy_range(src, 0, lf ? vlf_push : vcmp_push, lf ? (void *)&f : &c, &err);
	vlf_finish(&f);
	if (ret != CONV_OK) {
		vcmp_abort(&c);
		sbuf_adds(why, err.buf);
		ret = VERIFY_SOURCE_BAD;
	} else {
		ret = vcmp_finish(&c, "the file", lf ? "the source with CRLF turned into LF" :
				  "the source", why) ? VERIFY_SAME : VERIFY_DIFFERS;
	}
	sbuf_release(&err);
	close(fd);
	return ret;
}

/* ---- CRLF to LF ------------------------------------------------------------- */

void vlf_init(struct vlf *f, msg_sink_fn *next, void *ctx)
{
	f->next = next;
	f->ctx = ctx;
	f->pending_cr = false;
	f->last = '\0';
}

static int pass(struct vlf *f, const unsigned char *p, size_t n)
{
	if (!n)
		return 0;
	f->last = p[n - 1];
	return f->next(f->ctx, p, n);
}

int vlf_push(void *ctx, const void *data, size_t len)
{
	struct vlf *f = ctx;
	const unsigned char *p = data, *end = p + len;
	if (f->pending_cr && len) {	/* a CR ended the last chunk */
		f->pending_cr = false;
		if (*p != '\n' && pass(f, (const unsigned char *)"\r", 1) < 0)
			return -1;
	}
	while (p < end) {
		const unsigned char *cr = memchr(p, '\r', (size_t)(end - p));
		if (!cr)
			return pass(f, p, (size_t)(end - p));
		if (pass(f, p, (size_t)(cr - p)) < 0)
			return -1;
		if (cr + 1 == end) {
			f->pending_cr = true;
			return 0;
		}
		p = cr[1] == '\n' ? cr + 1 : cr;	/* drop the CR of a CRLF only */
		if (p == cr) {
			if (pass(f, cr, 1) < 0)
				return -1;
			p = cr + 1;
		}
	}
	return 0;
}

int vlf_finish(struct vlf *f)
{
	if (!f->pending_cr)
		return 0;
	f->pending_cr = false;
	return pass(f, (const unsigned char *)"\r", 1);
}

/* ---- SHA-256 of a source message ---------------------------------------------- */

static int sum_sink(void *ctx, const void *data, size_t len)
{
	g_checksum_update(ctx, data, (gssize)len);
	return 0;
}

int verify_sha256_msg(const struct mail_msg *msg, char hex[65], struct sbuf *err)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	int ret = msg_copy_range(msg, 0, sum_sink, ck, err);
	snprintf(hex, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	return ret;
}

void verify_flag_names(unsigned flags, char *out)
{
	static const char *const names[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					     "\\Draft" };
	static const unsigned bits[] = { MSG_SEEN, MSG_ANSWERED, MSG_FLAGGED, MSG_DELETED,
					 MSG_DRAFT };
	*out = '\0';
	for (size_t i = 0; i < 5; i++)
		if (flags & bits[i])
			strcat(strcat(out, *out ? " " : ""), names[i]);
	if (!*out)
		strcpy(out, "none");
}
