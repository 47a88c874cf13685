#!/usr/bin/env python3
"""End-to-end: results on stdout, diagnostics on stderr (issue 16).

export's per-mailbox summaries, its report table, its final line and the
import files' lines are results: `mdexport export ... > results` keeps them,
`| tee` captures them.  Warnings, errors, the progress line (and JSON
progress), accounts not found and the interrupt notice are diagnostics, on
stderr.  With -j N the summaries keep the mailboxes' order; with both
streams on one terminal, the progress line is taken off before a result is
written; --log-file keeps both streams' lines."""

import os
import pty
import re
import select
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("streams")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
work = e2e.tmpdir("streams")
BOXES = ["alice@example.com", "bob@example.com", "dave@example.com", "MDaemon@example.com",
         "carol@example.org", "Public Folders@public"]
SUMMARY = re.compile(r"^mdexport: (.+?): (?:exported|would export) \d+ messages? ")
# the fixture's warnings: six in alice's folders, one in bob's
WARNINGS = 7


def summaries(text):
    return [m.group(1) for m in map(SUMMARY.match, text.splitlines()) if m]


def export(name, *extra):
    return e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, name),
                    "--progress", "never"] + list(extra))


# 1. one mailbox at a time
rc, out, err = export("o1")
tap.eq(rc, 0, "the export succeeds")
tap.eq(summaries(out), BOXES, "stdout: each mailbox's summary, in the mailboxes' order")
tap.ok("\nmdexport: report:\n" in "\n" + out and "  total (6) " in out,
       "stdout: the report table", out[-1200:])
tap.ok((out.splitlines() or [""])[-1].startswith("mdexport: exported 46 messages from 6 mailboxes; "),
       "stdout: the run's final line is its last", out[-300:])
tap.eq(out.count("mdexport: warning: "), 0, "stdout: no warning")
tap.eq(summaries(err), [], "stderr: no summary")
tap.ok("mdexport: report:" not in err and "exit status" not in err,
       "stderr: neither the table nor the final line", err[-600:])
tap.eq(err.count("mdexport: warning: "), WARNINGS, "stderr: the fixture's warnings")
tap.eq(len(err.splitlines()), WARNINGS, "stderr: nothing else")
tap.ok("\x01" not in out + err and "\x02" not in out + err, "no marker byte is written")

# 2. -j 3: the same results, in the same order
rc3, out3, err3 = export("o3", "-j", "3")
strip = re.compile(r"\d+\.\d\ds|/o[13]/")
tap.eq(strip.sub("", out3), strip.sub("", out),
       "-j 3: stdout is the same as one at a time (times and DIR aside)")
tap.eq(sorted(err3.splitlines()), sorted(err.splitlines()), "-j 3: stderr has the same warnings")

# 3. -q: only the final line on stdout, the warnings kept off
rc, out, err = export("oq", "-q")
tap.ok(rc == 0 and out.startswith("mdexport: exported 46 messages") and out.count("\n") == 1,
       "-q: stdout has only the final line", out)
tap.eq(err, "", "-q: nothing on stderr when nothing failed")

# 4. an error: stderr, with the summary on stdout (a message file that is a
# folder: unreadable to root too)
store = e2e.copytree(FIXTURE, os.path.join(work, "store"))
bad = os.path.join(store, "Users", "example.com", "dave")
victim = sorted(n for n in os.listdir(bad) if n.endswith(".msg"))[0]
os.remove(os.path.join(bad, victim))
os.mkdir(os.path.join(bad, victim))
rc, out, err = e2e.run(["export", store, "-f", "mbox", "-o", os.path.join(work, "oe"),
                        "-u", "dave@example.com", "--progress", "never"])
tap.ok(rc == 1 and ("mdexport: error: 'Users/example.com/dave/%s' is not a regular file" % victim)
       in err and "mdexport: error: " not in out,
       "an unreadable message: the error on stderr, naming the file", err + out)
tap.ok(summaries(out) == ["dave@example.com"] and "exit status 1" in (out.splitlines() or [""])[-1],
       "an unreadable message: the summary (listing its problem) and final line on stdout", out)

# 5. --progress json: every stderr line is JSON; the results plain on stdout
rc, out, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", os.path.join(work, "oj"),
                        "--progress", "json", "-u", "bob@example.com"])
kinds = []
try:
    import json
    kinds = [json.loads(ln)["type"] for ln in err.splitlines()]
    json_ok = True
except ValueError:
    json_ok = False
tap.ok(json_ok and "log" in kinds and kinds[-1] == "done",
       "--progress json: stderr is JSON lines only (the warning as a log object)", err[-600:])
tap.ok(summaries(out) == ["bob@example.com"] and "{" not in out,
       "--progress json: the summary plain on stdout", out)

# 6. --progress always, stdout a file: no progress line or escape in it
rc, out, err = export("oa", "--progress", "always")
tap.ok("\r" not in out and "\033" not in out and summaries(out) == BOXES,
       "--progress always: stdout has the results and no progress line", repr(out[:300]))
tap.ok("mailboxes " in err, "--progress always: the progress line is on stderr", repr(err[:300]))

# 7. a dry run's lines and the import mapping's line are results too
rc, out, err = export("od", "--dry-run", "-u", "bob@example.com")
tap.ok(summaries(out) == ["bob@example.com"] and "would export 2 messages" in out and
       "would export" not in err, "--dry-run: what it would do on stdout", out + err)
rc, out, err = e2e.run(["export", FIXTURE, "-f", "pst", "-o", os.path.join(work, "om"),
                        "-u", "bob@example.com", "--progress", "never",
                        "--m365-mapping", os.path.join(work, "map.csv")])
tap.ok(rc == 0 and "mdexport: Microsoft 365 mapping: 1 PST file" in out and
       "mapping" not in err, "--m365-mapping: its line on stdout", out + err)

# 8. one terminal for both: the progress line is taken off before each result
master, slave = pty.openpty()
proc = subprocess.Popen([e2e.MDEXPORT, "export", FIXTURE, "-f", "mbox", "-o",
                         os.path.join(work, "ot"), "--progress", "always", "-j", "2"],
                        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
os.close(slave)
raw = b""
while True:
    r, _, _ = select.select([master], [], [], 60)
    if not r:
        break
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    raw += chunk
proc.wait(timeout=60)
os.close(master)
text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
# what a terminal shows: each \r returns to the line's start, ESC [K clears the rest
screen = []
for line in text.split("\n"):
    shown = ""
    for piece in line.split("\r"):
        piece = piece.replace("\033[K", "")
        shown = piece + shown[len(piece):] if piece else shown
    screen.append(shown)
tap.eq(summaries("\n".join(screen)), BOXES,
       "one terminal: every summary starts its own line, none mixed with the progress line")
tap.ok(not any(ln.startswith("mailboxes ") and "exported" in ln for ln in screen),
       "one terminal: no progress text left inside a result line", "\n".join(screen[-10:]))

# 9. --log-file: both streams' lines
log = os.path.join(work, "run.log")
rc, out, err = export("ol", "--log-file", log)
body = [re.sub(r"^\S+Z ", "", ln) for ln in open(log, encoding="utf-8").read().splitlines()]
tap.ok(summaries("\n".join(body)) == BOXES and
       sum(b.startswith("mdexport: warning: ") for b in body) == WARNINGS and
       body[-1].startswith("mdexport: exported 46 messages"),
       "--log-file: the summaries, the warnings and the final line", "\n".join(body[-5:]))

# 10. stdout a pipe whose reader has gone (| head that quit): the export is not killed
r, w = os.pipe()
os.close(r)
o = os.path.join(work, "op")
proc = subprocess.Popen([e2e.MDEXPORT, "export", FIXTURE, "-f", "mbox", "-o", o,
                         "--progress", "never"], stdout=w, stderr=subprocess.PIPE)
os.close(w)
_, perr = proc.communicate(timeout=120)
perr = perr.decode("utf-8", "replace")
manifests = sorted(os.path.relpath(os.path.join(dp, f), o) for dp, _d, fs in os.walk(o)
                   for f in fs if f.endswith(".manifest.jsonl"))
tap.ok(proc.returncode == 0 and len(manifests) == len(BOXES) and
       perr.count("cannot write the results to standard output") == 1 and
       "Broken pipe" in perr and not os.path.exists(os.path.join(o, ".mdexport")),
       "stdout a closed pipe: exit 0, every mailbox exported, said once on stderr",
       "exit %d %r\n%s" % (proc.returncode, manifests, perr[-800:]))
rc, vout, verr = e2e.run(["verify", FIXTURE, o])
tap.ok(rc == 0, "stdout a closed pipe: the export verifies", (vout + verr)[-600:])

e2e.remove_work(work)
tap.done()
