#!/usr/bin/env python3
"""End-to-end: groupware items as Outlook items in a PST (issue 14).

The items are made by tests/test-pst-gw.c (`--write DIR`: one calendar,
contacts, tasks and notes folder, items filled by hand, written through the
PST writer as the converter drives it), then read by readers this project
did not write:

  - pst-extractor (node, .cache/pstx): every property of every item with
    the named properties resolved through the file's own name-to-ID map
    by pst-extractor's GUID table: the message classes; the appointments'
    start and end (UTC from Europe/Berlin wall-clock times), all-day,
    location, busy status, reminder, importance, private flag, categories
    (PS_PUBLIC_STRINGS Keywords), recurrence flags and type; the contacts'
    names, e-mail addresses and display names, phones, work address, file-as;
    the tasks' status, percent complete, dates and effort; the note's colour
    and geometry; and PidLidAppointmentRecur decoded here per [MS-OXOCAL]
    2.2.1.44 (pattern, end, deleted and modified dates, the exception with
    its subject and location, narrow and wide).
  - pffexport -d (libpff): the same recurrence blob in its raw dump, byte
    for byte, and the exception attachment's embedded message.
  - Outlook's own appointments (the OST in pst-extractor's test data): the
    named properties every one of them carries, of those this writer claims
    to write, are on our appointments too.
"""

import datetime
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("pst-groupware")
work = e2e.tmpdir("pst-gw")
PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")
OST = os.path.join(PSTX, "node_modules", "pst-extractor", "example", "testdata",
                   "pstextractortest@outlook.com.ost")

# pst-extractor's view: per message its properties, named ones as "<set>:<lid>"
DUMP_JS = r"""
const path = require('path');
const { PSTFile } = require(path.join(process.env.PSTX_MODULES, 'pst-extractor'));
const SETS = { 0: 'PublicStrings', 1: 'Common', 2: 'Address', 3: 'InternetHeaders', 4: 'Appointment',
               5: 'Meeting', 6: 'Log', 8: 'Note', 10: 'Task', 12: 'Mapi' };
function props(obj) {
  const out = {};
  for (const [id, it] of obj.pstTableItems) {
    let name = id.toString(16);
    if (id >= 0x8000) {
      const k = PSTFile.getNameToIdMapKey(id);
      if (id === PSTFile.getPublicStringToIdMapItem('Keywords')) name = 'PublicStrings:Keywords';
      else if (k === undefined || k === null) name = 'string:' + id.toString(16);
      else { const n = BigInt(k.toString()); name = (SETS[Number(n >> 32n)] || 'unknown' + (n >> 32n)) + ':' + (n & 0xFFFFFFFFn).toString(16); }
    }
    out[name] = { type: it.entryValueType, v: it.entryValueReference,
                  data: it.data && it.data.length ? it.data.toString('hex') : null };
  }
  return out;
}
function walk(folder, prefix) {
  if (folder.contentCount > 0)
    for (let m = folder.getNextChild(); m; m = folder.getNextChild()) {
      const atts = [];
      for (let i = 0; i < m.numberOfAttachments; i++) {
        const a = m.getAttachment(i);
        const e = a.attachMethod === 5 ? a.embeddedPSTMessage : null;
        atts.push({ name: a.longFilename || a.filename || a.displayName, method: a.attachMethod,
                    embedded: e ? { cls: e.messageClass, subject: e.subject, props: props(e) } : null });
      }
      console.log(JSON.stringify({ folder: prefix, cls: m.messageClass, subject: m.subject,
                                   props: props(m), attachments: atts }));
    }
  if (folder.hasSubfolders)
    for (const sub of folder.getSubFolders())
      walk(sub, prefix ? prefix + '/' + sub.displayName : sub.displayName);
}
walk(new PSTFile(process.argv[process.argv.length - 1]).getRootFolder(), '');
"""


def pstx(pst):
    p = subprocess.run(["node", "-e", DUMP_JS, pst], capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules")))
    if p.returncode:
        print("# " + p.stderr.replace("\n", "\n# "))
    return [json.loads(line) for line in p.stdout.split("\n") if line]


def helper():
    """tests/test-pst-gw beside the mdexport under test (build/ or the sanitizer build)"""
    d = os.path.dirname(e2e.MDEXPORT) if hasattr(e2e, "MDEXPORT") else None
    d = d or os.path.dirname(os.environ.get("MDEXPORT", os.path.join(e2e.ROOT, "mdexport")))
    for c in (os.path.join(d, "tests", "test-pst-gw"), os.path.join(d, "build", "tests", "test-pst-gw")):
        if os.access(c, os.X_OK):
            return c
    return None


FT_EPOCH = 11644473600


def filetime(p):
    """a PT_SYSTIME property as a UTC datetime"""
    v = int.from_bytes(bytes.fromhex(p["data"]), "little")
    return datetime.datetime.fromtimestamp(v / 10**7 - FT_EPOCH, datetime.timezone.utc)


def text(p):
    return bytes.fromhex(p["data"]).decode("utf-16le") if p and p["data"] else ""


def mv_text(p):
    b = bytes.fromhex(p["data"])
    n = struct.unpack_from("<I", b)[0]
    offs = list(struct.unpack_from("<%dI" % n, b, 4)) + [len(b)]
    return [b[offs[i]:offs[i + 1]].decode("utf-16le") for i in range(n)]


def minutes(dt):
    """local wall-clock datetime -> minutes since 1601 (the blob's unit)"""
    return int((dt - datetime.datetime(1601, 1, 1)).total_seconds() // 60)


def decode_recur(b):
    """[MS-OXOCAL] 2.2.1.44.1 RecurrencePattern + 2.2.1.44.2 AppointmentRecurrencePattern"""
    r = {}
    o = 0

    def u16():
        nonlocal o
        o += 2
        return struct.unpack_from("<H", b, o - 2)[0]

    def u32():
        nonlocal o
        o += 4
        return struct.unpack_from("<I", b, o - 4)[0]

    r["reader"], r["writer"], r["freq"], r["ptype"], r["cal"] = u16(), u16(), u16(), u16(), u16()
    r["first_dt"], r["period"], r["sliding"] = u32(), u32(), u32()
    if r["ptype"] in (1, 2, 4):
        r["specific"] = [u32()]
    elif r["ptype"] == 3:
        r["specific"] = [u32(), u32()]
    r["end_type"], r["count"], r["first_dow"] = u32(), u32(), u32()
    r["deleted"] = [u32() for _ in range(u32())]
    r["modified"] = [u32() for _ in range(u32())]
    r["start"], r["end"] = u32(), u32()
    if o == len(b):
        return r
    r["reader2"], r["writer2"], r["start_off"], r["end_off"] = u32(), u32(), u32(), u32()
    exc = []
    for _ in range(u16()):
        e = {"start": u32(), "end": u32(), "orig": u32(), "flags": u16()}
        if e["flags"] & 0x1:
            n1, n2 = u16(), u16()
            e["subject"] = b[o:o + n2].decode("latin-1")
            o += n2
            tap.ok(n1 == n2 + 1, "ExceptionInfo: SubjectLength is SubjectLength2 + 1")
        for bit in (0x2, 0x4, 0x8):
            if e["flags"] & bit:
                u32()
        if e["flags"] & 0x10:
            n1, n2 = u16(), u16()
            e["location"] = b[o:o + n2].decode("latin-1")
            o += n2
        for bit in (0x20, 0x40, 0x80, 0x100):
            if e["flags"] & bit:
                e[bit] = u32()
        exc.append(e)
    r["reserved1"] = u32()
    for e in exc:
        if r["writer2"] >= 0x3009:
            size = u32()
            o += size
        tap.eq(u32(), 0, "ExtendedException: ReservedBlockEE1Size 0")
        if e["flags"] & 0x11:
            s, en, orig = u32(), u32(), u32()
            tap.eq((s, en, orig), (e["start"], e["end"], e["orig"]),
                   "ExtendedException: the same times as its ExceptionInfo")
            if e["flags"] & 0x1:
                n = u16()
                e["wsubject"] = b[o:o + 2 * n].decode("utf-16le")
                o += 2 * n
            if e["flags"] & 0x10:
                n = u16()
                e["wlocation"] = b[o:o + 2 * n].decode("utf-16le")
                o += 2 * n
            tap.eq(u32(), 0, "ExtendedException: ReservedBlockEE2Size 0")
    r["exceptions"] = exc
    r["reserved2"] = u32()
    r["trailing"] = len(b) - o
    return r


tool = helper()
tap.ok(tool is not None, "tests/test-pst-gw is built (make unit)")
have_pstx = os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor"))
tap.ok(have_pstx, "pst-extractor is installed (a reader we did not write)")
if not tool or not have_pstx:
    tap.done()
    sys.exit()

rc = subprocess.run([tool, "--write", work], capture_output=True, text=True)
pst = os.path.join(work, "box.pst")
tap.eq(rc.returncode, 0, "the items are written")
msgs = pstx(pst)
by = {m["subject"]: m for m in msgs}
tap.eq(sorted((m["folder"].split("/")[-1], m["cls"]) for m in msgs), sorted(
    [("Calendar", "IPM.Appointment")] * 6 + [("Contacts", "IPM.Contact"), ("Contacts", "IPM.DistList")] +
    [("Tasks", "IPM.Task")] * 3 + [("Notes", "IPM.StickyNote")]), "every item, its folder and class")

# ---- appointments ----------------------------------------------------------
m = by.get("Planung Q3 \u2014 \u00dcbersicht", {"props": {}, "attachments": []})
p = m["props"]
tap.eq(filetime(p["Appointment:820d"]).isoformat(), "2026-03-10T08:00:00+00:00",
       "meeting: StartWhole 09:00 Berlin (CET) as UTC")
tap.eq(filetime(p["Appointment:820e"]).isoformat(), "2026-03-10T09:30:00+00:00", "meeting: EndWhole")
tap.eq(filetime(p["60"]), filetime(p["Appointment:820d"]), "meeting: PidTagStartDate = StartWhole")
tap.eq(p["Appointment:8213"]["v"], 90, "meeting: duration 90 minutes")
tap.eq(text(p.get("Appointment:8208")), "Raum 4.12", "meeting: location")
tap.eq(p["Appointment:8205"]["v"], 2, "meeting: busy")
tap.eq((p["Common:8503"]["v"], p["Common:8501"]["v"]), (1, 15), "meeting: reminder set, 15 minutes")
tap.eq(filetime(p["Common:8560"]).isoformat(), "2026-03-10T07:45:00+00:00", "meeting: reminder signal time")
tap.eq((p["17"]["v"], p["36"]["v"], p["Common:8506"]["v"]), (2, 2, 1), "meeting: high importance, private")
tap.eq(mv_text(p["PublicStrings:Keywords"]) if "PublicStrings:Keywords" in p else None,
       ["Work", "Caf\u00e9"], "meeting: categories (PS_PUBLIC_STRINGS Keywords, multi-valued)")
tap.eq((p["Appointment:8217"]["v"] & 1, p["Appointment:8229"]["v"]), (1, 1), "meeting: asfMeeting, invited")
tap.eq(p["Appointment:8218"]["v"], 1, "meeting: the owner (alice) organized it: respOrganized")
tap.eq(p["Appointment:8201"]["v"], 3, "meeting: sequence")
goid = bytes.fromhex(p["Meeting:3"]["data"])
tap.ok(goid[:16].hex() == "040000008200e00074c5b7101a82e008" and b"vCal-Uid\x01\0\0\0meeting-1@example.com\0" in goid,
       "meeting: PidLidGlobalObjectId in the third-party vCal-Uid form")
tap.eq(text(p.get("Appointment:8238")), "Bob Required; Carol Optional; Room 4.12", "meeting: all attendees")
tap.eq(len(bytes.fromhex(p["Appointment:8233"]["data"])), 48, "meeting: PidLidTimeZoneStruct is a 48-byte TZREG")
tap.ok("Appointment:825e" in p and "Appointment:825f" in p, "meeting: the time zone definitions")

m = by.get("Conference", {"props": {}})
p = m["props"]
tap.eq((filetime(p["Appointment:820d"]).isoformat(), filetime(p["Appointment:820e"]).isoformat(),
        p["Appointment:8215"]["v"]),
       ("2026-03-11T23:00:00+00:00", "2026-03-13T23:00:00+00:00", 1),
       "all-day 12-13 March: local midnight to the midnight after, AppointmentSubType")
tap.eq(p["Appointment:8205"]["v"], 3, "all-day: out of office")

m = by.get("Standup", {"props": {}, "attachments": []})
p = m["props"]
tap.eq((p["Appointment:8223"]["v"], p["Meeting:5"]["v"], p["Appointment:8231"]["v"]), (1, 1, 2),
       "series: recurring, weekly")
blob = bytes.fromhex(p["Appointment:8216"]["data"])
r = decode_recur(blob)
D = datetime.datetime
tap.eq((r["reader"], r["writer"], r["freq"], r["ptype"], r["period"], r["specific"]),
       (0x3004, 0x3004, 0x200B, 1, 1, [0x0A]), "blob: weekly every week, Monday and Wednesday")
tap.eq((r["end_type"], r["count"]), (0x2022, 10), "blob: ends after 10")
tap.eq(r["deleted"], [minutes(D(2026, 3, 4)), minutes(D(2026, 3, 9))],
       "blob: DeletedInstanceDates: the deleted 4th and the moved 9th (its original date)")
tap.eq(r["modified"], [minutes(D(2026, 3, 9))], "blob: ModifiedInstanceDates: the moved one's date")
tap.eq((r["start"], r["end"]), (minutes(D(2026, 3, 2)), minutes(D(2026, 4, 1))),
       "blob: StartDate, EndDate (the 10th occurrence: Wednesday 1 April)")
tap.eq(r["first_dt"], minutes(D(2026, 3, 1)) % (7 * 1440), "blob: FirstDateTime (the week's Sunday)")
tap.eq((r["start_off"], r["end_off"]), (540, 555), "blob: 09:00 to 09:15")
e = r["exceptions"][0] if r["exceptions"] else {}
tap.eq((e.get("start"), e.get("end"), e.get("orig")),
       (minutes(D(2026, 3, 9, 11)), minutes(D(2026, 3, 9, 11, 15)), minutes(D(2026, 3, 9, 9))),
       "blob: the exception moved to 11:00, replacing 09:00")
tap.eq((e.get("subject"), e.get("location"), e.get("wsubject"), e.get("wlocation")),
       ("Standup (moved)", "Room 2", "Standup (moved)", "Room 2"), "blob: its subject and location, narrow and wide")
tap.eq((r["reserved1"], r["reserved2"], r["trailing"]), (0, 0, 0), "blob: reserved blocks empty, nothing after")
tap.eq([a["method"] for a in m["attachments"]], [5], "exception attachment: an embedded message (method 5)")

# pffexport -d (libpff): its own name-map resolution ("Maps to entry type") and the embedded message
subprocess.run(["pffexport", "-d", "-q", "-t", os.path.join(work, "px"), pst], capture_output=True)
PX = os.path.join(work, "px.export", "Top of Outlook data file")


def pff_values(item_dir):
    """{entry type, or the LID libpff maps it to: value bytes} from an item's ItemValues.txt"""
    out = {}
    try:
        with open(os.path.join(PX, item_dir, "ItemValues.txt"), errors="replace") as fh:
            chunks = re.split(r"\n(?=Set:)", fh.read())
    except OSError:
        return out
    for c in chunks:
        t = re.search(r"Entry type:\s+0x([0-9a-f]+)", c)
        mapped = re.search(r"Maps to entry type:\s+0x([0-9a-f]+)", c)
        if not t:
            continue
        hexs = "".join(line[12:12 + 49] for line in c.split("\n") if re.match(r"^0x[0-9a-f]{8}: ", line))
        out[int((mapped or t).group(1), 16)] = bytes.fromhex(hexs.replace(" ", ""))
    return out


def pff_text(path):
    try:
        with open(os.path.join(PX, path), errors="replace") as fh:
            return dict(re.findall(r"^([A-Za-z ]+):\t+(.*)$", fh.read(), re.M))
    except OSError:
        return {}


standup_dir = "-"
cal = os.path.join(PX, "Calendar")
for d in sorted(os.listdir(cal)) if os.path.isdir(cal) else []:
    if pff_text(os.path.join("Calendar", d, "Appointment.txt")).get("Subject") == "Standup":
        standup_dir = os.path.join("Calendar", d)
vals = pff_values(standup_dir)
tap.eq(vals.get(0x8216), blob, "pffexport -d: PidLidAppointmentRecur (0x8216 by libpff's map) byte for byte")
EXC = os.path.join(standup_dir, "Attachments", "Attachment00001", "Appointment00001")
exc = pff_text(os.path.join(EXC, "Appointment.txt"))
tap.eq((exc.get("Subject"), exc.get("Start time"), exc.get("End time"), exc.get("Location")),
       ("Standup (moved)", "Mar 09, 2026 10:00:00.000000000 UTC", "Mar 09, 2026 10:15:00.000000000 UTC",
        "Room 2"), "pffexport: the exception's embedded message, its own subject, times and location")
ev = pff_values(EXC)
replace = (int(D(2026, 3, 9, 8, tzinfo=datetime.timezone.utc).timestamp()) + FT_EPOCH) * 10**7
tap.eq((ev.get(0x001A, b"").decode("utf-16le"), ev.get(0x8228)),
       ("IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}", struct.pack("<Q", replace)),
       "exception: its class, ExceptionReplaceTime the original 09:00 (UTC)")
av = pff_values(os.path.join(standup_dir, "Attachments"))
tap.eq((av.get(0x3705), av.get(0x3714), av.get(0x7FFE)), (struct.pack("<I", 5), struct.pack("<I", 2), b"\x01"),
       "exception attachment: embedded, PidTagAttachmentFlags 2, hidden")

for subj, freq, ptype, end_type in (("Review", 0x200C, 3, 0x2021), ("Birthday", 0x200D, 2, 0x2023),
                                    ("Daily check", 0x200A, 0, 0x2022)):
    bp = by.get(subj, {"props": {}})["props"].get("Appointment:8216")
    rr = decode_recur(bytes.fromhex(bp["data"])) if bp else {}
    tap.eq((rr.get("freq"), rr.get("ptype"), rr.get("end_type")), (freq, ptype, end_type),
           "%s: frequency, pattern type, end type" % subj)
rr = decode_recur(bytes.fromhex(by["Review"]["props"]["Appointment:8216"]["data"]))
tap.eq((rr["specific"], rr["count"], rr["end"]), ([4, 2], 10, minutes(D(2026, 12, 8))),
       "Review: the second Tuesday, 10 occurrences up to 8 December")
rr = decode_recur(bytes.fromhex(by["Birthday"]["props"]["Appointment:8216"]["data"]))
tap.eq((rr["period"], rr["specific"], rr["end"]), (12, [15], 0x5AE980DF), "Birthday: every 12 months on the 15th, no end")
rr = decode_recur(bytes.fromhex(by["Daily check"]["props"]["Appointment:8216"]["data"]))
tap.eq((rr["period"], rr["end"]), (2880, minutes(D(2026, 4, 9))), "Daily check: every 2 days, last 9 April")
dc = by["Daily check"]
tap.eq([a["name"] for a in dc["attachments"]], ["MDaemon-item.xml"],
       "an item not understood whole carries its source XML")

# ---- contacts, tasks, notes -------------------------------------------------
c = by.get("Dr. J\u00fcrgen M\u00fcller", {"props": {}})["props"]
want = {"3a06": "J\u00fcrgen", "3a11": "M\u00fcller", "3a44": "K.", "3a45": "Dr.", "3a4f": "Jogi",
        "3a16": "Example GmbH", "3a17": "Engineer", "3a18": "R&D", "3a1c": "+49 170 1234567",
        "3a08": "+49 30 1234", "3a09": "+49 30 9876", "3a24": "+49 30 1235",
        "Address:8083": "juergen@example.com", "Address:8093": "jm@example.org",
        "Address:8080": "Dr. J\u00fcrgen M\u00fcller (juergen@example.com)", "Address:8082": "SMTP",
        "Address:8045": "Hauptstra\u00dfe 1", "Address:8046": "Berlin", "Address:8048": "10115",
        "Address:8049": "Germany", "Address:8005": "M\u00fcller, J\u00fcrgen", "3a5d": "Nebenweg 2"}
tap.eq({k: text(c.get(k)) for k in want}, want, "contact: names, phones, e-mail addresses, work address, file-as")
tap.eq((c["Address:8029"]["v"], c["Address:8006"]["v"]), (3, 0x8017), "contact: email 1 and 2 in use; filed Last, First")
tap.eq(filetime(c["3a42"]).date().isoformat(), "1980-05-17", "contact: birthday")
oid = bytes.fromhex(c["Address:8085"]["data"])
tap.ok(oid[4:20].hex() == "812b1fa4bea310199d6e00dd010f5402" and "juergen@example.com".encode("utf-16le") in oid,
       "contact: Email1OriginalEntryId is a one-off entry ID")
g = by.get("Team", {"props": {}})["props"]
tap.eq(text(g.get("Address:8053")), "Team", "group: its name")
tap.ok("bob@example.com".encode("utf-16le") in bytes.fromhex(g["Address:8054"]["data"]), "group: one-off members")

t = by.get("Write the report", {"props": {}})["props"]
pct = struct.unpack("<d", bytes.fromhex(t["Task:8102"]["data"]))[0] if t.get("Task:8102", {}).get("data") else None
tap.eq((t["Task:8101"]["v"], pct, t["Task:811c"]["v"]), (1, 0.5, 0), "task: in progress, 50% (a double)")
tap.eq((filetime(t["Task:8104"]).date().isoformat(), filetime(t["Task:8105"]).date().isoformat()),
       ("2026-03-02", "2026-03-20"), "task: start and due dates")
tap.eq((t["Task:8111"]["v"], t["Task:8110"]["v"], text(t.get("Common:8534")), text(t.get("Common:8535"))),
       (240, 90, "12 km", "Project X"), "task: effort, mileage, billing")
tap.eq((t["Task:8113"]["v"], t["Task:8129"]["v"], t["Task:811e"]["v"]), (1, 0, 1), "task: one's own, never assigned")
t2 = by.get("Water the plants", {"props": {}})["props"]
rr = decode_recur(bytes.fromhex(t2["Task:8116"]["data"]))
tap.eq((t2["Task:8126"]["v"], rr["freq"], rr["specific"]), (1, 0x200B, [32]),
       "recurring task: TaskFRecurring, PidLidTaskRecurrence weekly on Fridays")
t3 = by.get("Done thing", {"props": {}})["props"]
tap.eq((t3["Task:811c"]["v"], filetime(t3["Task:810f"]).date().isoformat()), (1, "2026-02-02"),
       "completed task: complete, date completed")
# the note through libpff (pst-extractor's name-map loop stops one entry short of the last name)
nv = pff_values(os.path.join("Notes", "Note00001"))
tap.eq([nv.get(k) for k in (0x8B00, 0x8B02, 0x8B03, 0x8B04, 0x8B05)],
       [struct.pack("<I", v) for v in (1, 250, 200, 40, 60)], "note: green, its size and place")
tap.eq(nv.get(0x001A, b"").decode("utf-16le"), "IPM.StickyNote", "note: its class through libpff")

# ---- what Outlook's own appointments carry ------------------------------------
if os.path.isfile(OST):
    ost = [m for m in pstx(OST) if m["cls"] == "IPM.Appointment"]
    always = set.intersection(*(set(m["props"]) for m in ost)) if ost else set()
    ours = set(by["Standup"]["props"]) | set(by["Planung Q3 \u2014 \u00dcbersicht"]["props"])
    named_always = sorted(k for k in always if ":" in k and not k.startswith("string"))
    tap.ok(len(ost) >= 30, "Outlook's OST: %d appointments" % len(ost))
    missing = [k for k in named_always if k not in ours]
    # Outlook's that this writer leaves out, on purpose (docs/pst-groupware.md)
    tap.eq(missing, ["Common:8552", "Common:8554"],
           "every named property all of Outlook's appointments carry is on ours, but its version stamps")
tap.done()
