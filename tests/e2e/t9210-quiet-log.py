#!/usr/bin/env python3
"""End-to-end: -q and --log-file (issue 16).  export -q prints only errors
and the run's last line; --log-file FILE gets every line of the run, each
after its UTC time, the warnings, summaries and report table -q kept off
the terminal included, and is appended to by the next run; a log file
inside SOURCE is refused as the report is; --log-file is export's only."""

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("quiet-log")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
work = e2e.tmpdir("quietlog")
log = os.path.join(work, "logs", "run.log")
os.makedirs(os.path.dirname(log))
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")

rc, out, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, "o1"), "-q",
                        "--log-file", log, "--progress", "never"])
tap.ok(rc == 0 and err == "" and out.count("\n") == 1 and
       out.startswith("mdexport: exported 46 messages"),
       "-q: the terminal gets only the run's last line (a result: on stdout)", out + err[-800:])
text = open(log, encoding="utf-8").read()
lines = text.splitlines()
tap.ok(lines and all(STAMP.match(ln) for ln in lines),
       "every line of the log starts with its UTC time", "\n".join(lines[:5]))
body = [STAMP.sub("", ln) for ln in lines]
tap.ok(body[0].startswith("mdexport: log: started: ") and "--log-file" in body[0],
       "the log's first line is the command", body[0] if body else "")
tap.ok(any(b.startswith("mdexport: warning: ") for b in body) and
       any(b.startswith("mdexport: alice@example.com: exported ") for b in body) and
       any(b.startswith("mdexport: report:") for b in body) and
       body[-1].startswith("mdexport: exported 46 messages"),
       "the log has what -q kept off the terminal: warnings, summaries, the report table, "
       "and the last line", "\n".join(body[-12:]))
tap.ok("\x01" not in text, "no log-only marker is written")
# the next run appends
rc, out, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, "o2"),
                        "--log-file", log, "--progress", "never"])
again = [STAMP.sub("", ln) for ln in open(log, encoding="utf-8").read().splitlines()]
tap.ok(rc == 0 and sum(b.startswith("mdexport: log: started: ") for b in again) == 2 and
       again[:len(body)] == body,
       "a second run appends to the log (the first run's lines kept)", "%d lines" % len(again))
tap.ok("mdexport: warning: " in err and "mdexport: report:" in out,
       "without -q the terminal shows warnings (stderr) and the table (stdout) as before",
       out[-400:] + err[-400:])
# inside SOURCE: refused before anything is written
store = e2e.copytree(FIXTURE, os.path.join(work, "store"))
rc, out, err = e2e.run(["export", store, "-f", "mbox", "-o", os.path.join(work, "o3"),
                        "--log-file", os.path.join(store, "x.log")])
tap.ok(rc == 2 and "--log-file" in err and "inside SOURCE" in err and
       not os.path.exists(os.path.join(store, "x.log")) and
       not os.path.exists(os.path.join(work, "o3")),
       "--log-file inside SOURCE: refused, nothing written", err[-600:])
rc, out, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, "o4"),
                        "--log-file", os.path.join(work, "no", "such", "dir", "x.log")])
tap.ok(rc == 2 and "cannot open the log file" in err and not os.path.exists(os.path.join(work, "o4")),
       "a log file that cannot be opened: exit 2 before anything is exported", err[-600:])
rc, out, err = e2e.run(["verify", FIXTURE, os.path.join(work, "o1"), "--log-file", log])
tap.ok(rc == 2 and "not valid with verify" in err, "--log-file is export's: a usage error for verify",
       err[-400:])

shutil.rmtree(work, ignore_errors=True)
tap.done()
