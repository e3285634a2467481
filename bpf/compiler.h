/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Compiler helpers the BPF programs share. */
#ifndef PC_COMPILER_H
#define PC_COMPILER_H

/*
 * Keep a map call where it is written: without this clang merges two
 * branches' calls on different maps into one call whose map is chosen at
 * run time, which the verifier cannot inline (a slow, indirect call).
 */
#define pc_keep(x) asm volatile("" : "+r"(x))

#endif /* PC_COMPILER_H */
