#!/usr/bin/env python3
"""End-to-end: --progress auto|always|never|json (issue 12).

  - json (export of the fixture): every stderr line is a JSON object; a
    "start" first and a "done" last; counters never go down; one
    "mailbox" line per mailbox, whose counts are the summary's; the done
    totals equal the pre-scan's and the closing line's, its status the
    exit status; the "log" lines are exactly what --progress never prints.
  - json on a run of over a second (3,000 corpus messages to PST): a
    "progress" line every second.
  - json for an mbox SOURCE (bytes from file sizes, messages unknown: null)
    and a PST SOURCE (messages known, bytes not: null); for verify (stdout
    unchanged).
  - A real terminal (a pty): the line appears ('\\r', ESC [K, mailboxes,
    messages, MB, msg/s, ETA), is cleared before every other line, and the
    screen, rendered, is what --progress never prints; on a 40-column
    terminal no line is wider than 39.  never on the pty: no progress bytes.
  - A pipe: auto and never print no progress bytes at all; always draws
    the line with '\\r' and blanks, no escape codes.
"""

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("progress")
work = e2e.tmpdir("progress")
STORE = os.path.join(e2e.ROOT, "fixtures", "store")
PST = os.path.join(e2e.ROOT, "fixtures", "outlook-2003.pst")
BOXES = {"alice@example.com", "bob@example.com", "dave@example.com", "MDaemon@example.com",
         "carol@example.org", "Public Folders@public"}   # the public folders: issue 14
TIMES = re.compile(r"\d+\.\d\ds ")   # the report table's elapsed column


def text_lines(text):
    """The lines compared: the elapsed times out, and the summaries' "replaced:"
    lines (issue 16), which say what DIR held before the run (the first run
    into it replaces nothing, the next ones each replace the one before), not
    what progress printed"""
    return [ln for ln in TIMES.sub("", text).splitlines() if not ln.startswith("  replaced: ")]


def export(args, out, env=None):
    return e2e.run(["export", STORE, "--format", "mbox", "--output", out] + args, env=env)


def parse_json_lines(err, what):
    objs, bad = [], []
    for ln in err.splitlines():
        try:
            o = json.loads(ln)
            if not isinstance(o, dict):
                bad.append(ln)
            else:
                objs.append(o)
        except ValueError:
            bad.append(ln)
    tap.ok(objs and not bad, "%s: every stderr line is a JSON object" % what, "\n".join(bad[:5]))
    return objs


def monotone(objs, what):
    last = {}
    back = []
    for o in objs:
        for k in ("elapsed", "mailboxes_done", "messages_done", "bytes_done"):
            if k in o and o["type"] != "mailbox":
                if o[k] < last.get(k, 0):
                    back.append("%s went from %s to %s" % (k, last[k], o[k]))
                last[k] = o[k]
    tap.ok(not back, "%s: the counters never go down" % what, "\n".join(back[:5]))


def closing_count(err_text):
    m = re.search(r"mdexport: exported (\d+) messages from (\d+) mailboxes", err_text)
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---- never: the reference text ------------------------------------------------------
out = os.path.join(work, "out")
st_never, _, err_never = export(["--progress", "never"], out)
tap.eq(st_never, 0, "never: exit 0")
tap.ok("\r" not in err_never and "\033" not in err_never and '{"type"' not in err_never,
       "never: no progress bytes on stderr", err_never[:400])
never_lines = text_lines(err_never)

# ---- auto on a pipe: the same bytes as never (but the times) --------------------------
st, _, err = export([], out)
tap.eq(st, 0, "auto on a pipe: exit 0")
tap.eq(text_lines(err), never_lines, "auto on a pipe: only the summaries, "
       "exactly never's text")

# ---- json ---------------------------------------------------------------------------------
st, json_out, err = export(["--progress", "json"], out)
tap.eq(st, 0, "json: exit 0")
objs = parse_json_lines(err, "json")
types = [o.get("type") for o in objs]
tap.ok(types and types[0] == "start" and types[-1] == "done" and types.count("start") == 1 and
       types.count("done") == 1, "json: one start first, one done last", types)
tap.ok(set(types) <= {"start", "totals", "progress", "mailbox", "log", "done"},
       "json: known types only", set(types))
monotone(objs, "json")


def totals_of(objs):
    t = [o for o in objs if o.get("type") == "totals"]
    tap.ok(len(t) == 1, "json: one totals line (the pre-scan, run beside the export)", len(t))
    return t[0] if t else {}


start, done, totals = objs[0], objs[-1], totals_of(objs)
tap.eq((totals.get("mailboxes_total"), totals.get("messages_total"), totals.get("bytes_total")),
       (6, 45, 31886), "json: the pre-scan's totals: 6 mailboxes (5 accounts and the public "
       "folders), 45 messages (issue 14: alice's Calendar .msg too), 31,886 bytes")
tap.ok(isinstance(totals.get("prescan_seconds"), float) and totals["prescan_seconds"] >= 0 and
       totals["prescan_seconds"] == done.get("prescan_seconds"),
       "json: the pre-scan's cost is given", totals)
tap.ok(start.get("mailboxes_total") in (None, 6) and start.get("messages_done") == 0,
       "json: start: nothing done, totals not yet known (null)", start)
tap.eq((done["mailboxes_done"], done["messages_done"], done["bytes_done"]), (6, 45, 31886),
       "json: done: every mailbox, message and byte counted")
tap.eq(done.get("status"), st, "json: done carries the exit status")
tap.eq(done.get("eta_seconds"), 0, "json: done: ETA 0")
logs = [o["text"] for o in objs if o["type"] == "log"]
tap.eq(text_lines("\n".join(logs) + "\n"), never_lines,
       "json: the log lines are never's text, line for line")
boxes = [o for o in objs if o["type"] == "mailbox"]
tap.eq(sorted(b["mailbox"] for b in boxes), sorted(BOXES), "json: one mailbox line per mailbox")
# issue 16: the summaries and the closing line are results, plain text on stdout
logtext = json_out
mismatch = []
for b in boxes:
    m = re.search(r"mdexport: %s: exported (\d+) messages? \(" % re.escape(b["mailbox"]), logtext)
    if not m or int(m.group(1)) != b["messages"] or b["result"] != "exported":
        mismatch.append(b)
tap.ok(not mismatch, "json: each mailbox line's result and count are its summary's", mismatch)
tap.eq(closing_count(logtext), (sum(b["messages"] for b in boxes), len(boxes)),
       "json: the mailbox lines add up to the closing line's counts")
tap.eq([b["mailboxes_done"] for b in boxes], list(range(1, 7)),
       "json: mailboxes_done counts 1..6 on the mailbox lines")

# ---- json: a run over a second gets a progress line every second ----------------------------
fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                       text=True)
if tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-800:]):
    corpus = fetch.stdout.strip().splitlines()[-1]
    big = os.path.join(work, "big")
    gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out",
                          big, "--messages", "3000", "--seed", "5", "--mailboxes", "4"],
                         capture_output=True, text=True)
    tap.ok(gen.returncode == 0, "tools/mkstore builds a 3,000-message store", gen.stderr[-800:])
    st, _, err = e2e.run(["export", big, "--format", "pst", "--output",
                          os.path.join(work, "bigpst"), "--progress", "json"])
    tap.eq(st, 0, "json, 3,000 messages to PST: exit 0")
    objs = parse_json_lines(err, "json, 3,000 messages")
    monotone(objs, "json, 3,000 messages")
    done = objs[-1] if objs else {}
    totals_of(objs)
    ticks = [o for o in objs if o.get("type") == "progress"]
    elapsed = done.get("elapsed", 0)
    tap.ok(len(ticks) >= int(elapsed) - 1 and (elapsed < 1.5 or ticks),
           "json: a progress line each second (%.1f s, %d lines)" % (elapsed, len(ticks)))
    gaps = [b["elapsed"] - a["elapsed"] for a, b in zip(ticks, ticks[1:])]
    tap.ok(all(0.5 < g < 1.6 for g in gaps), "json: progress lines about a second apart", gaps)
    tap.ok(all(t["messages_total"] in (None, 3000) and 0 <= t["messages_done"] <= 3000 and
               (t["eta_seconds"] is None or t["eta_seconds"] >= 0) for t in ticks),
           "json: progress lines carry the totals and an ETA", ticks[:2])
    tap.eq((done.get("messages_done"), done.get("messages_total")), (3000, 3000),
           "json: done: 3,000 of 3,000")

# ---- json: an mbox SOURCE (estimate: bytes only) and a PST SOURCE (counts only) -------------
mbox_src = os.path.join(out, "example.com", "alice")
st, _, err = e2e.run(["export", "mbox:" + mbox_src, "--format", "eml", "--output",
                      os.path.join(work, "from-mbox"), "--progress", "json"])
objs = parse_json_lines(err, "json, mbox SOURCE")
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(mbox_src) for f in fs
           if f.endswith(".mbox"))
tot = totals_of(objs)
tap.eq((st, tot.get("mailboxes_total"), tot.get("messages_total"), tot.get("bytes_total")),
       (0, 1, None, size),
       "json, mbox SOURCE: messages unknown (null), bytes the files' sizes")
tap.eq(objs[-1].get("messages_done"), 37, "json, mbox SOURCE: done counts its 37 messages")
st, _, err = e2e.run(["export", PST, "--format", "eml", "--output",
                      os.path.join(work, "from-pst"), "--progress", "json"])
objs = parse_json_lines(err, "json, PST SOURCE")
tot = totals_of(objs)
tap.ok(st in (0, 1) and tot.get("bytes_total", 0) is None and
       tot.get("messages_total") == objs[-1].get("messages_done") and
       objs[-1].get("messages_done", 0) > 0,
       "json, PST SOURCE: messages known and all counted, bytes unknown (null)",
       (st, tot, objs[-1]))

# ---- json for verify: stderr JSON, stdout the report as without it ---------------------------
st0, out0, _ = e2e.run(["verify", STORE, out, "--progress", "never"])
st1, out1, err1 = e2e.run(["verify", STORE, out, "--progress", "json"])
tap.eq((st0, st1), (0, 0), "verify: exit 0 with never and json")
tap.eq(out1, out0, "verify: json leaves stdout's report as it is")
objs = parse_json_lines(err1, "verify json")
tap.eq(totals_of(objs).get("messages_total"), 45, "verify json: the pre-scan's 45 messages")
vb = [o for o in objs if o.get("type") == "mailbox"]
tap.eq(sorted((b["mailbox"], b["result"]) for b in vb), sorted((b, "verified") for b in BOXES),
       "verify json: each mailbox 'verified'")
tap.eq((objs[-1].get("type"), objs[-1].get("messages_done"), objs[-1].get("status")),
       ("done", 45, 0), "verify json: done: 45 messages read, status 0")


# ---- a real terminal --------------------------------------------------------------------------
def run_pty(args, cols=100):
    """mdexport with stderr on a pty of cols columns; returns (status, stdout, stderr bytes)"""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR        # bytes as written: no \n -> \r\n
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    p = subprocess.Popen([e2e.MDEXPORT] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:               # EIO: the last holder of the slave closed it
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    stdout = p.stdout.read()
    return p.wait(), stdout, b"".join(chunks).decode("utf-8", "replace")


def render(text):
    """The screen's lines after \\r, ESC [K and \\n"""
    lines, cur, col = [], [], 0
    i = 0
    while i < len(text):
        if text.startswith("\033[K", i):
            del cur[col:]
            i += 3
            continue
        c = text[i]
        if c == "\n":
            lines.append("".join(cur))
            cur, col = [], 0
        elif c == "\r":
            col = 0
        else:
            if col < len(cur):
                cur[col] = c
            else:
                cur.append(c)
            col += 1
        i += 1
    if cur:
        lines.append("".join(cur))
    return lines


st, _, tty = run_pty(["export", STORE, "--format", "mbox", "--output", out])
tap.eq(st, 0, "pty: exit 0")
drawn = re.findall(r"\r(mailboxes [^\r\n\033]*)\033\[K", tty)
tap.ok(drawn, "pty (auto): the progress line is drawn with \\r and ESC [K", tty[:300])
full = [d for d in drawn if re.fullmatch(r"mailboxes \d/6  messages \d+/45  [\d.]+/[\d.]+ MiB  "
                                         r"[\d,]+ msg/s  ETA (--|\d+s)", d)]
tap.ok(full, "pty: the line has mailboxes, messages, MiB, msg/s and ETA", drawn[:3])
uncleared = []
for ln in tty.split("\n"):
    if "mdexport: " in ln or ln.startswith("  "):
        head = ln.split("mdexport: ")[0] if "mdexport: " in ln else ""
        if head and not head.endswith("\r\033[K"):
            uncleared.append(ln)
tap.ok(not uncleared, "pty: the line is cleared before every other line", uncleared[:3])
screen = render(tty)
tap.eq(text_lines("\n".join(screen) + "\n"), never_lines,
       "pty: the screen, rendered, is never's text (the line cleared at the end)")

st, _, tty = run_pty(["export", STORE, "--format", "mbox", "--output", out], cols=40)
drawn = re.findall(r"\r([^\r\n\033]*)\033\[K", tty)
tap.ok(drawn and all(len(d) <= 39 and "msg/s" not in d for d in drawn),
       "pty, 40 columns: a shorter line (no rate), never wider than 39", drawn[:3])

st, _, tty = run_pty(["export", STORE, "--format", "mbox", "--output", out, "--progress", "never"])
tap.ok(st == 0 and "\r" not in tty and "\033" not in tty and
       not re.search(r"mailboxes \d+/\d+", tty),
       "pty, never: no progress bytes", tty[:300])

# ---- always on a pipe -------------------------------------------------------------------------
st, _, err = export(["--progress", "always"], out)
tap.eq(st, 0, "always on a pipe: exit 0")
tap.ok(re.search(r"\rmailboxes \d/6  messages \d+/45", err) and "\033" not in err,
       "always on a pipe: the line drawn with \\r, no escape codes", err[:300])
rendered = [ln.rstrip(" ") for ln in text_lines("\n".join(render(err)) + "\n")]
# issue 16: stderr now ends with the line blanked (the closing line is on stdout):
# rendered, that last line is empty
if rendered and rendered[-1] == "":
    rendered.pop()
tap.eq(rendered, [ln.rstrip(" ") for ln in never_lines],
       "always on a pipe: rendered, never's text (blanked, not left behind)")

# ---- usage ---------------------------------------------------------------------------------
st, _, err = export(["--progress", "sometimes"], out)
tap.ok(st == 2 and "--progress wants auto, always, never or json, not 'sometimes'" in err,
       "--progress sometimes: exit 2, named", err[:300])
st, _, err = e2e.run(["list", STORE, "--progress", "json"])
tap.ok(st == 2 and "not valid with list" in err, "list --progress: exit 2", err[:300])

e2e.remove_work(work)
tap.done()
