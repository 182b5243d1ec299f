/* SPDX-License-Identifier: MIT */
/*
 * Workload 6, library side: bytes of library state per VM.  The board
 * embeds every chip (and SC_BOARD_MAX_IOAPICS IOAPICs whatever the
 * configuration), so sizeof(struct sc_board) is the chipset's whole state;
 * a VMM adds one sc_host_clock.  The library allocates nothing: these are
 * all its bytes, independent of the vCPU count (the host clock's per-vCPU
 * queues are heads in a fixed array).  sc_board_outbox lives on the stack
 * of every locked board call.  CSV on stdout.
 *
 *   bench_mem                 the table above
 *   bench_mem rss CMD ARGS..  run CMD, print "<max RSS KiB>,<exit status>"
 *                             (wait4() rusage; splitvm RSS with N vCPUs)
 */
#include "bench.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define ROW(what, type, note) printf("%s,%zu,%s\n", what, sizeof(type), note)

static int rss(char **argv)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		return 1;
	printf("%ld,%d\n", ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "rss"))
		return rss(argv + 2);
	printf("struct,bytes,note\n");
	ROW("sc_board", struct sc_board, "whole chipset of one VM (all chips embedded)");
	ROW("sc_host_clock", struct sc_host_clock, "one per VM; per-vCPU queues are list heads");
	ROW("sc_pic", struct sc_pic, "i8259A pair (embedded in sc_board)");
	ROW("sc_pit", struct sc_pit, "i8254 (embedded)");
	ROW("sc_rtc", struct sc_rtc, "MC146818 + CMOS (embedded)");
	ROW("sc_hpet", struct sc_hpet, "HPET with 32 timer slots (embedded)");
	ROW("sc_ioapic", struct sc_ioapic, "one IOAPIC incl. vector->pin indices; x8 embedded");
	ROW("sc_tick", struct sc_tick, "tick engine of one periodic source");
	ROW("sc_board_outbox", struct sc_board_outbox, "stack per locked board call (not state)");
	printf("per_vm_total,%zu,sc_board + sc_host_clock\n",
	       sizeof(struct sc_board) + sizeof(struct sc_host_clock));
	return 0;
}
