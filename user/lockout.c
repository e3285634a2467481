// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "lockout.h"

static int addr_on_iface(const char *ifname, int family, const void *addr)
{
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) ||
		    i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			found = !memcmp(
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				addr, 4);
		else
			found = !memcmp(
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
				addr, 16);
	}
	freeifaddrs(ifa);
	return found;
}

static int prefix_has(const struct pc_prefix *p, int family,
		      const unsigned char *a)
{
	unsigned int bits = p->len;

	if (p->family != family)
		return 0;
	if (memcmp(p->addr, a, bits / 8))
		return 0;
	if (bits % 8) {
		unsigned char m = 0xff << (8 - bits % 8);

		return (p->addr[bits / 8] & m) == (a[bits / 8] & m);
	}
	return 1;
}

int pc_lockout_check(const char *ifname, const struct pc_policy *pol)
{
	const char *env = getenv("SSH_CONNECTION");
	char cip[64], sip[64];
	unsigned char ca[16], sa[16];
	unsigned int cport, sport;
	int family, port_ok = 0, src_ok = !pol->n_ssh_from;

	if (!env ||
	    sscanf(env, "%63s %u %63s %u", cip, &cport, sip, &sport) != 4)
		return 0;
	family = strchr(sip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, sip, sa) != 1 || inet_pton(family, cip, ca) != 1)
		return 0;
	if (!addr_on_iface(ifname, family, sa))
		return 0; /* the session does not come through this interface */
	for (size_t i = 0; i < pol->n_ssh_ports; i++)
		port_ok |= pol->ssh_ports[i] == sport;
	for (size_t i = 0; i < pol->n_ssh_from; i++)
		src_ok |= prefix_has(&pol->ssh_from[i], family, ca);
	if (!port_ok) {
		pc_err("add the port to ssh.ports, or pass --force if you mean it",
		       "refusing: the policy does not allow SSH on port %u, and your session (%s -> %s:%u) uses it",
		       sport, cip, sip, sport);
		return -1;
	}
	if (!src_ok) {
		pc_err("add your address to ssh.from, or pass --force if you mean it",
		       "refusing: ssh.from does not include %s, the source of your session; you could not log in again",
		       cip);
		return -1;
	}
	return 0;
}
