// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Timing and setup the bench programs share (bench.h). */
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

/* Attach prog_fd natively to ifindex (called name): 0, or -1 (said why). */
static int xdp_attach(int ifindex, const char *name, int prog_fd)
{
	if (!bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		return 0;
	fprintf(stderr, "bench: attaching an XDP program to %s failed\n", name);
	return -1;
}

/*
 * Make veth name (its peer: peer) in the bench's namespace and attach
 * prog_fd to it natively. Its ifindex, or 0 (said why).
 */
static int veth_xdp(const char *name, const char *peer, int prog_fd)
{
	char cmd[96];
	int ifindex;

	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s",
		 name, peer);
	if (system(cmd) || !(ifindex = if_nametoindex(name))) {
		fprintf(stderr, "bench: making veth %s failed\n", name);
		return 0;
	}
	return xdp_attach(ifindex, name, prog_fd) ? 0 : ifindex;
}

/*
 * An XDP test run adds its program to the kernel's XDP dispatcher and takes
 * it out again, each a synchronize_rcu(): 10-40 ms per call outside the
 * kernel's clock, which itself gives whole ns only. While the program is
 * attached to a device it stays in the dispatcher, and the call's own clock
 * over REPEAT frames gives the per-frame cost to a tenth of a ns. So the
 * XDP program about to be timed is attached, natively, to a veth of the
 * bench's own network namespace (main unshares one; it and the veth go
 * away with the process), one program at a time, as in a plain test run.
 * Returns 0, or -1 when it cannot be held there.
 */
static int xdp_hold(int prog_fd)
{
	static __u32 held; /* the id of the program attached, 0: none */
	static int ifindex;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -1;
	if (info.type != BPF_PROG_TYPE_XDP || info.id == held)
		return 0;
	if (!ifindex)
		ifindex = veth_xdp("pcb0", "pcb1", prog_fd);
	else if (xdp_attach(ifindex, "pcb0", prog_fd))
		return -1;
	if (!ifindex)
		return -1;
	held = info.id;
	return 0;
}

int xdp_keep(int prog_fd)
{
	static int n; /* veths made so far */
	char name[IFNAMSIZ], peer[IFNAMSIZ];

	snprintf(name, sizeof(name), "pck%d", n);
	snprintf(peer, sizeof(peer), "pcp%d", n++);
	return veth_xdp(name, peer, prog_fd) ? 0 : -1;
}

/*
 * Timed calls, and those that spent 2 ns a frame or more outside the
 * kernel's clock (see clock_report).
 */
static int calls, outside;

static double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

double ns_once(int prog_fd, const struct pkt_spec *s, int *retval)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = REPEAT);
	double t0, t1;

	if (xdp_hold(prog_fd))
		return -1;
	t0 = mono_ns();
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	t1 = mono_ns();
	*retval = opts.retval;
	/*
	 * The call's clock: the kernel's figure is the same time cut to whole
	 * ns. The call can also hold a reschedule the kernel's clock leaves
	 * out; the best of the rounds leaves such a run out.
	 */
	calls++;
	if ((t1 - t0) / REPEAT >= opts.duration + 2.0)
		outside++;
	return (t1 - t0) / REPEAT;
}

void clock_report(void)
{
	if (calls)
		printf("timing: %d of %d calls 2 ns a frame or more over the "
		       "kernel's clock (preempted: the best of %d rounds "
		       "leaves them out)\n",
		       outside, calls, ROUNDS);
}

int pair_once(const int fds[2], const struct pkt_spec *s, const int want[2],
	      double sum[2])
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));

	for (int k = 0; k < 2; k++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
			    .data_size_in = len, .repeat = 1);

		if (bpf_prog_test_run_opts(fds[k], &opts) ||
		    (int)opts.retval != want[k])
			return -1;
		sum[k] += opts.duration;
	}
	return 0;
}

void keep_best(double *best, double ns)
{
	if (ns >= 0 && (*best == 0 || ns < *best))
		*best = ns;
}

int spec_key(const struct pkt_spec *s, bool egress, struct pc_flow_key *k)
{
	const char *local = egress ? s->src : s->dst;
	const char *remote = egress ? s->dst : s->src;

	memset(k, 0, sizeof(*k));
	k->family = s->family;
	k->proto = s->proto;
	k->lport = htons(egress ? s->sport : s->dport);
	k->rport = htons(egress ? s->dport : s->sport);
	if (inet_pton(s->family, local, k->laddr) != 1 ||
	    inet_pton(s->family, remote, k->raddr) != 1)
		return -1;
	return 0;
}

/*
 * Put the key the reference programs build for s into ref_flows, so they
 * find it: the fair reference for a path that finds its flow (a hit reads
 * the entry and compares the key; a miss in an empty bucket does not).
 */
int ref_set(struct bench_ref *ref, const struct pkt_spec *s, bool present)
{
	struct pc_flow_val v = { .state = PC_FS_ESTABLISHED };
	struct pc_flow_key kin, kout;
	struct pc_flow4_key in4, out4;
	const void *in = &kin, *out = &kout;
	int fd = bpf_map__fd(ref->maps.ref_flows6);

	if (spec_key(s, false, &kin) || spec_key(s, true, &kout))
		return -1;
	if (s->family == AF_INET) {
		pc_flow4_key_of(&kin, &in4);
		pc_flow4_key_of(&kout, &out4);
		in = &in4;
		out = &out4;
		fd = bpf_map__fd(ref->maps.ref_flows);
	}
	if (!present) {
		bpf_map_delete_elem(fd, in);
		bpf_map_delete_elem(fd, out);
		return 0;
	}
	return bpf_map_update_elem(fd, in, &v, BPF_ANY) ||
	       bpf_map_update_elem(fd, out, &v, BPF_ANY);
}

int cfg_read(struct harness *h, __u32 *slot, struct pc_config *cfg)
{
	struct pc_active act;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->m.active, &zero, &act))
		return -1;
	*slot = act.slot;
	return bpf_map_lookup_elem(h->m.policy_cfg, slot, cfg);
}

int cfg_write(struct harness *h, __u32 slot, const struct pc_config *cfg)
{
	return bpf_map_update_elem(h->m.policy_cfg, &slot, cfg, BPF_ANY);
}
