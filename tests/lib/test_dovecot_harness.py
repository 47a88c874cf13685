#!/usr/bin/env python3
"""Self-test of tests/lib/dovecot.py: builds Maildir++ trees by hand (no
doveadm), reads them back with read_maildir and checks what Dovecot sees.
Prints TAP; exits non-zero on failure.  Skips everything (exit 0) when
doveadm is not installed."""

import glob
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dovecot  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def put(root, folder_dir, name, data, mtime, sub="cur"):
    d = os.path.join(root, folder_dir, sub)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    os.utime(p, (mtime, mtime))
    return p


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s:\n  got:  %r\n  want: %r" % (what, got, want))


# --- the hand-built tree ---------------------------------------------------

T0 = 1700000000  # 2023-11-14 22:13:20 UTC

M_LF = b"From: a@example.com\nSubject: one\nDate: Tue, 14 Nov 2023 22:15:00 +0000\n\nhello\n"
M_NOEOL = b"Subject: no final newline\n\nlast line without newline"
M_ISO = (b"Subject: =?ISO-8859-1?Q?K=FCnden?=\nMIME-Version: 1.0\n"
         b"Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
         b"Gr\xfc\xdfe aus K\xf6ln, \xe9t\xe9 \xa4 \xff\n"
         b"\x0c\nmailbox-guid: 0123\ntext:\n\x00 NUL and form feed above\n")
M_CRLF = b"Subject: crlf\r\n\r\nline1\r\nline2\r\n"
M_NEW = b"Subject: in new/\n\nunseen\n"
M_DOT = b"Subject: dotted\n\nacme\n"
M_UML = b"Subject: umlaut folder\n\nx\n"
M_SUB = b"Subject: nested under non-ASCII\n\ny\n"

# folder -> directory, written by hand with the naming rules
DIRS = {
    "INBOX": "",
    "Archive/2023": ".Archive.2023",                 # parent .Archive not created
    "Clients.Acme Corp": ".Clients\\2eAcme Corp",
    "Kunden Übersicht €": ".Kunden &ANw-bersicht &IKw-",
    "Bücher": ".B&APw-cher",
    "Bücher/Unter.Ordner": ".B&APw-cher.Unter\\2eOrdner",
    "R&D": ".R&-D",
}

EXPECTED = [
    # folder, file name, data, mtime, sub, flags
    ("INBOX", "1700000100.md50000000101.mdexport:2,FS", M_LF, T0 + 100, "cur",
     {"\\Flagged", "\\Seen"}),
    ("INBOX", "1700000200.md50000000102.mdexport:2,", M_NOEOL, T0 + 200, "cur", set()),
    # mtime deliberately differs from the time in the file name
    ("Archive/2023", "1600000000.md50000000103.mdexport:2,DFRST", M_ISO, 1234567890, "cur",
     {"\\Draft", "\\Flagged", "\\Answered", "\\Seen", "\\Deleted"}),
    ("Archive/2023", "1700000400.md50000000104.mdexport:2,RS", M_CRLF, T0 + 400, "cur",
     {"\\Answered", "\\Seen"}),
    ("Clients.Acme Corp", "1700000500.md50000000105.mdexport:2,S", M_DOT, T0 + 500, "cur",
     {"\\Seen"}),
    ("Kunden Übersicht €", "1700000600.md50000000106.mdexport", M_NEW, T0 + 600, "new", set()),
    ("Bücher", "1700000700.md50000000107.mdexport:2,T", M_UML, T0 + 700, "cur", {"\\Deleted"}),
    ("Bücher/Unter.Ordner", "1700000800.md50000000108.mdexport:2,D", M_SUB, T0 + 800, "cur",
     {"\\Draft"}),
]

SUBS_V2 = (b"V\t2\n\n"
           b"INBOX\n"
           b"Archive\t2023\n"
           b"Clients\\2eAcme Corp\n"
           b"Kunden &ANw-bersicht &IKw-\n"
           b"B&APw-cher\tUnter\\2eOrdner\n")
SUBSCRIBED = sorted(["INBOX", "Archive/2023", "Clients.Acme Corp", "Kunden Übersicht €",
                     "Bücher/Unter.Ordner"])


def build_tree(base):
    root = os.path.join(base, "Maildir")
    os.makedirs(root)
    for folder, d in DIRS.items():
        os.makedirs(os.path.join(root, d, "cur"), exist_ok=True)  # no new/, tmp/, maildirfolder
    for folder, name, data, mtime, sub, _ in EXPECTED:
        put(root, DIRS[folder], name, data, mtime, sub)
    with open(os.path.join(root, "subscriptions"), "wb") as f:
        f.write(SUBS_V2)
    return root


STATE = {}


def tree():
    if "tree" not in STATE:
        STATE["tree"] = dovecot.read_maildir(STATE["root"])
    return STATE["tree"]


def msg(guid_prefix):
    for m in tree()["messages"]:
        if m["guid"].startswith(guid_prefix):
            return m
    raise AssertionError("no message %s in %r" % (guid_prefix, [m["guid"] for m in tree()["messages"]]))


# --- tests -----------------------------------------------------------------

@test
def t_available():
    """doveadm_available() is true"""
    assert dovecot.doveadm_available()


@test
def t_folders():
    """folder names as Dovecot reports them"""
    eq(tree()["folders"], sorted(DIRS), "folders")


@test
def t_listed():
    """mailbox list also shows the implied parent 'Archive'"""
    eq(tree()["listed"], sorted(list(DIRS) + ["Archive"]), "listed")


@test
def t_subscribed():
    """subscriptions file (V 2 format, tab-separated components) read"""
    eq(tree()["subscribed"], SUBSCRIBED, "subscribed")


@test
def t_count():
    """every message file is returned once"""
    eq(len(tree()["messages"]), len(EXPECTED), "message count")
    eq(sorted(m["guid"] for m in tree()["messages"]),
       sorted(e[1].split(":")[0] for e in EXPECTED), "guids = maildir base names")


@test
def t_folder_of_message():
    """each message is in its folder"""
    for folder, name, *_ in EXPECTED:
        eq(msg(name.split(":")[0])["folder"], folder, name)


@test
def t_flags():
    """flags from ':2,' letters (D F R S T), \\Recent dropped"""
    for _, name, _, _, _, flags in EXPECTED:
        eq(msg(name.split(":")[0])["flags"], flags, "flags of " + name)


@test
def t_received():
    """received date = file mtime, Unix seconds UTC"""
    for _, name, _, mtime, _, _ in EXPECTED:
        eq(msg(name.split(":")[0])["received"], mtime, "received of " + name)


@test
def t_raw():
    """raw bytes exact: LF, CRLF, no final newline, 8-bit ISO-8859-1, NUL, form feed"""
    for _, name, data, _, _, _ in EXPECTED:
        eq(msg(name.split(":")[0])["raw"], data, "raw of " + name)


@test
def t_uid_order():
    """UIDs follow file name order within a folder"""
    inbox = [m["guid"] for m in tree()["messages"] if m["folder"] == "INBOX"]
    eq(inbox, ["1700000100.md50000000101.mdexport", "1700000200.md50000000102.mdexport"], "INBOX order")


@test
def t_source_untouched():
    """the source tree is not modified (doveadm ran on a copy)"""
    found = []
    for dp, dn, fn in os.walk(STATE["root"]):
        found += [os.path.relpath(os.path.join(dp, f), STATE["root"]) for f in fn]
    want = ["subscriptions"] + [os.path.join(DIRS[f], sub, n) for f, n, _, _, sub, _ in EXPECTED]
    eq(sorted(found), sorted(want), "files in source tree")


@test
def t_tz_independent():
    """same result under TZ=UTC, America/New_York, Asia/Kolkata"""
    old = os.environ.get("TZ")
    try:
        results = []
        for tz in ("UTC", "America/New_York", "Asia/Kolkata"):
            os.environ["TZ"] = tz
            time.tzset()
            r = dovecot.read_maildir(STATE["root"])
            results.append([(m["folder"], m["guid"], m["received"]) for m in r["messages"]])
        eq(results[1], results[0], "New_York vs UTC")
        eq(results[2], results[0], "Kolkata vs UTC")
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@test
def t_subscriptions_v1():
    """plain one-name-per-line subscriptions (no header, '.' separator) also read"""
    base = tempfile.mkdtemp(prefix="dvh-")
    try:
        root = os.path.join(base, "Maildir")
        shutil.copytree(STATE["root"], root)
        with open(os.path.join(root, "subscriptions"), "wb") as f:
            f.write(b"INBOX\nArchive.2023\nClients\\2eAcme Corp\nKunden &ANw-bersicht &IKw-\n")
        r = dovecot.read_maildir(root)
        eq(r["subscribed"], sorted(["INBOX", "Archive/2023", "Clients.Acme Corp",
                                    "Kunden Übersicht €"]), "subscribed (v1)")
    finally:
        shutil.rmtree(base)


TRICKY = ["a\\b", ".hidden", "~tilde", "x/~y", "R&D", "&", "amp&-", "pct%", "star*",
          "Sent Items", "x/y.z/w", "back\\2e", "semi;colon", 'dq"q', "sq'q", "col:on",
          "a~b", "\x01ctl", "tab\there", "emoji \U0001F600", "日本語/サブ", "INBOX/Sub",
          "Kunden Übersicht €"]


@test
def t_dirname_rules():
    """dovecot_dirname() of tricky names round-trips through Dovecot"""
    base = tempfile.mkdtemp(prefix="dvh-")
    try:
        root = os.path.join(base, "Maildir")
        os.makedirs(os.path.join(root, "cur"))
        for i, name in enumerate(TRICKY):
            put(root, dovecot.dovecot_dirname(name), "%d.t:2,S" % (T0 + i),
                b"Subject: %d\n\n" % i, T0 + i)
        r = dovecot.read_maildir(root)
        eq(r["folders"], sorted(TRICKY + ["INBOX"]), "folders")
        eq(sorted((m["folder"], m["received"]) for m in r["messages"]),
           sorted((n, T0 + i) for i, n in enumerate(TRICKY)), "messages per folder")
    finally:
        shutil.rmtree(base)


@test
def t_dirname_examples():
    """dovecot_dirname() gives the documented directory names"""
    for folder, d in [("A/B", ".A.B"), ("Clients.Acme Corp", ".Clients\\2eAcme Corp"),
                      ("a\\b", ".a\\5cb"), (".hidden", ".\\2ehidden"), ("~t", ".\\7et"),
                      ("a~b", ".a~b"), ("A/~b", ".A.\\7eb"), ("R&D", ".R&-D"),
                      ("Kunden Übersicht €", ".Kunden &ANw-bersicht &IKw-"),
                      ("Bücher", ".B&APw-cher"), ("\x01ctl", ".&AAE-ctl"),
                      ("INBOX/Sub", ".INBOX.Sub"), ("INBOX", "")]:
        eq(dovecot.dovecot_dirname(folder), d, folder)


def _expect_failure(dirname, exc):
    base = tempfile.mkdtemp(prefix="dvh-")
    try:
        root = os.path.join(base, "Maildir")
        shutil.copytree(STATE["root"], root)
        put(root, dirname, "1.bad:2,S", b"Subject: bad\n\nbad\n", T0)
        try:
            dovecot.read_maildir(root)
        except exc as e:
            return str(e)
        raise AssertionError("no %s for directory %r" % (exc.__name__, dirname))
    finally:
        shutil.rmtree(base)


@test
def t_reject_raw_utf8_dir():
    """a raw UTF-8 directory name ('.Bücher' instead of '.B&APw-cher') is an error"""
    err = _expect_failure(".Zürich", dovecot.DoveadmError)
    assert "doesn't exist" in err, err


@test
def t_reject_uppercase_hex():
    """a non-canonical escape ('\\2E') is an error"""
    _expect_failure(".x\\2Ey", dovecot.DoveadmError)


@test
def t_reject_inbox_dir():
    """a '.Inbox' directory (invisible to Dovecot) is an error"""
    err = _expect_failure(".Inbox", dovecot.HarnessError)
    assert "'.Inbox' (1 files)" in err, err


@test
def t_temp_cleaned():
    """read_maildir leaves no temp dir behind"""
    left = glob.glob(os.path.join(tempfile.gettempdir(), "mdexport-dovecot-*"))
    new = sorted(set(left) - STATE["tmp_before"])
    eq(new, [], "leftover temp dirs")


def main():
    print("1..%d" % len(TESTS))
    if not dovecot.doveadm_available():
        for i, t in enumerate(TESTS, 1):
            print("ok %d - %s # SKIP doveadm not available (apt-get install -y dovecot-core)"
                  % (i, t.__doc__))
        return 0
    STATE["tmp_before"] = set(glob.glob(os.path.join(tempfile.gettempdir(), "mdexport-dovecot-*")))
    base = tempfile.mkdtemp(prefix="dvh-")
    STATE["root"] = build_tree(base)
    failed = 0
    try:
        for i, t in enumerate(TESTS, 1):
            try:
                t()
                print("ok %d - %s" % (i, t.__doc__))
            except Exception:
                failed += 1
                print("not ok %d - %s" % (i, t.__doc__))
                for line in traceback.format_exc().rstrip().splitlines():
                    print("# " + line)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("%d passed, %d failed" % (len(TESTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
