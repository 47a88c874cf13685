#!/usr/bin/env python3
"""End-to-end: --shard K/N (issue 12), N runs sharing the mailboxes.

  - A store of 600 corpus messages in 16 mailboxes (tools/mkstore).
  - `list --shard K/3` for K = 1..3: every mailbox in exactly one shard,
    the shard the README's rule (SHA-256 of mailbox@domain, lower case,
    first 8 bytes big-endian, mod N, plus 1) gives, computed here.
  - Three shards run at once by GNU parallel into one DIR, in every
    format: each exit 0; the union is byte-identical to one unsharded run
    (files, mtimes; manifests but for the run line's times and command),
    and `verify` of the whole DIR, and of each shard, passes.
  - The same three shards run one after the other into three DIRs
    copied together: the same tree.
  - The README's `--sshlogin` recipe: 4 shards spread by GNU parallel over
    two hosts, through a stand-in ssh (tests/lib/fakessh: no ssh server
    here) that runs the command on this machine; verify passes.
  - Usage errors: 0/3, 4/3, 1/0, 1/x, 1 (exit 2, the value named).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402

tap = e2e.Tap("shard")
work = e2e.tmpdir("shard")
N = 3

fetch = subprocess.run([os.path.join(e2e.ROOT, "tools", "fetch-corpus")], capture_output=True,
                       text=True)
if not tap.ok(fetch.returncode == 0, "the corpus is fetched", fetch.stderr[-800:]):
    tap.done()
corpus = fetch.stdout.strip().splitlines()[-1]
store = os.path.join(work, "store")
gen = subprocess.run([os.path.join(e2e.ROOT, "tools", "mkstore"), "--corpus", corpus, "--out",
                      store, "--messages", "600", "--seed", "3", "--mailboxes", "16"],
                     capture_output=True, text=True)
tap.ok(gen.returncode == 0, "tools/mkstore builds a 16-mailbox store", gen.stderr[-800:])


def shard_of(address, n):
    digest = hashlib.sha256(address.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def listed(extra):
    rc, out, err = e2e.run(["list", store, "--json"] + extra)
    if rc != 0:
        return None
    return ["%s@%s" % (m["mailbox"], m["domain"]) for m in json.loads(out)["mailboxes"]]


everyone = listed([])
tap.ok(everyone is not None and len(everyone) == 16, "list: 16 mailboxes", repr(everyone))
seen = []
for k in range(1, N + 1):
    mine = listed(["--shard", "%d/%d" % (k, N)])
    want = [a for a in everyone if shard_of(a, N) == k]
    tap.ok(mine == want and mine, "list --shard %d/%d: the mailboxes the README's rule puts in "
           "shard %d (%d)" % (k, N, k, len(want)), "got %r\nwant %r" % (mine, want))
    seen += mine or []
tap.ok(sorted(seen) == sorted(everyone), "the shards together list every mailbox exactly once",
       repr(sorted(seen)))


def strip_run_lines(top):
    """The manifests' run lines with the times, host and command emptied
    (they differ between runs; README, "Manifest")."""
    for dirpath, _dirs, files in os.walk(top):
        for fn in files:
            if fn.endswith(".manifest.jsonl"):
                p = os.path.join(dirpath, fn)
                with open(p, "rb") as f:
                    first, _, rest = f.read().partition(b"\n")
                run = json.loads(first)
                for key in ("started", "ended", "host", "command"):
                    run[key] = ""
                st = os.stat(p)
                with open(p, "wb") as f:
                    f.write(json.dumps(run, sort_keys=True).encode() + b"\n" + rest)
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))


for fmt in ("mbox", "maildir", "eml", "pst"):
    single = os.path.join(work, "single-" + fmt)
    rc, _out, err = e2e.run(["export", store, "-f", fmt, "-o", single])
    tap.eq(rc, 0, "%s: one unsharded run" % fmt)
    shared = os.path.join(work, "shared-" + fmt)
    jobs = subprocess.run(["parallel", "--will-cite", "--jobs", str(N), "--halt", "never",
                           e2e.MDEXPORT,
                           "export", store, "-f", fmt, "-o", shared, "--shard", "{}/%d" % N,
                           ":::"] + [str(k) for k in range(1, N + 1)],
                          capture_output=True, text=True)
    tap.ok(jobs.returncode == 0, "%s: %d shards at once through GNU parallel into one DIR, every "
           "one exit 0" % (fmt, N), jobs.stderr[-1500:])
    apart = os.path.join(work, "apart-" + fmt)
    for k in range(1, N + 1):
        rc, _out, err = e2e.run(["export", store, "-f", fmt, "-o", apart + str(k),
                                 "--shard", "%d/%d" % (k, N)])
        tap.ok(rc == 0, "%s: shard %d/%d into its own DIR" % (fmt, k, N), err[-600:])
        shutil.copytree(apart + str(k), apart, symlinks=True, dirs_exist_ok=True)
    rc, out, err = e2e.run(["verify", store, shared])
    tap.ok(rc == 0 and "everything verifies" in out + err, "%s: verify of the shared DIR passes"
           % fmt, (out + err)[-800:])
    for k in range(1, N + 1):
        rc, out, err = e2e.run(["verify", store, apart + str(k), "--shard", "%d/%d" % (k, N)])
        tap.ok(rc == 0, "%s: verify --shard %d/%d of that shard's own DIR passes (the other "
               "shards' mailboxes are not asked for)" % (fmt, k, N), (out + err)[-800:])
    # the comparison rewrites the manifests' run lines: after every verify
    for top in (single, shared, apart):
        strip_run_lines(top)

    def tree(top):
        # a PST's mtime is the time it was written (the run's), not a message's
        return {k: (v[0], None) if v and k.endswith(".pst") else v
                for k, v in e2e.tree_bytes(top).items()}
    want = tree(single)
    for label, top in (("into one DIR", shared), ("into three DIRs copied together", apart)):
        diff = e2e.tree_diff(want, tree(top))
        tap.ok(not diff, "%s: the shards %s give, byte for byte, what one run gives (files, "
               "mtimes, manifests but for the run line)" % (fmt, label), "\n".join(diff[:10]))

# the README's --sshlogin recipe: GNU parallel spreads the shards over two "hosts"; there is
# no ssh server here, so parallel's --ssh is a stand-in (tests/lib/fakessh) that runs the
# command on this machine as ssh would run it on the host (both see SOURCE and DIR alike)
fakessh = os.path.join(e2e.ROOT, "tests", "lib", "fakessh")
remote = os.path.join(work, "remote")
jobs = subprocess.run(["parallel", "--will-cite", "--ssh", fakessh, "--sshlogin", "host1,host2",
                       e2e.MDEXPORT, "export", store, "-f", "mbox", "-o", remote,
                       "--shard", "{}/4", ":::", "1", "2", "3", "4"], capture_output=True, text=True)
tap.ok(jobs.returncode == 0, "--sshlogin host1,host2: 4 shards spread by GNU parallel over two "
       "hosts (a stand-in ssh), every one exit 0", jobs.stderr[-1500:])
rc, out, err = e2e.run(["verify", store, remote])
tap.ok(rc == 0 and "everything verifies" in out + err, "--sshlogin: verify of the DIR the "
       "hosts shared passes (every mailbox once)", (out + err)[-800:])

for bad in ("0/3", "4/3", "1/0", "1/x", "1", "-1/3", "1/3/4"):
    rc, _out, err = e2e.run(["export", store, "-f", "mbox", "-o", os.path.join(work, "bad"),
                             "--shard", bad])
    tap.ok(rc == 2 and "--shard" in err and "'%s'" % bad in err and
           not os.path.exists(os.path.join(work, "bad")),
           "--shard %s: a usage error naming it, nothing written" % bad, err[-400:])

e2e.remove_work(work)
tap.done()
