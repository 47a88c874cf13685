#include "core/filemsg.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/srcdir.h"
#include "core/sysio.h"

void file_msg_init(struct file_msg *f)
{
	f->fd = -1;
}

void file_msg_close(struct file_msg *f, struct mail_msg *m)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	m->body = NULL;
}

int file_msg_open(struct file_msg *f, struct mail_msg *m, int dirfd, const char *name,
		  const struct mail_mailbox *mb, struct sbuf *prefix, bool dated_by_mtime,
		  struct stat *st, struct sbuf *err)
{
	file_msg_close(f, m);
	int fd = dirfd < 0 ? -1 : src_open_file_at(dirfd, name);
	if (fd < 0 || fstat(fd, st) < 0) {
		sbuf_addf(err, "cannot open '%s': %s", m->origin, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CONV_MSG_BAD;
	}
	if (!S_ISREG(st->st_mode)) {
		sbuf_addf(err, "'%s' is not a regular file", m->origin);
		close(fd);
		return CONV_MSG_BAD;
	}
	f->fd = fd;
	m->size = (uint64_t)st->st_size;
	m->size_known = true;
	if (dated_by_mtime) {
		m->received = (int64_t)st->st_mtim.tv_sec;
		m->date_source = "mtime";
	}
	file_body_init(&f->body, fd, 0, m->size);
	file_body_watch(&f->body, st);	/* msg_unchanged() holds the file to it */
	m->body = &f->body.body;
	int ret = msg_read_head(m, mb, prefix, err);
	sys_fault_source(fd, m->origin);	/* tests only: the file changes now */
	if (ret != CONV_OK)
		file_msg_close(f, m);
	return ret;
}
