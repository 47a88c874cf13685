/*
 * Unit tests for core/tzone.c: local wall-clock times to UTC around DST
 * gaps and overlaps, and the zone as the outputs write it: the iCalendar
 * VTIMEZONE and [MS-OXOCAL]'s TZREG and TZDEFINITION, byte for byte.  The
 * expected Windows structures are those of the matching Windows zones
 * (Romance, Eastern, AUS Eastern, India Standard Time), laid out as the
 * Outlook-written appointments in pst-extractor's test OST lay them out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tzone.h"
#include "unit.h"

static struct tzone *zone(const char *name)
{
	struct sbuf err = SBUF_INIT;
	struct tzone *z = tzone_new_iana(name, &err);
	if (!z)
		printf("# %s\n", err.buf);
	sbuf_release(&err);
	return z;
}

static struct gw_time at(int y, int mo, int d, int h, int mi)
{
	return (struct gw_time){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi,
				 .set = true };
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct gw_time t = at(y, mo, d, h, mi);
	return gw_time_as_unix(&t);
}

/* hex of a blob, for comparing with the expected bytes written as text */
static char *hex(const struct sbuf *b)
{
	char *s = malloc(b->len * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < b->len; i++)
		k += (size_t)sprintf(s + k, "%s%02x", i ? " " : "", (unsigned char)b->buf[i]);
	s[k] = '\0';
	return s;
}

static void check_hex(const struct sbuf *b, const char *want)
{
	char *h = hex(b);
	test_assert_str(h, want);
	free(h);
}

static void test_to_utc(void)
{
	test_group("local to UTC");
	struct tzone *paris = zone("Europe/Paris"), *ny = zone("America/New_York");
	struct tzone *syd = zone("Australia/Sydney"), *kol = zone("Asia/Kolkata");
	struct tzone *fixed = tzone_new_fixed(7 * 60);
	struct gw_time t;

	t = at(2025, 1, 15, 10, 0);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 1, 15, 9, 0));
	t = at(2025, 7, 15, 10, 0);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 7, 15, 8, 0));
	/* the gap: 02:30 on 30 March 2025 does not exist; read with the offset before it */
	t = at(2025, 3, 30, 2, 30);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 3, 30, 1, 30));
	test_assert(tzone_offset(paris, &t) == 60);
	t = at(2025, 3, 30, 3, 0);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 3, 30, 1, 0));
	/*
	 * the overlap: 02:30 on 26 October 2025 happens twice; the first
	 * (summer time) is meant, as RFC 5545 3.3.5 says
	 */
	t = at(2025, 10, 26, 2, 30);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 10, 26, 0, 30));
	t = at(2025, 10, 26, 3, 0);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 10, 26, 2, 0));
	t = at(2025, 10, 26, 1, 59);
	test_assert(tzone_to_utc(paris, &t) == utc(2025, 10, 25, 23, 59));

	t = at(2025, 3, 9, 2, 30);
	test_assert(tzone_to_utc(ny, &t) == utc(2025, 3, 9, 7, 30));
	t = at(2025, 3, 9, 3, 0);
	test_assert(tzone_to_utc(ny, &t) == utc(2025, 3, 9, 7, 0));
	t = at(2025, 11, 2, 1, 30);
	test_assert(tzone_to_utc(ny, &t) == utc(2025, 11, 2, 5, 30));
	t = at(2025, 11, 2, 2, 0);
	test_assert(tzone_to_utc(ny, &t) == utc(2025, 11, 2, 7, 0));
	t = at(2006, 4, 2, 12, 0);	/* the rule before 2007: first Sunday of April */
	test_assert(tzone_offset(ny, &t) == -240);
	t = at(2006, 3, 20, 12, 0);
	test_assert(tzone_offset(ny, &t) == -300);

	/* southern hemisphere: summer time in January */
	t = at(2025, 1, 10, 9, 0);
	test_assert(tzone_to_utc(syd, &t) == utc(2025, 1, 9, 22, 0));
	t = at(2025, 7, 10, 9, 0);
	test_assert(tzone_to_utc(syd, &t) == utc(2025, 7, 9, 23, 0));

	t = at(2025, 7, 10, 9, 0);
	test_assert(tzone_to_utc(kol, &t) == utc(2025, 7, 10, 3, 30));
	test_assert(tzone_offset(kol, &t) == 330);
	test_assert(tzone_to_utc(fixed, &t) == utc(2025, 7, 10, 2, 0));
	struct gw_time back = tzone_from_utc(paris, utc(2025, 7, 15, 8, 0));
	test_assert(back.hour == 10 && back.day == 15 && back.month == 7);

	tzone_free(paris);
	tzone_free(ny);
	tzone_free(syd);
	tzone_free(kol);
	tzone_free(fixed);
}

static void test_names(void)
{
	test_group("names");
	struct sbuf err = SBUF_INIT, d = SBUF_INIT;
	test_assert(tzone_new_iana("Mars/Olympus", &err) == NULL);
	test_assert(strstr(err.buf, "Mars/Olympus") != NULL);
	struct tzone *f = tzone_new_fixed(-(3 * 60 + 30));
	test_assert_str(tzone_name(f), "UTC-03:30");
	test_assert(tzone_is_fixed(f));
	tzone_description(f, &d);
	test_assert_str(d.buf, "(UTC-03:30) UTC-03:30");
	tzone_free(f);
	/* the standard offset, not the one of the day it is written */
	struct tzone *syd = zone("Australia/Sydney");
	sbuf_reset(&d);
	tzone_description(syd, &d);
	test_assert_str(d.buf, "(UTC+10:00) Australia/Sydney");
	tzone_free(syd);
	sbuf_release(&d);
	sbuf_release(&err);
}

static void test_vtimezone(void)
{
	test_group("VTIMEZONE");
	struct sbuf out = SBUF_INIT;
	struct tzone *paris = zone("Europe/Paris");
	tzone_vtimezone(paris, 2025, 2026, &out);
	test_assert_str(out.buf,
			"BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"
			"BEGIN:DAYLIGHT\r\nDTSTART:20240331T020000\r\n"
			"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
			"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n"
			"BEGIN:STANDARD\r\nDTSTART:20241027T030000\r\n"
			"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
			"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZNAME:CET\r\nEND:STANDARD\r\n"
			"END:VTIMEZONE\r\n");
	tzone_free(paris);

	/* the 2007 US rule change: one pair of observances per rule, the first ending */
	struct tzone *ny = zone("America/New_York");
	sbuf_reset(&out);
	tzone_vtimezone(ny, 2005, 2008, &out);
	test_assert(strstr(out.buf, "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060403T070000Z\r\n"));
	test_assert(strstr(out.buf, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061030T060000Z\r\n"));
	test_assert(strstr(out.buf, "DTSTART:20070311T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
			    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"));
	test_assert(strstr(out.buf, "DTSTART:20071104T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
			    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"));
	tzone_free(ny);

	struct tzone *syd = zone("Australia/Sydney");
	sbuf_reset(&out);
	tzone_vtimezone(syd, 2020, 2025, &out);
	test_assert(strstr(out.buf, "BEGIN:DAYLIGHT\r\nDTSTART:20191006T020000\r\nTZOFFSETFROM:+1000\r\n"
			    "TZOFFSETTO:+1100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\n"));
	test_assert(strstr(out.buf, "BEGIN:STANDARD\r\nDTSTART:20190407T030000\r\nTZOFFSETFROM:+1100\r\n"
			    "TZOFFSETTO:+1000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\n"));
	tzone_free(syd);

	struct tzone *kol = zone("Asia/Kolkata");
	sbuf_reset(&out);
	tzone_vtimezone(kol, 2025, 2025, &out);
	test_assert_str(out.buf, "BEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\nBEGIN:STANDARD\r\n"
			"DTSTART:19700101T000000\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\n"
			"TZNAME:IST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n");
	tzone_free(kol);

	struct tzone *fixed = tzone_new_fixed(7 * 60);
	sbuf_reset(&out);
	tzone_vtimezone(fixed, 2025, 2025, &out);
	test_assert_str(out.buf, "BEGIN:VTIMEZONE\r\nTZID:UTC+07:00\r\nBEGIN:STANDARD\r\n"
			"DTSTART:19700101T000000\r\nTZOFFSETFROM:+0700\r\nTZOFFSETTO:+0700\r\n"
			"TZNAME:UTC+07:00\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n");
	tzone_free(fixed);
	sbuf_release(&out);
}

static void test_tzreg(void)
{
	test_group("TZREG");
	struct sbuf out = SBUF_INIT;
	struct tzone *z = zone("Europe/Paris");
	tzone_tzreg(z, 2025, &out);
	test_assert(out.len == 48);
	/* bias -60, daylight bias -60; October last Sunday 03:00, March last Sunday 02:00 */
	check_hex(&out, "c4 ff ff ff 00 00 00 00 c4 ff ff ff 00 00 00 00 0a 00 00 00 05 00 03 00 "
			"00 00 00 00 00 00 00 00 00 00 03 00 00 00 05 00 02 00 00 00 00 00 00 00");
	tzone_free(z);

	/* the bytes of the Outlook-written PidLidTimeZoneStruct (Pacific), with Eastern's bias */
	z = zone("America/New_York");
	sbuf_reset(&out);
	tzone_tzreg(z, 2025, &out);
	check_hex(&out, "2c 01 00 00 00 00 00 00 c4 ff ff ff 00 00 00 00 0b 00 00 00 01 00 02 00 "
			"00 00 00 00 00 00 00 00 00 00 03 00 00 00 02 00 02 00 00 00 00 00 00 00");
	tzone_free(z);

	z = zone("Australia/Sydney");
	sbuf_reset(&out);
	tzone_tzreg(z, 2025, &out);
	check_hex(&out, "a8 fd ff ff 00 00 00 00 c4 ff ff ff 00 00 00 00 04 00 00 00 01 00 03 00 "
			"00 00 00 00 00 00 00 00 00 00 0a 00 00 00 01 00 02 00 00 00 00 00 00 00");
	tzone_free(z);

	z = zone("Asia/Kolkata");
	sbuf_reset(&out);
	tzone_tzreg(z, 2025, &out);
	test_assert(out.len == 48);
	test_assert(!memcmp(out.buf, "\xb6\xfe\xff\xff", 4));	/* -330 */
	int nonzero = 0;
	for (size_t i = 4; i < out.len; i++)
		nonzero |= out.buf[i];
	test_assert(nonzero == 0);
	tzone_free(z);

	z = zone("UTC");
	sbuf_reset(&out);
	tzone_tzreg(z, 2025, &out);
	nonzero = 0;
	for (size_t i = 0; i < out.len; i++)
		nonzero |= out.buf[i];
	test_assert(out.len == 48 && nonzero == 0);
	tzone_free(z);

	z = tzone_new_fixed(7 * 60);
	sbuf_reset(&out);
	tzone_tzreg(z, 2025, &out);
	test_assert(out.len == 48 && !memcmp(out.buf, "\x5c\xfe\xff\xff\0\0\0\0\0\0\0\0", 12));
	tzone_free(z);
	sbuf_release(&out);
}

static void test_tzdefinition(void)
{
	test_group("TZDEFINITION");
	struct sbuf out = SBUF_INIT;
	struct tzone *z = zone("America/New_York");
	tzone_tzdefinition(z, 2005, 2010, TZRULE_FLAG_RECUR_CURRENT_TZREG, &out);
	/* header: 2.1, cbHeader 38 = 6 + 2 * 16, reserved 2, 16 UTF-16 units, 2 rules */
	test_assert(out.len == 8 + 32 + 2 + 2 * 66);
	check_hex(&out,
		  "02 01 26 00 02 00 10 00 41 00 6d 00 65 00 72 00 69 00 63 00 61 00 2f 00 "
		  "4e 00 65 00 77 00 5f 00 59 00 6f 00 72 00 6b 00 02 00 "
		  /* 2005: April first Sunday, October last Sunday */
		  "02 01 3e 00 00 00 d5 07 01 00 00 00 01 00 00 00 00 00 00 00 00 00 "
		  "2c 01 00 00 00 00 00 00 c4 ff ff ff "
		  "00 00 0a 00 00 00 05 00 02 00 00 00 00 00 00 00 "
		  "00 00 04 00 00 00 01 00 02 00 00 00 00 00 00 00 "
		  /* 2007 on, in effect (flags 3): March second Sunday, November first */
		  "02 01 3e 00 03 00 d7 07 01 00 00 00 01 00 00 00 00 00 00 00 00 00 "
		  "2c 01 00 00 00 00 00 00 c4 ff ff ff "
		  "00 00 0b 00 00 00 01 00 02 00 00 00 00 00 00 00 "
		  "00 00 03 00 00 00 02 00 02 00 00 00 00 00 00 00");
	tzone_free(z);

	/* one year, one rule: what an Outlook single appointment carries */
	z = zone("Europe/Paris");
	sbuf_reset(&out);
	tzone_tzdefinition(z, 2025, 2025, 0, &out);
	test_assert(out.len == 8 + 24 + 2 + 66);
	test_assert(!memcmp(out.buf + 34, "\x02\x01\x3e\x00\x02\x00\xe9\x07", 8));
	tzone_free(z);

	z = tzone_new_fixed(-5 * 60);
	sbuf_reset(&out);
	tzone_tzdefinition(z, 2025, 2025, 0, &out);
	test_assert(out.len == 8 + 18 + 2 + 66);
	test_assert(!memcmp(out.buf + 8, "U\0T\0C\0-\0" "0\0" "5\0:\0" "0\0" "0\0", 18));
	test_assert(!memcmp(out.buf + 28 + 22, "\x2c\x01\0\0", 4));
	tzone_free(z);
	sbuf_release(&out);
}

int main(void)
{
	test_to_utc();
	test_names();
	test_vtimezone();
	test_tzreg();
	test_tzdefinition();
	return test_done();
}
