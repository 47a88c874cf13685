/*
 * mbox writer: one mboxrd file per folder, DIR/<domain>/<mailbox>/<folder>.mbox
 * (INBOX.mbox, INBOX/Projects.mbox, Archive.mbox, Archive/2023.mbox).
 *
 * Each message is written as
 *   From <envelope sender> <internal date, UTC, asctime form>
 *   Status: <R if seen>O
 *   X-Status: <T draft, F flagged, A answered, D deleted> (flag_table order)
 *   <the message's own header, minus any Status:/X-Status: fields>
 *   <body>
 *   <one empty line>
 * with LF line ends and mboxrd quoting.  A message that did not end with a
 * newline gets one before the separating empty line.  These are the only
 * changes; reversing them gives back the source bytes (README, "mbox").
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "core/flags.h"
#include "core/linefilter.h"
#include "core/outdir.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "mbox/mbox.h"

struct mbox_writer {
	struct mail_writer w;
	struct stage stage;
	struct outfile out;
	bool open_file;
	struct sbuf path;
	struct sbuf scratch;
	int64_t newest;		/* latest internal date in the folder: the file's mtime */
	int final_fd;		/* a round: the earlier rounds' output folder; else -1 */
	uint64_t base;		/* a round: the size of the folder's file before it */
};

static struct mail_writer *mbox_alloc(void)
{
	struct mbox_writer *m = xcalloc(1, sizeof(*m));
	sbuf_init(&m->path);
	sbuf_init(&m->scratch);
	m->out.fd = -1;
	m->final_fd = -1;
	return &m->w;
}

static int mbox_open(struct mail_writer *w, const struct out_target *t,
		     const struct mail_box *box)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	(void)box;
	struct sbuf err = SBUF_INIT;
	if (stage_begin_dir(&m->stage, t, NULL, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	/* a round: its folders' files are appended to the earlier ones (merge.h) */
	m->stage.append = t->merge;
	if (t->merge && (m->final_fd = stage_final_fd(&m->stage, &err)) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

/* folder_file: <escaped components joined by '/'>.mbox in the partial output, dirs made */
static int folder_file(struct mbox_writer *m, const char *folder, struct sbuf *err)
{
	sbuf_reset(&m->path);
	char *copy = xstrdup(folder);
	char *save = NULL, *comp = strtok_r(copy, "/", &save);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);
		if (m->path.len)
			sbuf_addch(&m->path, '/');
		fsname_escape_room(&m->path, comp, FSNAME_MBOX_ROOM);
		if (next && tree_mkdirs(&m->stage.partial, m->path.buf, err) < 0) {
			free(copy);
			return -1;
		}
		comp = next;
	}
	free(copy);
	sbuf_adds(&m->path, ".mbox");
	return 0;
}

/*
 * mbox_item_file: a groupware folder's items (issue 14) beside its mbox file:
 * Calendar.mbox and Calendar.ics
 */
static int mbox_item_file(struct mail_writer *w, const struct mail_folder *f, const char *suffix,
			  struct outfile *of, struct sbuf *rel, struct sbuf *err)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	struct sbuf mail_file = SBUF_INIT;
	sbuf_add(&mail_file, m->path.buf, m->path.len);	/* the folder's, kept */
	int ret = folder_file(m, f->path, err);
	if (ret == 0) {
		sbuf_add(rel, m->path.buf, m->path.len - strlen(".mbox"));
		sbuf_adds(rel, suffix);
		ret = outfile_create(of, &m->stage.partial, rel->buf, err);
	}
	sbuf_reset(&m->path);
	sbuf_add(&m->path, mail_file.buf, mail_file.len);
	sbuf_release(&mail_file);
	return ret < 0 ? CONV_FATAL : CONV_OK;
}

static int mbox_begin_folder(struct mail_writer *w, const struct mail_folder *f)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	struct sbuf err = SBUF_INIT;
	if (folder_file(m, f->path, &err) < 0 || outfile_create(&m->out, &m->stage.partial, m->path.buf, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	m->open_file = true;
	m->newest = -1;
	/* where the round's messages will start in the earlier file (offsets in the manifest) */
	struct stat st;
	m->base = m->final_fd >= 0 && fstatat(m->final_fd, m->path.buf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		  S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	sbuf_release(&err);
	return CONV_OK;
}

void mbox_from_line(const struct mail_msg *msg, struct sbuf *out)
{
	sbuf_adds(out, "From ");
	msg_envelope_sender(msg, out);
	time_t t = (time_t)msg->received;
	struct tm tm;
	char date[64];
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm))
		strcpy(date, "Thu Jan  1 00:00:00 1970");
	sbuf_addf(out, " %s", date);
}

static void write_from_line(struct mbox_writer *m, const struct mail_msg *msg)
{
	struct sbuf *s = &m->scratch;
	sbuf_reset(s);
	mbox_from_line(msg, s);
	char status[8], xstatus[8];
	flags_mbox(msg->flags, status, xstatus);
	sbuf_addf(s, "\nStatus: %s\nX-Status: %s\n", status, xstatus);
	outfile_write(&m->out, s->buf, s->len);
}

bool mbox_is_status_field(const unsigned char *line, size_t len)
{
	const unsigned char *colon = memchr(line, ':', len);
	if (!colon)
		return false;
	size_t n = (size_t)(colon - line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return (n == 6 && !strncasecmp((const char *)line, "Status", 6)) ||
	       (n == 8 && !strncasecmp((const char *)line, "X-Status", 8));
}

/* write_header: the header block through the filter, Status fields dropped */
static void write_header(struct linefilter *lf, const struct mail_msg *msg)
{
	const unsigned char *p = msg->prefix, *end = p + msg->head_len;
	bool dropping = false;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		bool continuation = *p == ' ' || *p == '\t';
		if (!continuation)
			dropping = mbox_is_status_field(p, len);
		if (!dropping)
			linefilter_push(lf, p, len);
		p += len;
	}
}

static int mbox_write_msg(struct mail_writer *w, const struct mail_msg *msg,
			  struct mail_item_loc *loc)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	uint64_t start = m->out.offset;
	outfile_hash_start(&m->out);	/* the item's bytes, for the manifest (issue 16) */
	write_from_line(m, msg);
	struct linefilter lf;
	linefilter_init(&lf, &m->out, true);
	write_header(&lf, msg);
	struct sbuf err = SBUF_INIT;
	int ret = msg_copy_range(msg, msg->head_len, linefilter_push, &lf, &err);
	if (ret == CONV_OK) {
		if (!linefilter_finish(&lf))
			outfile_write(&m->out, "\n", 1);
		outfile_write(&m->out, "\n", 1);
	}
	outfile_hash_end(&m->out, loc->sha256);
	if (outfile_failed(&m->out) || ret == CONV_FATAL) {
		sbuf_release(&err);
		return mail_writer_set_error(w, CONV_FATAL, "cannot write '%s': %s",
					     m->out.path, strerror(m->out.error));
	}
	if (ret != CONV_OK) {
		/* the source failed mid-message: cut the partial copy back out */
		if (outfile_rewind(&m->out, start) < 0) {
			sbuf_release(&err);
			return mail_writer_set_error(w, CONV_FATAL, "cannot write '%s': %s",
						     m->out.path, strerror(m->out.error));
		}
		return mail_writer_take_error(w, CONV_MSG_BAD, &err);
	}
	if (msg->received > m->newest)
		m->newest = msg->received;
	/* from its From_ line up to the next one: the separator is its last byte */
	sbuf_adds(&loc->file, m->path.buf);
	loc->offset = (int64_t)(m->base + start);
	loc->length = m->out.offset - start;
	sbuf_release(&err);
	return CONV_OK;
}

static int mbox_end_folder(struct mail_writer *w)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	struct sbuf err = SBUF_INIT;
	m->open_file = false;
	if (outfile_close(&m->out, m->newest, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static int mbox_commit(struct mail_writer *w)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	struct sbuf err = SBUF_INIT;
	if (stage_commit(&m->stage, &err) < 0)
		return mail_writer_take_error(w, CONV_FATAL, &err);
	sbuf_release(&err);
	return CONV_OK;
}

static void mbox_rollback(struct mail_writer *w)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	if (m->open_file)
		outfile_abort(&m->out);
	m->open_file = false;
	stage_abort(&m->stage);
	if (m->final_fd >= 0)
		close(m->final_fd);
	m->final_fd = -1;
}

static void mbox_free(struct mail_writer *w)
{
	struct mbox_writer *m = (struct mbox_writer *)w;
	mbox_rollback(w);
	sbuf_release(&m->path);
	sbuf_release(&m->scratch);
	free(m);
}

const struct mail_writer_ops mbox_writer_ops = {
	.name = "mbox",
	.alloc = mbox_alloc,
	.open = mbox_open,
	.begin_folder = mbox_begin_folder,
	.write_msg = mbox_write_msg,
	.item_file = mbox_item_file,
	.end_folder = mbox_end_folder,
	.commit = mbox_commit,
	.rollback = mbox_rollback,
	.free = mbox_free,
};
