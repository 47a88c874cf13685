#include "rounds.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"

/* an earlier round's folder */
struct round_dir {
	bool has_index;
	uint32_t uidvalidity;
	bool seen;		/* this round has it (or a folder renamed from it) */
	bool reindexed;		/* this round found it with a new UIDVALIDITY */
};

struct rounds {
	FILE *f;		/* the manifest, kept open: lines are read again by offset */
	char *display;
	char *format;
	unsigned round;		/* the last round's number */
	struct round_item *items;
	size_t n, cap;
	GHashTable *by_key;	/* key -> index + 1 of its first item */
	GHashTable *dirs;	/* folder path -> struct round_dir */
	struct sbuf key;	/* scratch */
};

static void make_key(struct sbuf *k, const char *folder, bool by_uid, uint32_t uidvalidity,
		     uint32_t uid, const char *sha)
{
	sbuf_reset(k);
	if (by_uid)
		sbuf_addf(k, "U\x1f%s\x1f%u\x1f%u", folder, uidvalidity, uid);
	else
		sbuf_addf(k, "H\x1f%s\x1f%s", folder, sha);
}

static void note_dir(struct rounds *r, const struct mf_entry *e)
{
	if (g_hash_table_contains(r->dirs, e->folder))
		return;
	struct round_dir *d = xcalloc(1, sizeof(*d));
	d->has_index = e->has_uidvalidity;
	d->uidvalidity = e->uidvalidity;
	g_hash_table_insert(r->dirs, xstrdup(e->folder), d);
}

/* add_item: a line that wrote an output item (exported, or removed since) */
static void add_item(struct rounds *r, const struct mf_entry *e, uint64_t off, uint32_t len)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->items = xreallocarray(r->items, r->cap, sizeof(*r->items));
	}
	struct round_item *it = &r->items[r->n++];
	*it = (struct round_item){ .offset = off, .length = len, .flags = e->flags,
				   .removed = e->reason == MF_REASON_REMOVED };
	bool by_uid = e->has_uidvalidity && e->has_uid;
	make_key(&r->key, e->folder, by_uid, e->uidvalidity, e->uid, e->sha256);
	gpointer first = g_hash_table_lookup(r->by_key, r->key.buf);
	if (!first) {
		g_hash_table_insert(r->by_key, xstrdup(r->key.buf), GSIZE_TO_POINTER(r->n));
		return;
	}
	size_t i = GPOINTER_TO_SIZE(first) - 1;
	while (r->items[i].next)
		i = r->items[i].next - 1;
	r->items[i].next = r->n;
}

/* load_line: line n (1: the run line); 0, or -1 (err set) */
static int load_line(struct rounds *r, unsigned n, const struct sbuf *line, uint64_t off,
		     struct sbuf *err)
{
	if (n == 1) {
		struct mf_run run;
		if (mf_parse_run(line->buf, line->len, &run, err) < 0)
			return -1;
		int ret = 0;
		if (strcmp(run.format, r->format)) {
			sbuf_addf(err, "the earlier rounds are %s, not %s", run.format, r->format);
			ret = -1;
		}
		r->round = run.round;
		mf_run_release(&run);
		return ret;
	}
	struct mf_entry e;
	if (mf_parse_entry(line->buf, line->len, r->format, &e, err) < 0)
		return -1;
	note_dir(r, &e);
	if (e.exported || e.reason == MF_REASON_REMOVED)
		add_item(r, &e, off, (uint32_t)line->len);
	mf_entry_release(&e);
	return 0;
}

static int load(struct rounds *r, struct sbuf *err)
{
	struct sbuf line = SBUF_INIT, why = SBUF_INIT;
	bool newline;
	int64_t len;
	uint64_t off = 0;
	unsigned n = 0;
	int ret = 0;
	while (ret == 0 && (len = mf_read_line(r->f, &line, &newline)) >= 0) {
		n++;
		if (!newline || len > MF_LINE_MAX) {
			sbuf_addf(&why, "line %u is cut short or too long", n);
			ret = -1;
		} else if (load_line(r, n, &line, off, &why) < 0) {
			ret = -1;
		}
		off += (uint64_t)len + 1;
	}
	if (ret == 0 && n == 0) {
		sbuf_adds(&why, "it is empty");
		ret = -1;
	}
	if (ret < 0)
		sbuf_addf(err, "cannot add a round to the export: its manifest '%s' cannot be "
			  "used (line %u: %s); check it with `mdexport verify`, or export "
			  "without --incremental", r->display, n, why.buf);
	sbuf_release(&line);
	sbuf_release(&why);
	return ret;
}

int rounds_open(struct rounds **out, int domain_fd, const char *name, const char *display,
		const char *format, struct sbuf *err)
{
	*out = NULL;
	int fd = openat(domain_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		sbuf_addf(err, "cannot read the earlier rounds' manifest '%s': %s", display,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct rounds *r = xcalloc(1, sizeof(*r));
	r->f = f;
	r->display = xstrdup(display);
	r->format = xstrdup(format);
	r->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	r->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	sbuf_init(&r->key);
	if (load(r, err) < 0) {
		rounds_free(&r);
		return -1;
	}
	*out = r;
	return 1;
}

unsigned rounds_number(const struct rounds *r)
{
	return r->round + 1;
}

/* renamed_from: an earlier folder not seen yet with f's UIDVALIDITY, or NULL */
static const char *renamed_from(struct rounds *r, const struct mail_folder *f)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, r->dirs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct round_dir *d = v;
		if (!d->seen && d->has_index && d->uidvalidity == f->uidvalidity) {
			d->seen = true;
			return k;
		}
	}
	return NULL;
}

void rounds_folder(struct rounds *r, const struct mail_folder *f, struct round_folder *rf)
{
	*rf = (struct round_folder){ .key_folder = f->path };
	struct round_dir *d = g_hash_table_lookup(r->dirs, f->path);
	if (d) {
		d->seen = true;
		if (d->has_index && f->has_index && d->uidvalidity != f->uidvalidity) {
			rf->uidvalidity_changed = true;
			rf->old_uidvalidity = d->uidvalidity;
			d->reindexed = true;
		}
		return;
	}
	if (f->has_index && (rf->renamed_from = renamed_from(r, f)) != NULL)
		rf->key_folder = rf->renamed_from;
}

bool rounds_reindexed(const struct rounds *r, const char *folder)
{
	const struct round_dir *d = g_hash_table_lookup(r->dirs, folder);
	return d && d->reindexed;
}

bool rounds_keyed_by_hash(const struct mail_folder *f, const struct mail_msg *m)
{
	return !(f->has_index && m->uid);
}

struct round_item *rounds_find(struct rounds *r, const struct round_folder *rf,
			       const struct mail_folder *f, const struct mail_msg *m,
			       const char *sha256)
{
	bool by_uid = !rounds_keyed_by_hash(f, m);
	if (!by_uid && !sha256)
		return NULL;
	make_key(&r->key, rf->key_folder, by_uid, f->uidvalidity, m->uid, sha256);
	gpointer first = g_hash_table_lookup(r->by_key, r->key.buf);
	for (size_t i = GPOINTER_TO_SIZE(first); i; i = r->items[i - 1].next) {
		struct round_item *it = &r->items[i - 1];
		if (!it->matched) {
			it->matched = true;
			return it;
		}
	}
	return NULL;
}

int rounds_line(struct rounds *r, const struct round_item *it, struct mf_entry *e,
		struct sbuf *output, struct sbuf *err)
{
	char *buf = xmalloc((size_t)it->length + 1);
	ssize_t got = pread(fileno(r->f), buf, it->length, (off_t)it->offset);
	int ret = -1;
	if (got != (ssize_t)it->length) {
		sbuf_addf(err, "cannot read '%s' again: %s", r->display,
			  got < 0 ? strerror(errno) : "it changed during the run");
	} else if (mf_parse_entry(buf, it->length, r->format, e, err) == 0) {
		/* the "output" object is the line's last value: the last `,"output":` */
		buf[it->length] = '\0';
		const char *at = NULL;
		for (const char *p = buf; (p = strstr(p, ",\"output\":")) != NULL; p++)
			at = p;
		sbuf_reset(output);
		if (at && it->length > 0)
			sbuf_add(output, at + 10, (size_t)(buf + it->length - 1 - (at + 10)));
		ret = 0;
	}
	free(buf);
	return ret;
}

struct round_item *rounds_next_unmatched(struct rounds *r, size_t *iter)
{
	while (*iter < r->n) {
		struct round_item *it = &r->items[(*iter)++];
		if (!it->matched)
			return it;
	}
	return NULL;
}

void rounds_free(struct rounds **rp)
{
	struct rounds *r = *rp;
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->display);
	free(r->format);
	free(r->items);
	g_hash_table_destroy(r->by_key);
	g_hash_table_destroy(r->dirs);
	sbuf_release(&r->key);
	free(r);
	*rp = NULL;
}
