#!/usr/bin/env python3
"""End-to-end: `mdexport verify SOURCE DIR`.  The fixture store and a slice
of the SpamAssassin corpus are exported to every format and verified clean
against the manifests the export wrote (which must agree, line for line, with
an independent builder of the manifest spec, tests/lib/mkmanifest.py); then one output message is
altered by one byte, one deleted and one added, in each format, and verify
must name exactly that message and nothing else; a manifest with a wrong
hash, a duplicated, a missing or a malformed line must fail naming the line.
Every check looks at what the report says, not only at the exit status."""

import base64
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402
import mkmanifest  # noqa: E402

FORMATS = ("mbox", "maildir", "eml", "pst")
tap = e2e.Tap("verify")
work = e2e.tmpdir("verify")


def verify(source, outdir, *args):
    """(exit status, JSON report or None, stderr)"""
    rc, out, err = e2e.run(["verify", source, outdir, "--json"] + list(args))
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    return rc, doc, err + out[-2000:]


def problems(doc):
    return [dict(p, mailbox=m["mailbox"]) for m in (doc or {}).get("mailboxes", [])
            for p in m["problems"]]


def clean(doc, n):
    """'' when the report verifies n messages and nothing else, else why not."""
    if not doc:
        return "no JSON report"
    t = doc["totals"]
    bad = {k: v for k, v in t.items() if k not in ("mailboxes", "verified", "skipped") and v}
    if t["verified"] != n or bad or problems(doc) or doc["other"] or not doc["verified"]:
        return "totals %r, %d problems: %r" % (t, len(problems(doc)), problems(doc)[:5])
    return ""


def manifest_lines(outdir, dom, box):
    path = os.path.join(outdir, e2e.fs_escape(dom), e2e.fs_escape(box) + ".manifest.jsonl")
    return path, e2e.read(path).split(b"\n")[:-1]


def entries(outdir, dom, box):
    _, lines = manifest_lines(outdir, dom, box)
    return [json.loads(l.decode("utf-8", "surrogateescape")) for l in lines[1:]]


def export_all(store, expected, label, fmts=FORMATS):
    outs = {}
    for fmt in fmts:
        out = os.path.join(work, "%s-%s" % (label, fmt))
        rc, _, err = e2e.run(["export", store, "--format", fmt, "--output", out, "--quiet"])
        tap.eq(rc, 0, "%s: export --format %s exits 0" % (label, fmt))
        same_as_spec(store, out, fmt, expected, "%s %s" % (label, fmt))
        outs[fmt] = out
    return outs


def same_as_spec(store, out, fmt, expected, what, **kw):
    """The export's own manifests against mkmanifest's, built from the spec
    and the store on their own: every message line equal; the export's are
    then put back, and verify reads them."""
    paths = sorted(glob.glob(os.path.join(out, "*", "*.manifest.jsonl")))
    real = {p: e2e.read(p) for p in paths}
    # a groupware item's PST node (issue 14) is no message of the spec's
    items = [json.loads(ln) for p in paths for ln in real[p].split(b"\n")[1:]
             if b',"item":{"kind":' in ln]
    kw.setdefault("skip_nids", {x["output"]["nid"] for x in items if x["output"].get("nid")})
    mkmanifest.build(store, out, fmt, expected, **kw)
    differ = []
    for p in paths:
        # a groupware item's line (issue 14) is not built by the spec: t8600 checks them
        ours = [ln for ln in real[p].split(b"\n")[1:] if b',"item":{"kind":' not in ln]
        spec_lines = e2e.read(p).split(b"\n")[1:]
        if ours != spec_lines:
            differ.append("%s: %s" % (os.path.relpath(p, out), next(
                (b"%s\n   spec: %s" % (a[:300], b[:300]) for a, b in zip(ours, spec_lines) if a != b),
                b"%d lines, spec %d" % (len(ours), len(spec_lines)))))
        with open(p, "wb") as f:
            f.write(real[p])
    tap.ok(paths and not differ, "%s: the export wrote a manifest per mailbox (%d), every message line "
           "as the spec builds it" % (what, len(paths)), "\n".join(str(d) for d in differ[:5]))


# ---- the fixture ---------------------------------------------------------------

store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
expected = e2e.fixture_expected(store, spec)
uid = {}
for mb in e2e.fixture_mailboxes(spec):
    for m in mb["messages"]:
        rel = (base64.b64decode(m["source_b64"]).decode("utf-8", "surrogateescape")
               if m.get("source_b64") else m["source"])
        uid[os.path.join(store, rel)] = m.get("uid")
for e in expected:
    e["uid"] = uid[e["path"]]

fixture_outs = export_all(store, expected, "fixture")
# issue 14: verify counts the fixture's groupware items (alice's contact) as verified too
N_ITEMS = sum(e2e.FIXTURE_GROUPWARE_ITEMS.values())
ALICE_ITEMS = sum(1 for e in expected if e["mailbox"] == "alice") + e2e.FIXTURE_GROUPWARE_ITEMS["alice"]
frozen = e2e.freeze(store)
for fmt, out in fixture_outs.items():
    rc, doc, err = verify(store, out)
    tap.ok(rc == 0 and not clean(doc, len(expected) + N_ITEMS),
           "fixture %s: verify exits 0, %d messages and %d items verified, no problem" % (
               fmt, len(expected), N_ITEMS),
           "rc=%d %s\n%s" % (rc, clean(doc, len(expected) + N_ITEMS), err))
    tap.ok(doc and all(m["verified"] and m["format"] == fmt for m in doc["mailboxes"]) and
           len(doc["mailboxes"]) == 6,   # 5 accounts and the public folders (issue 14)
           "fixture %s: every mailbox verified, the format read from its manifest" % fmt)
changed = e2e.unchanged(store, frozen)
tap.ok(not changed, "verify left the source untouched (content, modes, mtimes, atimes)",
       "\n".join(changed[:10]))

rc, out, err = e2e.run(["verify", store, fixture_outs["mbox"], "--user", "carol@example.org"])
tap.ok(rc == 0 and "carol@example.org: verified: 3 verified" in out and "alice" not in out and
       out.rstrip().endswith("everything verifies (exit status 0)"),
       "text report: --user picks one mailbox; per-mailbox and closing lines", out + err)
tap.ok("  Family: 1 verified\n" in out, "text report: a line per folder", out)

# --skip-deleted: the skipped message is counted, not missing
o = os.path.join(work, "fixture-skipdel")
e2e.run(["export", store, "-f", "eml", "-o", o, "--skip-deleted", "-q"])
same_as_spec(store, o, "eml", expected, "fixture eml --skip-deleted", skip_deleted=True)
rc, doc, err = verify(store, o)
deleted = sum(1 for e in expected if "\\Deleted" in e["flags"])
tap.ok(rc == 0 and doc and doc["totals"]["skipped"] == deleted and
       not clean(doc, len(expected) - deleted + N_ITEMS),
       "--skip-deleted export: %d skipped messages verify as skipped" % deleted, err)

# ---- the manifest itself -----------------------------------------------------------


def with_manifest(label, edit, dom="example.com", box="alice", fmt="eml"):
    """A copy of the fixture export whose manifest edit() changed; its report."""
    o = os.path.join(work, "man-" + label)
    shutil.copytree(fixture_outs[fmt], o)
    path, lines = manifest_lines(o, dom, box)
    lines = edit(lines)
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))
    return verify(store, o, "--user", "%s@%s" % (box, dom))


def kinds(doc):
    return sorted(p["kind"] for p in problems(doc))


alice = entries(fixture_outs["eml"], "example.com", "alice")
target = alice[3]                                # manifest line 5


def wrong_sha(lines):
    lines[4] = lines[4].replace(target["sha256"].encode(), b"0" * 64)
    return lines


rc, doc, err = with_manifest("sha", wrong_sha)
ps = problems(doc)
tap.ok(rc == 1 and len(ps) == 1 and ps[0]["kind"] == "manifest" and ps[0]["line"] == 5 and
       ps[0]["source"] == target["source"] and "sha256 " + "0" * 64 in ps[0]["what"] and
       target["sha256"] in ps[0]["what"],
       "a wrong sha256 fails naming line 5, its source and both hashes, and nothing else",
       json.dumps(ps, indent=1) + err)
# alice: 37 messages (issue 14: her Calendar folder's .msg too) and 1 contact
tap.eq(doc and doc["totals"]["verified"], ALICE_ITEMS, "... while every output message still verifies")

rc, doc, err = with_manifest("dup", lambda l: l[:5] + [l[4]] + l[5:])
ps = problems(doc)
dup = [p for p in ps if p["line"] == 6 and "again (first at line 5)" in p["what"]]
tap.ok(rc == 1 and len(dup) == 1 and dup[0]["source"] == target["source"] and
       kinds(doc) == ["manifest", "manifest"] and
       any(p["line"] == 1 and "totals say messages %d, the lines that follow %d" % (ALICE_ITEMS, ALICE_ITEMS + 1) in p["what"]
           for p in ps),
       "a duplicated line fails naming line 6 (and the totals it breaks), nothing else",
       json.dumps(ps, indent=1) + err)

rc, doc, err = with_manifest("missing", lambda l: l[:4] + l[5:])
ps = problems(doc)
tap.ok(rc == 1 and any(p["kind"] == "manifest" and p["source"] == target["source"] and
                       "no line for this source message" in p["what"] for p in ps) and
       any(p["kind"] == "extra" and p["output"] == target["output"]["file"] for p in ps) and
       not any(p["kind"] in ("altered", "missing") for p in ps),
       "a missing line fails naming the source it should describe (its file then extra)",
       json.dumps(ps, indent=1) + err)

rc, doc, err = with_manifest("malformed", lambda l: l[:6] + [l[6].replace(b'"size":', b'"size": ')] + l[7:])
ps = problems(doc)
tap.ok(rc == 1 and any(p["line"] == 7 and "expected a number at byte" in p["what"] for p in ps),
       "a malformed line fails naming line 7 and the byte", json.dumps(ps, indent=1) + err)

rc, doc, err = with_manifest("runline", lambda l: [l[0].replace(b'"format":"eml"', b'"format":"pdf"')] + l[1:])
ps = problems(doc)
tap.ok(rc == 1 and len(ps) == 1 and ps[0]["line"] == 1 and "format is none of" in ps[0]["what"] and
       doc["totals"]["missing"] == ALICE_ITEMS,
       "a broken run line: nothing of the mailbox verifies, the report says why", json.dumps(ps) + err)


def moved(lines):
    e = json.loads(lines[4])
    e["output"]["file"] = e["output"]["file"].replace("000004", "000099")
    lines[4] = mkmanifest.jval(e)
    return lines


rc, doc, err = with_manifest("outfile", moved)
ps = problems(doc)
tap.ok(rc == 1 and len(ps) == 1 and ps[0]["line"] == 5 and "is not the name the writer gives it" in ps[0]["what"],
       "an output path other than the writer's name is a manifest problem", json.dumps(ps) + err)



def shifted(lines):
    e = json.loads(lines[4])
    e["output"]["offset"] += 1
    lines[4] = mkmanifest.jval(e)
    return lines


rc, doc, err = with_manifest("offset", shifted, fmt="mbox")
ps = problems(doc)
tap.ok(rc == 1 and len(ps) == 1 and ps[0]["line"] == 5 and ps[0]["kind"] == "manifest" and
       "but the message is at offset" in ps[0]["what"] and doc["totals"]["verified"] == ALICE_ITEMS,
       "an mbox offset off by one: the message is found and verifies, the manifest's offset is "
       "named wrong", json.dumps(ps) + err)

o = os.path.join(work, "man-gone")
shutil.copytree(fixture_outs["eml"], o)
os.remove(manifest_lines(o, "example.com", "bob")[0])
with open(os.path.join(o, "example.com", "zed.manifest.jsonl"), "wb") as f:
    f.write(b"")
# issue 16: by default verify checks the mailboxes DIR holds exports of; bob's
# output without its manifest is then a folder no manifest describes, and bob
# is counted among the mailboxes DIR holds nothing of.  --all requires every
# mailbox of SOURCE: bob then fails as before, the manifest being unreadable.
BOB_UNLISTED = {"what": "in DIR, but no manifest describes it", "path": "example.com/bob"}
ZED_STRAY = {"what": "a manifest for a mailbox that SOURCE does not have",
             "path": "example.com/zed.manifest.jsonl"}
rc, doc, err = verify(store, o, "--all")
bob = [m for m in doc["mailboxes"] if m["mailbox"] == "bob@example.com"][0] if doc else {}
tap.ok(rc == 1 and bob and not bob["verified"] and
       "cannot read the manifest" in bob["problems"][0]["what"] and
       doc["other"] == [ZED_STRAY, BOB_UNLISTED],
       "--all: a mailbox without a manifest fails; a manifest of no mailbox is named, and "
       "the output no manifest describes", err)
rc, doc, err = verify(store, o)
names = [m["mailbox"] for m in doc["mailboxes"]] if doc else []
tap.ok(rc == 1 and doc and "bob@example.com" not in names and
       doc["not_in_dir"] == ["bob@example.com"] and doc["other"] == [ZED_STRAY, BOB_UNLISTED],
       "by default: bob (no manifest) is not checked but listed as not in DIR; his output is "
       "named as described by no manifest; the stray manifest is named", err)

# ---- usage -----------------------------------------------------------------------
rc, out, err = e2e.run(["verify", "--help"])
tap.ok(rc == 0 and out.startswith("usage: mdexport verify DIR") and "mdexport verify SOURCE DIR" in out and "--json" in out,
       "verify --help", out)
rc, out, err = e2e.run(["verify", store])
# issue 16: one argument is DIR alone (verify DIR, t4200); a store is no export
tap.ok(rc == 2 and "holds no export" in err and "mdexport verify SOURCE DIR" in err,
       "verify with a store as its one argument (DIR alone): no export there, exit 2", err)
rc, out, err = e2e.run(["verify", store, os.path.join(work, "nowhere")])
tap.ok(rc == 2 and "cannot read the export" in err, "verify of a DIR that is not there: exit 2", err)
rc, out, err = e2e.run(["verify", os.path.join(work, "nowhere"), fixture_outs["eml"]])
tap.eq(rc, 2, "verify of a SOURCE that is not there: exit 2")
rc, out, err = e2e.run(["verify", store, fixture_outs["eml"], "--user", "nobody@example.com"])
tap.ok(rc == 2 and "no mailbox 'nobody@example.com'" in err, "--user naming no mailbox: exit 2", err)
rc, out, err = e2e.run(["verify", store, fixture_outs["eml"], "--format", "eml"])
tap.ok(rc == 2 and "not valid with verify: '--format'" in err, "export options refused", err)

# ---- a corpus slice ------------------------------------------------------------------
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
if not tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched", fetch.stderr[-2000:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]
cstore = os.path.join(work, "cstore")
truth_file = os.path.join(work, "truth.jsonl")
gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out", cstore,
                      "--messages", "300", "--seed", "4100", "--truth", truth_file],
                     capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds a 300-message store", gen.stderr[-2000:])
truth = [json.loads(l) for l in open(truth_file, encoding="utf-8")]
cexpected = [{"domain": t["domain"], "mailbox": t["mailbox"], "folder": t["folder"],
              "path": os.path.join(cstore, t["source"]), "flags": set(t["flags"]),
              "internaldate": t["internaldate"], "uid": t.get("uid")}
             for t in truth if not t.get("stale")]
corpus_outs = export_all(cstore, cexpected, "corpus")
for fmt, out in corpus_outs.items():
    rc, doc, err = verify(cstore, out)
    tap.ok(rc == 0 and not clean(doc, len(cexpected)),
           "corpus %s: verify exits 0, all %d messages verified" % (fmt, len(cexpected)),
           "rc=%d %s\n%s" % (rc, clean(doc, len(cexpected)), err))

# ---- one message altered, deleted, added -----------------------------------------------
dom, box = cexpected[0]["domain"], cexpected[0]["mailbox"]
user = "%s@%s" % (box, dom)


def pick(fmt):
    """A message to tamper with: one with a plain ASCII subject, in the middle of a folder."""
    es = [e for e in entries(corpus_outs[fmt], dom, box) if e["status"] == "exported"]
    for e in es[len(es) // 2:] + es:
        data = e2e.read(os.path.join(cstore, e["source"]))
        m = re.search(rb"(?mi)^Subject: ([A-Za-z][ -~]{5,60})\r\n", data)
        if m and b"=?" not in m.group(1):
            return e, m.group(1).decode()
    raise RuntimeError("no message to pick")


def flip_letter(data, start, end):
    """data with one ASCII letter in [start, end) changed in case (a one-byte change)."""
    for i in range((start + end) // 2, end):
        if chr(data[i]).isalpha():
            return data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
    raise RuntimeError("no letter")


def tampered(fmt, label, fn):
    o = os.path.join(work, "t-%s-%s" % (fmt, label))
    shutil.copytree(corpus_outs[fmt], o)
    want = fn(o)
    rc, doc, err = verify(cstore, o, "--user", user)
    return rc, doc, err, want


def one_problem(rc, doc, err, want, what):
    ps = problems(doc)
    got = [{k: p[k] for k in want} for p in ps]
    tap.ok(rc == 1 and got == [want], what, "rc=%d want %r\ngot %s\n%s" % (rc, want, json.dumps(ps, indent=1), err))


def mbox_tamper(o, e, how):
    path = os.path.join(o, e["output"]["file"])
    data = e2e.read(path)
    off, n = e["output"]["offset"], e["output"]["length"]
    added = b"From someone@example.org Mon Jan  1 00:00:00 2024\nStatus: O\nX-Status: \nSubject: added\n\nadded\n\n"
    if how == "alter":
        data = flip_letter(data, off + n // 2, off + n)
    elif how == "delete":
        data = data[:off] + data[off + n:]
    else:
        data = data[:off] + added + data[off:]
    with open(path, "wb") as f:
        f.write(data)
    return len(added)


def file_tamper(o, e, how, fmt):
    path = os.path.join(o, e["output"]["file"])
    if how == "alter":
        data = e2e.read(path)
        with open(path, "wb") as f:
            f.write(flip_letter(data, len(data) // 2, len(data)))
    elif how == "delete":
        os.remove(path)
    else:
        name = "999999.eml" if fmt == "eml" else "1700000000.M9999_added.mdexport:2,S"
        new = os.path.join(os.path.dirname(path), name)
        shutil.copy(path, new)
        return os.path.relpath(new, o)


# ---- PST: edits of the file's B-trees and blocks ([MS-PST] 2.2.2.7, 2.2.2.8), CRCs made right ----

def pst_crc(data):
    return (~zlib.crc32(data, 0xFFFFFFFF)) & 0xFFFFFFFF


def nbt_leaf_pages(data):
    """[(page offset, [nid of each entry])] of every NBT leaf page, in key order."""
    out = []

    def walk(ib, depth):
        pg = data[ib:ib + 512]
        cent, cb, level = pg[488], pg[490], pg[491]
        if level:
            for i in range(cent):
                walk(struct.unpack_from("<Q", pg, i * cb + 16)[0], depth + 1)
        else:
            out.append((ib, [struct.unpack_from("<Q", pg, i * cb)[0] for i in range(cent)]))
    walk(struct.unpack_from("<Q", data, 224)[0], 0)
    return out


def fix_page(b, ib):
    struct.pack_into("<I", b, ib + 500, pst_crc(bytes(b[ib:ib + 496])))


def pst_delete(b, nid):
    for ib, nids in nbt_leaf_pages(b):
        if nid in nids:
            i, cent, cb = nids.index(nid), b[ib + 488], b[ib + 490]
            b[ib + i * cb:ib + (cent - 1) * cb] = b[ib + (i + 1) * cb:ib + cent * cb]
            b[ib + (cent - 1) * cb:ib + cent * cb] = bytes(cb)
            b[ib + 488] = cent - 1
            fix_page(b, ib)
            return
    raise RuntimeError("nid not found")


def pst_add(b, like):
    """A new message node after the last one, sharing `like`'s data and folder."""
    ib, nids = nbt_leaf_pages(b)[-1]
    cent, cmax, cb = b[ib + 488], b[ib + 489], b[ib + 490]
    assert cent < cmax, "the last NBT leaf page is full"
    new = max(n for n in nbt_leaf_pages_all(b) if n & 0x1F == 4) + 32
    assert new > nids[-1]
    entry = None
    for pib, pn in nbt_leaf_pages(b):
        if like in pn:
            entry = bytearray(b[pib + pn.index(like) * cb:pib + (pn.index(like) + 1) * cb])
    struct.pack_into("<Q", entry, 0, new)
    b[ib + cent * cb:ib + (cent + 1) * cb] = entry
    b[ib + 488] = cent + 1
    fix_page(b, ib)
    return new


def nbt_leaf_pages_all(b):
    return [n for _, ns in nbt_leaf_pages(b) for n in ns]


def pst_alter_subject(b, nid, subject):
    """One letter of the subject in the message's own data block; the block CRC made right."""
    data = bytes(b)
    bid = nbt_data_bid(data, nid)
    assert not bid & 2, "the message's data is not one block"
    ib, cb = block_at(data, bid)
    needle = subject.encode("utf-16-le")
    at = data.find(needle, ib, ib + cb)
    assert at >= 0, "subject not in the node's block"
    i = at + 2 * next(k for k, ch in enumerate(subject) if ch.isalpha())
    b[i] ^= 0x20
    trailer = ib + ((cb + 16 + 63) & ~63) - 16
    struct.pack_into("<I", b, trailer + 4, pst_crc(bytes(b[ib:ib + cb])))


def nbt_data_bid(data, nid):
    for ib, nids in nbt_leaf_pages(data):
        if nid in nids:
            return struct.unpack_from("<Q", data, ib + nids.index(nid) * data[ib + 490] + 8)[0]
    raise RuntimeError("nid not found")


def block_at(data, bid):
    def walk(ib):
        pg = data[ib:ib + 512]
        cent, level = pg[488], pg[491]
        for i in range(cent):
            e = pg[i * 24:(i + 1) * 24]
            if level:
                key = struct.unpack_from("<Q", e, 0)[0]
                nxt = struct.unpack_from("<Q", pg, (i + 1) * 24)[0] if i + 1 < cent else None
                if key <= bid & ~1 and (nxt is None or bid & ~1 < nxt):
                    return walk(struct.unpack_from("<Q", e, 16)[0])
            else:
                b2, bib, cb, _ = struct.unpack_from("<QQHH", e, 0)
                if b2 & ~1 == bid & ~1:
                    return bib, cb
        return None
    return walk(struct.unpack_from("<Q", data, 240)[0])


def pst_tamper(o, e, how, subject):
    path = os.path.join(o, e["output"]["file"])
    b = bytearray(e2e.read(path))
    nid = e["output"]["nid"]
    new = None
    if how == "alter":
        pst_alter_subject(b, nid, subject)
    elif how == "delete":
        pst_delete(b, nid)
    else:
        new = pst_add(b, nid)
    with open(path, "wb") as f:
        f.write(b)
    return new


for fmt in FORMATS:
    e, subject = pick(fmt)
    out_file = e["output"]["file"]
    for how in ("alter", "delete", "add"):
        if fmt == "mbox":
            rc, doc, err, n = tampered(fmt, how, lambda o: mbox_tamper(o, e, how))
            if how == "add":
                want = {"kind": "extra", "source": None, "output": out_file,
                        "offset": e["output"]["offset"], "length": n}
            else:
                want = {"kind": "altered" if how == "alter" else "missing", "source": e["source"],
                        "output": out_file, "offset": e["output"]["offset"],
                        "length": e["output"]["length"]}
        elif fmt == "pst":
            rc, doc, err, new = tampered(fmt, how, lambda o: pst_tamper(o, e, how, subject))
            if how == "add":
                want = {"kind": "extra", "source": None, "output": out_file, "nid": new}
            else:
                want = {"kind": "altered" if how == "alter" else "missing", "source": e["source"],
                        "output": out_file, "nid": e["output"]["nid"]}
        else:
            rc, doc, err, new = tampered(fmt, how, lambda o: file_tamper(o, e, how, fmt))
            if how == "add":
                want = {"kind": "extra", "source": None, "output": new}
            else:
                want = {"kind": "altered" if how == "alter" else "missing", "source": e["source"],
                        "output": out_file}
        one_problem(rc, doc, err, want, "%s: one message %s: verify names exactly it (%s)"
                    % (fmt, {"alter": "altered by one byte", "delete": "deleted",
                             "add": "added"}[how], want.get("source") or want["output"]))
        if fmt == "pst" and how == "alter":
            ps = problems(doc)
            tap.ok(ps and "PR_SUBJECT is '" in ps[0]["what"] and subject in ps[0]["what"],
                   "pst: the report says the subject differs", json.dumps(ps))
        if fmt == "eml" and how == "alter":
            ps = problems(doc)
            tap.ok(ps and "the file differs from the source from byte" in ps[0]["what"],
                   "eml: the report names the first differing byte", json.dumps(ps))

e, _ = pick("maildir")
o = os.path.join(work, "t-text")
shutil.copytree(corpus_outs["maildir"], o)
base, flags = e["output"]["file"].rsplit(":2,", 1)
renamed = base + ":2," + ("" if flags else "S")        # a client changed its flags
os.rename(os.path.join(o, e["output"]["file"]), os.path.join(o, renamed))
rc, out, err = e2e.run(["verify", cstore, o, "--user", user])
lines = [l for l in out.splitlines() if re.match(r"    (altered|missing|extra): ", l)]
tap.ok(rc == 1 and len(lines) == 2 and
       lines[0].startswith("    missing: %s -> %s: no such file" % (e["source"], e["output"]["file"])) and
       lines[1].startswith("    extra: %s: " % renamed) and
       out.rstrip().endswith("NOT everything verifies (exit status 1)"),
       "text report: a Maildir file renamed with other flags is missing there and extra here",
       out[-3000:] + err)

shutil.rmtree(work)
tap.done()
