// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Ingress (XDP) verdict paths, for IPv4 and IPv6. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"
#include "portcullis.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

struct fam {
	int af;
	const char *tag, *srv, *peer, *edge, *out, *loop;
	uint8_t icmp;
};

static const struct fam fams[] = {
	{ AF_INET, "v4", SRV4, PEER4, EDGE4, OUT4, "127.0.0.1", IPPROTO_ICMP },
	{ AF_INET6, "v6", SRV6, PEER6, EDGE6, OUT6, "::1", IPPROTO_ICMPV6 },
};

static struct pkt_spec tcp(const struct fam *f, const char *src, uint16_t sport,
			   uint16_t dport, uint8_t flags)
{
	struct pkt_spec s = {
		.family = f->af,
		.src = src,
		.dst = f->srv,
		.proto = IPPROTO_TCP,
		.sport = sport,
		.dport = dport,
		.tcp_flags = flags,
	};
	return s;
}

static void name(char *buf, size_t len, const struct fam *f, const char *what)
{
	snprintf(buf, len, "%s %s", f->tag, what);
}

static void scans(struct harness *h, const struct fam *f)
{
	static const struct {
		const char *what;
		uint8_t flags;
	} probes[] = {
		{ "bare ACK to 80 (no flow)", TH_ACK },
		{ "FIN to 80 (no flow)", TH_FIN },
		{ "NULL to 80 (no flow)", 0 },
		{ "Xmas to 80 (no flow)", TH_FIN | TH_PSH | TH_URG },
		{ "RST to 80 (no flow)", TH_RST },
		{ "SYN-ACK to 80 (no flow)", TH_SYN | TH_ACK },
	};
	char n[128];

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct pkt_spec s = tcp(f, f->out, 40000, 80, probes[i].flags);

		name(n, sizeof(n), f, probes[i].what);
		expect(h, n, false, &s, false, PC_R_IN_NO_FLOW, NULL);
	}
}

static void ssh(struct harness *h, const struct fam *f)
{
	struct pkt_spec s;
	char n[128];

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	name(n, sizeof(n), f, "SYN to 22 passes (new SSH)");
	expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);

	s = tcp(f, f->out, 40000, 22, TH_ACK);
	name(n, sizeof(n), f, "ACK to 22 with no connection drops");
	expect(h, n, false, &s, false, PC_R_IN_NO_FLOW, NULL);

	s = tcp(f, f->out, 22, 40000, TH_SYN);
	name(n, sizeof(n), f, "SYN from source port 22 to 40000 drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);

	s = tcp(f, f->out, 443, 40000, TH_ACK);
	name(n, sizeof(n), f, "ACK from source port 443 drops");
	expect(h, n, false, &s, false, PC_R_IN_NO_FLOW, NULL);

	s = tcp(f, f->out, 40000, 2222, TH_SYN);
	name(n, sizeof(n), f, "SYN to 2222 (not an SSH port) drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);
}

static void l2_and_martians(struct harness *h, const struct fam *f)
{
	struct pkt_spec s;
	char n[128];

	s = tcp(f, f->loop, 40000, 22, TH_SYN);
	name(n, sizeof(n), f, "loopback source drops (martian)");
	expect(h, n, false, &s, false, PC_R_IN_MARTIAN, NULL);

	s = tcp(f, f->srv, 40000, 22, TH_SYN);
	name(n, sizeof(n), f, "own address as source drops (martian)");
	expect(h, n, false, &s, false, PC_R_IN_MARTIAN, NULL);

	s = tcp(f, f->af == AF_INET ? "224.0.0.1" : "ff02::1", 40000, 22,
		TH_SYN);
	name(n, sizeof(n), f, "multicast source drops (martian)");
	expect(h, n, false, &s, false, PC_R_IN_MARTIAN, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.vlans = 1;
	name(n, sizeof(n), f, "802.1Q SYN to 22 judged on the inner packet");
	expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);

	s.vlans = 2;
	name(n, sizeof(n), f, "QinQ SYN to 22 judged on the inner packet");
	expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);

	s.vlans = 3;
	name(n, sizeof(n), f, "three VLAN tags drop");
	expect(h, n, false, &s, false, PC_R_IN_BAD_L2, NULL);

	s = tcp(f, f->out, 40000, 80, TH_SYN);
	s.vlans = 1;
	name(n, sizeof(n), f, "802.1Q SYN to 80 drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.cut = 10;
	name(n, sizeof(n), f, "truncated TCP header drops (malformed)");
	expect(h, n, false, &s, false, PC_R_IN_MALFORMED, NULL);

	s = tcp(f, f->out, 40000, 80, TH_SYN);
	s.proto = 132; /* SCTP */
	name(n, sizeof(n), f, "unknown L4 protocol drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);

	s = (struct pkt_spec){ .family = f->af,
			       .src = f->out,
			       .dst = f->srv,
			       .proto = f->icmp,
			       .icmp_type = f->af == AF_INET ? 8 : 128 };
	name(n, sizeof(n), f, "ICMP echo request drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);
}

static void ipv6_only(struct harness *h, const struct fam *f)
{
	struct pkt_spec s = { .family = AF_INET6,
			      .src = "fe80::2",
			      .dst = "ff02::1:ff00:1",
			      .proto = 58,
			      .icmp_type = 135,
			      .ttl = 255 };
	char n[128];

	name(n, sizeof(n), f, "NDP neighbour solicitation passes");
	expect(h, n, false, &s, true, PC_R_IN_NDP, NULL);
	s.icmp_type = 136;
	name(n, sizeof(n), f, "NDP neighbour advertisement passes");
	expect(h, n, false, &s, true, PC_R_IN_NDP, NULL);
	s.icmp_type = 134;
	name(n, sizeof(n), f, "NDP router advertisement passes");
	expect(h, n, false, &s, true, PC_R_IN_NDP, NULL);
	s.icmp_type = 135;
	s.ttl = 64;
	name(n, sizeof(n), f, "NDP with hop limit 64 drops");
	expect(h, n, false, &s, false, PC_R_IN_DEFAULT_DROP, NULL);
	s.ttl = 255;
	s.src = "::";
	name(n, sizeof(n), f, "NDP DAD from :: passes");
	expect(h, n, false, &s, true, PC_R_IN_NDP, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.ext[0] = 0; /* hop-by-hop */
	s.ext[1] = 60; /* destination options */
	s.n_ext = 2;
	name(n, sizeof(n), f, "SYN to 22 behind hop-by-hop + dstopts passes");
	expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);

	s.n_ext = 7;
	for (int i = 0; i < 7; i++)
		s.ext[i] = 60;
	name(n, sizeof(n), f, "extension chain over the limit drops");
	expect(h, n, false, &s, false, PC_R_IN_BAD_EXTHDR, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.ext[0] = 44;
	s.n_ext = 1;
	name(n, sizeof(n), f, "atomic fragment SYN to 22 passes");
	expect(h, n, false, &s, true, PC_R_IN_SSH_NEW, NULL);

	s.frag_offset = 100;
	name(n, sizeof(n), f, "orphan non-first fragment drops");
	expect(h, n, false, &s, false, PC_R_IN_BAD_FRAGMENT, NULL);
}

static void ipv4_only(struct harness *h, const struct fam *f)
{
	struct pkt_spec s = { .arp = true };
	char n[128];

	name(n, sizeof(n), f, "ARP passes");
	expect(h, n, false, &s, true, PC_R_IN_ARP, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.frag_offset = 100;
	name(n, sizeof(n), f, "orphan non-first fragment drops");
	expect(h, n, false, &s, false, PC_R_IN_BAD_FRAGMENT, NULL);

	s = tcp(f, "255.255.255.255", 68, 67, 0);
	s.proto = IPPROTO_UDP;
	name(n, sizeof(n), f, "broadcast source drops (martian)");
	expect(h, n, false, &s, false, PC_R_IN_MARTIAN, NULL);

	s = tcp(f, f->out, 40000, 22, TH_SYN);
	s.ethertype = 0x88cc; /* LLDP */
	name(n, sizeof(n), f, "unknown ethertype drops");
	expect(h, n, false, &s, false, PC_R_IN_BAD_L2, NULL);
}

void test_ingress(struct harness *h)
{
	h->group = "ingress";
	for (size_t i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];

		scans(h, f);
		ssh(h, f);
		l2_and_martians(h, f);
		if (f->af == AF_INET)
			ipv4_only(h, f);
		else
			ipv6_only(h, f);
	}
}

/*
 * A real SSH-port connection in this test's own netns: its ACKs pass as
 * in_ssh_established (the kernel's socket table is the state), and once
 * it is closed and gone the same ACK drops.
 */
static int connect_pair(int af, const char *srv, const char *cli, int *lfd,
			int *cfd, uint16_t *cport)
{
	struct sockaddr_storage ss = {}, cs = {};
	socklen_t sl;
	int one = 1;

	if (af == AF_INET) {
		struct sockaddr_in *s = (void *)&ss, *c = (void *)&cs;

		s->sin_family = c->sin_family = AF_INET;
		s->sin_port = htons(22);
		inet_pton(AF_INET, srv, &s->sin_addr);
		inet_pton(AF_INET, cli, &c->sin_addr);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss, *c = (void *)&cs;

		s->sin6_family = c->sin6_family = AF_INET6;
		s->sin6_port = htons(22);
		inet_pton(AF_INET6, srv, &s->sin6_addr);
		inet_pton(AF_INET6, cli, &c->sin6_addr);
		sl = sizeof(*s);
	}
	*lfd = socket(af, SOCK_STREAM, 0);
	*cfd = socket(af, SOCK_STREAM, 0);
	setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(*lfd, (void *)&ss, sl) || listen(*lfd, 4) ||
	    bind(*cfd, (void *)&cs, sl) || connect(*cfd, (void *)&ss, sl))
		return -1;
	if (getsockname(*cfd, (void *)&cs, &sl))
		return -1;
	*cport = ntohs(af == AF_INET ? ((struct sockaddr_in *)&cs)->sin_port :
				       ((struct sockaddr_in6 *)&cs)->sin6_port);
	return 0;
}

static void ssh_socket(struct harness *h, const struct fam *f)
{
	int lfd = -1, cfd = -1, afd;
	uint16_t cport = 0;
	struct pkt_spec s;
	char n[128];

	if (connect_pair(f->af, f->srv, f->peer, &lfd, &cfd, &cport)) {
		name(n, sizeof(n), f, "SSH socket setup");
		check(h, n, false, "cannot connect %s -> %s:22", f->peer,
		      f->srv);
		goto out;
	}
	s = tcp(f, f->peer, cport, 22, TH_ACK);
	name(n, sizeof(n), f, "ACK of a live SSH connection passes");
	expect(h, n, false, &s, true, PC_R_IN_SSH_ESTABLISHED, NULL);

	s = tcp(f, f->peer, cport + 1, 22, TH_ACK);
	name(n, sizeof(n), f, "ACK to 22 from an unknown port drops");
	expect(h, n, false, &s, false, PC_R_IN_NO_FLOW, NULL);

	afd = accept(lfd, NULL, NULL);
	if (afd >= 0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		/* RST close: no TIME_WAIT left behind. */
		setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cfd);
		cfd = -1;
		close(afd);
	}
	usleep(20000);
	s = tcp(f, f->peer, cport, 22, TH_ACK);
	name(n, sizeof(n), f, "ACK after the SSH connection closed drops");
	expect(h, n, false, &s, false, PC_R_IN_NO_FLOW, NULL);
out:
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
}

void test_ingress_ssh_socket(struct harness *h)
{
	h->group = "ingress";
	/* This process's private netns: a veth holding both ends (made
	 * once: the group runs again for tc ingress). */
	if (system("ip link show pcu0 >/dev/null 2>&1 || { "
		   "ip link add pcu0 type veth peer name pcu1 && "
		   "ip link set pcu0 up && ip link set pcu1 up && "
		   "ip link set lo up && "
		   "ip addr add " SRV4 "/24 dev pcu0 && "
		   "ip addr add " PEER4 "/24 dev pcu0 && "
		   "ip addr add " SRV6 "/64 dev pcu0 nodad && "
		   "ip addr add " PEER6 "/64 dev pcu0 nodad; }")) {
		check(h, "SSH socket netns setup", false, "ip failed");
		return;
	}
	for (size_t i = 0; i < 2; i++)
		ssh_socket(h, &fams[i]);
}
