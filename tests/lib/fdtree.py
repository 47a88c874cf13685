"""fdtree: read mdexport's output, and snapshot trees, through directory file
descriptors, so that paths longer than PATH_MAX (4,096 bytes) can be read
and no symbolic link is ever followed.  For the issue-10 tests (t6100,
t6200).

read_tree(top) -> {(component, ...): Entry}; components are bytes.
snapshot(top)  -> {(component, ...): (type, mode, size, mtime_ns, sha256 | link target)}
export_items(fmt, outdir, domain, mailbox) -> [(container, item)] where
    container says where in the output a message is (mbox: the .mbox file's
    path below the mailbox; Maildir: the folder directory, b"" for INBOX;
    EML: the directory; PST: the folder path under the top of the data
    file) and item is a dict with the message's bytes as the format keeps
    them, its flags and its date.
"""

import calendar
import hashlib
import mailbox
import os
import re
import stat
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e  # noqa: E402
import advnames  # noqa: E402
import pstread  # noqa: E402

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Entry:
    __slots__ = ("kind", "data", "mtime", "mode", "size", "target")

    def __init__(self, kind, data=None, mtime=None, mode=None, size=None, target=None):
        self.kind, self.data, self.mtime = kind, data, mtime
        self.mode, self.size, self.target = mode, size, target


def _read_fd_file(dfd, name):
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
    try:
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_tree(top, read_data=True, skip=()):
    """Every entry below top (not top itself), keyed by its path as a tuple of
    byte names.  skip: top-level names (bytes) left out."""
    out = {}
    top_fd = os.open(top, O_DIR)

    def walk(dfd, prefix):
        for name in sorted(os.listdir(dfd)):
            bname = os.fsencode(name)
            if not prefix and bname in skip:
                continue
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            key = prefix + (bname,)
            if stat.S_ISLNK(st.st_mode):
                out[key] = Entry("link", target=os.readlink(name, dir_fd=dfd),
                                 mode=st.st_mode, mtime=st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                out[key] = Entry("dir", mode=st.st_mode, mtime=st.st_mtime_ns)
                sub = os.open(name, O_DIR, dir_fd=dfd)
                try:
                    walk(sub, key)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(st.st_mode):
                out[key] = Entry("file", data=_read_fd_file(dfd, name) if read_data else None,
                                 mtime=st.st_mtime_ns, mode=st.st_mode, size=st.st_size)
            else:
                out[key] = Entry("other", mode=st.st_mode, mtime=st.st_mtime_ns)
    try:
        walk(top_fd, ())
    finally:
        os.close(top_fd)
    return out


def snapshot(top):
    """(path, type, mode, size, mtime, sha256 of files, link targets) of
    everything at and below top, never following a link.  A missing top
    gives {None: 'missing'}."""
    try:
        st = os.lstat(top)
    except FileNotFoundError:
        return {None: "missing"}
    out = {(): (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), None, st.st_mtime_ns,
                os.readlink(top) if stat.S_ISLNK(st.st_mode) else None)}
    if not stat.S_ISDIR(st.st_mode):
        if stat.S_ISREG(st.st_mode):
            out[()] = out[()][:2] + (st.st_size, st.st_mtime_ns,
                                     hashlib.sha256(e2e.read(top)).hexdigest())
        return out
    for k, e in read_tree(top).items():
        if e.kind == "file":
            out[k] = ("file", stat.S_IMODE(e.mode), e.size, e.mtime,
                      hashlib.sha256(e.data).hexdigest())
        elif e.kind == "link":
            out[k] = ("link", None, None, e.mtime, e.target)
        else:
            out[k] = (e.kind, stat.S_IMODE(e.mode), None, e.mtime, None)
    return out


def snapshot_diff(a, b, limit=20):
    out = ["new: %r" % (k,) for k in sorted(set(b) - set(a), key=repr)]
    out += ["gone: %r" % (k,) for k in sorted(set(a) - set(b), key=repr)]
    out += ["changed: %r: %r -> %r" % (k, a[k], b[k]) for k in sorted(set(a) & set(b), key=repr)
            if a[k] != b[k]]
    return out[:limit] + (["... %d more" % (len(out) - limit)] if len(out) > limit else [])


def long_components(top):
    """Names (bytes) below top longer than 255 bytes: impossible on Linux
    file systems, so this is a sanity check of the reading."""
    return [k for k in read_tree(top, read_data=False) if len(k[-1]) > 255]


# ---- reading an export back ---------------------------------------------------------

MBOX_FLAGS = e2e.MBOX_FLAGS
MAILDIR_FLAGS = e2e.MAILDIR_FLAGS


def _asctime(s):
    try:
        return calendar.timegm(time.strptime(s.strip(), "%a %b %d %H:%M:%S %Y"))
    except ValueError:
        return None


def _parse_mbox(data):
    """Python's mailbox.mbox on the bytes (copied to a temporary file: the
    real path may be longer than PATH_MAX)."""
    with tempfile.NamedTemporaryFile(prefix="mdx-fdtree-", suffix=".mbox") as f:
        f.write(data)
        f.flush()
        box = mailbox.mbox(f.name, create=False)
        out = []
        try:
            for key in box.iterkeys():
                m = box[key]
                raw = box.get_bytes(key)
                head = raw.split(b"\n", 2)
                status_ok = (len(head) == 3 and head[0].startswith(b"Status: ")
                             and head[1].startswith(b"X-Status: "))
                body = e2e.mboxrd_unquote(head[2]) if status_ok else raw
                sender, _, date = m.get_from().partition(" ")
                out.append({"key": hashlib.sha256(body).hexdigest(),
                            "flags": {MBOX_FLAGS[c] for c in m.get_flags() if c in MBOX_FLAGS},
                            "date": _asctime(date), "sender": sender, "status_ok": status_ok})
        finally:
            box.close()
    return out


def mailbox_root(fmt, outdir, domain, mailbox):
    """Where a mailbox's output is, by the naming rule under test."""
    d = os.path.join(outdir, advnames.out_name(domain), advnames.out_name(mailbox))
    return d + ".pst" if fmt == "pst" else d


def export_items(fmt, outdir, domain, mailbox):
    """[(container, item)] for one mailbox's output (see the module doc)."""
    root = mailbox_root(fmt, outdir, domain, mailbox)
    if fmt == "pst":
        return pst_items(root)
    tree = read_tree(root)
    out = []
    if fmt == "mbox":
        for k, e in tree.items():
            if e.kind == "file" and k[-1].endswith(b".mbox"):
                for it in _parse_mbox(e.data):
                    out.append((k, it))
    elif fmt == "eml":
        for k, e in tree.items():
            if e.kind == "file":
                out.append((k[:-1], {"key": hashlib.sha256(e.data).hexdigest(),
                                     "name": k[-1], "date": e.mtime // 10**9}))
    else:
        for k, e in tree.items():
            if e.kind != "file" or len(k) < 2 or k[-2] not in (b"cur", b"new"):
                continue
            if len(k) == 2:
                folder = b""
            elif len(k) == 3:
                folder = k[0]
            else:
                folder = b"/".join(k[:-2])       # never written: shows up as a wrong folder
            name = k[-1].decode("utf-8", "replace")
            info = name.rsplit(":2,", 1)[1] if ":2," in name else ""
            m = re.match(r"(\d+)\.", name)
            out.append((folder, {"key": hashlib.sha256(e.data).hexdigest(),
                                 "flags": {MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS},
                                 "date": e.mtime // 10**9,
                                 "name_date": int(m.group(1)) if m else None}))
    return out


def pst_folder_path(pst, nid):
    names = []
    while nid not in (0x8022, 0x122) and len(names) < 400:
        names.append(pst.node(nid).properties()[0x3001][1].decode("utf-16le"))
        nid = pst.nodes[nid][2]
    return "/".join(reversed(names))


def _filetime(raw):
    v = int.from_bytes(raw[:8], "little")
    return v // 10**7 - 11644473600


def pst_items(path):
    """Every normal message node of the PST (read by tests/lib/pstread.py):
    (folder path, {key: Message-ID, subject, read, date})."""
    pst = pstread.Pst(path)
    out = []
    for nid, (_bd, _bs, parent) in sorted(pst.nodes.items()):
        if nid & 0x1F != 0x04:
            continue
        props = pst.node(nid).properties()
        mid = props.get(0x1035, (0, b""))[1].decode("utf-16le", "replace")
        flags = int.from_bytes(props.get(0x0E07, (0, b"\0\0\0\0"))[1][:4], "little")
        dt = props.get(0x0E06)
        out.append((pst_folder_path(pst, parent),
                    {"key": mid, "read": bool(flags & 1),
                     "subject": props.get(0x0037, (0, b""))[1].decode("utf-16le", "replace"),
                     "date": _filetime(dt[1]) if dt else None}))
    return out


def want_key(fmt, e):
    if fmt == "mbox":
        return hashlib.sha256(e2e.mbox_expected(e["data"])).hexdigest()
    if fmt == "maildir":
        return hashlib.sha256(e2e.to_lf(e["data"])).hexdigest()
    if fmt == "eml":
        return hashlib.sha256(e["data"]).hexdigest()
    return e["mid"]


def item_problems(fmt, e, it):
    """Flags and dates as the format keeps them."""
    p = []
    if fmt == "mbox":
        if not it["status_ok"]:
            p.append("no Status/X-Status lines first")
        if it["flags"] != e["flags"]:
            p.append("flags %s, want %s" % (sorted(it["flags"]), sorted(e["flags"])))
        if it["date"] != e["internaldate"] or it["sender"] != e["envelope_from"]:
            p.append("From_ %s %s, want %s %s" % (it["sender"], it["date"], e["envelope_from"],
                                                  e["internaldate"]))
    elif fmt == "maildir":
        if it["flags"] != e["flags"]:
            p.append("flags %s, want %s" % (sorted(it["flags"]), sorted(e["flags"])))
        if it["date"] != e["internaldate"] or it["name_date"] != e["internaldate"]:
            p.append("mtime %s / name %s, want %s" % (it["date"], it["name_date"], e["internaldate"]))
    elif fmt == "eml":
        if not re.fullmatch(rb"\d{6,}\.eml", it["name"]):
            p.append("file name %r" % it["name"])
        if it["date"] != e["internaldate"]:
            p.append("mtime %s, want %s" % (it["date"], e["internaldate"]))
    else:
        if it["read"] != ("\\Seen" in e["flags"]):
            p.append("read %s" % it["read"])
        if it["subject"] != e["subject"]:
            p.append("subject %r" % it["subject"])
        if it["date"] != e["internaldate"]:
            p.append("delivery %s, want %s" % (it["date"], e["internaldate"]))
    return p


# ---- where each folder must go (for folders whose names need no shortening) ----------

def maildir_dirname(folder):
    """README "Maildir": Dovecot's listescape naming, and a name longer than
    255 bytes as its leading whole parts plus `mdexport-<the first 64 bits
    of the SHA-256 of the full name, hex>` (as t6000's)."""
    import dovecot
    full = dovecot.dovecot_dirname(folder).encode("utf-8")
    return full if folder == "INBOX" else e2e.maildir_long_name(full)


def pst_folder(folder):
    return "Inbox" + folder[5:] if folder == "INBOX" or folder.startswith("INBOX/") else folder


def want_container(fmt, folder):
    """The container a folder's messages must be in, or None when a
    component needs shortening (whose digest the tests do not predict)."""
    parts = folder.split("/")
    if fmt == "pst":
        return pst_folder(folder)
    if fmt == "maildir":
        return b"" if folder == "INBOX" else maildir_dirname(folder)
    suffix = ".mbox" if fmt == "mbox" else ""
    if any(not advnames.fits(p, suffix) for p in parts):
        return None
    names = [advnames.out_name(p).encode("utf-8") for p in parts]
    if fmt == "mbox":
        names[-1] += b".mbox"
    return tuple(names)


def check_export(tap, fmt, outdir, expected, label, exact_names=True):
    """The checks every issue-10 export must pass, one TAP line each:
    every message once with its bytes/flags/date; the messages of each
    source folder together in one container; distinct source folders in
    distinct containers; (exact_names) each folder where the naming rule
    says, where its name needs no shortening."""
    boxes = {}
    for e in expected:
        boxes.setdefault((e["domain"], e["mailbox"]), []).append(e)
    once, where, distinct, exact = [], [], [], []
    for (dom, box), exp in sorted(boxes.items()):
        try:
            got = export_items(fmt, outdir, dom, box)
        except Exception as ex:     # noqa: BLE001 - the finding
            once.append("%s@%s: output cannot be read: %r" % (box, dom, ex))
            continue
        index = {}
        for cont, it in got:
            index.setdefault(it["key"], []).append((cont, it))
        used = set()
        folder_conts = {}
        for e in exp:
            k = want_key(fmt, e)
            hits = index.get(k, [])
            if len(hits) != 1:
                once.append("%s@%s %s %s: found %d times" % (box, dom, e["folder"], e["mid"], len(hits)))
                continue
            used.add(k)
            cont, it = hits[0]
            folder_conts.setdefault(e["folder"], set()).add(cont)
            for p in item_problems(fmt, e, it):
                once.append("%s@%s %s %s: %s" % (box, dom, e["folder"], e["mid"], p))
        extra = sum(len(v) for k, v in index.items() if k not in used)
        if extra:
            once.append("%s@%s: %d output messages match no source message" % (box, dom, extra))
        owner = {}
        for folder, conts in sorted(folder_conts.items()):
            if len(conts) != 1:
                where.append("%s@%s folder %r is split over %r" % (box, dom, folder, sorted(conts)))
            for c in conts:
                if c in owner and owner[c] != folder:
                    distinct.append("%s@%s folders %r and %r share %r" % (box, dom, owner[c], folder, c))
                owner.setdefault(c, folder)
            if exact_names:
                want = want_container(fmt, folder)
                if want is not None and conts != {want}:
                    exact.append("%s@%s folder %r: in %r, want %r" % (box, dom, folder,
                                                                      sorted(conts), want))
    n = len(expected)
    tap.ok(not once, "%s%s: every one of %d messages exported exactly once, bytes, flags and "
           "dates as the format keeps them" % (fmt, label, n), "\n".join(once[:30]))
    tap.ok(not where, "%s%s: the messages of each source folder are together in one output "
           "folder" % (fmt, label), "\n".join(where[:30]))
    tap.ok(not distinct, "%s%s: distinct source folders go to distinct outputs" % (fmt, label),
           "\n".join(distinct[:30]))
    if exact_names:
        tap.ok(not exact, "%s%s: each folder is where the naming rule puts it (names that need "
               "no shortening)" % (fmt, label), "\n".join(exact[:30]))
