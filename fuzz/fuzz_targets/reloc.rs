//! Fuzz bytes → a purgatory-like program → compiled across the configured matrix → judged by the oracle.
//! Panics on a finding, after writing it like `kreloc fuzz` does.
//!
//! The matrix comes from the environment (defaults: what `scripts/setup.sh` installs):
//!   KRELOC_FUZZ_TOOLCHAINS=gcc@12,clang-19   KRELOC_FUZZ_CONFIGS=kernel-2018,kernel-2024
//!   KRELOC_FUZZ_PROFILES=linux-x86_64        KRELOC_FUZZ_OUT=fuzz-findings   KRELOC_FUZZ_EXEC=1
#![no_main]

use std::sync::OnceLock;

use kreloc_campaign::examine::Examiner;
use kreloc_campaign::store::{FindingStore, Sighting};
use kreloc_gen::Program;
use libfuzzer_sys::fuzz_target;

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var).unwrap_or_else(|_| default.to_string()).split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn examiner() -> &'static Examiner {
    static EX: OnceLock<Examiner> = OnceLock::new();
    EX.get_or_init(|| {
        let toolchains: Vec<String> = list("KRELOC_FUZZ_TOOLCHAINS", "gcc@12,clang-19").into_iter().filter(|t| installed(t)).collect();
        let cells = kreloc_campaign::setup::cells(&toolchains, &list("KRELOC_FUZZ_CONFIGS", "kernel-2018,kernel-2024")).unwrap_or_else(|e| panic!("matrix: {e}"));
        assert!(!cells.is_empty(), "no toolchain of KRELOC_FUZZ_TOOLCHAINS is installed: run scripts/setup.sh");
        let exec = std::env::var("KRELOC_FUZZ_EXEC").map_or(true, |v| v != "0");
        kreloc_campaign::setup::examiner(cells, &list("KRELOC_FUZZ_PROFILES", "linux-x86_64"), exec, 1).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn installed(spec: &str) -> bool {
    kreloc_campaign::setup::cells(&[spec.to_string()], &[]).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let p = Program::from_bytes(data);
    let ex = examiner().examine(&p);
    if let Some(d) = ex.divergences.first() {
        let fp = d.cause.fingerprint();
        let out = std::path::PathBuf::from(std::env::var("KRELOC_FUZZ_OUT").unwrap_or_else(|_| "fuzz-findings".into()));
        if let Ok(store) = FindingStore::open(&out, "fuzz") {
            let sighting = Sighting::now(format!("fuzz-{}", &kreloc_campaign::signature::short_hash(data)), p.size(), d.cells.clone());
            let _ = store.record(&d.cause, &sighting, || kreloc_campaign::finding::program_files(&p, &ex, examiner(), &fp));
        }
        panic!("finding {fp} ({}): see {}", d.cause.title(), out.join("findings").join(&fp).join("report.md").display());
    }
});
