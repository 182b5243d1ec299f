#!/usr/bin/python3
"""Tests of scripts/bench_report.py on the handwritten inputs in fixtures/.

  fixtures/access/   bench_access time CSV, callgrind totals and annotations
  fixtures/kvm/      guest logs of bench-kvm.sh runs (PASS, FAIL, hung,
                     empty and absent logs) and the runs file
  fixtures/report/   one of every CSV the report reads; kvm_rss.csv is
                     empty, roundtrip.csv is absent on purpose

Run: python3 tests/scripts/test_bench_report.py (make report-test).
"""

import importlib.util
import io
import os
import re
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
PROG = os.path.join(HERE, "..", "..", "scripts", "bench_report.py")

sys.dont_write_bytecode = True    # no scripts/__pycache__ in the tree
_spec = importlib.util.spec_from_file_location("bench_report", PROG)
br = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(br)

REPORT_ARGS = ["--cmd", "make bench", "--mode", "full", "--elapsed", "590",
               "--kvm-secs", "402", "--nproc", "4", "--load-end", "2.00 1.00 0.50",
               "--exit-us", "8", "--ipns", "2", "--cg-n1", "1000", "--cg-n2", "21000",
               "--acc-reps", "21", "--acc-iters", "50000", "--tick-ms", "3000",
               "--tick-reps", "3", "--irq-ms", "300", "--irq-reps", "5"]


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


class Workdir(unittest.TestCase):
    """A scratch copy of one fixture directory."""
    fixture = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bench_report_test.")
        self.dir = os.path.join(self.tmp, "d")
        if self.fixture:
            shutil.copytree(os.path.join(FIX, self.fixture), self.dir)
        else:
            os.mkdir(self.dir)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_prog(self, *args):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            self.assertEqual(br.main(list(args)), 0)
        return out.getvalue()

    def csv(self, name):
        return lines(os.path.join(self.dir, name))


# ---------------------------------------------------------------- statistics


class Statistics(unittest.TestCase):
    def test_median_odd_count_is_the_middle_value(self):
        self.assertEqual(br.median_low(["120", "90", "100"]), "100")

    def test_median_even_count_is_the_lower_middle_value(self):
        # sort -n | element (n+1)/2: a value a run measured, not a mean
        self.assertEqual(br.median_low(["110", "100"]), "100")
        self.assertEqual(br.median_low(["4", "1", "3", "2"]), "2")

    def test_median_sorts_numerically_not_as_text(self):
        self.assertEqual(br.median_low(["9", "100", "20"]), "20")

    def test_median_of_nothing_is_empty(self):
        self.assertEqual(br.median_low([]), "")
        self.assertEqual(br.median_low(["", ""]), "")

    def test_ratio_two_decimals(self):
        self.assertEqual(br.ratio("3204", "3714"), "0.86")
        self.assertEqual(br.ratio("1", "3"), "0.33")

    def test_ratio_missing_or_zero_is_dash(self):
        for a, b in (("", "1"), ("1", ""), ("-", "1"), ("1", "-"), ("1", "0"), ("1", "00")):
            self.assertEqual(br.ratio(a, b), "-", (a, b))

    def test_num_reads_like_awk(self):
        self.assertEqual(br.num("12.5"), 12.5)
        self.assertEqual(br.num("3 KiB"), 3.0)
        self.assertEqual(br.num("-"), 0.0)
        self.assertEqual(br.num(""), 0.0)
        self.assertEqual(br.num("1e3"), 1000.0)

    def test_awk_print_num(self):
        self.assertEqual(br.awk_print_num(112.0), "112")
        self.assertEqual(br.awk_print_num(101.5), "101.5")
        self.assertEqual(br.awk_print_num(0.0), "0")


# ---------------------------------------------------------------- tables


class Tables(Workdir):
    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_markdown_table(self):
        t = br.read_csv(self.write("a.csv", "k,v\nx,1\ny,2\n"))
        self.assertEqual(br.md_table(t, "a.csv"), "| k | v |\n|---|---|\n| x | 1 |\n| y | 2 |")

    def test_short_rows_are_padded_to_the_header(self):
        t = br.read_csv(self.write("a.csv", "k,v,w\nx\ny,2,3\n"))
        self.assertEqual(br.md_table(t, "a.csv").split("\n")[2], "| x |  |  |")

    def test_empty_cells_stay_empty(self):
        t = br.read_csv(self.write("a.csv", "n,a,b\n64,,-\n"))
        self.assertEqual(br.md_table(t, "a.csv").split("\n")[2], "| 64 |  | - |")

    def test_missing_and_empty_files_say_so(self):
        self.write("empty.csv", "")
        self.write("blank.csv", "\n\n")
        for name in ("empty.csv", "blank.csv", "absent.csv"):
            t = br.read_csv(os.path.join(self.dir, name))
            self.assertIsNone(t)
            self.assertEqual(br.md_table(t, name), "(no data: %s is missing or empty)" % name)

    def test_blank_lines_are_skipped(self):
        t = br.read_csv(self.write("a.csv", "k,v\n\nx,1\n\n"))
        self.assertEqual(t, [["k", "v"], ["x", "1"]])

    def test_header_only(self):
        t = br.read_csv(self.write("a.csv", "k,v\n"))
        self.assertEqual(br.md_table(t, "a.csv"), "| k | v |\n|---|---|")

    def test_lookup_by_leading_columns(self):
        t = br.read_csv(self.write("eoi.csv", "path,threads,x\nfast,1,a\nfast,64,b\nlevel1,64,c\n"))
        self.assertEqual(br.lookup(t, ["fast", "64"], 3), "b")
        self.assertEqual(br.lookup(t, ["level1"], 3), "c")
        self.assertEqual(br.lookup(t, ["path"], 3), "")      # the header is no row
        self.assertEqual(br.lookup(t, ["fast", "2"], 3), "")  # no such row
        self.assertEqual(br.lookup(t, ["fast", "1"], 9), "")  # no such column
        self.assertEqual(br.lookup(None, ["fast"], 3), "")    # no such file


# ---------------------------------------------------------------- 1. access


class Access(Workdir):
    fixture = "access"
    ARGS = ["--n1", "10", "--n2", "110", "--exit-us", "8", "--ipns", "2"]

    def test_instructions_per_access_from_two_callgrind_runs(self):
        self.run_prog("access", self.dir, "--callgrind", *self.ARGS)
        # rtc has no short run: no figure rather than a wrong one
        self.assertEqual(self.csv("access_instr.csv"),
                         ["kind,exits,instr_per_access", "noop,1,103.0", "pit,3,969.0"])

    def test_per_exit_ratios_and_shares(self):
        self.run_prog("access", self.dir, "--callgrind", *self.ARGS)
        rows = self.csv("access.csv")
        self.assertEqual(rows[0], br.ACCESS_HEADER)
        self.assertEqual(rows[1:], [
            "noop,1,103,103,1.0,10.0,1.0,10.0,0.12,0.64,10.3",
            "pit,3,969,323,9.4,125.0,12.5,41.7,0.52,2.02,7.8",
            "rtc,2,0,0,0.0,50.0,5.0,25.0,0.31,0.00,0.0"])

    def test_profile_top_six_functions(self):
        self.run_prog("access", self.dir, "--callgrind", *self.ARGS)
        self.assertEqual(self.csv("access_profile.csv"), [
            "kind,function,instr_per_access",
            "noop,sc_board_pio_read,77.0", "noop,bench_access_once,26.0",
            "pit,sc_board_pio_read,214.0", "pit,sc_pit_ioport_read,116.0",
            "pit,pthread_mutex_lock,96.0", "pit,__udivti3,36.0",
            "pit,sync,9.0", "pit,inta_settle,8.0"])

    def test_without_callgrind_no_instructions(self):
        self.run_prog("access", self.dir, *self.ARGS)
        self.assertEqual(self.csv("access_instr.csv"), ["kind,exits,instr_per_access"])
        self.assertEqual(self.csv("access_profile.csv"), ["kind,function,instr_per_access"])
        self.assertEqual(self.csv("access.csv")[2], "pit,3,0,0,0.0,125.0,12.5,41.7,0.52,0.00,0.0")


# ---------------------------------------------------------------- plot data


class PlotData(Workdir):
    fixture = "report"

    def test_ticks_lost_pivot_sums_the_sources(self):
        self.run_prog("plotdata", self.dir)
        self.assertEqual(self.csv("ticks_lost_pivot.csv"), [
            "policy,idle,hog,stall", "discard,2,0,112", "delay,0,0,0",
            "catchup,0,0,0", "merge,0,0,101"])

    def test_latency_delay_rows(self):
        self.run_prog("plotdata", self.dir)
        self.assertEqual(self.csv("latency_delay.dat"),
                         ["pit/idle,44.5,136.1,2335.8", "rtc/hog,18.7,260.9,7951.0"])


# ---------------------------------------------------------------- KVM runs


class Kvm(Workdir):
    def setUp(self):
        super().setUp()
        self.out = self.run_prog(
            "kvm", self.dir, "--logs", os.path.join(FIX, "kvm", "logs"),
            "--runs", os.path.join(FIX, "kvm", "runs.txt"), "--reps", "3",
            "--qmode", "qemu-split", "--vcpus", "1 2", "--policies", "delay catchup",
            "--sources", "pit", "--hog-extra", "rtc512")

    def test_exit_costs_median_of_repetitions(self):
        rows = self.csv("kvm_exits.csv")
        self.assertEqual(rows[0], br.EXITS_HEADER)
        # split 90/120/100 -> 100; kernel has 2 of 3 runs -> lower median;
        # qemu pic 210/0 -> 0: no ratio against 0
        self.assertEqual(rows[1], "noop,100,100,200,1.00,0.50,1.00,1.00,1.00")
        self.assertEqual(rows[2], "pic,250,50,0,5.00,-,2.50,0.50,0.00")
        self.assertEqual(rows[3], "pit,-,-,-,-,-,-,-,-")
        self.assertEqual(len(rows), 8)

    def test_edge_eoi_exits_qemu_not_reported(self):
        self.assertEqual(self.csv("kvm_edge.csv"), [
            "run,edge interrupts,KVM_EXIT_IOAPIC_EOI",
            "exits-1-split,200,0", "exits-1-kernel,200,-",
            "exits-1-qemu,200,- (QEMU: not reported)",
            "exits-2-split,200,0", "exits-2-kernel,200,0",
            "exits-2-qemu,200,- (QEMU: not reported)",
            "exits-3-split,199,1", "exits-3-kernel,,-", "exits-3-qemu,,- (QEMU: not reported)"])

    def test_latency_microseconds(self):
        self.assertEqual(self.csv("kvm_latency.csv")[1], "hpet,432,5880,5880,457,951,951,-,-,-,0.95,-")

    def test_level_round_trips_and_eoi_exits(self):
        self.assertEqual(self.csv("kvm_level.csv")[1:], [
            "1,1,3204,3714,3073,0.86,1.04,1.00,0.00",
            "2,2,4785,-,4358,-,1.10,1.00,-"])

    def test_ticks_results(self):
        rows = self.csv("kvm_ticks.csv")
        self.assertEqual(rows[0], br.TICKS_HEADER)
        self.assertIn("pit,delay,idle,kernel,455,1001,-54.5,754,2004,FAIL", rows)
        self.assertIn("pit,delay,hog,split,-,-,-,-,-,NORUN", rows)      # hung
        self.assertIn("pit,delay,hog,kernel,-,-,-,-,-,NORUN", rows)     # no log
        self.assertIn("pit,catchup,idle,split,1001,0,-,1201,0,PASS", rows)  # want 0: no drift
        self.assertIn("pit,catchup,hog,kernel,-,-,-,-,-,n/a (KVM PIT: reinject on/off)", rows)
        self.assertIn("rtc512,catchup,hog,split,400,513,-22.0,900,1025,FAIL", rows)
        self.assertNotIn("rtc512,delay,idle", "\n".join(rows))           # hog only
        self.assertEqual(rows[-2:], ["pit,QEMU default,idle,qemu-split,986,1001,-1.5,1186,1201,PASS",
                                     "pit,QEMU default,hog,qemu-split,-,-,-,-,-,NORUN"])
        self.assertEqual(len(rows), 15)

    def test_rss(self):
        self.assertEqual(self.csv("kvm_rss.csv")[1:], ["1,3108,3100", "2,3124,"])

    def test_runs_not_passed(self):
        self.assertEqual(self.out.strip(),
                         "runs: 30, not passed: exits-2-qemu exits-3-kernel exits-3-qemu "
                         "latency-qemu level-2-kernel level-2-qemu ticks-pit-qemu-1-qemu "
                         "ticks-pit-delay-0-kernel ticks-pit-delay-1-split "
                         "ticks-pit-delay-1-kernel ticks-rtc512-catchup-1-split")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "kvm_host_exits.csv")))

    def test_host_runs(self):
        self.run_prog("kvm", self.dir, "--logs", os.path.join(FIX, "kvm", "logs"),
                      "--runs", os.path.join(FIX, "kvm", "runs.txt"), "--reps", "1",
                      "--vcpus", "1", "--policies", "delay", "--sources", "pit",
                      "--host-logs", os.path.join(FIX, "kvm", "logs"), "--host-reps", "2",
                      "--host-vcpus", "1 2")
        self.assertEqual(self.csv("kvm_host_exits.csv")[1], "noop,100,100,200,1.00,0.50,1.00,1.00,1.00")
        self.assertEqual(self.csv("kvm_host_level.csv")[1:], [
            "1,1,3204,3714,3073,0.86,1.04,1.00,0.00", "2,2,4785,-,4358,-,1.10,1.00,-"])
        self.assertEqual(self.csv("kvm_level.csv")[1:], ["1,1,3204,3714,3073,0.86,1.04,1.00,0.00"])
        self.assertEqual(self.csv("kvm_edge.csv")[1:], ["exits-1-split,200,0", "exits-1-kernel,200,-"])


class Result(unittest.TestCase):
    def test_pass_fail_norun(self):
        logs = br.Logs(os.path.join(FIX, "kvm", "logs"))
        self.assertEqual(logs.result("exits-1-split"), "PASS")
        self.assertEqual(logs.result("exits-2-qemu"), "FAIL")
        self.assertEqual(logs.result("exits-3-qemu"), "NORUN")   # rc=hung
        self.assertEqual(logs.result("level-2-kernel"), "NORUN")  # empty log
        self.assertEqual(logs.result("no-such-run"), "NORUN")

    def test_value_and_stat(self):
        logs = br.Logs(os.path.join(FIX, "kvm", "logs"))
        self.assertEqual(logs.value("exits-2-kernel", "exit.noop_ns"), "110")
        self.assertEqual(logs.value("exits-2-kernel", "exit.nope_ns"), "")
        self.assertEqual(logs.stat("level-1-split", "eoi exits: "), "9612")
        self.assertEqual(logs.stat("level-1-split", "max rss: "), "3108")


# ---------------------------------------------------------------- report


class Report(Workdir):
    fixture = "report"

    def setUp(self):
        super().setUp()
        self.run_prog("report", self.dir, *REPORT_ARGS)
        with open(os.path.join(self.dir, "BENCHMARKS.md"), encoding="utf-8") as f:
            self.md = f.read()

    def test_every_field_rendered(self):
        self.assertIsNone(re.search(r"\{[a-z_0-9]+( [^{} ]+)*\}", self.md))
        self.assertTrue(self.md.startswith("# splitchip benchmarks\n\nGenerated by `make bench` "
                                           "(scripts/bench.sh, full run, 590 s)."))
        self.assertTrue(self.md.endswith("the exit, not the device model.\n"))

    def test_parameters_and_host(self):
        self.assertIn("(load average 1.00 0.50 0.25 at the start of\n  the run, 2.00 1.00 0.50 at its end)",
                      self.md)
        self.assertIn("```\ndate: 2026-01-01 00:00:00 UTC\nnproc: 4\nload average at start: 1.00 0.50 0.25\n```",
                      self.md)
        self.assertIn("(5 CPU-spinning threads", self.md)
        self.assertIn("run by `scripts/bench-kvm.sh` (402 s)", self.md)
        self.assertIn("difference of a run of 21000 and a run of 1000 accesses", self.md)

    def test_runs_sentence(self):
        self.assertIn("(6.1.0, Test CPU). Runs: 12, not passed: level-2-kernel level-8-qemu "
                      "level-16-split.\n", self.md)

    def test_not_passed_run_is_not_a_result(self):
        self.assertIn("1 vCPU **0.75x**, 2 vCPUs - (not passed: level-2-kernel, so not a result), "
                      "8 vCPUs -, 64 vCPUs -.", self.md)
        # level-16-split is no level-1 run
        self.assertIn("1 vCPU 1.03x, 8 vCPUs - (not passed: level-8-qemu, so not a result)", self.md)

    def test_kvm_ratios(self):
        self.assertIn("PIC IMR read **2.20x**, PIT latch +\n  2 reads **2.20x**, IOAPIC select + read **-**",
                      self.md)
        self.assertIn("(per noop: pic 1.10, pit 3.30 for 3 exits, ioapic  for 2)", self.md)
        self.assertIn("HPET\n  **0.80x**, PIT **0.90x**", self.md)
        self.assertIn("`KVM_EXIT_IOAPIC_EOI`: 1.00 per interrupt measured, kernel 0.00)", self.md)

    def test_tick_runs_that_failed(self):
        self.assertIn("split **1 of 2 (1 not run)**\n(PIT and HPET **1 of 2**), kernel **0 of 1**.",
                      self.md)

    def test_host_kvm_section(self):
        self.assertIn("rather than an emulated one: Linux 6.18.0, fails kvm-probe: isr_in_handler.\n",
                      self.md)
        self.assertIn("`run=exits`, 2 repetitions per mode", self.md)
        self.assertIn("PIC\n  **5.00x**, PIT **-**", self.md)
        self.assertIn("Level round trips there, split / kernel: 1 vCPU 0.84x, 8 vCPUs\n  -, 64 vCPUs -",
                      self.md)

    def test_no_host_kvm_section_without_its_csv(self):
        os.remove(os.path.join(self.dir, "kvm_host_exits.csv"))
        self.run_prog("report", self.dir, *REPORT_ARGS)
        md = "\n".join(lines(os.path.join(self.dir, "BENCHMARKS.md")))
        self.assertNotIn("1b. The same exit costs", md)
        self.assertNotIn("On this host's own KVM", md)
        self.assertIn("difference beyond noise).\n- **Timer interrupt latency**", md)

    def test_tables(self):
        self.assertIn("| rtc | 2000 |  |  |  |  |  |  |  |\n\n", self.md)
        self.assertIn("| run | edge interrupts | KVM_EXIT_IOAPIC_EOI |\n|---|---|---|\n\n", self.md)
        self.assertIn("| 2 | 2 | 4785 | - | 4358 | - | 1.10 | 1.00 | - |\n| 16 |", self.md)
        self.assertIn("(no data: kvm_rss.csv is missing or empty)", self.md)
        self.assertIn("(no data: roundtrip.csv is missing or empty)", self.md)
        self.assertIn("![round trips](bench/roundtrip.png)", self.md)

    def test_library_figures(self):
        self.assertIn("Largest share measured: **0.52 %**", self.md)
        self.assertIn("**3.04 %** (instructions at the nominal rate", self.md)
        self.assertIn("by instruction count: **pit (2.02 %), eoi (3.04 %)**", self.md)
        self.assertIn("source and load): **3** (goal: 0). Doubled ticks in all runs:\n**3**.", self.md)
        self.assertIn("`discard`\nloses 112 ticks", self.md)
        self.assertIn("`merge` coalesces 101.5,", self.md)
        self.assertIn("an edge\nround trip's EOI takes **0.000** locks, a level one's\n**1.000**", self.md)
        self.assertIn("vector with no level pin takes **0.000**", self.md)
        self.assertIn("Lock-free path, 1 thread: 318383774 EOIs/s", self.md)
        self.assertIn("fast **62.11x**, level on 1 IOAPIC **1.48x**, level on 8 IOAPICs **-**.", self.md)
        self.assertIn("**132.5 KiB** per VM", self.md)
        self.assertIn("the level EOI, 487 instructions (3.04 % of a 8 us exit", self.md)
        self.assertIn("a PIT latch + 2 reads is 2.02 % per exit", self.md)

    def test_no_kvm_at_all(self):
        for f in os.listdir(self.dir):
            if f.startswith("kvm_"):
                os.remove(os.path.join(self.dir, f))
        self.run_prog("report", self.dir, *REPORT_ARGS)
        md = "\n".join(lines(os.path.join(self.dir, "BENCHMARKS.md")))
        self.assertIn("**KVM figures come from real guests**: KVM: none. \n", md)
        self.assertIn("(no data: kvm_exits.csv is missing or empty)", md)
        self.assertIn("split **- (no kvm_ticks.csv)**", md)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print("report-test: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed or not result.wasSuccessful() else 0)
