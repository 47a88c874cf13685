#!/usr/bin/env python3
"""End-to-end: crash and resume (issue 5).  A run killed with SIGKILL, then
re-run with the same arguments, must end with exactly the files of a run that
was never interrupted; and a run killed while it replaces a complete earlier
export must leave each mailbox's output either the old one or the new one,
never a mix.

For every format:
  - deterministic crash points through the fault hook of the test build
    (MDEXPORT_FAULTY, MDX_FAULT=kill:N: SIGKILL just before the Nth output
    call), spread over the run as t7000 spreads its faults (staging, data,
    the manifest's temporary file and .partial, fsync, syncfs, the commit's
    exchange/rename, the manifest's rename, the middle, the last call) and
    at each quarter;
  - kills of the normal build after a random delay (seeded: the seed and
    each delay are printed, MDX_RESUME_SEED=S repeats a run);
  after each: nothing outside DIR/.mdexport (the working folder) that is not the clean run's,
  then the re-run: exit 0, every byte the clean run's (manifests but for
  started/ended/host), no DIR/.mdexport left.
  - kills while re-running over a complete export made with other options
    (without --skip-deleted, re-run with it, so the two differ): after each,
    every mailbox's output and manifest is the old one or the new one; the
    one place where they may disagree (between the output's exchange and the
    manifest's rename, README "What it writes") must leave the new manifest
    at DIR/.mdexport/<domain>/<mailbox>/manifest.partial; then the re-run ends
    with the new export exactly.
All with -j 1; then with -j 4: the kills at chosen calls and during a
re-run on one mailbox (-u alice@example.com; to PST read ahead by its own
threads: its output calls come from one thread, so call N is the same
call every run), and the random kills on the whole store (several
mailboxes written at once)."""

import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402
import outfaults as of  # noqa: E402

tap = e2e.Tap("resume")
work, cleanup = of.scratch("resume")
FAULTY = of.faulty_binary(tap)
STORE = e2e.copytree(os.path.join(e2e.ROOT, "fixtures", "store"), os.path.join(work, "store"))
SEED = int(os.environ.get("MDX_RESUME_SEED") or 7100)
RANDOM_KILLS = 3
print("# random kills: seed %d (MDX_RESUME_SEED=%d repeats them)" % (SEED, SEED), flush=True)
rng = random.Random(SEED)


def fmtj(fmt):
    """the format and the -j (and -u) the exports run with, for labels"""
    return "%s %s" % (fmt, " ".join(of.JOBS))


def after_kill(fmt, case, clean, label):
    """The state a kill left, then the re-run with the same arguments."""
    probs = of.incomplete(of.tree(os.path.join(case, "out")), clean)
    tap.ok(not probs, label + ": nothing outside .partial names but complete mailboxes",
           "\n".join(probs))
    rc, err = of.run(e2e.MDEXPORT, case, of.export_args(STORE, fmt))
    d = of.diff(of.tree(os.path.join(case, "out")), clean)
    left = of.partial_left(os.path.join(case, "out"))
    tap.ok(rc == 0 and not d and not left, label + ": the re-run gives the uninterrupted "
           "run's files, byte for byte, no .partial left",
           "exit %d; left %s\n%s\n%s" % (rc, left, "\n".join(d[:10]), err[-800:]))


def kill_points(calls):
    pts = of.points(calls)
    for q in (1, 2, 3):
        pts.setdefault(len(calls) * q // 4, "quarter %d of the run" % q)
    return dict(sorted(pts.items()))


def hook_kills(fmt, clean, calls):
    for n, what in kill_points(calls).items():
        op, path = calls[n - 1][1], calls[n - 1][2]
        label = "%s: SIGKILL before call %d (%s %s, %s)" % (fmtj(fmt), n, op, path, what)
        case = of.fresh(os.path.join(work, "case-" + fmt))
        rc, err = of.run(FAULTY, case, of.export_args(STORE, fmt), "kill:%d" % n)
        if not tap.ok(rc == -signal.SIGKILL, label + ": killed", "exit %d\n%s" % (rc, err[-800:])):
            continue
        after_kill(fmt, case, clean, label)


def start(fmt, case):
    env = dict(os.environ, TZ="UTC")
    env.pop("MDX_FAULT", None)
    return subprocess.Popen([e2e.MDEXPORT] + of.export_args(STORE, fmt), cwd=case, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_time(fmt):
    """Seconds from start to exit, measured as the kills below see it."""
    case = of.fresh(os.path.join(work, "case-" + fmt))
    t0 = time.monotonic()
    start(fmt, case).wait()
    return time.monotonic() - t0


def timed_kills(fmt, clean):
    """Kills at random moments; a draw that comes after the run ended is
    drawn again (up to 5 times), so that each kill interrupts a run."""
    seconds = run_time(fmt)
    for k in range(RANDOM_KILLS):
        for _attempt in range(5):
            delay = rng.uniform(0, seconds)
            case = of.fresh(os.path.join(work, "case-" + fmt))
            p = start(fmt, case)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            rc = p.wait()
            print("# %s: random kill %d after %.4fs of a %.4fs run: %s" % (
                fmt, k + 1, delay, seconds, "interrupted" if rc == -signal.SIGKILL else
                "it had finished, drawn again"), flush=True)
            if rc == -signal.SIGKILL:
                break
        label = "%s: SIGKILL after %.4fs (random kill %d, seed %d)%s" % (
            fmtj(fmt), delay, k + 1, SEED, "" if rc == -signal.SIGKILL else " (it had finished)")
        after_kill(fmt, case, clean, label)


def mailbox_of(unit):
    for suffix in (".manifest.jsonl", ".pst"):
        if unit.endswith(suffix):
            return unit[:-len(suffix)]
    return unit


def old_or_new(got, old, new):
    """Problems: a unit neither old nor new (or gone); an output and manifest
    from different runs without the new manifest's .partial beside them."""
    gu, ou, nu = of.units(got), of.units(old), of.units(new)
    probs, which = [], {}
    for u in sorted(set(ou) | set(nu)):
        if u.count(os.sep) == 0:
            continue
        if gu.get(u) == ou.get(u) and u in ou:
            which[u] = "old" if gu.get(u) != nu.get(u) else "both"
        elif gu.get(u) == nu.get(u) and u in nu:
            which[u] = "new"
        else:
            probs.append("%s: neither the old nor the new output (%s)" % (
                u, "gone" if u not in gu else of.diff(gu[u], nu.get(u, {}))[:2]))
    for u, w in which.items():
        if u.endswith(".manifest.jsonl") or w == "both":
            continue
        m = mailbox_of(u) + ".manifest.jsonl"
        # mid-commit: the new manifest still at the working folder's manifest.partial
        marker = os.path.join(".mdexport", mailbox_of(u), "manifest.partial")
        if which.get(m, "both") not in ("both", w) and marker not in got:
            probs.append("%s is the %s output, its manifest the %s one, and no %s"
                         % (u, w, which[m], marker))
    return probs


def rerun_kills(fmt, old_case, old):
    """Kills while a run with --skip-deleted replaces an export made without
    (--force: since issue 16 another option that changes the bytes is not
    replaced without it)."""
    args = of.export_args(STORE, fmt, ["--skip-deleted", "--force"])
    new_case = of.fresh(os.path.join(work, "new-" + fmt))
    rc, err = of.run(e2e.MDEXPORT, new_case, args)
    new = of.tree(os.path.join(new_case, "out"))
    if not tap.ok(rc == 0 and new != old, "%s: --skip-deleted gives another export (the "
                  "old and new output differ)" % fmt, err[-800:]):
        return
    over = os.path.join(work, "over-" + fmt)
    of.copy_output(old_case, over)
    calls = of.count_run(tap, FAULTY, over, args, fmt + ": re-run with --skip-deleted over it")
    if not calls:
        return
    pts = kill_points(calls)
    for n, op, path in calls:      # every step of every commit
        if op in ("syncfs", "exchange", "rename"):
            pts.setdefault(n, "commit")
            pts.setdefault(n + 1, "just after " + op)
    for n, what in sorted(pts.items()):
        if n > len(calls):
            continue
        op, path = calls[n - 1][1], calls[n - 1][2]
        label = "%s: SIGKILL before call %d (%s %s, %s) of a re-run over a complete export" % (
            fmtj(fmt), n, op, path, what)
        case = os.path.join(work, "case-" + fmt)
        of.copy_output(old_case, case)
        rc, err = of.run(FAULTY, case, args, "kill:%d" % n)
        probs = old_or_new(of.tree(os.path.join(case, "out")), old, new)
        tap.ok(rc == -signal.SIGKILL and not probs, label + ": killed; every mailbox's "
               "output is the old or the new one, never a mix", "exit %d\n%s" % (rc, "\n".join(probs)))
        rc, err = of.run(e2e.MDEXPORT, case, args)
        d = of.diff(of.tree(os.path.join(case, "out")), new)
        left = of.partial_left(os.path.join(case, "out"))
        tap.ok(rc == 0 and not d and not left, label + ": the re-run gives the new export, "
               "byte for byte", "exit %d; left %s\n%s" % (rc, left, "\n".join(d[:10])))


if FAULTY:
    whole = {}      # each format's uninterrupted export of the whole store (the same for any -j)
    print("# every export with -j 1", flush=True)
    for fmt in of.FORMATS:
        case, calls, clean = of.clean_runs(tap, FAULTY, work, STORE, fmt)
        if not calls:
            continue
        whole[fmt] = clean
        hook_kills(fmt, clean, calls)
        timed_kills(fmt, clean)
        rerun_kills(fmt, case, clean)
    # With threads, kills at chosen calls need the Nth call to be the same call every run:
    # one mailbox (-u; to PST read ahead by its own threads) makes its output calls from one
    # thread; several mailboxes side by side do not (which thread makes a shared folder of
    # DIR/.mdexport, or removes it, varies), so they are killed at random moments instead.
    for fmt in of.FORMATS:
        of.JOBS = ["-j", "4", "-u", "alice@example.com"]
        print("# %s: exports with %s" % (fmt, " ".join(of.JOBS)), flush=True)
        case, calls, clean = of.clean_runs(tap, FAULTY, work, STORE, fmt)
        if calls:
            hook_kills(fmt, clean, calls)
            rerun_kills(fmt, case, clean)
        of.JOBS = ["-j", "4"]
        if fmt in whole:
            print("# %s: exports with %s" % (fmt, " ".join(of.JOBS)), flush=True)
            timed_kills(fmt, whole[fmt])

cleanup()
tap.done()
