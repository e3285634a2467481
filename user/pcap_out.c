// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdlib.h>
#include <pcap/pcap.h>
#include "common.h"
#include "pcap_out.h"

struct pc_pcap {
	pcap_t *p;
	pcap_dumper_t *d;
};

struct pc_pcap *pc_pcap_open(const char *path, int snaplen)
{
	struct pc_pcap *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->p = pcap_open_dead(DLT_EN10MB, snaplen);
	w->d = w->p ? pcap_dump_open(w->p, path) : NULL;
	if (!w->d) {
		pc_err("check the path", "opening %s for pcap failed: %s", path,
		       w->p ? pcap_geterr(w->p) : "libpcap");
		pc_pcap_close(w);
		return NULL;
	}
	return w;
}

void pc_pcap_write(struct pc_pcap *w, int64_t real_ns, const void *data,
		   uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = len };

	h.ts.tv_sec = real_ns / 1000000000LL;
	h.ts.tv_usec = (real_ns % 1000000000LL) / 1000;
	pcap_dump((unsigned char *)w->d, &h, data);
}

void pc_pcap_flush(struct pc_pcap *w)
{
	pcap_dump_flush(w->d);
}

void pc_pcap_close(struct pc_pcap *w)
{
	if (!w)
		return;
	if (w->d)
		pcap_dump_close(w->d);
	if (w->p)
		pcap_close(w->p);
	free(w);
}
