# kagi — build, test, install, demo, bench.
# `make` builds everything into build/; `make check` runs every test.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CPPFLAGS += -D_GNU_SOURCE -Isrc -DKAGI_PREFIX='"$(PREFIX)"'
CFLAGS   ?=
ALL_CFLAGS = -std=c17 $(WARN) $(OPT) $(CFLAGS) -MMD -MP
LDLIBS   := -lcrypto -lz -lpam -lcrypt -lutil -lseccomp
# ML-KEM-768: auto uses OpenSSL's when it has one (3.5 or later), else
# kagi's own src/core/mlkem768.c; MLKEM=own or MLKEM=openssl forces one.
MLKEM    ?= auto
ifeq ($(MLKEM),own)
CPPFLAGS += -DKAGI_MLKEM_OWN
else ifeq ($(MLKEM),openssl)
CPPFLAGS += -DKAGI_MLKEM_OPENSSL
endif

LIB_SRC   := $(sort $(wildcard src/core/*.c src/sys/*.c src/config/*.c src/conn/*.c src/scp/*.c src/sftp/*.c src/explain/*.c src/keygen/*.c src/agent/*.c))
LIB_OBJ   := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
PROG_SRC  := $(sort $(wildcard src/programs/*.c))
PROGS     := $(patsubst src/programs/%.c,$(BUILD)/bin/%,$(PROG_SRC))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNITS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# Message catalogs (gettext) for the --explain story.
LANGS     := ja
LOCALE_MO := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/kagi.mo,$(LANGS))

BIN_PROGS  := kssh kscp ksftp kssh-keygen kssh-agent kssh-add
SBIN_PROGS := ksshd ksftp-server

.PHONY: all deps check unit test-bins install demo bench clean fuzz asan clang-build keydump po
all: $(PROGS) $(LOCALE_MO)

$(BUILD)/locale/%/LC_MESSAGES/kagi.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt -c -o $@ $<

$(BUILD)/libkagi.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/programs/%.o: src/programs/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bin/%: $(BUILD)/obj/programs/%.o $(BUILD)/libkagi.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libkagi.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/tr_pair.h $(BUILD)/libkagi.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(BUILD)/libkagi.a $(LDLIBS)

test-bins: $(UNITS)

# Installs the Debian packages the build and tests need (when missing).
deps:
	@sh tools/install-deps.sh

# Refreshes the message template and merges it into each catalog.
po:
	xgettext --from-code=UTF-8 -k_ -kN_ -c"TRANSLATORS:" --no-wrap -o po/kagi.pot src/explain/*.c
	@for l in $(LANGS); do msgmerge -q --update --no-wrap --backup=none po/$$l.po po/kagi.pot; done

# A test-only kssh that writes its derived session keys to
# $$KAGI_TEST_KEYDUMP_FILE, so the --explain tests can prove none is shown.
keydump:
	$(MAKE) BUILD=build-keydump CFLAGS=-DKAGI_TEST_KEYDUMP build-keydump/bin/kssh build-keydump/bin/kscp \
		build-keydump/locale/ja/LC_MESSAGES/kagi.mo

# Address+UB sanitizer build of the whole suite.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all test-bins

# The same code must be -Werror clean with clang too.
clang-build:
	$(MAKE) CC=clang BUILD=build-clang all test-bins

# libFuzzer harnesses (clang): the library is built once with coverage
# instrumentation, then each harness links against it.
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz OPT="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" build-fuzz/libkagi.a
	@mkdir -p build-fuzz/bin
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(CPPFLAGS) -std=c17 $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer \
	    -o build-fuzz/bin/$$n $$f build-fuzz/libkagi.a $(LDLIBS) || exit 1; done

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) all test-bins
	$(MAKE) -j$(JOBS) asan
	$(MAKE) -j$(JOBS) clang-build
	$(MAKE) -j$(JOBS) fuzz
	$(MAKE) -j$(JOBS) keydump
	sh tests/run-all.sh

unit: all test-bins
	sh tests/run-all.sh unit

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	@for p in $(BIN_PROGS); do [ -x $(BUILD)/bin/$$p ] && install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/bin/$$p || true; done
	@for p in $(SBIN_PROGS); do [ -x $(BUILD)/bin/$$p ] && install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(PREFIX)/sbin/$$p || true; done
	@for l in $(LANGS); do mkdir -p $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES && \
	  install -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/kagi.mo $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/kagi.mo; done
	@# ksshd's unprivileged pre-authentication children run as "sshd".
	@if getent passwd sshd >/dev/null; then :; \
	elif [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  echo "creating the privilege separation user sshd"; \
	  useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd || exit 1; \
	else echo "note: ksshd needs the privilege separation user sshd; as root run:" \
	  "useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd"; fi

demo: deps all
	sh tools/demo.sh

bench: deps all
	sh tools/bench.sh

clean:
	rm -rf build build-asan build-clang build-fuzz build-keydump

-include $(LIB_OBJ:.o=.d) $(patsubst %,$(BUILD)/obj/programs/%.d,$(notdir $(PROGS)))
