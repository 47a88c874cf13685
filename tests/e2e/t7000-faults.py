#!/usr/bin/env python3
"""End-to-end: output faults (issue 5): a full disk (ENOSPC) and write errors
(EIO) at many points of a run, for every format.

Through the fault hook of the test build (MDEXPORT_FAULTY, built with
-DMDX_FAULT_INJECTION, see formats/core/sysio.h): a clean run with
MDX_FAULT=count lists every output call (write, pwrite, fsync, syncfs,
ftruncate, futimens, open, mkdir, rename, exchange); then the Nth call is
failed (MDX_FAULT=write:N:ENOSPC or EIO) at points spread over the run: the
first call, staging, data, the manifest's temporary file and .partial, fsync,
futimens, syncfs, the commit's exchange/rename, a manifest's rename, the PST's
ftruncate and header, the middle and the last call.  Each time:
  - exit status 2, and exactly one `mdexport:` line with the reason, naming
    the file the failed call was about;
  - nothing outside .partial names that is not exactly what the clean run
    wrote (a mailbox's output or manifest is absent or complete), and no
    .partial left (the failed mailbox is rolled back);
  - a re-run without the fault gives the clean run's tree, byte for byte.
The same over a complete earlier export (a failed re-run must leave it
intact), with a disk that stays full (write:N+:ENOSPC), and with --report.
All of it with -j 1, then again with -j 4 on one mailbox (-u
alice@example.com; to PST it is read ahead by its own threads): its output
calls are all made by one thread, so the Nth call is the same call every run).

Then a real size-limited file system: a tmpfs smaller than the export
(`mount -t tmpfs -o size=`), enlarged with `mount -o remount,size=` for the
re-run.  Where mounting is refused that part is a TAP SKIP with the reason."""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import outfaults as of  # noqa: E402

ERRNOS = ("ENOSPC", "EIO")
tap = e2e.Tap("faults")
work, cleanup = of.scratch("faults")
FAULTY = of.faulty_binary(tap)
STORE = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))


def jobs_label():
    return "" if of.JOBS == ["-j", "1"] else " (%s)" % " ".join(of.JOBS)


def expected_path(op, path):
    """(quoted form the message must contain, whether a prefix is enough):
    an unnamed temporary file is named by its directory."""
    if path.endswith(" (deleted)"):
        return "'%s/" % os.path.dirname(path), True
    if path.endswith("/."):     # an O_TMPFILE open of a directory: named by that directory
        return "'%s'" % path[:-2], False
    return "'%s'" % path, False


def message_ok(err, op, path, reason, sticky=False):
    """The one `mdexport:` line with the reason names the file."""
    hits = [ln for ln in err.splitlines() if ln.startswith("mdexport:") and reason in ln]
    want, _prefix = expected_path(op, path)
    if not hits or (not sticky and len(hits) != 1):
        return False, "%d lines with %r" % (len(hits), reason)
    if want not in hits[0]:
        return False, "%r does not name %s" % (hits[0], want)
    return True, hits[0]


def fault_case(fmt, clean, n, what, op, path, errname, over):
    """One fault at call n, checked, then the re-run."""
    case = os.path.join(work, "case-%s" % fmt)
    if over:
        of.copy_output(os.path.join(work, "clean-" + fmt), case)
    else:
        of.fresh(case)
    label = "%s%s: %s at call %d (%s %s, %s)%s" % (
        fmt, jobs_label(), errname, n, op, path, what, " over a complete export" if over else "")
    rc, err = of.run(FAULTY, case, of.export_args(STORE, fmt), "write:%d:%s" % (n, errname))
    good, detail = message_ok(err, op, path, of.REASON[errname])
    before_any = path == "out"      # DIR itself: the run stops before the first mailbox
    tap.ok(rc == 2 and good and ("1 mailbox failed" in err or before_any),
           label + ": exit 2, one message naming the file and the reason",
           "exit %d: %s\n%s" % (rc, detail, err[-1500:]))
    got = of.tree(os.path.join(case, "out"))
    probs = of.incomplete(got, clean)
    if over:    # the previous complete export survives (a manifest whose own rename failed is removed)
        gone = sorted(u for u in set(of.units(clean)) - set(of.units(got))
                      if not (op == "rename" and of.is_manifest(path) and u.endswith(".manifest.jsonl")))
        probs += ["%s: the previous complete output is gone" % u for u in gone]
    left = of.partial_left(os.path.join(case, "out"))
    tap.ok(not probs and not left, label + ": no incomplete file outside .partial names, "
           "no .partial left" + (", the previous export intact" if over else ""),
           "\n".join(probs + ["left: %s" % left]))
    rc, err = of.run(FAULTY, case, of.export_args(STORE, fmt))
    d = of.diff(of.tree(os.path.join(case, "out")), clean)
    tap.ok(rc == 0 and not d, label + ": the re-run gives the clean run's files, byte for byte",
           "exit %d\n%s\n%s" % (rc, "\n".join(d[:10]), err[-800:]))


def clean_run(fmt):
    """The clean export (counted) and the call traces: fresh and over it."""
    case, calls, clean = of.clean_runs(tap, FAULTY, work, STORE, fmt)
    over = os.path.join(work, "over-" + fmt)
    of.copy_output(case, over)
    over_calls = of.count_run(tap, FAULTY, over, of.export_args(STORE, fmt),
                              fmt + ": clean re-run over a complete export")
    return clean, calls, over_calls


def sticky_case(fmt, clean, calls):
    """A disk that stays full from the middle of the run on."""
    case = of.fresh(os.path.join(work, "case-%s" % fmt))
    n = len(calls) // 2
    rc, err = of.run(FAULTY, case, of.export_args(STORE, fmt), "write:%d+:ENOSPC" % n)
    probs = of.incomplete(of.tree(os.path.join(case, "out")), clean)
    left = of.partial_left(os.path.join(case, "out"))
    tap.ok(rc == 2 and of.REASON["ENOSPC"] in err and not probs and not left,
           "%s%s: ENOSPC from call %d on (the disk stays full): exit 2, every mailbox from there "
           "fails, nothing incomplete outside .partial names" % (fmt, jobs_label(), n),
           "exit %d; %s; left %s\n%s" % (rc, probs, left, err[-1500:]))
    rc, err = of.run(FAULTY, case, of.export_args(STORE, fmt))
    d = of.diff(of.tree(os.path.join(case, "out")), clean)
    tap.ok(rc == 0 and not d, "%s%s: after the disk is freed the re-run gives the clean run's "
           "files" % (fmt, jobs_label()), "exit %d\n%s" % (rc, "\n".join(d[:10])))


def report_case():
    """--report FILE that cannot be written (it is written last)."""
    case = of.fresh(os.path.join(work, "report"))
    args = of.export_args(STORE, "mbox", ["--report", "report.json"])
    calls = of.count_run(tap, FAULTY, case, args, "mbox --report: clean run")
    if not calls:
        return
    # the report is written to a temporary name beside FILE, then renamed over it
    n = max(c[0] for c in calls if "report.json" in os.path.basename(c[2]) and c[1] == "write")
    case = of.fresh(case)
    rc, err = of.run(FAULTY, case, args, "write:%d:EIO" % n)
    good, detail = message_ok(err, "write", "report.json", of.REASON["EIO"])
    left = [f for f in os.listdir(case) if "report.json" in f]
    tap.ok(rc == 2 and good and not left,
           "--report FILE whose write fails: exit 2, the message names it, no cut report "
           "and no temporary file left", "exit %d: %s; left: %s\n%s" % (rc, detail, left, err[-1000:]))


def tree_kb(top):
    total = 0
    for dirpath, dirs, files in os.walk(top):
        for n in dirs + files:
            total += os.lstat(os.path.join(dirpath, n)).st_blocks * 512
    return total // 1024


def skip(what, why):
    tap.n += 1
    print("ok %d # SKIP %s: %s" % (tap.n, what, why), flush=True)


def tmpfs_case(fmt, clean):
    """A real tmpfs too small for the export, then enlarged."""
    mnt = of.fresh(os.path.join(work, "tmpfs-" + fmt))
    need = tree_kb(os.path.join(work, "clean-" + fmt, "out"))
    small = max(64, need // 2)
    what = "%s on a %d KiB tmpfs (the export needs %d KiB)" % (fmt, small, need)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0755" % small, "mdx-t7000", mnt],
                       capture_output=True, text=True)
    if m.returncode != 0:
        skip(what, "mount refused: %s" % (m.stderr.strip() or "exit %d" % m.returncode))
        return
    try:
        rc, err = of.run(e2e.MDEXPORT, mnt, of.export_args(STORE, fmt))
        hits = [ln for ln in err.splitlines() if ln.startswith("mdexport:") and of.REASON["ENOSPC"] in ln]
        named = hits and "'out/" in hits[0]
        probs = of.incomplete(of.tree(os.path.join(mnt, "out")), clean)
        left = of.partial_left(os.path.join(mnt, "out"))
        tap.ok(rc == 2 and named and not probs and not left,
               what + ": exit 2, 'No space left on device' naming a file, nothing incomplete "
               "outside .partial names, no .partial left",
               "exit %d; %s; left %s\n%s" % (rc, probs, left, err[-1500:]))
        r = subprocess.run(["mount", "-o", "remount,size=%dk" % (need * 4 + 1024), mnt],
                           capture_output=True, text=True)
        if not tap.ok(r.returncode == 0, what + ": remount with room", r.stderr):
            return
        rc, err = of.run(e2e.MDEXPORT, mnt, of.export_args(STORE, fmt))
        d = of.diff(of.tree(os.path.join(mnt, "out")), clean)
        tap.ok(rc == 0 and not d, what + ": enlarged, the re-run gives the clean run's files, "
               "byte for byte", "exit %d\n%s\n%s" % (rc, "\n".join(d[:10]), err[-800:]))
    finally:
        subprocess.run(["umount", mnt], capture_output=True)


def all_cases(with_fs):
    for fmt in of.FORMATS:
        clean, calls, over_calls = clean_run(fmt)
        if not calls or not over_calls:
            continue
        byn = {c[0]: c for c in calls}
        for n, what in of.points(calls).items():
            for errname in ERRNOS:
                fault_case(fmt, clean, n, what, byn[n][1], byn[n][2], errname, False)
        byn = {c[0]: c for c in over_calls}
        for i, (n, what) in enumerate(of.points(over_calls).items()):
            for errname in ERRNOS:
                fault_case(fmt, clean, n, what, byn[n][1], byn[n][2], errname, True)
        sticky_case(fmt, clean, calls)
        if with_fs:
            tmpfs_case(fmt, clean)


if FAULTY:
    all_cases(True)
    report_case()
    of.JOBS = ["-j", "4", "-u", "alice@example.com"]
    all_cases(False)

cleanup()
tap.done()
