//! `kreloc check --run`: runs the real purgatory's `purgatory()` at each load address, with the segments and
//! digest the loader stores (kreloc-exec's purgatory run), and renders the outcome.

use kreloc_exec::purgatory::{self, Options, PurgatoryRun};
use kreloc_oracle::{Object, Profile};

/// One run per address.
pub fn runs(obj: &Object, profile: &dyn Profile, addrs: &[u64]) -> Vec<PurgatoryRun> {
    addrs.iter().map(|&at| purgatory::run(obj, profile, at, Options::default())).collect()
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
            Some(true) => format!("  {} calls {} (checked in the relocated code)\n", purgatory::ASM_ENTRY, purgatory::C_ENTRY),
            Some(false) => format!("  BAD: {} does not call {} (checked in the relocated code)\n", purgatory::ASM_ENTRY, purgatory::C_ENTRY),
            None => format!("  no {}: the entry path is not checked\n", purgatory::ASM_ENTRY),
        };
    }
    if let Some(l) = &r.loaded {
        let segs: Vec<_> = l.segments.iter().filter(|s| s.digested).map(|s| format!("{} {:#x}+{:#x}", s.what, s.addr, s.memsz)).collect();
        s += &format!("  digest {} over {}; stack {:#x} bytes\n", l.digest_hex, segs.join(", "), r.stack_size);
        for m in &l.modelled {
            s += &format!("  modelled: {m}\n");
        }
    }
    s
}
