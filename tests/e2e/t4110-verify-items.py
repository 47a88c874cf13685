#!/usr/bin/env python3
"""End-to-end: `verify` lists every item an output holds, in every format,
through the format's read-back (formats/<fmt>/check.c): a file planted in a
Maildir's new/ or tmp/, in an EML folder or next to an mbox file is extra in
that folder, a file that can hold no message (a Maildir's subscriptions) is
not; a message file removed is missing; a PST removed whole makes the
mailbox's output missing and each of its messages.  Each is checked in the
JSON report (kind, source, output, folder) and by the exit status."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("verify-items")
work = e2e.tmpdir("verify-items")
store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
USER = "alice@example.com"


def export(fmt):
    out = os.path.join(work, fmt)
    rc, _, err = e2e.run(["export", store, "--format", fmt, "--output", out, "--quiet",
                          "--user", USER])
    tap.eq(rc, 0, "%s: export exits 0" % fmt)
    return out


def entries(out):
    path = os.path.join(out, "example.com", "alice.manifest.jsonl")
    return [json.loads(l) for l in e2e.read(path).decode("utf-8", "surrogateescape")
            .split("\n")[1:] if l]


def verify(out):
    rc, stdout, err = e2e.run(["verify", store, out, "--json", "--user", USER])
    try:
        doc = json.loads(stdout)
    except ValueError:
        doc = None
    ps = [p for m in (doc or {}).get("mailboxes", []) for p in m["problems"]]
    return rc, doc, ps, err + stdout[-2000:]


def copy(out, label):
    o = os.path.join(work, label)
    shutil.copytree(out, o)
    return o


def plant(o, rel, data=b"Subject: planted\n\nnot from the source\n"):
    path = os.path.join(o, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def exactly(rc, ps, want, what, diag):
    got = [{k: p.get(k) for k in want[0]} for p in ps] if want else ps
    tap.ok(rc == 1 and got == want, what,
           "rc=%d want %r got %s\n%s" % (rc, want, json.dumps(ps, indent=1), diag))


outs = {fmt: export(fmt) for fmt in ("maildir", "eml", "mbox", "pst")}
for fmt, out in outs.items():
    rc, doc, ps, diag = verify(out)
    tap.ok(rc == 0 and not ps and doc and doc["totals"]["verified"] > 0,
           "%s: the export verifies clean" % fmt, diag)

# ---- Maildir: new/ and tmp/ hold messages, other files hold none -----------------------------
ml = entries(outs["maildir"])
inbox = [e for e in ml if e["status"] == "exported" and e["folder"] == "INBOX"][0]
box = os.path.dirname(os.path.dirname(inbox["output"]["file"]))
o = copy(outs["maildir"], "maildir-planted")
plant(o, box + "/new/1700000000.M1_planted.host")
plant(o, box + "/tmp/1700000001.M2_planted.host")
plant(o, box + "/subscriptions", b"INBOX\n")        # Dovecot's: no message in it
rc, doc, ps, diag = verify(o)
want = sorted([{"kind": "extra", "source": None, "folder": "INBOX", "output": box + f}
               for f in ("/new/1700000000.M1_planted.host", "/tmp/1700000001.M2_planted.host")],
              key=lambda p: p["output"])
exactly(rc, sorted(ps, key=lambda p: p["output"]), want,
        "maildir: a file planted in new/ and one in tmp/ are extra in INBOX; "
        "subscriptions is not a message", diag)
tap.ok(all(p["what"] == "a message file no manifest line names" for p in ps),
       "maildir: each extra is said to be a message file no line names", json.dumps(ps))

o = copy(outs["maildir"], "maildir-removed")
os.remove(os.path.join(o, inbox["output"]["file"]))
rc, doc, ps, diag = verify(o)
exactly(rc, ps, [{"kind": "missing", "source": inbox["source"], "output": inbox["output"]["file"]}],
        "maildir: a message file removed is missing, named by its source and file", diag)

# ---- EML: every file of the tree is a message --------------------------------------------------
el = [e for e in entries(outs["eml"]) if e["status"] == "exported"]
sub = [e for e in el if e["folder"] != "INBOX"] or el
e = sub[0]
folder_dir = os.path.dirname(e["output"]["file"])
o = copy(outs["eml"], "eml-planted")
plant(o, folder_dir + "/999999.eml")
os.symlink("/etc/passwd", os.path.join(o, folder_dir, "link.eml"))
rc, doc, ps, diag = verify(o)
want = [{"kind": "extra", "source": None, "folder": e["folder"], "output": folder_dir + "/999999.eml",
         "what": "a file no manifest line names"},
        {"kind": "extra", "source": None, "folder": e["folder"], "output": folder_dir + "/link.eml",
         "what": "not a regular file"}]
exactly(rc, sorted(ps, key=lambda p: p["output"]), want,
        "eml: a file and a symbolic link planted in folder '%s' are extra there" % e["folder"], diag)

o = copy(outs["eml"], "eml-removed")
os.remove(os.path.join(o, e["output"]["file"]))
rc, doc, ps, diag = verify(o)
exactly(rc, ps, [{"kind": "missing", "source": e["source"], "output": e["output"]["file"],
                  "folder": e["folder"]}],
        "eml: a message file removed is missing and nothing else", diag)

# ---- mbox: a file that is no mbox, and an mbox file no line names -----------------------------
mb = [e for e in entries(outs["mbox"]) if e["status"] == "exported"]
mdir = os.path.dirname(mb[0]["output"]["file"])
o = copy(outs["mbox"], "mbox-planted")
plant(o, mdir + "/notes.txt", b"hello\n")
plant(o, mdir + "/Planted.mbox",
      b"From a@example.org Mon Jan  1 00:00:00 2024\nStatus: O\nX-Status: \n\nbody\n\n")
rc, doc, ps, diag = verify(o)
want = [{"kind": "extra", "source": None, "output": mdir + "/Planted.mbox", "offset": 0,
         "what": "From a@example.org Mon Jan  1 00:00:00 2024"},
        {"kind": "extra", "source": None, "output": mdir + "/notes.txt", "offset": None,
         "what": "a file no manifest line names"}]
exactly(rc, sorted(ps, key=lambda p: p["output"]), want,
        "mbox: a planted mbox file's message and a planted other file are extra", diag)

# ---- mbox: a field the mbox reader hides, added to one message -------------------------------
# verify reads the file back through the mbox reader, which hides X-UID (Dovecot's metadata);
# the message's length in the file must still be what the writer makes, so it is altered
e = mb[len(mb) // 2]
o = copy(outs["mbox"], "mbox-xuid")
path = os.path.join(o, e["output"]["file"])
with open(path, "rb") as f:
    data = f.read()
off = e["output"]["offset"]
at = data.index(b"\nX-Status: ", off) + 1
at = data.index(b"\n", at) + 1
with open(path, "wb") as f:
    f.write(data[:at] + b"X-UID: 7\n" + data[at:])
rc, doc, ps, diag = verify(o)
exactly(rc, ps,
        [{"kind": "altered", "source": e["source"], "output": e["output"]["file"],
          "offset": off}],
        "mbox: an X-UID field added to one message (hidden by the mbox reader) makes exactly "
        "it altered", diag)
tap.ok(len(ps) == 1 and "length" in ps[0]["what"],
       "mbox: the report says its length is not the writer's", json.dumps(ps))

# ---- PST: the file removed ----------------------------------------------------------------------
pl = [e for e in entries(outs["pst"]) if e["status"] == "exported"]
pst_rel = pl[0]["output"]["file"]
o = copy(outs["pst"], "pst-removed")
os.remove(os.path.join(o, pst_rel))
rc, doc, ps, diag = verify(o)
first = ps[:1]
tap.ok(rc == 1 and first and first[0]["kind"] == "missing" and first[0]["folder"] == "(mailbox)"
       and first[0]["output"] == pst_rel and first[0]["source"] is None,
       "pst: a PST removed is missing as the mailbox's output", diag)
rest = sorted((p["kind"], p["source"], p["output"], p.get("nid"), p["what"]) for p in ps[1:])
want = sorted(("missing", e["source"], pst_rel, e["output"]["nid"],
               "the PST '%s' cannot be read" % pst_rel)
              for e in pl)
tap.ok(rest == want, "pst: and each of its %d messages is missing, by its node" % len(pl),
       "%r\n%r" % (rest[:3], want[:3]))
tap.ok(doc and doc["totals"]["missing"] == len(pl) + 1 and doc["totals"]["verified"] == 0,
       "pst: the totals count them", json.dumps(doc and doc["totals"]))

shutil.rmtree(work)
tap.done()
