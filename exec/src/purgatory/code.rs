//! Reading the relocated purgatory's code: which function holds an address, the instruction there, the
//! direct and `movabs`-loaded targets of a function's calls and jumps, and whether `purgatory_start`
//! reaches `purgatory`.

use iced_x86::{Decoder, DecoderOptions, FlowControl, Formatter, GasFormatter, Instruction, OpKind, Register};

use kreloc_oracle::{Object, Verdict};

const STT_FUNC: u8 = 2;

/// A function of the image: its name and address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub start: u64,
    pub end: u64,
}

/// The code of one loaded image, with its functions from the symbol table.
pub struct Code<'a> {
    image: &'a [u8],
    load_addr: u64,
    functions: Vec<Function>,
    /// Typed functions with a size (C code): the ones coverage instruments.
    sized: Vec<Function>,
}

impl<'a> Code<'a> {
    pub fn new(obj: &Object, v: &Verdict, image: &'a [u8]) -> Self {
        let mut functions: Vec<Function> = obj
            .symtabs
            .iter()
            .flat_map(|(_, syms)| syms.iter())
            .filter(|s| s.kind == STT_FUNC || (s.kind == 0 && s.bind != 0))
            .filter_map(|s| {
                let sec = v.sections.iter().find(|p| p.index == s.shndx as usize && !p.nobits)?;
                let start = sec.addr.checked_add(s.value)?;
                // Without a size (assembly labels), the function runs to its section's end; trimmed below.
                let end = if s.size > 0 { start + s.size } else { sec.addr + sec.size };
                Some(Function { name: obj.symbol_name(s).into_owned(), start, end })
            })
            .collect();
        let sized = obj
            .symtabs
            .iter()
            .flat_map(|(_, syms)| syms.iter())
            .filter(|s| s.kind == STT_FUNC && s.size > 0)
            .filter_map(|s| {
                let sec = v.sections.iter().find(|p| p.index == s.shndx as usize && !p.nobits)?;
                let start = sec.addr.checked_add(s.value)?;
                Some(Function { name: obj.symbol_name(s).into_owned(), start, end: start + s.size })
            })
            .collect();
        functions.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        // A size-less label ends where the next symbol starts.
        for i in 0..functions.len().saturating_sub(1) {
            let next = functions[i + 1].start;
            if next > functions[i].start && functions[i].end > next {
                functions[i].end = next;
            }
        }
        Code { image, load_addr: v.load_addr, functions, sized }
    }

    /// The function whose range holds `addr` (the innermost, the latest-starting).
    pub fn function_at(&self, addr: u64) -> Option<&Function> {
        self.functions.iter().filter(|f| f.start <= addr && addr < f.end).max_by_key(|f| f.start)
    }

    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    fn bytes(&self, start: u64, end: u64) -> Option<&[u8]> {
        let from = start.checked_sub(self.load_addr)? as usize;
        let to = (end.checked_sub(self.load_addr)? as usize).min(self.image.len());
        self.image.get(from..to.max(from))
    }

    /// The decoded instruction at `addr`.
    pub fn decode_at(&self, addr: u64) -> Option<Instruction> {
        let insn = Decoder::with_ip(64, self.bytes(addr, addr + 16)?, addr, DecoderOptions::NONE).decode();
        (!insn.is_invalid()).then_some(insn)
    }

    /// The instruction at `addr`, in AT&T syntax, as objdump prints it.
    pub fn instruction_at(&self, addr: u64) -> Option<String> {
        let code = self.bytes(addr, addr + 16)?;
        let insn = Decoder::with_ip(64, code, addr, DecoderOptions::NONE).decode();
        if insn.is_invalid() {
            return None;
        }
        let mut text = String::new();
        let mut fmt = GasFormatter::new();
        fmt.options_mut().set_uppercase_hex(false);
        fmt.format(&insn, &mut text);
        Some(text)
    }

    /// The function's decoded instructions.
    fn instructions(&self, f: &Function) -> Vec<Instruction> {
        let Some(code) = self.bytes(f.start, f.end) else { return Vec::new() };
        Decoder::with_ip(64, code, f.start, DecoderOptions::NONE).into_iter().collect()
    }

    /// The call and jump targets of `f` that are known statically: direct branches, and indirect ones
    /// through a register that a `movabs $imm` loaded just before (the large code model's calls).
    pub fn branch_targets(&self, f: &Function) -> Vec<(u64, FlowControl)> {
        let mut loaded: Vec<(Register, u64)> = Vec::new();
        let mut out = Vec::new();
        for insn in self.instructions(f) {
            let flow = insn.flow_control();
            match flow {
                FlowControl::Call | FlowControl::UnconditionalBranch | FlowControl::ConditionalBranch => {
                    out.push((insn.near_branch_target(), flow));
                }
                FlowControl::IndirectCall | FlowControl::IndirectBranch if insn.op0_kind() == OpKind::Register => {
                    if let Some(&(_, target)) = loaded.iter().find(|(r, _)| *r == insn.op0_register()) {
                        let direct = if flow == FlowControl::IndirectCall {
                            FlowControl::Call
                        } else {
                            FlowControl::UnconditionalBranch
                        };
                        out.push((target, direct));
                    }
                }
                _ => {}
            }
            if insn.op_count() == 2 && insn.op0_kind() == OpKind::Register && insn.op1_kind() == OpKind::Immediate64 {
                loaded.retain(|(r, _)| *r != insn.op0_register());
                loaded.push((insn.op0_register(), insn.immediate64()));
            }
        }
        out
    }

    /// How `f` reaches its own start: by a call (unbounded recursion) or a jump (an endless loop).
    pub fn self_reference(&self, f: &Function) -> Option<SelfReference> {
        let targets = self.branch_targets(f);
        let at_start = |want: FlowControl| targets.iter().any(|&(t, flow)| t == f.start && flow == want);
        if at_start(FlowControl::Call) {
            Some(SelfReference::Calls)
        } else if at_start(FlowControl::UnconditionalBranch) {
            Some(SelfReference::JumpsTo)
        } else {
            None
        }
    }

    /// Whether `from` (e.g. `purgatory_start`) calls `to` (e.g. `purgatory`) directly, scanning its straight
    /// line of code (a far return into the next label does not end it).
    pub fn calls(&self, from: &str, to: &str) -> bool {
        let (Some(from), Some(to)) = (self.function(from), self.function(to)) else { return false };
        let Some(section_end) = self.functions.iter().filter(|f| f.start > from.start).map(|f| f.end).max() else {
            return false;
        };
        let span = Function { name: from.name.clone(), start: from.start, end: section_end.min(from.start + 512) };
        self.branch_targets(&span).iter().any(|&(t, flow)| t == to.start && flow == FlowControl::Call)
    }
}

impl Code<'_> {
    /// Where basic blocks of the typed, sized functions start: each function's start, every direct branch
    /// target inside it and every instruction after a branch, call or return. A one-shot breakpoint on
    /// each tells which blocks ran.
    pub fn block_starts(&self) -> Vec<u64> {
        let mut starts = Vec::new();
        for f in &self.sized {
            starts.push(f.start);
            let mut after_branch = false;
            for insn in self.instructions(f) {
                if after_branch {
                    starts.push(insn.ip());
                }
                let flow = insn.flow_control();
                after_branch = flow != FlowControl::Next;
                if matches!(flow, FlowControl::ConditionalBranch | FlowControl::UnconditionalBranch)
                    && (f.start..f.end).contains(&insn.near_branch_target())
                {
                    starts.push(insn.near_branch_target());
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Instructions that jump to themselves (`jmp .`, the failure loop's form): code that reaches one never
    /// leaves it.
    pub fn self_jumps(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .functions
            .iter()
            .flat_map(|f| self.instructions(f))
            .filter(|i| i.flow_control() == FlowControl::UnconditionalBranch && i.near_branch_target() == i.ip())
            .map(|i| i.ip())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The instructions that ran, given the block starts that were reached: each block from its start to
    /// the next block start (or its function's end). A fault at `faulted` ends its block there (the
    /// faulting instruction included).
    pub fn executed(&self, blocks: &[u64], reached: &[u64], faulted: Option<u64>) -> Vec<Instruction> {
        let mut out = Vec::new();
        for &start in reached {
            let next = blocks.iter().copied().find(|&b| b > start).unwrap_or(u64::MAX);
            let Some(f) = self.sized.iter().find(|f| f.start <= start && start < f.end) else { continue };
            let end = next.min(f.end);
            let Some(code) = self.bytes(start, end) else { continue };
            let ran = |i: &Instruction| {
                !i.is_invalid() && faulted.is_none_or(|at| !(start..end).contains(&at) || i.ip() <= at)
            };
            out.extend(Decoder::with_ip(64, code, start, DecoderOptions::NONE).into_iter().filter(ran));
        }
        out
    }
}

/// An SSE, AVX or MMX instruction: one that names an XMM, YMM, ZMM or MMX register. With CR4.OSFXSR clear
/// (as `relocate_kernel` leaves it) the CPU raises #UD on it.
pub fn uses_vector_state(insn: &Instruction) -> bool {
    (0..insn.op_count()).any(|i| {
        insn.op_kind(i) == OpKind::Register && {
            let r = insn.op_register(i);
            r.is_xmm() || r.is_ymm() || r.is_zmm() || r.is_mm()
        }
    })
}

/// Instructions a CPL 3 process may not execute but purgatory (CPL 0) may: the sandbox's limit, not the code's.
pub fn is_privileged(insn: &Instruction) -> bool {
    use iced_x86::Mnemonic::*;
    matches!(
        insn.mnemonic(),
        In | Out
            | Insb
            | Insw
            | Insd
            | Outsb
            | Outsw
            | Outsd
            | Hlt
            | Cli
            | Sti
            | Lgdt
            | Lidt
            | Lldt
            | Ltr
            | Invlpg
            | Wbinvd
            | Invd
            | Rdmsr
            | Wrmsr
            | Clts
            | Lmsw
    ) || (insn.mnemonic() == Mov
        && (0..insn.op_count()).any(|i| {
            insn.op_kind(i) == OpKind::Register && (insn.op_register(i).is_cr() || insn.op_register(i).is_dr())
        }))
}

/// How a function refers to its own start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SelfReference {
    Calls,
    JumpsTo,
}
