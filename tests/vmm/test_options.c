/* SPDX-License-Identifier: MIT */
/* splitvm command line (vmm/options.c) and --stats output (vmm/stats.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "stats.h"

static struct vm_options o;
static char err[256];

static int parse(const char *first, ...)
{
	char *argv[32] = { "splitvm" };
	int argc = 1;
	va_list ap;
	const char *a;

	va_start(ap, first);
	for (a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return vm_parse_options(argc, argv, &o, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("--kernel", "k.elf", NULL), 0);
	assert_string_equal(o.kernel, "k.elf");
	assert_string_equal(o.append, "");
	assert_int_equal(o.cpus, 1);
	assert_int_equal(o.mem_mib, 128);
	assert_true(o.split);
	assert_int_equal(o.ioapics, 1);
	assert_true(o.hpet);
	assert_null(o.serial);
	assert_int_equal(o.stats, VM_STATS_NONE);
	assert_string_equal(o.kvm_device, "/dev/kvm");
	assert_int_equal(o.policy[VM_SRC_PIT], SC_TICK_DELAY);
}

static void test_every_option_parsed(void **state)
{
	(void)state;
	assert_int_equal(parse("--kernel=k", "--append", "a b", "--module", "m1,arg x",
			       "--module=m2", "--cpus", "64", "--mem=4096", "--irqchip", "split",
			       "--ioapics", "8", "--tick-policy", "pit=catchup",
			       "--tick-policy=rtc=merge", "--tick-policy", "hpet=discard",
			       "--no-hpet", "--serial", "out.txt", "--stats=json",
			       "--kvm-device", "/nope", NULL), 0);
	assert_string_equal(o.kernel, "k");
	assert_string_equal(o.append, "a b");
	assert_int_equal(o.nmodules, 2);
	assert_string_equal(o.modules[0].path, "m1");
	assert_string_equal(o.modules[0].cmdline, "arg x");
	assert_string_equal(o.modules[1].path, "m2");
	assert_null(o.modules[1].cmdline);
	assert_int_equal(o.cpus, 64);
	assert_int_equal(o.mem_mib, 4096);
	assert_int_equal(o.ioapics, 8);
	assert_int_equal(o.policy[VM_SRC_PIT], SC_TICK_CATCHUP);
	assert_int_equal(o.policy[VM_SRC_RTC], SC_TICK_MERGE);
	assert_int_equal(o.policy[VM_SRC_HPET], SC_TICK_DISCARD);
	assert_false(o.hpet);
	assert_string_equal(o.serial, "out.txt");
	assert_int_equal(o.stats, VM_STATS_JSON);
	assert_string_equal(o.kvm_device, "/nope");
	assert_int_equal(parse("--kernel", "k", "--stats", "--serial", "stdio",
			       "--irqchip=kernel", NULL), 0);
	assert_int_equal(o.stats, VM_STATS_TEXT);
	assert_null(o.serial);
	assert_false(o.split);
	assert_int_equal(parse("--help", NULL), 0);
	assert_true(o.help);
}

static void test_bad_options_are_usage_errors(void **state)
{
	static const struct { const char *a[6]; const char *msg; } cases[] = {
		{ { "--kernel", "k", "--bogus" }, "unknown option '--bogus'" },
		{ { "--kernel", "k", "stray" }, "unexpected argument" },
		{ { "--kernel", "k", "-c" }, "unexpected argument" },
		{ { "--append", "x" }, "no --kernel" },
		{ { "--kernel" }, "needs a value" },
		{ { "--kernel", "k", "--cpus", "0" }, "--cpus" },
		{ { "--kernel", "k", "--cpus", "256" }, "1..255" },
		{ { "--kernel", "k", "--cpus", "-1" }, "--cpus" },
		{ { "--kernel", "k", "--cpus", "2x" }, "--cpus" },
		{ { "--kernel", "k", "--mem", "1" }, "too small" },
		{ { "--kernel", "k", "--mem", "99999999" }, "too large" },
		{ { "--kernel", "k", "--mem", "lots" }, "not a number" },
		{ { "--kernel", "k", "--ioapics", "0" }, "--ioapics" },
		{ { "--kernel", "k", "--ioapics", "9" }, "1..8" },
		{ { "--kernel", "k", "--irqchip", "full" }, "--irqchip" },
		{ { "--kernel", "k", "--tick-policy", "pit" }, "SRC=POLICY" },
		{ { "--kernel", "k", "--tick-policy", "apic=delay" }, "unknown source" },
		{ { "--kernel", "k", "--tick-policy", "pit=slew" }, "unknown policy 'slew'" },
		{ { "--kernel", "k", "--stats=xml" }, "--stats" },
		{ { "--kernel", "k", "--no-hpet=1" }, "takes no value" },
		{ { "--kernel", "" }, "empty" },
		{ { "--kernel", "k", "--module", ",x" }, "empty" },
		{ { "--kernel", "k", "--serial", "" }, "empty" },
		{ { "--kernel", "k", "--irqchip", "kernel", "--ioapics", "2" }, "exactly one IOAPIC" },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].a[0], cases[i].a[1], cases[i].a[2], cases[i].a[3],
			      cases[i].a[4], cases[i].a[5], NULL);

		if (r != 2 || !strstr(err, cases[i].msg))
			fail_msg("case %u (%s %s): r=%d err='%s'", i, cases[i].a[0],
				 cases[i].a[2] ? cases[i].a[2] : "", r, err);
	}
	assert_int_equal(parse("--kernel", "k", "--irqchip", "kernel", "--tick-policy", "pit=merge",
			       NULL), 2);
	assert_non_null(strstr(err, "in-kernel PIT"));
}

static void test_too_many_modules(void **state)
{
	char *argv[64] = { "splitvm", "--kernel", "k" };
	int argc = 3;
	unsigned i;

	(void)state;
	for (i = 0; i <= VM_MAX_MODULES; i++) {
		argv[argc++] = "--module";
		argv[argc++] = "m";
	}
	assert_int_equal(vm_parse_options(argc, argv, &o, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "at most"));
}

static void test_usage_and_names(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	vm_print_usage(f);
	fclose(f);
	assert_non_null(strstr(buf, "--tick-policy"));
	free(buf);
	assert_string_equal(vm_tick_src_name(VM_SRC_HPET), "hpet");
	assert_string_equal(vm_tick_src_name((enum vm_tick_src)7), "?");
}

static void test_stats_text_and_json(void **state)
{
	struct vm_stats *s = calloc(1, sizeof(*s));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	s->ncpus = 2;
	s->exits[KVM_EXIT_IO] = 5;
	s->exits[KVM_EXIT_IOAPIC_EOI] = 3;
	s->exits[40] = 1;
	s->eoi_exits = 3;
	s->cs.ngsi = 24;
	s->cs.gsi_irqs[2] = 100;
	s->cs.ntick = 1;
	strcpy(s->cs.tick_name[0], "pit");
	s->cs.tick[0] = (struct sc_tick_stats){ 10, 2, 3, 4 };
	f = open_memstream(&buf, &len);
	vm_stats_print(s, f, true);
	fclose(f);
	assert_non_null(strstr(buf, "\"exits\":{\"io\":5,\"ioapic_eoi\":3,\"reason_40\":1}"));
	assert_non_null(strstr(buf, "\"gsi\":{\"2\":100}"));
	assert_non_null(strstr(buf,
		"\"pit\":{\"delivered\":10,\"coalesced\":2,\"reinjected\":3,\"dropped\":4}"));
	assert_int_equal(buf[0], '{');
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	vm_stats_print(s, f, false);
	fclose(f);
	assert_non_null(strstr(buf, "io=5"));
	assert_non_null(strstr(buf, "ticks pit: delivered=10 coalesced=2 reinjected=3 dropped=4"));
	free(buf);
	assert_string_equal(vm_exit_reason_name(KVM_EXIT_MMIO), "mmio");
	assert_null(vm_exit_reason_name(1000));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option_parsed),
		cmocka_unit_test(test_bad_options_are_usage_errors),
		cmocka_unit_test(test_too_many_modules),
		cmocka_unit_test(test_usage_and_names),
		cmocka_unit_test(test_stats_text_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
