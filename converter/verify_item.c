/*
 * verify of a groupware item (issue 14).  Its manifest line says what it
 * was (kind, the source's ID, the UID written) and where it went.  A
 * format that keeps such items itself (PST) reads its item back through
 * its own compare; for the others the item is text in a file beside the
 * folder's mail, and the bytes the line names must be exactly the text
 * the source item gives now (core/gwtext.h), with the --timezone and
 * --vcard of the export.  The source item's own bytes were held against
 * the line's SHA-256 before (check_fields).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/gwitem.h"
#include "core/gwtext.h"
#include "core/xalloc.h"
#include "formats.h"
#include "verify_cmd.h"
#include "verify_item.h"

/* vcard_of: the export's --vcard (3 or 4), from the command its run line recorded */
static unsigned vcard_of(const struct vbox *b)
{
	for (size_t i = 0; i + 1 < b->mrun.ncommand; i++)
		if (!strcmp(b->mrun.command[i], "--vcard"))
			return b->mrun.command[i + 1][0] == '3' ? 3 : 4;
	for (size_t i = 0; i < b->mrun.ncommand; i++)
		if (!strncmp(b->mrun.command[i], "--vcard=", 8))
			return b->mrun.command[i][8] == '3' ? 3 : 4;
	return 4;
}

/* pread_full: len bytes at off, short only at the end of the file; -1 on error */
static ssize_t pread_full(int fd, char *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* read_range: bytes [off, off+len) of DIR/rel into out; 0, or -1 with why set */
static int read_range(const struct vbox *b, const char *rel, uint64_t off, uint64_t len,
		      struct sbuf *out, struct sbuf *why)
{
	if (len > 64u << 20) {
		sbuf_addf(why, "the line's length (%llu bytes) is beyond any item's",
			  (unsigned long long)len);
		return -1;
	}
	char *path = vpath(b, rel);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0) {
		sbuf_addf(why, "cannot open it: %s", strerror(errno));
		return -1;
	}
	sbuf_reset(out);
	sbuf_grow(out, (size_t)len + 1);
	ssize_t got = pread_full(fd, out->buf, (size_t)len, (off_t)off);
	int e = errno;
	close(fd);
	if (got < 0 || (uint64_t)got != len) {
		uint64_t end = off + len;
		sbuf_addf(why, "cannot read bytes %llu-%llu of it: %s", (unsigned long long)off,
			  (unsigned long long)end, got < 0 ? strerror(e) : "the file is shorter");
		return -1;
	}
	sbuf_setlen(out, (size_t)len);
	return 0;
}

/*
 * same_text: whether have is the item's text: alone, or after the zone's
 * VTIMEZONE when it was the first item of its file to use that zone
 */
static bool same_text(const struct vbox *b, const struct gw_item *it, const struct sbuf *have)
{
	struct gwtext_opts o = { .vcard_version = vcard_of(b) };
	bool same = false;
	for (int zone_known = 0; zone_known < 2 && !same; zone_known++) {
		struct gwtext_file f;
		gwtext_file_init(&f, gwtext_kind_for(it->kind), &o);
		struct sbuf want = SBUF_INIT;
		if (zone_known) {	/* the file described the zone before this item */
			gwtext_item(&f, it, &want);
			sbuf_reset(&want);
		}
		gwtext_item(&f, it, &want);
		same = want.len == have->len && !memcmp(want.buf, have->buf, want.len);
		sbuf_release(&want);
		gwtext_file_release(&f);
	}
	return same;
}

static int compare_text(const struct vbox *b, const struct mf_entry *e, const struct mail_msg *m,
			struct sbuf *why)
{
	if (!e->out.has_range) {
		sbuf_adds(why, "the line names no bytes of the file (offset, length)");
		return VERIFY_ABSENT;
	}
	struct sbuf have = SBUF_INIT;
	int ret = VERIFY_SAME;
	if (read_range(b, e->out.file, e->out.offset, e->out.length, &have, why) < 0)
		ret = VERIFY_ABSENT;
	else if (!same_text(b, m->gw, &have)) {
		sbuf_addf(why, "its %s is not what the source item gives (an export with another "
			  "--timezone or --vcard? verify with the export's)",
			  gwtext_suffix(gwtext_kind_for(m->kind)));
		ret = VERIFY_DIFFERS;
	}
	sbuf_release(&have);
	return ret;
}

/* item_fields: the line's item object against the source item */
static void item_fields(struct vbox *b, const struct mf_entry *e, const struct mail_msg *m)
{
	const struct gw_item *it = m->gw;
	struct sbuf w = SBUF_INIT;
	if (e->item_kind != (int)m->kind)
		sbuf_addf(&w, "its item kind is not the source's (%s)", gw_kind_name(m->kind));
	else if (!e->item_uid != !it->uid || (it->uid && strcmp(e->item_uid, it->uid)))
		sbuf_addf(&w, "its item uid is not the source's (%s)", it->uid ? it->uid : "none");
	if (w.len) {
		struct vproblem p = { .kind = VK_MANIFEST, .folder = e->folder, .source = e->source,
				      .line = e->line, .what = w.buf };
		vbox_problem(&b->rep, &p);
	}
	sbuf_release(&w);
}

int verify_item(struct vbox *b, size_t i, const struct mail_msg *m, struct sbuf *why)
{
	struct mf_entry *e = &b->e[i];
	struct check_line *c = &b->chk[i];
	item_fields(b, e, m);
	free(c->location);
	c->location = xstrdup(e->out.file);
	const struct mail_writer_ops *w = formats_writer(b->format);
	if (w && w->native_items)
		return b->ops->compare(b->out, c, m, why);
	return compare_text(b, e, m, why);
}
