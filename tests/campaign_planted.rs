//! A planted finding: gcc -mcmodel=small -fno-pic is position-dependent, so next to a pic config it must be
//! found, stored, reduced to a small file and reported.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::Path;
use std::process::Command;

fn kreloc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(args)
        .env("KRELOC_CACHE_DIR", std::env::temp_dir().join("kreloc-test-cache"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fuzz(out: &Path, count: &str, shard: &str) -> serde_json::Value {
    let (code, stdout, err) = kreloc(&[
        "fuzz",
        "--toolchains",
        "gcc@12",
        "--configs",
        "small-nopic,pic-hidden",
        "--count",
        count,
        "--seed",
        "7",
        "--shard",
        shard,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{err}"))
}

#[test]
fn the_planted_position_dependence_is_found_reduced_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let stats = fuzz(dir.path(), "4", "0/1");
    let found = stats["new_findings"].as_array().unwrap();
    assert!(!found.is_empty(), "{stats}");
    let f = dir.path().join("findings").join(found[0].as_str().unwrap());
    let cause: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.join("cause.json")).unwrap()).unwrap();
    // One toolchain, so the config is the only axis: every judged toolchain fails under small-nopic.
    assert_eq!(cause["cause"]["step"], serde_json::json!({"axis": "config", "config": "small-nopic"}), "{cause}");
    assert_eq!(cause["cause"]["change"]["kind"], "relocation", "{cause}");
    let program = kreloc_campaign::store::smallest_program(&f).unwrap();
    for file in [
        "program.c",
        "program.rs",
        "program.json",
        "commands.txt",
        "verdicts.json",
        "report.md",
        "cells.json",
        "judge.json",
    ] {
        assert!(program.join(file).exists(), "{file} missing");
    }
    assert!(std::fs::read_dir(program.join("objects")).unwrap().count() == 2);
    let report = std::fs::read_to_string(program.join("report.md")).unwrap();
    assert!(report.contains("gcc-12.2.0/small-nopic") && report.contains("gcc-12.2.0/pic-hidden"), "{report}");
    assert!(report.contains("kexec: Overflow in relocation type"), "{report}");
    let summary = std::fs::read_to_string(f.join("report.md")).unwrap();
    assert!(summary.contains("gcc-12.2.0/pic-hidden → gcc-12.2.0/small-nopic"), "{summary}");

    let (code, out, err) = kreloc(&["reduce", f.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (before, after) = (r["stats"]["size_before"].as_u64().unwrap(), r["stats"]["size_after"].as_u64().unwrap());
    assert!(after < before, "{r}");
    assert!(r["c_lines_after"].as_u64().unwrap() < 80, "{r}");
    assert!(r["bad_commands"][0].as_str().unwrap().contains("-mcmodel=small -fno-pic"), "{r}");
    assert!(r["evidence"]["loader_output"].as_str().unwrap().contains("Overflow in relocation type"), "{r}");
    assert!(r["evidence"]["disassembly"].as_str().unwrap().contains("site: .text+"), "{r}");
    let reduced = std::fs::read_to_string(f.join("reduced.c")).unwrap();
    assert!(reduced.contains("kreloc_entry"));
}

#[test]
fn a_campaign_resumes_and_shards_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let first = fuzz(dir.path(), "3", "0/1");
    let second = fuzz(dir.path(), "3", "0/1");
    assert_eq!(first["resumed_at"], 0);
    assert_eq!(second["resumed_at"], 3, "the second run continues after the first");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let fa = fuzz(a.path(), "3", "1/2");
    let fb = fuzz(b.path(), "3", "1/2");
    assert_eq!(fa["new_findings"], fb["new_findings"], "the same shard finds the same things");
}

/// A wrapper compiler: gcc-12 that corrupts one initialised datum of each object (the mutation test's
/// planted compiler), logging each program it corrupted. Its directory names it: `corrupting/gcc`.
fn corrupting_gcc(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let planted = Path::new(env!("CARGO_MANIFEST_DIR")).join("campaign/tests/planted_cc.py");
    let (bin, log) = (dir.join("corrupting"), dir.join("corrupted.log"));
    std::fs::create_dir_all(&bin).unwrap();
    let gcc = bin.join("gcc");
    std::fs::write(
        &gcc,
        format!("#!/bin/sh\nKRELOC_PLANTED_LOG='{}' exec python3 '{}' \"$@\"\n", log.display(), planted.display()),
    )
    .unwrap();
    std::fs::set_permissions(&gcc, std::fs::Permissions::from_mode(0o755)).unwrap();
    (gcc, log)
}

#[test]
fn a_miscompiling_wrapper_is_one_root_cause_named_after_the_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let (gcc, log) = corrupting_gcc(dir.path());
    let out = dir.path().join("out");
    let toolchains = format!("gcc@12,path:{}", gcc.display());
    let (code, stdout, err) = kreloc(&[
        "fuzz",
        "--toolchains",
        &toolchains,
        "--configs",
        "kernel-2024",
        "--count",
        "60",
        "--seed",
        "11",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    let mutated: std::collections::BTreeSet<String> =
        std::fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect();
    assert!(mutated.len() >= 50, "the wrapper corrupted only {} of 60 programs: {err}", mutated.len());
    let store = kreloc_campaign::store::FindingStore::open(&out, "test").unwrap();
    let found = store.fingerprints().unwrap();
    assert_eq!(
        found.len(),
        1,
        "one bug, one root cause: {:#?}",
        found.iter().map(|f| kreloc_campaign::store::summarize(&store.path(f)).unwrap().title).collect::<Vec<_>>()
    );
    let s = kreloc_campaign::store::summarize(&store.path(&found[0])).unwrap();
    assert!(s.title.starts_with("path corrupting/gcc (12.2.0) vs gcc-12.2.0 — the code runs wrong"), "{}", s.title);
    assert!(!s.title.contains("every release"), "{}", s.title);
    // Every sighting is a corrupted program, and nearly every corrupted program is a sighting.
    assert!(
        s.programs as usize <= mutated.len() && 100 * s.programs as usize >= 95 * mutated.len(),
        "{} of {} corrupted programs",
        s.programs,
        mutated.len()
    );
    assert!(!s.symptoms.is_empty(), "the symptoms are kept as sighting details: {s:?}");
}

/// A "gcc" that is gcc-12 except that `entry64_regs` loses its (zero) initialiser, so it lands in `.bss` with the
/// same zeros, where the loaders refuse it (`kexec_purgatory_get_set_symbol()`, kexec-tools' `elf_rel_set_symbol()`).
const BSS_ENTRY64_REGS_GCC: &str = r#"#!/usr/bin/env bash
tmp=$(mktemp -d)
args=()
for a in "$@"; do
    if [[ $a == *.c ]]; then
        sed 's/u64 entry64_regs\[17\] = {0};/u64 entry64_regs[17];/' "$a" > "$tmp/${a##*/}"
        a="$tmp/${a##*/}"
    fi
    args+=("$a")
done
gcc-12 "${args[@]}"
rc=$?
rm -rf "$tmp"
exit $rc
"#;

#[test]
fn a_planted_loader_symbol_change_is_one_root_cause_naming_the_stage() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let gcc = bin.path().join("gcc");
    std::fs::write(&gcc, BSS_ENTRY64_REGS_GCC).unwrap();
    std::fs::set_permissions(&gcc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, err) = kreloc(&[
        "fuzz",
        "--toolchains",
        &format!("gcc@12,path:{}", gcc.display()),
        "--configs",
        "kernel-2024",
        "--profile",
        "linux-x86_64,kexec-tools-x86_64",
        "--count",
        "3",
        "--seed",
        "7",
        "--out",
        out.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    let stats: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{err}"));
    let found = stats["new_findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "exactly one root cause: {stats}");
    let cause: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("findings").join(found[0].as_str().unwrap()).join("cause.json"))
            .unwrap(),
    )
    .unwrap();
    let change = &cause["cause"]["change"];
    assert_eq!(change["kind"], "stage-fails", "{cause}");
    assert_eq!(change["stage"], "loader-symbols", "{cause}");
    assert_eq!(change["symbol"], "entry64_regs", "{cause}");
    assert_eq!(change["reason"], "in-bss", "{cause}");
    // gcc-12 itself passes: the step is from the release the wrapper reports being to the wrapper, in every program.
    let wrapper = format!("gcc-12.2.0-{}", gcc.display());
    let step = &cause["cause"]["step"];
    assert_eq!(step["axis"], "path-vs", "{cause}");
    assert_eq!(step["version"], "12.2.0", "{cause}");
    assert_eq!(step["release"], "gcc-12.2.0", "{cause}");
    assert!(step["path"].as_str().unwrap().ends_with("/gcc"), "{cause}");
    let summary =
        std::fs::read_to_string(out.path().join("findings").join(found[0].as_str().unwrap()).join("report.md"))
            .unwrap();
    assert!(summary.contains("loader symbols stage fails: entry64_regs is in a bss section"), "{summary}");
    assert!(
        summary.contains(&format!("- gcc-12.2.0/kernel-2024 → {wrapper}/kernel-2024 (at kernel-2024)")),
        "{summary}"
    );
    assert!(summary.contains("programs: 3 (3 sightings)"), "{summary}");
    // The cells' groups say what the whole load did.
    assert!(summary.contains(r#"- whole load: {"kexec-tools-x86_64": false, "linux-x86_64": false}"#), "{summary}");
}
