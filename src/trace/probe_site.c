// SPDX-License-Identifier: MIT
#include "trace/probe_site.h"
#include "base/util.h"
#include "leakscope.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#define MAX_INSNS 64	/* how far in the first emulated instruction may be */
#define NREGS 16	/* LS_REG_* plus one slot for "another register" */

/*
 * Exactly what the kernel emulates at a uprobe (arch/x86/kernel/uprobes.c:
 * branches with an immediate target, push of a register, nop), by
 * opcode, so a capstone name can never stand in for an encoding the
 * kernel would single-step.
 */
static bool is_emulated(const uint8_t *b, size_t n, bool *is_jmp)
{
	*is_jmp = false;
	if (n == 5 && b[0] == 0xe8)
		return true;				/* call rel32 */
	if ((n == 5 && b[0] == 0xe9) || (n == 2 && b[0] == 0xeb)) {
		*is_jmp = true;				/* jmp rel */
		return true;
	}
	if (n == 2 && b[0] >= 0x70 && b[0] <= 0x7f)
		return true;				/* jcc rel8 */
	if (n == 6 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f)
		return true;				/* jcc rel32 */
	if (n == 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true;				/* push r64 */
	if (n == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;				/* push r8-r15 */
	if (n == 1 && b[0] == 0x90)
		return true;				/* nop */
	if (n == 5 && !memcmp(b, "\x0f\x1f\x44\x00\x00", 5))
		return true;				/* nopl 0(%rax,%rax) */
	return false;
}

/* Our number for a general register, and whether the name is its full
 * 64 bits; -1 for anything else (rsp, rip, flags, vector registers). */
static int reg_of(unsigned r, bool *full)
{
	static const struct { unsigned r64, r32, r16, r8; int ls; } regs[] = {
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, LS_REG_DI },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, LS_REG_SI },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, LS_REG_DX },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, LS_REG_CX },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, LS_REG_R8 },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, LS_REG_R9 },
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, LS_REG_AX },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, LS_REG_BX },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, LS_REG_BP },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, LS_REG_R10 },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, LS_REG_R11 },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, LS_REG_R12 },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, LS_REG_R13 },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, LS_REG_R14 },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, LS_REG_R15 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		if (r == regs[i].r64) {
			*full = true;
			return regs[i].ls;
		}
		if (r == regs[i].r32 || r == regs[i].r16 || r == regs[i].r8 ||
		    (r == X86_REG_AH && regs[i].ls == LS_REG_AX) ||
		    (r == X86_REG_BH && regs[i].ls == LS_REG_BX) ||
		    (r == X86_REG_CH && regs[i].ls == LS_REG_CX) ||
		    (r == X86_REG_DH && regs[i].ls == LS_REG_DX)) {
			*full = false;
			return regs[i].ls;
		}
	}
	return -1;
}

static bool is_sp(unsigned r)
{
	return r == X86_REG_RSP || r == X86_REG_ESP || r == X86_REG_SP || r == X86_REG_SPL;
}

/* A control transfer the kernel does not emulate: the straight line
 * from the entry ends here without a site. */
static bool ends_path(const cs_insn *in)
{
	const cs_detail *d = in->detail;

	for (uint8_t i = 0; i < d->groups_count; i++)
		switch (d->groups[i]) {
		case CS_GRP_JUMP: case CS_GRP_CALL: case CS_GRP_RET:
		case CS_GRP_INT: case CS_GRP_IRET:
			return true;
		}
	return in->id == X86_INS_HLT || in->id == X86_INS_UD2 || in->id == X86_INS_SYSCALL;
}

/* How a write to rsp moves it: sub/add of an immediate, or lea rsp,
 * [rsp + disp]. false if it is anything else. */
static bool sp_move(const cs_insn *in, int64_t *delta)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG || !is_sp(x->operands[0].reg))
		return false;
	if ((in->id == X86_INS_SUB || in->id == X86_INS_ADD) && x->operands[1].type == X86_OP_IMM) {
		*delta = in->id == X86_INS_SUB ? x->operands[1].imm : -x->operands[1].imm;
		return true;
	}
	if (in->id == X86_INS_LEA && x->operands[1].type == X86_OP_MEM &&
	    is_sp(x->operands[1].mem.base) && x->operands[1].mem.index == X86_REG_INVALID) {
		*delta = -x->operands[1].mem.disp;
		return true;
	}
	return false;
}

/* Register-to-register copy of all 64 bits: dst gets what src held. */
static bool reg_copy(const cs_insn *in, int *dst, int *src)
{
	const cs_x86 *x = &in->detail->x86;
	bool f1, f2;

	if (in->id != X86_INS_MOV || x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[1].type != X86_OP_REG)
		return false;
	*dst = reg_of(x->operands[0].reg, &f1);
	*src = reg_of(x->operands[1].reg, &f2);
	return *dst >= 0 && *src >= 0 && f1 && f2;
}

/* Does a direct branch anywhere in the function lead into (entry, site]?
 * Then the site would fire more than once per call. */
static bool reentered(csh cs, const uint8_t *code, size_t len, uint64_t vaddr, uint64_t site)
{
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	cs_insn *in = cs_malloc(cs);
	bool found = false;

	while (in && !found && cs_disasm_iter(cs, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		bool jmp;

		/* direct branches and calls: the emulated ones but push and nop */
		if (!is_emulated(in->bytes, in->size, &jmp) || in->bytes[0] == 0x90 ||
		    (in->bytes[0] >= 0x50 && in->bytes[0] <= 0x57) || in->bytes[0] == 0x41 ||
		    (in->size == 5 && in->bytes[0] == 0x0f))
			continue;
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t t = (uint64_t)x->operands[0].imm;

			found = t > vaddr && t <= site;
		}
	}
	cs_free(in, 1);
	return found;
}

enum probe_site_fail probe_site__find(const uint8_t *code, size_t len, uint64_t vaddr,
				      int nargs, struct probe_site *out)
{
	static const int arg_regs[PROBE_SITE_MAX_ARGS] = { LS_REG_DI, LS_REG_SI, LS_REG_DX };
	int holds[NREGS];	/* register -> argument it holds, -1 none */
	enum probe_site_fail ret = PROBE_SITE_NO_EMULATED;
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	int64_t sp = 0;
	cs_insn *in;
	csh cs;

	memset(out, 0, sizeof(*out));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return PROBE_SITE_UNDECODABLE;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(cs);
	for (int r = 0; r < NREGS; r++)
		holds[r] = -1;
	for (int i = 0; i < nargs && i < PROBE_SITE_MAX_ARGS; i++)
		holds[arg_regs[i]] = i;
	for (int n = 0; n < MAX_INSNS; n++) {
		cs_regs rd, wr;
		uint8_t nrd, nwr;
		int dst, src;
		bool jmp;

		if (!in || !cs_disasm_iter(cs, &p, &left, &addr, in)) {
			ret = PROBE_SITE_UNDECODABLE;
			break;
		}
		if (is_emulated(in->bytes, in->size, &jmp)) {
			out->vaddr = in->address;
			snprintf(out->insn, sizeof(out->insn), "%.12s%s%.34s", in->mnemonic,
				 in->op_str[0] ? " " : "", in->op_str);
			if (jmp && n == 0) {
				out->thunk = true;
				out->target = (uint64_t)in->detail->x86.operands[0].imm;
			}
			ret = PROBE_SITE_OK;
			break;
		}
		if (ends_path(in))
			break;
		if (reg_copy(in, &dst, &src)) {
			holds[dst] = holds[src];
			continue;
		}
		if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
			ret = PROBE_SITE_UNDECODABLE;
			break;
		}
		for (uint8_t i = 0; i < nwr; i++) {
			bool full;
			int r = reg_of(wr[i], &full);
			int64_t d;

			if (r >= 0) {
				holds[r] = -1;
			} else if (is_sp(wr[i])) {
				if (!sp_move(in, &d) || d % 8) {
					ret = PROBE_SITE_SP_UNKNOWN;
					goto out;
				}
				sp += d;
			}
		}
	}
	if (ret != PROBE_SITE_OK || out->thunk)
		goto out;
	if (sp < 0 || sp / 8 > 255) {
		ret = PROBE_SITE_SP_UNKNOWN;
		goto out;
	}
	out->sp_words = (uint32_t)(sp / 8);
	for (int i = 0; i < nargs && i < PROBE_SITE_MAX_ARGS; i++) {
		int found = -1;

		if (holds[arg_regs[i]] == i)
			found = arg_regs[i];	/* still where it came in */
		for (int r = 0; r < NREGS && found < 0; r++)
			if (holds[r] == i)
				found = r;
		if (found < 0) {
			ret = PROBE_SITE_ARG_LOST;
			goto out;
		}
		out->arg_reg[i] = found;
	}
	if (reentered(cs, code, len, vaddr, out->vaddr))
		ret = PROBE_SITE_REENTERED;
out:
	cs_free(in, 1);
	cs_close(&cs);
	return ret;
}

const char *probe_site__why(enum probe_site_fail f)
{
	switch (f) {
	case PROBE_SITE_OK: return "ok";
	case PROBE_SITE_NO_EMULATED: return "no instruction the kernel emulates on its way in";
	case PROBE_SITE_ARG_LOST: return "its arguments are overwritten before the first emulated instruction";
	case PROBE_SITE_SP_UNKNOWN: return "its stack pointer moves in a way not followed";
	case PROBE_SITE_REENTERED: return "a branch leads back to its first emulated instruction";
	default: return "its code could not be decoded";
	}
}

uint64_t probe_site__tail_jump(const uint8_t *code, size_t len, uint64_t vaddr)
{
	const uint8_t *p = code;
	uint64_t addr = vaddr, target = 0;
	size_t left = len;
	cs_insn *in;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(cs);
	for (int n = 0; in && n < MAX_INSNS && cs_disasm_iter(cs, &p, &left, &addr, in); n++) {
		const cs_x86 *x = &in->detail->x86;
		bool jmp;

		if (is_emulated(in->bytes, in->size, &jmp) && jmp) {
			target = (uint64_t)x->operands[0].imm;
			break;
		}
		/* conditional branches fall through; anything else ends it */
		if (ends_path(in) && !(is_emulated(in->bytes, in->size, &jmp) &&
				       in->bytes[0] != 0xe8))
			break;
	}
	cs_free(in, 1);
	cs_close(&cs);
	return target;
}

uint64_t probe_site__plt_slot(const uint8_t *code, size_t len, uint64_t vaddr)
{
	const uint8_t *p = code;
	uint64_t addr = vaddr, slot = 0;
	size_t left = len;
	cs_insn *in;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(cs);
	/* a stub may start with endbr64 (.plt.sec) or bnd */
	for (int n = 0; in && n < 3 && cs_disasm_iter(cs, &p, &left, &addr, in); n++) {
		const cs_x86 *x = &in->detail->x86;

		if (in->id == X86_INS_ENDBR64)
			continue;
		if (in->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_MEM &&
		    x->operands[0].mem.base == X86_REG_RIP && x->operands[0].mem.index == X86_REG_INVALID)
			slot = in->address + in->size + (uint64_t)x->operands[0].mem.disp;
		break;
	}
	cs_free(in, 1);
	cs_close(&cs);
	return slot;
}
