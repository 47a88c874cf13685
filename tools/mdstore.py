"""mdstore: write the on-disk pieces of an MDaemon mail store (test tooling).

Standard library only. Used by tools/mkfixture (hand-made fixture) and
tools/mkstore (large store built from a mail corpus). Everything written here
is deterministic: no clocks, no randomness.

Formats (see shared docs/mdaemon-store.md sections 4, 5, 6, 9):

* ``*.msg``      RFC 5322 message, CRLF line ends, no leading mbox ``From `` line.
* ``IMAP.MRK``   little-endian; 36-byte header (9 x uint32: version, uidvalidity,
                 uidnext, lastwritecounter, 4 x filler 0, CRLF word 0d 0a 00 00)
                 then 36-byte records ``<23sBIII``: filename (NUL padded, name
                 only), flags, uid, size (= file size), date (Unix UTC seconds).
* ``Hiwater.mrk`` INI text, CRLF: ``[IMAPSubscribed]`` (root) and/or
                 ``[Groupware]`` ``FolderClass=IPF.xxx`` (folder).
* ``userlist.dat`` one 237-byte line per account: Domain 45, Mailbox 30,
                 FullName 30, MailDir 90, Password 20, 10 Y/N flags,
                 MaxMessageCount 4, MaxDiskSpace 6, CRLF; space padded, cp1252.

The rules that decide what an exporter must produce (internal date, envelope
sender, flag names) live here too, so that mkfixture and mkstore compute their
expected/truth data the same way:

* internal date: the IMAP.MRK record date when a record exists; else the
  ``X-MDArrival-Date:`` header; else the file mtime.
* envelope sender: the first ``X-Return-Path:`` header, else the first
  ``Return-Path:`` header (top-most wins); the address is the first
  whitespace-delimited word of what is between ``<`` and ``>`` when the
  value has a ``<``, else of the whole value; a header whose address comes
  out empty (``<>``, blank) is skipped; nothing left -> ``MAILER-DAEMON``.
* flags: Seen, Answered, Flagged, Deleted, Draft as IMAP names in that order;
  ``\\Recent`` is never exported.
"""

import base64
import email.utils
import os
import struct

# ---------------------------------------------------------------------------
# IMAP.MRK

MRK_HEADER_SIZE = 36
MRK_RECORD_SIZE = 36
MRK_RECORD_SIZE_64 = 40  # hypothetical 64-bit time_t layout (doc section 5.2)
MRK_NAME_MAX = 22        # 23-byte field including the NUL
MRK_CRLF_WORD = b"\r\n\x00\x00"

SEEN = 0x20
ANSWERED = 0x10
FLAGGED = 0x08
DELETED = 0x04
DRAFT = 0x02
RECENT = 0x01

FLAG_NAMES = (
    (SEEN, "\\Seen"),
    (ANSWERED, "\\Answered"),
    (FLAGGED, "\\Flagged"),
    (DELETED, "\\Deleted"),
    (DRAFT, "\\Draft"),
)


def flag_names(bits):
    """IMAP flag names for a record's flag byte; never \\Recent."""
    return [name for bit, name in FLAG_NAMES if bits & bit]


def _fsencode(name):
    return name if isinstance(name, bytes) else name.encode("ascii")


def mrk_header(uidvalidity, uidnext, lastwrite=0, version=1):
    """The 36-byte IMAP.MRK header."""
    return struct.pack("<8I", version, uidvalidity, uidnext, lastwrite,
                       0, 0, 0, 0) + MRK_CRLF_WORD


def mrk_record(filename, flags, uid, size, date):
    """One 36-byte record (``<23sBIII``)."""
    name = _fsencode(filename)
    if len(name) > MRK_NAME_MAX:
        raise ValueError("IMAP.MRK file name longer than 22 bytes: %r" % name)
    return struct.pack("<23sBIII", name, flags, uid, size, date)


def mrk_record64(filename, flags, uid, size, date):
    """One 40-byte record with an int64 date at offset 32 (the layout a
    64-bit time_t build would give; not documented, used to test the
    fallback detector)."""
    name = _fsencode(filename)
    if len(name) > MRK_NAME_MAX:
        raise ValueError("IMAP.MRK file name longer than 22 bytes: %r" % name)
    return struct.pack("<23sBIIq", name, flags, uid, size, date)


def _record_tuple(rec):
    if isinstance(rec, dict):
        return (rec["filename"], rec.get("flags", 0), rec["uid"],
                rec.get("size", 0), rec.get("date", 0))
    return tuple(rec)


def mrk_bytes(uidvalidity, uidnext, records, version=1, torn_tail=b"",
              lastwrite=None, record_size=MRK_RECORD_SIZE):
    """Bytes of a whole IMAP.MRK. ``records`` are (filename, flags, uid,
    size, date) tuples or dicts with those keys, written in the given order.
    ``torn_tail`` is appended verbatim after the records (use it to make a
    torn file, e.g. ``mrk_record(...)[:18]``). ``record_size`` 40 writes the
    hypothetical 64-bit-date layout."""
    recs = [_record_tuple(r) for r in records]
    if lastwrite is None:
        lastwrite = len(recs)
    if record_size == MRK_RECORD_SIZE:
        pack = mrk_record
    elif record_size == MRK_RECORD_SIZE_64:
        pack = mrk_record64
    else:
        raise ValueError("record_size must be 36 or 40")
    out = [mrk_header(uidvalidity, uidnext, lastwrite, version)]
    out.extend(pack(*r) for r in recs)
    out.append(torn_tail)
    return b"".join(out)


def write_mrk(path, uidvalidity, uidnext, records, version=1, torn_tail=b"",
              lastwrite=None, record_size=MRK_RECORD_SIZE):
    """Write an IMAP.MRK file (see mrk_bytes). Returns the bytes written."""
    data = mrk_bytes(uidvalidity, uidnext, records, version, torn_tail,
                     lastwrite, record_size)
    write_bytes(path, data)
    return data


# ---------------------------------------------------------------------------
# .msg

def normalize_crlf(data):
    """Bare LF -> CRLF; existing CRLF and lone CR are kept as they are; a
    missing final line end is not added."""
    if b"\n" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def strip_mbox_from(data):
    """Drop a leading mbox ``From `` separator line (not part of the
    message), if there is one."""
    if data.startswith(b"From "):
        nl = data.find(b"\n")
        return b"" if nl < 0 else data[nl + 1:]
    return data


def write_msg(path, data):
    """Write a .msg file with CRLF line ends. ``data`` is bytes (or str,
    encoded UTF-8). Returns the bytes written."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = normalize_crlf(data)
    write_bytes(path, data)
    return data


# ---------------------------------------------------------------------------
# Hiwater.mrk

def hiwater_bytes(folder_class=None, subscribed=None, extra=None,
                  encoding="cp1252"):
    """INI text, CRLF. ``subscribed``: iterable of folder display names for
    ``[IMAPSubscribed]`` (root file). ``folder_class``: ``[Groupware]
    FolderClass=``. ``extra``: list of (section, [(key, value), ...]) added
    after those. No arguments -> empty file."""
    sections = []
    if subscribed is not None:
        sections.append(("IMAPSubscribed", [(n, "") for n in subscribed]))
    if folder_class is not None:
        sections.append(("Groupware", [("FolderClass", folder_class)]))
    if extra:
        sections.extend(extra)
    lines = []
    for i, (name, items) in enumerate(sections):
        if i:
            lines.append("")
        lines.append("[%s]" % name)
        lines.extend("%s=%s" % kv for kv in items)
    if not lines:
        return b""
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def write_hiwater(path, folder_class=None, subscribed=None, extra=None,
                  encoding="cp1252"):
    data = hiwater_bytes(folder_class, subscribed, extra, encoding)
    write_bytes(path, data)
    return data


# ---------------------------------------------------------------------------
# userlist.dat

USERLIST_FIELDS = (
    ("domain", 45), ("mailbox", 30), ("fullname", 30), ("maildir", 90),
    ("password", 20), ("flags", 10), ("max_messages", 4), ("max_disk", 6),
)
USERLIST_RECORD = 237
# AutoDecode, IsForwarding, AccessType, AllowChangeViaEmail, KeepForwardedMail,
# HideFromEveryone, ProcessCalendarRequests, ApplyQuotas, EnableMultiPOP,
# LocalOnly (doc section 9.1 example)
USERLIST_DEFAULT_FLAGS = "NNYNYNNYNN"


def userlist_line(account, encoding="cp1252"):
    """One 237-byte userlist.dat record. ``account`` is a dict with domain,
    mailbox, fullname, maildir and optional password (20 chars of junk by
    default), flags (10 chars), max_messages, max_disk."""
    acc = dict(account)
    acc.setdefault("fullname", "")
    acc.setdefault("password", "")
    acc.setdefault("flags", USERLIST_DEFAULT_FLAGS)
    acc.setdefault("max_messages", 0)
    acc.setdefault("max_disk", 0)
    if len(acc["flags"]) != 10 or any(c not in "YNPIC" for c in acc["flags"]):
        raise ValueError("flags must be 10 of Y/N (AccessType also P/I/C)")
    out = b""
    for key, width in USERLIST_FIELDS:
        val = acc[key]
        if isinstance(val, int):
            val = "%0*d" % (width, val)
        raw = val if isinstance(val, bytes) else val.encode(encoding)
        if len(raw) > width:
            raise ValueError("userlist %s too long (%d > %d): %r"
                             % (key, len(raw), width, val))
        out += raw.ljust(width, b" ")
    out += b"\r\n"
    assert len(out) == USERLIST_RECORD
    return out


def write_userlist(path, accounts, encoding="cp1252"):
    data = b"".join(userlist_line(a, encoding) for a in accounts)
    write_bytes(path, data)
    return data


# ---------------------------------------------------------------------------
# headers: envelope sender, arrival date

def header_block(data):
    """The header part of a message (bytes, up to the first empty line)."""
    if data.startswith(b"\r\n") or data.startswith(b"\n"):
        return b""
    ends = [i for i in (data.find(b"\n\r\n"), data.find(b"\n\n")) if i >= 0]
    return data[:min(ends) + 1] if ends else data


def headers(data):
    """List of (lower-case name, unfolded value) as bytes, in order."""
    out = []
    for line in header_block(data).replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if out:
                out[-1][1] += b" " + line.strip()
            continue
        colon = line.find(b":")
        if colon <= 0:
            continue
        name = line[:colon].strip().lower()
        out.append([name, line[colon + 1:].strip()])
    return [(n, v) for n, v in out]


def first_header(data, name):
    name = name.lower().encode("ascii")
    for n, v in headers(data):
        if n == name:
            return v
    return None


def _address(value):
    lt = value.find(b"<")
    if lt >= 0:
        gt = value.find(b">", lt + 1)
        value = value[lt + 1:] if gt < 0 else value[lt + 1:gt]
    parts = value.split()
    return parts[0] if parts else b""


def envelope_from(data):
    """Envelope sender per the rule in the module docstring (str)."""
    hdrs = headers(data)
    for want in (b"x-return-path", b"return-path"):
        for n, v in hdrs:
            if n == want:
                addr = _address(v)
                if addr:
                    return addr.decode("utf-8", "replace")
                break  # only the first header of each name counts
    return "MAILER-DAEMON"


def rfc2822_date(t, offset_minutes=0):
    """RFC 2822 date string for Unix time ``t`` shown in the given zone."""
    import datetime
    tz = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    return email.utils.format_datetime(
        datetime.datetime.fromtimestamp(t, tz))


def parse_date(value):
    """Unix seconds for an RFC 2822 date (bytes or str), or None."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        import datetime
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


def arrival_date(data):
    """Unix seconds of the X-MDArrival-Date header, or None."""
    v = first_header(data, "X-MDArrival-Date")
    return None if v is None else parse_date(v)


# ---------------------------------------------------------------------------
# files, paths, mtimes

def write_bytes(path, data):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def set_mtime(path, t):
    """Set atime and mtime of ``path`` to Unix time ``t``."""
    os.utime(path, (t, t))


def set_tree_mtimes(root, t):
    """Set atime/mtime of every file and directory under ``root`` (and root
    itself) to ``t``; directories last, deepest first, so that setting a
    file's time does not disturb its directory's."""
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (t, t),
                     follow_symlinks=False)
        os.utime(dirpath, (t, t))


def rel_source(root, path):
    """``{"source": "a/b"}`` for a path under ``root`` ('/' separators, raw
    names), or ``{"source_b64": ...}`` when the raw bytes are not UTF-8."""
    rel = os.path.relpath(os.fsencode(path), os.fsencode(root))
    rel = rel.replace(os.sep.encode(), b"/")
    try:
        return {"source": rel.decode("utf-8")}
    except UnicodeDecodeError:
        return {"source_b64": base64.b64encode(rel).decode("ascii")}


def windows_maildir(prefix, *parts):
    """``C:\\MDaemon`` + parts -> ``C:\\MDaemon\\Users\\d\\m\\``."""
    return "\\".join([prefix.rstrip("\\")] + list(parts)) + "\\"
