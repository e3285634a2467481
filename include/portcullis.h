/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * portcullis ABI: the one header shared by the kernel programs (bpf/) and
 * the loader/CLI (user/): the limits here, map keys and values and the
 * verdict reasons in its parts under include/portcullis/ (verdict, flow,
 * policy, names, log, iface), which only this file includes.
 *
 * Rules for this file and its parts: fixed-width __u8/__u16/__u32/__u64 and __be16/__be32
 * types only, explicit padding in every key, a _Static_assert on every size.
 * A change here changes the pinned-map layout: bump PC_ABI_VERSION.
 */
#ifndef PORTCULLIS_H
#define PORTCULLIS_H

#ifndef __bpf__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_timer */
#endif

#define PC_ABI_VERSION 4

/* Limits. */
#define PC_MAX_VLAN_DEPTH 2 /* 802.1Q + one 802.1ad (QinQ) tag */
#define PC_MAX_IPV6_EXT_HDRS 6 /* extension headers walked before L4 */
#define PC_MAX_SSH_PORTS 4
#define PC_MAX_RULES 256 /* named policy rules, ids 1..PC_MAX_RULES-1 */
#define PC_MAX_ALLOW_ENTRIES 262144 /* per family, both slots together */
#define PC_DEFAULT_FLOWS 65536
#define PC_MAX_LOCAL_ADDRS 64
#define PC_NAME_LEN 48
#define PC_PATH_LEN 256
#define PC_DIGEST_LEN 65 /* sha256 hex + NUL */

/* The parts, each one concept (include/portcullis/). */
#include "portcullis/verdict.h"
#include "portcullis/flow.h"
#include "portcullis/policy.h"
#include "portcullis/names.h"
#include "portcullis/log.h"
#include "portcullis/iface.h"

#endif /* PORTCULLIS_H */
