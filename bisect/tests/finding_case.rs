//! `kbisect --case FINDING_DIR`: the finding's program, config, profile and addresses drive the bisection.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::process::Command;

use kreloc_campaign::campaign::{run, Limit, Plan};
use kreloc_campaign::setup::{cells, examiner};
use kreloc_campaign::shard::Shard;

#[test]
fn a_finding_directory_is_a_case() {
    let toolchains = vec!["llvm@17".to_string(), "llvm@18".to_string()];
    let cells = cells(&toolchains, &["kernel-2018".to_string(), "kernel-2019".to_string()])
        .unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh"));
    let ex = examiner(cells, &["linux-x86_64".parse().unwrap()], false, 2);
    let out = tempfile::tempdir().unwrap();
    let plan = Plan {
        seed: 42,
        shard: Shard::ALL,
        limit: Limit::Count(20),
        program_size: 512,
        out: out.path().to_path_buf(),
        progress: false,
        batch: 4,
    };
    let stats = run(&ex, &plan).unwrap();
    let finding = stats
        .root_causes
        .iter()
        .map(|fp| out.path().join("findings").join(fp))
        .find(|f| std::fs::read_to_string(f.join("cause.json")).unwrap().contains("new-exec-section"))
        .expect("the .ltext root cause");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_kbisect")).args(args).output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, stdout, err) =
        run(&["llvm", "--good", "17", "--bad", "18", "--case", finding.to_str().unwrap(), "--no-reduce", "--json"]);
    assert_eq!(code, 0, "{stdout}{err}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["first_bad"], 18);
    // The finding's config (kernel-2018, large model) was used: llvm 18 puts the code in .ltext.
    assert!(
        j["bad"]["exec_sections"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().starts_with(".ltext")),
        "{}",
        j["bad"]
    );
    assert!(j["bad"]["commands"][0].as_str().unwrap().contains("-mcmodel=large"), "{}", j["bad"]);
    // Not a finding: a one-line usage error.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["llvm", "--good", "17", "--bad", "18", "--case", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
