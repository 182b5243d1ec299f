/* SPDX-License-Identifier: MIT */
/* splitvm command line parsing (see docs/SPLITVM.md "Usage"). */
#include "options.h"
#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const src_names[VM_NSRC] = { "pit", "rtc", "hpet" };

const char *vm_tick_src_name(enum vm_tick_src s)
{
	return (unsigned)s < VM_NSRC ? src_names[s] : "?";
}

void vm_print_usage(FILE *f)
{
	fprintf(f,
		"usage: splitvm --kernel IMAGE [--append STR] [--module FILE[,CMDLINE]]...\n"
		"               [--initrd FILE] [--no-xsave]\n"
		"               [--cpus N] [--mem MiB] [--irqchip split|kernel] [--ioapics N]\n"
		"               [--tick-policy SRC=POLICY]... [--no-hpet] [--no-coalesced-pio]\n"
		"               [--no-ghost-routes]\n"
		"               [--serial stdio|FILE] [--stats[=json]] [--no-sandbox]\n"
		"  SRC: pit|rtc|hpet  POLICY: discard|delay|catchup|merge\n"
		"  --cpus 1..%u (default 1), --mem %llu..%llu MiB (default 128),\n"
		"  --ioapics 1..%u (default 1, split mode only)\n"
		"  --no-sandbox: run without the seccomp filter (docs/SPLITVM.md \"Sandbox\")\n",
		VM_MAX_CPUS, (unsigned long long)VM_MIN_MEM_MIB,
		(unsigned long long)VM_MAX_MEM_MIB, VM_MAX_IOAPICS);
}

#define fail(err, errlen, ...) vm_reason(err, errlen, 2, __VA_ARGS__)

/* Strict unsigned decimal (or 0x hex) parse; no sign, no trailing junk. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

enum opt_id {
	OPT_KERNEL, OPT_APPEND, OPT_MODULE, OPT_CPUS, OPT_MEM, OPT_IRQCHIP,
	OPT_IOAPICS, OPT_TICK, OPT_NO_HPET, OPT_NO_COALESCED_PIO, OPT_NO_GHOST_ROUTES, OPT_SERIAL, OPT_STATS, OPT_KVMDEV,
	OPT_HELP, OPT_NO_SANDBOX, OPT_INITRD, OPT_NO_XSAVE,
};

struct opt_desc {
	const char *name;
	enum opt_id id;
	int arg;     /* 0 none, 1 required, 2 optional (only as --x=val) */
};

static const struct opt_desc opts[] = {
	{ "kernel", OPT_KERNEL, 1 },   { "append", OPT_APPEND, 1 },
	{ "module", OPT_MODULE, 1 },   { "cpus", OPT_CPUS, 1 },
	{ "mem", OPT_MEM, 1 },         { "irqchip", OPT_IRQCHIP, 1 },
	{ "ioapics", OPT_IOAPICS, 1 }, { "tick-policy", OPT_TICK, 1 },
	{ "no-hpet", OPT_NO_HPET, 0 }, { "serial", OPT_SERIAL, 1 },
	{ "no-coalesced-pio", OPT_NO_COALESCED_PIO, 0 },
	{ "no-ghost-routes", OPT_NO_GHOST_ROUTES, 0 },
	{ "stats", OPT_STATS, 2 },     { "kvm-device", OPT_KVMDEV, 1 },
	{ "help", OPT_HELP, 0 },       { "no-sandbox", OPT_NO_SANDBOX, 0 },
	{ "initrd", OPT_INITRD, 1 },   { "no-xsave", OPT_NO_XSAVE, 0 },
};

static int apply(struct vm_options *o, enum opt_id id, const char *name,
		 const char *val, char *err, size_t errlen)
{
	uint64_t v;

	switch (id) {
	case OPT_KERNEL:
		if (!*val)
			return fail(err, errlen, "--kernel: empty file name");
		o->kernel = val;
		return 0;
	case OPT_APPEND:
		o->append = val;
		return 0;
	case OPT_NO_XSAVE:
		o->xsave = false;
		return 0;
	case OPT_INITRD:
		if (!*val)
			return fail(err, errlen, "--initrd: empty file name");
		o->initrd = val;
		return 0;
	case OPT_MODULE: {
		const char *comma = strchr(val, ',');
		size_t plen = comma ? (size_t)(comma - val) : strlen(val);
		char *buf;

		if (o->nmodules >= VM_MAX_MODULES)
			return fail(err, errlen, "--module: at most %u modules", VM_MAX_MODULES);
		if (plen == 0)
			return fail(err, errlen, "--module: empty file name");
		if (plen >= sizeof(o->modbuf[0]))
			return fail(err, errlen, "--module: file name too long");
		buf = o->modbuf[o->nmodules];
		memcpy(buf, val, plen);
		buf[plen] = 0;
		o->modules[o->nmodules].path = buf;
		o->modules[o->nmodules].cmdline = comma ? comma + 1 : NULL;
		o->nmodules++;
		return 0;
	}
	case OPT_CPUS:
		if (parse_u64(val, &v) || v < 1 || v > VM_MAX_CPUS)
			return fail(err, errlen, "--cpus: '%s' is not a number in 1..%u",
				    val, VM_MAX_CPUS);
		o->cpus = (unsigned)v;
		return 0;
	case OPT_MEM:
		if (parse_u64(val, &v))
			return fail(err, errlen, "--mem: '%s' is not a number of MiB", val);
		if (v < VM_MIN_MEM_MIB)
			return fail(err, errlen, "--mem: %s MiB is too small (minimum %llu)",
				    val, (unsigned long long)VM_MIN_MEM_MIB);
		if (v > VM_MAX_MEM_MIB)
			return fail(err, errlen, "--mem: %s MiB is too large (maximum %llu)",
				    val, (unsigned long long)VM_MAX_MEM_MIB);
		o->mem_mib = v;
		return 0;
	case OPT_IRQCHIP:
		if (!strcmp(val, "split"))
			o->split = true;
		else if (!strcmp(val, "kernel"))
			o->split = false;
		else
			return fail(err, errlen, "--irqchip: '%s' is not split or kernel", val);
		return 0;
	case OPT_IOAPICS:
		if (parse_u64(val, &v) || v < 1 || v > VM_MAX_IOAPICS)
			return fail(err, errlen, "--ioapics: '%s' is not a number in 1..%u",
				    val, VM_MAX_IOAPICS);
		o->ioapics = (unsigned)v;
		return 0;
	case OPT_TICK: {
		const char *eq = strchr(val, '=');
		enum sc_tick_policy p;
		unsigned s;

		if (!eq)
			return fail(err, errlen, "--tick-policy: '%s' is not SRC=POLICY", val);
		for (s = 0; s < VM_NSRC; s++)
			if (strlen(src_names[s]) == (size_t)(eq - val) &&
			    !strncmp(val, src_names[s], (size_t)(eq - val)))
				break;
		if (s == VM_NSRC)
			return fail(err, errlen,
				    "--tick-policy: unknown source in '%s' (pit, rtc or hpet)", val);
		if (sc_tick_policy_parse(eq + 1, &p))
			return fail(err, errlen,
				    "--tick-policy: unknown policy '%s' (discard, delay, catchup or merge)",
				    eq + 1);
		o->policy[s] = p;
		return 0;
	}
	case OPT_NO_HPET:
		o->hpet = false;
		return 0;
	case OPT_NO_GHOST_ROUTES:
		o->ghost_routes = false;
		return 0;
	case OPT_NO_COALESCED_PIO:
		o->coalesced_pio = false;
		return 0;
	case OPT_SERIAL:
		if (!*val)
			return fail(err, errlen, "--serial: empty file name");
		o->serial = strcmp(val, "stdio") ? val : NULL;
		return 0;
	case OPT_STATS:
		if (!val)
			o->stats = VM_STATS_TEXT;
		else if (!strcmp(val, "json"))
			o->stats = VM_STATS_JSON;
		else if (!strcmp(val, "text"))
			o->stats = VM_STATS_TEXT;
		else
			return fail(err, errlen, "--stats: '%s' is not json", val);
		return 0;
	case OPT_KVMDEV:
		o->kvm_device = val;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_NO_SANDBOX:
		o->sandbox = false;
		return 0;
	}
	return fail(err, errlen, "internal: option %s", name);
}

int vm_parse_options(int argc, char *const argv[], struct vm_options *o,
		     char *err, size_t errlen)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->append = "";
	o->cpus = 1;
	o->mem_mib = 128;
	o->split = true;
	o->ioapics = 1;
	for (i = 0; i < VM_NSRC; i++)
		o->policy[i] = SC_TICK_DELAY;
	o->hpet = true;
	o->coalesced_pio = true;
	o->ghost_routes = true;
	o->kvm_device = "/dev/kvm";
	o->sandbox = true;
	o->xsave = true;
	if (err && errlen)
		err[0] = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		size_t nlen;
		unsigned k;
		int r;

		if (strncmp(a, "--", 2) || !a[2])
			return fail(err, errlen, "unexpected argument '%s' (try --help)", a);
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strlen(opts[k].name) == nlen && !strncmp(a, opts[k].name, nlen))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return fail(err, errlen, "unknown option '%s' (try --help)", argv[i]);
		if (eq) {
			if (opts[k].arg == 0)
				return fail(err, errlen, "option --%s takes no value", opts[k].name);
			val = eq + 1;
		} else if (opts[k].arg == 1) {
			if (i + 1 >= argc)
				return fail(err, errlen, "option --%s needs a value", opts[k].name);
			val = argv[++i];
		}
		r = apply(o, opts[k].id, opts[k].name, val, err, errlen);
		if (r)
			return r;
	}
	if (o->help)
		return 0;
	if (!o->kernel)
		return fail(err, errlen, "no --kernel IMAGE given (try --help)");
	if (!o->split && o->ioapics != 1)
		return fail(err, errlen,
			    "--ioapics %u: the in-kernel irqchip has exactly one IOAPIC", o->ioapics);
	if (!o->split && (o->policy[VM_SRC_PIT] == SC_TICK_CATCHUP ||
			  o->policy[VM_SRC_PIT] == SC_TICK_MERGE))
		return fail(err, errlen,
			    "--tick-policy pit=%s: the in-kernel PIT supports only discard or delay",
			    sc_tick_policy_name(o->policy[VM_SRC_PIT]));
	return 0;
}
