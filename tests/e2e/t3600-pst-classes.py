#!/usr/bin/env python3
"""--format pst, Outlook message classes and their layout (issue 15;
formats/pst/msgclass.c, docs/pst-classes.md).

Fixtures made here: a clear-signed S/MIME message, an opaque-signed and an
encrypted one (real ones, by `openssl smime` with a throwaway key made
here), a PGP/MIME signed and a PGP/MIME encrypted one (syntactically valid;
no key needed to classify them), delivery status notifications (failed,
delayed, delivered), read receipts (displayed, deleted), a Bcc copy that
names its recipient only in Delivered-To, a message with both To and
X-Original-To; plus the SpamAssassin corpus's S/MIME-signed messages and
delivery reports (picked by file, so the test stays fast).

Through three readers we did not write (libpff's pffexport, libpst's
readpst, pst-extractor) each message must show:
* its class: IPM.Note.SMIME.MultipartSigned (multipart/signed, S/MIME and
  PGP alike, as Exchange stores it), IPM.Note.SMIME (pkcs7-mime
  signed-data / enveloped-data), REPORT.IPM.Note.NDR / .Delayed.DR / .DR,
  REPORT.IPM.Note.IPNRN / .IPNNRN, IPM.Note (multipart/encrypted, the rest);
* the layout [MS-OXOSMIME] gives: one attachment smime.p7m, by value,
  mime tag multipart/signed holding the Content-Type field and body of the
  source byte for byte (so `openssl smime -verify` still verifies the
  signature from what pffexport and readpst give back), or
  application/pkcs7-mime holding the DER; a report keeps its parts;
* the signed content's text as PR_BODY;
* Delivered-To as a Bcc recipient row when no To/Cc/Bcc, and
  PR_RECEIVED_BY_EMAIL_ADDRESS / _NAME from it (pffexport's dump).

Compared with Outlook-written files: pst-extractor's test data (enron.pst
and two Outlook.com OSTs in npm pst-extractor) and libyal's testdata
outlook.pst hold no signed message and no report (listed by class with
tests/lib/pstx-dump.js), so the layout is checked against the spec's text,
as docs/pst-classes.md records; what they do hold agrees (received mail has
PR_RECEIVED_BY_EMAIL_ADDRESS and _NAME, attachments are by value).

`mdexport verify` passes on the export and reports one changed byte in the
signed content of the source."""

import email
import email.header
import email.policy
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import e2e  # noqa: E402
import mdstore  # noqa: E402

tap = e2e.Tap("pst-classes")
work = e2e.tmpdir("pstcls")
PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")
SIGNED, OPAQUE = "IPM.Note.SMIME.MultipartSigned", "IPM.Note.SMIME"


def sh(args, **kw):
    p = subprocess.run(args, capture_output=True, cwd=work, **kw)
    if p.returncode:
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
    return p


# ---- a throwaway key and the S/MIME fixtures --------------------------------------

sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
    "-subj", "/CN=t3600", "-days", "2"])
SIGNED_TEXT = "Hello from a signed message, caf\u00e9.\r\nSecond line.\r\n"
with open(os.path.join(work, "ent.txt"), "wb") as f:
    f.write(b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + SIGNED_TEXT.encode())


def smime(*args):
    """openssl smime OP -in ent.txt [options] (a recipient certificate last)"""
    return sh(["openssl", "smime", args[0], "-in", "ent.txt"] + list(args[1:])).stdout


def with_head(subject, smime_out, extra=""):
    """A message: our header fields, then openssl's MIME header and body."""
    head = ("From: Signer <signer@example.com>\nTo: Reader <reader@example.com>\n"
            "Subject: %s\nDate: Tue, 14 Nov 2023 09:00:00 +0000\n%s" % (subject, extra)).encode()
    return head + smime_out


# each: (subject, source bytes, what the readers must see)
MESSAGES = []


def message(subject, data, cls, **want):
    want["cls"] = cls
    MESSAGES.append((subject, mdstore.normalize_crlf(data), want))


message("smime clear-signed", with_head("smime clear-signed", smime(
    "-sign", "-signer", "c.pem", "-inkey", "k.pem")), SIGNED, layout="signed",
    body="Hello from a signed message")
message("smime opaque-signed", with_head("smime opaque-signed", smime(
    "-sign", "-nodetach", "-signer", "c.pem", "-inkey", "k.pem")), OPAQUE, layout="opaque")
message("smime encrypted", with_head("smime encrypted", smime("-encrypt", "-aes256", "c.pem")),
        OPAQUE, layout="opaque")

PGP_SIG = ("-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEEexampleexampleexampleexampleAAoJEGV4YW1w\n"
           "=abcd\n-----END PGP SIGNATURE-----\n")
message("pgp signed", with_head("pgp signed", (
    "MIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256;\n"
    " protocol=\"application/pgp-signature\"; boundary=\"PGPS\"\n\n"
    "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n--PGPS\n"
    "Content-Type: text/plain; charset=us-ascii\n\nSigned with PGP, plain text.\n"
    "--PGPS\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n"
    "Content-Disposition: attachment; filename=\"signature.asc\"\n\n" + PGP_SIG +
    "--PGPS--\n").encode()), SIGNED, layout="signed", body="Signed with PGP, plain text.")
message("pgp encrypted", with_head("pgp encrypted", (
    "MIME-Version: 1.0\nContent-Type: multipart/encrypted;\n"
    " protocol=\"application/pgp-encrypted\"; boundary=\"PGPE\"\n\n"
    "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n--PGPE\n"
    "Content-Type: application/pgp-encrypted\nContent-Description: PGP/MIME version "
    "identification\n\nVersion: 1\n\n--PGPE\nContent-Type: application/octet-stream; "
    "name=\"encrypted.asc\"\nContent-Disposition: inline; filename=\"encrypted.asc\"\n\n"
    "-----BEGIN PGP MESSAGE-----\n\nhQEMA1234567890abcdefAQf/example\n=wxyz\n"
    "-----END PGP MESSAGE-----\n--PGPE--\n").encode()), "IPM.Note", natt=2)


def report(subject, report_type, machine, returned, first="This is a report.\n"):
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
            "To: Signer <signer@example.com>\nSubject: %s\n"
            "Date: Wed, 15 Nov 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=%s; boundary=\"RPT\"\n\n"
            "--RPT\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
            "--RPT\nContent-Type: message/%s\n\n%s\n--RPT\n%s--RPT--\n" % (
                subject, report_type, first, report_type, machine, returned)).encode()


RETURNED = ("Content-Type: message/rfc822\n\nFrom: Signer <signer@example.com>\n"
            "To: Far <far@remote.example>\nSubject: the original question\n"
            "Date: Tue, 14 Nov 2023 08:00:00 +0000\n\nDid it arrive?\n\n")
RETURNED_HEADERS = ("Content-Type: text/rfc822-headers\n\nFrom: Signer <signer@example.com>\n"
                    "To: Far <far@remote.example>\nSubject: the headers-only question\n\n")


def dsn(action, second_action=None):
    per = "Final-Recipient: rfc822; far@remote.example\nAction: %s\nStatus: 5.1.1\n" % action
    if second_action:
        per += "\nFinal-Recipient: rfc822; near@remote.example\nAction: %s\nStatus: 2.0.0\n" % \
            second_action
    return "Reporting-MTA: dns; mx.example.com\n\n" + per


message("dsn failed", report("dsn failed", "delivery-status", dsn("delivered", "failed"), RETURNED,
                             "Your message could not be delivered.\n"),
        "REPORT.IPM.Note.NDR", natt=2, orig="the original question",
        body="Your message could not be delivered.")
message("dsn delayed", report("dsn delayed", "delivery-status", dsn("delayed"), RETURNED_HEADERS),
        "REPORT.IPM.Note.Delayed.DR", natt=2, orig="the headers-only question")
message("dsn delivered", report("dsn delivered", "delivery-status", dsn("delivered"), RETURNED),
        "REPORT.IPM.Note.DR", natt=2, orig="the original question")
MDN = "Reporting-UA: mua.remote.example\nFinal-Recipient: rfc822; far@remote.example\n" \
      "Disposition: manual-action/MDN-sent-manually; %s\n"
message("mdn displayed", report("mdn displayed", "disposition-notification", MDN % "displayed",
                                RETURNED_HEADERS), "REPORT.IPM.Note.IPNRN", natt=2)
message("mdn deleted", report("mdn deleted", "disposition-notification", MDN % "deleted",
                              RETURNED_HEADERS), "REPORT.IPM.Note.IPNNRN", natt=2)
message("bcc copy", b"From: Ann <ann@example.com>\nSubject: bcc copy\n"
        b"Delivered-To: hidden@example.com\nDelivered-To: older@example.com\n"
        b"Date: Thu, 16 Nov 2023 10:00:00 +0000\n\nYou were a Bcc.\n", "IPM.Note",
        rcvd="hidden@example.com", bcc_row="hidden@example.com")
message("to and x-original-to", b"From: Ann <ann@example.com>\nTo: list@example.com\n"
        b"Subject: to and x-original-to\nX-Original-To: me@example.com\n"
        b"Date: Thu, 16 Nov 2023 10:01:00 +0000\n\nList mail.\n", "IPM.Note", rcvd="me@example.com")

# the corpus's S/MIME-signed messages and delivery reports, picked by file
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
CORPUS = {"easy-ham-1/01353.cf72da836d8b771bea4110c8f9b5599b.txt": SIGNED,
          "hard-ham-1/00183.a008f2e258860eff155bb06a065f7d56.txt": SIGNED,
          "easy-ham-1/01436.dc449ba377210e77d84647619e49c872.txt": "REPORT.IPM.Note.Delayed.DR",
          "easy-ham-1/01542.ed72bf2cd81ccd4c076533fb0af004e5.txt": "REPORT.IPM.Note.NDR",
          "easy-ham-2/01311.b6a06b3e24130a32172b4c5225a1d5a6.txt": "REPORT.IPM.Note.Delayed.DR"}
if tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is there", fetch.stderr[-1000:]):
    data_dir = fetch.stdout.strip().splitlines()[-1]
    for rel, cls in CORPUS.items():
        raw = mdstore.normalize_crlf(mdstore.strip_mbox_from(e2e.read(os.path.join(data_dir, rel))))
        subject = e2e.decode_subject(e2e.raw_header(raw, "Subject") or b"")
        message(subject, raw, cls, corpus=rel, layout="signed" if cls == SIGNED else None,
                natt=2 if cls.startswith("REPORT.") else 0)

store = os.path.join(work, "store")
box = os.path.join(store, "Users", "example.com", "u")
records = []
for i, (subject, data, want) in enumerate(MESSAGES):
    name = "md5%011d.msg" % (i + 1)
    mdstore.write_msg(os.path.join(box, name), data)
    records.append((name, mdstore.SEEN, i + 1, len(data), 1700000000 + 60 * i))
mdstore.write_mrk(os.path.join(box, "IMAP.MRK"), 3600, len(records) + 1, records)

out = os.path.join(work, "out")
rc, _, err = e2e.run(["export", store, "-f", "pst", "-o", out])
pst = os.path.join(out, "example.com", "u.pst")
tap.ok(rc == 0 and os.path.exists(pst), "the store exports to one PST", err[-2000:])
PSTCHECK = os.path.join(e2e.ROOT, "tools", "pstcheck")
chk = subprocess.run([PSTCHECK, pst], capture_output=True, text=True)
tap.ok(re.search(r": 0 errors,", chk.stdout), "tools/pstcheck finds 0 errors",
       "\n".join(line for line in chk.stdout.splitlines() if line.startswith("error"))[:3000])


# ---- what each message must hold, worked out here from the source bytes -------------

def signed_entity(data):
    """[MS-OXOSMIME] 2.1.3.1: the last Content-Type field (its folding kept),
    the empty line, the body: the source's own bytes."""
    end = data.index(b"\r\n\r\n") + 2
    lines = data[:end].split(b"\r\n")[:-1]
    field = None
    for i, line in enumerate(lines):
        if re.match(rb"(?i)content-type[ \t]*:", line):
            j = i + 1
            while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
                j += 1
            field = b"".join(x + b"\r\n" for x in lines[i:j])
    return field + b"\r\n" + data[end + 2:]


def der_of(data):
    """An opaque S/MIME message's one body, base64 undone (Python's email)."""
    return email.message_from_bytes(data, policy=email.policy.compat32).get_payload(decode=True)


for subject, data, want in MESSAGES:
    if want.get("layout") == "signed":
        want["atts"] = [("smime.p7m", signed_entity(data))]
        want["mime"] = "multipart/signed"
    elif want.get("layout") == "opaque":
        want["atts"] = [("smime.p7m", der_of(data))]
        want["mime"] = "application/pkcs7-mime"


def key(subject):
    return re.sub(r"\s+", " ", (subject or "")).strip()


BY_SUBJECT = {key(s): (s, d, w) for s, d, w in MESSAGES}


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


def utf16(props, pid):
    return props[pid].decode("utf-16-le") if pid in props else None


def read_pffexport():
    """{subject: {cls, body, rcvd, orig, recipients, attachments [(name, path)]}}"""
    target = os.path.join(work, "pff")
    p = subprocess.run(["pffexport", "-q", "-d", "-f", "all", "-t", target, pst],
                       capture_output=True, text=True)
    got = {}
    inbox = os.path.join(target + ".export", "Top of Outlook data file", "Inbox")
    for d in sorted(os.listdir(inbox)) if os.path.isdir(inbox) else []:
        mdir = os.path.join(inbox, d)
        if not os.path.isdir(mdir):
            continue
        props = parse_item_values(os.path.join(mdir, "ItemValues.txt"))
        adir = os.path.join(mdir, "Attachments")
        atts = [(fn.split("_", 1)[1], os.path.join(adir, fn))
                for fn in sorted(os.listdir(adir) if os.path.isdir(adir) else [])
                if fn[0].isdigit()]
        rcpt, cur = [], {}
        rpath = os.path.join(mdir, "Recipients.txt")
        lines = open(rpath, encoding="utf-8", errors="replace").read().splitlines() \
            if os.path.exists(rpath) else []
        for line in lines + [""]:
            if not line.strip():
                if cur:
                    rcpt.append((cur.get("Recipient type", ""), cur.get("Email address", "")))
                cur = {}
                continue
            k, _, v = line.partition(":")
            cur[k.strip()] = v.strip()
        body = os.path.join(mdir, "Message.txt")
        got.setdefault(key(utf16(props, 0x0037)), []).append({
            "cls": utf16(props, 0x001A), "rcvd": utf16(props, 0x0076),
            "rcvd_name": utf16(props, 0x0040), "orig": utf16(props, 0x0049),
            "body": e2e.read(body).decode("utf-8", "replace") if os.path.exists(body) else "",
            "recipients": rcpt, "attachments": atts})
    return p.returncode, p.stderr, got


def read_readpst():
    """{subject: {body, attachments [(name, content type, bytes, path)]}} from readpst -M"""
    target = os.path.join(work, "rp")
    os.makedirs(target)
    p = subprocess.run(["readpst", "-q", "-M", "-j", "0", "-o", target, pst], capture_output=True,
                       text=True)
    got = {}
    for dirpath, _, files in os.walk(target):
        for fn in files:
            raw = e2e.read(os.path.join(dirpath, fn))
            # an attached message comes base64-encoded as message/rfc822: read it as bytes
            raw = re.sub(rb"(?im)^Content-Type: message/rfc822", b"Content-Type: application/x-rfc822", raw)
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            body, atts = None, []
            for part in msg.walk():
                disp = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
                # (the top level keeps an opaque message's own Content-Disposition)
                if disp == "attachment" and part is not msg:
                    data = part.get_payload(decode=True) or b""
                    path = os.path.join(work, "rp-att-%d" % len(os.listdir(work)))
                    with open(path, "wb") as f:
                        f.write(data)
                    atts.append((part.get_filename(), part.get_content_type(), data, path))
                elif body is None and not part.is_multipart() and \
                        part.get_content_type() == "text/plain":
                    body = (part.get_payload(decode=True) or b"").decode("latin-1")
            got.setdefault(key(str(email.header.make_header(email.header.decode_header(
                msg.get("Subject") or "")))), []).append({"body": body or "", "attachments": atts})
    return p.returncode, p.stderr, got


def read_pstx():
    p = subprocess.run(["node", os.path.join(e2e.ROOT, "tests", "lib", "pstx-dump.js"), pst],
                       capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules")))
    got = {}
    for line in p.stdout.splitlines():
        m = json.loads(line)
        got.setdefault(key(m["subject"] if "subject" in m else m["topic"]), []).append(m)
    return p.returncode, p.stderr, got


def one(got, subject, reader, problems):
    items = got.get(key(subject), [])
    if len(items) != 1:
        problems.append("%s: %r found %d times" % (reader, subject, len(items)))
        return None
    return items[0]


def openssl_verifies(path, der=False):
    """Does `openssl smime -verify` verify the signature (not the certificate)?"""
    args = ["openssl", "smime", "-verify", "-noverify", "-in", path, "-out", os.devnull]
    if der:
        args[3:3] = ["-inform", "DER"]
    return subprocess.run(args, capture_output=True).returncode == 0


SMIME_SIGNED = [s for s, d, w in MESSAGES if w.get("layout") == "signed" and b"pkcs7-signature" in d]
# whether each verifies from the source itself: the corpus's addresses were
# rewritten after signing, so one of its signatures no longer verifies
SOURCE_VERIFIES = {}
for s in SMIME_SIGNED:
    path = os.path.join(work, "source-%d.eml" % len(SOURCE_VERIFIES))
    with open(path, "wb") as f:
        f.write(BY_SUBJECT[key(s)][1])
    SOURCE_VERIFIES[s] = openssl_verifies(path)
tap.ok(SOURCE_VERIFIES.get("smime clear-signed"), "the clear-signed fixture verifies as made")


# ---- pffexport (libpff) ------------------------------------------------------------

prc, perr, pff = read_pffexport()
problems, layout, verified = [], [], []
for subject, data, want in MESSAGES:
    got = one(pff, subject, "pffexport", problems)
    if not got:
        continue
    if got["cls"] != want["cls"]:
        problems.append("%r: class %r, want %r" % (subject, got["cls"], want["cls"]))
    if "atts" in want:
        have = [(n, e2e.read(p)) for n, p in got["attachments"]]
        if have != want["atts"]:
            layout.append("%r: attachments %s" % (subject, [(n, len(b)) for n, b in have]))
        elif subject in SMIME_SIGNED and \
                openssl_verifies(got["attachments"][0][1]) != SOURCE_VERIFIES[subject]:
            verified.append(subject)
    elif len(got["attachments"]) != want.get("natt", 0):
        layout.append("%r: %d attachments, want %d" % (subject, len(got["attachments"]),
                                                        want.get("natt", 0)))
    if want.get("body") and want["body"] not in got["body"]:
        problems.append("%r: PR_BODY %r" % (subject, got["body"][:200]))
    if want.get("orig") and got["orig"] != want["orig"]:
        problems.append("%r: PR_ORIGINAL_SUBJECT %r, want %r" % (subject, got["orig"], want["orig"]))
    if want.get("rcvd") and (got["rcvd"], got["rcvd_name"]) != (want["rcvd"], want["rcvd"]):
        problems.append("%r: PR_RECEIVED_BY_* %r %r" % (subject, got["rcvd"], got["rcvd_name"]))
    if want.get("bcc_row") and got["recipients"] != [("BCC", want["bcc_row"])]:
        problems.append("%r: recipients %r" % (subject, got["recipients"]))
tap.ok(prc == 0 and not problems, "pffexport: each of %d messages once, with its class, body, "
       "PR_ORIGINAL_SUBJECT, PR_RECEIVED_BY_* and Delivered-To's Bcc row" % len(MESSAGES),
       perr[-1000:] + "\n".join(problems))
tap.ok(not layout, "pffexport: signed and S/MIME messages have one attachment smime.p7m, the source's "
       "signed entity or DER byte for byte; the others keep their parts", "\n".join(layout))
tap.ok(not verified and len(SMIME_SIGNED) >= 2, "openssl smime -verify verifies the signature of "
       "the S/MIME-signed messages from pffexport's smime.p7m exactly where it does from the source "
       "(%d of %d)" % (sum(SOURCE_VERIFIES.values()), len(SMIME_SIGNED)), str(verified))

enc = one(pff, "smime encrypted", "pffexport", [])
dec = enc and subprocess.run(["openssl", "smime", "-decrypt", "-inform", "DER", "-in",
                              enc["attachments"][0][1], "-inkey", "k.pem", "-recip", "c.pem"],
                             capture_output=True, cwd=work)
tap.ok(dec and dec.returncode == 0 and SIGNED_TEXT.encode() in dec.stdout,
       "the encrypted message's smime.p7m (pffexport) decrypts with the key to its text",
       dec and dec.stderr.decode("utf-8", "replace")[-500:])
opq = one(pff, "smime opaque-signed", "pffexport", [])
tap.ok(opq and openssl_verifies(opq["attachments"][0][1], der=True),
       "the opaque-signed message's smime.p7m (pffexport) verifies as DER")

# ---- readpst (libpst) --------------------------------------------------------------

rrc, rerr, rp = read_readpst()
problems, layout, verified = [], [], []
for subject, data, want in MESSAGES:
    got = one(rp, subject, "readpst", problems)
    if not got:
        continue
    if "atts" in want:
        have = [(n, b) for n, _, b, _ in got["attachments"]]
        types = [t for _, t, _, _ in got["attachments"]]
        if have != want["atts"] or types != [want["mime"]]:
            layout.append("%r: attachments %s" % (subject, [(n, t, len(b)) for n, t, b, _ in
                                                             got["attachments"]]))
        elif subject in SMIME_SIGNED and \
                openssl_verifies(got["attachments"][0][3]) != SOURCE_VERIFIES[subject]:
            verified.append(subject)
    elif len(got["attachments"]) != want.get("natt", 0):
        layout.append("%r: %d attachments" % (subject, len(got["attachments"])))
    if want.get("body") and want["body"] not in got["body"]:
        problems.append("%r: body %r" % (subject, got["body"][:200]))
tap.ok(rrc == 0 and not problems, "readpst: each of %d messages once (reports included), with its "
       "body" % len(MESSAGES), rerr[-1000:] + "\n".join(problems))
tap.ok(not layout, "readpst: smime.p7m is the one attachment, of the MIME type the class asks "
       "(multipart/signed, application/pkcs7-mime), its bytes the source's", "\n".join(layout))
tap.ok(not verified, "openssl smime -verify verifies the signature from readpst's smime.p7m "
       "exactly where it does from the source", str(verified))

# ---- pst-extractor -----------------------------------------------------------------

if not os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor")):
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", PSTX,
                    "pst-extractor@1"], capture_output=True)
xrc, xerr, px = read_pstx()
problems = []
for subject, data, want in MESSAGES:
    got = one(px, subject, "pst-extractor", problems)
    if not got:
        continue
    atts = [(a["name"], a["method"], a["mimeTag"]) for a in got["attachments"]]
    if got["cls"] != want["cls"]:
        problems.append("%r: class %r" % (subject, got["cls"]))
    if "atts" in want and atts != [("smime.p7m", 1, want["mime"])]:
        problems.append("%r: attachments %r" % (subject, atts))
    if "atts" not in want and len(atts) != want.get("natt", 0):
        problems.append("%r: attachments %r" % (subject, atts))
    if want.get("orig") and got["original_subject"] != want["orig"]:
        problems.append("%r: PR_ORIGINAL_SUBJECT %r" % (subject, got["original_subject"]))
    if want.get("rcvd") and got["received_by"] != want["rcvd"]:
        problems.append("%r: PR_RECEIVED_BY_EMAIL_ADDRESS %r" % (subject, got["received_by"]))
    if want.get("bcc_row") and ([(r["type"], r["address"]) for r in got["recipients"]] !=
                                [(3, want["bcc_row"])] or got["bcc"] != want["bcc_row"]):
        problems.append("%r: recipients %r, PR_DISPLAY_BCC %r" % (subject, got["recipients"],
                                                                  got["bcc"]))
tap.ok(xrc == 0 and not problems, "pst-extractor: each message's class, its attachments' names, "
       "attach method (1, by value) and MIME tags, PR_ORIGINAL_SUBJECT, PR_RECEIVED_BY_EMAIL_ADDRESS, "
       "the Bcc row", xerr[-1000:] + "\n".join(problems))

# ---- verify ------------------------------------------------------------------------

rc, vout, verr = e2e.run(["verify", store, out])
tap.ok(rc == 0 and "%d verified" % len(MESSAGES) in vout + verr, "mdexport verify: every message verifies",
       (vout + verr)[-2000:])
# one byte of the signature (not of the text: PR_BODY stays as it is) changed
# in the source: the smime.p7m the PST holds is no longer the source's entity
msgfile = os.path.join(box, "md5%011d.msg" % 1)
src = e2e.read(msgfile)
at = src.index(b"smime.p7s\"\r\n\r\n") + 40
st = os.stat(msgfile)
with open(msgfile, "wb") as f:
    f.write(src[:at] + (b"A" if src[at:at + 1] != b"A" else b"B") + src[at + 1:])
os.utime(msgfile, ns=(st.st_atime_ns, st.st_mtime_ns))
rc, vout, verr = e2e.run(["verify", store, out])
tap.ok(rc != 0 and re.search(r"altered: .*md500000000001\.msg.*attachment 1 is 'smime\.p7m'", vout + verr)
       and "PR_BODY" not in vout + verr,
       "mdexport verify reports one changed byte in the signed entity (the smime.p7m attachment)",
       (vout + verr)[-2000:])

e2e.remove_work(work)
tap.done()
