#!/usr/bin/env python3
"""End-to-end: adversarial folder, mailbox and domain names (issue 10).

tests/lib/advnames.py generates, from a seed, names in every collision
class the output naming can meet: names ending in each suffix the tool
appends (.pst, .mbox, .eml, .manifest.jsonl, any case; a folder `A` next to
`A.mbox/B`; EML's `INBOX/000001.eml` next to the message 000001.eml), the
tool's own working names (.partial, .old, .lock, .mdexport), case twins
(Inbox/INBOX/inbox below a parent), NFC/NFD twins, names that differ only by
'.', '%', a literal '%2E', '\\', '~', spaces, leading and trailing dots,
250-byte components (the most a `<name>.IMAP` directory can hold), a folder
path past 4,096 bytes, and seeded random names over those bytes.  Mailboxes
and domains are named like the tool's outputs (`john.pst`,
`john.manifest.jsonl`, `john.partial`, `.mdexport`, a domain `mail.pst`).
Names a store cannot hold ('/', NUL, '&' which would read as modified
UTF-7, a top-level Inbox) are left out (see advnames.py).

For every format (mbox, Maildir, EML, PST) the store is exported and:
- exit status 0, no error on stderr;
- every message exactly once, its bytes, flags and dates as the format keeps
  them (read back through directory descriptors, since paths exceed
  PATH_MAX: Python's mailbox for mbox, plain reads for EML and Maildir,
  tests/lib/pstread.py for PST, with the exact source folder names);
- the messages of one source folder together, distinct source folders in
  distinct outputs (.mbox files, Maildir folders, EML directories, PST
  folders);
- names that need no shortening exactly as the rule says (README "Names"
  plus the %2E for a reserved suffix), Maildir as Maildir++ with listescape;
- DIR holds only the domains and .mdexport, each domain only its mailboxes'
  outputs and manifests (no working file next to them);
- `mdexport verify SOURCE DIR` exit 0;
- SOURCE unchanged (snapshot of every entry before and after)."""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import advnames  # noqa: E402
import fdtree  # noqa: E402

SEED = int(os.environ.get("MDX_NAMES_SEED", "6100"))
FORMATS = ("mbox", "maildir", "eml", "pst")

tap = e2e.Tap("names")
work = e2e.tmpdir("names")
started = time.time()


def run(args, timeout=300):
    p = subprocess.run([e2e.MDEXPORT] + list(args), capture_output=True, cwd=work,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def errors(err):
    return [ln for ln in err.splitlines() if "error:" in ln][:10]


print("# seed %d (MDX_NAMES_SEED)" % SEED)
store = os.path.join(work, "store")
st, specs = advnames.build_names_store(store, SEED)
# the generator is deterministic: the same seed, the same names
tap.ok(advnames.folder_specs(SEED) == specs and advnames.folder_specs(SEED + 1) != specs,
       "the name generator is deterministic for a seed (and the seed matters)")
classes = {c for c, _ in specs}
tap.ok(classes >= {"suffix", "tool", "case", "unicode", "escape", "long", "deep", "random"},
       "the generator covers every collision class", sorted(classes))
deepest = max(sum(len(p.encode()) + 1 for p in parts) for _c, parts in specs)
tap.ok(deepest > 4096, "the deepest folder path is %d bytes (> 4,096)" % deepest)
src_before = fdtree.snapshot(store)
boxes = sorted({(e["domain"], e["mailbox"]) for e in st.expected})
print("# %d folders, %d mailboxes, %d messages" % (len(st.folders[("example.com", "adv")]),
                                                    len(boxes), len(st.expected)))

for fmt in FORMATS:
    o = os.path.join(work, "out-" + fmt)
    t = time.time()
    try:
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
    except subprocess.TimeoutExpired:
        tap.ok(False, "%s: the export finishes within 300 s" % fmt)
        continue
    tap.ok(rc == 0 and not errors(err), "%s: export of the adversarial store: exit 0, no "
           "error (%.1f s)" % (fmt, time.time() - t),
           "exit %d\n%s" % (rc, "\n".join(errors(err)) or err[-1500:]))
    if not os.path.isdir(o):
        tap.ok(False, "%s: DIR was written" % fmt)
        continue
    fdtree.check_export(tap, fmt, o, st.expected, " (adversarial names)")
    # what DIR holds: the domains and .mdexport; each domain its outputs and manifests
    problems = []
    tree = fdtree.read_tree(o, read_data=False)
    want_top = {advnames.out_name(d).encode() for d, _b in boxes} | {b".mdexport"}
    got_top = {k[0] for k in tree if len(k) == 1}
    if got_top - want_top:
        problems.append("DIR holds %r besides the domains and .mdexport" % sorted(got_top - want_top))
    for dom in sorted({d for d, _b in boxes}):
        want = set()
        for d, b in boxes:
            if d == dom:
                base = advnames.out_name(b).encode()
                want |= {base + (b".pst" if fmt == "pst" else b""), base + b".manifest.jsonl"}
        got = {k[1] for k in tree if len(k) == 2 and k[0] == advnames.out_name(dom).encode()}
        if got != want:
            problems.append("DIR/%s: extra %r, missing %r" % (advnames.out_name(dom),
                                                             sorted(got - want), sorted(want - got)))
    tap.ok(not problems, "%s: DIR/<domain> holds exactly each mailbox's output and manifest "
           "under its escaped name (no working files beside them)" % fmt, "\n".join(problems))
    longn = [k for k in tree if len(k[-1]) > 255]
    tap.ok(not longn, "%s: every output path component is at most 255 bytes" % fmt,
           repr(longn[:3]))
    vrc, vout, verr = run(["verify", store, o])
    tap.ok(vrc == 0, "%s: mdexport verify SOURCE DIR exit 0" % fmt,
           "exit %d\n%s\n%s" % (vrc, "\n".join(ln for ln in vout.splitlines()
                                               if "FAILED" in ln or "problem" in ln)[:1500],
                                verr[-800:]))
    shutil.rmtree(o, ignore_errors=True)

tap.ok(fdtree.snapshot(store) == src_before, "SOURCE unchanged by 4 exports and 4 verifies",
       "\n".join(fdtree.snapshot_diff(src_before, fdtree.snapshot(store))))
shutil.rmtree(work, ignore_errors=True)
print("# t6100 took %.0f s" % (time.time() - started))
tap.done()
