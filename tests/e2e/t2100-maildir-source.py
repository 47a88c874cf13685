#!/usr/bin/env python3
"""End-to-end: a Maildir as SOURCE (issue 11: any store to any format).

  - A Maildir++ tree written by Python's mailbox module (a writer this
    project did not write: its folders, flags and file times) is exported
    with `maildir:SOURCE` to mbox, and read back with Python's mailbox:
    every message once, in its folder, with its bytes and flags; the
    From_ line carries the file's time.  Without the prefix it is probed.
  - Round trip: the fixture store exported to Maildir, then each mailbox's
    Maildir exported to mbox, Maildir, EML and PST: exit 0 and `verify`
    clean for each; the mbox via Maildir holds exactly the messages (bytes,
    flags, From_ lines) of the mbox written from the store directly, folder
    by folder (the order within a folder may differ: a Maildir keeps no
    UIDs).
"""

import collections
import mailbox
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("maildir-source")
work = e2e.tmpdir("maildir-src")

# ---- a Maildir written by Python's mailbox --------------------------------------------------

src = os.path.join(work, "bea", "Maildir")
os.makedirs(os.path.dirname(src))
md = mailbox.Maildir(src, create=True)
WANT = {}       # folder -> [(bytes, flags)]
T0 = 1700000000


def add(box, folder, n, flags):
    body = ("From: x%d@example.net\nTo: bea@example.com\nSubject: %s %d\n"
            "Message-ID: <m%d.%s@example.net>\n\nbody %d of %s\n" %
            (n, folder, n, n, folder.replace("/", "-"), n, folder)).encode()
    msg = mailbox.MaildirMessage(body)
    msg.set_flags(flags)
    msg.set_subdir("cur")
    msg.set_date(T0 + 3600 * n)
    box.add(msg)
    WANT.setdefault(folder, []).append((body, set(flags)))


add(md, "INBOX", 1, "S")
add(md, "INBOX", 2, "FR")
add(md, "INBOX", 3, "")
projects = md.add_folder("Projects")
add(projects, "Projects", 4, "ST")
add(projects, "Projects", 5, "D")
md.close()

FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "T": "\\Deleted", "D": "\\Draft"}
frozen = e2e.freeze(src)
for label, source in (("maildir:SOURCE", "maildir:" + src), ("SOURCE probed", src)):
    o = os.path.join(work, "py-" + label.split(":")[0].split()[0])
    rc, _out, err = e2e.run_merged(["export", source, "-f", "mbox", "-o", o])
    tap.ok(rc == 0 and "bea@localhost: exported 5 messages" in err,
           "%s (a Maildir Python wrote): export to mbox exit 0, 5 messages" % label, err[-1500:])
    got = e2e.read_mbox_tree(os.path.join(o, "localhost", "bea"))
    problems = []
    for folder, msgs in WANT.items():
        have = collections.Counter((e2e.strip_status_fields(b), frozenset(f))
                                   for _from, f, b in got.get(folder, []))
        want = collections.Counter((b, frozenset(FLAGS[c] for c in fl)) for b, fl in msgs)
        if have != want:
            problems.append("%s: got %s, want %s" % (folder, sorted(have.items())[:2],
                                                     sorted(want.items())[:2]))
    froms = sorted(f for msgs in got.values() for f, _fl, _b in msgs)
    want_froms = sorted("MAILER-DAEMON " + time.asctime(time.gmtime(T0 + 3600 * n))
                        for n in range(1, 6))
    if froms != want_froms:
        problems.append("From_ lines %s, want %s" % (froms, want_froms))
    if set(got) != set(WANT):
        problems.append("folders %s, want %s" % (sorted(got), sorted(WANT)))
    tap.ok(not problems, "%s: every message once in its folder with its bytes, flags and "
           "file time (read back by Python's mailbox)" % label, "\n".join(problems))
    vrc, vout, verr = e2e.run(["verify", source, o])
    tap.ok(vrc == 0 and "5 verified" in vout + verr, "%s: verify exit 0, 5 verified" % label,
           (vout + verr)[-800:])
tap.ok(e2e.freeze(src) == frozen, "the Maildir SOURCE is unchanged by the exports and verifies")

# ---- round trip: the fixture store -> Maildir -> every format ------------------------------

store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
mdout = os.path.join(work, "md")
rc, _out, err = e2e.run_merged(["export", store, "-f", "maildir", "-o", mdout])
tap.eq(rc, 0, "the fixture store exported to Maildir")
direct = os.path.join(work, "direct-mbox")
rc, _out, err = e2e.run_merged(["export", store, "-f", "mbox", "-o", direct])
tap.eq(rc, 0, "the fixture store exported to mbox directly")
boxes = sorted((d, b) for d in os.listdir(mdout) if not d.startswith(".")
               for b in os.listdir(os.path.join(mdout, d))
               if os.path.isdir(os.path.join(mdout, d, b)))
tap.ok(len(boxes) >= 4, "the Maildir export holds the fixture's mailboxes", repr(boxes))
for dom, box in boxes:
    msrc = "maildir:" + os.path.join(mdout, dom, box)
    for fmt in ("mbox", "maildir", "eml", "pst"):
        o = os.path.join(work, "rt-%s-%s-%s" % (dom, box, fmt))
        rc, _out, err = e2e.run_merged(["export", msrc, "-f", fmt, "-o", o])
        vrc, vout, verr = e2e.run(["verify", msrc, o])
        tap.ok(rc == 0 and vrc == 0 and "everything verifies" in vout + verr,
               "%s@%s: Maildir -> %s: export exit 0, verify clean" % (box, dom, fmt),
               "export %d, verify %d\n%s\n%s" % (rc, vrc, err[-800:], (vout + verr)[-800:]))
        if fmt != "mbox":
            continue
        via = e2e.read_mbox_tree(os.path.join(o, "localhost", box))
        straight = e2e.read_mbox_tree(os.path.join(direct, dom, box))
        diff = [f for f in set(via) | set(straight)
                if collections.Counter((fr, frozenset(fl), b) for fr, fl, b in via.get(f, [])) !=
                collections.Counter((fr, frozenset(fl), b) for fr, fl, b in straight.get(f, []))]
        tap.ok(not diff, "%s@%s: store -> Maildir -> mbox holds, folder by folder, exactly the "
               "messages of store -> mbox (bytes, flags, From_ lines)" % (box, dom),
               "folders that differ: %s" % sorted(diff)[:5])

e2e.remove_work(work)
tap.done()
