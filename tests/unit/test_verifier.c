// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The verifier's budget: every program must load with room to spare under
 * the kernel's limit of 1M processed instructions, so that a small change,
 * another clang or another kernel's verifier does not tip a program over
 * (pc_ingress_tc once sat at 962k). Loads the object once more with the
 * verifier's statistics on and reads "processed N insns" per program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "harness.h"

/* 75% of the verifier's BPF_COMPLEXITY_LIMIT_INSNS (1M). */
#define PC_VERIFIER_BUDGET 750000
#define PC_VERIFIER_LOG (64 * 1024)

void test_verifier(struct harness *h)
{
	struct portcullis *skel = portcullis__open();
	struct bpf_program *prog;
	char *logs[32] = { NULL };
	int n = 0, err;

	h->group = "verifier";
	if (!skel) {
		check(h, "open", false, "open failed");
		return;
	}
	bpf_object__for_each_program (prog, skel->obj) {
		if (n == 32)
			break;
		logs[n] = calloc(1, PC_VERIFIER_LOG);
		if (logs[n]) {
			bpf_program__set_log_level(prog, 4); /* statistics */
			bpf_program__set_log_buf(prog, logs[n],
						 PC_VERIFIER_LOG);
		}
		n++;
	}
	err = portcullis__load(skel);
	check(h, "the object loads with statistics on", !err, "load failed: %d",
	      err);
	n = 0;
	bpf_object__for_each_program (prog, skel->obj) {
		const char *s = n < 32 && logs[n] ?
					strstr(logs[n], "processed ") :
					NULL;
		long insns = s ? strtol(s + strlen("processed "), NULL, 10) :
				 -1;
		char name[96];

		snprintf(name, sizeof(name),
			 "%s: %ld instructions, within 75%% of the limit",
			 bpf_program__name(prog), insns);
		if (!err)
			check(h, name, insns > 0 && insns < PC_VERIFIER_BUDGET,
			      "processed %ld instructions", insns);
		n++;
	}
	for (n = 0; n < 32; n++)
		free(logs[n]);
	portcullis__destroy(skel);
}
