#include "core/sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef MDX_FAULT_INJECTION
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/*
 * The fault hook (test builds only).  It counts the output calls of the
 * whole process in a static counter: the one piece of global mutable state,
 * acceptable because it exists only in builds made for the tests.  With
 * -j N several threads make output calls: the counter is atomic and the
 * spec is parsed once (pthread_once), so each call still gets its own
 * number, though which call gets which number then depends on timing.
 */
enum fault_mode { FAULT_OFF, FAULT_COUNT, FAULT_FAIL, FAULT_KILL, FAULT_PAUSE };
enum source_mode { SOURCE_OFF, SOURCE_GROW, SOURCE_SHRINK, SOURCE_TOUCH };

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static struct {
	enum fault_mode mode;
	unsigned long at;	/* the call (from 1) that fails or is killed */
	bool sticky;		/* every call from `at` on fails */
	int err;
	atomic_ulong calls;
	enum source_mode source;	/* grow:, shrink:, touch: */
	bool source_once;		/* -once: only the first matching file */
	const char *pattern;		/* in the environment's MDX_FAULT */
	atomic_ulong source_hits;
	/*
	 * The pause (live-store tests): at output call pause_at (MDX_PAUSE_AT),
	 * or at each call whose "op path" holds pause_on (MDX_PAUSE_ON), the
	 * calling thread creates pause_file (MDX_PAUSE_FILE) and waits until
	 * it is removed (at most PAUSE_MAX_SECONDS), so that a test changes the
	 * source at a known point of the export
	 */
	unsigned long pause_at;
	const char *pause_on;
	const char *pause_file;
} hook;

#define PAUSE_MAX_SECONDS 60

static void report_count(void)
{
	fprintf(stderr, "mdexport: MDX_FAULT: %lu output calls\n", atomic_load(&hook.calls));
}

static int parse_errno(const char *s)
{
	static const struct { const char *name; int value; } names[] = {
		{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT }, { "EFBIG", EFBIG },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].value;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v < 4096 ? (int)v : 0;
}

/* parse_at: "N" or "N+" (sticky); false when it is neither */
static bool parse_at(const char *s, const char **rest)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	if (end == s || errno || n == 0 || n == ULONG_MAX)
		return false;
	hook.at = n;
	hook.sticky = *end == '+';
	*rest = end + hook.sticky;
	return true;
}

/* parse_source: "grow:P", "grow-once:P", ... (the source-side hook) */
static bool parse_source(const char *spec)
{
	static const struct { const char *name; enum source_mode mode; } modes[] = {
		{ "grow", SOURCE_GROW }, { "shrink", SOURCE_SHRINK }, { "touch", SOURCE_TOUCH },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		size_t n = strlen(modes[i].name);
		if (strncmp(spec, modes[i].name, n))
			continue;
		const char *rest = spec + n;
		hook.source_once = !strncmp(rest, "-once", 5);
		rest += hook.source_once ? 5 : 0;
		if (*rest != ':' || !rest[1])
			return false;
		hook.source = modes[i].mode;
		hook.pattern = rest + 1;
		return true;
	}
	return false;
}

static bool parse_spec(const char *spec)
{
	const char *rest;
	if (parse_source(spec))
		return true;
	if (!strcmp(spec, "count")) {
		hook.mode = FAULT_COUNT;
		return atexit(report_count) == 0;
	}
	if (!strncmp(spec, "kill:", 5)) {
		hook.mode = FAULT_KILL;
		return parse_at(spec + 5, &rest) && !*rest && !hook.sticky;
	}
	if (!strncmp(spec, "write:", 6)) {
		hook.mode = FAULT_FAIL;
		return parse_at(spec + 6, &rest) && *rest == ':' &&
		       (hook.err = parse_errno(rest + 1)) != 0;
	}
	return false;
}

/*
 * trace: "op path" for count mode; an fd is named through /proc, and a name
 * relative to a directory descriptor (fd >= 0 with a path) as that
 * directory's path, '/', the name
 */
static void describe(char *out, size_t size, const char *op, const char *path, int fd)
{
	char link[64], target[PATH_MAX];
	target[0] = '\0';
	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
	}
	snprintf(out, size, "%s %s%s%s", op, target, path && fd >= 0 ? "/" : "", path ? path : "");
}

static void trace(unsigned long call, const char *op, const char *path, int fd)
{
	char what[2 * PATH_MAX + 16];
	describe(what, sizeof(what), op, path, fd);
	fprintf(stderr, "mdexport: MDX_FAULT: %lu %s\n", call, what);
}

/* pause: pause_file created, then waited for until it is gone (bounded) */
static void pause_here(unsigned long call)
{
	int fd = open(hook.pause_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dprintf(fd, "%lu\n", call) < 0 || close(fd) < 0) {
		fprintf(stderr, "mdexport: MDX_PAUSE_FILE: cannot create '%s'\n", hook.pause_file);
		exit(2);
	}
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	for (int i = 0; i < PAUSE_MAX_SECONDS * 100 && access(hook.pause_file, F_OK) == 0; i++)
		nanosleep(&tick, NULL);
}

static void maybe_pause(unsigned long call, const char *op, const char *path, int fd)
{
	bool now = call == hook.pause_at;
	if (!now && hook.pause_on) {
		char what[2 * PATH_MAX + 16];
		describe(what, sizeof(what), op, path, fd);
		now = strstr(what, hook.pause_on) != NULL;
	}
	if (now)
		pause_here(call);
}

/* parse_pause: MDX_PAUSE_FILE with MDX_PAUSE_AT=N and/or MDX_PAUSE_ON=PATTERN */
static bool parse_pause(void)
{
	const char *at = getenv("MDX_PAUSE_AT"), *on = getenv("MDX_PAUSE_ON");
	hook.pause_file = getenv("MDX_PAUSE_FILE");
	hook.pause_on = on && *on ? on : NULL;
	if (at && *at) {
		char *end;
		errno = 0;
		hook.pause_at = strtoul(at, &end, 10);
		if (*end || errno || !hook.pause_at)
			return false;
	}
	if ((hook.pause_at || hook.pause_on) && (!hook.pause_file || !*hook.pause_file))
		return false;
	if (hook.pause_at || hook.pause_on)
		hook.mode = hook.mode == FAULT_OFF ? FAULT_PAUSE : hook.mode;
	return true;
}

static void parse_env_once(void)
{
	if (!parse_pause()) {
		fprintf(stderr, "mdexport: MDX_PAUSE_AT/MDX_PAUSE_ON need MDX_PAUSE_FILE, and "
			"a number > 0\n");
		exit(2);
	}
	const char *spec = getenv("MDX_FAULT");
	if (spec && *spec && !parse_spec(spec)) {
		fprintf(stderr, "mdexport: MDX_FAULT: cannot parse '%s'\n", spec);
		exit(2);
	}
}

static void parse_env(void)
{
	pthread_once(&hook_once, parse_env_once);
}

/* source_fault: change the file open as fd, through a new descriptor of its own */
static void source_fault(int fd)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int w = open(link, O_WRONLY | O_APPEND | O_CLOEXEC);
	struct stat st;
	if (w < 0 || fstat(w, &st) < 0) {
		fprintf(stderr, "mdexport: MDX_FAULT: cannot open '%s' to change it\n", link);
		exit(2);
	}
	bool ok = true;
	if (hook.source == SOURCE_GROW) {
		static const char line[] = "appended while it was read, by MDX_FAULT=grow\r\n";
		char buf[100000];
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = line[i % (sizeof(line) - 1)];
		ok = write(w, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
	} else if (hook.source == SOURCE_SHRINK) {
		ok = ftruncate(w, st.st_size / 2) == 0;
	} else {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		ts[1].tv_sec += 1;
		ok = futimens(w, ts) == 0;
	}
	if (close(w) < 0 || !ok) {
		fprintf(stderr, "mdexport: MDX_FAULT: cannot change '%s'\n", link);
		exit(2);
	}
}

void sys_fault_source(int fd, const char *origin)
{
	parse_env();
	if (hook.pause_on) {	/* "read ORIGIN", on the thread that reads */
		char what[2 * PATH_MAX + 16];
		snprintf(what, sizeof(what), "read %s", origin);
		if (strstr(what, hook.pause_on))
			pause_here(0);
	}
	if (hook.source == SOURCE_OFF || fd < 0 || !strstr(origin, hook.pattern))
		return;
	if (atomic_fetch_add(&hook.source_hits, 1) && hook.source_once)
		return;
	source_fault(fd);
}

/* fault: 0 to go ahead, or the errno the call fails with */
static int fault(const char *op, const char *path, int fd)
{
	parse_env();
	if (hook.mode == FAULT_OFF)
		return 0;
	unsigned long call = atomic_fetch_add(&hook.calls, 1) + 1;
	if (hook.pause_at || hook.pause_on)
		maybe_pause(call, op, path, fd);
	if (hook.mode == FAULT_COUNT)
		trace(call, op, path, fd);
	else if (hook.mode == FAULT_KILL && call == hook.at)
		raise(SIGKILL);
	else if (hook.mode == FAULT_FAIL &&
		 (call == hook.at || (hook.sticky && call > hook.at)))
		return hook.err;
	return 0;
}

#define FAULT(op, path, fd)                         \
	do {                                        \
		int fault_err_ = fault(op, path, fd); \
		if (fault_err_) {                   \
			errno = fault_err_;         \
			return -1;                  \
		}                                   \
	} while (0)
#else
/* a production build: no hook */
#define FAULT(op, path, fd) ((void)0)
#endif

int sys_open(const char *path, int flags, mode_t mode)
{
	FAULT("open", path, -1);
	return open(path, flags, mode);
}

int sys_mkdir(const char *path, mode_t mode)
{
	FAULT("mkdir", path, -1);
	return mkdir(path, mode);
}

int sys_rename(const char *from, const char *to)
{
	FAULT("rename", from, -1);
	return rename(from, to);
}

int sys_exchange(const char *a, const char *b)
{
	FAULT("exchange", b, -1);
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int sys_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	FAULT("open", name, dirfd);
	return openat(dirfd, name, flags, mode);
}

int sys_mkdirat(int dirfd, const char *name, mode_t mode)
{
	FAULT("mkdir", name, dirfd);
	return mkdirat(dirfd, name, mode);
}

int sys_renameat(int fromfd, const char *from, int tofd, const char *to, unsigned flags)
{
	FAULT(flags & RENAME_EXCHANGE ? "exchange" : "rename", flags & RENAME_EXCHANGE ? to : from,
	      flags & RENAME_EXCHANGE ? tofd : fromfd);
	if (!flags)
		return renameat(fromfd, from, tofd, to);
	return renameat2(fromfd, from, tofd, to, flags);
}

int sys_fsync(int fd)
{
	FAULT("fsync", NULL, fd);
	return fsync(fd);
}

int sys_syncfs(int fd)
{
	FAULT("syncfs", NULL, fd);
	return syncfs(fd);
}

int sys_ftruncate(int fd, off_t len)
{
	FAULT("ftruncate", NULL, fd);
	return ftruncate(fd, len);
}

int sys_futimens(int fd, int64_t sec)
{
	FAULT("futimens", NULL, fd);
	struct timespec ts[2] = {
		{ .tv_sec = (time_t)sec, .tv_nsec = 0 },
		{ .tv_sec = (time_t)sec, .tv_nsec = 0 },
	};
	return futimens(fd, ts);
}

/* one write(2) or pwrite(2) through the hook */
static ssize_t write_once(int fd, const void *p, size_t len, int64_t offset)
{
	FAULT(offset < 0 ? "write" : "pwrite", NULL, fd);
	return offset < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)offset);
}

/* write_loop: the whole buffer at offset (-1: the file position); 0 or errno */
static int write_loop(int fd, const void *data, size_t len, int64_t offset)
{
	const char *p = data;
	while (len) {
		ssize_t n = write_once(fd, p, len, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)	/* no progress and no errno: do not spin */
			return EIO;
		p += n;
		len -= (size_t)n;
		if (offset >= 0)
			offset += n;
	}
	return 0;
}

int sys_write_all(int fd, const void *data, size_t len)
{
	return write_loop(fd, data, len, -1);
}

int sys_pwrite_all(int fd, const void *data, size_t len, uint64_t offset)
{
	if (offset > INT64_MAX)
		return EFBIG;
	return write_loop(fd, data, len, (int64_t)offset);
}
