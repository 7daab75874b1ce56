/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftrace direct-call trampolines (ROOTCACHE_FTRACE_DIRECT, compat.h; 5.10).
 *
 * register_ftrace_direct() turns a function's fentry call into a call of
 * one of these, so each runs at the function's first instruction with the
 * function's arguments in their registers, and the stack holding the return
 * address into the function (just past its ftrace site) and above it the
 * return address into the function's caller. When another ftrace user
 * traces the same function, ftrace_regs_caller runs first, restores every
 * argument register and calls the trampoline with the same stack (its
 * orig_ax path, arch_ftrace_set_direct_caller()).
 *
 * Each trampoline must leave every register the function may read as it
 * found it, except the one it means to change.
 */
#include <linux/linkage.h>
#include <asm/unwind_hints.h>
#include "compat.h"

#ifdef ROOTCACHE_FTRACE_DIRECT

	.code64
	.section .text, "ax"

/*
 * The insertion function's site. Disabled: return into the function, as
 * if the site were a nop. Enabled: drop the return address into the
 * function and jump to rootcache_insert_wrapper() (hook_wrap.c), which
 * has the function's signature: it returns straight to the function's
 * caller, and calls the function itself past its ftrace site.
 */
SYM_CODE_START(rootcache_insert_tramp)
	UNWIND_HINT_FUNC
	cmpb	$0, rootcache_enabled(%rip)
	jne	1f
	RET
1:
	addq	$8, %rsp
	UNWIND_HINT_FUNC
	jmp	rootcache_insert_wrapper
SYM_CODE_END(rootcache_insert_tramp)

/*
 * mem_cgroup_charge(page, mm, gfp)'s site: clear mm (%rsi) when
 * rootcache_charge_redirects(page) says so (redirect.c). The C call may
 * change every caller-saved register; the function reads only its three
 * argument registers.
 */
SYM_FUNC_START(rootcache_charge_tramp)
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	call	rootcache_charge_redirects
	popq	%rdx
	popq	%rsi
	popq	%rdi
	testb	%al, %al
	jz	1f
	xorl	%esi, %esi
1:
	RET
SYM_FUNC_END(rootcache_charge_tramp)

/*
 * The canary's site (rootcache_rewrite_target() of redirect.c, which
 * returns its second argument): clear it, as the charge trampoline would.
 */
SYM_FUNC_START(rootcache_canary_tramp)
	xorl	%esi, %esi
	RET
SYM_FUNC_END(rootcache_canary_tramp)

#endif /* ROOTCACHE_FTRACE_DIRECT */
