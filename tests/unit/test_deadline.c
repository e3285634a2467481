// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow deadlines: each stamp sets the deadline of the flow's state, a
 * state change at once, either way; the packet path and trace decide by
 * the deadline alone.
 */
#include <bpf/bpf.h>
#include "common.h"
#include "state.h"

/*
 * Stamp flow k's entry 5 s back (past the refresh interval, within any
 * uptime), with its deadline deadline_in_s from now (not its stamp plus a
 * timeout). Checked: the entry must be there.
 */
static void flow_backdate(struct harness *h, const struct fam *f,
			  const struct pc_flow_key *k, __u64 deadline_in_s)
{
	struct pc_flow_val v;
	bool found = pc_flows_get(&h->m, k, &v) == 0;
	char n[160];

	v.seen_ns = v.created_ns = pc_clock_now_ns() - 5 * SEC;
	v.expires_ns = pc_clock_now_ns() + deadline_in_s * SEC;
	snprintf(n, sizeof(n), "%s deadline: the entry stamped 5 s back",
		 f->tag);
	check(h, n, found && !pc_flows_put(&h->m, k, &v, BPF_EXIST),
	      found ? "writing it failed" : "no flow");
}

/* Check that flow k's deadline is its stamp plus timeout_s. */
static void deadline_is(struct harness *h, const struct fam *f,
			const char *what, const struct pc_flow_key *k,
			__u64 timeout_s, struct pc_flow_val *v)
{
	char n[160];
	bool found = pc_flows_get(&h->m, k, v) == 0;

	snprintf(n, sizeof(n), "%s deadline: %s", f->tag, what);
	check(h, n, found && v->expires_ns == v->seen_ns + timeout_s * SEC,
	      "%s: expires - seen = %lld ns, want %llu s",
	      found ? "found" : "no flow",
	      found ? (long long)(v->expires_ns - v->seen_ns) : 0LL,
	      (unsigned long long)timeout_s);
}

/*
 * A flow's deadline (expires_ns) is set with each stamp from the timeout
 * of its state (the default policy: SYN 30 s, established 7440, FIN 120,
 * close 10, UDP 180), at once when the state changes; a packet within
 * PC_FLOW_REFRESH_NS of the last stamp writes nothing; the packet path
 * decides by the deadline alone; trace tells the time left, or how long
 * ago an entry expired.
 */
static void deadlines(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP, U = IPPROTO_UDP;
	const char *e = f->edge;
	struct pc_flow_key k = fkey(f, T, e, 53000, 7844);
	struct pc_flow_key ku = fkey(f, U, e, 53001, 7844);
	struct pkt_spec reply = seg(f, false, U, e, 53001, 7844, 0, 0, 0);
	struct pc_flow_val v, before;
	struct pc_trace tr;
	__u64 t0, t1;
	int dry, ret;
	char n[160];

	t0 = pc_clock_now_ns();
	t(h, f, "deadline: SYN out", true,
	  seg(f, true, T, e, 53000, 7844, TH_SYN, 100, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t1 = pc_clock_now_ns();
	deadline_is(h, f, "SYN-SENT lives tcp_syn", &k, 30, &v);
	snprintf(n, sizeof(n), "%s deadline: stamped with the packet's clock",
		 f->tag);
	check(h, n,
	      v.seen_ns + 20000000 >= t0 && v.seen_ns <= t1 + 20000000 &&
		      v.created_ns == v.seen_ns,
	      "seen %llu, user clock %llu..%llu", (unsigned long long)v.seen_ns,
	      (unsigned long long)t0, (unsigned long long)t1);
	t(h, f, "deadline: SYN-ACK in", false,
	  seg(f, false, T, e, 53000, 7844, TH_SYN | TH_ACK, 900, 101), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "established at once lives tcp_established", &k, 7440,
		    &before);
	t(h, f, "deadline: ACK out", true,
	  seg(f, true, T, e, 53000, 7844, TH_ACK, 101, 901), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	t1 = pc_clock_now_ns();
	deadline_is(h, f, "still tcp_established after a packet", &k, 7440, &v);
	snprintf(n, sizeof(n),
		 "%s deadline: a packet within the refresh interval writes "
		 "nothing",
		 f->tag);
	check(h, n,
	      v.seen_ns == before.seen_ns ||
		      t1 - before.seen_ns >= PC_FLOW_REFRESH_NS - 20000000,
	      "restamped %llu ns after the last stamp",
	      (unsigned long long)(v.seen_ns - before.seen_ns));
	t(h, f, "deadline: FIN in", false,
	  seg(f, false, T, e, 53000, 7844, TH_FIN | TH_ACK, 901, 101), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "fin-wait lives tcp_fin", &k, 120, &v);
	t(h, f, "deadline: RST in", false,
	  seg(f, false, T, e, 53000, 7844, TH_RST, 902, 0), true,
	  PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "closed lives tcp_close", &k, 10, &v);

	t(h, f, "deadline: UDP out", true,
	  seg(f, true, U, e, 53001, 7844, 0, 0, 0), true, PC_R_OUT_NEW_FLOW,
	  "tunnel-region1");
	t(h, f, "deadline: UDP reply", false, reply, true, PC_R_IN_ESTABLISHED,
	  NULL);
	deadline_is(h, f, "UDP lives udp", &ku, 180, &v);

	/* trace tells the time left */
	dry = h_dry_run(h, false, &reply, &tr, &ret);
	snprintf(n, sizeof(n),
		 "%s deadline: trace says the UDP flow's time left", f->tag);
	check(h, n,
	      !dry && tr.flow_state == PC_FS_ESTABLISHED && !tr.flow_expired &&
		      tr.flow_left_ns > 170 * (__s64)SEC &&
		      tr.flow_left_ns <= 180 * (__s64)SEC,
	      "run %d, state %u, expired %u, left %lld ns", dry, tr.flow_state,
	      tr.flow_expired, (long long)tr.flow_left_ns);

	/* The deadline alone decides: not the stamp plus a timeout. */
	v.expires_ns = pc_clock_now_ns() - 2 * SEC;
	pc_flows_put(&h->m, &ku, &v, BPF_EXIST);
	t(h, f, "deadline: a reply after the deadline has no flow", false,
	  reply, false, PC_R_IN_DEFAULT_DROP, NULL);
	dry = h_dry_run(h, false, &reply, &tr, &ret);
	snprintf(n, sizeof(n),
		 "%s deadline: trace says an entry expired, and how long ago",
		 f->tag);
	check(h, n,
	      !dry && tr.flow_state == PC_FS_ESTABLISHED && tr.flow_expired &&
		      tr.flow_left_ns < -(__s64)SEC &&
		      tr.flow_left_ns > -10 * (__s64)SEC,
	      "run %d, state %u, expired %u, left %lld ns", dry, tr.flow_state,
	      tr.flow_expired, (long long)tr.flow_left_ns);
	flow_backdate(h, f, &ku, 2);
	t(h, f,
	  "deadline: a reply before the deadline passes, the stamp "
	  "notwithstanding",
	  false, reply, true, PC_R_IN_ESTABLISHED, NULL);
	deadline_is(h, f, "the late reply restamped it", &ku, 180, &v);
	pc_flows_delete(&h->m, &k);
	pc_flows_delete(&h->m, &ku);
}

/*
 * The server's own packets: its FIN and RST set the deadline of the new
 * state at once; a UDP packet out after the refresh interval restamps.
 */
static void deadlines_out(struct harness *h, const struct fam *f)
{
	const int T = IPPROTO_TCP, U = IPPROTO_UDP;
	const char *e = f->edge;
	struct pc_flow_key k = fkey(f, T, e, 53002, 7844);
	struct pc_flow_key ku = fkey(f, U, e, 53003, 7844);
	struct pkt_spec out = seg(f, true, U, e, 53003, 7844, 0, 0, 0);
	struct pc_flow_val v;

	t(h, f, "deadline: SYN out, a flow the server ends", true,
	  seg(f, true, T, e, 53002, 7844, TH_SYN, 300, 0), true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	t(h, f, "deadline: its SYN-ACK in", false,
	  seg(f, false, T, e, 53002, 7844, TH_SYN | TH_ACK, 700, 301), true,
	  PC_R_IN_ESTABLISHED, NULL);
	t(h, f, "deadline: FIN out", true,
	  seg(f, true, T, e, 53002, 7844, TH_FIN | TH_ACK, 301, 701), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's FIN: fin-wait lives tcp_fin", &k, 120,
		    &v);
	t(h, f, "deadline: RST out", true,
	  seg(f, true, T, e, 53002, 7844, TH_RST, 302, 0), true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's RST: closed lives tcp_close", &k, 10,
		    &v);

	t(h, f, "deadline: UDP out, a new flow", true, out, true,
	  PC_R_OUT_NEW_FLOW, "tunnel-region1");
	flow_backdate(h, f, &ku, 2);
	t(h, f, "deadline: UDP out after the refresh interval", true, out, true,
	  PC_R_OUT_ESTABLISHED, "tunnel-region1");
	deadline_is(h, f, "the server's packet restamped it", &ku, 180, &v);
	pc_flows_delete(&h->m, &k);
	pc_flows_delete(&h->m, &ku);
}

/*
 * The deadline cases leave an expired entry for the packet path and trace
 * to find. On a load of their own, whose collector runs once an hour: the
 * shared load's runs every 100 ms and could remove that entry between two
 * of their packets (it did, in about one run of six).
 */
void state_deadlines(struct harness *g)
{
	for (size_t i = 0; i < 2; i++) {
		deadlines(g, &fams[i]);
		deadlines_out(g, &fams[i]);
	}
}
