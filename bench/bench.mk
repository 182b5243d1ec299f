# Benchmarks - included by the top Makefile.
#
#   make bench                 every workload (< 15 min on 2 cores): CSV and
#                              PNG in build/bench/, regenerates
#                              docs/BENCHMARKS.md and docs/bench/*.png
#   make bench BENCH_QUICK=1   smoke run (< 1 min): build/bench/ only,
#                              docs/ untouched
#   make report-test           the report generator's tests (in make check)
#
# Bench programs are bench/bench_*.c, built -O2 without sanitizers against
# build/libsplitchip.a.  bench_irq_locks is bench_irq.c with every
# pthread_mutex_lock() of the library counted (ld --wrap), used only to
# count lock acquisitions on the EOI path, never for timing.

BENCH_SRCS   := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS   := $(BENCH_SRCS:bench/%.c=$(O)/bench/bin/%) $(O)/bench/bin/bench_irq_locks
BENCH_CFLAGS := $(CSTD) $(WARN) -O2 -g -Iinclude -Ibench

$(O)/bench/bin/%: bench/%.c bench/bench.h $(O)/libsplitchip.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< $(O)/libsplitchip.a -lpthread -lm -o $@

$(O)/bench/bin/bench_irq_locks: bench/bench_irq.c bench/bench.h $(O)/libsplitchip.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DBENCH_COUNT_LOCKS $< $(O)/libsplitchip.a \
		-Wl,--wrap=pthread_mutex_lock -lpthread -lm -o $@

.PHONY: bench-bins
bench-bins: $(BENCH_BINS)

bench:: all $(BENCH_BINS)
	@scripts/deps.sh bench
	@scripts/bench.sh $(if $(BENCH_QUICK),--quick) --bin $(O)/bench/bin --out $(O)/bench

# report-test (part of make check): scripts/bench_report.py, which computes
# every table of the report, on the handwritten inputs in
# tests/scripts/fixtures/.  Debian's python3, standard library only.
PYTHON3 ?= /usr/bin/python3
.PHONY: report-test
report-test:
	@mkdir -p $(O)
	@$(PYTHON3) tests/scripts/test_bench_report.py > $(O)/report-test.log 2>&1 || \
		{ cat $(O)/report-test.log; exit 1; }
	@tail -n 1 $(O)/report-test.log
check-extra:: report-test
