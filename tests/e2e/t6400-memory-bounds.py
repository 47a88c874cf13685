#!/usr/bin/env python3
"""End-to-end: memory stays bounded on hostile sizes (issue 10, class 10).

  - `verify` on a manifest with a 1 GiB line (a sparse file: '{' then a
    hole of zeros, no newline in it) among the real lines: the line is
    reported with the manifest's name and its line number, every message
    around it still verifies, exit 1, and the peak RSS stays under 64 MB
    (it was 1.05 GB: the line was read whole);
  - a PST export of a message with one 200 MiB header line: exported, the
    summary's message count right, `verify` passes, and the peak RSS stays
    under 64 MB (it was 657 MB).

The RSS checks are a TAP SKIP under the sanitizer build (MDX_SANITIZED=1),
whose memory use says nothing about ours."""

import os
import resource
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("memory-bounds")
work = e2e.tmpdir("membounds")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
LIMIT = 64 * 1024 * 1024


def run_rss(args):
    """(exit status, stdout, stderr, peak RSS in bytes) of mdexport args,
    measured on its own: a fresh child through /usr/bin/env, so no earlier
    child's peak counts (RUSAGE_CHILDREN keeps the largest one)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        p = subprocess.run([e2e.MDEXPORT] + args, capture_output=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        os.write(w, repr((p.returncode, p.stdout.decode("utf-8", "replace"),
                          p.stderr.decode("utf-8", "replace"), peak)).encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 1 << 20)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return eval(b"".join(chunks).decode())  # noqa: S307 (our own repr)


def rss_check(peak, what):
    if e2e.SANITIZED:
        tap.skip("%s: peak RSS under 64 MB" % what, "sanitizer build (MDX_SANITIZED=1)")
    else:
        tap.ok(peak < LIMIT, "%s: peak RSS %.1f MB, under 64 MB" % (what, peak / 1e6))


def long_manifest_line():
    store = os.path.join(work, "store")
    out = os.path.join(work, "out-eml")
    rc, _o, err = e2e.run_merged(["export", store, "--format", "eml", "--output", out,
                           "--user", "alice@example.com"])
    tap.eq(rc, 0, "export of the fixture mailbox (EML)")
    path = os.path.join(out, "example.com", "alice.manifest.jsonl")
    lines = e2e.read(path).split(b"\n")
    head, tail = b"\n".join(lines[:5]) + b"\n", b"\n".join(lines[5:])
    with open(path, "wb") as f:        # line 6: '{' and 1 GiB of zeros (a hole)
        f.write(head + b"{")
        f.seek(1 << 30, os.SEEK_CUR)
        f.write(b"\n" + tail)
    size = os.path.getsize(path)
    rc, vout, verr, peak = run_rss(["verify", store, out, "--user", "alice@example.com"])
    want = "'%s' line 6 is %d bytes long" % (path, (1 << 30) + 1)
    tap.ok(rc == 1 and want in vout, "verify: exit 1, the long line named with the manifest "
           "and its number", "exit %d\n%s\n%s" % (rc, vout[-2000:], verr[-500:]))
    # alice: 37 messages and 1 contact (issue 14)
    tap.ok("38 verified" in vout and "0 altered" in vout and "0 missing" in vout,
           "verify: every message around the long line still verifies", vout[-1500:])
    rss_check(peak, "verify on a %d-byte manifest with a 1 GiB line" % size)
    os.unlink(path)


def long_header_line():
    store = os.path.join(work, "store-long-header")
    shutil.copytree(FIXTURE, store, symlinks=True)
    path = os.path.join(store, "Users", "example.com", "alice", "md50000000101.msg")
    orig = e2e.read(path)
    with open(path, "wb") as f:        # one 200 MiB field first, then the message's own
        f.write(b"X-Long: ")
        chunk = b"a" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
        f.write(b"\r\n" + orig)
    out = os.path.join(work, "out-pst")
    rc, sout, err, peak = run_rss(["export", store, "--format", "pst", "--output", out,
                                 "--user", "alice@example.com"])
    tap.ok(rc == 0 and "exported 38 messages" in sout,  # the summary: stdout (issue 16)
           "PST export with a 200 MiB header line: exit 0, all 37 messages and 1 contact exported",
           "exit %d\n%s" % (rc, (err + sout)[-2000:]))
    rss_check(peak, "PST export of a message with a 200 MiB header line")
    pst = e2e.read(os.path.join(out, "example.com", "alice.pst"))
    subject = "[fixture] inbox-seen-answered-17char".encode("utf-16-le")
    tap.ok(subject in pst, "its Subject (after the long line, past the first 16 MiB) is in the PST")
    # the field's first 64 KiB in PR_TRANSPORT_MESSAGE_HEADERS (UTF-16, a few
    # copies of the header's fields): the fixture's PST is 271,360 bytes
    tap.ok(len(pst) < 1024 * 1024, "the PST holds a bounded part of the long field "
           "(%d bytes in all)" % len(pst))
    rc, vout, verr = e2e.run(["verify", store, out, "--user", "alice@example.com"])
    tap.ok(rc == 0 and "38 verified" in vout, "verify passes on it", vout[-1500:] + verr[-500:])
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def main():
    shutil.copytree(FIXTURE, os.path.join(work, "store"), symlinks=True)
    long_manifest_line()
    long_header_line()
    shutil.rmtree(work, ignore_errors=True)
    tap.done()


main()
