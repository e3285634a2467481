// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the policy parser: any bytes must give either a
 * policy or errors, never a crash, a leak or an out-of-bounds access.
 * `make fuzz` runs it for FUZZ_SECONDS with the shipped policies as seeds.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct pc_diag diag = { .file = "fuzz" };
	struct pc_policy pol;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	diag.out = devnull;
	if (pc_policy_parse((const char *)data, size, &diag, &pol) == 0)
		pc_policy_free(&pol);
	return 0;
}
