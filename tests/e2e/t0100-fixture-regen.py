#!/usr/bin/env python3
"""The committed fixture store is exactly what tools/mkfixture writes: its
binary IMAP.MRK and userlist.dat files are reviewable through the script."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("fixture-regen")
work = e2e.tmpdir("regen")
out = os.path.join(work, "store")
exp = os.path.join(work, "expected.json")
p = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkfixture"), out, "--expected", exp],
                   capture_output=True, text=True)
tap.eq(p.returncode, 0, "tools/mkfixture runs")


def contents(top):
    got = {}
    for dirpath, dirs, files in os.walk(top.encode()):
        for n in dirs:
            got[os.path.relpath(os.path.join(dirpath, n), top.encode())] = None
        for n in files:
            f = os.path.join(dirpath, n)
            got[os.path.relpath(f, top.encode())] = e2e.read(f)
    return got


committed = contents(os.path.join(e2e.ROOT, "fixtures", "store"))
fresh = contents(out)
diff = sorted(k.decode("utf-8", "backslashreplace") for k in set(committed) | set(fresh)
              if committed.get(k, 1) != fresh.get(k, 2))
tap.ok(not diff, "fixtures/store is byte for byte what tools/mkfixture writes (%d entries)"
       % len(committed), "differs: %s" % diff[:20])
tap.ok(e2e.read(exp) == e2e.read(os.path.join(e2e.ROOT, "fixtures", "store.expected.json")),
       "fixtures/store.expected.json is what tools/mkfixture writes")
import shutil  # noqa: E402
shutil.rmtree(work)
tap.done()
