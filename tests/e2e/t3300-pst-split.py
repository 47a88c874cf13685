#!/usr/bin/env python3
"""--split-size for --format pst (issue 13): a mailbox of the SpamAssassin
corpus (about 200 messages, a 2 MB message added) exported with
--split-size 1M gives <mailbox>.pst, <mailbox>-002.pst, ... each read by
pffinfo, pffexport, readpst and tools/pstcheck; every part has the whole
folder tree; the parts together hold every message once (counted by
pffexport and named by the manifest); every part is at most 1 MiB but the
one holding the 2 MB message alone; verify passes and finds a removed part
missing; --split-size 0 writes the same bytes as the default 20G; a re-run
with a bigger SIZE leaves no stale part; --split-size with another format
is a usage error; a 151 MB message gets Microsoft 365's 150 MB warning,
counted in the report as import_warnings."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("pst-split")
ROOT = e2e.ROOT
PSTCHECK = os.path.join(ROOT, "tools", "pstcheck")
if not os.access(PSTCHECK, os.X_OK):
    subprocess.run(["make", "-C", ROOT, "--no-print-directory", "tools/pstcheck"], check=False)
fetch = subprocess.run([os.path.join(ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
if not tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-2000:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]
work = e2e.tmpdir("pst-split")
store = os.path.join(work, "store")
gen = subprocess.run([os.path.join(ROOT, "tools", "mkstore"), "--corpus", corpus, "--out", store,
                      "--messages", "600", "--seed", "3300", "--truth",
                      os.path.join(work, "truth.jsonl")], capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds the store", gen.stderr[-2000:])
MIB = 1 << 20


def message(subject, body_bytes):
    """A message with a base64 attachment of body_bytes bytes (not random: fast to make)."""
    head = ("From: big@example.com\r\nTo: alice@example.com\r\nSubject: %s\r\n"
            "Date: Mon, 06 Jan 2025 10:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nbig\r\n--B\r\n"
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n"
            % (subject, subject.replace(" ", "-"))).encode()
    line = base64.b64encode(bytes(range(256)) * 3)[:76] + b"\r\n"
    return head + line * (body_bytes // 78 + 1) + b"--B--\r\n"


alice = os.path.join(store, "Users", "example.com", "alice")
with open(os.path.join(alice, "md59999999901.msg"), "wb") as f:
    f.write(message("two megabytes", 2 * MIB))


def export(out, *args, user="alice@example.com"):
    return e2e.run_merged(["export", store, "--format", "pst", "-o", out, "-u", user, "-q"] + list(args))


def parts(out, box="alice"):
    d = os.path.join(out, "example.com")
    names = [n for n in os.listdir(d) if re.fullmatch(re.escape(box) + r"(-\d{3})?\.pst", n)]
    return [os.path.join(d, n) for n in sorted(names, key=lambda n: (len(n), n))]


def pff_folders_and_messages(pst, scratch):
    """pffexport's folder paths and message count of one part."""
    target = os.path.join(scratch, "pe")
    shutil.rmtree(target + ".export", ignore_errors=True)
    p = subprocess.run(["pffexport", "-t", target, pst], capture_output=True)
    top = os.path.join(target + ".export", "Top of Outlook data file")
    folders, messages = set(), 0
    for dirpath, dirnames, _ in os.walk(top):
        for d in dirnames:
            if re.fullmatch(r"Message\d+", d):
                messages += 1
            elif not re.fullmatch(r"(Attachments|Recipients|Message\d+|Attachment\d+)", d) and \
                    not re.search(r"/(Message\d+|Attachments)(/|$)", os.path.join(dirpath, d)[len(top):]):
                folders.add(os.path.relpath(os.path.join(dirpath, d), top))
        dirnames[:] = [d for d in dirnames if not re.fullmatch(r"Message\d+", d)]
    return p.returncode, folders, messages


out = os.path.join(work, "out1m")
rc, so, se = export(out, "--split-size", "1M")
tap.ok(rc == 0, "export --split-size 1M exits 0", se[-2000:])
ps = parts(out)
tap.ok(len(ps) >= 3, "alice is written as %d parts (3 or more)" % len(ps))
tap.ok(os.path.basename(ps[0]) == "alice.pst" and os.path.basename(ps[1]) == "alice-002.pst",
       "the parts are alice.pst, alice-002.pst, ...")
manifest = [json.loads(l) for l in open(os.path.join(out, "example.com", "alice.manifest.jsonl"))][1:]
exported = [m for m in manifest if m.get("output")]
by_file = {}
for m in exported:
    by_file.setdefault(m["output"]["file"], []).append(m)
tap.eq(sorted(by_file), sorted(os.path.relpath(p, out) for p in ps),
       "the manifest names every part file relative to DIR, and no other")
nids = [(m["output"]["file"], m["output"]["nid"]) for m in exported]
tap.ok(len(set(m["output"]["nid"] for m in exported)) == len(exported),
       "every message has its own node ID across the parts")
tree0 = None
total = 0
for p in ps:
    name = os.path.basename(p)
    size = os.path.getsize(p)
    big_alone = len(by_file.get(os.path.relpath(p, out), [])) == 1 and \
        by_file[os.path.relpath(p, out)][0]["size"] > MIB
    tap.ok(size <= MIB or big_alone, "%s: %d bytes, at most 1 MiB (or one message bigger)"
           % (name, size))
    r = subprocess.run(["pffinfo", p], capture_output=True)
    tap.ok(r.returncode == 0, "%s: pffinfo reads it" % name, r.stderr.decode()[-500:])
    r = subprocess.run([PSTCHECK, p], capture_output=True, text=True)
    errs = [l for l in r.stdout.splitlines() if l.startswith("error: ")]
    tap.ok(r.returncode == 0 and not errs, "%s: pstcheck finds no error" % name,
           (r.stdout + r.stderr)[-1000:])
    rd = os.path.join(work, "readpst-" + name)
    os.makedirs(rd)
    r = subprocess.run(["readpst", "-q", "-o", rd, p], capture_output=True)
    tap.ok(r.returncode == 0, "%s: readpst reads it" % name, r.stderr.decode()[-500:])
    rc, folders, n = pff_folders_and_messages(p, work)
    tap.ok(rc == 0, "%s: pffexport exports it" % name)
    tap.eq(n, len(by_file.get(os.path.relpath(p, out), [])),
           "%s: pffexport finds as many messages as the manifest puts there" % name)
    total += n
    if tree0 is None:
        tree0 = folders
        tap.ok("Inbox" in folders and len(folders) > 5, "alice.pst has the folder tree (%d)"
               % len(folders))
    else:
        tap.eq(folders, tree0, "%s has the whole folder tree, the same as alice.pst" % name)
src_count = sum(1 for m in manifest)
tap.eq(total, len(exported), "the parts hold %d messages together, the manifest's exported ones"
       % total)
tap.ok(len(exported) >= 200 and len(exported) == src_count,
       "every source message (%d) is exported once" % src_count)
big = [m for m in exported if m["size"] > MIB]
tap.ok(len(big) == 1 and len(by_file[big[0]["output"]["file"]]) == 1 and
       os.path.getsize(os.path.join(out, big[0]["output"]["file"])) > MIB,
       "the 2 MB message is alone in a part bigger than 1 MiB")
rc, so, se = e2e.run(["verify", store, out, "-u", "alice@example.com"])
tap.ok(rc == 0, "verify passes on the parts", (so + se)[-2000:])
# a missing part is reported missing
moved = ps[1] + ".away"
os.rename(ps[1], moved)
rc, so, se = e2e.run(["verify", store, out, "-u", "alice@example.com"])
tap.ok(rc != 0 and "alice-002.pst' is missing" in so,
       "verify reports the messages of a removed part missing", (so + se)[-1500:])
os.rename(moved, ps[1])

# a bigger SIZE: fewer parts, the stale ones removed.  Another --split-size
# changes the bytes written, so since issue 16 a re-run needs --force to
# replace the earlier export (without it the mailbox is refused)
rc, so, se = export(out, "--split-size", "2M")
tap.ok(rc == 2 and "not replaced without --force" in se and len(parts(out)) == len(ps),
       "a re-run with another --split-size and no --force: refused, the parts kept", se[-600:])
rc, so, se = export(out, "--split-size", "2M", "--force")
ps2 = parts(out)
tap.ok(rc == 0 and 1 < len(ps2) < len(ps), "a re-run with --split-size 2M writes %d parts"
       % len(ps2), se[-1000:])
rc, so, se = export(out, "--split-size", "20G", "--force")
tap.eq([os.path.basename(p) for p in parts(out)], ["alice.pst"],
       "a re-run with 20G leaves alice.pst alone, no stale part")
tap.ok(not os.path.exists(os.path.join(out, ".mdexport")), "no working folder is left")
rc, so, se = e2e.run(["verify", store, out, "-u", "alice@example.com"])
tap.ok(rc == 0, "verify passes after the re-runs", (so + se)[-1000:])

# --split-size 0 == the default
out0 = os.path.join(work, "out0")
rc, so, se = export(out0, "--split-size", "0")
tap.ok(rc == 0 and [os.path.basename(p) for p in parts(out0)] == ["alice.pst"],
       "--split-size 0 writes one file")
tap.ok(e2e.read(os.path.join(out0, "example.com", "alice.pst")) ==
       e2e.read(os.path.join(out, "example.com", "alice.pst")),
       "--split-size 0 gives the same bytes as the default (20G)")

# usage
rc, so, se = e2e.run_merged(["export", store, "--format", "mbox", "-o", os.path.join(work, "m"),
                      "--split-size", "1M"])
tap.ok(rc == 2 and "--split-size" in se, "--split-size with --format mbox is a usage error", se)
rc, so, se = e2e.run_merged(["export", store, "--format", "pst", "-o", os.path.join(work, "m"),
                      "--split-size", "12Q"])
tap.ok(rc == 2 and "12Q" in se, "a SIZE that is no size is a usage error", se)

# Microsoft 365's 150 MB limit: a 151 MB message, warned about and counted
bob = os.path.join(store, "Users", "example.org", "bob")
with open(os.path.join(bob, "md59999999902.msg"), "wb") as f:
    f.write(message("huge one", 151 * MIB))
outb = os.path.join(work, "outb")
report = os.path.join(work, "report.json")
rc, so, se = e2e.run_merged(["export", store, "--format", "pst", "-o", outb, "-u", "bob@example.org",
                      "--report", report])
tap.ok(rc == 0, "a mailbox with a 151 MB message exports", se[-1000:])
tap.ok("md59999999902.msg" in se and "150 MB" in se and "Microsoft 365" in se,
       "the 151 MB message gets a warning naming it and the 150 MB limit", se[-2000:])
tap.ok("Microsoft 365 import: 1 item" in se, "the summary counts it", se[-1000:])
rows = json.load(open(report)).get("mailboxes", [])
tap.ok(any(r.get("import_warnings") == 1 for r in rows), "the report JSON has import_warnings: 1",
       json.dumps(rows)[:1000])

e2e.remove_work(work)
tap.done()
