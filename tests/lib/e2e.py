"""Shared helpers for the end-to-end tests: TAP output, running mdexport,
and reading its output back with readers this project did not write
(Python's mailbox module, Dovecot's doveadm), compared message by message
with the source store.

An expected message is a dict:
    domain, mailbox, folder (logical, '/'-separated), path (absolute source
    file), flags (set of IMAP names), internaldate (int), envelope_from
"""

import base64
import calendar
import email.header
import hashlib
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import dovecot  # noqa: E402

MDEXPORT = os.environ.get("MDEXPORT") or os.path.join(ROOT, "mdexport")
# run-tests --sanitized sets this: MDEXPORT is an ASan+UBSan build, whose memory
# use says nothing about ours and which cannot run under valgrind
SANITIZED = os.environ.get("MDX_SANITIZED") == "1"


class Tap:
    """TAP producer; every check is one numbered test."""

    def __init__(self, name):
        self.name = name
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, what), flush=True)
        if not cond and diag:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line)
        return cond

    def skip(self, what, reason):
        """A check not made in this run, said so: TAP counts it as skipped, not passed."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, reason), flush=True)

    def eq(self, got, want, what):
        return self.ok(got == want, what, "got:  %r\nwant: %r" % (got, want))

    def done(self):
        print("1..%d" % self.n)
        print("%d passed, %d failed" % (self.n - self.failed, self.failed))
        sys.exit(1 if self.failed else 0)


def run(args, **kw):
    """Run mdexport; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run([MDEXPORT] + list(args), capture_output=True, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run_merged(args, **kw):
    """Run mdexport; returns (exit status, stdout, stderr then stdout).  For
    the tests that read what an export says as one text, its problems and
    its summaries together: since issue 16 the summaries, the report table
    and the last line are on stdout, the warnings and errors on stderr
    (t9220 checks which goes where)."""
    p = subprocess.run([MDEXPORT] + list(args), capture_output=True, **kw)
    out = p.stdout.decode("utf-8", "replace")
    return p.returncode, out, p.stderr.decode("utf-8", "replace") + out


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix="mdx-" + prefix + "-")
    os.chmod(d, 0o755)
    return d


def remove_work(work):
    """Remove a test's work directory, folders a test made unreadable too
    (never following a link out of it)."""
    os.chmod(work, 0o755)
    for dirpath, dirs, _files in os.walk(work):
        for n in dirs:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                try:
                    os.chmod(p, 0o755)
                except OSError:
                    pass
    shutil.rmtree(work, ignore_errors=True)


def maildir_long_name(full):
    """The Maildir writer's rule for a folder directory name (bytes) longer
    than 255 bytes (README, "Maildir"): its leading whole parts that fit,
    then `.mdexport-` and the first 64 bits of the SHA-256 of the full name."""
    if len(full) <= 255:
        return full
    tail = b".mdexport-" + hashlib.sha256(full).hexdigest()[:16].encode()
    keep = 0
    for i in range(1, len(full)):
        if i + len(tail) > 255:
            break
        if full[i:i + 1] == b".":
            keep = i
    return full[:keep] + tail


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- name encodings we promise in the README ------------------------------

def fs_escape(name):
    """The reversible escaping of output file names (README, "Names")."""
    if name == "":
        return "%00"
    out = []
    raw = name.encode("utf-8")
    for i, b in enumerate(raw):
        if b < 0x20 or b == 0x7f or b in b"%/\\" or (b == 0x2e and i == 0):
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out).encode("latin-1").decode("utf-8")


def fs_unescape(name):
    raw = name.encode("utf-8")
    if raw == b"%00":
        return ""
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i:i + 1] == b"%" and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1:i + 3] or b""):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8")


# ---- header values ---------------------------------------------------------

def raw_header(data, name):
    """The raw value of the first `name` field of a message's header block,
    unfolded (CR and LF removed) and trimmed, as bytes; None when absent.
    What the manifest's date_header and message_id hold."""
    want = name.lower().encode()
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line in (b"", b"\r"):
            break
        head, colon, rest = line.partition(b":")
        if not colon or head.rstrip(b" \t").lower() != want or head[:1] in (b" ", b"\t"):
            continue
        value = [rest]
        for cont in lines[i + 1:]:
            if cont[:1] not in (b" ", b"\t"):
                break
            value.append(cont)
        raw = b"".join(v.replace(b"\r", b"") for v in value)
        return raw.split(b"\0")[0].strip(b" \t")
    return None


def decode_subject(raw):
    """The subject as GMime presents it: RFC 2047 words decoded (adjacent
    words joined), undeclared 8-bit text read as UTF-8 or else ISO-8859-1,
    folding removed (RFC 5322 unfolding keeps the blank), ends trimmed."""
    raw = re.sub(rb"\r?\n", b"", raw)
    out = []
    for part, charset in email.header.decode_header(raw.decode("latin-1")):
        if isinstance(part, str):
            part = part.encode("latin-1")
        if charset:
            out.append(part.decode(charset, "replace"))
        else:
            try:
                out.append(part.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(part.decode("latin-1"))
    return "".join(out).strip()



# ---- the transformations each writer documents ----------------------------

def to_lf(data):
    return data.replace(b"\r\n", b"\n")


def strip_status_fields(data):
    """Drop Status:/X-Status: fields (with continuation lines) from the header."""
    lines = data.split(b"\n")
    out, in_head, dropping = [], True, False
    for i, line in enumerate(lines):
        if in_head:
            if line == b"" and i < len(lines) - 1:
                in_head = False
            elif line[:1] in (b" ", b"\t"):
                if dropping:
                    continue
            else:
                name = line.split(b":", 1)[0].rstrip(b" \t").lower() if b":" in line else None
                dropping = name in (b"status", b"x-status")
                if dropping:
                    continue
        out.append(line)
    return b"\n".join(out)


def mbox_expected(src):
    """What Python's mbox reader must return for a source message, once our
    Status/X-Status lines are removed and the mboxrd quoting undone."""
    data = strip_status_fields(to_lf(src))
    if not data.endswith(b"\n"):
        data += b"\n"
    return data


def mboxrd_unquote(data):
    return re.sub(rb"(?m)^>(>*From )", rb"\1", data)


MBOX_FLAGS = {"R": "\\Seen", "A": "\\Answered", "F": "\\Flagged", "D": "\\Deleted", "T": "\\Draft"}
MAILDIR_FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "T": "\\Deleted", "D": "\\Draft"}


# ---- readers ---------------------------------------------------------------

def read_mbox_tree(mbdir):
    """{folder: [(from_line, flags set, bytes)]} with Python's mailbox.mbox."""
    out = {}
    for dirpath, _dirs, files in os.walk(mbdir):
        for fn in files:
            if not fn.endswith(".mbox"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, fn), mbdir)[:-5]
            folder = "/".join(fs_unescape(p) for p in rel.split(os.sep))
            box = mailbox.mbox(os.path.join(dirpath, fn), create=False)
            msgs = []
            for key in box.iterkeys():
                m = box[key]
                flags = {MBOX_FLAGS[c] for c in m.get_flags() if c in MBOX_FLAGS}
                msgs.append((m.get_from(), flags, box.get_bytes(key)))
            box.close()
            out[folder] = msgs
    return out


def read_eml_tree(emldir):
    """{folder: [(name, bytes, mtime)]}."""
    out = {}
    for dirpath, _dirs, files in os.walk(emldir):
        rel = os.path.relpath(dirpath, emldir)
        folder = "/".join(fs_unescape(p) for p in rel.split(os.sep))
        for fn in sorted(files):
            if fn.endswith((".ics", ".vcf", ".txt")):    # groupware beside the folders (issue 14)
                continue
            p = os.path.join(dirpath, fn)
            out.setdefault(folder, []).append((fn, read(p), int(os.stat(p).st_mtime)))
    return out


def read_maildir_python(root):
    """{dirname: [(flags set, bytes, mtime)]} with Python's mailbox.Maildir."""
    out = {}
    dirs = [("", root)] + [(d, os.path.join(root, d)) for d in sorted(os.listdir(root))
                           if d.startswith(".") and os.path.isdir(os.path.join(root, d))]
    for name, path in dirs:
        md = mailbox.Maildir(path, factory=None, create=False)
        msgs = []
        for key in md.iterkeys():
            m = md[key]
            flags = {MAILDIR_FLAGS[c] for c in m.get_flags()}
            sub = m.get_subdir()
            fpath = os.path.join(path, sub, key + (":" + m.get_info() if m.get_info() else ""))
            msgs.append((flags, md.get_bytes(key), int(os.stat(fpath).st_mtime)))
        out[name] = msgs
    return out


# ---- the checks ------------------------------------------------------------

def _by_box(expected):
    boxes = {}
    for e in expected:
        boxes.setdefault((e["domain"], e["mailbox"]), []).append(e)
    return boxes


def _match(tap, what, exp_list, got_by_folder, key_of_exp, key_of_got, extra_check):
    """Each expected message present exactly once, in its folder; no extras."""
    got_index = {}
    for folder, items in got_by_folder.items():
        for it in items:
            got_index.setdefault(key_of_got(it), []).append((folder, it))
    problems = []
    seen = set()
    for e in exp_list:
        k = key_of_exp(e)
        hits = got_index.get(k, [])
        if len(hits) != 1:
            problems.append("%s: found %d times (want 1)" % (e["path"], len(hits)))
            continue
        folder, it = hits[0]
        seen.add(k)
        if folder != e["folder"]:
            problems.append("%s: in folder %r, want %r" % (e["path"], folder, e["folder"]))
        problems.extend(extra_check(e, it))
    extras = [k for k in got_index if k not in seen]
    if extras:
        problems.append("%d items in the output match no source message" % len(extras))
    total = sum(len(v) for v in got_by_folder.values())
    if total != len(exp_list):
        problems.append("output holds %d messages, source %d" % (total, len(exp_list)))
    return tap.ok(not problems, what, "\n".join(problems[:30]))


def check_eml(tap, outdir, expected, label=""):
    for (dom, box), exp in sorted(_by_box(expected).items()):
        tree = read_eml_tree(os.path.join(outdir, fs_escape(dom), fs_escape(box)))

        def extra(e, it):
            name, data, mtime = it
            out = []
            if mtime != e["internaldate"]:
                out.append("%s: mtime %d, want %d" % (e["path"], mtime, e["internaldate"]))
            if not re.fullmatch(r"\d{6,}\.eml", name):
                out.append("%s: file name %r" % (e["path"], name))
            return out
        _match(tap, "eml%s %s@%s: %d messages, sha256 equal, right folder, mtime = internal date"
               % (label, box, dom, len(exp)), exp, tree,
               lambda e: sha256(read(e["path"])), lambda it: sha256(it[1]), extra)


def _asctime_to_unix(s):
    return calendar.timegm(time.strptime(s, "%a %b %d %H:%M:%S %Y"))


def check_mbox(tap, outdir, expected, label=""):
    for (dom, box), exp in sorted(_by_box(expected).items()):
        tree = read_mbox_tree(os.path.join(outdir, fs_escape(dom), fs_escape(box)))
        bad_status = []

        def got_key(it):
            raw = it[2]
            head = raw.split(b"\n", 2)
            if len(head) < 3 or not head[0].startswith(b"Status: ") or not head[1].startswith(b"X-Status: "):
                bad_status.append(raw[:80])
                return sha256(raw)
            rest = head[2]
            if re.search(rb"(?im)^(x-)?status:", rest.split(b"\n\n", 1)[0]):
                bad_status.append(raw[:80])
            return sha256(mboxrd_unquote(rest))

        def extra(e, it):
            from_line, flags, _raw = it
            out = []
            sender, _, date = from_line.partition(" ")
            if sender != e["envelope_from"]:
                out.append("%s: envelope %r, want %r" % (e["path"], sender, e["envelope_from"]))
            try:
                when = _asctime_to_unix(date.strip())
            except ValueError:
                when = None
            if when != e["internaldate"]:
                out.append("%s: From_ date %r, want %d" % (e["path"], date, e["internaldate"]))
            if flags != e["flags"]:
                out.append("%s: flags %s, want %s" % (e["path"], sorted(flags), sorted(e["flags"])))
            return out
        _match(tap, "mbox%s %s@%s: %d messages, content/flags/From_ line equal"
               % (label, box, dom, len(exp)), exp, tree,
               lambda e: sha256(mbox_expected(read(e["path"]))), got_key, extra)
        tap.ok(not bad_status, "mbox%s %s@%s: exactly one Status and X-Status per message, first"
               % (label, box, dom), "\n".join(repr(b) for b in bad_status[:5]))


def check_maildir(tap, outdir, expected, label="", use_dovecot=True):
    for (dom, box), exp in sorted(_by_box(expected).items()):
        root = os.path.join(outdir, fs_escape(dom), fs_escape(box))
        want_folders = sorted({e["folder"] for e in exp} | {"INBOX"})

        def extra_flags_date(e, it):
            flags, received = it[0], it[2]
            out = []
            if flags != e["flags"]:
                out.append("%s: flags %s, want %s" % (e["path"], sorted(flags), sorted(e["flags"])))
            if received != e["internaldate"]:
                out.append("%s: date %d, want %d" % (e["path"], received, e["internaldate"]))
            return out

        # Python's mailbox.Maildir: per directory (folder names checked via Dovecot)
        py = read_maildir_python(root)
        dirmap = {dovecot.dovecot_dirname(f): f for f in want_folders}
        py_by_folder = {dirmap.get(d, "?" + d): [(f, b, t) for f, b, t in v] for d, v in py.items()}
        _match(tap, "maildir%s %s@%s (Python mailbox): %d messages, content/flags/mtime"
               % (label, box, dom, len(exp)), exp, py_by_folder,
               lambda e: sha256(to_lf(read(e["path"]))), lambda it: sha256(it[1]),
               extra_flags_date)
        if not use_dovecot:
            continue
        tree = dovecot.read_maildir(root)
        dv = {}
        for m in tree["messages"]:
            dv.setdefault(m["folder"], []).append((set(m["flags"]), m["raw"], m["received"]))
        _match(tap, "maildir%s %s@%s (Dovecot): %d messages, content/flags/received date"
               % (label, box, dom, len(exp)), exp, dv,
               lambda e: sha256(to_lf(read(e["path"]))), lambda it: sha256(it[1]),
               extra_flags_date)
        got_folders = sorted(tree["folders"])
        tap.ok(set(want_folders) <= set(got_folders),
               "maildir%s %s@%s (Dovecot): folders listed" % (label, box, dom),
               "missing: %s" % sorted(set(want_folders) - set(got_folders)))
        tap.ok(set(got_folders) <= set(tree["subscribed"]),
               "maildir%s %s@%s (Dovecot): every folder subscribed" % (label, box, dom),
               "not subscribed: %s" % sorted(set(got_folders) - set(tree["subscribed"])))


FIXTURE_MTIME = 1650000000   # the date tests give the record-less, header-less message


# issue 14: an MDaemon root's "Public Folders" is one more mailbox, named so
PUBLIC_DOMAIN, PUBLIC_MAILBOX = "public", "Public Folders"


def fixture_mailboxes(spec):
    """The mailboxes an export of the fixture writes: the accounts of
    fixtures/store.expected.json, then its public folders as the mailbox
    'Public Folders@public' (issue 14), in the shape of the others."""
    boxes = list(spec["mailboxes"])
    pub = spec.get("public_folders")
    if pub:
        boxes.append(dict(pub, domain=PUBLIC_DOMAIN, mailbox=PUBLIC_MAILBOX))
    return boxes


# issue 14: the folder classes whose items are exported, and with them the
# folder's .msg files, as mail (documents folders are still left out)
GROUPWARE_EXPORTED = ("IPF.Appointment", "IPF.Contact", "IPF.Task", "IPF.StickyNote")
# what fixtures/store's groupware files hold: alice's AddrBook.mrk, one contact
# (her Calendar.mrk is an empty <Calendar/>, Tasks and Notes hold no XML file)
FIXTURE_GROUPWARE_ITEMS = {"alice": 1}


def fixture_expected(store, spec, mtime=FIXTURE_MTIME):
    """The mail messages fixtures/store.expected.json says a copy of the
    fixture at `store` must export: those of mail folders, and since issue
    14 the .msg files of calendar, contacts, tasks and notes folders (a
    documents folder's are listed there but never exported).  The one
    message dated by its file's mtime gets `mtime` (git keeps no mtimes)."""
    expected = []
    for mb in fixture_mailboxes(spec):
        mail = {f["path"] for f in mb["folders"]
                if f["mail"] or f.get("class") in GROUPWARE_EXPORTED}
        for m in mb["messages"]:
            if m["folder"] not in mail:
                continue
            if m.get("source_b64"):
                rel = base64.b64decode(m["source_b64"]).decode("utf-8", "surrogateescape")
            else:
                rel = m["source"]
            e = {"domain": mb["domain"], "mailbox": mb["mailbox"], "folder": m["folder"],
                 "path": os.path.join(store, rel), "rel": rel, "flags": set(m["flags"]),
                 "internaldate": m["internaldate"], "envelope_from": m["envelope_from"]}
            if m["date_source"] == "mtime":
                os.utime(e["path"], (mtime, mtime))
                e["internaldate"] = mtime
            expected.append(e)
    return expected


def copytree(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    return dst


OLD_ATIME = 1000000000  # 2001-09-09: older than every mtime in our stores


def freeze(tree):
    """Record the source before a run: every file's digest, then every
    entry's atime set to OLD_ATIME so that any read that updates access
    times (relatime does when atime < mtime) shows up in unchanged()."""
    digests = {}
    for dirpath, dirs, files in os.walk(tree):
        for n in files:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                digests[os.path.relpath(p, tree)] = sha256(read(p))
    paths = []
    for dirpath, dirs, files in os.walk(tree):
        paths += [os.path.join(dirpath, n) for n in dirs + files]
    # set atimes only after all reading is done: listing a directory updates its atime
    stats = {}
    for p in paths:
        st = os.lstat(p)
        if not os.path.islink(p):
            os.utime(p, ns=(OLD_ATIME * 10**9, st.st_mtime_ns))
    for p in paths:
        st = os.lstat(p)
        stats[os.path.relpath(p, tree)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_atime_ns)
    return digests, stats


def unchanged(tree, frozen):
    """[] when nothing in tree changed since freeze(), else what did.  Each
    entry is lstat'ed before anything reads it (os.walk reads a directory
    only after its parent listing lstat'ed it)."""
    digests, stats = frozen
    now = {}
    for dirpath, dirs, files in os.walk(tree):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            now[os.path.relpath(p, tree)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_atime_ns)
    problems = ["%s: %s -> %s" % (k, stats.get(k), now.get(k))
                for k in sorted(set(stats) | set(now)) if stats.get(k) != now.get(k)]
    for rel, digest in digests.items():
        if sha256(read(os.path.join(tree, rel))) != digest:
            problems.append("%s: content changed" % rel)
    return problems


def manifest_stable(data):
    """A manifest's bytes with the run line's "started", "ended" and "host"
    emptied: the only bytes that may differ between two runs of the same
    command (README, "Manifest")."""
    first, nl, rest = data.partition(b"\n")
    first = re.sub(rb'"(started|ended|host)":"[^"]*"', rb'"\1":""', first)
    return first + nl + rest


def tree_bytes(top):
    """{relative path: (bytes, mtime)} for comparing two exports; None for
    directories.  The mtime counts for files that hold messages (it is
    their internal date); an empty file's, a marker's or an index's (Maildir's
    subscriptions, dovecot-uidlist) is the run's time,
    and so is a manifest's (whose run line is compared without its times
    and host)."""
    out = {}
    for dirpath, dirs, files in os.walk(top):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), top)] = None
        for f in files:
            p = os.path.join(dirpath, f)
            data = read(p)
            # a manifest, or a round's record (export --incremental): the same run line
            manifest = f.endswith(".manifest.jsonl") or f.endswith(".jsonl")
            if manifest:
                data = manifest_stable(data)
            # issue 16: a Maildir folder's dovecot-uidlist is an index written at the run's time
            meta = f in ("subscriptions", "maildirfolder", "dovecot-uidlist") or not data or manifest
            out[os.path.relpath(p, top)] = (data, None if meta else int(os.stat(p).st_mtime))
    return out


def summary(err, addr):
    """The per-mailbox summary block ("mdexport: addr: exported ..." and the
    indented lines after it) in text err (export's stdout since issue 16's
    split; stdout + stderr also works), or ''."""
    out, on = [], False
    for ln in err.splitlines():
        if ln.startswith("mdexport: %s: " % addr):
            on, out = True, [ln]
        elif on and ln.startswith("  "):
            out.append(ln)
        elif on:
            on = False
    return "\n".join(out)


def tree_diff(a, b):
    """What differs between two {path: (bytes, info)} trees, one line each."""
    out = ["only in the first: %r" % k for k in sorted(set(a) - set(b))]
    out += ["only in the second: %r" % k for k in sorted(set(b) - set(a))]
    for k in sorted(set(a) & set(b)):
        if a[k] != b[k]:
            if a[k] and b[k] and a[k][0] != b[k][0]:
                x, y = a[k][0], b[k][0]
                at = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
                out.append("%r: bytes differ from offset %d (%d and %d bytes)" % (k, at, len(x), len(y)))
            else:
                out.append("%r: %r vs %r" % (k, a[k] and a[k][1], b[k] and b[k][1]))
    return out


def check_format(tap, fmt, outdir, expected, label="", use_dovecot=True):
    """check_eml/check_mbox/check_maildir by format; a reader that cannot even
    open the output is a failed check, not a crash of the whole test."""
    import traceback
    try:
        if fmt == "eml":
            check_eml(tap, outdir, expected, label)
        elif fmt == "mbox":
            check_mbox(tap, outdir, expected, label)
        else:
            check_maildir(tap, outdir, expected, label, use_dovecot=use_dovecot)
    except Exception:       # noqa: BLE001 - reported as a failed check
        tap.ok(False, "%s%s: the output can be read back" % (fmt, label), traceback.format_exc())
