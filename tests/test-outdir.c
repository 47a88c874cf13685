/*
 * Unit tests for the output tree (formats/core/outdir.c, converter/places.c):
 * names that cannot collide (reserved suffixes, shortening), directories
 * below DIR reached without following a link, the staging commit that
 * refuses a link at the final name and swaps a previous output, paths of
 * any length, the resolution of a DIR still to be made, and the places DIR
 * may not be in or hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/places.h"
#include "core/outdir.h"
#include "core/outfile.h"
#include "core/xalloc.h"
#include "testutil.h"
#include "unit.h"

static char dir[] = "/tmp/mdx-test-outdir-XXXXXX";

static char *path_in(const char *name)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static char *escaped(const char *name, size_t room)
{
	struct sbuf e = SBUF_INIT;
	fsname_escape_room(&e, name, room);
	return sbuf_detach(&e);
}

/* mailbox names never end in -<digits>: a PST's parts and the rounds' files are named so */
static void test_mailbox_names(void)
{
	test_group("mailbox names and the names of parts");
	static const char *const cases[][2] = {
		{ "john-002", "john%2D002" }, { "john-2", "john%2D2" },
		{ "a.round-001", "a.round%2D001" }, { "john-", "john-" },
		{ "john-x2", "john-x2" }, { "-12", "%2D12" }, { "12", "12" },
		{ "john", "john" }, { "a-b-7", "a-b%2D7" }, { "j.pst", "j%2Epst" },
		{ "x-002.pst", "x-002%2Epst" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sbuf e = SBUF_INIT, back = SBUF_INIT;
		fsname_escape_mailbox(&e, cases[i][0]);
		test_assert_str(e.buf, cases[i][1]);
		fsname_unescape(&back, e.buf);
		test_assert_str(back.buf, cases[i][0]);
		sbuf_release(&e);
		sbuf_release(&back);
	}
	/* a long name ending in digits: shortened (it ends in the digest) and never -<digits> */
	char longname[400];
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + sizeof(longname) - 5, "-0002", 5);
	longname[sizeof(longname) - 1] = '\0';
	struct sbuf e = SBUF_INIT;
	fsname_escape_mailbox(&e, longname);
	test_assert(e.len <= FSNAME_MAILBOX_ROOM);
	test_assert(strstr(e.buf, "%~") != NULL);
	sbuf_release(&e);
}

static void test_suffixes(void)
{
	test_group("reserved suffixes");
	static const char *const cases[][2] = {
		{ "john.pst", "john%2Epst" }, { "john.PST", "john%2EPST" },
		{ "A.mbox", "A%2Embox" }, { "000001.eml", "000001%2Eeml" },
		{ "john.manifest.jsonl", "john.manifest%2Ejsonl" },
		{ "john.old", "john.old" }, { "john.partial", "john.partial" },
		{ ".pst", "%2Epst" }, { "x.pst.old", "x.pst.old" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *e = escaped(cases[i][0], FSNAME_MAX);
		test_assert_str(e, cases[i][1]);
		struct sbuf back = SBUF_INIT;
		fsname_unescape(&back, e);
		test_assert_str(back.buf, cases[i][0]);
		sbuf_release(&back);
		free(e);
	}
}

static void test_shortening(void)
{
	test_group("shortening");
	char a[256], b[256];
	memset(a, 'a', 255);
	a[255] = '\0';
	memcpy(b, a, sizeof(b));
	b[254] = 'b';		/* differs only past the kept head */
	char *ea = escaped(a, FSNAME_MBOX_ROOM), *eb = escaped(b, FSNAME_MBOX_ROOM);
	test_assert(strlen(ea) <= FSNAME_MBOX_ROOM && strlen(eb) <= FSNAME_MBOX_ROOM);
	test_assert(strcmp(ea, eb) != 0);
	test_assert(strstr(ea, "%~") != NULL);	/* what escaping never writes */
	char *again = escaped(a, FSNAME_MBOX_ROOM);
	test_assert_str(again, ea);		/* stable: re-runs give the same names */
	free(again);
	/* a name that fits is kept whole: 250 bytes in 250 */
	a[250] = '\0';
	char *fits = escaped(a, FSNAME_MBOX_ROOM);
	test_assert_str(fits, a);
	free(fits);
	/* never half a UTF-8 sequence or half an escape */
	struct sbuf u = SBUF_INIT;
	for (int i = 0; i < 100; i++)
		sbuf_adds(&u, "\xc3\xa9%");	/* é then % (written %25) */
	char *eu = escaped(u.buf, FSNAME_MAX);
	size_t n = strlen(eu);
	test_assert(n <= FSNAME_MAX);
	const char *mark = strstr(eu, "%~");
	test_assert(mark != NULL);
	if (mark) {
		size_t head = (size_t)(mark - eu);
		bool whole = head >= 1 && (eu[head - 1] == '5' || eu[head - 1] == '\xa9');
		test_assert(whole);
	}
	free(eu);
	sbuf_release(&u);
	free(ea);
	free(eb);
}

static int make_link(const char *target, const char *name)
{
	return symlink(target, path_in(name));
}

static void test_tree(void)
{
	test_group("tree");
	struct sbuf err = SBUF_INIT;
	struct tree root = TREE_INIT, sub = TREE_INIT;
	test_assert(tree_open_root(&root, dir, &err) == 0);
	test_assert(tree_sub(&sub, &root, "a/b/c", true, &err) == 0);
	test_assert(access(path_in("a/b/c"), F_OK) == 0);
	tree_close(&sub);
	/* a link on the way is refused, named, and nothing is made behind it */
	test_assert(mkdir(path_in("target"), 0755) == 0);
	test_assert(make_link("target", "lnk") == 0);
	test_assert(tree_sub(&sub, &root, "lnk/x", true, &err) < 0);
	test_assert(strstr(err.buf, "lnk' is a symbolic link") != NULL);
	test_assert(access(path_in("target/x"), F_OK) < 0);
	sbuf_reset(&err);
	/* a file made through tree_parent never goes through a link either */
	struct outfile of;
	test_assert(outfile_create(&of, &root, "lnk/file", &err) < 0);
	test_assert(strstr(err.buf, "symbolic link") != NULL);
	sbuf_reset(&err);
	test_assert(make_link("target/f", "dangling") == 0);
	test_assert(outfile_create(&of, &root, "dangling", &err) < 0);
	test_assert(access(path_in("target/f"), F_OK) < 0);
	sbuf_reset(&err);
	test_assert(outfile_create(&of, &root, "a/b/c/file", &err) == 0);
	outfile_write(&of, "x", 1);
	test_assert(outfile_close(&of, -1, &err) == 0);
	test_assert(access(path_in("a/b/c/file"), F_OK) == 0);
	/* "." and ".." never name a folder below DIR */
	test_assert(tree_sub(&sub, &root, "a/../..", true, &err) < 0);
	sbuf_reset(&err);
	tree_close(&root);
	sbuf_release(&err);
}

static void test_stage(void)
{
	test_group("stage");
	struct sbuf err = SBUF_INIT;
	struct tree root = TREE_INIT, dom = TREE_INIT, work = TREE_INIT;
	test_assert(tree_open_root(&root, dir, &err) == 0);
	test_assert(tree_sub(&dom, &root, "dom", true, &err) == 0);
	test_assert(tree_sub(&work, &root, ".mdexport/dom/box", true, &err) == 0);
	struct out_target t = { .domain = &dom, .name = "box", .work = &work };
	struct stage st = { 0 };
	/* first output */
	test_assert(stage_begin_dir(&st, &t, NULL, &err) == 0);
	struct outfile of;
	test_assert(outfile_create(&of, &st.partial, "one", &err) == 0);
	test_assert(outfile_close(&of, -1, &err) == 0);
	test_assert(stage_commit(&st, &err) == 0);
	test_assert(access(path_in("dom/box/one"), F_OK) == 0);
	test_assert(access(path_in(".mdexport/dom/box/" STAGE_PARTIAL), F_OK) < 0);
	/* the second replaces it whole */
	test_assert(stage_begin_dir(&st, &t, NULL, &err) == 0);
	test_assert(outfile_create(&of, &st.partial, "two", &err) == 0);
	test_assert(outfile_close(&of, -1, &err) == 0);
	test_assert(stage_commit(&st, &err) == 0);
	test_assert(access(path_in("dom/box/two"), F_OK) == 0 &&
		    access(path_in("dom/box/one"), F_OK) < 0);
	/* an abort leaves the output as it was */
	test_assert(stage_begin_dir(&st, &t, NULL, &err) == 0);
	stage_abort(&st);
	test_assert(access(path_in("dom/box/two"), F_OK) == 0);
	test_assert(access(path_in(".mdexport/dom/box/" STAGE_PARTIAL), F_OK) < 0);
	/* a link at the final name is refused, its target untouched */
	test_assert(mkdir(path_in("victim"), 0755) == 0);
	test_assert(make_link("../victim", "dom/file.pst") == 0);
	struct out_target tf = { .domain = &dom, .name = "file", .work = &work };
	test_assert(stage_begin_file(&st, &tf, ".pst", &err) < 0);
	test_assert(strstr(err.buf, "dom/file.pst' is a symbolic link") != NULL);
	struct stat sb;
	test_assert(lstat(path_in("dom/file.pst"), &sb) == 0 && S_ISLNK(sb.st_mode));
	test_assert(stat(path_in("victim"), &sb) == 0 && S_ISDIR(sb.st_mode));
	sbuf_reset(&err);
	/* a file output */
	struct out_target tg = { .domain = &dom, .name = "good", .work = &work };
	test_assert(stage_begin_file(&st, &tg, ".pst", &err) == 0);
	test_assert(write(st.file_fd, "PST", 3) == 3);
	test_assert(stage_commit(&st, &err) == 0);
	test_assert(stat(path_in("dom/good.pst"), &sb) == 0 && sb.st_size == 3);
	tree_close(&work);
	tree_close(&dom);
	tree_close(&root);
	sbuf_release(&err);
}

static void test_long_paths(void)
{
	test_group("paths of any length");
	struct sbuf err = SBUF_INIT, rel = SBUF_INIT;
	struct tree root = TREE_INIT;
	test_assert(tree_open_root(&root, dir, &err) == 0);
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	sbuf_adds(&rel, "deep");
	for (int i = 0; i < 25; i++)	/* over 5,000 bytes */
		sbuf_addf(&rel, "/%s", name);
	test_assert(tree_mkdirs(&root, rel.buf, &err) == 0);
	sbuf_adds(&rel, "/file");
	struct outfile of;
	test_assert(outfile_create(&of, &root, rel.buf, &err) == 0);
	outfile_write(&of, "deep", 4);
	test_assert(outfile_close(&of, -1, &err) == 0);
	char *full = xasprintf("%s/%s", dir, rel.buf);
	test_assert(strlen(full) > PATH_MAX);
	int fd = path_open(full, O_RDONLY);
	char buf[8] = "";
	test_assert(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && !memcmp(buf, "deep", 4));
	if (fd >= 0)
		close(fd);
	free(full);
	test_assert(tree_remove(root.fd, "deep", "deep", &err) == 0);
	test_assert(access(path_in("deep"), F_OK) < 0);
	tree_close(&root);
	sbuf_release(&rel);
	sbuf_release(&err);
}

static void test_places(void)
{
	test_group("places");
	struct sbuf err = SBUF_INIT;
	test_assert(mkdir(path_in("src"), 0755) == 0 && mkdir(path_in("src/Users"), 0755) == 0);
	test_assert(make_link("src/Users", "tosrc") == 0);
	struct places p = { 0 };
	places_add(&p, "SOURCE", path_in("src"));
	places_add(&p, "missing", path_in("none"));	/* holds nothing: not added */
	test_assert(p.n == 1);
	/* "nonexistent/../tosrc" is tosrc, a link into SOURCE */
	test_assert(places_refuse(&p, "--output", path_in("nonexistent/../tosrc/out"), true,
				  &err) < 0);
	test_assert(strstr(err.buf, "is inside SOURCE") != NULL);
	test_assert(access(path_in("nonexistent"), F_OK) < 0);	/* nothing made */
	sbuf_reset(&err);
	/* a folder holding SOURCE */
	test_assert(places_refuse(&p, "--output", dir, true, &err) < 0);
	test_assert(strstr(err.buf, "holds SOURCE") != NULL);
	sbuf_reset(&err);
	test_assert(places_refuse(&p, "--output", path_in("elsewhere/out"), true, &err) == 0);
	char *r = path_resolve_future(path_in("x/y/../../src/./Users/z"), &err);
	char *want = realpath(path_in("src/Users"), NULL);
	char *want_z = xasprintf("%s/z", want);
	test_assert_str(r, want_z);
	free(r);
	free(want);
	free(want_z);
	places_release(&p);
	sbuf_release(&err);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_suffixes();
	test_mailbox_names();
	test_shortening();
	test_tree();
	test_stage();
	test_long_paths();
	test_places();
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	return test_done();
}
