/*
 * The MDaemon groupware reader (issue 14): a groupware folder's XML file
 * (Calendar.mrk, AddrBook.mrk, TaskList.mrk, Notes.mrk) handed out item by
 * item as messages (mail_msg.kind, .gw), for the MDaemon reader's
 * next_msg, before the folder's .msg files.
 *
 * The file is split into items once when the folder is opened (an offset
 * and a length per item: memory follows the number of items, not their
 * size); each item is then read, parsed and handed out on its own.  Its
 * body is its exact bytes in the file, so the manifest's SHA-256 is that of
 * the source item.
 */
#ifndef MDX_MDAEMON_GW_READ_H
#define MDX_MDAEMON_GW_READ_H

#include "core/conv.h"
#include "core/diag.h"
#include "core/reader.h"
#include "mdaemon/mdaemon_fs.h"

/* an item larger than this is reported and skipped */
#define GWR_ITEM_MAX (16u * 1024 * 1024)

/* the zones made for a mailbox's files: they live as long as its handle */
struct gwr_zone {
	struct tzone *zone;
	int offset;		/* minutes east of UTC */
};
struct gwr_zones {
	struct gwr_zone *v;
	size_t n;
};
void gwr_zones_release(struct gwr_zones *z);

/* what a groupware folder needs of its mailbox */
struct gwr_env {
	const struct mail_mailbox *mb;	/* its diag and hash */
	const char *domain, *mailbox;
	const struct tzone *zone;	/* --timezone, or NULL */
	struct gwr_zones *zones;	/* where a zone guessed for a file is kept */
};

struct gwr_folder;

/* gwr_init: once per process, before any thread reads (libxml2's own set-up) */
void gwr_init(void);

/*
 * gwr_class_guess: a folder's class when its Hiwater.mrk names none: from
 * the XML file it holds (dl: its listing), else, for a folder at the top
 * of the mailbox with no Hiwater.mrk at all, from its name (Calendar,
 * Contacts, Tasks, Notes); NULL: a mail folder
 */
const char *gwr_class_guess(const struct dirlist *dl, const char *name, bool top);
/* gwr_wants: the file names gwr_class_guess looks for */
bool gwr_wants(const char *name);

/*
 * gwr_open: the groupware folder kind at dirfd (dir: its path relative to
 * SOURCE; path: its logical name), its XML file split into items.  NULL
 * when the folder holds no such file; a file that cannot be read is
 * reported on the mailbox's diag (an error) and gives no items.
 */
struct gwr_folder *gwr_open(int dirfd, const char *dir, const char *path, enum item_kind kind,
			    const struct gwr_env *env);
/*
 * gwr_next: the next item as m (valid until the next call or gwr_close):
 * CONV_OK, CONV_MSG_BAD (err set; m names the item), or CONV_DONE (and
 * the file's unknown names reported, once)
 */
int gwr_next(struct gwr_folder *g, struct mail_msg *m, struct sbuf *prefix, struct sbuf *err);
/* gwr_again: the item gwr_next last gave, handed out again (it is in memory: never changed) */
int gwr_again(struct gwr_folder *g, struct mail_msg *m, struct sbuf *prefix, struct sbuf *err);
/* gwr_count: items handed out so far */
unsigned gwr_count(const struct gwr_folder *g);
void gwr_close(struct gwr_folder *g);

#endif
