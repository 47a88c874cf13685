/*
 * The MDaemon groupware reader (gw_read.h): one groupware folder's XML
 * file, item by item.  Opened like every source file (read-only, never
 * through a link, O_NOATIME where allowed); read with pread at the offsets
 * the split found.
 */
#include "mdaemon/gw_read.h"

#include <errno.h>
#include <glib.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/gwitem.h"
#include "core/tzone.h"
#include "core/wintext.h"
#include "core/xalloc.h"
#include "mdaemon/gw_xml.h"

#define CHUNK (64u * 1024)
/* an offset from lastModified against Modified further than this is not believed */
#define GUESS_MAX_MIN (14 * 60)

struct span {
	uint64_t off, len;
	unsigned flags;		/* enum gwx_span_flags */
};

struct gwr_folder {
	const struct gwr_env *env;
	int fd;
	struct stat st;
	enum item_kind kind;
	char *origin;		/* the file, relative to SOURCE */
	char *fname;		/* its name as on disk */
	char *uid_seed;
	struct span *spans;
	size_t nspans, next;
	const struct tzone *zone;
	struct gwx_unknowns unknown;
	bool warned_charset, reported;
	struct gw_item item;
	struct mem_body body;
	char *name;		/* "Calendar.mrk#7" */
	/*
	 * the item's origin, unique in the mailbox (the manifest's "source",
	 * verify's key): "<file>#<ID>", or "<file>@<byte offset>" for an item
	 * without an ID or with one an earlier item of the file had
	 */
	char *item_origin;
	GHashTable *ids;	/* IDs handed out so far */
};

void gwr_init(void)
{
	xmlInitParser();
}

void gwr_zones_release(struct gwr_zones *z)
{
	for (size_t i = 0; i < z->n; i++)
		tzone_free(z->v[i].zone);
	free(z->v);
	z->v = NULL;
	z->n = 0;
}

static const struct {
	enum item_kind kind;
	const char *cls, *folder;
} kinds[] = {
	{ ITEM_CALENDAR, "IPF.Appointment", "Calendar" },
	{ ITEM_CONTACT, "IPF.Contact", "Contacts" },
	{ ITEM_TASK, "IPF.Task", "Tasks" },
	{ ITEM_NOTE, "IPF.StickyNote", "Notes" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

bool gwr_wants(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcasecmp(name, gwx_file_name(kinds[i].kind)))
			return true;
	return false;
}

const char *gwr_class_guess(const struct dirlist *dl, const char *name, bool top)
{
	for (size_t i = 0; i < NKINDS; i++) {
		const struct dent *e = dirlist_find_ci(dl, gwx_file_name(kinds[i].kind));
		if (e && e->type == DENT_FILE)
			return kinds[i].cls;
	}
	/*
	 * a folder with a Hiwater.mrk that names no class (or cannot be read)
	 * is a mail folder: MDaemon writes FolderClass for groupware folders
	 */
	if (dirlist_find_ci(dl, "HIWATER.MRK"))
		return NULL;
	for (size_t i = 0; top && i < NKINDS; i++)
		if (!strcasecmp(name, kinds[i].folder))
			return kinds[i].cls;
	return NULL;
}

/* ---- opening: the split and the zone ------------------------------------- */

static void add_span(void *ctx, uint64_t off, uint64_t len, unsigned flags)
{
	struct gwr_folder *g = ctx;
	g->spans = xreallocarray(g->spans, g->nspans + 1, sizeof(*g->spans));
	g->spans[g->nspans++] = (struct span){ off, len, flags };
}

/* pread_all: len bytes at off into buf; 0, or -1 (errno; EIO: the file got shorter) */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* split: the whole file through the scanner; the root's start tag into root */
static int split(struct gwr_folder *g, struct sbuf *root)
{
	struct gwx_scan s;
	gwx_scan_init(&s, gwx_record_name(g->kind), add_span, g);
	unsigned char *buf = xmalloc(CHUNK);
	uint64_t off = 0;
	int ret = 0;
	for (;;) {
		ssize_t n = pread(g->fd, buf, CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -1;
			break;
		}
		if (n == 0)
			break;
		gwx_scan_feed(&s, buf, (size_t)n);
		off += (uint64_t)n;
	}
	gwx_scan_end(&s);
	sbuf_add(root, s.root.buf, s.root.len);
	gwx_scan_release(&s);
	free(buf);
	return ret;
}

static const struct tzone *keep_zone(const struct gwr_env *env, int offset_min)
{
	struct gwr_zones *z = env->zones;
	for (size_t i = 0; i < z->n; i++)
		if (z->v[i].offset == offset_min)
			return z->v[i].zone;
	z->v = xreallocarray(z->v, z->n + 1, sizeof(*z->v));
	z->v[z->n].offset = offset_min;
	return z->v[z->n++].zone = tzone_new_fixed(offset_min);
}

/*
 * guess_zone: with no --timezone, what the file reveals: the first
 * recurrence's TimeZone Bias, else the root's lastModified (UTC) against
 * the newest item's Modified (local), rounded to 15 minutes, else UTC
 */
static void guess_zone(struct gwr_folder *g, const struct sbuf *root)
{
	int bias = 0, offset = 0;
	bool have_bias = false;
	struct gw_time newest = { 0 };
	GByteArray *b = g_byte_array_new();
	for (size_t i = 0; i < g->nspans && !have_bias; i++) {
		if (g->spans[i].len > GWR_ITEM_MAX)
			continue;
		g_byte_array_set_size(b, (guint)g->spans[i].len);
		if (pread_all(g->fd, b->data, b->len, g->spans[i].off) < 0)
			break;
		have_bias = gwx_peek_bias((const char *)b->data, b->len, &bias);
		gwx_peek_modified((const char *)b->data, b->len, &newest);
	}
	g_byte_array_unref(b);
	int64_t last;
	const char *why = "nothing in it tells the offset";
	if (have_bias) {
		offset = -bias;
		why = "its recurrences' TimeZone Bias";
	} else if (newest.set && gwx_root_last_modified(root->buf, root->len, &last)) {
		int64_t d = gw_time_as_unix(&newest) - last;
		int64_t q = (d >= 0 ? d + 450 : d - 450) / 900;	/* quarters of an hour */
		if (q * 15 >= -GUESS_MAX_MIN && q * 15 <= GUESS_MAX_MIN) {
			offset = (int)(q * 15);
			why = "its lastModified (UTC) against its newest item's Modified";
		}
	}
	g->zone = keep_zone(g->env, offset);
	diag_warn(g->env->mb->diag, "no --timezone: times in '%s' read as %s (%s)", g->origin,
		  tzone_name(g->zone), why);
}

struct gwr_folder *gwr_open(int dirfd, const char *dir, const char *path, enum item_kind kind,
			    const struct gwr_env *env)
{
	struct dirlist dl;
	const char *want = gwx_file_name(kind);
	if (dirfd < 0 || !*want || dirlist_read_if(dirfd, gwr_wants, &dl) < 0)
		return NULL;	/* the folder's own read reports an unreadable one */
	const struct dent *e = dirlist_find_ci(&dl, want);
	if (!e) {
		dirlist_release(&dl);
		return NULL;
	}
	bool link = e->type == DENT_LINK;
	struct gwr_folder *g = xcalloc(1, sizeof(*g));
	g->env = env;
	g->kind = kind;
	g->fname = xstrdup(e->name);
	g->origin = xasprintf("%s/%s", dir, e->name);
	g->uid_seed = xasprintf("%s/%s/%s", env->domain, env->mailbox, path);
	gw_item_init(&g->item, kind);
	dirlist_release(&dl);
	struct sbuf root = SBUF_INIT;
	g->fd = link ? -1 : open_regular_at(dirfd, g->fname, &g->st);
	if (g->fd < 0 || split(g, &root) < 0) {
		/* a link is never followed: a warning as for any link in SOURCE */
		if (link)
			diag_warn(env->mb->diag, "'%s' is a symbolic link; not followed", g->origin);
		else
			diag_error(env->mb->diag, "cannot read '%s': %s; its items are not "
				   "exported", g->origin, strerror(errno));
		g->nspans = 0;
	} else if (env->zone) {
		g->zone = env->zone;
	} else if (g->nspans && kind != ITEM_CONTACT) {	/* contacts: no times to read */
		guess_zone(g, &root);
	}
	if (!g->zone)
		g->zone = keep_zone(env, 0);
	sbuf_release(&root);
	return g;
}

/* ---- items ------------------------------------------------------------ */

static void release_item(struct gwr_folder *g)
{
	gw_item_release(&g->item);
	mem_body_release(&g->body);
	free(g->name);
	g->name = NULL;
	free(g->item_origin);
	g->item_origin = NULL;
}

/* damage_known: what the split found, before the item's own reasons */
static void damage_known(struct gw_item *it, unsigned flags)
{
	const char *why = flags & GWX_CUT ? "the file ends inside it" :
		flags & GWX_INTERRUPTED ? "the next item starts inside it (its end is lost)" :
		NULL;
	if (!why)
		return;
	char *r = it->recovered ? xasprintf("%s; %s", why, it->recovered) : xstrdup(why);
	free(it->recovered);
	it->recovered = r;
	gw_add_category(it, GW_CAT_RECOVERED);
}

/* parse_item: the item's bytes (transcoded from Windows-1252 when not UTF-8) parsed */
static void parse_item(struct gwr_folder *g, const struct span *sp)
{
	const GByteArray *b = g->body.bytes;
	struct gwx_ctx cx = {
		.kind = g->kind, .zone = g->zone, .uid_seed = g->uid_seed,
		.ordinal = (unsigned)g->next,
	};
	char *owner = xasprintf("%s@%s", g->env->mailbox, g->env->domain);
	cx.owner = owner;
	if (g_utf8_validate((const char *)b->data, (gssize)b->len, NULL)) {
		gwx_parse((const char *)b->data, b->len, &cx, &g->item, &g->unknown);
	} else {
		struct sbuf u = SBUF_INIT;
		wintext_to_utf8(&u, (const char *)b->data, b->len);
		if (!g->warned_charset)
			diag_warn(g->env->mb->diag, "'%s' is not all UTF-8 (item at byte %llu "
				  "first); such items read as Windows-1252", g->origin,
				  (unsigned long long)sp->off);
		g->warned_charset = true;
		gwx_parse(u.buf, u.len, &cx, &g->item, &g->unknown);
		sbuf_release(&u);
	}
	free(owner);
	damage_known(&g->item, sp->flags);
}

/*
 * check_unchanged: at the end of the items, the file is as it was when it
 * was split (the items were read at the offsets found then); an error
 * when not, so that the run's exit status says to read it again
 */
static void check_unchanged(struct gwr_folder *g)
{
	struct stat now;
	if (g->fd < 0 || !g->nspans)
		return;
	if (fstat(g->fd, &now) < 0 || now.st_size != g->st.st_size ||
	    now.st_mtim.tv_sec != g->st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != g->st.st_mtim.tv_nsec)
		diag_error(g->env->mb->diag, "'%s' changed while its items were read; they may "
			   "be damaged: export it again", g->origin);
}

static void report_unknown(struct gwr_folder *g)
{
	if (g->reported || !g->unknown.n)
		return;
	g->reported = true;
	struct sbuf what = SBUF_INIT;
	unsigned n = gwx_unknowns_describe(&g->unknown, &what);
	diag_warn(g->env->mb->diag, "'%s': kept %u unknown field%s (%s) as X-MDAEMON-*",
		  g->origin, n, n == 1 ? "" : "s", what.buf);
	sbuf_release(&what);
}

/* hand_out: the current item as m */
static int hand_out(struct gwr_folder *g, const struct span *sp, struct mail_msg *m,
		    struct sbuf *prefix, struct sbuf *err)
{
	memset(m, 0, sizeof(*m));
	if (!g->item_origin) {
		if (!g->ids)
			g->ids = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
		const char *id = g->item.id;
		bool unique = id && *id && !g_hash_table_contains(g->ids, id);
		if (unique)
			g_hash_table_add(g->ids, xstrdup(id));
		g->item_origin = unique ? xasprintf("%s#%s", g->origin, id) :
			xasprintf("%s@%llu", g->origin, (unsigned long long)sp->off);
	}
	m->origin = g->item_origin;
	m->kind = g->kind;
	m->seq = (unsigned)g->next;
	m->received = (int64_t)g->st.st_mtim.tv_sec;
	m->date_source = "mtime";
	if (!g->name)
		g->name = xasprintf("%s@%llu", g->fname, (unsigned long long)sp->off);
	m->name = g->name;
	if (!g->body.bytes) {
		m->size = sp->len;
		m->size_known = true;
		sbuf_addf(err, "'%s': the item at byte %llu is %llu bytes, more than %u MiB; "
			  "skipped", g->origin, (unsigned long long)sp->off,
			  (unsigned long long)sp->len, GWR_ITEM_MAX >> 20);
		return CONV_MSG_BAD;
	}
	m->gw = &g->item;
	if (g->item.modified.set) {
		m->received = tzone_to_utc(g->zone, &g->item.modified);
		m->date_source = "modified";
	}
	m->body = &g->body.body;
	m->size = g->body.bytes->len;
	m->size_known = true;
	return msg_read_head(m, g->env->mb, prefix, err);
}

static int load(struct gwr_folder *g, const struct span *sp, struct sbuf *err)
{
	if (sp->len > GWR_ITEM_MAX)
		return 0;
	GByteArray *b = g_byte_array_sized_new((guint)sp->len);
	g_byte_array_set_size(b, (guint)sp->len);
	if (pread_all(g->fd, b->data, b->len, sp->off) < 0) {
		sbuf_addf(err, "cannot read '%s' at byte %llu: %s", g->origin,
			  (unsigned long long)sp->off, errno == EIO ? "it got shorter" :
			  strerror(errno));
		g_byte_array_unref(b);
		return -1;
	}
	mem_body_init(&g->body, b);
	parse_item(g, sp);
	if (g->item.id)
		g->name = xasprintf("%s#%s", g->fname, g->item.id);
	return 0;
}

int gwr_next(struct gwr_folder *g, struct mail_msg *m, struct sbuf *prefix, struct sbuf *err)
{
	release_item(g);
	gw_item_init(&g->item, g->kind);
	if (g->next >= g->nspans) {
		if (!g->reported)
			check_unchanged(g);
		report_unknown(g);
		g->reported = true;
		return CONV_DONE;
	}
	const struct span *sp = &g->spans[g->next++];
	if (load(g, sp, err) < 0) {
		memset(m, 0, sizeof(*m));
		m->origin = g->origin;
		m->name = g->fname;
		m->kind = g->kind;
		return CONV_MSG_BAD;
	}
	return hand_out(g, sp, m, prefix, err);
}

int gwr_again(struct gwr_folder *g, struct mail_msg *m, struct sbuf *prefix, struct sbuf *err)
{
	if (!g->next)
		return CONV_DONE;
	const struct span *sp = &g->spans[g->next - 1];
	if (!g->body.bytes && sp->len <= GWR_ITEM_MAX) {
		sbuf_addf(err, "cannot read '%s' at byte %llu again", g->origin,
			  (unsigned long long)sp->off);
		return CONV_MSG_BAD;
	}
	return hand_out(g, sp, m, prefix, err);
}

unsigned gwr_count(const struct gwr_folder *g)
{
	return g ? (unsigned)g->next : 0;
}

void gwr_close(struct gwr_folder *g)
{
	if (!g)
		return;
	report_unknown(g);
	release_item(g);
	if (g->fd >= 0)
		close(g->fd);
	gwx_unknowns_release(&g->unknown);
	if (g->ids)
		g_hash_table_destroy(g->ids);
	free(g->spans);
	free(g->origin);
	free(g->fname);
	free(g->uid_seed);
	free(g);
}
