/* Unit tests for the userlist.dat parser (formats/mdaemon/userlist.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdaemon/userlist.h"
#include "unit.h"

/* rec: one fixed-width record, fields padded as MDaemon writes them */
static void rec(struct sbuf *b, const char *domain, const char *mailbox,
		const char *name, const char *maildir)
{
	sbuf_addf(b, "%-45s%-30s%-30s%-90s%-20s%s%s%s\r\n", domain, mailbox, name,
		  maildir, "xxxxxxxxxxxxxxxxxxxx", "NNYNYNNYNN", "0000", "000000");
}

static void test_records(void)
{
	struct sbuf b = SBUF_INIT, w = SBUF_INIT;
	struct userlist ul;
	rec(&b, "example.com", "alice", "Alice Example", "C:\\MDaemon\\Users\\example.com\\alice\\");
	rec(&b, "example.org", "carol", "Carol M\xfcller", "C:\\MDaemon\\Hashed\\ca\\carol\\");
	sbuf_adds(&b, "short line\r\n");
	sbuf_addf(&b, "%-45s%-30s\r\n", "", "nodomain");
	sbuf_addf(&b, "%-45s%-30s%-30s\r\n", "bad\001.com", "x", "");
	rec(&b, "example.net", "long", "", "D:\\Mail\\long\\");
	sbuf_setlen(&b, b.len - 2);
	sbuf_adds(&b, "EXTRA FIELDS OF A LATER VERSION\r\n");
	sbuf_adds(&b, "\r\n");
	test_group("userlist");
	userlist_parse(b.buf, b.len, &ul, &w);
	test_assert(ul.count == 3);
	test_assert_str(ul.entries[0].domain, "example.com");
	test_assert_str(ul.entries[0].mailbox, "alice");
	test_assert_str(ul.entries[0].full_name, "Alice Example");
	test_assert_str(ul.entries[0].maildir, "C:\\MDaemon\\Users\\example.com\\alice\\");
	test_assert_str(ul.entries[1].full_name, "Carol M\xc3\xbcller");
	test_assert(ul.entries[1].line == 2);
	test_assert_str(ul.entries[2].mailbox, "long");
	test_assert_str(ul.entries[2].maildir, "D:\\Mail\\long\\");
	test_assert(strstr(w.buf, "line 3: too short") != NULL);
	test_assert(strstr(w.buf, "line 4: too short") != NULL);
	test_assert(strstr(w.buf, "line 5: domain or mailbox holds control") != NULL);
	userlist_release(&ul);

	test_group("empty");
	sbuf_reset(&w);
	userlist_parse("", 0, &ul, &w);
	test_assert(ul.count == 0 && w.len == 0);
	userlist_release(&ul);

	test_group("garbage");
	char junk[600];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)((i * 7919) & 0xff);
	userlist_parse(junk, sizeof(junk), &ul, &w);
	for (size_t i = 0; i < ul.count; i++)
		test_assert(!strchr(ul.entries[i].mailbox, '/'));
	test_assert(w.len > 0);
	userlist_release(&ul);
	sbuf_release(&b);
	sbuf_release(&w);
}

struct collected {
	struct userlist ul;
	struct sbuf refused;
	size_t stop_after;
};

static bool on_account(void *ctx, struct userlist_entry *e)
{
	struct collected *c = ctx;
	c->ul.entries = realloc(c->ul.entries, (c->ul.count + 1) * sizeof(*e));
	if (!c->ul.entries)
		abort();
	c->ul.entries[c->ul.count++] = *e;
	return c->ul.count != c->stop_after;
}

static void on_refused(void *ctx, size_t lineno, const char *reason)
{
	struct collected *c = ctx;
	sbuf_addf(&c->refused, "%zu:%s\n", lineno, reason);
}

/* read_image: userlist_read on a file holding data */
static int read_image(const struct sbuf *data, struct collected *c, size_t stop_after)
{
	char path[] = "/tmp/mdx-test-userlist-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, data->buf, data->len) != (ssize_t)data->len ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	unlink(path);
	memset(c, 0, sizeof(*c));
	sbuf_init(&c->refused);
	c->stop_after = stop_after;
	int ret = userlist_read(fd, on_account, on_refused, c);
	close(fd);
	return ret;
}

static void test_stream(void)
{
	struct sbuf b = SBUF_INIT;
	struct collected c;
	test_group("stream: lines across read chunks, a 1 MiB line, no final line end");
	rec(&b, "example.com", "alice", "Alice", "C:\\MDaemon\\Users\\example.com\\alice\\");
	while (b.len < 65536 - 100)	/* the next record straddles the 64 KiB read */
		sbuf_adds(&b, "x\r\n");
	size_t junk_lines = 0;
	for (size_t i = 0; i < b.len; i++)
		junk_lines += b.buf[i] == '\n';
	junk_lines--;
	rec(&b, "example.com", "bob", "", "C:\\MDaemon\\Users\\example.com\\bob\\");
	sbuf_setlen(&b, b.len - 2);
	for (int i = 0; i < (1 << 20); i++)	/* later fields: dropped, not held */
		sbuf_addch(&b, 'Z');
	sbuf_adds(&b, "\r\n");
	rec(&b, "example.org", "carol", "", "D:\\carol\\");
	sbuf_setlen(&b, b.len - 2);	/* no line end at the end of the file */
	test_assert(read_image(&b, &c, 0) == 0);
	test_assert(c.ul.count == 3);
	if (c.ul.count == 3) {
		test_assert_str(c.ul.entries[0].mailbox, "alice");
		test_assert_str(c.ul.entries[1].mailbox, "bob");
		test_assert_str(c.ul.entries[1].maildir, "C:\\MDaemon\\Users\\example.com\\bob\\");
		test_assert(c.ul.entries[1].line == junk_lines + 2);
		test_assert_str(c.ul.entries[2].mailbox, "carol");
		test_assert(c.ul.entries[2].line == junk_lines + 3);
	}
	test_assert(strstr(c.refused.buf, "2:too short to hold a domain and a mailbox\n") != NULL);
	size_t refused = 0;
	for (size_t i = 0; i < c.refused.len; i++)
		refused += c.refused.buf[i] == '\n';
	test_assert(refused == junk_lines);
	userlist_release(&c.ul);
	sbuf_release(&c.refused);

	test_group("stream: the callback stops the reading");
	test_assert(read_image(&b, &c, 1) == 0);
	test_assert(c.ul.count == 1);
	userlist_release(&c.ul);
	sbuf_release(&c.refused);

	test_group("stream: an unreadable descriptor");
	test_assert(userlist_read(-1, on_account, on_refused, &c) == -1);
	sbuf_release(&b);
}

/* issue 14: access type and quotas (mdexport accounts) */
static void test_options(void)
{
	struct sbuf b = SBUF_INIT, w = SBUF_INIT;
	struct userlist ul;
	const char *dir = "C:\\M\\x\\";
	sbuf_addf(&b, "%-45s%-30s%-30s%-90s%-20s%s%s%s\r\n", "a.com", "pop", "", dir,
		  "SECRETPASSWORD", "NNPNYNNYNN", " 500", "512000");
	sbuf_addf(&b, "%-45s%-30s%-30s%-90s%-20s%s%s%s\r\n", "a.com", "off", "", dir,
		  "", "NNcNYNNNNN", "0000", "00000x");
	sbuf_addf(&b, "%-45s%-30s%-30s%-90s%-20s%s\r\n", "a.com", "cut", "", dir, "", "NNQ");
	sbuf_addf(&b, "%-45s%-30s%-30s%-90s\r\n", "a.com", "bare", "", dir);
	test_group("options");
	userlist_parse(b.buf, b.len, &ul, &w);
	test_assert(ul.count == 4);
	test_assert(ul.entries[0].access == 'P' && ul.entries[0].apply_quotas == 'Y');
	test_assert(ul.entries[0].max_messages == 500 && ul.entries[0].max_disk_kb == 512000);
	test_assert(ul.entries[1].access == 'C' && ul.entries[1].apply_quotas == 'N');
	test_assert(ul.entries[1].max_messages == 0 && ul.entries[1].max_disk_kb == -1);
	test_assert(ul.entries[2].access == '\0' && ul.entries[2].apply_quotas == '\0');
	test_assert(ul.entries[2].max_messages == -1 && ul.entries[2].max_disk_kb == -1);
	test_assert(ul.entries[3].access == '\0' && ul.entries[3].max_messages == -1);
	userlist_release(&ul);
	sbuf_release(&b);
	sbuf_release(&w);
}

int main(void)
{
	test_records();
	test_options();
	test_stream();
	return test_done();
}
