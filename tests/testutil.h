/*
 * Small helpers shared by the unit tests that check files with other
 * programs: run a command and collect its output, read a whole file.
 */
#ifndef MDX_TESTUTIL_H
#define MDX_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/sbuf.h"

/* test_run: the command's stdout appended to out; its wait status, or -1 */
static inline int test_run(const char *cmd, struct sbuf *out)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sbuf_add(out, buf, n);
	return pclose(p);
}

/* test_read_file: the whole file appended to out; 0, or -1 */
static inline int test_read_file(const char *path, struct sbuf *out)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(out, buf, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * test_pstcheck_errors: run tools/pstcheck on path; print (as TAP comments,
 * prefixed by what) and count its error lines, except those matching the
 * grep patterns in `expected` (e.g. "-e 'no root folder'"); -1 if it
 * could not run.
 */
static inline int test_pstcheck_errors(const char *path, const char *expected, const char *what)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "tools/pstcheck '%s' | grep '^error:' | grep -v %s",
		 path, expected);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[512];
	int errors = 0;
	while (fgets(line, sizeof(line), p)) {
		printf("# %s: %s", what, line);
		errors++;
	}
	return pclose(p) == -1 ? -1 : errors;
}

/* test_slurp: the whole file in a malloc'd buffer (freed by the caller) */
static inline uint8_t *test_slurp(const char *path, size_t *len_r)
{
	struct sbuf data = SBUF_INIT;
	test_read_file(path, &data);
	*len_r = data.len;
	return (uint8_t *)sbuf_detach(&data);
}

/* test_dir_entries: names in dir other than . and ..; -1 if it cannot be read */
static inline int test_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * test_tmp_fds: files this process has open that were created in dir and
 * have no name (O_TMPFILE, or unlinked): where the PST writer's
 * temporary files are.
 */
static inline int test_tmp_fds(const char *dir)
{
	int n = 0;
	size_t dlen = strlen(dir);
	for (int fd = 0; fd < 1024; fd++) {
		char link[64], target[512];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += !strncmp(target, dir, dlen) && target[dlen] == '/' &&
		     strstr(target, "(deleted)") != NULL;
	}
	return n;
}

#endif
