#!/usr/bin/env python3
"""End-to-end: the Microsoft 365 mapping CSV and the Exchange script (issue 13).

  - A two-domain store (tools/mkstore, random flags: some \\Deleted) to PST
    with --m365-mapping and --exchange-script --unc '\\\\srv\\share\\pst':
    the CSV (Python's csv module) has exactly Microsoft's header, one row
    per PST file under DIR and every PST file under DIR (and every file the
    manifests name) in one row, FilePath/Name naming it with the case it
    has on disk, Mailbox the source address, IsArchive FALSE,
    TargetRootFolder "/", the rest empty, rows sorted (domain, mailbox,
    file); the script (UTF-8 with BOM) has one New-MailboxImportRequest per
    row whose single-quoted values parse back to the address and to
    PREFIX\\<FilePath>\\<Name>, unique -Name values; no temporary file left.
  - The \\Deleted warning names each mailbox with the count of \\Deleted
    messages its manifest shows exported; none with --skip-deleted, none
    without the import options.
  - --address-map: an entry (matched case-insensitively, a header line, a
    comment), a whole-domain entry @old,@new, a mailbox without an entry
    (warned, its own address); --target-root-folder with a comma and a
    quote (CSV quoting, -TargetRootFolder in the script).
  - A hand-made store with a mailbox named o'brien,"x" and one MixedCase:
    CSV quoting round-trips, PowerShell '' round-trips, case kept.
  - More rows than a file takes (the limit made 3 by MDEXPORT_IMPORT_ROWS, a test
    knob): FILE, FILE-002, FILE-003, each with the header; a stale part warned.
  - Usage errors (exit 2, nothing written): another format, --exchange-script
    without --unc, --unc without it, --unc not UNC, --address-map alone, a
    bad --address-map line (named with its line).
"""

import csv
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import e2e  # noqa: E402
import mdstore as md  # noqa: E402

sys.dont_write_bytecode = True
tap = e2e.Tap("import-files")
work = e2e.tmpdir("import-files")
HEADER = ["Workload", "FilePath", "Name", "Mailbox", "IsArchive", "TargetRootFolder",
          "ContentCodePage", "SPFileContainer", "SPManifestContainer", "SPSiteUrl"]
UNC = "\\\\srv\\share\\pst"
WARN = re.compile(r"warning: (\S+@\S+): (\d+) messages? flagged \\Deleted (?:is|are) in its PST "
                  r"files; they come back as ordinary mail after an import; --skip-deleted "
                  r"leaves them out")

fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                       text=True)
if not tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-800:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]


def path(*names):
    return os.path.join(work, *names)


def mkstore(out, messages, mailboxes, seed):
    gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus,
                          "--out", out, "--messages", str(messages), "--mailboxes",
                          str(mailboxes), "--seed", str(seed)], capture_output=True, text=True)
    tap.ok(gen.returncode == 0, "tools/mkstore builds %d mailboxes" % mailboxes,
           gen.stderr[-800:])


def read_csv(p):
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, strict=True))


def pst_files(top):
    """Every .pst under DIR (not in .mdexport), relative, '/'-separated."""
    found = set()
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x != ".mdexport"]
        for f in files:
            if f.endswith(".pst"):
                found.add(os.path.relpath(os.path.join(d, f), top).replace(os.sep, "/"))
    return found


def manifests(top):
    """{mailbox address: (its records, its output)} from DIR's manifests."""
    out = {}
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x != ".mdexport"]
        for f in files:
            if f.endswith(".manifest.jsonl"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    lines = [json.loads(x) for x in fh]
                out[lines[0]["mailbox"]] = (lines[1:], lines[0]["output"])
    return out


def ps_values(line):
    """The -Name 'value' pairs of a script line (PowerShell single quotes undone)."""
    vals = {}
    rest = line
    pat = re.compile(r"\s+-(\w+)\s+'((?:[^'\u2018\u2019\u201a\u201b]|''|"
                     r"\u2018\u2018|\u2019\u2019|\u201a\u201a|\u201b\u201b)*)'")
    head = "New-MailboxImportRequest"
    if not rest.startswith(head):
        return None
    rest = rest[len(head):]
    while rest:
        m = pat.match(rest)
        if not m:
            return None
        v = m.group(2)
        for q in "'\u2018\u2019\u201a\u201b":
            v = v.replace(q + q, q)
        vals[m.group(1)] = v
        rest = rest[m.end():]
    return vals


def read_script(p):
    with open(p, "rb") as f:
        data = f.read()
    tap.ok(data.startswith(b"\xef\xbb\xbf"), "the script starts with a UTF-8 BOM")
    text = data[3:].decode("utf-8")
    lines = [x for x in text.split("\r\n") if x and not x.startswith("#")]
    return [ps_values(x) for x in lines]


def check_rows(rows, outdir, label, target_root="/", addr_of=None):
    """The mapping's rows against DIR and its manifests."""
    tap.eq(rows[0] if rows else None, HEADER, "%s: the header is Microsoft's, exactly" % label)
    body = rows[1:]
    on_disk = pst_files(outdir)
    named = {(r[1] + "/" if r[1] else "") + r[2] for r in body}
    tap.eq(len(named), len(body), "%s: each PST file in one row" % label)
    tap.eq(named, on_disk, "%s: the rows name exactly the PST files under DIR" % label)
    exact = all(r[2] in os.listdir(os.path.join(outdir, r[1])) for r in body)
    tap.ok(exact, "%s: FilePath/Name name each file with its case on disk" % label)
    mans = manifests(outdir)
    written = set()
    for addr, (recs, output) in mans.items():
        written.add(output)
        written.update(r["output"]["file"] for r in recs if r.get("output"))
    tap.eq(written, named, "%s: the rows are the files the manifests name" % label)
    want_mbox = {}
    for addr, (_recs, output) in mans.items():
        want_mbox[output] = addr_of(addr) if addr_of else addr
    got_mbox = {(r[1] + "/" if r[1] else "") + r[2]: r[3] for r in body}
    tap.eq(got_mbox, want_mbox, "%s: Mailbox is each file's mailbox address" % label)
    fixed = all(r[0] == "Exchange" and r[4] == "FALSE" and r[5] == target_root and
                r[6:] == ["", "", "", ""] and len(r) == 10 for r in body)
    tap.ok(fixed, "%s: Workload Exchange, IsArchive FALSE, TargetRootFolder %r, the rest "
           "empty" % (label, target_root), repr(body[:2]))
    # the order the source names them in: mkstore's mailboxes are local parts
    keys = [(r[1], r[2]) for r in body]
    tap.ok(keys == sorted(keys), "%s: rows sorted by domain, then mailbox" % label)


def check_script(vals, rows, label, target_root=None):
    body = rows[1:]
    tap.eq(len(vals), len(body), "%s: one script line per CSV row" % label)
    ok = all(v is not None for v in vals)
    tap.ok(ok, "%s: every script line parses as New-MailboxImportRequest -X '...'" % label)
    if not ok:
        return
    want = []
    for r in body:
        p = UNC + "\\" + (r[1].replace("/", "\\") + "\\" if r[1] else "") + r[2]
        w = {"Mailbox": r[3], "FilePath": p}
        if target_root:
            w["TargetRootFolder"] = target_root
        want.append(w)
    got = [{k: v for k, v in x.items() if k != "Name"} for x in vals]
    tap.eq(got, want, "%s: -Mailbox and -FilePath are the row's address and "
           "PREFIX\\FilePath\\Name" % label)
    names = [x.get("Name", "") for x in vals]
    tap.ok(all(names) and len(set(n.lower() for n in names)) == len(names),
           "%s: every request has its own -Name" % label)


def deleted_counts(outdir):
    counts = {}
    for addr, (recs, _output) in manifests(outdir).items():
        n = sum(1 for r in recs if r.get("output") and "\\Deleted" in r.get("flags", []))
        if n:
            counts[addr] = n
    return counts


def warned(err):
    return {m.group(1): int(m.group(2)) for m in WARN.finditer(err)}


def no_temp(folder):
    return [f for f in os.listdir(folder) if f.endswith(".tmp")]


# ---- a two-domain store -------------------------------------------------------------
store = path("store")
mkstore(store, 120, 8, 84)
out = path("out")
rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", out, "--progress", "never",
                       "--m365-mapping", path("map.csv"), "--exchange-script",
                       path("import.ps1"), "--unc", UNC])
tap.ok(rc == 0, "export with --m365-mapping and --exchange-script: exit 0", err[-800:])
rows = read_csv(path("map.csv"))
check_rows(rows, out, "plain")
check_script(read_script(path("import.ps1")), rows, "plain")
tap.eq(no_temp(work), [], "no temporary file is left beside the files")
tap.ok(not os.path.exists(path("map-002.csv")), "8 rows: one mapping file")
dels = deleted_counts(out)
tap.ok(len(dels) > 0, "the store has \\Deleted messages exported (mkstore's random flags)")
tap.eq(warned(err), dels, "the \\Deleted warning names each mailbox with its count")

rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", path("out-skip"), "--progress",
                       "never", "--skip-deleted", "--m365-mapping", path("skip.csv")])
tap.ok(rc == 0, "--skip-deleted with --m365-mapping: exit 0", err[-600:])
tap.eq(deleted_counts(path("out-skip")), {}, "--skip-deleted: no \\Deleted message exported")
tap.ok("flagged \\Deleted" not in err, "--skip-deleted: no \\Deleted warning", err[-600:])
rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", path("out-none"), "--progress",
                       "never"])
tap.ok(rc == 0 and "flagged \\Deleted" not in err,
       "no import option: no \\Deleted warning", err[-600:])

# ---- --address-map, --target-root-folder --------------------------------------------
with open(path("amap.csv"), "w") as f:
    f.write("old,new\r\n# a comment\r\nALICE@Example.COM,alice.new@contoso.com\r\n"
            "\r\n@example.org,@contoso.org\r\n\"carol@example.com\" , \"c@contoso.com\"\r\n")
root = '/From "old", server'
rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", path("out-map"), "--progress",
                       "never", "--m365-mapping", path("mapped.csv"), "--exchange-script",
                       path("mapped.ps1"), "--unc", UNC + "\\", "--address-map",
                       path("amap.csv"), "--target-root-folder", root])
tap.ok(rc == 0, "--address-map and --target-root-folder: exit 0", err[-800:])


def mapped(addr):
    local, dom = addr.split("@")
    if addr == "alice@example.com":
        return "alice.new@contoso.com"
    if addr == "carol@example.com":
        return "c@contoso.com"
    return local + "@contoso.org" if dom == "example.org" else addr


rows = read_csv(path("mapped.csv"))
check_rows(rows, path("out-map"), "address map", target_root=root, addr_of=mapped)
with open(path("mapped.csv"), encoding="utf-8", newline="") as f:
    raw = f.read()
tap.ok('"/From ""old"", server"' in raw, "TargetRootFolder quoted per RFC 4180 in the file")
check_script(read_script(path("mapped.ps1")), rows, "address map", target_root=root)
unmapped = sorted(a for a in manifests(path("out-map")) if a.endswith("@example.com") and
                  a not in ("alice@example.com", "carol@example.com"))
missing = sorted(re.findall(r"warning: (\S+@\S+) has no entry in --address-map", err))
tap.eq(missing, unmapped, "a mailbox without an entry is warned about, by name")

# ---- odd names: a comma, quotes, case -------------------------------------------------
odd = path("odd", "Users")
MSG = (b"From: a@example.net\r\nTo: b@example.net\r\nSubject: hi\r\n"
       b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n")
for dom, box, flags in [("odd.example", "o'brien,\"x\"", 0), ("odd.example", "MixedCase", 0),
                        ("Odd.Org", "it\u2019s", md.DELETED)]:
    d = os.path.join(odd, dom, box)
    os.makedirs(d)
    md.write_msg(os.path.join(d, "md5000000000001.msg"), MSG)
    md.write_mrk(os.path.join(d, "IMAP.MRK"), 7, 2,
                 [("md5000000000001.msg", flags, 1, len(MSG), 1704067200)])
rc, _o, err = e2e.run(["export", odd, "-f", "pst", "-o", path("out-odd"), "--progress", "never",
                       "--m365-mapping", path("odd.csv"), "--exchange-script", path("odd.ps1"),
                       "--unc", UNC])
tap.ok(rc == 0, "a store with odd mailbox names: exit 0", err[-800:])
rows = read_csv(path("odd.csv"))
check_rows(rows, path("out-odd"), "odd names")
tap.ok(["Exchange", "odd.example", "o'brien,\"x\".pst", "o'brien,\"x\"@odd.example", "FALSE",
        "/", "", "", "", ""] in rows, "a name with a comma and quotes round-trips the CSV")
tap.ok(any(r[2] == "MixedCase.pst" for r in rows), "a mixed-case name keeps its case")
with open(path("odd.csv"), encoding="utf-8", newline="") as f:
    raw = f.read()
tap.ok('"o\'brien,""x"".pst"' in raw and raw.endswith("\r\n"),
       "quoted with doubled quotes, CRLF line ends", raw)
check_script(read_script(path("odd.ps1")), rows, "odd names")
with open(path("odd.ps1"), encoding="utf-8-sig") as f:
    script = f.read()
tap.ok("'o''brien,\"x\"@odd.example'" in script and "'it\u2019\u2019s@Odd.Org'" in script,
       "' and \u2019 are doubled in the script", script[-600:])
tap.eq(warned(err), {"it\u2019s@Odd.Org": 1}, "one \\Deleted message: warned, singular")

# ---- more rows than a file takes ------------------------------------------------------
# MDEXPORT_IMPORT_ROWS (a test knob) makes the limit 3: 501 real rows would mean writing
# (and removing) 501 PST files, most of this test's time on a slow disk
env = dict(os.environ, MDEXPORT_IMPORT_ROWS="3")
rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", path("out-big"), "--progress", "never",
                       "--m365-mapping", path("big.csv"), "--quiet"], env=env)
tap.ok(rc == 0, "8 mailboxes, 3 rows a file: exit 0", err[-800:])
parts = [read_csv(path(n)) for n in ("big.csv", "big-002.csv", "big-003.csv")]
tap.eq([len(p) for p in parts], [4, 4, 3], "8 rows: 3 in FILE, 3 in FILE-002, 2 in FILE-003, "
       "each with the header")
tap.ok(all(p[0] == HEADER for p in parts), "every part has the header")
check_rows(parts[0] + parts[1][1:] + parts[2][1:], path("out-big"), "split")
tap.ok(not os.path.exists(path("big-004.csv")), "no fourth file")
rc, _o, err = e2e.run(["export", store, "-f", "pst", "-o", path("out-big2"), "--progress",
                       "never", "--m365-mapping", path("big.csv")])
tap.ok(rc == 0 and "'big-002.csv' in the folder of --m365-mapping is not from this run" in err,
       "a part left by an earlier run is warned about", err[-600:])
rows = read_csv(path("big.csv"))
tap.eq(len(rows), 9, "the default limit (500) keeps 8 rows in one file")

# ---- usage errors -----------------------------------------------------------------------
with open(path("bad.csv"), "w") as f:
    f.write("old,new\nalice@example.com,alice@new.example\nbob@example.com\n")
cases = [
    (["-f", "mbox", "--m365-mapping", path("u.csv")], "--m365-mapping is only for a format"),
    (["-f", "pst", "--exchange-script", path("u.ps1")], "--exchange-script needs --unc"),
    (["-f", "pst", "--unc", UNC], "--unc is only for --exchange-script"),
    (["-f", "pst", "--exchange-script", path("u.ps1"), "--unc", "/srv/share"],
     "--unc wants a UNC path"),
    (["-f", "pst", "--address-map", path("amap.csv")],
     "only for --m365-mapping or --exchange-script: '--address-map'"),
    (["-f", "pst", "--m365-mapping", path("u.csv"), "--address-map", path("bad.csv")],
     "--address-map '%s' line 3 wants two fields" % path("bad.csv")),
    (["-f", "pst", "--m365-mapping", path("nodir", "u.csv")], "cannot create --m365-mapping"),
]
for args, want in cases:
    dest = path("out-usage")
    rc, _o, err = e2e.run(["export", store, "-o", dest] + args)
    tap.ok(rc == 2 and want in err and not os.path.exists(dest) and
           not os.path.exists(path("u.csv")) and not os.path.exists(path("u.ps1")),
           "usage error, nothing written: %s" % want, err[:600])

e2e.remove_work(work)
tap.done()
