// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "common.h"
#include "confirm.h"
#include "pins.h"

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int open_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

int pc_confirm_open(const char *dir, struct pc_confirm_fds *f)
{
	f->map = open_pinned(dir, "confirm");
	f->arm = open_pinned(dir, "prog_confirm");
	f->keep = open_pinned(dir, "prog_confirm_keep");
	if (f->map >= 0 && f->arm >= 0 && f->keep >= 0)
		return 0;
	pc_confirm_close(f);
	return -1;
}

void pc_confirm_close(struct pc_confirm_fds *f)
{
	if (f->map >= 0)
		close(f->map);
	if (f->arm >= 0)
		close(f->arm);
	if (f->keep >= 0)
		close(f->keep);
	f->map = f->arm = f->keep = -1;
}

/* Run one of the confirm programs once; its XDP verdict, or -1. */
static int run_prog(int fd)
{
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	return opts.retval;
}

/* Write the state (pending, for rollback_slot) and start the timer. */
static int arm(const struct pc_confirm_fds *f, __u32 rollback_slot,
	       unsigned int secs, bool of_up)
{
	struct pc_confirm_state st = {};
	__u32 zero = 0;

	st.c.deadline_ns = mono_ns() + secs * 1000000000ULL;
	st.c.pending = 1;
	st.c.rollback_slot = rollback_slot;
	st.c.of_up = of_up;
	if (bpf_map_update_elem(f->map, &zero, &st, BPF_ANY))
		return -1;
	if (run_prog(f->arm) != XDP_PASS) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	return 0;
}

int pc_confirm_arm(const struct pc_confirm_fds *f, __u32 rollback_slot,
		   unsigned int secs)
{
	return arm(f, rollback_slot, secs, false);
}

int pc_confirm_arm_audit(const struct pc_confirm_fds *f,
			 const struct pc_maps *m, unsigned int secs)
{
	struct pc_config cfg;
	struct pc_active act;
	__u32 zero = 0, open;

	if (bpf_map_lookup_elem(m->active, &zero, &act) ||
	    bpf_map_lookup_elem(m->policy_cfg, &act.slot, &cfg))
		return -1;
	open = !act.slot;
	cfg.audit_mask = PC_DROP_MASK;
	if (bpf_map_update_elem(m->policy_cfg, &open, &cfg, BPF_ANY))
		return -1;
	return arm(f, open, secs, true);
}

int pc_confirm_take(const struct pc_confirm_fds *f, bool clear)
{
	struct pc_confirm_state st;
	__u32 zero = 0;
	int v = run_prog(f->keep);

	if (v != XDP_PASS && v != XDP_DROP)
		return -1;
	/* pending is 0 now: the timer callback changes nothing any more */
	if (clear && !bpf_map_lookup_elem(f->map, &zero, &st)) {
		memset(&st.c, 0, sizeof(st.c));
		bpf_map_update_elem(f->map, &zero, &st, BPF_ANY);
	}
	return v == XDP_PASS;
}

unsigned int pc_confirm_up_left(const struct pc_confirm_fds *f)
{
	struct pc_confirm_state st;
	__u32 zero = 0;
	__u64 now = mono_ns();

	if (bpf_map_lookup_elem(f->map, &zero, &st) || !st.c.pending ||
	    !st.c.of_up || st.c.deadline_ns <= now)
		return 0;
	return (st.c.deadline_ns - now + 999999999ULL) / 1000000000ULL;
}

int pc_confirm(const char *ifname, const char *netns)
{
	struct pc_confirm_fds f;
	struct pc_confirm_state st;
	char dir[PC_DIR_MAX];
	__u32 zero = 0;
	int taken;

	pc_pin_dir(dir, sizeof(dir), netns, ifname);
	if (pc_confirm_open(dir, &f)) {
		pc_err("see 'portcullis status'", "%s is not up", ifname);
		return PC_EXIT_STATE;
	}
	taken = pc_confirm_take(&f, false);
	if (taken < 0 || (!taken && bpf_map_lookup_elem(f.map, &zero, &st))) {
		pc_err("run with -v", "reading the confirm state failed: %s",
		       strerror(errno));
		pc_confirm_close(&f);
		return PC_EXIT_KERNEL;
	}
	pc_confirm_close(&f);
	if (taken) {
		printf("%s: confirmed, the policy stays\n", ifname);
		return PC_EXIT_OK;
	}
	if (st.c.rolled_back && st.c.of_up)
		pc_err("nothing is dropped now (every drop audited); 'portcullis reload' enforces again",
		       "too late: the up was not confirmed in time");
	else if (st.c.rolled_back)
		pc_err("reload again (with --confirm) and confirm in time",
		       "too late: the policy was already rolled back");
	else
		pc_err(NULL, "nothing to confirm: no --confirm is pending");
	return PC_EXIT_STATE;
}
