#!/usr/bin/env python3
"""End-to-end: `mdexport report REPORT...` (issue 12), the shards' reports summed.

  - A store of 400 corpus messages in 16 mailboxes (tools/mkstore, as t8000).
  - One run with --report, and the same job as three shards (--shard K/3)
    into one DIR, each with its own --report.
  - `report` of the three: exit 0; the table on stdout is the single run's
    table (every row and the total, but for the elapsed times); --json and
    --output FILE (read by Python's json) hold every mailbox row of the
    single run's report, identical but for "elapsed", the same totals, the
    earliest start and the latest end of the shards, each shard named;
    FILE is written whole (no temporary file left).
  - A missing shard: exit 1, named, "shards_missing", totals of the others.
  - A doubled shard, a mailbox in two reports, a report of another format,
    a shard and a whole run together: exit 2, both files named, nothing on
    stdout.
  - The worst exit status of the runs (1 < 3 < 2) is the merged status.
  - A broken JSON file: exit 2 naming the file, the line and the column;
    verify --json output, a merged report and a missing file are refused.
  - `mdexport help report` and `report --help`.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("report")
work = e2e.tmpdir("report")
N = 3

fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                       text=True)
if not tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-800:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]
store = os.path.join(work, "store")
gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out",
                      store, "--messages", "400", "--seed", "3", "--mailboxes", "16"],
                     capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds a 16-mailbox store", gen.stderr[-800:])


def path(name):
    return os.path.join(work, name)


def load(p):
    with open(p) as f:
        return json.load(f)


def table(text):
    """The report table's rows (after "mdexport: report:"), elapsed times blanked."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("mdexport: report:"))
    except StopIteration:
        return None
    rows = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        rows.append(re.sub(r" +\d+\.\d\ds  ", " <elapsed>  ", line))
    return rows


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


# ---- the job: one run, and three shards into one DIR ----------------------------------
rc, single_out, single_err = e2e.run(["export", store, "-f", "mbox", "-o", path("one"), "--report",
                                path("one.json")])
tap.ok(rc == 0, "one run: exit 0", single_err[-600:])
one = load(path("one.json"))
tap.eq(len(one["mailboxes"]), 16, "one run: 16 mailboxes in its report")
shards = []
for k in range(1, N + 1):
    rep = path("s%d.json" % k)
    rc, _out, err = e2e.run(["export", store, "-f", "mbox", "-o", path("shared"), "--report", rep,
                             "--shard", "%d/%d" % (k, N)])
    tap.ok(rc == 0 and load(rep)["shard"] == "%d/%d" % (k, N),
           "shard %d/%d: exit 0, its report says \"shard\":\"%d/%d\"" % (k, N, k, N), err[-600:])
    shards.append(rep)
tap.ok(one["shard"] is None, "one run's report: \"shard\": null")

# ---- the sum ----------------------------------------------------------------------------
rc, out, err = e2e.run(["report"] + shards)
tap.ok(rc == 0 and not err, "report of the 3 shards: exit 0, nothing on stderr", err[-600:])
want_table = table(single_out)  # issue 16: export's table is on stdout
got_table = table(out)
tap.ok(got_table is not None and sorted(got_table) == sorted(want_table) and
       got_table[-1] == want_table[-1],
       "its table on stdout: the single run's rows and total (but for elapsed times)",
       "got:\n%s\nwant:\n%s" % ("\n".join(got_table or []), "\n".join(want_table or [])))

rc, out, err = e2e.run(["report", "--json"] + shards)
merged = json.loads(out) if rc == 0 else {}
tap.ok(rc == 0 and table(err) == got_table,
       "report --json: exit 0, the JSON on stdout, the same table on stderr", err[-600:])
by_name = {m["mailbox"]: without(m, "elapsed") for m in merged.get("mailboxes", [])}
want_rows = {m["mailbox"]: without(m, "elapsed") for m in one["mailboxes"]}
diff = [n for n in set(by_name) | set(want_rows) if by_name.get(n) != want_rows.get(n)]
tap.ok(len(by_name) == 16 and not diff,
       "every mailbox row of the sum is the single run's row but for elapsed", repr(diff[:5]))
names = [m["mailbox"] for m in merged.get("mailboxes", [])]
tap.eq(names, sorted(names, key=lambda a: (a.rsplit("@", 1)[1], a)),
       "rows sorted by domain, then mailbox")
tap.eq(without(merged.get("totals", {}), "elapsed"), without(one["totals"], "elapsed"),
       "the totals are the single run's (but for elapsed)")
parts = [load(p) for p in shards]
tap.ok(merged.get("started") == min(p["started"] for p in parts) and
       merged.get("ended") == max(p["ended"] for p in parts),
       "started: the earliest shard's start; ended: the latest shard's end",
       repr((merged.get("started"), merged.get("ended"))))
same_keys = [k for k in one if k not in merged]
tap.ok(not same_keys and merged.get("report") == 1 and merged.get("tool") == "mdexport" and
       merged.get("format") == "mbox" and merged.get("shard") is None and
       merged.get("exit_status") == 0 and merged.get("command", [])[:2] == ["mdexport", "report"],
       "the head has every field of a run's report (format mbox, shard null, exit_status 0)",
       repr((same_keys, without(merged, "mailboxes", "merged"))))
tap.ok([(m["file"], m["shard"], m["exit_status"]) for m in merged.get("merged", [])] ==
       [(p, "%d/3" % (i + 1), 0) for i, p in enumerate(shards)] and
       merged.get("shards_missing") == [],
       "\"merged\" names each report and its shard; \"shards_missing\": []",
       repr(merged.get("merged")))

outfile = path("sum.json")
rc, out, err = e2e.run(["report", "--output", outfile] + shards)
written = load(outfile) if os.path.exists(outfile) else {}
stray = [n for n in os.listdir(work) if n.endswith(".tmp")]
tap.ok(rc == 0 and without(written, "command") == without(merged, "command") and not stray and
       table(out) == got_table,
       "--output FILE: the same document in FILE, no temporary file left, the table on stdout",
       "exit %d %s %r" % (rc, err[-300:], stray))

# ---- a missing shard ---------------------------------------------------------------------
rc, out, err = e2e.run(["report", "--json", shards[0], shards[2]])
part = json.loads(out) if out.startswith("{") else {}
want_found = sum(p["totals"]["found"] for p in (parts[0], parts[2]))
tap.ok(rc == 1 and "shard 2/3" in err and "not complete" in err and
       part.get("shards_missing") == [2] and part.get("exit_status") == 1 and
       part.get("totals", {}).get("found") == want_found and
       len(part.get("mailboxes", [])) == len(parts[0]["mailboxes"]) + len(parts[2]["mailboxes"]),
       "shard 2/3 missing: exit 1, named on stderr, shards_missing [2], the others summed",
       "exit %d\n%s" % (rc, err[-600:]))

# ---- inputs that cannot be summed ---------------------------------------------------------
doubled = path("s2-again.json")
shutil.copy(shards[1], doubled)
rc, out, err = e2e.run(["report"] + shards + [doubled])
tap.ok(rc == 2 and not out and "shard 2/3 is given twice" in err and shards[1] in err and
       doubled in err, "shard 2/3 twice: exit 2, both files named, nothing on stdout",
       "exit %d\n%s" % (rc, err[-600:]))

rc, _out, err2 = e2e.run(["export", store, "-f", "mbox", "-o", path("two"), "--report",
                          path("two.json")])
rc, out, err = e2e.run(["report", path("one.json"), path("two.json")])
first = one["mailboxes"][0]["mailbox"]
tap.ok(rc == 2 and not out and re.search(r"%s is in two reports: \S*one.json and \S*two.json" %
                                         re.escape(first), err),
       "a mailbox in two reports: exit 2, the mailbox and both files named",
       "exit %d\n%s" % (rc, err[-600:]))

rc, out, err = e2e.run(["report", path("one.json"), shards[0]])
tap.ok(rc == 2 and not out and "took every mailbox" in err,
       "a whole run with a shard: exit 2, not one split", err[-400:])

rc, _o, _e = e2e.run(["export", store, "-f", "eml", "-o", path("eml"), "--report",
                      path("eml2.json"), "--shard", "2/3"])
rc, out, err = e2e.run(["report", shards[0], path("eml2.json"), shards[2]])
tap.ok(rc == 2 and not out and "not runs of one job" in err and "format mbox and eml" in err,
       "shard 2/3 of another format: exit 2, the formats named", err[-400:])


# ---- exit statuses -------------------------------------------------------------------------
def with_status(src, status, name):
    d = load(src)
    d["exit_status"] = status
    p = path(name)
    with open(p, "w") as f:
        json.dump(d, f)
    return p


for statuses, want in (((1, 0, 0), 1), ((0, 3, 0), 3), ((1, 3, 0), 3), ((3, 2, 1), 2)):
    files = [with_status(shards[i], s, "st%d.json" % (i + 1)) for i, s in enumerate(statuses)]
    rc, out, _err = e2e.run(["report", "--json"] + files)
    got = json.loads(out).get("exit_status") if out.startswith("{") else None
    tap.ok(rc == want and got == want,
           "runs that exited %s: report exits %d (the worst), exit_status %d" %
           ("/".join(map(str, statuses)), want, want), "exit %d, exit_status %r" % (rc, got))

# ---- broken and foreign inputs -------------------------------------------------------------
with open(shards[1]) as f:
    lines = f.read().split("\n")
# the head's second line: a comma too many after "exit_status" (byte offsets, from 1)
column = lines[1].index("\"exit_status\":0") + len("\"exit_status\":0,") + 1
lines[1] = lines[1].replace("\"exit_status\":0", "\"exit_status\":0,,", 1)
broken = path("broken.json")
with open(broken, "w") as f:
    f.write("\n".join(lines))
rc, out, err = e2e.run(["report", shards[0], broken, shards[2]])
tap.ok(rc == 2 and not out and "broken.json: line 2, column %d: expected a key" % column in err,
       "a broken JSON file: exit 2, the file, line 2 and column %d named" % column, err[-400:])

rc, vout, _e = e2e.run(["verify", store, path("shared"), "--json"])
with open(path("verify.json"), "w") as f:
    f.write(vout)
rc, out, err = e2e.run(["report", path("verify.json")])
tap.ok(rc == 2 and "verify --json" in err and "verify.json" in err,
       "verify --json output: exit 2, said what it is", err[-400:])
rc, out, err = e2e.run(["report", outfile])
tap.ok(rc == 2 and "mdexport report` made" in err, "a merged report as input: exit 2", err[-400:])
rc, out, err = e2e.run(["report", path("nothing.json")])
tap.ok(rc == 2 and "nothing.json: cannot read it" in err, "a missing file: exit 2, named",
       err[-400:])
rc, out, err = e2e.run(["report"])
tap.ok(rc == 2 and "a REPORT is required" in err, "no REPORT: a usage error, exit 2", err[-400:])
rc, out, err = e2e.run(["report", "--shard", "1/3", shards[0]])
tap.ok(rc == 2 and "not valid with report" in err, "--shard with report: a usage error",
       err[-400:])

for args in (["help", "report"], ["report", "--help"]):
    rc, out, err = e2e.run(args)
    tap.ok(rc == 0 and out.startswith("usage: mdexport report") and "--json" in out and
           "--output" in out and not err, "mdexport %s: exit 0, the usage" % " ".join(args),
           err[-300:])

e2e.remove_work(work)
tap.done()
