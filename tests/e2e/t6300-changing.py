#!/usr/bin/env python3
"""End-to-end: a source message that changes while it is exported (issue 10,
"bytes read are bytes reported").

Through the source-side hook of the fault-injection build (MDEXPORT_FAULTY,
formats/core/sysio.h): MDX_FAULT=grow:PATTERN appends 100,000 bytes to the
.msg right after the reader's first read of it, shrink: cuts it to half,
touch: moves its modification time on (same bytes); with -once only the
first time, so that the re-read from the start finds it settled.  For every
format (EML, mbox, Maildir, PST), on the fixture's 809-byte message and on it
grown to 300 KB beforehand (past the reader's first 64 KiB read):

  - changed once (grow, shrink, touch): exit 0, a warning naming the file
    and "changed while it was read"; the manifest's size and SHA-256 are
    those of the file as it is now, and the output holds exactly those bytes
    (EML byte for byte, Maildir with LF, the mbox range unquoted, the PST
    through `mdexport verify`); `verify` passes;
  - changed every time it is read: exit 1, an error naming the file and
    "changed while it was read"; its manifest line is skipped with reason
    "changed", no sha256, no output, counted as unreadable in the totals;
    nothing of it is in the output (no appended byte anywhere); `verify`
    names it and exits 1.

On the code before this test the grown EML held 65,507 appended bytes,
the manifest the size at open and a SHA-256 of more bytes than that, and
the run exited 0."""

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("changing")
FAULTY = os.environ.get("MDEXPORT_FAULTY") or os.path.join(e2e.ROOT, "build-fault", "mdexport")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
MSG = "md50000000101.msg"
REL = "Users/example.com/alice/" + MSG
MARK = b"appended while it was read"
work = e2e.tmpdir("changing")


def run(binary, args, fault=None):
    env = dict(os.environ)
    env.pop("MDX_FAULT", None)
    if fault:
        env["MDX_FAULT"] = fault
    p = e2e.subprocess.run([binary] + args, capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def manifest(out):
    with open(os.path.join(out, "example.com", "alice.manifest.jsonl"), "rb") as f:
        lines = [json.loads(ln.decode("utf-8", "surrogateescape")) for ln in f]
    return lines[0], {ln["source"]: ln for ln in lines[1:]}


def output_bytes(fmt, out, line):
    """The bytes the writer made of the message, undone to the source's form
    as far as the format allows (the caller applies the same to the source)."""
    o = line["output"]
    if o is None:
        return None
    if fmt == "eml" or fmt == "maildir":
        return e2e.read(os.path.join(out, o["file"]))
    data = e2e.read(os.path.join(out, o["file"]))[o["offset"]:o["offset"] + o["length"]]
    data = data.split(b"\n", 1)[1]             # the From_ line
    data = e2e.mboxrd_unquote(e2e.strip_status_fields(data))
    return data[:-1]                          # the separating empty line


def expected_bytes(fmt, src):
    if fmt == "eml":
        return src
    if fmt == "maildir":
        return e2e.to_lf(src)
    return e2e.mbox_expected(src)


def all_output(out):
    """Every byte under the mailbox's output (files and PST)."""
    blobs = []
    for top, _dirs, files in os.walk(os.path.join(out, "example.com")):
        for name in files:
            if not name.endswith(".manifest.jsonl"):
                blobs.append(e2e.read(os.path.join(top, name)))
    return b"".join(blobs)


def case(fmt, mode, big=False):
    label = "%s, %s%s" % (fmt, mode, ", 300 KB message" if big else "")
    d = os.path.join(work, "%s-%s%s" % (fmt, mode, "-big" if big else ""))
    store = e2e.copytree(FIXTURE, os.path.join(d, "store"))
    path = os.path.join(store, REL)
    if big:     # past the reader's first read (64 KiB): the copy loop reads the rest
        with open(path, "ab") as f:
            f.write(b"".join(
                b"a longer body, line %06d of many\r\n" % i for i in range(9000)))
    before = e2e.read(path)
    out = os.path.join(d, "out")
    rc, _o, err = run(FAULTY, ["export", store, "--format", fmt, "--output", out,
                               "--user", "alice@example.com"], "%s:%s" % (mode, MSG))
    now = e2e.read(path)
    once = mode.endswith("-once")
    kind = mode.split("-")[0]
    want_size = {"grow": len(before) + 100000, "shrink": len(before) // 2,
                 "touch": len(before)}[kind]
    if once:
        tap.eq(len(now), want_size, "%s: the hook changed the source once (%d bytes now)"
               % (label, want_size))
    named = [ln for ln in err.splitlines() if "'%s' changed while it was read" % REL in ln]
    run_line, lines = manifest(out)
    line = lines.get(REL)
    if not tap.ok(line is not None, "%s: the manifest has a line for %s" % (label, REL)):
        return
    if once:
        tap.ok(rc == 0 and any(ln.startswith("mdexport: warning:") and "reading it again" in ln
                               for ln in named),
               "%s: exit 0, a warning names the file, 'changed while it was read'" % label,
               "exit %d\n%s" % (rc, err[-2000:]))
        tap.eq((line["status"], line["size"], line["sha256"]),
               ("exported", len(now), e2e.sha256(now)),
               "%s: manifest size and sha256 are the file's as it is now" % label)
        if fmt != "pst":
            tap.ok(output_bytes(fmt, out, line) == expected_bytes(fmt, now),
                   "%s: the output is exactly those bytes (%d)" % (label, len(now)))
        tap.eq(run_line["totals"]["unreadable"], 0, "%s: nothing counted unreadable" % label)
    else:
        tap.ok(rc == 1 and any(ln.startswith("mdexport: error:") for ln in named),
               "%s: exit 1, an error names the file, 'changed while it was read'" % label,
               "exit %d\n%s" % (rc, err[-2000:]))
        tap.eq((line["status"], line["reason"], line["sha256"], line["output"]),
               ("skipped", "changed", None, None),
               "%s: its line: skipped, reason changed, no sha256, no output" % label)
        # the size at its second open: the first read saw it change once already
        second = {"grow": len(before) + 100000, "shrink": len(before) // 2,
                  "touch": len(before)}[kind]
        tap.eq(line["size"], second, "%s: size is the file's at its last open" % label)
        t = run_line["totals"]
        tap.ok(t["unreadable"] == 1 and t["exported"] == t["messages"] - t["skipped"] and
               t["bytes"] == sum(ln["size"] for ln in lines.values() if ln["status"] == "exported"),
               "%s: totals count it unreadable, not exported, its bytes not in 'bytes'" % label,
               repr(t))
        if kind == "grow":
            tap.ok(MARK not in all_output(out),
                   "%s: no appended byte anywhere in the output" % label)
        if fmt == "eml":
            tap.ok(not os.path.exists(os.path.join(out, "example.com", "alice", "INBOX",
                                                   "000001.eml")),
                   "%s: no EML file for it" % label)
    vrc, vout, verr = run(e2e.MDEXPORT, ["verify", store, out, "--user", "alice@example.com"])
    if once:
        tap.ok(vrc == 0, "%s: verify passes" % label, vout[-1500:] + verr[-500:])
    else:
        tap.ok(vrc == 1 and "changed while the export read it" in vout and
               "1 unreadable" in vout and "0 extra" in vout and "0 altered" in vout,
               "%s: verify exits 1, names it as changed, nothing extra or altered" % label,
               vout[-1500:] + verr[-500:])
    shutil.rmtree(d, ignore_errors=True)


if not tap.ok(os.access(FAULTY, os.X_OK), "the fault-injection build is there (make fault)",
              FAULTY):
    tap.done()
for fmt in ("eml", "mbox", "maildir", "pst"):
    for mode in ("grow-once", "shrink-once", "touch-once", "grow", "shrink", "touch"):
        case(fmt, mode)
    for mode in ("grow-once", "shrink-once", "grow"):
        case(fmt, mode, big=True)
shutil.rmtree(work, ignore_errors=True)
tap.done()
