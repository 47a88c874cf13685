#include "mdaemon/settle.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mdaemon/mdaemon_fs.h"
#include "mdaemon/mrk.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void md_dirstate_read_mrk(int dirfd, const char *mrk_name, struct md_dirstate *s)
{
	s->mrk = false;
	s->uidnext = s->write_counter = 0;
	if (!mrk_name)
		return;
	struct stat st;
	int fd = open_regular_at(dirfd, mrk_name, &st);
	if (fd < 0)
		return;
	uint8_t h[MRK_HEADER_SIZE];
	ssize_t n;
	do
		n = pread(fd, h, sizeof(h), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != (ssize_t)sizeof(h))
		return;
	s->mrk = true;
	s->uidnext = le32(h + 8);
	s->write_counter = le32(h + 12);
}

/* what md_dirstate_take's listing finds; IMAP.MRK chosen as the reader's listing chooses it */
struct relisting {
	struct md_dirstate *s;
	struct mrk_pick mrk;
};

static void relist_one(void *ctx, const char *name, enum dent_type type)
{
	struct relisting *l = ctx;
	if (!strcasecmp(name, "IMAP.MRK")) {
		mrk_consider(&l->mrk, name, type);
		return;
	}
	if (has_suffix_ci(name, ".msg"))
		name_digest_add(&l->s->msgs, name);
}

int md_dirstate_take(int dirfd, struct md_dirstate *s)
{
	memset(s, 0, sizeof(*s));
	struct relisting l = { .s = s };
	if (dirlist_each(dirfd, NULL, relist_one, &l) < 0)
		return -1;
	md_dirstate_read_mrk(dirfd, mrk_file(&l.mrk), s);
	s->taken = true;
	return 0;
}

bool md_dirstate_changed(const struct md_dirstate *then, const struct md_dirstate *now,
			 struct sbuf *why)
{
	size_t len = why->len;
	name_digest_changed(&then->msgs, &now->msgs, ".msg files", why);
	if (then->mrk != now->mrk)
		sbuf_addf(why, "%sIMAP.MRK %s", why->len > len ? "; " : "",
			  now->mrk ? "appeared" : "went away");
	else if (then->mrk && (then->uidnext != now->uidnext ||
			       then->write_counter != now->write_counter))
		sbuf_addf(why, "%sIMAP.MRK's UIDNext %u -> %u, LastWriteCounter %u -> %u",
			  why->len > len ? "; " : "", then->uidnext, now->uidnext,
			  then->write_counter, now->write_counter);
	return why->len > len;
}
