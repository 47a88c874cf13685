"""Shared by tests/e2e/t7000-faults.py and t7100-resume.py: running the
fault-injection build (formats/core/sysio.h, MDX_FAULT), reading its call trace,
choosing fault points, and comparing an export with a clean one.

Every export runs with its working directory set to a case directory and
`--output out` given relatively, so the manifests' "command" is the same in
every case and whole trees compare byte for byte (manifests without their
"started", "ended" and "host")."""

import os
import re
import shutil
import subprocess

import e2e

FORMATS = ("mbox", "maildir", "eml", "pst")
diff = e2e.tree_diff
REASON = {"ENOSPC": "No space left on device", "EIO": "Input/output error"}
TRACE = re.compile(r"^mdexport: MDX_FAULT: (\d+) (\S+) (.*)$")
TOTAL = re.compile(r"^mdexport: MDX_FAULT: (\d+) output calls$")


def faulty_binary(tap):
    """MDEXPORT_FAULTY, or None after a failed check: a missing faulty build
    is a failure, never a skip.  That it has the hook is checked by the first
    count run (hooked())."""
    path = os.environ.get("MDEXPORT_FAULTY")
    if not tap.ok(bool(path) and os.access(path, os.X_OK),
                  "MDEXPORT_FAULTY names the fault-injection build (make fault)",
                  "MDEXPORT_FAULTY=%r" % path):
        return None
    return path


def count_run(tap, binary, cwd, args, what):
    """The clean run with MDX_FAULT=count: [(n, op, path)] or None."""
    rc, err = run(binary, cwd, args, "count")
    calls, total = trace(err)
    if not tap.ok(rc == 0 and total is not None and total == len(calls) and total > 0,
                  "%s: MDX_FAULT=count: exit 0, %s output calls traced (the binary has the hook)"
                  % (what, total), "exit %d\n%s" % (rc, err[-1500:])):
        return None
    return calls


def scratch(name):
    """A work directory; a tmpfs mounted on it where the machine allows
    (syncfs on a busy disk costs a second a run; on tmpfs nothing).  Returns
    (path, cleanup)."""
    d = e2e.tmpdir(name)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512m,mode=0755", "mdx-" + name, d],
                       capture_output=True, text=True)
    print("# work directory %s: %s" % (d, "a tmpfs" if m.returncode == 0 else
                                       "not a tmpfs (%s)" % m.stderr.strip()), flush=True)

    def cleanup():
        if m.returncode == 0:
            subprocess.run(["umount", "-l", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
    return d, cleanup


# what every export of these tests is run with besides the format: -j 1 first,
# then the test sets it to run the same cases again with threads
JOBS = ["-j", "1"]


def export_args(store, fmt, extra=()):
    return ["export", store, "-f", fmt, "-o", "out"] + JOBS + list(extra)


def run(binary, cwd, args, fault=None, timeout=300):
    """(exit status, text) of one export in cwd; fault: the MDX_FAULT value.
    text is stderr, then stdout: the fault tests read the error lines and the
    summaries together, as they did before issue 16 put the results (the
    summaries, the report table, the last line) on stdout."""
    env = dict(os.environ, TZ="UTC")
    env.pop("MDX_FAULT", None)
    if fault:
        env["MDX_FAULT"] = fault
    p = subprocess.run([binary] + args, cwd=cwd, env=env, capture_output=True, timeout=timeout)
    return p.returncode, (p.stderr + p.stdout).decode("utf-8", "replace")


def trace(stderr):
    """[(n, op, path)] from an MDX_FAULT=count run, and the total it printed."""
    calls, total = [], None
    for line in stderr.splitlines():
        m = TOTAL.match(line)
        if m:
            total = int(m.group(1))
            continue
        m = TRACE.match(line)
        if m:   # a descriptor is named through /proc: absolute; made relative as the others
            path = re.sub(r"^/.*?/(out/)", r"\1", m.group(3))
            calls.append((int(m.group(1)), m.group(2), path))
    return calls, total


def is_manifest(path):
    """A manifest, or its .partial in the working folder (.mdexport/<domain>/<mailbox>/)."""
    return ".manifest.jsonl" in path or path.endswith("/manifest.partial")


def points(calls):
    """{n: what}: fault points spread over a run: the first and last call, the
    middle, and the first of each stage (staging mkdir, output open, data
    write, fsync, futimens, the manifest's temporary file and its
    .partial, syncfs, the commit's exchange/rename, the manifest's rename,
    the PST's ftruncate and its header write)."""
    total = len(calls)
    pick = {}

    def first(what, pred, last=False):
        seq = reversed(calls) if last else calls
        for n, op, path in seq:
            if pred(op, path):
                pick.setdefault(n, what)
                return

    first("the first call", lambda op, p: True)
    first("a mkdir in the staging area", lambda op, p: op == "mkdir" and ".partial" in p)
    first("an output file's creation", lambda op, p: op == "open" and not is_manifest(p)
          and (".partial/" in p or p.endswith("/output.partial")))
    first("a data write", lambda op, p: op in ("write", "pwrite") and not is_manifest(p)
          and "(deleted)" not in p)
    first("a write of the manifest's temporary file", lambda op, p: op == "write" and "(deleted)" in p)
    first("a write of a manifest's .partial", lambda op, p: op == "write" and p.endswith("/manifest.partial"))
    first("an fsync", lambda op, p: op == "fsync")
    first("a futimens", lambda op, p: op == "futimens")
    first("a syncfs (commit)", lambda op, p: op == "syncfs")
    first("the commit's rename/exchange", lambda op, p: op in ("exchange", "rename") and not is_manifest(p))
    first("the commit's rename", lambda op, p: op == "rename" and not is_manifest(p))
    first("a manifest's rename", lambda op, p: op == "rename" and is_manifest(p))
    first("an ftruncate", lambda op, p: op == "ftruncate")
    first("the PST header's write (the last pwrite)", lambda op, p: op == "pwrite", last=True)
    pick.setdefault(total // 2, "the middle of the run")
    pick.setdefault(total, "the last call")
    return dict(sorted(pick.items()))


def is_partial(rel):
    """In the tool's working folder DIR/.mdexport (staging, locks)."""
    return rel.split(os.sep)[0] == ".mdexport"


def tree(top):
    """e2e.tree_bytes, a PST's mtime left out (README: it is when it was written)."""
    if not os.path.isdir(top):
        return {}
    t = e2e.tree_bytes(top)
    for k, v in t.items():
        if v and k.endswith(".pst"):
            t[k] = (v[0], None)
    return t


def unit_of(rel):
    """The item a path belongs to: <domain>/<entry> (a mailbox's output or
    manifest), or the path itself above that."""
    parts = rel.split(os.sep)
    return os.sep.join(parts[:2])


def units(t):
    out = {}
    for k, v in t.items():
        out.setdefault(unit_of(k), {})[k] = v
    return out


def incomplete(got, clean):
    """Problems: an item (a mailbox's output or manifest) outside .partial
    names that exists but is not exactly the clean run's.  An absent item is
    fine (never written, or rolled back)."""
    probs = []
    cu = units(clean)
    for u, files in sorted(units(got).items()):
        if is_partial(u) or u.count(os.sep) == 0:
            continue
        if files != cu.get(u):
            probs.append("%s: not what the clean run wrote: %s" % (u, diff(files, cu.get(u, {}))[:3]))
    return probs


def partial_left(top):
    """What is left in the working folder DIR/.mdexport: a finished run
    removes it (README, "What it writes")."""
    out = []
    for dirpath, dirs, files in os.walk(os.path.join(top, ".mdexport")):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, n), top))
    if os.path.lexists(os.path.join(top, ".mdexport")):
        out.append(".mdexport")
    return sorted(out)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def copy_output(src_case, dst_case):
    """A complete earlier export (with its files' mtimes) in dst_case/out."""
    fresh(dst_case)
    shutil.copytree(os.path.join(src_case, "out"), os.path.join(dst_case, "out"), symlinks=True)


def clean_runs(tap, faulty, work, store, fmt):
    """The clean export by the fault build (hook counting) in work/clean-FMT,
    checked against the normal build's: (case dir, its calls, its tree)."""
    case = fresh(os.path.join(work, "clean-" + fmt))
    calls = count_run(tap, faulty, case, export_args(store, fmt), fmt + ": clean run")
    clean = tree(os.path.join(case, "out"))
    plain = fresh(os.path.join(work, "plain-" + fmt))
    rc, err = run(e2e.MDEXPORT, plain, export_args(store, fmt))
    d = diff(tree(os.path.join(plain, "out")), clean)
    tap.ok(rc == 0 and not d, "%s: the fault build (hook off) writes what the normal build "
           "writes, byte for byte" % fmt, "exit %d\n%s\n%s" % (rc, "\n".join(d[:10]), err[-800:]))
    return case, calls, clean
