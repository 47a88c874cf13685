#!/usr/bin/env python3
"""End-to-end: filters (issue 13): --since, --until, --folder,
--exclude-folder, --min-size, --max-size for export, verify and list.

The fixture store (fixtures/store) is exported with each filter case to
mbox and Maildir (and one case to PST).  What must be taken is computed
here, independently: internal dates from fixtures/store.expected.json
(tools/mkfixture's), sizes from the source files, folder paths matched by
a glob translation of our own ('*' within one level, case-insensitive).
Checked: the output read back with Python's mailbox (and readpst for the
PST) holds exactly the messages taken; the summary's, the report's and the
manifest's counts of `filtered` agree with that computation; verify with
the same filters exits 0, without them exits 1 naming the filtered ones
missing; list with the filters shows the folders taken and counts only the
messages taken; `mdexport report` sums filtered and refuses reports of
different filters; bad values are usage errors (exit 2) naming the value.
"""

import collections
import email
import email.policy
import json
import mailbox
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("filters")
work = e2e.tmpdir("filters")
store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
ALL = e2e.fixture_expected(store, spec)
for e in ALL:
    e["size"] = os.path.getsize(e["path"])
# a folder's "mail": it is written as a mail folder (since issue 14 a calendar's, ... too)
FOLDERS = {(mb["domain"], mb["mailbox"]): [(f["path"], f["mail"] or f.get("class") in
                                            e2e.GROUPWARE_EXPORTED) for f in mb["folders"]]
           for mb in e2e.fixture_mailboxes(spec)}
MAIL_FOLDERS = {(mb["domain"], mb["mailbox"]): {f["path"] for f in mb["folders"] if f["mail"]}
                for mb in e2e.fixture_mailboxes(spec)}
# issue 14: alice's one contact (AddrBook.mrk) is an item of her Contacts folder, filtered as
# a message is: its date is the file's mtime (it has no Modified), its size its own bytes
_mrk_rel = "Users/example.com/alice/Contacts.IMAP/AddrBook.mrk"
_mrk = e2e.read(os.path.join(store, _mrk_rel))
_off = _mrk.find(b"<contact>")
_end = _mrk.find(b"</contact>") + len(b"</contact>")
ITEMS = [{"domain": "example.com", "mailbox": "alice", "folder": "Contacts", "item": True,
          "rel": "%s@%d" % (_mrk_rel, _off), "size": _end - _off,
          "internaldate": int(os.path.getmtime(os.path.join(store, _mrk_rel)))}]


def glob_re(g):
    """fnmatch with FNM_PATHNAME | FNM_CASEFOLD, for the globs used here (* ? [..])"""
    out = ""
    for c in g:
        out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
    return re.compile(out + r"\Z", re.IGNORECASE)


def folder_taken(case, path):
    inc, exc = case.get("folder", []), case.get("exclude", [])
    if inc and not any(glob_re(g).match(path) for g in inc):
        return False
    return not any(glob_re(g).match(path) for g in exc)


def msg_taken(case, e):
    return (case.get("since") is None or e["internaldate"] >= case["since"]) and \
        (case.get("until") is None or e["internaldate"] <= case["until"]) and \
        (case.get("min") is None or e["size"] >= case["min"]) and \
        (case.get("max") is None or e["size"] <= case["max"])


D = 86400
CASES = [
    # bare dates: --since from 00:00:00, --until to the end of its day
    # (INBOX/Projects has a message at 2023-10-02T09:00Z: taken)
    {"name": "dates", "args": ["--since", "2023-03-01", "--until", "2023-10-02"],
     "since": 1677628800, "until": 1696204800 + D - 1},
    # times at a message's exact second: both bounds inclusive; a zone
    {"name": "times", "args": ["--since", "2023-11-15T08:00:00Z",
                               "--until", "2023-11-20T15:00+02:00"],
     "since": 1700035200, "until": 1700485200},
    # globs: 'inbox' is that folder only, 'archive/*' one level down only;
    # --exclude-folder wins over --folder
    {"name": "folders", "args": ["--folder", "inbox", "--folder", "archive/*",
                                 "--folder", "Deleted Items", "--exclude-folder", "DELETED*"],
     "folder": ["inbox", "archive/*", "Deleted Items"], "exclude": ["DELETED*"]},
    {"name": "exclude", "args": ["--exclude-folder", "inbox/*", "--exclude-folder", "Broken",
                                 "--exclude-folder", "Calendar"],
     "exclude": ["inbox/*", "Broken", "Calendar"]},
    {"name": "sizes", "args": ["--min-size", "700", "--max-size", "760b"],
     "min": 700, "max": 760},
    {"name": "mixed", "args": ["--since", "2023-06-01", "--max-size", "1K",
                               "--exclude-folder", "Wide"],
     "since": 1685577600, "max": 1024, "exclude": ["Wide"]},
]

for c in CASES:
    taken, filtered = [], []
    for e in ALL + ITEMS:
        if folder_taken(c, e["folder"]):
            (taken if msg_taken(c, e) else filtered).append(e)
    c["taken"], c["filtered"] = taken, filtered
tap.ok(all(c["taken"] and c["filtered"] for c in CASES if "since" in c or "max" in c) and
       all(len(c["taken"]) + len(c["filtered"]) < len(ALL) for c in CASES if "exclude" in c) and
       all(len(c["taken"]) < len(ALL) for c in CASES),
       "every case takes some messages and leaves some out (the test can fail)",
       {c["name"]: (len(c["taken"]), len(c["filtered"])) for c in CASES})


def per_box(items):
    n = collections.Counter()
    for e in items:
        n["%s@%s" % (e["mailbox"], e["domain"])] += 1
    return n


def read_pst_ids(pst):
    """(folder, Message-ID) of every message readpst finds in pst (-D: with Deleted Items)"""
    rp = e2e.tmpdir("filters-readpst")
    subprocess.run(["readpst", "-q", "-D", "-r", "-j", "0", "-o", rp, pst], capture_output=True)
    out = collections.Counter()
    for dirpath, _dirs, files in os.walk(rp):
        if "mbox" in files:
            folder = "/".join(os.path.relpath(dirpath, rp).split(os.sep)[1:])
            box = mailbox.mbox(os.path.join(dirpath, "mbox"), create=False)
            for key in box.iterkeys():
                m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.compat32)
                out[(folder, " ".join(str(m.get("Message-ID", "")).split()))] += 1
            box.close()
    e2e.remove_work(rp)
    return out


def check_counts(c, label, out, summaries, report):
    want = per_box(c["filtered"])
    boxes = sorted(FOLDERS)
    got_sum = {}
    for dom, box in boxes:
        addr = "%s@%s" % (box, dom)
        m = re.search(r"skipped: \d+ deleted \(--skip-deleted\), (\d+) filtered",
                      e2e.summary(summaries, addr))
        got_sum[addr] = int(m.group(1)) if m else None
    tap.eq({a: n for a, n in got_sum.items() if n}, dict(want),
           "%s: each mailbox's summary counts its filtered messages" % label)
    rows = {b["mailbox"]: b["filtered"] for b in report["mailboxes"]}
    tap.eq({a: n for a, n in rows.items() if n}, dict(want),
           "%s: the report JSON's per-mailbox filtered" % label)
    tap.ok(report["totals"]["filtered"] == len(c["filtered"]) and
           report["totals"]["exported"] == len(c["taken"]) and report["filters"] is not None,
           "%s: the report's totals (filtered %d, exported %d) and its filters object"
           % (label, len(c["filtered"]), len(c["taken"])), json.dumps(report["totals"]))
    lines = []
    for dom, box in boxes:
        p = os.path.join(out, e2e.fs_escape(dom), e2e.fs_escape(box) + ".manifest.jsonl")
        lines += [json.loads(ln) for ln in open(p, encoding="utf-8").read().splitlines()[1:]]
    got_f = sorted(x["source"] for x in lines if x["reason"] == "filtered")
    got_all = sorted(x["source"] for x in lines)
    tap.eq(got_f, sorted(e["rel"] for e in c["filtered"]),
           "%s: manifest lines skipped/filtered are exactly the messages left out" % label)
    tap.eq(got_all, sorted(e["rel"] for e in c["taken"] + c["filtered"]),
           "%s: the manifests list every message of the folders taken, none of others"
           % label)


def check_output(c, fmt, out, label):
    if fmt == "pst":
        got = collections.Counter()
        for dom, box in sorted(FOLDERS):
            pst = os.path.join(out, e2e.fs_escape(dom), e2e.fs_escape(box) + ".pst")
            for (folder, mid), n in read_pst_ids(pst).items():
                got[(dom, box, mid)] += n
        want = collections.Counter()
        for e in c["taken"]:
            if e.get("item"):       # an Outlook contact, not a message readpst writes to mbox
                continue
            mid = " ".join(str(email.message_from_bytes(
                e2e.read(e["path"]), policy=email.policy.compat32).get("Message-ID", "")).split())
            want[(e["domain"], e["mailbox"], mid)] += 1
        tap.eq(got, want, "%s: readpst finds exactly the messages taken (by Message-ID)" % label)
        return
    mail = [e for e in c["taken"] if not e.get("item")]
    e2e.check_format(tap, fmt, out, mail, label=" " + label, use_dovecot=False)
    total = 0
    for dom, box in sorted(FOLDERS):
        root = os.path.join(out, e2e.fs_escape(dom), e2e.fs_escape(box))
        if fmt == "mbox":
            tree = e2e.read_mbox_tree(root)
            want = {f for f, mail in FOLDERS[(dom, box)] if mail and folder_taken(c, f)}
            tap.eq(set(tree), want, "%s %s@%s: an mbox for each folder taken, none for "
                   "another" % (label, box, dom))
        else:
            tree = e2e.read_maildir_python(root)
        total += sum(len(v) for v in tree.values())
    tap.eq(total, len(mail), "%s: the output holds %d messages in all" % (label, len(mail)))


def verify_both(c, out, label):
    rc, vout, verr = e2e.run(["verify", store, out, "--json"] + c["args"])
    tap.ok(rc == 0, "%s: verify with the same filters exits 0" % label, verr[-1500:] + vout[-1500:])
    rc, vout, verr = e2e.run(["verify", store, out, "--json"])
    doc = json.loads(vout) if vout.strip() else {}
    t = doc.get("totals", {})
    no_line = sum(1 for e in ALL + ITEMS if not folder_taken(c, e["folder"]))
    tap.ok(rc == 1 and t.get("missing") == len(c["filtered"]) and
           t.get("manifest") == no_line and t.get("verified") == len(c["taken"]),
           "%s: verify without the filters exits 1: %d filtered missing, %d without a "
           "manifest line" % (label, len(c["filtered"]), no_line), json.dumps(t))


runs = [(c, fmt) for c in CASES for fmt in ("mbox", "maildir")] + [(CASES[5], "pst")]
for c, fmt in runs:
    label = "%s/%s" % (c["name"], fmt)
    out = os.path.join(work, label.replace("/", "-"))
    rep = out + ".json"
    rc, sout, err = e2e.run(["export", store, "-f", fmt, "-o", out, "--report", rep] + c["args"])
    if not tap.ok(rc == 0, "%s: export exits 0" % label, err[-1500:]):
        continue
    report = json.load(open(rep))
    check_output(c, fmt, out, label)
    check_counts(c, label, out, sout, report)  # issue 16: the summaries are on stdout
    verify_both(c, out, label)

# ---- list -------------------------------------------------------------------------------
for c in CASES:
    rc, out, err = e2e.run(["list", store, "--json"] + c["args"])
    doc = json.loads(out) if rc == 0 else {"mailboxes": []}
    got_f, got_n = {}, collections.Counter()
    for b in doc["mailboxes"]:
        got_f[(b["domain"], b["mailbox"])] = sorted(f["path"] for f in b["folders"])
        for f in b["folders"]:
            if f["mail"]:
                got_n[(b["domain"], b["mailbox"], f["path"])] = f["messages"]
    want_f = {k: sorted(p for p, _m in v if folder_taken(c, p)) for k, v in FOLDERS.items()}
    want_n = collections.Counter()
    for e in c["taken"]:
        # list counts mail folders' messages (a groupware folder is listed as such, its
        # items and .msg files not filtered: list reads no XML, issue 14)
        if not e.get("item") and e["folder"] in MAIL_FOLDERS[(e["domain"], e["mailbox"])]:
            want_n[(e["domain"], e["mailbox"], e["folder"])] += 1
    tap.ok(rc == 0 and got_f == want_f, "list %s: only the folders taken" % c["name"],
           err[-800:] + json.dumps({"%s@%s" % k: v for k, v in got_f.items()})[:1500])
    tap.eq(+got_n, +want_n, "list %s: per folder, the messages taken" % c["name"])

# ---- report: shards of one job sum filtered; different filters are refused --------------
shards = []
for k in (1, 2):
    rep = os.path.join(work, "shard%d.json" % k)
    rc, _o, err = e2e.run(["export", store, "-f", "mbox", "-o", os.path.join(work, "sh"),
                           "--shard", "%d/2" % k, "--report", rep] + CASES[0]["args"])
    tap.ok(rc == 0, "shard %d/2 with filters: exit 0" % k, err[-800:])
    shards.append(rep)
rc, out, err = e2e.run(["report", "--json"] + shards)
doc = json.loads(out) if rc == 0 else {}
tap.ok(rc == 0 and doc["totals"]["filtered"] == len(CASES[0]["filtered"]) and
       doc["filters"] == json.load(open(shards[0]))["filters"],
       "report sums the shards' filtered (%d) and names their filters" % len(CASES[0]["filtered"]),
       err[-800:])
other = os.path.join(work, "other.json")
e2e.run(["export", store, "-f", "mbox", "-o", os.path.join(work, "sh2"), "--shard", "2/2",
         "--report", other] + CASES[1]["args"])
rc, out, err = e2e.run(["report", shards[0], other])
tap.ok(rc == 2 and "filters differ" in err, "report refuses shards with different filters",
       err[-800:])

# ---- usage errors ---------------------------------------------------------------------------
for args, word in ((["--since", "2024-13-01"], "2024-13-01"), (["--since", "2024-02-30"], "2024-02-30"),
                   (["--until", "2023-02-29"], "2023-02-29"), (["--until", "last week"], "last week"),
                   (["--since", "2024-01-01T25:00"], "2024-01-01T25:00"),
                   (["--min-size", "10X"], "10X"), (["--max-size", "-1"], "-1"),
                   (["--min-size", ""], "''"),
                   (["--since", "2024-04-01", "--until", "2024-03-31"], "2024-04-01")):
    for cmd in (["export", store, "-f", "mbox", "-o", os.path.join(work, "never")],
                ["verify", store, os.path.join(work, "never")], ["list", store]):
        rc, _o, err = e2e.run(cmd + args)
        tap.ok(rc == 2 and ("'%s'" % word if word != "''" else "''") in err.splitlines()[0] and
               err.splitlines()[1:] == ["Try 'mdexport %s --help'." % cmd[0]],
               "%s %s: exit 2 naming the value, then where help is" % (cmd[0], " ".join(args)),
               err[:400])
tap.ok(not os.path.exists(os.path.join(work, "never")), "a usage error writes nothing")
tap.ok(e2e.run(["report", "--since", "2024-01-01", shards[0]])[0] == 2,
       "report takes no filters (exit 2)")

e2e.remove_work(work)
tap.done()
