"""The header text rule of issue 15 (README "Header text and charsets"),
in Python's standard library only, for the tests that must know what the
writer makes of a Subject: RFC 2047 words decoded by their charset
(adjacent words of one charset joined as bytes), raw 8-bit text as UTF-8,
else the charsets the message declares for its text parts, else the
fallbacks (Windows-1252), a byte no candidate reads as \\xNN."""
import codecs
import email
import email.policy
import re

# rule 2: the Windows code page Outlook reads a charset name as
OUTLOOK = {n: cp for cp, names in {
    "cp936": ("gb2312", "gbk", "x-gbk", "cp936", "euc-cn"),
    "gb18030": ("gb18030",),
    "cp949": ("ks_c_5601-1987", "ks_c_5601", "euc-kr", "cp949", "ks_c_5601-1989"),
    "cp932": ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j"),
    "cp950": ("big5", "cp950"),
    "cp1252": ("iso-8859-1", "latin1", "l1", "iso_8859-1"),
    "cp1254": ("iso-8859-9", "latin5"),
    "cp874": ("tis-620", "iso-8859-11"),
}.items() for n in names}

WORD = re.compile(rb"=\?([^? \t]+)\?([BbQq])\?([^? \t]*)\?=")


def codec(name):
    """The Python codec of a charset name (rule 2), or None when unknown."""
    name = OUTLOOK.get(name.lower(), name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def candidates(data, fallback=("windows-1252",)):
    """Rule 1: the charsets after UTF-8 for the message whose bytes are data."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    out, seen = [], set()

    def walk(part):
        if part.get_content_maintype() == "message":
            return
        if part.is_multipart():
            for p in part.get_payload():
                walk(p)
        elif part.get_content_maintype() == "text":
            cs = part.get_param("charset")
            if isinstance(cs, tuple):
                cs = cs[2]
            if cs and cs.lower() not in ("us-ascii", "ascii", "utf-8", "utf8") \
                    and cs.lower() not in seen and codec(cs):
                seen.add(cs.lower())
                out.append(cs)
    walk(msg)
    return out + list(fallback)


def _strict(cs, b, at_end):
    c = codec(cs)
    if c is None:
        return None
    try:
        return b.decode(c)
    except UnicodeDecodeError as e:
        if at_end and e.reason in ("unexpected end of data", "incomplete multibyte sequence") \
                and e.end == len(b):
            try:
                return b[:e.start].decode(c) + "".join("\\x%02x" % x for x in b[e.start:])
            except UnicodeDecodeError:
                return None
        return None


def raw_run(b, at_end, cands):
    """Rule 4."""
    if all(x < 0x80 for x in b):
        return b.decode("ascii")
    for cs in ["utf-8"] + list(cands):
        s = _strict(cs, b, at_end)
        if s is not None:
            return s
    return b.decode(codec(cands[0]) if cands else "cp1252", "backslashreplace")


def _word_bytes(enc, text):
    if enc in b"Bb":
        t = re.sub(rb"[^A-Za-z0-9+/=]", b"", text).split(b"=")[0]
        t = t[:len(t) - len(t) % 4 + (len(t) % 4 if len(t) % 4 > 1 else 0)]
        return __import__("base64").b64decode(t + b"=" * (-len(t) % 4))
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  text.replace(b"_", b" "))


def decode(raw, cands):
    """Rules 0, 3 and 4 over a field's raw value (bytes)."""
    v = raw.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"").strip(b" \t")
    out, pos = [], 0
    words = list(WORD.finditer(v))
    i = 0
    while i < len(words):
        w = words[i]
        out.append(raw_run(v[pos:w.start()], False, cands))
        cs = w.group(1).split(b"*")[0].decode("latin-1")
        data, end = _word_bytes(w.group(2), w.group(3)), w.end()
        i += 1
        while i < len(words) and not v[end:words[i].start()].strip(b" \t") and \
                words[i].group(1).split(b"*")[0].decode("latin-1").lower() == cs.lower():
            data += _word_bytes(words[i].group(2), words[i].group(3))
            end = words[i].end()
            i += 1
        last = not v[end:].strip(b" \t")
        s = _strict(cs, data, False)
        out.append(s if s is not None else raw_run(data, last, cands))
        if i < len(words) and not v[end:words[i].start()].strip(b" \t"):
            end = words[i].start()
        pos = end
    out.append(raw_run(v[pos:], True, cands))
    return "".join(out)
