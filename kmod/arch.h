/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one home of architecture differences (included by compat.h). The
 * hooks read and write the probed functions' arguments in struct pt_regs,
 * which holds them where the calling convention puts them; everything else
 * in the module is the same C on every architecture.
 *
 *  x86_64: arguments in rdi, rsi, rdx, rcx, r8, r9. The ftrace call wrapper
 *	(hook_wrap.c, ROOTCACHE_ARCH_FTRACE_WRAP) and on 5.10 its direct-call
 *	trampolines (hook_direct.S, built only here: Kbuild) are the default
 *	insertion hook; the kretprobe is the fallback.
 *
 *  arm64: arguments in x0 to x7 (regs->regs[n]), the return value in x0.
 *	Only the kretprobe and kprobes are used (hook_mechanism reads
 *	"kretprobe"): the wrapper is not built. It finds the ftrace site of a
 *	function through a kprobe placed on it, and arm64 has no kprobes on
 *	ftrace (HAVE_KPROBES_ON_FTRACE; read in Debian's 6.1 and 6.12); on 6.1
 *	arm64 lacks DYNAMIC_FTRACE_WITH_ARGS and ftrace_instruction_pointer_set()
 *	is the generic no-op; the wrapper calls the function past that site,
 *	where a kernel with ARM64_BTI_KERNEL allows no indirect call to land;
 *	and that arm64's ftrace_caller honours a moved instruction pointer has
 *	not been proven in a guest here.
 *
 * The first part is read by hook_direct.S too: preprocessor only.
 */
#ifndef ROOTCACHE_ARCH_H
#define ROOTCACHE_ARCH_H

#include <linux/kconfig.h>

#if defined(CONFIG_X86_64)
#define ROOTCACHE_ARCH_FTRACE_WRAP 1
#elif defined(CONFIG_ARM64)
/* kretprobe only: see above */
#else
#error "rootcache supports x86_64 and arm64 only (the hooks rewrite argument registers)"
#endif

#ifndef __ASSEMBLY__

#include <linux/ptrace.h>
#include <asm/processor.h>

/*
 * Where user addresses end, for every task: TASK_SIZE_MAX, which arm64
 * has from 5.11 only (there it is 1 << VA_BITS, spelled out for 5.10).
 */
#if defined(TASK_SIZE_MAX)
#define ROOTCACHE_USER_END	TASK_SIZE_MAX
#elif defined(CONFIG_ARM64)
#define ROOTCACHE_USER_END	(UL(1) << VA_BITS)
#else
#error "no TASK_SIZE_MAX"
#endif

/*
 * The register that holds argument @n (from 0) of the probed function on
 * entry, or NULL past the argument registers. The hooks use arguments 0
 * to 3 only.
 */
static inline unsigned long *rootcache_arch_arg_reg(struct pt_regs *regs,
						    unsigned int n)
{
#if defined(CONFIG_X86_64)
	switch (n) {
	case 0:
		return &regs->di;
	case 1:
		return &regs->si;
	case 2:
		return &regs->dx;
	case 3:
		return &regs->cx;
	case 4:
		return &regs->r8;
	case 5:
		return &regs->r9;
	default:
		return NULL;
	}
#else
	return n < 8 ? (unsigned long *)&regs->regs[n] : NULL;
#endif
}

#endif /* !__ASSEMBLY__ */
#endif /* ROOTCACHE_ARCH_H */
