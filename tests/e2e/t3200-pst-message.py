#!/usr/bin/env python3
"""--format pst, one message at a time (formats/pst/message.c, attach.c):
a small store built here (tools/mdstore.py) holds an HTML mail with inline
cid: images and a real PDF, inline parts outside multipart/related, a mail
with To/Cc/Bcc, a forwarded message/rfc822 with its own attachment, and
text bodies in charsets that are unknown, mislabelled, stateful
(ISO-2022-JP) or hold NUL bytes.  The PST is checked by tools/pstcheck and
read back by libpff's pffexport, libpst's readpst and pst-extractor:

* inline images are hidden (PR_ATTACHMENT_HIDDEN true, PR_ATTACH_FLAGS
  attRenderedInBody, Content-ID and Content-Location kept), every other
  attachment shown (PR_ATTACHMENT_HIDDEN false): pst-extractor reads the
  attachment objects' own properties; pffexport and readpst do not expose
  them, so they check the bytes and Content-IDs;
* every attachment's bytes, by SHA-256, through all three readers;
* PR_DISPLAY_BCC (pst-extractor; pffexport's property dump) and the
  recipient table's Bcc rows (pffexport);
* PR_BODY equal to the source text decoded: the declared charset where the
  bytes are valid in it, otherwise UTF-8 where valid and Windows-1252 for
  each other byte; NUL characters dropped; never empty;
* an attached message stays a by-value attachment "<subject>.eml" (see
  attach.c for why not an embedded message object): its bytes parse to the
  forwarded message's subject, body and attachment."""

import base64
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import e2e  # noqa: E402
import mdstore  # noqa: E402
import pstread  # noqa: E402

tap = e2e.Tap("pst-message")
work = e2e.tmpdir("pstmsg")
PSTCHECK = os.path.join(e2e.ROOT, "tools", "pstcheck")
PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")


def b64(data):
    return base64.encodebytes(data).decode("ascii")


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
PDF = b"%PDF-1.4\n" + b"".join(b"%% line %d of a fake report\n" % i for i in range(400)) + b"%%EOF\n"
JPEG_SIG = b"\xff\xd8\xff\xe0 signature image \x00\x01\x02\xff\xd9"
JPEG_OTHER = b"\xff\xd8\xff\xe0 another inline picture, not referenced \xff\xd9"
PNG_ATT = b"\x89PNG\r\n\x1a\n a png sent as an attachment, though the HTML names it"
INNER_BIN = bytes(range(256)) * 9
JAPANESE = "日本語のテキストです。こんにちは、世界！\nカタカナとひらがな。"

# each message: subject -> (source bytes, what the readers must see)
MESSAGES = []


def message(subject, head, content, **want):
    data = ("Subject: %s\nDate: Mon, 13 Nov 2023 10:%02d:00 +0000\nMessage-ID: <t3200-%d@example.com>\n"
            % (subject, len(MESSAGES), len(MESSAGES))).encode() + head.encode() + b"\n" + content
    MESSAGES.append((subject, data, want))


message("inline images", """From: Ann <ann@example.com>
To: Bob <bob@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="M"
""", ("""--M
Content-Type: multipart/related; boundary="R"; type="text/html"

--R
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain; charset=utf-8

The logo and a picture, see the HTML.
--A
Content-Type: text/html; charset=utf-8

<html><body><p>logo <img src="cid:logo@example.com"> and <img src='CID:pic%40two@example.com'></p></body></html>
--A--
--R
Content-Type: image/png; name="logo.png"
Content-ID: <logo@example.com>
Content-Disposition: inline; filename="logo.png"
Content-Location: logo.png
Content-Transfer-Encoding: base64

""" + b64(PNG) + """--R
Content-Type: image/gif; name="picture.gif"
Content-ID: <pic@two@example.com>
Content-Transfer-Encoding: base64

""" + b64(GIF) + """--R
Content-Type: image/png; name="unreferenced.png"
Content-ID: <unreferenced@example.com>
Content-Transfer-Encoding: base64

""" + b64(PNG[::-1]) + """--R--
--M
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

""" + b64(PDF) + """--M--
""").encode(),
        attachments=[("logo.png", PNG, True, "logo@example.com", "logo.png"),
                     ("picture.gif", GIF, True, "pic@two@example.com", None),
                     # a Content-ID the HTML does not name: a real attachment
                     ("unreferenced.png", PNG[::-1], False, "unreferenced@example.com", None),
                     ("report.pdf", PDF, False, None, None)],
        body="The logo and a picture, see the HTML.")

message("inline outside related", """From: Ann <ann@example.com>
To: Bob <bob@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="M"
""", ("""--M
Content-Type: text/html; charset=us-ascii

<p>Signed,</p><img src=cid:sig.1@example.com><img src="cid:att.3@example.com">
--M
Content-Type: image/jpeg; name="sig.jpg"
Content-Disposition: inline; filename="sig.jpg"
Content-ID: <sig.1@example.com>
Content-Transfer-Encoding: base64

""" + b64(JPEG_SIG) + """--M
Content-Type: image/jpeg; name="other.jpg"
Content-Disposition: inline; filename="other.jpg"
Content-ID: <other.2@example.com>
Content-Transfer-Encoding: base64

""" + b64(JPEG_OTHER) + """--M
Content-Type: image/png; name="sent.png"
Content-Disposition: attachment; filename="sent.png"
Content-ID: <att.3@example.com>
Content-Transfer-Encoding: base64

""" + b64(PNG_ATT) + """--M--
""").encode(),
        attachments=[("sig.jpg", JPEG_SIG, True, "sig.1@example.com", None),
                     ("other.jpg", JPEG_OTHER, False, "other.2@example.com", None),
                     # named by the HTML but marked attachment, outside multipart/related
                     ("sent.png", PNG_ATT, False, "att.3@example.com", None)],
        body=None)

message("to cc bcc", """From: Ann <ann@example.com>
To: Bob <bob@example.com>, "Carol C." <carol@example.com>
Cc: Dave <dave@example.com>
Bcc: =?utf-8?q?=C3=89mile_Zola?= <emile@example.com>, frank@example.com
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
""", b"A draft with blind copies.\n",
        to="Bob; Carol C.", cc="Dave", bcc="\u00c9mile Zola; frank@example.com",
        recipients=[("BCC", "emile@example.com"), ("BCC", "frank@example.com"),
                    ("CC", "dave@example.com"), ("To", "bob@example.com"),
                    ("To", "carol@example.com")],
        attachments=[], body="A draft with blind copies.")

INNER = ("""From: Carol <carol@example.com>
To: Ann <ann@example.com>
Subject: the original
Date: Sun, 12 Nov 2023 09:00:00 +0000
Message-ID: <inner-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="I"

--I
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

The original text, caf=E9.
--I
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

""" + b64(INNER_BIN) + """--I--
""")
message("Fwd: the original", """From: Ann <ann@example.com>
To: Bob <bob@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="F"
""", ("""--F
Content-Type: text/plain; charset=utf-8

Forwarding this.
--F
Content-Type: message/rfc822

""" + INNER + """--F--
""").encode(),
        attachments=[("the original.eml", "message", False, None, None)],
        body="Forwarding this.",
        inner={"subject": "the original", "body": "The original text, caf\u00e9.",
               "attachments": [("data.bin", INNER_BIN)]})


# only inline images: they are hidden, yet the message has attachments
# (PR_HASATTACH is MAPI's "has attachment objects"; see message.c)
message("only inline", """From: Ann <ann@example.com>
To: Bob <bob@example.com>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="R"
""", ("""--R
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p>caf=E9 <img src=3D"cid:only@example.com"></p>
--R
Content-Type: image/png
Content-ID: <only@example.com>
Content-Transfer-Encoding: base64

""" + b64(PNG) + """--R--
""").encode(),
        attachments=[("attachment-0", PNG, True, "only@example.com", None)], body=None)


def text_message(subject, ctype, cte, payload, body):
    message(subject, "From: Ann <ann@example.com>\nTo: Bob <bob@example.com>\nMIME-Version: 1.0\n"
            "Content-Type: %s\n%s" % (ctype, "Content-Transfer-Encoding: %s\n" % cte if cte else ""),
            payload, attachments=[], body=body)


text_message("charset unknown", "text/plain; charset=x-no-such-charset", "8bit",
             b"caf\xc3\xa9 and \xe9t\xe9 for \x80 5\n", "caf\u00e9 and \u00e9t\u00e9 for \u20ac 5")
text_message("charset utf-8 invalid", "text/plain; charset=utf-8", "8bit",
             b"na\xefve caf\xc3\xa9 \xff\xfe end\n", "na\u00efve caf\u00e9 \u00ff\u00fe end")
text_message("charset iso-2022-jp", 'text/plain; charset="ISO-2022-JP"', "7bit",
             JAPANESE.encode("iso-2022-jp").replace(b"\n", b"\r\n") + b"\r\n", JAPANESE)
# an 8-bit byte in a 7-bit charset: iconv stops there, the byte is Windows-1252
text_message("charset iso-2022-jp stray byte", 'text/plain; charset="ISO-2022-JP"', "8bit",
             "日本".encode("iso-2022-jp") + b" caf\xe9\r\n", "日本 caf\u00e9")
text_message("nul bytes", "text/plain; charset=us-ascii", "base64",
             b64(b"before\x00after\x00\x00end\r\nline two\r\n").encode(), "beforeafterend\nline two")
text_message("charset windows-1252", "text/plain; charset=windows-1252", "quoted-printable",
             b"=80 for a caf=E9, =93quoted=94\n", "\u20ac for a caf\u00e9, \u201cquoted\u201d")


# ---- the store ---------------------------------------------------------------

store = os.path.join(work, "store")
box = os.path.join(store, "Users", "example.com", "u")
records = []
for i, (subject, data, want) in enumerate(MESSAGES):
    name = "md5%011d.msg" % (i + 1)
    written = mdstore.write_msg(os.path.join(box, name), data)
    records.append((name, mdstore.SEEN, i + 1, len(written), 1700000000 + 60 * i))
mdstore.write_mrk(os.path.join(box, "IMAP.MRK"), 3200, len(records) + 1, records)

out = os.path.join(work, "out")
rc, _, err = e2e.run(["export", store, "-f", "pst", "-o", out])
pst = os.path.join(out, "example.com", "u.pst")
tap.ok(rc == 0 and os.path.exists(pst), "the store exports to one PST", err[-2000:])
chk = subprocess.run([PSTCHECK, pst], capture_output=True, text=True)
tap.ok(re.search(r": 0 errors,", chk.stdout), "tools/pstcheck finds 0 errors",
       "\n".join(line for line in chk.stdout.splitlines() if line.startswith("error"))[:3000])

# PidLidSmartNoAttach (0x8015 in our name map, as in Outlook's; t5100 checks
# the map): true on the message whose attachments are all inline images only
smart = {}
if os.path.exists(pst):
    f = pstread.Pst(pst)
    for nid in f.nodes:
        if nid & 0x1F == 0x04:
            props = f.node(nid).properties()
            subject = props[0x0037][1].decode("utf-16le")
            smart[subject] = props.get(0x8015, (0x000B, b"\0"))
tap.eq(sorted(k for k, v in smart.items() if v == (0x000B, b"\x01")), ["only inline"],
       "PidLidSmartNoAttach true on the message with only inline images, nowhere else")


# ---- what the readers see -----------------------------------------------------

def strip_end(data):
    """An attachment less its final line ends (pstx-dump.js hashes it so)."""
    return data.rstrip(b"\r\n")


def norm_text(text):
    return (text or "").replace("\r\n", "\n").rstrip("\n")


def subject_key(subject):
    """Readers show the subject or the conversation topic (no "Fwd: ")."""
    return re.sub(r"^[A-Za-z]{1,3}: ", "", subject or "").strip()


def parse_item_values(path):
    """{property id: bytes} from pffexport -d's ItemValues.txt (set 0)."""
    props, cur, hexdata = {}, None, None
    if not os.path.exists(path):
        return props
    for line in open(path, encoding="utf-8", errors="replace").read().splitlines() + [""]:
        m = re.match(r"Entry type:\s+0x([0-9a-f]+)", line)
        if m:
            cur, hexdata = int(m.group(1), 16), None
        elif line.startswith("Value:"):
            hexdata = bytearray()
        elif hexdata is not None and re.match(r"0x[0-9a-f]{8}: ", line):
            hexdata += bytes.fromhex(line[12:60].replace(" ", ""))
        elif not line.strip() and cur is not None and hexdata is not None:
            props.setdefault(cur, bytes(hexdata))
            cur, hexdata = None, None
    return props


def read_pffexport():
    """{subject: {body, bcc, recipients, attachments [(name, bytes)]}}"""
    target = os.path.join(work, "pff")
    p = subprocess.run(["pffexport", "-q", "-d", "-f", "all", "-t", target, pst],
                       capture_output=True, text=True)
    got = {}
    inbox = os.path.join(target + ".export", "Top of Outlook data file", "Inbox")
    for d in sorted(os.listdir(inbox)) if os.path.isdir(inbox) else []:
        mdir = os.path.join(inbox, d)
        if not os.path.isdir(mdir):
            continue
        fields = {}
        for line in open(os.path.join(mdir, "OutlookHeaders.txt"), encoding="utf-8", errors="replace"):
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
        props = parse_item_values(os.path.join(mdir, "ItemValues.txt"))
        body_path = os.path.join(mdir, "Message.txt")
        atts = []
        adir = os.path.join(mdir, "Attachments")
        for fn in sorted(os.listdir(adir), key=lambda f: int(f.split("_")[0]) if f[0].isdigit() else 0) \
                if os.path.isdir(adir) else []:
            if fn[0].isdigit():
                atts.append((fn.split("_", 1)[1], e2e.read(os.path.join(adir, fn))))
        rcpt, cur = [], {}
        rpath = os.path.join(mdir, "Recipients.txt")
        lines = open(rpath, encoding="utf-8", errors="replace").read().splitlines() if os.path.exists(rpath) else []
        for line in lines + [""]:
            if not line.strip():
                if cur:
                    rcpt.append((cur.get("Recipient type", ""), cur.get("Email address", "")))
                cur = {}
                continue
            k, _, v = line.partition(":")
            cur[k.strip()] = v.strip()
        got.setdefault(subject_key(fields.get("Subject")), []).append({
            "body": e2e.read(body_path).decode("utf-8", "replace") if os.path.exists(body_path) else None,
            "bcc": props[0x0E02].decode("utf-16-le") if 0x0E02 in props else None,
            "recipients": sorted(rcpt),
            "attachments": atts})
    return p.returncode, p.stderr, got


def read_readpst():
    """{subject: {body, attachments [(name, bytes, content-id)]}} from readpst -M"""
    target = os.path.join(work, "rp")
    os.makedirs(target)
    p = subprocess.run(["readpst", "-q", "-M", "-j", "0", "-o", target, pst], capture_output=True,
                       text=True)
    got = {}
    for dirpath, _, files in os.walk(target):
        for fn in files:
            raw = e2e.read(os.path.join(dirpath, fn))
            # readpst sends an attached message base64-encoded as message/rfc822,
            # which RFC 2046 forbids and Python would parse as a message: as bytes
            raw = re.sub(rb"(?im)^Content-Type: message/rfc822", b"Content-Type: application/x-rfc822", raw)
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            body, atts = None, []
            for part in msg.walk():
                if part.is_multipart():
                    continue
                disp = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
                data = part.get_payload(decode=True) or b""
                if disp == "attachment":
                    cid = (part.get("Content-ID") or "").strip().strip("<>") or None
                    atts.append((part.get_filename(), data, cid))
                elif body is None and part.get_content_type() == "text/plain":
                    body = data.decode(part.get_content_charset() or "utf-8", "replace")
            got.setdefault(subject_key(msg.get("Subject")), []).append({"body": body, "attachments": atts})
    return p.returncode, p.stderr, got


def pstx_available():
    if not os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor")):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", PSTX,
                        "pst-extractor@1"], capture_output=True)
    return os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor"))


def read_pstx():
    p = subprocess.run(["node", os.path.join(e2e.ROOT, "tests", "lib", "pstx-dump.js"), pst],
                       capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules"), PSTX_BODY="1"))
    got = {}
    for line in p.stdout.splitlines():
        m = json.loads(line)
        got.setdefault(subject_key(m["topic"]), []).append(m)
    return p.returncode, p.stderr, got


def check_eml(data):
    """Problems with an attached message's bytes: they must parse to the
    forwarded message, its text and its own attachment."""
    inner = MESSAGES[3][2]["inner"]
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    problems = []
    if msg.get("Subject") != inner["subject"]:
        problems.append("subject %r" % msg.get("Subject"))
    body, atts = None, []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            atts.append((part.get_filename(), e2e.sha256(part.get_payload(decode=True) or b"")))
        elif body is None and part.get_content_type() == "text/plain":
            body = (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8")
    if norm_text(body) != inner["body"]:
        problems.append("body %r" % body)
    want = [(n, e2e.sha256(d)) for n, d in inner["attachments"]]
    if atts != want:
        problems.append("attachments %s, want %s" % (atts, want))
    return problems


def want_digest(content, strip=False):
    return None if content == "message" else e2e.sha256(strip_end(content) if strip else content)


def one(got, subject, reader, problems):
    items = got.get(subject_key(subject), [])
    if len(items) != 1:
        problems.append("%s: %r found %d times" % (reader, subject, len(items)))
        return None
    return items[0]


NATT = sum(len(w["attachments"]) for _, _, w in MESSAGES)
NHIDDEN = sum(a[2] for _, _, w in MESSAGES for a in w["attachments"])

# ---- pffexport ---------------------------------------------------------------------

prc, perr, pff = read_pffexport()
problems = []
for subject, _, want in MESSAGES:
    one(pff, subject, "pffexport", problems)
tap.ok(prc == 0 and not problems and sum(map(len, pff.values())) == len(MESSAGES),
       "pffexport: all %d messages, each once" % len(MESSAGES), perr[-1000:] + "\n".join(problems))

att_problems, eml_problems, body_problems, natt = [], [], [], 0
for subject, _, want in MESSAGES:
    got = one(pff, subject, "pffexport", [])
    if not got:
        continue
    names = [a[0] for a in want["attachments"]]
    if [a[0] for a in got["attachments"]] != names:
        att_problems.append("%s: attachments %s, want %s" % (subject, [a[0] for a in got["attachments"]], names))
        continue
    for (name, content, *_), (_, data) in zip(want["attachments"], got["attachments"]):
        natt += 1
        if content == "message":
            eml_problems += ["%s: %s" % (name, p) for p in check_eml(data)]
        elif e2e.sha256(data) != want_digest(content):
            att_problems.append("%s: %s bytes differ" % (subject, name))
    if want.get("body") is not None and norm_text(got["body"]) != want["body"]:
        body_problems.append("%s: body %r, want %r" % (subject, got["body"], want["body"]))
tap.ok(not att_problems and natt == NATT, "pffexport: every attachment (%d) by name and SHA-256" % natt,
       "\n".join(att_problems))
tap.ok(not eml_problems, "pffexport: the attached message's .eml parses to its subject, text and "
       "attachment (SHA-256)", "\n".join(eml_problems))
nbody = sum(1 for _, _, w in MESSAGES if w.get("body") is not None)
tap.ok(not body_problems, "pffexport: PR_BODY of %d messages equals the decoded source text "
       "(unknown charset, bad UTF-8, ISO-2022-JP, NUL bytes, ...)" % nbody, "\n".join(body_problems))
bcc = one(pff, "to cc bcc", "pffexport", [])
tap.eq(bcc and bcc["bcc"], MESSAGES[2][2]["bcc"], "pffexport: PR_DISPLAY_BCC (property dump) from Bcc:")
tap.eq(bcc and bcc["recipients"], MESSAGES[2][2]["recipients"],
       "pffexport: the recipient table holds the To, Cc and Bcc rows with their types")
no_bcc = [s for s, _, w in MESSAGES if "bcc" not in w and (one(pff, s, "", []) or {}).get("bcc")]
tap.ok(not no_bcc, "pffexport: no PR_DISPLAY_BCC text where there is no Bcc:", str(no_bcc))

# ---- readpst ------------------------------------------------------------------------

rrc, rerr, rp = read_readpst()
problems = []
for subject, _, want in MESSAGES:
    one(rp, subject, "readpst", problems)
tap.ok(rrc == 0 and not problems, "readpst: all %d messages, each once" % len(MESSAGES),
       rerr[-1000:] + "\n".join(problems))
att_problems, eml_problems, body_problems, natt = [], [], [], 0
for subject, _, want in MESSAGES:
    got = one(rp, subject, "readpst", [])
    if not got:
        continue
    # readpst lists attachments in its own order
    have = sorted(got["attachments"], key=lambda a: a[0] or "")
    wanted = sorted(want["attachments"], key=lambda a: a[0])
    if [a[0] for a in have] != [a[0] for a in wanted]:
        att_problems.append("%s: attachments %s, want %s" % (subject, [a[0] for a in have],
                                                             [a[0] for a in wanted]))
        continue
    for (name, content, _hidden, cid, _loc), (_, data, got_cid) in zip(wanted, have):
        natt += 1
        if content == "message":
            eml_problems += ["%s: %s" % (name, p) for p in check_eml(data)]
        elif e2e.sha256(data) != want_digest(content):
            att_problems.append("%s: %s bytes differ" % (subject, name))
        if got_cid != cid:
            att_problems.append("%s: %s Content-ID %r, want %r" % (subject, name, got_cid, cid))
    if want.get("body") is not None and norm_text(got["body"]) != want["body"]:
        body_problems.append("%s: body %r, want %r" % (subject, got["body"], want["body"]))
tap.ok(not att_problems and natt == NATT, "readpst: every attachment (%d) by name, SHA-256 and Content-ID"
       % natt, "\n".join(att_problems))
tap.ok(not eml_problems, "readpst: the attached message's .eml parses to its subject, text and "
       "attachment (SHA-256)", "\n".join(eml_problems))
tap.ok(not body_problems, "readpst: PR_BODY of %d messages equals the decoded source text" % nbody,
       "\n".join(body_problems))

# ---- pst-extractor ---------------------------------------------------------------

if tap.ok(pstx_available(), "pst-extractor (npm) is installed"):
    xrc, xerr, px = read_pstx()
    problems = []
    for subject, _, want in MESSAGES:
        one(px, subject, "pst-extractor", problems)
    tap.ok(xrc == 0 and not problems, "pst-extractor: all %d messages, each once" % len(MESSAGES),
           xerr[-1000:] + "\n".join(problems))
    att_problems, hid_problems, body_problems, natt, nhidden = [], [], [], 0, 0
    pff_eml = dict((one(pff, "Fwd: the original", "", []) or {"attachments": []})["attachments"])
    for subject, _, want in MESSAGES:
        got = one(px, subject, "pst-extractor", [])
        if not got:
            continue
        names = [a[0] for a in want["attachments"]]
        if [a["name"] for a in got["attachments"]] != names:
            att_problems.append("%s: attachments %s, want %s" % (subject, [a["name"] for a in got["attachments"]],
                                                                 names))
            continue
        for (name, content, hidden, cid, loc), a in zip(want["attachments"], got["attachments"]):
            natt += 1
            nhidden += hidden
            # an attached message: the same bytes pffexport gave
            digest = want_digest(content, strip=True) if content != "message" else \
                e2e.sha256(strip_end(pff_eml.get(name, b"")))
            if a["sha256"] != digest or a["method"] != 1:
                att_problems.append("%s: %s bytes differ (method %s)" % (subject, name, a["method"]))
            if (a["hidden"], a["flags"], a["contentId"] or None, a["contentLocation"]) != \
                    (hidden, 4 if hidden else 0, cid, loc):
                hid_problems.append("%s: %s hidden %s, flags %s, Content-ID %r, Content-Location %r; "
                                    "want %s, %s, %r, %r" % (subject, name, a["hidden"], a["flags"],
                                                             a["contentId"], a["contentLocation"],
                                                             hidden, 4 if hidden else 0, cid, loc))
        if got["hasAttachments"] != bool(want["attachments"]):
            hid_problems.append("%s: hasAttachments %s" % (subject, got["hasAttachments"]))
        if want.get("body") is not None and norm_text(got["body"]) != want["body"]:
            body_problems.append("%s: body %r, want %r" % (subject, got["body"], want["body"]))
        for field in ("to", "cc", "bcc"):
            if field in want and got[field] != want[field]:
                body_problems.append("%s: display %s %r, want %r" % (subject, field, got[field], want[field]))
            if field == "bcc" and field not in want and got[field]:
                body_problems.append("%s: display Bcc %r, want none" % (subject, got[field]))
    tap.ok(not att_problems and natt == NATT and pff_eml,
           "pst-extractor: every attachment (%d) by name and SHA-256, the .eml as pffexport's" % natt,
           "\n".join(att_problems))
    tap.ok(not hid_problems and nhidden == NHIDDEN,
           "pst-extractor: PR_ATTACHMENT_HIDDEN true and PR_ATTACH_FLAGS attRenderedInBody on the %d "
           "inline images, false and 0 on the rest; Content-ID, Content-Location; PR_HASATTACH" % nhidden,
           "\n".join(hid_problems))
    tap.ok(not body_problems, "pst-extractor: PR_BODY of %d messages equals the decoded source text; "
           "PR_DISPLAY_TO/CC/BCC" % nbody, "\n".join(body_problems))

print("# work", work) if tap.failed else shutil.rmtree(work)
tap.done()
