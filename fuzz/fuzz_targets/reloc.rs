//! Fuzz bytes → a purgatory-like program (the first byte picks its size class, so libFuzzer's short early
//! inputs reach every size: `Program::from_fuzz_bytes`) → compiled across the configured matrix (cells on all cores) →
//! judged by the oracle, with the code run in kreloc-exec's sandbox. A finding is written like
//! `kreloc fuzz` writes it; whether the fuzzer then stops is `KRELOC_FUZZ_STOP`:
//!   new (default)  stop only on a finding whose fingerprint is not in the store yet; known ones are counted
//!   any            stop on every finding
//!   never          record and go on
//!
//! The matrix comes from the environment (defaults: what `scripts/setup.sh` installs):
//!   KRELOC_FUZZ_TOOLCHAINS=gcc@12,clang-19   KRELOC_FUZZ_CONFIGS=kernel-2018,kernel-2024
//!   KRELOC_FUZZ_PROFILES=linux-x86_64        KRELOC_FUZZ_OUT=fuzz-findings   KRELOC_FUZZ_EXEC=1
//!   KRELOC_FUZZ_JOBS=<cores>
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use kreloc_campaign::examine::{Examined, Examiner};
use kreloc_campaign::signature::RunResult;
use kreloc_campaign::store::{FindingStore, Recorded, Sighting};
use kreloc_gen::Program;
use libfuzzer_sys::fuzz_target;

/// When a recorded finding stops the fuzzer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    New,
    Any,
    Never,
}

/// The whole stop policy: `recorded` is what the store said about this finding.
fn stops(policy: Stop, recorded: &std::io::Result<Recorded>) -> bool {
    match policy {
        Stop::Any => true,
        Stop::Never => false,
        // A store that cannot be written cannot say "known": stop rather than lose the finding.
        Stop::New => !matches!(recorded, Ok(Recorded::Seen(_))),
    }
}

fn policy() -> Stop {
    static P: OnceLock<Stop> = OnceLock::new();
    *P.get_or_init(|| match std::env::var("KRELOC_FUZZ_STOP").as_deref() {
        Err(_) | Ok("new") => Stop::New,
        Ok("any") => Stop::Any,
        Ok("never") => Stop::Never,
        Ok(other) => usage(&format!("KRELOC_FUZZ_STOP={other}: expected new, any or never")),
    })
}

fn usage(msg: &str) -> ! {
    eprintln!("kreloc fuzz target: {msg}");
    std::process::exit(2)
}

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn examiner() -> &'static Examiner {
    static EX: OnceLock<Examiner> = OnceLock::new();
    EX.get_or_init(|| {
        let toolchains: Vec<String> =
            list("KRELOC_FUZZ_TOOLCHAINS", "gcc@12,clang-19").into_iter().filter(|t| installed(t)).collect();
        let cells = kreloc_campaign::setup::cells(&toolchains, &list("KRELOC_FUZZ_CONFIGS", "kernel-2018,kernel-2024"))
            .unwrap_or_else(|e| usage(&format!("matrix: {e}")));
        if cells.is_empty() {
            usage("no toolchain of KRELOC_FUZZ_TOOLCHAINS is installed: run scripts/setup.sh");
        }
        let exec = std::env::var("KRELOC_FUZZ_EXEC").map_or(true, |v| v != "0");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let jobs = std::env::var("KRELOC_FUZZ_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(cores);
        policy();
        let profiles = list("KRELOC_FUZZ_PROFILES", "linux-x86_64")
            .iter()
            .map(|p| p.parse().unwrap_or_else(|e: kreloc_oracle::profile::UnknownProfile| usage(&e.to_string())))
            .collect::<Vec<_>>();
        kreloc_campaign::setup::examiner(cells, &profiles, exec, jobs)
    })
}

fn installed(spec: &str) -> bool {
    kreloc_campaign::setup::cells(&[spec.to_string()], &[]).is_ok()
}

/// Every 100 programs, how many runs were judged and how many the harness could not judge (which
/// should be none: the sandbox runs every standard address).
fn count_runs(ex: &Examined) {
    static COUNTS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
    let runs = ex.cells.iter().filter_map(|c| c.signature.as_ref()).flat_map(|s| s.runs.values());
    for r in runs {
        let i = match r {
            RunResult::NotJudged(_) => 2,
            RunResult::NotLoaded => continue,
            _ => 1,
        };
        COUNTS[i].fetch_add(1, Ordering::Relaxed);
    }
    let n = COUNTS[0].fetch_add(1, Ordering::Relaxed) + 1;
    if n % 100 == 0 {
        let [_, judged, not_judged] = COUNTS.each_ref().map(|c| c.load(Ordering::Relaxed));
        eprintln!("kreloc: {n} programs, {judged} runs judged, {not_judged} not judged");
    }
}

/// Every 100 programs, how many of each size class were judged and their AST node range, so a run shows
/// the sizes it explored.
fn count_sizes(class: usize, nodes: usize) {
    static SIZES: std::sync::Mutex<Vec<(u64, usize, usize)>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut sizes) = SIZES.lock() else { return };
    sizes.resize(kreloc_gen::SIZE_CLASSES.len(), (0, usize::MAX, 0));
    let (n, lo, hi) = &mut sizes[class];
    *n += 1;
    *lo = (*lo).min(nodes);
    *hi = (*hi).max(nodes);
    let total: u64 = sizes.iter().map(|s| s.0).sum();
    if total % 100 == 0 {
        let classes: Vec<String> = sizes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.0 > 0)
            .map(|(c, (n, lo, hi))| format!("{}: {n} ({lo}-{hi} nodes)", kreloc_gen::SIZE_CLASSES[c]))
            .collect();
        eprintln!("kreloc: {total} programs by size class (budget: programs (AST nodes)): {}", classes.join(", "));
    }
}

/// Whether this process has not yet said that `fingerprint` was seen (a known cause that every program
/// shows would otherwise print one line per input).
fn first_sighting_here(fingerprint: &str) -> bool {
    static SAID: std::sync::Mutex<std::collections::BTreeSet<String>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    SAID.lock().map_or(true, |mut said| said.insert(fingerprint.to_string()))
}

fuzz_target!(|data: &[u8]| {
    let p = Program::from_fuzz_bytes(data);
    let ex = examiner().examine(&p);
    count_runs(&ex);
    count_sizes(kreloc_gen::size_class(data), p.size());
    let out = std::path::PathBuf::from(std::env::var("KRELOC_FUZZ_OUT").unwrap_or_else(|_| "fuzz-findings".into()));
    // Every root cause this input shows is recorded; the policy decides on the first one that is new.
    let mut stop: Option<String> = None;
    for d in &ex.divergences {
        let fp = d.cause.fingerprint();
        let sighting =
            Sighting::now(format!("fuzz-{}", kreloc_campaign::signature::short_hash(data)), p.size(), d.cells.clone());
        let recorded = FindingStore::open(&out, "fuzz").and_then(|store| {
            store.record(&d.cause, &sighting, || kreloc_campaign::finding::program_files(&p, &ex, examiner(), &fp))
        });
        let report = out.join("findings").join(&fp).join("report.md");
        match &recorded {
            Ok(Recorded::New(_)) => eprintln!("kreloc: new finding {fp} ({}): {}", d.cause.title(), report.display()),
            Ok(Recorded::Seen(_)) if first_sighting_here(&fp) => {
                eprintln!(
                    "kreloc: known finding {fp} ({}) seen again; its further sightings are counted quietly (see {})",
                    d.cause.title(),
                    report.display()
                )
            }
            Ok(Recorded::Seen(_)) => {}
            Err(e) => eprintln!("kreloc: finding {fp} could not be written to {}: {e}", out.display()),
        }
        if stop.is_none() && stops(policy(), &recorded) {
            stop = Some(format!("finding {fp} ({}): see {}", d.cause.title(), report.display()));
        }
    }
    if let Some(msg) = stop {
        panic!("{msg}");
    }
});
