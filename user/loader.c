// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "portcullis.skel.h"
#include "adopt.h"
#include "apply.h"
#include "common.h"
#include "confirm.h"
#include "format.h"
#include "loader.h"
#include "lock.h"
#include "lockout.h"
#include "names.h"
#include "netns.h"
#include "pins.h"

#define PC_TC_HANDLE 0x5043 /* "PC" */
#define PC_TC_PRIORITY 1

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

int pc_local_addr_add(const struct pc_maps *m, const struct pc_addr_key *k)
{
	struct pc_addr_bloom b;
	__u32 zero = 0, one = 1, bit = pc_bloom_bit(k->addr);

	/* the bit first: the kernel never sees the entry without it */
	if (bpf_map_lookup_elem(m->local_bloom, &zero, &b))
		return -1;
	b.bits[bit / 64] |= 1ULL << (bit % 64);
	if (bpf_map_update_elem(m->local_bloom, &zero, &b, BPF_ANY))
		return -1;
	return bpf_map_update_elem(m->local_addrs, k, &one, BPF_ANY);
}

static int fill_local_addrs(const struct pc_maps *m, const char *ifname)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa))
		return -1;
	for (i = ifa; i; i = i->ifa_next) {
		struct pc_addr_key k = {};

		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			k.family = AF_INET;
			memcpy(k.addr,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			k.family = AF_INET6;
			memcpy(k.addr,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
		} else {
			continue;
		}
		if (pc_local_addr_add(m, &k) == 0)
			n++;
	}
	freeifaddrs(ifa);
	return n;
}

/*
 * Is ifname (in the current network namespace) a veth? Its inbound is
 * judged at tc ingress unless up is told otherwise: native XDP on a veth
 * makes the kernel copy every skb the peer sends into an XDP buffer and
 * turns off the peer's segmentation offload (veth_fix_features), which
 * halves inbound TCP for any XDP program, an empty one too.
 */
static bool is_veth(const char *ifname)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool veth;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	veth = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}

/* Native first, generic when the driver has no XDP. */
static int attach_xdp(int prog_fd, int ifindex, bool force_generic, __u32 *mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd = -1;

	if (!force_generic) {
		opts.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		*mode = PC_XDP_MODE_NATIVE;
	}
	if (fd < 0 && errno != EBUSY && errno != EEXIST) {
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		*mode = PC_XDP_MODE_GENERIC;
	}
	return fd;
}

/*
 * Fill the program arrays the verdict programs tail-call: the DNS snooping
 * programs, and the tc programs themselves (a second judgement once paged
 * headers were pulled).
 */
int pc_tail_install(struct portcullis *skel)
{
	int again[2] = { bpf_program__fd(skel->progs.pc_ingress_tc),
			 bpf_program__fd(skel->progs.pc_egress) };
	__u32 zero = 0;
	int reply = bpf_program__fd(skel->progs.pc_dns_snoop_reply);
	int reply_tc = bpf_program__fd(skel->progs.pc_dns_snoop_reply_tc);
	int query = bpf_program__fd(skel->progs.pc_dns_snoop_query);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.dns_reply_prog), &zero,
				&reply, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.dns_reply_tc_prog),
				&zero, &reply_tc, BPF_ANY))
		return -1;
	for (__u32 i = 0; i < 2; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tc_again_prog),
					&i, &again[i], BPF_ANY))
			return -1;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.dns_query_prog),
				   &zero, &query, BPF_ANY);
}

/* Run a loader-only program once; 0 when it returned XDP_PASS. */
static int run_once(const struct bpf_program *prog)
{
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ||
	    opts.retval != XDP_PASS)
		return -1;
	return 0;
}

/* The packet clock's second reading comes this long after the first. */
#define PC_CLOCK_CAL_WAIT_US 60000

/* Arm the in-kernel flow collector (bpf/gc.h) by running it once. */
int pc_gc_arm(struct portcullis *skel)
{
	if (run_once(skel->progs.pc_gc_arm))
		return -1;
	/* calibrate the packet clock now rather than at the first collection
	 * (bpf/clock.h); should it not take, the collector retries */
	usleep(PC_CLOCK_CAL_WAIT_US);
	run_once(skel->progs.pc_clock_cal);
	return 0;
}

static int write_info(const struct pc_maps *m, int ifindex, __u32 xdp_mode,
		      bool created_hook, const struct pc_policy *pol,
		      const char *path, const char *digest)
{
	struct pc_info info = {
		.abi_version = PC_ABI_VERSION,
		.ifindex = ifindex,
		.xdp_mode = xdp_mode,
		.tc_handle = PC_TC_HANDLE,
		.tc_priority = PC_TC_PRIORITY,
		.tc_created_hook = created_hook,
		.flow_capacity = pol->flow_max,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(m->info, &zero, &info, BPF_ANY))
		return -1;
	return pc_info_record_policy(m, path, digest, pol->n_rules);
}

/* xdp_link_fd -1: inbound is judged at tc (no XDP link to pin). */
static int pin_all(struct portcullis *skel, const char *dir, int xdp_link_fd)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map (map, skel->obj) {
		const char *name = pc_map_pin_name(map);

		if (!name)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_map__pin(map, path))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/prog_ingress", dir);
	if (bpf_program__pin(xdp_link_fd < 0 ? skel->progs.pc_ingress_tc :
					       skel->progs.pc_ingress,
			     path))
		return -1;
	snprintf(path, sizeof(path), "%s/prog_egress", dir);
	if (bpf_program__pin(skel->progs.pc_egress, path))
		return -1;
	/* run by `reload --confirm` to arm the rollback timer, and by
	 * `confirm` (and a superseding reload) to take it */
	snprintf(path, sizeof(path), "%s/prog_confirm", dir);
	if (bpf_program__pin(skel->progs.pc_confirm_arm, path))
		return -1;
	snprintf(path, sizeof(path), "%s/prog_confirm_keep", dir);
	if (bpf_program__pin(skel->progs.pc_confirm_keep, path))
		return -1;
	/* run by `reload` on the flows of the rules it changed */
	snprintf(path, sizeof(path), "%s/prog_rejudge", dir);
	if (bpf_program__pin(skel->progs.pc_rejudge, path))
		return -1;
	if (xdp_link_fd < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/xdp_link", dir);
	return bpf_obj_pin(xdp_link_fd, path);
}

/*
 * up --confirm: armed before attaching, so from the first packet on, the
 * kernel stops dropping at the deadline (every drop audited) unless
 * `confirm` comes, whatever happens to this process or the SSH session.
 */
static int arm_up_rollback(struct portcullis *skel, const struct pc_maps *m,
			   unsigned int secs)
{
	struct pc_confirm_fds f = {
		.map = bpf_map__fd(skel->maps.confirm),
		.arm = bpf_program__fd(skel->progs.pc_confirm_arm),
		.keep = bpf_program__fd(skel->progs.pc_confirm_keep),
	};

	if (pc_confirm_arm_audit(&f, m, secs)) {
		pc_err("run with -v; the kernel needs bpf_timer",
		       "arming the rollback timer failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int pc_up(const struct pc_up_opts *o)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook_in,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc, .handle = PC_TC_HANDLE,
			    .priority = PC_TC_PRIORITY);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc_in, .handle = PC_TC_HANDLE,
			    .priority = PC_TC_PRIORITY);
	struct portcullis *skel = NULL;
	struct pc_policy pol = {};
	char digest[PC_DIGEST_LEN];
	char dir[PC_DIR_MAX];
	struct pc_maps m;
	bool created_hook = false, tc_attached = false, tc_in_attached = false;
	bool pinned = false;
	int ifindex, link_fd = -1, ret = PC_EXIT_KERNEL, err, adopted,
		     lock = -1;
	enum pc_inbound inbound;
	bool veth;
	__u32 mode = 0;

	if (pc_policy_load_for(o->policy, o->netns, &pol, digest))
		return PC_EXIT_POLICY;
	if (pc_netns_enter(o->netns)) {
		ret = PC_EXIT_ERROR;
		goto cleanup;
	}
	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		pc_err("check 'ip link' (in the right --netns)",
		       "interface '%s' not found%s%s", o->ifname,
		       o->netns ? " in netns " : "", o->netns ? o->netns : "");
		ret = PC_EXIT_ERROR;
		goto cleanup;
	}
	veth = is_veth(o->ifname);
	inbound = o->inbound;
	if (inbound == PC_INBOUND_AUTO)
		inbound = veth ? PC_INBOUND_TC : PC_INBOUND_XDP;
	lock = pc_iface_lock(o->netns, o->ifname); /* held until the end */
	if (lock == -2) {
		ret = PC_EXIT_STATE;
		goto cleanup;
	}
	if (!o->force && pc_lockout_check(o->ifname, &pol)) {
		ret = PC_EXIT_LOCKOUT;
		goto cleanup;
	}
	if (pc_bpffs_ensure())
		goto cleanup;
	pc_pin_dir(dir, sizeof(dir), o->netns, o->ifname);
	if (access(dir, F_OK) == 0) {
		pc_err("run 'portcullis down' first, or 'portcullis status' to see it",
		       "%s%s%s is already up (pinned at %s)", o->ifname,
		       o->netns ? " in netns " : "", o->netns ? o->netns : "",
		       dir);
		ret = PC_EXIT_STATE;
		goto cleanup;
	}

	/* Open, size, load. */
	skel = portcullis__open();
	if (!skel) {
		pc_err("run with -v to see libbpf's log",
		       "opening the BPF skeleton failed: %s", strerror(errno));
		goto cleanup;
	}
	bpf_map__set_max_entries(skel->maps.flows4, pol.flow_max);
	bpf_map__set_max_entries(skel->maps.flows6, pol.flow_max);
	err = portcullis__load(skel);
	if (err) {
		pc_err("run with -v for the verifier log; the kernel needs BTF and BPF (6.10+: bpf_wq)",
		       "loading the BPF programs failed: %s", strerror(-err));
		goto cleanup;
	}
	if (pc_maps_from_obj(skel->obj, &m))
		goto cleanup;
	if (pc_policy_apply(&m, &pol, NULL))
		goto cleanup;
	if (pc_names_apply(&m, &pol) || pc_tail_install(skel)) {
		pc_err("run with -v",
		       "writing the host names into the maps failed: %s",
		       strerror(errno));
		goto cleanup;
	}
	if (pc_gc_arm(skel)) {
		pc_err("run with -v; the kernel needs bpf_timer and bpf_wq (6.10+)",
		       "arming the flow collector failed");
		goto cleanup;
	}
	if (o->confirm_secs && arm_up_rollback(skel, &m, o->confirm_secs))
		goto cleanup;
	/* Before attaching, so no open connection sees a gap. */
	adopted = pc_adopt_connections(&m);
	if (adopted < 0)
		pc_warn("reading the socket table failed: connections open now are adopted when they next send");
	if (fill_local_addrs(&m, o->ifname) < 0)
		pc_warn("reading the addresses of %s failed: own-address martians not dropped",
			o->ifname);

	/* Attach: egress first, so replies to what ingress lets in can leave. */
	hook.ifindex = ifindex;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pc_err("check that the kernel has clsact (sch_clsact)",
		       "creating the tc clsact hook on %s failed: %s",
		       o->ifname, strerror(-err));
		goto cleanup;
	}
	created_hook = !err;
	tc.prog_fd = bpf_program__fd(skel->progs.pc_egress);
	err = bpf_tc_attach(&hook, &tc);
	if (err) {
		pc_err("another filter holds handle 0x5043 prio 1? see 'tc filter show dev IF egress'",
		       "attaching tc egress on %s failed: %s", o->ifname,
		       strerror(-err));
		goto cleanup;
	}
	tc_attached = true;
	if (inbound == PC_INBOUND_TC) {
		hook_in.ifindex = ifindex;
		tc_in.prog_fd = bpf_program__fd(skel->progs.pc_ingress_tc);
		err = bpf_tc_attach(&hook_in, &tc_in);
		if (err) {
			pc_err("another filter holds handle 0x5043 prio 1? see 'tc filter show dev IF ingress'",
			       "attaching tc ingress on %s failed: %s",
			       o->ifname, strerror(-err));
			goto cleanup;
		}
		tc_in_attached = true;
		mode = PC_XDP_MODE_TC;
	} else {
		link_fd = attach_xdp(bpf_program__fd(skel->progs.pc_ingress),
				     ifindex, inbound == PC_INBOUND_GENERIC,
				     &mode);
		if (link_fd < 0) {
			pc_err("another XDP program may be attached: see 'ip link show dev IF'",
			       "attaching XDP on %s failed: %s", o->ifname,
			       strerror(errno));
			goto cleanup;
		}
	}
	if (write_info(&m, ifindex, mode, created_hook, &pol, o->policy,
		       digest))
		goto cleanup;

	/* Pin, so that enforcement outlives this process. */
	if (mkdir_p(dir) || (pinned = true, pin_all(skel, dir, link_fd))) {
		pc_err("check that bpffs is mounted at /sys/fs/bpf and writable",
		       "pinning under %s failed: %s", dir, strerror(errno));
		goto cleanup;
	}
	if (mode == PC_XDP_MODE_NATIVE && veth)
		pc_warn("native XDP on a veth copies every skb its peer sends (inbound TCP at about half speed); without --xdp, up judges a veth's inbound at tc ingress (docs/design.md)");
	printf("%s%s%s: up (%s%s, tc egress), policy %s, %zu rules, %d connections adopted\n",
	       o->ifname, o->netns ? " in netns " : "",
	       o->netns ? o->netns : "",
	       mode == PC_XDP_MODE_TC ? "tc ingress" : "XDP ",
	       mode == PC_XDP_MODE_TC ? "" : pc_ingress_mode_name(mode),
	       o->policy ? o->policy : "(built-in default)", pol.n_rules,
	       adopted > 0 ? adopted : 0);
	if (o->confirm_secs)
		printf("%s: drops stop in %u s (every drop audited) unless 'portcullis confirm --iface %s%s%s'\n",
		       o->ifname, o->confirm_secs, o->ifname,
		       o->netns ? " --netns " : "", o->netns ? o->netns : "");
	ret = PC_EXIT_OK;

cleanup:
	if (ret != PC_EXIT_OK) {
		if (link_fd >= 0)
			bpf_link_detach(link_fd);
		if (tc_in_attached) {
			tc_in.prog_fd = tc_in.prog_id = tc_in.flags = 0;
			bpf_tc_detach(&hook_in, &tc_in);
		}
		if (tc_attached) {
			tc.prog_fd = tc.prog_id = tc.flags = 0;
			bpf_tc_detach(&hook, &tc);
		}
		if (created_hook) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		if (pinned)
			pc_pins_remove(dir);
	}
	if (link_fd >= 0)
		close(link_fd);
	portcullis__destroy(skel);
	pc_policy_free(&pol);
	pc_iface_unlock(lock);
	return ret;
}

static int down_locked(const char *ifname, const char *netns)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc);
	struct pc_info info;
	char dir[PC_DIR_MAX], path[PATH_MAX];
	__u32 info_size;
	int ifindex, fd, ret = PC_EXIT_OK;

	if (pc_netns_enter(netns))
		return PC_EXIT_ERROR;
	pc_pin_dir(dir, sizeof(dir), netns, ifname);
	/* Only the info map, read whatever its size: pins left by another
	 * version of portcullis, with other maps, still come down. */
	snprintf(path, sizeof(path), "%s/info", dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		pc_err("see 'portcullis status' for what is up",
		       "%s%s%s is not up (nothing pinned at %s)", ifname,
		       netns ? " in netns " : "", netns ? netns : "", dir);
		return PC_EXIT_STATE;
	}
	if (pc_info_read(fd, &info, &info_size))
		memset(&info, 0, sizeof(info));
	close(fd);

	/* XDP: detaching the pinned link removes the program. */
	snprintf(path, sizeof(path), "%s/xdp_link", dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_link_detach(fd) && errno != ENOLINK) {
			pc_err(NULL, "detaching XDP from %s failed: %s", ifname,
			       strerror(errno));
			ret = PC_EXIT_KERNEL;
		}
		close(fd);
	}

	ifindex = if_nametoindex(ifname);
	if (ifindex && info.tc_handle) {
		hook.ifindex = ifindex;
		tc.handle = info.tc_handle;
		tc.priority = info.tc_priority;
		if (bpf_tc_detach(&hook, &tc) && errno != ENOENT)
			pc_warn("detaching tc egress from %s failed", ifname);
		hook.attach_point = BPF_TC_INGRESS;
		if (info.xdp_mode == PC_XDP_MODE_TC &&
		    bpf_tc_detach(&hook, &tc) && errno != ENOENT)
			pc_warn("detaching tc ingress from %s failed", ifname);
		if (info.tc_created_hook) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (pc_pins_remove(dir)) {
		pc_err("remove it by hand: rm -r DIR",
		       "removing the pins under %s failed: %s", dir,
		       strerror(errno));
		ret = PC_EXIT_KERNEL;
	}
	if (ret == PC_EXIT_OK)
		printf("%s%s%s: down\n", ifname, netns ? " in netns " : "",
		       netns ? netns : "");
	return ret;
}

int pc_down(const char *ifname, const char *netns)
{
	int lock = pc_iface_lock_pinned(netns, ifname), ret;

	if (lock == -2)
		return PC_EXIT_STATE;
	ret = down_locked(ifname, netns);
	pc_iface_unlock(lock);
	return ret;
}
