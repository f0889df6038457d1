//! Human-readable renderings of verdicts and windows, meant to be pasted into a bug report.

use std::fmt::Write;

use crate::verdict::Verdict;
use crate::window::Window;

/// A verdict as text: placement, entry, the loader's messages and the outcome.
pub fn verdict_text(v: &Verdict, how_chosen: Option<&str>) -> String {
    let mut out = String::new();
    let _ = write!(out, "load address {:#x}", v.load_addr);
    if let Some(h) = how_chosen {
        let _ = write!(out, " ({h})");
    }
    let _ =
        writeln!(out, "\nsegment: {:#x} bytes copied, {:#x} in memory, aligned to {:#x}", v.bufsz, v.memsz, v.align);
    for s in &v.sections {
        let _ = writeln!(
            out,
            "  {:<24} {:#014x}  {:#8x}{}",
            v.placed_name(s),
            s.addr,
            s.size,
            if s.nobits { "  (nobits)" } else { "" }
        );
    }
    let _ = write!(out, "entry: {:#x}", v.entry.start);
    if let Some(s) = v.entry.section {
        let _ = write!(out, " (from {})", v.section_name(s));
    }
    if let Some(i) = &v.entry.intended {
        let _ = write!(out, "; {} is at {:#x} ({})", v.symbol_name(i.symbol), i.addr, v.section_name(i.section));
    }
    out.push('\n');
    if !v.messages.is_empty() {
        let _ = writeln!(out, "the loader prints:");
        for m in &v.messages {
            let _ = writeln!(out, "  {m}");
        }
    }
    if let Some(r) = v.first_failed_relocation() {
        let _ = writeln!(out, "stopped at: {} = {:#x} at {:#x} ({:?})", r.describe(), r.value, r.place, r.status);
    }
    for w in &v.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for f in &v.findings {
        let _ = writeln!(out, "finding: {f}");
    }
    let _ = writeln!(out, "stages: {}", stages_text(v));
    let outcome = match &v.failure {
        None => "LOADS".to_string(),
        Some(f) if v.load_succeeds => format!("LOADS BUT WRONG: {f}"),
        Some(f) => format!("FAILS: {f}"),
    };
    let _ = writeln!(out, "verdict at {:#x}: {outcome}", v.load_addr);
    out
}

/// How many blocking relocations a summary names per problem.
const SITES_SHOWN: usize = 3;

/// A window as text: the interval set, its size, and the relocations that bound it. Relocations that fail
/// everywhere are grouped by problem, with a count and the first few sites (`all_sites` lists every one).
pub fn window_text(w: &Window, all_sites: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "load window under {} (addresses aligned to {:#x}, segment {:#x} bytes):",
        w.profile, w.align, w.memsz
    );
    if w.intervals.is_empty() {
        let _ = writeln!(out, "  empty: loads nowhere");
    }
    for &(a, b) in &w.intervals.0 {
        let _ = writeln!(out, "  {a:#x} ..= {b:#x}");
    }
    let _ = writeln!(out, "  {} load addresses; loader window {:#x} ..= {:#x}", w.count, w.loader.0, w.loader.1);
    let above_loader_min = w.relocatable.intersect(&crate::window::IntervalSet::range(w.loader.0, u64::MAX));
    if above_loader_min != w.intervals && !w.relocatable.is_empty() {
        let ranges: Vec<String> = w.relocatable.0.iter().map(|(a, b)| format!("{a:#x} ..= {b:#x}")).collect();
        let _ = writeln!(out, "  ignoring the loader's window it relocates at: {}", ranges.join(", "));
    }
    for (i, b) in w.blockers.iter().enumerate() {
        let sites: Vec<String> =
            w.blocking_relocations.iter().filter(|r| r.blocker == i).map(|r| r.relocation.to_string()).collect();
        let _ = match sites.len() {
            0 => writeln!(out, "blocked everywhere: {b}"),
            1 => writeln!(out, "blocked everywhere: {b} (1 relocation: {})", sites[0]),
            n if all_sites || n <= SITES_SHOWN => {
                writeln!(out, "blocked everywhere: {b} ({n} relocations: {})", sites.join("; "))
            }
            n => writeln!(
                out,
                "blocked everywhere: {b} ({n} relocations: {}; and {} more, --verbose lists them)",
                sites[..SITES_SHOWN].join("; "),
                n - SITES_SHOWN
            ),
        };
    }
    if !w.limits.is_empty() {
        let _ = writeln!(out, "bounded by:");
        let shown = if all_sites { w.limits.len() } else { 10 };
        for l in w.limits.iter().take(shown) {
            let _ = writeln!(out, "  {} {}", l.relocation, l.text);
        }
        if w.limits.len() > shown {
            let _ = writeln!(out, "  ... and {} more (--verbose lists them)", w.limits.len() - shown);
        }
    }
    if !w.exact {
        let _ = writeln!(out, "note: a non-power-of-two alignment makes the layout depend on the load address; the window is for one reference layout");
    }
    if w.entry_misplaced {
        let _ = writeln!(out, "note: the loader misplaces the entry at every address (see `kreloc check`)");
    }
    out
}

/// `relocates: yes, loader symbols: FAILS (...), digest symbols: not reached (would pass)`.
pub fn stages_text(v: &Verdict) -> String {
    let one = |name: &str, st: &crate::verdict::Stage| {
        let outcome = match (&st.failure, st.passed) {
            (None, _) => "yes".to_string(),
            (Some(f), true) => format!("yes, after printing {f}"),
            (Some(f), false) => format!("FAILS ({f})"),
        };
        if st.reached {
            format!("{name}: {outcome}")
        } else {
            format!("{name}: not reached (alone: {outcome})")
        }
    };
    v.stages.in_order().map(|(name, st)| one(&name.to_string(), st)).collect::<Vec<_>>().join(", ")
}
