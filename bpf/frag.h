/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IP fragments. Later fragments carry no ports, so they are judged by the
 * first: when a first fragment passes, its datagram (addresses, protocol,
 * ID, direction) is noted; a later fragment passes only when its datagram
 * is noted and its offset cannot rewrite the L4 header (RFC 1858).
 */
#ifndef PC_FRAG_H
#define PC_FRAG_H

#include "clock.h"
#include "config.h"
#include "maps.h"
#include "parse.h"

static __always_inline void pc_frag_key(const struct pc_pkt *p, __u8 dir,
					struct pc_frag_key *k)
{
	k->family = p->family;
	k->proto = p->l4proto;
	k->dir = dir;
	k->pad = 0;
	k->id = p->frag_id;
	__builtin_memcpy(k->saddr, p->saddr, 16);
	__builtin_memcpy(k->daddr, p->daddr, 16);
}

/* Called at the exit when a first fragment passed. */
static __always_inline void pc_frag_note(const struct pc_pkt *p, __u8 dir,
					 __u64 now)
{
	struct pc_frag_key k;

	if (dry_run)
		return;
	pc_frag_key(p, dir, &k);
	bpf_map_update_elem(&frags, &k, &now, BPF_ANY);
}

/* A later fragment: 1 when its first fragment passed, 0 otherwise. */
static __always_inline int pc_frag_allowed(const struct pc_pkt *p, __u8 dir,
					   __u64 now)
{
	struct pc_frag_key k;
	__u64 *seen;

	/* An offset inside the TCP header could rewrite ports or flags. */
	if (p->l4proto == IPPROTO_TCP && p->frag_offset * 8 < 20)
		return 0;
	pc_frag_key(p, dir, &k);
	seen = bpf_map_lookup_elem(&frags, &k);
	return seen && pc_since(now, *seen) <= PC_FRAG_TIMEOUT_NS;
}

#endif /* PC_FRAG_H */
