/* Unit tests for name encodings: output escaping, modified UTF-7, and the
 * UTF-8 / Windows-1252 decoding of names read from the store. */
#include <stdlib.h>

#include "core/mutf7.h"
#include "core/outdir.h"
#include "core/wintext.h"
#include "unit.h"

static void check_escape(const char *name, const char *want)
{
	struct sbuf e = SBUF_INIT, back = SBUF_INIT;
	fsname_escape(&e, name);
	test_assert_str(e.buf, want);
	fsname_unescape(&back, e.buf);
	test_assert_str(back.buf, name);
	sbuf_release(&e);
	sbuf_release(&back);
}

static void test_fsname(void)
{
	test_group("fsname");
	check_escape("INBOX", "INBOX");
	check_escape("Sent Items", "Sent Items");
	check_escape(".", "%2E");
	check_escape("..", "%2E.");
	check_escape(".hidden", "%2Ehidden");
	check_escape("a/b", "a%2Fb");
	check_escape("a\\b", "a%5Cb");
	check_escape("100%", "100%25");
	check_escape("tab\there", "tab%09here");
	check_escape("del\x7f", "del%7F");
	check_escape("Kunden \xc3\x9c" "bersicht", "Kunden \xc3\x9c" "bersicht");
	check_escape("", "%00");
	check_escape("Clients.Acme Corp", "Clients.Acme Corp");
}

static void check_mutf7(const char *utf8, const char *want)
{
	struct sbuf e = SBUF_INIT, back = SBUF_INIT;
	mutf7_encode(&e, utf8);
	test_assert_str(e.buf, want);
	if (strchr(want, '&') && strcmp(want, "&-") && !strstr(want, "&-")) {
		test_assert(mutf7_decode(&back, e.buf, e.len));
		test_assert_str(back.buf, utf8);
	}
	sbuf_release(&e);
	sbuf_release(&back);
}

static void test_mutf7(void)
{
	test_group("mutf7");
	/* expected values as Dovecot 2.3 writes them (checked with doveadm) */
	check_mutf7("Sent Items", "Sent Items");
	check_mutf7("R&D", "R&-D");
	check_mutf7("Kunden \xc3\x9c" "bersicht \xe2\x82\xac", "Kunden &ANw-bersicht &IKw-");
	check_mutf7("B\xc3\xbc" "cher", "B&APw-cher");
	check_mutf7("\xe2\x82\xac\xe2\x82\xac x \xe2\x82\xac", "&IKwgrA- x &IKw-");
	check_mutf7("emoji \xf0\x9f\x98\x80", "emoji &2D3eAA-");
	check_mutf7("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-");
	check_mutf7("\x01" "ctl", "&AAE-ctl");

	struct sbuf d = SBUF_INIT;
	test_assert(mutf7_decode(&d, "&AMQ-nderungen", 14));
	test_assert_str(d.buf, "\xc3\x84nderungen");
	sbuf_reset(&d);
	test_assert(!mutf7_decode(&d, "R&D", 3));		/* not mUTF-7 */
	test_assert(!mutf7_decode(&d, "R&D-Team", 8));	/* bad run length */
	test_assert(!mutf7_decode(&d, "plain", 5));	/* nothing encoded */
	test_assert(!mutf7_decode(&d, "&AGE-", 5));	/* encodes ASCII 'a' */
	test_assert(!mutf7_decode(&d, "&2D0-", 5));	/* lone surrogate */
	test_assert(!mutf7_decode(&d, "a&AAA-b", 7));	/* U+0000: would cut the name */
	test_assert(!mutf7_decode(&d, "B\xfc" "cher", 6));	/* 8-bit */
	test_assert(d.len == 0);
	sbuf_release(&d);
}

static void check_win(const char *in, size_t len, const char *want)
{
	struct sbuf out = SBUF_INIT;
	wintext_to_utf8(&out, in, len);
	test_assert_str(out.buf, want);
	sbuf_release(&out);
}

static void test_wintext(void)
{
	test_group("wintext");
	check_win("plain", 5, "plain");
	check_win("B\xfc" "cher", 6, "B\xc3\xbc" "cher");			/* cp1252 ü */
	check_win("\x80 sign", 6, "\xe2\x82\xac sign");			/* cp1252 € */
	check_win("\x81", 1, "\xc2\x81");					/* undefined: U+0081 */
	check_win("Kunden \xc3\x9c", 9, "Kunden \xc3\x9c");		/* valid UTF-8 kept */
	check_win("mix \xc3\xbc \xfc", 8, "mix \xc3\xbc \xc3\xbc");	/* both in one name */
	check_win("\xed\xa0\x80", 3, "\xc3\xad\xc2\xa0\xe2\x82\xac");	/* surrogate bytes: cp1252 */
	check_win("\xc3", 1, "\xc3\x83");					/* truncated sequence */
}

int main(void)
{
	test_fsname();
	test_mutf7();
	test_wintext();
	return test_done();
}
