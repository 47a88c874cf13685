#!/usr/bin/env python3
"""End-to-end: clean interrupts (issue 16).  SIGINT or SIGTERM stops an
export at the next message boundary: the mailbox in progress is rolled back
(an earlier output of it stays exactly as it was), no mailbox is started
after it, the --report FILE is written whole (valid JSON, "interrupted":
true, the signal, the mailboxes done), one line says what happened and how
to go on, and the exit status is 128 + the signal (130, 143).  A second
signal stops the process at once.

The moment is chosen with the pause of the fault-injection build
(MDEXPORT_FAULTY, formats/core/sysio.h): MDX_PAUSE_ON stops the export at
bob's first output call (the fixture lists alice, bob, dave, MDaemon,
carol, the public folders); the test sends the signal while it waits and
lets it go on."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("interrupt")
FAULTY = os.environ.get("MDEXPORT_FAULTY") or os.path.join(e2e.ROOT, "build-fault", "mdexport")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
work = e2e.tmpdir("interrupt")
ALL = ["alice@example.com", "bob@example.com", "dave@example.com", "MDaemon@example.com",
       "carol@example.org", "Public Folders@public"]


def tree_digest(top, skip_manifests=False):
    """path -> SHA-256 of every file under top (manifests optional: they hold the run's time)"""
    out = {}
    for root, dirs, files in os.walk(top):
        for name in files:
            if skip_manifests and name.endswith(".manifest.jsonl"):
                continue
            p = os.path.join(root, name)
            out[os.path.relpath(p, top)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def leftovers(top):
    """names a finished or cleanly stopped run must not leave"""
    bad = []
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            if name == ".mdexport" or name.endswith(".partial") or name.endswith(".tmp"):
                bad.append(os.path.relpath(os.path.join(root, name), top))
    return bad


def interrupted_export(out, fmt, sigs, jobs=1, pause_on="/example.com/bob/"):
    """export with the pause at bob's first output call; sigs sent while it waits.
    Returns (returncode, stderr, report path)."""
    pause = os.path.join(work, "pause")
    report = os.path.join(work, "reports", os.path.basename(out) + ".json")
    os.makedirs(os.path.dirname(report), exist_ok=True)
    env = dict(os.environ)
    for k in ("MDX_FAULT", "MDX_PAUSE_AT", "MDX_PAUSE_ON", "MDX_PAUSE_FILE"):
        env.pop(k, None)
    env.update({"MDX_PAUSE_FILE": pause, "MDX_PAUSE_ON": pause_on})
    errf = open(out + ".stderr", "wb")
    p = subprocess.Popen([FAULTY, "export", FIXTURE, "--format", fmt, "--output", out,
                          "--report", report, "-j", str(jobs), "--progress", "never"],
                         stdout=subprocess.DEVNULL, stderr=errf, env=env)
    deadline = time.time() + 60
    sent = False
    while p.poll() is None and time.time() < deadline:
        if os.path.exists(pause) and not sent:
            for s in sigs:
                p.send_signal(s)
                time.sleep(0.3)
            sent = True
            os.unlink(pause)
        elif os.path.exists(pause):
            os.unlink(pause)
        time.sleep(0.005)
    if p.poll() is None:
        p.kill()
    rc = p.wait()
    errf.close()
    return rc, e2e.read(out + ".stderr").decode("utf-8", "replace"), report, sent


tap.ok(os.access(FAULTY, os.X_OK), "MDEXPORT_FAULTY names the fault-injection build (make fault)",
       "MDEXPORT_FAULTY=%s" % FAULTY)

for fmt, sig, jobs in (("mbox", signal.SIGINT, 1), ("pst", signal.SIGTERM, 1),
                       ("maildir", signal.SIGINT, 3)):
    name = signal.Signals(sig).name
    out = os.path.join(work, "out-%s-%s" % (fmt, name))
    # a complete export first: the interrupted run must leave it as it was
    rc, _o, err = e2e.run(["export", FIXTURE, "-f", fmt, "-o", out, "-q", "--progress", "never"])
    tap.ok(rc in (0, 1), "%s: a first complete export" % fmt, err[-600:])
    before = tree_digest(out)
    rc, err, report, sent = interrupted_export(out, fmt, [sig], jobs=jobs)
    what = "%s, %s, -j %d" % (fmt, name, jobs)
    tap.ok(sent, "%s: the export paused at bob's first output call and got the signal" % what)
    tap.ok(rc == 128 + int(sig), "%s: exit status %d (128 + the signal)" % (what, 128 + int(sig)),
           "exit %d\n%s" % (rc, err[-1500:]))
    try:
        doc = json.load(open(report))
    except (OSError, ValueError) as e:
        doc = None
        tap.ok(False, "%s: the report is valid JSON" % what, str(e))
    rows = {r["mailbox"]: r["result"] for r in doc["mailboxes"]} if doc else {}
    done = sorted(m for m, r in rows.items() if r == "exported")
    stopped = sorted(m for m, r in rows.items() if r == "interrupted")
    if doc is not None:
        tap.ok(doc.get("interrupted") is True and doc.get("signal") == name and
               doc.get("exit_status") == 128 + int(sig),
               "%s: the report is whole JSON: interrupted, the signal, the exit status" % what,
               json.dumps({k: doc.get(k) for k in ("interrupted", "signal", "exit_status")}))
    if jobs == 1:
        # one at a time: alice done, bob stopped, nothing started after him
        tap.ok(rows == {"alice@example.com": "exported", "bob@example.com": "interrupted"},
               "%s: the report lists alice done and bob interrupted, no mailbox after" % what,
               repr(rows))
    else:
        # side by side: those running at the signal are stopped, those done are
        # whole, none is started after it (no row); bob was running
        tap.ok("bob@example.com" in stopped and len(done) + len(stopped) == len(rows) and
               set(rows) <= set(ALL),
               "%s: bob and whatever ran beside him interrupted, the rest done; none "
               "started after the signal" % what, repr(rows))
    last = err.rstrip("\n").splitlines()[-1] if err.strip() else ""
    tap.ok(last.startswith("mdexport: interrupted by %s: %d %s done" %
                           (name, len(done), "mailbox" if len(done) == 1 else "mailboxes")) and
           "%d stopped and rolled back" % len(stopped) in last and "--incremental" in last and
           "Run the same command again" in last,
           "%s: the last line says it was interrupted, what is done, how to go on" % what, err[-1500:])
    tap.ok(("stopping after the current message") in err,
           "%s: the signal is acknowledged when it arrives" % what, err[-1500:])
    tap.ok(not [f for f in os.listdir(os.path.dirname(report)) if f.endswith(".tmp")],
           "%s: no temporary report file is left" % what)
    tap.ok(not leftovers(out), "%s: no .mdexport, .partial or .tmp left in DIR" % what,
           repr(leftovers(out)))
    after = tree_digest(out)

    def owner(rel):
        for m in ALL:
            box, dom = m.split("@")
            pre = os.path.join(dom, box)
            if rel == pre or rel.startswith(pre + "/") or rel.startswith(pre + "."):
                return m
        return None
    # the mailboxes done were written again (their manifests hold this run's
    # time); every other mailbox's files, the stopped ones' included, are the
    # first run's byte for byte
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    tap.ok(all(owner(k) in done for k in changed) and all(k in after for k in before),
           "%s: only the finished mailboxes' files changed; the stopped ones' earlier "
           "output and every other mailbox's are as they were" % what, repr(changed[:20]))
    # the same command again completes: every mailbox verifies
    rc, _o, err = e2e.run(["export", FIXTURE, "-f", fmt, "-o", out, "-q", "--progress", "never"])
    rc2, vo, verr = e2e.run(["verify", FIXTURE, out])
    tap.ok(rc in (0, 1) and rc2 == 0 and not leftovers(out),
           "%s: run again, the export completes and verify passes" % what,
           (err + vo + verr)[-1500:])

# mdexport report carries it: the merged report says interrupted, and its status is the worst
rep1 = os.path.join(work, "reports", "out-mbox-SIGINT.json")
rc, mo, merr = e2e.run(["report", rep1, "--json"])
try:
    merged = json.loads(mo)
except ValueError:
    merged = {}
tap.ok(rc == 130 and merged.get("interrupted") is True and merged.get("signal") == "SIGINT" and
       merged.get("exit_status") == 130,
       "mdexport report of an interrupted run: interrupted, SIGINT, exit status 130",
       "exit %d %s" % (rc, merr[-600:]))

# an interrupted round: --incremental after an interrupted first pass adds what is missing
out = os.path.join(work, "out-rounds")
rc, err, report, sent = interrupted_export(out, "mbox", [signal.SIGINT])
tap.ok(sent and rc == 130, "an interrupted first pass (exit 130)", err[-800:])
rc, _o, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", out, "-q", "--incremental",
                       "--progress", "never"])
rc2, vo, verr = e2e.run(["verify", FIXTURE, out])
tap.ok(rc in (0, 1) and rc2 == 0,
       "then --incremental, as the line says: every mailbox exported once, verify passes",
       (err + vo + verr)[-1500:])

# a second signal stops at once (its default action): killed by SIGINT
out = os.path.join(work, "out-twice")
rc, err, report, sent = interrupted_export(out, "mbox", [signal.SIGINT, signal.SIGINT])
tap.ok(sent and rc == -signal.SIGINT, "a second SIGINT stops the process at once (killed by it)",
       "returncode %d\n%s" % (rc, err[-800:]))
tap.ok(not os.path.exists(report), "then no report is published (none half-written)",
       repr(os.listdir(os.path.dirname(report))))
rc, _o, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", out, "-q", "--progress", "never"])
rc2, vo, verr = e2e.run(["verify", FIXTURE, out])
tap.ok(rc in (0, 1) and rc2 == 0 and not leftovers(out),
       "run again after it: complete, verify passes, nothing left over", (err + vo + verr)[-1500:])

e2e.remove_work(work)
tap.done()
