# racelab — build every scenario program in two flavours:
#   build/plain/<scenario>   gcc -O2
#   build/tsan/<scenario>    clang -fsanitize=thread -O1 -g
# A scenario is one file, scenarios/<name>.c, found by wildcard.

SCENARIOS := $(patsubst scenarios/%.c,%,$(wildcard scenarios/*.c))
# Layout (docs/design.md "Layout"): harness/common is shared by everything below;
# injectors/ build on common only; harness/runtime is what every scenario
# program links; harness/driver is the racelab program.
COMMON_SRC := $(wildcard harness/common/*.c)
RUNTIME_SRC := $(COMMON_SRC) $(wildcard harness/runtime/*.c) $(wildcard injectors/*/*.c)
HEADERS := $(wildcard harness/common/*.h harness/runtime/*.h injectors/*/*.h)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
COMMON := $(WARN) -D_GNU_SOURCE -DFIU_ENABLE -Iharness/runtime
LIBS := -lfiu -lpthread -lm

PLAIN_CC := gcc
PLAIN_CFLAGS := $(COMMON) -O2 -g
TSAN_CC := clang
TSAN_CFLAGS := $(COMMON) -fsanitize=thread -O1 -g -fno-omit-frame-pointer

PYTEST := /usr/bin/python3 -m pytest

PLAIN_OBJ := $(patsubst %.c,build/plain/obj/%.o,$(RUNTIME_SRC))
TSAN_OBJ := $(patsubst %.c,build/tsan/obj/%.o,$(RUNTIME_SRC))
COMMON_OBJ := $(patsubst %.c,build/plain/obj/%.o,$(COMMON_SRC))

.PHONY: all plain tsan driver setup test run bench lint format clean fuzz
all: plain tsan driver
plain: $(addprefix build/plain/,$(SCENARIOS))
tsan: $(addprefix build/tsan/,$(SCENARIOS))

build/plain/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(PLAIN_CFLAGS) -c $< -o $@
build/tsan/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(TSAN_CFLAGS) -c $< -o $@

# The version (git describe) lives in one generated header, rewritten only
# when it changes, so a new commit rebuilds version.o alone.
build/version.h: FORCE
	@mkdir -p build
	@echo '#define RL_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
build/plain/obj/harness/runtime/version.o build/tsan/obj/harness/runtime/version.o: build/version.h
.PHONY: FORCE
FORCE:

build/plain/libracelab.a: $(PLAIN_OBJ)
	rm -f $@ && ar rcs $@ $^
build/tsan/libracelab.a: $(TSAN_OBJ)
	rm -f $@ && ar rcs $@ $^
# What the driver and the test fixtures link of the shared pieces.
build/common/libracelab-common.a: $(COMMON_OBJ)
	@mkdir -p build/common
	rm -f $@ && ar rcs $@ $^

build/plain/%: scenarios/%.c build/plain/libracelab.a $(HEADERS)
	$(PLAIN_CC) $(PLAIN_CFLAGS) $< build/plain/libracelab.a $(LIBS) -o $@
build/tsan/%: scenarios/%.c build/tsan/libracelab.a $(HEADERS)
	$(TSAN_CC) $(TSAN_CFLAGS) $< build/tsan/libracelab.a $(LIBS) -o $@

# The driver (`racelab`) and the misbehaving fixture programs its tests use.
DRIVER_SRC := $(wildcard harness/driver/*.c harness/driver/*/*.c)
DRIVER_HDR := $(wildcard harness/driver/*/*.h)
DRIVER_LIBS := -ljson-c -lm
# Every function the driver shares is declared in its folder's header, and
# the file that defines it includes that header.
DRIVER_WARN := -Wmissing-prototypes
FIXTURES := $(patsubst tests/fixtures/%.c,build/fixtures/%,$(wildcard tests/fixtures/*.c))
driver: $(if $(DRIVER_SRC),build/racelab) $(FIXTURES)
build/racelab: $(DRIVER_SRC) $(DRIVER_HDR) build/version.h build/common/libracelab-common.a $(HEADERS)
	$(PLAIN_CC) $(PLAIN_CFLAGS) $(DRIVER_WARN) -include build/version.h -Iharness/driver $(DRIVER_SRC) build/common/libracelab-common.a $(DRIVER_LIBS) -o $@
build/fixtures/%: tests/fixtures/%.c $(wildcard tests/fixtures/*.h) build/common/libracelab-common.a $(HEADERS)
	@mkdir -p build/fixtures
	$(PLAIN_CC) $(PLAIN_CFLAGS) $< build/common/libracelab-common.a -lpthread -lm -o $@

# AddressSanitizer and UBSan builds of the runtime, the scenario programs and
# the driver, in build/asan/ (build/asan/racelab finds build/asan/plain/*; no
# TSan twins: the sanitizers do not mix). The driver is LeakSanitizer-clean:
# tests/test_asan.py runs a subset of its commands with detect_leaks=1.
ASAN_CC := gcc
ASAN_CFLAGS := $(COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(RUNTIME_SRC))
ASAN_COMMON_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(COMMON_SRC))
.PHONY: asan
asan: $(addprefix build/asan/plain/,$(SCENARIOS)) build/asan/racelab
build/asan/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(ASAN_CFLAGS) -c $< -o $@
build/asan/obj/harness/runtime/version.o: build/version.h
build/asan/libracelab.a: $(ASAN_OBJ)
	rm -f $@ && ar rcs $@ $^
build/asan/plain/%: scenarios/%.c build/asan/libracelab.a $(HEADERS)
	@mkdir -p build/asan/plain
	$(ASAN_CC) $(ASAN_CFLAGS) $< build/asan/libracelab.a $(LIBS) -o $@
build/asan/racelab: $(DRIVER_SRC) $(DRIVER_HDR) build/version.h $(ASAN_COMMON_OBJ) $(HEADERS)
	$(ASAN_CC) $(ASAN_CFLAGS) $(DRIVER_WARN) -include build/version.h -Iharness/driver $(DRIVER_SRC) $(ASAN_COMMON_OBJ) $(DRIVER_LIBS) -o $@

# libFuzzer targets (tests/fuzz/fuzz_NAME.c), built with ASan and UBSan: the
# runtime's parsers (numbers, inject specs, params, POSIX fault specs,
# strategies, schedules) link one archive of the runtime's sources built once
# for fuzzing; the driver's record reader (fuzz_records) links the driver's
# sources but main.c. `make fuzz` runs each for FUZZ_SECONDS from its
# committed seed corpus (scripts/fuzz: copied, new inputs stay under build/)
# and prints its executions and findings; the test suite runs each briefly
# (tests/test_fuzz.py).
FUZZ_SECONDS ?= 180
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(WARN) -D_GNU_SOURCE -DFIU_ENABLE -Iharness/runtime -g -O1 $(FUZZ_SAN)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_DRIVER_NAMES := records
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(RUNTIME_SRC))
FUZZ_DRIVER_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out harness/driver/main.c,$(DRIVER_SRC)))
build/fuzz/obj/%.o: %.c $(HEADERS) $(DRIVER_HDR) build/version.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -include build/version.h -Iharness/driver -c $< -o $@
build/fuzz/libracelab-fuzz.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libracelab-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< build/fuzz/libracelab-fuzz.a -lfiu -lpthread -lm -o $@
$(addprefix build/fuzz/fuzz_,$(FUZZ_DRIVER_NAMES)): build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DRIVER_OBJ) build/fuzz/libracelab-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iharness/driver $< $(FUZZ_DRIVER_OBJ) build/fuzz/libracelab-fuzz.a -ljson-c -lm -o $@
.PHONY: fuzz-build
fuzz-build: $(FUZZ_TARGETS)
fuzz: setup fuzz-build
	scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Installs what is missing (apt-get); returns at once when all is there.
setup:
	@scripts/setup

# Two pytest workers, a test file each at a time (--dist loadfile: a file's
# tests share fixtures and never race each other): the suite alone keeps one
# core busy on average (user+sys 12 min in 12.8 min wall), so two halve it.
test: setup
	@$(MAKE) --no-print-directory all
	$(PYTEST) -q -n 2 --dist loadfile tests

run: setup
	@$(MAKE) --no-print-directory all
	scripts/run-default

bench: setup
	@$(MAKE) --no-print-directory all
	scripts/bench

# clang-tidy and cppcheck over every C file; clang-format --dry-run as well.
LINT_SRC := $(RUNTIME_SRC) $(wildcard scenarios/*.c) $(DRIVER_SRC) $(wildcard tests/fixtures/*.c) \
	$(wildcard tests/fuzz/*.c) $(wildcard examples/*/*.c tests/install_programs/*.c)
# One clang-tidy call per file (given many, clang-tidy 14 mis-parses some),
# each a target of its own so that `make -jN lint` runs them at once: a file
# is clean when clang-tidy prints nothing. Its stamp, build/lint/FILE.tidy,
# is remade when the file, any header or this Makefile changes.
LINT_HEADERS = $(shell find harness injectors tests examples -name '*.h')
lint: build/version.h
build/lint/%.tidy: %.c $(LINT_HEADERS) Makefile .clang-tidy | build/version.h
	@mkdir -p $(dir $@)
	@clang-tidy --quiet $< -- $(COMMON) -Iharness/driver 2>/dev/null > $@.out || true
	@if [ -s $@.out ]; then cat $@.out; rm -f $@.out; exit 1; fi
	@rm -f $@.out && touch $@
lint: lint-cppcheck
.PHONY: lint-cppcheck
lint-cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability -j2 \
	  --inline-suppr --std=c11 -D_GNU_SOURCE -DFIU_ENABLE -Iharness/runtime -Iharness/driver \
	  harness injectors scenarios tests/fixtures tests/fuzz examples tests/install_programs
	clang-format --dry-run -Werror $(LINT_SRC) $(HEADERS) $(DRIVER_HDR)

format:
	clang-format -i $(RUNTIME_SRC) $(HEADERS) $(wildcard scenarios/*.c)

clean:
	rm -rf build

# ---- exec mode (docs/racelab-exec.1.md) ------------------------------------
# build/exec/libracelab-exec.so, preloaded into unmodified programs: its own
# sources (injectors/exec/preload, one level below the runtime's
# injectors/*/*.c wildcard: its interposers must never enter a scenario
# program's archive) and the spec parser, compiled -fPIC with everything but
# the interposers hidden. The driver links the spec and POSIX-fault parsers.
EXEC_LIB_SRC := $(wildcard injectors/exec/preload/*.c) injectors/points/inject_spec.c injectors/points/spec_words.c harness/common/parse_number.c
# sched mode: the scheduler's mechanism and strategies (injectors/sched), the
# same sources as the scenarios', built into the library with sched_real.h
# included first (its pthread_join is the real one, not the interposer)
EXEC_SCHED_SRC := $(wildcard injectors/sched/*.c) harness/common/gate.c
EXEC_LIB_OBJ := $(patsubst %.c,build/exec/obj/%.o,$(EXEC_LIB_SRC)) \
                $(patsubst %.c,build/exec/sched/%.o,$(EXEC_SCHED_SRC))
EXEC_HEADERS := $(wildcard injectors/exec/preload/*.h)
EXEC_PROG_SRC := $(wildcard tests/exec_programs/*.c)
EXEC_PROGS := $(patsubst tests/exec_programs/%.c,build/exec_programs/plain/%,$(EXEC_PROG_SRC)) \
              $(patsubst tests/exec_programs/%.c,build/exec_programs/tsan/%,$(EXEC_PROG_SRC))
DRIVER_PARSERS := build/plain/obj/injectors/points/inject_spec.o build/plain/obj/injectors/points/spec_words.o build/plain/obj/injectors/points/posix_faults.o build/plain/obj/injectors/points/posix_points.o \
	$(patsubst %.c,build/plain/obj/%.o,injectors/sched/schedule_text.c injectors/sched/sched_shrink.c injectors/sched/fuzz_corpus.c $(wildcard injectors/sched/strategy_*.c))
.PHONY: exec lint-exec
all: exec
exec: build/exec/libracelab-exec.so $(EXEC_PROGS)
build/exec/obj/%.o: %.c $(HEADERS) $(EXEC_HEADERS)
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(PLAIN_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@
build/exec/sched/%.o: %.c $(HEADERS) $(EXEC_HEADERS)
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(PLAIN_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
	  -include injectors/exec/preload/sched_real.h -c $< -o $@
build/exec/libracelab-exec.so: $(EXEC_LIB_OBJ)
	$(PLAIN_CC) -shared -Wl,-z,defs $^ -ldl -lpthread -o $@
build/exec_programs/plain/%: tests/exec_programs/%.c
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(WARN) -D_GNU_SOURCE -O2 -g $< -lpthread -o $@
build/exec_programs/tsan/%: tests/exec_programs/%.c
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(WARN) -D_GNU_SOURCE -fsanitize=thread -O1 -g -fno-omit-frame-pointer $< -lpthread -o $@
# sanitizer builds (tests/test_exec_sanitizers.py, docs/sanitizers.md): gcc's
# and clang's ASan builds of the programs that test them, and racelab cc's
# build of the same use-after-free
EXEC_SAN_NAMES := uaf_bug uaf_fixed leak_bug leak_fixed
EXEC_SAN_PROGS := $(addprefix build/exec_programs/asan-gcc/,$(EXEC_SAN_NAMES)) \
                  $(addprefix build/exec_programs/asan-clang/,$(EXEC_SAN_NAMES)) \
                  build/exec_programs/cc/uaf_bug build/exec_programs/cc/uaf_fixed
exec: $(EXEC_SAN_PROGS)
build/exec_programs/asan-gcc/%: tests/exec_programs/%.c
	@mkdir -p $(dir $@)
	gcc $(WARN) -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fsanitize=address $< -lpthread -o $@
build/exec_programs/asan-clang/%: tests/exec_programs/%.c
	@mkdir -p $(dir $@)
	clang $(WARN) -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fsanitize=address $< -lpthread -o $@
build/exec_programs/cc/%: tests/exec_programs/%.c build/racelab build/cc/libracelab-cc.a
	@mkdir -p $(dir $@)
	build/racelab cc $(WARN) -D_GNU_SOURCE -O1 -g $< -o $@
build/racelab: $(DRIVER_PARSERS) $(EXEC_HEADERS)
DRIVER_LIBS += $(DRIVER_PARSERS) build/common/libracelab-common.a
LINT_SRC += $(wildcard injectors/exec/preload/*.c) $(EXEC_PROG_SRC)
lint: lint-exec
lint-exec:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --std=c11 -D_GNU_SOURCE tests/exec_programs
	clang-format --dry-run -Werror $(EXEC_HEADERS)

# ---- racelab cc (docs/racelab-cc.1.md) -------------------------------------
# build/cc/libracelab-cc.a: ThreadSanitizer's entry points made points for
# exec mode (injectors/cc/runtime, one level below the runtime's wildcard:
# its __tsan_* must never enter a scenario program). -fPIC: it links into
# PIE executables, and its weak reference to rl_exec_access must stay a
# dynamic one. The cc test programs are built by `racelab cc` itself, and
# plainly (gcc -O2) as the benchmark's baseline.
CC_RT_SRC := $(wildcard injectors/cc/runtime/*.c)
CC_RT_OBJ := $(patsubst %.c,build/cc/obj/%.o,$(CC_RT_SRC))
CC_RT_HEADERS := $(wildcard injectors/cc/runtime/*.h) injectors/exec/preload/exec_access.h
CC_PROG_SRC := $(wildcard tests/cc_programs/*.c)
CC_PROGS := $(patsubst tests/cc_programs/%.c,build/cc_programs/cc/%,$(CC_PROG_SRC)) \
            $(patsubst tests/cc_programs/%.c,build/cc_programs/plain/%,$(CC_PROG_SRC))
.PHONY: cc lint-cc
all: cc
cc: build/cc/libracelab-cc.a $(CC_PROGS)
build/cc/obj/%.o: %.c $(CC_RT_HEADERS)
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(WARN) -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -c $< -o $@
build/cc/libracelab-cc.a: $(CC_RT_OBJ)
	rm -f $@ && ar rcs $@ $^
build/cc_programs/cc/%: tests/cc_programs/%.c build/racelab build/cc/libracelab-cc.a
	@mkdir -p $(dir $@)
	build/racelab cc $(WARN) -D_GNU_SOURCE -O1 -g $< -o $@
build/cc_programs/plain/%: tests/cc_programs/%.c
	@mkdir -p $(dir $@)
	$(PLAIN_CC) $(WARN) -D_GNU_SOURCE -O2 -g $< -lpthread -o $@
LINT_SRC += $(CC_RT_SRC) $(CC_PROG_SRC)
lint: lint-cc
lint-cc:
	clang-format --dry-run -Werror $(wildcard injectors/cc/runtime/*.h)

# ---- installing (README "Installing") ---------------------------------------
# make install PREFIX=/usr/local DESTDIR=: the driver, its home (PKGLIBDIR:
# exec's preload library, cc's runtime and the bundled scenario programs;
# harness/driver/core/paths.c finds it as ../lib/racelab from bin/racelab), the
# scenario runtime as two static archives with their pkg-config files, the
# header, the man pages (made from docs/*.[15].md by pandoc) and the docs.
# `make uninstall` removes the same list.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
LIBDIR := $(PREFIX)/lib
PKGLIBDIR := $(LIBDIR)/racelab
INCLUDEDIR := $(PREFIX)/include
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/racelab
PKGCONFIGDIR := $(LIBDIR)/pkgconfig
MAN_SRC := $(wildcard docs/*.1.md docs/*.5.md)
MAN_PAGES := $(patsubst docs/%.md,build/man/%,$(MAN_SRC))
# pages that are another page's: `man racelab-merge` is plan's, and so on
MAN_LINKS := racelab-merge.1:racelab-plan.1 racelab-list.1:racelab-points.1 \
	racelab-describe.1:racelab-points.1 racelab-c++.1:racelab-cc.1
INSTALL := install
.PHONY: install uninstall man docs-help
man: $(MAN_PAGES)
# The page's first heading is the title (shifted out); its Markdown links to
# other pages stay readable text in the man page.
build/man/%: docs/%.md
	@mkdir -p build/man
	pandoc --standalone --from markdown --to man --shift-heading-level-by=-1 \
	  -M section=$(subst .,,$(suffix $*)) -M header="racelab manual" -M footer="racelab $(VERSION)" \
	  -M date="$(shell git log -1 --format=%cs 2>/dev/null)" \
	  -V title=$(basename $*) $< -o $@
# the Options sections of docs/racelab*.md from `racelab help` (scripts/docs-help)
docs-help: build/racelab
	scripts/docs-help
build/pkgconfig/%.pc: harness/runtime/%.pc.in FORCE
	@mkdir -p build/pkgconfig
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
install: plain tsan build/racelab build/exec/libracelab-exec.so build/cc/libracelab-cc.a \
	$(MAN_PAGES) build/pkgconfig/racelab.pc build/pkgconfig/racelab-tsan.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGLIBDIR)/plain $(DESTDIR)$(PKGLIBDIR)/tsan \
	  $(DESTDIR)$(PKGLIBDIR)/exec $(DESTDIR)$(PKGLIBDIR)/cc $(DESTDIR)$(INCLUDEDIR)/racelab \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/examples/myproject
	$(INSTALL) -m 755 build/racelab $(DESTDIR)$(BINDIR)/racelab
	$(INSTALL) -m 755 $(addprefix build/plain/,$(SCENARIOS)) $(DESTDIR)$(PKGLIBDIR)/plain
	$(INSTALL) -m 755 $(addprefix build/tsan/,$(SCENARIOS)) $(DESTDIR)$(PKGLIBDIR)/tsan
	$(INSTALL) -m 755 build/exec/libracelab-exec.so $(DESTDIR)$(PKGLIBDIR)/exec
	$(INSTALL) -m 644 build/cc/libracelab-cc.a $(DESTDIR)$(PKGLIBDIR)/cc
	$(INSTALL) -m 644 build/plain/libracelab.a $(DESTDIR)$(LIBDIR)/libracelab.a
	$(INSTALL) -m 644 build/tsan/libracelab.a $(DESTDIR)$(LIBDIR)/libracelab-tsan.a
	$(INSTALL) -m 644 build/pkgconfig/racelab.pc build/pkgconfig/racelab-tsan.pc $(DESTDIR)$(PKGCONFIGDIR)
	# racelab.h includes ../common/expectation.h in the tree; installed, the two sit together
	sed 's|"../common/expectation.h"|"expectation.h"|' harness/runtime/racelab.h \
	  > $(DESTDIR)$(INCLUDEDIR)/racelab/racelab.h
	$(INSTALL) -m 644 harness/common/expectation.h $(DESTDIR)$(INCLUDEDIR)/racelab
	$(INSTALL) -m 644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5
	for l in $(MAN_LINKS); do ln -sf $${l#*:} $(DESTDIR)$(MANDIR)/man1/$${l%%:*}; done
	$(INSTALL) -m 644 README.md CHANGELOG.md $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/docs
	$(INSTALL) -m 644 examples/myproject/Makefile examples/myproject/myrace.c \
	  $(DESTDIR)$(DOCDIR)/examples/myproject
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/racelab $(DESTDIR)$(LIBDIR)/libracelab.a \
	  $(DESTDIR)$(LIBDIR)/libracelab-tsan.a $(DESTDIR)$(PKGCONFIGDIR)/racelab.pc \
	  $(DESTDIR)$(PKGCONFIGDIR)/racelab-tsan.pc \
	  $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MAN_PAGES))) $(foreach l,$(MAN_LINKS),$(firstword $(subst :, ,$(l))))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(filter %.5,$(MAN_PAGES))))
	rm -rf $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(INCLUDEDIR)/racelab $(DESTDIR)$(DOCDIR)

# Every C file linted, the list complete only here (sections above add to it).
lint: $(patsubst %.c,build/lint/%.tidy,$(LINT_SRC))
