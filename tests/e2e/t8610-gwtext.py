#!/usr/bin/env python3
"""End-to-end (unit level): groupware items as .ics, .vcf and .txt (issue 14).

tests/gwtext-dump (built with the unit tests) writes a calendar, a task
list, contacts as vCard 4.0 and 3.0 and a note from items it builds, through
core/gwtext.h as the writers use it.  tests/lib/icscheck.py reads them back
with Debian's icalendar, vobject and dateutil (readers this project did not
write) and checks the line rules, the required properties and every
VTIMEZONE against the system's zoneinfo.  Here:
  - every file is clean, and the same items give the same bytes twice;
  - the weekly series with a deleted and a moved occurrence, the "last
    Friday" series across New York's DST change (COUNT) and the fixed-zone
    series (UNTIL) expand to the occurrences computed here with Python's
    zoneinfo;
  - the fields come back as built: text with escapes and UTF-8 folded,
    attendees and their roles, the alarm, all-day dates, the recovered
    mark, the tasks' status, percent, due date and absolute alarm, the
    cards' names, addresses, telephones, dates, UID and group members;
  - the note's header, body and end line.
"""

import datetime
import json
import os
import subprocess
import sys
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("gwtext")
work = e2e.tmpdir("gwtext")
LIB = os.path.join(e2e.ROOT, "tests", "lib")
# the driver sits beside the unit tests of the build being tested
if e2e.SANITIZED:
    DUMP = os.path.join(os.path.dirname(e2e.MDEXPORT), "tests", "gwtext-dump")
else:
    DUMP = os.path.join(e2e.ROOT, "build", "tests", "gwtext-dump")
SYSPY = "/usr/bin/python3"
UTC = datetime.timezone.utc


def utc(y, mo, d, h, mi, zone):
    t = datetime.datetime(y, mo, d, h, mi, tzinfo=zoneinfo.ZoneInfo(zone) if "/" in zone else
                          datetime.timezone(datetime.timedelta(hours=int(zone))))
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def comps(files, name, kind=None):
    return [c for c in files[os.path.join(work, name)]["components"] if kind is None or c["type"] == kind]


def by_uid(cs, uid, override=False):
    for c in cs:
        if c["props"].get("UID") == [uid] and ("RECURRENCE-ID" in c["props"]) == override:
            return c
    return None


def prop(c, name):
    v = c["props"].get(name) if c else None
    return v[0] if v else None


def param(c, name, i=0):
    return c["params"][name][i] if c and name in c["params"] else {}


# ---- write and read back ----------------------------------------------------------------------
names = ["calendar.ics", "tasks.ics", "contacts4.vcf", "contacts3.vcf"]
p = subprocess.run([DUMP, work], capture_output=True)
tap.eq(p.returncode, 0, "gwtext-dump writes the files (%s)" % p.stderr.decode()[:200])
first = {n: e2e.read(os.path.join(work, n)) for n in names + ["notes.txt"]}
p = subprocess.run([DUMP, work], capture_output=True)
tap.ok(all(e2e.read(os.path.join(work, n)) == first[n] for n in first),
       "the same items give the same bytes twice (no time of the run in them)")

have = subprocess.run([SYSPY, "-c", "import icalendar, vobject, dateutil"], capture_output=True)
if have.returncode != 0:
    tap.skip("icscheck", "Debian's python3-icalendar/vobject/dateutil are not installed")
    tap.done()
p = subprocess.run([SYSPY, os.path.join(LIB, "icscheck.py")] + [os.path.join(work, n) for n in names],
                   capture_output=True)
out = json.loads(p.stdout.decode("utf-8"))["files"]
for n in names:
    tap.eq(out[os.path.join(work, n)]["errors"], [], "%s: read back clean (line rules, "
           "UID/DTSTAMP, TZIDs, VTIMEZONE = zoneinfo)" % n)
tap.eq(p.returncode, 0, "icscheck exits 0")
cal = first["calendar.ics"].decode("utf-8")
tap.eq(cal.count("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"), 1, "one VTIMEZONE per zone per file")
tap.ok(cal.index("TZID:America/New_York") < cal.index("DTSTART;TZID=America/New_York"),
       "the VTIMEZONE comes before the first item using it")

# ---- occurrences ------------------------------------------------------------------------------
events = comps(out, "calendar.ics", "VEVENT")
series = by_uid(events, "5d0e6a3c9b2f4e17a8c1f0b9d6e4a302")
want, day = [], datetime.date(2024, 1, 8)
while len(want) < 50:
    if day.weekday() in (0, 2, 4) and day != datetime.date(2024, 1, 10):
        want.append(utc(2024, 1, 12, 11, 0, "Europe/Paris") if day == datetime.date(2024, 1, 12)
                    else utc(day.year, day.month, day.day, 9, 0, "Europe/Paris"))
    day += datetime.timedelta(days=1)
tap.eq(series and series.get("occurrences"), want,
       "weekly Mon/Wed/Fri at 09:00 Paris: 10 Jan deleted, 12 Jan moved to 11:00, across the DST change")
tap.eq(prop(series, "RRULE"), "FREQ=WEEKLY;BYDAY=MO,WE,FR", "RRULE with no end")
tap.eq(prop(series, "EXDATE"), "20240110T090000", "EXDATE at the series' time of day")
tap.eq(param(series, "EXDATE"), {"TZID": "Europe/Paris"}, "EXDATE with its TZID")
friday = by_uid(events, "last-friday@example.com")
tap.eq(friday and friday.get("occurrences"),
       [utc(2024, m, d, 16, 0, "America/New_York") for m, d in ((1, 26), (2, 23), (3, 29), (4, 26), (5, 31))],
       "the last Friday, five times (COUNT), 16:00 New York before and after DST")
fixed = by_uid(events, "fixed-daily@example.com")
tap.eq(fixed and fixed.get("occurrences"), [utc(2023, 1, d, 8, 0, "7") for d in (3, 5, 7, 9, 11)],
       "every other day until 11 Jan, in the fixed zone UTC+07:00")
tap.eq(param(fixed, "DTSTART"), {"TZID": "UTC+07:00"}, "a fixed zone's TZID is UTC+07:00")

# ---- the event's fields -----------------------------------------------------------------------
subject = ("Team stand-up \u00e9quipe \u2014 a long subject that has to be folded over more than "
           "one line, \u65e5\u672c\u8a9e too")
tap.eq(prop(series, "SUMMARY"), subject, "SUMMARY: UTF-8 and a comma, folded and unfolded")
tap.eq(prop(series, "DESCRIPTION"), "Bring: notes; figures, and \\ backslashes\nSecond line",
       "DESCRIPTION: ; , \\ and a line break escaped")
tap.eq(prop(series, "CATEGORIES"), ["Team", "Daily, short"], "CATEGORIES: two, one with a comma")
tap.eq(prop(series, "LOCATION"), "Room 2, floor 3", "LOCATION")
tap.eq((prop(series, "PRIORITY"), prop(series, "SEQUENCE")), ("1", "2"), "PRIORITY high = 1, SEQUENCE")
tap.eq(series["utc"].get("DTSTAMP"), "2024-03-04T15:15:20Z", "DTSTAMP: Modified in UTC")
tap.eq((prop(series, "ORGANIZER"), param(series, "ORGANIZER")),
       ("mailto:lead@example.com", {"CN": "Lead, Team"}), "ORGANIZER with CN")
att = series["props"].get("ATTENDEE", [])
tap.eq(att, ["mailto:ana.ruiz@example.com", "mailto:tom.berg@example.com", "mailto:projector1@example.com"],
       "three attendees")
tap.eq([param(series, "ATTENDEE", i) for i in range(3)],
       [{"CN": "Ana Ruiz", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "TRUE"},
        {"CN": "Tom 'T' Berg", "ROLE": "OPT-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"},
        {"CN": "Projector 1", "CUTYPE": "RESOURCE", "ROLE": "NON-PARTICIPANT", "PARTSTAT": "TENTATIVE",
         "RSVP": "TRUE"}], "attendees' roles, answers and RSVP")
tap.eq((prop(series, "X-MICROSOFT-CDO-BUSYSTATUS"), prop(series, "TRANSP")), ("BUSY", "OPAQUE"), "busy")
tap.eq((prop(series, "X-MDAEMON-CREATOR"), prop(series, "X-MDAEMON-EVENT-COLOUR")),
       ("assistant@example.com", "red"), "the creator and an element not understood, as X-MDAEMON-*")
tap.eq([(a.get("ACTION"), a.get("TRIGGER")) for a in series["alarms"]], [(["DISPLAY"], ["-PT10M"])],
       "VALARM 10 minutes before")
over = by_uid(events, "5d0e6a3c9b2f4e17a8c1f0b9d6e4a302", override=True)
tap.eq(over and (over["utc"].get("RECURRENCE-ID"), over["utc"].get("DTSTART"), prop(over, "SUMMARY")),
       (utc(2024, 1, 12, 9, 0, "Europe/Paris"), utc(2024, 1, 12, 11, 0, "Europe/Paris"), "Stand-up (moved)"),
       "the override: RECURRENCE-ID, its own start and subject")
tap.ok(over and over["utc"].get("DTSTAMP") == "2024-03-04T15:15:20Z", "the override has its DTSTAMP")
allday = by_uid(events, "0b77d0e4a1c94f2f9e8a6b3c2d1e0f55")
tap.eq(allday and (prop(allday, "DTSTART"), prop(allday, "DTEND"), param(allday, "DTSTART")),
       ("20240401", "20240403", {"VALUE": "DATE"}), "all-day 1-2 April: dates, the end exclusive")
tap.eq(allday and (prop(allday, "CLASS"), prop(allday, "TRANSP"), prop(allday, "PRIORITY")),
       ("PRIVATE", "TRANSPARENT", "9"), "private, free, low priority")
rec = by_uid(events, "recovered@example.com")
tap.eq(rec and (prop(rec, "X-MDAEMON-RECOVERED"), prop(rec, "CATEGORIES"), rec["utc"].get("DTSTAMP")),
       ("the file ends inside it; its End was lost", ["MDaemon-Recovered"], "1970-01-01T00:00:00Z"),
       "a recovered item says so; no Modified: DTSTAMP is the epoch")

# ---- tasks ------------------------------------------------------------------------------------
todos = comps(out, "tasks.ics", "VTODO")
t1, t2, t3 = (by_uid(todos, "task-%d@example.com" % i) for i in (1, 2, 3))
tap.eq(t1 and (prop(t1, "STATUS"), prop(t1, "PERCENT-COMPLETE"), prop(t1, "DTSTART"), prop(t1, "DUE")),
       ("IN-PROCESS", "40", "20240301", "20240320"), "task in progress: status, percent, dates")
tap.eq(t1 and [(a.get("TRIGGER"), a.get("ACTION")) for a in t1["alarms"]],
       [(["20240319T080000Z"], ["DISPLAY"])], "task alarm at an absolute time (UTC)")
tap.eq(t1 and prop(t1, "X-MDAEMON-ESTIMATED-MINUTES"), "90", "estimated effort kept")
tap.eq(t2 and (prop(t2, "STATUS"), prop(t2, "COMPLETED"), t2["utc"].get("DUE")),
       ("COMPLETED", "20240201T163000Z", "2024-02-01T17:00:00Z"), "completed task: COMPLETED in UTC, DUE")
tap.eq(t3 and (prop(t3, "STATUS"), prop(t3, "X-MDAEMON-STATUS"), prop(t3, "X-MDAEMON-SLIDING")),
       ("NEEDS-ACTION", "WAITING", "1"), "waiting task: NEEDS-ACTION plus X-MDAEMON-STATUS; sliding")
tap.eq(t3 and t3.get("occurrences"), ["2024-03-04", "2024-03-11", "2024-03-18"], "the task's RRULE")

# ---- vCards -----------------------------------------------------------------------------------
v4 = comps(out, "contacts4.vcf")
v3 = comps(out, "contacts3.vcf")
ana4, grp4 = (v4 + [None, None])[:2]
ana3, grp3 = (v3 + [None, None])[:2]
tap.eq(ana4 and (prop(ana4, "VERSION"), prop(ana4, "UID"), prop(ana4, "FN")),
       ("4.0", "urn:uuid:3f2a9c1e-7b44-4d0e-9a61-2c8e5b7d1f03", "Ana Ruiz"), "4.0: a GUID as urn:uuid")
tap.eq(ana4 and prop(ana4, "N"), {"family": "Ruiz", "given": "Ana", "additional": "", "prefix": "",
                                  "suffix": ""}, "N")
tap.eq(ana4 and (ana4["props"].get("EMAIL"), ana4["params"].get("EMAIL")),
       (["ana.ruiz@example.com", "ana@home.example"], [{"PREF": "1"}, {}]), "EMAIL, PREF on the first")
tap.eq(ana4 and list(zip(ana4["props"].get("TEL", []), [x.get("TYPE") for x in ana4["params"].get("TEL", [])])),
       [("+44 7700 900123", "cell"), ("+44 20 7946 0000", "work,voice"), ("+44 20 7946 0001", "work,fax")],
       "TEL with types")
tap.eq(ana4 and [(a["street"], a["city"], a["code"], a["country"]) for a in ana4["props"].get("ADR", [])],
       [("", "Bath", "", ""), ("1 High Street", "London", "EC1A 1AA", "United Kingdom")], "ADR home, work")
tap.eq(ana4 and (prop(ana4, "ORG"), prop(ana4, "TITLE"), prop(ana4, "BDAY"), prop(ana4, "ANNIVERSARY")),
       (["Example Tools; Ltd", "Sales"], "Buyer", "19800517", "20050903"), "ORG;dept, TITLE, BDAY, ANNIVERSARY")
tap.eq(ana4 and (prop(ana4, "NOTE"), prop(ana4, "CATEGORIES"), prop(ana4, "RELATED")),
       ("Met at the fair,\nprefers e-mail.", ["Suppliers"], "Luis"), "NOTE, CATEGORIES, the spouse")
tap.eq(grp4 and (prop(grp4, "KIND"), grp4["props"].get("MEMBER")),
       ("group", ["mailto:cfo@example.com", "mailto:clerk@example.com"]), "4.0 group: KIND and MEMBER")
tap.eq(ana3 and (prop(ana3, "VERSION"), prop(ana3, "UID"), prop(ana3, "BDAY"), prop(ana3, "X-ANNIVERSARY")),
       ("3.0", "{3F2A9C1E-7B44-4D0E-9A61-2C8E5B7D1F03}", "1980-05-17", "2005-09-03"),
       "3.0: UID as it was, dates with dashes, X-ANNIVERSARY")
tap.eq(ana3 and ana3["params"].get("EMAIL"), [{"TYPE": "INTERNET,PREF"}, {"TYPE": "INTERNET"}], "3.0 EMAIL types")
tap.eq(grp3 and (prop(grp3, "X-ADDRESSBOOKSERVER-KIND"), grp3["props"].get("X-ADDRESSBOOKSERVER-MEMBER")),
       ("group", ["mailto:cfo@example.com", "mailto:clerk@example.com"]), "3.0 group: Apple's X- properties")

# ---- the note ---------------------------------------------------------------------------------
note = first["notes.txt"].decode("utf-8")
head, _, rest = note.partition("\r\n\r\n")
fields = dict(line.split(": ", 1) for line in head.split("\r\n"))
tap.eq(fields, {"Subject": "Door code changes on 1 April.", "UID": "note-2",
                "Created": "2024-02-28T14:03:00+01:00", "Modified": "2024-07-01T09:12:00+02:00",
                "Created-By": "ana.ruiz@example.com", "Color": "Yellow", "Categories": "Office",
                "Position": "left 120, top 80, width 240, height 200"}, "the note's header")
tap.eq(rest, "Door code changes on 1 April.\r\nNew code: 4711\r\n\f\r\n", "the body, then the \\f line")

e2e.remove_work(work)
tap.done()
