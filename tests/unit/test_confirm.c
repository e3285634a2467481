// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Confirm-or-rollback (bpf/confirm.h, user/confirm.c) on the real
 * programs: confirm takes a pending rollback exactly once; unconfirmed,
 * the timer switches the active slot; after up --confirm's rollback the
 * slot in force audits every drop, so what the policy drops passes and is
 * counted as what it is.
 */
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "confirm.h"
#include "harness.h"

static struct pc_confirm_fds fds_of(struct harness *h)
{
	struct pc_confirm_fds f = {
		.map = bpf_map__fd(h->skel->maps.confirm),
		.arm = bpf_program__fd(h->skel->progs.pc_confirm_arm),
		.keep = bpf_program__fd(h->skel->progs.pc_confirm_keep),
	};
	return f;
}

static int read_state(struct harness *h, struct pc_confirm_state *st,
		      struct pc_active *act)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.confirm), &zero,
				   st) ||
	       bpf_map_lookup_elem(h->m.active, &zero, act);
}

/* Poll until the timer has fired (up to 3 s); 0 when it has. */
static int wait_rollback(struct harness *h, struct pc_confirm_state *st,
			 struct pc_active *act)
{
	for (int i = 0; i < 300; i++) {
		if (read_state(h, st, act))
			return -1;
		if (st->c.rolled_back)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Confirm in time: taken once, the timer then changes nothing. */
static void confirm_in_time(struct harness *h)
{
	struct pc_confirm_fds f = fds_of(h);
	struct pc_confirm_state st;
	struct pc_active before, after;
	int first, second;

	check(h, "confirm with nothing pending finds nothing",
	      pc_confirm_take(&f, false) == 0, "keep took a rollback");
	if (read_state(h, &st, &before) ||
	    pc_confirm_arm(&f, !before.slot, 1)) {
		check(h, "arming the rollback", false, "failed");
		return;
	}
	first = pc_confirm_take(&f, false);
	second = pc_confirm_take(&f, false);
	check(h, "confirm in time takes the pending rollback", first == 1,
	      "keep returned %d", first);
	check(h, "a second confirm finds nothing pending", second == 0,
	      "keep returned %d", second);
	usleep(1300000); /* past the deadline: the timer has fired */
	if (read_state(h, &st, &after))
		return;
	check(h, "after the deadline a confirmed policy stays",
	      after.slot == before.slot &&
		      after.generation == before.generation &&
		      !st.c.rolled_back,
	      "slot %u -> %u, generation %u -> %u, rolled_back %u", before.slot,
	      after.slot, before.generation, after.generation,
	      st.c.rolled_back);
}

/*
 * up --confirm unconfirmed: the slot not in force gets the running config
 * with every drop audited, and the timer switches to it at the deadline.
 */
static void up_not_confirmed(struct harness *h)
{
	struct pkt_spec syn = { .family = AF_INET,
				.src = OUT4,
				.dst = SRV4,
				.proto = IPPROTO_TCP,
				.sport = 40000,
				.dport = 80,
				.tcp_flags = 0x02 };
	struct pkt_spec out = { .family = AF_INET6,
				.src = SRV6,
				.dst = OUT6,
				.proto = IPPROTO_TCP,
				.sport = 40001,
				.dport = 443,
				.tcp_flags = 0x02 };
	struct pkt_spec reply = { .family = AF_INET6,
				  .src = OUT6,
				  .dst = SRV6,
				  .proto = IPPROTO_TCP,
				  .sport = 443,
				  .dport = 40001,
				  .tcp_flags = 0x12 };
	struct pc_confirm_fds f = fds_of(h);
	struct pc_confirm_state st;
	struct pc_active before, after;
	struct pc_config cfg;
	int open;

	expect(h, "before the rollback an unsolicited SYN drops", false, &syn,
	       false, PC_R_IN_DEFAULT_DROP, NULL);
	if (read_state(h, &st, &before))
		return;
	if (pc_confirm_arm_audit(&f, &h->m, 1) || read_state(h, &st, &after)) {
		check(h, "arming the up rollback", false, "failed");
		return;
	}
	open = st.c.rollback_slot;
	check(h, "the open slot is the one not in force",
	      open == (int)!before.slot && after.slot == before.slot,
	      "open slot %d, active %u -> %u", open, before.slot, after.slot);
	if (bpf_map_lookup_elem(h->m.policy_cfg, &(__u32){ open }, &cfg)) {
		check(h, "reading the open slot", false, "failed");
		return;
	}
	check(h, "the open slot audits every drop reason",
	      cfg.audit_mask == PC_DROP_MASK, "audit_mask %#llx",
	      (unsigned long long)cfg.audit_mask);
	expect(h, "while pending, the policy still drops", true, &out, false,
	       PC_R_OUT_DEFAULT_DROP, NULL);
	if (wait_rollback(h, &st, &after)) {
		check(h, "the timer rolls back within 3 s", false,
		      "still pending");
		return;
	}
	check(h, "the rollback switches to the open slot",
	      after.slot == (__u32)open &&
		      after.generation == before.generation + 1 && st.c.of_up &&
		      !st.c.pending,
	      "slot %u, generation %u -> %u, of_up %u, pending %llu",
	      after.slot, before.generation, after.generation, st.c.of_up,
	      (unsigned long long)st.c.pending);
	check(h, "a confirm after the rollback is too late",
	      pc_confirm_take(&f, false) == 0, "keep took it");
	expect(h, "rolled back, the unsolicited SYN passes (audited)", false,
	       &syn, true, PC_R_IN_DEFAULT_DROP, NULL);
	expect(h, "rolled back, the unlisted destination passes (audited)",
	       true, &out, true, PC_R_OUT_DEFAULT_DROP, NULL);
	reply.ack = 1001; /* the SYN's seq (1000) + 1 */
	expect(h, "the audited flow is tracked: its SYN-ACK comes in", false,
	       &reply, true, PC_R_IN_ESTABLISHED, NULL);
}

static void confirm_cases(struct harness *g)
{
	confirm_in_time(g);
	up_not_confirmed(g);
}

void test_confirm(struct harness *h)
{
	h_group(h, "confirm", NULL, 0, confirm_cases);
}
