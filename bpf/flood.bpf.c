// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The bench's traffic generator (tests/bench/flood.c): run with
 * BPF_PROG_TEST_RUN in live-frames mode, it gives each copy of a template
 * IPv4 TCP/UDP frame a random source address (in the template's /24) and
 * port, fixes the checksums incrementally, and redirects it to tx_ifindex.
 * Frames leave as XDP frames, so a veth peer with native XDP judges them
 * without an skb copy, as a NIC driver would.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 tx_ifindex = 0;

/* RFC 1624: HC' = ~(~HC + ~m + m') for one 16-bit word. */
static __always_inline void csum_replace2(__u16 *sum, __u16 old, __u16 new)
{
	__u32 s = (__u16) ~*sum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*sum = ~s;
}

SEC("xdp")
int flood_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u16 *l4, *l4sum, old_hi, old_lo, new_hi, new_lo, old_port, port;
	__u32 r = bpf_get_prandom_u32();

	if ((void *)(ip + 1) > end || ip->ihl != 5)
		return XDP_ABORTED;
	l4 = (void *)(ip + 1);
	if ((void *)(l4 + 10) > end)
		return XDP_ABORTED;
	l4sum = ip->protocol == IPPROTO_TCP ? &l4[8] : &l4[3];

	/* source address: keep the /24, random host part 1..254 */
	old_hi = ((__u16 *)&ip->saddr)[0];
	old_lo = ((__u16 *)&ip->saddr)[1];
	((__u8 *)&ip->saddr)[3] = 1 + (r & 0xff) % 254;
	new_hi = ((__u16 *)&ip->saddr)[0];
	new_lo = ((__u16 *)&ip->saddr)[1];
	csum_replace2(&ip->check, old_lo, new_lo);
	csum_replace2(l4sum, old_hi, new_hi);
	csum_replace2(l4sum, old_lo, new_lo);

	/* source port: random above 1024 */
	old_port = l4[0];
	port = bpf_htons(1024 + (r >> 16) % 60000);
	l4[0] = port;
	csum_replace2(l4sum, old_port, port);
	return bpf_redirect(tx_ifindex, 0);
}
