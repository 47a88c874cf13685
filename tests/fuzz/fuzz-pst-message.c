/*
 * Message to PST: the input is one message file's bytes, written through
 * the writer interface (pst_writer_ops, formats/pst/pst.c) as the only
 * message of an INBOX, as the MDaemon reader hands it out (an open file,
 * its first bytes as prefix, its header block's length), into a whole PST
 * in a scratch directory (under /dev/shm when there is one).
 *
 * Checks: every writer call returns CONV_OK (the PST writer takes any
 * bytes: what GMime cannot parse goes in attached), or reports a clean
 * error (a message in w->error, and rollback leaves no file); a committed
 * PST starts with the "!BDN" magic and is as long as its header says.
 * With MDX_FUZZ_PSTCHECK set to tools/pstcheck (replay.c sets it when the
 * program is there) the PST is also read back by pstcheck, which must find
 * 0 errors; too slow while fuzzing.
 */
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/writer.h"
#include "core/xalloc.h"
#include "fuzz.h"
#include "pst/pst.h"

#define PST_EOF_OFFSET 0xB8	/* the header's ROOT.ibFileEof (Unicode PST) */

static char *scratch;		/* the directory the PSTs are written in */

static void cleanup(void)
{
	/* each PST is removed when checked; its staging folder, made once, goes here */
	char *work = xasprintf("%s/work", scratch);
	rmdir(work);
	free(work);
	rmdir(scratch);
	free(scratch);
	scratch = NULL;
}

static void setup(void)
{
	g_mime_init();
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	char *tmpl = xasprintf("%s/mdx-fuzz-pst-XXXXXX", base ? base : "/tmp");
	fuzz_check(mkdtemp(tmpl) != NULL);
	scratch = tmpl;
	atexit(cleanup);
}

/* head_len: the header block with its ending empty line, as the reader finds it */
static size_t head_len(const uint8_t *p, size_t len)
{
	if (len >= 1 && p[0] == '\n')
		return 1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return len;		/* headers only */
}

/* message_fd: the input as an open file (memory-backed where possible) */
static int message_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.msg", MFD_CLOEXEC);
	fuzz_check(fd >= 0);
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		fuzz_check(n > 0);
		done += (size_t)n;
	}
	return fd;
}

static void check_pst(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	fuzz_check(fd >= 0);
	struct stat st;
	fuzz_check(fstat(fd, &st) == 0);
	uint8_t h[PST_EOF_OFFSET + 8];
	fuzz_check(pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h));
	close(fd);
	fuzz_check(!memcmp(h, "!BDN", 4));
	uint64_t eof = 0;
	for (int i = 7; i >= 0; i--)
		eof = eof << 8 | h[PST_EOF_OFFSET + i];
	fuzz_check(eof == (uint64_t)st.st_size);

	const char *pstcheck = getenv("MDX_FUZZ_PSTCHECK");
	if (pstcheck && *pstcheck) {
		char *cmd = xasprintf("'%s' '%s' 2>&1", pstcheck, path);
		FILE *p = popen(cmd, "r");
		fuzz_check(p != NULL);
		struct sbuf out = SBUF_INIT;
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
			sbuf_add(&out, buf, n);
		pclose(p);
		if (!strstr(out.buf, ": 0 errors,"))
			fprintf(stderr, "%s", out.buf);
		fuzz_check(strstr(out.buf, ": 0 errors,") != NULL);
		sbuf_release(&out);
		free(cmd);
	}
}

/* step: a writer call's status; anything but CONV_OK must say why */
static int step(struct mail_writer *w, int status)
{
	fuzz_check(status == CONV_OK || status == CONV_MSG_BAD ||
		   status == CONV_FOLDER_BAD || status == CONV_FATAL);
	if (status != CONV_OK)
		fuzz_check(w->error.len > 0);
	return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!scratch)
		setup();
	int fd = message_fd(data, size);
	size_t prefix_len = size < 65536 ? size : 65536;
	size_t hl = head_len(data, prefix_len);
	struct mail_box box = { .domain = "example.com", .mailbox = "fuzz", .full_name = "",
				.path = scratch, .origin = "SOURCE" };
	struct mail_folder folder = { .path = "INBOX", .origin = "", .folder_class = "IPF.Note",
				      .is_mail = true, .has_index = true, .uidvalidity = 1,
				      .uidnext = 2, .messages = 1, .bytes = size };
	struct file_body body;
	file_body_init(&body, fd, 0, size);
	struct mail_msg msg = { .origin = "fuzz.msg", .name = "fuzz.msg", .body = &body.body,
				.size = size,
				.size_known = true, .uid = 1, .flags = MSG_SEEN,
				.received = 1700000000, .date_source = "record", .prefix = data,
				.prefix_len = prefix_len, .head_len = hl, .head_complete = true,
				.seq = 1 };
	struct diag d = { .quiet = true };
	/* the PST at scratch/fuzz.pst, staged in scratch/work/output.partial */
	char *final = xasprintf("%s/fuzz.pst", scratch);
	char *partial = xasprintf("%s/work/" STAGE_PARTIAL, scratch);
	struct tree dir = TREE_INIT, work = TREE_INIT;
	struct sbuf err = SBUF_INIT;
	fuzz_check(tree_open_root(&dir, scratch, &err) == 0);
	fuzz_check(tree_sub(&work, &dir, "work", true, &err) == 0);
	struct out_target t = { .domain = &dir, .name = "fuzz", .work = &work };
	struct mail_item_loc loc;
	mail_item_loc_init(&loc);

	struct mail_writer *w = mail_writer_new(&pst_writer_ops, &d);
	int ret = step(w, mail_writer_open(w, &t, &box));
	if (ret == CONV_OK)
		ret = step(w, mail_writer_begin_folder(w, &folder));
	if (ret == CONV_OK) {
		ret = step(w, mail_writer_write_msg(w, &msg, &loc));
		if (ret == CONV_OK)
			fuzz_check(loc.node != 0);
		ret = step(w, mail_writer_end_folder(w));
	}
	if (ret == CONV_OK)
		ret = step(w, mail_writer_commit(w));
	if (ret == CONV_OK) {
		fuzz_check(access(partial, F_OK) < 0);
		check_pst(final);
	} else {
		mail_writer_rollback(w);
		fuzz_check(access(partial, F_OK) < 0 && access(final, F_OK) < 0);
	}
	mail_writer_free(&w);
	unlink(final);
	mail_item_loc_release(&loc);
	close(fd);
	tree_close(&work);
	tree_close(&dir);
	sbuf_release(&err);
	free(final);
	free(partial);
	return 0;
}
