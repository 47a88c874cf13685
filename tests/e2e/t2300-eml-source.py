#!/usr/bin/env python3
"""End-to-end: an EML tree as SOURCE (issue 11: any store to any format).

  (a) An EML tree this project did not write (messages made with Python's
      email package; nested folders, a flat top level that is INBOX, odd
      names, a file that is not a message, a symbolic link) exported with
      `eml:SOURCE` and probed, to mbox and to Maildir, read back with
      Python's mailbox: every message once in its folder with its bytes and
      the file's time as its date; no flags; the link not followed.
  (b) Round trip: the fixture store exported to EML, then each mailbox's
      EML tree exported to mbox, Maildir, EML and PST: exit 0 and `verify`
      clean; the EML via EML is the direct EML byte for byte (files and
      mtimes); the Maildir via EML has the bytes and dates of the direct
      Maildir and no flags (an EML file keeps none: the documented loss).
"""

import collections
import email.message
import email.policy
import email.utils
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("eml-source")
work = e2e.tmpdir("eml-src")

# ---- (a) an EML tree made with Python's email package -------------------------------------

src = os.path.join(work, "saved mail")
T0 = 1600000000
WANT = collections.defaultdict(list)   # folder -> [(bytes, mtime)]
n = 0


def put(rel_dir, name, folder):
    global n
    n += 1
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "Sender %d <s%d@example.net>" % (n, n)
    m["To"] = "me@example.com"
    m["Subject"] = "Nachricht %d \u00fcber %s" % (n, folder)
    m["Date"] = email.utils.formatdate(T0 + 3600 * n)
    m["Message-ID"] = "<m%d@example.net>" % n
    m.set_content("body %d\nFrom the start of a line\n" % n)
    data = m.as_bytes()
    d = os.path.join(src, rel_dir)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    os.utime(p, (T0 + 3600 * n, T0 + 3600 * n))
    WANT[folder].append((data, T0 + 3600 * n))


put("", "first.eml", "INBOX")              # the flat top level is INBOX
put("", "second.EML", "INBOX")
put("Projects", "a.eml", "Projects")
put("Projects/2024 Q1", "b.eml", "Projects/2024 Q1")
put("Projects/2024 Q1", "c.eml", "Projects/2024 Q1")
put("Caf\u00e9 & Bar", "d.eml", "Caf\u00e9 & Bar")
put("100% sure", "e.eml", "100% sure")     # a '%' that is no escape: kept
put("Reisen%2FUrlaub", "f.eml", "Reisen%2FUrlaub")
os.makedirs(os.path.join(src, "Empty"))
with open(os.path.join(src, "Projects", "notes.txt"), "w") as f:
    f.write("not a message\n")
os.symlink(os.path.join(src, "first.eml"), os.path.join(src, "Projects", "link.eml"))
N = sum(len(v) for v in WANT.values())

frozen = e2e.freeze(src)
for label, source in (("eml:SOURCE", "eml:" + src), ("SOURCE probed", src)):
    tag = label.split(":")[0].split()[0]
    o = os.path.join(work, "py-mbox-" + tag)
    rc, _out, err = e2e.run_merged(["export", source, "-f", "mbox", "-o", o])
    tap.ok(rc == 0 and "saved mail@localhost: exported %d messages" % N in err,
           "%s: export to mbox exit 0, %d messages" % (label, N), err[-1500:])
    tap.ok("link.eml' is a symbolic link; not followed" in err and
           "'Projects': 1 file not named *.eml" in err,
           "%s: the link and the file that is not a message are warnings" % label, err[-1500:])
    got = e2e.read_mbox_tree(os.path.join(o, "localhost", "saved mail"))
    problems = []
    for folder, msgs in WANT.items():
        have = collections.Counter((e2e.mboxrd_unquote(e2e.strip_status_fields(b)),
                                    frozenset(fl), fr) for fr, fl, b in got.get(folder, []))
        want = collections.Counter((e2e.mbox_expected(b), frozenset(),
                                    "MAILER-DAEMON " + time.asctime(time.gmtime(t)))
                                   for b, t in msgs)
        if have != want:
            problems.append("%s: got %s, want %s" % (folder, list(have)[:1], list(want)[:1]))
    if set(got) != set(WANT) | {"Empty"}:
        problems.append("folders %s, want %s" % (sorted(got), sorted(WANT)))
    tap.ok(not problems, "%s: every message once in its folder, its bytes, no flags, the file's "
           "time on its From_ line (read back by Python's mailbox)" % label, "\n".join(problems))
    vrc, vout, verr = e2e.run(["verify", source, o])
    tap.ok(vrc == 0 and "%d verified" % N in vout + verr, "%s: mbox verify clean" % label,
           (vout + verr)[-800:])

o = os.path.join(work, "py-maildir")
rc, _out, err = e2e.run_merged(["export", "eml:" + src, "-f", "maildir", "-o", o])
tap.eq(rc, 0, "the EML tree exported to Maildir")
got = e2e.read_maildir_python(os.path.join(o, "localhost", "saved mail"))
# folder by folder: Python's Maildir names a folder by its directory, so match by the bytes
have = {d: collections.Counter((b, t, frozenset(fl)) for fl, b, t in msgs)
        for d, msgs in got.items()}
# (the Maildir writer stores LF line ends: these messages have CRLF)
want = {f: collections.Counter((e2e.to_lf(b), t, frozenset()) for b, t in msgs)
        for f, msgs in WANT.items()}
have_sets = sorted(sorted(c.items()) for c in have.values() if c)
want_sets = sorted(sorted(c.items()) for c in want.values())
tap.ok(have_sets == want_sets and len(got) == len(WANT) + 1,
       "Maildir (read by Python's mailbox): every message once, its bytes and the file's time, "
       "no flags; %d folders" % (len(WANT) + 1), "folders %s" % sorted(got))
vrc, vout, verr = e2e.run(["verify", "eml:" + src, o])
tap.ok(vrc == 0 and "everything verifies" in vout + verr, "Maildir verify clean", (vout + verr)[-800:])
tap.ok(not e2e.unchanged(src, frozen), "the EML SOURCE is unchanged by the exports and verifies")

# ---- (b) round trip: the fixture store -> EML -> every format ------------------------------

store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
emlout = os.path.join(work, "eml")
rc, _out, err = e2e.run_merged(["export", store, "-f", "eml", "-o", emlout])
tap.eq(rc, 0, "the fixture store exported to EML")
direct_md = os.path.join(work, "direct-maildir")
rc, _out, err = e2e.run_merged(["export", store, "-f", "maildir", "-o", direct_md])
tap.eq(rc, 0, "the fixture store exported to Maildir directly")
boxes = sorted((d, b) for d in os.listdir(emlout) if not d.startswith(".")
               for b in os.listdir(os.path.join(emlout, d))
               if os.path.isdir(os.path.join(emlout, d, b)))
tap.ok(len(boxes) >= 4, "the EML export holds the fixture's mailboxes", repr(boxes))


def tree_files(top):
    """{relative path: (bytes, mtime)} of every file below top, None for a directory."""
    out = {}
    for dirpath, dirs, files in os.walk(top):
        out.update((os.path.relpath(os.path.join(dirpath, d), top), None) for d in dirs)
        for fn in files:
            p = os.path.join(dirpath, fn)
            out[os.path.relpath(p, top)] = (e2e.read(p), os.stat(p).st_mtime_ns)
    return out


for dom, box in boxes:
    esrc = "eml:" + os.path.join(emlout, dom, box)
    for fmt in ("mbox", "maildir", "eml", "pst"):
        o = os.path.join(work, "rt-%s-%s-%s" % (dom, box, fmt))
        rc, _out, err = e2e.run_merged(["export", esrc, "-f", fmt, "-o", o])
        vrc, vout, verr = e2e.run(["verify", esrc, o])
        tap.ok(rc == 0 and vrc == 0 and "everything verifies" in vout + verr,
               "%s@%s: EML -> %s: export exit 0, verify clean" % (box, dom, fmt),
               "export %d, verify %d\n%s\n%s" % (rc, vrc, err[-800:], (vout + verr)[-800:]))
        if fmt == "eml":
            # issue 14: FOLDER.ics/.vcf/.txt beside the folders are not read back by the
            # EML reader (README "Calendars, contacts, tasks and notes"): not compared
            a = {k: v for k, v in tree_files(os.path.join(emlout, dom, box)).items()
                 if not k.endswith((".ics", ".vcf", ".txt"))}
            b = tree_files(os.path.join(o, "localhost", box))
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            tap.ok(os.path.isdir(os.path.join(o, "localhost", box)) and not diff, "%s@%s: store -> EML -> EML is store -> EML byte for byte "
                   "(%d files and folders: names, bytes, mtimes)" % (box, dom, len(a)), "differ: %s" % diff[:5])
        elif fmt == "maildir":
            via = e2e.read_maildir_python(os.path.join(o, "localhost", box))
            straight = e2e.read_maildir_python(os.path.join(direct_md, dom, box))
            diff = [d for d in set(via) | set(straight)
                    if collections.Counter((b, t) for _f, b, t in via.get(d, [])) !=
                    collections.Counter((b, t) for _f, b, t in straight.get(d, []))]
            flagged = sum(1 for msgs in straight.values() for f, _b, _t in msgs if f)
            via_flags = sum(1 for msgs in via.values() for f, _b, _t in msgs if f)
            tap.ok(not diff and via_flags == 0,
                   "%s@%s: store -> EML -> Maildir has the bytes and dates of store -> Maildir, "
                   "folder by folder, and no flags (%d messages had some directly)"
                   % (box, dom, flagged), "folders that differ: %s; %d flagged via EML"
                   % (sorted(diff)[:5], via_flags))

e2e.remove_work(work)
tap.done()
