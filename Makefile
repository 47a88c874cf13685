# mdexport -- see README.md.  `make demo`, `make check`.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0
# issue 16: the commit --version names: `git describe` in a git work tree
# (.git is a folder, or a file in a worktree), "unknown" in an exported tree
# (a Debian source package); MDEXPORT_COMMIT=... (command line or
# environment) wins: make deb passes it to the package's build
ifndef MDEXPORT_COMMIT
MDEXPORT_COMMIT := $(shell [ -e .git ] && git describe --always --dirty 2>/dev/null || echo unknown)
endif

WARN := -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wconversion -Wpointer-arith -Wstrict-prototypes
# make check builds with WERROR=-Werror: a warning fails CI, not a user's build
WERROR ?=
CFLAGS ?= -O2 -g
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags gmime-3.0 libpff libbfio libcrypto libxml-2.0 2>/dev/null)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs gmime-3.0 libpff libbfio libcrypto 2>/dev/null) -lz -pthread
# issue 14: the MDaemon groupware reader parses its XML with libxml2
DEPS_LIBS += $(shell $(PKG_CONFIG) --libs libxml-2.0 2>/dev/null)
# issue 14: every symbol bound at start (no lazy binding): the dynamic
# linker's lazy-binding trampoline saves the vector registers on the stack,
# and they may hold what memcpy/memchr last moved (a userlist.dat line and
# its password); nothing of a password may outlive the parse (accounts)
DEPS_LIBS += -Wl,-z,now
# includes name their folder: "core/sbuf.h", "pst/ltp.h" (formats/), "converter/verify.h" (tests)
INCLUDES := -I. -Iformats
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) $(INCLUDES) \
	-DMDEXPORT_VERSION='"$(VERSION)"' $(DEPS_CFLAGS) $(CFLAGS)
# issue 16: the preprocessor flags a package build passes (dpkg-buildflags: _FORTIFY_SOURCE)
ALL_CFLAGS += $(CPPFLAGS)

BUILD := build
# formats/core: the base every format uses (includes nothing above it)
CORE_SRC := formats/core/xalloc.c formats/core/sbuf.c formats/core/diag.c formats/core/sysio.c \
	formats/core/outfile.c formats/core/outdir.c formats/core/merge.c formats/core/writer.c \
	formats/core/flags.c formats/core/message.c formats/core/msghash.c \
	formats/core/wintext.c formats/core/linefilter.c formats/core/mutf7.c formats/core/srcdir.c formats/core/onebox.c formats/core/filemsg.c \
	formats/core/check.c formats/core/recsort.c formats/core/settle.c
# issue 14: groupware items (gwitem), their zones (tzone) and text (gwtext)
CORE_SRC += formats/core/gwitem.c formats/core/tzone.c
CORE_SRC += formats/core/gwtext.c formats/core/gwtext_line.c formats/core/gwtext_card.c
# issue 15: header text to Unicode (the charset rule)
CORE_SRC += formats/core/hdrtext.c
# one folder per format, and the registry that names them
FORMAT_SRC := formats/formats.c \
	formats/mdaemon/mrk.c formats/mdaemon/userlist.c \
	formats/mdaemon/mdaemon_fs.c formats/mdaemon/mdaemon_accounts.c formats/mdaemon/mdaemon.c \
	formats/mdaemon/settle.c \
	formats/mbox/mbox.c formats/mbox/read.c formats/maildir/maildir.c formats/maildir/read.c formats/eml/eml.c formats/eml/read.c formats/null/null.c \
	formats/mdaemon/driver.c formats/maildir/driver.c formats/mbox/driver.c formats/eml/driver.c formats/pst/driver.c \
	formats/pst/ndb.c formats/pst/spill.c formats/pst/btree.c formats/pst/ndbw.c formats/pst/parts.c \
	formats/pst/ltp.c formats/pst/tc.c formats/pst/namemap.c formats/pst/store.c \
	formats/pst/message.c formats/pst/attach.c formats/pst/pst.c \
	formats/pst/read.c formats/pst/read_mime.c \
	formats/pst/read_props.c formats/pst/read_io.c \
	formats/mbox/check.c formats/mbox/check_align.c formats/maildir/check.c formats/eml/check.c \
	formats/pst/check.c
# issue 14: the MDaemon groupware reader
FORMAT_SRC += formats/mdaemon/gw_read.c formats/mdaemon/gw_xml.c formats/mdaemon/gw_split.c
# issue 14: groupware items as Outlook items
FORMAT_SRC += formats/pst/gwpst.c formats/pst/gwrecur.c
FORMAT_SRC += formats/pst/msgclass.c
# issue 16 (i16-maildir): the Maildir writer's dovecot-uidlist
FORMAT_SRC += formats/maildir/uidlist.c
# issue 16: the --map suggested for accounts whose MailDir is not found
FORMAT_SRC += formats/mdaemon/mdaemon_hint.c
# verify's manifest parser, in LIB_OBJ for tests/test-verify.c (the formats'
# read-backs, formats/*/check.c, are in FORMAT_SRC)
VERIFY_SRC := converter/verify_manifest.c
# converter pieces the unit tests link too
CONV_LIB_SRC := converter/places.c converter/json.c converter/progress.c converter/filter.c
# issue 13: the Microsoft 365 mapping and the Exchange script (--m365-mapping)
CONV_LIB_SRC += converter/importmap.c
# issue 16: "did you mean" for usage errors
CONV_LIB_SRC += converter/suggest.c
APP_SRC := converter/select.c converter/live.c converter/pool.c converter/boxpipe.c converter/prescan.c converter/pipeline.c converter/rounds.c converter/manifest.c converter/report.c \
	converter/list.c converter/main.c converter/verify.c \
	converter/verify_out.c converter/verify_report.c converter/report_cmd.c
# issue 14: verify of groupware items
APP_SRC += converter/verify_item.c
# issue 14: mdexport accounts
APP_SRC += converter/accounts.c
# issue 16: clean interrupts
APP_SRC += converter/interrupt.c
# issue 16: --version (the commit, the libraries' versions)
APP_SRC += converter/version.c
CORE_SRC += formats/core/libversions.c
# issue 16: re-runs that cannot destroy an earlier export
APP_SRC += converter/rerun.c
APP_SRC += converter/verify_dir.c
# issue 16: sealed exports (seal DIR, export --seal, verify DIR)
APP_SRC += converter/seal_walk.c
APP_SRC += converter/seal.c
APP_SRC += converter/verify_sealed.c
# issue 16 (i16-list): accounts whose mail folder is not found, said once
APP_SRC += converter/notfound.c
APP_SRC += converter/csv.c
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) $(FORMAT_SRC) $(VERIFY_SRC) $(CONV_LIB_SRC))
APP_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(APP_SRC))

TOOLS := tools/pstcheck

UNIT_TESTS := test-filter test-recsort test-settle test-progress test-sysio test-json test-outdir test-body test-mrk test-userlist test-names test-linefilter test-maildir-read test-eml-read test-mbox-read test-verify test-pst-ndb test-pst-spill test-pst-btree test-pst-ndbw test-pst-ltp test-pst-table test-pst-store test-pst-message test-pst-prepare
UNIT_TESTS += test-importmap
UNIT_TESTS += test-suggest
UNIT_TESTS += test-tzone test-gwtext
# a test driver (not itself a test: run-tests runs test-*; t8610 runs it)
UNIT_TESTS += gwtext-dump
# issue 14: the MDaemon groupware reader
UNIT_TESTS += test-gw-read
UNIT_TESTS += test-pst-gw
UNIT_TESTS += test-hdrtext
UNIT_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))

# the fuzz targets (tests/fuzz/fuzz-<name>.c): each is also linked with
# tests/fuzz/replay.c into a unit test that replays its seeds and every
# committed crash input, so make check needs no clang
FUZZ_TARGETS := mrk userlist foldername pst-message mbox-read
FUZZ_REPLAYS := $(addprefix test-fuzz-,$(FUZZ_TARGETS))
UNIT_TESTS += $(FUZZ_REPLAYS)
UNIT_BINS += $(addprefix $(BUILD)/tests/,$(FUZZ_REPLAYS))

.PHONY: all deps test-deps demo check check-sanitize fault lint unit e2e bench fuzz fuzz-build install clean
# object files are kept, not deleted as intermediates of the test-binary rule
.SECONDARY: $(LIB_OBJ)
all: mdexport $(TOOLS)

mdexport: $(APP_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(DEPS_LIBS) $(LDFLAGS)

# the same program in another build directory (the sanitizer and fault builds)
$(BUILD)/mdexport: $(APP_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(DEPS_LIBS) $(LDFLAGS)

PSTCHECK_SRC := tools/pstcheck.c tools/pstcheck_ltp.c tools/pstcheck_msg.c
tools/pstcheck: $(PSTCHECK_SRC) tools/pstcheck.h
	$(CC) $(ALL_CFLAGS) -o $@ $(PSTCHECK_SRC) -lz $(LDFLAGS)

$(BUILD)/%.o: %.c $(wildcard converter/*.h formats/*.h formats/*/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# a fuzz target's replay test (gcc, the normal build's flags)
$(BUILD)/tests/test-fuzz-%: tests/fuzz/replay.c tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -DFUZZ_TARGET='"$*"' -o $@ \
		tests/fuzz/replay.c tests/fuzz/fuzz-$*.c $(LIB_OBJ) $(DEPS_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ) tests/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB_OBJ) $(DEPS_LIBS)

# what building needs (make demo); test-deps adds the test tools (make check, make fuzz)
deps:
	@tools/install-deps

test-deps:
	@tools/install-deps --test

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo

unit: $(UNIT_BINS)

check: test-deps
	@$(MAKE) --no-print-directory WERROR=-Werror all unit fault
	@$(MAKE) --no-print-directory lint
	@tools/run-tests
	@$(MAKE) --no-print-directory WERROR=-Werror check-sanitize

# cppcheck's warnings (not its style opinions) and clang-tidy's analyser and
# bug patterns (.clang-tidy) on every C file we ship
lint:
	@cppcheck -q --std=c11 --enable=warning,portability --inline-suppr --error-exitcode=1 \
		$(INCLUDES) converter formats tests/fuzz $(PSTCHECK_SRC)
	@echo "lint: cppcheck finds nothing"
	@tools/layering
	@tools/tidy

# the program with the output fault hook (formats/core/sysio.h): the normal
# build's flags plus -DMDX_FAULT_INJECTION; tools/run-tests hands it to
# tests/e2e/t7000 and t7100 as MDEXPORT_FAULTY
FAULT_BUILD := build-fault
fault:
	@$(MAKE) --no-print-directory BUILD=$(FAULT_BUILD) \
		CFLAGS="$(CFLAGS) -DMDX_FAULT_INJECTION" $(FAULT_BUILD)/mdexport

# the whole suite again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (tools/run-tests --sanitized)
SAN_BUILD := build-san
# with the fault hook, so that the error paths t7000 drives are checked too
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -DMDX_FAULT_INJECTION
check-sanitize: all
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CFLAGS="$(SAN_CFLAGS)" WERROR="$(WERROR)" \
		$(SAN_BUILD)/mdexport $(addprefix $(SAN_BUILD)/tests/,$(UNIT_TESTS))
	@tools/run-tests --sanitized $(SAN_BUILD)

bench: all
	@tools/bench

# libFuzzer targets (clang): the project's objects built again in
# build-fuzz/ with coverage instrumentation and ASan+UBSan; tools/fuzz runs them
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
		$(addprefix $(FUZZ_BUILD)/fuzz-,$(FUZZ_TARGETS))

$(BUILD)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(FUZZ_SAN) -o $@ \
		tests/fuzz/fuzz-$*.c $(LIB_OBJ) $(DEPS_LIBS)

fuzz: test-deps
	@tools/fuzz

# only converter/version.o sees the commit, and it is rebuilt when the
# commit changes: the stamp is rewritten only then
$(BUILD)/commit.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(MDEXPORT_COMMIT)' | cmp -s - $@ || echo '$(MDEXPORT_COMMIT)' > $@
$(BUILD)/converter/version.o: $(BUILD)/commit.stamp
$(BUILD)/converter/version.o: ALL_CFLAGS += -DMDEXPORT_COMMIT='"$(MDEXPORT_COMMIT)"'
.PHONY: FORCE
FORCE:

# issue 16: make install / make uninstall (PREFIX, DESTDIR).  The binary is
# stripped (INSTALL_STRIP= keeps its symbols: debian/rules leaves that to
# dh_strip); the man page and the bash completion go where man and
# bash-completion look, the README (which the man page refers to) to DOCDIR.
# uninstall removes these four files and nothing else (not the folders,
# which other programs share).
STRIP ?= strip
INSTALL_STRIP ?= -s --strip-program=$(STRIP)
BINDIR ?= $(PREFIX)/bin
MAN1DIR ?= $(PREFIX)/share/man/man1
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# the README the man page refers to
DOCDIR ?= $(PREFIX)/share/doc/mdexport
INSTALLED := $(BINDIR)/mdexport $(MAN1DIR)/mdexport.1 $(BASHCOMPDIR)/mdexport $(DOCDIR)/README.md
.PHONY: uninstall deb
install: mdexport
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(INSTALL_STRIP) mdexport $(DESTDIR)$(BINDIR)/mdexport
	install -m 0644 docs/mdexport.1 $(DESTDIR)$(MAN1DIR)/mdexport.1
	install -m 0644 tools/mdexport.bash-completion $(DESTDIR)$(BASHCOMPDIR)/mdexport
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# issue 16: the Debian package (debian/), built from a copy of the tree
# (as from a source package: no .git, no build/) into dist/
deb:
	@MDEXPORT_COMMIT='$(MDEXPORT_COMMIT)' tools/mkdeb

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FAULT_BUILD) $(FUZZ_BUILD) mdexport demo-out $(TOOLS) dist
