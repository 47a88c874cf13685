#!/usr/bin/env python3
"""End-to-end: error paths and the command-line contract.

Every check looks at three things, never at the exit status alone: the exit
status (0 all exported; 1 finished but some items could not be read, each
named on stderr and in the per-mailbox summary; 2 usage or fatal error), the
message on stderr (naming the file and the reason), and what was or was not
written.

Unreadable inputs need permissions that bite: when run as root, mdexport is
run as 65534:65534 through setpriv(1) (util-linux) on store copies chowned
to 65534.  If that cannot be done, those checks are reported `not ok` with
the reason, never skipped."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import e2e  # noqa: E402
import dovecot  # noqa: E402
import mdstore  # noqa: E402

MTIME_CASE = 1650000000      # the date we give the record-less, header-less message
NOBODY = 65534
SETPRIV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
FIXTURE = os.path.join(e2e.ROOT, "fixtures", "store")
SPEC = json.load(open(os.path.join(e2e.ROOT, "fixtures", "store.expected.json"), encoding="utf-8"))
FORMATS = ("mbox", "maildir", "eml")

tap = e2e.Tap("errors")
work = e2e.tmpdir("errors")


# ---- helpers ---------------------------------------------------------------

def run(args, nobody=False, timeout=300):
    """mdexport (as 65534 when nobody and we are root); (status, stdout, stderr)."""
    cmd = (SETPRIV if nobody and os.geteuid() == 0 else []) + [e2e.MDEXPORT] + list(args)
    p = subprocess.run(cmd, capture_output=True, cwd=work, timeout=timeout)
    # issue 16 put export's summaries, table and last line on stdout: this
    # test reads them with the problems, as one text (stderr, then stdout)
    export = list(args[:1]) == ["export"] and not {"-h", "--help"} & set(args)
    err = p.stderr + (p.stdout if export else b"")
    return p.returncode, p.stdout.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def give(path):
    """chown -R 65534:65534 (a no-op when we are not root)."""
    if os.geteuid() != 0:
        return path
    os.lchown(path, NOBODY, NOBODY)
    for dirpath, dirs, files in os.walk(path):
        for n in dirs + files:
            os.lchown(os.path.join(dirpath, n), NOBODY, NOBODY)
    return path


def nobody_dir(path):
    os.makedirs(path, exist_ok=True)
    return give(path)


def priv_problem():
    """None when a mode-000 file is unreadable for the user run(nobody=True)
    runs as; else why not."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return "running as root and setpriv (util-linux) is not installed"
    prefix = SETPRIV if os.geteuid() == 0 else []
    try:
        p = subprocess.run(prefix + ["id", "-u"], capture_output=True, timeout=60)
    except OSError as ex:
        return "cannot run %s: %s" % (prefix + ["id", "-u"], ex)
    want = str(NOBODY) if prefix else str(os.geteuid())
    if p.returncode != 0 or p.stdout.decode().strip() != want:
        return "%s gave exit %d, stdout %r, stderr %r" % (
            " ".join(prefix + ["id", "-u"]), p.returncode, p.stdout, p.stderr)
    probe = os.path.join(work, "probe-000")
    with open(probe, "wb") as f:
        f.write(b"secret\n")
    give(probe)
    os.chmod(probe, 0)
    p = subprocess.run(prefix + ["cat", probe], capture_output=True, timeout=60)
    os.unlink(probe)
    if p.returncode == 0 or b"Permission denied" not in p.stderr:
        return ("a mode-000 file is readable by uid %s (exit %d, stderr %r): permissions "
                "are not effective here" % (want, p.returncode, p.stderr))
    return None


PRIV_PROBLEM = priv_problem()


def need_privileges(section):
    """Report the section `not ok` (with the reason) when permissions cannot bite."""
    if PRIV_PROBLEM:
        tap.ok(False, "%s: cannot drop privileges to make permissions effective" % section,
               PRIV_PROBLEM)
        return False
    return True


def fixture_store(name, owner_nobody=False):
    """A copy of fixtures/store and its expected mail messages (as t1000)."""
    store = e2e.copytree(FIXTURE, os.path.join(work, name))
    expected = e2e.fixture_expected(store, SPEC, MTIME_CASE)
    if owner_nobody:
        give(store)
    return store, expected


def lines(err, *needles):
    """stderr lines holding every needle."""
    return [ln for ln in err.splitlines() if all(n in ln for n in needles)]


def files_under(top):
    """{relative path: bytes} of every file under top."""
    out = {}
    for dirpath, dirs, files in os.walk(top):
        for n in files:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                out[os.path.relpath(p, top)] = e2e.read(p)
    return out


def tree_listing(top, exclude=()):
    """Every path under top (bytes, relative) with type and size, minus the
    subtrees in exclude (absolute paths)."""
    out = {}
    ex = {os.fsencode(os.path.abspath(x)) for x in exclude}
    btop = os.fsencode(top)
    for dirpath, dirs, files in os.walk(btop):
        dirs[:] = [d for d in dirs if os.path.join(dirpath, d) not in ex]
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            if p in ex:
                continue
            st = os.lstat(p)
            out[os.path.relpath(p, btop)] = (stat.S_IFMT(st.st_mode), st.st_size)
    return out


def diff_listing(a, b):
    return (["new: %r" % k for k in sorted(set(b) - set(a))] +
            ["gone: %r" % k for k in sorted(set(a) - set(b))] +
            ["changed: %r" % k for k in sorted(set(a) & set(b)) if a[k] != b[k]])


def expect_msg(domain, mailbox, folder, path, flags, date):
    data = e2e.read(path)
    return {"domain": domain, "mailbox": mailbox, "folder": folder, "path": path,
            "flags": set(flags), "internaldate": date,
            "envelope_from": mdstore.envelope_from(data)}


def check(fmt, outdir, expected, label="", use_dovecot=True):
    e2e.check_format(tap, fmt, outdir, expected, label, use_dovecot)


def without(expected, pred):
    return [e for e in expected if not pred(e)]


def no_partial_left(outdir):
    """The tool's working folder DIR/.mdexport (staging, locks) and anything
    in it is left only by a run that was cut short."""
    work_area = os.path.join(outdir, ".mdexport")
    return [work_area] if os.path.lexists(work_area) else []


# ---- 1. usage errors: exit 2, a message naming the problem, nothing written --

src, _ = fixture_store("store")
uout = os.path.join(work, "usage-out")


def usage_case(args, what, needles, absent=(), writes=None):
    rc, out, err = run(args)
    problems = []
    if rc != 2:
        problems.append("exit status %d, want 2" % rc)
    for n in needles:
        if n not in err:
            problems.append("stderr lacks %r" % n)
    for n in absent:
        if n in err:
            problems.append("stderr says %r" % n)
    # issue 16: one line that says it, then where help is; the usage text
    # (40 lines) is --help's, not the error's: it scrolled the line away
    known = args[0] if args and args[0] in ("list", "export", "verify", "report",
                                             "accounts") else None
    want_try = "Try 'mdexport %s--help'." % (known + " " if known else "")
    lines = err.splitlines()
    if len(lines) != 2 or lines[1] != want_try:
        problems.append("stderr is not the error line and %r" % want_try)
    if "usage:" in err:
        problems.append("the usage text is on stderr")
    if out:
        problems.append("stdout not empty: %r" % out[:200])
    if writes and os.path.exists(writes):
        problems.append("%s was created" % writes)
        shutil.rmtree(writes, ignore_errors=True)
    tap.ok(not problems, "usage error, %s: exit 2, stderr names it, nothing written" % what,
           "\n".join(problems) + "\n--- stderr ---\n" + err[:1200])


usage_case([], "no command", ["mdexport: a COMMAND is required"])
usage_case(["frobnicate", src], "unknown command", ["unknown command 'frobnicate'"])
usage_case(["Export", src, "-f", "eml", "-o", uout], "command in the wrong case",
           ["unknown command 'Export'; did you mean 'export'?"], writes=uout)
usage_case(["exprot", src], "a mistyped command", ["unknown command 'exprot'; did you mean 'export'?"])
usage_case(["export", src, "--fromat", "pst", "-o", uout], "a mistyped option",
           ["unknown option '--fromat'; did you mean '--format'?"], writes=uout)
usage_case(["list", src, "--jsno"], "a mistyped option of list",
           ["unknown option '--jsno'; did you mean '--json'?"])
# only the options of the command are suggested: export has no --json
usage_case(["export", src, "-f", "eml", "-o", uout, "--jsno"], "a mistyped option no "
           "option of export is near", ["unknown option '--jsno'"], absent=["did you mean"],
           writes=uout)
for name in ("PST", "Mbox", "EML", "MailDir"):
    rc, out, err = run(["export", src, "--format", name, "--dry-run", "-q"])
    tap.ok(rc == 0 and "unknown format" not in err,
           "--format %s: any case names the format (exit 0)" % name, err[-600:])
usage_case(["export", src, "-o", uout], "export without --format", ["--format is required"],
           writes=uout)
usage_case(["export", src, "-f", "mbox"], "export without --output", ["--output is required"])
# every written format has a reader now (issue 11): a prefix that names the
# wrong format for SOURCE is that reader's refusal, naming SOURCE
rc, out, err = run(["export", "pst:" + src, "-f", "mbox", "-o", uout])
tap.ok(rc == 2 and src in err and "not a regular file" in err and not os.path.exists(uout),
       "SOURCE prefixed with the wrong format (pst: on a folder): exit 2, SOURCE named, "
       "nothing written", err[-600:])
usage_case(["export", src, "-f", "mdaemon", "-o", uout], "--format naming a format that is "
           "only read", ["'mdaemon'", "mbox", "maildir", "eml", "pst"], writes=uout)
# "mdaemon:" names the reader; the same listing as without it
rc1, out1, _ = run(["list", src, "--json"])
rc2, out2, err2 = run(["list", "mdaemon:" + src, "--json"])
tap.ok(rc1 == rc2 == 0 and out1 == out2 and '"mailboxes"' in out1,
       "list mdaemon:SOURCE: the MDaemon reader named, the same listing as SOURCE", err2[-600:])
usage_case(["export", src, "-f", "ost", "-o", uout], "unknown --format",
           ["'ost'", "mbox", "maildir", "eml", "pst"], writes=uout)
usage_case(["export", src, "-f", "eml", "-o", uout, "--user", "alice"], "--user without '@'",
           ["'alice'", "MAILBOX@DOMAIN"], writes=uout)
usage_case(["export", src, "-f", "eml", "-o", uout, "--map", "C:\\MDaemon"],
           "export --map without '='", ["'C:\\MDaemon'", "WINPREFIX=LOCALDIR"], writes=uout)
usage_case(["list", src, "--map", "D:\\Mail"], "list --map without '='",
           ["'D:\\Mail'", "WINPREFIX=LOCALDIR"])
usage_case(["list", src, "--format", "mbox"], "an export option given to list (--format mbox)",
           ["'--format'", "not valid"])
usage_case(["list", src, "-f", "mbox"], "an export option given to list (-f mbox)",
           ["'-f'", "not valid"])
usage_case(["list", src, "--output", uout], "an export option given to list (--output DIR)",
           ["'--output'", "not valid"], writes=uout)
usage_case(["list", src, "--skip-deleted"], "an export option given to list (--skip-deleted)",
           ["'--skip-deleted'", "not valid"])
usage_case(["export", src, "-f", "eml", "-o", uout, "--json"], "a list option given to export",
           ["'--json'", "not valid"], writes=uout)
# issue 16: export SOURCE DIR is accepted, so a second argument beside -o is a second DIR,
# and a third argument is the extra one
usage_case(["export", src, "extra", "-f", "eml", "-o", uout], "export with DIR and -o another",
           ["DIR given twice", "'extra'"], writes=uout)
usage_case(["export", src, uout, "extra", "-f", "eml"], "export with an extra argument",
           ["unexpected argument 'extra'"], writes=uout)
usage_case(["list", src, "extra"], "list with an extra argument", ["unexpected argument 'extra'"])
usage_case(["list"], "list without SOURCE", ["SOURCE is missing"])
usage_case(["export", "-f", "eml", "-o", uout], "export without SOURCE", ["SOURCE is missing"],
           writes=uout)
usage_case(["export", src, "-f", "eml", "-o", uout, "--bogus"], "unknown option",
           ["unknown option '--bogus'"], writes=uout)
usage_case(["export", src, "-o", uout, "--format"], "--format without its argument",
           ["'--format'"], absent=["unknown option"], writes=uout)

# ---- 2. --help and --version ---------------------------------------------------

HELP = {
    (): ["list", "export", "-h", "--help", "-V", "--version", "Exit status"],
    ("list",): ["--json", "--map", "-q", "--quiet", "-h", "--help"],
    ("export",): ["-f", "--format", "mbox", "maildir", "eml", "-o", "--output", "-u", "--user",
                  "-d", "--domain", "--skip-deleted", "-n", "--dry-run", "--map", "--report",
                  "-q", "--quiet", "-h", "--help"],
}
for cmd, opts in HELP.items():
    for flag in ("--help", "-h"):
        rc, out, err = run(list(cmd) + [flag])
        missing = [o for o in opts if o not in out]
        tap.ok(rc == 0 and not missing and not err and out.startswith("usage: mdexport"),
               "mdexport %s%s: exit 0, help on stdout naming every option" % (" ".join(cmd + ("",)), flag),
               "exit %d; missing %s; stderr %r" % (rc, missing, err[:300]))
rc, out, err = run(["export", src, "-f", "eml", "-o", uout, "--help"])
tap.ok(rc == 0 and "--skip-deleted" in out and not os.path.exists(uout),
       "export ... --help shows help, exits 0 and exports nothing", "exit %d\n%s" % (rc, err[:500]))
for flag in ("--version", "-V"):
    rc, out, err = run([flag])
    # issue 16: the first line names the release and the commit; the libraries follow (t9100)
    tap.ok(rc == 0 and re.match(r"mdexport 0\.1\.0 \([^()\s]+\)\n", out) is not None
           and "\nlibpff " in out and not err,
           "mdexport %s prints 'mdexport 0.1.0 (COMMIT)' and the libraries" % flag,
           "exit %d, stdout %r, stderr %r" % (rc, out, err))

# ---- 3. SOURCE that cannot be used: exit 2, SOURCE named, nothing written ------

notstore = os.path.join(work, "not-a-store")
os.makedirs(os.path.join(notstore, "Documents"))
with open(os.path.join(notstore, "readme.txt"), "w") as f:
    f.write("hello\n")
afile = os.path.join(work, "a-file")
with open(afile, "w") as f:
    f.write("hello\n")
for label, path, reason in (("missing", os.path.join(work, "no-such-store"), "No such file or directory"),
                            ("a regular file", afile, "Not a directory"),
                            ("a directory that is not a store", notstore,
                             "does not look like an MDaemon store")):
    o = os.path.join(work, "src-out")
    for cmd in (["list", path], ["export", path, "-f", "mbox", "-o", o]):
        rc, out, err = run(cmd)
        ok_msg = bool(lines(err, "'%s'" % path, reason))
        tap.ok(rc == 2 and ok_msg and not out,
               "%s: SOURCE %s -> exit 2, stderr names SOURCE and says %r"
               % (cmd[0], label, reason), "exit %d\nstderr: %s" % (rc, err[:800]))
        if cmd[0] == "export":
            tap.ok(not os.path.exists(o), "export: SOURCE %s -> DIR is not created" % label,
                   "%s exists: %s" % (o, os.listdir(o) if os.path.isdir(o) else "file"))
            shutil.rmtree(o, ignore_errors=True)

# ---- 4. --output that cannot be written -----------------------------------------

ofile = os.path.join(work, "output-is-a-file")
with open(ofile, "wb") as f:
    f.write(b"not a directory\n")
before = tree_listing(work, exclude=[src])
rc, out, err = run(["export", src, "-f", "eml", "-o", ofile])
tap.ok(rc == 2 and lines(err, "'%s'" % ofile, "Not a directory"),
       "--output is an existing regular file: exit 2, stderr names it and says 'Not a directory'",
       "exit %d\nstderr: %s" % (rc, err[-1500:]))
tap.ok(e2e.read(ofile) == b"not a directory\n" and not diff_listing(before, tree_listing(work, exclude=[src])),
       "--output is an existing regular file: nothing is written",
       "\n".join(diff_listing(before, tree_listing(work, exclude=[src]))))

if need_privileges("unwritable --output"):
    ro = os.path.join(work, "ro-parent")          # root's, 0555: nobody cannot create in it
    os.makedirs(ro)
    os.chmod(ro, 0o555)
    nsrc, _ = fixture_store("store-nobody", owner_nobody=True)
    o = os.path.join(ro, "out")
    rc, out, err = run(["export", nsrc, "-f", "mbox", "-o", o], nobody=True)
    tap.ok(rc == 2 and lines(err, "'%s'" % o, "Permission denied") and not os.path.exists(o),
           "--output inside an unwritable directory: exit 2, stderr names it with "
           "'Permission denied', nothing written", "exit %d\nstderr: %s" % (rc, err[-1500:]))
    o = os.path.join(work, "ro-existing")          # exists, not writable by the user
    os.makedirs(o)
    os.chmod(o, 0o555)
    rc, out, err = run(["export", nsrc, "-f", "eml", "-o", o], nobody=True)
    tap.ok(rc == 2 and lines(err, "'%s'" % o, "Permission denied") and os.listdir(o) == [],
           "--output an existing unwritable directory: exit 2, stderr names it, nothing written",
           "exit %d, DIR holds %s\nstderr: %s" % (rc, os.listdir(o), err[-1500:]))
    o = nobody_dir(os.path.join(work, "ro-domain"))  # DIR ok, DIR/example.com not writable
    os.makedirs(os.path.join(o, "example.com"))
    os.chmod(os.path.join(o, "example.com"), 0o555)
    rc, out, err = run(["export", nsrc, "-f", "eml", "-o", o], nobody=True)
    tap.ok(rc == 2 and lines(err, os.path.join(o, "example.com"), "Permission denied")
           and os.listdir(os.path.join(o, "example.com")) == []
           and "FAILED" in e2e.summary(err, "alice@example.com"),
           "DIR/<domain> not writable: exit 2, stderr names the path, the mailbox summary says "
           "FAILED, nothing written there", "exit %d\nstderr: %s" % (rc, err[-2500:]))
    # SOURCE unreadable (mode 000)
    usrc = os.path.join(work, "store-000")
    os.makedirs(usrc)
    give(usrc)
    os.chmod(usrc, 0)
    o = os.path.join(nobody_dir(os.path.join(work, "src000")), "out")
    rc, out, err = run(["export", usrc, "-f", "eml", "-o", o], nobody=True)
    tap.ok(rc == 2 and lines(err, "'%s'" % usrc, "Permission denied"),
           "unreadable SOURCE: exit 2, stderr names SOURCE with 'Permission denied'",
           "exit %d\nstderr: %s" % (rc, err[-1000:]))
    tap.ok(not os.path.exists(o), "unreadable SOURCE: DIR is not created",
           "%s exists" % o)

# ---- 5. unreadable inputs --------------------------------------------------------

if need_privileges("one .msg with mode 000"):
    store, expected = fixture_store("s-msg000", owner_nobody=True)
    victim = "Users/example.com/alice/md50000000102.msg"
    os.chmod(os.path.join(store, victim), 0)
    want = without(expected, lambda e: e["rel"] == victim)
    base = nobody_dir(os.path.join(work, "o-msg000"))
    for fmt in ("eml", "mbox"):
        o = os.path.join(base, fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o], nobody=True)
        s = e2e.summary(err, "alice@example.com")
        tap.eq(rc, 1, "%s: one .msg with mode 000 -> exit 1" % fmt)
        tap.ok(lines(err, "error:", victim, "Permission denied"),
               "%s: stderr names %s with 'Permission denied'" % (fmt, victim), err[-2000:])
        tap.ok("unreadable: 1;" in s and victim in s,
               "%s: alice's summary says 'unreadable: 1' and names the file" % fmt, s)
        others = [e2e.summary(err, a) for a in ("bob@example.com", "carol@example.org", "dave@example.com")]
        tap.ok(all("unreadable: 0;" in x for x in others),
               "%s: the other mailboxes' summaries say 'unreadable: 0'" % fmt, "\n".join(others))
        tap.ok("; 1 unreadable item;" in err and err.rstrip().endswith("exit status 1"),
               "%s: the final line counts 1 unreadable item and exit status 1" % fmt, err[-400:])
        check(fmt, o, want, " (md...102.msg mode 000)")

if need_privileges("a folder with mode 000"):
    store, expected = fixture_store("s-dir000", owner_nobody=True)
    victim = "Users/example.com/alice/Sent Items.IMAP"
    os.chmod(os.path.join(store, victim), 0)
    want = without(expected, lambda e: e["rel"].startswith(victim + "/"))
    o = os.path.join(nobody_dir(os.path.join(work, "o-dir000")), "out")
    rc, out, err = run(["export", store, "-f", "eml", "-o", o], nobody=True)
    s = e2e.summary(err, "alice@example.com")
    tap.eq(rc, 1, "a folder with mode 000 -> exit 1")
    tap.ok(lines(err, "error:", victim, "Permission denied"),
           "stderr names the folder '%s' with 'Permission denied'" % victim, err[-2000:])
    tap.ok("unreadable: 1;" in s and victim in s,
           "alice's summary says 'unreadable: 1' and names the folder", s)
    check("eml", o, want, " (Sent Items mode 000)")

if need_privileges("an IMAP.MRK with mode 000"):
    store, expected = fixture_store("s-mrk000", owner_nobody=True)
    victim = "Users/example.com/alice/Sent Items.IMAP/IMAP.MRK"
    os.chmod(os.path.join(store, victim), 0)
    want = []
    for e in expected:
        if e["rel"].startswith("Users/example.com/alice/Sent Items.IMAP/"):
            data = e2e.read(e["path"])
            e = dict(e, flags=set(),
                     internaldate=mdstore.arrival_date(data) or int(os.stat(e["path"]).st_mtime))
        want.append(e)
    base = nobody_dir(os.path.join(work, "o-mrk000"))
    for fmt in ("eml", "mbox"):
        o = os.path.join(base, fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o], nobody=True)
        tap.ok(rc == 0 and lines(err, "warning:", victim, "Permission denied"),
               "%s: IMAP.MRK with mode 000 -> exit 0 and a warning naming it with "
               "'Permission denied'" % fmt, "exit %d\n%s" % (rc, err[-2000:]))
        check(fmt, o, want, " (IMAP.MRK mode 000: no flags)")

# a .msg that is a directory, and one that is a FIFO (no privileges needed)
store, expected = fixture_store("s-notreg")
as_dir = "Users/example.com/alice/md50000000777.msg"
as_fifo = "Users/example.com/alice/Drafts.IMAP/md50000000778.msg"
os.makedirs(os.path.join(store, as_dir))
with open(os.path.join(store, as_dir, "inner.msg"), "wb") as f:
    f.write(b"Subject: inside a directory named .msg\r\n\r\nx\r\n")
os.mkfifo(os.path.join(store, as_fifo))
for fmt in ("eml", "maildir"):
    o = os.path.join(work, "o-notreg-" + fmt)
    try:
        rc, out, err = run(["export", store, "-f", fmt, "-o", o], timeout=120)
    except subprocess.TimeoutExpired:
        tap.ok(False, "%s: a FIFO named .msg does not hang the export" % fmt, "timed out after 120 s")
        continue
    s = e2e.summary(err, "alice@example.com")
    tap.eq(rc, 1, "%s: a .msg that is a directory and one that is a FIFO -> exit 1" % fmt)
    for v in (as_dir, as_fifo):
        tap.ok(lines(err, "error:", v, "is not a regular file"),
               "%s: stderr says '%s' is not a regular file" % (fmt, v), err[-2000:])
    tap.ok("unreadable: 2;" in s and as_dir in s and as_fifo in s,
           "%s: alice's summary says 'unreadable: 2' and names both" % fmt, s)
    check(fmt, o, expected, " (non-regular .msg)", use_dovecot=False)

if need_privileges("a read-only store"):
    store, expected = fixture_store("s-readonly", owner_nobody=True)
    for dirpath, dirs, files in os.walk(store):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode) & ~0o222)
    os.chmod(store, 0o555)
    frozen = e2e.freeze(store)
    base = nobody_dir(os.path.join(work, "o-readonly"))
    for fmt in FORMATS:
        o = os.path.join(base, fmt)
        rc, out, err = run(["export", store, "-f", fmt, "-o", o], nobody=True)
        tap.ok(rc == 0 and not lines(err, "error:"),
               "%s: a read-only store (chmod -R a-w) exports with exit 0, no errors" % fmt,
               "exit %d\n%s" % (rc, "\n".join(lines(err, "error:"))[:1500]))
    # before anything else reads the source
    changed = e2e.unchanged(store, frozen)
    tap.ok(not changed, "the read-only store is unchanged by 3 exports run by its owner, "
           "atimes included", "\n".join(changed[:20]))
    for fmt in FORMATS:
        check(fmt, os.path.join(base, fmt), expected, " (read-only store)", use_dovecot=False)

# ---- 6. symbolic links are never followed -----------------------------------------

store, expected = fixture_store("s-links")
outside = os.path.join(work, "outside")
MARK = b"OUTSIDE-THE-STORE-c0ffee"
mdstore.write_msg(os.path.join(outside, "secret.msg"),
                  b"Subject: secret file\r\n\r\n" + MARK + b" file\r\n")
d = mdstore.write_msg(os.path.join(outside, "folder", "md50000006001.msg"),
                      b"Subject: secret folder\r\n\r\n" + MARK + b" folder\r\n")
mdstore.write_mrk(os.path.join(outside, "folder", "IMAP.MRK"), 1, 2,
                  [("md50000006001.msg", 0x20, 1, len(d), 1700000000)])
d = mdstore.write_msg(os.path.join(outside, "mailbox", "md50000006101.msg"),
                      b"Subject: secret mailbox\r\n\r\n" + MARK + b" mailbox\r\n")
mdstore.write_mrk(os.path.join(outside, "mailbox", "IMAP.MRK"), 1, 2,
                  [("md50000006101.msg", 0x20, 1, len(d), 1700000000)])
alice = os.path.join(store, "Users", "example.com", "alice")
os.symlink(os.path.join(outside, "secret.msg"), os.path.join(alice, "md50000006000.msg"))
os.symlink(os.path.join(outside, "folder"), os.path.join(alice, "Evil.IMAP"))
os.symlink(os.path.join(outside, "mailbox"), os.path.join(store, "Users", "example.com", "mallory"))
for fmt in FORMATS:
    o = os.path.join(work, "o-links-" + fmt)
    rc, out, err = run(["export", store, "-f", fmt, "-o", o])
    tap.eq(rc, 0, "%s: symbolic links in the store: exit 0 (skipped with a warning)" % fmt)
    for name in ("md50000006000.msg", "Evil.IMAP"):
        tap.ok(lines(err, name, "symbolic link"),
               "%s: stderr says '%s' is a symbolic link, not followed" % (fmt, name), err[-2000:])
    tap.ok(lines(err, "mallory", "symbolic link"),
           "%s: stderr says the mailbox folder 'mallory' is a symbolic link, not followed" % fmt,
           err[-2000:])
    leaked = [p for p, data in files_under(o).items() if MARK in data]
    names = [p for p in files_under(o) if "Evil" in p or "mallory" in p]
    tap.ok(not leaked and not names, "%s: nothing from outside the store is in the output" % fmt,
           "files with outside content: %s\nnames: %s" % (leaked, names))
    check(fmt, o, expected, " (symlinks)", use_dovecot=False)

# ---- 7. folder and mailbox names that try to escape ---------------------------------

nstore = os.path.join(work, "s-names")
users = os.path.join(nstore, "Users", "example.com")
ESC_FOLDERS = [                      # (directory names from the mailbox down, logical name)
    ([b"...IMAP"], ".."),
    ([b"..IMAP"], "."),
    ([b"...IMAP", b"...IMAP"], "../.."),
    ([b"a\\b.IMAP"], "a\\b"),
    ([b"a\nb.IMAP"], "a\nb"),
    ([b"ctl\x01\x7fx.IMAP"], "ctl\x01\x7fx"),
    ([b"100%.IMAP"], "100%"),
    ([b"%41%2F.IMAP"], "%41%2F"),
    ([b"~tilde.IMAP"], "~tilde"),
    ([b"&AC8-etc.IMAP"], "&AC8-etc"),     # mUTF-7 for "/" is not valid mUTF-7: taken literally
]
names_expected = []


def add_box_msg(domain, mailbox, boxdir, subdirs, folder, n, flags=0x20):
    d = os.path.join(os.fsencode(boxdir), *subdirs) if subdirs else os.fsencode(boxdir)
    d = d.decode("utf-8", "surrogateescape")
    name = "md5%011d.msg" % n
    data = mdstore.write_msg(os.path.join(d, name),
                             "Return-Path: <sender%d@example.net>\nSubject: folder %r\n"
                             "Message-ID: <names-%d@example.net>\n\nmessage %d\n" % (n, folder, n, n))
    mdstore.write_mrk(os.path.join(d, "IMAP.MRK"), 7, 2,
                      [(name, flags, 1, len(data), 1700000000 + n * 3600)])
    return expect_msg(domain, mailbox, folder, os.path.join(d, name), {"\\Seen"}, 1700000000 + n * 3600)


eve = os.path.join(users, "eve")
names_expected.append(add_box_msg("example.com", "eve", eve, None, "INBOX", 1))
for i, (dirs, logical) in enumerate(ESC_FOLDERS):
    names_expected.append(add_box_msg("example.com", "eve", eve, dirs, logical, 10 + i))
eve2 = os.path.join(users, "eve2")             # a folder whose name is empty: ".IMAP"
eve2_inbox = add_box_msg("example.com", "eve2", eve2, None, "INBOX", 40)
# IMAP has no empty folder name: mdexport names it "(no name)" and says so
eve2_empty = add_box_msg("example.com", "eve2", eve2, [b".IMAP"], "(no name)", 41)
# userlist.dat can name any domain and mailbox: one with slashes is refused
# (the mailbox folder is then found by walking Users/), '..' and '.' are names
zed_msgs = [add_box_msg("example.com", "zed", os.path.join(users, "zed"), None, "INBOX", 50),
            add_box_msg("..", "..", os.path.join(users, "zed2"), None, "INBOX", 51),
            add_box_msg(".", "...", os.path.join(users, "zed3"), None, "INBOX", 52)]
mdstore.write_userlist(os.path.join(nstore, "App", "userlist.dat"), [
    {"domain": "../../evil", "mailbox": "../zed", "maildir": "C:\\MDaemon\\Users\\example.com\\zed\\"},
    {"domain": "..", "mailbox": "..", "maildir": "C:\\MDaemon\\Users\\example.com\\zed2\\"},
    {"domain": ".", "mailbox": "...", "maildir": "C:\\MDaemon\\Users\\example.com\\zed3\\"}])
names_frozen = e2e.freeze(nstore)
allowed = {"example.com": {"eve", "eve2", "zed"}, e2e.fs_escape(".."): {e2e.fs_escape("..")},
           e2e.fs_escape("."): {e2e.fs_escape("...")}}
names_out = {}
for fmt in FORMATS:
    top = os.path.join(work, "o-names-" + fmt)       # DIR is 4 levels below top: a '../..' lands in top
    o = names_out[fmt] = os.path.join(top, "l1", "l2", "l3", "out")
    os.makedirs(os.path.dirname(o))
    before = tree_listing(work, exclude=[o, nstore])
    rc, out, err = run(["export", nstore, "-f", fmt, "-o", o])
    tap.ok(rc == 0 and not lines(err, "error:"), "%s: escaping names export with exit 0" % fmt,
           "exit %d\n%s" % (rc, err[-2500:]))
    tap.ok(lines(err, "warning:", "userlist.dat", "line 1", "slashes"),
           "%s: the userlist.dat line naming '../zed@../../evil' is refused with a warning" % fmt,
           err[-2500:])
    after = tree_listing(work, exclude=[o, nstore])
    tap.ok(not diff_listing(before, after), "%s: nothing written outside DIR" % fmt,
           "\n".join(diff_listing(before, after)[:20]))
    problems = []
    real_o = os.path.realpath(o)
    for dirpath, dirs, files in os.walk(os.fsencode(o)):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                problems.append("symlink in the output: %r" % p)
            if not os.path.realpath(p).startswith(os.fsencode(real_o) + b"/"):
                problems.append("resolves outside DIR: %r" % p)
    for dom in os.listdir(o):
        if dom not in allowed:
            problems.append("DIR/%r is no domain" % dom)
            continue
        # each mailbox has its manifest next to it
        extra = set(os.listdir(os.path.join(o, dom))) - allowed[dom] - \
            {b + ".manifest.jsonl" for b in allowed[dom]}
        if extra:
            problems.append("DIR/%r holds %r besides its mailboxes" % (dom, sorted(extra)))
    tap.ok(not problems, "%s: every output path resolves inside DIR and lies in "
           "DIR/<domain>/<mailbox> of a known mailbox" % fmt, "\n".join(problems[:20]))
# before anything else reads the source
changed = e2e.unchanged(nstore, names_frozen)
tap.ok(not changed, "the escaping-names store is unchanged by 3 exports", "\n".join(changed[:20]))
for fmt in FORMATS:
    o = names_out[fmt]
    check(fmt, o, names_expected + zed_msgs, " (escaping names)", use_dovecot=True)
    if fmt != "maildir":
        check(fmt, o, [eve2_inbox, eve2_empty], " (empty folder name -> '(no name)')")
        continue
    try:
        tree = dovecot.read_maildir(os.path.join(o, "example.com", "eve"))
        got = sorted(tree["folders"])
    except Exception:       # noqa: BLE001 - any failure of the reader is the finding
        got = traceback.format_exc()
    tap.eq(got, sorted({e["folder"] for e in names_expected}),
           "maildir: the folder names Dovecot reports equal the decoded names")
    # the empty name has no agreed Maildir++ form; it must not vanish into INBOX
    root = os.path.join(o, "example.com", "eve2")
    found = []
    for dname, msgs in e2e.read_maildir_python(root).items():
        for _fl, raw, _t in msgs:
            if b"<names-41@" in raw:
                found.append(dname)
    tap.ok(len(found) == 1 and found[0] != "",
           "maildir: the empty-named folder's message is present once, not in INBOX",
           "found in %r (\"\" is INBOX)" % found)
    tap.ok(not os.path.exists(os.path.join(root, "maildirfolder")),
           "maildir: the Maildir root has no maildirfolder file (it is no subfolder)")
    try:
        t = dovecot.read_maildir(root)
        ok = len(t["messages"]) == 2
        diag = "Dovecot sees %r" % [(m["folder"], m["raw"][:60]) for m in t["messages"]]
    except Exception as ex:     # noqa: BLE001 - any failure of the reader is the finding
        ok, diag = False, str(ex)
    tap.ok(ok, "maildir: Dovecot reads the mailbox with the empty-named folder without "
           "warnings, 2 messages", diag)

# ---- 8. names that differ only by case -----------------------------------------------

cstore = os.path.join(work, "s-case")
cbox = os.path.join(cstore, "Users", "example.com", "casey")
case_expected = []
inbox_msgs = [("md1.msg", 0x20, 1, 1700000000), ("MD1.msg", 0x08, 2, 1700003600),
              ("Md1.Msg", 0x00, 3, 1700007200)]
recs = []
for name, flags, uid, date in inbox_msgs:
    data = mdstore.write_msg(os.path.join(cbox, name),
                             "Subject: case %s\nMessage-ID: <case-%s@example.net>\n\n%s\n" % (name, name, name))
    recs.append((name, flags, uid, len(data), date))
    case_expected.append(expect_msg("example.com", "casey", "INBOX", os.path.join(cbox, name),
                                    mdstore.flag_names(flags), date))
mdstore.write_mrk(os.path.join(cbox, "IMAP.MRK"), 5, 4, list(reversed(recs)))
for i, folder in enumerate(("Foo", "FOO", "foo")):
    d = os.path.join(cbox, folder + (".IMAP", ".imap", ".Imap")[i])
    data = mdstore.write_msg(os.path.join(d, "md50000000001.msg"),
                             "Subject: folder %s\nMessage-ID: <case-f%d@example.net>\n\nx\n" % (folder, i))
    mdstore.write_mrk(os.path.join(d, "IMAP.MRK"), 5, 2,
                      [("md50000000001.msg", 0x20, 1, len(data), 1690000000 + i)])
    case_expected.append(expect_msg("example.com", "casey", folder,
                                    os.path.join(d, "md50000000001.msg"), {"\\Seen"}, 1690000000 + i))
for fmt in FORMATS:
    o = os.path.join(work, "o-case-" + fmt)
    rc, out, err = run(["export", cstore, "-f", fmt, "-o", o])
    tap.ok(rc == 0, "%s: names differing only by case: exit 0" % fmt, err[-1500:])
    check(fmt, o, case_expected, " (case)")
    if fmt == "maildir":
        try:
            got = sorted(dovecot.read_maildir(os.path.join(o, "example.com", "casey"))["folders"])
        except Exception:       # noqa: BLE001 - any failure of the reader is the finding
            got = traceback.format_exc()
        tap.eq(got, ["FOO", "Foo", "INBOX", "foo"],
               "maildir: Dovecot lists Foo, FOO and foo as three folders")

# two mailbox folders differing only by case (possible on a Linux copy of a store)
mstore = os.path.join(work, "s-case-box")
mb_msgs = []
for n, box in ((1, "eve"), (2, "EVE")):
    bdir = os.path.join(mstore, "Users", "example.com", box)
    data = mdstore.write_msg(os.path.join(bdir, "md5%011d.msg" % n),
                             "Subject: box %s\nMessage-ID: <box-%d@example.net>\n\nx\n" % (box, n))
    mdstore.write_mrk(os.path.join(bdir, "IMAP.MRK"), 5, 2,
                      [("md5%011d.msg" % n, 0x20, 1, len(data), 1700000000)])
    mb_msgs.append((os.path.join("Users", "example.com", box), b"<box-%d@example.net>" % n))
o = os.path.join(work, "o-case-box")
rc, out, err = run(["export", mstore, "-f", "eml", "-o", o])
outfiles = {p: d for p, d in (files_under(o) if os.path.isdir(o) else {}).items()
            if not p.endswith(".manifest.jsonl")}     # the manifests name every message too
problems = []
for boxrel, mid in mb_msgs:
    hits = [p for p, data in outfiles.items() if mid in data]
    if len(hits) > 1:
        problems.append("%s: exported %d times" % (boxrel, len(hits)))
    elif not hits and not lines(err, boxrel):
        problems.append("%s: neither exported nor named on stderr" % boxrel)
    elif not hits and rc != 1:
        problems.append("%s: not exported, yet exit status %d" % (boxrel, rc))
tap.ok(not problems, "mailbox folders 'eve' and 'EVE': each exported once, or named on stderr "
       "with exit 1 (never dropped silently)", "\n".join(problems) + "\n" + err[-1500:])

# ---- 9. a mailbox whose MailDir is missing ------------------------------------------

store, expected = fixture_store("s-ghost")
ul = os.path.join(store, "App", "userlist.dat")
with open(ul, "ab") as f:
    f.write(mdstore.userlist_line({"domain": "example.com", "mailbox": "ghost",
                                   "maildir": "C:\\MDaemon\\Users\\example.com\\ghost\\"}))
o = os.path.join(work, "o-ghost")
ghost_report = os.path.join(work, "ghost-report.json")
rc, out, err = run(["export", store, "-f", "eml", "-o", o, "--report", ghost_report])
s = e2e.summary(err, "ghost@example.com")
tap.eq(rc, 1, "a userlist.dat mailbox whose MailDir is missing -> exit 1")
# issue 16: accounts whose MailDir is not found are said in one line at the end (500 of
# them were 500 error lines), naming them, the path (for one) and the --map to try
tap.ok(lines(err, "not found under SOURCE", "ghost@example.com",
             "C:\\MDaemon\\Users\\example.com\\ghost\\",
             "--map 'C:\\MDaemon\\Users\\="),
       "stderr names the account, its MailDir path and suggests --map", err[-2000:])
with open(ghost_report) as f:
    ghost_row = [m for m in json.load(f)["mailboxes"] if m["mailbox"] == "ghost@example.com"]
tap.ok(len(ghost_row) == 1 and ghost_row[0]["result"] == "unreadable" and
       ghost_row[0]["errors"] == 1 and ghost_row[0].get("output") is None,
       "ghost's report row: unreadable, 1 error, no output", repr(ghost_row))
tap.ok(not s, "ghost has no summary of its own claiming an export (said once at the end)", s)
tap.ok(not os.path.exists(os.path.join(o, "example.com", "ghost")),
       "nothing is written for the missing mailbox")
check("eml", o, expected, " (with a missing MailDir)")

# a domain folder that cannot be read (no userlist.dat: found by walking Users/)
if need_privileges("an unreadable domain folder"):
    dstore = os.path.join(work, "s-domain000")
    for dom, n in (("example.com", 1), ("example.org", 2)):
        bdir = os.path.join(dstore, "Users", dom, "box%d" % n)
        data = mdstore.write_msg(os.path.join(bdir, "md5%011d.msg" % n),
                                 "Subject: d%d\nMessage-ID: <dom-%d@example.net>\n\nx\n" % (n, n))
        mdstore.write_mrk(os.path.join(bdir, "IMAP.MRK"), 5, 2,
                          [("md5%011d.msg" % n, 0x20, 1, len(data), 1700000000)])
    dexp = [expect_msg("example.org", "box2", "INBOX",
                       os.path.join(dstore, "Users", "example.org", "box2", "md5%011d.msg" % 2),
                       {"\\Seen"}, 1700000000)]
    give(dstore)
    os.chmod(os.path.join(dstore, "Users", "example.com"), 0)
    o = os.path.join(nobody_dir(os.path.join(work, "o-domain000")), "out")
    rc, out, err = run(["export", dstore, "-f", "eml", "-o", o], nobody=True)
    tap.ok(rc == 1 and lines(err, "Users/example.com", "Permission denied")
           and "; 1 unreadable item;" in err,
           "an unreadable domain folder -> exit 1, named with 'Permission denied', counted "
           "as unreadable", "exit %d\n%s" % (rc, err[-1500:]))
    check("eml", o, dexp, " (other domain of an unreadable one)")

# ---- 10. odd messages ---------------------------------------------------------------

ostore = os.path.join(work, "s-msgs")
obox = os.path.join(ostore, "Users", "example.com", "odd")
ODD = [
    ("empty", b""),
    ("headers only, no separator", b"Return-Path: <a@example.net>\r\nSubject: headers only\r\n"
                                   b"From: a@example.net\r\n"),
    ("no line end at all", b"Subject: no newline at all"),
    ("no header", b"just a line of text\r\nFrom the start\r\n\r\n"),
    ("NUL bytes", b"Return-Path: <nul@example.net>\r\nSubject: nul\r\nX-Nul: a\x00b\r\n\r\n"
                  b"body\x00with\x00nuls\r\n\x00\r\n"),
    ("bare CR", b"Subject: bare cr\rFrom: x@example.net\r\rbody line 1\rFrom here\rlast\r"),
    ("bare LF", b"Return-Path: <lf@example.net>\nSubject: bare lf\nStatus: RO\n\nbody\nFrom here\n>From there\n"),
    ("mixed CR, LF, CRLF", b"Subject: mixed\r\nX-A: 1\n\r\nline\rline\r\n\nFrom x\r"),
    ("1 MB header line", b"Return-Path: <long@example.net>\r\nSubject: long\r\nX-Long: " + b"a" * (1 << 20)
                         + b"\r\nStatus: R\r\n\r\nbody\r\n"),
    ("1 MB header, no line end", b"X-Huge: " + b"b" * (1 << 20)),
]
orecs, odd_expected = [], []
for i, (label, data) in enumerate(ODD):
    name = "md5%011d.msg" % (i + 1)
    mdstore.write_bytes(os.path.join(obox, name), data)
    flags = (0x20, 0x10 | 0x08, 0x04, 0x02, 0)[i % 5]
    orecs.append((name, flags, i + 1, len(data), 1700000000 + 86400 * i))
    odd_expected.append(expect_msg("example.com", "odd", "INBOX", os.path.join(obox, name),
                                   mdstore.flag_names(flags), 1700000000 + 86400 * i))
mdstore.write_mrk(os.path.join(obox, "IMAP.MRK"), 9, len(ODD) + 1, orecs)
for fmt in FORMATS:
    o = os.path.join(work, "o-msgs-" + fmt)
    rc, out, err = run(["export", ostore, "-f", fmt, "-o", o])
    tap.ok(rc == 0 and "odd@example.com: exported %d messages" % len(ODD) in err
           and not lines(err, "error:"),
           "%s: empty, header-only, NUL, bare CR/LF and 1 MB-header messages all exported, exit 0" % fmt,
           "exit %d\n%s" % (rc, err[-1500:]))
    check(fmt, o, odd_expected, " (odd messages)")

# ---- 11. leftovers of an interrupted run, and re-runs ---------------------------------

JUNK = b"JUNK-LEFT-BY-AN-EARLIER-RUN"
store, expected = fixture_store("s-rerun")
for fmt in FORMATS:
    o = os.path.join(work, "o-rerun-" + fmt)
    dom = os.path.join(o, "example.com")
    # what a killed run leaves: in the working folder DIR/.mdexport/<domain>/<mailbox>/
    wa = os.path.join(o, ".mdexport", "example.com")
    os.makedirs(os.path.join(wa, "alice", "output.partial", "INBOX", "deep"))
    for rel in ("junk.eml", "INBOX/000001.eml", "INBOX/deep/x", "INBOX.mbox"):
        with open(os.path.join(wa, "alice", "output.partial", rel), "wb") as f:
            f.write(JUNK + b"\n")
    os.makedirs(os.path.join(wa, "bob"))
    with open(os.path.join(wa, "bob", "output.partial"), "wb") as f:   # a file, not a directory
        f.write(JUNK + b"\n")
    with open(os.path.join(wa, "bob", "manifest.partial"), "wb") as f:
        f.write(JUNK + b"\n")
    os.makedirs(os.path.join(wa, "alice", "output.old"))
    with open(os.path.join(wa, "alice", "output.old", "junk"), "wb") as f:
        f.write(JUNK + b"\n")
    # names beside the outputs are not the tool's: a mailbox may be called
    # "alice.partial"; they are left exactly as they are
    os.makedirs(os.path.join(dom, "alice.partial", "INBOX"))
    with open(os.path.join(dom, "alice.partial", "INBOX", "keep"), "wb") as f:
        f.write(b"NOT-OURS\n")
    with open(os.path.join(dom, "bob.old"), "wb") as f:
        f.write(b"NOT-OURS\n")
    rc, out, err = run(["export", store, "-f", fmt, "-o", o])
    left = no_partial_left(o)
    junk = [p for p, data in files_under(o).items() if JUNK in data]
    tap.ok(rc == 0 and not left and not junk,
           "%s: a killed run's leftovers in DIR/.mdexport (output.partial directory or "
           "file, output.old, manifest.partial) are cleared, none left behind" % fmt,
           "exit %d; left: %s; junk in: %s\n%s" % (rc, left, junk, err[-1000:]))
    kept = [rel for rel in ("example.com/alice.partial/INBOX/keep", "example.com/bob.old")
            if files_under(o).get(rel) == b"NOT-OURS\n"]
    tap.eq(len(kept), 2, "%s: alice.partial and bob.old beside the outputs are not touched" % fmt)
    shutil.rmtree(os.path.join(dom, "alice.partial"))
    os.unlink(os.path.join(dom, "bob.old"))
    check(fmt, o, expected, " (after leftovers)", use_dovecot=False)
    # a complete export is replaced, not added to
    stray = {"eml": os.path.join(dom, "alice", "INBOX", "999999.eml"),
             "mbox": os.path.join(dom, "alice", "Stray.mbox"),
             "maildir": os.path.join(dom, "alice", "cur", "1.stray.host:2,S")}[fmt]
    os.makedirs(os.path.dirname(stray), exist_ok=True)
    with open(stray, "wb") as f:
        f.write(b"From stray@example.net Thu Jan  1 00:00:00 1970\nSubject: stray\n\n" + JUNK + b"\n"
                if fmt == "mbox" else b"Subject: stray\n\n" + JUNK + b"\n")
    rc, out, err = run(["export", store, "-f", fmt, "-o", o])
    left = no_partial_left(o)
    tap.ok(rc == 0 and not left and not os.path.exists(stray),
           "%s: re-running over a complete export replaces it (stray file gone, no DIR/.mdexport)" % fmt,
           "exit %d; left: %s; stray there: %s" % (rc, left, os.path.exists(stray)))
    check(fmt, o, expected, " (re-run: each message once)")


# ---- cleanup ----------------------------------------------------------------------------

e2e.remove_work(work)
tap.done()
