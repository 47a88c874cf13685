/*
 * Unit tests for the output system-call wrappers (formats/core/sysio.c), the
 * production build (no fault hook): write_all and pwrite_all write the whole
 * buffer, pwrite_all at its offset without moving the file position, and a
 * failure comes back as the errno: ENOSPC from /dev/full (the kernel's own
 * full disk), EBADF, EFBIG for an offset no file can have; exchange swaps two
 * names in one step, or says ENOENT when one is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sysio.h"
#include "testutil.h"
#include "unit.h"

static char dir[] = "/tmp/mdx-test-sysio-XXXXXX";

static char *path_in(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void test_write_all(void)
{
	test_group("write_all");
	int fd = sys_open(path_in("a"), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	test_assert(fd >= 0);
	static char big[1 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	test_assert(sys_write_all(fd, "head", 4) == 0);
	test_assert(sys_write_all(fd, big, sizeof(big)) == 0);
	test_assert(sys_write_all(fd, "", 0) == 0);
	test_assert(lseek(fd, 0, SEEK_CUR) == 4 + (off_t)sizeof(big));
	test_assert(sys_pwrite_all(fd, "HEAD", 4, 0) == 0);
	test_assert(lseek(fd, 0, SEEK_CUR) == 4 + (off_t)sizeof(big));	/* position kept */
	test_assert(sys_pwrite_all(fd, "tail", 4, 4 + sizeof(big)) == 0);
	test_assert(sys_fsync(fd) == 0);
	test_assert(sys_ftruncate(fd, 6) == 0);
	test_assert(sys_futimens(fd, 1700000000) == 0);
	struct stat st;
	test_assert(fstat(fd, &st) == 0 && st.st_size == 6 && st.st_mtime == 1700000000);
	char got[6];
	test_assert(pread(fd, got, 6, 0) == 6);
	test_assert_mem(got, 6, "HEAD\0\7", 6);
	test_assert(sys_pwrite_all(fd, "x", 1, UINT64_MAX) == EFBIG);
	close(fd);
	test_assert(sys_write_all(fd, "x", 1) == EBADF);
	test_assert(sys_pwrite_all(fd, "x", 1, 0) == EBADF);
}

static void test_full_disk(void)
{
	test_group("ENOSPC");
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		test_assert(!"/dev/full can be opened");
		return;
	}
	test_assert(sys_write_all(fd, "x", 1) == ENOSPC);
	close(fd);
}

static void test_exchange(void)
{
	test_group("exchange");
	test_assert(sys_mkdir(path_in("d1"), 0755) == 0);
	test_assert(sys_mkdir(path_in("d1"), 0755) < 0 && errno == EEXIST);
	int fd = sys_open(path_in("d1/one"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	test_assert(fd >= 0);
	close(fd);
	test_assert(sys_mkdir(path_in("d2"), 0755) == 0);
	char a[256], b[256];
	snprintf(a, sizeof(a), "%s", path_in("d1"));
	snprintf(b, sizeof(b), "%s", path_in("d2"));
	int ret = sys_exchange(a, b);
	if (ret < 0 && (errno == EINVAL || errno == ENOSYS)) {
		printf("# this file system cannot exchange names; skipped\n");
		return;
	}
	test_assert(ret == 0);
	test_assert(access(path_in("d2/one"), F_OK) == 0 && access(path_in("d1/one"), F_OK) < 0);
	test_assert(sys_exchange(a, path_in("none")) < 0 && errno == ENOENT);
	test_assert(sys_rename(b, path_in("d3")) == 0 && access(path_in("d3/one"), F_OK) == 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	test_assert(dfd >= 0 && sys_syncfs(dfd) == 0);
	if (dfd >= 0)
		close(dfd);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_write_all();
	test_full_disk();
	test_exchange();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return test_done();
}
