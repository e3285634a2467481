// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common.h"
#include "lock.h"
#include "names.h"
#include "netns.h"
#include "pins.h"
#include "policy.h"
#include "resolve.h"

#define PC_MAX_ANSWER 32 /* addresses kept per name and round */

struct answer {
	int status; /* ARES_SUCCESS or an error */
	size_t n;
	struct {
		__u8 family;
		__be32 addr[4];
		__u32 ttl;
	} a[PC_MAX_ANSWER];
	__u32 refused;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Drive the channel until every query has answered. */
static void wait_channel(ares_channel ch)
{
	for (;;) {
		struct timeval tv, *tvp;
		fd_set r, w;
		int nfds;

		FD_ZERO(&r);
		FD_ZERO(&w);
		nfds = ares_fds(ch, &r, &w);
		if (!nfds)
			break;
		tvp = ares_timeout(ch, NULL, &tv);
		select(nfds, &r, &w, NULL, tvp);
		ares_process(ch, &r, &w);
	}
}

/* Answers that must never open anything (as the kernel refuses them). */
static int bad_addr(int family, const void *a)
{
	const unsigned char *b = a;

	if (family == AF_INET)
		return b[0] == 0 || b[0] == 127 ||
		       (b[0] == 169 && b[1] == 254) || (b[0] & 0xF0) == 0xE0 ||
		       !memcmp(b, "\xff\xff\xff\xff", 4);
	if (b[0] == 0xFF || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80))
		return 1;
	return !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) && b[15] <= 1;
}

static void on_addrinfo(void *arg, int status, int timeouts,
			struct ares_addrinfo *res)
{
	struct answer *ans = arg;

	(void)timeouts;
	ans->status = status;
	if (status != ARES_SUCCESS || !res)
		return;
	for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
		const void *a =
			n->ai_family == AF_INET ?
				(void *)&((struct sockaddr_in *)n->ai_addr)
					->sin_addr :
				(void *)&((struct sockaddr_in6 *)n->ai_addr)
					->sin6_addr;

		if (bad_addr(n->ai_family, a)) {
			ans->refused++;
			continue;
		}
		if (ans->n >= PC_MAX_ANSWER)
			break;
		memset(ans->a[ans->n].addr, 0, 16);
		memcpy(ans->a[ans->n].addr, a,
		       n->ai_family == AF_INET ? 4 : 16);
		ans->a[ans->n].family = n->ai_family;
		ans->a[ans->n].ttl = n->ai_ttl > 0 ? n->ai_ttl : 0;
		ans->n++;
	}
	ares_freeaddrinfo(res);
}

static void resolve_host(ares_channel ch, const char *name, struct answer *ans)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC };

	ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, ans);
	wait_channel(ch);
}

struct srv_answer {
	int status;
	char targets[8][PC_HOSTNAME_LEN];
	size_t n;
};

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf,
		   int alen)
{
	struct srv_answer *sa = arg;
	struct ares_srv_reply *srv = NULL;

	(void)timeouts;
	sa->status = status;
	if (status != ARES_SUCCESS)
		return;
	sa->status = ares_parse_srv_reply(abuf, alen, &srv);
	for (struct ares_srv_reply *s = srv; s && sa->n < 8; s = s->next)
		snprintf(sa->targets[sa->n++], PC_HOSTNAME_LEN, "%s", s->host);
	ares_free_data(srv);
}

/* An SRV name: its targets' addresses (the targets become snooped too). */
static void resolve_srv(ares_channel ch, const struct pc_maps *m,
			const char *name, const struct pc_dns_name *v,
			struct answer *ans)
{
	struct srv_answer sa = { .status = ARES_ENODATA };

	ares_query(ch, name, C_IN, T_SRV, on_srv, &sa);
	wait_channel(ch);
	ans->status = sa.status;
	for (size_t i = 0; i < sa.n; i++) {
		struct answer t = { .status = ARES_ENODATA };
		__u32 hash = pc_dns_name_hash(sa.targets[i]);

		/* learn the target from the application's lookups as well */
		bpf_map_update_elem(m->dns_names, &hash, v, BPF_ANY);
		resolve_host(ch, sa.targets[i], &t);
		for (size_t j = 0; j < t.n && ans->n < PC_MAX_ANSWER; j++)
			ans->a[ans->n++] = t.a[j];
		ans->refused += t.refused;
	}
	if (sa.status == ARES_SUCCESS && !ans->n)
		ans->status = ARES_ENODATA;
}

static __u32 clamp_ttl(const struct pc_dns_name *v, __u32 ttl)
{
	return ttl < v->ttl_floor   ? v->ttl_floor :
	       ttl > v->ttl_ceiling ? v->ttl_ceiling :
				      ttl;
}

static bool in_answer(const struct answer *ans, const struct pc_dyn_key *k)
{
	for (size_t i = 0; i < ans->n; i++)
		if (ans->a[i].family == k->family &&
		    !memcmp(ans->a[i].addr, k->addr, 16))
			return true;
	return false;
}

struct old_ctx {
	const struct answer *ans;
	const struct pc_dns_name *v;
	__u32 id;
	bool ok;
	__u64 extend_to; /* failure: keep the last good until then */
};

/* An entry the answer may replace: this name's, or its rule's seeds. */
static int old_entry(const struct pc_dyn_key *k, struct pc_dyn_val *val,
		     void *arg)
{
	const struct old_ctx *c = arg;
	bool seed = val->source == PC_SRC_SEEDED &&
		    val->rule_id == c->v->rule_id;

	if (!seed && (val->name_id != c->id || val->source != PC_SRC_RESOLVER))
		return PC_DYN_KEEP;
	if (!c->ok) { /* keep the last good answer a while longer */
		if (seed)
			return PC_DYN_KEEP;
		val->expires_ns = c->extend_to;
		return PC_DYN_UPDATE;
	}
	return !seed && in_answer(c->ans, k) ? PC_DYN_KEEP : PC_DYN_DELETE;
}

/*
 * Apply one name's result. Success: write its addresses first, then drop
 * the ones the answer no longer holds (and the rule's seeds), so an address
 * that stays is never missing. Failure: keep what it had for another floor
 * interval. Returns seconds until the next refresh.
 */
static __u32 apply_answer(const struct pc_maps *m, __u32 id,
			  const struct pc_dns_name *v, const struct answer *ans,
			  struct pc_name_info *ni)
{
	bool ok = ans->status == ARES_SUCCESS && ans->n;
	__u32 next = ok ? v->ttl_ceiling : v->ttl_floor;
	__u64 now = pc_clock_now_ns();
	struct old_ctx ctx = { .ans = ans, .v = v, .id = id, .ok = ok };

	ni->last_try = time(NULL);
	ctx.extend_to = now + next * 1000000000ULL;
	for (size_t i = 0; ok && i < ans->n; i++) {
		__u32 ttl = clamp_ttl(v, ans->a[i].ttl);
		struct pc_dyn_val nv = {
			.expires_ns = now + ttl * 1000000000ULL,
			.rule_id = v->rule_id,
			.name_id = id,
			.source = PC_SRC_RESOLVER,
		};

		if (ttl < next)
			next = ttl;
		pc_dyn_put(m->dyn_allow, v, ans->a[i].family, ans->a[i].addr,
			   &nv, BPF_ANY);
	}
	pc_dyn_walk(m->dyn_allow, old_entry, &ctx);
	if (!ok) {
		ni->failures++;
		snprintf(ni->last_error, sizeof(ni->last_error), "%s%s",
			 ares_strerror(ans->status ? ans->status :
						     ARES_ENODATA),
			 ans->refused ? " (answers refused)" : "");
		pc_warn("resolving %s failed: %s; keeping its last addresses",
			ni->name, ni->last_error);
		return next;
	}
	ni->last_ok = time(NULL);
	ni->failures = 0;
	ni->last_error[0] = '\0';
	return next;
}

/*
 * Apply a name's answer under the interface's lock, unless a reload
 * changed the name of id while the query was out. Returns seconds until
 * its next refresh (0: the name is gone).
 */
static __u32 apply_locked(const struct pc_resolve_opts *o,
			  const struct pc_maps *m, __u32 id,
			  const struct pc_dns_name *v, const struct answer *ans,
			  const struct pc_name_info *asked)
{
	int lock = pc_iface_lock(o->netns, o->ifname);
	struct pc_name_info ni;
	__u32 due = 0;

	if (lock == -2)
		return v->ttl_floor; /* try again later */
	if (!bpf_map_lookup_elem(m->names, &id, &ni) && ni.used &&
	    !strncmp(ni.name, asked->name, PC_HOSTNAME_LEN)) {
		due = apply_answer(m, id, v, ans, &ni);
		ni.next_refresh = time(NULL) + due;
		bpf_map_update_elem(m->names, &id, &ni, BPF_ANY);
	}
	pc_iface_unlock(lock);
	return due;
}

/* One round over every name; returns seconds until the next is due. */
static __u32 round_once(const struct pc_resolve_opts *o, ares_channel ch,
			const struct pc_maps *m)
{
	__u32 next = 86400;

	for (__u32 id = 0; id < PC_MAX_NAMES; id++) {
		struct answer ans = { .status = ARES_ENODATA };
		struct pc_name_info ni;
		struct pc_dns_name v;
		__u32 hash, due;

		if (bpf_map_lookup_elem(m->names, &id, &ni) || !ni.used)
			continue;
		ni.name[PC_HOSTNAME_LEN - 1] = '\0';
		hash = pc_dns_name_hash(ni.name);
		if (bpf_map_lookup_elem(m->dns_names, &hash, &v))
			continue;
		if (ni.is_srv)
			resolve_srv(ch, m, ni.name, &v, &ans);
		else
			resolve_host(ch, ni.name, &ans);
		due = apply_locked(o, m, id, &v, &ans, &ni);
		if (due && due < next)
			next = due;
	}
	return next;
}

/* c-ares through the resolvers of the policy in force (or resolv.conf). */
static int open_channel(const char *dir, const char *netns, ares_channel *ch)
{
	struct ares_options opts = { .timeout = 2000, .tries = 2 };
	struct pc_policy pol = {};
	char digest[PC_DIGEST_LEN], csv[1024] = "", path[PATH_MAX];
	struct pc_info info;
	struct pc_maps m;
	__u32 zero = 0;
	const char *file = NULL;

	if (pc_maps_open(dir, &m))
		return -1;
	if (!bpf_map_lookup_elem(m.info, &zero, &info) &&
	    info.policy_path[0] == '/') {
		snprintf(path, sizeof(path), "%.*s", PC_PATH_LEN,
			 info.policy_path);
		file = path;
	}
	pc_maps_close(&m);
	if (pc_policy_load_for(file, netns, &pol, digest))
		return -1;
	for (size_t i = 0; i < pol.n_resolvers; i++) {
		char a[INET6_ADDRSTRLEN + 8], s[INET6_ADDRSTRLEN];

		inet_ntop(pol.resolvers[i].family, pol.resolvers[i].addr, s,
			  sizeof(s));
		snprintf(a, sizeof(a),
			 pol.resolvers[i].family == AF_INET6 ? "[%s]:53" :
							       "%s:53",
			 s);
		if (strlen(csv) + strlen(a) + 2 < sizeof(csv)) {
			if (csv[0])
				strcat(csv, ",");
			strcat(csv, a);
		}
	}
	pc_policy_free(&pol);
	if (ares_init_options(ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS)
		return -1;
	if (csv[0] && ares_set_servers_ports_csv(*ch, csv) != ARES_SUCCESS) {
		ares_destroy(*ch);
		return -1;
	}
	return 0;
}

int pc_cmd_resolve(const struct pc_resolve_opts *o)
{
	char dir[PC_DIR_MAX];
	ares_channel ch;
	struct pc_maps m;
	int ret = PC_EXIT_OK;

	if (pc_netns_enter(o->netns)) /* queries leave from that netns */
		return PC_EXIT_ERROR;
	pc_pin_dir(dir, sizeof(dir), o->netns, o->ifname);
	if (pc_maps_open(dir, &m)) {
		if (errno != EPROTO) /* another version's: said why */
			pc_err("see 'portcullis status'", "%s is not up",
			       o->ifname);
		return PC_EXIT_STATE;
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS ||
	    open_channel(dir, o->netns, &ch)) {
		pc_err("check the resolvers in resolv.conf or the policy",
		       "setting up the resolver failed");
		pc_maps_close(&m);
		return PC_EXIT_ERROR;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		__u32 next = round_once(o, ch, &m);

		if (!o->loop)
			break;
		/* sleep until the earliest name is due, waking for signals */
		for (__u32 s = 0; s < next && !stop; s++)
			sleep(1);
	} while (!stop);
	ares_destroy(ch);
	ares_library_cleanup();
	pc_maps_close(&m);
	return ret;
}
