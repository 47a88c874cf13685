#!/usr/bin/env python3
"""End-to-end: a live store, whose folders change while they are exported
(issue 13, "live stores").

Through the pause of the fault-injection build (MDEXPORT_FAULTY,
formats/core/sysio.h): MDX_PAUSE_ON="read <message>" stops the export on the
thread that reads, right after the first read of the fixture's INBOX message
md50000000101.msg (the folder listed, its end not reached), and
MDX_PAUSE_AT=N at the Nth output call (the open of that message's Maildir
file, numbered by a count run).  The test then changes INBOX as MDaemon delivers: a new .msg
file, then IMAP.MRK's record appended and its header's UIDNext and
LastWriteCounter moved on, and lets the export go on.

  1. changed during the first try only (mbox, Maildir, PST with -j 4, whose
     reader runs on a thread of its own, and Maildir paused by call number):
     exit 0, a warning naming INBOX and "reading the mailbox again, try 2 of
     3", two reads of the message in all; the output holds every message of
     the clean run and the new one exactly once (Python's mailbox for mbox
     and Maildir, `mdexport verify` for all), "changing" 0;
     The same for a Maildir SOURCE (cur/ and new/ listed again): a message
     delivered into new/ during the first try;
  2. changed during every try: exactly 3 tries, exit 1, a warning naming
     INBOX "on each of 3 tries", summary "1 folder still changing" (and the
     run's last line), report "changing": 1; the output is complete for
     what the last try listed: the messages delivered during tries 1 and 2
     once each, the one delivered during try 3 (after INBOX was listed) not
     at all, the clean run's messages all there;
  3. a .msg rewritten while it is read (MDX_FAULT=grow-once): read again,
     exit 0, summary "1 message read again", report "read_again": 1,
     "changing": 0, no mailbox retry."""

import json
import mailbox
import os
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("live")
FAULTY = os.environ.get("MDEXPORT_FAULTY") or os.path.join(e2e.ROOT, "build-fault", "mdexport")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
BOX = "Users/example.com/alice"
ADDR = "alice@example.com"
FIRST = "md50000000101.msg"
work = e2e.tmpdir("live")


def deliver(store, n):
    """One message into alice's INBOX as MDaemon writes it: the .msg file,
    then its IMAP.MRK record appended and the header's UIDNext and
    LastWriteCounter moved on.  Returns its Message-ID."""
    d = os.path.join(store, BOX)
    name = "md5009%08d.msg" % n
    mid = "<live-%d@example.com>" % n
    body = ("Return-Path: <bob@example.com>\r\nFrom: bob@example.com\r\n"
            "To: alice@example.com\r\nSubject: delivered while exported %d\r\n"
            "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: %s\r\n\r\n"
            "arrived during the export\r\n" % (n, mid)).encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(body)
    mrk = os.path.join(d, "IMAP.MRK")
    with open(mrk, "r+b") as f:
        head = list(struct.unpack("<9I", f.read(36)))
        uid = head[2]
        head[2] += 1            # UIDNext
        head[3] += 1            # LastWriteCounter
        f.seek(0, 2)
        f.write(name.encode().ljust(23, b"\0") +
                struct.pack("<BIII", 0, uid, len(body), 1704103200))
        f.seek(0)
        f.write(struct.pack("<9I", *head))
    return mid


def export(store, out, fmt, env_add, on_pause=None, jobs=1, who=("--user", ADDR)):
    """The export with the pause set; on_pause(i) is called at the i-th pause
    (from 1) before the export goes on.  Returns (rc, stderr, pauses, report)."""
    pause = os.path.join(work, "pause")
    report = out + ".report.json"
    env = dict(os.environ)
    for k in ("MDX_FAULT", "MDX_PAUSE_AT", "MDX_PAUSE_ON", "MDX_PAUSE_FILE"):
        env.pop(k, None)
    env.update(env_add)
    env["MDX_PAUSE_FILE"] = pause
    errf = open(out + ".stderr", "wb")
    outf = open(out + ".stdout", "wb")
    p = subprocess.Popen([FAULTY, "export", store, "--format", fmt, "--output", out,
                          "--report", report, "-j", str(jobs)] + list(who),
                         stdout=outf, stderr=errf, env=env)
    pauses = 0
    deadline = time.time() + 40
    while p.poll() is None and time.time() < deadline:
        if os.path.exists(pause):
            pauses += 1
            if on_pause:
                on_pause(pauses)
            os.unlink(pause)
        time.sleep(0.005)
    if p.poll() is None:
        p.kill()
    rc = p.wait()
    errf.close()
    outf.close()
    # issue 16: the summaries and the last line are on stdout; read after the warnings
    err = (e2e.read(out + ".stderr") + e2e.read(out + ".stdout")).decode("utf-8", "replace")
    rep = json.load(open(report)) if os.path.exists(report) else None
    return rc, err, pauses, rep


def message_ids(fmt, out, box=("example.com", "alice")):
    """Every Message-ID in the output, with repeats, read by Python's mailbox."""
    ids = []
    top = os.path.join(out, *box)
    for root, dirs, files in os.walk(top):
        if fmt == "mbox":
            for name in files:
                if name.endswith(".mbox"):
                    ids += [m["Message-ID"] for m in mailbox.mbox(os.path.join(root, name))]
        elif "cur" in dirs:
            ids += [m["Message-ID"] for m in mailbox.Maildir(root, factory=None)]
    return sorted(i for i in ids if i)


def verify(store, out):
    rc, o, err = e2e.run(["verify", store, out, "--user", ADDR])
    return rc, o + err


def fresh(label):
    d = os.path.join(work, label)
    store = e2e.copytree(FIXTURE, os.path.join(d, "store"))
    return store, os.path.join(d, "out")


# the clean run's messages, per format (the fixture unchanged)
clean_ids = {}
for fmt in ("mbox", "maildir"):
    store, out = fresh("clean-" + fmt)
    rc, _o, err = e2e.run(["export", store, "--format", fmt, "--output", out, "--user", ADDR])
    tap.eq(rc, 0, "clean %s export exits 0" % fmt)
    clean_ids[fmt] = message_ids(fmt, out)
tap.ok(len(clean_ids["mbox"]) > 20 and clean_ids["mbox"] == clean_ids["maildir"],
       "the clean runs hold the same %d Message-IDs" % len(clean_ids["mbox"]))
if not tap.ok(os.access(FAULTY, os.X_OK), "the fault-injection build is there (make fault)",
              FAULTY):
    tap.done()


def pause_at_first_write(store, out):
    """MDX_PAUSE_AT: the number of the output call that opens the Maildir file of
    INBOX's first message (its folder listed, its end not reached), from a count run"""
    env = dict(os.environ, MDX_FAULT="count")
    p = subprocess.run([FAULTY, "export", store, "--format", "maildir", "--output",
                        out + "-count", "--user", ADDR, "--report", out + "-count.json",
                        "-j", "1"], capture_output=True, env=env)   # as export() runs it
    for ln in p.stderr.decode("utf-8", "replace").splitlines():
        f = ln.split(" ", 4)
        if ln.startswith("mdexport: MDX_FAULT: ") and len(f) == 5 and f[3] == "open" and \
                "output.partial/cur/" in f[4] and "_" + FIRST[:-4] + "." in f[4]:
            return f[2]
    return None


# ---- 1. a change during the first try: read again, settled -------------------------------
def case_once(fmt, jobs=1, by_call=False):
    label = "%s%s%s, changed during the first try" % (
        fmt, ", -j %d" % jobs if jobs > 1 else "", ", paused at an output call" if by_call else "")
    store, out = fresh("once-%s-%d-%d" % (fmt, jobs, by_call))
    new = []
    if by_call:
        n = pause_at_first_write(store, out)
        if not tap.ok(n is not None, "%s: the count run names the open of %s's output"
                      % (label, FIRST)):
            return
        env = {"MDX_PAUSE_AT": n}
    else:
        env = {"MDX_PAUSE_ON": "read %s/%s" % (BOX, FIRST)}
    rc, err, pauses, rep = export(store, out, fmt, env,
                                  lambda i: new.append(deliver(store, i)) if i == 1 else None,
                                  jobs)
    again = [ln for ln in err.splitlines() if ln.startswith("mdexport: warning: %s: folder 'INBOX'"
                                                            % ADDR)]
    tap.ok(rc == 0 and len(again) == 1 and "reading the mailbox again, try 2 of 3" in again[0],
           "%s: exit 0, one warning names INBOX, 'reading the mailbox again, try 2 of 3'" % label,
           "exit %d\n%s" % (rc, err[-2500:]))
    tap.eq(pauses, 1 if by_call else 2, "%s: paused once per try (%d tries)" % (label, 2))
    if fmt != "pst":
        got = message_ids(fmt, out)
        tap.eq(got, sorted(clean_ids[fmt] + new),
               "%s: the output holds the clean run's messages and the new one, each once" % label)
    t = rep and rep["totals"]
    # issue 14: alice's contact is exported (and counted) with her messages
    n_items = e2e.FIXTURE_GROUPWARE_ITEMS["alice"]
    tap.ok(t is not None and t["changing"] == 0 and
           t["exported"] == len(clean_ids["mbox"]) + 1 + n_items,
           "%s: report: changing 0, %d messages and %d item exported" % (
               label, len(clean_ids["mbox"]) + 1, n_items), repr(t))
    vrc, vout = verify(store, out)
    tap.ok(vrc == 0, "%s: verify passes against the changed store" % label, vout[-2000:])


case_once("mbox")
case_once("maildir")
case_once("pst", jobs=4)
case_once("maildir", by_call=True)


# ---- 2. changed on every try: reported as changing ----------------------------------------
def case_every(fmt):
    label = "%s, changed during every try" % fmt
    store, out = fresh("every-" + fmt)
    new = []
    rc, err, pauses, rep = export(store, out, fmt, {"MDX_PAUSE_ON": "read %s/%s" % (BOX, FIRST)},
                                  lambda i: new.append(deliver(store, i)))
    tap.eq(pauses, 3, "%s: exactly 3 tries" % label)
    changing = [ln for ln in err.splitlines()
                if ln.startswith("mdexport: warning: %s: folder 'INBOX'" % ADDR) and
                "on each of 3 tries" in ln]
    tap.ok(rc == 1 and len(changing) == 1,
           "%s: exit 1, a warning names INBOX as changing on each of 3 tries" % label,
           "exit %d\n%s" % (rc, err[-2500:]))
    summ = e2e.summary(err, ADDR)
    tap.ok("1 folder still changing after 3 tries" in summ,
           "%s: the summary counts the folder as still changing" % label, summ)
    tap.ok("; 1 folder still changing; exit status 1" in err.splitlines()[-1],
           "%s: the run's last line says why it exits 1" % label, err[-300:])
    t = rep and rep["totals"]
    row = rep and rep["mailboxes"][0]
    tap.ok(t is not None and t["changing"] == 1 and row["changing"] == 1 and
           rep["exit_status"] == 1 and row["result"] == "exported",
           "%s: report: changing 1 (row and totals), exit_status 1, the mailbox exported"
           % label, repr(rep and (row, t)))
    got = message_ids(fmt, out)
    tap.eq(got, sorted(clean_ids[fmt] + new[:2]),
           "%s: the output holds what the last try listed: the clean run's messages and "
           "the two delivered before it, each once; not the one delivered during it" % label)
    lines = [json.loads(ln) for ln in open(os.path.join(out, "example.com",
                                                        "alice.manifest.jsonl"), "rb")][1:]
    tap.eq(sum(1 for ln in lines if ln["status"] == "exported" and "item" not in ln), len(got),
           "%s: the manifest accounts for every message in the output (its contact has a "
           "line of its own, issue 14)" % label)


case_every("mbox")
case_every("maildir")


# ---- 1b. a Maildir SOURCE: cur/ and new/ listed again -------------------------------------
def case_maildir_source():
    label = "a Maildir SOURCE, a message delivered during the first try"
    d = os.path.join(work, "maildir-source")
    src = os.path.join(d, "bea", "Maildir")
    os.makedirs(os.path.dirname(src))
    md = mailbox.Maildir(src, create=True)
    ids = []
    for n in (1, 2, 3):
        m = mailbox.MaildirMessage(("From: x@example.net\nTo: bea@example.com\nSubject: %d\n"
                                    "Message-ID: <m%d@example.net>\n\nbody %d\n"
                                    % (n, n, n)).encode())
        m.set_subdir("cur")
        m.set_flags("S")
        md.add(m)
        ids.append("<m%d@example.net>" % n)
    md.close()
    first = sorted(os.listdir(os.path.join(src, "cur")))[0].split(":")[0]

    def deliver_maildir(i):
        if i != 1:
            return
        tmp = os.path.join(src, "tmp", "1800000000.M9P9.live")
        with open(tmp, "wb") as f:      # as an MDA delivers: tmp/, then new/
            f.write(b"From: y@example.net\nTo: bea@example.com\nSubject: new\n"
                    b"Message-ID: <live@example.net>\n\narrived during the export\n")
        os.rename(tmp, os.path.join(src, "new", "1800000000.M9P9.live"))
        ids.append("<live@example.net>")
    out = os.path.join(d, "out")
    rc, err, pauses, rep = export("maildir:" + src, out, "mbox", {"MDX_PAUSE_ON": first},
                                  deliver_maildir, who=())
    again = [ln for ln in err.splitlines()
             if ln.startswith("mdexport: warning: bea@localhost: folder 'INBOX'")]
    tap.ok(rc == 0 and pauses == 2 and len(again) == 1 and
           "1 files in new/, 0 when it was opened" in again[0] and "try 2 of 3" in again[0],
           "%s: exit 0, 2 tries, a warning names INBOX and new/" % label,
           "exit %d, %d pauses\n%s" % (rc, pauses, err[-2500:]))
    tap.eq(message_ids("mbox", out, ("localhost", "bea")), sorted(ids),
           "%s: the output holds the 3 messages and the new one, each once" % label)
    vrc, vo, ve = e2e.run(["verify", "maildir:" + src, out])
    tap.ok(vrc == 0, "%s: verify passes against the changed Maildir" % label,
           (vo + ve)[-2000:])


case_maildir_source()


# ---- 3. a .msg rewritten while it is read --------------------------------------------------
store, out = fresh("rewritten")
rc, err, pauses, rep = export(store, out, "mbox", {"MDX_FAULT": "grow-once:" + FIRST})
summ = e2e.summary(err, ADDR)
tap.ok(rc == 0 and "'%s/%s' changed while it was read" % (BOX, FIRST) in err and
       "1 message read again (changed while read), 0 folders still changing" in summ,
       "a .msg rewritten while read: exit 0, named, the summary says 1 message read again",
       "exit %d\n%s" % (rc, err[-2500:]))
t = rep and rep["totals"]
tap.ok(t is not None and t["read_again"] == 1 and t["changing"] == 0 and
       "reading the mailbox again" not in err,
       "a .msg rewritten while read: report read_again 1, changing 0, no mailbox retry", repr(t))
tap.eq(message_ids("mbox", out), clean_ids["mbox"],
       "a .msg rewritten while read: the output holds each message once")

shutil.rmtree(work, ignore_errors=True)
tap.done()
