// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "common.h"
#include "lockout.h"
#include "netns.h"
#include "pins.h"
#include "names.h"
#include "reload.h"

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

/*
 * Arm the rollback before switching: if this process dies at any point
 * after this, the kernel switches back to the slot in force now.
 */
static int arm_rollback(const char *dir, const struct pc_maps *m,
			unsigned int secs)
{
	struct pc_confirm_state st = {};
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	struct pc_active act;
	int cfd, pfd, err = -1;
	__u32 zero = 0;

	cfd = open_pinned(dir, "confirm");
	pfd = open_pinned(dir, "prog_confirm");
	if (cfd < 0 || pfd < 0 || bpf_map_lookup_elem(m->active, &zero, &act))
		goto out;
	st.c.deadline_ns = mono_ns() + secs * 1000000000ULL;
	st.c.pending = 1;
	st.c.rollback_slot = act.slot;
	st.c.generation = act.generation + 1;
	if (bpf_map_update_elem(cfd, &zero, &st, BPF_ANY))
		goto out;
	if (bpf_prog_test_run_opts(pfd, &opts) || opts.retval != 2 /* PASS */)
		goto out;
	err = 0;
out:
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	return err;
}

/* A reload supersedes an unconfirmed one: no rollback, no stale mark. */
static void cancel_rollback(const char *dir)
{
	struct pc_confirm_state st;
	__u32 zero = 0;
	int fd = open_pinned(dir, "confirm");

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &st)) {
		memset(&st.c, 0, sizeof(st.c));
		bpf_map_update_elem(fd, &zero, &st, BPF_ANY);
	}
	if (fd >= 0)
		close(fd);
}

int pc_reload(const struct pc_reload_opts *o)
{
	struct pc_policy pol = {};
	char digest[PC_DIGEST_LEN];
	char dir[PC_DIR_MAX];
	struct pc_info info;
	struct pc_maps m;
	__u32 zero = 0;
	int ret = PC_EXIT_KERNEL;

	if (pc_policy_load_for(o->policy, o->netns, &pol, digest))
		return PC_EXIT_POLICY;
	if (pc_netns_enter(o->netns)) {
		pc_policy_free(&pol);
		return PC_EXIT_ERROR;
	}
	pc_pin_dir(dir, sizeof(dir), o->netns, o->ifname);
	if (pc_maps_open(dir, &m)) {
		pc_err("start it with 'portcullis up'",
		       "%s%s%s is not up (nothing pinned at %s)", o->ifname,
		       o->netns ? " in netns " : "", o->netns ? o->netns : "",
		       dir);
		pc_policy_free(&pol);
		return PC_EXIT_STATE;
	}
	if (!o->force && pc_lockout_check(o->ifname, &pol)) {
		ret = PC_EXIT_LOCKOUT;
		goto out;
	}
	if (!bpf_map_lookup_elem(m.info, &zero, &info) &&
	    info.flow_capacity != pol.flow_max)
		pc_warn("flow_table.max_entries changes only with down/up; keeping %llu",
			(unsigned long long)info.flow_capacity);
	if (!o->confirm_secs)
		cancel_rollback(dir);
	if (o->confirm_secs && arm_rollback(dir, &m, o->confirm_secs)) {
		pc_err("the running policy is unchanged; run with -v",
		       "arming the rollback timer failed: %s", strerror(errno));
		goto out;
	}
	if (pc_policy_apply(&m, &pol)) {
		if (o->confirm_secs)
			cancel_rollback(dir);
		goto out;
	}
	if (pc_names_apply(&m, &pol))
		pc_warn("updating the host names failed: %s", strerror(errno));
	if (pc_info_record_policy(&m, o->policy, digest, pol.n_rules))
		pc_warn("recording the policy name for status failed");
	printf("%s%s%s: reloaded, policy %s (sha256 %.12s), %zu rules",
	       o->ifname, o->netns ? " in netns " : "",
	       o->netns ? o->netns : "",
	       o->policy ? o->policy : "(built-in default)", digest,
	       pol.n_rules);
	if (o->confirm_secs)
		printf("; rolls back in %u s unless 'portcullis confirm --iface %s%s%s'",
		       o->confirm_secs, o->ifname, o->netns ? " --netns " : "",
		       o->netns ? o->netns : "");
	putchar('\n');
	ret = PC_EXIT_OK;
out:
	pc_maps_close(&m);
	pc_policy_free(&pol);
	return ret;
}

int pc_confirm(const char *ifname, const char *netns)
{
	struct pc_confirm_state st;
	char dir[PC_DIR_MAX];
	__u32 zero = 0;
	int fd, ret = PC_EXIT_OK;

	pc_pin_dir(dir, sizeof(dir), netns, ifname);
	fd = open_pinned(dir, "confirm");
	if (fd < 0) {
		pc_err("see 'portcullis status'", "%s is not up", ifname);
		return PC_EXIT_STATE;
	}
	if (bpf_map_lookup_elem(fd, &zero, &st)) {
		ret = PC_EXIT_KERNEL;
	} else if (st.c.pending) {
		st.c.pending = 0;
		if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY))
			ret = PC_EXIT_KERNEL;
		else
			printf("%s: confirmed, the new policy stays\n", ifname);
	} else if (st.c.rolled_back) {
		pc_err("reload again (with --confirm) and confirm in time",
		       "too late: the policy was already rolled back");
		ret = PC_EXIT_STATE;
	} else {
		pc_err(NULL,
		       "nothing to confirm: no reload --confirm is pending");
		ret = PC_EXIT_STATE;
	}
	close(fd);
	return ret;
}
