#include "core/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sysio.h"
#include "core/xalloc.h"

/*
 * The plan is text: one step a line, its fields separated by tabs.  Every
 * name in it is one the writers made (escaped: no control byte, so no tab
 * and no newline), relative to the final output, the working folder or
 * the domain folder.
 */

void stage_merge_rename(struct stage *st, const char *old_rel, const char *new_rel)
{
	sbuf_addf(&st->steps, "R\t%s\t%s\n", old_rel, new_rel);
}

void stage_merge_remove(struct stage *st, const char *rel)
{
	sbuf_addf(&st->steps, "D\t%s\n", rel);
}

/* ---- making the plan ----------------------------------------------------------------- */

struct plan_walk {
	const struct stage *st;
	int final_fd;		/* the final output's folder */
	struct sbuf *plan;
	struct sbuf *err;
};

/* file_step: one file of the partial output: moved, or appended to final's */
static void file_step(struct plan_walk *w, const char *rel)
{
	struct stat st;
	if (w->st->append && fstatat(w->final_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		sbuf_addf(w->plan, "A\t%s\t%" PRIu64 "\t%lld\n", rel, (uint64_t)st.st_size,
			  (long long)st.st_mtim.tv_sec);
	else
		sbuf_addf(w->plan, "M\t%s\n", rel);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* walk_partial: every regular file below dir_fd (rel: its path so far), in name order */
static int walk_partial(struct plan_walk *w, int dir_fd, const char *rel)
{
	int fd = dup(dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		sbuf_addf(w->err, "cannot read the round's output: %s", strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xreallocarray(names, cap, sizeof(char *));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(char *), by_name);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		char *sub = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			sbuf_addf(w->err, "cannot read the round's output '%s': %s", sub,
				  strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			sbuf_addf(w->plan, "K\t%s\n", sub);	/* made even when empty (Maildir's tmp/) */
			int sfd = openat(dirfd(d), names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0)
				sbuf_addf(w->err, "cannot open the round's folder '%s': %s", sub,
					  strerror(errno));
			ret = sfd < 0 ? -1 : walk_partial(w, sfd, sub);
			if (sfd >= 0)
				close(sfd);
		} else if (S_ISREG(st.st_mode)) {
			file_step(w, sub);
		}
		free(sub);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

/* write_plan: plan to work/merge.plan, synced, as a whole (a temporary renamed) */
static int write_plan(struct tree *work, const struct sbuf *plan, struct sbuf *err)
{
	static const char tmp[] = MERGE_PLAN ".tmp";
	unlinkat(work->fd, tmp, 0);
	int fd = sys_openat(work->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
	int e = fd < 0 ? errno : sys_write_all(fd, plan->buf, plan->len);
	if (!e && sys_fsync(fd) < 0)
		e = errno;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	if (!e && sys_renameat(work->fd, tmp, work->fd, MERGE_PLAN, 0) < 0)
		e = errno;
	if (!e && sys_fsync(work->fd) < 0)
		e = errno;
	if (e) {
		unlinkat(work->fd, tmp, 0);
		sbuf_addf(err, "cannot write the round's plan in '%s': %s", work->display,
			  strerror(e));
		return -1;
	}
	return 0;
}

/* ---- carrying it out ------------------------------------------------------------------ */

struct plan_run {
	struct tree *domain, *work;
	struct tree final;	/* <domain>/<final> */
	struct tree partial;	/* <work>/output.partial; fd -1 when gone */
	struct sbuf *err;
};

/* final_parent: rel's folder in the final output (made), its last name in *leaf */
static int final_parent(struct plan_run *r, const char *rel, const char **leaf)
{
	const char *slash = strrchr(rel, '/');
	if (slash) {
		char *dir = xstrndup(rel, (size_t)(slash - rel));
		int ret = tree_mkdirs(&r->final, dir, r->err);
		free(dir);
		if (ret < 0)
			return -1;
	}
	return tree_parent(&r->final, rel, leaf, r->err);
}

static int step_move(struct plan_run *r, const char *rel)
{
	const char *sleaf, *dleaf;
	if (r->partial.fd < 0)
		return 0;
	int sfd = tree_parent(&r->partial, rel, &sleaf, r->err);
	if (sfd < 0) {		/* its folder is gone: moved already */
		sbuf_reset(r->err);
		return 0;
	}
	struct stat st;
	if (fstatat(sfd, sleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* moved already */
	int dfd = final_parent(r, rel, &dleaf);
	if (dfd < 0)
		return -1;
	sfd = tree_parent(&r->partial, rel, &sleaf, r->err);	/* final_parent used the cache */
	if (sfd < 0 || sys_renameat(sfd, sleaf, dfd, dleaf, 0) < 0) {
		if (!r->err->len)
			sbuf_addf(r->err, "cannot move '%s' into '%s': %s", rel, r->final.display,
				  strerror(errno));
		return -1;
	}
	return 0;
}

/* copy_fd: the whole of from appended to to (at its end); 0 or errno */
static int copy_fd(int from, int to)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : 0;
		int e = sys_write_all(to, buf, (size_t)n);
		if (e)
			return e;
	}
}

static int step_append(struct plan_run *r, const char *rel, uint64_t size, int64_t mtime)
{
	const char *sleaf, *dleaf;
	if (r->partial.fd < 0)
		return 0;
	int sfd = tree_parent(&r->partial, rel, &sleaf, r->err);
	if (sfd < 0) {
		sbuf_reset(r->err);
		return 0;
	}
	int from = openat(sfd, sleaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (from < 0)
		return 0;	/* appended already */
	struct stat fst = { 0 };
	int dfd = final_parent(r, rel, &dleaf);
	int to = dfd < 0 ? -1 : sys_openat(dfd, dleaf, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	int e = dfd < 0 ? EIO : to < 0 ? errno : 0;
	if (!e && sys_ftruncate(to, (off_t)size) < 0)	/* a killed append's part */
		e = errno;
	if (!e && lseek(to, 0, SEEK_END) < 0)
		e = errno;
	if (!e)
		e = copy_fd(from, to);
	if (!e && fstat(from, &fst) < 0)
		e = errno;
	/* the newest of both; a round that added nothing leaves the time as it was */
	int64_t t = fst.st_size && fst.st_mtim.tv_sec > mtime ? fst.st_mtim.tv_sec : mtime;
	if (!e && sys_futimens(to, t) < 0)
		e = errno;
	if (!e && sys_fsync(to) < 0)
		e = errno;
	close(from);
	if (to >= 0)
		close(to);
	if (!e) {
		sfd = tree_parent(&r->partial, rel, &sleaf, r->err);
		if (sfd >= 0 && unlinkat(sfd, sleaf, 0) < 0 && errno != ENOENT)
			e = errno;
	}
	if (e && !r->err->len)
		sbuf_addf(r->err, "cannot append the round's '%s' to '%s/%s': %s", rel,
			  r->final.display, rel, strerror(e));
	return e ? -1 : 0;
}

static int step_rename(struct plan_run *r, const char *old_rel, const char *new_rel)
{
	const char *oleaf, *nleaf;
	int ofd = tree_parent(&r->final, old_rel, &oleaf, r->err);
	struct stat st;
	if (ofd < 0 || fstatat(ofd, oleaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		sbuf_reset(r->err);
		return 0;	/* renamed already (or gone: nothing to rename) */
	}
	ofd = dup(ofd);
	int nfd = ofd < 0 ? -1 : final_parent(r, new_rel, &nleaf);
	int ret = nfd < 0 ? -1 : sys_renameat(ofd, oleaf, nfd, nleaf, 0);
	if (ret < 0 && !r->err->len)
		sbuf_addf(r->err, "cannot rename '%s/%s' to '%s': %s", r->final.display, old_rel,
			  new_rel, strerror(errno));
	if (ofd >= 0)
		close(ofd);
	return ret;
}

static int step_remove(struct plan_run *r, const char *rel)
{
	const char *leaf;
	int fd = tree_parent(&r->final, rel, &leaf, r->err);
	if (fd < 0) {
		sbuf_reset(r->err);
		return 0;
	}
	if (unlinkat(fd, leaf, 0) < 0 && errno != ENOENT) {
		sbuf_addf(r->err, "cannot remove '%s/%s': %s", r->final.display, rel,
			  strerror(errno));
		return -1;
	}
	return 0;
}

static int step_publish(struct plan_run *r, const char *wname, const char *dname)
{
	struct stat st;
	if (fstatat(r->work->fd, wname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* published already */
	if (tree_refuse_link(r->domain, dname, r->err) < 0)
		return -1;
	if (sys_renameat(r->work->fd, wname, r->domain->fd, dname, 0) < 0) {
		sbuf_addf(r->err, "cannot rename '%s/%s' to '%s/%s': %s", r->work->display, wname,
			  r->domain->display, dname, strerror(errno));
		return -1;
	}
	return 0;
}

/* run_step: one line of the plan (its fields split at tabs, in place) */
static int run_step(struct plan_run *r, char *line)
{
	char *f[5] = { 0 };
	size_t n = 0;
	for (char *save = NULL, *p = strtok_r(line, "\t", &save); p && n < 5;
	     p = strtok_r(NULL, "\t", &save))
		f[n++] = p;
	if (n == 2 && !strcmp(f[0], "K"))
		return tree_mkdirs(&r->final, f[1], r->err);
	if (n == 2 && !strcmp(f[0], "M"))
		return step_move(r, f[1]);
	if (n == 4 && !strcmp(f[0], "A"))
		return step_append(r, f[1], strtoull(f[2], NULL, 10), strtoll(f[3], NULL, 10));
	if (n == 3 && !strcmp(f[0], "R"))
		return step_rename(r, f[1], f[2]);
	if (n == 2 && !strcmp(f[0], "D"))
		return step_remove(r, f[1]);
	if (n == 3 && !strcmp(f[0], "F"))
		return step_publish(r, f[1], f[2]);
	sbuf_addf(r->err, "the round's plan in '%s' has a line it cannot read ('%s')",
		  r->work->display, f[0] ? f[0] : "");
	return -1;
}

/* run_plan: every step of plan (its first line: "final\t<name>"); then the plan removed */
static int run_plan(struct tree *domain, struct tree *work, char *plan, struct sbuf *err)
{
	struct plan_run r = { .domain = domain, .work = work, .err = err,
			      .final = TREE_INIT, .partial = TREE_INIT };
	char *save = NULL;
	char *first = strtok_r(plan, "\n", &save);
	if (!first || strncmp(first, "final\t", 6)) {
		sbuf_addf(err, "the round's plan in '%s' does not name its output", work->display);
		return -1;
	}
	int ret = tree_sub(&r.final, domain, first + 6, true, err);
	if (ret == 0 && tree_sub(&r.partial, work, STAGE_PARTIAL, false, err) < 0) {
		sbuf_reset(err);	/* gone: every move and append was done */
		r.partial = (struct tree)TREE_INIT;
	}
	for (char *line; ret == 0 && (line = strtok_r(NULL, "\n", &save)); )
		ret = run_step(&r, line);
	if (ret == 0 && sys_syncfs(r.final.fd) < 0) {
		sbuf_addf(err, "cannot sync '%s': %s", r.final.display, strerror(errno));
		ret = -1;
	}
	tree_close(&r.final);
	tree_close(&r.partial);
	if (ret == 0) {
		tree_remove(work->fd, STAGE_PARTIAL, work->display, err);
		if (unlinkat(work->fd, MERGE_PLAN, 0) < 0 && errno != ENOENT) {
			sbuf_addf(err, "cannot remove '%s/%s': %s", work->display, MERGE_PLAN,
				  strerror(errno));
			ret = -1;
		}
	}
	return ret;
}

int stage_merge_commit(struct stage *st, struct sbuf *err)
{
	if (sys_syncfs(st->partial.fd) < 0) {
		char *pd = stage_partial_display(st);
		sbuf_addf(err, "cannot sync '%s': %s", pd, strerror(errno));
		free(pd);
		return -1;
	}
	int final_fd = stage_final_fd(st, err);
	if (final_fd < 0)
		return -1;
	struct sbuf plan = SBUF_INIT;
	sbuf_addf(&plan, "final\t%s\n", st->final);
	struct plan_walk w = { .st = st, .final_fd = final_fd, .plan = &plan, .err = err };
	int ret = walk_partial(&w, st->partial.fd, "");
	close(final_fd);
	sbuf_add(&plan, st->steps.buf, st->steps.len);
	for (const char *const *p = st->publish; p && p[0] && p[1]; p += 2)
		sbuf_addf(&plan, "F\t%s\t%s\n", p[0], p[1]);
	tree_close(&st->partial);	/* the plan moves it away */
	if (ret == 0)
		ret = write_plan(st->work, &plan, err);
	if (ret == 0 && run_plan(st->domain, st->work, plan.buf, err) < 0) {
		sbuf_addf(err, "; the round is whole: the next run into DIR finishes joining it");
		ret = -1;
	}
	sbuf_release(&plan);
	return ret;
}

int stage_recover(struct tree *domain, struct tree *work, struct sbuf *err)
{
	int fd = openat(work->fd, MERGE_PLAN, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	struct sbuf plan = SBUF_INIT;
	char buf[65536];
	ssize_t n = 0;
	while (fd >= 0 && ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			sbuf_add(&plan, buf, (size_t)n);
	int e = fd < 0 || n < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	int ret = -1;
	if (e)
		sbuf_addf(err, "cannot read the round's plan '%s/%s': %s", work->display,
			  MERGE_PLAN, strerror(e));
	else
		ret = run_plan(domain, work, plan.buf, err) < 0 ? -1 : 1;
	sbuf_release(&plan);
	return ret;
}
