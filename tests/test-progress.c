/* Unit tests for the progress display's pure parts: counts, ETA, rate, the line, the JSON. */
#include <stdlib.h>

#include "converter/progress.h"
#include "unit.h"

static struct progress_snap snap_of(double elapsed, uint64_t msgs, uint64_t msgs_total,
				    uint64_t bytes, uint64_t bytes_total)
{
	struct progress_snap s = {
		.elapsed = elapsed, .mailboxes_done = 3, .messages_done = msgs, .bytes_done = bytes,
		.total = { .known = true, .mailboxes = 8, .messages = msgs_total, .bytes = bytes_total,
			   .messages_known = true, .bytes_known = true },
	};
	return s;
}

static void test_counts(void)
{
	test_group("count");
	char b[32];
	progress_fmt_count(b, sizeof(b), 0);
	test_assert_str(b, "0");
	progress_fmt_count(b, sizeof(b), 999);
	test_assert_str(b, "999");
	progress_fmt_count(b, sizeof(b), 1000);
	test_assert_str(b, "1,000");
	progress_fmt_count(b, sizeof(b), 12345);
	test_assert_str(b, "12,345");
	progress_fmt_count(b, sizeof(b), 1234567890123ull);
	test_assert_str(b, "1,234,567,890,123");
	progress_fmt_count(b, 4, 12345);	/* cut, still terminated */
	test_assert_str(b, "12,");
}

static void test_eta_text(void)
{
	test_group("eta text");
	char b[16];
	progress_fmt_eta(b, sizeof(b), -1);
	test_assert_str(b, "--");
	progress_fmt_eta(b, sizeof(b), 0);
	test_assert_str(b, "0s");
	progress_fmt_eta(b, sizeof(b), 59.4);
	test_assert_str(b, "59s");
	progress_fmt_eta(b, sizeof(b), 312);
	test_assert_str(b, "5m12s");
	progress_fmt_eta(b, sizeof(b), 3600 * 2 + 5 * 60 + 7);
	test_assert_str(b, "2h05m");
	progress_fmt_eta(b, sizeof(b), 86400 * 3 + 3600 * 4 + 1);
	test_assert_str(b, "3d04h");
}

static void test_eta(void)
{
	test_group("eta");
	/* 12,345 of 40,000 messages in 60 s: 27,655 left at 205.75/s = 134.4 s */
	struct progress_snap s = snap_of(60, 12345, 40000, 1 << 20, 100u << 20);
	double eta = progress_eta(&s);
	test_assert(eta > 134.3 && eta < 134.5);
	test_assert(progress_rate(&s) > 205.7 && progress_rate(&s) < 205.8);
	/* messages unknown: from the bytes, 1 of 100 MB in 60 s: 5,940 s */
	s.total.messages_known = false;
	eta = progress_eta(&s);
	test_assert(eta > 5939.9 && eta < 5940.1);
	/* neither known, or nothing done yet: unknown */
	s.total.bytes_known = false;
	test_assert(progress_eta(&s) < 0);
	s = snap_of(5, 0, 40000, 0, 100);
	test_assert(progress_eta(&s) < 0);
	test_assert(progress_rate(&s) == 0);
	/* more done than the pre-scan saw (mail arrived): 0, never negative */
	s = snap_of(5, 50, 40, 0, 0);
	test_assert(progress_eta(&s) == 0);
	s.elapsed = 0;
	test_assert(progress_rate(&s) == 0);
}

static void test_line(void)
{
	test_group("line");
	char b[256];
	struct progress_snap s = snap_of(60, 12345, 40000, 312u << 20, 1024u << 20);
	size_t n = progress_format_line(b, sizeof(b), &s, 80);
	test_assert_str(b, "mailboxes 3/8  messages 12,345/40,000  312/1,024 MiB  206 msg/s  ETA 2m14s");
	test_assert(n == strlen(b) && n <= 79);
	/* narrower: the rate goes first, then the MB, then the mailboxes, then the ETA */
	n = progress_format_line(b, sizeof(b), &s, 70);
	test_assert_str(b, "mailboxes 3/8  messages 12,345/40,000  312/1,024 MiB  ETA 2m14s");
	n = progress_format_line(b, sizeof(b), &s, 60);
	test_assert_str(b, "mailboxes 3/8  messages 12,345/40,000  ETA 2m14s");
	n = progress_format_line(b, sizeof(b), &s, 40);
	test_assert_str(b, "messages 12,345/40,000  ETA 2m14s");
	n = progress_format_line(b, sizeof(b), &s, 30);
	test_assert_str(b, "messages 12,345/40,000");
	n = progress_format_line(b, sizeof(b), &s, 12);	/* never wraps: cut */
	test_assert_str(b, "messages 12");
	test_assert(n == 11);
	n = progress_format_line(b, sizeof(b), &s, 0);
	test_assert(n == 0 && b[0] == '\0');
	/* a small run: MB with a decimal; unknown totals are left out, not made up */
	s = snap_of(2, 10, 0, 300 * 1024, 0);
	s.total.messages_known = false;
	s.total.bytes = 3u << 20;
	progress_format_line(b, sizeof(b), &s, 200);
	test_assert_str(b, "mailboxes 3/8  messages 10  0.3/3.0 MiB  5 msg/s  ETA 18s");
	s.total.bytes_known = false;
	progress_format_line(b, sizeof(b), &s, 200);
	test_assert_str(b, "mailboxes 3/8  messages 10  0.3 MiB  5 msg/s  ETA --");
	/* before the pre-scan has finished: no totals at all, no ETA */
	s = snap_of(60, 12345, 40000, 312u << 20, 1024u << 20);
	s.total.known = false;
	progress_format_line(b, sizeof(b), &s, 200);
	test_assert_str(b, "mailboxes 3  messages 12,345  312 MiB  206 msg/s  ETA --");
	test_assert(progress_eta(&s) < 0);
}

static void test_json(void)
{
	test_group("json");
	struct sbuf j = SBUF_INIT;
	struct progress_snap s = snap_of(2, 10, 20, 100, 400);
	s.total.scan_seconds = 0.25;
	progress_format_json(&j, "progress", &s, 1700000000.5);
	test_assert_str(j.buf, "{\"type\":\"progress\",\"time\":1700000000.500,\"elapsed\":2.000,"
			"\"mailboxes_done\":3,\"mailboxes_total\":8,\"messages_done\":10,"
			"\"messages_total\":20,\"bytes_done\":100,\"bytes_total\":400,"
			"\"rate_msgs\":5.0,\"rate_bytes\":50,\"eta_seconds\":2,"
			"\"prescan_seconds\":0.250}");
	sbuf_reset(&j);
	s = snap_of(0, 0, 0, 0, 0);
	s.total.messages_known = s.total.bytes_known = false;
	progress_format_json(&j, "start", &s, 1);
	test_assert(strstr(j.buf, "\"messages_total\":null,") != NULL);
	test_assert(strstr(j.buf, "\"bytes_total\":null,") != NULL);
	test_assert(strstr(j.buf, "\"eta_seconds\":null,") != NULL);
	sbuf_reset(&j);
	s.total.known = false;
	progress_format_json(&j, "start", &s, 1);
	test_assert(strstr(j.buf, "\"mailboxes_total\":null,") != NULL);
	test_assert(strstr(j.buf, "\"prescan_seconds\":null}") != NULL);
	sbuf_release(&j);
}

static void test_modes(void)
{
	test_group("modes");
	enum progress_mode m = PROGRESS_NEVER;
	test_assert(progress_mode_parse("auto", &m) == 0 && m == PROGRESS_AUTO);
	test_assert(progress_mode_parse("always", &m) == 0 && m == PROGRESS_ALWAYS);
	test_assert(progress_mode_parse("json", &m) == 0 && m == PROGRESS_JSON);
	test_assert(progress_mode_parse("never", &m) == 0 && m == PROGRESS_NEVER);
	test_assert(progress_mode_parse("yes", &m) < 0 && m == PROGRESS_NEVER);
	test_assert(progress_mode_parse("", &m) < 0);
}

int main(void)
{
	test_counts();
	test_eta_text();
	test_eta();
	test_line();
	test_json();
	test_modes();
	return test_done();
}
