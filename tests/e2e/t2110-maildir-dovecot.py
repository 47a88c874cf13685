#!/usr/bin/env python3
"""End-to-end: a Maildir written by Dovecot, UIDs from its dovecot-uidlist (issue 11).

A few hundred SpamAssassin corpus messages are imported by `doveadm import`
into a Maildir++ with folders (nested, and one with a non-ASCII name), and
flags are set with `doveadm flags add`.  Dovecot then says what it holds
(`doveadm fetch`, `doveadm mailbox status uidvalidity`).  The Maildir is
exported by mdexport with `maildir:` to mbox and to EML:

  - every message once, in its folder, with the bytes that were imported
    (and that Dovecot returns);
  - in mbox its flags are what doveadm reports;
  - each manifest's UIDs and UIDVALIDITY are what doveadm says, and the
    messages of a folder come in UID order;
  - SOURCE is unchanged by the exports, and `verify` is clean.
"""

import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dovecot  # noqa: E402
import e2e  # noqa: E402

tap = e2e.Tap("maildir-dovecot")
if not dovecot.doveadm_available():
    tap.ok(False, "doveadm is available (apt-get install dovecot-core)")
    tap.done()

fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")],
                       capture_output=True, text=True)
if not tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched", fetch.stderr[-800:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]
work = e2e.tmpdir("maildir-dovecot")
os.chmod(work, 0o755)

# ---- the messages: the first files of two corpus parts, their mbox "From " line cut --------

N_HAM, N_SPAM = 200, 100


def corpus_msgs(part, n):
    d = os.path.join(corpus, part)
    out = []
    for name in sorted(f for f in os.listdir(d) if f.endswith(".txt"))[:n]:
        data = e2e.read(os.path.join(d, name))
        if data.startswith(b"From "):
            data = data[data.index(b"\n") + 1:]
        out.append(data)
    return out


FOLDERS = ["INBOX", "Archive", "Archive/2003", "B\u00fccher", "Junk"]
msgs = corpus_msgs("easy-ham-1", N_HAM) + corpus_msgs("spam-2", N_SPAM)
placed = collections.defaultdict(list)      # folder -> [bytes]
for i, data in enumerate(msgs):
    folder = "Junk" if i >= N_HAM else FOLDERS[i % 4]
    placed[folder].append(data)

# the import's source: a Maildir Python's mailbox writes (Dovecot copies each message into its own)
srcbox = os.path.join(work, "import-src")
import mailbox  # noqa: E402
md = mailbox.Maildir(srcbox, create=True)
for folder in FOLDERS:
    box = md if folder == "INBOX" else md.add_folder(dovecot.dovecot_dirname(folder)[1:])
    for data in placed[folder]:
        box.add(data)   # bytes: written as they are (a message object would be re-generated)

# ---- Dovecot's own Maildir ---------------------------------------------------------------

home = os.path.join(work, "home")
maildir = os.path.join(home, "Maildir")
for d in ("run", "state"):
    os.makedirs(os.path.join(home, d))
uid = gid = dovecot.MAIL_ID if os.geteuid() == 0 else None
if uid is None:
    uid, gid = os.getuid(), os.getgid()
for top in (home, srcbox):
    for dirpath, dirnames, filenames in os.walk(top):
        for n in [dirpath] + [os.path.join(dirpath, x) for x in dirnames + filenames]:
            os.lchown(n, uid, gid)
conf = os.path.join(work, "dovecot.conf")
with open(conf, "w") as f:
    f.write("mail_location = maildir:%s\nmail_home = %s\nmail_uid = %d\nmail_gid = %d\n"
            "first_valid_uid = 0\nfirst_valid_gid = 0\nssl = no\nbase_dir = %s/run\n"
            "state_dir = %s/state\nlog_path = %s/dovecot.log\n"
            "namespace inbox {\n  inbox = yes\n  prefix =\n  separator = /\n}\n"
            % (maildir, home, uid, gid, home, home, home))
env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TZ": "UTC",
       "LANG": "C", "LC_ALL": "C", "USER": "nobody" if os.geteuid() == 0 else "user"}


def doveadm(*args):
    p = subprocess.run([dovecot.DOVEADM, "-c", conf] + list(args), env=env,
                       stdin=subprocess.DEVNULL, capture_output=True)
    if p.returncode != 0:
        tap.ok(False, "doveadm %s" % " ".join(args), p.stderr.decode(errors="replace")[-800:])
        tap.done()
    return p.stdout


doveadm("import", "-s", "maildir:" + srcbox, "", "all")
SETS = [("\\Seen", "INBOX", "1:40"), ("\\Flagged", "INBOX", "5:15"),
        ("\\Answered", "Archive", "2:30"), ("\\Draft", "Archive/2003", "1:3"),
        ("\\Deleted", "B\u00fccher", "4:6"), ("\\Seen", "Junk", "1:100")]
for flag, folder, uids in SETS:
    doveadm("flags", "add", flag, "mailbox", folder, "uid", uids)

status = json.loads(doveadm("-f", "json", "mailbox", "status", "uidvalidity messages", "*"))
uidvalidity = {e["mailbox"]: int(e["uidvalidity"]) for e in status}
fields = ["mailbox", "uid", "flags", "size.physical", "text"]
dv = dovecot._parse_fetch_pager(doveadm("-f", "pager", "fetch", " ".join(fields), "all"), fields)
tap.ok(sorted(uidvalidity) == sorted(FOLDERS) and len(dv) == len(msgs) and
       collections.Counter(r["text"] for r in dv) == collections.Counter(msgs),
       "Dovecot holds the %d imported messages, bytes as imported, in %s"
       % (len(msgs), ", ".join(FOLDERS)),
       "%s, %d messages" % (sorted(uidvalidity), len(dv)))
tap.ok(all(os.path.isfile(os.path.join(maildir, d, "dovecot-uidlist"))
           for d in [""] + [dovecot.dovecot_dirname(f) for f in FOLDERS[1:]]),
       "every folder has a dovecot-uidlist")
flags_set = sum(1 for r in dv if set(r["flags"].split()) - {"\\Recent"})
tap.ok(flags_set >= 100, "doveadm flags add set flags on %d messages" % flags_set)

# what Dovecot says, per folder in UID order: (uid, flags, bytes)
want = collections.defaultdict(list)
for r in dv:
    want[r["mailbox"]].append((int(r["uid"]), frozenset(r["flags"].split()) - {"\\Recent"},
                               r["text"]))
for f in want:
    want[f].sort(key=lambda t: t[0])

# ---- mdexport ----------------------------------------------------------------------------

frozen = e2e.freeze(maildir)

def manifest(o):
    recs = [json.loads(x) for x in open(os.path.join(o, "localhost", "home.manifest.jsonl"))]
    return recs[1:]


for fmt in ("mbox", "eml"):
    o = os.path.join(work, "out-" + fmt)
    rc, _out, err = e2e.run_merged(["export", "maildir:" + maildir, "-f", fmt, "-o", o])
    tap.ok(rc == 0 and "home@localhost: exported %d messages" % len(msgs) in err,
           "Dovecot's Maildir -> %s: exit 0, %d messages" % (fmt, len(msgs)), err[-1500:])
    recs = manifest(o)
    problems = []
    for folder in FOLDERS:
        mine = [r for r in recs if r["folder"] == folder]
        if [r["uid"] for r in mine] != [u for u, _f, _b in want[folder]]:
            problems.append("%s: UIDs %s, doveadm %s" % (
                folder, [r["uid"] for r in mine][:8], [u for u, _f, _b in want[folder]][:8]))
        if any(r["uidvalidity"] != uidvalidity[folder] for r in mine):
            problems.append("%s: uidvalidity %s, doveadm %d" % (
                folder, mine[0]["uidvalidity"] if mine else None, uidvalidity[folder]))
        sha = [e2e.sha256(b) for _u, _f, b in want[folder]]
        if [r["sha256"] for r in mine] != sha:
            problems.append("%s: the bytes (SHA-256) in UID order differ" % folder)
    tap.ok(not problems, "%s: the manifest's UIDs, UIDVALIDITY and SHA-256 in each folder, in "
           "UID order, are what doveadm says" % fmt, "\n".join(problems))
    if fmt == "mbox":
        got = e2e.read_mbox_tree(os.path.join(o, "localhost", "home"))
        problems = []
        for folder in FOLDERS:
            have = [(frozenset(fl), e2e.mboxrd_unquote(e2e.strip_status_fields(b)))
                    for _fr, fl, b in got.get(folder, [])]
            exp = [(fl, e2e.mbox_expected(b)) for _u, fl, b in want[folder]]
            if have != exp:
                i = next((i for i, (a, b) in enumerate(zip(have, exp)) if a != b), None)
                problems.append("%s: %d messages, want %d; first difference at %s: %r" % (
                    folder, len(have), len(exp), i,
                    i is not None and (have[i][0], exp[i][0], have[i][1][:200], exp[i][1][:200])))
        if set(got) != set(FOLDERS):
            problems.append("folders %s" % sorted(got))
        tap.ok(not problems, "mbox (read by Python's mailbox): every message once in its folder, "
               "in UID order, with the bytes and flags doveadm reports", "\n".join(problems))
    else:
        got = e2e.read_eml_tree(os.path.join(o, "localhost", "home"))
        have = {f: [b for _n, b, _t in sorted(v)] for f, v in got.items() if v}
        exp = {f: [b for _u, _f, b in v] for f, v in want.items()}
        tap.ok(have == exp, "EML: every message once in its folder, NNNNNN.eml in UID order, "
               "bytes as imported", "folders %s" % sorted(have))
    vrc, vout, verr = e2e.run(["verify", "maildir:" + maildir, o])
    tap.ok(vrc == 0 and "everything verifies" in vout + verr, "%s: verify clean" % fmt,
           (vout + verr)[-800:])
changed = e2e.unchanged(maildir, frozen)
tap.ok(not changed, "Dovecot's Maildir is unchanged by the exports and verifies",
       "\n".join(changed[:10]))

e2e.remove_work(work)
tap.done()
