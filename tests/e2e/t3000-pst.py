#!/usr/bin/env python3
"""--format pst (issue 3, in progress): the fixture store and the
SpamAssassin corpus store exported to PST, checked by tools/pstcheck and
read back by libpff's pffexport and libpst's readpst, readers we did not
write.  Every message must be in its folder once, with its subject, read
flag, delivery time (the internal date) and client-submit time (Date:)."""

import calendar
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("pst")
work = e2e.tmpdir("pst")
PSTCHECK = os.path.join(e2e.ROOT, "tools", "pstcheck")


def pst_folder(path):
    """Where a logical folder lands in the PST (INBOX is Outlook's Inbox)."""
    return "Inbox" + path[5:] if path == "INBOX" or path.startswith("INBOX/") else path


RFC5322_DATE = re.compile(r"^(?:[A-Za-z]{3}, ?)?\d{1,2} [A-Za-z]{3} \d{2,4} \d{1,2}:\d{2}(?::\d{2})? "
                          r"(?:[+-]\d{4}|UT|GMT|[ECMP][SD]T|Z)(?: \(.*\))?$")


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


def source_fields(e):
    data = e2e.read(e["path"])
    head = data.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"(?im)^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", head)
    subject = decode_subject(m.group(1)) if m else ""
    # Outlook's conversation topic is the subject without its prefix ("RE: ")
    if re.match(r"^[A-Za-z]{1,3}: ", subject):
        subject = subject.split(":", 1)[1].lstrip(" \t")
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    date = msg.get("Date")
    sent = None
    if date and not RFC5322_DATE.match(re.sub(r"\s+", " ", date.strip())):
        return subject, "any"   # no single right reading of a malformed date
    if date:
        try:
            sent = int(email.utils.parsedate_to_datetime(date).timestamp())
        except (TypeError, ValueError, OverflowError):
            sent = None
    if sent is not None and not -11644473600 <= sent < 32503680000:
        sent = None     # before 1601 or after 2999: no FILETIME; the internal date stands in
    return subject, sent


def att_digest(data):
    """sha256 of an attachment less its final line ends: whether the line
    ends before a closing boundary (or at the end of a message that lacks
    one) belong to the part is read differently by Python and GMime."""
    return e2e.sha256(data.rstrip(b"\r\n"))


def source_attachments(data):
    """sha256 of each attachment as the writer defines them: every leaf but
    the text body and the HTML body (the first text/plain and text/html
    parts not marked attachment); a message/rfc822 part counts as 'message'."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    leaves = []

    def walk(part):
        if part.get_content_maintype() == "message":
            leaves.append(part)
        elif part.is_multipart():
            for sub in part.get_payload():
                walk(sub)
        else:
            leaves.append(part)
    walk(msg)

    def disposition(p):
        return (p.get("Content-Disposition") or "").split(";")[0].strip().lower()
    body = next((p for p in leaves if p.get_content_type() == "text/plain"
                 and disposition(p) != "attachment"), None)
    html = next((p for p in leaves if p.get_content_type() == "text/html"
                 and disposition(p) != "attachment"), None)
    out = []
    for p in leaves:
        if p is body or p is html:
            continue
        if p.get_content_type() == "message/rfc822":
            out.append("message")
        elif p.get_content_maintype() == "message":
            out.append("any")   # e.g. a delivery report: its bytes as GMime keeps them
        elif p.get_content_maintype() == "multipart":
            # a multipart whose boundary never comes: kept whole, as GMime
            # reads its text (line ends as LF)
            out.append(att_digest(e2e.to_lf(p.get_payload(decode=True) or b"")))
        else:
            out.append(att_digest(p.get_payload(decode=True) or b""))
    return sorted(out)


ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+"
ADDR_SPEC = re.compile(ATOM + r"(?:\." + ATOM + r")*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def well_formed(recipients):
    """Only plain addr-specs: for broken address headers ('Undisclosed
    Recipients@x', '`Bulk.txt@y', a dangling 'edu]') Python and GMime each
    guess differently, and neither is an oracle."""
    return sorted(r for r in recipients if ADDR_SPEC.fullmatch(r[1]))


def source_recipients(data):
    """(type, address) of every To/Cc/Bcc mailbox, groups flattened."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    out = []
    for kind, field in (("To", "To"), ("CC", "Cc"), ("BCC", "Bcc")):
        values = [str(v) for v in msg.get_all(field, [])]
        for _name, addr in email.utils.getaddresses(values):
            if addr:
                out.append((kind, addr))
    return sorted(out)


def pff_recipients(path):
    out, cur = [], {}
    if not os.path.exists(path):
        return []
    for line in open(path, encoding="utf-8", errors="replace").read().splitlines() + [""]:
        if not line.strip():
            if cur:
                out.append((cur.get("Recipient type", "").upper().replace("TO", "To"),
                            cur.get("Email address", "")))
            cur = {}
            continue
        k, _, v = line.partition(":")
        cur[k.strip()] = v.strip()
    return sorted(out)


def source_importance(data):
    """Importance: high/low, else X-Priority 1-2 high, 4-5 low; else normal."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    v = (msg.get("Importance") or "").strip().lower()
    if v:
        return "High" if v.startswith("high") else "Low" if v.startswith("low") else "Normal"
    v = (msg.get("X-Priority") or "").strip()
    return "High" if v[:1] in ("1", "2") else "Low" if v[:1] in ("4", "5") else "Normal"


def source_html(data):
    """The HTML body as text (the first text/html part not marked attachment)."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for p in msg.walk():
        if p.get_content_maintype() == "message":
            return None     # what is inside an attached message is not the body
        disp = (p.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if p.get_content_type() == "text/html" and disp != "attachment":
            raw = p.get_payload(decode=True) or b""
            try:
                return raw.decode(p.get_content_charset() or "us-ascii")
            except (LookupError, UnicodeDecodeError):
                return "undecidable"     # mislabelled charset: no single right text
    return None


def pff_time(s):
    """'Nov 14, 2023 22:14:58.000000000 UTC' -> Unix seconds."""
    m = re.match(r"(\w+ \d+, \d+ \d+:\d+:\d+)", s)
    return calendar.timegm(time.strptime(m.group(1), "%b %d, %Y %H:%M:%S")) if m else None


def read_pffexport(pst, label):
    """{folder: [(subject, read, delivery, submit)]} from pffexport's tree."""
    out = os.path.join(work, "pff-%s-%s" % (label, os.path.relpath(pst, work).replace("/", "_")))
    p = subprocess.run(["pffexport", "-q", "-f", "all", "-t", out, pst], capture_output=True, text=True)
    top = os.path.join(out + ".export", "Top of Outlook data file")
    got, attachments, recipients, htmls, importances = {}, {}, {}, {}, {}
    for dirpath, dirs, files in os.walk(top):
        if "OutlookHeaders.txt" not in files:
            continue
        folder = os.path.relpath(os.path.dirname(dirpath), top)
        fields = {}
        for line in open(os.path.join(dirpath, "OutlookHeaders.txt"), encoding="utf-8", errors="replace"):
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
        atts = []
        adir = os.path.join(dirpath, "Attachments")
        for fn in sorted(os.listdir(adir)) if os.path.isdir(adir) else []:
            data = e2e.read(os.path.join(adir, fn))
            # an attached message: GMime's serialisation, compared by presence only
            atts.append("message" if fn.endswith(".eml") and b"\n\n" in data[:100000] and
                        re.match(rb"(?s)(?:[!-9;-~]+:.*?\n)+\r?\n", data[:100000]) else att_digest(data))
        key = (folder, fields.get("Conversation topic", ""), pff_time(fields.get("Delivery time", "")))
        attachments[key] = sorted(atts)
        recipients[key] = pff_recipients(os.path.join(dirpath, "Recipients.txt"))
        importances[key] = fields.get("Importance")
        hpath = os.path.join(dirpath, "Message.html")
        htmls[key] = e2e.read(hpath).decode("utf-8", "replace") if os.path.exists(hpath) else None
        read = re.search(r"\((.*)\)", fields.get("Flags", ""))
        read = bool(read) and "Read" in read.group(1).replace(" ", "").split(",")
        got.setdefault(folder, []).append((fields.get("Conversation topic", ""), read,
                                           pff_time(fields.get("Delivery time", "")),
                                           pff_time(fields.get("Client submit time", ""))))
    return p.returncode, got, attachments, recipients, htmls, importances


PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")


def pstx_available():
    """pst-extractor (npm), installed under .cache/pstx once."""
    if not os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor")):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", PSTX,
                        "pst-extractor@1"], capture_output=True)
    return os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor"))


def read_pstx(pst):
    """{folder: [(topic, read, delivery, submit)]}, {key: [attachment digests]}"""
    p = subprocess.run(["node", os.path.join(e2e.ROOT, "tests", "lib", "pstx-dump.js"), pst],
                       capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules")))
    got, atts = {}, {}
    for line in p.stdout.splitlines():
        m = json.loads(line)
        # blanks at the ends of a subject: pffexport trims them, so does the expectation
        topic = (m["topic"] or "").strip()
        got.setdefault(m["folder"], []).append((topic, bool(m["read"]), m["delivery"], m["submit"]))
        atts[(m["folder"], topic, m["delivery"])] = sorted(
            a["sha256"] for a in m["attachments"])
    return p.returncode, p.stderr, got, atts


def compare(want, got):
    """Differences between two {folder: [rows]} (a malformed Date: matches any submit time)."""
    got = dict(got)
    for folder, items in got.items():
        loose = {(w[0], w[1], w[2]) for w in want.get(folder, []) if w[3] == "any"}
        got[folder] = [(g[0], g[1], g[2], "any") if (g[0], g[1], g[2]) in loose else g for g in items]
    problems = []
    for folder in sorted(set(want) | set(got)):
        w, g = Counter(want.get(folder, [])), Counter(got.get(folder, []))
        if w != g:
            problems.append("%s: missing %s; unexpected %s" % (folder, list((w - g).items())[:3],
                                                               list((g - w).items())[:3]))
    return problems


def check_store(label, store, expected):
    outdir = os.path.join(work, label)
    rc, _, err = e2e.run(["export", store, "--format", "pst", "--output", outdir])
    tap.eq(rc, 0, "%s: export --format pst exits 0" % label)
    boxes = sorted({(e["domain"], e["mailbox"]) for e in expected})
    for dom, box in boxes:
        pst = os.path.join(outdir, e2e.fs_escape(dom), e2e.fs_escape(box) + ".pst")
        exp = [e for e in expected if (e["domain"], e["mailbox"]) == (dom, box)]
        chk = subprocess.run([PSTCHECK, pst], capture_output=True, text=True)
        tap.ok(chk.returncode == 0 and re.search(r": 0 errors,", chk.stdout),
               "%s %s@%s: tools/pstcheck finds 0 errors" % (label, box, dom),
               "\n".join(line for line in chk.stdout.splitlines() if line.startswith("error"))[:3000])
        rc, got, got_atts, got_rcpt, got_html, got_imp = read_pffexport(pst, label)
        html_problems, nhtml, imp_problems, nimp = [], 0, [], 0
        want, att_problems, natt, rcpt_problems, nrcpt, nrcpt_ok = {}, [], 0, [], 0, 0
        want_atts_by_key = {}
        for e in exp:
            subject, sent = source_fields(e)
            want_atts = source_attachments(e2e.read(e["path"]))
            natt += len(want_atts)
            key = (pst_folder(e["folder"]), subject, e["internaldate"])
            want_rcpt = source_recipients(e2e.read(e["path"]))
            nrcpt += len(want_rcpt)
            nrcpt_ok += len(well_formed(want_rcpt))
            want_rcpt = well_formed(want_rcpt)
            if key in got_rcpt and well_formed(got_rcpt[key]) != want_rcpt:
                rcpt_problems.append("%s: recipients %s, want %s" % (e["path"], got_rcpt[key], want_rcpt))
            want_imp = source_importance(e2e.read(e["path"]))
            nimp += want_imp != "Normal"
            if key in got_imp and got_imp[key] != want_imp:
                imp_problems.append("%s: importance %s, want %s" % (e["path"], got_imp[key], want_imp))
            want_html = source_html(e2e.read(e["path"]))
            if want_html is not None and key in got_html:
                nhtml += 1
                norm = lambda t: re.sub(r"\s+", " ", (t or "").replace("\r\n", "\n")).strip()  # noqa: E731
                if got_html[key] is None or (want_html != "undecidable" and
                                             norm(got_html[key]) != norm(want_html)):
                    html_problems.append("%s: HTML body %r, want %r" % (
                        e["path"], (got_html[key] or "")[:80], want_html[:80]))
            want_atts_by_key[key] = want_atts
            have = got_atts.get(key)
            if have is not None:
                rest = list(have)
                for w in want_atts:
                    if w != "any" and w in rest:
                        rest.remove(w)
                anys = want_atts.count("any")
                if len(rest) != anys or len(want_atts) != len(have):
                    att_problems.append("%s: attachments %s, want %s" % (e["path"], have, want_atts))
            want.setdefault(pst_folder(e["folder"]), []).append(
                (subject, "\\Seen" in e["flags"], e["internaldate"],
                 sent if sent is not None else e["internaldate"]))
        problems = []
        # a malformed Date: any submit time will do, the message must still be there
        for folder, items in got.items():
            loose = {(w[0], w[1], w[2]) for w in want.get(folder, []) if w[3] == "any"}
            got[folder] = [(g[0], g[1], g[2], "any") if (g[0], g[1], g[2]) in loose else g
                           for g in items]
        for folder in sorted(set(want) | set(got)):
            w, g = Counter(want.get(folder, [])), Counter(got.get(folder, []))
            if w != g:
                problems.append("%s: missing %s; unexpected %s" % (folder, list((w - g).items())[:3],
                                                                   list((g - w).items())[:3]))
        tap.ok(rc == 0 and not problems,
               "%s %s@%s (pffexport): %d messages, each once in its folder with subject, read flag, "
               "delivery and submit times" % (label, box, dom, len(exp)), "\n".join(problems[:10]))
        tap.ok(not att_problems, "%s %s@%s (pffexport): every attachment (%d) present, bytes equal"
               % (label, box, dom, natt), "\n".join(att_problems[:10]))
        tap.ok(not imp_problems, "%s %s@%s (pffexport): importance from Importance:/X-Priority: "
               "(%d not normal)" % (label, box, dom, nimp), "\n".join(imp_problems[:10]))
        tap.ok(not html_problems, "%s %s@%s (pffexport): every HTML body (%d) present, text equal"
               % (label, box, dom, nhtml), "\n".join(html_problems[:10]))
        if pstx_ok:
            prc, perr, pgot, patts = read_pstx(pst)
            problems = compare(want, pgot)
            tap.ok(prc == 0 and not problems,
                   "%s %s@%s (pst-extractor): %d messages, each once in its folder with subject, "
                   "read flag, delivery and submit times" % (label, box, dom, len(exp)),
                   (perr[-800:] + "\n" + "\n".join(problems[:10])))
            bad = []
            for key, wanted in want_atts_by_key.items():
                have = patts.get(key)
                if have is None:
                    continue
                digests = [w for w in wanted if w not in ("message", "any")]
                if len(have) != len(wanted) or any(d not in have for d in digests):
                    bad.append("%s: %s, want %s" % (key, have, wanted))
            tap.ok(not bad, "%s %s@%s (pst-extractor): every attachment present, bytes equal"
                   % (label, box, dom), "\n".join(bad[:5]))
        tap.ok(not rcpt_problems, "%s %s@%s (pffexport): recipient tables hold every To/Cc/Bcc "
               "address (%d, %d well formed) with its type" % (label, box, dom, nrcpt, nrcpt_ok), "\n".join(rcpt_problems[:10]))
        rp = os.path.join(work, "rp-%s-%s-%s" % (label, dom, box))
        os.makedirs(rp)
        # readpst -M: one file per message, named by number.  -j 0: readpst's
        # parallel jobs (its default) race and now and then lose a message
        # (seen on these corpus files, different ones each run); serially it
        # is exact every time
        subprocess.run(["readpst", "-q", "-D", "-M", "-j", "0", "-o", rp, pst], capture_output=True)
        found = sum(1 for dp, _, fs in os.walk(rp) for f in fs if f.isdigit())
        tap.ok(found == len(exp), "%s %s@%s (readpst): %d messages" % (label, box, dom, len(exp)),
               "readpst wrote %d" % found)


# a large attachment: streamed into the PST, never held in memory.  Done
# first and written in chunks, so that this script is small when it starts
# mdexport: a forked child's peak RSS counts what it inherited before exec.
def big_attachment_check():
    import base64
    import hashlib
    big = os.path.join(work, "big")
    os.makedirs(os.path.join(big, "Users", "example.com", "u"))
    digest = hashlib.sha256()
    with open(os.path.join(big, "Users", "example.com", "u", "md50000000001.msg"), "wb") as f:
        f.write(b"From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: "
                b"text/plain\r\n\r\nhello\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Disposition: attachment; filename=\"big.bin\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n")
        for block in range(40):                 # ~40 MiB, in pieces of 3 x 349,525 bytes
            # (a multiple of 3: no base64 padding in the middle of the stream)
            chunk = (hashlib.sha512(b"%d" % block).digest() * 16384)[:3 * 349525]
            digest.update(chunk)
            f.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
        f.write(b"--XX--\r\n")
    bout = os.path.join(work, "big-out")

    def peak_kib(argv):
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, st, usage = os.wait4(child.pid, 0)
        return os.waitstatus_to_exitcode(st), usage.ru_maxrss
    # what a child inherits from this script before exec counts in its peak: measure it
    _, baseline = peak_kib(["true"])
    status, peak = peak_kib([e2e.MDEXPORT, "export", big, "-f", "pst", "-o", bout, "-q"])
    bpst = os.path.join(bout, "example.com", "u.pst")
    tap.ok(status == 0 and peak - baseline < 24 * 1024,
           "a message with a 40 MiB attachment: exported using %d KiB more than `true` "
           "(< 24 MiB)" % (peak - baseline))
    chk = subprocess.run([PSTCHECK, bpst], capture_output=True, text=True)
    tap.ok(chk.returncode == 0, "its 42 MB PST (past the first FMap) has 0 errors",
           chk.stdout[-800:])
    subprocess.run(["pffexport", "-q", "-t", os.path.join(work, "bigx"), bpst], capture_output=True)
    att = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(work, "bigx.export"))
           for f in fs if "Attachments" in dp]
    tap.ok(len(att) == 1 and e2e.sha256(e2e.read(att[0])) == digest.hexdigest(),
           "pffexport gives back the 40 MiB attachment byte for byte", str(att))
    shutil.rmtree(big)
    shutil.rmtree(bout)


big_attachment_check()

pstx_ok = tap.ok(pstx_available(), "pst-extractor (npm) is installed, a third reader")

# the fixture
fstore = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
check_store("fixture", fstore, e2e.fixture_expected(fstore, spec))

# the corpus (fetched and generated as in t2000, a smaller slice)
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True, text=True)
if tap.ok(fetch.returncode == 0, "the SpamAssassin corpus is fetched", fetch.stderr[-1000:]):
    cstore, truth = os.path.join(work, "cstore"), os.path.join(work, "truth.jsonl")
    subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus",
                    fetch.stdout.strip().splitlines()[-1], "--out", cstore, "--messages", "1500",
                    "--seed", "3000", "--truth", truth], check=True, capture_output=True)
    exp = [{"domain": t["domain"], "mailbox": t["mailbox"], "folder": t["folder"],
            "path": os.path.join(cstore, t["source"]), "flags": set(t["flags"]),
            "internaldate": t["internaldate"], "envelope_from": t["envelope_from"]}
           for t in map(json.loads, open(truth, encoding="utf-8")) if not t.get("stale")]
    check_store("corpus", cstore, exp)

print("# work", work) if tap.failed else shutil.rmtree(work)
tap.done()
