"""advnames: an adversarial name generator for mdexport's output naming
(issue 10), and a store builder that can write what it generates.

Everything here is deterministic: the same seed gives the same names, the
same store bytes and the same expected messages.

MDaemon keeps a folder as a directory `<name>.IMAP` (shared docs,
mdaemon-store.md sections 2.2 and 3), so a folder name is whatever a
directory name can hold minus the 5 bytes of `.IMAP`: at most 250 bytes and
never a '/' or a NUL.  Names the store cannot hold are left out:
  - '/' inside a component (it is the path separator on disk and in IMAP);
  - NUL;
  - the empty name (mdexport calls it "(no name)"; t9000 covers it);
  - names that the reader would decode as IMAP modified UTF-7 (anything with
    '&'): the logical name would not be the directory name;
  - a top-level `Inbox` in any case (that directory IS the INBOX container),
    so the INBOX case twins are made below a parent folder;
  - two directories whose names differ only in the case of `.IMAP` (the
    reader merges them, by design, with a warning).

Collision classes (folder_specs()):
  suffix    names ending in every suffix the tool appends (.pst .mbox .eml
            .manifest.jsonl, in several cases) and a folder `A` next to
            `A.mbox/B`, `INBOX.mbox/B`, EML's `INBOX/000001.eml`
  tool      the tool's own working names (.partial .old .lock .mdexport tmp
            cur new)
  case      Inbox/INBOX/inbox as subfolders, Foo/FOO/foo
  unicode   NFC and NFD twins (U+00E9 and e + U+0301), and the same in a
            longer name
  escape    names that differ only by '.', '%', '%2E' written literally,
            '%25', '\\', '%5C', '~', leading and trailing '.', spaces
  long      250-byte components (the store's own limit): plain, ending in a
            reserved suffix, twins differing in the last byte, all '%'
            (escapes to 3x), multi-byte UTF-8, one ending like a digest
  deep      a chain of 240-byte components reaching past 4,096 bytes, and a
            twin chain differing only in its deepest component
  random    seeded random names over an alphabet of the troublesome bytes

mailbox_specs() gives (domain, mailbox) pairs named like the tool's own
output and working files.
"""

import hashlib
import os
import random
import struct
import unicodedata

# ".jsonl": the manifests and the rounds' records (<mailbox>.round-NNN.jsonl)
RESERVED_SUFFIXES = (".pst", ".mbox", ".eml", ".jsonl")
NAME_MAX = 255
FOLDER_NAME_MAX = NAME_MAX - len(".IMAP")


# ---- the naming rule under test (README "Names" + issue 10) -------------------

def fs_escape(name):
    """README "Names": '%', '/', '\\', control bytes and DEL as %XX, a
    leading '.' as %2E, the empty name as %00."""
    if name == "":
        return "%00"
    out = bytearray()
    for i, b in enumerate(name.encode("utf-8")):
        if b < 0x20 or b == 0x7F or b in b"%/\\" or (b == 0x2E and i == 0):
            out += b"%%%02X" % b
        else:
            out.append(b)
    return out.decode("utf-8")


def out_name(name):
    """fs_escape, then issue 10: a name ending (ASCII case-insensitively) in
    a suffix the tool appends gets its last '.' written as %2E."""
    e = fs_escape(name)
    low = e.lower()
    if any(low.endswith(s) for s in RESERVED_SUFFIXES):
        i = e.rindex(".")
        e = e[:i] + "%2E" + e[i + 1:]
    return e


def fits(name, suffix=""):
    """True when out_name(name)+suffix needs no shortening."""
    return len((out_name(name) + suffix).encode("utf-8")) <= NAME_MAX


# ---- the generator -------------------------------------------------------------

def _pad(prefix, total, fill="x", suffix=""):
    """prefix + fill... + suffix, exactly `total` bytes of UTF-8."""
    body = prefix.encode("utf-8")
    tail = suffix.encode("utf-8")
    f = fill.encode("utf-8")
    need = total - len(body) - len(tail)
    n = need // len(f)
    out = body + f * n + b"y" * (need - n * len(f)) + tail
    assert len(out) == total, (prefix, total)
    return out.decode("utf-8")


def folder_specs(seed=6100, random_names=24, deep_levels=17):
    """[(class, [component, ...])]: folder paths (logical components, the
    INBOX container written as 'INBOX').  Parents are listed before their
    children; every path is distinct and no two are the same folder."""
    out = []

    def add(cls, *parts):
        out.append((cls, list(parts)))

    # suffix: every suffix the tool appends, in several cases, and the collisions
    add("suffix", "A")
    add("suffix", "A.mbox")
    add("suffix", "A.mbox", "B")
    add("suffix", "A", "B")
    add("suffix", "A.MBOX")
    add("suffix", "A.Mbox", "B.mbox")
    add("suffix", "A.pst")
    add("suffix", "A.PST")
    add("suffix", "A.eml")
    add("suffix", "A.EML", "000001.eml")
    add("suffix", "A.manifest.jsonl")
    add("suffix", "A.MANIFEST.JSONL")
    add("suffix", "A.manifest")
    add("suffix", "A.jsonl")
    add("suffix", "A%2Embox")
    add("suffix", "A.mbox.mbox")
    add("suffix", ".mbox")
    add("suffix", "mbox")
    add("suffix", "INBOX.mbox")
    add("suffix", "INBOX.mbox", "B")
    add("suffix", "INBOX", "000001.eml")
    add("suffix", "INBOX", "000002.EML")
    add("suffix", "INBOX", "000003.eml", "000001.eml")
    add("suffix", "INBOX", "x.eml")
    # tool: the tool's own working names
    for n in ("john", "john.partial", "john.old", "john.lock", ".mdexport", "%2Emdexport",
              ".partial", "partial", "tmp", "cur", "new", "lock"):
        add("tool", n)
    add("tool", "john", "john.partial")
    # case twins (INBOX only as a subfolder: a top-level Inbox is the INBOX)
    add("case", "Case")
    add("case", "Case", "Inbox")
    add("case", "Case", "INBOX")
    add("case", "Case", "inbox")
    add("case", "Case", "iNbOx")
    add("case", "Foo")
    add("case", "FOO")
    add("case", "foo")
    add("case", "INBOX", "Inbox")
    # Unicode twins: NFC and NFD
    nfc, nfd = "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9")
    assert nfc != nfd
    add("unicode", nfc)
    add("unicode", nfd)
    add("unicode", "R\u00e9sum\u00e9s.mbox")
    add("unicode", unicodedata.normalize("NFD", "R\u00e9sum\u00e9s.mbox"))
    # escape: differ only by '.', '%', '%2E', '\\', '~', dots, spaces
    for n in ("a.b", "ab", "a%2Eb", "a%2eb", "a%b", "a%25b", "a%252Eb", "a..b",
              "a.", "a..", ".a", "..a", "...", "a%2E", "%2Ea", "%2E",
              "a\\b", "a%5Cb", "a%5cb", "\\", "~a", "a~", "~", "%7Ea",
              " a", "a ", "a b", "   ", " .mbox", ".mbox "):
        add("escape", n)
    # long: 250-byte components (the store's limit: 255 - len(".IMAP"))
    L = FOLDER_NAME_MAX
    add("long", _pad("L", L))
    add("long", _pad("P%", L - 2))          # escapes to 252: fits a directory, not with .mbox
    add("long", _pad("S", L, suffix=".mbox"))
    add("long", _pad("S", L, suffix=".MANIFEST.JSONL"))
    add("long", _pad("T", L - 1) + "1")
    add("long", _pad("T", L - 1) + "2")
    add("long", _pad("T", L - 1) + ".")
    add("long", _pad("%", L, fill="%"))
    add("long", _pad("%", L - 1, fill="%") + "x")
    add("long", _pad("\u00e9", L, fill="\u00e9"))
    add("long", _pad("U", L, fill="\u00e9"))
    add("long", _pad("W", L, suffix="~0123456789abcdef"))
    add("long", _pad("L", L), _pad("L", L))
    add("long", _pad("L", L), _pad("L", L - 1) + "2")
    # deep: past 4,096 bytes (PATH_MAX) below the mailbox folder
    chain = []
    for i in range(deep_levels):
        chain.append(_pad("D%02d-" % i, 240, fill="d"))
        add("deep", *chain)
    add("deep", *(chain[:-1] + [chain[-1][:-1] + "e"]))
    add("deep", *(chain + ["leaf.mbox"]))
    add("deep", *(chain + ["leaf%2Embox"]))
    # random: seeded, over the troublesome alphabet
    rnd = random.Random(seed)
    alphabet = [".", ".", "%", "%2E", "%25", "2", "E", "e", "\\", "~", " ", "\u00e9",
                "e\u0301", "A", "a", "mbox", "eml", "pst", "manifest", "jsonl", "#", "-",
                "\u20ac", "\U0001f600", "INBOX", "Inbox"]
    have = {tuple(p) for _c, p in out}
    made = 0
    while made < random_names:
        n = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8)))
        if rnd.random() < 0.3:
            n += rnd.choice(RESERVED_SUFFIXES).upper() if rnd.random() < 0.5 \
                else rnd.choice(RESERVED_SUFFIXES)
        if not n.strip() or n.lower() == "inbox" or "&" in n:
            continue
        if len(n.encode("utf-8")) > FOLDER_NAME_MAX:
            continue
        parts = [n] if rnd.random() < 0.6 else ["Rnd", n]
        if tuple(parts) in have:
            continue
        if parts[0] == "Rnd" and ("random", ["Rnd"]) not in out:
            add("random", "Rnd")
            have.add(("Rnd",))
        have.add(tuple(parts))
        add("random", *parts)
        made += 1
    # sanity: what the store can hold, parents first, no duplicates
    seen = set()
    for cls, parts in out:
        for c in parts:
            b = c.encode("utf-8")
            assert c and "/" not in c and "\0" not in c and "&" not in c, (cls, c)
            assert len(b) <= FOLDER_NAME_MAX, (cls, len(b))
        assert tuple(parts) not in seen, parts
        seen.add(tuple(parts))
    return out


def all_folders(specs):
    """Every folder path the specs make, parents included, as tuples."""
    out = {("INBOX",)}
    for _cls, parts in specs:
        for i in range(1, len(parts) + 1):
            out.add(tuple(parts[:i]))
    return sorted(out)


def mailbox_specs():
    """[(domain, mailbox)]: names like the tool's own outputs and working
    files, their case twins, and domains that end in reserved suffixes or
    look like the working folder."""
    boxes = ["john", "John", "john.old", "john.partial", "john.manifest.jsonl",
             "JOHN.MANIFEST.JSONL", "john.manifest", "john.pst", "john.PST", "john.mbox",
             "john.eml", "john.lock", ".mdexport", "%2Emdexport", "mdexport",
             "john.pst.partial", "john.manifest.jsonl.partial"]
    out = [("example.com", b) for b in boxes]
    out += [("mail.pst", "john"), ("mail.pst", "john.pst"), ("Mail.PST", "john"),
            (".mdexport", "john"), ("example.eml", "a.manifest.jsonl")]
    return out


# ---- writing a store (directory fds: paths may exceed PATH_MAX) ------------------

def _mkdir_at(dfd, name):
    try:
        os.mkdir(name, 0o755, dir_fd=dfd)
    except FileExistsError:
        pass
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)


def _write_at(dfd, name, data, mtime=None):
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd)
    try:
        os.write(fd, data)
        if mtime is not None:
            os.utime(fd, (mtime, mtime))
    finally:
        os.close(fd)


def mrk_bytes(uidvalidity, records):
    """IMAP.MRK (tools/mdstore.py's layout): 36-byte header, 36-byte records."""
    out = struct.pack("<8I", 1, uidvalidity, len(records) + 1, len(records), 0, 0, 0, 0)
    out += b"\r\n\x00\x00"
    for name, flags, uid, size, date in records:
        out += struct.pack("<23sBIII", name.encode("ascii"), flags, uid, size, date)
    return out


FLAG_BITS = ((0x20, "\\Seen"), (0x10, "\\Answered"), (0x08, "\\Flagged"),
             (0x04, "\\Deleted"), (0x02, "\\Draft"))


class Store:
    """A store written under root, message by message, with what an export
    must give (one dict per message: domain, mailbox, folder, data, flags,
    internaldate, envelope_from, mid, rel)."""

    def __init__(self, root, tag="adv"):
        self.root = root
        self.tag = tag
        self.expected = []
        self.folders = {}          # (domain, mailbox) -> set of logical folder names
        self.n = 0
        os.makedirs(os.path.join(root, "Users"), exist_ok=True)

    def _dirs(self, folder):
        """On-disk directory names below the mailbox folder for a logical folder."""
        parts = list(folder)
        if parts == ["INBOX"]:
            return []
        if parts[0] == "INBOX":
            return ["Inbox.IMAP"] + [p + ".IMAP" for p in parts[1:]]
        return [p + ".IMAP" for p in parts]

    def add_folder(self, domain, mailbox, folder, count=1):
        """Create the folder (and its parents) with `count` messages."""
        folder = tuple(folder)
        key = (domain, mailbox)
        self.folders.setdefault(key, set()).add("/".join(folder))
        top = os.open(os.path.join(self.root, "Users"), os.O_RDONLY | os.O_DIRECTORY)
        fds = [top]
        try:
            for name in [domain, mailbox] + self._dirs(folder):
                fds.append(_mkdir_at(fds[-1], name))
            dfd = fds[-1]
            recs = []
            for i in range(count):
                self.n += 1
                n = self.n
                fname = "md5%011d.msg" % n
                flags = (0x20, 0x30, 0x08, 0x22, 0x00, 0x28, 0x10)[n % 7]
                date = 1600000000 + n * 3607
                mid = "<%s-%d@t6100.example>" % (self.tag, n)
                data = ("Return-Path: <sender%d@example.net>\r\n"
                        "From: Sender %d <sender%d@example.net>\r\n"
                        "To: %s@%s\r\n"
                        "Subject: %s message %d\r\n"
                        "Message-ID: %s\r\n"
                        "Date: Mon, 14 Sep 2020 12:00:00 +0000\r\n"
                        "\r\n"
                        "Message %d in folder %r of %s@%s.\r\n"
                        "From here a line that mboxrd quotes.\r\n"
                        % (n, n, n, "box", "example.net", self.tag, n, mid, n,
                           "/".join(folder), mailbox, domain)).encode("utf-8")
                _write_at(dfd, fname, data, mtime=date + 17)
                recs.append((fname, flags, i + 1, len(data), date))
                self.expected.append({
                    "domain": domain, "mailbox": mailbox, "folder": "/".join(folder),
                    "data": data, "flags": {nm for bit, nm in FLAG_BITS if flags & bit},
                    "internaldate": date, "envelope_from": "sender%d@example.net" % n,
                    "mid": mid, "n": n,
                    "subject": "%s message %d" % (self.tag, n)})
            _write_at(dfd, "IMAP.MRK", mrk_bytes(100 + len(folder), recs))
        finally:
            for fd in fds:
                os.close(fd)


def build_names_store(root, seed=6100):
    """The store t6100 exports: mailbox adv@example.com holds every folder
    of folder_specs() (INBOX 3 messages, the others 1 each); every
    mailbox_specs() mailbox holds 2 messages in INBOX and one in a folder
    named like its own output."""
    st = Store(root, "adv")
    specs = folder_specs(seed)
    st.add_folder("example.com", "adv", ("INBOX",), count=3)
    for f in all_folders(specs):
        if f != ("INBOX",):
            st.add_folder("example.com", "adv", f, count=1)
    for dom, box in mailbox_specs():
        st.add_folder(dom, box, ("INBOX",), count=2)
        st.add_folder(dom, box, (box + ".mbox",), count=1)
    return st, specs


def digest(data):
    return hashlib.sha256(data).hexdigest()
