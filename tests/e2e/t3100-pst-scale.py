#!/usr/bin/env python3
"""--format pst at scale (issue 3): a mailbox generated here (never
committed) whose PST is past 2.2 GB, more than 2^31 bytes, so that an
offset cut to 32 bits, a map page out of place or a size that wraps
shows.  Ten messages carry attachments of 225-234 MB (pseudo-random
bytes, base64 in the .msg files), two small ones follow them, so their
nodes lie past 2 GiB.

Checked: tools/pstcheck finds 0 errors and catches a damaged FPMap page
and a damaged block past 2 GiB; the FMap and FPMap pages are where
[MS-PST] puts them (read here directly); pffinfo reads every AMap (its
free space is the header's cbAMapFree); pffexport and readpst give back
every message with its subject and every attachment byte for byte
(SHA-256); the writer's peak RSS does not grow with attachment size.
Everything is written under one scratch directory, removed at the end,
also on failure (it needs about 7 GB free)."""

import binascii
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import e2e  # noqa: E402
import mdstore  # noqa: E402

tap = e2e.Tap("pst-scale")
PSTCHECK = os.path.join(e2e.ROOT, "tools", "pstcheck")

BIG = [225_000_000 + i * 1_000_003 for i in range(10)]  # 2.30 GB of attachments
SMALL = 2                       # small messages after the big ones
NEED = 7 * 10**9                # store (3.1 GB) + PST (2.4 GB) + slack
RSS_LIMIT_KIB = 24 * 1024       # a tenth of one attachment
CHUNK = 57 * 2**17              # raw bytes per base64 run: whole 76-column lines

AMAP_FIRST, INTERVAL, PAGE = 0x4400, 0x3E000, 512


def interval_start(k):
    return AMAP_FIRST + k * INTERVAL


def message_head(i, subject, boundary):
    return ("From: Sender %d <sender%d@example.com>\r\nTo: u@example.com\r\n"
            "Subject: %s\r\nDate: Mon, 06 Jan 2025 10:%02d:00 +0000\r\n"
            "Message-ID: <scale-%d@example.com>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "Message %d of the scale test.\r\n--%s\r\n" % (
                i, i, subject, i, i, boundary, boundary, i, boundary)).encode()


def generate(store):
    """The mailbox u@example.com: its .msg files and IMAP.MRK.  Returns
    [{file, subject, name, size, sha256}] in UID order."""
    box = os.path.join(store, "Users", "example.com", "u")
    os.makedirs(box)
    out, records = [], []
    for i in range(len(BIG) + SMALL):
        fn = "md5%010d.msg" % (i + 1)
        subject = "scale %02d" % i
        name = "big%02d.bin" % i if i < len(BIG) else "small%02d.bin" % i
        size = BIG[i] if i < len(BIG) else 100_000 + i
        rng = random.Random(3100 + i)
        digest = hashlib.sha256()
        path = os.path.join(box, fn)
        with open(path, "wb") as f:
            f.write(message_head(i, subject, "XX%d" % i))
            f.write(("Content-Type: application/octet-stream\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" % name).encode())
            left = size
            while left:
                n = min(CHUNK, left)
                chunk = rng.randbytes(n)
                digest.update(chunk)
                # coreutils base64: ~10x faster than Python's line splitting
                enc = subprocess.run(["base64", "-w", "76"], input=chunk, capture_output=True,
                                     check=True).stdout
                f.write(enc.replace(b"\n", b"\r\n"))
                left -= n
            f.write(b"--XX%d--\r\n" % i)
        records.append((fn, mdstore.SEEN if i % 2 else 0, i + 1, os.path.getsize(path),
                        1736157600 + 60 * i))
        out.append({"file": path, "subject": subject, "name": name, "size": size,
                    "sha256": digest.hexdigest()})
    mdstore.write_mrk(os.path.join(box, "IMAP.MRK"), 3100, len(records) + 1, records)
    return out


# Peak RSS: ru_maxrss survives exec, so mdexport is started by a small
# /bin/sh in the background and reaped here as child subreaper (as
# tools/bench does); its rusage is then its own.  Without prctl, a direct
# child is measured against `true` (what it inherits from this script).
def subreaper():
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError, ImportError):
        return False


def timed(argv, err_path):
    """(exit status, seconds, peak RSS KiB, baseline KiB) of argv"""
    with open(err_path, "wb") as err:
        if SUBREAPER:
            t0 = time.perf_counter()
            sh = subprocess.Popen(["/bin/sh", "-c", '"$@" </dev/null >/dev/null & echo $!', "sh"]
                                  + argv, stdout=subprocess.PIPE, stderr=err)
            pid = int(sh.stdout.readline())
            sh.stdout.close()
            sh.wait()
            _, status, ru = os.wait4(pid, 0)
            return os.waitstatus_to_exitcode(status), time.perf_counter() - t0, ru.ru_maxrss, 0
        base = os.wait4(subprocess.Popen(["true"]).pid, 0)[2].ru_maxrss
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        return os.waitstatus_to_exitcode(status), time.perf_counter() - t0, ru.ru_maxrss, base


def page_ok(f, ib, ptype):
    """A map page at ib: its trailer type, CRC and bid (= ib), read here"""
    f.seek(ib)
    pg = f.read(PAGE)
    crc = zlib.crc32(pg[:496], 0xFFFFFFFF) ^ 0xFFFFFFFF   # initial 0, no final XOR
    return (len(pg) == PAGE and pg[496] == ptype and pg[497] == ptype and
            struct.unpack_from("<I", pg, 500)[0] == crc and
            struct.unpack_from("<Q", pg, 504)[0] == ib)


def pstcheck(pst):
    p = subprocess.run([PSTCHECK, pst, "--json"], capture_output=True, text=True)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return p.returncode, None, [p.stdout[-500:] + p.stderr[-500:]]
    return p.returncode, doc, [i["where"] + ": " + i["what"] for i in doc["items"]
                               if i["level"] == "error"]


def flipped(pst, ib):
    """pstcheck's errors with the byte at ib inverted (put back after)"""
    with open(pst, "r+b") as f:
        f.seek(ib)
        b = f.read(1)
        f.seek(ib)
        f.write(bytes([b[0] ^ 0xFF]))
    try:
        return pstcheck(pst)[2]
    finally:
        with open(pst, "r+b") as f:
            f.seek(ib)
            f.write(b)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def base64_part_sha256(path, name):
    """sha256 of the base64 part whose header names `name` in a readpst
    message file (LF line ends), decoded a piece at a time"""
    h = hashlib.sha256()
    tag = b'filename="%s"' % name.encode()
    with open(path, "rb") as f:
        for line in f:              # the part's header, then its blank line
            if tag in line:
                break
        else:
            return None
        for line in f:
            if not line.strip():
                break
        pending, quantum = b"", b""
        for block in iter(lambda: f.read(1 << 22), b""):
            buf = pending + block
            end = buf.find(b"\n\n")          # the blank line after the base64
            text, pending = (buf[:end], b"") if end >= 0 else (buf[:-1], buf[-1:])
            data = quantum + text.replace(b"\n", b"").replace(b"\r", b"")
            cut = len(data) // 4 * 4
            h.update(binascii.a2b_base64(data[:cut]))
            quantum = data[cut:]
            if end >= 0:
                break
        if quantum.strip():
            return None
    return h.hexdigest()


def main(work):
    free = shutil.disk_usage(work).free
    if not tap.ok(free >= NEED, "%.1f GB free for the scratch files (%.1f GB needed)"
                  % (free / 1e9, NEED / 1e9),
                  "not enough disk space in %s: set TMPDIR to a file system with %.0f GB free"
                  % (work, NEED / 1e9)):
        return
    t0 = time.perf_counter()
    store = os.path.join(work, "store")
    want = generate(store)
    src_bytes = sum(os.path.getsize(w["file"]) for w in want)
    print("# store generated: %d messages, %.2f GB of .msg files, %.2f GB of attachments "
           "(%.0f s)" % (len(want), src_bytes / 1e9, sum(w["size"] for w in want) / 1e9,
                         time.perf_counter() - t0))

    out = os.path.join(work, "out")
    status, secs, peak, base = timed([e2e.MDEXPORT, "export", store, "-f", "pst", "-o", out],
                                     os.path.join(work, "export.err"))
    err = e2e.read(os.path.join(work, "export.err")).decode("utf-8", "replace")
    pst = os.path.join(out, "example.com", "u.pst")
    size = os.path.getsize(pst) if os.path.exists(pst) else 0
    # issue 13: a message over 150 MB is a warning (Microsoft 365's import skips it), one per
    # such message; nothing else may be
    other = [line for line in re.findall(r"(?m)^mdexport: (?:error|warning).*$", err)
             if not line.endswith("Microsoft 365's import skips items over 150 MB")]
    big = len(re.findall(r"(?m)^mdexport: warning: .*skips items over 150 MB$", err))
    tap.ok(status == 0 and not other and big == sum(1 for w in want if os.path.getsize(w["file"]) > 150 << 20),
           "export exits 0 without errors, and warns of each message over 150 MB alone (%d)"
           % big, err[-2000:])
    print("# export: %.1f s, %.0f MB/s of source, %.0f MB/s of PST; peak RSS %.1f MiB (%s)"
          % (secs, src_bytes / 1e6 / secs, size / 1e6 / secs, peak / 1024,
             "its own, subreaper" if SUBREAPER else "less %.1f MiB for `true`" % (base / 1024)))
    what = ("writer's peak RSS %.1f MiB < %d MiB with %d MB attachments: it does not grow with "
            "their size" % ((peak - base) / 1024, RSS_LIMIT_KIB // 1024, max(BIG) // 10**6))
    if e2e.SANITIZED:
        tap.skip(what, "ASan's shadow memory; measured in the plain build")
    else:
        tap.ok(peak - base < RSS_LIMIT_KIB, what)
    shutil.rmtree(store)        # room for the readers' output
    if not size:
        return

    intervals = (size - AMAP_FIRST) // INTERVAL
    tap.ok(size > 2.2e9 and size > 2**31 and intervals > 8192,
           "the PST is %d bytes (> 2.2e9 and > 2^31): %d AMap intervals" % (size, intervals))
    # [MS-PST] 2.2.2.7: FMap in interval 128 + 496 m, FPMap in 8192 + 31744 m,
    # both 1,024 bytes into the interval (after the AMap and the PMap)
    fmaps = [k for k in range(128, intervals, 496)]
    with open(pst, "rb") as f:
        bad = [k for k in fmaps if not page_ok(f, interval_start(k) + 2 * PAGE, 0x82)]
        fpmap_ok = page_ok(f, interval_start(8192) + 2 * PAGE, 0x85)
        f.seek(200)                                     # ROOT.cbAMapFree
        amap_free = struct.unpack("<Q", f.read(8))[0]
    tap.ok(not bad and fpmap_ok and interval_start(8192) + 2 * PAGE == 0x7C004800,
           "its %d FMap pages (0x1F04800 on) and the FPMap page at 0x7C004800 are in place, "
           "CRCs right" % len(fmaps), "bad FMaps in intervals %s; FPMap ok: %s" % (bad, fpmap_ok))

    rc, doc, errors = pstcheck(pst)
    tap.ok(rc == 0 and doc is not None and doc["errors"] == 0 and not errors,
           "tools/pstcheck: 0 errors (%s nodes, %s blocks, %s findings)"
           % (doc and doc["nodes"], doc and doc["blocks"], doc and doc["findings"]),
           "\n".join(errors[:20]))

    p = subprocess.run(["pffinfo", "-a", pst], capture_output=True, text=True)
    m = re.search(r"File size:\s+(\d+) bytes", p.stdout)
    ranges = [(int(a), int(b), int(c)) for a, b, c in
              re.findall(r"(?m)^\s+(\d+) \(0x[0-9a-f]+\) - (\d+) \(0x[0-9a-f]+\) size: (\d+)$",
                         p.stdout)]
    tap.ok(p.returncode == 0 and m and int(m.group(1)) == size and "64-bit" in p.stdout and
           sum(r[2] for r in ranges) == amap_free and ranges and ranges[-1][1] == size,
           "pffinfo reads all %d AMaps: %d free ranges, %d bytes, = cbAMapFree, the last one "
           "ending at the end of the file" % (intervals, len(ranges), sum(r[2] for r in ranges)),
           p.stdout[:1500] + p.stderr[-500:])

    t0 = time.perf_counter()
    p = subprocess.run(["pffexport", "-q", "-t", os.path.join(work, "pff"), pst],
                       capture_output=True, text=True)
    pff_secs = time.perf_counter() - t0
    inbox = os.path.join(work, "pff.export", "Top of Outlook data file", "Inbox")
    got = {}
    for d in sorted(os.listdir(inbox)) if os.path.isdir(inbox) else []:
        hdr = os.path.join(inbox, d, "OutlookHeaders.txt")
        fields = dict(line.split(":", 1) for line in open(hdr, encoding="utf-8", errors="replace")
                      if ":" in line) if os.path.exists(hdr) else {}
        adir = os.path.join(inbox, d, "Attachments")
        atts = {}
        for fn in sorted(os.listdir(adir)) if os.path.isdir(adir) else []:
            atts[fn.split("_", 1)[-1]] = (os.path.getsize(os.path.join(adir, fn)),
                                          sha256_file(os.path.join(adir, fn)))
            os.unlink(os.path.join(adir, fn))
        subj = fields.get("Subject", "").strip()
        got.setdefault(subj, []).append((atts, int(fields.get("Size", "0").strip() or 0)))
    print("# pffexport: %.1f s" % pff_secs)
    missing = [w["subject"] for w in want if len(got.get(w["subject"], [])) != 1]
    tap.ok(p.returncode == 0 and not missing and len(got) == len(want),
           "pffexport: every message (%d) once in the Inbox with its subject" % len(want),
           "missing or repeated: %s; got %s" % (missing, sorted(got)))
    wrong = []
    for w in want:
        for atts, msg_size in got.get(w["subject"], []):
            if atts != {w["name"]: (w["size"], w["sha256"])}:
                wrong.append("%s: %s, want %s" % (w["subject"], atts, (w["size"], w["sha256"])))
            if not w["size"] < msg_size < 2**31:
                wrong.append("%s: PR_MESSAGE_SIZE %d, attachment %d" % (w["subject"], msg_size,
                                                                        w["size"]))
    tap.ok(not wrong, "pffexport: every attachment byte for byte (SHA-256), those past 2 GiB "
           "too; PR_MESSAGE_SIZE above the attachment's size, below 2^31", "\n".join(wrong[:10]))
    shutil.rmtree(os.path.join(work, "pff.export"))

    rp = os.path.join(work, "rp")
    os.makedirs(rp)
    t0 = time.perf_counter()
    p = subprocess.run(["readpst", "-q", "-D", "-M", "-j", "0", "-o", rp, pst], capture_output=True)
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(rp) for f in fs if f.isdigit()]
    subjects, wrong = {}, []
    for path in files:
        with open(path, "rb") as f:
            head = f.read(4096)
        m = re.search(rb"(?m)^Subject: (.*?)\r?$", head)
        s = m.group(1).decode() if m else ""
        subjects[s] = path
    for w in want:
        if w["subject"] in subjects:
            d = base64_part_sha256(subjects[w["subject"]], w["name"])
            if d != w["sha256"]:
                wrong.append("%s: %s" % (w["subject"], d))
            os.unlink(subjects[w["subject"]])
    print("# readpst: %.1f s" % (time.perf_counter() - t0))
    tap.ok(p.returncode == 0 and len(files) == len(want) and
           sorted(subjects) == sorted(w["subject"] for w in want) and not wrong,
           "readpst: every message (%d) with its subject, every attachment byte for byte"
           % len(want), "%d files, subjects %s; %s" % (len(files), sorted(subjects), wrong[:5]))
    shutil.rmtree(rp)

    # pstcheck looks where it should: a damaged FPMap page, and a damaged
    # data block past 2 GiB (the first one of interval 8500), are errors
    fp = interval_start(8192) + 2 * PAGE
    errs = flipped(pst, fp + 100)
    tap.ok(any("FPMap page 0x%x" % fp in e for e in errs),
           "tools/pstcheck finds a damaged FPMap page at 0x%x" % fp, "\n".join(errs[:5]))
    blk = interval_start(8500) + PAGE
    errs = flipped(pst, blk + 100)
    hits = [e for e in errs if "dwCRC" in e and re.search(r"@0x([0-9a-f]+)", e) and
            blk <= int(re.search(r"@0x([0-9a-f]+)", e).group(1), 16) <= blk + 100]
    tap.ok(len(hits) == 1, "tools/pstcheck finds a damaged block at 0x%x (past 2 GiB)" % (blk + 100),
           "\n".join(errs[:5]))


SUBREAPER = subreaper()
scratch = e2e.tmpdir("pst-scale")
try:
    main(scratch)
except Exception:               # a crash is a failure, and the files still go
    import traceback
    tap.ok(False, "the test ran to its end", traceback.format_exc())
finally:
    shutil.rmtree(scratch, ignore_errors=True)
tap.done()
