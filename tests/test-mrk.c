/* Unit tests for the IMAP.MRK decoder (formats/mdaemon/mrk.c). */
#include <stdint.h>
#include <stdlib.h>

#include "mdaemon/mrk.h"
#include "unit.h"

static void put32(struct sbuf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		sbuf_addch(b, (int)((v >> (8 * i)) & 0xff));
}

static void header(struct sbuf *b, uint32_t version, uint32_t uidvalidity, uint32_t uidnext)
{
	put32(b, version);
	put32(b, uidvalidity);
	put32(b, uidnext);
	put32(b, 5);
	for (int i = 0; i < 4; i++)
		put32(b, 0);
	sbuf_add(b, "\r\n\0\0", 4);
}

static void record(struct sbuf *b, const char *name, uint8_t flags, uint32_t uid,
		   uint32_t size, uint32_t date, int wide)
{
	char nm[23] = { 0 };
	memcpy(nm, name, strlen(name) < 23 ? strlen(name) : 23);
	sbuf_add(b, nm, 23);
	sbuf_addch(b, flags);
	put32(b, uid);
	put32(b, size);
	put32(b, date);
	if (wide)
		put32(b, 0);
}

static void test_documented_example(void)
{
	/* the synthetic example of the store notes, section 5.3, byte for byte */
	static const uint8_t img[] = {
		0x01,0x00,0x00,0x00,0x00,0xf1,0x53,0x65,0x03,0x00,0x00,0x00,0x05,0x00,0x00,0x00,
		0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
		0x0d,0x0a,0x00,0x00,0x6d,0x64,0x35,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x31,0x30,
		0x31,0x2e,0x6d,0x73,0x67,0x00,0x00,0x00,0x00,0x00,0x00,0x30,0x01,0x00,0x00,0x00,
		0x00,0x08,0x00,0x00,0x64,0xf1,0x53,0x65,0x6d,0x64,0x35,0x30,0x30,0x31,0x30,0x30,
		0x30,0x30,0x30,0x30,0x31,0x30,0x32,0x2e,0x6d,0x73,0x67,0x00,0x00,0x00,0x00,0x01,
		0x02,0x00,0x00,0x00,0x00,0x06,0x00,0x00,0xc8,0xf1,0x53,0x65,
	};
	struct mrk m;
	struct sbuf w = SBUF_INIT;
	test_group("example");
	test_assert(mrk_parse(img, sizeof(img), &m, &w) == 1);
	test_assert(w.len == 0);
	test_assert(m.version == 1 && m.uidvalidity == 1700000000 && m.uidnext == 3);
	test_assert(m.count == 2);
	test_assert_str(m.records[0].name, "md50000000101.msg");
	test_assert(m.records[0].flags == (MRK_SEEN | MRK_ANSWERED));
	test_assert(m.records[0].uid == 1 && m.records[0].size == 2048);
	test_assert(m.records[0].date == 1700000100);
	test_assert_str(m.records[1].name, "md5001000000102.msg");
	test_assert(m.records[1].flags == MRK_RECENT && m.records[1].uid == 2);
	test_assert(m.records[1].size == 1536 && m.records[1].date == 1700000200);
	mrk_release(&m);
	sbuf_release(&w);
}

static void test_torn_and_bad_names(void)
{
	struct sbuf b = SBUF_INIT, w = SBUF_INIT;
	struct mrk m;
	header(&b, 1, 7, 9);
	record(&b, "md50000000001.msg", MRK_SEEN, 1, 10, 100, 0);
	record(&b, "", MRK_SEEN, 2, 10, 100, 0);			/* no name */
	record(&b, "../../etc/passwd", 0, 3, 10, 100, 0);	/* path */
	record(&b, "12345678901234567890123", MRK_DRAFT, 4, 10, 100, 0); /* 23 chars, no NUL */
	sbuf_add(&b, "md5000000", 9);				/* torn */
	test_group("torn");
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.count == 2);
	test_assert_str(m.records[0].name, "md50000000001.msg");
	test_assert_str(m.records[1].name, "12345678901234567890123");
	test_assert(m.records[1].flags == MRK_DRAFT && m.records[1].uid == 4);
	test_assert(strstr(w.buf, "torn record (9 of 36 bytes)") != NULL);
	test_assert(strstr(w.buf, "record 2 has no usable file name") != NULL);
	test_assert(strstr(w.buf, "record 3 has no usable file name") != NULL);
	mrk_release(&m);
	sbuf_release(&b);
	sbuf_release(&w);
}

static void test_versions_and_sizes(void)
{
	struct sbuf b = SBUF_INIT, w = SBUF_INIT;
	struct mrk m;
	test_group("short");
	test_assert(mrk_parse((const uint8_t *)"\1\0\0\0", 4, &m, &w) == 0);
	test_assert(m.count == 0 && strstr(w.buf, "too short") != NULL);
	sbuf_reset(&w);

	test_group("version");
	header(&b, 7, 1, 2);
	record(&b, "md1.msg", MRK_SEEN, 1, 1, 1, 0);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.count == 1 && m.records[0].flags == MRK_SEEN);
	test_assert(strstr(w.buf, "unknown header version 7 (expected 1); its records") != NULL);
	mrk_release(&m);
	sbuf_reset(&w);
	sbuf_add(&b, "garbage garbage garbage garbage 1234", 36);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 0);
	test_assert(m.count == 0 && strstr(w.buf, "index ignored") != NULL);
	mrk_release(&m);
	sbuf_reset(&w);
	sbuf_reset(&b);

	test_group("header only");
	header(&b, 1, 1, 1);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.count == 0 && w.len == 0);
	mrk_release(&m);

	test_group("wide");
	sbuf_reset(&b);
	header(&b, 1, 1, 3);
	record(&b, "md50000001301.msg", MRK_SEEN | MRK_ANSWERED, 1, 700, 1690977600, 1);
	record(&b, "md50000001302.msg", MRK_FLAGGED, 2, 701, 1691064000, 1);
	record(&b, "md50000001303.msg", MRK_FLAGGED, 3, 701, 1691064001, 1);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.count == 3 && strstr(w.buf, "40-byte records") != NULL);
	test_assert(m.records[1].date == 1691064000 && m.records[1].size == 701);
	test_assert(m.records[2].uid == 3 && m.records[2].flags == MRK_FLAGGED);
	mrk_release(&m);

	/* ten 36-byte records (360 bytes) would also fit nine 40-byte ones: 36 wins */
	test_group("not wide");
	sbuf_reset(&b);
	sbuf_reset(&w);
	header(&b, 1, 1, 3);
	for (int i = 0; i < 10; i++)
		record(&b, "md50000000001.msg", 0, (uint32_t)i + 1, 1, 1, 0);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.count == 10 && w.len == 0);
	mrk_release(&m);
	sbuf_release(&b);
	sbuf_release(&w);
}

/* mrk_parse_prefix: a prefix of a longer file; warnings bounded */
static void test_prefix_and_bounds(void)
{
	struct sbuf b = SBUF_INIT, w = SBUF_INIT;
	struct mrk m;
	static const char zeros[MRK_RECORD_SIZE];
	test_group("prefix");
	header(&b, 1, 9, 3);
	record(&b, "md1.msg", MRK_SEEN, 1, 10, 100, 0);
	record(&b, "md2.msg", MRK_FLAGGED, 2, 20, 200, 0);
	for (int i = 0; i < 50; i++)	/* zero-filled records */
		sbuf_add(&b, zeros, sizeof(zeros));
	/* the file is 1 GiB + 7 (a hole); we hold 52 records and read 30 */
	uint64_t size = (1ull << 30) + 7;
	test_assert(mrk_parse_prefix((uint8_t *)b.buf, b.len, size, 30, &m, &w) == 1);
	test_assert(m.uidvalidity == 9 && m.count == 2);
	test_assert(m.read_records == 30);
	test_assert(m.file_records == (size_t)((size - MRK_HEADER_SIZE) / MRK_RECORD_SIZE));
	test_assert(m.records[1].uid == 2 && m.records[1].flags == MRK_FLAGGED);
	test_assert(strstr(w.buf, "record 12 has no usable file name") != NULL);
	test_assert(strstr(w.buf, "record 13 has") == NULL);
	test_assert(strstr(w.buf, "18 more records have no usable file name") != NULL);
	test_assert(strstr(w.buf, "torn record") != NULL);
	size_t lines = 1;
	for (size_t i = 0; i < w.len; i++)
		lines += w.buf[i] == '\n';
	test_assert(lines == MRK_WARN_EACH + 2);	/* torn, 10 records, the count */
	mrk_release(&m);

	test_group("prefix shorter than the header");
	sbuf_reset(&w);
	test_assert(mrk_parse_prefix((uint8_t *)b.buf, 20, size, 30, &m, &w) == 0);
	test_assert(m.count == 0 && strstr(w.buf, "too short") != NULL);
	mrk_release(&m);

	test_group("whole file: all records read");
	sbuf_reset(&w);
	test_assert(mrk_parse((uint8_t *)b.buf, b.len, &m, &w) == 1);
	test_assert(m.read_records == 52 && m.file_records == 52 && m.count == 2);
	test_assert(strstr(w.buf, "40 more records have no usable file name") != NULL);
	mrk_release(&m);
	sbuf_release(&b);
	sbuf_release(&w);
}

int main(void)
{
	test_documented_example();
	test_torn_and_bad_names();
	test_versions_and_sizes();
	test_prefix_and_bounds();
	return test_done();
}
