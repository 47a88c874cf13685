"""Dovecot's doveadm as an independent reader of a Maildir++ tree.

Python 3 standard library only.  Needs the Debian package dovecot-core
(`doveadm`, plus the listescape plugin it ships).

    from dovecot import read_maildir, doveadm_available
    tree = read_maildir("/path/to/Maildir")
    tree["folders"]     # ["INBOX", "A/B", "Clients.Acme Corp", ...]   sorted
    tree["subscribed"]  # names from the subscriptions file, as Dovecot reads it
    tree["messages"]    # [{"folder", "flags", "received", "raw", "uid", "guid"}]

How it reads (see docs in the function doc strings):
  * the tree is copied to a fresh temp dir (Dovecot writes index files,
    dovecot-uidlist, moves new/ to cur/, may create folders), chowned to
    65534 when run as root, and deleted afterwards;
  * doveadm runs 4 times for the whole tree, never once per message:
      doveadm -f json mailbox list
      doveadm -f json mailbox list -s
      doveadm -f json mailbox status 'guid messages' '*'
      doveadm -f pager fetch 'mailbox-guid uid guid flags
                               date.received.unixtime size.physical text' all
  * `text` is the message file's bytes exactly as stored (no CRLF/LF
    conversion, 8-bit and NUL bytes kept, no final newline added); the
    pager output is cut with size.physical, and the cut is checked;
  * consistency checks (strict=True, the default): every doveadm run exits 0
    with empty stderr; every folder Dovecot lists opens; the number of
    messages fetched per folder equals `mailbox status`; the number of
    message files in cur/ and new/ on disk equals the number Dovecot returns.
    A folder whose directory name is not Dovecot's canonical form is listed
    but cannot be opened, or is not listed at all (.INBOX, .Inbox); with
    doveadm's own exit code 0 its messages would silently be missing, hence
    the file count check.
"""

import base64
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile

__all__ = [
    "DoveadmError",
    "HarnessError",
    "doveadm_available",
    "read_maildir",
    "dovecot_dirname",
    "DOVEADM",
]

DOVEADM = os.environ.get("DOVEADM") or shutil.which("doveadm") or "/usr/bin/doveadm"
MAIL_ID = 65534  # nobody/nogroup on Debian; used when running as root

FETCH_FIELDS = ["mailbox-guid", "uid", "guid", "flags",
                "date.received.unixtime", "size.physical", "text"]

_CONF_TEMPLATE = """\
mail_location = maildir:{maildir}
mail_home = {home}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
ssl = no
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
mail_plugins = listescape
plugin {{
  listescape_char = "\\\\"
}}
namespace inbox {{
  inbox = yes
  prefix =
  separator = /
}}
"""


class DoveadmError(RuntimeError):
    """doveadm exited non-zero or (strict) wrote to stderr."""

    def __init__(self, args, returncode, stderr, stdout=b""):
        self.cmd = list(args)
        self.returncode = returncode
        self.stderr = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
        self.stdout = stdout
        super().__init__(
            "doveadm failed (exit %d): %s\n--- doveadm stderr ---\n%s"
            % (returncode, " ".join(_shq(a) for a in self.cmd), self.stderr.rstrip()))


class HarnessError(RuntimeError):
    """Dovecot's view of the tree is inconsistent with the files on disk,
    or doveadm's output could not be parsed."""


def _shq(s):
    return s if re.fullmatch(r"[A-Za-z0-9_./=:@%+,-]+", s) else "'" + s.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------------------
# Dovecot's folder naming (Maildir++, separator '/', listescape_char '\')

def _mutf7(part):
    """IMAP modified UTF-7 as Dovecot 2.3 writes it (imap_utf8_to_utf7)."""
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            out.append("&" + b.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in part:
        if 0x20 <= ord(ch) < 0x7F:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _escape(part):
    """listescape: '.' and '\\' anywhere, '~' at the start of a component,
    as '\\' + two lowercase hex digits (applied after mUTF-7)."""
    out = []
    for i, ch in enumerate(part):
        if ch in ".\\/" or (i == 0 and ch == "~"):
            out.append("\\%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def dovecot_dirname(folder):
    """Directory name (relative to the Maildir root) that Dovecot 2.3 uses for
    `folder` ('/'-separated, UTF-8) with the config of this module.
    "INBOX" (any case) is the root itself and gives "".  Each component is
    converted to modified UTF-7, then listescape-escaped; components are
    joined with '.' and the whole gets a leading '.'.
    For diagnostics and for tests that want to predict names; the harness
    itself does not rely on it."""
    parts = folder.split("/")
    if any(p == "" for p in parts):
        raise ValueError("empty component in folder name %r" % folder)
    if folder.upper() == "INBOX":
        return ""
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"  # Dovecot normalises the INBOX component
    return "." + ".".join(_escape(_mutf7(p)) for p in parts)


# ---------------------------------------------------------------------------

_available = None


def doveadm_available():
    """True when doveadm (with the listescape plugin) can read a Maildir here.
    Does one real read of a one-message tree the first time, then caches."""
    global _available
    if _available is not None:
        return _available
    _available = False
    if not (os.path.isfile(DOVEADM) and os.access(DOVEADM, os.X_OK)):
        return False
    probe = tempfile.mkdtemp(prefix="mdexport-dvprobe-")
    try:
        cur = os.path.join(probe, "Maildir", "cur")
        os.makedirs(cur)
        os.makedirs(os.path.join(probe, "Maildir", ".a\\2eb", "cur"))
        with open(os.path.join(cur, "1.probe:2,S"), "wb") as f:
            f.write(b"Subject: probe\n\nprobe\n")
        t = read_maildir(os.path.join(probe, "Maildir"))
        _available = (sorted(t["folders"]) == ["INBOX", "a.b"]
                      and len(t["messages"]) == 1
                      and t["messages"][0]["raw"] == b"Subject: probe\n\nprobe\n")
    except Exception:
        _available = False
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return _available


def _chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            os.lchown(os.path.join(dirpath, n), uid, gid)


def _count_message_files(root):
    """{dirname: number of message files in cur/ and new/} for the root
    ("") and every first-level '.'-directory. Dovecot ignores tmp/ and
    names starting with '.'."""
    counts = {}
    dirs = [""]
    for name in sorted(os.listdir(root)):
        if name.startswith(".") and name not in (".", "..") and \
                os.path.isdir(os.path.join(root, name)):
            dirs.append(name)
    for d in dirs:
        n = 0
        for sub in ("cur", "new"):
            p = os.path.join(root, d, sub)
            if os.path.isdir(p):
                n += sum(1 for f in os.listdir(p)
                         if not f.startswith(".") and os.path.isfile(os.path.join(p, f)))
        counts[d] = n
    return counts


class _Runner:
    def __init__(self, conf, env, strict):
        self.conf, self.env, self.strict = conf, env, strict

    def run(self, *args):
        cmd = [DOVEADM, "-c", self.conf] + list(args)
        p = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0 or (self.strict and p.stderr.strip()):
            raise DoveadmError(cmd, p.returncode, p.stderr, p.stdout)
        return p.stdout

    def json(self, *args):
        out = self.run("-f", "json", *args)
        try:
            return json.loads(out.decode("utf-8"))
        except ValueError as e:
            raise HarnessError("cannot parse doveadm json output of %r: %s\n%r"
                               % (args, e, out[:500]))


def _parse_fetch_pager(out, fields):
    """Parse `doveadm -f pager fetch '<fields...> text'` output.
    Layout per record: 'name: value\\n' for every field before text, then
    'text:\\n' and exactly size.physical raw bytes; records are separated by
    '\\f\\n' (written before every record but the first, right after the
    previous text, with no newline added)."""
    assert fields[-1] == "text" and "size.physical" in fields
    recs, pos, n = [], 0, len(out)
    while pos < n:
        if recs:
            if out[pos:pos + 2] != b"\f\n":
                raise HarnessError("doveadm fetch output: no record separator at byte %d "
                                   "(text length != size.physical?): %r"
                                   % (pos, out[pos:pos + 80]))
            pos += 2
        rec = {}
        for f in fields[:-1]:
            prefix = f.encode("ascii") + b": "
            end = out.find(b"\n", pos)
            if end < 0 or not out.startswith(prefix, pos):
                raise HarnessError("doveadm fetch output: expected %r at byte %d: %r"
                                   % (prefix, pos, out[pos:pos + 80]))
            rec[f] = out[pos + len(prefix):end].decode("utf-8")
            pos = end + 1
        if not out.startswith(b"text:\n", pos):
            raise HarnessError("doveadm fetch output: expected 'text:' at byte %d: %r"
                               % (pos, out[pos:pos + 80]))
        pos += len(b"text:\n")
        size = int(rec["size.physical"])
        if pos + size > n:
            raise HarnessError("doveadm fetch output truncated: uid %s wants %d bytes at %d of %d"
                               % (rec.get("uid"), size, pos, n))
        rec["text"] = out[pos:pos + size]
        pos += size
        recs.append(rec)
    return recs


def read_maildir(maildir_root, strict=True, keep_tmp=False):
    """Read a Maildir++ tree with doveadm and return
    {"folders":    [str]  folders that exist and open, '/'-separated UTF-8,
                          INBOX included, sorted,
     "listed":     [str]  everything `doveadm mailbox list` prints, which
                          also has parents implied by a nested folder
                          (".A.B" alone lists "A" too), sorted,
     "subscribed": [str]  `doveadm mailbox list -s`, sorted,
     "uidvalidity": {folder: (UIDVALIDITY, UIDNEXT)}  `doveadm mailbox status`,
     "messages":   [{"folder": str, "flags": set of str ("\\Seen", ...;
                     \\Recent removed; keywords kept as named),
                     "received": int (Unix seconds, from the file mtime),
                     "raw": bytes (the message file as stored),
                     "uid": int, "guid": str (the maildir base name,
                     the file name up to ':')}]
                   sorted by (folder, uid); uids follow file name order.}
    Raises DoveadmError (with doveadm's stderr) or HarnessError."""
    maildir_root = os.path.abspath(maildir_root)
    if not os.path.isdir(maildir_root):
        raise HarnessError("not a directory: %s" % maildir_root)
    if not (os.path.isfile(DOVEADM) and os.access(DOVEADM, os.X_OK)):
        raise HarnessError("doveadm not found (%s): apt-get install -y dovecot-core" % DOVEADM)

    tmp = tempfile.mkdtemp(prefix="mdexport-dovecot-")
    try:
        if ":" in tmp or "\n" in tmp:
            raise HarnessError("temp dir path unusable in mail_location: %r" % tmp)
        os.chmod(tmp, 0o755)
        maildir = os.path.join(tmp, "Maildir")
        # copy2 keeps mtimes (= received dates); symlinks are copied as links
        shutil.copytree(maildir_root, maildir, symlinks=True)
        for d in ("run", "state"):
            os.mkdir(os.path.join(tmp, d))
        disk_counts = _count_message_files(maildir)

        if os.geteuid() == 0:
            uid = gid = MAIL_ID
            _chown_tree(tmp, uid, gid)
            user = "nobody"
        else:
            uid, gid = os.getuid(), os.getgid()
            try:
                user = pwd.getpwuid(uid).pw_name
            except KeyError:
                user = "u%d" % uid
        conf = os.path.join(tmp, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(_CONF_TEMPLATE.format(maildir=maildir, home=tmp, uid=uid, gid=gid))
        os.chmod(conf, 0o644)

        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "USER": user, "HOME": tmp, "TZ": "UTC", "LANG": "C", "LC_ALL": "C"}
        r = _Runner(conf, env, strict)

        listed = [e["mailbox"] for e in r.json("mailbox", "list")]
        subscribed = [e["mailbox"] for e in r.json("mailbox", "list", "-s")]
        status = r.json("mailbox", "status", "guid messages uidvalidity uidnext", "*")
        by_guid = {}
        expected = {}
        uidvalidity = {}
        for e in status:
            if e["guid"] in by_guid:
                raise HarnessError("two folders with mailbox guid %s" % e["guid"])
            by_guid[e["guid"]] = e["mailbox"]
            expected[e["mailbox"]] = int(e["messages"])
            uidvalidity[e["mailbox"]] = (int(e["uidvalidity"]), int(e["uidnext"]))
        folders = sorted(expected)

        out = r.run("-f", "pager", "fetch", " ".join(FETCH_FIELDS), "all")
        messages = []
        for rec in _parse_fetch_pager(out, FETCH_FIELDS):
            g = rec["mailbox-guid"]
            if g not in by_guid:
                raise HarnessError("fetch returned a message of unknown mailbox guid %s" % g)
            flags = set(rec["flags"].split()) - {"\\Recent"}
            messages.append({
                "folder": by_guid[g],
                "flags": flags,
                "received": int(rec["date.received.unixtime"]),
                "raw": rec["text"],
                "uid": int(rec["uid"]),
                "guid": rec["guid"],
            })
        messages.sort(key=lambda m: (m["folder"], m["uid"]))

        if strict:
            got = {}
            for m in messages:
                got[m["folder"]] = got.get(m["folder"], 0) + 1
            for fo, cnt in expected.items():
                if got.get(fo, 0) != cnt:
                    raise HarnessError("folder %r: mailbox status says %d messages, fetch returned %d"
                                       % (fo, cnt, got.get(fo, 0)))
            on_disk = sum(disk_counts.values())
            if on_disk != len(messages):
                known = {dovecot_dirname(fo) for fo in folders}
                suspects = ["%r (%d files)" % (d, c) for d, c in sorted(disk_counts.items())
                            if c and d not in known]
                raise HarnessError(
                    "%d message files in cur/ and new/ but Dovecot returned %d messages; "
                    "directories Dovecot did not read (name not in Dovecot's canonical form?): %s"
                    % (on_disk, len(messages), ", ".join(suspects) or "none found"))

        return {"folders": folders, "listed": sorted(listed),
                "subscribed": sorted(subscribed), "messages": messages,
                "uidvalidity": uidvalidity}
    finally:
        if keep_tmp:
            print("# dovecot harness: kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
