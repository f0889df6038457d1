//! Both tools give the same exit code for the same error (the contract in `kreloc_cli::exit`).

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::{Path, PathBuf};
use std::process::Command;

/// kbisect, built next to kreloc by `cargo test --workspace`.
fn kbisect() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_kreloc")).with_file_name("kbisect");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with --workspace (or build kreloc-bisect first)",
        bin.display()
    );
    bin
}

/// Exit code and the `--json` error document.
fn run(program: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(program).arg("--json").args(args).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", program.display(), String::from_utf8_lossy(&out.stdout)));
    (out.status.code().expect("exited"), doc)
}

fn both(finding: &Path) -> [(i32, serde_json::Value); 2] {
    let finding = finding.to_str().unwrap();
    [
        run(Path::new(env!("CARGO_BIN_EXE_kreloc")), &["triage", finding]),
        run(&kbisect(), &["llvm", "--good", "17", "--bad", "18", "--case", finding]),
    ]
}

#[test]
fn a_directory_that_is_not_a_finding_is_a_usage_error_from_both_tools() {
    let dir = tempfile::tempdir().unwrap();
    for (code, doc) in both(dir.path()) {
        assert_eq!(code, 2, "{doc}");
        assert_eq!(doc["exit_code"], 2);
        assert!(doc["error"].as_str().unwrap().contains("not a finding"), "{doc}");
    }
}

#[test]
fn a_missing_path_is_a_usage_error_from_both_tools() {
    let dir = tempfile::tempdir().unwrap();
    for (code, doc) in both(&dir.path().join("no-such-finding")) {
        assert_eq!(code, 2, "{doc}");
        assert_eq!(doc["exit_code"], 2);
    }
}
