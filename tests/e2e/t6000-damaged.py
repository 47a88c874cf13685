#!/usr/bin/env python3
"""End-to-end: the damaged-store catalogue (issue 5, "Robustness").

Whatever the input, mdexport keeps going, exports everything that can be
read, names everything that cannot, never crashes, never reads or writes
outside where it should, and never leaves an output that looks complete but
is not.  tools/mkdamaged builds each case as its own store and says in
cases.json what an export of it must give; for every case and every format
(mbox, Maildir, EML; PST where message content matters) this test checks:

- the exit status, and each expected warning or error on one stderr line
  naming the file (paths relative to the store);
- every readable message exported exactly once, in its folder, by content
  (SHA-256 of the bytes as the format keeps them), flags and dates, read
  back with Python's mailbox module (mbox, Maildir), plain reads (EML) and
  libpff's pffexport (PST: folder, delivery time, read flag, subject, text);
- that nothing of what must not be read (files outside SOURCE behind links,
  files an IMAP.MRK record names by a path) is in any output file, and that
  no .partial is left.

The cases t9000-errors.py already covers are not repeated: its section 6
(a linked .msg, folder and mailbox), 7 (escaping folder names), 8 (case-only
names) and 10 (odd messages, mbox/Maildir/EML only) are extended here with
what they lack.  Permissions bite only for an unprivileged user: as root the
export runs as 65534 through setpriv(1), as in t9000; if that cannot be
done, those cases are reported `not ok`, never skipped.

Cases marked in cases.json also bound the export's stderr lines and peak
RSS (GNU time; a 1 GiB sparse IMAP.MRK, a million-line userlist.dat), and a
tree whose paths are longer than PATH_MAX is checked on the read side
(`list --json`, `export --dry-run`), then exported to each format (exit 0)
and verified.

Then two sizes, generated in a temporary directory at test time: one
300 MiB message (EML and Maildir output compared by size and SHA-256 with
the source, mbox by the message's bytes; peak memory from wait4(2)), and a
folder of 200,000 messages (exported once, to mbox, counted with Python's
mailbox module)."""

import base64
import calendar
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import dovecot  # noqa: E402

MKDAMAGED = os.path.join(e2e.ROOT, "tools", "mkdamaged")
NOBODY = 65534
SETPRIV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
FORMATS = ("mbox", "maildir", "eml")
HUGE_MIB = int(os.environ.get("T6000_HUGE_MIB", "300"))
MANY = int(os.environ.get("T6000_MANY", "200000"))

tap = e2e.Tap("damaged")
work = e2e.tmpdir("damaged")
started = time.time()


# ---- helpers (as t9000's) -------------------------------------------------------

TIME = "/usr/bin/time"       # GNU time: the peak RSS of mdexport alone


def run(args, nobody=False, timeout=600, rss=False):
    """mdexport (as 65534 when nobody and we are root): (status, stdout,
    stderr, peak RSS in KiB or None).  The peak comes from GNU time, whose
    child starts small: a child of this process inherits its high-water
    mark across exec (getrusage and wait4 would report ours)."""
    cmd = (SETPRIV if nobody and os.geteuid() == 0 else []) + [e2e.MDEXPORT] + list(args)
    rss_file = os.path.join(work, "maxrss")
    if rss and os.access(TIME, os.X_OK):
        cmd = [TIME, "-f", "%M", "-o", rss_file] + cmd
    if os.path.exists(rss_file):
        os.unlink(rss_file)
    p = subprocess.run(cmd, capture_output=True, cwd=work, timeout=timeout)
    peak = None
    if os.path.exists(rss_file):
        peak = int(open(rss_file).read().split()[-1])
    # issue 16 put export's summaries, table and last line on stdout: this
    # test reads them with the problems, as one text (stderr, then stdout)
    export = list(args[:1]) == ["export"] and not {"-h", "--help"} & set(args)
    err = p.stderr + (p.stdout if export else b"")
    return (p.returncode, p.stdout.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
            peak)


def give(path):
    """chown -R 65534:65534 (a no-op when we are not root)."""
    if os.geteuid() != 0:
        return path
    for dirpath, dirs, files in os.walk(path):
        os.lchown(dirpath, NOBODY, NOBODY)
        for n in files + dirs:
            os.lchown(os.path.join(dirpath, n), NOBODY, NOBODY)
    return path


def priv_problem():
    """None when a mode-000 file is unreadable for the user run(nobody=True)
    runs as; else why not (t9000's probe)."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return "running as root and setpriv (util-linux) is not installed"
    prefix = SETPRIV if os.geteuid() == 0 else []
    probe = os.path.join(work, "probe-000")
    with open(probe, "wb") as f:
        f.write(b"secret\n")
    give(probe)
    os.chmod(probe, 0)
    p = subprocess.run(prefix + ["cat", probe], capture_output=True, timeout=60)
    os.unlink(probe)
    if p.returncode == 0 or b"Permission denied" not in p.stderr:
        return "a mode-000 file is readable (exit %d, stderr %r)" % (p.returncode, p.stderr)
    return None


PRIV_PROBLEM = priv_problem()


def stderr_lines(err, *needles):
    return [ln for ln in err.splitlines() if all(n in ln for n in needles)]


def output_files(top):
    out = {}
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        for n in files:
            out[os.path.join(dirpath, n)] = e2e.read(os.path.join(dirpath, n))
    return out


def leftovers(top):
    return [os.path.join(d, n) for d, dirs, files in os.walk(os.fsencode(top))
            for n in dirs + files if n.endswith(b".partial") or b".partial." in n]


# Maildir++ names too long for one directory: the writer's rule (README,
# "Maildir"), so that the readers' folder map knows where such a folder went
_dirname = dovecot.dovecot_dirname


def maildir_dirname(folder):
    name = _dirname(folder)
    if folder == "INBOX":
        return name
    return e2e.maildir_long_name(name.encode("utf-8")).decode("utf-8")


dovecot.dovecot_dirname = maildir_dirname


def pff_time(s):
    m = re.match(r"(\w+ \d+, \d+ \d+:\d+:\d+)", s or "")
    return calendar.timegm(time.strptime(m.group(1), "%b %d, %Y %H:%M:%S")) if m else None


def read_pff(pst, label):
    """[(folder, delivery, read, subject, text)] of every message pffexport finds."""
    out = os.path.join(work, "pff-" + label)
    shutil.rmtree(out + ".export", ignore_errors=True)
    p = subprocess.run(["pffexport", "-q", "-f", "text", "-t", out, pst], capture_output=True)
    top = os.path.join(out + ".export", "Top of Outlook data file")
    got = []
    for dirpath, dirs, files in os.walk(top):
        if "OutlookHeaders.txt" not in files:
            continue
        fields = {}
        for line in open(os.path.join(dirpath, "OutlookHeaders.txt"), encoding="utf-8",
                         errors="replace"):
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
        flags = re.search(r"\((.*)\)", fields.get("Flags", ""))
        read = bool(flags) and "Read" in flags.group(1).replace(" ", "").split(",")
        tpath = os.path.join(dirpath, "Message.txt")
        text = e2e.read(tpath).decode("utf-8", "replace") if os.path.exists(tpath) else ""
        got.append((os.path.relpath(os.path.dirname(dirpath), top),
                    pff_time(fields.get("Delivery time")), read, fields.get("Subject"), text))
    shutil.rmtree(out + ".export", ignore_errors=True)
    return p.returncode, got


def pst_folder(folder):
    return "Inbox" + folder[5:] if folder == "INBOX" or folder.startswith("INBOX/") else folder


def check_pst(outdir, expected, label):
    problems = []
    for (dom, box) in sorted({(e["domain"], e["mailbox"]) for e in expected}):
        pst = os.path.join(outdir, e2e.fs_escape(dom), e2e.fs_escape(box) + ".pst")
        rc, got = read_pff(pst, "%s-%s" % (label, box))
        if rc != 0 or not os.path.exists(pst):
            problems.append("%s: pffexport exit %d" % (pst, rc))
        exp = [e for e in expected if (e["domain"], e["mailbox"]) == (dom, box)]
        for e in exp:
            hits = [g for g in got if g[1] == e["internaldate"]]
            if len(hits) != 1:
                problems.append("%s: %d messages delivered at %d (want 1)" % (e["rel"], len(hits),
                                                                              e["internaldate"]))
                continue
            folder, _t, read, subject, text = hits[0]
            if folder != pst_folder(e["folder"]):
                problems.append("%s: in %r, want %r" % (e["rel"], folder, pst_folder(e["folder"])))
            if read != ("\\Seen" in e["flags"]):
                problems.append("%s: read %s" % (e["rel"], read))
            if e["subject"] is not None and subject != e["subject"].strip():
                problems.append("%s: subject %r, want %r" % (e["rel"], subject, e["subject"]))
            if e.get("pst_text") and e["pst_text"] not in text.replace("\r", ""):
                problems.append("%s: text %r lacks %r" % (e["rel"], text[:80], e["pst_text"]))
        if len(got) != len(exp):
            problems.append("%s@%s: the PST holds %d messages, want %d" % (box, dom, len(got), len(exp)))
    tap.ok(not problems, "pst%s: every message once (pffexport): folder, delivery time, read "
           "flag, subject, text" % label, "\n".join(problems[:20]))


# ---- the catalogue -------------------------------------------------------------------

cat = os.path.join(work, "cat")
p = subprocess.run([sys.executable, MKDAMAGED, cat], capture_output=True, text=True)
tap.ok(p.returncode == 0, "tools/mkdamaged builds the catalogue", p.stderr[-2000:])
cases = json.load(open(os.path.join(cat, "cases.json"), encoding="utf-8"))["cases"]
tap.ok(len(cases) >= 30, "the catalogue has %d cases" % len(cases))


def expected_of(store, case):
    out = []
    for m in case["messages"]:
        rel = (base64.b64decode(m["rel_b64"]).decode("utf-8", "surrogateescape")
               if "rel_b64" in m else m["rel"])
        out.append(dict(m, path=os.path.join(store, rel), rel=rel, flags=set(m["flags"])))
    return out


def run_read_side(case, store, expected):
    """A store the output side may not be able to write (paths longer than
    PATH_MAX): the reader is checked through `list --json` and `export
    --dry-run`; each format's export is then tried, and checked by its
    counts when it succeeds."""
    name = case["name"]
    rc, out, err, _ = run(["list", store, "--json"])
    want = {}
    for e in expected:
        key = (e["mailbox"], e["folder"])
        want[key] = want.get(key, 0) + 1
    got = {}
    try:
        for b in json.loads(out)["mailboxes"]:
            for f in b["folders"]:
                got[(b["mailbox"], f["path"])] = f["messages"]
    except (ValueError, KeyError) as ex:
        got = {"unparseable": repr(ex)}
    tap.ok(rc == case["exit"] and got == want and not [x for x in case["stderr_absent"] if x in err],
           "list %s: %s: exit %d, every folder listed with its %d messages" %
           (name, case["title"], case["exit"], len(expected)),
           "exit %d; missing %s; extra %s\n%s" % (rc, sorted(set(want) - set(got))[:3],
                                                  sorted(set(got) - set(want))[:3], err[-1500:]))
    n = len(expected)
    rc, out, err, _ = run(["export", store, "-f", "mbox", "-o", os.path.join(work, "dry-" + name),
                           "--dry-run"])
    boxes = sorted({e["mailbox"] + "@" + e["domain"] for e in expected})
    lines = ["would export %d messages" % n] + ["%s: would export" % b for b in boxes]
    tap.ok(rc == case["exit"] and all(x in err for x in lines) and
           not [x for x in case["stderr_absent"] if x in err] and
           not os.path.exists(os.path.join(work, "dry-" + name)),
           "dry-run %s: exit %d, would export all %d messages, writes nothing" % (name, case["exit"], n),
           "exit %d\n%s" % (rc, err[-1500:]))
    for fmt in FORMATS + ("pst",):
        o = os.path.join(work, "o-" + name, fmt)
        rc, out, err, _ = run(["export", store, "-f", fmt, "-o", o])
        # the output side writes such trees too (issue 10): a failure is a failure
        if not tap.ok(rc == 0, "%s %s: export exit 0" % (fmt, name),
                      "exit %d: %s" % (rc, " ".join(ln[:160] for ln in err.splitlines()
                                                    if "error:" in ln)[:600])):
            continue
        count = n      # mbox, EML: counted by verify below
        if fmt == "maildir":
            count = 0
            for dirpath, dirs, files in os.walk(o):
                if os.path.basename(dirpath) in ("cur", "new"):
                    count += len(files)
        # PST: pffexport writes each folder as a directory of its own and
        # cannot write this tree either; our verifier reads the PST itself
        vrc, vout, verr, _ = run(["verify", store, o])
        tap.ok(("exported %d messages" % n) in err and count == n and vrc == 0 and
               ("%d verified, 0 skipped, 0 altered, 0 missing, 0 extra" % n) in vout + verr,
               "%s %s: exit 0, %d messages exported, found in the output and verified "
               "(mdexport verify)" % (fmt, name, n),
               "found %d; verify exit %d\n%s\n%s" % (count, vrc, err[-1000:], (vout + verr)[-1000:]))
        shutil.rmtree(o, ignore_errors=True)


def run_case(case):
    name = case["name"]
    store = os.path.join(cat, name)
    if case.get("read_side"):
        run_read_side(case, store, expected_of(store, case))
        return
    privileged = bool(case["chmod"])
    if privileged and PRIV_PROBLEM:
        tap.ok(False, "%s: cannot drop privileges to make permissions effective" % name,
               PRIV_PROBLEM)
        return
    expected = expected_of(store, case)
    base = os.path.join(work, "o-" + name)
    os.makedirs(base)
    if privileged:
        give(store)
        give(base)
        for rel, mode in case["chmod"]:
            os.chmod(os.path.join(store, rel), mode)
    formats = FORMATS + (("pst",) if case["pst"] else ())
    for fmt in formats:
        o = os.path.join(base, fmt)
        label = " [%s]" % name
        t0 = time.time()
        rc, out, err, rss = run(["export", store, "-f", fmt, "-o", o], nobody=privileged,
                                rss=bool(case.get("max_rss_mib")))
        took = time.time() - t0
        problems = []
        if rc != case["exit"]:
            problems.append("exit status %d, want %d" % (rc, case["exit"]))
        if "AddressSanitizer" in err or "runtime error:" in err or rc < 0:
            problems.append("crashed or sanitizer report")
        for needles in case["stderr"]:
            if not stderr_lines(err, *needles):
                problems.append("no stderr line holds %r" % needles)
        for bad in case["stderr_absent"]:
            if bad in err:
                problems.append("stderr holds %r" % bad)
        for addr, subs in case["summary"].items():
            s = e2e.summary(err, addr)
            problems += ["%s's summary lacks %r" % (addr, x) for x in subs if x not in s]
        tap.ok(not problems, "%s %s: %s: exit %d, stderr names what it should" %
               (fmt, name, case["title"], case["exit"]), "\n".join(problems) + "\n--- stderr ---\n" +
               "\n".join(ln for ln in err.splitlines() if not ln.startswith("  "))[-2500:])
        if case.get("max_stderr_lines"):    # damage repeated a million times: a few lines
            nl = len(err.splitlines())
            tap.ok(nl < case["max_stderr_lines"], "%s %s: %d stderr lines (< %d) in %.1f s" %
                   (fmt, name, nl, case["max_stderr_lines"], took), err[-2500:])
        if case.get("max_rss_mib"):         # memory follows the work, not the file's claims
            what = "%s %s: peak RSS below %d MiB" % (fmt, name, case["max_rss_mib"])
            if e2e.SANITIZED:
                tap.skip(what, "ASan's shadow memory; measured in the plain build")
            else:
                tap.ok(rss is not None and rss < case["max_rss_mib"] << 10,
                       "%s (%s KiB)" % (what, rss), "%s (GNU time) missing?" % TIME)
        files = output_files(o) if os.path.isdir(o) else {}
        leaked = [f for f, data in files.items()
                  if any(a.encode("latin-1") in data for a in case["absent"])]
        left = leftovers(o)
        left += [p for p in case.get("no_output", []) if any(
            os.path.lexists(os.path.join(o, p + sfx)) for sfx in ("", ".pst", ".manifest.jsonl"))]
        tap.ok(not leaked and not left, "%s %s: nothing that must not be read is in the output, "
               "no .partial left, no output for what could not be read" % (fmt, name),
               "leaked into %s; left %s" % (leaked[:5], left[:5]))
        if fmt == "pst":
            check_pst(o, expected, label)
        else:
            e2e.check_format(tap, fmt, o, expected, label, use_dovecot=False)
        if case["exit"] == 0:   # our own verifier agrees with the export (a second opinion)
            vrc, vout, verr, _ = run(["verify", store, o], nobody=privileged)
            tap.ok(vrc == 0, "%s %s: mdexport verify finds everything" % (fmt, name),
                   verr[-1500:])
    if privileged:          # let the cleanup and later readers in
        for rel, _mode in case["chmod"]:
            os.chmod(os.path.join(store, rel), 0o755)


for case in cases:
    try:
        run_case(case)
    except Exception:       # noqa: BLE001 - one case's failure must not hide the others
        tap.ok(False, "%s: the case runs" % case["name"], traceback.format_exc())
print("# the catalogue took %.0f s" % (time.time() - started), flush=True)


# ---- one 300 MiB message --------------------------------------------------------------

def stream_digest(path, lf=False):
    """(size, SHA-256) of a file, with CRLF turned into LF when lf."""
    h, size, carry = hashlib.sha256(), 0, b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 22)
            if not chunk:
                break
            chunk = carry + chunk
            carry = b""
            if lf:
                if chunk.endswith(b"\r"):
                    chunk, carry = chunk[:-1], b"\r"
                chunk = chunk.replace(b"\r\n", b"\n")
            h.update(chunk)
            size += len(chunk)
    h.update(carry)
    return size + len(carry), h.hexdigest()


big_top = os.path.join(work, "huge")
p = subprocess.run([sys.executable, MKDAMAGED, "--huge", str(HUGE_MIB), big_top],
                   capture_output=True, text=True)
big = p.stdout.strip()
big_size = os.path.getsize(big) if os.path.exists(big) else 0
tap.ok(p.returncode == 0 and big_size == HUGE_MIB << 20, "a %d MiB .msg is generated" % HUGE_MIB,
       p.stderr)
store = os.path.join(big_top, "store")
src_digest = stream_digest(big)
src_lf_digest = stream_digest(big, lf=True)
FLAT_KIB = 64 * 1024        # streaming formats: far below the message's size
for fmt in ("eml", "maildir", "mbox", "pst"):
    o = os.path.join(big_top, "o-" + fmt)
    t = time.time()
    rc, out, err, rss = run(["export", store, "-f", fmt, "-o", o], rss=True)
    took = time.time() - t
    tap.ok(rc == 0 and "big@example.com: exported 2 messages" in err,
           "%s: a %d MiB message exports with exit 0 (%.1f s)" % (fmt, HUGE_MIB, took), err[-1500:])
    box = os.path.join(o, "example.com", "big")
    if fmt == "eml":
        got = stream_digest(os.path.join(box, "INBOX", "000001.eml"))
        tap.eq(got, src_digest, "eml: the %d MiB message's size and SHA-256 are the source's" % HUGE_MIB)
    elif fmt == "maildir":
        cur = os.path.join(box, "cur")
        names = sorted(os.listdir(cur)) if os.path.isdir(cur) else []
        got = [stream_digest(os.path.join(cur, n)) for n in names if "_md50000000001." in n]
        tap.eq(got, [src_lf_digest], "maildir: the %d MiB message's size and SHA-256 are the "
               "source's with CRLF as LF" % HUGE_MIB)
    elif fmt == "mbox":
        mb = os.path.join(box, "INBOX.mbox")
        with open(mb, "rb") as f:
            head = f.read(200)
        first = head.split(b"\n", 3)
        skip = sum(len(x) + 1 for x in first[:3]) if len(first) == 4 else 0
        h, n, carry = hashlib.sha256(), 0, b""
        want_len = src_lf_digest[0]
        with open(mb, "rb") as f:       # the message's bytes after From_, Status, X-Status
            f.seek(skip)
            while n < want_len:
                chunk = f.read(min(1 << 22, want_len - n))
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
        tap.ok(first[0].startswith(b"From big@sender.example ") and first[1] == b"Status: RO"
               and (n, h.hexdigest()) == src_lf_digest,
               "mbox: From_ and status lines, then the %d MiB message with CRLF as LF" % HUGE_MIB,
               "head %r; got %r want %r" % (head[:120], (n, h.hexdigest()), src_lf_digest))
    else:
        rc2, got = read_pff(os.path.join(o, "example.com", "big.pst"), "huge")
        text = [g[4] for g in got if g[3] == "t6000 huge"]
        body = e2e.read(big).split(b"\r\n\r\n", 1)[1]
        tap.ok(rc2 == 0 and len(got) == 2 and len(text) == 1 and
               hashlib.sha256(text[0].encode()).hexdigest() == hashlib.sha256(body).hexdigest(),
               "pst: pffexport reads the %d MiB text body back, every byte" % HUGE_MIB,
               "exit %d, %d messages, text lengths %s" % (rc2, len(got), [len(x) for x in text]))
        del body, text, got
    if e2e.SANITIZED:
        tap.skip("%s: peak RSS bound" % fmt, "ASan's shadow memory; measured in the plain build")
    elif rss is None:
        tap.ok(False, "%s: peak RSS measured" % fmt, "%s (GNU time) is not installed" % TIME)
    elif fmt == "pst":
        # README: a message's text and HTML bodies are held in memory while it
        # is written (the bytes, the decoded text and its UTF-16 form)
        tap.ok(rss < 4 * (big_size >> 10) + FLAT_KIB, "pst: peak RSS %d MiB is below 4 times "
               "the message's size (+ 64 MiB), as the README says" % (rss >> 10))
    else:
        tap.ok(rss < FLAT_KIB, "%s: peak RSS %d MiB stays below %d MiB: the message is streamed"
               % (fmt, rss >> 10, FLAT_KIB >> 10))
    shutil.rmtree(o, ignore_errors=True)
shutil.rmtree(big_top, ignore_errors=True)

# ---- a folder of 200,000 messages -------------------------------------------------------

def many_dir():
    """Where the 200,000 files go: a tmpfs when there is room (creating and
    removing them on a disk file system took minutes here), else work."""
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize > 4 << 30 and os.access("/dev/shm", os.W_OK):
            return tempfile.mkdtemp(prefix="mdx-damaged-many-", dir="/dev/shm")
    except OSError:
        pass
    return os.path.join(work, "many")


many_top = many_dir()
t = time.time()
p = subprocess.run([sys.executable, MKDAMAGED, "--many", str(MANY), many_top],
                   capture_output=True, text=True)
gen = time.time() - t
tap.ok(p.returncode == 0, "a folder of %d messages is generated (%.0f s)" % (MANY, gen), p.stderr)
o = os.path.join(many_top, "o")
t = time.time()
rc, out, err, rss = run(["export", os.path.join(many_top, "store"), "-f", "mbox", "-o", o],
                        rss=True)
took = time.time() - t
tap.ok(rc == 0 and "many@example.com: exported %d messages" % MANY in err,
       "mbox: %d messages in one folder export with exit 0 (%.0f s)" % (MANY, took), err[-1500:])
# README: memory grows with a folder's file list only, about 100 bytes a message
what = ("mbox: peak RSS %s KiB for %d messages: the folder's list only, no message kept"
        % (rss, MANY))
if e2e.SANITIZED:
    tap.skip(what, "ASan's shadow memory; measured in the plain build")
else:
    tap.ok(rss is not None and rss < 32 * 1024 + MANY * 300 // 1024, what,
           "%s (GNU time) missing?" % TIME)
problems = []
try:
    import mailbox
    box = mailbox.mbox(os.path.join(o, "example.com", "many", "INBOX.mbox"), create=False)
    seen, n = set(), 0
    for key in box.iterkeys():
        m = box[key]
        mid = m["Message-ID"]
        n += 1
        if mid in seen:
            problems.append("%s twice" % mid)
        seen.add(mid)
        num = int(mid[6:-len("@t6000.example>")])
        if ("R" in m.get_flags()) != bool(num % 2):
            problems.append("%s: flags %r" % (mid, m.get_flags()))
        if m.get_payload() != "m%d\n" % num:
            problems.append("%s: body %r" % (mid, m.get_payload()[:40]))
    box.close()
    if n != MANY or len(seen) != MANY:
        problems.append("%d messages, %d distinct Message-IDs, want %d" % (n, len(seen), MANY))
except Exception:       # noqa: BLE001 - any failure of the reader is the finding
    problems.append(traceback.format_exc())
tap.ok(not problems, "mbox: Python's mailbox reads %d messages, each once, with its body and "
       "flags" % MANY, "\n".join(problems[:20]))
shutil.rmtree(many_top, ignore_errors=True)

# ---- cleanup ------------------------------------------------------------------------------

e2e.remove_work(work)
print("# t6000 took %.0f s" % (time.time() - started), flush=True)
tap.done()
