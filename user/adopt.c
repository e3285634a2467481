// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "adopt.h"
#include "common.h"
#include "flowtab.h"
#include "portcullis.h"

#define TCP_ESTABLISHED 1 /* also "connected" for UDP sockets */

/* The rule of an address learned or seeded for a host name, or 0. */
static __u32 dyn_rule(const struct pc_maps *m, int family, __u8 proto,
		      const __be32 *addr, __be16 port)
{
	struct pc_dyn_key k = { .family = family,
				.proto = proto,
				.port = port };
	struct pc_dyn_val v;

	memcpy(k.addr, addr, 16);
	if (bpf_map_lookup_elem(m->dyn_allow, &k, &v)) {
		k.port = 0;
		if (bpf_map_lookup_elem(m->dyn_allow, &k, &v))
			return 0;
	}
	return pc_clock_now_ns() < v.expires_ns ? v.rule_id : 0;
}

/*
 * The rule for a destination, asked of the kernel's own maps as egress
 * would: the static allowlist (LPM), then host-name addresses.
 */
static __u32 allow_rule(const struct pc_maps *m, __u8 slot, int family,
			__u8 proto, const __be32 *addr, __be16 port)
{
	struct pc_allow_val v;
	__be16 ports[2] = { port, 0 };

	for (int i = 0; i < 2; i++) {
		int err;

		if (family == AF_INET) {
			struct pc_allow4_key k = {
				.prefixlen = PC_ALLOW_HDR_BITS + 32,
				.slot = slot,
				.proto = proto,
				.port = ports[i],
				.addr = addr[0],
			};
			err = bpf_map_lookup_elem(m->allow4, &k, &v);
		} else {
			struct pc_allow6_key k = {
				.prefixlen = PC_ALLOW_HDR_BITS + 128,
				.slot = slot,
				.proto = proto,
				.port = ports[i],
			};
			memcpy(k.addr, addr, 16);
			err = bpf_map_lookup_elem(m->allow6, &k, &v);
		}
		if (!err)
			return v.rule_id;
	}
	return dyn_rule(m, family, proto, addr, port);
}

/* Let ingress look this remote port up (the flow_rports bitmap). */
static void mark_rport(const struct pc_maps *m, __be16 port)
{
	__u32 word = ntohs(port) / 64;
	__u64 bits;

	if (bpf_map_lookup_elem(m->flow_rports, &word, &bits))
		return;
	bits |= 1ULL << (ntohs(port) % 64);
	bpf_map_update_elem(m->flow_rports, &word, &bits, BPF_ANY);
}

/* What adopting one socket needs: the maps and the policy in force. */
struct adopt {
	const struct pc_maps *m;
	__u32 slot;
	struct pc_config cfg;
};

static int adopt_one(const struct adopt *a, __u8 proto,
		     const struct inet_diag_msg *d)
{
	struct pc_flow_key k = {
		.family = d->idiag_family,
		.proto = proto,
		.lport = d->id.idiag_sport,
		.rport = d->id.idiag_dport,
	};
	struct pc_flow_val v = {
		.state = PC_FS_ESTABLISHED,
		.flags = PC_FF_ADOPTED,
	};

	memcpy(k.laddr, d->id.idiag_src, 16);
	memcpy(k.raddr, d->id.idiag_dst, 16);
	v.rule_id =
		allow_rule(a->m, a->slot, k.family, proto, k.raddr, k.rport);
	if (!v.rule_id)
		return 0;
	v.created_ns = v.seen_ns = pc_clock_now_ns();
	v.expires_ns = v.seen_ns + pc_flow_timeout_ns(&a->cfg, proto, v.state);
	if (pc_flows_put(a->m, &k, &v, BPF_NOEXIST))
		return 0;
	mark_rport(a->m, k.rport);
	return 1;
}

/* One sock_diag dump of established sockets of a family and protocol. */
static int dump(const struct adopt *a, int family, __u8 proto)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = family,
			 .sdiag_protocol = proto,
			 .idiag_states = 1 << TCP_ESTABLISHED },
	};
	char buf[16384];
	int fd, n = 0, done = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		close(fd);
		return -1;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			break;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			n += adopt_one(a, proto, NLMSG_DATA(h));
		}
	}
	close(fd);
	return n;
}

int pc_adopt_connections(const struct pc_maps *m)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct adopt a = { .m = m };
	struct pc_active act;
	__u32 zero = 0;
	int total = 0;

	if (bpf_map_lookup_elem(m->active, &zero, &act))
		return -1;
	a.slot = act.slot & 1;
	if (bpf_map_lookup_elem(m->policy_cfg, &a.slot, &a.cfg))
		return -1;
	for (size_t f = 0; f < PC_ARRAY_SIZE(families); f++)
		for (size_t p = 0; p < PC_ARRAY_SIZE(protos); p++) {
			int n = dump(&a, families[f], protos[p]);

			if (n < 0)
				return -1;
			total += n;
		}
	return total;
}
