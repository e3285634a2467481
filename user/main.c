// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* portcullis CLI: subcommands in the style of bpftool. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "loader.h"
#include "policy.h"
#include "show.h"
#include "check.h"
#include "flows.h"
#include "names.h"
#include "confirm.h"
#include "reload.h"
#include "resolve.h"
#include "trace.h"
#include "log.h"
#include "metrics.h"

static const char usage[] =
	"Usage: portcullis [-v] COMMAND [OPTIONS]\n"
	"\n"
	"Lock a server down: only SSH and replies come in, only the allowlist\n"
	"goes out. Enforced by XDP (ingress) and tc (egress) programs that stay\n"
	"attached after the command exits.\n"
	"\n"
	"Commands:\n"
	"  up     --iface IF [--netns NAME] [--policy FILE] [--xdp|--generic|--tc]\n"
	"         [--confirm SECONDS] [--force]\n"
	"         attach to IF and enforce FILE (default: the built-in policy);\n"
	"         inbound is judged by XDP (native, generic when the driver has\n"
	"         none), or at tc ingress on a veth (no copy, keeps TSO/GRO);\n"
	"         --xdp, --generic (generic XDP) or --tc choose it\n"
	"         with --confirm, the kernel stops dropping (audits every drop)\n"
	"         unless 'confirm' runs within SECONDS\n"
	"  reload --iface IF [--netns NAME] [--policy FILE] [--confirm SECONDS] [--force]\n"
	"         [--json]\n"
	"         swap the whole policy atomically; flows of rules it removes\n"
	"         or changes that it no longer allows end; with --confirm, the kernel\n"
	"         rolls back unless 'confirm' runs within SECONDS\n"
	"  confirm --iface IF [--netns NAME]  keep the policy of an up or reload\n"
	"         --confirm\n"
	"  down   --iface IF [--netns NAME]   detach and remove the pins\n"
	"  status [--json]                    what is attached, policy, flow fill\n"
	"  stats  [--iface IF] [--netns NAME] [--json] [--watch] [--sort packets|bytes|name]\n"
	"         packets and bytes for every rule, built-in and policy, totals,\n"
	"         rules that never matched; --watch redraws every second\n"
	"  flows  [--iface IF] [--netns NAME] [--json] [--to PREFIX] [--rule NAME]\n"
	"         [--end]  tracked flows with state, age and idle time; --end\n"
	"         (needs --iface) ends those flows now: their next packets are\n"
	"         judged as new ones (what conntrack -D does for iptables)\n"
	"  trace  --iface IF [--netns NAME] in|out [tcp|udp|icmp] from A to B\n"
	"         [sport N] [dport N] [flags SA..]: why is it passed or dropped?\n"
	"         (a dry run against the live maps; changes nothing)\n"
	"  log    [--iface IF] [--netns NAME] [--json] [--follow] [--count N]\n"
	"         [--reason NAME] [--pcap FILE]   the drop log (rate-limited in\n"
	"         the kernel); --pcap writes the packets for tcpdump/Wireshark\n"
	"  metrics [--textfile DIR]           Prometheus text format, to stdout or\n"
	"         atomically to DIR/portcullis.prom (node_exporter textfile)\n"
	"  refresh --iface IF [--netns NAME]  resolve the policy's host names once\n"
	"  run    --iface IF [--netns NAME]   keep them resolved (TTL-driven, for\n"
	"         systemd); enforcement never depends on it running\n"
	"  names  [--iface IF] [--netns NAME] [--json]\n"
	"         host names of the policy and the addresses learned for them\n"
	"  check  [FILE]                      validate a policy, change nothing\n"
	"  default-policy                     print the built-in policy\n"
	"\n"
	"Options:\n"
	"  -j, --json     machine-readable output (status, stats, flows, names,\n"
	"                 log, reload)\n"
	"  -v, --verbose  show libbpf's debug output\n"
	"  --force        up/reload even if the policy would cut the SSH\n"
	"                 session you run this from (SSH_CONNECTION)\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  environment error (not root, no such netns or interface)\n"
	"  2  usage error\n"
	"  3  invalid policy\n"
	"  4  kernel error (BPF load, attach, pin, map access)\n"
	"  5  state error (already up, not up, nothing to confirm, or another\n"
	"     command held the interface for 10 s)\n"
	"  6  refused: the policy would cut your SSH session (see --force)\n";

struct args {
	const char *ifname, *netns, *policy;
	bool json, xdp, generic, tc, force, follow, watch;
	const char *sort;
	unsigned int confirm;
	const char *pcap, *reason, *textfile, *to, *rule;
	bool end;
	long count;
	int nargs;
	char **args;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !pc_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "netns", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "xdp", no_argument, NULL, 'X' },
		{ "generic", no_argument, NULL, 'g' },
		{ "tc", no_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "follow", no_argument, NULL, 'F' },
		{ "watch", no_argument, NULL, 'w' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "sort", required_argument, NULL, 's' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "reason", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'C' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 'D' },
		{ "rule", required_argument, NULL, 'R' },
		{ "end", no_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:n:p:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			a->ifname = optarg;
			break;
		case 'n':
			a->netns = optarg;
			break;
		case 'p':
			a->policy = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'X':
			a->xdp = true;
			break;
		case 'g':
			a->generic = true;
			break;
		case 't':
			a->tc = true;
			break;
		case 'f':
			a->force = true;
			break;
		case 'F':
			a->follow = true;
			break;
		case 'w':
			a->watch = true;
			break;
		case 'T':
			a->textfile = optarg;
			break;
		case 's':
			a->sort = optarg;
			break;
		case 'P':
			a->pcap = optarg;
			break;
		case 'r':
			a->reason = optarg;
			break;
		case 'C':
			a->count = strtol(optarg, NULL, 10);
			break;
		case 'D':
			a->to = optarg;
			break;
		case 'R':
			a->rule = optarg;
			break;
		case 'E':
			a->end = true;
			break;
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || v < 1 || v > 86400) {
				pc_err(NULL,
				       "--confirm takes seconds, 1 to 86400");
				return -1;
			}
			a->confirm = v;
			break;
		}
		case 'v':
			pc_verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(PC_EXIT_OK);
		default:
			return -1;
		}
	}
	a->nargs = argc - optind;
	a->args = argv + optind;
	return 0;
}

static int need_iface(const struct args *a, const char *cmd)
{
	if (a->ifname)
		return 0;
	char hint[96];

	snprintf(hint, sizeof(hint), "for example: portcullis %s --iface eth0",
		 cmd);
	pc_err(hint, "%s needs --iface IF", cmd);
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = {};
	const char *cmd;

	/* Global options before the command. */
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			pc_verbose = true;
		} else if (!strcmp(argv[1], "-h") ||
			   !strcmp(argv[1], "--help")) {
			fputs(usage, stdout);
			return PC_EXIT_OK;
		} else if (!strcmp(argv[1], "-j") ||
			   !strcmp(argv[1], "--json")) {
			a.json = true;
		} else {
			break;
		}
		argv++;
		argc--;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return PC_EXIT_USAGE;
	}
	cmd = argv[1];
	if (parse_args(argc - 1, argv + 1, &a)) {
		fprintf(stderr, "see 'portcullis --help'\n");
		return PC_EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);

	if (!strcmp(cmd, "up")) {
		struct pc_up_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.policy = a.policy,
			.inbound = a.xdp     ? PC_INBOUND_XDP :
				   a.generic ? PC_INBOUND_GENERIC :
				   a.tc	     ? PC_INBOUND_TC :
					       PC_INBOUND_AUTO,
			.force = a.force,
			.confirm_secs = a.confirm,
		};
		if (a.xdp + a.generic + a.tc > 1) {
			pc_err("pick one: --xdp (XDP), --generic (generic XDP) or --tc (tc ingress)",
			       "up: --xdp, --generic and --tc exclude each other");
			return PC_EXIT_USAGE;
		}
		return need_iface(&a, cmd) ? PC_EXIT_USAGE : pc_up(&o);
	}
	if (!strcmp(cmd, "reload")) {
		struct pc_reload_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.policy = a.policy,
			.confirm_secs = a.confirm,
			.force = a.force,
			.json = a.json,
		};
		return need_iface(&a, cmd) ? PC_EXIT_USAGE : pc_reload(&o);
	}
	if (!strcmp(cmd, "confirm"))
		return need_iface(&a, cmd) ? PC_EXIT_USAGE :
					     pc_confirm(a.ifname, a.netns);
	if (!strcmp(cmd, "down"))
		return need_iface(&a, cmd) ? PC_EXIT_USAGE :
					     pc_down(a.ifname, a.netns);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats") ||
	    !strcmp(cmd, "flows") || !strcmp(cmd, "names")) {
		struct pc_show_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.json = a.json,
			.watch = a.watch,
			.sort = a.sort,
			.to = a.to,
			.rule = a.rule,
			.end = a.end,
		};
		if (cmd[0] == 'f')
			return a.end && need_iface(&a, "flows --end") ?
				       PC_EXIT_USAGE :
				       pc_cmd_flows(&o);
		if (cmd[0] == 'n')
			return pc_cmd_names(&o);
		return cmd[4] == 'u' ? pc_cmd_status(&o) : pc_cmd_stats(&o);
	}
	if (!strcmp(cmd, "trace")) {
		struct pc_trace_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.json = a.json,
			.argc = a.nargs,
			.argv = a.args,
		};
		return need_iface(&a, cmd) ? PC_EXIT_USAGE : pc_cmd_trace(&o);
	}
	if (!strcmp(cmd, "log")) {
		struct pc_log_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.json = a.json,
			.follow = a.follow,
			.pcap = a.pcap,
			.reason = a.reason,
			.count = a.count,
		};
		return pc_cmd_log(&o);
	}
	if (!strcmp(cmd, "refresh") || !strcmp(cmd, "run")) {
		struct pc_resolve_opts o = {
			.ifname = a.ifname,
			.netns = a.netns,
			.loop = cmd[1] == 'u',
		};
		return need_iface(&a, cmd) ? PC_EXIT_USAGE : pc_cmd_resolve(&o);
	}
	if (!strcmp(cmd, "metrics"))
		return pc_cmd_metrics(a.textfile);
	if (!strcmp(cmd, "check"))
		return pc_cmd_check(a.nargs ? a.args[0] : a.policy);
	if (!strcmp(cmd, "default-policy")) {
		fwrite(pc_default_policy, 1,
		       pc_default_policy_end - pc_default_policy, stdout);
		return PC_EXIT_OK;
	}
	if (!strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return PC_EXIT_OK;
	}
	pc_err("see 'portcullis --help'", "unknown command '%s'", cmd);
	return PC_EXIT_USAGE;
}
