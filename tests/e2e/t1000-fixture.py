#!/usr/bin/env python3
"""End-to-end: export the hand-made fixture store (fixtures/store) to mbox,
Maildir and EML and read every message back with readers we did not write:
Python's mailbox module and Dovecot's doveadm.  fixtures/store.expected.json
(written by tools/mkfixture) says what each message must become."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

MTIME_CASE = 1650000000      # the date we give the record-less, header-less message

tap = e2e.Tap("fixture")
work = e2e.tmpdir("fixture")
store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))


expected = e2e.fixture_expected(store, spec, MTIME_CASE)
mail_folders = {(mb["domain"], mb["mailbox"]): [f["path"] for f in mb["folders"] if f["mail"]]
                for mb in e2e.fixture_mailboxes(spec)}
groupware = {(mb["domain"], mb["mailbox"]): [f for f in mb["folders"] if not f["mail"]]
             for mb in e2e.fixture_mailboxes(spec)}

frozen = e2e.freeze(store)

# ---- list -------------------------------------------------------------------
rc, out, err = e2e.run(["list", store, "--json"])
tap.eq(rc, 0, "list --json exits 0")
listing = json.loads(out)
got_boxes = sorted((b["domain"], b["mailbox"]) for b in listing["mailboxes"])
tap.eq(got_boxes, sorted(mail_folders), "list finds every mailbox (userlist.dat, Users/ walk, MailDir outside Users/)")
for b in listing["mailboxes"]:
    key = (b["domain"], b["mailbox"])
    got_mail = sorted(f["path"] for f in b["folders"] if f["mail"])
    tap.eq(got_mail, sorted(mail_folders[key]), "list %s@%s: mail folders" % (b["mailbox"], b["domain"]))
    got_gw = sorted((f["path"], f["class"]) for f in b["folders"] if not f["mail"])
    tap.eq(got_gw, sorted((f["path"], f["class"]) for f in groupware[key]),
           "list %s@%s: groupware folders with their class" % (b["mailbox"], b["domain"]))
    # issue 14: a calendar's (...) .msg files are exported as mail, and counted so
    counts = {f["path"]: f["messages"] for f in b["folders"]
              if f["mail"] or f["class"] in e2e.GROUPWARE_EXPORTED}
    want = {}
    for e in expected:
        if (e["domain"], e["mailbox"]) == key:
            want[e["folder"]] = want.get(e["folder"], 0) + 1
    tap.eq({k: v for k, v in counts.items() if v}, want,
           "list %s@%s: message counts per folder" % (b["mailbox"], b["domain"]))
rc, out, err = e2e.run(["list", store, "--folders"])
tap.ok(rc == 0 and "IPF.Appointment" in out and "Archive/2023/Q1" in out and "Bücher" in out,
       "list --folders prints a table with classes and decoded names", out[:2000])

# ---- export to each format ----------------------------------------------------
outs = {}
for fmt in ("mbox", "maildir", "eml"):
    outdir = os.path.join(work, "out-" + fmt)
    rc, out, err = e2e.run(["export", store, "--format", fmt, "--output", outdir])
    outs[fmt] = (outdir, err)
    tap.eq(rc, 0, "export --format %s exits 0" % fmt)
    for needle in ("Broken.IMAP/IMAP.MRK': ends with a torn record",
                   "lists 'md50000000199.msg' (UID 4) but the file is missing",
                   "IMAP.MRK says 4096 bytes, the file has",
                   "Future.IMAP/IMAP.MRK': unknown header version 7 (expected 1); its records read as version 1",
                   "Wide.IMAP/IMAP.MRK': holds 40-byte records",
                   "NoIndex.IMAP' has no IMAP.MRK"):
        tap.ok(needle in err, "export %s warns: %s" % (fmt, needle), err[-3000:])
    # issue 14: her contact is exported with her mail and counted with it
    # (issue 16: summaries are results, on stdout; the warnings above stay on stderr)
    tap.ok("alice@example.com: exported %d messages" % (sum(
        1 for e in expected if e["mailbox"] == "alice") + e2e.FIXTURE_GROUPWARE_ITEMS["alice"]) in out
        and "of them groupware: 0 events, 1 contact, 0 tasks, 0 notes" in out,
        "export %s: per-mailbox summary on stdout" % fmt, out[-1500:])
    tap.ok("3 groupware folders (documents, not exported)" in out and
           "1 stale index record (file missing)" in out,
           "export %s: summary names what was skipped and why" % fmt, out[-1500:])
    leftovers = [p for p in os.listdir(os.path.join(outdir, "example.com"))
                 if p.endswith(".partial") or p.endswith(".old")]
    tap.eq(leftovers, [], "export %s leaves no .partial/.old directories" % fmt)

# ---- the source was not touched (checked before anything else reads it) ------
changed = e2e.unchanged(store, frozen)
tap.ok(not changed, "the source store is unchanged: content, modes, mtimes and atimes "
       "(list + 3 exports read it)", "\n".join(changed[:20]))

e2e.check_mbox(tap, outs["mbox"][0], expected)
e2e.check_maildir(tap, outs["maildir"][0], expected)
e2e.check_eml(tap, outs["eml"][0], expected)

# the mboxrd case, looked at directly
raw = e2e.read(os.path.join(outs["mbox"][0], "example.com", "alice", "INBOX.mbox"))
tap.ok(b"\n>From here" in raw and b"\n>>From there" in raw and b"\n>>>From x" in raw,
       "mbox quotes From_ lines mboxrd-style")

# documents folders, queues, pruned mail and webmail caches never come out;
# calendars, contacts, tasks and notes do (issue 14): alice's one contact in
# Contacts.vcf beside the folder's mail, and no file for a folder without items
for fmt, (outdir, _) in outs.items():
    names = []
    for dp, ds, fs in os.walk(outdir):
        names += ds + fs
    bad = [n for n in names if any(w in n for w in ("Documents", "Queues", "BADMSGS", "WC"))]
    tap.eq(bad, [], "%s: no documents, queue, BADMSGS or WC content in the output" % fmt)
    gw = sorted(n for n in names if n.endswith((".ics", ".vcf", ".txt")))
    vcf = os.path.join(outdir, "example.com", "alice", "Contacts.vcf")
    card = open(vcf, encoding="utf-8", newline="").read() if os.path.exists(vcf) else ""
    tap.ok(gw == ["Contacts.vcf"] and "FN:Carol Example\r\n" in card and
           "EMAIL;PREF=1:carol@example.net\r\n" in card,
           "%s: alice's contact in Contacts.vcf, no file for the folders without items" % fmt,
           "%r\n%s" % (gw, card))
    dotted = [n for n in names if fmt != "maildir" and n.startswith(".")]
    tap.eq(dotted, [], "%s: no output name starts with a dot" % fmt)


# ---- re-run gives the same tree, no duplicates -------------------------------
for fmt, (outdir, _) in outs.items():
    first = e2e.tree_bytes(outdir)
    rc, _, err = e2e.run(["export", store, "--format", fmt, "--output", outdir])
    tap.ok(rc == 0 and e2e.tree_bytes(outdir) == first,
           "re-running export --format %s gives an identical tree" % fmt, err[-1000:])

# ---- options ---------------------------------------------------------------------
o = os.path.join(work, "only-alice")
rc, _, err = e2e.run(["export", store, "-f", "eml", "-o", o, "--user", "ALICE@example.com"])
tap.ok(rc == 0 and os.listdir(o) == ["example.com"] and
       sorted(os.listdir(os.path.join(o, "example.com"))) == ["alice", "alice.manifest.jsonl"],
       "--user selects one mailbox (case-insensitive)", err[-800:])
o = os.path.join(work, "only-org")
rc, _, err = e2e.run(["export", store, "-f", "mbox", "-o", o, "--domain", "example.org"])
tap.ok(rc == 0 and os.listdir(o) == ["example.org"], "--domain selects one domain", err[-800:])
rc, _, err = e2e.run(["export", store, "-f", "mbox", "-o", o, "--user", "nobody@example.com"])
tap.ok(rc == 2 and "no mailbox 'nobody@example.com'" in err, "--user naming no mailbox is an error (exit 2)", err)

o = os.path.join(work, "skipdel")
rc, out, err = e2e.run(["export", store, "-f", "eml", "-o", o, "--skip-deleted", "--user", "alice@example.com"])
want = [e for e in expected if e["mailbox"] == "alice" and "\\Deleted" not in e["flags"]]
tap.ok(rc == 0 and "1 deleted (--skip-deleted)" in out, "--skip-deleted counts what it leaves out (the summary, on stdout)", out[-800:])
e2e.check_eml(tap, o, want, " --skip-deleted")

o = os.path.join(work, "dry")
rc, out, err = e2e.run(["export", store, "-f", "maildir", "-o", o, "--dry-run"])
# issue 14: the groupware items are counted with the mail (issue 16: the last line is on stdout)
n_items = sum(e2e.FIXTURE_GROUPWARE_ITEMS.values())
tap.ok(rc == 0 and not os.path.exists(o) and
       "would export %d messages from" % (len(expected) + n_items) in out,
       "--dry-run reads everything and writes nothing", out[-600:])

# ---- other forms of SOURCE -------------------------------------------------------
alice = [e for e in expected if e["mailbox"] == "alice"]
for label, src in (("Users folder", os.path.join(store, "Users")),
                   ("one mailbox folder", os.path.join(store, "Users", "example.com", "alice"))):
    o = os.path.join(work, "src-" + label.replace(" ", "-"))
    rc, _, err = e2e.run(["export", src, "-f", "eml", "-o", o, "--user", "alice@example.com"])
    tap.eq(rc, 0, "SOURCE as the %s exits 0" % label)
    e2e.check_eml(tap, o, alice, " (SOURCE = %s)" % label)

# ---- --map for a MailDir that is not where userlist.dat says ---------------------
moved = os.path.join(work, "elsewhere")
shutil.copytree(store, os.path.join(work, "store2"), symlinks=True)
store2 = os.path.join(work, "store2")
shutil.move(os.path.join(store2, "Hashed"), moved)
o = os.path.join(work, "nomap")
rc, _, err = e2e.run(["export", store2, "-f", "eml", "-o", o, "--domain", "example.org"])
tap.ok(rc == 1 and "C:\\MDaemon\\Hashed\\ca\\carol\\" in err and "--map" in err,
       "a MailDir that cannot be found is named, with a hint, and exits 1", err)
o = os.path.join(work, "map")
rc, _, err = e2e.run(["export", store2, "-f", "eml", "-o", o, "--domain", "example.org",
                      "--map", "c:\\mdaemon\\HASHED=" + moved])
carol = [dict(e, path=e["path"].replace(os.path.join(store, "Hashed"), moved))
         for e in expected if e["mailbox"] == "carol"]
tap.eq(rc, 0, "--map WINPREFIX=LOCALDIR finds it (prefix matched case-insensitively)")
e2e.check_eml(tap, o, carol, " --map")

shutil.rmtree(work)
tap.done()
