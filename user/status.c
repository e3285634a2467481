// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <sys/socket.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <bpf/bpf.h>
#include "common.h"
#include "counters.h"
#include "flowtab.h"
#include "pins.h"
#include "format.h"
#include "show.h"

struct walk {
	const struct pc_show_opts *o;
	json_t *arr; /* JSON output, or NULL for tables */
	int count;
	int err;
};

/*
 * "none", "pending" (with seconds left) or "rolled-back"; *of_up: the
 * rollback is (or was) of an up, to the slot that audits every drop.
 */
static const char *confirm_state(const char *dir, long *left, bool *of_up)
{
	struct pc_confirm_state st;
	char path[PATH_MAX];
	struct timespec ts;
	__u32 zero = 0;
	const char *r = "none";
	int fd;

	*left = 0;
	*of_up = false;
	snprintf(path, sizeof(path), "%s/confirm", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return r;
	if (!bpf_map_lookup_elem(fd, &zero, &st)) {
		*of_up = st.c.of_up;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (st.c.pending) {
			r = "pending";
			*left = ((long long)st.c.deadline_ns -
				 (ts.tv_sec * 1000000000LL + ts.tv_nsec)) /
				1000000000LL;
		} else if (st.c.rolled_back) {
			r = "rolled-back";
		}
	}
	close(fd);
	return r;
}

static int status_one(const char *netns, const char *ifname, const char *dir,
		      void *arg)
{
	const char *confirm;
	int n_names = 0;
	bool of_up;
	long left;
	struct walk *w = arg;
	struct pc_info info;
	struct pc_active act;
	struct pc_maps m;
	char when[32];
	__u32 zero = 0;
	__u64 flows4, flows6;

	if (pc_maps_open(dir, &m)) {
		if (errno != EPROTO) /* another version's: said why */
			pc_warn("%s: incomplete pins (%s); 'portcullis down' cleans up",
				dir, strerror(errno));
		w->err = 1;
		return 0;
	}
	if (bpf_map_lookup_elem(m.info, &zero, &info) ||
	    bpf_map_lookup_elem(m.active, &zero, &act)) {
		pc_maps_close(&m);
		w->err = 1;
		return 0;
	}
	flows4 = pc_flows_count_family(&m, AF_INET);
	flows6 = pc_flows_count_family(&m, AF_INET6);
	for (__u32 id = 0; id < PC_MAX_NAMES; id++) {
		struct pc_name_info ni;

		n_names += !bpf_map_lookup_elem(m.names, &id, &ni) && ni.used;
	}
	pc_maps_close(&m);
	confirm = confirm_state(dir, &left, &of_up);
	if (!strcmp(confirm, "rolled-back") && of_up) {
		/* The kernel stopped dropping: every drop is audited. */
		snprintf(info.policy_path, PC_PATH_LEN,
			 "(audit only: up not confirmed)");
		snprintf(info.policy_digest, PC_DIGEST_LEN, "-");
	} else if (!strcmp(confirm, "rolled-back")) {
		/* The kernel switched back: the previous policy is in force. */
		memcpy(info.policy_path, info.prev_policy_path, PC_PATH_LEN);
		memcpy(info.policy_digest, info.prev_policy_digest,
		       PC_DIGEST_LEN);
	}
	info.policy_path[PC_PATH_LEN - 1] = '\0';
	info.policy_digest[PC_DIGEST_LEN - 1] = '\0';
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime((time_t *)&info.loaded_at));
	w->count++;

	if (w->arr) {
		json_array_append_new(
			w->arr,
			json_pack(
				"{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:s, s:I, s:b}",
				"netns", netns, "iface", ifname, "ifindex",
				(int)info.ifindex, "xdp_mode",
				pc_ingress_mode_name(info.xdp_mode), "policy",
				info.policy_path, "policy_sha256",
				info.policy_digest, "loaded_at", when,
				"loaded_at_unix", (json_int_t)info.loaded_at,
				"rules", (int)info.n_rules, "names", n_names,
				"generation", (int)act.generation, "flows",
				(json_int_t)(flows4 + flows6), "flows_ipv4",
				(json_int_t)flows4, "flows_ipv6",
				(json_int_t)flows6, "flow_capacity",
				(json_int_t)info.flow_capacity, "confirm",
				confirm, "confirm_seconds_left",
				(json_int_t)left, "confirm_of_up", of_up));
		return 0;
	}
	if (w->count == 1)
		printf("%-12s %-12s %-8s %-5s %-5s %-15s %-20s %-13s %s\n",
		       "NETNS", "IFACE", "INGRESS", "RULES", "NAMES", "FLOWS",
		       "LOADED", "DIGEST", "POLICY");
	char fill[32];

	/* IPv4 + IPv6 entries / the size of each family's table */
	snprintf(fill, sizeof(fill), "%llu+%llu/%llu",
		 (unsigned long long)flows4, (unsigned long long)flows6,
		 (unsigned long long)info.flow_capacity);
	printf("%-12s %-12s %-8s %-5u %-5d %-15s %-20s %-13.12s %s", netns,
	       ifname, pc_ingress_mode_name(info.xdp_mode), info.n_rules,
	       n_names, fill, when, info.policy_digest, info.policy_path);
	if (!strcmp(confirm, "pending") && of_up)
		printf("  [drops stop in %ld s unless confirmed]", left);
	else if (!strcmp(confirm, "pending"))
		printf("  [rolls back in %ld s unless confirmed]", left);
	else if (!strcmp(confirm, "rolled-back") && of_up)
		printf("  [nothing dropped: the up was not confirmed; 'reload' enforces]");
	else if (!strcmp(confirm, "rolled-back"))
		printf("  [rolled back: the last reload was not confirmed]");
	putchar('\n');
	return 0;
}

int pc_cmd_status(const struct pc_show_opts *o)
{
	struct walk w = { .o = o };

	if (o->json)
		w.arr = json_array();
	pc_for_each_iface(o->netns, o->ifname, status_one, &w);
	if (o->json)
		pc_json_print(w.arr);
	else if (!w.count)
		printf("no interface is locked down ('portcullis up --iface IF' starts)\n");
	return w.err ? PC_EXIT_KERNEL : PC_EXIT_OK;
}
