# splitvm - included by the top Makefile.
#
#   make build/splitvm     the VMM (vmm/*.c + libsplitchip.a)
#   make vmm-test          tests/vmm: unit tests (cmocka, ASan+UBSan), command
#                          line tests, KVM boot tests (skipped without /dev/kvm)

VMM_SRCS      := $(sort $(wildcard vmm/*.c))
VMM_HDRS      := $(wildcard vmm/*.h)
VMM_OBJS      := $(VMM_SRCS:%.c=$(O)/%.o)
# everything but main(): what the unit tests link against
VMM_LIB_SRCS  := $(filter-out vmm/main.c,$(VMM_SRCS))
VMM_ASAN_OBJS := $(VMM_LIB_SRCS:%.c=$(O)/asan/%.o)
VMM_TEST_SRCS := $(sort $(wildcard tests/vmm/test_*.c))
VMM_TEST_BINS := $(VMM_TEST_SRCS:tests/vmm/%.c=$(O)/asan/vmmtests/%)

.PHONY: splitvm vmm-test
.SECONDARY: $(VMM_ASAN_OBJS)
all: $(O)/splitvm
splitvm: $(O)/splitvm

$(O)/vmm/%.o: vmm/%.c $(VMM_HDRS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/splitvm: $(VMM_OBJS) $(O)/libsplitchip-kvm.a $(O)/libsplitchip.a
	$(CC) $(ALL_CFLAGS) $(VMM_OBJS) $(O)/libsplitchip-kvm.a $(O)/libsplitchip.a -lseccomp -lpthread -lrt -o $@

# splitvm under ASan+UBSan (its sandbox then admits the sanitizer's calls)
$(O)/asan/splitvm: $(VMM_ASAN_OBJS) $(O)/asan/vmm/main.o $(KVM_ASAN_OBJS) $(O)/asan/libsplitchip.a
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 $^ -lseccomp -lpthread -lrt -o $@

$(O)/asan/vmm/%.o: vmm/%.c $(VMM_HDRS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c $< -o $@

$(O)/asan/vmmtests/%: tests/vmm/%.c $(VMM_ASAN_OBJS) $(KVM_ASAN_OBJS) $(O)/asan/libsplitchip.a $(VMM_HDRS) $(LIB_HDRS) $(wildcard tests/vmm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Ivmm -Itests/vmm $< $(VMM_ASAN_OBJS) $(KVM_ASAN_OBJS) $(O)/asan/libsplitchip.a -lcmocka -lseccomp -lpthread -lrt -o $@

$(O)/vmmtests/mkimage: tests/vmm/mkimage.c $(wildcard tests/vmm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/vmm $< -o $@

# LD_PRELOAD stand-in for /dev/kvm: runs vmm/vm.c without KVM (tests only)
$(O)/vmmtests/fakekvm.so: tests/vmm/fakekvm.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $< -ldl -o $@

vmm-test: $(O)/splitvm $(VMM_TEST_BINS) $(O)/vmmtests/mkimage $(O)/vmmtests/fakekvm.so
	@if [ -f guests/hello.c ]; then $(MAKE) --no-print-directory $(O)/guests/hello.elf $(O)/guests/kvm-probe.elf >/dev/null 2>&1 || \
		echo "vmm-test: could not build $(O)/guests/hello.elf (boot tests will skip)"; fi
	@tests/vmm/run.sh $(O) $(VMM_TEST_BINS)

check-extra:: vmm-test
