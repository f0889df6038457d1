//! From divergence to culprit: a campaign over llvm 17/18 (zig 0.12.1 / 0.13.0) × kernel-2018/kernel-2019
//! yields exactly the two known root causes, `--triage` names llvm 18, and a commit-level triage on a
//! generated repository of a wrapper "compiler" names the planted commit.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn kreloc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// `kreloc fuzz` over the llvm 17/18 × kernel-2018/2019 matrix; returns its JSON and every cause.json.
fn campaign(out: &Path, extra: &[&str]) -> (serde_json::Value, Vec<serde_json::Value>) {
    support::zig("0.12.1");
    support::zig("0.13.0");
    let mut args = vec![
        "fuzz",
        "--toolchains",
        "llvm@17,llvm@18",
        "--configs",
        "kernel-2018,kernel-2019",
        "--count",
        "20",
        "--seed",
        "42",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, err) = kreloc(&args);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    let stats = json(&stdout);
    let causes = std::fs::read_dir(out.join("findings"))
        .unwrap()
        .map(|e| json(&std::fs::read_to_string(e.unwrap().path().join("cause.json")).unwrap()))
        .collect();
    (stats, causes)
}

fn is_ltext(c: &serde_json::Value) -> bool {
    c["cause"]["change"]["kind"] == "new-exec-section"
}

fn is_32s_overflow(c: &serde_json::Value) -> bool {
    c["cause"]["change"]["kind"] == "relocation"
        && c["cause"]["change"]["r_type"] == 11
        && c["cause"]["change"]["fault"] == "overflow"
}

#[test]
fn the_two_known_root_causes_are_found_once_each_and_a_rerun_adds_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let (stats, causes) = campaign(dir.path(), &[]);
    let ltext: Vec<_> = causes.iter().filter(|c| is_ltext(c)).collect();
    let overflow: Vec<_> = causes.iter().filter(|c| is_32s_overflow(c)).collect();
    assert_eq!(ltext.len(), 1, "{causes:#?}");
    assert_eq!(overflow.len(), 1, "{causes:#?}");
    assert_eq!(
        ltext[0]["cause"]["step"],
        serde_json::json!({"axis": "release", "family": "llvm", "from": 17, "to": 18})
    );
    assert_eq!(ltext[0]["cause"]["change"]["sections"], serde_json::json!([".ltext"]));
    assert_eq!(overflow[0]["cause"]["step"], serde_json::json!({"axis": "config", "config": "kernel-2019"}));
    assert_eq!(ltext[0]["title"], "llvm 17 → 18 — new exec section .ltext");
    assert_eq!(overflow[0]["title"], "config kernel-2019 — R_X86_64_32S overflows above 2 GiB");
    // The overflow shows in both toolchains' kernel-2019 cells.
    let f = dir.path().join("findings").join(overflow[0]["fingerprint"].as_str().unwrap());
    let report = std::fs::read_to_string(f.join("report.md")).unwrap();
    assert!(
        report.contains("llvm-17.0.6-zig-0.12.1/kernel-2019") && report.contains("llvm-18.1.6-zig-0.13.0/kernel-2019"),
        "{report}"
    );
    assert!(report.contains("a property of the config"), "{report}");
    // Re-running from scratch in the same directory adds sightings, mints nothing.
    let state: Vec<PathBuf> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    for s in state {
        std::fs::remove_file(s).unwrap();
    }
    let before = kreloc_campaign::store::summarize(&f).unwrap();
    assert!(
        before.config_only
            && before.title == "config kernel-2019 (every toolchain) — R_X86_64_32S overflows above 2 GiB",
        "{before:?}"
    );
    let (again, causes_again) = campaign(dir.path(), &[]);
    assert_eq!(again["new_findings"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(causes_again.len(), causes.len());
    let after = kreloc_campaign::store::summarize(&f).unwrap();
    assert_eq!(after.programs, before.programs, "the same programs");
    assert_eq!(after.sightings, 2 * before.sightings, "seen again");
    assert!(stats["attribution_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn fuzz_triage_names_llvm_18_with_a_reduced_reproducer() {
    let dir = tempfile::tempdir().unwrap();
    let (stats, causes) = campaign(dir.path(), &["--triage", "--max-tests", "60"]);
    let ltext = causes.iter().find(|c| is_ltext(c)).expect("the .ltext root cause");
    let fp = ltext["fingerprint"].as_str().unwrap();
    let t = stats["triage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["fingerprint"] == fp)
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(t["release"]["first_bad"], 18, "{t}");
    assert_eq!(t["release"]["last_good"], 17, "{t}");
    let stages: Vec<&str> = t["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["reduce", "release-bisect", "pass", "commit-bisect"]);
    let f = dir.path().join("findings").join(fp);
    let tj = json(&std::fs::read_to_string(f.join("triage.json")).unwrap());
    let (before, after) = (
        tj["reduced"]["stats"]["size_before"].as_u64().unwrap(),
        tj["reduced"]["stats"]["size_after"].as_u64().unwrap(),
    );
    assert!(after < before, "{}", tj["reduced"]["stats"]);
    assert!(std::fs::read_to_string(f.join("reduced.c")).unwrap().contains("purgatory_start"));
    let md = std::fs::read_to_string(f.join("triage.md")).unwrap();
    for want in ["zig cc", "ld -r", "WARN_ON", ".ltext", "First bad release", "llvm 18"] {
        assert!(md.contains(want), "{want} missing from triage.md:\n{md}");
    }
    // The config property is not release-bisected; the flag of the config that does it is named instead.
    let overflow = causes.iter().find(|c| is_32s_overflow(c)).expect("the kernel-2019 root cause");
    let t = stats["triage"].as_array().unwrap().iter().find(|t| t["fingerprint"] == overflow["fingerprint"]).unwrap();
    assert!(t["release"].is_null(), "{t}");
    let tj = json(
        &std::fs::read_to_string(
            dir.path().join("findings").join(overflow["fingerprint"].as_str().unwrap()).join("triage.json"),
        )
        .unwrap(),
    );
    assert_eq!(tj["flags"]["culprit"], serde_json::json!(["-mcmodel=large -> -mcmodel=kernel"]), "{}", tj["flags"]);
    assert!(
        tj["reduced"]["evidence"]["relocations"][0].as_str().unwrap().starts_with("R_X86_64_32S against"),
        "{}",
        tj["reduced"]["evidence"]
    );
    assert!(
        tj["reduced"]["evidence"]["disassembly"].as_str().unwrap().contains("(R_X86_64_32S)"),
        "{}",
        tj["reduced"]["evidence"]
    );
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// 16 commits of a wrapper "compiler" that switches from zig 0.12.1 (LLVM 17) to 0.13.0 (LLVM 18) at `bad_at`.
fn wrapper_repo(dir: &Path, bad_at: usize) -> Vec<String> {
    let (old, new) = (support::zig("0.12.1"), support::zig("0.13.0"));
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "t@example.com"]);
    git(dir, &["config", "user.name", "t"]);
    let mut commits = Vec::new();
    for i in 0..16 {
        let zig = if i >= bad_at { &new } else { &old };
        std::fs::write(
            dir.join("cc.in"),
            format!("#!/bin/sh\nexec {} cc -target x86_64-freestanding-none \"$@\"\n", zig.display()),
        )
        .unwrap();
        std::fs::write(dir.join("build.sh"), "mkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc\n").unwrap();
        std::fs::write(dir.join("NEWS"), format!("change {i}\n")).unwrap();
        git(dir, &["add", "-A"]);
        git(
            dir,
            &[
                "commit",
                "-q",
                "-m",
                &format!("change {i}{}", if i == bad_at { ": update the code generator" } else { "" }),
            ],
        );
        commits.push(git(dir, &["rev-parse", "HEAD"]));
    }
    commits
}

#[test]
fn commit_level_triage_names_the_planted_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (_, causes) = campaign(dir.path(), &[]);
    let fp = causes.iter().find(|c| is_ltext(c)).expect("the .ltext root cause")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = tempfile::tempdir().unwrap();
    let commits = wrapper_repo(repo.path(), 11);
    let store = tempfile::tempdir().unwrap();
    let f = dir.path().join("findings").join(&fp);
    let (code, out, err) = kreloc(&[
        "triage",
        f.to_str().unwrap(),
        "--max-tests",
        "40",
        "--src",
        repo.path().to_str().unwrap(),
        "--good",
        &commits[0],
        "--bad",
        &commits[15],
        "--build",
        "sh build.sh",
        "--compiler",
        "bin/cc",
        "--store",
        store.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let t = json(&out);
    assert_eq!(t["commit"]["commit"], commits[11], "{}", t["stages"]);
    assert_eq!(t["commit"]["subject"], "change 11: update the code generator");
    assert_eq!(t["release"]["first_bad"], 18);
    let md = std::fs::read_to_string(f.join("triage.md")).unwrap();
    assert!(md.contains(&commits[11]) && md.contains("update the code generator"), "{md}");
}

#[test]
fn triage_of_something_that_is_not_a_finding_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = kreloc(&["triage", dir.path().to_str().unwrap()]);
    // A usage error, as kbisect --case gives for the same directory (tests/exit_contract.rs); it was 125.
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a finding"), "{err}");
}
