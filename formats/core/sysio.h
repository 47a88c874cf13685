/*
 * The output side's system calls, in one place: every call that writes
 * output bytes or changes the output tree and can fail with ENOSPC or EIO
 * goes through these wrappers (outfile, the PST writer and its spill files,
 * the staging in outdir, the manifest, the report).  Each behaves exactly as
 * the call it wraps (same return value, errno set on failure); write_all and
 * pwrite_all also loop over short writes and EINTR.
 *
 * Built with -DMDX_FAULT_INJECTION (make check builds build-fault/mdexport
 * so, and build-san/ for the sanitizer run) every wrapper first asks the
 * fault hook, which the environment variable MDX_FAULT configures:
 *
 *   MDX_FAULT=count            count the calls; at exit print the total, and
 *                              trace each call ("op path") on stderr
 *   MDX_FAULT=write:N:ERRNO    the Nth call (from 1) fails with ERRNO
 *                              (ENOSPC, EIO, EDQUOT, EFBIG or a number)
 *   MDX_FAULT=write:N+:ERRNO   the Nth call and every later one fail (a disk
 *                              that stays full)
 *   MDX_FAULT=kill:N           SIGKILL before the Nth call runs (a crash at
 *                              a chosen point)
 *
 * and, on the source side, a message file that changes while it is read
 * (sys_fault_source, called by the reader right after its first read of a
 * message whose path relative to SOURCE contains PATTERN):
 *
 *   MDX_FAULT=grow:PATTERN     100,000 bytes are appended to it
 *   MDX_FAULT=shrink:PATTERN   it is cut to half its size
 *   MDX_FAULT=touch:PATTERN    its modification time moves on by a second
 *                              (same bytes, same size)
 *   ...-once:PATTERN           (grow-once, shrink-once, touch-once) only at
 *                              the first open of such a file, so that a
 *                              re-read finds it still
 *
 * and a pause, for tests that change SOURCE at a known point of an export
 * (live stores, tests/e2e/t6310-live.py), alone or with any of the above:
 *
 *   MDX_PAUSE_FILE=PATH        with one or both of:
 *   MDX_PAUSE_AT=N             at the Nth output call (numbered as count
 *                              numbers them)
 *   MDX_PAUSE_ON=TEXT          at each output call whose "op path" (as count
 *                              traces it) contains TEXT, and at each first
 *                              read of a source message, as "read ORIGIN"
 *                              (its path relative to SOURCE), on the
 *                              thread that reads it
 *                              the thread creates PATH (holding the call's
 *                              number, 0 for a read) and waits until PATH is
 *                              removed, at most 60 s, then goes on
 *
 * A production build has no hook, no global state and no getenv: the
 * wrappers are the plain calls.
 */
#ifndef MDX_SYSIO_H
#define MDX_SYSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* sys_open: open(2) for output (O_CREAT, O_TMPFILE); mode as open's */
int sys_open(const char *path, int flags, mode_t mode);
int sys_mkdir(const char *path, mode_t mode);
int sys_rename(const char *from, const char *to);
/*
 * sys_exchange: swap two existing names atomically (renameat2
 * RENAME_EXCHANGE); -1 with errno EINVAL/ENOSYS where the file system or
 * kernel cannot
 */
int sys_exchange(const char *a, const char *b);
/*
 * The same relative to a directory descriptor: what everything under DIR
 * uses (outdir.h), so that no path is resolved again from the top.
 * sys_renameat's flags are renameat2's (0: plain renameat).
 */
int sys_openat(int dirfd, const char *name, int flags, mode_t mode);
int sys_mkdirat(int dirfd, const char *name, mode_t mode);
int sys_renameat(int fromfd, const char *from, int tofd, const char *to, unsigned flags);
int sys_fsync(int fd);
int sys_syncfs(int fd);
int sys_ftruncate(int fd, off_t len);
/* sys_futimens: both times set to sec */
int sys_futimens(int fd, int64_t sec);
/* sys_write_all / sys_pwrite_all: the whole buffer; 0, or the errno */
int sys_write_all(int fd, const void *data, size_t len);
int sys_pwrite_all(int fd, const void *data, size_t len, uint64_t offset);

/*
 * sys_fault_source: the source-side test hook (above) on the message file
 * open as fd (read-only), origin its path relative to SOURCE; nothing at all
 * in a production build
 */
#ifdef MDX_FAULT_INJECTION
void sys_fault_source(int fd, const char *origin);
#else
static inline void sys_fault_source(int fd, const char *origin)
{
	(void)fd;
	(void)origin;
}
#endif

#endif
