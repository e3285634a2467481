// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <limits.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "common.h"
#include "confirm.h"
#include "flowtab.h"
#include "lock.h"
#include "lockout.h"
#include "netns.h"
#include "pins.h"
#include "names.h"
#include "reload.h"

/*
 * After the switch and the host names' update: the flows of the rules
 * this reload changed are judged again (bpf/rejudge.h). Returns how many
 * rules it changed.
 */
static size_t rejudge(const char *dir, const struct pc_policy *pol, long *ended,
		      long *moved)
{
	bool changed[PC_MAX_RULES];
	char path[PATH_MAX];
	size_t n;
	int fd;

	*ended = *moved = 0;
	n = pc_policy_changed(pol, changed);
	if (!n)
		return 0;
	snprintf(path, sizeof(path), "%s/prog_rejudge", dir);
	fd = bpf_obj_get(path);
	if (fd < 0 || pc_flows_rejudge(fd, changed, ended, moved))
		pc_warn("judging the flows of the changed rules again failed: %s; they run until idle",
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return n;
}

/* What a reload did, for its one line (or JSON object) of output. */
struct outcome {
	long ended; /* flows of rules the new policy does not have */
	long refused; /* flows its changed rules no longer allow */
	long moved; /* flows now counted to another rule */
	size_t changed; /* rules it changed */
	bool up_pending; /* an unconfirmed up's fallback is kept */
};

static void report_json(const struct pc_reload_opts *o,
			const struct pc_policy *pol, const char *digest,
			const struct outcome *r)
{
	json_t *j = json_pack(
		"{s:s, s:o, s:s, s:s#, s:I, s:I, s:I, s:I, s:I}", "iface",
		o->ifname, "netns",
		o->netns ? json_string(o->netns) : json_null(), "policy",
		o->policy ? o->policy : "(built-in default)", "policy_sha256",
		digest, (size_t)64, "rules", (json_int_t)pol->n_rules,
		"rules_changed", (json_int_t)r->changed,
		"flows_ended_removed_rules", (json_int_t)r->ended,
		"flows_ended_changed_rules", (json_int_t)r->refused,
		"flows_moved", (json_int_t)r->moved);

	if (j && o->confirm_secs) {
		json_object_set_new(j, "confirm_within_s",
				    json_integer(o->confirm_secs));
		json_object_set_new(j, "unconfirmed",
				    json_string(r->up_pending ? "drops stop" :
								"rolls back"));
	}
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
}

static void report(const struct pc_reload_opts *o, const struct pc_policy *pol,
		   const char *digest, const struct outcome *r)
{
	if (o->json) {
		report_json(o, pol, digest, r);
		return;
	}
	printf("%s%s%s: reloaded, policy %s (sha256 %.12s), %zu rules",
	       o->ifname, o->netns ? " in netns " : "",
	       o->netns ? o->netns : "",
	       o->policy ? o->policy : "(built-in default)", digest,
	       pol->n_rules);
	if (o->confirm_secs)
		printf("; %s in %u s unless 'portcullis confirm --iface %s%s%s'",
		       r->up_pending ?
			       "drops stop (the up is not confirmed yet)" :
			       "rolls back",
		       o->confirm_secs, o->ifname, o->netns ? " --netns " : "",
		       o->netns ? o->netns : "");
	if (r->ended)
		printf("; %ld flows of rules it no longer has ended", r->ended);
	if (r->refused)
		printf("; %ld flows its changed rules no longer allow ended",
		       r->refused);
	if (r->moved)
		printf("; %ld flows now counted to another rule that allows them",
		       r->moved);
	putchar('\n');
}

static int reload_locked(const struct pc_reload_opts *o)
{
	struct pc_policy pol = {};
	char digest[PC_DIGEST_LEN];
	char dir[PC_DIR_MAX];
	struct pc_confirm_fds cf = { -1, -1, -1 };
	unsigned int up_left;
	struct outcome r = {};
	bool up_pending;
	int taken;
	struct pc_active act;
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
		if (errno == EPROTO) { /* said why */
			pc_policy_free(&pol);
			return PC_EXIT_STATE;
		}
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
	if (pc_confirm_open(dir, &cf)) {
		pc_err("'portcullis down' and up again with this version",
		       "%s has no confirm timer pinned at %s", o->ifname, dir);
		goto out;
	}
	/* A reload supersedes a pending rollback, and arms its own before
	 * the switch: if this process dies after it, the kernel switches
	 * back to the slot in force now. */
	up_left = pc_confirm_up_left(&cf);
	taken = pc_confirm_take(&cf, true);
	up_pending = up_left && taken == 1;
	if (taken < 0 || bpf_map_lookup_elem(m.active, &zero, &act) ||
	    (o->confirm_secs &&
	     pc_confirm_arm(&cf, act.slot, o->confirm_secs))) {
		pc_err("the running policy is unchanged; run with -v",
		       "arming the rollback timer failed: %s", strerror(errno));
		goto out;
	}
	if (pc_policy_apply(&m, &pol, &r.ended)) {
		if (o->confirm_secs)
			pc_confirm_take(&cf, true);
		/* the running policy is unchanged: so is the up's fallback */
		if (up_pending)
			pc_confirm_arm_audit(&cf, &m, up_left);
		goto out;
	}
	if (up_pending && !o->confirm_secs)
		pc_warn("the pending 'up --confirm' is superseded: this policy stays without a confirm");
	/* the up is not confirmed yet: unconfirmed, this reload falls back
	 * to audit only too (into the slot the switch just left) */
	if (up_pending && o->confirm_secs &&
	    pc_confirm_arm_audit(&cf, &m, o->confirm_secs)) {
		pc_warn("re-arming the audit-only rollback of the pending up failed: %s; unconfirmed, this reload rolls back to the up's policy",
			strerror(errno));
		up_pending = false;
	}
	if (pc_names_apply(&m, &pol))
		pc_warn("updating the host names failed: %s", strerror(errno));
	r.changed = rejudge(dir, &pol, &r.refused, &r.moved);
	if (pc_info_record_policy(&m, o->policy, digest, pol.n_rules))
		pc_warn("recording the policy name for status failed");
	r.up_pending = up_pending;
	report(o, &pol, digest, &r);
	ret = PC_EXIT_OK;
out:
	pc_confirm_close(&cf);
	pc_maps_close(&m);
	pc_policy_free(&pol);
	return ret;
}

int pc_reload(const struct pc_reload_opts *o)
{
	int lock = pc_iface_lock_pinned(o->netns, o->ifname), ret;

	if (lock == -2)
		return PC_EXIT_STATE;
	ret = reload_locked(o);
	pc_iface_unlock(lock);
	return ret;
}
