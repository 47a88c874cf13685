#!/usr/bin/env python3
"""End-to-end: tools/pstcheck, the strict structural PST checker.

It must pass Outlook's own empty store (../shared/reference/outlook-empty.pst)
with zero errors, catch deliberately corrupted copies with the specific error,
survive random corruption and truncation without crashing, and read all of
enron.pst (a third-party-written PST shipped in the pst-extractor npm package)
naming how it differs from what Outlook writes."""

import glob
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tarfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

ROOT = e2e.ROOT
PSTCHECK = os.path.join(ROOT, "tools", "pstcheck")
REF = os.path.join(ROOT, "..", "shared", "reference", "outlook-empty.pst")
CACHE = os.path.join(ROOT, ".cache", "pst-extractor")
ENRON = os.path.join(CACHE, "package", "example", "testdata", "enron.pst")

tap = e2e.Tap("pstcheck")
work = e2e.tmpdir("pstcheck")

if not os.access(PSTCHECK, os.X_OK):
    subprocess.run(["make", "-C", ROOT, "--no-print-directory", "tools/pstcheck"], check=False)


def check(path, *args):
    p = subprocess.run([PSTCHECK, path] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def errors(out):
    return [l for l in out.splitlines() if l.startswith("error: ")]


def summary(out):
    for l in out.splitlines():
        if l.startswith("pstcheck: "):
            return l
    return None


def pst_crc(data):
    return (~zlib.crc32(data, 0xFFFFFFFF)) & 0xFFFFFFFF


def fix_header_crcs(b):
    struct.pack_into("<I", b, 4, pst_crc(bytes(b[8:8 + 471])))
    struct.pack_into("<I", b, 524, pst_crc(bytes(b[8:8 + 516])))


def fix_page_crc(b, ib):
    struct.pack_into("<I", b, ib + 500, pst_crc(bytes(b[ib:ib + 496])))


def write(name, data):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def bbt_leaves(data):
    """(page ib, entry index, bid, ib, cb, cRef) of every BBT leaf entry, read independently."""
    out = []

    def walk(ib, depth):
        if depth > 8 or ib + 512 > len(data):
            return
        pg = data[ib:ib + 512]
        cent, level = pg[488], pg[491]
        for i in range(min(cent, 20)):
            e = pg[i * 24:(i + 1) * 24]
            if level:
                walk(struct.unpack_from("<Q", e, 16)[0], depth + 1)
            else:
                bid, bib, cb, cref = struct.unpack_from("<QQHH", e, 0)
                out.append((ib, i, bid, bib, cb, cref))
    walk(struct.unpack_from("<Q", data, 240)[0], 0)
    return out


ref = e2e.read(REF)

# ---- Outlook's own empty store -------------------------------------------------
rc, out, err = check(REF)
tap.eq(rc, 0, "outlook-empty.pst: exit 0")
tap.eq(errors(out), [], "outlook-empty.pst: no errors")
tap.ok(summary(out) is not None and summary(out).endswith(": 0 errors, 0 findings"),
       "outlook-empty.pst: summary says 0 errors, 0 findings", out)
tap.ok("node 0x21: message store: 13 properties" in out, "message store PC property count printed", out)

rc, out, err = check(REF, "--nodes")
nodes = [l.split() for l in out.splitlines() if l.startswith("0x")]
tap.eq(len(nodes), 47, "--nodes lists the 47 NBT entries of Outlook's empty store")
nids = [int(n[0], 16) for n in nodes]
tap.eq(nids, sorted(nids), "--nodes is sorted by NID")
tap.ok({0x21, 0x61, 0x122, 0x8022, 0x8042, 0x8062, 0x8082, 0x2223, 0x62B, 0x64C}.issubset(nids),
       "--nodes holds the store, name map, root, IPM subtree, finder, deleted items, views, spam folder")
tap.ok(["0x00000122", "type", "0x02", "parent", "0x00000122"] in nodes, "root folder is its own parent")

rc, out, err = check(REF, "--json")
try:
    js = json.loads(out)
except ValueError:
    js = {}
tap.ok(js.get("errors") == 0 and js.get("nodes") == 47 and js.get("blocks") == 31,
       "--json: 0 errors, 47 nodes, 31 blocks", out[:2000])

rc, out, err = check(REF, "--quiet")
tap.eq(out.strip().splitlines(), [summary(out)], "--quiet prints only the summary")

# ---- deliberately corrupted copies ----------------------------------------------


def corrupt(name, data, want, what):
    path = write(name, data)
    rc, out, err = check(path)
    errs = errors(out)
    tap.ok(rc == 1 and any(want in l for l in errs), "%s: exit 1 with %r" % (what, want),
           "rc=%d\n%s%s" % (rc, out[:3000], err[:500]))


b = bytearray(ref)
b[100] ^= 0x01                        # inside rgnid, inside both header CRC ranges
corrupt("hdr-partial.pst", b, "error: header: dwCRCPartial", "flipped byte in the header")

b = bytearray(ref)
b[500] ^= 0x01                        # past the partial range, inside the full range
corrupt("hdr-full.pst", b, "error: header: dwCRCFull", "flipped byte covered only by dwCRCFull")

b = bytearray(ref)
b[0x4400 + 10] ^= 0x01
corrupt("amap.pst", b, "error: AMap page 0x4400: trailer dwCRC", "flipped byte in the AMap page")

nbt_ib = struct.unpack_from("<Q", ref, 224)[0]
b = bytearray(ref)
b[nbt_ib + 3] ^= 0x01
corrupt("nbt.pst", b, "error: NBT page 0x%x: trailer dwCRC" % nbt_ib, "flipped byte in the NBT root page")

leaves = bbt_leaves(ref)
tap.eq(len(leaves), 31, "independent BBT walk finds Outlook's 31 blocks")
data_blocks = [l for l in leaves if not l[2] & 2 and l[4] > 0]
_, _, dbid, dib, dcb, dcref = data_blocks[0]
b = bytearray(ref)
b[dib] ^= 0x01
corrupt("block.pst", b, "error: block 0x%x @0x%x: trailer dwCRC" % (dbid, dib), "flipped byte in a data block")

b = bytearray(ref)
b[dib + ((dcb + 16 + 63) & ~63) - 16 + 8] ^= 0x04  # trailer bid
corrupt("block-bid.pst", b, "trailer bid", "wrong bid in a data block trailer")

corrupt("trunc.pst", ref[:0x20000], "error: ROOT: ibFileEof", "truncated file")

b = bytearray(ref)
struct.pack_into("<Q", b, 184, len(ref) + 0x3E000)
fix_header_crcs(b)
corrupt("eof.pst", b, "error: ROOT: ibFileEof 0x%x but the file is 0x%x bytes" % (len(ref) + 0x3E000, len(ref)),
        "wrong ibFileEof (header CRCs recomputed)")

# a cRef one too low, with the BBT page CRC recomputed so only the count is wrong
pib, idx, cbid, _, _, cref = [l for l in leaves if l[5] > 2][0]
b = bytearray(ref)
struct.pack_into("<H", b, pib + idx * 24 + 18, cref - 1)
fix_page_crc(b, pib)
corrupt("cref.pst", b, "error: block 0x%x: cRef %d" % (cbid, cref - 1), "cRef below 1 + references")

# an AMap bit cleared under a live block, page CRC recomputed
b = bytearray(ref)
bit = (dib - 0x4400) // 64
b[0x4400 + bit // 8] &= ~(0x80 >> (bit % 8)) & 0xFF
fix_page_crc(b, 0x4400)
path = write("amap-bit.pst", b)
rc, out, err = check(path)
tap.ok(rc == 1 and any("marked free but a page or block lives there" in l for l in errors(out))
       and any("cbAMapFree" in l for l in errors(out)),
       "AMap bit cleared under a block: both the bit and cbAMapFree are caught", out[:3000])

# a BBT entry pointing at a wrong offset (page CRC recomputed)
b = bytearray(ref)
struct.pack_into("<Q", b, pib + idx * 24 + 8, struct.unpack_from("<Q", b, pib + idx * 24 + 8)[0] + 64)
fix_page_crc(b, pib)
corrupt("bref.pst", b, "error: block 0x%x" % cbid, "BBT entry pointing at the wrong offset")

# ---- random corruption and truncation: never a crash -------------------------------
rng = random.Random(5000)
crashes = []
codes = {}
for i in range(50):
    b = bytearray(ref)
    kind = i % 3
    if kind == 0:
        for _ in range(rng.randint(1, 64)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:
        b = b[:rng.randrange(len(b))]
    else:
        for _ in range(rng.randint(1, 16)):
            o = rng.randrange(0x4400, 0xA000)
            b[o:o + 8] = bytes(rng.randrange(256) for _ in range(8))
    path = write("rand-%02d.pst" % i, b)
    rc, out, err = check(path)
    codes[rc] = codes.get(rc, 0) + 1
    if rc not in (0, 1, 2):
        crashes.append((i, rc, err[:200]))
    else:
        os.unlink(path)
tap.eq(crashes, [], "50 random corruptions/truncations: exit 0/1/2, never a signal (exit codes %r)" % codes)

rc, out, err = check(os.path.join(work, "does-not-exist.pst"))
tap.eq(rc, 2, "an unreadable file exits 2")

# ---- enron.pst: a real PST from a third-party exporter --------------------------------
if not os.path.exists(ENRON):
    os.makedirs(CACHE, exist_ok=True)
    subprocess.run(["npm", "pack", "pst-extractor"], cwd=CACHE, capture_output=True, timeout=600)
    tgz = sorted(glob.glob(os.path.join(CACHE, "pst-extractor-*.tgz")))
    if tgz:
        with tarfile.open(tgz[-1]) as t:
            t.extract("package/example/testdata/enron.pst", CACHE)
if not tap.ok(os.path.exists(ENRON), "enron.pst fetched (npm pack pst-extractor)"):
    tap.done()

rc, out, err = check(ENRON)
tap.ok(rc in (0, 1) and summary(out) is not None, "enron.pst: read to the end without crashing (exit %d)" % rc, err)
print("# " + (summary(out) or "no summary"))
for l in out.splitlines():
    if l.startswith("finding: ") or (l.startswith("error: ") and "AMap page" not in l):
        print("#   " + l)
amap_lines = [l for l in errors(out) if "AMap" in l]
if amap_lines:
    print("#   (%d AMap lines; last: %s)" % (len(amap_lines), amap_lines[-1]))
tap.ok(any("node 0x261: absent" in l for l in out.splitlines() if l.startswith("finding: ")),
       "enron.pst: the missing newer skeleton nodes are findings, not errors")

rc, out, err = check(ENRON, "--nodes")
enodes = [l.split() for l in out.splitlines() if l.startswith("0x")]
tap.ok(len(enodes) > 100, "enron.pst: walks the whole NBT (%d nodes)" % len(enodes))
msgs = sum(1 for n in enodes if n[2] in ("0x04", "0x08"))
folders = sum(1 for n in enodes if n[2] in ("0x02", "0x03"))
if shutil.which("pffexport"):
    target = os.path.join(work, "pffexport")
    subprocess.run(["pffexport", "-q", "-t", target, ENRON], capture_output=True, timeout=600)
    exp = target + ".export"
    pmsgs = pfolders = 0
    for dirpath, dirnames, filenames in os.walk(exp):
        rel = os.path.relpath(dirpath, exp).split(os.sep)
        leaf = rel[-1]
        if any(p.startswith("Message") and p[7:].isdigit() for p in rel[:-1]):
            continue
        if leaf.startswith("Message") and leaf[7:].isdigit():
            pmsgs += 1
        elif leaf not in ("Attachments", "Recipients"):
            pfolders += 1
    tap.eq((msgs, folders), (pmsgs, pfolders),
           "enron.pst: message and folder node counts equal what libpff's pffexport finds")
else:
    tap.ok(True, "# SKIP pffexport not installed")

shutil.rmtree(work, ignore_errors=True)
tap.done()
