// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost of every verdict path with BPF_PROG_TEST_RUN, beside
 * two references measured in the same run: an empty XDP_DROP program and
 * "parse + one hash lookup". Prints a table and writes a CSV.
 *   pc-bench [CSV]            the path table
 *   pc-bench --log-cost       the drop log on and off
 *   pc-bench --scaling CSV    tables growing (scaling.c)
 * Exit codes: 0 done, 1 a step failed, 2 usage.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* Set or clear the drop log in the running policy slot. */
static int set_log(struct harness *h, bool on)
{
	struct pc_config cfg;
	__u32 slot;

	if (cfg_read(h, &slot, &cfg))
		return -1;
	cfg.flags = on ? cfg.flags | PC_CFG_LOG_DROPS :
			 cfg.flags & ~PC_CFG_LOG_DROPS;
	return cfg_write(h, slot, &cfg);
}

/*
 * The drop log's cost on the drop path: the same unsolicited SYN with the
 * log off and on (rate-limited as shipped: 100/s, burst 200 per CPU).
 */
static int log_cost(struct harness *h)
{
	struct pkt_spec syn = { .family = AF_INET,
				.src = OUT4,
				.dst = SRV4,
				.proto = IPPROTO_TCP,
				.sport = 40000,
				.dport = 80,
				.tcp_flags = 0x02 };
	double off = 0, on = 0;
	int rv;

	for (int round = 0; round < ROUNDS; round++) {
		if (set_log(h, false))
			return 1;
		keep_best(&off, ns_once(h->xdp_fd, &syn, &rv));
		if (set_log(h, true))
			return 1;
		keep_best(&on, ns_once(h->xdp_fd, &syn, &rv));
	}
	printf("drop log cost: off %.1f ns/pkt, on %.1f ns/pkt, ratio %.2f\n",
	       off, on, on / off);
	return 0;
}

static int usage(FILE *f, int code)
{
	fputs("usage: pc-bench [CSV]          the path table "
	      "(default build/bench/bench.csv)\n"
	      "       pc-bench --log-cost     the drop log on and off\n"
	      "       pc-bench --scaling CSV  tables growing\n"
	      "PC_BENCH_ONLY=substring runs the paths whose name has it.\n",
	      f);
	return code;
}

/* Are the arguments one of the forms usage() shows? */
static bool args_ok(int argc, char **argv)
{
	if (argc == 1)
		return true;
	if (!strcmp(argv[1], "--scaling"))
		return argc == 3;
	if (!strcmp(argv[1], "--log-cost"))
		return argc == 2;
	return argc == 2 && argv[1][0] != '-'; /* a CSV path */
}

int main(int argc, char **argv)
{
	const char *csv_path = argc > 1 ? argv[1] : "build/bench/bench.csv";
	struct harness h = { .group = "bench" };
	int err;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	if (!args_ok(argc, argv))
		return usage(stderr, 2);
	libbpf_set_print(quiet);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--log-cost"))
		err = h_setup(&h, NULL, 0) ? 1 : log_cost(&h);
	else if (argc > 2 && !strcmp(argv[1], "--scaling"))
		err = scaling(argv[2]);
	else
		err = bench_paths(csv_path);
	clock_report();
	return err;
}
