/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the portcullis programs. One skeleton per protected
 * interface: the XDP ingress and tc egress programs share these maps, and
 * the loader pins them under /sys/fs/bpf/portcullis/<netns>/<ifname>/.
 */
#ifndef PC_MAPS_H
#define PC_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "portcullis.h"

/*
 * flows4, flows6: the connection table, one map per address family (an
 * IPv4 key is 16 bytes, an IPv6 key 40: the hash of every lookup reads
 * only what the family needs). Reach them through pc_flow_find/pc_flow_put.
 * Written by: tc egress (creates an entry for a new flow to an allowed
 * destination, refreshes it), XDP ingress (marks it established, refreshes),
 * pc_rejudge at a reload (ends a flow or changes its rule).
 * Read by: both programs; the CLI (`flows`, `status` fill) and the GC.
 * Key: struct pc_flow4_key / pc_flow_key (server's view). Value: struct
 * pc_flow_val. A plain hash, not LRU: when full, a new flow is refused and
 * counted, a live flow is never evicted. Each sized from the policy
 * (flow_table.max_entries, per family) before load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_FLOWS);
	__type(key, struct pc_flow4_key);
	__type(value, struct pc_flow_val);
} flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_FLOWS);
	__type(key, struct pc_flow_key);
	__type(value, struct pc_flow_val);
} flows6 SEC(".maps");

/*
 * flow_rports: a bitmap of the remote ports of the server's flows, so an
 * inbound packet from a port no flow ever used skips the flow table (a
 * flood from random ports then costs one cached load, not a hash miss).
 * Written by: tc egress and the loader (adoption) when they create a flow;
 * bits are never cleared. Read by: XDP ingress. Key: __u32 word (port /
 * 64). Value: __u64 bits.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536 / 64);
	__type(key, __u32);
	__type(value, __u64);
} flow_rports SEC(".maps");

/*
 * frags: datagrams whose first fragment passed, so their later fragments
 * (which carry no ports) may pass too. Written by: both programs when a
 * first fragment passes. Read by: both programs for later fragments.
 * Key: struct pc_frag_key (with direction). Value: __u64 time seen (ns).
 * LRU: entries live for PC_FRAG_TIMEOUT_NS; losing one costs a datagram.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PC_MAX_FRAGS);
	__type(key, struct pc_frag_key);
	__type(value, __u64);
} frags SEC(".maps");

/*
 * allow4 / allow6: the egress allowlist, both policy slots in one trie.
 * Written by: the loader (up/reload fill the inactive slot, then flip).
 * Read by: tc egress, only when a packet matches no flow.
 * Key: struct pc_allow{4,6}_key. Value: struct pc_allow_val (rule id).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PC_MAX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pc_allow4_key);
	__type(value, struct pc_allow_val);
} allow4 SEC(".maps");

/*
 * allow_hosts4 / allow_hosts6: the egress allowlist's one-address entries
 * again, in a hash: most allowlists are host addresses, and a hash lookup
 * costs a third of a trie walk. A hit is the trie's answer too (no prefix
 * is longer); on a miss the trie is asked only when the slot has wider
 * prefixes (PC_CFG_PREFIXES4/6). Written by: the loader, with allow4/6.
 * Read by: tc egress. Key: struct pc_allow{4,6}_key with the full prefix
 * length. Value: struct pc_allow_val. Not preallocated: sized on demand.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_MAX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pc_allow4_key);
	__type(value, struct pc_allow_val);
} allow_hosts4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_MAX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pc_allow6_key);
	__type(value, struct pc_allow_val);
} allow_hosts6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PC_MAX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pc_allow6_key);
	__type(value, struct pc_allow_val);
} allow6 SEC(".maps");

/*
 * policy_cfg: policy scalars (SSH ports, timeouts), one entry per slot.
 * Written by: the loader, inactive slot only. Read by: both programs.
 * Key: __u32 slot (0 or 1). Value: struct pc_config.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct pc_config);
} policy_cfg SEC(".maps");

/*
 * active: which slot of policy_cfg/allow4/allow6 is in force. One 32-bit store
 * by the loader switches the whole policy; a program reads it at most once
 * per packet. Key: __u32 0. Value: struct pc_active.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_active);
} active SEC(".maps");

/*
 * local_addrs: the interface's own addresses (martian sources).
 * Written by: the loader at up. Read by: XDP ingress.
 * Key: struct pc_addr_key. Value: __u32 (unused, 1).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_MAX_LOCAL_ADDRS);
	__type(key, struct pc_addr_key);
	__type(value, __u32);
} local_addrs SEC(".maps");

/*
 * local_bloom: the own addresses' bits (struct pc_addr_bloom), so most
 * sources skip the local_addrs lookup.
 * Written by: the loader at up, with local_addrs (pc_local_addr_add).
 * Read by: XDP ingress and DNS snooping. Key: __u32 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_addr_bloom);
} local_bloom SEC(".maps");

/*
 * allow_ports: the ports egress rules name, per slot and protocol, for
 * listed addresses and for host names (see pc_port_word and struct
 * pc_port_bits in portcullis.h). Written by: the loader, into the inactive
 * slot before the switch. Read by: tc egress, before the allowlist lookups.
 * Key: __u32 pc_port_word(). Value: struct pc_port_bits, bit (port % 64).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PC_PORT_ENTRIES);
	__type(key, __u32);
	__type(value, struct pc_port_bits);
} allow_ports SEC(".maps");

/*
 * counters: packets and bytes per reason and per policy rule, per CPU.
 * Written by: both programs (the one exit of each). Read by: the CLI,
 * which sums the CPUs. Key: __u32 row (see PC_RULE_BASE). Value:
 * struct pc_counter. Never cleared by reload.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_MAX_COUNTERS);
	__type(key, __u32);
	__type(value, struct pc_counter);
} counters SEC(".maps");

/*
 * rules: names and kinds of the policy rules, the slots that use each and
 * a fingerprint of each slot's definition. Written by: the loader and
 * reload. Read by: the CLI (stats), reload (which rules changed), and
 * egress (is a learned address's rule in the slot in force? pc_dyn_lookup).
 * Key: __u32 rule id. Value: struct pc_rule_meta.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PC_MAX_RULES);
	__type(key, __u32);
	__type(value, struct pc_rule_meta);
} rules SEC(".maps");

/*
 * info: what is attached and from which policy.
 * Written by: the loader (up, reload). Read by: the CLI (status).
 * Key: __u32 0. Value: struct pc_info.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_info);
} info SEC(".maps");

/*
 * gc: the flow collector's timer and work item (bpf/gc.h), and what it
 * did (runs, entries collected). Written by pc_gc_arm, run once at up, and
 * by the callbacks, which re-arm themselves, so collection needs no
 * process. Read by: the callbacks; bpftool, for a person asking whether
 * the collector runs. Key: __u32 0. Value: struct pc_gc_state.
 */
struct pc_gc_state {
	struct bpf_timer timer;
	struct bpf_wq wq;
	__u64 runs;
	__u64 collected;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_gc_state);
} gc SEC(".maps");

/*
 * ssh_rl: per-source state of the SSH rate limit (GCRA).
 * Written and read by: XDP ingress, for new SSH connections only.
 * Key: struct pc_ssh_rl_key (IPv6 by /64). Value: __u64 theoretical
 * arrival time (ns). LRU, so a flood from random sources costs a bounded
 * amount of memory (and forgets old sources, which then start afresh).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PC_MAX_SSH_RL);
	__type(key, struct pc_ssh_rl_key);
	__type(value, __u64);
} ssh_rl SEC(".maps");

/*
 * confirm: the confirm-or-rollback timer of `reload --confirm`.
 * Written by: the loader (arm, confirm) and the timer callback.
 * Read by: the timer callback, the CLI (status). Key: __u32 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_confirm_state);
} confirm SEC(".maps");

/*
 * events: drop (and new-flow) reports for `portcullis log`.
 * Written by: both programs' exits (bpf/log.h). Read by: the CLI.
 * Records: struct pc_event.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PC_EVENTS_BYTES);
} events SEC(".maps");

/*
 * log_stats: per-CPU token bucket of the log and its accounting.
 * Written by: both programs. Read by: the CLI (stats, metrics).
 * Key: __u32 0. Value: struct pc_log_stats.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_log_stats);
} log_stats SEC(".maps");

/*
 * dyn_allow: addresses learned for the policy's hostnames.
 * Written by: the resolver (user space) and XDP ingress (DNS snooping).
 * Read by: tc egress, after a miss in the static allowlist; the CLI.
 * Key: struct pc_dyn_key. Value: struct pc_dyn_val (expiry, rule, source).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_MAX_DYN);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pc_dyn_key);
	__type(value, struct pc_dyn_val);
} dyn_allow SEC(".maps");

/*
 * dns_names: the hostnames whose DNS answers may add addresses.
 * Written by: the loader. Read by: both programs (snooping).
 * Key: __u32 FNV-1a of the lower-case wire name. Value: struct pc_dns_name.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_MAX_NAMES);
	__type(key, __u32);
	__type(value, struct pc_dns_name);
} dns_names SEC(".maps");

/*
 * dns_pending: queries for those names the server sent, so only a reply
 * from the same resolver, to the same port, with the same ID and question
 * is believed. Written by: tc egress. Read and deleted by: XDP ingress.
 * Key: struct pc_dns_query_key. Value: struct pc_dns_query_val. LRU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pc_dns_query_key);
	__type(value, struct pc_dns_query_val);
} dns_pending SEC(".maps");

/*
 * dns_buf: per-CPU scratch copy of a DNS message being parsed.
 * Written and read by: the snooping code only. Key: __u32 0.
 */
struct pc_dns_buf {
	__u8 b[PC_DNS_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_dns_buf);
} dns_buf SEC(".maps");

/*
 * dns_stats: per-CPU snooping counters. Written by: both programs.
 * Read by: the CLI (names). Key: __u32 0. Value: struct pc_dns_stats.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_dns_stats);
} dns_stats SEC(".maps");

/*
 * dns_reply_prog / dns_reply_tc_prog / dns_query_prog: the snooping
 * programs, tail-called by the verdict programs (XDP ingress, tc ingress,
 * tc egress: a program array serves one program type). Written by: the
 * loader (index 0). Key: __u32 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dns_reply_prog SEC(".maps");

/*
 * tc_again_prog: the tc verdict programs themselves (index 0 pc_ingress_tc,
 * 1 pc_egress), so one judges a packet again from the start once
 * bpf_skb_pull_data made its headers linear: a tail call, where a second
 * inline judgement would have the verifier walk the whole verdict twice.
 * Written by: the loader. Key: __u32 0 or 1.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} tc_again_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dns_reply_tc_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dns_query_prog SEC(".maps");

/*
 * names: the hostnames and their resolver state, for people.
 * Written by: the loader and the resolver. Read by: the CLI (names).
 * Key: __u32 name id. Value: struct pc_name_info.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PC_MAX_NAMES);
	__type(key, __u32);
	__type(value, struct pc_name_info);
} names SEC(".maps");

/*
 * trace: the verdict of the last packet judged by the dry-run instance
 * (`portcullis trace`). Written by: the programs when dry_run is set.
 * Read by: the CLI right after BPF_PROG_TEST_RUN. Key: __u32 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_trace);
} trace SEC(".maps");

#endif /* PC_MAPS_H */
