#!/usr/bin/env python3
"""End-to-end under valgrind: the export of the fixture store to every
format, and `verify` of each export, run once under memcheck with zero
errors and zero definitely-lost bytes (the GLib/GMime type system's
one-time allocations are "still reachable", not leaks).  The sanitizer
build (make check-sanitize) covers more tests; this is the second opinion
issue 5 asks for, on the optimised binary that is shipped."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

if e2e.SANITIZED:
    # valgrind cannot run an ASan binary; this test runs in the plain stage of make check
    print("1..0 # SKIP valgrind needs the plain build (ASan and memcheck exclude each other)")
    sys.exit(0)
tap = e2e.Tap("valgrind")
work = e2e.tmpdir("valgrind")
store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=97", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--track-fds=no", "--num-callers=30"]


def under_valgrind(what, args):
    p = subprocess.run(VALGRIND + [e2e.MDEXPORT] + args, capture_output=True, text=True,
                       errors="replace")
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", p.stderr)
    lost = re.search(r"definitely lost: ([\d,]+) bytes", p.stderr)
    errors = int(summary.group(1)) if summary else None
    definite = int(lost.group(1).replace(",", "")) if lost else 0
    tap.ok(p.returncode in (0, 1) and errors == 0 and definite == 0,
           "%s: exit %d, %s memcheck errors, %d bytes definitely lost" %
           (what, p.returncode, errors, definite),
           "\n".join([l for l in p.stderr.splitlines() if l.startswith("==")][-40:]))
    return p


if not shutil.which("valgrind"):
    tap.ok(False, "valgrind is installed (tools/install-deps installs it)")
else:
    for fmt in ("mbox", "maildir", "eml", "pst"):
        out = os.path.join(work, fmt)
        p = under_valgrind("export --format " + fmt, ["export", store, "-f", fmt, "-o", out, "-q"])
        tap.ok(os.path.exists(os.path.join(out, "example.com", "alice.manifest.jsonl")),
               "export --format %s under valgrind wrote its outputs and manifests" % fmt)
        p = under_valgrind("verify of the %s export" % fmt, ["verify", store, out])
        tap.ok(p.returncode == 0 and "everything verifies" in p.stdout,
               "verify of the %s export under valgrind: everything verifies" % fmt,
               p.stdout[-500:])

shutil.rmtree(work, ignore_errors=True)
tap.done()
