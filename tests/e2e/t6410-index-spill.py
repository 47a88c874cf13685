#!/usr/bin/env python3
"""End-to-end: a folder's index spilled to disk gives the same export (issue 12).

The Maildir, mbox and EML readers keep a folder's index in core/recsort:
in memory up to a budget, past it in sorted runs in an unlinked temporary
file in $TMPDIR.  MDEXPORT_INDEX_MEM (bytes) sets the budget; 16 KiB makes
a folder of thousands of messages spill to hundreds of runs.

  - tools/mkbig folders (Maildir 20,000 messages with a dovecot-uidlist,
    plus files it does not list and a second file of one base name; mbox
    and EML 3,000) exported to mbox with the default budget and with
    16 KiB: exit 0, byte-identical output trees;
  - the spilled export read back with Python's mailbox: every message once,
    in the order of its UID (Maildir: the generator gives message i UID
    i+1, and the file names sort in another order), the unlisted files
    after it by name, and each message's flags (the generator's cycle);
  - the spill really happens: with $TMPDIR missing, the 16 KiB export
    fails that folder naming the temporary file, the default one does not.
"""

import mailbox
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("index-spill")
work = e2e.tmpdir("spill")
MKBIG = os.path.join(e2e.ROOT, "tools", "mkbig")
SMALL = "16384"
# the generator's flag bits: message i has letter k when bit k of i is set
LETTERS = "DFRST"


def export(src, out, mem=None, tmpdir=None):
    """export src to mbox in out (through one path, which the manifest names)"""
    env = dict(os.environ)
    env.pop("MDEXPORT_INDEX_MEM", None)
    if mem:
        env["MDEXPORT_INDEX_MEM"] = mem
    if tmpdir:
        env["TMPDIR"] = tmpdir
    tmp = os.path.join(work, "out")
    p = subprocess.run([e2e.MDEXPORT, "export", src, "--format", "mbox", "-o", tmp],
                       capture_output=True, env=env)
    if os.path.exists(tmp):
        os.rename(tmp, out)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def mbox_of(out):
    paths = []
    for dirpath, _, files in os.walk(out):
        paths += [os.path.join(dirpath, f) for f in files if f.endswith(".mbox")]
    return paths


def subjects_flags(path):
    got = []
    for m in mailbox.mbox(path, create=False):
        got.append((m["Subject"], "".join(sorted(m.get_flags()))))
    return got


def mbox_flags(i):
    """the Status and X-Status letters of Maildir message i once in mbox
    (new/ files, every tenth, carry no flags in their names)"""
    if i % 10 == 9:
        return "O"
    to_mbox = {"D": "T", "F": "F", "R": "A", "S": "R", "T": "D"}
    letters = "".join(to_mbox[c] for k, c in enumerate(LETTERS) if (i >> k) & 1)
    return "".join(sorted(letters + "O"))


def case(fmt, n):
    src = os.path.join(work, fmt)
    subprocess.run([MKBIG, "--format", fmt, "--messages", str(n), src], check=True)
    extras = []
    if fmt == "maildir":
        # files the uidlist does not give a UID: after the others, by name
        for name in ("zz-unlisted-2", "aa-unlisted-1"):
            with open(os.path.join(src, "cur", name + ":2,S"), "wb") as f:
                f.write(b"Subject: %s\n\nbody\n" % name.encode())
            extras.append(name)
        # a second file of a base name in new/, put in cur/: the UID goes to
        # one file only, the first in cur/ then new/ (as before issue 12),
        # and the file in new/ comes after the others, by name
        base = sorted(os.listdir(os.path.join(src, "new")))[0]
        with open(os.path.join(src, "new", base), "rb") as f:
            displaced = int(f.read().split(b"Subject: message ")[1].split(b"\n")[0])
        with open(os.path.join(src, "cur", base + ":2,"), "wb") as f:
            f.write(b"Subject: second of a base name\n\nbody\n")
    source = os.path.join(src, "INBOX") if fmt == "mbox" else src
    a, b = os.path.join(work, fmt + "-mem"), os.path.join(work, fmt + "-spill")
    rc1, err1 = export(source, a)
    rc2, err2 = export(source, b, SMALL)
    tap.ok(rc1 == 0 and rc2 == 0, "%s: both exports exit 0" % fmt, err1[-300:] + err2[-300:])
    tap.ok(e2e.tree_bytes(a) == e2e.tree_bytes(b),
           "%s: %d messages, spilled at %s bytes: output byte-identical" % (fmt, n, SMALL))
    boxes = mbox_of(b)
    tap.eq(len(boxes), 1, "%s: one mbox" % fmt)
    got = subjects_flags(boxes[0]) if boxes else []
    want_subj = ["message %d" % i for i in range(n)]
    if fmt == "maildir":
        want_subj[displaced] = "second of a base name"
        want_subj += ["message %d" % displaced] + sorted(extras)
    tap.eq([s for s, _ in got], want_subj,
           "%s: every message once, in UID order%s" %
           (fmt, ", the unlisted files after by name" if extras else ""))
    if fmt == "maildir":
        bad = [i for i in range(n) if i != displaced and got[i][1] != mbox_flags(i)]
        tap.eq(bad[:5], [], "%s: each message's flags" % fmt)
    # the spill is real: without a place for the temporary file it fails
    rc3, err3 = export(source, os.path.join(work, fmt + "-notmp"), SMALL,
                       os.path.join(work, "no-such-dir"))
    rc4, _ = export(source, os.path.join(work, fmt + "-notmp-mem"), None,
                    os.path.join(work, "no-such-dir"))
    tap.ok(rc3 != 0 and "temporary file of a folder's index" in err3 and "no-such-dir" in err3,
           "%s: a 16 KiB budget needs $TMPDIR (it spills)" % fmt, err3[-400:])
    tap.eq(rc4, 0, "%s: the default budget does not (all in memory)" % fmt)
    for d in (src, a, b):
        shutil.rmtree(d, ignore_errors=True)


case("maildir", 20000)
case("mbox", 3000)
case("eml", 3000)
e2e.remove_work(work)
tap.done()
