/*
 * Unit tests for a message's body (formats/core/message.c): a message that
 * is a range of a file (as an mbox message is) reads, copies, hashes and
 * streams exactly its own bytes; a file that grows while it is read is
 * noticed; a message without a body reads as an error and streams empty.
 */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "core/msghash.h"
#include "unit.h"

static char path[] = "/tmp/mdx-test-body-XXXXXX";

static int collect(void *ctx, const void *data, size_t len)
{
	sbuf_add(ctx, data, len);
	return 0;
}

static void test_range(int fd)
{
	test_group("a range of a file");
	struct file_body fb;
	file_body_init(&fb, fd, 10, 15);	/* bytes 10..24 of the file */
	struct mail_msg m = { .origin = "range", .body = &fb.body, .size = 15 };
	char buf[64];
	test_assert(msg_read(&m, buf, sizeof(buf), 0) == 15 && !memcmp(buf, "0123456789ABCDE", 15));
	test_assert(msg_read(&m, buf, sizeof(buf), 15) == 0);	/* its end, not the file's */
	test_assert(msg_read(&m, buf, 4, 11) == 4 && !memcmp(buf, "BCDE", 4));
	struct sbuf got = SBUF_INIT, err = SBUF_INIT;
	test_assert(msg_copy_range(&m, 3, collect, &got, &err) == CONV_OK);
	test_assert_str(got.buf, "3456789ABCDE");
	GMimeStream *s = msg_stream(&m, 2, 6);
	ssize_t n = g_mime_stream_read(s, buf, sizeof(buf));
	test_assert(n == 4 && !memcmp(buf, "2345", 4));
	g_object_unref(s);
	/* the manifest's hash is of the message's 15 bytes, not of the file */
	struct msg_hash *h = msg_hash_new();
	msg_hash_reset(h);
	m.hash = h;
	char hex[65];
	test_assert(msg_hash_final(h, &m, hex, &err) == 1);
	/* sha256sum of "0123456789ABCDE" */
	test_assert_str(hex, "fa6b86f30f55fc38d1e98443ab7b6184a2d67acc438329476bade54c634192e5");
	msg_hash_free(&h);
	sbuf_release(&got);
	sbuf_release(&err);
}

static void test_watch(int fd)
{
	test_group("a file that changes");
	struct stat st;
	test_assert(fstat(fd, &st) == 0);
	struct file_body fb;
	file_body_init(&fb, fd, 0, (uint64_t)st.st_size);
	file_body_watch(&fb, &st);
	struct mail_msg m = { .origin = "grows", .body = &fb.body, .size = (uint64_t)st.st_size };
	struct sbuf err = SBUF_INIT;
	test_assert(msg_unchanged(&m, &err) == CONV_OK);
	test_assert(pwrite(fd, "more", 4, st.st_size) == 4);	/* appended */
	test_assert(msg_unchanged(&m, &err) == CONV_MSG_BAD);
	test_assert(strstr(err.buf, "'grows' changed while it was read: 35 bytes when opened, "
			   "39 at the end of the read") != NULL);
	sbuf_release(&err);
}

static void test_none(void)
{
	test_group("no body");
	struct mail_msg m = { .origin = "none" };
	char buf[8];
	test_assert(msg_read(&m, buf, sizeof(buf), 0) < 0);
	GMimeStream *s = msg_stream(&m, 0, 10);
	test_assert(s && g_mime_stream_read(s, buf, sizeof(buf)) <= 0);
	g_object_unref(s);
	struct sbuf err = SBUF_INIT;
	test_assert(msg_unchanged(&m, &err) == CONV_OK);
	sbuf_release(&err);
}

int main(void)
{
	g_mime_init();
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	static const char data[] = "From x\n\n\n\n0123456789ABCDEFGHIJKLMNO";	/* 35 bytes */
	if (write(fd, data, sizeof(data) - 1) != (ssize_t)sizeof(data) - 1)
		return 1;
	test_range(fd);
	test_watch(fd);
	test_none();
	close(fd);
	unlink(path);
	return test_done();
}
