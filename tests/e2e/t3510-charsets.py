#!/usr/bin/env python3
"""Header text and charsets (issue 15, README "Header text and charsets"):
a small store built here holds subjects, sender and recipient names and
attachment file names written as raw 8-bit text in the charset the
message declares for its text (gb2312, ks_c_5601-1987, iso-8859-9), with
a byte no charset maps, as ISO-2022-JP encoded words split across words
(a corpus subject GMime 3.2.13 cuts after the first word), as RFC 2231
file names, and an undeclared Cyrillic (KOI8-R) subject.  It is exported
to PST and read back by pffexport, readpst and pst-extractor, which must
show the exact Unicode text the rule gives; `verify` passes; an export
with --fallback-charset koi8-r reads the undeclared subject as Russian,
and verify takes that from the export's manifest; a folder named in KOI8-R
on disk is named in Russian with it."""

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

tap = e2e.Tap("charsets")
work = e2e.tmpdir("charsets")
PSTX = os.path.join(e2e.ROOT, ".cache", "pstx")

JP_WORDS = (b"=?iso-2022-jp?B?GyRCRnxLXDhsJE43b0w+IUolNSVWJTglJyUvJUghSyEhJTkbKEI=?=\r\n "
            b"=?iso-2022-jp?B?GyRCJVElYCVhITwlayRHJE8kIiRqJF4kOyRzISobKEI=?=")
JP_TEXT = "日本語の件名（サブジェクト）　スパムメールではありません！"
KOI = "Привет, мир".encode("koi8-r")

# (marker, raw subject, From, To, declared charset, extra MIME, want)
MESSAGES = []


def message(marker, subject, frm, to, charset, want, parts=None):
    head = (b"Subject: " + subject + b"\r\nFrom: " + frm + b"\r\nTo: " + to +
            b"\r\nDate: Mon, 13 Nov 2023 10:%02d:00 +0000\r\nMessage-ID: <t3510-%s@example.com>\r\n"
            % (len(MESSAGES), marker.encode()) + b"MIME-Version: 1.0\r\n")
    if parts is None:
        data = head + b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\nbody " + \
            marker.encode() + b"\r\n"
    else:
        data = head + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n' + \
            b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\nbody " + marker.encode() + \
            b"\r\n" + parts + b"--B--\r\n"
    MESSAGES.append((marker, data, want))


message("gb", "手机短信息包月卡".encode("gb2312"), "你好".encode("gb2312") + b" <ni@example.cn>",
        b'"' + "张三, 李四".encode("gb2312") + b'" <zs@example.cn>, ls@example.cn', b"gb2312",
        {"subject": "手机短信息包月卡", "from": "你好", "to": "张三, 李四; ls@example.cn",
         "rcpts": [("张三, 李四", "zs@example.cn"), ("ls@example.cn", "ls@example.cn")]})
message("ks", "[광고]똠방각하 안내".encode("cp949"), b"=?ks_c_5601-1987?B?" +
        __import__("base64").b64encode("구교학".encode("cp949")) + b"?= <k@example.kr>",
        b"team: a@example.kr, \"B, b\" <b@example.kr>;", b"ks_c_5601-1987",
        {"subject": "[광고]똠방각하 안내", "from": "구교학", "to": "team",
         "rcpts": [("a@example.kr", "a@example.kr"), ("B, b", "b@example.kr")]})
message("tr", "Günaydın Şükrü".encode("cp1254"), "Çağrı".encode("cp1254") + b" <c@example.tr>",
        b"x@example.tr", b"iso-8859-9",
        {"subject": "Günaydın Şükrü", "from": "Çağrı", "to": "x@example.tr",
         "rcpts": [("x@example.tr", "x@example.tr")]})
message("jp", JP_WORDS, b"=?iso-2022-jp?B?GyRCRnxLXBsoQg==?= <j@example.jp>", b"y@example.jp",
        b"us-ascii", {"subject": JP_TEXT, "from": "日本", "to": "y@example.jp",
                      "rcpts": [("y@example.jp", "y@example.jp")]})
message("bad", b"caf\xe9 a\x81b", b"Z <z@example.com>", b"w@example.com", b"us-ascii",
        {"subject": "caf\u00e9 a\\x81b", "from": "Z", "to": "w@example.com",
         "rcpts": [("w@example.com", "w@example.com")]})
message("ru", KOI, b"R <r@example.ru>", b"v@example.ru", b"us-ascii",
        {"subject": KOI.decode("cp1252"), "from": "R", "to": "v@example.ru",
         "rcpts": [("v@example.ru", "v@example.ru")]})
ATT = (b"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
       b" filename*=gb2312''%C4%E3%BA%C3.txt\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
       b"--B\r\nContent-Type: application/octet-stream; name=\"" + "报告".encode("gb2312") +
       b".pdf\"\r\n\r\nxx\r\n"
       b"--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: " + "Отчёт".encode("koi8-r") +
       b"\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\ninner\r\n")
message("att", b"=?utf-8?Q?files_=E6=97=A5?=", b"A <a@example.com>", b"u@example.com", b"gb2312",
        {"subject": "files 日", "from": "A", "to": "u@example.com",
         "rcpts": [("u@example.com", "u@example.com")],
         "atts": ["你好.txt", "报告.pdf", "Отчёт.eml"]}, parts=ATT)

store = os.path.join(work, "store")
box = os.path.join(store, "Users", "example.com", "u")
records = []
for i, (marker, data, want) in enumerate(MESSAGES):
    name = "md5%011d.msg" % (i + 1)
    written = mdstore.write_msg(os.path.join(box, name), data)
    records.append((name, mdstore.SEEN, i + 1, len(written), 1700000000 + 60 * i))
mdstore.write_mrk(os.path.join(box, "IMAP.MRK"), 3510, len(records) + 1, records)


def export(out, *args):
    rc, _, err = e2e.run(["export", store, "-f", "pst", "-o", out] + list(args))
    pst = os.path.join(out, "example.com", "u.pst")
    return rc, err, pst


out = os.path.join(work, "out")
rc, err, pst = export(out)
tap.ok(rc == 0 and os.path.exists(pst), "the store exports to one PST", err[-2000:])


def marker_of(body):
    m = re.search(r"body (\w+)", body or "")
    return m.group(1) if m else None


def read_pffexport(pst, tag):
    """{marker: {subject, from, to, atts}} from pffexport's text files"""
    target = os.path.join(work, "pff-" + tag)
    p = subprocess.run(["pffexport", "-q", "-f", "all", "-t", target, pst], capture_output=True,
                       text=True)
    got = {}
    inbox = os.path.join(target + ".export", "Top of Outlook data file", "Inbox")
    for d in sorted(os.listdir(inbox)) if os.path.isdir(inbox) else []:
        mdir = os.path.join(inbox, d)
        fields = {}
        for line in open(os.path.join(mdir, "OutlookHeaders.txt"), encoding="utf-8",
                         errors="surrogateescape"):
            k, _, v = line.partition(":")
            fields.setdefault(k.strip(), v.strip())
        body = e2e.read(os.path.join(mdir, "Message.txt")).decode("utf-8", "replace") \
            if os.path.exists(os.path.join(mdir, "Message.txt")) else ""
        adir = os.path.join(mdir, "Attachments")
        atts = [fn.split("_", 1)[1] for fn in sorted(os.listdir(adir)) if fn[0].isdigit()] \
            if os.path.isdir(adir) else []
        # its Subject line is cut (libpff reads a UTF-8 subject's first bytes
        # as Outlook's prefix marker); the topic is the subject here (no "RE: ")
        rcpts, cur = [], {}
        rpath = os.path.join(mdir, "Recipients.txt")
        lines = open(rpath, encoding="utf-8", errors="surrogateescape").read().splitlines() \
            if os.path.exists(rpath) else []
        for line in lines + [""]:
            if not line.strip():
                if cur:
                    rcpts.append((cur.get("Display name"), cur.get("Email address")))
                cur = {}
                continue
            k, _, v = line.partition(":")
            cur[k.strip()] = v.strip()
        got[marker_of(body)] = {"subject": fields.get("Conversation topic"),
                                "from": fields.get("Sender name"), "rcpts": rcpts, "atts": atts}
    return p.returncode, got


def read_readpst(pst, tag):
    """{marker: {atts}} from readpst -M's .eml files, read by Python's email: the
    attachments' names, sorted (readpst writes its own order).  Its Subject and
    From are the header block the PST keeps (PR_TRANSPORT_MESSAGE_HEADERS),
    not the properties, so they say nothing of the rule."""
    target = os.path.join(work, "rp-" + tag)
    os.makedirs(target)
    p = subprocess.run(["readpst", "-q", "-M", "-j", "0", "-o", target, pst], capture_output=True,
                       text=True)
    got = {}
    for dirpath, _, files in os.walk(target):
        for fn in files:
            msg = email.message_from_bytes(e2e.read(os.path.join(dirpath, fn)),
                                           policy=email.policy.default)
            body = msg.get_body(("plain",))
            text = body.get_content() if body else ""
            names = [part.get_filename() for part in msg.iter_attachments()]
            got[marker_of(text)] = {"atts": sorted(names)}
    return p.returncode, got


def read_pstx(pst):
    if not os.path.isdir(os.path.join(PSTX, "node_modules", "pst-extractor")):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", PSTX,
                        "pst-extractor@1"], capture_output=True)
    p = subprocess.run(["node", os.path.join(e2e.ROOT, "tests", "lib", "pstx-dump.js"), pst],
                       capture_output=True, text=True,
                       env=dict(os.environ, PSTX_MODULES=os.path.join(PSTX, "node_modules"),
                                PSTX_BODY="1"))
    got = {}
    for line in p.stdout.splitlines():
        m = json.loads(line)
        got[marker_of(m.get("body"))] = m
    return p.returncode, got


def compare(reader, got, fields, overrides=None):
    problems = []
    for marker, _data, want in MESSAGES:
        want = dict(want, **(overrides or {}).get(marker, {}))
        g = got.get(marker)
        if g is None:
            problems.append("%s: not found" % marker)
            continue
        if "atts" in want:
            want["atts_sorted"] = sorted(want["atts"])
            g = dict(g, atts_sorted=g.get("atts"))
        for f in fields:
            if f in want and g.get(f) != want[f]:
                problems.append("%s: %s %r, want %r" % (marker, f, g.get(f), want[f]))
    tap.ok(len(got) == len(MESSAGES) and not problems,
           "%s: subjects, names and file names of %d messages as the rule reads them (%s)"
           % (reader, len(MESSAGES), ", ".join(fields)), "\n".join(problems))


rc, pff = read_pffexport(pst, "1")
tap.eq(rc, 0, "pffexport reads the PST")
compare("pffexport", pff, ["subject", "from", "rcpts", "atts"])

rc, rp = read_readpst(pst, "1")
tap.eq(rc, 0, "readpst reads the PST")
compare("readpst", rp, ["atts_sorted"])

rc, px = read_pstx(pst)
tap.eq(rc, 0, "pst-extractor reads the PST")
for m in px.values():
    m["subject"] = m.get("topic")
    m["from"] = m.get("sender_name")
    m["rcpts"] = [(r["name"], r["address"]) for r in m.get("recipients", [])]
    m["atts"] = [a["name"] for a in m.get("attachments", [])]
compare("pst-extractor", px, ["subject", "from", "to", "rcpts", "atts"])

# verify reads the source by the same rule
rc, vout, verr = e2e.run(["verify", store, out])
tap.ok(rc == 0, "verify passes on the export", (vout + verr)[-2000:])

# --fallback-charset koi8-r: the undeclared Cyrillic subject reads as Russian
out2 = os.path.join(work, "out2")
rc, err, pst2 = export(out2, "--fallback-charset", "koi8-r", "--fallback-charset", "windows-1252")
tap.ok(rc == 0 and os.path.exists(pst2), "export --fallback-charset koi8-r", err[-2000:])
# every byte maps in KOI8-R: the stray bytes of "bad" read in it too
koi = {"ru": {"subject": "Привет, мир"}, "bad": {"subject": b"caf\xe9 a\x81b".decode("koi8-r")}}
rc, pff2 = read_pffexport(pst2, "2")
compare("pffexport (--fallback-charset koi8-r)", pff2, ["subject"], koi)
rc, px2 = read_pstx(pst2)
for m in px2.values():
    m["subject"] = m.get("topic")
compare("pst-extractor (--fallback-charset koi8-r)", px2, ["subject"], koi)
rc, vout, verr = e2e.run(["verify", store, out2])
tap.ok(rc == 0, "verify passes on it: it takes --fallback-charset from the export's manifest",
       (vout + verr)[-2000:])
rc, vout, verr = e2e.run(["verify", store, out2, "--fallback-charset", "windows-1252"])
tap.ok(rc != 0 and "PR_SUBJECT" in vout + verr,
       "verify --fallback-charset windows-1252 on it finds the Russian subject altered",
       (vout + verr)[-2000:])

# a folder named in KOI8-R on disk (rule 7): read in the fallbacks given
store2 = os.path.join(work, "store2")
box2 = os.path.join(store2, "Users", "example.com", "u")
sub = os.path.join(os.fsencode(box2), "Отчёты".encode("koi8-r") + b".IMAP")
written = mdstore.write_msg(os.path.join(os.fsdecode(sub), "md50000000001.msg"), MESSAGES[2][1])
mdstore.write_mrk(os.path.join(os.fsdecode(sub), "IMAP.MRK"), 3511, 2,
                  [("md50000000001.msg", mdstore.SEEN, 1, len(written), 1700000000)])
os.makedirs(box2, exist_ok=True)
mdstore.write_mrk(os.path.join(box2, "IMAP.MRK"), 3512, 1, [])
out4 = os.path.join(work, "out4")
rc, _, err = e2e.run(["export", store2, "-f", "pst", "-o", out4, "--fallback-charset", "koi8-r"])
pst4 = os.path.join(out4, "example.com", "u.pst")
rc4, px4 = read_pstx(pst4) if rc == 0 else (rc, {})
tap.eq(sorted(m["folder"] for m in px4.values()), ["Отчёты"],
       "a folder named in KOI8-R is 'Отчёты' with --fallback-charset koi8-r (pst-extractor)")
rc, vout, verr = e2e.run(["verify", store2, out4, "--fallback-charset", "koi8-r"])
tap.ok(rc == 0, "verify --fallback-charset koi8-r passes on it", (vout + verr)[-2000:])

rc, _, err = e2e.run(["export", store, "-f", "pst", "-o", os.path.join(work, "out3"),
                      "--fallback-charset", "no-such-charset"])
tap.ok(rc == 2 and "no-such-charset" in err, "an unknown --fallback-charset is a usage error naming it",
       err[-500:])

e2e.remove_work(work)
sys.exit(tap.done())
