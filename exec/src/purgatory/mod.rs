//! Running a real purgatory (the kernel's `kexec_file` one, or kexec-tools' x86_64 one) at its load
//! address, with the segments and digest the loader stores, from its C entry `purgatory()`.
//!
//! `purgatory_start` (lgdt, segment loads, a far return) needs a CPU privilege a process lacks, so it is
//! not run; the run checks statically that it calls `purgatory`. `purgatory()` runs on a stack of the
//! purgatory's own size (`lstack`/`stack` .. `*_end`) with a guard page below it. A digest mismatch makes
//! it spin in its failure loop (`jmp .`), which a peek at the running code (or the time limit) catches and
//! names. One-shot breakpoints on every basic block tell which instructions ran, so an SSE/AVX/MMX one that
//! ran (a #UD with CR4.OSFXSR clear, as purgatory is entered) is told from one that is only present.

mod code;
pub mod setup;

use std::time::{Duration, Instant};

use serde::Serialize;

use kreloc_oracle::arch::Arch;
use kreloc_oracle::{Object, Profile};

pub use code::SelfReference;

use crate::{run_traced, ExecOutcome, ExecRequest, Segment, SignalContext};
use code::Code;

/// The C entry the run calls, and the assembly entry the loader jumps to.
pub const C_ENTRY: &str = "purgatory";
pub const ASM_ENTRY: &str = "purgatory_start";
/// Stack when the purgatory does not say how big its own is.
const DEFAULT_STACK: u64 = 16 << 10;

/// How long `purgatory()` may run before it counts as spinning (digesting a few pages and copying the
/// backup region take milliseconds).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(2);

/// Options of a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub time_limit: Duration,
    /// Flip one byte of a digested segment after the digest is stored (what a corrupted kernel looks like).
    pub corrupt_segment: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { time_limit: DEFAULT_TIME_LIMIT, corrupt_segment: false }
    }
}

/// How `purgatory()` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RunOutcome {
    /// It returned: the digest matched (a mismatch never returns).
    Returned,
    /// Still running at the time limit inside `function`, the digest-failure loop (`purgatory()`'s
    /// `for (;;);` after `verify_sha256_digest()` failed).
    FailureLoop { function: String, rip: u64 },
    /// A function that jumps to its own start (e.g. a memcpy turned into `jmp memcpy`) spun.
    JumpsToItself { function: String, rip: u64 },
    /// Still running at the time limit somewhere else.
    Spins { function: Option<String>, rip: Option<u64> },
    /// Overflowed its stack; `calls_itself` when the function there calls its own start (e.g. a memset
    /// turned into a call to memset): unbounded recursion.
    StackOverflow { function: Option<String>, rip: u64, calls_itself: bool },
    /// Killed by a signal, with the faulting instruction.
    Crashed { signal: String, rip: u64, function: Option<String>, instruction: Option<String>, fault_addr: u64 },
    /// Executed an SSE, AVX or MMX instruction: `relocate_kernel` enters purgatory with CR4.OSFXSR clear,
    /// so the real CPU raises #UD there (judged from the blocks that ran, not from what is present).
    VectorInstruction { function: Option<String>, rip: u64, instruction: String },
    /// Made a system call (a real CPU has no kernel to take it).
    SystemCall,
    /// Ended the process itself.
    Exited { status: i32 },
    /// The run could not be made; not a behaviour of the code.
    NotJudged { reason: String },
}

impl RunOutcome {
    pub fn is_judged(&self) -> bool {
        !matches!(self, RunOutcome::NotJudged { .. })
    }

    /// Returned with its digest verified.
    pub fn is_good(&self) -> bool {
        matches!(self, RunOutcome::Returned)
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "no function".into());
        match self {
            RunOutcome::Returned => write!(f, "returned: the digest verified"),
            RunOutcome::FailureLoop { function, rip } => {
                write!(f, "spins in {function}()'s digest-failure loop at {rip:#x}: the digest did not verify")
            }
            RunOutcome::JumpsToItself { function, rip } => {
                write!(f, "{function} jumps to itself: an endless loop at {rip:#x}")
            }
            RunOutcome::Spins { function, rip } => match rip {
                Some(rip) => write!(f, "still running at the time limit, in {} at {rip:#x}", name(function)),
                None => write!(f, "still running at the time limit"),
            },
            RunOutcome::StackOverflow { function, rip, calls_itself: true } => {
                write!(f, "stack overflow: {} calls itself (unbounded recursion), at {rip:#x}", name(function))
            }
            RunOutcome::StackOverflow { function, rip, calls_itself: false } => {
                write!(f, "stack overflow in {} at {rip:#x}", name(function))
            }
            RunOutcome::Crashed { signal, rip, function, instruction, fault_addr } => {
                write!(f, "crashed ({signal}) in {} at {rip:#x}", name(function))?;
                if let Some(i) = instruction {
                    write!(f, ": {i}")?;
                }
                if signal == "SIGSEGV" || signal == "SIGBUS" {
                    write!(f, " (address {fault_addr:#x})")?;
                }
                Ok(())
            }
            RunOutcome::VectorInstruction { function, rip, instruction } => {
                write!(
                    f,
                    "executes `{instruction}` in {} at {rip:#x}: #UD with CR4.OSFXSR clear, as purgatory is entered",
                    name(function)
                )
            }
            RunOutcome::SystemCall => write!(f, "made a system call"),
            RunOutcome::Exited { status } => write!(f, "ended the process (exit {status})"),
            RunOutcome::NotJudged { reason } => write!(f, "not judged: {reason}"),
        }
    }
}

/// One run of a real purgatory at one load address.
#[derive(Debug, Clone, Serialize)]
pub struct PurgatoryRun {
    pub load_addr: u64,
    pub outcome: RunOutcome,
    /// What ran, and what did not (in words).
    pub entry: String,
    /// `purgatory_start` calls `purgatory` (checked on the relocated code; None when it has neither).
    pub start_reaches_entry: Option<bool>,
    pub stack_size: u64,
    /// Basic blocks of the purgatory's C functions, and how many of them ran (one-shot breakpoints).
    pub blocks: usize,
    pub blocks_run: usize,
    /// The loader's segments and symbols as kreloc set them (None when it could not get that far).
    pub loaded: Option<setup::Loaded>,
    /// The byte flipped after the digest was stored, when asked.
    pub corrupted: Option<(String, u64)>,
    pub millis: u64,
}

impl PurgatoryRun {
    /// Judged and returned, and the entry path reaches `purgatory()`.
    pub fn is_good(&self) -> bool {
        self.outcome.is_good() && self.start_reaches_entry != Some(false)
    }
}

/// Whether kreloc can run this profile's purgatory: x86_64, with digest symbols to set.
pub fn runnable(profile: &dyn Profile) -> bool {
    profile.arch() == Arch::X86_64 && profile.digest_symbol_steps().len() == 2
}

/// Loads `obj` as `profile`'s loader does at `load_addr` and runs `purgatory()`.
pub fn run(obj: &Object, profile: &dyn Profile, load_addr: u64, opts: Options) -> PurgatoryRun {
    let started = Instant::now();
    let entry = format!("{C_ENTRY}() called directly; {ASM_ENTRY} (lgdt, segment loads, far return) needs a privileged CPU state and is not run");
    let mut run = PurgatoryRun {
        load_addr,
        outcome: RunOutcome::NotJudged { reason: String::new() },
        entry,
        start_reaches_entry: None,
        stack_size: 0,
        blocks: 0,
        blocks_run: 0,
        loaded: None,
        corrupted: None,
        millis: 0,
    };
    run.outcome = match prepare_and_run(obj, profile, load_addr, opts, &mut run) {
        Ok(o) => o,
        Err(reason) => RunOutcome::NotJudged { reason },
    };
    run.millis = started.elapsed().as_millis() as u64;
    run
}

fn prepare_and_run(
    obj: &Object,
    profile: &dyn Profile,
    load_addr: u64,
    opts: Options,
    run: &mut PurgatoryRun,
) -> Result<RunOutcome, String> {
    if !runnable(profile) {
        return Err(format!("kreloc runs x86_64 purgatories only ({} is {:?})", profile.name(), profile.arch()));
    }
    let v = kreloc_oracle::load(obj, profile, load_addr);
    if !v.good {
        return Err(format!("the loader does not load it at {load_addr:#x}"));
    }
    let entry_offset = setup::symbol_offset(obj, &v, C_ENTRY).ok_or_else(|| format!("no global function {C_ENTRY}"))?;
    let mut loaded = setup::load(obj, profile, &v)?;
    if opts.corrupt_segment {
        run.corrupted = setup::corrupt(&mut loaded).map(|(w, a)| (w.to_string(), a));
    }
    let code = Code::new(obj, &v, &loaded.image);
    run.start_reaches_entry = code.function(ASM_ENTRY).map(|_| code.calls(ASM_ENTRY, C_ENTRY));
    run.stack_size = own_stack_size(obj, &v);
    let blocks = code.block_starts();
    let stuck_at = code.self_jumps();
    let segments: Vec<Segment> =
        loaded.segments.iter().map(|s| Segment { addr: s.addr, bytes: &s.bytes, memsz: s.memsz }).collect();
    let req = ExecRequest {
        image: &loaded.image,
        memsz: v.memsz,
        load_addr,
        entry_offset,
        timeout: opts.time_limit,
        segments: &segments,
        stack_size: run.stack_size,
        coverage: &blocks,
        stuck_at: &stuck_at,
        ..ExecRequest::default()
    };
    let traced = run_traced(&req);
    (run.blocks, run.blocks_run) = (blocks.len(), traced.covered.len());
    let crashed = matches!(traced.outcome, ExecOutcome::Crashed { .. });
    let faulted = traced.context.filter(|_| crashed).map(|c| c.rip);
    let executed = code.executed(&blocks, &traced.covered, faulted);
    let outcome = match judge(&code, traced.outcome, traced.context) {
        o if !o.is_judged() => o,
        o => first_vector_instruction(&code, &executed).unwrap_or(o),
    };
    run.loaded = Some(loaded);
    Ok(outcome)
}

/// The purgatory's own stack (`lstack`..`lstack_end` in the kernel's, `stack`..`stack_end` in
/// kexec-tools'), which `purgatory_start` switches to; 16 KiB when it has none of these.
fn own_stack_size(obj: &Object, v: &kreloc_oracle::Verdict) -> u64 {
    let addr = |name: &str| {
        let s = obj.symtabs.iter().flat_map(|(_, syms)| syms.iter()).find(|s| obj.name_is(s.name, name))?;
        let sec = v.sections.iter().find(|p| p.index == s.shndx as usize)?;
        sec.addr.checked_add(s.value)
    };
    [("lstack", "lstack_end"), ("stack", "stack_end")]
        .iter()
        .find_map(|(lo, hi)| addr(hi)?.checked_sub(addr(lo)?).filter(|n| (512..=1 << 20).contains(n)))
        .unwrap_or(DEFAULT_STACK)
}

/// The typed outcome of a run, naming functions from the symbol table.
fn judge(code: &Code, outcome: ExecOutcome, context: Option<SignalContext>) -> RunOutcome {
    let name_at = |rip: u64| code.function_at(rip).map(|f| f.name.clone());
    match (outcome, context) {
        (ExecOutcome::Returned { .. }, _) => RunOutcome::Returned,
        (ExecOutcome::TimedOut, Some(c)) => match code.function_at(c.rip) {
            Some(f) if code.self_reference(f) == Some(SelfReference::JumpsTo) => {
                RunOutcome::JumpsToItself { function: f.name.clone(), rip: c.rip }
            }
            Some(f) if f.name == C_ENTRY => RunOutcome::FailureLoop { function: f.name.clone(), rip: c.rip },
            f => RunOutcome::Spins { function: f.map(|f| f.name.clone()), rip: Some(c.rip) },
        },
        (ExecOutcome::TimedOut, None) => RunOutcome::Spins { function: None, rip: None },
        (ExecOutcome::Crashed { .. }, Some(c)) if in_guard(&c) => {
            let f = code.function_at(c.rip);
            let calls_itself = f.is_some_and(|f| code.self_reference(f) == Some(SelfReference::Calls));
            RunOutcome::StackOverflow { function: f.map(|f| f.name.clone()), rip: c.rip, calls_itself }
        }
        (ExecOutcome::Crashed { .. }, Some(c)) if code.decode_at(c.rip).is_some_and(|i| code::is_privileged(&i)) => {
            RunOutcome::NotJudged {
                reason: format!(
                    "a privileged instruction at {:#x} (`{}`): purgatory runs at CPL 0, the sandbox at CPL 3",
                    c.rip,
                    code.instruction_at(c.rip).unwrap_or_default()
                ),
            }
        }
        (ExecOutcome::Crashed { signal }, c) => {
            let rip = c.map_or(0, |c| c.rip);
            RunOutcome::Crashed {
                signal: crate::outcome::signal_name(signal).to_string(),
                rip,
                function: name_at(rip),
                instruction: code.instruction_at(rip),
                fault_addr: c.map_or(0, |c| c.fault_addr),
            }
        }
        (ExecOutcome::SeccompKilled, _) => RunOutcome::SystemCall,
        (ExecOutcome::Exited { status }, _) => RunOutcome::Exited { status },
        (other, _) => RunOutcome::NotJudged { reason: not_judged_reason(&other) },
    }
}

/// The lowest-addressed SSE/AVX/MMX instruction that ran, if any.
fn first_vector_instruction(code: &Code, executed: &[iced_x86::Instruction]) -> Option<RunOutcome> {
    let insn = executed.iter().filter(|i| code::uses_vector_state(i)).min_by_key(|i| i.ip())?;
    Some(RunOutcome::VectorInstruction {
        function: code.function_at(insn.ip()).map(|f| f.name.clone()),
        rip: insn.ip(),
        instruction: code.instruction_at(insn.ip()).unwrap_or_default(),
    })
}

/// A fault in the guard page below the own stack, or with the stack pointer already below it.
fn in_guard(c: &SignalContext) -> bool {
    c.stack_low != 0 && ((c.fault_addr < c.stack_low && c.fault_addr >= c.stack_low - 0x1000) || c.rsp < c.stack_low)
}

fn not_judged_reason(o: &ExecOutcome) -> String {
    match o {
        ExecOutcome::Unmappable { addr, reason } => format!("cannot map {addr:#x} in a process: {reason}"),
        ExecOutcome::OomKilled => "the sandbox's memory limit".into(),
        ExecOutcome::SandboxError(e) => format!("sandbox: {e}"),
        other => format!("{other:?}"),
    }
}
