#!/usr/bin/env python3
"""End-to-end: installing (issue 16).

make install into a temporary DESTDIR puts exactly four files there (the
binary, stripped; the man page; the bash completion; the README the man page
refers to), the installed binary's
--version names the release, the commit and the libraries it runs with
(libpff as pffinfo -V says, the others as pkg-config does), the completion
completes commands, each command's options (every one its --help lists, and
no other) and --format's values when bash drives it, and make uninstall
leaves no file behind.  tools/install-deps installs only what building needs
unless asked (--test), make demo does not ask, make check does, and
debian/control's Build-Depends lists the build packages.  (Building,
installing and removing the Debian package takes minutes: tools/check-deb,
which .ci/run calls after make check.)"""

import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2e  # noqa: E402

ROOT = e2e.ROOT
PREFIX = "/usr/local"
WANT_FILES = ["usr/local/bin/mdexport", "usr/local/share/bash-completion/completions/mdexport",
              "usr/local/share/doc/mdexport/README.md", "usr/local/share/man/man1/mdexport.1"]
LIBS = ["GMime", "GLib", "OpenSSL", "libpff", "zlib", "libxml2"]
PKGCONFIG = {"GMime": "gmime-3.0", "GLib": "glib-2.0", "OpenSSL": "libcrypto", "zlib": "zlib",
             "libxml2": "libxml-2.0"}
COMMANDS = ["list", "export", "verify", "report", "accounts", "seal"]

tap = e2e.Tap("install")
work = e2e.tmpdir("install")
dest = os.path.join(work, "dest")


def sh(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def files_under(top):
    out = []
    for dirpath, _dirs, files in os.walk(top):
        out += [os.path.relpath(os.path.join(dirpath, n), top) for n in files]
    return sorted(out)


def has_symtab(path):
    rc, out, err = sh(["readelf", "-S", "-W", path])
    return None if rc else (" .symtab " in out)


# ---- make install ---------------------------------------------------------------
# -o mdexport: install the binary that was built, never rebuild it under a running suite
make = ["make", "--no-print-directory", "-C", ROOT, "-o", "mdexport", "PREFIX=" + PREFIX,
        "DESTDIR=" + dest]
rc, out, err = sh(make + ["install"])
tap.ok(rc == 0, "make install DESTDIR=... PREFIX=%s" % PREFIX, out + err)
tap.eq(files_under(dest), WANT_FILES, "make install installs the binary, the man page, the completion and the README")
binary = os.path.join(dest, "usr/local/bin/mdexport")
tap.ok(has_symtab(os.path.join(ROOT, "mdexport")) is True and has_symtab(binary) is False,
       "the installed binary is stripped (readelf -S: no .symtab; the built one has it)",
       "built: %s, installed: %s" % (has_symtab(os.path.join(ROOT, "mdexport")), has_symtab(binary)))
rc, out, err = sh(["file", "-b", binary])
tap.ok(rc == 0 and ", stripped" in out, "file(1) says the installed binary is stripped", out + err)
man = os.path.join(dest, "usr/local/share/man/man1/mdexport.1")
tap.ok(os.path.exists(man) and open(man, "rb").read() == open(os.path.join(ROOT, "docs/mdexport.1"), "rb").read(),
       "the man page installed is docs/mdexport.1")
rc, out, err = sh(["man", "-l", man], env=dict(os.environ, MANWIDTH="80", MANPAGER="cat"))
out = re.sub(r".\x08", "", out)   # the overstrikes of bold and underline
tap.ok(rc == 0 and "SEE ALSO" in out and "share/doc/mdexport/README.md" in out,
       "the man page renders (man -l) with a SEE ALSO and names where its README is installed",
       "exit %d: %s" % (rc, err[:500]))

# ---- --version ----------------------------------------------------------------------
rc, out, err = sh([binary, "--version"])
lines = out.split("\n")
m = re.fullmatch(r"mdexport (\d+\.\d+\.\d+) \(([^()\s]+)\)", lines[0])
tap.ok(rc == 0 and not err and m is not None and out.endswith("\n"),
       "the installed mdexport --version: first line 'mdexport X.Y.Z (COMMIT)'", "exit %d\n%s%s" % (rc, out, err))
if os.path.exists(os.path.join(ROOT, ".git")):
    grc, gout, _ = sh(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    want_commit = gout.strip() if grc == 0 else "unknown"
else:
    want_commit = "unknown"
tap.eq(m.group(2) if m else None, want_commit, "the commit is git describe --always --dirty's ('unknown' outside git)")
rc2, mk, _ = sh(["make", "-C", ROOT, "-s", "-p", "-n", "-f", "Makefile", "FORCE"])
mv = re.search(r"^VERSION := (\S+)$", mk, re.M)
tap.eq(m.group(1) if m else None, mv.group(1) if mv else "?", "the version is the Makefile's VERSION")
got = {}
bad = []
for line in lines[1:-1]:
    lm = re.fullmatch(r"(\S+) (\d+(?:\.\d+)*)", line)
    if not lm or lm.group(1) in got:
        bad.append(line)
    else:
        got[lm.group(1)] = lm.group(2)
tap.ok(not bad and lines[-1] == "" and sorted(got) == sorted(LIBS),
       "then one 'NAME VERSION' line for each of %s" % ", ".join(LIBS), "bad: %r; got %r" % (bad, got))
rc, pout, perr = sh(["pffinfo", "-V"])
pff = pout.split("\n")[0].split()[-1] if rc == 0 and pout else None
tap.ok(pff is not None and got.get("libpff") == pff,
       "libpff's version is what pffinfo -V says (%s)" % pff, "got %r; pffinfo: %r %r" % (got.get("libpff"), pout, perr))
for name, pc in PKGCONFIG.items():
    rc, v, e = sh(["pkg-config", "--modversion", pc])
    tap.ok(rc == 0 and got.get(name) == v.strip(),
           "%s's version is the installed library's (pkg-config %s: %s)" % (name, pc, v.strip()),
           "got %r; pkg-config: %r %r" % (got.get(name), v, e))

# ---- the bash completion --------------------------------------------------------------
comp = os.path.join(dest, "usr/local/share/bash-completion/completions/mdexport")


def complete(words):
    """What the completion offers for the command line words, the last being completed."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              'complete -p mdexport >&2; _mdexport; printf "%s\\n" "${COMPREPLY[@]}"')
    rc, out, err = sh(["bash", "--norc", "--noprofile", "-c", script, "bash", comp] + words, cwd=work)
    return rc, sorted(x for x in out.split("\n") if x), err


rc, got_c, err = complete(["mdexport", "ex"])
tap.ok(rc == 0 and got_c == ["export"] and "-F _mdexport mdexport" in err,
       "the completion is registered for mdexport and completes 'mdexport ex<TAB>' to export",
       "exit %d: %r %s" % (rc, got_c, err))
rc, got_c, err = complete(["mdexport", "export", "--fo"])
tap.eq(got_c, ["--folder", "--force", "--format"], "'mdexport export --fo<TAB>' offers --folder, --force and --format")
rc, got_c, err = complete(["mdexport", "export", "-f", ""])
tap.eq(got_c, sorted(["mbox", "maildir", "eml", "pst"]), "'mdexport export -f <TAB>' offers the formats written")
rc, got_c, err = complete(["mdexport", ""])
tap.eq(got_c, sorted(COMMANDS + ["help", "-h", "--help", "-V", "--version"]),
       "'mdexport <TAB>' offers the commands, help and --help/--version")
os.makedirs(os.path.join(work, "outdir-x"))
open(os.path.join(work, "outfile-x"), "w").close()
rc, got_c, err = complete(["mdexport", "export", "src", "--output", "out"])
tap.eq(got_c, ["outdir-x"], "'export --output <TAB>' offers folders only")
rc, got_c, err = complete(["mdexport", "report", "--output", "out"])
tap.eq(got_c, ["outdir-x", "outfile-x"], "'report --output <TAB>' offers files")
for cmd in COMMANDS:
    rc, hout, _ = sh([binary, cmd, "--help"])
    # the options --help defines: its synopsis (up to the first blank line) and its option
    # column ("  -f, --format FMT", "      --json"), not those its prose mentions
    synopsis = hout.split("\n\n")[0]
    helped = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?![\w-])", synopsis))
    for dm in re.finditer(r"^ {2,}(?:(-[a-zA-Z]), )?(--[a-z0-9][a-z0-9-]*)", hout, re.M):
        helped.update(x for x in dm.groups() if x)
    rc, got_c, err = complete(["mdexport", cmd, "-"])
    tap.ok(rc == 0 and set(got_c) == helped,
           "'mdexport %s -<TAB>' offers exactly the options its --help lists" % cmd,
           "not offered: %s; not in --help: %s" % (sorted(helped - set(got_c)), sorted(set(got_c) - helped)))

# ---- make uninstall -------------------------------------------------------------------
rc, out, err = sh(make + ["uninstall"])
tap.ok(rc == 0 and files_under(dest) == [], "make uninstall removes every file make install put there",
       "exit %d: %s%s; left: %s" % (rc, out, err, files_under(dest)))

# ---- what tools/install-deps installs --------------------------------------------------
rc, out, err = sh([os.path.join(ROOT, "tools/install-deps"), "--list"])
build = [line.split()[0] for line in out.split("\n") if line.strip()]
rc2, out2, _ = sh([os.path.join(ROOT, "tools/install-deps"), "--list", "--test"])
test_only = [line.split()[0] for line in out2.split("\n") if line.strip() and line.split()[0] not in build]
tools_named = ["dovecot-core", "nodejs", "npm", "clang", "valgrind", "strace", "python3"]
tap.ok(rc == 0 and build and not [p for p in tools_named if p in build]
       and all(p in test_only for p in tools_named),
       "install-deps installs no test tool unless --test (those are in --test's list)",
       "build: %r; test: %r" % (build, test_only))
rc, out, err = sh([os.path.join(ROOT, "tools/install-deps"), "--dry-run", "--test", "--deb"])
tap.ok(rc == 0 and out.startswith("mdexport: ") and not err, "install-deps --dry-run says what it would install, and exits 0",
       "exit %d: %s%s" % (rc, out, err))
rc, demo, _ = sh(["make", "-C", ROOT, "-n", "--no-print-directory", "deps", "test-deps"])
tap.eq([line.strip() for line in demo.split("\n") if "install-deps" in line],
       ["tools/install-deps", "tools/install-deps --test"], "make deps (make demo's) builds only; test-deps asks for --test")
mk = open(os.path.join(ROOT, "Makefile"), encoding="utf-8").read()
tap.ok(re.search(r"^demo: deps$", mk, re.M) and re.search(r"^check: test-deps$", mk, re.M),
       "make demo depends on deps, make check on test-deps")
ci = open(os.path.join(ROOT, ".ci/run"), encoding="utf-8").read()
tap.ok("tools/install-deps --test" in ci and "tools/check-deb" in ci,
       ".ci/run asks for the test tools and runs tools/check-deb")
control = open(os.path.join(ROOT, "debian/control"), encoding="utf-8").read()
bd = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S)
bdeps = {re.sub(r"\s*\(.*", "", d).strip() for d in (bd.group(1) if bd else "").split(",")}
# gcc and make come with build-essential, which a Debian build assumes
missing = [p for p in build if p not in bdeps and p not in ("gcc", "make")]
tap.ok(bd is not None and not missing, "debian/control's Build-Depends lists install-deps' build packages",
       "missing: %r" % missing)

shutil.rmtree(work, ignore_errors=True)
tap.done()
