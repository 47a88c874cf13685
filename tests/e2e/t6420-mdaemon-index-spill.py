#!/usr/bin/env python3
"""End-to-end: an MDaemon folder's index spilled to disk gives the same export (issue 12).

The MDaemon reader keeps a folder's index in core/recsort lists (its .msg
files, its IMAP.MRK records, their join in output order): in memory up to
MDEXPORT_INDEX_MEM bytes, past it in sorted runs in an unlinked temporary
file in $TMPDIR.  A store with the cases the join has to get right:

  - INBOX: 4,000 files (tools/mkbig's names) whose IMAP.MRK gives them UIDs
    in another order than their names, in a shuffled record order; 25
    stale records (more than the 10 warned one by one), 14 files given the
    UID of another (both exported, by name), 12 records naming a file a
    second time (at the end: the first record is used), a record naming a file in another case, a size that
    differs, a record of a name not ending in .msg, 20 files with no record
    (after the others, by name), a symbolic link and a directory named .msg;
  - Inbox.IMAP: a second directory of INBOX (its messages after the
    MailDir's), with its own IMAP.MRK;
  - Sub.IMAP: 1,500 files and no IMAP.MRK.

Exported to mbox with the default budget and with 4 KiB and 16 KiB: the
same exit status, the same stderr line for line, byte-identical output
trees.  The spilled export read back with Python's mailbox: each folder's
messages in the order of their UIDs (a UID given twice: by name), the
files without a record after them by name, each message's flags as its
record gives them.  The spill is real: with $TMPDIR missing the small
budget fails the folder naming the temporary file, the default one does not.
"""

import mailbox
import os
import random
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import e2e  # noqa: E402
import mdstore as md  # noqa: E402

tap = e2e.Tap("mdaemon-index-spill")
work = e2e.tmpdir("mdspill")
MKBIG = os.path.join(e2e.ROOT, "tools", "mkbig")
N = 4000
FLAG_BITS = (md.SEEN, md.ANSWERED, md.FLAGGED, md.DELETED, md.DRAFT)
# how Python's mailbox shows them in mbox: Status R (seen), X-Status A F D T
MBOX_LETTER = {md.SEEN: "R", md.ANSWERED: "A", md.FLAGGED: "F", md.DELETED: "D",
               md.DRAFT: "T"}


def msg(subject):
    return ("From: a@example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n"
            % (subject, subject)).encode()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def bits_of(i):
    return sum(f for k, f in enumerate(FLAG_BITS) if (i >> k) & 1)


def build():
    """the store; returns {folder: [(subject, flag bits or None)] in the order expected}"""
    src = os.path.join(work, "src")
    subprocess.run([MKBIG, "--format", "mdaemon", "--messages", str(N), src], check=True)
    box = os.path.join(src, "Users", "example.com", "bench")
    names = sorted(n for n in os.listdir(box) if n.endswith(".msg"))
    subj = {}
    for n in names:
        with open(os.path.join(box, n), "rb") as f:
            subj[n] = f.read().split(b"Subject: ")[1].split(b"\r\n")[0].decode()
    rnd = random.Random(6420)
    uids = list(range(1, N + 1))
    rnd.shuffle(uids)
    files = {n: {"uid": uids[k], "flags": bits_of(k)} for k, n in enumerate(names)}
    # 14 files given the UID of another
    for k in range(14):
        files[names[2 * k + 1]]["uid"] = files[names[2 * k]]["uid"]
    # 20 files no record names (written by mkbig, their records dropped)
    unindexed = names[-20:]
    records = []
    for n in names:
        if n in unindexed:
            continue
        f = files[n]
        records.append(md.mrk_record(n, f["flags"], f["uid"],
                                     os.path.getsize(os.path.join(box, n)), 1100000000))
    # a size that differs; a second record for 12 files; stale; not .msg
    records[5] = md.mrk_record(names[5], files[names[5]]["flags"], files[names[5]]["uid"],
                               1, 1100000000)
    for k in range(25):
        records.append(md.mrk_record("md9stale%04d.msg" % k, 0, 800000 + k, 1, 1100000000))
    records.append(md.mrk_record("notes.txt", 0, 700000, 1, 1100000000))
    # a file whose record names it in another case
    write(os.path.join(box, "MDCASE.MSG"), msg("case"))
    records.append(md.mrk_record("mdcase.msg", md.FLAGGED, N + 5, len(msg("case")),
                                 1100000000))
    rnd.shuffle(records)
    # a second record for 12 files, after the others: the first one is used
    for k in range(12):
        records.append(md.mrk_record(names[100 + k], 0, 900000 + k, 1, 1100000000))
    write(os.path.join(box, "IMAP.MRK"), md.mrk_header(1234567, N + 10) + b"".join(records))
    os.symlink("/etc/passwd", os.path.join(box, "mdlink.msg"))
    os.mkdir(os.path.join(box, "mddir.msg"))
    # INBOX's second directory, with its own index
    ib = os.path.join(box, "Inbox.IMAP")
    os.mkdir(ib)
    recs = []
    for k in range(30):
        n = "mdib%04d.msg" % k
        write(os.path.join(ib, n), msg("inbox2 %d" % k))
        recs.append(md.mrk_record(n, md.SEEN, 100 - k, len(msg("inbox2 %d" % k)), 1100000000))
    write(os.path.join(ib, "IMAP.MRK"), md.mrk_header(555, 200) + b"".join(recs))
    # a folder without an index
    sub = os.path.join(box, "Sub.IMAP")
    os.mkdir(sub)
    for k in range(1500):
        write(os.path.join(sub, "mds%05d.msg" % ((k * 7919) % 1500)), msg("sub %d" % k))

    # the order expected: by UID (a UID twice: by name), then no record, by name
    name_of = dict((n, subj[n]) for n in names)
    name_of["MDCASE.MSG"] = "case"
    files["MDCASE.MSG"] = {"uid": N + 5, "flags": md.FLAGGED}
    indexed = sorted((files[n]["uid"], n) for n in name_of if n not in unindexed)
    want = [(name_of[n], files[n]["flags"]) for _, n in indexed]
    want += [(name_of[n], None) for n in sorted(unindexed)]
    want += [("inbox2 %d" % k, md.SEEN) for k in reversed(range(30))]
    sub_want = sorted(((k * 7919) % 1500, k) for k in range(1500))
    return src, {"INBOX": want, "Sub": [("sub %d" % k, None) for _, k in sub_want]}


def export(src, out, mem=None, tmpdir=None):
    """export src to mbox in out (through one path, which the manifest names)"""
    env = dict(os.environ)
    env.pop("MDEXPORT_INDEX_MEM", None)
    if mem:
        env["MDEXPORT_INDEX_MEM"] = mem
    if tmpdir:
        env["TMPDIR"] = tmpdir
    tmp = os.path.join(work, "out")
    p = subprocess.run([e2e.MDEXPORT, "export", src, "--format", "mbox", "-o", tmp,
                        "--jobs", "1"], capture_output=True, env=env)
    if os.path.exists(tmp):
        os.rename(tmp, out)
    # the report's elapsed times are the only part that may differ
    # issue 16: the summaries and table are on stdout; read after the warnings
    text = (p.stderr + p.stdout).decode("utf-8", "replace")
    lines = [re.sub(r"\b[0-9.]+s\b", "-", ln) for ln in text.splitlines()]
    return p.returncode, lines, text


def mbox_path(out, folder):
    for dirpath, _, fs in os.walk(out):
        for f in fs:
            if f == folder + ".mbox":
                return os.path.join(dirpath, f)
    return None


src, want = build()
base = os.path.join(work, "mem")
rc0, err0, raw0 = export(src, base)
# the directory named .msg is an error: exit status 1, every message exported
tap.eq(rc0, 1, "the default export: exit status 1 (one unreadable item)")
tap.ok(any("exported %d messages" % sum(len(v) for v in want.values()) in ln for ln in err0),
       "every message exported")
tap.ok(any("is not a regular file" in ln for ln in err0), "the directory named .msg is an error")
for needle in ("more records like this (the file is missing; skipped)",
               "more files given the UID of the file before them",
               "twice (UID", "which is not a .msg file", "IMAP.MRK says 1 bytes",
               "is a symbolic link; not followed", "Sub.IMAP' has no IMAP.MRK"):
    tap.ok(any(needle in ln for ln in err0), "warned: %s" % needle)
for mem in ("4096", "16384"):
    out = os.path.join(work, "spill" + mem)
    rc, err, raw = export(src, out, mem)
    tap.eq(rc, rc0, "%s bytes: the same exit status" % mem)
    tap.eq(err, err0, "%s bytes: the same stderr, line for line" % mem)
    tap.ok(e2e.tree_bytes(out) == e2e.tree_bytes(base),
           "%s bytes: output byte-identical to the in-memory run" % mem)
    if mem == "4096":
        for folder, exp in sorted(want.items()):
            path = mbox_path(out, folder)
            got = [(m["Subject"], m.get_flags())
                   for m in mailbox.mbox(path, create=False)] if path else []
            tap.eq([s for s, _ in got], [s for s, _ in exp],
                   "%s: %d messages, by UID (twice: by name), then no record by name"
                   % (folder, len(exp)))
            bad = []
            for (s, fl), (_, bits) in zip(got, exp):
                letters = set(MBOX_LETTER[b] for b in FLAG_BITS if bits and bits & b)
                if set(fl) - {"O"} != letters:
                    bad.append((s, fl, bits))
            tap.eq(bad[:5], [], "%s: each message's flags from its record" % folder)
    shutil.rmtree(out, ignore_errors=True)

# the spill is real: without a place for its temporary file it fails
rc3, _, err3 = export(src, os.path.join(work, "notmp"), "4096",
                      os.path.join(work, "no-such-dir"))
rc4, _, err4 = export(src, os.path.join(work, "notmp-mem"), None,
                      os.path.join(work, "no-such-dir"))
tap.ok(rc3 != 0 and "temporary file of a folder's index" in err3 and "no-such-dir" in err3,
       "a 4 KiB budget needs $TMPDIR (it spills)", err3[-400:])
tap.eq(rc4, rc0, "the default budget does not (all in memory)")
e2e.remove_work(work)
tap.done()
