/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Writing captured packets as a pcap file through libpcap. Kept apart
 * because libpcap's headers define classic-BPF types that clash with
 * <linux/bpf.h>.
 */
#ifndef PC_PCAP_OUT_H
#define PC_PCAP_OUT_H

#include <stddef.h>
#include <stdint.h>

struct pc_pcap;

/* Ethernet link type, snaplen bytes. NULL on error (printed). */
struct pc_pcap *pc_pcap_open(const char *path, int snaplen);
void pc_pcap_write(struct pc_pcap *w, int64_t real_ns, const void *data,
		   uint32_t caplen, uint32_t len);
void pc_pcap_flush(struct pc_pcap *w);
void pc_pcap_close(struct pc_pcap *w);

#endif /* PC_PCAP_OUT_H */
