#!/usr/bin/env python3
"""End-to-end: export --incremental, migration rounds (issue 13).

A Maildir SOURCE with Dovecot UID lists (so every message has a folder,
UIDVALIDITY and UID, as an MDaemon folder has) is exported, then changed as
a live mailbox changes between rounds, then exported again with
--incremental, in every format:
  - new messages in an existing folder and in a new folder;
  - a message whose flags changed (Maildir: its file renamed, the others:
    recorded in the manifest as written_flags);
  - a message removed from the source (kept in the output, recorded);
  - a folder renamed (same UIDVALIDITY and UIDs under another name: nothing
    exported again);
  - a folder with a new UIDVALIDITY (exported again in full, a warning).
Checked with readers this project did not write (Python's mailbox, readpst):
the round adds exactly the new messages, each once, and nothing else; the
summary, the report JSON and the round's own manifest record say what
changed; `verify` passes on all rounds together; a third round with no
change adds nothing and leaves every output byte as it was; --dry-run
--incremental says what a round would add and writes nothing; --prune
removes the removed message's file (Maildir, EML).
Then the crash guarantee: round 2 killed at chosen output calls (the fault
build's MDX_FAULT=kill:N: every stage, and calls spread over the round's
join to the earlier output) and run again gives exactly the bytes of an
uninterrupted round 2.
Also: round 2 of an MDaemon store whose first round was filtered
(--until, --exclude-folder) adds exactly what the filter left out.
"""

import collections
import email
import email.policy
import json
import mailbox
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import outfaults as of  # noqa: E402

tap = e2e.Tap("rounds")
work = e2e.tmpdir("rounds")
SRC = os.path.join(work, "bea")
BOX = os.path.join("localhost", "bea")
FORMATS = ("mbox", "maildir", "eml", "pst")
T0 = 1700000000


def message(folder, i):
    mid = "<%s-%d@rounds.example>" % (folder.lower(), i)
    body = ("Subject: %s message %d\nFrom: a@rounds.example\nTo: bea@rounds.example\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: %s\n\n"
            "Body of %s %d.\n" % (folder, i, mid, folder, i))
    return mid, body.encode()


def folder_dir(folder):
    return SRC if folder == "INBOX" else os.path.join(SRC, "." + folder)


def write_folder(folder, uidvalidity, msgs):
    """msgs: [(uid, i, flags)]: the folder's files and its dovecot-uidlist (v3)."""
    d = folder_dir(folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name in os.listdir(os.path.join(d, "cur")):
        os.unlink(os.path.join(d, "cur", name))
    lines = []
    for uid, i, flags in msgs:
        base = "%d.M%dP1.host" % (T0 + i, i)
        _mid, data = message(folder, i)
        path = os.path.join(d, "cur", "%s:2,%s" % (base, flags))
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (T0 + i * 60, T0 + i * 60))
        lines.append("%d :%s\n" % (uid, base))
    nxt = max([u for u, _i, _f in msgs] + [0]) + 1
    with open(os.path.join(d, "dovecot-uidlist"), "w") as f:
        f.write("3 V%d N%d G0123456789abcdef0123456789abcdef\n" % (uidvalidity, nxt))
        f.writelines(lines)


def round1_source():
    shutil.rmtree(SRC, ignore_errors=True)
    write_folder("INBOX", 1001, [(1, 1, ""), (2, 2, "S"), (3, 3, "S"), (4, 4, "")])
    write_folder("Work", 1002, [(1, 11, "S"), (2, 12, ""), (3, 13, "F")])
    write_folder("Old", 1003, [(1, 21, "S"), (2, 22, "S")])
    write_folder("Trash", 1004, [(1, 31, ""), (2, 32, "")])


def round2_changes():
    """What changed in the source between round 1 and round 2."""
    # INBOX: 1 flagged \\Seen now, 2 removed, 5 and 6 new
    write_folder("INBOX", 1001, [(1, 1, "S"), (3, 3, "S"), (4, 4, ""), (5, 5, ""), (6, 6, "F")])
    write_folder("New", 1005, [(1, 41, ""), (2, 42, "")])           # a new folder
    os.rename(folder_dir("Old"), folder_dir("Archive"))              # renamed
    write_folder("Trash", 2004, [(1, 31, ""), (2, 32, "")])          # a new UIDVALIDITY


def export(fmt, out, *extra, binary=None, fault=None):
    """an export into out, run from out's parent with -o its name (the manifest records the
    command: two runs into two copies must record the same)"""
    env = dict(os.environ, TZ="UTC")
    env.pop("MDX_FAULT", None)
    if fault:
        env["MDX_FAULT"] = fault
    p = subprocess.run([binary or e2e.MDEXPORT, "export", "maildir:" + SRC, "-f", fmt, "-o",
                        os.path.basename(out), "-j", "1", "--progress", "never"] + list(extra),
                       capture_output=True, env=env, cwd=os.path.dirname(out))
    # issue 16: the summaries are on stdout; read with the warnings (stderr, then stdout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            (p.stderr + p.stdout).decode("utf-8", "replace"))


def msg_id(data):
    m = email.message_from_bytes(data, policy=email.policy.compat32)
    return " ".join(str(m.get("Message-ID", "")).split())


def read_output(fmt, out):
    """Counter of (output folder, Message-ID), and {Message-ID: flags letters} (Maildir)."""
    top = os.path.join(out, BOX)
    got, flags = collections.Counter(), {}
    if fmt == "mbox":
        for dirpath, _d, files in os.walk(top):
            for f in files:
                if f.endswith(".mbox"):
                    folder = os.path.relpath(os.path.join(dirpath, f[:-5]), top)
                    box = mailbox.mbox(os.path.join(dirpath, f), create=False)
                    for key in box.iterkeys():
                        got[(folder, msg_id(box.get_bytes(key)))] += 1
                    box.close()
    elif fmt == "eml":
        for dirpath, _d, files in os.walk(top):
            for f in files:
                if f.endswith(".eml"):
                    got[(os.path.relpath(dirpath, top), msg_id(e2e.read(os.path.join(dirpath, f))))] += 1
    elif fmt == "maildir":
        for name in [""] + sorted(n for n in os.listdir(top) if n.startswith(".")):
            folder = name[1:] if name else "INBOX"
            for f in os.listdir(os.path.join(top, name, "cur")):
                mid = msg_id(e2e.read(os.path.join(top, name, "cur", f)))
                got[(folder, mid)] += 1
                flags[mid] = f.rpartition(":2,")[2]
    else:
        for pst in sorted(p for p in os.listdir(os.path.dirname(top))
                          if p.startswith("bea") and p.endswith(".pst")):
            rp = e2e.tmpdir("rounds-readpst")
            subprocess.run(["readpst", "-q", "-D", "-r", "-j", "0", "-o", rp,
                            os.path.join(os.path.dirname(top), pst)], capture_output=True)
            for dirpath, _d, files in os.walk(rp):
                if "mbox" in files:
                    folder = "/".join(os.path.relpath(dirpath, rp).split(os.sep)[1:])
                    box = mailbox.mbox(os.path.join(dirpath, "mbox"), create=False)
                    for key in box.iterkeys():
                        got[(folder, msg_id(box.get_bytes(key)))] += 1
                    box.close()
            e2e.remove_work(rp)
    return got, flags


def ids(folder, *nums):
    return [(folder, "<%s-%d@rounds.example>" % (folder.lower(), i)) for i in nums]


def folder_key(fmt, folder):
    return {"INBOX": "Inbox"}.get(folder, folder) if fmt == "pst" else folder


def want_after_round2(fmt):
    want = collections.Counter()
    for f, mid in (ids("INBOX", 1, 2, 3, 4, 5, 6) + ids("Work", 11, 12, 13) + ids("Old", 21, 22) +
                   ids("New", 41, 42) + ids("Trash", 31, 32) + ids("Trash", 31, 32)):
        want[(folder_key(fmt, f), mid)] += 1
    return want


def round_line(err):
    m = re.search(r"round (\d+): (\d+) new; already exported: (\d+) unchanged, (\d+) with changed "
                  r"flags \([^)]*\); removed from the source: (\d+)[^;]*; folders renamed: (\d+); "
                  r"folders with a new UIDVALIDITY \(exported again\): (\d+)", err)
    return tuple(int(x) for x in m.groups()) if m else None


def manifest_lines(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def verify(out):
    p = subprocess.run([e2e.MDEXPORT, "verify", "maildir:" + SRC, out, "-j", "1", "--progress",
                        "never"], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def check_round2(fmt, out, rc, err, report, report_path):
    line = round_line(err)
    # new: INBOX 5, 6; New 41, 42; Trash 31, 32 again.  Unchanged: INBOX 3, 4; Work 3;
    # Old (now Archive) 2.  Flags: INBOX 1.  Removed: INBOX 2.  One rename, one reindex.
    tap.ok(rc == 0 and line == (2, 6, 7, 1, 1, 1, 1),
           "%s: round 2 exit 0; the summary says 6 new, 7 unchanged, 1 flags changed, 1 removed, "
           "1 folder renamed, 1 new UIDVALIDITY" % fmt, "exit %d; %r\n%s" % (rc, line, err[-1500:]))
    tap.ok("has a new UIDVALIDITY (2004; it was 1004)" in err and "folder 'Archive' was 'Old'" in err,
           "%s: the new UIDVALIDITY is a warning naming the folder, the rename is named" % fmt,
           err[-1500:])
    got, flags = read_output(fmt, out)
    want = want_after_round2(fmt)
    tap.ok(got == want, "%s: the output holds every earlier message once, the new ones once, the "
           "removed one still (read by %s)" % (fmt, "readpst" if fmt == "pst" else "Python's mailbox"),
           "missing %s\nextra %s" % (sorted((want - got).items()), sorted((got - want).items())))
    if fmt == "maildir":
        tap.ok(flags.get("<inbox-1@rounds.example>") == "S",
               "maildir: the message whose flags changed has them in its file name now", repr(flags))
    rows = {r["mailbox"]: r for r in report["mailboxes"]}
    inc = rows.get("bea@localhost", {}).get("incremental")
    tap.eq(inc, {"round": 2, "unchanged": 7, "flags_changed": 1, "removed": 1, "pruned": 0,
                 "folders_renamed": 1, "uidvalidity_changed": 1},
           "%s: the report's incremental counts say the same" % fmt)
    merged = subprocess.run([e2e.MDEXPORT, "report", report_path, "--json"], capture_output=True,
                            text=True)
    mrows = json.loads(merged.stdout)["mailboxes"] if merged.returncode == 0 else []
    tap.ok(mrows and mrows[0].get("incremental") == inc,
           "%s: `mdexport report` carries the incremental counts over" % fmt,
           merged.stdout[-600:] + merged.stderr[-600:])
    rec = manifest_lines(os.path.join(out, "localhost", "bea.round-002.jsonl"))
    by = collections.Counter((x.get("status"), x.get("reason")) for x in rec[1:])
    changed = [x for x in rec[1:] if x.get("written_flags") is not None or
               (x.get("source", "").endswith(":2,S") and "inbox" in (x.get("message_id") or ""))]
    tap.ok(rec[0].get("round") == 2 and by[("exported", None)] == 9 and
           by[("skipped", "removed")] == 3 and len(rec) == 13 and
           sum(1 for x in rec[1:] if x.get("folder") == "Archive") == 2,
           "%s: round 2's own record: its run line (round 2), the 6 new, the changed-flags one, the "
           "2 of the renamed folder (under its new name), the removed one and the 2 earlier "
           "copies of the re-indexed folder" % fmt,
           "%r %r" % (rec[0].get("round"), by))
    if fmt != "maildir":
        tap.ok(any(x.get("written_flags") == [] and x.get("flags") == ["\\Seen"] for x in changed),
               "%s: the change of flags is recorded (flags \\Seen, written_flags [] as the output "
               "holds it)" % fmt, json.dumps(changed)[:800])
    vrc, vout = verify(out)
    tap.ok(vrc == 0 and "everything verifies" in vout, "%s: verify passes on both rounds together"
           % fmt, vout[-1500:])


def one_format(fmt):
    round1_source()
    out = os.path.join(work, "out-" + fmt)
    rc, _o, err = export(fmt, out)
    tap.ok(rc == 0, "%s: round 1 exit 0" % fmt, err[-800:])
    base = os.path.join(work, "base-" + fmt)
    shutil.copytree(out, base, symlinks=True)
    round2_changes()
    rep = os.path.join(work, "report-%s.json" % fmt)
    rc, _o, err = export(fmt, out, "--incremental", "--report", rep)
    with open(rep) as f:
        report = json.load(f)
    check_round2(fmt, out, rc, err, report, rep)
    after2 = of.tree(out)
    # round 3, nothing changed: nothing added, no output byte changed
    rc, _o, err = export(fmt, out, "--incremental")
    line = round_line(err)
    d = e2e.tree_diff(after2, of.tree(out))
    tap.ok(rc == 0 and line == (3, 0, 14, 0, 0, 0, 0) and not d and
           "round 3: nothing changed since round 2: nothing written" in err and
           not os.path.exists(os.path.join(out, "localhost", "bea.round-003.jsonl")),
           "%s: round 3 with no change: 0 new, 14 unchanged, not one byte written (no record of "
           "an idle round)" % fmt,
           "exit %d %r\n%s" % (rc, line, "\n".join(d[:10])))
    # a dry run says what a round would add, and writes nothing
    write_folder("Work", 1002, [(1, 11, "S"), (2, 12, ""), (3, 13, "F"), (4, 14, "")])
    before = of.tree(out)
    rc, _o, err = export(fmt, out, "--incremental", "--dry-run")
    line = round_line(err)
    tap.ok(rc == 0 and line and line[:3] == (3, 1, 14) and not e2e.tree_diff(before, of.tree(out)),
           "%s: --dry-run --incremental says 1 new and writes nothing" % fmt,
           "exit %d %r\n%s" % (rc, line, err[-800:]))
    if fmt in ("maildir", "eml"):
        rc, _o, err = export(fmt, out, "--incremental", "--prune")
        got, _f = read_output(fmt, out)
        gone = ("INBOX", "<inbox-2@rounds.example>")
        cum = manifest_lines(os.path.join(out, "localhost", "bea.manifest.jsonl"))
        vrc, vout = verify(out)
        tap.ok(rc == 0 and gone not in got and got[("Work", "<work-14@rounds.example>")] == 1 and
               not any(x.get("message_id") == "<inbox-2@rounds.example>" for x in cum[1:]) and
               vrc == 0, "%s: --prune: the removed message's file and line are gone, the new one "
               "added, verify passes" % fmt, "exit %d %d\n%s\n%s" % (rc, vrc, err[-800:], vout[-800:]))
    if fmt == "pst":
        m365_rounds()
    return base


def m365_rounds():
    """--m365-mapping over rounds: each round's file names only the PSTs that round wrote."""
    import csv
    round1_source()
    out = os.path.join(work, "m365-pst")
    names = []
    for r in (1, 2, 3):
        if r == 2:
            round2_changes()
        mapping = os.path.join(work, "m365-%d.csv" % r)
        extra = ["--incremental"] if r > 1 else []
        rc, _o, err = export("pst", out, *extra, "--m365-mapping", mapping)
        rows = list(csv.DictReader(open(mapping, newline=""))) if os.path.exists(mapping) else None
        names.append((rc, rows and [x["Name"] for x in rows]))
    tap.eq(names, [(0, ["bea.pst"]), (0, ["bea.round-002.pst"]), (0, [])],
           "pst: --m365-mapping lists each round's own PST only (round 3, with nothing new: "
           "no file to import: a mapping of no rows)")


def kill_round2(fmt, base, faulty):
    """Round 2 killed at chosen calls, then run again: the uninterrupted round's bytes."""
    round1_source()
    round2_changes()
    clean_dir = os.path.join(work, "clean2-" + fmt, "out")
    shutil.rmtree(os.path.dirname(clean_dir), ignore_errors=True)
    shutil.copytree(base, clean_dir, symlinks=True)
    rc, _o, err = export(fmt, clean_dir, "--incremental", binary=faulty, fault="count")
    calls, total = of.trace(err)
    if not tap.ok(rc == 0 and calls, "%s: round 2 by the fault build, its output calls traced"
                  % fmt, err[-800:]):
        return
    clean = of.tree(clean_dir)
    pts = of.points(calls)
    join = [n for n, op, p in calls if "merge.plan" in p]
    start = join[0] if join else total // 2
    for n in range(start, total + 1, max(1, (total - start) // 12)):
        pts.setdefault(n, "call %d, while the round is joined to the earlier output" % n)
    bad = []
    for n, what in sorted(pts.items()):
        case = os.path.join(work, "kill-%s" % fmt, "out")
        shutil.rmtree(os.path.dirname(case), ignore_errors=True)
        shutil.copytree(base, case, symlinks=True)
        krc, _o, _e = export(fmt, case, "--incremental", binary=faulty, fault="kill:%d" % n)
        rrc, _o, rerr = export(fmt, case, "--incremental")
        d = e2e.tree_diff(clean, of.tree(case))
        left = of.partial_left(case)
        if rrc != 0 or d or left:
            bad.append("kill at %d (%s; exit %d): re-run exit %d, left %s\n%s\n%s" %
                       (n, what, krc, rrc, left, "\n".join(d[:5]), rerr[-400:]))
    tap.ok(not bad, "%s: round 2 killed at %d chosen calls and run again gives the uninterrupted "
           "round's bytes, nothing left in DIR/.mdexport" % (fmt, len(pts)), "\n".join(bad[:5]))
    # the same calls failing with ENOSPC: the mailbox fails (exit 2, named), and a run again
    # gives the uninterrupted round's bytes
    bad = []
    for n, what in sorted(pts.items()):
        case = os.path.join(work, "enospc-%s" % fmt, "out")
        shutil.rmtree(os.path.dirname(case), ignore_errors=True)
        shutil.copytree(base, case, symlinks=True)
        frc, _o, ferr = export(fmt, case, "--incremental", binary=faulty,
                               fault="write:%d:ENOSPC" % n)
        rrc, _o, rerr = export(fmt, case, "--incremental")
        d = e2e.tree_diff(clean, of.tree(case))
        named = "FAILED" in ferr or "No space left on device" in ferr
        if frc not in (0, 2) or (frc == 2 and not named) or rrc != 0 or d or \
           of.partial_left(case):
            bad.append("ENOSPC at %d (%s): exit %d, re-run exit %d\n%s\n%s\n%s" %
                       (n, what, frc, rrc, "\n".join(d[:5]), ferr[-400:], rerr[-400:]))
    tap.ok(not bad, "%s: round 2 with ENOSPC at the same %d calls: the mailbox fails alone, a run "
           "again gives the uninterrupted round's bytes" % (fmt, len(pts)), "\n".join(bad[:5]))
    # with threads: the same bytes as -j 1
    case = os.path.join(work, "threads-%s" % fmt, "out")
    shutil.rmtree(os.path.dirname(case), ignore_errors=True)
    shutil.copytree(base, case, symlinks=True)
    rc, _o, err = export(fmt, case, "--incremental", "-j", "4")
    d = e2e.tree_diff(clean, of.tree(case))
    tap.ok(rc == 0 and not d, "%s: round 2 with -j 4 writes the bytes -j 1 writes" % fmt,
           "exit %d\n%s\n%s" % (rc, "\n".join(d[:5]), err[-600:]))


def mdaemon_filtered_first_round():
    """Round 1 filtered, round 2 without: together what one full export gives."""
    store = os.path.join(e2e.ROOT, "fixtures", "store")
    full = os.path.join(work, "md-full")
    rounds = os.path.join(work, "md-rounds")
    base = ["export", store, "-f", "mbox", "-j", "1", "--progress", "never"]
    e2e.run(base + ["-o", full])
    rc1, _o, err1 = e2e.run(base + ["-o", rounds, "--until", "2003-06-30",
                                    "--exclude-folder", "Wide"])
    rc2, _o, err2 = e2e.run(base + ["-o", rounds, "--incremental"])
    got = read_tree_ids(rounds)
    want = read_tree_ids(full)
    tap.ok(rc1 == 0 and rc2 == 0 and got == want and sum(want.values()) > 0,
           "mdaemon: a first round filtered (--until, --exclude-folder), a second without: every "
           "message once, as one full export has them (%d)" % sum(want.values()),
           "exit %d %d\nmissing %s\nextra %s\n%s" % (rc1, rc2, sorted((want - got).items())[:5],
                                                   sorted((got - want).items())[:5], err2[-800:]))
    vrc, vout = e2e.run(["verify", store, rounds, "-j", "1"])[:2]
    tap.ok(vrc == 0, "mdaemon: verify passes on both rounds", vout[-800:])


def read_tree_ids(top):
    got = collections.Counter()
    for dirpath, _d, files in os.walk(top):
        for f in files:
            if f.endswith(".mbox"):
                box = mailbox.mbox(os.path.join(dirpath, f), create=False)
                for key in box.iterkeys():
                    data = box.get_bytes(key)
                    got[(os.path.relpath(os.path.join(dirpath, f), top), e2e.sha256(data))] += 1
                box.close()
    return got


def unindexed_rounds():
    """Without index records (no dovecot-uidlist): messages are known by folder and
    SHA-256; the same bytes twice in a folder are two messages."""
    round1_source()
    for folder in ("INBOX", "Work", "Old", "Trash"):
        os.unlink(os.path.join(folder_dir(folder), "dovecot-uidlist"))
    twin = os.path.join(folder_dir("Work"), "cur")
    first = sorted(os.listdir(twin))[0]
    shutil.copy2(os.path.join(twin, first), os.path.join(twin, "1700000099.M99P1.host:2,"))
    out = os.path.join(work, "unindexed-mbox")
    rc1, _o, err1 = export("mbox", out)
    _mid, data = message("Work", 15)
    new = os.path.join(twin, "1700000100.M100P1.host:2,")
    with open(new, "wb") as f:
        f.write(data)
    shutil.copy2(os.path.join(twin, first), os.path.join(twin, "1700000101.M101P1.host:2,"))
    rc2, _o, err2 = export("mbox", out, "--incremental")
    got, _f = read_output("mbox", out)
    vrc, vout = verify(out)
    tap.ok(rc1 == 0 and rc2 == 0 and round_line(err2)[:3] == (2, 2, 12) and
           got[("Work", "<work-15@rounds.example>")] == 1 and
           got[("Work", "<work-11@rounds.example>")] == 3 and vrc == 0,
           "without index records: a round adds the new message and a third copy of a message "
           "already there twice, nothing else (by folder and SHA-256); verify passes",
           "exit %d %d %r\n%s\n%s" % (rc1, rc2, round_line(err2), err2[-800:], vout[-600:]))


def refusals():
    """A round of another format is refused (its manifest named); usage errors."""
    out = os.path.join(work, "out-mbox")
    before = of.tree(out)
    rc, _o, err = export("eml", out, "--incremental")
    tap.ok(rc == 2 and "the earlier rounds are mbox, not eml" in err and
           "bea.manifest.jsonl" in err and not e2e.tree_diff(before, of.tree(out)),
           "a round of another format (eml onto mbox) fails the mailbox, names the manifest, "
           "touches nothing", "exit %d\n%s" % (rc, err[-800:]))
    for args, what in ((["-o", out, "--prune"], "--prune goes with --incremental"),
                       (["--dry-run", "--incremental"], "--output is required with --incremental")):
        rc, _o, err = e2e.run(["export", "maildir:" + SRC, "-f", "mbox"] + args)
        tap.ok(rc == 2 and what in err, "usage: %s (exit 2)" % what, err[-600:])


bases = {fmt: one_format(fmt) for fmt in FORMATS}
refusals()
unindexed_rounds()
FAULTY = of.faulty_binary(tap)
if FAULTY:
    for fmt in FORMATS:
        kill_round2(fmt, bases[fmt], FAULTY)
mdaemon_filtered_first_round()
e2e.remove_work(work)
tap.done()
