#!/usr/bin/env python3
"""End-to-end: round trips for every pair of formats (issue 11).

The fixture store is exported to each format X; each mailbox of that export
is then read back by mdexport's X reader and exported to every format Y.
For every pair, MDaemon -> X -> Y must give what MDaemon -> Y gives, for
what X can hold (README, "What each format keeps"):

  - export and `verify` of X -> Y exit 0;
  - Y's output, read by readers this project did not write (Python's
    mailbox and email for mbox, Maildir and EML, readpst for PST), holds
    folder by folder the same messages as the direct export:
      * X keeps bytes (mbox, Maildir, EML): the same bytes (mbox's own
        Status/X-Status fields aside, which mbox rewrites from the flags);
      * X is a PST (it keeps fields, not bytes): the same Message-ID,
        Subject, From, Date and attachment bytes;
      * X keeps flags (all but EML): the same flags; through EML every
        message arrives without flags (the documented loss), and that is
        asserted too;
      * the internal date (From_ line date, Maildir and EML file times).
"""

import collections
import email
import email.policy
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("roundtrip")
work = e2e.tmpdir("roundtrip")
FORMATS = ("mbox", "maildir", "eml", "pst")
KEEPS_BYTES = {"mbox", "maildir", "eml"}
KEEPS_FLAGS = {"mbox", "maildir", "pst"}

store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
direct = {}
for fmt in FORMATS:
    direct[fmt] = os.path.join(work, "direct-" + fmt)
    rc, _out, err = e2e.run(["export", store, "-f", fmt, "-o", direct[fmt]])
    tap.eq(rc, 0, "the fixture store exported to %s" % fmt)

frozen = {fmt: e2e.freeze(direct[fmt]) for fmt in FORMATS}
boxes = sorted((d, b) for d in os.listdir(direct["mbox"]) if not d.startswith(".")
               for b in os.listdir(os.path.join(direct["mbox"], d))
               if os.path.isdir(os.path.join(direct["mbox"], d, b)))
tap.ok(len(boxes) >= 4, "the fixture has at least 4 mailboxes", repr(boxes))


def mailbox_output(top, fmt):
    """The one mailbox's output under an export DIR (its domain and name
    depend on the reader: localhost/<folder name>, or the PST's address)."""
    found = []
    for d in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        if d.startswith(".") or not os.path.isdir(os.path.join(top, d)):
            continue
        for n in sorted(os.listdir(os.path.join(top, d))):
            p = os.path.join(top, d, n)
            if n.endswith(".manifest.jsonl"):
                continue
            if (fmt == "pst") == n.endswith(".pst"):
                found.append(p)
    return found[0] if len(found) == 1 else None


# ---- what each output holds, read by readers we did not write ----------------------------

def fields(data):
    """What a PST keeps of a message: header fields and attachment bytes."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    atts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_filename() or (part.get("Content-Disposition") or "").lower().startswith(
                "attachment"):
            payload = part.get_payload(decode=True) or b""
            atts.append(hashlib.sha256(payload).hexdigest()[:16])
    def hdr(name):
        v = msg.get(name)
        return " ".join(str(v).split()) if v is not None else None
    return (hdr("Message-ID"), hdr("Subject"), hdr("From"), hdr("Date"), tuple(sorted(atts)))


def canon_bytes(data, via):
    data = e2e.strip_status_fields(e2e.to_lf(data))
    if not data.endswith(b"\n"):
        data += b"\n"
    return fields(data) if via == "pst" else data


def read_y(fmt, path, via, flags_kept=None):
    """{folder: Counter(record)} of a mailbox's output in format fmt; the
    record holds what `via` (the format between) keeps (flags_kept: the
    flags are read even though via does not keep them)."""
    out = collections.defaultdict(collections.Counter)
    if flags_kept is None:
        flags_kept = via in KEEPS_FLAGS
    if fmt == "mbox":
        for folder, msgs in e2e.read_mbox_tree(path).items():
            for from_line, flags, data in msgs:
                date = " ".join(from_line.split()[1:])      # the sender aside: the date
                if via != "pst":
                    date = from_line
                out[folder][(date, frozenset(flags) if flags_kept else None,
                             canon_bytes(data, via))] += 1
    elif fmt == "maildir":
        for folder, msgs in e2e.read_maildir_python(path).items():
            for flags, data, mtime in msgs:
                out[folder][(mtime, frozenset(flags) if flags_kept else None,
                             canon_bytes(data, via))] += 1
    elif fmt == "eml":
        for folder, msgs in e2e.read_eml_tree(path).items():
            for _name, data, mtime in msgs:
                out[folder][(mtime, canon_bytes(data, via))] += 1
    else:   # readpst: one mbox per folder, messages as libpst rebuilds them
        rp = e2e.tmpdir("readpst")      # never beside a PST that is a SOURCE
        subprocess.run(["readpst", "-q", "-r", "-j", "0", "-o", rp, path],
                       capture_output=True, check=False)
        import mailbox
        for dirpath, _dirs, files in os.walk(rp):
            for fn in files:
                if fn != "mbox":
                    continue
                # the top folder is the store's name: the mailbox's address,
                # whose domain only MDaemon and PST keep (localhost otherwise)
                folder = "/".join(os.path.relpath(dirpath, rp).split(os.sep)[1:])
                box = mailbox.mbox(os.path.join(dirpath, fn), create=False)
                for key in box.iterkeys():
                    m = email.message_from_bytes(box.get_bytes(key),
                                                 policy=email.policy.compat32)
                    out[folder][(" ".join(str(m.get("Message-ID", "")).split()),
                                 " ".join(str(m.get("Subject", "")).split()))] += 1
                box.close()
        e2e.remove_work(rp)
    return out


def all_flags_empty(got):
    return all(not rec[1] for recs in got.values() for rec in recs
               if isinstance(rec[1], frozenset))


def differences(want, got):
    out = []
    for folder in sorted(set(want) | set(got)):
        if want.get(folder, collections.Counter()) != got.get(folder, collections.Counter()):
            w, g = want.get(folder, {}), got.get(folder, {})
            only_w = [r for r in w if r not in g][:1]
            only_g = [r for r in g if r not in w][:1]
            out.append("%s: %d want, %d got; only wanted %r; only got %r"
                       % (folder, sum(w.values()), sum(g.values()),
                          repr(only_w)[:300], repr(only_g)[:300]))
    return out


compared = collections.Counter()     # (via, fmt): messages compared
# the fixture's folders of Outlook's groupware kinds, by mailbox (issue 14)
GW_FOLDERS = {}
for _mb in e2e.fixture_mailboxes(json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"),
                                                encoding="utf-8"))):
    GW_FOLDERS[(_mb["domain"], _mb["mailbox"])] = [
        f["path"] for f in _mb["folders"] if f.get("class") in e2e.GROUPWARE_EXPORTED]
direct_box = {}
for dom, box in boxes:
    for fmt in FORMATS:
        direct_box[(dom, box, fmt)] = (os.path.join(direct[fmt], dom, box + ".pst")
                                       if fmt == "pst" else os.path.join(direct[fmt], dom, box))

for dom, box in boxes:
    for via in FORMATS:
        src = direct_box[(dom, box, via)]
        if not os.path.exists(src):
            tap.ok(False, "%s@%s: the direct %s export exists" % (box, dom, via), src)
            continue
        for fmt in FORMATS:
            label = "%s@%s: MDaemon -> %s -> %s" % (box, dom, via, fmt)
            o = os.path.join(work, "rt", via, fmt, dom + "-" + box)
            rc, _out, err = e2e.run(["export", "%s:%s" % (via, src), "-f", fmt, "-o", o])
            vrc, vout, verr = e2e.run(["verify", "%s:%s" % (via, src), o])
            tap.ok(rc == 0 and vrc == 0, "%s: export and verify exit 0" % label,
                   "export %d, verify %d\n%s\n%s" % (rc, vrc, err[-600:], (vout + verr)[-600:]))
            got_path = mailbox_output(o, fmt)
            if not tap.ok(got_path is not None, "%s: one mailbox output" % label, o):
                continue
            want = read_y(fmt, direct_box[(dom, box, fmt)], via)
            got = read_y(fmt, got_path, via)
            if via == "pst":
                # issue 14: the mail of a calendar, contacts, tasks or notes folder goes
                # into that folder of Outlook's kind, which a PST SOURCE does not read
                # yet (README "Calendars, contacts, tasks and notes"): not compared
                for f in GW_FOLDERS.get((dom, box), ()):
                    want.pop(f, None)
                    want.pop("." + f, None)
            if via == "eml" and fmt in KEEPS_FLAGS and fmt != "pst":
                flagless = read_y(fmt, got_path, "eml", flags_kept=True)
                tap.ok(all_flags_empty(flagless),
                       "%s: no message has a flag (EML keeps none)" % label)
            diff = differences(want, got)
            compared[(via, fmt)] += sum(sum(c.values()) for c in want.values())
            tap.ok(not diff,
                   "%s holds, folder by folder, the messages of MDaemon -> %s (%s)"
                   % (label, fmt, "bytes" if via in KEEPS_BYTES else "fields") +
                   (", flags" if via in KEEPS_FLAGS else "") + ", dates",
                   "\n".join(diff[:6]))

few = {k: n for k, n in compared.items() if n < 20}
tap.ok(len(compared) == len(FORMATS) ** 2 and not few,
       "every pair compared at least 20 messages (so no comparison above was empty)", repr(few))
for fmt in FORMATS:
    # this test reads the direct exports itself (Python, readpst), so their
    # access times move; t4000 checks that mdexport keeps them
    changed = [c for c in e2e.unchanged(direct[fmt], frozen[fmt])
               if c.split(": ", 1)[1].split(" -> ")[0].rsplit(",", 1)[0] !=
               c.split(" -> ")[1].rsplit(",", 1)[0]]
    tap.ok(not changed, "the %s export read as SOURCE is unchanged (bytes, mode, size, "
           "mtime)" % fmt, "\n".join(changed[:10]))
e2e.remove_work(work)
tap.done()
