#!/usr/bin/env python3
"""End-to-end: the forensic promises of issue 4, for all four formats, on the
fixture store and on a slice of the SpamAssassin corpus (with attachments).

- Read-only source: before and after every export the whole source tree is
  snapshotted (every entry's type, mode, owner, size, inode, link count,
  mtime, ctime and atime, every file's SHA-256, every directory's listing);
  atimes are first set to 2001, so a read without O_NOATIME would move them
  (when this file system updates atimes at all, which is checked).  The first
  export of each format also runs under strace: every system call that names
  a path or a file descriptor under SOURCE must be a read-only one, every
  open O_RDONLY with O_NOATIME, and nothing created, renamed, removed,
  locked, truncated, chmod'ed or touched.
- Reproducible output: every format is exported three times: into DIR; with
  that output moved away, into the same DIR argument again under another TZ
  and LC_ALL (a KOI8-R locale made with localedef); and into another DIR.
  Every file (names, bytes, and the mtimes of message files) must be equal;
  manifests may differ only in the run line's started/ended/host (and its
  command, for the other DIR).
- The manifest (README, "Manifest"): every source message exactly once with
  its size, SHA-256, folder, UIDVALIDITY, UID, flags, internal date, Date:
  and Message-ID, status; its output location holds that message (EML: same
  SHA-256; mbox: the byte range is its From_ line, status lines and mboxrd
  body, and the ranges tile the file; Maildir: the file holds it; PST: the
  node exists, read by tests/lib/pstread.py, in that folder, with its
  subject and Message-ID); totals add up; --skip-deleted and unreadable
  messages get skipped lines.
- The report: the table on stderr (also with --quiet) and --report FILE.
"""

import base64
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import pstread  # noqa: E402

FORMATS = ("mbox", "maildir", "eml", "pst")
MTIME_CASE = 1650000000
NOBODY = 65534
SETPRIV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
CORPUS_MESSAGES = 400
RUN_KEYS = ["manifest", "tool", "version", "command", "started", "ended", "host", "source",
            "format", "mailbox", "output", "totals"]
TOTAL_KEYS = ["messages", "exported", "skipped", "deleted", "unreadable", "bytes"]
MSG_KEYS = ["source", "size", "sha256", "folder", "uidvalidity", "uid", "flags", "internal_date",
            "date_header", "message_id", "status", "reason", "detail", "output"]
# issue 14: a groupware item's line has its "item" object after message_id
ITEM_KEYS = MSG_KEYS[:10] + ["item"] + MSG_KEYS[10:]
FLAG_ORDER = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]
# issue 16: "sha256" of the item's output bytes, where the item has bytes of its own
OUTPUT_KEYS = {"mbox": ["file", "offset", "length", "sha256"], "maildir": ["file", "sha256"],
               "eml": ["file", "sha256"], "pst": ["file", "folder", "nid"]}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# a Message-ID GMime keeps as it is (it adds missing <>, drops a trailing dot, ...)
CLEAN_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]*[^<>\s@.]>$")

tap = e2e.Tap("forensic")
work = e2e.tmpdir("forensic")


def mdx(args, cwd=None, env=None, prefix=()):
    """mdexport with args; (status, stdout, stderr)."""
    full = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    full.update(env or {})
    if prefix and e2e.SANITIZED:
        # LeakSanitizer cannot run under ptrace (strace); leaks are checked in
        # every other run of the sanitized build
        full["ASAN_OPTIONS"] = full.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    p = subprocess.run(list(prefix) + [e2e.MDEXPORT] + list(args), capture_output=True,
                       cwd=cwd or work, env=full, timeout=600)
    # issue 16 put export's summaries, table and last line on stdout: this
    # test reads them with the problems, as one text (stderr, then stdout)
    err = p.stderr + (p.stdout if list(args[:1]) == ["export"] else b"")
    return p.returncode, p.stdout.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def fs_path(s):
    """A manifest path (str, lone surrogates for non-UTF-8 bytes) as bytes."""
    return s.encode("utf-8", "surrogateescape")


def header_str(data, name):
    v = e2e.raw_header(data, name)
    return None if v is None else v.decode("utf-8", "surrogateescape")


# ---- the stores --------------------------------------------------------------

def fixture_store():
    store = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "fixture"))
    spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
    by_rel = {e["rel"]: e for e in e2e.fixture_expected(store, spec, MTIME_CASE)}
    out = []
    for mb in e2e.fixture_mailboxes(spec):
        for m in mb["messages"]:
            if m.get("source_b64"):
                rel = base64.b64decode(m["source_b64"]).decode("utf-8", "surrogateescape")
            else:
                rel = m["source"]
            if rel not in by_rel:
                continue        # groupware: never exported, never in a manifest
            out.append({"domain": mb["domain"], "mailbox": mb["mailbox"], "folder": m["folder"],
                        "source": rel, "uid": m.get("uid"), "flags": set(m["flags"]),
                        "internaldate": by_rel[rel]["internaldate"]})
    return store, out


def corpus_store():
    fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
    if not tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched", fetch.stderr[-2000:]):
        return None, []
    store = os.path.join(work, "corpus")
    truth_file = os.path.join(work, "truth.jsonl")
    gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus",
                          fetch.stdout.strip().splitlines()[-1], "--out", store, "--messages",
                          str(CORPUS_MESSAGES), "--seed", "4000", "--truth", truth_file],
                         capture_output=True, text=True)
    tap.ok(gen.returncode == 0, "tools/mkstore builds a %d-message store" % CORPUS_MESSAGES,
           gen.stderr[-2000:])
    out = []
    for line in open(truth_file, encoding="utf-8"):
        t = json.loads(line)
        if not t.get("stale"):
            out.append({"domain": t["domain"], "mailbox": t["mailbox"], "folder": t["folder"],
                        "source": t["source"], "uid": t["uid"], "flags": set(t["flags"]),
                        "internaldate": t["internaldate"]})
    return store, out


def complete(store, expected):
    """Add what is read from the files themselves: bytes, size, SHA-256,
    Date: and Message-ID; and UIDVALIDITY from `mdexport list --json`."""
    rc, out, err = mdx(["list", store, "--json"])
    uidv = {}
    for b in json.loads(out)["mailboxes"]:
        for f in b["folders"]:
            uidv[(b["domain"], b["mailbox"], f["path"])] = f["uidvalidity"] if f["indexed"] else None
    for e in expected:
        e["path"] = os.path.join(store, e["source"])
        e["data"] = e2e.read(fs_path(e["path"]))
        e["size"] = len(e["data"])
        e["sha256"] = e2e.sha256(e["data"])
        e["date_header"] = header_str(e["data"], "Date")
        e["message_id"] = header_str(e["data"], "Message-ID")
        e["uidvalidity"] = uidv[(e["domain"], e["mailbox"], e["folder"])]
    return expected


# ---- the read-only proof -------------------------------------------------------

OLD_ATIME_NS = e2e.OLD_ATIME * 10**9


def snapshot(top):
    """Everything about a tree that a writer could change.  Contents are
    read first, then every atime set to 2001 (which moves ctimes), then
    everything is lstat'ed: a later read without O_NOATIME moves an atime,
    any change to an inode moves its ctime."""
    digests, listings = {}, {}
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        listings[os.path.relpath(dirpath, os.fsencode(top))] = sorted(dirs + files)
        for n in files:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                digests[os.path.relpath(p, os.fsencode(top))] = e2e.sha256(e2e.read(p))
    paths = [os.fsencode(top)]
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        paths += [os.path.join(dirpath, n) for n in dirs + files]
    for p in paths:
        if not os.path.islink(p):
            os.utime(p, ns=(OLD_ATIME_NS, os.lstat(p).st_mtime_ns))
    return digests, listings, stat_all(top)


def stat_all(top):
    out = {}
    paths = [os.fsencode(top)]
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        paths += [os.path.join(dirpath, n) for n in dirs + files]
    for p in paths:
        st = os.lstat(p)
        out[os.path.relpath(p, os.fsencode(top))] = (
            st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_ino, st.st_nlink,
            st.st_mtime_ns, st.st_ctime_ns, st.st_atime_ns)
    return out


STAT_FIELDS = ("mode", "uid", "gid", "size", "inode", "links", "mtime", "ctime", "atime")


def changes(top, snap):
    """[] when nothing under top changed since snapshot(), else what did.
    Every entry is lstat'ed before anything reads it."""
    digests, listings, stats = snap
    now = stat_all(top)
    problems = []
    for k in sorted(set(stats) | set(now)):
        if k not in now:
            problems.append("%r: removed or renamed away" % k)
        elif k not in stats:
            problems.append("%r: created (or renamed here)" % k)
        elif stats[k] != now[k]:
            diff = ["%s %s -> %s" % (n, a, b) for n, a, b in zip(STAT_FIELDS, stats[k], now[k]) if a != b]
            problems.append("%r: %s" % (k, ", ".join(diff)))
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        rel = os.path.relpath(dirpath, os.fsencode(top))
        if listings.get(rel) != sorted(dirs + files):
            problems.append("%r: listing changed" % rel)
    for rel, digest in digests.items():
        p = os.path.join(os.fsencode(top), rel)
        if os.path.isfile(p) and e2e.sha256(e2e.read(p)) != digest:
            problems.append("%r: content changed" % rel)
    return problems


def atimes_live():
    """Does a plain read move an old atime on this file system (relatime,
    strictatime)?  If not (noatime), the atime check cannot see a read and
    the strace check carries the proof alone."""
    p = os.path.join(work, "atime-probe")
    with open(p, "wb") as f:
        f.write(b"x")
    os.utime(p, ns=(OLD_ATIME_NS, os.stat(p).st_mtime_ns))
    e2e.read(p)
    return os.stat(p).st_atime_ns != OLD_ATIME_NS


# syscalls that may touch SOURCE: they read, they never change anything
READ_ONLY_CALLS = {"open", "openat", "openat2", "newfstatat", "fstatat64", "statx", "stat", "lstat",
                   "fstat", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
                   "getdents", "getdents64", "read", "pread64", "readv", "preadv", "preadv2",
                   "lseek", "_llseek", "close", "fadvise64", "dup", "dup2", "dup3", "fstatfs",
                   "statfs", "getcwd", "chdir", "fchdir", "mmap", "munmap", "fcntl"}
# their quoted argument is data, not a path
DATA_CALLS = {"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev",
              "preadv2", "pwritev2", "ioctl"}
FCNTL_OK = re.compile(r"^F_(GETFD|SETFD|GETFL|DUPFD|DUPFD_CLOEXEC)\b")
OPEN_BAD_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE", "O_EXCL")
STRACE_LINE = re.compile(r"^(?:\[pid\s+\d+\] |\d+ +)?([a-z0-9_]+)\((.*)\)\s+=\s+(-?\d+|\?)(.*)$")


def strace_problems(trace, source, cwd):
    """What the traced run did to SOURCE that a read-only run must not."""
    src = os.path.realpath(source)
    problems, opened = [], 0

    def under(p):
        p = os.path.normpath(p)
        return p == src or p.startswith(src + "/")

    for line in trace_lines(trace):
        m = STRACE_LINE.match(line.strip())
        if not m:
            continue
        call, args, result, rest = m.groups()
        fds = re.findall(r"<(/[^>]*)>", args + rest)      # -y: every fd with its path
        paths = list(fds)
        q = None if call in DATA_CALLS else re.search(r'"((?:[^"\\]|\\.)*)"', args)
        if q:
            base = re.match(r"^(?:AT_FDCWD|\d+)(?:<([^>]*)>)?,", args)
            name = q.group(1)
            if not name.startswith("/"):
                name = os.path.join(base.group(1) if base and base.group(1) else cwd, name)
            paths.append(name)
        if not any(under(p) for p in paths):
            continue
        if call not in READ_ONLY_CALLS:
            problems.append(line.strip())
        elif call == "fcntl" and not FCNTL_OK.match(args.split(", ", 1)[1] if ", " in args else ""):
            problems.append(line.strip())
        elif call == "mmap" and "PROT_WRITE" in args and "MAP_SHARED" in args:
            problems.append(line.strip())
        elif call in ("open", "openat", "openat2"):
            opened += 1
            if any(f in args for f in OPEN_BAD_FLAGS) or "O_NOATIME" not in args:
                problems.append(line.strip())
    return problems, opened


def strace_prefix(trace):
    """strace following every thread (-j N), one file per thread (-ff: trace.PID), so that
    no call is split into "<unfinished ...>" and "resumed" lines by another thread's"""
    return ["strace", "-ff", "-y", "-qq", "-s", "4096", "-o", trace,
            "-e", "trace=%file,%desc,%memory"]


def trace_lines(trace):
    """every line of every thread's trace (strace -ff wrote trace.PID)"""
    for path in sorted(glob.glob(trace + ".*")):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            yield from f


# ---- the manifest ---------------------------------------------------------------

def check_item_line(store, obj):
    """A groupware item's line: its source is FILE@OFFSET or FILE#ID, and its
    size and SHA-256 are those of the item's own bytes in the source file
    (the one item fixtures/store has: alice's contact, <contact>...</contact>)"""
    m = re.match(r"(.*\.mrk)(?:@(\d+)|#(.+))$", obj["source"])
    if not m or not store:
        return ["%r: not FILE@OFFSET or FILE#ID" % obj["source"]]
    data = e2e.read(os.path.join(store, m.group(1)))
    off = int(m.group(2)) if m.group(2) else data.find(b"<")
    item = data[off:off + obj["size"]]
    if obj["sha256"] != e2e.sha256(item) or not item.startswith(b"<contact") or \
            not item.endswith(b"</contact>") or obj["item"]["kind"] != "contact":
        return ["%r: size/sha256 %r %s are not the item's bytes %r" % (
            obj["source"], obj["size"], obj["sha256"], item[:80])]
    return []


def keys_in_order(line, want, what, problems):
    obj = json.loads(line, object_pairs_hook=lambda pairs: pairs)
    got = [k for k, _ in obj]
    if got != want:
        problems.append("%s: keys %s, want %s" % (what, got, want))
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
    if re.search(r"\s", outside):
        problems.append("%s: white space between tokens" % what)


class PstCache:
    def __init__(self):
        self.files = {}

    def get(self, path):
        if path not in self.files:
            self.files[path] = pstread.Pst(path)
        return self.files[path]


def pst_folder_path(pst, nid):
    """The path of folder nid under the top of the data file."""
    names = []
    while nid not in (0x8022, 0x122) and len(names) < 50:
        names.append(pst.node(nid).properties()[0x3001][1].decode("utf-16le"))
        nid = pst.nodes[nid][2]
    return "/".join(reversed(names))


def want_pst_folder(folder):
    return "Inbox" + folder[5:] if folder == "INBOX" or folder.startswith("INBOX/") else folder


def check_output(fmt, outdir, e, out, psts, mbox_ranges):
    """Problems with where the manifest says message e went."""
    problems = []
    if not isinstance(out, dict) or list(out) != OUTPUT_KEYS[fmt]:
        return ["%s: output %r, want keys %s" % (e["source"], out, OUTPUT_KEYS[fmt])]
    path = os.path.join(os.fsencode(outdir), fs_path(out["file"]))
    if not os.path.isfile(path):
        return ["%s: output file %r does not exist" % (e["source"], out["file"])]
    if "sha256" in out:     # the item's own bytes: the file, or its mbox region
        item = e2e.read(path)
        if "offset" in out:
            item = item[out["offset"]:out["offset"] + out["length"]]
        if e2e.sha256(item) != out["sha256"]:
            problems.append("%s: the output's sha256 is not its bytes'" % e["source"])
    if fmt == "eml":
        if e2e.sha256(e2e.read(path)) != e["sha256"]:
            problems.append("%s: %s has another SHA-256" % (e["source"], out["file"]))
    elif fmt == "maildir":
        if e2e.read(path) != e2e.to_lf(e["data"]):
            problems.append("%s: %s does not hold it" % (e["source"], out["file"]))
    elif fmt == "mbox":
        data = e2e.read(path)
        seg = data[out["offset"]:out["offset"] + out["length"]]
        mbox_ranges.setdefault(path, []).append((out["offset"], out["length"]))
        mid = (e["message_id"] or "").encode("utf-8", "surrogateescape")
        lines = seg.split(b"\n", 3)
        ok = (seg.startswith(b"From ") and mid in seg and len(lines) == 4 and
              lines[1].startswith(b"Status: ") and lines[2].startswith(b"X-Status: ") and
              seg.endswith(b"\n\n") and
              e2e.mboxrd_unquote(lines[3][:-1]) == e2e.mbox_expected(e["data"]))
        if not ok:
            problems.append("%s: bytes %d+%d of %s are not its From_ line, status lines "
                            "and mboxrd text" % (e["source"], out["offset"], out["length"], out["file"]))
    else:
        pst = psts.get(path)
        nid = out["nid"]
        if nid not in pst.nodes or nid & 0x1F != 0x04:
            return ["%s: no message node %d in %s" % (e["source"], nid, out["file"])]
        props = pst.node(nid).properties()
        subject = props.get(0x0037, (0, b""))[1].decode("utf-16le")
        raw = e2e.raw_header(e["data"], "Subject")
        want = e2e.decode_subject(raw) if raw is not None else ""
        # GMime (3.2.13) joins the payloads of adjacent base64 words of one
        # charset before decoding them, so a padded first word ends the
        # subject there: the PST holds a prefix (a GMime limitation)
        gmime_cut = raw is not None and len(re.findall(rb"=\?[^?]+\?[Bb]\?[^?]*=\?=", raw)) > 1 \
            and subject and want.startswith(subject)
        if subject != want and not gmime_cut:
            problems.append("%s: node %d has subject %r, want %r" % (e["source"], nid, subject, want))
        mid = props.get(0x1035, (0, b""))[1].decode("utf-16le")
        if e["message_id"] and CLEAN_MSGID.match(e["message_id"]) and mid != e["message_id"]:
            problems.append("%s: node %d has Message-ID %r" % (e["source"], nid, mid))
        where = pst_folder_path(pst, pst.nodes[nid][2])
        if where != out["folder"] or where != want_pst_folder(e["folder"]):
            problems.append("%s: node %d is in %r, the manifest says %r, want %r"
                            % (e["source"], nid, where, out["folder"], want_pst_folder(e["folder"])))
    return problems


def check_line(fmt, outdir, e, obj, status, psts, mbox_ranges):
    problems = []
    want = {"source": e["source"], "size": e["size"], "sha256": e["sha256"], "folder": e["folder"],
            "uidvalidity": e["uidvalidity"], "uid": e["uid"],
            "flags": [f for f in FLAG_ORDER if f in e["flags"]],
            "internal_date": iso(e["internaldate"]), "date_header": e["date_header"],
            "message_id": e["message_id"], "status": "exported" if status is None else "skipped",
            "reason": status, "detail": None}
    for k, v in want.items():
        if obj.get(k) != v:
            problems.append("%s: %s %r, want %r" % (e["source"], k, obj.get(k), v))
    if status is None:
        problems += check_output(fmt, outdir, e, obj["output"], psts, mbox_ranges)
    elif obj["output"] is not None:
        problems.append("%s: skipped, yet output %r" % (e["source"], obj["output"]))
    return problems


def read_manifests(outdir):
    """{(domain, mailbox): (run line bytes, [line bytes])} of every manifest in DIR."""
    out = {}
    for dom in os.listdir(outdir):
        for n in os.listdir(os.path.join(outdir, dom)):
            if n.endswith(".manifest.jsonl"):
                data = e2e.read(os.path.join(outdir, dom, n))
                lines = data.split(b"\n")
                out[(e2e.fs_unescape(dom), e2e.fs_unescape(n[:-len(".manifest.jsonl")]))] = \
                    (data, lines)
    return out


def check_manifests(fmt, outdir, expected, args, label, skipped=lambda e: None):
    """The manifests of one export against the source; returns {box: run line}."""
    problems = []
    manifests = read_manifests(outdir)
    boxes = {(e["domain"], e["mailbox"]) for e in expected}
    if not boxes <= set(manifests):
        problems.append("no manifest for %s" % sorted(boxes - set(manifests)))
    psts, mbox_ranges, runs = PstCache(), {}, {}
    for (dom, box), (data, lines) in sorted(manifests.items()):
        what = "%s@%s" % (box, dom)
        if not data.endswith(b"\n") or lines[-1] != b"":
            problems.append("%s: does not end with a newline" % what)
        lines = [ln.decode("utf-8") for ln in lines[:-1]]
        keys_in_order(lines[0], RUN_KEYS, what + " run line", problems)
        run = json.loads(lines[0])
        runs[(dom, box)] = run
        keys_in_order(json.dumps(run["totals"], separators=(",", ":")), TOTAL_KEYS, what + " totals", problems)
        rel = e2e.fs_escape(dom) + "/" + e2e.fs_escape(box) + (".pst" if fmt == "pst" else "")
        want_run = {"manifest": 1, "tool": "mdexport", "version": "0.1.0",
                    "command": ["mdexport"] + list(args), "host": socket.gethostname(),
                    "source": args[1], "format": fmt, "mailbox": "%s@%s" % (box, dom), "output": rel}
        for k, v in want_run.items():
            if run.get(k) != v:
                problems.append("%s: run %s %r, want %r" % (what, k, run.get(k), v))
        if not (ISO_Z.match(run["started"]) and ISO_Z.match(run["ended"]) and
                run["started"] <= run["ended"]):
            problems.append("%s: run started %r ended %r" % (what, run["started"], run["ended"]))
        mine = {e["source"]: e for e in expected if (e["domain"], e["mailbox"]) == (dom, box)}
        seen, folders_seen, last_folder = {}, [], None
        totals = dict.fromkeys(TOTAL_KEYS, 0)
        for i, line in enumerate(lines[1:]):
            obj = json.loads(line)
            keys_in_order(line, ITEM_KEYS if "item" in obj else MSG_KEYS,
                          "%s line %d" % (what, i + 2), problems)
            src = obj["source"]
            if obj["folder"] != last_folder:
                if obj["folder"] in folders_seen:
                    problems.append("%s: folder %r's lines are not together" % (what, obj["folder"]))
                folders_seen.append(obj["folder"])
                last_folder = obj["folder"]
            seen[src] = seen.get(src, 0) + 1
            totals["messages"] += 1
            if obj["status"] == "exported":
                totals["exported"] += 1
                totals["bytes"] += obj["size"]
            else:
                totals["skipped"] += 1
                totals[obj["reason"]] = totals.get(obj["reason"], 0) + 1
            if "item" in obj:          # a groupware item (issue 14; every field: t8600)
                problems += check_item_line(args[1], obj)
                continue
            if src not in mine:
                problems.append("%s: %r is no source message of this mailbox" % (what, src))
                continue
            problems += check_line(fmt, outdir, mine[src], obj, skipped(mine[src]), psts, mbox_ranges)
        for src in mine:
            if seen.get(src) != 1:
                problems.append("%s: listed %d times (want once)" % (src, seen.get(src, 0)))
        if run["totals"] != totals:
            problems.append("%s: totals %r, the lines add up to %r" % (what, run["totals"], totals))
    for path, ranges in mbox_ranges.items():
        pos = 0
        for off, length in sorted(ranges):
            if off != pos:
                problems.append("%r: bytes %d..%d belong to no message" % (path, pos, off))
            pos = off + length
        if pos != os.path.getsize(path):
            problems.append("%r: the ranges end at %d, the file at %d" % (path, pos, os.path.getsize(path)))
    tap.ok(not problems, "%s%s: the manifests list every source message once, with its size, "
           "SHA-256, folder, UIDs, flags, dates, Message-ID and status; the output location "
           "holds it; totals add up" % (fmt, label), "\n".join(problems[:30]))
    return runs, psts


# ---- reproducibility ---------------------------------------------------------------

def koi8_locale():
    """(env additions) for a KOI8-R locale, made with localedef; C if that fails."""
    loc = os.path.join(work, "locales")
    os.makedirs(loc, exist_ok=True)
    r = subprocess.run(["localedef", "-i", "ru_RU", "-f", "KOI8-R", os.path.join(loc, "ru_RU.KOI8-R")],
                       capture_output=True)
    if r.returncode in (0, 1) and os.path.isdir(os.path.join(loc, "ru_RU.KOI8-R")):
        return {"LOCPATH": loc, "LC_ALL": "ru_RU.KOI8-R", "LANG": "ru_RU.KOI8-R"}, "ru_RU.KOI8-R"
    return {"LC_ALL": "C", "LANG": "C"}, "C"


def tree_for_compare(top, drop_command=False):
    """e2e.tree_bytes, and with drop_command the manifests' run lines also
    without "command" (which names DIR).  A PST's mtime is when it was
    written (README, "PST"), so only its bytes are compared."""
    t = e2e.tree_bytes(top)
    for k, v in t.items():
        if v and k.endswith(".pst"):
            t[k] = (v[0], None)
    if drop_command:
        for k, v in t.items():
            if v and k.endswith(".manifest.jsonl"):
                first, nl, rest = v[0].partition(b"\n")
                first = re.sub(rb'"command":\[[^\]]*\],', b"", first)
                t[k] = (first + nl + rest, v[1])
    return t


# ---- the runs --------------------------------------------------------------------

LIVE_ATIME = atimes_live()
print("# reads %s atimes on this file system" % ("update" if LIVE_ATIME else "do NOT update"))
HAVE_STRACE = shutil.which("strace") is not None
tap.ok(HAVE_STRACE, "strace is installed (tools/install-deps), for the system-call check")
LOCALE_ENV, LOCALE_NAME = koi8_locale()
OTHER_ENV = dict(LOCALE_ENV, TZ="Pacific/Chatham" if os.path.exists("/usr/share/zoneinfo/Pacific/Chatham")
                 else "XXX-12:45")

stores = []
fstore, fexp = fixture_store()
stores.append(("fixture", fstore, complete(fstore, fexp)))
cstore, cexp = corpus_store()
if cstore:
    stores.append(("corpus", cstore, complete(cstore, cexp)))

for sname, store, expected in stores:
    pst_attachments = 0
    for fmt in FORMATS:
        label = " (%s)" % sname
        base = os.path.join(work, "%s-%s" % (sname, fmt))
        os.makedirs(base)
        args = ["export", store, "--format", fmt, "--output", "out"]

        # run 1, traced
        snap = snapshot(store)
        trace = os.path.join(base, "trace")
        rc, _, err = mdx(args, cwd=base, prefix=strace_prefix(trace) if HAVE_STRACE else ())
        tap.ok(rc == 0 and "exit status 0" in err, "%s%s: export exits 0" % (fmt, label), err[-2000:])
        changed = changes(store, snap)
        tap.ok(not changed, "%s%s: SOURCE unchanged: no entry created, renamed or removed; "
               "contents, modes, owners, sizes, inodes, mtimes, ctimes and atimes as before"
               % (fmt, label), "\n".join(changed[:20]))
        if HAVE_STRACE:
            bad, opened = strace_problems(trace, store, os.path.realpath(base))
            tap.ok(not bad and opened > len(expected),
                   "%s%s: strace: %d opens under SOURCE, all O_RDONLY|O_NOATIME; no call that "
                   "writes, creates, renames, removes, locks or changes metadata there"
                   % (fmt, label, opened), "\n".join(bad[:20]) or "only %d opens" % opened)
        out1 = os.path.join(base, "out")
        runs, psts = check_manifests(fmt, out1, expected, args, label)
        if fmt == "pst":
            for pst in psts.files.values():
                pst_attachments += sum(1 for nid in pst.nodes if nid & 0x1F == 0x04 and
                                       0x671 in pst.node(nid).subs)
        shutil.move(out1, os.path.join(base, "run1"))

        # run 2: the same command line, another time zone and locale
        snap = snapshot(store)
        rc, _, err = mdx(args, cwd=base, env=OTHER_ENV)
        tap.ok(rc == 0 and not changes(store, snap),
               "%s%s: again with TZ=%s LC_ALL=%s: exit 0, SOURCE unchanged"
               % (fmt, label, OTHER_ENV["TZ"], LOCALE_NAME), err[-2000:])
        diff = e2e.tree_diff(tree_for_compare(os.path.join(base, "run1")), tree_for_compare(out1))
        tap.ok(not diff, "%s%s: byte-identical to the first run (file names, contents, message "
               "mtimes; manifests but for started/ended/host)" % (fmt, label), "\n".join(diff[:20]))

        # run 3: another DIR
        snap = snapshot(store)
        rc, _, err = mdx(["export", store, "--format", fmt, "--output", "other-dir"], cwd=base)
        tap.ok(rc == 0 and not changes(store, snap), "%s%s: into another DIR: exit 0, SOURCE unchanged"
               % (fmt, label), err[-2000:])
        diff = e2e.tree_diff(tree_for_compare(os.path.join(base, "run1"), True),
                         tree_for_compare(os.path.join(base, "other-dir"), True))
        tap.ok(not diff, "%s%s: into another DIR: byte-identical (manifests but for the run line's "
               "command, times and host)" % (fmt, label), "\n".join(diff[:20]))
    tap.ok(pst_attachments > 0, "%s: the PSTs compared hold %d messages with attachments"
           % (sname, pst_attachments))

# ---- --skip-deleted -----------------------------------------------------------------

fixture = stores[0][2]
deleted = [e for e in fixture if "\\Deleted" in e["flags"]]
tap.ok(len(deleted) > 0, "the fixture has %d \\Deleted messages" % len(deleted))
for fmt in FORMATS:
    o = os.path.join(work, "skipdel-" + fmt)
    args = ["export", fstore, "-f", fmt, "-o", o, "--skip-deleted"]
    rc, _, err = mdx(args)
    tap.ok(rc == 0, "%s --skip-deleted exits 0" % fmt, err[-1500:])
    runs, _ = check_manifests(fmt, o, fixture, args, " --skip-deleted",
                              skipped=lambda e: "deleted" if "\\Deleted" in e["flags"] else None)
    n = sum(r["totals"]["deleted"] for r in runs.values())
    tap.eq(n, len(deleted), "%s --skip-deleted: the run lines count %d deleted" % (fmt, len(deleted)))

# ---- dry run: nothing written, no manifest ---------------------------------------------

o = os.path.join(work, "dry")
rep = os.path.join(work, "dry-report.json")
rc, _, err = mdx(["export", fstore, "-f", "eml", "-o", o, "--dry-run", "--report", rep])
report = json.load(open(rep)) if os.path.exists(rep) else {}
tap.ok(rc == 0 and not os.path.exists(o) and report.get("dry_run") is True and
       all(b["result"] == "dry-run" and b["manifest"] is None for b in report.get("mailboxes", [])),
       "--dry-run writes no DIR and no manifest; --report FILE still says what would be exported",
       err[-1500:])

# ---- unreadable messages get skipped lines ---------------------------------------------


def priv_ok():
    if os.geteuid() != 0:
        return True
    return shutil.which("setpriv") is not None


if tap.ok(priv_ok(), "setpriv is there to drop root, so that a mode-000 file is unreadable"):
    ustore = e2e.copytree(fstore, os.path.join(work, "unreadable-store"))
    victim = "Users/example.com/alice/md50000000102.msg"
    os.chmod(os.path.join(ustore, victim), 0)
    owner = os.path.join(work, "unreadable-out")
    os.makedirs(owner)
    if os.geteuid() == 0:
        for top in (ustore, owner):
            os.lchown(top, NOBODY, NOBODY)
            for dp, ds, fs in os.walk(top):
                for n in ds + fs:
                    os.lchown(os.path.join(dp, n), NOBODY, NOBODY)
    prefix = SETPRIV if os.geteuid() == 0 else ()
    for fmt in FORMATS:
        o = os.path.join(owner, fmt)
        args = ["export", ustore, "-f", fmt, "-o", o, "--user", "alice@example.com"]
        rc, _, err = mdx(args, prefix=prefix)
        mine = [e for e in fixture if e["mailbox"] == "alice"]
        for e in mine:
            e["path"] = os.path.join(ustore, e["source"])
        manifests = read_manifests(o) if os.path.isdir(o) else {}
        lines = [json.loads(ln) for ln in manifests.get(("example.com", "alice"), (b"", [b""]))[1][1:-1]]
        hit = [x for x in lines if x["source"] == victim]
        rec = next(e for e in mine if e["source"] == victim)
        want = {"size": None, "sha256": None, "status": "skipped", "reason": "unreadable",
                "output": None, "internal_date": iso(rec["internaldate"]), "uid": rec["uid"]}
        ok = (rc == 1 and len(hit) == 1 and all(hit[0].get(k) == v for k, v in want.items()) and
              "Permission denied" in (hit[0].get("detail") or ""))
        tap.ok(ok, "%s: a mode-000 .msg: exit 1; its line says skipped, unreadable, why, size "
               "and sha256 null, internal date from the index" % fmt,
               "exit %d; line %r\n%s" % (rc, hit, err[-1500:]))
        # issue 14: alice's contact has a line of its own (an item, not a message)
        others = [x for x in lines if x["source"] != victim and "item" not in x]
        tap.ok(len(others) == len(mine) - 1 and all(x["status"] == "exported" for x in others),
               "%s: the other %d messages are exported and listed" % (fmt, len(mine) - 1))
        run = json.loads(manifests[("example.com", "alice")][1][0]) if manifests else {}
        tap.eq(run.get("totals", {}).get("unreadable"), 1, "%s: the run line counts 1 unreadable" % fmt)

# ---- the report ------------------------------------------------------------------------

o = os.path.join(work, "report-out")
rep = os.path.join(work, "report.json")
args = ["export", fstore, "-f", "mbox", "-o", o, "--report", rep, "--skip-deleted", "--quiet"]
rc, _, err = mdx(args)
# issue 16: -q prints only errors and the run's last line; the --report FILE has the rows
tap.ok(rc == 0 and err.count("\n") == 1 and err.startswith("mdexport: exported ") and
       "warning:" not in err,
       "--quiet: only the run's last line (no warnings, summaries or table)", err[-2000:])
# the table, from the same export without --quiet (the next run replaces it: same bytes)
rc2, _, err2 = mdx([a for a in args if a != "--quiet"] + ["--report", os.path.join(work, "r2.json")])
table = err2[err2.find("mdexport: report:"):]
tap.ok(rc2 == 0 and "mdexport: report:" in err2,
       "without --quiet: the summaries and the report table are printed", err2[-2000:])
# columns are 2 or more spaces apart ("Public Folders@public" has one inside)
rows = {re.split(r"\s{2,}", ln.strip())[0]: re.split(r"\s{2,}", ln.strip())
        for ln in table.splitlines()[3:] if ln.startswith("  ")}
report = json.load(open(rep)) if os.path.exists(rep) else {}
manifests = read_manifests(o)
problems = []
for k in ("report", "tool", "version", "command", "started", "ended", "host", "source", "format",
          "output", "dry_run", "skip_deleted", "exit_status", "mailboxes", "totals"):
    if k not in report:
        problems.append("report has no %r" % k)
if report.get("command") != ["mdexport"] + args or report.get("exit_status") != 0 or \
        report.get("format") != "mbox" or report.get("skip_deleted") is not True:
    problems.append("report head %r" % {k: report.get(k) for k in ("command", "exit_status", "format")})
for b in report.get("mailboxes", []):
    box, dom = b["mailbox"].split("@")
    run = json.loads(manifests[(dom, box)][1][0])
    t = run["totals"]
    want = {"result": "exported", "output": run["output"],
            "manifest": "%s/%s.manifest.jsonl" % (e2e.fs_escape(dom), e2e.fs_escape(box)),
            "found": t["messages"], "exported": t["exported"],
            "skipped": {"deleted": t["deleted"], "unreadable": t["unreadable"]}, "bytes": t["bytes"]}
    for k, v in want.items():
        if b.get(k) != v:
            problems.append("%s: report %s %r, manifest says %r" % (b["mailbox"], k, b.get(k), v))
    folders = len({json.loads(ln)["folder"] for ln in manifests[(dom, box)][1][1:-1]})
    if b["folders"] < folders:
        problems.append("%s: %d folders, the manifest names %d" % (b["mailbox"], b["folders"], folders))
    row = rows.get(b["mailbox"], [])
    if row[1:6] != [str(b["folders"]), str(b["found"]), str(b["exported"]),
                    str(b["skipped"]["deleted"]), str(b["skipped"]["unreadable"])]:
        problems.append("%s: table row %r" % (b["mailbox"], row))
tot = report.get("totals", {})
if tot.get("exported") != sum(b["exported"] for b in report.get("mailboxes", [])) or \
        tot.get("mailboxes") != len(manifests):
    problems.append("totals %r" % tot)
tap.ok(report and not problems, "--report FILE: one JSON document; per mailbox the manifest's "
       "counts, the table's row; totals add up", "\n".join(problems[:20]) + "\n" + table)
# issue 16 asks that --report's folder be made as --output's is (it was refused)
blocker = os.path.join(work, "not-a-dir")
open(blocker, "w").write("x\n")
o2 = os.path.join(work, "out-report-blocked")
rc, _, err = mdx(["export", fstore, "-f", "mbox", "-o", o2, "--report", os.path.join(blocker, "r.json")])
tap.ok(rc == 2 and "cannot create" in err and "not-a-dir" in err and not os.path.exists(o2),
       "--report where no folder can be made: exit 2 before anything is exported", err[-600:])
rep_new = os.path.join(work, "no", "dir", "r.json")
rc, _, err = mdx(["export", fstore, "-f", "mbox", "-o", os.path.join(work, "out-report-new"), "-q",
                  "--report", rep_new])
tap.ok(rc == 0 and os.path.isfile(rep_new) and json.load(open(rep_new))["totals"]["exported"] > 0,
       "--report into a missing folder: the folder is made, the report written", err[-600:])

# ---- DIR or the report inside SOURCE: refused, nothing written there -----------------------

for label, extra in (("--output", ["-o", os.path.join(fstore, "Users", "..", "export")]),
                     ("--output (a symbolic link into SOURCE)", ["-o", os.path.join(work, "link", "x")]),
                     ("--report", ["-o", os.path.join(work, "ok-out"), "--report",
                                   os.path.join(fstore, "report.json")])):
    if "link" in extra[1] and not os.path.lexists(os.path.join(work, "link")):
        os.symlink(os.path.join(fstore, "App"), os.path.join(work, "link"))
    snap = snapshot(fstore)
    rc, _, err = mdx(["export", fstore, "-f", "eml"] + extra)
    changed = changes(fstore, snap)
    tap.ok(rc == 2 and "is inside SOURCE" in err and not changed,
           "%s inside SOURCE: exit 2, named, SOURCE unchanged" % label,
           "exit %d\n%s\n%s" % (rc, err[-800:], "\n".join(changed[:10])))

shutil.rmtree(work)
tap.done()
