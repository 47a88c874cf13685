/*
 * converter/filter.c: parse_size, filter_parse_date, the folder globs,
 * the message bounds and the report's "filters" object.
 */
#include <stdint.h>

#include "converter/filter.h"
#include "unit.h"

static int64_t date(const char *text, bool end)
{
	int64_t t = -1;
	return filter_parse_date(text, end, &t) == 0 ? t : INT64_MIN;
}

static void test_sizes(void)
{
	test_group("parse_size");
	uint64_t n = 7;
	test_assert(parse_size("0", &n) == 0 && n == 0);
	test_assert(parse_size("1048576", &n) == 0 && n == 1048576);
	test_assert(parse_size("10K", &n) == 0 && n == 10240);
	test_assert(parse_size("10k", &n) == 0 && n == 10240);
	test_assert(parse_size("10kb", &n) == 0 && n == 10240);
	test_assert(parse_size("5M", &n) == 0 && n == 5u << 20);
	test_assert(parse_size("20G", &n) == 0 && n == 20ull << 30);
	test_assert(parse_size("20gB", &n) == 0 && n == 20ull << 30);
	test_assert(parse_size("1T", &n) == 0 && n == 1ull << 40);
	test_assert(parse_size("100B", &n) == 0 && n == 100);
	test_assert(parse_size("18446744073709551615", &n) == 0 && n == UINT64_MAX);
	n = 7;
	test_assert(parse_size("18446744073709551616", &n) == -1 && n == 7);
	test_assert(parse_size("16777216T", &n) == -1);	/* 2^64 bytes */
	test_assert(parse_size("16777215T", &n) == 0 && n == 16777215ull << 40);
	test_assert(parse_size("", &n) == -1);
	test_assert(parse_size("-1", &n) == -1);
	test_assert(parse_size("+1", &n) == -1);
	test_assert(parse_size(" 1", &n) == -1);
	test_assert(parse_size("1 K", &n) == -1);
	test_assert(parse_size("10X", &n) == -1);
	test_assert(parse_size("1.5G", &n) == -1);
	test_assert(parse_size("K", &n) == -1);
	test_assert(parse_size("1KK", &n) == -1);
	test_assert(parse_size("1BB", &n) == -1);
	test_assert(parse_size("1KiB", &n) == -1);
}

static void test_dates(void)
{
	test_group("filter_parse_date");
	test_assert(date("2024-03-31", false) == 1711843200);
	test_assert(date("2024-03-31", true) == 1711843200 + 86399);	/* the whole day */
	test_assert(date("1970-01-01", false) == 0);
	test_assert(date("2024-02-29", false) == 1709164800);	/* leap year */
	test_assert(date("2000-02-29", false) == 951782400);
	test_assert(date("2024-03-31T12:30", false) == 1711843200 + 45000);
	test_assert(date("2024-03-31T12:30", true) == 1711843200 + 45000);	/* not a bare date */
	test_assert(date("2024-03-31T12:30:15", false) == 1711843200 + 45015);
	test_assert(date("2024-03-31T12:30:15Z", false) == 1711843200 + 45015);
	test_assert(date("2024-03-31t12:30:15z", false) == 1711843200 + 45015);
	test_assert(date("2024-03-31T12:30+02:00", false) == 1711843200 + 45000 - 7200);
	test_assert(date("2024-03-31T12:30:00-0530", false) == 1711843200 + 45000 + 19800);
	test_assert(date("2024-13-01", false) == INT64_MIN);
	test_assert(date("2024-00-10", false) == INT64_MIN);
	test_assert(date("2024-02-30", false) == INT64_MIN);
	test_assert(date("2023-02-29", false) == INT64_MIN);
	test_assert(date("1900-02-29", false) == INT64_MIN);
	test_assert(date("2024-04-31", false) == INT64_MIN);
	test_assert(date("2024-04-00", false) == INT64_MIN);
	test_assert(date("2024-3-31", false) == INT64_MIN);
	test_assert(date("2024-03-31T", false) == INT64_MIN);
	test_assert(date("2024-03-31T24:00", false) == INT64_MIN);
	test_assert(date("2024-03-31T12:60", false) == INT64_MIN);
	test_assert(date("2024-03-31T12:00:60", false) == INT64_MIN);
	test_assert(date("2024-03-31T12", false) == INT64_MIN);
	test_assert(date("2024-03-31 12:00", false) == INT64_MIN);
	test_assert(date("2024-03-31T12:00+2", false) == INT64_MIN);
	test_assert(date("2024-03-31T12:00+24:00", false) == INT64_MIN);
	test_assert(date("2024-03-31T12:00Zx", false) == INT64_MIN);
	test_assert(date("2024-03-31x", false) == INT64_MIN);
	test_assert(date("yesterday", false) == INT64_MIN);
	test_assert(date("", false) == INT64_MIN);
}

static void test_folders(void)
{
	test_group("filter_folder");
	struct filter f = { 0 };
	test_assert(filter_folder(&f, "Inbox") && filter_folder(&f, "Inbox/Projects"));
	filter_add_folder(&f, "Inbox");
	test_assert(filter_folder(&f, "Inbox"));
	test_assert(filter_folder(&f, "INBOX"));		/* case-insensitive */
	test_assert(!filter_folder(&f, "Inbox/Projects"));	/* a glob, not a prefix */
	test_assert(!filter_folder(&f, "Sent"));
	filter_add_folder(&f, "inbox/*");			/* OR-ed */
	test_assert(filter_folder(&f, "Inbox/Projects"));
	test_assert(!filter_folder(&f, "Inbox/Projects/2024"));	/* '*' stays in a level */
	test_assert(!filter_folder(&f, "Archive/Inbox"));
	filter_add_exclude(&f, "*/PROJ*");			/* --exclude-folder wins */
	test_assert(!filter_folder(&f, "Inbox/Projects"));
	test_assert(filter_folder(&f, "Inbox/Other"));
	test_assert(filter_folder(&f, "Inbox"));
	filter_release(&f);
	filter_add_exclude(&f, "Junk");
	test_assert(!filter_folder(&f, "junk") && filter_folder(&f, "Junk/Keep"));
	test_assert(filter_folder(&f, "Inbox") && filter_any(&f) && !filter_by_msg(&f));
	filter_add_exclude(&f, "[Ss]pam");
	test_assert(!filter_folder(&f, "Spam") && filter_folder(&f, "Spamx"));
	filter_release(&f);
	test_assert(!filter_any(&f));
}

static void test_msgs(void)
{
	test_group("filter_msg");
	struct filter f = { 0 };
	struct mail_msg m = { .received = 1711843200, .size = 1000 };
	test_assert(filter_msg(&f, &m));
	f.has_since = true;
	f.since = 1711843200;			/* inclusive */
	test_assert(filter_msg(&f, &m));
	m.received--;
	test_assert(!filter_msg(&f, &m));
	f.has_since = false;
	f.has_until = true;
	f.until = m.received;			/* inclusive */
	test_assert(filter_msg(&f, &m));
	m.received++;
	test_assert(!filter_msg(&f, &m));
	f.has_until = false;
	f.has_min = true;
	f.min_size = 1000;
	test_assert(filter_msg(&f, &m));
	f.min_size = 1001;
	test_assert(!filter_msg(&f, &m));
	f.has_min = false;
	f.has_max = true;
	f.max_size = 1000;
	test_assert(filter_msg(&f, &m));
	f.max_size = 999;
	test_assert(!filter_msg(&f, &m));
	f.max_size = 0;
	m.size = 0;
	test_assert(filter_msg(&f, &m) && filter_by_msg(&f));
}

static void test_json(void)
{
	test_group("filter_json");
	struct filter f = { 0 };
	struct sbuf j = SBUF_INIT;
	filter_json(&f, &j);
	test_assert_str(j.buf, "{\"since\":null,\"until\":null,\"folder\":[],\"exclude_folder\":[],"
			"\"min_size\":null,\"max_size\":null}");
	sbuf_reset(&j);
	filter_parse_date("2024-01-01", false, &f.since);
	filter_parse_date("2024-12-31", true, &f.until);
	f.has_since = f.has_until = f.has_max = true;
	f.max_size = 10240;
	filter_add_folder(&f, "Inbox");
	filter_add_folder(&f, "Inbox/*");
	filter_add_exclude(&f, "Ju\"nk");
	filter_json(&f, &j);
	test_assert_str(j.buf, "{\"since\":\"2024-01-01T00:00:00Z\",\"until\":"
			"\"2024-12-31T23:59:59Z\",\"folder\":[\"Inbox\",\"Inbox/*\"],"
			"\"exclude_folder\":[\"Ju\\\"nk\"],\"min_size\":null,\"max_size\":10240}");
	filter_release(&f);
	sbuf_release(&j);
}

int main(void)
{
	test_sizes();
	test_dates();
	test_folders();
	test_msgs();
	test_json();
	return test_done();
}
