#!/usr/bin/env python3
"""End-to-end (issue 14): `mdexport accounts` and public folders.

accounts: the table, --csv (read by Python's csv module) and --json against
fixtures/store's App/userlist.dat read here on its own (the fixed-width
layout of mdaemon-store.md 9.1) and against fixtures/store.expected.json
(tools/mkfixture): names, access type, disabled, quotas, mail found (the
messages and bytes of the spec's mail folders); --user/--domain; an account
whose MailDir is missing (exit 1) with a full name that needs CSV quoting;
a store with no account list (exit 2).  No password of the fixture appears
in any output, nor in a core of the process taken as it exits (gdb).

public folders: `Public Folders/` is one more mailbox, Public Folders@public:
listed by list, exported by export in every format (DIR/public/Public
Folders[.pst] with its manifest), checked by verify, read back by Python's
mailbox module, Dovecot (Maildir) and readpst (PST); --no-public-folders,
--user/--domain select it; a message file directly in Public Folders/ is
named in a warning, not exported; SOURCE is left untouched."""

import base64
import csv
import glob
import io
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

sys.path.insert(0, os.path.join(e2e.ROOT, "tools"))
sys.dont_write_bytecode = True
import mdstore  # noqa: E402

tap = e2e.Tap("accounts")
work = e2e.tmpdir("accounts")
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
store = e2e.copytree(FIXTURE, os.path.join(work, "store"))
spec = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
expected = e2e.fixture_expected(store, spec)


# ---- userlist.dat, read here on its own ----------------------------------------------------

def read_userlist(path):
    """Each record's fields by the documented offsets (mdaemon-store.md 9.1)."""
    out = {}
    for raw in open(path, "rb").read().split(b"\r\n"):
        if not raw:
            continue
        f = lambda off, n: raw[off:off + n].decode("cp1252").strip()  # noqa: E731
        rec = {"domain": f(0, 45), "mailbox": f(45, 30), "full_name": f(75, 30),
               "password": f(195, 20), "access": f(217, 1), "apply_quotas": f(222, 1),
               "max_messages": int(f(225, 4)), "max_disk_kb": int(f(229, 6))}
        out["%s@%s" % (rec["mailbox"], rec["domain"])] = rec
    return out


userlist = read_userlist(os.path.join(store, "App", "userlist.dat"))
ACCESS = {"Y": "POP and IMAP", "P": "POP only", "I": "IMAP only", "N": "none", "C": "none (disabled)"}
secrets = []
for rec in userlist.values():
    secrets.append(rec["password"])
    try:
        secrets.append(base64.b64decode(rec["password"]).decode("latin-1"))
    except ValueError:
        pass
secrets = [s for s in secrets if len(s) >= 6]
tap.ok(len(secrets) >= 4, "the fixture's userlist.dat holds passwords to look for", secrets)


def want_rows():
    """The accounts, as the spec and userlist.dat say; mail found from the spec's mail folders."""
    rows = {}
    for mb in spec["mailboxes"]:
        addr = "%s@%s" % (mb["mailbox"], mb["domain"])
        ul = userlist.get(addr)
        # accounts counts the mail folders' messages, as list does (issue 14 exports a
        # calendar folder's .msg files too, but they are no mail folder's)
        mail_folders = {f["path"] for f in mb["folders"] if f["mail"]}
        mine = [e for e in expected if (e["domain"], e["mailbox"]) == (mb["domain"], mb["mailbox"])
                and e["folder"] in mail_folders]
        rows[addr] = {
            "domain": mb["domain"], "mailbox": mb["mailbox"], "address": addr,
            "full_name": mb["fullname"] or "", "mail_folder_found": True,
            "access": ul["access"] if ul else None,
            "access_text": ACCESS[ul["access"]] if ul else None,
            "disabled": ul["access"] == "C" if ul else None,
            "apply_quotas": ul["apply_quotas"] == "Y" if ul else None,
            "max_messages": ul["max_messages"] if ul else None,
            "max_disk_kb": ul["max_disk_kb"] if ul else None,
            "messages": len(mine), "bytes": sum(os.path.getsize(e["path"]) for e in mine),
            "folders": sum(1 for f in mb["folders"] if f["mail"]),
            "origin": "userlist.dat" if mb["in_userlist"] else "Users/",
            "shared_with": None, "path": os.path.realpath(os.path.join(store, mb["maildir"])),
            "problem": None,
        }
        tap.ok(bool(ul) == mb["in_userlist"], "%s: in userlist.dat as the spec says" % addr)
    return rows


WANT = want_rows()
frozen = e2e.freeze(store)      # from here on, only mdexport reads the store (until the end)
outputs = []       # every stdout and stderr, for the password check


def accounts(*args):
    rc, out, err = e2e.run(["accounts", store] + list(args))
    outputs.extend([out, err])
    return rc, out, err


# ---- JSON ----------------------------------------------------------------------------------
rc, out, err = accounts("--json")
tap.eq(rc, 0, "accounts --json exits 0")
try:
    doc = json.loads(out)
except ValueError as ex:
    doc = None
    tap.ok(False, "accounts --json is one JSON document", "%s\n%s" % (ex, out[:1000]))
tap.ok(isinstance(doc, list) and all(isinstance(r, dict) for r in doc),
       "accounts --json: one array of objects")
got = {r["address"]: r for r in doc or []}
tap.eq(sorted(got), sorted(WANT), "accounts --json: every account of the spec, no public folders")
for addr, want in sorted(WANT.items()):
    tap.eq(got.get(addr), want, "json %s: names, access, disabled, quotas, mail found, origin, path"
           % addr)

# ---- CSV -----------------------------------------------------------------------------------
rc, out_csv, err = accounts("--csv")
tap.eq(rc, 0, "accounts --csv exits 0")
raw_csv = subprocess.run([e2e.MDEXPORT, "accounts", store, "--csv"], capture_output=True).stdout
tap.ok(raw_csv.count(b"\r\n") == len(WANT) + 1 and raw_csv.replace(b"\r\n", b"").count(b"\n") == 0,
       "accounts --csv: a header row and a row per account, each ended by CRLF (RFC 4180)")
rows = list(csv.DictReader(io.StringIO(raw_csv.decode("utf-8"), newline="")))
tap.eq(list(rows[0].keys()) if rows else [], list(next(iter(WANT.values())).keys()),
       "accounts --csv: the header names the JSON's fields in the same order")


def as_csv(v):
    return "" if v is None else ("yes" if v else "no") if isinstance(v, bool) else str(v)


tap.eq({r["address"]: r for r in rows},
       {a: {k: as_csv(v) for k, v in w.items()} for a, w in WANT.items()},
       "accounts --csv: the same values (yes/no, empty when not known)")

# ---- the table -----------------------------------------------------------------------------
rc, out, err = accounts()
lines = out.splitlines()
tap.ok(rc == 0 and len(lines) == len(WANT) + 1 and lines[0].startswith("DOMAIN"),
       "accounts: a header and a line per account", out)
tap.ok(all(any(l.split()[:3] == [w["domain"], w["mailbox"], a] for l in lines[1:])
           for a, w in WANT.items()), "accounts: each account's domain, mailbox and address", out)
carol = next((l for l in lines if "carol@example.org" in l), "")
tap.ok("Carol Müller" in carol and "POP and IMAP" in carol and " 1000 " in carol and
       " 250000 " in carol, "accounts: carol's line: name (cp1252 decoded), access, quotas", carol)
tot_msgs = sum(w["messages"] for w in WANT.values())
tot_bytes = sum(w["bytes"] for w in WANT.values())
# issue 16: sizes for people in KiB/MiB/GiB (1024-based, one decimal); --bytes gives the count
tap.ok("%d accounts (%d with their mail folder found, 0 disabled), %d mail messages, %.1f KiB of mail"
       % (len(WANT), len(WANT), tot_msgs, tot_bytes / 1024) in err,
       "accounts: the count and totals line on stderr", err[-500:])
rc_b, _out_b, err_b = e2e.run(["accounts", store, "--bytes"])
tap.ok("%d mail messages, %d B of mail" % (tot_msgs, tot_bytes) in err_b,
       "accounts --bytes: the totals line has the byte count", err_b[-300:])
tap.ok(all(not l.endswith(" ") for l in lines), "accounts: no trailing blanks")

# ---- --user / --domain ---------------------------------------------------------------------
rc, out, err = accounts("--json", "--user", "alice@example.com", "--user", "DAVE@example.com")
tap.ok(rc == 0 and sorted(r["address"] for r in json.loads(out)) ==
       ["alice@example.com", "dave@example.com"], "--user (repeatable, any case)", out + err)
rc, out, err = accounts("--json", "--domain", "example.org")
tap.ok(rc == 0 and [r["address"] for r in json.loads(out)] == ["carol@example.org"],
       "--domain example.org: carol only", out + err)
rc, out, err = accounts("--json", "--user", "nobody@example.com")
tap.ok(rc == 2 and "no mailbox 'nobody@example.com'" in err, "--user naming no account: exit 2", err)
rc, out, err = accounts("--json", "--user", "Public Folders@public")
tap.ok(rc == 2 and json.loads(out) == [], "the public folders are no account (exit 2 when asked for)",
       out + err)
rc, out, err = accounts("--json", "--csv")
tap.ok(rc == 2 and "choose one" in err, "--json with --csv: usage error", err[:300])
rc, out, err = e2e.run(["accounts", "--help"])
tap.ok(rc == 0 and "mdexport accounts SOURCE" in out and "--csv" in out, "accounts --help", out[:300])

# ---- a store with no account list; an account without its folder ------------------------------
md = os.path.join(work, "maildir")
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(md, d))
rc, out, err = e2e.run(["accounts", "maildir:" + md])
tap.ok(rc == 2 and "has no account list" in err and not out, "a Maildir: no account list, exit 2", err)

odd = e2e.copytree(FIXTURE, os.path.join(work, "odd"))
extra = mdstore.userlist_line({"domain": "example.com", "mailbox": "eve", "fullname": 'Smith, "Eve"',
                               "maildir": "C:\\MDaemon\\Users\\example.com\\eve\\",
                               "password": "RXZlU2VjcmV0UGFzcw==", "flags": "NNCNYNNYNN",
                               "max_messages": 12, "max_disk": 3456})
with open(os.path.join(odd, "App", "userlist.dat"), "ab") as f:
    f.write(extra)
secrets += ["RXZlU2VjcmV0UGFzcw==", "EveSecretPass"]
p = subprocess.run([e2e.MDEXPORT, "accounts", odd, "--csv"], capture_output=True)
outputs.extend([p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")])
eve = [r for r in csv.DictReader(io.StringIO(p.stdout.decode("utf-8"), newline=""))
       if r["address"] == "eve@example.com"]
tap.ok(p.returncode == 1 and len(eve) == 1 and eve[0]["full_name"] == 'Smith, "Eve"' and
       eve[0]["mail_folder_found"] == "no" and eve[0]["disabled"] == "yes" and
       eve[0]["access"] == "C" and eve[0]["max_messages"] == "12" and
       eve[0]["max_disk_kb"] == "3456" and eve[0]["path"] == "" and
       "was not found" in eve[0]["problem"] and b'"Smith, ""Eve"""' in p.stdout,
       "an account whose MailDir is missing: listed, found no, disabled, exit 1; its name quoted",
       (p.returncode, eve, p.stderr[-500:]))
rc, out, err = e2e.run(["accounts", odd, "--json", "--user", "eve@example.com"])
r = (json.loads(out) or [{}])[0] if rc in (0, 1) else {}
tap.ok(rc == 1 and r.get("mail_folder_found") is False and r.get("path") is None and
       r.get("messages") == 0 and r.get("disabled") is True,
       "json: the missing folder as false/null, disabled true", out + err)
outputs.extend([out, err])

# ---- no password anywhere ------------------------------------------------------------------
leaks = [s for s in secrets for o in outputs if s in o]
tap.ok(not leaks, "no password of userlist.dat in any output (%d outputs, %d strings)"
       % (len(outputs), len(secrets)), leaks)
gdb = shutil.which("gdb")
if gdb and not e2e.SANITIZED:
    core = os.path.join(work, "core")
    g = subprocess.run([gdb, "-q", "-batch", "-ex", "set pagination off",
                        "-ex", "catch syscall exit_group", "-ex", "run", "-ex", "gcore " + core,
                        "--args", e2e.MDEXPORT, "accounts", odd, "--json", "-q"],
                       capture_output=True, timeout=120)
    data = open(core, "rb").read() if os.path.exists(core) else b""
    # the strings and 8-byte pieces of them: nothing of a password left in memory
    pieces = {s[i:i + 8].encode("latin-1") for s in secrets for i in range(0, len(s) - 7, 4)}
    found = sorted(p.decode("latin-1") for p in pieces if p in data)
    tap.ok(len(data) > 100000 and not found,
           "a core of `accounts` as it exits holds no piece of a password (%d pieces)" % len(pieces),
           found or g.stderr.decode("utf-8", "replace")[-800:])
    if os.path.exists(core):
        os.unlink(core)
else:
    tap.skip("a core of `accounts` holds no password", "no gdb" if not gdb else "sanitized build")

# ---- public folders: list ------------------------------------------------------------------
PUB = ("public", "Public Folders")
pub_spec = spec["public_folders"]
pub_exp = [e for e in expected if (e["domain"], e["mailbox"]) == PUB]
tap.eq(len(pub_exp), 2, "the spec's public folders hold 2 mail messages")
rc, out, err = e2e.run(["list", store, "--json"])
boxes = {(b["domain"], b["mailbox"]): b for b in json.loads(out)["mailboxes"]} if rc == 0 else {}
pb = boxes.get(PUB, {})
tap.ok(rc == 0 and list(boxes)[-1:] == [PUB] and
       sorted(f["path"] for f in pb.get("folders", [])) == sorted(f["path"] for f in pub_spec["folders"])
       and {f["path"]: f["messages"] for f in pb["folders"]} == {"Support": 1, "Support/Escalations": 1},
       "list: Public Folders@public last, its folders (no INBOX) and counts", pb)
rc, out, err = e2e.run(["list", store, "--json", "--no-public-folders"])
tap.ok(rc == 0 and PUB not in {(b["domain"], b["mailbox"]) for b in json.loads(out)["mailboxes"]},
       "list --no-public-folders: not listed")

# ---- export and verify in every format -------------------------------------------------------
FORMATS = ("mbox", "maildir", "eml", "pst")
for fmt in FORMATS:
    outdir = os.path.join(work, "out-" + fmt)
    rc, out, err = e2e.run(["export", store, "--format", fmt, "--output", outdir, "-q"])
    tap.eq(rc, 0, "%s: export exits 0" % fmt)
    rc, out, err = e2e.run(["verify", store, outdir])
    tap.ok(rc == 0 and "Public Folders@public: verified: 2 verified" in out,
           "%s: verify exits 0, the public folders' 2 messages verified" % fmt, (out + err)[-800:])
    rc, out, err = e2e.run(["verify", store, outdir, "--no-public-folders"])
    tap.ok(rc == 1 and "public/Public Folders.manifest.jsonl" in out + err,
           "%s: verify --no-public-folders of a full export: the public manifest is named "
           "(give verify the export's options)" % fmt, (out + err)[-600:])
changed = e2e.unchanged(store, frozen)
tap.ok(not changed, "accounts, list, export and verify left SOURCE untouched (content, modes, "
       "mtimes, atimes)", "\n".join(changed[:10]))

# ---- what the exports hold, read back ------------------------------------------------------
for fmt in FORMATS:
    outdir = os.path.join(work, "out-" + fmt)
    target = os.path.join(outdir, "public", "Public Folders" + (".pst" if fmt == "pst" else ""))
    man = os.path.join(outdir, "public", "Public Folders.manifest.jsonl")
    tap.ok(os.path.exists(target) and os.path.exists(man),
           "%s: DIR/public/Public Folders%s and its manifest" % (fmt, ".pst" if fmt == "pst" else ""),
           sorted(os.listdir(outdir)))
    lines = [json.loads(l) for l in open(man, encoding="utf-8")] if os.path.exists(man) else [{}]
    head, msgs = lines[0], [l for l in lines[1:] if "sha256" in l]
    want = sorted((m["source"], m["sha256"], m["size"], m["folder"]) for m in pub_spec["messages"])
    tap.ok(head.get("mailbox") == "Public Folders@public" and
           sorted((m["source"], m["sha256"], m["size"], m["folder"]) for m in msgs) == want and
           all(m["status"] == "exported" for m in msgs),
           "%s: its manifest lists each public message (source, SHA-256, size, folder)" % fmt,
           (head.get("mailbox"), msgs))
    if fmt != "pst":
        e2e.check_format(tap, fmt, outdir, pub_exp, " (public)")
    else:
        rp = os.path.join(work, "readpst")
        os.makedirs(rp)
        p = subprocess.run(["readpst", "-D", "-r", "-o", rp, target], capture_output=True)
        found = {}
        for path in glob.glob(os.path.join(rp, "**", "mbox"), recursive=True):
            data = open(path, "rb").read()
            found[os.path.relpath(os.path.dirname(path), rp)] = data.count(b"\nMessage-ID: <fixture.")\
                + data.startswith(b"Message-ID: <fixture.")
        ids = [m["message_id"] for m in pub_spec["messages"]]
        alltext = b"".join(open(pth, "rb").read()
                           for pth in glob.glob(os.path.join(rp, "**", "mbox"), recursive=True))
        tap.ok(p.returncode == 0 and all(i.encode() in alltext for i in ids) and
               any(k.endswith("Support") for k in found) and
               any(k.endswith("Support/Escalations") for k in found),
               "pst: readpst reads Public Folders.pst: folders Support and Support/Escalations, "
               "both messages", (p.stderr[-500:], sorted(found)))

# ---- leaving them out, selecting them ----------------------------------------------------------
o = os.path.join(work, "nopub")
rc, out, err = e2e.run(["export", store, "-f", "mbox", "-o", o, "-q", "--no-public-folders"])
rc2, vout, verr = e2e.run(["verify", store, o, "--no-public-folders"])
tap.ok(rc == 0 and not os.path.exists(os.path.join(o, "public")) and rc2 == 0,
       "--no-public-folders: no DIR/public; verify with it exits 0", os.listdir(o) if rc == 0 else err)
for sel in (["--user", "Public Folders@public"], ["--domain", "public"]):
    o = os.path.join(work, "only-" + sel[0].strip("-"))
    rc, out, err = e2e.run(["export", store, "-f", "eml", "-o", o, "-q"] + sel)
    tap.ok(rc == 0 and sorted(os.listdir(o)) in (["public"], [".mdexport", "public"]) and
           sorted(os.listdir(os.path.join(o, "public"))) ==
           ["Public Folders", "Public Folders.manifest.jsonl"],
           "%s %s: only the public folders" % tuple(sel), sorted(os.listdir(o)) if rc == 0 else err)
o = os.path.join(work, "alice")
rc, out, err = e2e.run(["export", store, "-f", "eml", "-o", o, "-q", "--user", "alice@example.com"])
tap.ok(rc == 0 and not os.path.exists(os.path.join(o, "public")),
       "--user alice@example.com: no public folders", err)

# ---- a message file outside any public folder ----------------------------------------------------
stray = e2e.copytree(FIXTURE, os.path.join(work, "stray"))
shutil.copy(os.path.join(stray, pub_spec["messages"][0]["source"]),
            os.path.join(stray, "Public Folders", "md50000000999.msg"))
o = os.path.join(work, "stray-out")
rc, out, err = e2e.run(["export", stray, "-f", "mbox", "-o", o, "--user", "Public Folders@public"])
man = os.path.join(o, "public", "Public Folders.manifest.jsonl")
n = sum(1 for l in open(man) if '"sha256"' in l) if os.path.exists(man) else -1
tap.ok(rc == 0 and "md50000000999.msg" in err and "outside any folder" in err and n == 2,
       "a .msg directly in Public Folders/: named in a warning, not exported", err[-600:])

e2e.remove_work(work)
tap.done()
