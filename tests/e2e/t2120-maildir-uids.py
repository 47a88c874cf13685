#!/usr/bin/env python3
"""End-to-end: Maildir for the places people copy it (issue 16).

  - The fixture store exported to Maildir: Dovecot (doveadm, a reader this
    project did not write) serves every folder of every mailbox with the
    UIDVALIDITY of the folder's IMAP.MRK (read here from its header) and
    every message with the UID its source record gives; a message without
    one (no IMAP.MRK, no record) or whose UID another message of its
    folder already has is numbered after the highest UID and after the
    source's next UID less one, in a row.  Without the dovecot-uidlist
    Dovecot numbers 1, 2, 3... (alice's INBOX has gaps: this fails).
  - --maildir-flag-separator ';': no ':' in any name under DIR; Python's
    mailbox with colon=';' reads every message with its bytes and flags;
    verify passes; Dovecot (built with ':', the only separator it takes:
    MAILDIR_INFO_SEP is fixed when it is compiled) still serves the
    source's UIDs; the export read back as a Maildir SOURCE and written
    with ':' gives Dovecot the same UIDs, UIDVALIDITY and flags.
  - Rounds (--incremental): a message added to alice's INBOX without a
    record gets the next UID; the earlier UIDs stay; Dovecot agrees;
    verify passes.  A Maildir SOURCE with a dovecot-uidlist: a message
    whose flags changed is renamed in the uidlist too (Dovecot keeps its
    UID and shows the new flags), a new one gets its source UID.
  - A bad separator is refused.
"""

import base64
import collections
import json
import mailbox
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dovecot  # noqa: E402
import e2e  # noqa: E402

tap = e2e.Tap("maildir-uids")
if not dovecot.doveadm_available():
    tap.ok(False, "doveadm is available (apt-get install dovecot-core)")
    tap.done()

work = e2e.tmpdir("maildir-uids")
store = os.path.join(work, "store")
e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), store)
with open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json")) as f:
    spec = json.load(f)
expected = e2e.fixture_expected(store, spec)
ENV = dict(os.environ, TZ="UTC")
FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "T": "\\Deleted", "D": "\\Draft"}


def export(out, *extra, source=None):
    return e2e.run(["export", source or store, "-f", "maildir", "-o", out, "-j", "2",
                    "--progress", "never"] + list(extra), env=ENV)


def verify(source, out, what):
    rc, o, err = e2e.run(["verify", source, out, "--progress", "never"], env=ENV)
    tap.ok(rc == 0 and "everything verifies" in o + err, "verify: %s" % what, (o + err)[-1500:])


def box_root(out, dom, box):
    return os.path.join(out, e2e.fs_escape(dom), e2e.fs_escape(box))


def mrk_header(folder):
    """(uidvalidity, uidnext) of the folder's IMAP.MRK, or None"""
    d = folder.get("dir")
    d = os.path.join(store, d) if d else os.path.join(
        store.encode(), base64.b64decode(folder["dir_b64"]))
    names = [n for n in os.listdir(d) if (n.lower() if isinstance(n, str) else
                                          n.lower().decode("latin-1")) == "imap.mrk"]
    if not names:
        return None
    with open(os.path.join(d, names[0]), "rb") as f:
        head = f.read(12)
    return struct.unpack("<3I", head)[1:] if len(head) == 12 else None


def want_uids(mb):
    """{folder: (uidvalidity or None, {sha256 of the LF bytes: uid or None},
    [sha256 numbered after the highest], base)} from the spec and IMAP.MRK"""
    src = {e["rel"]: e for e in expected if (e["domain"], e["mailbox"]) ==
           (mb["domain"], mb["mailbox"])}
    folders = {f["path"]: f for f in mb["folders"]}
    out = {}
    for path in sorted({e["folder"] for e in src.values()}):
        msgs = []
        for m in mb["messages"]:
            rel = (base64.b64decode(m["source_b64"]).decode("utf-8", "surrogateescape")
                   if m.get("source_b64") else m["source"])
            if m["folder"] == path and rel in src:
                msgs.append((e2e.sha256(e2e.to_lf(e2e.read(src[rel]["path"]))), m.get("uid")))
        head = mrk_header(folders[path])
        out[path] = (head, msgs)
    return out


def check_uids(tree, mb, label):
    """every folder: UIDVALIDITY from IMAP.MRK, every UID as the source's"""
    by_folder = collections.defaultdict(dict)
    for m in tree["messages"]:
        by_folder[m["folder"]][e2e.sha256(m["raw"])] = m["uid"]
    bad = []
    for path, (head, msgs) in want_uids(mb).items():
        got = by_folder.get(path, {})
        if head and tree["uidvalidity"].get(path, (0, 0))[0] != head[0]:
            bad.append("%s: UIDVALIDITY %s, IMAP.MRK says %d"
                       % (path, tree["uidvalidity"].get(path), head[0]))
        counts = collections.Counter(u for _s, u in msgs if u)
        known = max(counts or [0])
        late = 0
        for sha, uid in msgs:
            if sha not in got:
                bad.append("%s: a message is not served" % path)
            elif uid and counts[uid] == 1 and got[sha] != uid:
                bad.append("%s: UID %d, the source's is %d" % (path, got[sha], uid))
            elif not uid:
                late += 1
        # a repeated UID: one message has it, the others are numbered after
        for uid, n in counts.items():
            if n > 1 and sum(1 for s, u in msgs if u == uid and got.get(s) == uid) != 1:
                bad.append("%s: UID %d (%d messages have it) is not kept by one" % (path, uid, n))
        late += sum(n - 1 for n in counts.values())
        base = max(known, (head[1] - 1) if head else 0)
        renumbered = sorted(got[s] for s, u in msgs if s in got and (not u or got[s] != u))
        if renumbered != list(range(base + 1, base + 1 + late)):
            bad.append("%s: UIDs numbered after %d: %s, want %s"
                       % (path, base, renumbered, list(range(base + 1, base + 1 + late))))
    tap.ok(not bad, "%s %s@%s: Dovecot serves every folder's UIDVALIDITY and every UID "
           "as the source's" % (label, mb["mailbox"], mb["domain"]), "\n".join(bad))


# ---- 1. the fixture to Maildir, served by Dovecot -------------------------------------------

out = os.path.join(work, "colon")
rc, _o, err = export(out)
tap.ok(rc == 0, "export -f maildir: exit 0", err[-1500:])
alice_tree = None
for mb in e2e.fixture_mailboxes(spec):
    root = box_root(out, mb["domain"], mb["mailbox"])
    tree = dovecot.read_maildir(root)
    check_uids(tree, mb, "':'")
    if mb["mailbox"] == "alice":
        alice_tree = tree
inbox = [m["uid"] for m in alice_tree["messages"] if m["folder"] == "INBOX"]
tap.ok(inbox != list(range(1, len(inbox) + 1)) and 4 not in inbox,
       "alice's INBOX keeps the source's gaps (no UID 4)", inbox)
verify(store, out, "the Maildir with dovecot-uidlist files")

# ---- 2. --maildir-flag-separator ';' ----------------------------------------------------------

semi = os.path.join(work, "semi")
rc, _o, err = export(semi, "--maildir-flag-separator", ";")
tap.ok(rc == 0, "export --maildir-flag-separator ';': exit 0", err[-1500:])
colons = [os.path.join(d, n) for d, ds, fs in os.walk(semi) for n in ds + fs if ":" in n]
tap.ok(not colons, "';': no name under DIR holds ':'", colons[:5])
nsemi = sum(1 for d, _ds, fs in os.walk(semi) for n in fs if ";2," in n)
tap.eq(nsemi, len([e for e in expected]), "';': every message file is named <base>;2,<flags>")
verify(store, semi, "the ';' Maildir (its separator read back from the manifest)")

# Python's mailbox with colon=';' (its documented setting for such file systems)
bad = []
for (dom, box), exp in sorted(e2e._by_box(expected).items()):
    root = box_root(semi, dom, box)
    dirmap = {dovecot.dovecot_dirname(e["folder"]): e["folder"] for e in exp}
    dirmap[""] = "INBOX"
    got = collections.Counter()
    for d in [""] + [n for n in os.listdir(root) if n.startswith(".")]:
        md = mailbox.Maildir(os.path.join(root, d), factory=None, create=False)
        md.colon = ";"
        for key in md.iterkeys():
            m = md[key]
            got[(dirmap.get(d, d), e2e.sha256(md.get_bytes(key)),
                 frozenset(FLAGS[c] for c in m.get_flags()))] += 1
    want = collections.Counter((e["folder"], e2e.sha256(e2e.to_lf(e2e.read(e["path"]))),
                                frozenset(e["flags"])) for e in exp)
    if got != want:
        bad.append("%s@%s: %d read, %d wanted; differ: %s"
                   % (box, dom, sum(got.values()), sum(want.values()),
                      list((got - want) + (want - got))[:3]))
tap.ok(not bad, "';': Python's mailbox (colon=';') reads every message, its bytes and flags",
       "\n".join(bad))

alice = next(mb for mb in e2e.fixture_mailboxes(spec) if mb["mailbox"] == "alice")
tree = dovecot.read_maildir(box_root(semi, "example.com", "alice"))
check_uids(tree, alice, "';' (Dovecot built with ':')")
tap.eq(tree["uidvalidity"], alice_tree["uidvalidity"],
       "';': every folder's UIDVALIDITY and next UID as with ':' (a folder without an index "
       "too: its digest leaves the flags out)")
tap.ok(all(not m["flags"] for m in tree["messages"]),
       "';': a Dovecot built with ':' sees no flags (README says so)")

# the ';' export as a Maildir SOURCE, written again with ':'
back = os.path.join(work, "back")
rc, _o, err = export(back, source="maildir:" + box_root(semi, "example.com", "alice"))
tap.ok(rc == 0, "the ';' Maildir as SOURCE: exit 0", err[-1500:])
tree2 = dovecot.read_maildir(box_root(back, "localhost", "alice"))


def served(t):
    return sorted((m["folder"], m["uid"], tuple(sorted(m["flags"])), e2e.sha256(m["raw"]))
                  for m in t["messages"])


tap.eq(served(tree2), served(alice_tree),
       "';' read back as SOURCE: Dovecot serves the same UIDs, flags and bytes as the ':' export")
tap.eq(tree2["uidvalidity"], tree["uidvalidity"],
       "';' read back as SOURCE: the same UIDVALIDITY and next UID in every folder")

# ---- 3. rounds ----------------------------------------------------------------------------------

new_msg = (b"From: z@example.net\r\nTo: alice@example.com\r\nSubject: round two\r\n"
           b"Date: Wed, 01 May 2024 10:00:00 +0000\r\nMessage-ID: <round2@example.net>\r\n"
           b"\r\nnew in round 2\r\n")
for label, d, extra in (("':'", out, []), ("';'", semi, ["--maildir-flag-separator", ";"])):
    before = alice_tree if d == out else tree
    if d == out:
        with open(os.path.join(store, "Users", "example.com", "alice", "md50000000199.msg"),
                  "wb") as f:
            f.write(new_msg)
    rc, sout, err = export(d, "--incremental", *extra)
    # issue 16: '1 message' (the plural was wrong), in the summary on stdout
    tap.ok(rc == 0 and "alice@example.com: exported 1 message " in sout,
           "%s round 2: exit 0, one message" % label, sout[-1500:] + err[-500:])
    t = dovecot.read_maildir(box_root(d, "example.com", "alice"))
    old = {(m["folder"], e2e.sha256(m["raw"])): m["uid"] for m in before["messages"]}
    now = {(m["folder"], e2e.sha256(m["raw"])): m["uid"] for m in t["messages"]}
    tap.eq({k: now.get(k) for k in old}, old, "%s round 2: every earlier message keeps its UID"
           % label)
    added = [(k, u) for k, u in now.items() if k not in old]
    nxt = before["uidvalidity"]["INBOX"][1]
    tap.eq([(k[0], u) for k, u in added], [("INBOX", nxt)],
           "%s round 2: the new message is INBOX's next UID (%d)" % (label, nxt))
    tap.eq(t["uidvalidity"]["INBOX"], (before["uidvalidity"]["INBOX"][0], nxt + 1),
           "%s round 2: INBOX's UIDVALIDITY kept, next UID %d" % (label, nxt + 1))
    verify(store, d, "%s after round 2" % label)

# a Maildir SOURCE with UIDs: flags changed and a new message in a round
msrc = os.path.join(work, "bea")


def write_src(msgs):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(msrc, sub), exist_ok=True)
    for n in os.listdir(os.path.join(msrc, "cur")):
        os.unlink(os.path.join(msrc, "cur", n))
    lines = []
    for uid, flags in msgs:
        base = "%d.M%dP1.host" % (1700000000 + uid, uid)
        path = os.path.join(msrc, "cur", base + ":2," + flags)
        with open(path, "wb") as f:
            f.write(b"Subject: m%d\nMessage-ID: <m%d@x>\n\nbody %d\n" % (uid, uid, uid))
        # the internal date is the file's mtime: the same in both rounds
        os.utime(path, (1700000000 + uid * 60, 1700000000 + uid * 60))
        lines.append("%d :%s\n" % (uid, base))
    with open(os.path.join(msrc, "dovecot-uidlist"), "w") as f:
        f.write("3 V4242 N%d\n" % (max(u for u, _f in msgs) + 1))
        f.writelines(lines)


write_src([(3, ""), (7, "S")])
mout = os.path.join(work, "mout")
rc, _o, err = export(mout, "--maildir-flag-separator", "!", source="maildir:" + msrc)
tap.ok(rc == 0, "Maildir SOURCE with UIDs, '!': round 1", err[-1500:])
write_src([(3, "FS"), (7, "S"), (9, "")])
rc, _o, err = export(mout, "--maildir-flag-separator", "!", "--incremental",
                     source="maildir:" + msrc)
tap.ok(rc == 0, "Maildir SOURCE with UIDs, '!': round 2 (a flag change, a new message)",
       err[-1500:])
root = box_root(mout, "localhost", "bea")
with open(os.path.join(root, "dovecot-uidlist")) as f:
    ul = f.read().splitlines()
names = sorted(os.listdir(os.path.join(root, "cur")))
tap.eq(sorted(line.split(" :", 1)[1] for line in ul[1:]), names,
       "'!' round 2: the uidlist names every file as it is now (the renamed one too)")
tap.eq([line.split(" ", 1)[0] for line in ul[1:]], ["3", "7", "9"],
       "'!' round 2: the uidlist's UIDs are the source's: 3, 7, 9")
tap.eq(ul[0], "3 V4242 N10", "'!' round 2: the header keeps UIDVALIDITY 4242, next UID 10")
md = mailbox.Maildir(root, factory=None, create=False)
md.colon = "!"
got = sorted((md.get_bytes(k).split(b"\n")[0].decode(), "".join(sorted(md[k].get_flags())))
             for k in md.iterkeys())
tap.eq(got, [("Subject: m3", "FS"), ("Subject: m7", "S"), ("Subject: m9", "")],
       "'!' round 2: Python's mailbox (colon='!') reads the new flags")
verify("maildir:" + msrc, mout, "'!' Maildir after round 2")

# ---- 4. refused ---------------------------------------------------------------------------------

rc, _o, err = e2e.run(["export", store, "-f", "maildir", "-o", os.path.join(work, "x"),
                       "--maildir-flag-separator", "/"], env=ENV)
tap.ok(rc != 0 and "--maildir-flag-separator" in err and not os.path.exists(
    os.path.join(work, "x")), "--maildir-flag-separator '/' is refused, nothing written", err)

e2e.remove_work(work)
tap.done()
