/*
 * The store skeleton (formats/pst/store.c) read by readers we did not
 * write: libpff's pffinfo and pffexport, and libpst's readpst, must open
 * it and see the folder tree; tools/pstcheck must find no error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pst/namemap.h"
#include "pst/store.h"
#include "testutil.h"
#include "unit.h"

int main(void)
{
	char dir[] = "/tmp/mdx-store-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[128], cmd[512];
	snprintf(path, sizeof(path), "%s/skeleton.pst", dir);
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	static const uint8_t key[16] = { 0x6d, 0x64, 0x78, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	pst_write_store(n, key, "mdexport skeleton", 0, 0);
	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
		.has_subfolders = 1 };
	struct pst_folder_info top = { .nid = PST_NID_IPM_SUBTREE, .parent = PST_NID_ROOT,
		.name = "Top of Outlook data file", .has_subfolders = 1 };
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
		.name = "Search Root" };
	struct pst_folder_info trash = { .nid = PST_NID_WASTEBASKET, .parent = PST_NID_IPM_SUBTREE,
		.name = "Deleted Items", .container_class = "IPF.Note" };
	struct pst_folder_info root_children[] = { top, finder };
	pst_write_folder(n, &root, root_children, 2);
	pst_write_folder(n, &top, &trash, 1);
	pst_write_folder(n, &finder, NULL, 0);
	pst_write_folder(n, &trash, NULL, 0);
	uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = 0x404;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = 0x10000;
	rgnid[0x08] = 0x8000;
	test_group("write");
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);

	test_group("pstcheck");
	snprintf(cmd, sizeof(cmd), "tools/pstcheck '%s' 2>&1", path);
	test_run(cmd, &out);
	test_assert(strstr(out.buf, ": 0 errors,") != NULL);
	if (!strstr(out.buf, ": 0 errors,"))
		printf("# %s\n", out.buf);

	test_group("pffinfo");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "pffinfo '%s' 2>&1", path);
	int st = test_run(cmd, &out);
	printf("# pffinfo said:\n# %.*s\n", (int)(out.len > 1500 ? 1500 : out.len), out.buf);
	test_assert(st == 0 && strstr(out.buf, "File type:\t\t64-bit") != NULL);
	test_assert(strstr(out.buf, "Folders:\t\tSubtree, Wastbox, Finder") != NULL);

	test_group("pffexport");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && pffexport -q -t out '%s' 2>&1 && find out.export -type d | sort", dir, path);
	st = test_run(cmd, &out);
	printf("# pffexport: %.*s\n", (int)(out.len > 1500 ? 1500 : out.len), out.buf);
	test_assert(st == 0 && strstr(out.buf, "Deleted Items") != NULL &&
		    strstr(out.buf, "Top of Outlook data file") != NULL);

	test_group("readpst");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p rp && readpst -D -S -o rp '%s' 2>&1; find rp | sort", dir, path);
	test_run(cmd, &out);
	printf("# readpst: %.*s\n", (int)(out.len > 1500 ? 1500 : out.len), out.buf);
	test_assert(strstr(out.buf, "Deleted Items") != NULL);

	test_group("named properties the writer uses");
	/* PidLidSmartNoAttach: PSETID_Common {00062008-...-46}, LID 0x8514 */
	const struct pst_named_prop *sna = &pst_default_names[PST_PID_SMART_NO_ATTACH - 0x8000];
	test_assert(sna->name == NULL && sna->lid == 0x8514 && sna->guid[0] == 0x08 &&
		    sna->guid[1] == 0x20 && sna->guid[2] == 0x06 && sna->guid[15] == 0x46);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	sbuf_release(&err);
	sbuf_release(&out);
	return test_done();
}
