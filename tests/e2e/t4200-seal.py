#!/usr/bin/env python3
"""End-to-end: sealed exports and `verify DIR` without SOURCE (issue 16).

  - The fixture store exported with --seal in every format: SEAL.sha256
    lists every file of DIR but itself (SEAL.json and the manifests
    included), sorted in C byte order, each with its SHA-256 as hashlib
    computes it; GNU `sha256sum -c --strict SEAL.sha256` (a checker this
    project did not write) passes in DIR; the printed digest is the seal's;
    SEAL.json holds the run's metadata and one entry per manifest matching
    its run line; `verify DIR` exits 0.
  - One byte altered in an output file, and separately in a manifest: both
    sha256sum and `verify DIR` fail (exit 1) naming that file; a file added,
    a file removed, a symbolic link planted: `verify DIR` names each; `seal`
    refuses a DIR with a link (exit 1, nothing written) and one with
    .mdexport (exit 2).
  - Names with a newline, a backslash and a carriage return, made by hand:
    sealed as sha256sum writes them (a leading backslash, escapes), and
    sha256sum -c reads them back.
  - An export into a sealed DIR renames the seal SEAL.sha256.replaced-TIME
    (`verify SOURCE DIR` does not count those as stray files); --seal seals
    again, the old seal listed in the new one.
  - No seal: `verify DIR` says the bytes cannot be checked, exit 1; a DIR
    holding no export, exit 2; --json's document; usage.
"""

import hashlib
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("seal")
work = e2e.tmpdir("seal")
store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
FORMATS = ["mbox", "maildir", "eml", "pst"]
LINE = re.compile(rb"^(\\?)([0-9a-f]{64})  (.+)$")


def sha256sum_check(d):
    p = subprocess.run(["sha256sum", "-c", "--strict", "SEAL.sha256"], cwd=d,
                       capture_output=True)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def files_of(d):
    """Every file under d (bytes paths relative to d), links not followed, SEAL.sha256 left out."""
    out = []
    for dirpath, dirs, files in os.walk(os.fsencode(d)):
        for n in files + [x for x in dirs if os.path.islink(os.path.join(dirpath, x))]:
            rel = os.path.relpath(os.path.join(dirpath, n), os.fsencode(d))
            if rel != b"SEAL.sha256":
                out.append(rel)
    return sorted(out)


def unescape(name):
    return name.replace(b"\\\\", b"\0").replace(b"\\n", b"\n").replace(b"\\r", b"\r") \
               .replace(b"\0", b"\\")


def seal_lines(d):
    """SEAL.sha256 as (path bytes, hex) pairs; None when a line is not sha256sum's"""
    pairs = []
    for line in e2e.read(os.path.join(d, "SEAL.sha256")).split(b"\n")[:-1]:
        m = LINE.match(line)
        if not m:
            return None
        name = unescape(m.group(3)) if m.group(1) else m.group(3)
        pairs.append((name, m.group(2).decode()))
    return pairs


def verify_dir(d, *args):
    return e2e.run(["verify", d] + list(args))


def verify_json(d):
    rc, out, err = e2e.run(["verify", d, "--json"])
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, out + err


rc, vout, _ = e2e.run(["--version"])
version = vout.split()[1] if rc == 0 else None

# ---- every format, sealed at the end of the export ---------------------------------------------
outs = {}
for fmt in FORMATS:
    out = os.path.join(work, "out-" + fmt)
    outs[fmt] = out
    rc, sout, err = e2e.run(["export", store, "--format", fmt, "--output", out, "--seal",
                             "--quiet"])
    tap.ok(rc == 0, "%s: export --seal exit 0" % fmt, err)
    digest = hashlib.sha256(e2e.read(os.path.join(out, "SEAL.sha256"))).hexdigest()
    tap.ok("sealed '%s'" % out in sout and digest in sout,
           "%s: the result line names DIR and SEAL.sha256's own SHA-256" % fmt, sout)
    src, text = sha256sum_check(out)
    tap.ok(src == 0 and text.count(": OK") == len(files_of(out)),
           "%s: sha256sum -c --strict SEAL.sha256 passes, every file OK" % fmt, text)
    pairs = seal_lines(out)
    names = [p[0] for p in pairs] if pairs else None
    tap.ok(pairs is not None and names == files_of(out) and names == sorted(names),
           "%s: SEAL.sha256 lists every file of DIR but itself, in byte order" % fmt,
           "%r\n%r" % (names, files_of(out)))
    tap.ok(pairs is not None and all(
        hashlib.sha256(e2e.read(os.path.join(os.fsencode(out), n))).hexdigest() == h
        for n, h in pairs), "%s: each SHA-256 is the file's (hashlib)" % fmt)
    meta = json.load(open(os.path.join(out, "SEAL.json"), encoding="utf-8"))
    manifests = sorted(n.decode() for n in files_of(out) if n.endswith(b".manifest.jsonl"))
    mf_ok = [m["manifest"] for m in meta["manifests"]] == manifests
    for m in meta["manifests"] if mf_ok else []:
        run = json.loads(e2e.read(os.path.join(out, m["manifest"])).split(b"\n")[0])
        lines = len(e2e.read(os.path.join(out, m["manifest"])).split(b"\n")) - 2
        mf_ok &= (m["mailbox"] == run["mailbox"] and m["format"] == fmt and
                  m["started"] == run["started"] and m["messages"] == lines)
    others = [n for n in files_of(out) if n != b"SEAL.json"]
    tap.ok(meta["tool"] == "mdexport" and meta["version"] == version and meta["commit"] and
           re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", meta["sealed"]) and
           abs(time.time() - time.mktime(time.strptime(meta["sealed"], "%Y-%m-%dT%H:%M:%SZ"))
               + time.timezone) < 300 and
           meta["host"] == socket.gethostname() and meta["user"]["uid"] == os.getuid() and
           meta["user"]["name"] == pwd.getpwuid(os.getuid()).pw_name and meta["dir"] == out and
           meta["files"] == len(others) and
           meta["bytes"] == sum(os.path.getsize(os.path.join(os.fsencode(out), n))
                                for n in others) and mf_ok,
           "%s: SEAL.json: tool, version, commit, time, host, user, DIR, files, bytes and "
           "each manifest's mailbox, format, start and messages" % fmt, json.dumps(meta))
    rc, vout, err = verify_dir(out)
    tap.ok(rc == 0 and "everything verifies" in vout, "%s: verify DIR exit 0" % fmt, vout + err)

# ---- tampering, on a copy of the EML export ------------------------------------------------------
def fresh(name):
    d = os.path.join(work, name)
    shutil.copytree(outs["eml"], d, symlinks=True)
    return d


def flip(path, at=10):
    data = bytearray(e2e.read(path))
    data[at] ^= 0x20
    open(path, "wb").write(bytes(data))


d = fresh("altered")
victim = "example.com/alice/INBOX/000001.eml"
flip(os.path.join(d, victim))
src, text = sha256sum_check(d)
tap.ok(src == 1 and victim + ": FAILED" in text, "one byte altered: sha256sum -c names it", text)
rc, vout, err = verify_dir(d)
tap.ok(rc == 1 and re.search(r"^altered +%s/%s: " % (re.escape(d), re.escape(victim)), vout, re.M)
       and "does not verify" in vout, "one byte altered: verify DIR names it, exit 1", vout + err)

d = fresh("manifest")
victim = "example.com/bob.manifest.jsonl"
flip(os.path.join(d, victim), at=40)
src, text = sha256sum_check(d)
tap.ok(src == 1 and victim + ": FAILED" in text, "a manifest altered: sha256sum -c names it", text)
rc, doc, err = verify_json(d)
tap.ok(rc == 1 and doc and {"problem": "altered", "path": victim} in
       [{"problem": p["problem"], "path": p["path"]} for p in doc["problems"]],
       "a manifest altered: verify DIR names it, exit 1", err)

d = fresh("added")
open(os.path.join(d, "example.org", "note.txt"), "w").write("added\n")
rc, doc, err = verify_json(d)
tap.ok(rc == 1 and doc and [(p["problem"], p["path"]) for p in doc["problems"]] ==
       [("not_in_seal", "example.org/note.txt")], "a file added: named (only it), exit 1", err)

d = fresh("removed")
victim = "example.org/carol/INBOX/000002.eml"
os.unlink(os.path.join(d, victim))
rc, doc, err = verify_json(d)
probs = [(p["problem"], p["path"]) for p in doc["problems"]] if doc else []
tap.ok(rc == 1 and ("missing", victim) in probs and ("output_missing", victim) in probs,
       "a file removed: missing from the seal and from its manifest's outputs, exit 1", err)

d = fresh("linked")
os.symlink("/etc/passwd", os.path.join(d, "example.com", "planted"))
rc, doc, err = verify_json(d)
probs = [(p["problem"], p["path"]) for p in doc["problems"]] if doc else []
tap.ok(rc == 1 and probs == [("link", "example.com/planted")],
       "a link planted: verify DIR names it as a link (not followed), exit 1", err)
before = e2e.read(os.path.join(d, "SEAL.sha256"))
rc, sout, err = e2e.run(["seal", d])
tap.ok(rc == 1 and "example.com/planted" in err and "symbolic link" in err and
       e2e.read(os.path.join(d, "SEAL.sha256")) == before,
       "seal: a link in DIR named, nothing sealed, exit 1", err)

d = fresh("inprogress")
os.mkdir(os.path.join(d, ".mdexport"))
rc, sout, err = e2e.run(["seal", d])
tap.ok(rc == 2 and ".mdexport" in err and "in progress or was cut short" in err,
       "seal: a DIR holding .mdexport is refused, exit 2", err)

d = fresh("twice")
seal = os.path.join(d, "SEAL.sha256")
lines = e2e.read(seal).split(b"\n")
open(seal, "wb").write(b"\n".join(lines[:2] + lines[1:]))
rc, doc, err = verify_json(d)
tap.ok(rc == 1 and doc and [(p["problem"], p["path"]) for p in doc["problems"]] ==
       [("seal", lines[1].split(b"  ", 1)[1].decode())],
       "a line given twice in SEAL.sha256: named, exit 1", err)

# a full disk while SEAL.sha256 is written (the fault build, formats/core/sysio.h): the
# earlier seal is left whole, no temporary file stays, exit 2
FAULTY = os.environ.get("MDEXPORT_FAULTY") or os.path.join(e2e.ROOT, "build-fault", "mdexport")
if os.access(FAULTY, os.X_OK):
    d = fresh("full")
    before = {n: e2e.read(os.path.join(d, n)) for n in ("SEAL.json", "SEAL.sha256")}
    open(os.path.join(d, "example.com", "late.txt"), "w").write("late\n")
    p = subprocess.run([FAULTY, "seal", d], capture_output=True,
                       env=dict(os.environ, MDX_FAULT="write:5:ENOSPC"))
    err = p.stderr.decode("utf-8", "replace")
    after = {n: e2e.read(os.path.join(d, n)) for n in ("SEAL.json", "SEAL.sha256")}
    tap.ok(p.returncode == 2 and "not sealed" in err and after == before and
           not [n for n in os.listdir(d) if n.startswith(".SEAL")] and
           sha256sum_check(d)[0] == 0,
           "disk full while sealing: exit 2, the earlier seal whole, no temporary file left", err)
else:
    tap.skip("disk full while sealing", "no fault build (make fault)")

# ---- names sha256sum escapes -------------------------------------------------------------------------
d = fresh("names")
odd = [b"example.com/new\nline.txt", b"example.com/back\\slash.txt", b"example.com/cr\rname.txt"]
for n in odd:
    open(os.path.join(os.fsencode(d), n), "wb").write(b"odd " + n)
rc, sout, err = e2e.run(["seal", d])
src, text = sha256sum_check(d)
raw = e2e.read(os.path.join(d, "SEAL.sha256"))
want = [b"\\" + hashlib.sha256(b"odd " + n).hexdigest().encode() + b"  " +
        n.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r") + b"\n"
        for n in odd]
tap.ok(rc == 0 and all(w in raw for w in want) and src == 0,
       "names with a newline, a backslash, a CR: sealed as sha256sum writes them; "
       "sha256sum -c passes", text + err)
rc, vout, err = verify_dir(d)
tap.ok(rc == 0, "verify DIR reads those names back", vout + err)

# ---- an export into a sealed DIR --------------------------------------------------------------------
# refused (another format, no --force): DIR is not changed, so its seal stays
d = fresh("refused")
rc, sout, err = e2e.run(["export", store, "--format", "mbox", "--output", d,
                         "-u", "bob@example.com", "--progress", "never"])
tap.ok(rc == 2 and "not replaced without --force" in err and
       sorted(n for n in os.listdir(d) if n.startswith("SEAL.")) == ["SEAL.json", "SEAL.sha256"]
       and sha256sum_check(d)[0] == 0 and verify_dir(d)[0] == 0,
       "an export refused for every mailbox leaves DIR and its seal as they were "
       "(sha256sum -c and verify DIR pass)", sout + err)

d = fresh("rerun")
old = e2e.read(os.path.join(d, "SEAL.sha256"))
rc, sout, err = e2e.run(["export", store, "--format", "eml", "--output", d, "--quiet",
                         "-u", "bob@example.com"])
replaced = sorted(n for n in os.listdir(d) if n.startswith("SEAL."))
tap.ok(rc == 0 and len(replaced) == 2 and replaced[0].startswith("SEAL.json.replaced-") and
       replaced[1].startswith("SEAL.sha256.replaced-") and
       e2e.read(os.path.join(d, replaced[1])) == old and "was sealed" in err,
       "an export into a sealed DIR renames its seal NAME.replaced-TIME and says so",
       "%r\n%s" % (replaced, err))
rc, vout, err = e2e.run(["verify", store, d, "--json"])
doc = json.loads(vout) if vout.startswith("{") else None
tap.ok(rc == 0 and doc and not doc.get("other"),
       "verify SOURCE DIR: the renamed seal is no stray file", vout + err)
rc, doc, err = verify_json(d)
tap.ok(rc == 1 and doc and doc["sealed"] is False and
       [p["problem"] for p in doc["problems"]] == ["no_seal"],
       "verify DIR without a seal: the bytes cannot be checked, said; exit 1", err)
rc, sout, err = e2e.run(["export", store, "--format", "eml", "--output", d, "--quiet",
                         "-u", "bob@example.com", "--seal"])
pairs = seal_lines(d) or []
tap.ok(rc == 0 and sha256sum_check(d)[0] == 0 and
       {os.fsencode(n) for n in replaced} <= {p[0] for p in pairs},
       "export --seal seals again; the old seal is in the new one", err)

# ---- --json, usage -------------------------------------------------------------------------------------
rc, doc, err = verify_json(outs["pst"])
tap.ok(rc == 0 and doc and doc["dir"] == outs["pst"] and doc["sealed"] is True and
       doc["seal_sha256"] == hashlib.sha256(e2e.read(os.path.join(outs["pst"], "SEAL.sha256")))
       .hexdigest() and doc["files_sealed"] == doc["files_matching"] == len(files_of(outs["pst"]))
       and doc["problems"] == [] and doc["verifies"] is True and
       all(set(m) == {"manifest", "mailbox", "format", "messages", "ok"} and m["ok"]
           for m in doc["manifests"]) and len(doc["manifests"]) == 6,
       "verify DIR --json: the document's shape", json.dumps(doc))
rc, sout, err = e2e.run(["verify", store])
tap.ok(rc == 2 and "holds no export" in err, "verify DIR of a DIR holding no export: exit 2", err)
rc, sout, err = e2e.run(["verify", outs["eml"], "--user", "bob@example.com"])
tap.ok(rc == 2 and "need SOURCE" in err, "verify DIR --user: usage error, exit 2", err)
rc, sout, err = e2e.run(["seal"])
tap.ok(rc == 2 and "DIR is missing" in err and "mdexport seal --help" in err, "seal: no DIR", err)
rc, sout, err = e2e.run(["help", "seal"])
tap.ok(rc == 0 and sout.startswith("usage: mdexport seal DIR") and "sha256sum -c" in sout,
       "mdexport help seal", sout)
rc, sout, err = e2e.run(["--help"])
tap.ok(rc == 0 and "  seal DIR" in sout and "  verify DIR" in sout, "--help lists seal", sout)
rc, sout, err = e2e.run(["export", store, "-f", "eml", "-o", os.path.join(work, "x"),
                         "--seal", "--dry-run"])
tap.ok(rc == 2 and "--seal" in err, "export --seal --dry-run: usage error", err)

# ---- each output item's SHA-256 in its manifest line (issue 16) ------------------------------
def item_hashes(top):
    """[(manifest, line number, output object, SHA-256 of its bytes as Python reads them)]"""
    got = []
    for dirpath, _dirs, files in os.walk(top):
        for f in sorted(files):
            if not f.endswith(".manifest.jsonl"):
                continue
            man = os.path.join(dirpath, f)
            for n, ln in enumerate(open(man, encoding="utf-8").read().splitlines()[1:], 2):
                o = json.loads(ln).get("output")
                if not o:
                    continue
                data = e2e.read(os.path.join(top, o["file"]))
                if "offset" in o:
                    data = data[o["offset"]:o["offset"] + o["length"]]
                got.append((os.path.relpath(man, top), n, o, hashlib.sha256(data).hexdigest()))
    return got


for fmt in ("mbox", "maildir", "eml"):
    items = item_hashes(outs[fmt])
    tap.ok(len(items) == 46 and all(o.get("sha256") == h for _m, _n, o, h in items),
           "%s: every output item's manifest line has the SHA-256 of its bytes (Python's "
           "hashlib over its file or offset/length range)" % fmt,
           "\n".join("%s:%d %r %s" % (m, n, o, h) for m, n, o, h in items
                      if o.get("sha256") != h)[:2000])
pst_items = item_hashes(outs["pst"])
tap.ok(pst_items and not any("sha256" in o for _m, _n, o, _h in pst_items),
       "pst: no output SHA-256 (an item is properties in the file, not bytes of its own)")


def fresh_of(fmt, name, seal=True):
    d = os.path.join(work, name)
    shutil.copytree(outs[fmt], d, symlinks=True)
    if not seal:
        for f in ("SEAL.sha256", "SEAL.json"):
            os.unlink(os.path.join(d, f))
    return d


# one byte of bob's second mbox message: the seal names the file, the item check the message
d = fresh_of("mbox", "item-mbox")
man, n, o, _h = [x for x in item_hashes(d) if x[0] == "example.com/bob.manifest.jsonl"][1]
flip(os.path.join(d, o["file"]), at=o["offset"] + o["length"] // 2)
rc, doc, err = verify_json(d)
probs = [(p["problem"], p["path"]) for p in doc["problems"]] if doc else []
item = [p for p in doc["problems"] if p["problem"] == "item_altered"] if doc else []
tap.ok(rc == 1 and sorted(probs) == [("altered", o["file"]), ("item_altered", o["file"])] and
       "%s line %d " % (man, n) in item[0]["detail"] and
       "bytes %d-%d" % (o["offset"], o["offset"] + o["length"]) in item[0]["detail"] and
       doc["items_hashed"] == 46 and doc["items_matching"] == 45,
       "mbox: one byte of one message altered: verify DIR names that message's manifest line "
       "and bytes (45 of 46 items match), exit 1", json.dumps(doc)[:1500] + err)

# without a seal: the item check alone catches a changed Maildir message
d = fresh_of("maildir", "item-maildir", seal=False)
man, n, o, _h = item_hashes(d)[0]
flip(os.path.join(d, o["file"]), at=5)
rc, doc, err = verify_json(d)
probs = sorted((p["problem"], p["path"]) for p in doc["problems"]) if doc else []
tap.ok(rc == 1 and probs == [("item_altered", o["file"]), ("no_seal", None)],
       "maildir, no seal: a message file altered is named by its manifest's SHA-256, exit 1",
       json.dumps(doc)[:1500] + err)

# a cut mbox: the messages past the end are unreadable, named
d = fresh_of("mbox", "item-cut", seal=False)
man, n, o, _h = [x for x in item_hashes(d) if x[0] == "example.com/bob.manifest.jsonl"][1]
with open(os.path.join(d, o["file"]), "r+b") as f:
    f.truncate(o["offset"] + 10)
rc, doc, err = verify_json(d)
probs = sorted((p["problem"], p["path"]) for p in doc["problems"]) if doc else []
tap.ok(rc == 1 and probs == [("item_unreadable", o["file"]), ("no_seal", None)] and
       "ends before them" in doc["problems"][-1]["detail"] + doc["problems"][0]["detail"],
       "mbox cut short: the message past the end is named (the file ends before it), exit 1",
       json.dumps(doc)[:1500] + err)

e2e.remove_work(work)
tap.done()
