// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Mangled frames: valid frames of every kind the programs parse (VLAN
 * tags, IPv4 and IPv6 with fragments and extension headers, TCP, UDP,
 * ICMP errors quoting a flow, ARP, NDP, DNS queries and answers), with
 * random bytes changed and random lengths cut off, through the real
 * ingress and egress programs. Whatever the frame, the program returns
 * pass or drop (it never aborts), exactly one reason row moves, by one, a
 * reason of the program's direction whose action is the verdict, and the
 * dry run (trace) named that reason first. Ingress never creates a flow;
 * each mangled DNS answer meets a pending query (sent again before it) and
 * teaches addresses for the asked name's rule only.
 * The frames are made from a fixed seed (PC_MANGLE_SEED overrides it), so
 * a failure names a frame that can be made again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "counters.h"
#include "harness.h"
#include "names.h"
#include "portcullis.h"
#include "trace.h"

#define MANGLE_FRAMES 3000 /* per direction; PC_MANGLE_FRAMES overrides */
#define MANGLE_SEED 0x5043u
#define MANGLE_MAX_EDITS 4
#define MANGLE_SEEDS 16 /* valid frames to start from, per direction */
#define ETH_HLEN 14
#define XDP_DROP 1
#define XDP_PASS 2
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

/* A DNS query for api.cloudflare.com (A), and its answer (one A record). */
static const uint8_t dns_query[] = {
	0x50, 0x43, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	3,    'a',  'p',  'i',	10,   'c',  'l',  'o',	'u',  'd',  'f',  'l',
	'a',  'r',  'e',  3,	'c',  'o',  'm',  0,	0x00, 0x01, 0x00, 0x01,
};
static const uint8_t dns_answer[] = {
	0x50, 0x43, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 3,    'a',  'p',	'i',  10,   'c',  'l',	'o',  'u',  'd',
	'f',  'l',  'a',  'r',	'e',  3,    'c',  'o',	'm',  0,    0x00,
	0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x01, 0x2c, 0x00, 0x04, 198,  51,   100,  7,
};

/* The frames mangled: each a valid frame of one kind. */
struct seed {
	uint8_t b[PKT_MAX];
	size_t n;
};

struct mangle {
	struct harness *h;
	bool egress;
	const struct seed *seeds;
	size_t n_seeds;
	uint32_t seed, rng;
	int frames; /* per direction */
	const struct seed *rearm; /* sent out before each rearm_for frame */
	const struct seed *rearm_for;
	uint64_t rows[PC_R_MAX];
	bool seen[PC_R_MAX]; /* reasons the frames were counted as */
	char fail[192]; /* the first failure, or "" */
};

static uint32_t next_rand(struct mangle *m)
{
	/* xorshift32: the same frames from the same seed everywhere */
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 17;
	m->rng ^= m->rng << 5;
	return m->rng;
}

static void seed_add(struct seed *seeds, size_t *n, const struct pkt_spec *s)
{
	if (*n >= MANGLE_SEEDS)
		abort(); /* a seed more than the arrays hold */
	seeds[*n].n = pkt_build(s, seeds[*n].b, sizeof(seeds[*n].b));
	(*n)++;
}

/* A frame from src:sport to dst:dport; the caller sets the rest. */
static struct pkt_spec spec(int af, const char *src, const char *dst,
			    uint8_t proto, uint16_t sport, uint16_t dport)
{
	return (struct pkt_spec){ .family = af,
				  .src = src,
				  .dst = dst,
				  .proto = proto,
				  .sport = sport,
				  .dport = dport };
}

/* Inbound frames of every kind, the replies to the flows made first. */
static size_t seeds_in(struct seed *seeds)
{
	static const uint8_t ext[] = { 0, 60, 44 };
	const int U = IPPROTO_UDP, T = IPPROTO_TCP;
	struct pkt_spec quote = spec(AF_INET, SRV4, EDGE4, U, 41000, 7844);
	struct pkt_spec quote6 = spec(AF_INET6, SRV6, EDGE6, U, 41000, 7844);
	struct pkt_spec s = spec(AF_INET, EDGE4, SRV4, U, 7844, 41000);
	size_t n = 0;

	s.payload = 32;
	seed_add(seeds, &n, &s); /* a reply of a UDP flow */
	s.proto = T;
	s.dport = 41001;
	s.tcp_flags = 0x12; /* the SYN-ACK of a TCP flow */
	s.ack = 1001;
	seed_add(seeds, &n, &s);
	s.tcp_flags = 0x11; /* its FIN */
	seed_add(seeds, &n, &s);
	s.src = OUT4;
	s.dport = 22;
	s.tcp_flags = 0x02; /* new SSH */
	s.vlans = 2;
	seed_add(seeds, &n, &s);
	s = spec(AF_INET, EDGE4, SRV4, IPPROTO_ICMP, 0, 0);
	s.icmp_type = 3;
	s.icmp_code = 4;
	s.inner = &quote;
	seed_add(seeds, &n, &s); /* an ICMP error quoting the UDP flow */
	s = spec(AF_INET6, EDGE6, SRV6, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 1;
	s.icmp_code = 4;
	s.inner = &quote6;
	seed_add(seeds, &n, &s); /* the same in ICMPv6, for the v6 flow */
	s = spec(AF_INET6, EDGE6, SRV6, T, 7844, 41003);
	s.tcp_flags = 0x12;
	s.ack = 1001;
	seed_add(seeds, &n, &s); /* the SYN-ACK of an IPv6 TCP flow */
	s = spec(AF_INET, EDGE4, SRV4, U, 7844, 41000);
	s.more_frags = true;
	s.payload = 64;
	seed_add(seeds, &n, &s); /* a first fragment */
	s.more_frags = false;
	s.frag_offset = 9;
	seed_add(seeds, &n, &s); /* a later one */
	s = spec(AF_INET6, EDGE6, SRV6, U, 7844, 41000);
	s.payload = 16;
	memcpy(s.ext, ext, sizeof(ext));
	s.n_ext = sizeof(ext);
	seed_add(seeds, &n, &s); /* IPv6 with extension headers */
	s = spec(AF_INET6, "fe80::2", SRV6, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 135;
	s.ttl = 255;
	seed_add(seeds, &n, &s); /* neighbour solicitation */
	s = (struct pkt_spec){ .arp = true };
	seed_add(seeds, &n, &s);
	s = spec(AF_INET, DNS4, SRV4, U, 53, 41002);
	s.data = dns_answer;
	s.payload = sizeof(dns_answer);
	seed_add(seeds, &n, &s); /* the answer to the query below: last */
	return n;
}

/* The server's DNS query the inbound answers answer. */
static void seed_query(struct seed *seeds, size_t *n)
{
	struct pkt_spec s = spec(AF_INET, SRV4, DNS4, IPPROTO_UDP, 41002, 53);

	s.data = dns_query;
	s.payload = sizeof(dns_query);
	seed_add(seeds, n, &s);
}

/* Outbound frames: new flows, flows made before, a DNS query. */
static size_t seeds_out(struct seed *seeds)
{
	const int U = IPPROTO_UDP, T = IPPROTO_TCP;
	struct pkt_spec s = spec(AF_INET, SRV4, EDGE4, U, 41000, 7844);
	size_t n = 0;

	s.payload = 32;
	seed_add(seeds, &n, &s); /* UDP to the edge */
	s = spec(AF_INET, SRV4, EDGE4, T, 41001, 7844);
	s.tcp_flags = 0x02; /* SYN to the edge */
	seed_add(seeds, &n, &s);
	s.tcp_flags = 0x10; /* an ACK of that flow */
	s.vlans = 1;
	seed_add(seeds, &n, &s);
	seed_query(seeds, &n); /* a DNS query (snooped) */
	s = spec(AF_INET6, SRV6, EDGE6, U, 41000, 7844);
	s.more_frags = true;
	s.payload = 64;
	seed_add(seeds, &n, &s); /* an IPv6 first fragment */
	s = spec(AF_INET6, SRV6, EDGE6, T, 41003, 7844);
	s.tcp_flags = 0x02;
	seed_add(seeds, &n, &s); /* an IPv6 SYN to the edge */
	s = spec(AF_INET6, SRV6, OUT6, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 128;
	s.icmp_id = 7;
	seed_add(seeds, &n, &s); /* an echo request */
	return n;
}

/* Run frame f (n bytes) through program fd once: 0 and its return value
 * in *retval, or -1 with errno. */
static int frame_run(int fd, const uint8_t *f, size_t n, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = n,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	*retval = opts.retval;
	return 0;
}

/* Send s through the egress program, unmangled. */
static int out_send(struct harness *h, const struct seed *s)
{
	__u32 retval;

	return frame_run(h->tc_fd, s->b, s->n, &retval);
}

/* The reason rows now, into rows; -1 when one cannot be read. */
static int rows_read(struct mangle *m, uint64_t *rows)
{
	for (__u32 r = 0; r < PC_R_MAX; r++) {
		rows[r] = h_row_packets(m->h, r);
		if (rows[r] == UINT64_MAX)
			return -1;
	}
	return 0;
}

/*
 * The shortest frame f may be cut to: the kernel's test run of a tc
 * program refuses an IPv4 or IPv6 frame (by its outer ethertype) whose IP
 * header does not fit, so for those the cut leaves the header whole.
 */
static size_t frame_min(const struct mangle *m, const uint8_t *f)
{
	bool tc = m->egress || m->h->ingress_tc;

	if (tc && f[12] == 0x08 && f[13] == 0x00)
		return ETH_HLEN + 20;
	if (tc && f[12] == 0x86 && f[13] == 0xdd)
		return ETH_HLEN + 40;
	return ETH_HLEN;
}

/*
 * Where an edit of seed s goes: mostly in the headers, where the parser
 * looks; in a DNS answer, half the time (in_msg) in its message, where
 * the snooping parser looks (the headers end 53 bytes before the frame
 * does, so few edits would reach the answer's record otherwise).
 */
static size_t edit_at(struct mangle *m, const struct seed *s, bool in_msg)
{
	size_t span = next_rand(m) % 4 ? (s->n < 80 ? s->n : 80) : s->n;

	if (in_msg)
		return s->n - sizeof(dns_answer) +
		       next_rand(m) % sizeof(dns_answer);
	return next_rand(m) % span;
}

/* Frame f: seed frame with 1 to MANGLE_MAX_EDITS bytes changed, maybe cut. */
static size_t frame_make(struct mangle *m, uint8_t *f, const struct seed **from)
{
	const struct seed *s = &m->seeds[next_rand(m) % m->n_seeds];
	int edits = 1 + next_rand(m) % MANGLE_MAX_EDITS;
	bool in_msg = s == m->rearm_for && next_rand(m) % 2;
	size_t n = s->n;

	*from = s;
	memset(f, 0, PKT_MAX);
	memcpy(f, s->b, n);
	for (int i = 0; i < edits; i++)
		f[edit_at(m, s, in_msg)] = next_rand(m);
	if (next_rand(m) % 4 == 0)
		n = ETH_HLEN + next_rand(m) % (n - ETH_HLEN + 1);
	return n < frame_min(m, f) ? frame_min(m, f) : n;
}

/*
 * The reason row that moved from m->rows to rows (by one, the only one),
 * or -1 when none did, PC_R_MAX when more than one or one by more.
 */
static int row_moved(const struct mangle *m, const uint64_t *rows)
{
	int moved = -1;

	for (int r = 0; r < PC_R_MAX; r++) {
		if (rows[r] == m->rows[r])
			continue;
		if (moved >= 0 || rows[r] != m->rows[r] + 1)
			return PC_R_MAX;
		moved = r;
	}
	return moved;
}

/* What is wrong with a verdict (pass) counted as moved, or NULL. */
static const char *verdict_fault(const struct mangle *m, int moved, bool pass,
				 const struct pc_trace *tr)
{
	if (moved < 0)
		return "no reason row moved";
	if (moved == PC_R_MAX)
		return "more than one reason row moved, or one by more";
	if (moved == PC_R_NONE)
		return "counted as none";
	if (pc_reason_dir(moved) !=
	    (m->egress ? PC_DIR_EGRESS : PC_DIR_INGRESS))
		return "counted as a reason of the other direction";
	if (pass != (pc_reason_act(moved) == PC_ACT_PASS))
		return pass ? "passed for a drop reason" :
			      "dropped for a pass reason";
	if (tr->reason != (__u32)moved)
		return "the dry run named another reason";
	return NULL;
}

/* Judge frame i; on the first failure, note why in m->fail. */
static void frame_judge(struct mangle *m, int i, const uint8_t *f, size_t n)
{
	struct harness *h = m->h;
	int fd = m->egress ? h->tc_fd : h->ingress_tc ? h->tc_in_fd : h->xdp_fd;
	bool xdp = !m->egress && !h->ingress_tc;
	__u32 pass_ret = xdp ? XDP_PASS : TC_ACT_OK;
	__u32 drop_ret = xdp ? XDP_DROP : TC_ACT_SHOT;
	uint64_t rows[PC_R_MAX];
	const char *why = NULL;
	struct pc_trace tr;
	int dry_ret, moved;
	__u32 retval;

	if (pc_trace_run(h->trace, m->egress, f, n, &tr, &dry_ret))
		why = "the dry run failed";
	else if (frame_run(fd, f, n, &retval) || rows_read(m, rows))
		why = "the run failed";
	if (why) {
		snprintf(m->fail, sizeof(m->fail),
			 "frame %d (%zu bytes): %s: %s", i, n, why,
			 strerror(errno));
		return;
	}
	moved = row_moved(m, rows);
	memcpy(m->rows, rows, sizeof(rows));
	if (moved > PC_R_NONE && moved < PC_R_MAX)
		m->seen[moved] = true;
	if (retval != pass_ret && retval != drop_ret)
		why = "returned neither pass nor drop";
	else
		why = verdict_fault(m, moved, retval == pass_ret, &tr);
	if (why)
		snprintf(m->fail, sizeof(m->fail),
			 "frame %d (%zu bytes): %s (counted as %s, retval %u, "
			 "dry run %s)",
			 i, n, why,
			 moved > 0 && moved < PC_R_MAX ?
				 pc_reason_names[moved] :
				 "-",
			 retval,
			 tr.reason < PC_R_MAX ? pc_reason_names[tr.reason] :
						"?");
}

/* m->frames mangled frames of one direction; "" in m->fail when all
 * held. Returns how many distinct reasons they were counted as. */
static int mangle_run(struct mangle *m)
{
	uint8_t f[PKT_MAX];
	int kinds = 0;

	m->fail[0] = '\0';
	if (rows_read(m, m->rows)) {
		snprintf(m->fail, sizeof(m->fail), "reading the counters");
		return 0;
	}
	memset(m->seen, 0, sizeof(m->seen));
	for (int i = 0; i < m->frames && !m->fail[0]; i++) {
		const struct seed *from;
		size_t n = frame_make(m, f, &from);

		/* a query pending again, so the mangled answer may be taken */
		if (m->rearm && from == m->rearm_for &&
		    (out_send(m->h, m->rearm) || rows_read(m, m->rows))) {
			snprintf(m->fail, sizeof(m->fail), "the query failed");
			break;
		}
		frame_judge(m, i, f, n);
	}
	for (int r = 0; r < PC_R_MAX; r++)
		kinds += m->seen[r];
	return kinds;
}

/* The flows the inbound seeds answer, made by the server's own packets. */
static int flows_make(struct harness *h)
{
	struct seed out[MANGLE_SEEDS];
	size_t n = seeds_out(out);

	for (size_t i = 0; i < n; i++)
		if (out_send(h, &out[i]))
			return -1;
	return 0;
}

/*
 * The inbound seeds unmangled, in order, after flows_make: each must pass
 * (so the mangled frames start from the paths that let packets in).
 * Returns the index of the first that did not, or -1.
 */
static int seeds_in_pass(struct harness *h, const struct seed *seeds, size_t n)
{
	int fd = h->ingress_tc ? h->tc_in_fd : h->xdp_fd;
	__u32 pass = h->ingress_tc ? TC_ACT_OK : XDP_PASS;

	for (size_t i = 0; i < n; i++) {
		__u32 retval;

		if (frame_run(fd, seeds[i].b, seeds[i].n, &retval) ||
		    retval != pass)
			return i;
	}
	return -1;
}

/* The entries of dyn_allow (addresses learned from DNS answers). */
struct dyn_set {
	struct pc_dyn_key k[PC_MAX_DYN];
	struct pc_dyn_val v[PC_MAX_DYN];
	long n;
};

static int dyn_read(struct harness *h, struct dyn_set *d)
{
	struct pc_dyn_key *prev = NULL;

	d->n = 0;
	while (d->n < PC_MAX_DYN &&
	       !bpf_map_get_next_key(h->m.dyn_allow, prev, &d->k[d->n])) {
		if (bpf_map_lookup_elem(h->m.dyn_allow, &d->k[d->n],
					&d->v[d->n]))
			return -1;
		prev = &d->k[d->n++];
	}
	return 0;
}

/* Entries of now that are not in before, or are there with another
 * rule: *mine those of rule rule_id, *foreign those of any other. */
static void dyn_new(const struct dyn_set *before, const struct dyn_set *now,
		    __u32 rule_id, long *mine, long *foreign)
{
	*mine = *foreign = 0;
	for (long i = 0; i < now->n; i++) {
		bool same = false;

		for (long j = 0; j < before->n && !same; j++)
			same = !memcmp(&now->k[i], &before->k[j],
				       sizeof(now->k[i])) &&
			       now->v[i].rule_id == before->v[j].rule_id;
		if (same)
			continue;
		if (now->v[i].rule_id == rule_id)
			(*mine)++;
		else
			(*foreign)++;
	}
}

/* min_kinds: how many reasons the frames must reach (they reach 14-15
 * inbound, 7-8 outbound with the seeds tried). */
static void mangle_dir(struct harness *h, struct mangle *m, bool egress,
		       const struct seed *seeds, size_t n_seeds, int min_kinds)
{
	uint64_t flows = h_flow_count(h);
	char n[128];
	int kinds;

	m->egress = egress;
	m->seeds = seeds;
	m->n_seeds = n_seeds;
	kinds = mangle_run(m);
	snprintf(n, sizeof(n),
		 "%d mangled %s frames: each counted once, by a reason of its "
		 "direction whose action is the verdict, as the dry run said",
		 m->frames, egress ? "outbound" : "inbound");
	check(h, n, !m->fail[0], "seed %#x: %s", m->seed, m->fail);
	snprintf(n, sizeof(n), "mangled %s frames reach %d reasons or more",
		 egress ? "outbound" : "inbound", min_kinds);
	check(h, n, kinds >= min_kinds, "only %d", kinds);
	if (egress)
		return;
	check(h, "mangled inbound frames create no flow",
	      h_flow_count(h) <= flows, "%llu flows before, %llu after",
	      (unsigned long long)flows, (unsigned long long)h_flow_count(h));
}

/*
 * The DNS answers among the inbound frames answer the query for
 * api.cloudflare.com: mangled, they may teach another address for that
 * name (its rdata changed), never an address for another rule.
 */
static void mangle_dns(struct harness *h, const struct mangle *m,
		       const struct dyn_set *before)
{
	static struct dyn_set now;
	int api = h_rule_id(h, "api-cloudflare");
	long mine = -1, foreign = -1;

	if (api > 0 && !dyn_read(h, &now))
		dyn_new(before, &now, api, &mine, &foreign);
	check(h, "mangled DNS answers teach addresses for the asked name only",
	      foreign == 0,
	      "%ld entries of %ld (%ld before) new for another rule", foreign,
	      now.n, before->n);
	/* the edits in the answer's record reach the learning (a handful
	 * of the default frames change its address and nothing else) */
	if (m->frames >= MANGLE_FRAMES)
		check(h, "mangled DNS answers: some teach a changed address",
		      mine > 0, "%ld new for api-cloudflare", mine);
}

void test_mangle(struct harness *h)
{
	static struct seed in[MANGLE_SEEDS], out[MANGLE_SEEDS];
	const char *env = getenv("PC_MANGLE_SEED");
	const char *frames = getenv("PC_MANGLE_FRAMES");
	struct mangle m = { .h = h, .seed = MANGLE_SEED };
	static struct dyn_set dyn;
	static struct seed query;
	size_t n_query = 0;
	int bad;
	size_t n_in = seeds_in(in), n_out = seeds_out(out);

	seed_query(&query, &n_query);
	if (env && strtoul(env, NULL, 0))
		m.seed = strtoul(env, NULL, 0);
	m.rng = m.seed;
	m.frames = frames && atoi(frames) > 0 ? atoi(frames) : MANGLE_FRAMES;
	h->group = "mangle";
	if (flows_make(h)) {
		check(h, "mangled frames: the flows they answer", false,
		      "a run failed");
		return;
	}
	if (dyn_read(h, &dyn)) {
		check(h, "mangled frames: reading dyn_allow", false, "failed");
		return;
	}
	bad = seeds_in_pass(h, in, n_in);
	check(h, "the inbound frames mangled pass unmangled", bad < 0,
	      "frame %d of the seeds is dropped", bad);
	m.rearm = &query;
	m.rearm_for = &in[n_in - 1]; /* seeds_in makes the DNS answer last */
	mangle_dir(h, &m, false, in, n_in, 10);
	mangle_dns(h, &m, &dyn);
	m.rearm = NULL;
	mangle_dir(h, &m, true, out, n_out, 6);
}
