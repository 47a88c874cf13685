#!/usr/bin/env python3
"""THE RULE ("header text to Unicode", README: "Header text and charsets")
written again in Python, standard library only, as a test oracle for the
PST writer's C implementation.  It shares nothing with it: encoded words
(rule 3) and raw 8-bit runs (rule 4) are decoded here by hand, not by
email.header; only the address structure (email._parseaddr) and the MIME
tree (email.parser, compat32) come from the standard library.

    candidates(msg_bytes, fallbacks)   the charsets raw 8-bit text is tried in
    decode_text(raw_bytes, cands)      a field value (Subject) as Unicode
    display_names(raw_bytes, cands)    an address field's names (or addresses)
    attachment_names(msg_bytes, cands) the PST's attachment names, in its order

Run with --selftest for a dozen cases of the rule."""

import codecs
import email.parser
import email.policy
import re
import sys
from email import _parseaddr

DEFAULT_FALLBACKS = ("windows-1252",)

# rule 2: a name as the Windows code page Outlook reads it (Python codec names)
_OUTLOOK = {}
for _names, _cp in (
        (("gb2312", "gbk", "x-gbk", "cp936", "euc-cn"), "gbk"),
        (("gb18030",), "gb18030"),
        (("ks_c_5601-1987", "ks_c_5601", "euc-kr", "cp949", "ks_c_5601-1989"), "cp949"),
        (("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j"), "cp932"),
        (("big5", "cp950"), "cp950"),
        (("iso-8859-1", "latin1", "l1", "iso_8859-1"), "cp1252"),
        (("iso-8859-9", "latin5"), "cp1254"),
        (("tis-620", "iso-8859-11"), "cp874")):
    for _n in _names:
        _OUTLOOK[_n] = _cp

# codecs Python has that are no charset a mail can declare
_NOT_CHARSETS = {"idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined",
                 "mbcs", "oem", "palmos", "charmap"}

_UNIVERSAL = {"us-ascii", "ascii", "utf-8", "utf8"}


def codec(name):
    """The Python codec a charset name is read in (rule 2), or None when no
    converter knows it.  us-ascii is ASCII: 8-bit bytes are invalid in it."""
    if not name:
        return None
    n = name.strip().lower()
    if n in _OUTLOOK:
        return _OUTLOOK[n]
    if n in ("us-ascii", "ascii"):
        return "ascii"
    try:
        info = codecs.lookup(n)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


# ---- the message's structure ------------------------------------------------

def parse(msg_bytes):
    """The message's MIME tree (email.parser, compat32), for candidates()
    and attachment_names() to share."""
    return _parse(msg_bytes)


def _parse(msg_bytes):
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(msg_bytes)


def _raw(value):
    """A compat32 header value (str, 8-bit bytes as surrogates) as its bytes."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    return value.encode("ascii", "surrogateescape")


def raw_headers(part, name):
    """Every raw value of a header field of a parsed part, as bytes, in order."""
    want = name.lower()
    return [_raw(v) for k, v in part._headers if k.lower() == want]


def header_block(msg_bytes):
    """The message's header fields [(name bytes, raw value bytes)], in order,
    read from the bytes themselves (folding kept, for rule 0)."""
    out = []
    end = re.search(rb"\n\r?\n", msg_bytes)
    for line in re.split(rb"\r?\n", msg_bytes[:end.start()] if end else msg_bytes):
        if line in (b"", b"\r"):
            break
        if line[:1] in (b" ", b"\t"):
            if out:
                out[-1][1] += b"\n" + line
            continue
        name, colon, rest = line.partition(b":")
        if colon and name and not re.search(rb"[\x00- \x7f-\xff]", name.rstrip(b" \t")):
            out.append([name.rstrip(b" \t"), rest])
    return [(n, v) for n, v in out]


def field(msg_bytes, name):
    """The first `name` field's raw value, or None."""
    want = name.lower().encode()
    for n, v in header_block(msg_bytes):
        if n.lower() == want:
            return v
    return None


def _type(part):
    """The part's type as a MIME parser reads it: the first word of
    Content-Type ("TEXT/PLAIN charset=x" is text/plain), lower case; the
    default (text/plain, message/rfc822 in a digest) when none or invalid."""
    raw = _part_raw(part, "Content-Type")
    if raw is not None:
        word = re.split(rb"[;\s]", unfold(raw), 1)[0].strip().lower()
        if re.fullmatch(rb"[!#-'*+.0-9A-Z^-z{|}~-]+/[!#-'*+.0-9A-Z^-z{|}~-]+", word):
            return word.decode("ascii")
    return part.get_default_type()


def _maintype(part):
    return _type(part).split("/", 1)[0]


def _is_multipart(part):
    return part.get_content_maintype() == "multipart"


def _leaves(part):
    """The leaves of the MIME tree in depth-first order; an attached message
    is one leaf (what is inside it is not this message's)."""
    if _is_multipart(part) and isinstance(part.get_payload(), list):
        for sub in part.get_payload():
            yield from _leaves(sub)
    else:
        yield part


def _charset_param(part):
    v = part.get_param("charset")
    if isinstance(v, tuple):            # RFC 2231 charset*=: its value
        v = v[2]
    if v is None:
        return None
    return _raw(v).decode("latin-1").strip().strip('"').strip()


class Cands(list):
    """The candidates (codec names, UTF-8 first); .declared: how many after
    UTF-8 the message declared (the rest are fallbacks)."""
    declared = 0


def candidates(msg_bytes, fallbacks=DEFAULT_FALLBACKS):
    """(msg_bytes: the message's bytes, or the message as parse() gives it)
    Rule 1: UTF-8, the charsets the message declares for its text parts
    (depth-first, known ones, once each), then the fallbacks: as codecs."""
    out = Cands(["utf-8"])
    seen = set()
    msg = _parse(msg_bytes) if isinstance(msg_bytes, bytes) else msg_bytes
    for leaf in _leaves(msg):
        if _maintype(leaf) != "text":
            continue
        cs = _charset_param(leaf)
        if not cs or cs.lower() in _UNIVERSAL or cs.lower() in seen:
            continue
        seen.add(cs.lower())
        c = codec(cs)
        if c and c not in out:
            out.append(c)
    out.declared = len(out) - 1
    for cs in fallbacks:
        c = codec(cs)
        if c and c not in out:
            out.append(c)
    return out


# ---- rules 0, 3 and 4: a value to Unicode --------------------------------------

def unfold(raw):
    """Rule 0: CR and LF removed, spaces and tabs at the ends, NULs dropped."""
    return raw.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"").strip(b" \t")


_EW = re.compile(rb"=\?([^? \t]+)\?([BbQq])\?([^? \t]*)\?=")
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def decode_b(text):
    """B encoding as the rule says: alphabet only, up to the first '=', a
    final group of 2 or 3 characters gives its whole bytes, a lone one none."""
    bits = nbits = 0
    out = bytearray()
    for ch in text:
        if ch == 0x3D:
            break
        i = _B64.find(bytes((ch,)))
        if i < 0:
            continue
        bits = (bits << 6 | i) & 0xFFFFFF
        nbits += 6
        if nbits >= 8:
            nbits -= 8
            out.append(bits >> nbits & 0xFF)
    return bytes(out)


def decode_q(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == 0x5F:
            out.append(0x20)
        elif c == 0x3D and re.fullmatch(rb"[0-9A-Fa-f]{2}", text[i + 1:i + 3]):
            out.append(int(text[i + 1:i + 3], 16))
            i += 2
        else:
            out.append(c)
        i += 1
    return bytes(out)


def _hexes(b):
    return "".join("\\x%02x" % x for x in b)


# Set to a list by a caller that wants to know every (bytes, codec, text or
# None when not valid) tried in a charset other than UTF-8/ASCII (t3500 checks them against
# glibc's iconv tables, which the C side uses); None: not recorded.
TRACE = None


def _trace(data, cs, text):
    if TRACE is not None and cs not in ("utf-8", "ascii"):
        TRACE.append((bytes(data), cs, text))
    return text


def _decodes(data, cs, at_end):
    """The text of data in cs when every byte decodes (an incomplete
    character at the very end allowed when at_end and a whole character
    beyond ASCII comes before it: shown as \\xNN), else None."""
    try:
        if not at_end:
            return _trace(data, cs, data.decode(cs))
        dec = codecs.getincrementaldecoder(cs)()
        text = dec.decode(data, False)
        pending = dec.getstate()[0]
        if pending and all(ord(ch) < 0x80 for ch in text):
            raise UnicodeDecodeError(cs, data, len(data) - len(pending), len(data),
                                     "a cut character with nothing beyond ASCII before it")
        _trace(data[:len(data) - len(pending)], cs, text)
        return text + _hexes(pending)
    except UnicodeDecodeError:
        _trace(data, cs, None)
        return None


def _lossless(data, cs):
    """data in cs, every byte that does not decode shown as \\xNN; after a
    bad byte decoding starts again at the next one."""
    out = []
    while data:
        try:
            out.append(data.decode(cs))
            break
        except UnicodeDecodeError as e:
            out.append(data[:e.start].decode(cs) if e.start else "")
            out.append(_hexes(data[e.start:e.start + 1]))
            data = data[e.start + 1:]
    return "".join(out)


def decode_run(data, cands, at_end):
    """Rule 4: one run of raw text."""
    if all(b < 0x80 for b in data):
        return data.decode("ascii")
    for cs in cands:
        text = _decodes(data, cs, at_end)
        if text is not None:
            return text
    return _lossless(data, cands[1] if len(cands) > 1 else cands[0])


def _convert_word(data, cs_name, cands):
    """Rule 3: an encoded word's (or a group's) bytes from its charset; not
    valid in it: UTF-8 or a charset the message declares, whichever first
    holds them whole, else the word's charset with \\xNN for what it cannot
    read.  An unknown charset or US-ASCII: rule 4."""
    cs = codec(cs_name)
    if not cs or cs == "ascii":
        return decode_run(data, cands, False)
    declared = list(cands[1:1 + getattr(cands, "declared", 0)])
    for c in [cs, "utf-8"] + declared:
        try:
            return _trace(data, c, data.decode(c))
        except UnicodeDecodeError:
            _trace(data, c, None)
    return _lossless(data, cs)


def decode_value(value, cands):
    """Rules 3 and 4 on an already unfolded value (bytes)."""
    pieces = []                 # ("ew", charset, bytes) or ("raw", bytes)
    pos = 0
    for m in _EW.finditer(value):
        if m.start() > pos:
            pieces.append(("raw", value[pos:m.start()]))
        cs = m.group(1).split(b"*", 1)[0].decode("latin-1")
        data = decode_b(m.group(3)) if m.group(2) in b"Bb" else decode_q(m.group(3))
        pieces.append(("ew", cs, data))
        pos = m.end()
    if pos < len(value):
        pieces.append(("raw", value[pos:]))
    # whitespace between two encoded words goes
    kept = []
    for i, p in enumerate(pieces):
        if (p[0] == "raw" and 0 < i < len(pieces) - 1 and pieces[i - 1][0] == "ew" and
                pieces[i + 1][0] == "ew" and not p[1].strip(b" \t")):
            continue
        kept.append(p)
    # adjacent words of one charset: their bytes joined, converted as one
    groups = []
    for p in kept:
        if (p[0] == "ew" and groups and groups[-1][0] == "ew" and
                groups[-1][1].lower() == p[1].lower()):
            groups[-1] = ("ew", groups[-1][1], groups[-1][2] + p[2])
        else:
            groups.append(p)
    out = []
    for i, g in enumerate(groups):
        if g[0] == "raw":
            out.append(decode_run(g[1], cands, i == len(groups) - 1))
        else:
            out.append(_convert_word(g[2], g[1], cands))
    return "".join(out)


def decode_text(raw_bytes, cands):
    """A header field's raw value (Subject) as Unicode: rules 0, 3 and 4."""
    return decode_value(unfold(raw_bytes), cands)


# ---- rule 5: addresses ----------------------------------------------------------

def addresses(raw_bytes):
    """[(name bytes, address bytes)] of an address field, groups flattened,
    quoting removed, as the standard library's RFC 2822 parser reads it."""
    s = unfold(raw_bytes).decode("latin-1")
    return [(n.encode("latin-1"), a.encode("latin-1"))
            for n, a in _parseaddr.AddressList(s).addresslist]


def display_names(raw_bytes, cands):
    """Each address's display name decoded (rules 3, 4), or its address
    (only raw 8-bit text in it decoded: an address is no display name, an
    encoded word in it stays as written)."""
    out = []
    for name, addr in addresses(raw_bytes or b""):
        text = decode_value(name.strip(b" \t"), cands)
        out.append(text if text else decode_run(addr, cands, True) if addr else "")
    return out


# ---- rule 6: attachment file names -------------------------------------------------

def _split_params(value):
    """[(name lower, value bytes, quoted)] of a Content-Type/-Disposition value."""
    out = []
    i, n = 0, len(value)
    # skip the type itself
    while i < n and value[i:i + 1] != b";":
        i += 1
    while i < n:
        i += 1                                  # the ';'
        while i < n and value[i:i + 1] in b" \t":
            i += 1
        j = i
        while j < n and value[j:j + 1] not in b"=;":
            j += 1
        pname = value[i:j].strip(b" \t").lower()
        if j >= n or value[j:j + 1] == b";":
            i = j
            continue
        j += 1
        while j < n and value[j:j + 1] in b" \t":
            j += 1
        if value[j:j + 1] == b'"':
            j += 1
            v = bytearray()
            while j < n and value[j:j + 1] != b'"':
                if value[j:j + 1] == b"\\" and j + 1 < n:
                    j += 1
                v += value[j:j + 1]
                j += 1
            j += 1
            while j < n and value[j:j + 1] != b";":
                j += 1
            out.append((pname, bytes(v), True))
        else:
            k = j
            while k < n and value[k:k + 1] != b";":
                k += 1
            out.append((pname, value[j:k].strip(b" \t"), False))
            j = k
        i = j
    return out


def _pct(b):
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes((int(m.group(1), 16),)), b)


def param(raw_value, name, cands):
    """A parameter decoded by rule 6 (RFC 2231 first), or None when absent or empty."""
    params = _split_params(unfold(raw_value))
    name = name.encode()
    sections = {}
    for pn, v, _q in params:
        m = re.fullmatch(re.escape(name) + rb"\*(\d+)(\*?)", pn)
        if m:
            sections.setdefault(int(m.group(1)), (v, bool(m.group(2))))
        elif pn == name + b"*":
            sections.setdefault(0, (v, True))
    if 0 in sections:
        data = bytearray()
        charset = None
        k = 0
        while k in sections:
            v, encoded = sections[k]
            if k == 0 and encoded:
                parts = v.split(b"'", 2)
                if len(parts) == 3:
                    charset, v = parts[0].decode("latin-1"), parts[2]
            data += _pct(v) if encoded else v
            k += 1
        cs = codec(charset) if charset else None
        text = None
        if cs:
            try:
                text = bytes(data).decode(cs)
            except UnicodeDecodeError:
                text = None
        if text is None:
            text = decode_run(bytes(data), cands, False)
        return text or None
    for pn, v, _q in params:
        if pn == name:
            text = decode_value(v.strip(b" \t"), cands)
            return text or None
    return None


def _part_raw(part, name):
    vals = raw_headers(part, name)
    return vals[0] if vals else None


def file_name(part, cands):
    """Content-Disposition's filename, else Content-Type's name (rule 6)."""
    cd = _part_raw(part, "Content-Disposition")
    fn = param(cd, "filename", cands) if cd else None
    if fn is None:
        ct = _part_raw(part, "Content-Type")
        fn = param(ct, "name", cands) if ct else None
    return fn


def _is_attachment_disposition(part):
    cd = _part_raw(part, "Content-Disposition")
    if not cd:
        return False
    return unfold(cd).split(b";", 1)[0].strip(b" \t").lower() == b"attachment"


def _first_text(part, subtype):
    """formats/pst/message.c find_text: the first text/<subtype> leaf below
    multiparts that is not Content-Disposition: attachment."""
    if _is_multipart(part):
        if isinstance(part.get_payload(), list):
            for sub in part.get_payload():
                t = _first_text(sub, subtype)
                if t is not None:
                    return t
        return None
    if _type(part) == "text/" + subtype and not _is_attachment_disposition(part):
        return part
    return None


_MESSAGE_PARTS = ("message/rfc822", "message/news", "message/global")


def _attachment_parts(part, body, html, out):
    """formats/pst/attach.c collect: every leaf but the text and HTML
    bodies, depth-first; a multipart whose boundary never comes is one."""
    if _is_multipart(part):
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                _attachment_parts(sub, body, html, out)
        elif payload:
            out.append(part)
        return
    if part is not body and part is not html:
        out.append(part)


def _smime_layout(msg):
    """Whether the PST holds the message as Outlook's S/MIME classes do
    ([MS-OXOSMIME]): a multipart/signed message (any protocol) as its one
    smime.p7m, an application/(x-)pkcs7-mime one (or application/octet-stream
    named *.p7m) likewise."""
    t = _type(msg)
    if t == "multipart/signed":
        return True
    if t in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        return True
    if t == "application/octet-stream":
        raw = _part_raw(msg, "Content-Type") or b""
        raw += _part_raw(msg, "Content-Disposition") or b""
        return re.search(rb"\.p7m\b", raw, re.I) is not None
    return False


def attachment_names(msg_bytes, cands, fallbacks=DEFAULT_FALLBACKS):
    """The PST's attachment names in PR_ATTACH_NUM order: the file name
    (rule 6), else an attached message's own Subject (decoded with its own
    candidates) + ".eml" ("message.eml" without one), else "attachment-N"."""
    msg = _parse(msg_bytes) if isinstance(msg_bytes, bytes) else msg_bytes
    if _smime_layout(msg):      # issue 15: Outlook's S/MIME classes keep one smime.p7m
        return ["smime.p7m"]
    body, html = _first_text(msg, "plain"), _first_text(msg, "html")
    parts = []
    _attachment_parts(msg, body, html, parts)
    names = []
    for i, part in enumerate(parts):
        fn = file_name(part, cands) if not _is_multipart(part) else None
        if fn:
            names.append(fn)
        elif _type(part) in _MESSAGE_PARTS:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            subj = None
            if inner is not None:
                raw = _part_raw(inner, "Subject")
                if raw is not None:
                    subj = decode_text(raw, candidates(inner, fallbacks))
            names.append("%s.eml" % (subj if subj else "message"))
        else:
            names.append("attachment-%d" % i)
    return names


# ---- glibc's reading, to find where its tables and Python's differ ---------------

def iconv_name(cs):
    """The iconv name of a Python codec hdrrule uses."""
    special = {"gbk": "CP936", "cp1252": "WINDOWS-1252", "cp1254": "WINDOWS-1254",
               "iso2022_jp": "ISO-2022-JP", "euc_jp": "EUC-JP", "euc_kr": "EUC-KR",
               "shift_jis": "SHIFT_JIS", "koi8_r": "KOI8-R", "koi8_u": "KOI8-U"}
    if cs in special:
        return special[cs]
    if cs.startswith("iso8859_"):
        return "ISO-8859-" + cs[8:]
    if re.fullmatch(r"cp125\d", cs):
        return "WINDOWS-" + cs[2:]
    return cs.replace("_", "-").upper()


def iconv_decode(data, cs):
    """data decoded by glibc's iconv (ctypes) from cs, or None when it fails."""
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.iconv_open.restype = ctypes.c_void_p
    libc.iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.iconv.restype = ctypes.c_size_t
    libc.iconv.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                           ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_char_p),
                           ctypes.POINTER(ctypes.c_size_t)]
    libc.iconv_close.argtypes = [ctypes.c_void_p]
    cd = libc.iconv_open(b"UTF-8", iconv_name(cs).encode())
    if cd in (None, ctypes.c_void_p(-1).value):
        return None
    try:
        inbuf = ctypes.create_string_buffer(bytes(data), len(data))
        outbuf = ctypes.create_string_buffer(4 * len(data) + 16)
        inp, outp = ctypes.c_char_p(ctypes.addressof(inbuf)), ctypes.c_char_p(ctypes.addressof(outbuf))
        inleft, outleft = ctypes.c_size_t(len(data)), ctypes.c_size_t(len(outbuf))
        r = libc.iconv(cd, ctypes.byref(inp), ctypes.byref(inleft), ctypes.byref(outp), ctypes.byref(outleft))
        if r == ctypes.c_size_t(-1).value:
            return None
        libc.iconv(cd, None, None, ctypes.byref(outp), ctypes.byref(outleft))
        return outbuf.raw[:len(outbuf) - outleft.value].decode("utf-8")
    finally:
        libc.iconv_close(cd)


# ---- the self-test ------------------------------------------------------------------

def _selftest():
    w1252 = ["utf-8", "cp1252"]
    gbk = ["utf-8", "gbk", "cp1252"]
    cases = [
        ("ascii as it is", decode_text(b"  Hello\r\n world\t", w1252), "Hello world"),
        ("raw UTF-8", decode_text("Grüße".encode(), w1252), "Grüße"),
        ("raw 8-bit, fallback", decode_text("Grüße".encode("cp1252"), w1252), "Grüße"),
        ("raw 8-bit, declared gb2312", decode_text("手机短信".encode("gbk"), gbk), "手机短信"),
        ("cut mid-character at the end",
         decode_text("手机短".encode("gbk") + b"\xd0", gbk), "手机短\\xd0"),
        ("no candidate: first after UTF-8, \\xNN",
         decode_text(b"a\x81b", w1252), "a\\x81b"),
        ("B and Q words, blank between dropped",
         decode_text(b"=?utf-8?B?R3LDvA==?= =?ISO-8859-1?Q?=DFe_x?=", w1252), "Grüße x"),
        ("words not separated from text",
         decode_text(b"ab=?utf-8?q?c?=de", w1252), "abcde"),
        ("a character split across two words",
         decode_text(b"=?utf-8?q?=E6=89?= =?UTF-8?q?=8B?=", w1252), "手"),
        ("ISO-2022-JP words joined before decoding",
         decode_text(b"=?iso-2022-jp?B?GyRCJEgbKEI=?= =?iso-2022-jp?B?GyRCJEgbKEI=?=", w1252),
         "とと"),
        ("unknown charset: rule 4", decode_text(b"=?x-nope?q?=E9t=E9?=", w1252), "été"),
        ("RFC 2231 language suffix, B tail of 3",
         decode_text(b"=?utf-8*en?b?YWJjZA?=", w1252), "abcd"),
        ("Q: other = kept", decode_text(b"=?utf-8?q?a=zz_b?=", w1252), "a=zz b"),
        ("names, quotes, comments, groups",
         display_names(b'"A \\"B\\"" <a@x>, c@y (C D), g: e@z;, <f@w>', w1252),
         ['A "B"', "C D", "e@z", "f@w"]),
        ("8-bit name in the declared charset",
         display_names(b'"' + "王".encode("gbk") + b'" <w@x>', gbk), ["王"]),
        ("RFC 2231 file name and continuation",
         attachment_names(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                          b"Content-Type: text/plain\n\nhi\n--b\n"
                          b"Content-Type: application/x; name=\"n.bin\"\n"
                          b"Content-Disposition: attachment; filename*0*=utf-8''%C3%A9;"
                          b" filename*1=t.txt\n\nx\n--b\n"
                          b"Content-Type: message/rfc822\n\nSubject: =?utf-8?q?in?=\n\nb\n--b--\n",
                          w1252), ["ét.txt", "in.eml"]),
        ("candidates: declared, inner message's left out",
         candidates(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                    b"Content-Type: text/plain; charset=\"GB2312\"\n\nx\n--b\n"
                    b"Content-Type: message/rfc822\n\nContent-Type: text/plain; charset=koi8-r\n\n"
                    b"y\n--b\n"
                    b"Content-Type: text/html; charset=euc-kr\n\nz\n--b--\n"),
         ["utf-8", "gbk", "cp949", "cp1252"]),
    ]
    failed = 0
    for i, (what, got, want) in enumerate(cases, 1):
        ok = got == want
        failed += not ok
        print("%sok %d - %s" % ("" if ok else "not ", i, what))
        if not ok:
            print("#   got:  %r\n#   want: %r" % (got, want))
    print("1..%d" % len(cases))
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(_selftest())
    print(__doc__)
