#!/usr/bin/env python3
"""End-to-end: re-runs that cannot destroy evidence (issue 16).  An export
into a DIR holding an earlier export of a mailbox in another format, or made
with options that change the bytes written, is refused for that mailbox
(exit 2, a message naming DIR's file, the earlier format and date, and
--force), and the earlier export is left byte for byte; --dry-run says what
it would replace; --force replaces it and says so (removing the other
format's output once the new one is in place); the same format and options
replace it as before, and options that change nothing (-j, -q, --report,
--progress) are not a difference.

verify's scope: by default it checks the mailboxes DIR holds exports of (one
line counts the others of SOURCE), --all requires every mailbox of SOURCE,
and every file in DIR that no manifest describes is named (exit 1): the
issue's case, an mbox tree left beside a PST and its manifest."""

import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("rerun")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
USER = "bob@example.com"
work = e2e.tmpdir("rerun")
out = os.path.join(work, "legal")


def digest(top):
    res = {}
    for root, dirs, files in os.walk(top):
        for name in files:
            p = os.path.join(root, name)
            res[os.path.relpath(p, top)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return res


def export(*args):
    return e2e.run(["export", FIXTURE, "-o", out, "-u", USER, "--progress", "never"] + list(args))


def started(manifest):
    with open(manifest) as f:
        return json.loads(f.readline())["started"]


man = os.path.join(out, "example.com", "bob.manifest.jsonl")
rc, _o, err = export("-f", "eml")
tap.ok(rc == 0 and os.path.isdir(os.path.join(out, "example.com", "bob")),
       "an EML export of bob", err[-600:])
eml_made = started(man)
before = digest(out)

# another format: refused, nothing touched
report = os.path.join(work, "r.json")
rc, sout, err = export("-f", "mbox", "--report", report)
rows = {r["mailbox"]: r["result"] for r in json.load(open(report))["mailboxes"]}
tap.ok(rc == 2 and "holds the eml export made %s" % eml_made in err and "--force" in err and
       os.path.join(out, "example.com", "bob") in err and "this run writes mbox" in err,
       "-f mbox into it: exit 2, naming DIR's export, its format and date, and --force",
       "exit %d\n%s" % (rc, err[-1200:]))
tap.ok(digest(out) == before, "the EML export is byte for byte as it was")
tap.ok(rows == {USER: "refused"}, "the report's row says refused", repr(rows))
# issue 16: the summary is a result, on stdout; the refusal an error, on stderr
tap.ok("kept as it was (--force replaces it)" in sout, "the mailbox's summary says it was kept",
       sout[-800:])

# --dry-run says what it would replace
rc, sout, err = export("-f", "mbox", "--dry-run")
tap.ok(rc == 0 and "would replace: the eml export made %s (another format or options: "
       "refused without --force)" % eml_made in sout and digest(out) == before,
       "--dry-run: says it would replace the EML export and that it needs --force; "
       "nothing touched", sout[-800:])
rc, sout, err = e2e.run(["export", FIXTURE, "-n", "-f", "mbox", "-u", "dave@example.com",
                         "-o", out, "--progress", "never"])
tap.ok(rc == 0 and "would create: DIR holds no export of it" in sout,
       "--dry-run of a mailbox DIR does not hold: would create", sout[-800:])

# --force replaces it and says so
rc, sout, err = export("-f", "mbox", "--force")
files = sorted(os.listdir(os.path.join(out, "example.com", "bob")))
tap.ok(rc == 0 and "replaced: the eml export made %s" % eml_made in sout and
       files == ["INBOX.mbox"],
       "--force: the mbox export replaces the EML one (no .eml left), and says so",
       "exit %d %r\n%s" % (rc, files, sout[-800:]))
mbox_made = started(man)

# to PST with --force: the mbox tree (another name) is removed once the PST is in place
rc, sout, err = export("-f", "pst", "--force")
tap.ok(rc == 0 and os.path.isfile(os.path.join(out, "example.com", "bob.pst")) and
       not os.path.exists(os.path.join(out, "example.com", "bob")) and
       "replaced: the mbox export made %s" % mbox_made in sout,
       "--force to PST: bob.pst written, the earlier mbox tree removed, said",
       "exit %d %r\n%s" % (rc, os.listdir(os.path.join(out, "example.com")), sout[-800:]))
rc, vo, verr = e2e.run(["verify", FIXTURE, out, "-u", USER])
tap.ok(rc == 0, "verify passes on what --force left", (vo + verr)[-800:])

# the same format and options: replaced as before, and options that change nothing are no difference
rc, _o, err = export("-f", "pst", "-j", "1", "-q", "--report", report)
tap.ok(rc == 0, "the same format again, with -j 1, -q and --report: not refused", err[-800:])
before = digest(out)
for args, what in ((["--skip-deleted"], "--skip-deleted"), (["--since", "2020-01-01"], "--since"),
                   (["--exclude-folder", "Junk*"], "--exclude-folder"),
                   (["--vcard", "3.0"], "--vcard")):
    rc, _o, err = export("-f", "pst", *args)
    tap.ok(rc == 2 and "this run writes pst with %s" % " ".join(args) in err and
           digest(out) == before,
           "the same format with %s: refused, nothing touched" % what, err[-800:])
rc, _o, err = export("-f", "pst", "--since=2020-01-01")
tap.ok(rc == 2 and "--since 2020-01-01" in err, "--since=DATE is read as --since DATE", err[-600:])
rc, _o, err = export("-f", "pst", "--since", "2020-01-01", "--force")
pst_made = started(man)
tap.ok(rc == 0, "--since with --force: replaced", err[-600:])
rc, sout, err = export("-f", "pst", "--since", "2020-01-01")
tap.ok(rc == 0 and "replaced: the pst export made %s with --since 2020-01-01" % pst_made in sout,
       "the same options again: replaced without --force", sout[-800:])
# --force is for export only
rc, _o, err = e2e.run(["list", FIXTURE, "--force"])
tap.ok(rc == 2 and "not valid with list" in err, "list --force: a usage error", err[-400:])

# ---- verify: what DIR holds ------------------------------------------------------------
one = os.path.join(work, "one")
rc, _o, err = e2e.run(["export", FIXTURE, "-f", "mbox", "-o", one, "-u", USER, "-q"])
rc, vo, verr = e2e.run(["verify", FIXTURE, one])
tap.ok(rc == 0 and "mdexport: verify: 5 mailboxes of SOURCE have no export in DIR: not checked "
       "(--all requires every mailbox of SOURCE)" in vo and "1 mailbox: 2 verified" in vo and
       vo.count("\n") < 10,
       "verify of a one-mailbox export: checks that mailbox, one line for the 5 others, exit 0",
       (vo + verr)[-1200:])
rc, vo, verr = e2e.run(["verify", FIXTURE, one, "--json"])
doc = json.loads(vo) if rc in (0, 1) else {}
OTHERS = ["alice@example.com", "dave@example.com", "MDaemon@example.com", "carol@example.org",
          "Public Folders@public"]
tap.ok(rc == 0 and sorted(doc.get("not_in_dir", [])) == sorted(OTHERS),
       "--json: the mailboxes not in DIR are listed by name", vo[-800:])
rc, vo, verr = e2e.run(["verify", FIXTURE, one, "--all"])
tap.ok(rc == 1 and "NOT everything verifies" in vo and "missing" in vo,
       "--all: every mailbox of SOURCE is required; the absent ones are missing (exit 1)",
       vo[-600:])
rc, vo, verr = e2e.run(["verify", FIXTURE, one, "-u", "alice@example.com"])
tap.ok(rc == 1 and "cannot read the manifest" in vo,
       "--user naming a mailbox DIR does not hold: required, it fails", vo[-600:])
empty = os.path.join(work, "empty")
os.makedirs(empty)
rc, vo, verr = e2e.run(["verify", FIXTURE, empty])
tap.ok(rc == 1 and "DIR holds no export of any mailbox of SOURCE" in vo,
       "an empty DIR does not verify: it holds no export of SOURCE", vo[-600:])
# the case: an mbox tree beside a PST and its manifest
pst = os.path.join(work, "pst")
rc, _o, err = e2e.run(["export", FIXTURE, "-f", "pst", "-o", pst, "-u", USER, "-q"])
shutil.copytree(os.path.join(one, "example.com", "bob"), os.path.join(pst, "example.com", "bob"))
with open(os.path.join(pst, "notes.txt"), "w") as f:
    f.write("added by hand\n")
os.makedirs(os.path.join(pst, ".mdexport"))
rc, vo, verr = e2e.run(["verify", FIXTURE, pst])
tap.ok(rc == 1 and "unlisted: example.com/bob: in DIR, but no manifest describes it" in vo and
       "unlisted: notes.txt: in DIR, but no manifest describes it" in vo and
       "unlisted: .mdexport: the working folder of an export that was cut short" in vo and
       "NOT everything verifies" in vo and "example.com/bob.pst" not in
       "".join(l for l in vo.splitlines(True) if l.startswith("unlisted")),
       "an mbox tree left beside a PST, a file added by hand, a working folder: each named, "
       "exit 1; the PST itself is described", vo[-1200:])

e2e.remove_work(work)
tap.done()
