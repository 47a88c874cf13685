#!/usr/bin/env python3
"""End-to-end: the command line an admin types (issue 16).

`export SOURCE DIR` is taken as `verify SOURCE DIR` is (DIR or --output,
not two different ones); `--report FILE` in a folder that does not exist
yet gets its folder made, as --output's is; a run stopped before the
mailboxes (a report that cannot be written) says why in one line and
nothing else; `mdexport help COMMAND` is `mdexport COMMAND --help`."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("cli")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
work = e2e.tmpdir("cli")
BOB = "bob@example.com"

# export SOURCE DIR
d1 = os.path.join(work, "positional")
rc, out, err = e2e.run(["export", FIXTURE, d1, "-f", "mbox", "-u", BOB, "--progress", "never"])
tap.ok(rc == 0 and os.path.isfile(os.path.join(d1, "example.com", "bob", "INBOX.mbox")) and
       "bob@example.com: exported 2 messages" in out,
       "export SOURCE DIR: DIR taken as --output", out + err)
rc, vout, verr = e2e.run(["verify", FIXTURE, d1])
tap.ok(rc == 0, "verify SOURCE DIR passes on it", vout + verr)
d2 = os.path.join(work, "same")
rc, out, err = e2e.run(["export", FIXTURE, d2, "-o", d2, "-f", "mbox", "-u", BOB, "-q"])
tap.ok(rc == 0 and os.path.isdir(os.path.join(d2, "example.com", "bob")),
       "export SOURCE DIR --output DIR (the same DIR): accepted", err)
rc, out, err = e2e.run(["export", FIXTURE, d1, "-o", os.path.join(work, "other"), "-f", "mbox"])
tap.ok(rc == 2 and err.startswith("mdexport: DIR given twice") and
       "Try 'mdexport export --help'." in err and not os.path.exists(os.path.join(work, "other")),
       "export SOURCE DIR --output OTHER: a usage error, nothing written", err)
rc, out, err = e2e.run(["export", FIXTURE, d1, os.path.join(work, "third"), "-f", "mbox"])
tap.ok(rc == 2 and "unexpected argument" in err and os.path.join(work, "third") in err,
       "export SOURCE DIR EXTRA: a usage error naming EXTRA", err)

# --report FILE in folders that do not exist yet
rep = os.path.join(work, "reports", "2026", "bob.json")
rc, out, err = e2e.run(["export", FIXTURE, "-o", os.path.join(work, "r"), "-f", "eml", "-u", BOB,
                        "-q", "--report", rep])
doc = json.load(open(rep)) if os.path.isfile(rep) else {}
tap.ok(rc == 0 and [m["mailbox"] for m in doc.get("mailboxes", [])] == [BOB],
       "--report in a folder that does not exist: the folders are made, the report written",
       err + repr(doc)[:300])

# a report that cannot be written: one line, nothing exported, no second complaint
blocker = os.path.join(work, "a-file")
open(blocker, "w").write("not a folder\n")
o = os.path.join(work, "never")
rc, out, err = e2e.run(["export", FIXTURE, "-o", o, "-f", "mbox", "-u", BOB,
                        "--report", os.path.join(blocker, "r.json")])
tap.ok(rc == 2 and len(err.splitlines()) == 1 and blocker in err and "Not a directory" in err
       and out == "" and not os.path.exists(o),
       "a --report that cannot be made: exit 2, one line naming it, nothing exported", out + err)

# help COMMAND
for cmd in ("export", "verify", "list", "accounts", "report", "seal"):
    rc1, h1, e1 = e2e.run(["help", cmd])
    rc2, h2, e2 = e2e.run([cmd, "--help"])
    tap.ok(rc1 == 0 and rc2 == 0 and h1 == h2 and h1.startswith("usage: mdexport " + cmd),
           "mdexport help %s is mdexport %s --help" % (cmd, cmd), e1 + e2)
rc, out, err = e2e.run(["export", "--help"])
tap.ok("mdexport export SOURCE DIR" in out, "export --help says DIR may follow SOURCE", out[-600:])

e2e.remove_work(work)
tap.done()
