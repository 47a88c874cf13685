#!/usr/bin/env python3
"""End-to-end: a hostile output directory (issue 10).

What the output side must withstand, each check against today's promise
that nothing outside DIR is ever touched (SOURCE and a sibling `outside`
folder are snapshotted before and after every hostile run: path, type,
mode, size, mtime, SHA-256 of files, link targets):

1. symbolic links planted in DIR (DIR/example.com -> SOURCE/Users/example.com,
   DIR/example.com/alice -> outside, DIR/.mdexport -> outside, deeper ones,
   the PST and the manifest as links): that mailbox fails with an error
   naming the link and saying it is a symbolic link, exit status 2, the
   target and SOURCE unchanged; DIR itself a link works normally;
2. --output that resolves into SOURCE, into a mailbox's MailDir (--map), or
   contains SOURCE, also as `nonexistent/../lnk`: refused up front, exit 2,
   nothing written anywhere;
3. --report FILE that is a symbolic link (dangling into SOURCE, or to a file
   outside): replaced as a link, never followed; FILE in a directory that
   resolves into SOURCE: refused;
4. mailboxes named like the tool's own files (john, john.old, john.partial,
   john.manifest.jsonl, john.pst, john.lock, .mdexport, ...) in one domain:
   each exported to its own output with its manifest, verify clean; a
   `--user john@...` re-run leaves the others byte-identical;
5. one writer per mailbox: a mailbox whose lock (DIR/.mdexport/<domain>/
   <mailbox>/lock, flock) is held is skipped with a message, result `locked`
   in the report, exit status 3 (2 when a worse error happens), its output
   untouched; and two real runs at once (the first stopped with SIGSTOP while
   it holds its lock);
6. folder names that collide with output file names (mbox `A` and `A.mbox/B`,
   EML `INBOX/000001.eml`);
7. paths of any length: 22 nested 195-byte folder names (a 4,300-byte path)
   in every format.
No `.partial`/`.old` working file may appear outside DIR/.mdexport."""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import advnames  # noqa: E402
import fdtree  # noqa: E402

FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
SPEC = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
FORMATS = ("mbox", "maildir", "eml", "pst")

tap = e2e.Tap("hostile")
work = e2e.tmpdir("hostile")
started = time.time()


def run(args, timeout=300, cwd=None):
    p = subprocess.run([e2e.MDEXPORT] + list(args), capture_output=True, cwd=cwd or work,
                       timeout=timeout)
    # issue 16 put export's summaries, table and last line on stdout: this
    # test reads them with the problems, as one text (stderr, then stdout)
    export = list(args[:1]) == ["export"] and not {"-h", "--help"} & set(args)
    err = p.stderr + (p.stdout if export else b"")
    return p.returncode, p.stdout.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def lines(err, *needles):
    return [ln for ln in err.splitlines() if all(n in ln for n in needles)]


def fixture(name):
    store = e2e.copytree(FIXTURE, os.path.join(work, name))
    return store, e2e.fixture_expected(store, SPEC)


def make_outside(name):
    """A folder next to DIR with a file and a subfolder, for links to point at."""
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "sub"))
    for rel in ("precious.txt", "sub/inner.txt", "target.pst", "target.jsonl"):
        with open(os.path.join(d, rel), "wb") as f:
            f.write(b"outside the output: must never change (%s)\n" % rel.encode())
    return d


class Untouched:
    """Snapshots of the trees a run must not touch."""

    def __init__(self, *trees):
        self.trees = trees
        self.before = [fdtree.snapshot(t) for t in trees]

    def problems(self):
        out = []
        for t, b in zip(self.trees, self.before):
            out += ["%s: %s" % (t, d) for d in fdtree.snapshot_diff(b, fdtree.snapshot(t))]
        return out


def working_files(o, allowed=()):
    """.partial/.old/.lock names outside DIR/.mdexport (but the entries in
    allowed: outputs of mailboxes that are named so)."""
    bad = []
    if not os.path.isdir(o):
        return bad
    for k in fdtree.read_tree(o, read_data=False, skip=(b".mdexport",)):
        if k in allowed:
            continue
        n = k[-1]
        if n.endswith((b".partial", b".old", b".lock")) or b".partial." in n:
            bad.append(b"/".join(k))
    return bad


def output_state(o, skip=()):
    """{path: (kind, bytes, mtime)} of DIR minus .mdexport and the given
    top-level-relative paths (tuples of bytes)."""
    out = {}
    if not os.path.isdir(o):
        return out
    for k, e in fdtree.read_tree(o, skip=(b".mdexport",)).items():
        if any(k[:len(s)] == s for s in skip):
            continue
        meta = e.kind == "file" and k[-1].endswith(b".manifest.jsonl")
        data = e2e.manifest_stable(e.data) if meta else e.data
        # a directory's mtime moves whenever a sibling output is renamed in
        out[k] = (e.kind, data, e.target, None if meta or e.kind == "dir" else e.mtime)
    return out


def state_diff(a, b):
    out = ["only before: %r" % (k,) for k in sorted(set(a) - set(b))]
    out += ["only after: %r" % (k,) for k in sorted(set(b) - set(a))]
    out += ["changed: %r" % (k,) for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    return out[:20]


def guarded(what, fn):
    try:
        fn()
    except Exception:       # noqa: BLE001 - one section's failure must not hide the others
        tap.ok(False, "%s: the section runs" % what, traceback.format_exc())


# ---- 1. symbolic links planted in DIR ------------------------------------------------------

def link_case(label, fmt, rel, target, fail_addr, strict=True, prepare=None):
    """Plant DIR/rel -> target, export, check.  strict: the mailbox must fail
    with an error naming the link (exit 2); always: target, SOURCE and
    outside unchanged, no working file outside DIR/.mdexport."""
    store, expected = fixture("s-link-" + label)
    outside = make_outside("outside-" + label)
    o = os.path.join(work, "o-link-" + label)
    if prepare:
        prepare(store, o)
    os.makedirs(os.path.dirname(os.path.join(o, rel)), exist_ok=True)
    tgt = target(store, outside)
    os.symlink(tgt, os.path.join(o, rel))
    guard = Untouched(store, outside)
    rc, out, err = run(["export", store, "-f", fmt, "-o", o])
    tap.ok(not guard.problems(), "%s %s: DIR/%s -> %s: the link's target, SOURCE and the "
           "folder outside DIR are unchanged" % (fmt, label, rel, os.path.relpath(tgt, work)),
           "\n".join(guard.problems()))
    if strict:
        link = os.path.join(o, rel)
        named = lines(err, link, "symbolic link")
        tap.ok(rc == 2 and named and "FAILED" in e2e.summary(err, fail_addr),
               "%s %s: exit 2, an error names '%s' as a symbolic link, %s FAILED"
               % (fmt, label, "DIR/" + rel, fail_addr),
               "exit %d\n%s" % (rc, "\n".join(ln for ln in err.splitlines()
                                              if not ln.startswith("  "))[-2000:]))
    left = working_files(o)
    tap.ok(not left, "%s %s: no .partial/.old working file outside DIR/.mdexport" % (fmt, label),
           repr(left[:5]))
    return store, expected, o, rc, err


def sec_links():
    # DIR/example.com -> SOURCE/Users/example.com: writing there would write into SOURCE
    store, expected, o, rc, err = link_case(
        "domain", "mbox", "example.com",
        lambda s, x: os.path.join(s, "Users", "example.com"), "alice@example.com")
    carol = [e for e in expected if e["domain"] == "example.org"]
    e2e.check_format(tap, "mbox", o, carol, " (the other domain of a linked one)")
    # DIR/example.com/alice -> a folder outside
    link_case("mailbox", "eml", "example.com/alice",
              lambda s, x: os.path.join(x, "sub"), "alice@example.com")
    # the same over a complete earlier export: the link replaces alice's tree
    def earlier(store, o):
        rc, _out, err = run(["export", store, "-f", "eml", "-o", o])
        if rc != 0:
            raise RuntimeError("the earlier export failed: %s" % err[-500:])
        shutil.rmtree(os.path.join(o, "example.com", "alice"))
    link_case("mailbox-rerun", "eml", "example.com/alice",
              lambda s, x: os.path.join(x, "sub"), "alice@example.com", prepare=earlier)
    # DIR/.mdexport -> outside: the working folder itself
    link_case("workdir", "mbox", ".mdexport", lambda s, x: x, "alice@example.com")
    # DIR/.mdexport/example.com -> outside (a link inside the working folder)
    link_case("workdir-domain", "mbox", ".mdexport/example.com", lambda s, x: x,
              "alice@example.com")
    # DIR/.mdexport -> SOURCE/Users
    link_case("workdir-source", "maildir", ".mdexport",
              lambda s, x: os.path.join(s, "Users"), "alice@example.com")
    # the PST file and the manifest as links to files outside
    link_case("pst-file", "pst", "example.com/alice.pst",
              lambda s, x: os.path.join(x, "target.pst"), "alice@example.com")
    link_case("manifest", "eml", "example.com/alice.manifest.jsonl",
              lambda s, x: os.path.join(x, "target.jsonl"), "alice@example.com")
    # a link deep inside a complete earlier output (EML folder -> outside):
    # replacing the old tree must not follow it
    def earlier_inbox(store, o):
        rc, _out, err = run(["export", store, "-f", "eml", "-o", o])
        if rc != 0:
            raise RuntimeError("the earlier export failed: %s" % err[-500:])
        shutil.rmtree(os.path.join(o, "example.com", "alice", "INBOX"))
    link_case("inside-old-output", "eml", "example.com/alice/INBOX",
              lambda s, x: os.path.join(x, "sub"), "alice@example.com", strict=False,
              prepare=earlier_inbox)
    # DIR itself a link an admin made: works normally
    store, expected = fixture("s-dirlink")
    real = os.path.join(work, "real-out")
    os.makedirs(real)
    lnk = os.path.join(work, "out-link")
    os.symlink(real, lnk)
    rc, out, err = run(["export", store, "-f", "eml", "-o", lnk])
    tap.ok(rc == 0, "eml: DIR itself a symbolic link to a directory: exit 0", err[-1500:])
    e2e.check_format(tap, "eml", lnk, expected, " (DIR is a link)")
    vrc, vout, verr = run(["verify", store, lnk])
    tap.ok(vrc == 0 and os.path.islink(lnk), "eml: verify through the DIR link exit 0, the link "
           "is still a link", "exit %d\n%s" % (vrc, verr[-800:]))
    # verify reads nothing through a link planted in an export: a domain folder
    # moved away and linked back verifies as a failure naming the link
    for fmt, rel in (("eml", "example.org"), ("pst", "example.org/carol.pst"),
                     ("mbox", "example.org/carol.manifest.jsonl")):
        o = os.path.join(work, "v-link-" + fmt)
        rc, _out, err = run(["export", store, "-f", fmt, "-o", o])
        moved = os.path.join(work, "v-moved-" + fmt)
        os.rename(os.path.join(o, rel), moved)
        os.symlink(moved, os.path.join(o, rel))
        vrc, vout, verr = run(["verify", store, o])
        said = [ln for ln in (vout + verr).splitlines()
                if "'%s' is a symbolic link" % os.path.join(o, rel) in ln]
        tap.ok(rc == 0 and vrc == 1 and said and "carol@example.org: FAILED" in vout + verr,
               "%s: verify of an export with %s replaced by a link: exit 1, carol FAILED, "
               "the link named" % (fmt, rel), "export %d, verify %d\n%s" % (
                   rc, vrc, (vout + verr)[-1200:]))


# ---- 2. --output that overlaps SOURCE or a MailDir -------------------------------------------

def refused(label, args, store, extra_trees=(), cwd=None, creates=()):
    guard = Untouched(store, *extra_trees)
    listing = sorted(os.listdir(cwd or work))
    rc, out, err = run(args, cwd=cwd)
    problems = guard.problems()
    new = sorted(set(os.listdir(cwd or work)) - set(listing))
    made = [c for c in creates if os.path.lexists(c)]
    tap.ok(rc == 2 and lines(err, "mdexport:") and not problems and not new and not made,
           "%s: refused up front, exit 2, a message, nothing written anywhere" % label,
           "exit %d; new entries %r; created %r\n%s\n%s" % (rc, new, made, "\n".join(problems),
                                                          err[-1200:]))
    # what a wrong run made must not spoil the next checks
    for p in sorted(set(made + [os.path.join(cwd or work, n) for n in new])):
        if not os.path.lexists(p):
            continue
        if os.path.islink(p) or not os.path.isdir(p):
            os.unlink(p)
        else:
            shutil.rmtree(p, ignore_errors=True)


def sec_overlap():
    store, _exp = fixture("s-overlap")
    users = os.path.join(store, "Users")
    os.symlink(users, os.path.join(work, "lnk"))
    os.symlink(store, os.path.join(work, "lnk-store"))
    refused("--output nonexistent/../lnk (lnk -> SOURCE/Users)",
            ["export", store, "-f", "eml", "-o", "nonexistent/../lnk"], store,
            creates=[os.path.join(work, "nonexistent")])
    refused("--output nonexistent/../lnk/example.com/new (into SOURCE)",
            ["export", store, "-f", "mbox", "-o", "nonexistent/../lnk/example.com/new"], store,
            creates=[os.path.join(work, "nonexistent")])
    refused("--output lnk (-> SOURCE/Users)",
            ["export", store, "-f", "mbox", "-o", "lnk"], store)
    refused("--output lnk-store/new/out (into SOURCE through a link)",
            ["export", store, "-f", "pst", "-o", "lnk-store/new/out"], store)
    # DIR containing SOURCE
    parent = os.path.join(work, "contains")
    inner = e2e.copytree(FIXTURE, os.path.join(parent, "store"))
    refused("--output the folder that contains SOURCE",
            ["export", inner, "-f", "eml", "-o", parent], parent)
    refused("--output a folder two levels above SOURCE",
            ["export", inner, "-f", "mbox", "-o", work], parent)
    # a MailDir outside SOURCE found through --map
    mstore = os.path.join(work, "s-map")
    ext = os.path.join(work, "ext")
    st = advnames.Store(mstore, "map")
    st.add_folder("example.com", "local", ("INBOX",), count=1)
    st2 = advnames.Store(os.path.join(ext, "Mailroot"), "mapped")
    st2.add_folder("example.com", "zed", ("INBOX",), count=1)
    maildir = os.path.join(ext, "Mailroot", "Users", "example.com", "zed")
    sys.path.insert(0, os.path.join(e2e.ROOT, "tools"))
    import mdstore
    mdstore.write_userlist(os.path.join(mstore, "App", "userlist.dat"), [
        {"domain": "example.com", "mailbox": "zed",
         "maildir": "D:\\Mail\\Users\\example.com\\zed\\"}])
    mp = "D:\\Mail=" + os.path.join(ext, "Mailroot")
    rc, out, err = run(["export", mstore, "-f", "eml", "-o", os.path.join(work, "o-map-ok"),
                        "--map", mp])
    tap.ok(rc == 0 and os.path.isdir(os.path.join(work, "o-map-ok", "example.com", "zed")),
           "--map: the mapped MailDir outside SOURCE exports (the setting of the next checks)",
           "exit %d\n%s" % (rc, err[-1200:]))
    refused("--output inside a MailDir reached through --map",
            ["export", mstore, "-f", "eml", "-o", os.path.join(maildir, "out"), "--map", mp],
            mstore, extra_trees=(ext,))
    refused("--output a folder that contains a --map MailDir",
            ["export", mstore, "-f", "mbox", "-o", os.path.join(ext, "Mailroot", "Users"),
             "--map", mp], mstore, extra_trees=(ext,))
    os.symlink(maildir, os.path.join(work, "lnk-maildir"))
    refused("--output nonexistent/../lnk-maildir (a link to a --map MailDir)",
            ["export", mstore, "-f", "mbox", "-o", "nonexistent/../lnk-maildir", "--map", mp],
            mstore, extra_trees=(ext,), creates=[os.path.join(work, "nonexistent")])


# ---- 3. --report FILE as a link ---------------------------------------------------------------

def sec_report():
    store, expected = fixture("s-report")
    outside = make_outside("outside-report")
    rdir = os.path.join(work, "reports")
    os.makedirs(rdir)
    # dangling link into SOURCE, named like a message of alice's INBOX
    victim = os.path.join(store, "Users", "example.com", "alice", "md59999999999.msg")
    rfile = os.path.join(rdir, "r1.json")
    os.symlink(victim, rfile)
    o = os.path.join(work, "o-report")
    guard = Untouched(store, outside)
    rc, out, err = run(["export", store, "-f", "eml", "-o", o, "--report", rfile])
    tap.ok(not os.path.lexists(victim) and not guard.problems(),
           "--report FILE a dangling link into SOURCE: the target is not created, SOURCE unchanged",
           "\n".join(guard.problems()))
    doc = None
    try:
        if not os.path.islink(rfile):
            doc = json.load(open(rfile, encoding="utf-8"))
    except ValueError:
        pass
    tap.ok(rc == 0 and doc is not None and doc.get("report") == 1,
           "--report FILE a dangling link: exit 0, FILE replaced by the JSON report (no longer a "
           "link)", "exit %d, islink %s\n%s" % (rc, os.path.islink(rfile), err[-800:]))
    leaked = [k for k, e in (fdtree.read_tree(o).items() if os.path.isdir(o) else [])
              if e.kind == "file" and b'"report":1' in (e.data or b"")
              and not k[-1].endswith(b".manifest.jsonl")]
    tap.ok(not leaked, "--report FILE a dangling link: the export holds no message made of the "
           "report", repr(leaked[:3]))
    tap.ok(sorted(os.listdir(rdir)) == ["r1.json"],
           "--report: no temporary file left beside FILE", repr(os.listdir(rdir)))
    e2e.check_format(tap, "eml", o, expected, " (report link)")
    # a link to an existing file outside
    rfile2 = os.path.join(rdir, "r2.json")
    os.symlink(os.path.join(outside, "precious.txt"), rfile2)
    guard = Untouched(store, outside)
    rc, out, err = run(["export", store, "-f", "mbox", "-o", os.path.join(work, "o-report2"),
                        "--report", rfile2])
    tap.ok(rc == 0 and not guard.problems() and not os.path.islink(rfile2)
           and e2e.read(rfile2).startswith(b"{"),
           "--report FILE a link to a file outside: that file unchanged, FILE replaced by the report",
           "exit %d\n%s\n%s" % (rc, "\n".join(guard.problems()), err[-800:]))
    # FILE whose directory resolves into SOURCE
    os.symlink(os.path.join(store, "App"), os.path.join(work, "lnk-app"))
    for label, rf in (("a link to SOURCE/App", os.path.join(work, "lnk-app", "r.json")),
                      ("nonexistent/../lnk-app", os.path.join("nonexistent", "..", "lnk-app",
                                                              "r.json"))):
        refused("--report FILE in %s" % label,
                ["export", store, "-f", "eml", "-o", os.path.join(work, "o-report3"),
                 "--report", rf], store, creates=[os.path.join(work, "o-report3"),
                                                  os.path.join(work, "nonexistent")])


# ---- 4. mailboxes named like the tool's own files -------------------------------------------

OWN = ["john", "john.old", "john.partial", "john.manifest.jsonl", "john.pst", "john.lock",
       ".mdexport", "john.mbox", "john.eml", "john.pst.partial", "john.manifest.jsonl.partial"]


def sec_own_names():
    store = os.path.join(work, "s-own")
    st = advnames.Store(store, "own")
    for box in OWN:
        st.add_folder("example.com", box, ("INBOX",), count=2)
        st.add_folder("example.com", box, ("Sub",), count=1)
    for fmt in FORMATS:
        o = os.path.join(work, "o-own-" + fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        tap.ok(rc == 0, "%s: mailboxes %s in one domain: exit 0" % (fmt, ", ".join(OWN)),
               "exit %d\n%s" % (rc, err[-1500:]))
        fdtree.check_export(tap, fmt, o, st.expected, " (own names)")
        missing = [b for b in OWN if not os.path.isfile(os.path.join(
            o, "example.com", advnames.out_name(b) + ".manifest.jsonl"))]
        tap.ok(not missing, "%s: every mailbox has its manifest under its escaped name" % fmt,
               repr(missing))
        vrc, vout, verr = run(["verify", store, o])
        tap.ok(vrc == 0, "%s: verify exit 0" % fmt, vout[-1500:] + verr[-500:])
        john = advnames.out_name("john").encode()
        mine = ((b"example.com", john + (b".pst" if fmt == "pst" else b"")),
                (b"example.com", john + b".manifest.jsonl"))
        before = output_state(o, skip=mine)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o, "--user", "john@example.com"])
        after = output_state(o, skip=mine)
        tap.ok(rc == 0 and before == after and before,
               "%s: a --user john@example.com re-run leaves every other mailbox's output and "
               "manifest byte-identical" % fmt,
               "exit %d\n%s\n%s" % (rc, "\n".join(state_diff(before, after)), err[-800:]))
        vrc, vout, verr = run(["verify", store, o])
        own = set()
        for b in OWN:
            base = advnames.out_name(b).encode()
            own |= {(b"example.com", base + (b".pst" if fmt == "pst" else b"")),
                    (b"example.com", base + b".manifest.jsonl")}
        left = working_files(o, own)
        tap.ok(vrc == 0 and not left, "%s: verify exit 0 after the --user re-run, no "
               "working files beside the outputs" % fmt,
               "exit %d; working files %r\n%s" % (vrc, left[:5], vout[-1500:] + verr[-500:]))
        shutil.rmtree(o, ignore_errors=True)


# ---- 5. one writer per mailbox ---------------------------------------------------------------

def lock_path(o, dom, box):
    return os.path.join(o, ".mdexport", advnames.out_name(dom), advnames.out_name(box), "lock")


def hold_lock(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def report_results(path):
    try:
        doc = json.load(open(path, encoding="utf-8"))
        return {m["mailbox"]: m["result"] for m in doc["mailboxes"]}, doc.get("exit_status")
    except (OSError, ValueError, KeyError, TypeError) as ex:
        return {"error": repr(ex)}, None


def sec_locked():
    store, expected = fixture("s-lock")
    for fmt in ("mbox", "pst"):
        o = os.path.join(work, "o-lock-" + fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        if rc != 0:
            tap.ok(False, "%s: the first, complete export" % fmt, err[-800:])
            continue
        alice = advnames.out_name("alice").encode()
        before = output_state(o)
        fd = hold_lock(lock_path(o, "example.com", "alice"))
        try:
            rep = os.path.join(work, "lock-%s.json" % fmt)
            rc, out, err = run(["export", store, "-f", fmt, "-o", o, "--report", rep])
            after = output_state(o)
        finally:
            os.close(fd)
            # the other run ends: a finished run removes its working folder (the
            # lock file with it), which verify would name (issue 16: files in DIR
            # that no manifest describes)
            shutil.rmtree(os.path.join(o, ".mdexport"), ignore_errors=True)
        msg = lines(err, "alice@example.com", "another mdexport")
        tap.ok(rc == 3 and msg, "%s: alice's lock held by another process: exit 3, a message "
               "says alice@example.com was skipped because another mdexport run is writing it"
               % fmt, "exit %d\n%s" % (rc, "\n".join(ln for ln in err.splitlines()
                                                       if not ln.startswith("  "))[-1500:]))
        results, status = report_results(rep)
        tap.ok(results.get("alice@example.com") == "locked" and status == 3 and
               all(v == "exported" for k, v in results.items() if k != "alice@example.com"),
               "%s: --report: alice's result 'locked', the others 'exported', exit_status 3" % fmt,
               repr((results, status)))
        alice_keys = {k: v for k, v in before.items()
                      if len(k) > 1 and k[1] in (alice, alice + b".pst", alice + b".manifest.jsonl")}
        tap.ok(alice_keys and all(after.get(k) == v for k, v in alice_keys.items()) and
               not [k for k in after if k not in before and len(k) > 1 and k[1].startswith(alice)],
               "%s: the locked mailbox's output and manifest are untouched" % fmt,
               "\n".join(state_diff(alice_keys, {k: after.get(k) for k in alice_keys})))
        vrc, vout, verr = run(["verify", store, o])
        tap.ok(vrc == 0, "%s: after the skipped run every mailbox verifies" % fmt, vout[-1000:])
        # a worse status wins: alice locked and bob's output a link -> 2
        outside = make_outside("outside-lock-" + fmt)
        bob = os.path.join(o, "example.com", "bob" + (".pst" if fmt == "pst" else ""))
        if os.path.isdir(bob):
            shutil.rmtree(bob)
        elif os.path.lexists(bob):
            os.unlink(bob)
        os.symlink(os.path.join(outside, "target.pst" if fmt == "pst" else "sub"), bob)
        guard = Untouched(store, outside)
        fd = hold_lock(lock_path(o, "example.com", "alice"))
        try:
            rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        finally:
            os.close(fd)
        tap.ok(rc == 2 and lines(err, "alice@example.com", "another mdexport")
               and not guard.problems(),
               "%s: a locked mailbox and a failed one (bob's output a link): exit 2 (the worse "
               "status), the locked one still named, the link's target unchanged" % fmt,
               "exit %d\n%s\n%s" % (rc, "\n".join(guard.problems()), err[-1200:]))
        if os.path.islink(bob) or not os.path.isdir(bob):
            os.unlink(bob)
        else:
            shutil.rmtree(bob)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        vrc, vout, verr = run(["verify", store, o])
        tap.ok(rc == 0 and vrc == 0, "%s: once the lock is free a re-run exits 0 and verifies"
               % fmt, "export %d, verify %d\n%s" % (rc, vrc, err[-800:]))
        if fmt != "pst":
            e2e.check_format(tap, fmt, o, expected, " (after the lock)", use_dovecot=False)


def flock_holder(pid, path):
    """True when process pid holds a lock on the file at path (/proc/locks)."""
    try:
        st = os.stat(path)
        with open("/proc/locks") as f:
            text = f.read()
    except OSError:
        return False
    for ln in text.splitlines():
        parts = ln.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (a "->" marks a waiter)
        if "->" in parts:
            continue
        try:
            i = parts.index("ADVISORY") if "ADVISORY" in parts else parts.index("MANDATORY")
        except ValueError:
            continue
        lpid, dev_ino = parts[i + 2], parts[i + 3]
        if int(lpid) == pid and int(dev_ino.split(":")[2]) == st.st_ino:
            return True
    return False


def probe_selftest():
    """The /proc/locks probe sees a flock a child process holds (else the
    race check below could never catch run A)."""
    path = os.path.join(work, "probe.lock")
    child = subprocess.Popen([sys.executable, "-c",
                              "import fcntl,os,sys,time\n"
                              "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o644)\n"
                              "fcntl.flock(fd,fcntl.LOCK_EX|fcntl.LOCK_NB)\n"
                              "print('locked',flush=True)\ntime.sleep(30)\n", path],
                             stdout=subprocess.PIPE)
    try:
        child.stdout.readline()
        seen = flock_holder(child.pid, path)
    finally:
        child.kill()
        child.wait()
    tap.ok(seen, "race: the /proc/locks probe sees a flock held by another process")
    return seen


def sec_race():
    if not probe_selftest():
        return
    store = os.path.join(work, "s-race")
    st = advnames.Store(store, "race")
    n = int(os.environ.get("T6200_RACE_MESSAGES", "3000"))
    st.add_folder("example.com", "big", ("INBOX",), count=n)
    st.add_folder("example.com", "small", ("INBOX",), count=3)
    o = os.path.join(work, "o-race")
    rc, out, err = run(["export", store, "-f", "eml", "-o", o])
    if rc != 0:
        tap.ok(False, "race: the first, complete export", err[-800:])
        return
    before = output_state(o)
    lock = lock_path(o, "example.com", "big")
    # A works one mailbox at a time (-j 1), so that stopped while it holds big's lock it holds
    # no other: with more threads it may be writing small too, and B then rightly finds small
    # locked as well; B runs with the default (every CPU)
    a = subprocess.Popen([e2e.MDEXPORT, "export", store, "-f", "eml", "-o", o, "-j", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work)
    caught = False
    deadline = time.time() + 60
    while a.poll() is None and time.time() < deadline:
        if flock_holder(a.pid, lock):
            os.kill(a.pid, signal.SIGSTOP)
            caught = True
            break
        time.sleep(0.0005)
    if not caught:
        a.wait()
        tap.ok(False, "race: run A was seen holding DIR/.mdexport/example.com/big/lock "
               "(%d messages)" % n, "A exit %s\n%s" % (a.returncode, a.stderr.read().decode()[-800:]))
        return
    try:
        during = output_state(o)
        rep = os.path.join(work, "race.json")
        rc, out, err = run(["export", store, "-f", "eml", "-o", o, "--report", rep])
        after_b = output_state(o)
    finally:
        os.kill(a.pid, signal.SIGCONT)
    a_out, a_err = a.communicate(timeout=300)
    tap.ok(rc == 3 and lines(err, "big@example.com", "another mdexport"),
           "race: run B while run A writes big@example.com: exit 3, the message",
           "exit %d\n%s" % (rc, err[-1200:]))
    results, status = report_results(rep)
    tap.ok(results.get("big@example.com") == "locked" and results.get("small@example.com")
           == "exported", "race: B's report: big 'locked', small 'exported'", repr(results))
    bigk = {k: v for k, v in before.items() if len(k) > 1 and k[1].startswith(b"big")}
    tap.ok(all(during.get(k) == v for k, v in bigk.items())
           and all(after_b.get(k) == v for k, v in bigk.items()),
           "race: the previous complete output of big is unchanged while A and B run",
           "\n".join(state_diff(bigk, {k: after_b.get(k) for k in bigk})))
    tap.ok(a.returncode == 0, "race: run A, resumed, completes with exit 0",
           "exit %d\n%s" % (a.returncode, a_err.decode()[-800:]))
    vrc, vout, verr = run(["verify", store, o])
    tap.ok(vrc == 0 and not working_files(o), "race: the final output verifies, no working file "
           "beside it", vout[-1000:] + verr[-300:])
    fdtree.check_export(tap, "eml", o, st.expected, " (after the race)")


# ---- 6. folder names that collide with output file names -----------------------------------

def sec_collide():
    store = os.path.join(work, "s-collide")
    st = advnames.Store(store, "collide")
    for f in (("INBOX",), ("A",), ("A.mbox",), ("A.mbox", "B"), ("A", "B"), ("INBOX.mbox",),
              ("INBOX.mbox", "B"), ("INBOX", "000001.eml"), ("INBOX", "000002.eml", "x"),
              ("X",), ("X", "000001.eml")):
        st.add_folder("example.com", "col", f, count=3 if f == ("INBOX",) else 2)
    for fmt in FORMATS:
        o = os.path.join(work, "o-collide-" + fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        tap.ok(rc == 0, "%s: folders A, A.mbox/B, INBOX/000001.eml next to messages: exit 0" % fmt,
               "exit %d\n%s" % (rc, "\n".join(lines(err, "error"))[-1500:]))
        fdtree.check_export(tap, fmt, o, st.expected, " (colliding folder names)")
        vrc, vout, verr = run(["verify", store, o])
        tap.ok(vrc == 0, "%s: verify exit 0 (colliding folder names)" % fmt,
               vout[-1200:] + verr[-300:])


# ---- 7. paths of any length -------------------------------------------------------------------

def sec_deep():
    store = os.path.join(work, "s-deep")
    st = advnames.Store(store, "deep")
    st.add_folder("example.com", "deep", ("INBOX",), count=1)
    chain = []
    for i in range(22):
        chain.append(advnames._pad("Level%02d " % i, 195, fill="n"))
        st.add_folder("example.com", "deep", tuple(chain), count=1)
    plen = sum(len(c) + 1 for c in chain)
    guard = Untouched(store)
    for fmt in FORMATS:
        o = os.path.join(work, "o-deep-" + fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o])
        tap.ok(rc == 0, "%s: 22 nested 195-byte folders (a %d-byte path): exit 0" % (fmt, plen),
               "exit %d\n%s" % (rc, "\n".join(ln[:300] for ln in lines(err, "error"))[-1500:]))
        fdtree.check_export(tap, fmt, o, st.expected, " (22 x 195-byte folders)")
        longn = fdtree.long_components(o) if os.path.isdir(o) else ["no DIR"]
        tap.ok(not longn, "%s: every output path component <= 255 bytes (deep)" % fmt,
               repr(longn[:2]))
        vrc, vout, verr = run(["verify", store, o])
        tap.ok(vrc == 0, "%s: verify exit 0 (deep)" % fmt,
               "\n".join(ln[:300] for ln in vout.splitlines()[-6:]) + verr[-300:])
        shutil.rmtree(o, ignore_errors=True)
    tap.ok(not guard.problems(), "deep: SOURCE unchanged by 4 exports", "\n".join(guard.problems()))


for name, fn in (("links", sec_links), ("overlap", sec_overlap), ("report", sec_report),
                 ("own names", sec_own_names), ("locked", sec_locked), ("race", sec_race),
                 ("collide", sec_collide), ("deep", sec_deep)):
    t = time.time()
    guarded(name, fn)
    print("# %s: %.1f s" % (name, time.time() - t), flush=True)

e2e.remove_work(work)
print("# t6200 took %.0f s" % (time.time() - started))
tap.done()
