#!/usr/bin/env python3
"""End-to-end (issue 16): `mdexport list`, sizes and plurals, and the accounts
whose MailDir is not found.

list: one line per mailbox by default (domain, mailbox, mail folders,
messages, size, groupware folders, problems) whose numbers are the sums of
its folders in --json; --folders gives a line per folder; --csv (read by
Python's csv module: a header row, raw numbers) says what --json says;
columns stay aligned with a 60-character mailbox name; sizes in KiB/MiB
(1024-based, one decimal, bytes below 1 KiB as "N B"), --bytes gives byte
counts; "1 mailbox", "1 mail message" for one.

Not found: a store whose userlist.dat names 20 accounts under
D:\\MDaemon\\Users\\ whose folders were copied beside SOURCE (not in it):
list, accounts and export say it in one line with the common prefix and the
--map to try, never a line per account; the report lists all 20; following
the --map finds every one of them."""

import csv
import io
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

sys.path.insert(0, os.path.join(e2e.ROOT, "tools"))
sys.dont_write_bytecode = True
import mdstore  # noqa: E402

tap = e2e.Tap("list")
work = e2e.tmpdir("list")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
store = e2e.copytree(FIXTURE, os.path.join(work, "store"))
LONG = "a-mailbox-name-of-sixty-characters-" + "x" * 25
assert len(LONG) == 60
shutil.copytree(os.path.join(store, "Users", "example.com", "dave"),
                os.path.join(store, "Users", "example.com", LONG))


def human(n):
    """the size as people read it (issue 16): 1024-based, one decimal"""
    if n < 1024:
        return "%d B" % n
    v, units = n / 1024.0, ["KiB", "MiB", "GiB", "TiB"]
    u = 0
    while u + 1 < len(units) and v >= 1023.95:
        v /= 1024
        u += 1
    return "%.1f %s" % (v, units[u])


# ---- the per-mailbox view against --json's folders --------------------------
rc, out, err = e2e.run(["list", store, "--json"])
tap.eq(rc, 0, "list --json: exit 0")
doc = json.loads(out)
want = {}
for b in doc["mailboxes"]:
    mail = [f for f in b["folders"] if f["mail"]]
    want[(b["domain"], b["mailbox"])] = (len(mail), sum(f["messages"] for f in mail),
                                         sum(f["bytes"] for f in mail),
                                         len(b["folders"]) - len(mail))
    tap.eq((b["mail_folders"], b["mail_messages"], b["mail_bytes"], b["groupware_folders"]),
           want[(b["domain"], b["mailbox"])],
           "--json %s@%s: the mailbox's counts are its folders' sums" % (b["mailbox"], b["domain"]))
tap.ok(("example.com", LONG) in want, "the 60-character mailbox is listed")
tap.eq(doc["totals"]["problems"], sum(b["problems"] for b in doc["mailboxes"]),
       "--json totals.problems: the mailboxes' problems summed")
tap.ok(doc["totals"]["problems"] > 0 and
       next(b for b in doc["mailboxes"] if b["mailbox"] == "alice")["problems"] >= 6,
       "alice's warnings (torn index, missing file, ...) are her problems", out[:300])

rc, out, err = e2e.run(["list", store])
lines = out.splitlines()
tap.eq(rc, 0, "list: exit 0")
tap.eq(lines[0].split(), ["DOMAIN", "MAILBOX", "FOLDERS", "MESSAGES", "SIZE", "GROUPWARE",
                          "PROBLEMS"], "list: the per-mailbox header")
rows = lines[1:-1]
tap.eq(len(rows), len(want), "list: one line per mailbox (%d), not per folder" % len(want))
got = {}
for r in rows:
    m = re.fullmatch(r"(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s+([\d.]+ (?:B|KiB|MiB))\s+(\d+)\s+(\d+)", r)
    if m:
        got[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)), m.group(5),
                                         int(m.group(6)))
tap.eq(got, {k: (v[0], v[1], human(v[2]), v[3]) for k, v in want.items()},
       "list: each mailbox's folders, messages, size (KiB/B) and groupware folders")
# aligned: every line of the table (header and rows) is as wide, and each right-aligned
# column ends where its title ends
widths = {len(x) for x in lines[:-1]}
tap.eq(len(widths), 1, "list: header and rows have one width, the 60-character name too")
for title in ("FOLDERS", "MESSAGES", "SIZE", "PROBLEMS"):
    end = lines[0].index(title) + len(title)
    tap.ok(all(x[end - 1] != " " and (end == len(x) or x[end] == " ") for x in rows),
           "list: the %s column ends where its title ends in every row" % title)
long_row = next((x for x in rows if LONG in x), "")
tap.ok(long_row.index(LONG) == lines[0].index("MAILBOX"), "the long name starts under MAILBOX",
       long_row)
n_mail = sum(v[0] for v in want.values())
n_msgs = sum(v[1] for v in want.values())
n_bytes = sum(v[2] for v in want.values())
n_gw = sum(v[3] for v in want.values())
tap.eq(lines[-1], "%d mailboxes, %d mail folders, %d mail messages, %s of mail, %d groupware "
       "folders, %d problems" % (len(want), n_mail, n_msgs, human(n_bytes), n_gw,
                                 doc["totals"]["problems"]), "list: the total line")

# ---- --bytes -------------------------------------------------------------------
rc, out, err = e2e.run(["list", store, "--bytes"])
blines = out.splitlines()
tap.ok(rc == 0 and blines[0].split()[4] == "BYTES" and
       "%d B of mail" % n_bytes in blines[-1],
       "list --bytes: a BYTES column and the total in bytes", out[-300:])
alice = next((x for x in blines if " alice " in x), "")
tap.ok(str(want[("example.com", "alice")][2]) in alice.split(), "list --bytes: alice's byte count",
       alice)

# ---- plurals: one mailbox of one message --------------------------------------
rc, out, err = e2e.run(["list", os.path.join(store, "Users", "example.com", "dave")])
d = want[("example.com", "dave")]
tap.eq(out.splitlines()[-1] if out else "",
       "1 mailbox, 1 mail folder, 1 mail message, %s of mail, 0 groupware folders, 0 problems"
       % human(d[2]), "list: '1 mailbox', '1 mail folder', '1 mail message'")
rc, out, err = e2e.run(["export", store, "-f", "eml", "-o", os.path.join(work, "one"),
                        "--user", "dave@example.com"])
tap.ok(rc == 0 and "exported 1 message from 1 mailbox; 0 unreadable items; 0 mailboxes failed"
       in out and "exported 1 message (%s) in 1 folder" % human(d[2]) in out,
       "export: '1 message from 1 mailbox', the size in B (on stdout: issue 16)", out[-600:] + err)

# ---- --folders --------------------------------------------------------------------
rc, out, err = e2e.run(["list", store, "--folders"])
flines = out.splitlines()
nfolders = sum(len(b["folders"]) for b in doc["mailboxes"])
tap.ok(rc == 0 and flines[0].split() == ["DOMAIN", "MAILBOX", "FOLDER", "CLASS", "MESSAGES",
                                         "SIZE"] and len(flines) == nfolders + 2,
       "list --folders: a line per folder (%d) with its class" % nfolders, out[:500])
tap.eq(len({len(x) for x in flines[:-1]}), 1, "list --folders: aligned")
tap.ok(any("Archive/2023/Q1" in x and "IPF.Note" in x for x in flines) and
       any("IPF.Appointment" in x for x in flines), "list --folders: paths and classes", out[:800])

# ---- --csv -------------------------------------------------------------------------
rc, out, err = e2e.run(["list", store, "--csv"])
recs = list(csv.DictReader(io.StringIO(out, newline="")))
tap.ok(rc == 0 and out.endswith("\r\n") and "\r\n" in out.split("\n")[0] + "\n",
       "--csv: CRLF line ends (RFC 4180)", repr(out[:120]))
tap.eq({(r["domain"], r["mailbox"]): (int(r["folders"]), int(r["messages"]), int(r["bytes"]),
                                      int(r["groupware_folders"])) for r in recs},
       want, "--csv: one record per mailbox, raw numbers, the same as --json")
rc, out, err = e2e.run(["list", store, "--csv", "--folders"])
frecs = list(csv.DictReader(io.StringIO(out, newline="")))
tap.eq(len(frecs), nfolders, "--csv --folders: a record per folder")
tap.eq(e2e.run(["list", store, "--csv", "--json"])[0], 2, "--csv with --json: usage error")

# ---- accounts whose MailDir is not found ------------------------------------------
nf = os.path.join(work, "nf")
src = e2e.copytree(FIXTURE, os.path.join(nf, "mdaemon"))
copied = os.path.join(nf, "Users")     # where the admin copied D:\MDaemon\Users: beside SOURCE
accts = []
for i in range(20):
    box = "user%02d" % i
    shutil.copytree(os.path.join(FIXTURE, "Users", "example.com", "dave"),
                    os.path.join(copied, "corp.example", box))
    accts.append(dict(domain="corp.example", mailbox=box, fullname="User %d" % i,
                      maildir=mdstore.windows_maildir("D:\\MDaemon", "Users", "corp.example", box)))
ul = os.path.join(src, "App", "userlist.dat")
with open(ul, "ab") as f:
    f.write(b"".join(mdstore.userlist_line(a) for a in accts))
MAP = "D:\\MDaemon\\Users\\=" + os.path.realpath(copied)
SUMMARY = ("mdexport: 20 accounts' mail folders are not found under SOURCE (user00@corp.example, "
           "user01@corp.example, user02@corp.example and 17 more); their paths share the "
           "Windows prefix 'D:\\MDaemon\\Users\\'; try --map '%s'" % MAP)


def said_once(err, what):
    ls = err.splitlines()
    tap.ok(ls.count(SUMMARY) == 1, "%s: the summary line, once, with the --map to try" % what,
           "\n".join(x for x in ls if "not found" in x) or err[-800:])
    # (export's report table has its row per mailbox, indented: not a message)
    tap.ok(not [x for x in ls if re.search(r"user(0[3-9]|1\d)@corp\.example", x) and
                not x.startswith("  ")],
           "%s: no line per account" % what, err[-800:])


rc, out, err = e2e.run(["list", src, "-q"])
tap.eq(rc, 1, "list: accounts not found: exit 1")
said_once(err, "list")
tap.eq(sum(1 for x in out.splitlines() if x.startswith("corp.example ")), 20,
       "list: the 20 accounts still have their line")
rc, out, err = e2e.run(["list", src, "-q", "--json"])
j = json.loads(out)
tap.eq((sorted(x["mailbox"] for x in j["not_found"]), j["map_hint"]),
       (sorted("user%02d@corp.example" % i for i in range(20)), MAP),
       "list --json: not_found names all 20, map_hint the --map")
rc, out, err = e2e.run(["accounts", src, "-q"])
tap.eq(rc, 1, "accounts: exit 1")
said_once(err, "accounts")
report = os.path.join(work, "nf-report.json")
rc, out, err = e2e.run(["export", src, "-f", "eml", "-o", os.path.join(work, "nf-out"), "-q",
                        "--report", report])
tap.eq(rc, 1, "export: accounts not found: exit 1")
said_once(err, "export")
with open(report) as f:
    rep = json.load(f)
tap.eq((len(rep.get("not_found", [])), rep.get("map_hint")), (20, MAP),
       "export --report: not_found lists all 20, with map_hint")
tap.eq(sorted(m["result"] for m in rep["mailboxes"] if m["mailbox"].endswith("@corp.example")),
       ["unreadable"] * 20, "export --report: each is an unreadable mailbox")
# verify --all reports each mailbox (its report, on stdout) and says the --map to try once
rc, out, err = e2e.run(["verify", src, os.path.join(work, "nf-out"), "--all"])
tap.ok(rc == 1 and err.splitlines().count(SUMMARY) == 1 and SUMMARY not in out and
       out.count("user05@corp.example: FAILED") == 1,
       "verify --all: each account's verdict in the report, the --map to try once on stderr",
       err[-800:] + out[-400:])
# following it works
rc, out, err = e2e.run(["list", src, "-q", "--map", MAP, "--json"])
j = json.loads(out)
found = {b["mailbox"]: b["mail_messages"] for b in j["mailboxes"] if b["domain"] == "corp.example"}
tap.ok(rc == 0 and found == {"user%02d" % i: 1 for i in range(20)} and not j["not_found"] and
       "not found" not in err, "list --map as suggested: all 20 found, one message each",
       err[-500:])
out_dir = os.path.join(work, "nf-mapped")
rc, out, err = e2e.run(["export", src, "-f", "eml", "-o", out_dir, "-q", "--map", MAP])
tap.ok(rc == 0 and "not found" not in err and
       all(os.path.isdir(os.path.join(out_dir, "corp.example", "user%02d" % i)) for i in range(20)),
       "export --map as suggested: exit 0, all 20 exported", err[-500:])

e2e.remove_work(work)
tap.done()
