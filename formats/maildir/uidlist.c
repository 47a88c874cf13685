/*
 * issue 16: each Maildir folder's dovecot-uidlist (uidlist.h).
 *
 * The folder's messages are kept as records of a core/recsort.h sort, so
 * a folder of a million messages stays flat in memory:
 *   <0: a usable UID, 1: none> <uid, big-endian> <seq, big-endian> <name> NUL
 * read back by UID, then (those without one) in the folder's order.  The
 * source's UIDs are kept as they are; a message without one (a folder with
 * no IMAP.MRK, a message its index does not list), or whose UID is not
 * above the one before it (a repeated UID, or one at or below an earlier
 * round's), is numbered after the highest and after the source's next UID
 * less one, in the folder's order.  So the
 * list is always what Dovecot takes: UIDs strictly ascending.
 *
 * UIDVALIDITY: the source's; for a folder without one, a digest of the
 * folder's directory and file names without their flags (never 0): the same source gives the
 * same list, and a folder whose messages changed gets a new UIDVALIDITY,
 * so that no IMAP client can take a new UID for an old message.
 */
#include "maildir/uidlist.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/outfile.h"
#include "core/recsort.h"
#include "core/xalloc.h"
#include "maildir/maildir.h"

struct uidlist_w {
	struct recsort *recs;	/* this folder's messages (NULL: no folder begun) */
	struct sbuf rec;
	char *dir;		/* the folder's directory in the output ("": INBOX) */
	char *path;		/* its name, for messages */
	uint32_t src_uidvalidity, src_uidnext;
	GHashTable *renames;	/* a round: earlier name -> new name (both owned) */
};

/* what an earlier round's list holds (a round); valid: there is one to join */
struct old_list {
	FILE *f;
	uint32_t uidvalidity, uidnext, last;
	char guid[64];		/* the header's G field ("": none) */
};

struct uidlist_w *uidlist_w_new(void)
{
	struct uidlist_w *u = xcalloc(1, sizeof(*u));
	sbuf_init(&u->rec);
	u->renames = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	return u;
}

static void folder_reset(struct uidlist_w *u)
{
	recsort_free(u->recs);
	u->recs = NULL;
	free(u->dir);
	free(u->path);
	u->dir = u->path = NULL;
	g_hash_table_remove_all(u->renames);
}

void uidlist_w_free(struct uidlist_w *u)
{
	if (!u)
		return;
	folder_reset(u);
	g_hash_table_destroy(u->renames);
	sbuf_release(&u->rec);
	free(u);
}

/* by_bytes: records ordered as memcmp orders them (the key is big-endian) */
static int by_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

void uidlist_w_begin(struct uidlist_w *u, const struct mail_folder *f, const char *dir)
{
	folder_reset(u);
	u->recs = recsort_new(0, by_bytes, NULL);
	u->dir = xstrdup(dir);
	u->path = xstrdup(f->path);
	u->src_uidvalidity = f->uidvalidity;
	u->src_uidnext = f->uidnext;
}

static void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void uidlist_w_add(struct uidlist_w *u, const struct mail_msg *msg, const char *name)
{
	if (!u->recs)
		return;
	uint8_t key[9] = { msg->uid ? 0 : 1 };
	put_u32be(key + 1, msg->uid);
	put_u32be(key + 5, msg->seq);
	sbuf_reset(&u->rec);
	sbuf_add(&u->rec, key, sizeof(key));
	sbuf_add(&u->rec, name, strlen(name) + 1);
	recsort_add(u->recs, u->rec.buf, u->rec.len);
}

void uidlist_w_rename(struct uidlist_w *u, const char *old_name, const char *new_name)
{
	g_hash_table_replace(u->renames, xstrdup(old_name), xstrdup(new_name));
}

/* ---- an earlier round's list ---------------------------------------------------- */

bool uidlist_parse_u32(const char **p, uint32_t *out)
{
	uint64_t v = 0;
	const char *s = *p;
	while (*s >= '0' && *s <= '9' && v <= UINT32_MAX)
		v = v * 10 + (uint64_t)(*s++ - '0');
	if (s == *p || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	*p = s;
	return true;
}

/* old_header: "3 V<v> N<n> [G<guid>] ..." (the only version Dovecot 2 writes) */
static const char *old_header(struct old_list *o, const char *line)
{
	if (strncmp(line, "3 ", 2))
		return "not a version 3 header";
	for (const char *p = line + 2; *p; ) {
		char key = *p++;
		if (key == 'V' || key == 'N') {
			if (!uidlist_parse_u32(&p, key == 'V' ? &o->uidvalidity : &o->uidnext))
				return "a header field that is no number";
		} else if (key == 'G') {
			size_t n = strcspn(p, " ");
			if (n < sizeof(o->guid))
				snprintf(o->guid, sizeof(o->guid), "%.*s", (int)n, p);
		}
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return o->uidvalidity && o->uidnext ? NULL : "no UIDVALIDITY or next UID";
}

/* old_name: where a v3 line's file name begins ("<uid> [fields] :<name>"); NULL: none */
static const char *old_name(const char *line, uint32_t *uid)
{
	const char *p = line;
	if (!uidlist_parse_u32(&p, uid) || *p != ' ')
		return NULL;
	while (*p == ' ')
		p++;
	while (*p && *p != ':') {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return *p == ':' && p[1] ? p + 1 : NULL;
}

/* chomp: a line without its "\n" (and a "\r" before it) */
static void chomp(char *line, ssize_t *len)
{
	if (*len && line[*len - 1] == '\n')
		line[--*len] = '\0';
	if (*len && line[*len - 1] == '\r')
		line[--*len] = '\0';
}

/* old_scan: the header and the highest UID; NULL, or what is wrong (f rewound) */
static const char *old_scan(struct old_list *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why = NULL;
	unsigned n = 0;
	while (!why && (len = getline(&line, &cap, o->f)) >= 0) {
		chomp(line, &len);
		uint32_t uid;
		if (n++ == 0)
			why = old_header(o, line);
		else if (!old_name(line, &uid) || uid <= o->last)
			why = "a line that is not '<uid> :<file name>' in ascending UIDs";
		else
			o->last = uid;
	}
	free(line);
	if (!why && n == 0)
		why = "empty";
	rewind(o->f);
	return why;
}

/*
 * old_open: the earlier round's list of dir in final; 1 (o->f open), 0
 * when the folder is new in this round, -1 when there is a folder but no
 * list that can be joined (said on d)
 */
static int old_open(struct uidlist_w *u, int final_fd, struct old_list *o, struct diag *d)
{
	int dfd = *u->dir ? openat(final_fd, u->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC) : dup(final_fd);
	const char *shown = u->path;
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;	/* a folder new in this round */
		diag_warn(d, "cannot open folder '%s' of the earlier rounds: %s; its %s is left "
			  "as it was", shown, strerror(errno), UIDLIST_NAME);
		return -1;
	}
	int fd = openat(dfd, UIDLIST_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	bool had_cur = faccessat(dfd, "cur", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	if (fd < 0) {
		if (!had_cur)
			return 0;
		diag_warn(d, "folder '%s' of the earlier rounds has no %s it can join (%s); "
			  "it is left without one: Dovecot numbers its messages itself",
			  shown, UIDLIST_NAME, strerror(e));
		return -1;
	}
	o->f = fdopen(fd, "r");
	if (!o->f) {
		close(fd);
		return -1;
	}
	const char *why = old_scan(o);
	if (why) {
		diag_warn(d, "the earlier rounds' %s of folder '%s': %s; it is left as it was",
			  UIDLIST_NAME, shown, why);
		fclose(o->f);
		o->f = NULL;
		return -1;
	}
	return 1;
}

/* old_copy: the earlier lines into of, each renamed where its flags changed */
static void old_copy(struct uidlist_w *u, struct old_list *o, struct outfile *of)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned n = 0;
	while ((len = getline(&line, &cap, o->f)) >= 0) {
		chomp(line, &len);
		uint32_t uid;
		const char *name = n++ ? old_name(line, &uid) : NULL;
		if (!name)
			continue;	/* the header (scanned before) */
		const char *renamed = g_hash_table_lookup(u->renames, name);
		outfile_write(of, line, (size_t)(name - line));
		outfile_write(of, renamed ? renamed : name, strlen(renamed ? renamed : name));
		outfile_write(of, "\n", 1);
	}
	free(line);
}

/* ---- this round's messages ------------------------------------------------------ */

/*
 * number: the UIDs the records get after floor (the highest UID before
 * them): the last one given; with of, their lines are written.  A
 * record whose UID is not above the last is numbered after all the
 * others, with those that have none, in the folder's order (late).
 */
static int number(struct uidlist_w *u, uint32_t floor, struct outfile *of, uint32_t *last,
		  uint32_t *digest, struct sbuf *err)
{
	struct sbuf late = SBUF_INIT;	/* NUL-separated names, in the folder's order */
	const void *rec;
	size_t len;
	int r;
	uint32_t at = floor, h = 2166136261u;	/* FNV-1a over the folder and its names */
	for (const char *p = u->dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	recsort_rewind(u->recs);
	while ((r = recsort_next(u->recs, &rec, &len)) > 0) {
		const uint8_t *k = rec;
		const char *name = (const char *)k + 9;
		/* the base only: the flags and their separator are no message's identity */
		const char *info = maildir_info(name);
		for (const char *p = name; *p && p != info; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		uint32_t uid = get_u32be(k + 1);
		if (k[0] == 0 && uid > at) {
			at = uid;
			if (of) {
				sbuf_reset(&u->rec);
				sbuf_addf(&u->rec, "%u :%s\n", uid, name);
				outfile_write(of, u->rec.buf, u->rec.len);
			}
		} else {
			sbuf_add(&late, name, strlen(name) + 1);
		}
	}
	/*
	 * after the source's next UID too: a UID below it may have been a
	 * message since expunged, which an IMAP client must never see reused
	 */
	if (late.len && u->src_uidnext && at < u->src_uidnext - 1)
		at = u->src_uidnext - 1;
	for (size_t i = 0; r == 0 && i < late.len; i += strlen(late.buf + i) + 1) {
		at++;
		if (of) {
			sbuf_reset(&u->rec);
			sbuf_addf(&u->rec, "%u :%s\n", at, late.buf + i);
			outfile_write(of, u->rec.buf, u->rec.len);
		}
	}
	sbuf_release(&late);
	if (r < 0) {
		recsort_error(u->recs, err);
		return -1;
	}
	*last = at;
	*digest = h ? h : 1;
	return 0;
}

static int write_list(struct uidlist_w *u, struct tree *partial, struct old_list *o,
		      struct sbuf *err)
{
	uint32_t floor = 0, last, digest;
	if (o->f)
		floor = o->uidnext - 1 > o->last ? o->uidnext - 1 : o->last;
	if (number(u, floor, NULL, &last, &digest, err) < 0)
		return -1;
	uint32_t v = o->f ? o->uidvalidity : u->src_uidvalidity ? u->src_uidvalidity : digest;
	uint32_t next = last + 1;
	if (o->f && o->uidnext > next)
		next = o->uidnext;
	if (u->src_uidnext > next)
		next = u->src_uidnext;
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "%s%s%s", u->dir, *u->dir ? "/" : "", UIDLIST_NAME);
	struct outfile of;
	bool made = (!*u->dir || tree_mkdirs(partial, u->dir, err) >= 0) &&
		    outfile_create(&of, partial, path.buf, err) >= 0;
	sbuf_release(&path);
	if (!made)
		return -1;
	sbuf_reset(&u->rec);
	sbuf_addf(&u->rec, "3 V%u N%u", v, next);
	if (o->guid[0])
		sbuf_addf(&u->rec, " G%s", o->guid);
	sbuf_addch(&u->rec, '\n');
	outfile_write(&of, u->rec.buf, u->rec.len);
	if (o->f)
		old_copy(u, o, &of);
	if (number(u, floor, &of, &last, &digest, err) < 0) {
		outfile_abort(&of);
		return -1;
	}
	return outfile_close(&of, -1, err);
}

int uidlist_w_end(struct uidlist_w *u, struct tree *partial, int final_fd, struct diag *d,
		  struct sbuf *err)
{
	if (!u->recs)
		return 0;
	struct old_list o = { 0 };
	int ret = 0;
	if (final_fd < 0 || old_open(u, final_fd, &o, d) >= 0)
		ret = write_list(u, partial, &o, err);
	if (o.f)
		fclose(o.f);
	folder_reset(u);
	return ret;
}
