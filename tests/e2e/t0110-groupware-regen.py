#!/usr/bin/env python3
"""The committed groupware fixture store (fixtures/groupware) and its
expected.json are exactly what tools/mkgroupware writes (issue 14)."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("groupware-regen")
work = e2e.tmpdir("gwregen")
out = os.path.join(work, "groupware")
exp = os.path.join(work, "expected.json")
p = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkgroupware"), out, "--expected", exp],
                   capture_output=True, text=True)
tap.eq(p.returncode, 0, "tools/mkgroupware runs")


def contents(top):
    got = {}
    for dirpath, dirs, files in os.walk(top.encode()):
        for n in dirs:
            got[os.path.relpath(os.path.join(dirpath, n), top.encode())] = None
        for n in files:
            f = os.path.join(dirpath, n)
            got[os.path.relpath(f, top.encode())] = e2e.read(f)
    return got


committed = contents(os.path.join(e2e.ROOT, "fixtures", "groupware"))
fresh = contents(out)
diff = sorted(k.decode("utf-8", "backslashreplace") for k in set(committed) | set(fresh)
              if committed.get(k, 1) != fresh.get(k, 2))
tap.ok(len(committed) > 20, "fixtures/groupware is there (%d entries)" % len(committed))
tap.ok(not diff, "fixtures/groupware is byte for byte what tools/mkgroupware writes",
       "differs: %s" % diff[:20])
tap.ok(e2e.read(exp) == e2e.read(os.path.join(e2e.ROOT, "fixtures", "groupware.expected.json")),
       "fixtures/groupware.expected.json is what tools/mkgroupware writes")
cal = e2e.read(os.path.join(out, "Users", "example.com", "erika", "Calendar.IMAP",
                            "Calendar.mrk"))
tap.ok(cal.startswith(b"<Calendar ") and b"\r\n" in cal and b"\n" not in cal.replace(b"\r\n", b""),
       "the main calendar has no XML declaration and CRLF line ends")
shutil.rmtree(work)
tap.done()
