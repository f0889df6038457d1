//! The cargo-fuzz crate builds, and its two targets run their glue end to end: `elf` over many inputs
//! without a panic, `reloc` turning a known position-dependent config into a written finding.
//! (Built without coverage instrumentation, so this runs without cargo-fuzz installed.)

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
    assert!(out.status.success(), "a property failed or the target panicked:\n{}", err.lines().rev().take(30).collect::<Vec<_>>().join("\n"));
    assert_eq!(err.matches("Executed ").count(), files.len(), "{err}");
}

#[test]
fn reloc_target_writes_a_finding_for_a_position_dependent_config_and_panics() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path(), 1).remove(0);
    let out_dir = dir.path().join("out");
    let run = |configs: &str| {
        Command::new(target("reloc"))
            .arg(&input)
            .env("KRELOC_FUZZ_TOOLCHAINS", "gcc@12")
            .env("KRELOC_FUZZ_CONFIGS", configs)
            .env("KRELOC_FUZZ_OUT", &out_dir)
            .output()
            .expect("reloc target starts")
    };
    // The 2018 (large) and 2024 (pic, hidden) flag sets both load anywhere: no finding.
    let quiet = run("kernel-2018,kernel-2024");
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(!out_dir.join("findings").exists());
    // The 2019 set (-mcmodel=kernel) fails above 2 GiB: a finding, written before the panic.
    let found = run("kernel-2018,kernel-2019");
    assert!(!found.status.success());
    assert!(stderr(&found).contains("finding "), "{}", stderr(&found));
    let findings: Vec<_> = std::fs::read_dir(out_dir.join("findings")).expect("findings written").collect();
    assert_eq!(findings.len(), 1);
    let report = std::fs::read_to_string(findings[0].as_ref().unwrap().path().join("report.md")).unwrap();
    assert!(report.contains("Overflow in relocation type 11"), "{report}");
}
