//! Runs of a real purgatory's `purgatory()` at each load address, with the segments and digest the loader
//! stores (kreloc-exec's purgatory run): their typed change, and the lines `kreloc check --run` and a
//! finding's loader.txt show.

use kreloc_campaign::change::{Change, RunFault};
use kreloc_exec::purgatory::{self, Options, PurgatoryRun, RunOutcome};
use kreloc_oracle::{Object, Profile};

/// One run per address (not judged, saying why, for a profile kreloc cannot run).
pub fn runs(obj: &Object, profile: &dyn Profile, addrs: &[u64]) -> Vec<PurgatoryRun> {
    addrs.iter().map(|&at| purgatory::run(obj, profile, at, Options::default())).collect()
}

/// What a run says about the object, as root causes and bisection read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunChange {
    Good,
    /// The campaign's typed change for a judged run that went wrong.
    Problem(Change),
    NotJudged,
}

/// A run's problem as the campaign's typed change.
pub fn change(r: &PurgatoryRun) -> RunChange {
    let fault = match &r.outcome {
        RunOutcome::NotJudged { .. } => return RunChange::NotJudged,
        RunOutcome::Returned if r.start_reaches_entry == Some(false) => RunFault::NoEntry,
        RunOutcome::Returned => return RunChange::Good,
        RunOutcome::FailureLoop { .. } => RunFault::DigestMismatch,
        RunOutcome::JumpsToItself { .. } => RunFault::SelfLoop,
        RunOutcome::Spins { .. } => RunFault::Timeout,
        RunOutcome::StackOverflow { calls_itself: true, .. } => RunFault::Recursion,
        RunOutcome::StackOverflow { .. } => RunFault::Crash { signal: "stack overflow".into() },
        RunOutcome::Crashed { signal, .. } => RunFault::Crash { signal: signal.clone() },
        RunOutcome::VectorInstruction { .. } => RunFault::VectorInstruction,
        RunOutcome::SystemCall => RunFault::Seccomp,
        RunOutcome::Exited { .. } => RunFault::Exit,
    };
    RunChange::Problem(Change::RunFailed { at: r.load_addr, fault })
}

/// Judged and bad: the run did not return with its digest verified, or `purgatory_start` does not reach
/// `purgatory`. Not-judged runs (an unmappable address, a profile kreloc cannot run) count as neither.
pub fn any_bad(runs: &[PurgatoryRun]) -> bool {
    runs.iter().any(|r| r.outcome.is_judged() && !r.is_good())
}

/// The run's lines for the text output.
pub fn text(r: &PurgatoryRun) -> String {
    let mut s = format!("run at {:#x}: {}\n", r.load_addr, r.outcome);
    if r.outcome.is_judged() {
        s += &format!("  {}\n", r.entry);
        s += &match r.start_reaches_entry {
            Some(true) => {
                format!("  {} calls {} (checked in the relocated code)\n", purgatory::ASM_ENTRY, purgatory::C_ENTRY)
            }
            Some(false) => format!(
                "  BAD: {} does not call {} (checked in the relocated code)\n",
                purgatory::ASM_ENTRY,
                purgatory::C_ENTRY
            ),
            None => format!("  no {}: the entry path is not checked\n", purgatory::ASM_ENTRY),
        };
    }
    if r.blocks > 0 {
        s += &format!(
            "  {} of {} blocks of its C functions ran; SSE/AVX/MMX among them faults (CR4.OSFXSR is clear)\n",
            r.blocks_run, r.blocks
        );
    }
    if let Some(l) = &r.loaded {
        let segs: Vec<_> = l
            .segments
            .iter()
            .filter(|s| s.digested)
            .map(|s| format!("{} {:#x}+{:#x}", s.what, s.addr, s.memsz))
            .collect();
        s += &format!("  digest {} over {}; stack {:#x} bytes\n", l.digest_hex, segs.join(", "), r.stack_size);
        for m in &l.modelled {
            s += &format!("  modelled: {m}\n");
        }
    }
    s
}
