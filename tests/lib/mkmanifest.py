"""mkmanifest: the per-mailbox manifest exactly as its spec (README, "Manifest")
describes it, built from an export and from what a test knows of its store,
so that `mdexport verify` can be tested before the export writes its own.

    paths = mkmanifest.build(source, outdir, fmt, expected)

writes DIR/<domain>/<mailbox>.manifest.jsonl for every mailbox of the store
and returns {(domain, mailbox): path}.  `expected` lists the store's mail
messages as the tests know them: dicts with domain, mailbox, folder, path
(absolute source file), flags (IMAP names), internaldate and uid (None
without an index record).  What the test does not know comes from mdexport
itself, each piece from a documented output: the folders, their order and
UIDVALIDITY from `mdexport list --json`; each message's position in its
folder from an EML export (NNNNNN.eml is that position); where each
message went from the export being described (an mbox file cut at its
From_ lines, a Maildir name's M<n>, a PST's message nodes in NID order,
read by tests/lib/pstread.py).

Everything is built as bytes: a source path that is not UTF-8 (a Latin-1
folder name) is written as it is, as formats/core/sbuf.c's JSON writer does.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
import e2e  # noqa: E402
import dovecot  # noqa: E402
import pstread  # noqa: E402

FLAG_ORDER = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]


# ---- JSON, as sbuf_add_json_str writes it -----------------------------------

def jstr(value):
    """A JSON string of bytes or str: '"' '\\' and control bytes escaped,
    UTF-8 as it is, a byte that is not UTF-8 as \\udcXX (the manifest's
    documented way, Python's surrogateescape)."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    out = bytearray(b'"')
    for ch in raw.decode("utf-8", "surrogateescape"):
        c = ord(ch)
        if ch == '"':
            out += b'\\"'
        elif ch == "\\":
            out += b"\\\\"
        elif ch == "\n":
            out += b"\\n"
        elif ch == "\r":
            out += b"\\r"
        elif ch == "\t":
            out += b"\\t"
        elif c < 0x20 or c == 0x7F or 0xDC80 <= c <= 0xDCFF:
            out += b"\\u%04x" % c
        else:
            out += ch.encode("utf-8")
    out += b'"'
    return bytes(out)


def jval(v):
    if v is None:
        return b"null"
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if isinstance(v, int):
        return b"%d" % v
    if isinstance(v, (bytes, str)):
        return jstr(v)
    if isinstance(v, list):
        return b"[" + b",".join(jval(x) for x in v) + b"]"
    if isinstance(v, dict):
        return b"{" + b",".join(jstr(k) + b":" + jval(x) for k, x in v.items()) + b"}"
    raise TypeError(v)


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ---- what the reader finds in a message's header ----------------------------

def header_block(data):
    """The header block as the reader delimits it: up to and including the
    first empty line (LF LF or LF CR LF), or the whole file."""
    m = re.search(rb"\n\r?\n", data)
    return data[:m.end()] if m else data


def header_value(data, name):
    """The first `name` field, as formats/core/message.c's header_block_get
    finds it: CR and LF removed, leading blanks trimmed; trailing blanks
    trimmed too (the spec's "trimmed").  None when absent."""
    head = header_block(data)
    lines = head.split(b"\n")
    lname = name.lower().encode()
    for i, line in enumerate(lines):
        if not line[:len(lname)].lower() == lname:
            continue
        rest = line[len(lname):].lstrip(b" \t")
        if not rest.startswith(b":"):
            continue
        value = rest[1:]
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            value += lines[j]
            j += 1
        value = value.replace(b"\r", b"").replace(b"\n", b"")
        return value.strip(b" \t")
    return None


# ---- where the export put each message --------------------------------------

def exported(f):
    """a folder whose .msg files are exported as mail: a mail folder, or since
    issue 14 a calendar, contacts, tasks or notes folder (its items have
    lines of their own, which this spec does not build: t8600 checks them)"""
    return f["mail"] or f["class"] in e2e.GROUPWARE_EXPORTED


def positions(source, listing):
    """{sha256 of a source file: (folder, position)}, from an EML export."""
    tmp = tempfile.mkdtemp(prefix="mdx-mkmanifest-")
    try:
        rc, _, err = e2e.run(["export", source, "--format", "eml", "--output", tmp, "--quiet"])
        if rc not in (0, 1):
            raise RuntimeError("probe export failed: " + err)
        out = {}
        for mb in listing["mailboxes"]:
            base = os.path.join(tmp, e2e.fs_escape(mb["domain"]), e2e.fs_escape(mb["mailbox"]))
            for f in mb["folders"]:
                d = os.path.join(base, *[e2e.fs_escape(p) for p in f["path"].split("/") if p])
                if not exported(f) or not os.path.isdir(d):
                    continue
                for name in os.listdir(d):
                    if name.endswith(".eml"):
                        out[e2e.sha256(e2e.read(os.path.join(d, name)))] = (f["path"], int(name[:-4]))
        return out
    finally:
        shutil.rmtree(tmp)


def mbox_regions(path):
    """(offset, length) of each message of an mbox file, cut at its From_ lines."""
    data = e2e.read(path) if os.path.exists(path) else b""
    starts = ([0] if data.startswith(b"From ") else []) + [m.start() + 1 for m in re.finditer(rb"\nFrom ", data)]
    return [(s, (starts[i + 1] if i + 1 < len(starts) else len(data)) - s) for i, s in enumerate(starts)]


def pst_message_nids(path):
    """Every message node (NID type 4) of a PST, in NID order: the order they were written."""
    return sorted(nid for nid in pstread.Pst(path).nodes if nid & 0x1F == 0x04)


def pst_folder(folder):
    if folder == "INBOX":
        return "Inbox"
    return "Inbox/" + folder[6:] if folder.startswith("INBOX/") else folder


def out_rel(mb, fmt):
    rel = e2e.fs_escape(mb["domain"]) + "/" + e2e.fs_escape(mb["mailbox"])
    return rel + (".pst" if fmt == "pst" else "")


def place(fmt, outdir, rel, folder, pos, msg, state):
    """The "output" object of one exported message; state carries what the
    format counts across messages (mbox regions, PST nodes)."""
    parts = [p for p in folder.split("/") if p]
    # issue 16: "sha256", the SHA-256 of the item's bytes in the output (its
    # file, or its mbox region as mbox_regions finds it)
    if fmt == "eml":
        f = rel + "/" + "/".join(e2e.fs_escape(p) for p in parts) + "/%06d.eml" % pos
        return {"file": f, "sha256": e2e.sha256(e2e.read(os.path.join(outdir, f)))}
    if fmt == "mbox":
        f = rel + "/" + "/".join(e2e.fs_escape(p) for p in parts) + ".mbox"
        regions = state.setdefault(f, mbox_regions(os.path.join(outdir, f)))
        offset, length = regions.pop(0)
        with open(os.path.join(outdir, f), "rb") as fh:
            fh.seek(offset)
            item = fh.read(length)
        return {"file": f, "offset": offset, "length": length, "sha256": e2e.sha256(item)}
    if fmt == "maildir":
        d = dovecot.dovecot_dirname(folder)
        cur = os.path.join(outdir, rel, d, "cur") if d else os.path.join(outdir, rel, "cur")
        prefix = "%d.M%d_" % (msg["internaldate"], pos)
        names = [n for n in os.listdir(cur) if n.startswith(prefix)]
        assert len(names) == 1, (cur, prefix, names)
        return {"file": rel + ("/" + d if d else "") + "/cur/" + names[0],
                "sha256": e2e.sha256(e2e.read(os.path.join(cur, names[0])))}
    if fmt == "pst":
        nids = state.setdefault("nids", [n for n in pst_message_nids(os.path.join(outdir, rel))
                                         if n not in state.get("skip_nids", ())])
        return {"file": rel, "folder": pst_folder(folder), "nid": nids.pop(0)}
    raise ValueError(fmt)


# ---- the lines ----------------------------------------------------------------

def message_line(source, fmt, outdir, rel, folder_info, pos, msg, skip_deleted, state):
    data = e2e.read(msg["path"])
    src_rel = os.path.relpath(os.fsencode(msg["path"]), os.fsencode(os.path.realpath(source)))
    flags = [f for f in FLAG_ORDER if f in msg["flags"]]
    skipped = skip_deleted and "\\Deleted" in msg["flags"]
    line = {
        "source": src_rel.replace(os.sep.encode(), b"/"),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "folder": folder_info["path"],
        "uidvalidity": folder_info["uidvalidity"] if folder_info["indexed"] else None,
        "uid": msg.get("uid"),
        "flags": flags,
        "internal_date": utc(msg["internaldate"]),
        "date_header": header_value(data, "Date"),
        "message_id": header_value(data, "Message-ID"),
        "status": "skipped" if skipped else "exported",
        "reason": "deleted" if skipped else None,
        "detail": None,
        "output": None if skipped else place(fmt, outdir, rel, folder_info["path"], pos, msg, state),
    }
    return line, len(data)


def run_line(source, outdir, fmt, mb, lines, nbytes, command, started, ended):
    exported = sum(1 for l in lines if l["status"] == "exported")
    deleted = sum(1 for l in lines if l["reason"] == "deleted")
    return {
        "manifest": 1, "tool": "mdexport", "version": "0.1.0",
        "command": command or ["mdexport", "export", source, "--format", fmt, "--output", outdir],
        "started": utc(started), "ended": utc(ended), "host": socket.gethostname(),
        "source": source, "format": fmt, "mailbox": "%s@%s" % (mb["mailbox"], mb["domain"]),
        "output": out_rel(mb, fmt),
        "totals": {"messages": len(lines), "exported": exported, "skipped": len(lines) - exported,
                   "deleted": deleted, "unreadable": 0, "bytes": nbytes},
    }


def build(source, outdir, fmt, expected, command=None, skip_deleted=False, skip_nids=(),
          started=1763800000, ended=1763800001):
    rc, out, err = e2e.run(["list", source, "--json"])
    if rc not in (0, 1):
        raise RuntimeError("mdexport list failed: " + err)
    listing = json.loads(out)
    pos = positions(source, listing)
    written = {}
    for mb in listing["mailboxes"]:
        rel = out_rel(mb, fmt)
        mine = [e for e in expected if (e["domain"], e["mailbox"]) == (mb["domain"], mb["mailbox"])]
        by_folder = {}
        for e in mine:
            folder, p = pos[e2e.sha256(e2e.read(e["path"]))]
            assert folder == e["folder"], (e["path"], folder, e["folder"])
            by_folder.setdefault(folder, []).append((p, e))
        lines, nbytes, state = [], 0, {"skip_nids": set(skip_nids)}
        for f in mb["folders"]:
            if not exported(f):
                continue
            for p, e in sorted(by_folder.get(f["path"], []), key=lambda x: x[0]):
                line, size = message_line(source, fmt, outdir, rel, f, p, e, skip_deleted, state)
                lines.append(line)
                nbytes += size if line["status"] == "exported" else 0
        head = run_line(source, outdir, fmt, mb, lines, nbytes, command, started, ended)
        path = os.path.join(outdir, e2e.fs_escape(mb["domain"]), e2e.fs_escape(mb["mailbox"]) +
                            ".manifest.jsonl")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(b"".join(jval(l) + b"\n" for l in [head] + lines))
        written[(mb["domain"], mb["mailbox"])] = path
    return written
