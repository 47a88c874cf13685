/*
 * test-hdrtext: the header text rule (formats/core/hdrtext.h, README
 * "Header text and charsets"), a case for each of its parts.
 */
#include <gmime/gmime.h>
#include <string.h>

#include "core/hdrtext.h"
#include "core/sbuf.h"
#include "unit.h"

/* msg_of: a message parsed from text (caller unrefs) */
static GMimeMessage *msg_of(const char *text)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	return m;
}

/* subj: raw decoded with the candidates of a message whose only part declares `declared` */
static char *subj(const char *raw, const char *declared, const char *const *fallback)
{
	struct hdr_charsets cs;
	GMimeMessage *m = NULL;
	if (declared) {
		char *text = g_strdup_printf("Subject: x\nContent-Type: text/plain; charset=%s\n\nbody\n",
					     declared);
		m = msg_of(text);
		g_free(text);
	}
	hdr_charsets_from_message(&cs, m ? GMIME_OBJECT(m) : NULL, fallback);
	struct sbuf out = SBUF_INIT;
	hdrtext_decode(raw, strlen(raw), &cs, &out);
	hdr_charsets_release(&cs);
	if (m)
		g_object_unref(m);
	return sbuf_detach(&out);
}

#define CHECK_SUBJ(raw, declared, fallback, want) do { \
	char *got_ = subj((raw), (declared), (fallback)); \
	test_assert_str(got_, (want)); \
	free(got_); \
} while (0)

static void test_raw(void)
{
	test_group("raw 8-bit text in the declared charset");
	CHECK_SUBJ(" \xca\xd6\xbb\xfa\xb6\xcc\xd0\xc5\xcf\xa2\r\n", "gb2312", NULL, "手机短信息");
	CHECK_SUBJ("\xbe\xc8\xb3\xe7\xc7\xcf\xbc\xbc\xbf\xe4", "euc-kr", NULL, "안녕하세요");
	/* ks_c_5601-1987 is CP949: its extension beyond EUC-KR reads too */
	CHECK_SUBJ("\x8c\x63\xb9\xe6\xb0\xa2\xc7\xcf", "ks_c_5601-1987", NULL, "똠방각하");
	CHECK_SUBJ("\x8c\x63\xb9\xe6\xb0\xa2\xc7\xcf", "EUC-KR", NULL, "똠방각하");
	CHECK_SUBJ("G\xfcnayd\xfdn \xde\xfckr\xfc", "iso-8859-9", NULL, "Günaydın Şükrü");
	CHECK_SUBJ("G\xfcnayd\xfdn \xde\xfckr\xfc", "windows-1254", NULL, "Günaydın Şükrü");
	/* without the declaration: Windows-1252 */
	CHECK_SUBJ("G\xfcnayd\xfdn", NULL, NULL, "Günaydýn");

	test_group("valid UTF-8 wins over the declared charset");
	CHECK_SUBJ("\xe6\x97\xa5\xe6\x9c\xac", "gb2312", NULL, "日本");

	test_group("fallbacks in the order given");
	const char *const koi_first[] = { "koi8-r", "windows-1252", NULL };
	const char *const win_first[] = { "windows-1252", "koi8-r", NULL };
	CHECK_SUBJ("\xf0\xd2\xc9\xd7\xc5\xd4", NULL, koi_first, "Привет");
	CHECK_SUBJ("\xf0\xd2\xc9\xd7\xc5\xd4", NULL, win_first, "ðÒÉ×ÅÔ");
	/* a declared charset comes before every fallback */
	CHECK_SUBJ("\xf0\xd2\xc9\xd7\xc5\xd4", "windows-1251", koi_first, "рТЙЧЕФ");
	/* a fallback that cannot read it is passed over */
	const char *const ascii_first[] = { "us-ascii", "koi8-r", NULL };
	CHECK_SUBJ("\xf0\xd2\xc9\xd7\xc5\xd4", NULL, ascii_first, "Привет");

	test_group("a byte no candidate reads: \\xNN");
	CHECK_SUBJ("a\x81" "b", NULL, NULL, "a\\x81b");
	/* read in the first candidate after UTF-8: the declared one */
	CHECK_SUBJ("\xca\xd6\x81", "gb2312", NULL, "手\\x81");

	test_group("a subject cut mid-character");
	CHECK_SUBJ("\xe6\x97\xa5\xe6\x9c", NULL, NULL, "日\\xe6\\x9c");
	CHECK_SUBJ("\xca\xd6\xbb", "gb2312", NULL, "手\\xbb");

	test_group("folding, NUL, blanks");
	CHECK_SUBJ(" a\r\n\tb\n c \t", NULL, NULL, "a\tb c");
	char nul[] = "a\0b";
	struct hdr_charsets cs;
	hdr_charsets_fallback_only(&cs, NULL);
	struct sbuf out = SBUF_INIT;
	hdrtext_decode(nul, 3, &cs, &out);
	test_assert_str(out.buf, "ab");
	sbuf_release(&out);
	hdr_charsets_release(&cs);
}

static void test_words(void)
{
	test_group("encoded words");
	CHECK_SUBJ("=?utf-8?B?5pel5pys?=", NULL, NULL, "日本");
	CHECK_SUBJ("=?ISO-8859-1?Q?Caf=E9_au_lait=3f=zz?=", NULL, NULL, "Café au lait?=zz");
	CHECK_SUBJ("abc=?utf-8?Q?d?=e", NULL, NULL, "abcde");
	CHECK_SUBJ("=?utf-8?Q?a?= \t =?utf-8?Q?b?= c =?utf-8?Q?d?=", NULL, NULL, "ab c d");
	CHECK_SUBJ("=?utf-8?Q?a?= =?iso-8859-1?Q?=E9?=", NULL, NULL, "aé");
	CHECK_SUBJ("=?utf-8*en?Q?lang?=", NULL, NULL, "lang");
	CHECK_SUBJ("not =?utf-8?X?word?= =? x", NULL, NULL, "not =?utf-8?X?word?= =? x");

	test_group("broken base64");
	/* "5pel5g" + a lone "x": 日 and a 1-byte group, the lone char dropped */
	CHECK_SUBJ("=?utf-8?B?5p!el*5g?=", NULL, NULL, "日\\xe6");
	CHECK_SUBJ("=?utf-8?B?5pel=5pys?=", NULL, NULL, "日");
	CHECK_SUBJ("=?utf-8?B?5pelx?=", NULL, NULL, "日");

	test_group("unknown charset or invalid bytes: raw text");
	CHECK_SUBJ("=?x-unknown?Q?=CA=D6?=", "gb2312", NULL, "手");
	CHECK_SUBJ("=?utf-8?Q?=CA=D6?=", "gb2312", NULL, "手");
	CHECK_SUBJ("=?us-ascii?Q?caf=E9_noir?=", NULL, NULL, "café noir");
	/*
	 * a lone lead byte at the very end is a character cut short only when
	 * a whole character beyond ASCII comes before it: "Café" in Latin-1 is
	 * no UTF-8 cut short (the rule as first written read it "Caf\xe9")
	 */
	CHECK_SUBJ("=?us-ascii?Q?caf=E9?=", NULL, NULL, "café");
	CHECK_SUBJ("Caf\xe9", NULL, NULL, "Café");
	CHECK_SUBJ("R\xc3\xa9sum\xc3", NULL, NULL, "Résum\\xc3");	/* UTF-8 cut short */
	CHECK_SUBJ("\xca\xd6\xbb", "gb2312", NULL, "手\\xbb");		/* GBK cut short */
	/* a word's charset is kept when its bytes are not valid in it, nor UTF-8 or declared */
	CHECK_SUBJ("=?big5?Q?=A4=A4=FF=A4=E5?=", NULL, NULL, "中\\xff文");

	test_group("adjacent words of one charset are joined as bytes");
	/* 日本語: its bytes split in the middle of 本 */
	CHECK_SUBJ("=?UTF-8?B?5pel5g==?= =?utf-8?B?nKzoqp4=?=", NULL, NULL, "日本語");
	CHECK_SUBJ("=?gb2312?Q?=CA=D6=BB?= =?gb2312?Q?=FA?=", NULL, NULL, "手机");

	test_group("ISO-2022-JP (corpus hard-ham-1/00039, 00042)");
	const char *jp1 = "=?iso-2022-jp?B?GyRCRnxLXDhsJE43b0w+IUolNSVWJTglJyUvJUghSyEhJTkbKEI=?= "
			  "=?iso-2022-jp?B?GyRCJVElYCVhITwlayRHJE8kIiRqJF4kOyRzISobKEI=?=";
	const char *jp2 = "=?iso-2022-jp?B?UmU6IBskQjswSSkyPTNYJSglcyU4JUslIiVqJXMlME1NJVcbKEI=?= "
			  "=?iso-2022-jp?B?GyRCJW0lOyU5JUAlJiVzJEskRCQkJEYbKEIgIC0gdGlja2V0ICM1NTYw?= "
			  "=?iso-2022-jp?B?Nk9UQzEgLQ==?=";
	CHECK_SUBJ(jp1, NULL, NULL, "日本語の件名（サブジェクト）　スパムメールではありません！");
	CHECK_SUBJ(jp2, NULL, NULL,
		   "Re: 三菱化学エンジニアリング様プロセスダウンについて  - ticket #55606OTC1 -");
	/* why the rule decodes words itself: GMime 3.2.13 cuts both after the first word */
	char *gm = g_mime_utils_header_decode_text(NULL, jp1);
	test_assert(strcmp(gm, "日本語の件名（サブジェクト）　スパムメールではありません！") != 0);
	test_assert_str(gm, "日本語の件名（サブジェクト）　ス");
	g_free(gm);
	gm = g_mime_utils_header_decode_text(NULL, jp2);
	test_assert_str(gm, "Re: 三菱化学エンジニアリング様プ");
	g_free(gm);
}

static char *display(const char *raw, const char *declared)
{
	struct hdr_charsets cs;
	GMimeMessage *m = NULL;
	if (declared) {
		char *text = g_strdup_printf("Subject: x\nContent-Type: text/plain; charset=%s\n\nb\n",
					     declared);
		m = msg_of(text);
		g_free(text);
	}
	hdr_charsets_from_message(&cs, m ? GMIME_OBJECT(m) : NULL, NULL);
	struct sbuf out = SBUF_INIT;
	hdr_display_list(raw, strlen(raw), &cs, &out);
	hdr_charsets_release(&cs);
	if (m)
		g_object_unref(m);
	return sbuf_detach(&out);
}

#define CHECK_DISPLAY(raw, declared, want) do { \
	char *got_ = display((raw), (declared)); \
	test_assert_str(got_, (want)); \
	free(got_); \
} while (0)

static void test_addresses(void)
{
	test_group("address fields: names decoded by the rule");
	CHECK_DISPLAY("\"Doe, John\" <j@x.org>, Jane <jane@x.org>", NULL, "Doe, John; Jane");
	CHECK_DISPLAY("\"\xc4\xe3\xba\xc3, \\\"A\\\"\" <n@x.cn>, b@x.cn", "gb2312",
		      "你好, \"A\"; b@x.cn");
	CHECK_DISPLAY("\xc4\xe3\xba\xc3 <n@x.cn>", "gb2312", "你好");
	CHECK_DISPLAY("=?iso-2022-jp?B?GyRCRnxLXBsoQg==?= <j@x.jp>, c@d (Com ment)", NULL,
		      "日本; Com ment");
	CHECK_DISPLAY("team: a@x, \"B, b\" <b@x>;, z@x", NULL, "team; z@x");
	/* GMime's own guess is not used: Windows-1252 without a declaration */
	CHECK_DISPLAY("G\xfcnter <g@x.de>", NULL, "Günter");
	/* a '\\' of \xNN text is no quoting */
	CHECK_DISPLAY("\"a\x81\" <a@x>", NULL, "a\\x81");

	test_group("address fields: mailboxes, groups flattened");
	struct hdr_charsets cs;
	hdr_charsets_fallback_only(&cs, NULL);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct hdr_addr));
	const char *raw = "team: \"=?utf-8?Q?Ren=C3=A9e?=, X\" <r@x>, b@x;, \"q\" <q@x>";
	hdr_addresses(raw, strlen(raw), &cs, a);
	test_assert(a->len == 3);
	if (a->len == 3) {
		test_assert_str(g_array_index(a, struct hdr_addr, 0).name, "Renée, X");
		test_assert_str(g_array_index(a, struct hdr_addr, 0).addr, "r@x");
		test_assert_str(g_array_index(a, struct hdr_addr, 1).name, "b@x");
		test_assert_str(g_array_index(a, struct hdr_addr, 2).name, "q");
	}
	hdr_addr_array_free(a);
	hdr_charsets_release(&cs);
}

static char *filename_of(const char *headers)
{
	char *text = g_strdup_printf("Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n"
				     "--b\nContent-Type: text/plain; charset=gb2312\n\nhi\n"
				     "--b\n%s\n\ndata\n--b--\n", headers);
	GMimeMessage *m = msg_of(text);
	g_free(text);
	GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	struct hdr_charsets cs;
	hdr_charsets_from_message(&cs, GMIME_OBJECT(m), NULL);
	struct sbuf out = SBUF_INIT;
	if (!hdr_part_filename(g_mime_multipart_get_part(mp, 1), &cs, &out))
		sbuf_adds(&out, "(none)");
	hdr_charsets_release(&cs);
	g_object_unref(m);
	return sbuf_detach(&out);
}

#define CHECK_FILE(h, want) do { \
	char *got_ = filename_of(h); \
	test_assert_str(got_, (want)); \
	free(got_); \
} while (0)

static void test_filenames(void)
{
	test_group("file names");
	CHECK_FILE("Content-Type: application/octet-stream\n"
		   "Content-Disposition: attachment; filename*=gb2312''%C4%E3%BA%C3.txt", "你好.txt");
	CHECK_FILE("Content-Type: application/octet-stream\n"
		   "Content-Disposition: attachment;\n filename*0*=utf-8'en'%E6%97%A5;\n"
		   " filename*1*=%E6%9C%AC;\n filename*2=\".txt\"", "日本.txt");
	CHECK_FILE("Content-Type: application/octet-stream\n"
		   "Content-Disposition: attachment; filename=\"=?utf-8?B?5pel5pys?=.pdf\"", "日本.pdf");
	CHECK_FILE("Content-Type: application/octet-stream; name=\"\xc4\xe3\xba\xc3.doc\"",
		   "你好.doc");
	CHECK_FILE("Content-Type: application/octet-stream; name=\"a.bin\"\n"
		   "Content-Disposition: attachment; filename=b.bin", "b.bin");
	CHECK_FILE("Content-Type: application/octet-stream\n"
		   "Content-Disposition: attachment; filename*=x-nothing''%C4%E3", "你");
	CHECK_FILE("Content-Type: application/octet-stream", "(none)");
}

static void test_candidates(void)
{
	test_group("candidates: declared text parts in order, attached messages not");
	const char *text =
		"Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: multipart/alternative; boundary=c\n\n"
		"--c\nContent-Type: text/plain; charset=\"GB2312\"\n\na\n"
		"--c\nContent-Type: text/html; charset=us-ascii\n\nb\n--c--\n"
		"--b\nContent-Type: message/rfc822\n\n"
		"Subject: in\nContent-Type: text/plain; charset=koi8-r\n\nc\n"
		"--b\nContent-Type: text/plain; charset=gb2312\n\nd\n"
		"--b\nContent-Type: text/x-foo; charset=no-such-cs\n\nd\n"
		"--b\nContent-Type: text/plain; charset=euc-kr\n\ne\n--b--\n";
	GMimeMessage *m = msg_of(text);
	const char *const fb[] = { "koi8-u", "windows-1252", NULL };
	struct hdr_charsets cs;
	hdr_charsets_from_message(&cs, GMIME_OBJECT(m), fb);
	test_assert(cs.n == 4 && cs.declared == 2);
	if (cs.n == 4) {
		test_assert_str(cs.names[0], "GB2312");
		test_assert_str(cs.names[1], "euc-kr");
		test_assert_str(cs.names[2], "koi8-u");
		test_assert_str(cs.names[3], "windows-1252");
	}
	hdr_charsets_release(&cs);
	/* the attached message's subject with its own candidates */
	GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	GMimeMessage *inner =
		g_mime_message_part_get_message(GMIME_MESSAGE_PART(g_mime_multipart_get_part(mp, 1)));
	struct sbuf out = SBUF_INIT;
	test_assert(hdr_message_subject(inner, NULL, &out));
	test_assert_str(out.buf, "in");
	sbuf_release(&out);
	g_object_unref(m);

	test_group("charset names");
	test_assert_str(hdr_charset_map("GB2312"), "CP936");
	test_assert_str(hdr_charset_map("ks_c_5601-1987"), "CP949");
	test_assert_str(hdr_charset_map("Shift_JIS"), "CP932");
	test_assert_str(hdr_charset_map("latin1"), "WINDOWS-1252");
	test_assert_str(hdr_charset_map("koi8-r"), "koi8-r");
	test_assert(hdr_charset_known("koi8-r"));
	test_assert(!hdr_charset_known("no-such-charset"));
	const char *const bad[] = { "koi8-r", "bogus-cs", NULL };
	test_assert_str(hdrtext_fallback_check(bad), "bogus-cs");
	test_assert(hdrtext_fallback_check(NULL) == NULL);
}

static void test_folders(void)
{
	test_group("folder names");
	struct sbuf out = SBUF_INIT;
	hdrtext_folder_name("Post\xc3\xa9", 6, NULL, &out);
	test_assert_str(out.buf, "Posté");
	sbuf_reset(&out);
	hdrtext_folder_name("Post\xe9", 5, NULL, &out);
	test_assert_str(out.buf, "Posté");
	sbuf_reset(&out);
	const char *const koi[] = { "koi8-r", NULL };
	hdrtext_folder_name("\xf0\xd2\xc9\xd7\xc5\xd4", 6, koi, &out);
	test_assert_str(out.buf, "Привет");
	sbuf_reset(&out);
	hdrtext_folder_name("a\x81", 2, NULL, &out);
	test_assert_str(out.buf, "a\\x81");
	sbuf_release(&out);
}

int main(void)
{
	g_mime_init();
	test_raw();
	test_words();
	test_addresses();
	test_filenames();
	test_candidates();
	test_folders();
	g_mime_shutdown();
	return test_done();
}
