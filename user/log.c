// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "counters.h"
#include "format.h"
#include "log.h"
#include "pcap_out.h"
#include "pins.h"
#include "portcullis.h"

#define PC_MAX_LOG_IFACES 64

struct reader;

struct source {
	struct reader *r;
	char netns[64], ifname[32];
	char names[PC_MAX_RULES][PC_NAME_LEN]; /* rule names, by id */
};

struct reader {
	const struct pc_log_opts *o;
	struct source src[PC_MAX_LOG_IFACES];
	int n_src;
	struct ring_buffer *rb;
	struct pc_pcap *pcap;
	__s64 mono_to_real_ns;
	long seen;
	int reason; /* filter, or -1 */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(const struct source *src, const struct pc_event *ev,
			__s64 mono_to_real_ns, bool json)
{
	char from[64], to[64], when[40];
	__s64 real = (__s64)ev->ts_ns + mono_to_real_ns;
	time_t secs = real / 1000000000LL;
	struct tm tm;
	const char *reason =
		ev->reason < PC_R_MAX ? pc_reason_names[ev->reason] : "?";
	const char *rule = ev->rule_id < PC_MAX_RULES &&
					   src->names[ev->rule_id][0] ?
				   src->names[ev->rule_id] :
				   "-";
	const char *what = ev->kind == PC_EV_NEW_FLOW ? "new-flow" :
			   ev->action == PC_ACT_DROP  ? "drop" :
							"audit";

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pc_fmt_endpoint(from, sizeof(from), ev->family, ev->saddr, ev->sport,
			ev->l4proto);
	pc_fmt_endpoint(to, sizeof(to), ev->family, ev->daddr, ev->dport,
			ev->l4proto);
	if (json) {
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
			"time", when, "netns", src->netns, "iface", src->ifname,
			"direction", pc_dir_str(ev->dir), "event", what,
			"reason", reason, "rule", rule, "proto",
			pc_proto_name(ev->l4proto), "from", from, "to", to,
			"length", (int)ev->pkt_len);

		json_object_set_new(j, "time_ns",
				    json_integer(real % 1000000000LL));
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s.%06lldZ %-10s %-8s %-7s %-8s %-20s %-16s %-5s %s -> %s len %u\n",
		       when, (long long)(real % 1000000000LL) / 1000,
		       src->ifname, src->netns, pc_dir_str(ev->dir), what,
		       reason, rule, pc_proto_name(ev->l4proto), from, to,
		       ev->pkt_len);
	}
	fflush(stdout);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct source *src = ctx;
	struct reader *r = src->r;
	const struct pc_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	if (r->reason >= 0 && ev->reason != r->reason)
		return 0;
	print_event(src, ev, r->mono_to_real_ns, r->o->json);
	if (r->pcap && ev->cap_len)
		pc_pcap_write(r->pcap, (__s64)ev->ts_ns + r->mono_to_real_ns,
			      ev->data, ev->cap_len, ev->pkt_len);
	r->seen++;
	if (r->o->count && r->seen >= r->o->count)
		return -1; /* stop consuming */
	return 0;
}

static void load_names(struct source *src, const char *dir)
{
	char path[PATH_MAX];
	struct pc_rule_meta meta;
	int fd;

	snprintf(path, sizeof(path), "%s/rules", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	for (__u32 id = 1; id < PC_MAX_RULES; id++)
		if (!bpf_map_lookup_elem(fd, &id, &meta) && meta.slots)
			snprintf(src->names[id], PC_NAME_LEN, "%s", meta.name);
	close(fd);
}

static int add_source(const char *netns, const char *ifname, const char *dir,
		      void *arg)
{
	struct reader *r = arg;
	struct source *src;
	char path[PATH_MAX];
	int fd, err;

	if (r->n_src >= PC_MAX_LOG_IFACES)
		return 0;
	src = &r->src[r->n_src];
	memset(src, 0, sizeof(*src));
	src->r = r;
	snprintf(src->netns, sizeof(src->netns), "%s", netns);
	snprintf(src->ifname, sizeof(src->ifname), "%s", ifname);
	load_names(src, dir);
	snprintf(path, sizeof(path), "%s/events", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!r->rb) {
		r->rb = ring_buffer__new(fd, on_event, src, NULL);
		err = r->rb ? 0 : -1;
	} else {
		err = ring_buffer__add(r->rb, fd, on_event, src);
	}
	close(fd);
	if (!err)
		r->n_src++;
	return 0;
}

static __s64 clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int pc_cmd_log(const struct pc_log_opts *o)
{
	static struct reader r; /* large: rule names of every source */
	int ret = PC_EXIT_OK;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.reason = -1;
	if (o->reason) {
		for (int i = 1; i < PC_R_MAX; i++)
			if (!strcmp(o->reason, pc_reason_names[i]))
				r.reason = i;
		if (r.reason < 0) {
			pc_err("see 'portcullis stats' for the names",
			       "no reason called '%s'", o->reason);
			return PC_EXIT_USAGE;
		}
	}
	r.mono_to_real_ns =
		clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	pc_for_each_iface(o->netns, o->ifname, add_source, &r);
	if (!r.n_src) {
		pc_err("see 'portcullis status'",
		       "no interface to read the log of");
		return PC_EXIT_STATE;
	}
	if (o->pcap) {
		r.pcap = pc_pcap_open(o->pcap, PC_SNAPLEN);
		if (!r.pcap) {
			ret = PC_EXIT_ERROR;
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!o->follow) {
		ring_buffer__consume(r.rb);
	} else {
		while (!stop && !(o->count && r.seen >= o->count)) {
			int n = ring_buffer__poll(r.rb, 200);

			if (n < 0 && n != -EINTR)
				break;
			if (r.pcap)
				pc_pcap_flush(r.pcap);
		}
	}
out:
	pc_pcap_close(r.pcap);
	ring_buffer__free(r.rb);
	return ret;
}
