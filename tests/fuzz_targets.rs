//! The cargo-fuzz crate builds, and its two targets run their glue end to end: `elf` over many inputs
//! without a panic, `reloc` turning a known position-dependent config into a written finding and going
//! on past a known one. Those two build without coverage instrumentation; the last test builds `reloc`
//! exactly as the bare `cargo fuzz run reloc` does (ASan) and runs it over hundreds of inputs.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Builds the fuzz targets once; `fuzz/.cargo/config.toml` supplies RUSTC_BOOTSTRAP for libfuzzer-sys.
fn target(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--release", "--bins"])
            .current_dir(fuzz_dir())
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("cargo starts");
        assert!(out.status.success(), "the fuzz crate does not build:\n{}", String::from_utf8_lossy(&out.stderr));
    });
    fuzz_dir().join("target/release").join(name)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Deterministic pseudo-random inputs of varied length.
fn inputs(dir: &Path, n: usize) -> Vec<PathBuf> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|i| {
            let len = 16 + (i * 37) % 900;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let p = dir.join(format!("in{i}"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect()
}

#[test]
fn elf_target_runs_every_input_through_the_properties() {
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path(), 200);
    let out = Command::new(target("elf")).args(&files).output().expect("elf target starts");
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "a property failed or the target panicked:\n{}",
        err.lines().rev().take(30).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(err.matches("Executed ").count(), files.len(), "{err}");
}

#[test]
fn reloc_target_stops_on_a_new_finding_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path(), 1).remove(0);
    let out_dir = dir.path().join("out");
    let run = |configs: &str, stop: Option<&str>| {
        let mut cmd = Command::new(target("reloc"));
        cmd.arg(&input)
            .env("KRELOC_FUZZ_TOOLCHAINS", "gcc@12")
            .env("KRELOC_FUZZ_CONFIGS", configs)
            .env("KRELOC_FUZZ_OUT", &out_dir)
            .env_remove("KRELOC_FUZZ_STOP");
        if let Some(s) = stop {
            cmd.env("KRELOC_FUZZ_STOP", s);
        }
        cmd.output().expect("reloc target starts")
    };
    // The 2018 (large) and 2024 (pic, hidden) flag sets both load anywhere: no finding.
    let quiet = run("kernel-2018,kernel-2024", None);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(!out_dir.join("findings").exists());
    // The 2019 set (-mcmodel=kernel) fails above 2 GiB: a new finding, written, and the fuzzer stops.
    let found = run("kernel-2018,kernel-2019", None);
    assert!(!found.status.success());
    assert!(stderr(&found).contains("new finding "), "{}", stderr(&found));
    let findings: Vec<_> = std::fs::read_dir(out_dir.join("findings")).expect("findings written").collect();
    assert_eq!(findings.len(), 1);
    let finding = findings[0].as_ref().unwrap().path();
    let report = std::fs::read_to_string(finding.join("report.md")).unwrap();
    assert!(report.contains("Overflow in relocation type 11"), "{report}");
    // The same root cause again: counted, and the run goes on (default `new`) ...
    let again = run("kernel-2018,kernel-2019", None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("known finding "), "{}", stderr(&again));
    let summary = kreloc_campaign::store::summarize(&finding).expect("a root-cause finding");
    assert_eq!((summary.programs, summary.sightings), (1, 2), "one program, seen twice");
    // ... unless told to stop on any finding; a bad policy is refused with a clear line (libFuzzer turns
    // the target's exit into its own error status).
    assert!(!run("kernel-2018,kernel-2019", Some("any")).status.success());
    assert!(run("kernel-2018,kernel-2019", Some("never")).status.success());
    let bad = run("kernel-2018,kernel-2019", Some("sometimes"));
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("KRELOC_FUZZ_STOP=sometimes: expected new, any or never"), "{}", stderr(&bad));
}

/// Builds `reloc` as the bare `cargo fuzz run reloc` does: cargo-fuzz's default sanitizer, ASan.
fn asan_reloc() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["fuzz", "build", "reloc"])
        .current_dir(fuzz_dir())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo starts");
    let err = stderr(&out);
    assert!(!err.contains("no such command"), "cargo-fuzz is not installed: run scripts/setup.sh");
    assert!(out.status.success(), "cargo fuzz build reloc failed:\n{err}");
    fuzz_dir().join("target/x86_64-unknown-linux-gnu/release/reloc")
}

#[test]
fn the_asan_reloc_target_judges_every_run_over_hundreds_of_inputs() {
    let exe = asan_reloc();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    inputs(&corpus, 40);
    let out_dir = dir.path().join("out");
    let out = Command::new(exe)
        .arg(&corpus)
        .args(["-runs=300", "-seed=1", "-max_len=1024"])
        .env("KRELOC_FUZZ_OUT", &out_dir)
        .env("KRELOC_FUZZ_STOP", "never")
        .env_remove("KRELOC_FUZZ_TOOLCHAINS")
        .env_remove("KRELOC_FUZZ_CONFIGS")
        .output()
        .expect("reloc target starts");
    let err = stderr(&out);
    let tail = err.lines().rev().take(40).collect::<Vec<_>>().join("\n");
    assert!(out.status.success(), "the ASan target failed:\n{tail}");
    assert!(err.contains("Done 300 runs"), "{tail}");
    // The target's own tally: every run at every standard address was judged.
    let tally = err
        .lines()
        .rfind(|l| l.starts_with("kreloc: ") && l.ends_with(" not judged"))
        .expect("a run tally every 100 programs");
    let numbers: Vec<u64> = tally.split(' ').filter_map(|w| w.parse().ok()).collect();
    assert!(numbers[0] >= 200 && numbers[1] > 0, "{tally}");
    assert_eq!(numbers[2], 0, "runs the harness could not judge: {tally}");
    // No finding may come from the harness (an unmappable standard address, a sandbox error).
    for path in files_named(&out_dir.join("findings"), "verdicts.json") {
        let verdicts = std::fs::read_to_string(&path).unwrap();
        assert!(!verdicts.contains("not-judged"), "{}: {verdicts}", path.display());
    }
}

/// Every file called `name` below `dir` (none when `dir` does not exist).
fn files_named(dir: &std::path::Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_named(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}
