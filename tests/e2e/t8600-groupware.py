#!/usr/bin/env python3
"""End-to-end: calendars, contacts, tasks and notes of an MDaemon store
(issue 14), in every format, against the fixture's own model.

fixtures/groupware (tools/mkgroupware) holds every kind of item the issue
names; fixtures/groupware.expected.json is the generator's model of each
item.  Here:
  - mbox, Maildir and EML: each groupware folder's FOLDER.ics / .vcf / .txt
    is read back by tests/lib/icscheck.py (Debian's icalendar, vobject and
    dateutil: line rules, required properties, each VTIMEZONE), and every
    item's fields are compared with the model: subject, place, notes,
    start and end in UTC (through the file's zone), all-day dates, the
    organizer, every attendee's role and answer, categories (the
    recovered marks too), priority, privacy, the alarm, the recurrence
    (RRULE kind, deleted occurrences as EXDATE, changed ones as overrides
    with their own start), unknown fields as X-MDAEMON-*; contacts' names,
    addresses and group members; tasks' dates, status and percent; notes'
    text;
  - the manifest: one line per item, its source FILE#ID unique, its SHA-256
    the item's bytes in the source, its item object, its bytes in the
    output the item's component;
  - verify passes, finds an edited item, and wants the export's --vcard;
  - --timezone Europe/Berlin names the zone (TZID) and gives its offsets
    (winter and summer);
  - PST: readpst -e writes the appointments as .ics and the contacts as
    vCards (every subject and start, every contact's name and address);
    the folder classes through pffinfo/pffexport; verify passes.
  - the report counts the items and lists the recovered ones.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("groupware")
work = e2e.tmpdir("groupware")
STORE = os.path.join(e2e.ROOT, "fixtures", "groupware")
MODEL = json.load(open(os.path.join(e2e.ROOT, "fixtures", "groupware.expected.json")))
ICSCHECK = os.path.join(e2e.ROOT, "tests", "lib", "icscheck.py")
SYSPY = "/usr/bin/python3"


def icscheck(paths):
    p = subprocess.run([SYSPY, ICSCHECK] + paths, capture_output=True)
    return json.loads(p.stdout.decode())


def zone_offset(name):
    """minutes east of a fixed zone 'UTC+01:00'"""
    m = re.match(r"UTC([+-])(\d\d):(\d\d)$", name)
    sign = 1 if m.group(1) == "+" else -1
    return sign * (int(m.group(2)) * 60 + int(m.group(3)))


def local_to_utc(s, zone):
    t = datetime.datetime.strptime(s[:16], "%Y-%m-%d %H:%M")
    t -= datetime.timedelta(minutes=zone_offset(zone))
    return t.strftime("%Y-%m-%dT%H:%M:00Z")


def items_of(kind):
    for f in MODEL["folders"]:
        if f["kind"] == kind:
            for it in f["items"]:
                yield f, it


def owner(f):
    return f["mailbox"] or "Public Folders"


def text_file(out, fmt, f, suffix):
    """where the folder's items go, as README "Calendars, contacts, tasks and notes" says"""
    if f["mailbox"]:
        base = os.path.join(out, "example.com", f["mailbox"])
    else:
        base = os.path.join(out, "public", "Public Folders")
    return os.path.join(base, f["folder"] + suffix)


def by_uid(parsed, path):
    comps = parsed["files"][path]["components"]
    masters, overrides = {}, {}
    for c in comps:
        uid = c.get("props", {}).get("UID", [None])[0]
        if c["type"] in ("VEVENT", "VTODO", "VCARD"):
            if "RECURRENCE-ID" in c["props"]:
                overrides.setdefault(uid, []).append(c)
            else:
                masters[uid] = c
    return masters, overrides


def mailto(v):
    return v[len("mailto:"):] if v.lower().startswith("mailto:") else v


def check_event(fmt, it, c, ov, zone):
    what = "%s: event %s (%s)" % (fmt, it["id"], it["subject"])
    p = c["props"]
    bad = []
    if (it["subject"] or None) != (p.get("SUMMARY", [None])[0] or None):
        bad.append("SUMMARY %r" % p.get("SUMMARY"))
    if (it["location"] or None) != p.get("LOCATION", [None])[0]:
        bad.append("LOCATION %r" % p.get("LOCATION"))
    if (it["body"] or None) != p.get("DESCRIPTION", [None])[0]:
        bad.append("DESCRIPTION %r" % p.get("DESCRIPTION"))
    if it["all_day"]:
        start = it["start"].replace("-", "")
        end = (datetime.date.fromisoformat(it["end"]) + datetime.timedelta(days=1)).strftime("%Y%m%d")
        if p.get("DTSTART") != [start] or p.get("DTEND") != [end]:
            bad.append("all-day DTSTART/DTEND %r %r, want %s %s" % (p.get("DTSTART"), p.get("DTEND"), start, end))
    elif len(it["start"]) >= 16 and len(it["end"]) >= 16:
        if c["utc"].get("DTSTART") != local_to_utc(it["start"], zone):
            bad.append("DTSTART %r, want %s" % (c["utc"].get("DTSTART"), local_to_utc(it["start"], zone)))
        if c["utc"].get("DTEND") != local_to_utc(it["end"], zone):
            bad.append("DTEND %r, want %s" % (c["utc"].get("DTEND"), local_to_utc(it["end"], zone)))
    org = it["organizer"]
    if org and mailto(p.get("ORGANIZER", [""])[0]) != org["addr"]:
        bad.append("ORGANIZER %r, want %s" % (p.get("ORGANIZER"), org["addr"]))
    atts = p.get("ATTENDEE", [])
    params = c["params"].get("ATTENDEE", [])
    if len(atts) != len(it["attendees"]):
        bad.append("%d attendees, want %d" % (len(atts), len(it["attendees"])))
    else:
        part = {0: "NEEDS-ACTION", 1: "ACCEPTED", 2: "DECLINED", 3: "TENTATIVE"}
        for a, v, prm in zip(it["attendees"], atts, params):
            role_ok = (prm.get("CUTYPE") == "RESOURCE") if a["role"] == 2 else \
                (prm.get("ROLE") == ("REQ-PARTICIPANT" if a["role"] == 0 else "OPT-PARTICIPANT"))
            if mailto(v) != a["addr"] or prm.get("PARTSTAT") != part[a["status"]] or not role_ok:
                bad.append("ATTENDEE %r %r for %r" % (v, prm, a))
    cats = p.get("CATEGORIES", [[]])
    got_cats = [x for group in cats for x in (group if isinstance(group, list) else [group])]
    want_cats = list(it["categories"])
    if it["recovered"] and "MDaemon-OrganizerRecovered" not in want_cats:
        want_cats.append("MDaemon-Recovered")
    if sorted(got_cats) != sorted(set(want_cats)):
        bad.append("CATEGORIES %r, want %r" % (got_cats, want_cats))
    prio = {0: "9", 1: "5", 2: "1"}[it["priority"]]
    if p.get("PRIORITY", ["0"]) != [prio]:
        bad.append("PRIORITY %r, want %s" % (p.get("PRIORITY"), prio))
    if it["private"] != (p.get("CLASS", [""])[0] == "PRIVATE"):
        bad.append("CLASS %r" % p.get("CLASS"))
    if it["reminder_min"]:
        trig = [a.get("TRIGGER", [None])[0] for a in c.get("alarms", [])]
        if trig != ["-PT%dM" % it["reminder_min"]]:
            bad.append("alarm %r, want -PT%dM" % (trig, it["reminder_min"]))
    for name, value in it["extra"]:
        xname = "X-MDAEMON-" + re.sub(r"[^A-Za-z0-9]+", "-", name.split("/")[-1].split("@")[-1]).upper()
        if not any(k.startswith("X-MDAEMON-") and value in [str(x) for x in v]
                   for k, v in p.items()):
            bad.append("unknown field %s=%s not kept (%s...)" % (name, value, xname))
    r = it["recur"]
    if r:
        rrule = p.get("RRULE", [""])[0]
        freq = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY"}[r["freq"]]
        if r.get("every_weekday"):
            freq = "WEEKLY" if "WEEKLY" in rrule else "DAILY"
        if "FREQ=" + freq not in rrule:
            bad.append("RRULE %r, want FREQ=%s" % (rrule, freq))
        if r.get("count") and "COUNT=%d" % r["count"] not in rrule:
            bad.append("RRULE %r, want COUNT=%d" % (rrule, r["count"]))
        if not r.get("count") and not r.get("until") and ("UNTIL" in rrule or "COUNT" in rrule):
            bad.append("RRULE %r ends; the series has no end" % rrule)
        ex = p.get("EXDATE", [])
        ex_flat = [x for e in ex for x in (e if isinstance(e, list) else e.split(","))]
        want_ex = len(r.get("deleted", []))
        if len(ex_flat) != want_ex:
            bad.append("%d EXDATEs, want %d" % (len(ex_flat), want_ex))
        got_ov = sorted(o["utc"].get("DTSTART", o["props"].get("DTSTART", [""])[0]) for o in ov)
        want_ov = sorted(local_to_utc(ch["start"], zone) if len(ch["start"]) >= 16
                         else ch["start"].replace("-", "") for ch in r.get("changed", []))
        if got_ov != want_ov:
            bad.append("overrides start %r, want %r" % (got_ov, want_ov))
        for o in ov:
            if "DTSTAMP" not in o["props"]:
                bad.append("an override without DTSTAMP")
    tap.ok(not bad, what, "\n".join(bad))


def check_text_format(fmt):
    out = os.path.join(work, "out-" + fmt)
    st, _, err = e2e.run(["export", STORE, "-f", fmt, "-o", out, "--report",
                          os.path.join(work, fmt + ".json")])
    tap.eq(st, 0, "%s: export exits 0" % fmt)
    paths = {}
    for f in MODEL["folders"]:
        if not f["items"]:
            continue
        suffix = {"calendar": ".ics", "contact": ".vcf", "task": ".ics", "note": ".txt"}[f["kind"]]
        path = text_file(out, fmt, f, suffix)
        tap.ok(os.path.isfile(path), "%s: %s's %s holds folder %s's items" % (fmt, owner(f), os.path.basename(path), f["folder"]))
        paths[(owner(f), f["folder"])] = path
    parsed = icscheck([p for p in paths.values() if not p.endswith(".txt")])
    for path, res in sorted(parsed["files"].items()):
        tap.eq(res["errors"], [], "%s: %s reads back clean (icalendar/vobject, RFC line rules)" % (fmt, os.path.basename(path)))
    for f, it in items_of("calendar"):
        path = paths[(owner(f), f["folder"])]
        masters, overrides = by_uid(parsed, path)
        c = masters.get(it["uid"])
        if not tap.ok(c is not None, "%s: event %s is in %s" % (fmt, it["uid"], os.path.basename(path))):
            continue
        check_event(fmt, it, c, overrides.get(it["uid"], []), f["zone"])
    for f, it in items_of("contact"):
        masters, _ = by_uid(parsed, paths[(owner(f), f["folder"])])
        c = masters.get(it["uid"]) or masters.get("urn:uuid:" + it["uid"].lower()) or \
            next((m for u, m in masters.items() if u and it["uid"].lower() in u.lower()), None)
        if not tap.ok(c is not None, "%s: contact %s is in the .vcf" % (fmt, it["fields"].get("fullName"))):
            continue
        p = c["props"]
        bad = []
        if p.get("FN") != [it["fields"]["fullName"]]:
            bad.append("FN %r" % p.get("FN"))
        mails = [it["fields"][k] for k in ("email", "email2", "email3") if it["fields"].get(k)]
        if p.get("EMAIL", []) != mails:
            bad.append("EMAIL %r, want %r" % (p.get("EMAIL"), mails))
        if it["fields"].get("company") and it["fields"]["company"] not in json.dumps(p.get("ORG"), ensure_ascii=False):
            bad.append("ORG %r" % p.get("ORG"))
        if it["is_group"]:
            members = " ".join(p.get("MEMBER", []) + p.get("X-ADDRESSBOOKSERVER-MEMBER", []))
            for m in it["members"]:
                if m["addr"] not in members:
                    bad.append("member %s missing (%r)" % (m["addr"], members))
        if it["body"] and p.get("NOTE") != [it["body"]]:
            bad.append("NOTE %r" % p.get("NOTE"))
        tap.ok(not bad, "%s: contact %s: name, addresses, company, members, note" % (fmt, it["fields"]["fullName"]), "\n".join(bad))
    for f, it in items_of("task"):
        masters, _ = by_uid(parsed, paths[(owner(f), f["folder"])])
        c = masters.get(it["uid"])
        if not tap.ok(c is not None, "%s: task %s is in the .ics" % (fmt, it["subject"])):
            continue
        p = c["props"]
        status = {0: "NEEDS-ACTION", 1: "IN-PROCESS", 2: "COMPLETED", 3: "NEEDS-ACTION", 4: "NEEDS-ACTION"}[it["task_status"]]
        bad = []
        if p.get("SUMMARY") != [it["subject"]]:
            bad.append("SUMMARY %r" % p.get("SUMMARY"))
        if p.get("STATUS") != [status]:
            bad.append("STATUS %r, want %s" % (p.get("STATUS"), status))
        if int(p.get("PERCENT-COMPLETE", ["0"])[0]) != it["percent"]:
            bad.append("PERCENT-COMPLETE %r" % p.get("PERCENT-COMPLETE"))
        if c["utc"].get("DUE") != local_to_utc(it["due"], f["zone"]):
            bad.append("DUE %r" % c["utc"].get("DUE"))
        tap.ok(not bad, "%s: task %s: subject, status, percent, due" % (fmt, it["subject"]), "\n".join(bad))
    for f, it in items_of("note"):
        text = open(paths[(owner(f), f["folder"])], encoding="utf-8").read()
        block = next((b for b in text.split("\f") if "UID: " + it["uid"] in b), "")
        tap.ok(block and it["body"].replace("\n", "\r\n") in block or it["body"] in block,
               "%s: note %s: its block holds its body" % (fmt, it["id"]), block[:300])
    return out


def check_manifest(fmt, out):
    lines = []
    for dirpath, _, files in os.walk(out):
        for n in files:
            if n.endswith(".manifest.jsonl"):
                with open(os.path.join(dirpath, n), encoding="utf-8") as fh:
                    lines += [json.loads(x) for x in fh.read().splitlines()[1:]]
    items = [x for x in lines if "item" in x]
    model = {it["sha256"]: (f, it) for f in MODEL["folders"] for it in f["items"]}
    tap.eq(len(items), len(model), "%s: the manifests have a line per item" % fmt)
    tap.eq(len({x["source"] for x in items}), len(items), "%s: each item's source is unique" % fmt)
    bad = []
    for x in items:
        f_it = model.get(x["sha256"])
        if not f_it:
            bad.append("%s: sha256 %s is no item's bytes" % (x["source"], x["sha256"]))
            continue
        f, it = f_it
        if x["item"]["kind"] != it["kind"] or x["item"]["uid"] != it["uid"]:
            bad.append("%s: item %r, want %s %s" % (x["source"], x["item"], it["kind"], it["uid"]))
        if not x["source"].startswith(it["source"]):
            bad.append("%s: not from %s" % (x["source"], it["source"]))
        if bool(x["item"]["recovered"]) != it["recovered"]:
            bad.append("%s: recovered %r" % (x["source"], x["item"]["recovered"]))
        o = x["output"]
        if fmt != "pst":
            data = open(os.path.join(out, o["file"]), "rb").read()[o["offset"]:o["offset"] + o["length"]]
            if it["uid"].encode() not in data and it["uid"].lower().encode() not in data:
                bad.append("%s: its bytes in %s hold no UID %s" % (x["source"], o["file"], it["uid"]))
    tap.ok(not bad, "%s: each item line's sha256, kind, uid, recovered and output bytes" % fmt, "\n".join(bad[:20]))


for fmt in ("mbox", "maildir", "eml"):
    out = check_text_format(fmt)
    check_manifest(fmt, out)
    st, _, err = e2e.run(["verify", STORE, out])
    tap.eq(st, 0, "%s: verify passes" % fmt)
    rep = json.load(open(os.path.join(work, fmt + ".json")))
    erika = next(r for r in rep["mailboxes"] if r["mailbox"] == "erika@example.com")
    tap.eq((erika["groupware"]["events"], erika["groupware"]["contacts"], erika["groupware"]["tasks"],
            erika["groupware"]["notes"]), (26, 5, 3, 2), "%s: the report counts erika's items by kind" % fmt)
    rec = sorted(r["source"] for r in erika["groupware"].get("recovered_items", []))
    want = sorted(it["source"] + "#" + it["id"] for f in MODEL["folders"] for it in f["items"]
                  if it["recovered"] and f["mailbox"] == "erika")
    tap.eq(rec, want, "%s: the report lists every recovered item, with why" % fmt)

# verify finds an edited item, and wants the export's --vcard
mb = os.path.join(work, "out-mbox", "example.com", "erika", "Calendar.ics")
data = open(mb, "rb").read()
open(mb, "wb").write(data.replace(b"SUMMARY:Budget review", b"SUMMARY:Budget revieW", 1))
st, vout, err = e2e.run(["verify", STORE, os.path.join(work, "out-mbox")])
tap.ok(st == 1 and "16 verified, 1 altered" in vout and "altered: Users/example.com/erika/"
       "Calendar.IMAP/Calendar.mrk#11 -> " in vout,
       "verify names the one edited event as altered", vout[-1500:] + err[-500:])
v3 = os.path.join(work, "out-v3")
st, _, _ = e2e.run(["export", STORE, "-f", "eml", "-o", v3, "--vcard", "3.0", "-u", "erika@example.com"])
vcf = open(os.path.join(v3, "example.com", "erika", "Contacts.vcf"), encoding="utf-8").read()
tap.ok(st == 0 and vcf.count("VERSION:3.0") == 5 and "VERSION:4.0" not in vcf,
       "--vcard 3.0 writes 3.0 cards")
parsed = icscheck([os.path.join(v3, "example.com", "erika", "Contacts.vcf")])
tap.eq([r["errors"] for r in parsed["files"].values()], [[]], "the 3.0 cards read back clean (vobject)")
st, _, _ = e2e.run(["verify", STORE, v3, "-u", "erika@example.com"])
tap.eq(st, 0, "verify reads the export's --vcard from its manifest")

# --timezone: the zone's TZID and its own offsets, winter and summer
tzout = os.path.join(work, "out-tz")
st, _, err = e2e.run(["export", STORE, "-f", "mbox", "-o", tzout, "--timezone", "Europe/Berlin",
                      "-u", "erika@example.com"])
tap.ok(st == 0 and "no --timezone" not in err, "--timezone: no guess, no warning about it")
cal = os.path.join(tzout, "example.com", "erika", "Calendar.ics")
parsed = icscheck([cal])
tap.eq(parsed["files"][cal]["errors"], [], "--timezone: the .ics (with Europe/Berlin's VTIMEZONE) reads back clean")
masters, _ = by_uid(parsed, cal)
budget = next(it for f, it in items_of("calendar") if it["id"] == "11" and f["folder"] == "Calendar")
c = masters[budget["uid"]]
tap.eq((c["params"]["DTSTART"][0].get("TZID"), c["utc"]["DTSTART"]), ("Europe/Berlin", "2024-03-12T09:00:00Z"),
       "--timezone: a March event at 10:00 Berlin time is 09:00 UTC (winter)")
summer = [it for f, it in items_of("calendar") if f["folder"] == "Calendar" and not it["all_day"]
          and it["start"][5:7] in ("06", "07", "08")]
for it in summer[:1]:
    got = masters[it["uid"]]["utc"]["DTSTART"]
    want = (datetime.datetime.strptime(it["start"], "%Y-%m-%d %H:%M") - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:00Z")
    tap.eq(got, want, "--timezone: a summer event is two hours ahead of UTC")
st, _, err = e2e.run(["export", STORE, "-f", "mbox", "-o", os.path.join(work, "bad-tz"), "--timezone", "Mars/Olympus"])
tap.ok(st == 2 and "unknown time zone 'Mars/Olympus'" in err, "--timezone: an unknown zone is a usage error", err[:300])

# PST: readpst's calendar and contacts read the Outlook items back
pst = os.path.join(work, "out-pst")
st, _, err = e2e.run(["export", STORE, "-f", "pst", "-o", pst])
tap.eq(st, 0, "pst: export exits 0")
check_manifest("pst", pst)
st, _, err = e2e.run(["verify", STORE, pst])
tap.eq(st, 0, "pst: verify passes")
rp = os.path.join(work, "readpst")
os.makedirs(rp)
p = subprocess.run(["readpst", "-e", "-o", rp, "-q", os.path.join(pst, "example.com", "erika.pst")],
                   capture_output=True)
tap.eq(p.returncode, 0, "pst: readpst reads erika.pst")
ics_text, vcf_text = "", ""
for dirpath, _, files in os.walk(rp):
    for n in files:
        t = open(os.path.join(dirpath, n), encoding="utf-8", errors="replace").read()
        if "BEGIN:VEVENT" in t:
            ics_text += t
        if "BEGIN:VCARD" in t:
            vcf_text += t
subjects = [it["subject"] for f, it in items_of("calendar") if f["mailbox"] == "erika" and it["subject"]]
missing = [s for s in subjects if ("SUMMARY:" + s.replace(",", "\\,").replace(";", "\\;")) not in ics_text
           and ("SUMMARY:" + s) not in ics_text]
tap.eq(missing, [], "pst: readpst finds every event's subject in the appointments")
# readpst's FN is the contact's "file as" (Surname, Given) when it has both names
names = [it["fields"]["fullName"] if not it["fields"].get("lastName") else
         "%s\\, %s" % (it["fields"]["lastName"], it["fields"]["firstName"])
         for f, it in items_of("contact") if not it["is_group"]]
tap.eq([n for n in names if "FN:" + n not in vcf_text], [], "pst: readpst finds every contact's name")
addrs = [it["fields"]["email"] for f, it in items_of("contact") if it["fields"].get("email")]
tap.eq([a for a in addrs if a not in vcf_text], [], "pst: readpst finds every contact's e-mail address")
# pffexport (libpff) names each item's folder by the kind its message class says
subprocess.run(["pffexport", "-q", "-t", os.path.join(work, "pffx"),
                os.path.join(pst, "example.com", "erika.pst")], capture_output=True)
kinds = {}
top = os.path.join(work, "pffx.export", "Top of Outlook data file")
for folder in os.listdir(top):     # each folder's items (not the exceptions inside them)
    for d in os.listdir(os.path.join(top, folder)):
        k = re.sub(r"\d+$", "", d)
        if k != d:
            kinds[k] = kinds.get(k, 0) + 1
tap.eq({k: v for k, v in kinds.items() if k != "Message"},
       {"Appointment": 26, "Contact": 4, "DistributionList": 1, "Task": 3, "Note": 2},
       "pst: pffexport reads every item as its kind (appointments, contacts, a list, tasks, notes)")

# a round of --incremental: a changed event is a new item in FOLDER.round-002.ics (PST:
# the round's part), its earlier version recorded as removed; nothing else is written
# again, and verify reads both rounds
for fmt in ("mbox", "pst"):
    src = e2e.copytree(STORE, os.path.join(work, "round-src-" + fmt))
    out = os.path.join(work, "round-" + fmt)
    st1, _, _ = e2e.run(["export", src, "-f", fmt, "-o", out, "-u", "erika@example.com", "-q"])
    cal = os.path.join(src, "Users", "example.com", "erika", "Calendar.IMAP", "Calendar.mrk")
    data = open(cal, "rb").read()
    open(cal, "wb").write(data.replace(b"Budget review", b"Budget review (moved)", 1))
    st2, _, err = e2e.run_merged(["export", src, "-f", fmt, "-o", out, "-u", "erika@example.com",
                           "--incremental"])
    man = [json.loads(x) for x in open(os.path.join(out, "example.com", "erika.manifest.jsonl"),
                                        encoding="utf-8").read().splitlines()[1:]]
    budget = [x for x in man if x["source"].endswith("Calendar.mrk#11")]
    new = [x for x in budget if x["status"] == "exported"]
    gone = [x for x in budget if x.get("reason") == "removed"]
    where = (os.path.join(out, "example.com", "erika", "Calendar.round-002.ics") if fmt != "pst"
             else os.path.join(out, "example.com", "erika.round-002.pst"))
    round_ics = open(where, encoding="utf-8", newline="").read() if fmt != "pst" else ""
    tap.ok(st1 == 0 and st2 == 0 and len(new) == 1 and len(gone) == 1 and os.path.exists(where)
           and (fmt == "pst" or (round_ics.count("BEGIN:VEVENT") == 1 and
                                 "SUMMARY:Budget review (moved)\r\n" in round_ics))
           and "round 2: 1 new" in err,
           "%s: a round writes the changed event alone (%s), the earlier version recorded as "
           "removed" % (fmt, os.path.basename(where)), err[-1500:] + json.dumps(budget)[:600])
    st, vout, _ = e2e.run(["verify", src, out, "-u", "erika@example.com"])
    tap.ok(st == 0 and "1 skipped" in vout, "%s: verify reads both rounds (the removed version "
           "skipped)" % fmt, vout[-800:])

e2e.remove_work(work)
tap.done()
