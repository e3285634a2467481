// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reference programs for `make bench`, measured in the same run as the
 * real ones: the floor (drop everything) and "parse + one hash lookup".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "portcullis.h"
#include "portcullis/bench.h"
#include "compiler.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * ref_flows: written by the bench (the key of the frame it wants a hit
 * for) and by ref_insert_tc, read by ref_lookup and ref_lookup_tc. Shaped
 * like the IPv4 flow table (flows4: key, value, default size), so a lookup
 * hashes as many bytes, and a lookup of another flow every run walks as
 * cold a bucket array.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_FLOWS);
	__type(key, struct pc_flow4_key);
	__type(value, struct pc_flow_val);
} ref_flows SEC(".maps");

/* ref_flows6: the same for IPv6 frames, shaped like flows6 (40-byte key). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_FLOWS);
	__type(key, struct pc_flow_key);
	__type(value, struct pc_flow_val);
} ref_flows6 SEC(".maps");

SEC("xdp")
int ref_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/* Pass everything: the cost of having any XDP program on a veth. */
SEC("xdp")
int ref_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* The IPv4 flow key of parsed frame p (ingress: local is the destination). */
static __always_inline void ref_key4(const struct pc_pkt *p, int ingress,
				     struct pc_flow4_key *k)
{
	k->family = p->family;
	k->proto = p->l4proto;
	k->lport = ingress ? p->dport : p->sport;
	k->rport = ingress ? p->sport : p->dport;
	k->laddr = ingress ? p->daddr[0] : p->saddr[0];
	k->raddr = ingress ? p->saddr[0] : p->daddr[0];
}

/*
 * Parse the frame and look its flow up in its family's table, as the real
 * programs do: 1 found, 0 not, -1 unparsable.
 */
static __always_inline int ref_find(void *data, void *data_end, int ingress)
{
	struct pc_flow4_key k4 = {};
	struct pc_flow_key k = {};
	struct pc_pkt p = {};
	void *v;

	if (parse_packet(data, data_end, &p) < 0)
		return -1;
	if (p.family == AF_INET6) {
		k.family = p.family;
		k.proto = p.l4proto;
		k.lport = ingress ? p.dport : p.sport;
		k.rport = ingress ? p.sport : p.dport;
		__builtin_memcpy(k.laddr, ingress ? p.daddr : p.saddr, 16);
		__builtin_memcpy(k.raddr, ingress ? p.saddr : p.daddr, 16);
		v = bpf_map_lookup_elem(&ref_flows6, &k);
		pc_keep(v);
		return v != NULL;
	}
	ref_key4(&p, ingress, &k4);
	return bpf_map_lookup_elem(&ref_flows, &k4) != NULL;
}

SEC("xdp")
int ref_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return ref_find(data, data_end, 1) == 1 ? XDP_PASS : XDP_DROP;
}

/* The same reference on the tc hook, for the egress paths. */
SEC("tc")
int ref_lookup_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return ref_find(data, data_end, 0) == 1 ? 0 : 2; /* OK : SHOT */
}

/*
 * The least a stateful firewall does for a new flow: parse, look the flow
 * up, and write its entry (over the one the previous run wrote: the same
 * hash update the real program makes over an expired entry).
 */
SEC("tc")
int ref_insert_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct pc_flow_val v = { .state = PC_FS_NEW };
	struct pc_flow4_key k = {};
	struct pc_pkt p = {};

	if (parse_packet(data, data_end, &p) < 0)
		return 2;
	ref_key4(&p, 0, &k);
	bpf_map_lookup_elem(&ref_flows, &k);
	return bpf_map_update_elem(&ref_flows, &k, &v, BPF_ANY) ? 2 : 0;
}

/*
 * ref_rnd_cfg: written by the bench (the table's flow count, the slot to
 * time), read by ref_random. Key: 0. Value: struct pc_bench_rnd.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_bench_rnd);
} ref_rnd_cfg SEC(".maps");

/*
 * ref_rnd_jmp: written by the bench (the programs to time: this object's
 * ref_lookup and ref_drop, portcullis's pc_ingress), read by ref_random's
 * tail call. Key: enum pc_bench_rnd_slot. Value: a program fd.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, PC_BENCH_RND_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} ref_rnd_jmp SEC(".maps");

/*
 * The random-flow driver: each run makes the frame (IPv4 UDP from the
 * edge's 7844 to the server) a packet of a random flow of the table,
 * source address and destination port, and hands it to the program in the
 * configured slot. So one test run of many repeats sends back-to-back
 * packets of random flows, with no per-packet syscall; the driver's own
 * cost is timed with the empty slot and taken out by the bench.
 */
SEC("xdp")
int ref_random(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udph = (void *)(iph + 1);
	struct pc_bench_rnd *cfg;
	__u32 zero = 0, i;

	if ((void *)(udph + 1) > data_end)
		return XDP_ABORTED;
	cfg = bpf_map_lookup_elem(&ref_rnd_cfg, &zero);
	if (!cfg || cfg->flows < 2)
		return XDP_ABORTED;
	i = 1 + bpf_get_prandom_u32() % (cfg->flows - 1);
	iph->saddr = bpf_htonl(PC_BENCH_FLOW_RADDR(i));
	udph->dest = bpf_htons(PC_BENCH_FLOW_LPORT(i));
	bpf_tail_call(ctx, &ref_rnd_jmp, cfg->slot);
	return XDP_ABORTED;
}
