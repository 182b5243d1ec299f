# splitchip - top-level build.  GNU make.
#
#   make            static + shared libsplitchip (and splitvm, guests when present)
#   make check      install test deps if needed, run every test under ASan+UBSan
#   make demo       build everything, run the guest suite on splitvm
#   make bench      benchmarks (docs/BENCHMARKS.md)
#   make fuzz       long libFuzzer runs (FUZZ_SECONDS per harness)
#   make coverage   gcovr line coverage of lib/
#   make install PREFIX=/usr/local

PREFIX  ?= /usr/local
CC      ?= cc
O       := build
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
           -Wshadow -Wpointer-arith -Wvla -Wformat=2 -Wundef -Wcast-align \
           -Wno-unused-parameter
CSTD    := -std=c11 -D_GNU_SOURCE
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -Iinclude
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS  := $(sort $(wildcard lib/*.c))
LIB_HDRS  := $(wildcard include/splitchip/*.h) $(wildcard lib/*.h)
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
LIB_POBJS := $(LIB_SRCS:%.c=$(O)/pic/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(O)/asan/%.o)
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(O)/asan/tests/%)
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=$(O)/fuzz/%)
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_RUNS ?= 20000

.PHONY: all lib check unit-test fuzz-smoke fuzz deps coverage demo bench \
        install clean guest-test
all: lib

lib: $(O)/libsplitchip.a $(O)/libsplitchip.so

$(O)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(O)/pic/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(O)/libsplitchip.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(O)/libsplitchip.so: $(LIB_POBJS)
	$(CC) -shared -Wl,-soname,libsplitchip.so.0 -o $@ $^ -lpthread

# ---- tests: cmocka, ASan + UBSan ----
$(O)/asan/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c $< -o $@
$(O)/asan/libsplitchip.a: $(ASAN_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(O)/asan/tests/%: tests/%.c $(O)/asan/libsplitchip.a $(LIB_HDRS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Itests $< $(O)/asan/libsplitchip.a -lcmocka -lpthread -o $@

deps:
	@scripts/deps.sh check

unit-test: $(TEST_BINS)
	@scripts/run-tests.sh $(TEST_BINS)

# ---- fuzzing: libFuzzer (clang) ----
FUZZ_CC ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
# the KVM layer's pure parts (kvm/lint0.c) are fuzzed too
FUZZ_KVM_SRCS := kvm/lint0.c
$(O)/fuzz/%: fuzz/%.c $(LIB_SRCS) $(FUZZ_KVM_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) -Wno-unknown-warning-option $(FUZZ_FLAGS) -Iinclude $< $(LIB_SRCS) $(FUZZ_KVM_SRCS) -lpthread -o $@

fuzz-smoke: $(FUZZ_BINS)
	@scripts/fuzz.sh smoke $(FUZZ_SMOKE_RUNS) $(FUZZ_BINS)
fuzz: deps $(FUZZ_BINS)
	@scripts/fuzz.sh long $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- coverage ----
coverage: deps
	@scripts/coverage.sh --update-doc

# Optional parts of the tree bring their own rules.
-include kvm/kvm.mk
-include vmm/vmm.mk
-include guests/guests.mk
-include bench/bench.mk

$(O)/demo-board: examples/demo_board.c $(O)/libsplitchip.a $(LIB_HDRS)
	$(CC) $(ALL_CFLAGS) $< $(O)/libsplitchip.a -lpthread -o $@

# check: everything, from a clean clone.  Parts add prerequisites to
# check-extra (vmm tests, guest suite).
check: deps
	$(MAKE) lib
	$(MAKE) unit-test
	$(MAKE) fuzz-smoke
	$(MAKE) check-extra
	@echo "make check: all passed"

.PHONY: check-extra install-test
check-extra:: install-test demo-board-test nested-kvm-test
.PHONY: nested-kvm-test
nested-kvm-test: guests
	@rm -f $(O)/nested-kvm.failures
	@scripts/nested-kvm-check.sh $(O)
install-test: lib
	@scripts/install-test.sh
.PHONY: demo-board-test
demo-board-test: $(O)/demo-board
	@$(O)/demo-board > $(O)/demo-board.log || { cat $(O)/demo-board.log; exit 1; }
	@echo "demo-board: 1 passed, 0 failed"


demo: deps
	$(MAKE) all guests $(O)/demo-board
	@scripts/demo.sh

bench:: deps all

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/splitchip \
	           $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(O)/libsplitchip.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(O)/libsplitchip.so $(DESTDIR)$(PREFIX)/lib/libsplitchip.so.$(VERSION)
	ln -sf libsplitchip.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsplitchip.so.0
	ln -sf libsplitchip.so.0 $(DESTDIR)$(PREFIX)/lib/libsplitchip.so
	install -m 644 include/splitchip/*.h $(DESTDIR)$(PREFIX)/include/splitchip/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    splitchip.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/splitchip.pc

clean:
	rm -rf $(O)
