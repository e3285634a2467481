// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Timing and setup the bench programs share (bench.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

double ns_once(int prog_fd, const struct pkt_spec *s, int *retval)
{
	uint8_t buf[PKT_MAX];
	size_t len = pkt_build(s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -1;
	*retval = opts.retval;
	return opts.duration;
}

void keep_best(double *best, double ns)
{
	if (ns >= 0 && (*best == 0 || ns < *best))
		*best = ns;
}

/*
 * Put the key the reference programs build for s into ref_flows, so they
 * find it: the fair reference for a path that finds its flow (a hit reads
 * the entry and compares the key; a miss in an empty bucket does not).
 */
int ref_set(struct bench_ref *ref, const struct pkt_spec *s, bool present)
{
	struct pc_flow_key in = { .family = AF_INET,
				  .proto = s->proto,
				  .lport = htons(s->dport),
				  .rport = htons(s->sport) };
	struct pc_flow_key out = { .family = AF_INET,
				   .proto = s->proto,
				   .lport = htons(s->sport),
				   .rport = htons(s->dport) };
	struct pc_flow_val v = { .state = PC_FS_ESTABLISHED };
	int fd = bpf_map__fd(ref->maps.ref_flows);

	if (inet_pton(AF_INET, s->dst, in.laddr) != 1 ||
	    inet_pton(AF_INET, s->src, in.raddr) != 1)
		return -1;
	memcpy(out.laddr, in.raddr, 4);
	memcpy(out.raddr, in.laddr, 4);
	if (!present) {
		bpf_map_delete_elem(fd, &in);
		bpf_map_delete_elem(fd, &out);
		return 0;
	}
	return bpf_map_update_elem(fd, &in, &v, BPF_ANY) ||
	       bpf_map_update_elem(fd, &out, &v, BPF_ANY);
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
