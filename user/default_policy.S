/* The shipped default policy, built into the binary so that `up` without
 * --policy works from any directory. */
	.section .rodata
	.global pc_default_policy
	.global pc_default_policy_end
	.balign 16
pc_default_policy:
	.incbin "policies/default.yaml"
pc_default_policy_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
