// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Pins of another version: the CLI opens an interface's pinned maps only
 * when they were pinned with this version's map layout (PC_ABI_VERSION in
 * the info map), and reads the info map of any version safely (down).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "pins.h"
#include "portcullis.h"

static int set_abi(struct harness *h, __u32 abi)
{
	struct pc_info info = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(h->m.info, &zero, &info);
	info.abi_version = abi;
	return bpf_map_update_elem(h->m.info, &zero, &info, BPF_ANY);
}

static void abi(struct harness *h)
{
	char dir[] = PC_BPFFS "/pc-unit-pins-XXXXXX", path[PATH_MAX];
	const int *fds = (const int *)&h->m;
	struct pc_info info;
	struct pc_maps m;
	__u32 size = 0;
	int pinned = 0, err;

	if (pc_bpffs_ensure() || !mkdtemp(dir)) {
		check(h, "a pin directory is made", false, "%s",
		      strerror(errno));
		return;
	}
	for (int i = 0; i < PC_N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pc_map_names[i]);
		pinned += !bpf_obj_pin(fds[i], path);
	}
	check(h, "every map is pinned", pinned == PC_N_MAPS, "%d of %d", pinned,
	      PC_N_MAPS);

	set_abi(h, PC_ABI_VERSION);
	err = pc_maps_open(dir, &m);
	check(h, "maps pinned with this layout open", !err, "%s",
	      strerror(errno));
	if (!err)
		pc_maps_close(&m);

	set_abi(h, PC_ABI_VERSION - 1);
	err = pc_maps_open(dir, &m);
	check(h, "maps pinned by another version are refused (EPROTO)",
	      err && errno == EPROTO, "returned %d, %s", err, strerror(errno));
	check(h, "their info map still reads (down needs it)",
	      !pc_info_read(h->m.info, &info, &size) &&
		      info.abi_version == PC_ABI_VERSION - 1 &&
		      size == sizeof(info),
	      "abi %u, size %u", info.abi_version, size);
	set_abi(h, PC_ABI_VERSION);
	check(h, "the pins are removed", !pc_pins_remove(dir), "%s",
	      strerror(errno));
}

void test_pins(struct harness *h)
{
	h_group(h, "pins", NULL, 0, abi);
}
