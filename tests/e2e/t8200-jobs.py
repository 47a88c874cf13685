#!/usr/bin/env python3
"""End-to-end: -j N (issue 12): the same export, whatever the number of threads.

For every output format, `export -j 1` and `export -j 4` into two DIRs give
the same tree byte for byte (files, message mtimes; manifests but for the
run line's times and host: the recorded command leaves -j out), the same
exit status and the same stderr (the summaries, warnings and the report
table, in the same order; only the table's times and the DIR names differ):
  - the fixture store (5 mailboxes, damaged ones among them: several
    mailboxes side by side, warnings and errors from the reader);
  - one mailbox of it (-u alice@example.com: to PST read ahead by its own
    threads, the reader's warnings replayed in their place);
  - a single-mailbox store of 800 corpus messages as Maildir, mbox, EML
    and PST sources (to PST each read ahead by its own threads);
  - --skip-deleted and --dry-run with -j 4 as with -j 1.
`verify -j 4` prints what `verify -j 1` prints and passes on each export.
Then bad values of -j are usage errors (exit 2, the value named), and -j
is refused by list.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("jobs")
work = e2e.tmpdir("jobs")
FORMATS = ("mbox", "maildir", "eml", "pst")
FIXTURE = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))


def stable_err(err):
    """stderr with the report table's times taken out"""
    return re.sub(r" *\b\d+(\.\d+)? ?s\b", " T", err)


def export(src, fmt, cwd, jobs, extra=()):
    """export into cwd/out (the same words on the command line, so the same manifests)"""
    os.makedirs(cwd)
    # issue 16: what it prints is stderr (problems) and stdout (summaries, table, last line)
    rc, _, text = e2e.run_merged(["export", src, "-f", fmt, "-o", "out", "-j", str(jobs)] +
                                 list(extra), env=dict(os.environ, TZ="UTC"), cwd=cwd)
    return rc, stable_err(text)


def tree(top):
    """e2e.tree_bytes, but a PST's mtime (the time it was written) left out"""
    t = e2e.tree_bytes(top)
    return {k: (v[0], None) if v and k.endswith(".pst") else v for k, v in t.items()}


def same_export(label, src, fmt, extra=(), jobs=4):
    """-j 1 and -j jobs give the same tree, exit status and stderr; returns DIR of -j 1"""
    a = os.path.join(work, "a")
    b = os.path.join(work, "b")
    for d in (a, b):
        shutil.rmtree(d, ignore_errors=True)
    rca, erra = export(src, fmt, a, 1, extra)
    rcb, errb = export(src, fmt, b, jobs, extra)
    a, b = os.path.join(a, "out"), os.path.join(b, "out")
    tap.ok(rca == rcb and rca in (0, 1), "%s, %s: the same exit status with -j 1 and -j %d (%d)"
           % (label, fmt, jobs, rca), "got %d and %d\n%s" % (rca, rcb, errb[-1500:]))
    if "--dry-run" not in extra:
        diff = e2e.tree_diff(tree(a), tree(b))
        tap.ok(not diff and os.path.isdir(a), "%s, %s: the same tree, byte for byte (%d files)"
               % (label, fmt, sum(len(f) for _, _, f in os.walk(a))), "\n".join(diff[:20]))
    tap.ok(erra == errb and erra, "%s, %s: the same stderr and stdout, line for line (%d lines)"
           % (label, fmt, erra.count("\n")), first_difference(erra, errb))
    return a


def first_difference(x, y):
    xl, yl = x.splitlines(), y.splitlines()
    for i in range(max(len(xl), len(yl))):
        p = xl[i] if i < len(xl) else "(none)"
        q = yl[i] if i < len(yl) else "(none)"
        if p != q:
            return "line %d:\n-j 1: %s\n-j N: %s" % (i + 1, p, q)
    return ""


def same_verify(label, src, out):
    res = []
    for jobs in (1, 4):
        rc, so, se = e2e.run(["verify", src, out, "-j", str(jobs)])
        res.append((rc, so, se))
    tap.ok(res[0][0] == 0 and res[0] == res[1], "%s: verify passes, and prints the same with -j 1 "
           "and -j 4" % label, "%r\n%s" % ((res[0][0], res[1][0]), first_difference(res[0][1], res[1][1])))


# ---- the fixture store: several mailboxes side by side ---------------------------------------
for fmt in FORMATS:
    out = same_export("fixture store", FIXTURE, fmt)
    same_verify("fixture store, %s" % fmt, FIXTURE, out)
    same_export("fixture store, one mailbox", FIXTURE, fmt, ["-u", "alice@example.com"])
same_export("fixture store", FIXTURE, "mbox", ["--skip-deleted"])
same_export("fixture store, one mailbox", FIXTURE, "pst", ["-u", "alice@example.com",
                                                           "--skip-deleted"])
same_export("fixture store, dry run", FIXTURE, "maildir", ["--dry-run"])

# ---- one big mailbox, read ahead by its own threads, from every source format ------------------
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                       text=True)
if tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-800:]):
    corpus = fetch.stdout.strip().splitlines()[-1]
    store = os.path.join(work, "one")
    gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out",
                          store, "--messages", "800", "--seed", "5", "--mailboxes", "1"],
                         capture_output=True, text=True)
    if tap.ok(gen.returncode == 0, "tools/mkstore builds a one-mailbox store", gen.stderr[-800:]):
        sources = {}
        for fmt in FORMATS:
            src = os.path.join(work, "src-" + fmt)
            rc, _, err = e2e.run(["export", store, "-f", fmt, "-o", src, "-j", "1"])
            if not rc and fmt == "pst":
                top = os.path.join(src, os.listdir(src)[0])
                name = [n for n in os.listdir(top) if n.endswith(".pst")][0]
                sources[fmt] = "pst:" + os.path.join(top, name)
                tap.ok(True, "the store as a pst source")
                continue
            tap.ok(rc == 0, "the store as a %s source" % fmt, err[-800:])
            top = os.path.join(src, os.listdir(src)[0])
            name = [n for n in os.listdir(top) if not n.endswith(".manifest.jsonl")][0]
            sources[fmt] = "%s:%s" % (fmt, os.path.join(top, name))
        same_export("one-mailbox store", store, "pst")
        for sfmt, src in sources.items():
            for fmt in FORMATS:
                out = same_export("%s source" % sfmt, src, fmt)
            same_verify("%s source, pst" % sfmt, src, out)

# ---- usage ----------------------------------------------------------------------------------
for bad in ("0", "-1", "x", "1025", "2x", ""):
    rc, _, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, "u"), "-j", bad])
    tap.ok(rc == 2 and ("'%s'" % bad) in err, "-j %r is a usage error that names it" % bad,
           "%d %s" % (rc, err[:300]))
rc, _, err = e2e.run(["list", FIXTURE, "-j", "2"])
tap.ok(rc == 2 and "-j" in err, "list refuses -j", err[:300])

e2e.remove_work(work)
tap.done()
