//! Where a run's time goes, step by step: with `KBISECT_TIMING=1` every timed span (worktree checkout,
//! the build, storing its artifacts, the predicate...) is printed to stderr as it ends, and the totals per
//! kind at the end of the run. Off, a span costs one relaxed load.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// 0 not yet read, 1 off, 2 on.
static STATE: AtomicU8 = AtomicU8::new(0);
static TOTALS: Mutex<BTreeMap<&'static str, (u32, f64)>> = Mutex::new(BTreeMap::new());

/// Whether `KBISECT_TIMING` asks for spans.
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("KBISECT_TIMING").is_some_and(|v| !v.is_empty() && v != "0");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        s => s == 2,
    }
}

/// Runs `f`, timing it as `what` for `step` (a commit, or "run") when spans are enabled.
pub fn time<T>(step: &str, what: &'static str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    record(step, what, start.elapsed().as_secs_f64());
    out
}

/// Records a span measured elsewhere.
pub fn record(step: &str, what: &'static str, secs: f64) {
    if !enabled() {
        return;
    }
    eprintln!("kbisect timing: {:<12} {what:<22} {secs:8.3}s", step.get(..12).unwrap_or(step));
    let mut t = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    let e = t.entry(what).or_insert((0, 0.0));
    e.0 = e.0.saturating_add(1);
    e.1 += secs;
}

/// Prints the totals per kind of span, and the run's wall time beside them.
pub fn report(wall_secs: f64) {
    if !enabled() {
        return;
    }
    let t = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("kbisect timing: totals over a {wall_secs:.3}s run (spans of concurrent steps overlap)");
    for (what, (n, secs)) in t.iter() {
        eprintln!("kbisect timing:   {what:<22} {n:4}x {secs:8.3}s");
    }
}
