/*
 * A folder whose contents table does not fit in memory (issue 3): 1,030
 * messages with subjects so long that each row's strings fill a heap page,
 * written in a shuffled NID order with 16 entries of each list in memory,
 * so the NBT and the table's row index are merged from many runs on
 * temporary files, and the table's heap (over 1,021 pages: an XXBLOCK) and
 * row matrix are written while the rows come.  The table is read back here
 * byte by byte (row index, row matrix, every subject in the heap), and by
 * tools/pstcheck, libpff (pffexport), libpst (readpst) and, when
 * installed, pst-extractor, which finds a folder's messages through this
 * very table.
 */
#include <errno.h>
#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conv.h"
#include "pst/message.h"
#include "pst/store.h"
#include "pstread.h"
#include "unit.h"

#define N 1030
#define BIG_NID 0x8102u			/* index 0x408, a normal folder */
#define FIRST_INDEX 0x10001u

static uint32_t msg_nid(size_t k)
{
	return (uint32_t)(FIRST_INDEX + k) << 5 | 0x04;
}

/*
 * subject: of the message with NID index k; so long (1,780 characters)
 * that a row's subject and topic take a heap page of their own
 */
static void subject(struct sbuf *out, size_t k)
{
	sbuf_reset(out);
	sbuf_addf(out, "big folder message %05zu", k);
	while (out->len < 1780)
		sbuf_addf(out, " %c%zu", 'a' + (int)(out->len % 26), k % 97);
	sbuf_setlen(out, 1780);
	out->buf[1779] = '.';		/* not a blank: a header's last blank is not kept */
}

static size_t written_order[N];		/* [k]: when message k was written (its row number) */

static void write_messages(struct pst_ndb *n, struct pst_tc *contents)
{
	struct sbuf m = SBUF_INIT, s = SBUF_INIT;
	int ok = 0;
	for (size_t i = 0; i < N; i++) {
		size_t k = i * 7919 % N;	/* 7919: prime, does not divide N */
		written_order[k] = i;
		subject(&s, k);
		sbuf_reset(&m);
		sbuf_addf(&m, "From: Sender %zu <s%zu@example.com>\r\nTo: r@example.com\r\n"
			  "Subject: %s\r\nMessage-ID: <%zu@example.com>\r\n\r\n", k, k, s.buf, k);
		size_t head = m.len;
		sbuf_addf(&m, "Body of message %zu.\r\n", k);
		struct pst_msg_in in = { .raw = (const unsigned char *)m.buf, .len = m.len, .msg = NULL,
					 .head = (const unsigned char *)m.buf, .head_len = head,
					 .flags = i % 2 ? MSG_SEEN : 0,
					 .received = 1700000000 + 60 * (int64_t)k };
		ok += pst_write_message(n, contents, msg_nid(k), BIG_NID, &in, NULL) == 0;
	}
	test_assert(ok == N);
	sbuf_release(&m);
	sbuf_release(&s);
}

static void write_store(const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, 16);
	static const uint8_t key[16] = { 0x6d, 0x64, 0x78, 7, 7, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3 };
	pst_write_store(n, key, "big@example.com", 0, 0);
	struct pst_tc contents;
	pst_tc_init(&contents, n, pst_contents_cols, pst_contents_ncols);
	test_group("write");
	write_messages(n, &contents);
	/* the block list, the node list and the row index: on nameless files by the PST */
	char dir[128];
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	test_assert(test_tmp_fds(dir) == 3);
	uint64_t cdata, csub;
	test_assert(pst_tc_write(&contents, &cdata, &csub) == 0);
	pst_tc_release(&contents);
	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
		.has_subfolders = 1 };
	struct pst_folder_info top = { .nid = PST_NID_IPM_SUBTREE, .parent = PST_NID_ROOT,
		.name = "Top of Outlook data file", .has_subfolders = 1 };
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
		.name = "Search Root" };
	struct pst_folder_info spam = { .nid = PST_NID_SPAM_SEARCH, .parent = PST_NID_ROOT,
		.name = PST_SPAM_SEARCH_NAME };
	struct pst_folder_info trash = { .nid = PST_NID_WASTEBASKET, .parent = PST_NID_IPM_SUBTREE,
		.name = "Deleted Items" };
	struct pst_folder_info big = { .nid = BIG_NID, .parent = PST_NID_IPM_SUBTREE, .name = "Big",
		.content_count = N, .unread_count = N / 2, .container_class = "IPF.Note" };
	struct pst_folder_info root_children[] = { top, finder, spam };
	struct pst_folder_info top_children[] = { trash, big };
	pst_write_folder(n, &root, root_children, 3);
	pst_write_folder(n, &top, top_children, 2);
	pst_write_folder(n, &finder, NULL, 0);
	pst_write_folder(n, &trash, NULL, 0);
	pst_write_folder_with_contents(n, &big, NULL, 0, cdata, csub);
	pst_write_skeleton(n, key, BIG_NID);	/* pst-extractor needs the name map */
	uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = 0x409;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = FIRST_INDEX + N;
	rgnid[0x08] = 0x8000;
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);
	test_assert(test_tmp_fds(dir) == 0 && test_dir_entries(dir) == 1);
	sbuf_release(&err);
}

/* ---- the table read back ------------------------------------------------ */

struct col { uint16_t ib; int found; };

static struct col find_col(const uint8_t *tcinfo, uint32_t tag)
{
	for (unsigned i = 0; i < tcinfo[1]; i++) {
		const uint8_t *d = tcinfo + 22 + 8 * i;
		if (get(d, 4) == tag)
			return (struct col){ (uint16_t)get(d + 4, 2), 1 };
	}
	return (struct col){ 0, 0 };
}

/* subnode: the data BID of subnode nid under the SLBLOCK bid_sub (0: none) */
static uint64_t subnode(uint64_t bid_sub, uint32_t nid)
{
	const uint8_t *e = find_in_tree(hdr.bbt.ib, bid_sub, 0);
	const uint8_t *sl = e ? img + get(e + 8, 8) : NULL;
	for (unsigned i = 0; sl && sl[0] == 2 && sl[1] == 0 && i < get(sl + 2, 2); i++)
		if (get(sl + 8 + 24 * i, 8) == nid)
			return get(sl + 16 + 24 * i, 8);
	return 0;
}

/* check_rows: every index record's row: its row ID and its subject in the heap */
static void check_rows(const struct heap_view *h, const uint8_t *tcinfo, const struct sbuf *recs,
		       const struct sbuf *matrix)
{
	size_t rowsize = (size_t)get(tcinfo + 8, 2), per = PST_BLOCK_DATA_MAX / rowsize;
	struct col id = find_col(tcinfo, 0x67F20003), subj = find_col(tcinfo, 0x0037001F);
	test_assert(id.found && subj.found);
	test_assert(matrix->len == (N - 1) / per * PST_BLOCK_DATA_MAX + ((N - 1) % per + 1) * rowsize);
	size_t order = 0, ids = 0, subjects = 0;
	struct sbuf s = SBUF_INIT, want = SBUF_INIT;
	for (size_t k = 0; k < N && recs->len == 8 * N; k++) {
		const uint8_t *r = (const uint8_t *)recs->buf + 8 * k;
		size_t row = (size_t)get(r + 4, 4);
		order += get(r, 4) != msg_nid(k) || row != written_order[k];
		const uint8_t *cells = (const uint8_t *)matrix->buf + row / per * PST_BLOCK_DATA_MAX +
				       row % per * rowsize;
		if (row >= N || (size_t)(cells - (const uint8_t *)matrix->buf) + rowsize > matrix->len)
			continue;
		ids += get(cells + id.ib, 4) == msg_nid(k);
		size_t len = 0;
		const uint8_t *v = heap_get(h, (uint32_t)get(cells + subj.ib, 4), &len);
		subject(&s, k);
		sbuf_reset(&want);
		pst_utf16le(&want, s.buf);
		subjects += v && len == want.len && !memcmp(v, want.buf, len);
	}
	test_assert(order == 0);
	test_assert(ids == N);
	test_assert(subjects == N);
	sbuf_release(&s);
	sbuf_release(&want);
}

static void read_back(const char *path)
{
	test_group("read back");
	test_assert(load(path) == 0);
	const uint8_t *node = find_in_tree(hdr.nbt.ib, PST_NID_CONTENTS(BIG_NID), 1);
	if (!test_assert(node != NULL))
		return;
	uint64_t bid_data = get(node + 8, 8), bid_sub = get(node + 16, 8);
	/* over 1,021 heap pages: the data tree's top is an XXBLOCK */
	const uint8_t *top = find_in_tree(hdr.bbt.ib, bid_data & ~1ull, 0);
	test_assert(top && img[get(top + 8, 8)] == 1 && img[get(top + 8, 8) + 1] == 2);
	struct heap_view h = { SBUF_INIT, SBUF_INIT };
	stream(bid_data, &h.data, &h.pages);
	printf("# contents table heap: %zu pages, %zu bytes\n", h.pages.len / 16, h.data.len);
	test_assert(h.pages.len / 16 > 1021);
	const uint8_t *hn = (const uint8_t *)h.data.buf;
	test_assert(hn[2] == 0xEC && hn[3] == 0x7C);
	size_t len = 0;
	const uint8_t *tcinfo = heap_get(&h, (uint32_t)get(hn + 4, 4), &len);
	if (!test_assert(tcinfo && tcinfo[0] == 0x7C && len == 22 + 8u * tcinfo[1]))
		return;
	/* the row index: at HID 0x20, one level over 3 leaves of up to 447 */
	const uint8_t *bth = heap_get(&h, (uint32_t)get(tcinfo + 10, 4), &len);
	test_assert(get(tcinfo + 10, 4) == 0x20);
	if (!test_assert(bth && len == 8 && bth[0] == 0xB5 && bth[1] == 4 && bth[2] == 4))
		return;
	test_assert(bth[3] == 1);
	struct sbuf recs = SBUF_INIT, matrix = SBUF_INIT;
	bth_collect(&h, (uint32_t)get(bth + 4, 4), bth[3], 4, 4, &recs);
	test_assert(recs.len == 8 * N);
	/* the row matrix: a subnode */
	uint32_t hnid_rows = (uint32_t)get(tcinfo + 14, 4);
	test_assert((hnid_rows & 0x1F) == 0x1F);
	uint64_t rows_bid = subnode(bid_sub, hnid_rows);
	test_assert(rows_bid != 0);
	stream(rows_bid, &matrix, NULL);
	check_rows(&h, tcinfo, &recs, &matrix);
	sbuf_release(&recs);
	sbuf_release(&matrix);
	sbuf_release(&h.data);
	sbuf_release(&h.pages);
}

/* ---- other readers ------------------------------------------------------ */

/* count_lines: lines of out containing needle */
static size_t count_lines(const struct sbuf *out, const char *needle)
{
	size_t n = 0;
	for (const char *l = out->buf; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		n += memmem(l, len, needle, strlen(needle)) != NULL;
		l = e ? e + 1 : NULL;
	}
	return n;
}

/*
 * readers: out is where pffexport and readpst write a file or more per
 * message: on tmpfs when there is one, since creating a thousand
 * directories takes seconds on the test machines' ext4 (see tools/bench)
 */
static void readers(const char *out_dir, const char *path)
{
	char cmd[1024];
	struct sbuf out = SBUF_INIT;
	test_group("pstcheck");
	test_assert(test_pstcheck_errors(path, "-e '^$'", "pstcheck") == 0);

	test_group("pffexport");
	snprintf(cmd, sizeof(cmd), "cd '%s' && pffexport -q -t out '%s' >/dev/null 2>&1; "
		 "for d in out.export/*/Big/Message* out.export/*/*/Big/Message*; do "
		 "[ -f \"$d/OutlookHeaders.txt\" ] && grep -h '^Subject:' \"$d/OutlookHeaders.txt\"; done",
		 out_dir, path);
	test_run(cmd, &out);
	printf("# pffexport: %zu subjects in Big\n", count_lines(&out, "Subject:"));
	test_assert(count_lines(&out, "Subject:\t") == N || count_lines(&out, "Subject: ") == N);
	test_assert(count_lines(&out, "big folder message 01029 ") == 1);

	test_group("readpst");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p rp && readpst -q -o rp '%s' >/dev/null 2>&1; "
		 "find rp -type f -name 'Big*' -exec grep -h '^Subject: ' {} +", out_dir, path);
	test_run(cmd, &out);
	test_assert(count_lines(&out, "Subject: big folder message ") == N);
	test_assert(count_lines(&out, "Subject: big folder message 00000 ") == 1);

	const char *modules = ".cache/pstx/node_modules";
	struct stat st;
	if (stat(modules, &st) != 0 || system("node --version >/dev/null 2>&1") != 0) {
		printf("# pst-extractor not installed (tests/e2e/t3000 installs it): not run\n");
		sbuf_release(&out);
		return;
	}
	test_group("pst-extractor");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "PSTX_MODULES=\"$PWD/%s\" node tests/lib/pstx-dump.js '%s' 2>&1",
		 modules, path);
	test_run(cmd, &out);
	/* it lists a folder's messages from its contents table: every one, once */
	test_assert(count_lines(&out, "\"folder\":\"Big\"") == N);
	test_assert(count_lines(&out, "\"topic\":\"big folder message 00345 ") == 1);
	sbuf_release(&out);
}

/* ---- a table's row index failing ----------------------------------------- */

/*
 * narrow_table: rows with IDs 1..count (and dup_of again, if not 0) in a
 * table of row ID and version only, 4 rows of its index in memory;
 * pst_tc_write must return -1 and the file fail, saying want.
 */
static void narrow_table(const char *dir, const char *what, size_t count, uint32_t dup_of,
			 bool remove_dir, const char *want)
{
	char sub[160], path[192];
	snprintf(sub, sizeof(sub), "%s/narrow", dir);
	snprintf(path, sizeof(path), "%s/narrow.pst", sub);
	test_group(what);
	test_assert(mkdir(sub, 0700) == 0);
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	pst_ndb_set_spill_limit(n, 4);
	if (remove_dir) {	/* nothing spilled yet; the row index will be first */
		unlink(path);
		rmdir(sub);
	}
	static const uint32_t cols[] = { 0x67F20003, 0x67F30003 };
	struct pst_tc tc;
	pst_tc_init(&tc, n, cols, 2);
	for (uint32_t id = 1; id <= count; id++) {
		pst_tc_row_begin(&tc, id);
		pst_tc_row_end(&tc);
	}
	if (dup_of) {
		pst_tc_row_begin(&tc, dup_of);
		pst_tc_row_end(&tc);
	}
	uint64_t data, sub_bid;
	test_assert(pst_tc_write(&tc, &data, &sub_bid) == -1);
	pst_tc_release(&tc);
	pst_ndb_add_node(n, 0x21, data, sub_bid, 0);
	uint32_t rgnid[32] = { 0 };
	test_assert(pst_ndb_finish(n, rgnid, &err) == -1);
	printf("# %s\n", err.buf);
	struct sbuf full = SBUF_INIT;
	sbuf_addf(&full, "cannot write '%s': %s", path, want);
	test_assert_str(err.buf, full.buf);
	test_assert(access(path, F_OK) == -1);
	test_assert(test_tmp_fds(dir) == 0);
	rmdir(sub);
	sbuf_release(&full);
	sbuf_release(&err);
}

static void index_errors(const char *dir)
{
	narrow_table(dir, "a table row added twice, in different runs", 100, 50, false,
		     "table row 0x32 added twice");
	char gone[192], want[384];
	snprintf(gone, sizeof(gone), "%s/narrow", dir);
	snprintf(want, sizeof(want), "temporary file for a table's row index in '%s': "
		 "create failed: %s", gone, strerror(ENOENT));
	narrow_table(dir, "a table's row index cannot go to a temporary file", 100, 0, true, want);
}

int main(void)
{
	g_mime_init();
	char dir[] = "/tmp/mdx-table-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[128];
	snprintf(path, sizeof(path), "%s/big.pst", dir);
	index_errors(dir);
	write_store(path);
	read_back(path);
	char shm[] = "/dev/shm/mdx-table-XXXXXX";
	const char *out_dir = mkdtemp(shm) ? shm : dir;
	readers(out_dir, path);
	free(img);
	if (!getenv("KEEP")) {
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, out_dir);
		if (system(cmd) != 0)
			return 1;
	}
	g_mime_shutdown();
	return test_done();
}
