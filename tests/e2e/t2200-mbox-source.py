#!/usr/bin/env python3
"""End-to-end: an mbox as SOURCE (issue 11).

  (a) a tree as mutt lays it out (inbox, Sent, Lists/foo), written by
      Python's mailbox.mbox (mboxo: it quotes "From " as ">From "), exported
      with `mbox:` to Maildir and read back with Python's mailbox: every
      message once in its folder, its bytes as given to Python, its flags,
      the From_ line's time as the file's mtime; without the prefix it is
      probed; SOURCE is untouched.
  (b) a Thunderbird tree made here (Inbox, Inbox.sbd/Work, an empty Trash,
      .msf files, X-Mozilla-Status values): folders, flags, bytes without
      the X-Mozilla fields.
  (c) an mbox tree written by Dovecot (doveadm import of corpus messages,
      flags and dates set): each message as Dovecot itself reads it back
      (doveadm fetch text) -- bytes, flags and UIDs in the manifest -- and
      byte-identical to what was imported where Dovecot kept it as it was.
  (d) round trip: the fixture store exported to mbox, each mailbox's mbox
      tree exported to Maildir, EML and PST: exit 0, verify clean; the
      Maildir via mbox holds, folder by folder, the messages of the Maildir
      written from the store directly (bytes less the status fields, flags,
      internal dates).
"""

import collections
import glob
import hashlib
import json
import mailbox
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402
import dovecot  # noqa: E402

tap = e2e.Tap("mbox-source")
work = e2e.tmpdir("mbox-src")
T0 = 1700000000
MD = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "T": "\\Deleted", "D": "\\Draft"}
PYMBOX = {"R": "\\Seen", "A": "\\Answered", "F": "\\Flagged", "D": "\\Deleted"}


def maildir_view(root):
    """{folder dir: Counter((bytes, flags, mtime))} read by Python's mailbox"""
    return {d: collections.Counter((b, frozenset(f), t) for f, b, t in msgs)
            for d, msgs in e2e.read_maildir_python(root).items()}


def manifest(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f][1:]


# ---- (a) mutt's layout, written by Python's mailbox.mbox ----------------------------------

src = os.path.join(work, "carol", "mail")
os.makedirs(os.path.join(src, "Lists"))
want_a = {}
n = 0
for fname, folder, flags_list in (("inbox", "INBOX", ["RO", "RAF", "O", ""]),
                                  ("Sent", "Sent", ["RA"]),
                                  ("Lists/foo", "Lists/foo", ["RD", "RF"])):
    box = mailbox.mbox(os.path.join(src, fname))
    for flags in flags_list:
        n += 1
        data = ("From: x%d@example.net\nTo: carol@example.com\nSubject: %s %d\n"
                "Message-ID: <a%d@example.net>\n\nbody %d\n\nFrom the start of a line\n"
                ">From quoted by the author\nend\n" % (n, folder, n, n, n)).encode()
        m = mailbox.mboxMessage(data)
        m.set_from("x%d@example.net" % n, time.gmtime(T0 + 3600 * n))
        m.set_flags(flags)
        box.add(m)
        # mboxo: ">From quoted by the author" cannot be told from a quoted "From "
        data = data.replace(b"\n>From quoted", b"\nFrom quoted")
        want_a.setdefault(dovecot.dovecot_dirname(folder), collections.Counter())[
            (data, frozenset(PYMBOX[c] for c in flags if c in PYMBOX), T0 + 3600 * n)] += 1
    box.close()
frozen = e2e.freeze(src)
for label, source in (("mbox:SOURCE", "mbox:" + src), ("SOURCE probed", src)):
    o = os.path.join(work, "a-" + label.split()[0].replace(":", ""))
    rc, _out, err = e2e.run_merged(["export", source, "-f", "maildir", "-o", o])
    tap.ok(rc == 0 and "carol@localhost: exported 7 messages" in err,
           "(a) %s (mutt's layout, Python wrote it): export to Maildir exit 0, 7 messages"
           % label, err[-1500:])
    got = maildir_view(os.path.join(o, "localhost", "carol"))
    tap.ok(got == want_a, "(a) %s: every message once in its folder with its bytes, flags and "
           "From_ line time (read back by Python's mailbox)" % label,
           "got %s\nwant %s" % (sorted(got.items())[:2], sorted(want_a.items())[:2]))
    vrc, vout, verr = e2e.run(["verify", source, o])
    tap.ok(vrc == 0 and "7 verified" in vout + verr, "(a) %s: verify exit 0" % label,
           (vout + verr)[-800:])
tap.ok(not e2e.unchanged(src, frozen), "(a) the mbox SOURCE is unchanged (bytes, times)",
       "\n".join(e2e.unchanged(src, frozen))[:800])

# ---- (b) Thunderbird's layout ----------------------------------------------------------------

tb = os.path.join(work, "Local Folders")
os.makedirs(os.path.join(tb, "Inbox.sbd"))
TB = [("Inbox", "INBOX", "0001", {"\\Seen"}), ("Inbox", "INBOX", "0003", {"\\Seen", "\\Answered"}),
      ("Inbox", "INBOX", "0000", set()), ("Inbox.sbd/Work", "INBOX/Work", "0005",
                                          {"\\Seen", "\\Flagged"}),
      ("Inbox.sbd/Work", "INBOX/Work", "0009", {"\\Seen", "\\Deleted"})]
want_b = {}
files = collections.defaultdict(bytes)
for i, (fname, folder, status, flags) in enumerate(TB):
    body = ("From: t%d@example.org\nSubject: tb %d\n\nline\n\nFrom here on\n" % (i, i)).encode()
    files[fname] += (time.strftime("From - %a %b %e %H:%M:%S %Y\n", time.gmtime(T0 + i)).encode() +
                     b"X-Mozilla-Status: " + status.encode() +
                     b"\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys:                     \n" +
                     body.replace(b"\nFrom here", b"\n>From here") + b"\n")
    want_b.setdefault(dovecot.dovecot_dirname(folder), collections.Counter())[
        (body, frozenset(flags), T0 + i)] += 1
for fname, data in files.items():
    with open(os.path.join(tb, fname), "wb") as f:
        f.write(data)
for extra in ("Inbox.msf", "Inbox.sbd/Work.msf", "Trash", "Trash.msf", "msgFilterRules.dat"):
    open(os.path.join(tb, extra), "wb").close()
o = os.path.join(work, "b")
rc, _out, err = e2e.run_merged(["export", tb, "-f", "maildir", "-o", o])
tap.ok(rc == 0 and "Local Folders@localhost: exported 5 messages" in err and " in 3 folders" in err
       and "warning:" not in err, "(b) a Thunderbird tree, probed: exit 0, 5 messages, 3 folders "
       "(the empty Trash too), no warning", err[-1500:])
got = maildir_view(os.path.join(o, "localhost", "Local Folders"))
got = {k: v for k, v in got.items() if v}
tap.ok(got == want_b, "(b) folders, flags from X-Mozilla-Status, bytes without the X-Mozilla "
       "fields, dates from the From_ lines", "got %s\nwant %s" % (sorted(got.items()),
                                                                  sorted(want_b.items())))

# ---- (c) an mbox tree Dovecot wrote ----------------------------------------------------------

corpus = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                        text=True).stdout.strip().splitlines()
if tap.ok(corpus and os.path.isdir(corpus[-1]), "(c) the SpamAssassin corpus is there"):
    home = os.path.join(work, "dove")
    for d in ("run", "state", "mail"):
        os.makedirs(os.path.join(home, d))
    md = mailbox.Maildir(os.path.join(home, "src"), create=True)
    spam = md.add_folder("spam")
    given = []
    names = sorted(glob.glob(os.path.join(corpus[-1], "easy-ham-1", "*.txt")))[:200] + \
        sorted(glob.glob(os.path.join(corpus[-1], "spam-1", "*.txt")))[:100]
    for i, p in enumerate(names):
        data = e2e.read(p)
        if data.startswith(b"From "):
            data = data.split(b"\n", 1)[1]
        m = mailbox.MaildirMessage(data)
        m.set_subdir("cur")
        m.set_flags(["", "S", "RS", "FS", "T", "D"][i % 6])
        m.set_date(T0 + 60 * i)
        (spam if "spam-1" in p else md).add(m)
        given.append(data)
    conf = os.path.join(home, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("mail_location = mbox:{h}/mail:INBOX={h}/mail/inbox\nmail_home = {h}\n"
                "mail_uid = 65534\nmail_gid = 65534\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n"
                "ssl = no\nbase_dir = {h}/run\nstate_dir = {h}/state\nlog_path = {h}/log\n"
                "namespace inbox {{\n  inbox = yes\n  prefix =\n  separator = /\n}}\n"
                .format(h=home))
    for dirpath, dirs, fnames in os.walk(home):
        for x in dirs + fnames:
            os.lchown(os.path.join(dirpath, x), 65534, 65534)
    os.lchown(home, 65534, 65534)
    env = {"PATH": os.environ.get("PATH", ""), "USER": "nobody", "HOME": home, "TZ": "UTC"}

    def doveadm(*args):
        p = subprocess.run([dovecot.DOVEADM, "-c", conf] + list(args), env=env,
                           capture_output=True)
        return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")

    drc, _o, derr = doveadm("import", "maildir:" + os.path.join(home, "src"), "", "all")
    tap.ok(drc == 0, "(c) doveadm imports 300 corpus messages into an mbox tree", derr[-800:])
    fields = ["mailbox", "uid", "flags", "size.physical", "text"]
    frc, fout, ferr = doveadm("-f", "pager", "fetch", " ".join(fields), "all")
    recs = []
    for chunk in fout.split(b"\f\n"):
        head, _, text = chunk.partition(b"text:\n")
        meta = dict(line.split(": ", 1) for line in head.decode().splitlines())
        recs.append((meta["mailbox"], int(meta["uid"]),
                     frozenset(x for x in meta["flags"].split() if x != "\\Recent"),
                     text[:int(meta["size.physical"])]))
    tap.ok(frc == 0 and len(recs) == 300, "(c) Dovecot reads back its 300 messages", ferr)
    o = os.path.join(work, "c")
    rc, _out, err = e2e.run_merged(["export", "mbox:" + os.path.join(home, "mail"), "-f", "maildir",
                             "-o", o])
    tap.ok(rc == 0 and "dove@localhost: exported 300 messages" in err and "warning:" not in err,
           "(c) the Dovecot mbox tree exported to Maildir: exit 0, 300 messages, no warning",
           err[-1500:])
    lines = manifest(os.path.join(o, "localhost", "dove.manifest.jsonl"))
    ours = {(x["folder"], x["uid"]): (x["sha256"], frozenset(x["flags"])) for x in lines}
    theirs = {(f, u): (hashlib.sha256(t).hexdigest(), fl) for f, u, fl, t in recs}
    bad = [k for k in theirs if ours.get(k) != theirs[k]]
    tap.ok(len(ours) == 300 and not bad, "(c) every message's bytes (SHA-256), flags and UID in "
           "the manifest are Dovecot's own reading of its mbox", "differ: %s" % bad[:5])
    out_bytes = collections.Counter(b for msgs in e2e.read_maildir_python(
        os.path.join(o, "localhost", "dove")).values() for _f, b, _t in msgs)
    tap.ok(out_bytes == collections.Counter(t for _f, _u, _fl, t in recs),
           "(c) the Maildir holds exactly Dovecot's bytes")
    # Dovecot changes a few on the way in (CRLF to LF, its own fields dropped, a
    # missing closing MIME boundary added); every one it kept as given must come out so
    theirs_bytes = collections.Counter(t for _f, _u, _fl, t in recs)
    kept = [g for g in given if g in theirs_bytes]
    missing = [g[:200] for g in kept if g not in out_bytes]
    tap.ok(len(kept) >= 250 and not missing, "(c) the %d messages Dovecot stored as given come "
           "out byte-identical to what was imported" % len(kept), "missing: %s" % missing[:2])

# ---- (d) round trip: the fixture store -> mbox -> every format ---------------------------

store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
mbout, mdout = os.path.join(work, "mb"), os.path.join(work, "md")
rc1, _o, err1 = e2e.run_merged(["export", store, "-f", "mbox", "-o", mbout])
rc2, _o, err2 = e2e.run_merged(["export", store, "-f", "maildir", "-o", mdout])
tap.ok(rc1 == 0 and rc2 == 0, "(d) the fixture store exported to mbox and to Maildir",
       err1[-500:] + err2[-500:])
boxes = sorted((d, b) for d in os.listdir(mbout) if not d.startswith(".")
               for b in os.listdir(os.path.join(mbout, d))
               if os.path.isdir(os.path.join(mbout, d, b)))
tap.ok(len(boxes) >= 4, "(d) the mbox export holds the fixture's mailboxes", repr(boxes))
for dom, box in boxes:
    msrc = "mbox:" + os.path.join(mbout, dom, box)
    for fmt in ("maildir", "eml", "pst"):
        o = os.path.join(work, "rt-%s-%s-%s" % (dom, box, fmt))
        rc, _out, err = e2e.run_merged(["export", msrc, "-f", fmt, "-o", o])
        vrc, vout, verr = e2e.run(["verify", msrc, o])
        tap.ok(rc == 0 and vrc == 0 and "everything verifies" in vout + verr,
               "(d) %s@%s: mbox -> %s: export exit 0, verify clean" % (box, dom, fmt),
               "export %d, verify %d\n%s\n%s" % (rc, vrc, err[-800:], (vout + verr)[-800:]))
        if fmt != "maildir":
            continue
        via = maildir_view(os.path.join(o, "localhost", box))
        straight = {k: collections.Counter({(e2e.mbox_expected(b), f, t): c
                                            for (b, f, t), c in v.items()})
                    for k, v in maildir_view(os.path.join(mdout, dom, box)).items()}
        diff = sorted(k for k in set(via) | set(straight)
                      if via.get(k, collections.Counter()) != straight.get(k, collections.Counter()))
        tap.ok(not diff, "(d) %s@%s: store -> mbox -> Maildir holds, folder by folder, the "
               "messages of store -> Maildir (bytes, flags, internal dates)" % (box, dom),
               "folders that differ: %s" % diff[:5])

shutil.rmtree(os.path.join(work, "dove"), ignore_errors=True)
e2e.remove_work(work)
tap.done()
