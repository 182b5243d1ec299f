# Freestanding Multiboot v1 test guests (included by the top Makefile).
#
#   make guests        build/guests/<name>.elf
#   make guest-test    run every guest in every mode (scripts/guest-test.sh)
#   make check         adds the guest suite with --strict-qemu (check-extra)
#
# Needs only gcc and binutils: -m32 -ffreestanding with no libc needs no
# gcc-multilib (64-bit division helpers are in guests/lib/rt.c).

GUEST_CC      ?= gcc
GUEST_LD      ?= ld
GUEST_CFLAGS  := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                 -nostdlib -fno-builtin -O2 -Wall -Wextra -Werror -std=gnu11 \
                 -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
                 -Iguests/lib
GUEST_LDFLAGS := -m elf_i386 -nostdlib --build-id=none -T guests/lib/link.ld
GUEST_LDWARN  := $(shell $(GUEST_LD) --help 2>/dev/null | grep -q no-warn-rwx-segments && echo --no-warn-rwx-segments)

GUEST_NAMES   := $(sort $(patsubst guests/%.c,%,$(wildcard guests/*.c)))
GUEST_ELFS    := $(GUEST_NAMES:%=$(O)/guests/%.elf)
GUEST_RT_SRCS := $(wildcard guests/lib/*.c) guests/lib/entry.S
GUEST_RT_OBJS := $(patsubst guests/lib/%,$(O)/guests/lib/%.o,$(GUEST_RT_SRCS))
GUEST_HDRS    := $(wildcard guests/lib/*.h) guests/guests.mk

.PHONY: guests guest-test
.SECONDARY: $(GUEST_NAMES:%=$(O)/guests/%.o) $(GUEST_RT_OBJS)
all: guests
guests: $(GUEST_ELFS)

$(O)/guests/lib/%.c.o: guests/lib/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(O)/guests/lib/%.S.o: guests/lib/%.S $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 -c $< -o $@
$(O)/guests/%.o: guests/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(O)/guests/%.elf: $(O)/guests/%.o $(GUEST_RT_OBJS) guests/lib/link.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) $(GUEST_LDWARN) -o $@ $(O)/guests/$*.o $(GUEST_RT_OBJS)

# Informative run: split-mode failures are fatal, QEMU TCG is reference only.
guest-test: guests
	scripts/guest-test.sh --build $(O)

# make demo (scripts/demo.sh) runs the suite on splitvm in both irqchip
# modes, next to QEMU TCG.

# make check: split-mode failures (when splitvm can run) and QEMU TCG failures
# outside the documented deviations fail the build; missing /dev/kvm or QEMU
# turn those columns into SKIP.
check-extra:: guests
	scripts/guest-test.sh --build $(O) --strict-qemu
