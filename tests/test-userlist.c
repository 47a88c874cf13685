/* Unit tests for the userlist.dat parser (formats/userlist.c). */
#include <stdlib.h>

#include "unit.h"
#include "userlist.h"

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

int main(void)
{
	test_records();
	return test_done();
}
