# libsplitchip-kvm - the KVM layer (issue 14); included by the top Makefile.
#
#   make kvm-lib        build/libsplitchip-kvm.a and .so (soname .so.0,
#                       linked against libsplitchip.so, symbols versioned by
#                       kvm/libsplitchip-kvm.map: only sc_kvm_* exported)
#   make kvm-test       tests/kvm: cmocka under ASan+UBSan
#   make header-test    every include/splitchip/*.h alone, as C11 -pedantic
#                       and as C++ (g++ -fsyntax-only)
# Both tests run in `make check` (check-extra); `make install` installs the
# library, its headers (with the rest) and splitchip-kvm.pc.

KVM_SRCS      := $(sort $(wildcard kvm/*.c))
KVM_OBJS      := $(KVM_SRCS:%.c=$(O)/%.o)
KVM_POBJS     := $(KVM_SRCS:%.c=$(O)/pic/%.o)
KVM_ASAN_OBJS := $(KVM_SRCS:%.c=$(O)/asan/%.o)
KVM_MAP       := kvm/libsplitchip-kvm.map
KVM_TEST_SRCS := $(sort $(wildcard tests/kvm/test_*.c))
KVM_TEST_BINS := $(KVM_TEST_SRCS:tests/kvm/%.c=$(O)/asan/kvmtests/%)

.PHONY: kvm-lib kvm-test kvm-install header-test
.SECONDARY: $(KVM_ASAN_OBJS)
all: kvm-lib
kvm-lib: $(O)/libsplitchip-kvm.a $(O)/libsplitchip-kvm.so

$(O)/kvm/%.o: kvm/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(O)/pic/kvm/%.o: kvm/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(O)/asan/kvm/%.o: kvm/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c $< -o $@

$(O)/libsplitchip-kvm.a: $(KVM_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(O)/libsplitchip-kvm.so: $(KVM_POBJS) $(KVM_MAP) $(O)/libsplitchip.so
	$(CC) -shared -Wl,-soname,libsplitchip-kvm.so.0 -Wl,--version-script=$(KVM_MAP) \
	    -Wl,--no-undefined -o $@ $(KVM_POBJS) $(O)/libsplitchip.so

$(O)/asan/kvmtests/%: tests/kvm/%.c $(KVM_ASAN_OBJS) $(O)/asan/libsplitchip.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 $< $(KVM_ASAN_OBJS) $(O)/asan/libsplitchip.a -lcmocka -lpthread -o $@

kvm-test: $(KVM_TEST_BINS)
	@scripts/run-tests.sh $(KVM_TEST_BINS)

# ---- public headers: self-contained, C11 -pedantic, C++ ----
# HDR_CXX_PENDING: headers that do not compile as C++ yet (the `_Atomic T`
# qualifier form; `_Atomic(T)` with <stdatomic.h> compiles as C11 and as
# C++23).  Each listed header must still fail, so the list cannot go stale.
HDR_ALL         := $(sort $(notdir $(wildcard include/splitchip/*.h)))
HDR_CXX_PENDING :=
HDR_CFLAGS      := -std=c11 -Wall -Wextra -pedantic -Werror -Iinclude
HDR_CXXFLAGS    := -std=c++23 -Wall -Wextra -pedantic -Werror -Iinclude
CXX             ?= g++

header-test:
	@pass=0; fail=0; \
	for h in $(HDR_ALL); do \
	    if printf '#include <splitchip/%s>\n' $$h | $(CC) $(HDR_CFLAGS) -x c -fsyntax-only - ; \
	    then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAIL C11 $$h"; fi; \
	    if printf '#include <splitchip/%s>\n' $$h | $(CXX) $(HDR_CXXFLAGS) -x c++ -fsyntax-only - 2>/dev/null; \
	    then ok=1; else ok=0; fi; \
	    case " $(HDR_CXX_PENDING) " in *" $$h "*) ok=$$((1 - ok));; esac; \
	    if [ $$ok = 1 ]; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAIL C++ $$h (see HDR_CXX_PENDING)"; fi; \
	done; \
	echo "headers: $$pass passed, $$fail failed"; [ $$fail = 0 ]

# ---- install (prerequisite of the top Makefile's install) ----
install: kvm-install
kvm-install: kvm-lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(O)/libsplitchip-kvm.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(O)/libsplitchip-kvm.so $(DESTDIR)$(PREFIX)/lib/libsplitchip-kvm.so.$(VERSION)
	ln -sf libsplitchip-kvm.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsplitchip-kvm.so.0
	ln -sf libsplitchip-kvm.so.0 $(DESTDIR)$(PREFIX)/lib/libsplitchip-kvm.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    kvm/splitchip-kvm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/splitchip-kvm.pc

check-extra:: kvm-test header-test
