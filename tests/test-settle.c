/*
 * Live stores (issue 13): the name digest (core/settle.h) and the MDaemon
 * folder state (mdaemon/settle.h) that tell whether a folder changed while
 * it was read.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/settle.h"
#include "mdaemon/settle.h"
#include "unit.h"

static void digest_of(struct name_digest *d, const char *const *names, size_t n)
{
	*d = (struct name_digest){ 0 };
	for (size_t i = 0; i < n; i++)
		name_digest_add(d, names[i]);
}

static void test_digest(void)
{
	test_group("name digest");
	static const char *const a[] = { "md1.msg", "md2.msg", "md3.msg" };
	static const char *const b[] = { "md3.msg", "md1.msg", "md2.msg" };	/* listed otherwise */
	static const char *const c[] = { "md1.msg", "md2.msg", "md4.msg" };	/* one replaced */
	static const char *const d[] = { "md1.msg", "md2.msg" };		/* one gone */
	struct name_digest da, db, dc, dd;
	digest_of(&da, a, 3);
	digest_of(&db, b, 3);
	digest_of(&dc, c, 3);
	digest_of(&dd, d, 2);
	struct sbuf why = SBUF_INIT;
	test_assert(!name_digest_changed(&da, &db, ".msg files", &why) && why.len == 0);
	test_assert(name_digest_changed(&da, &dc, ".msg files", &why));
	test_assert_str(why.buf, "its .msg files are not those listed when it was opened");
	sbuf_reset(&why);
	test_assert(name_digest_changed(&da, &dd, ".msg files", &why));
	test_assert_str(why.buf, "2 .msg files, 3 when it was opened");
	sbuf_release(&why);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void write_file(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0) {
		perror(name);
		exit(2);
	}
}

static void write_mrk(int dirfd, uint32_t uidnext, uint32_t counter)
{
	uint8_t h[36] = { 0 };
	put_le32(h, 1);
	put_le32(h + 4, 1700000000);
	put_le32(h + 8, uidnext);
	put_le32(h + 12, counter);
	write_file(dirfd, "IMAP.MRK", h, sizeof(h));
}

static void test_dirstate(void)
{
	test_group("mdaemon folder state");
	char tmpl[] = "/tmp/mdx-settle-XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(2);
	}
	int dfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	write_file(dfd, "md1.msg", "x", 1);
	write_file(dfd, "notes.txt", "x", 1);	/* not a message: not counted */
	write_mrk(dfd, 2, 5);
	struct md_dirstate then, now;
	struct sbuf why = SBUF_INIT;
	test_assert(md_dirstate_take(dfd, &then) == 0 && then.taken && then.mrk &&
		    then.msgs.count == 1 && then.uidnext == 2 && then.write_counter == 5);
	test_assert(md_dirstate_take(dfd, &now) == 0 &&
		    !md_dirstate_changed(&then, &now, &why) && why.len == 0);
	write_mrk(dfd, 2, 6);	/* a flag change: only the counter moves */
	test_assert(md_dirstate_take(dfd, &now) == 0 && md_dirstate_changed(&then, &now, &why));
	test_assert_str(why.buf, "IMAP.MRK's UIDNext 2 -> 2, LastWriteCounter 5 -> 6");
	sbuf_reset(&why);
	write_file(dfd, "md2.msg", "y", 1);	/* a delivery: file, then header */
	write_mrk(dfd, 3, 7);
	test_assert(md_dirstate_take(dfd, &now) == 0 && md_dirstate_changed(&then, &now, &why));
	test_assert_str(why.buf, "2 .msg files, 1 when it was opened; "
				 "IMAP.MRK's UIDNext 2 -> 3, LastWriteCounter 5 -> 7");
	sbuf_reset(&why);
	unlinkat(dfd, "IMAP.MRK", 0);
	unlinkat(dfd, "md2.msg", 0);
	test_assert(md_dirstate_take(dfd, &now) == 0 && md_dirstate_changed(&then, &now, &why));
	test_assert_str(why.buf, "IMAP.MRK went away");
	sbuf_release(&why);
	unlinkat(dfd, "md1.msg", 0);
	unlinkat(dfd, "notes.txt", 0);
	close(dfd);
	rmdir(tmpl);
}

int main(void)
{
	test_digest();
	test_dirstate();
	return test_done();
}
