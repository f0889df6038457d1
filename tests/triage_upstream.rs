//! What a triage hands upstream: the plain compile and link commands rebuild the reduced reproducer with
//! Debian's clang-19 and gcc-12 exactly as stated, and the rebuilt objects show the finding.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const AT: u64 = 0x1_3fff_b000;

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

/// A triaged campaign over `toolchains` × `configs`; the one finding's directory and its triage.json.
fn triaged(out: &Path, toolchains: &str, configs: &str) -> (PathBuf, serde_json::Value) {
    let (code, stdout, err) = kreloc(&[
        "fuzz",
        "--toolchains",
        toolchains,
        "--configs",
        configs,
        "--count",
        "4",
        "--seed",
        "42",
        "--out",
        out.to_str().unwrap(),
        "--triage",
        "--max-tests",
        "60",
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{stdout}{err}");
    let findings: Vec<PathBuf> = std::fs::read_dir(out.join("findings")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let t = json(&std::fs::read_to_string(findings[0].join("triage.json")).unwrap());
    (findings[0].clone(), t)
}

/// Runs the stated commands, verbatim, in a directory holding only the reproducer; the object they make.
fn rebuild(finding: &Path, plain: &serde_json::Value) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(finding.join("reproducer.c"), dir.path().join("purgatory.c")).unwrap();
    for cmd in plain["commands"].as_array().unwrap() {
        let cmd = cmd.as_str().unwrap();
        assert!(!cmd.split(' ').next().unwrap().contains('/'), "a plain command names no machine path: {cmd}");
        let words: Vec<&str> =
            cmd.split(' ').filter(|w| w.starts_with('-') && *w != "-o" && *w != "-e" && *w != "-z").collect();
        for w in &words {
            assert_eq!(words.iter().filter(|x| *x == w).count(), 1, "{w} twice in {cmd}");
        }
        let out = Command::new("sh").arg("-c").arg(cmd).current_dir(dir.path()).output().unwrap();
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::read(dir.path().join("purgatory.ro")).unwrap()
}

#[test]
fn the_ltext_reproducer_rebuilds_with_the_stated_clang_19_commands() {
    support::zig("0.12.1");
    let out = tempfile::tempdir().unwrap();
    let (f, t) = triaged(out.path(), "llvm@17,clang-19", "kernel-2018");
    let bad = &t["reduced"]["bad_plain"];
    assert_eq!(bad["compiler"], "clang-19", "{bad}");
    // The whole-file reduction leaves at most 5 lines, and clang-19 still puts code in .ltext.
    let reproducer = std::fs::read_to_string(f.join("reproducer.c")).unwrap();
    assert!(reproducer.lines().count() <= 5, "{reproducer}");
    assert_eq!(t["reduced"]["c_lines_after"].as_u64().unwrap() as usize, reproducer.lines().count());
    let obj = rebuild(&f, bad);
    assert!(section_names(&obj).contains(&".ltext".to_string()), "{:?}", section_names(&obj));
    let v = load(&obj, "linux-x86_64", AT);
    assert!(v.entry.warned, "{:?}", v.messages);
    // The good cell is zig 0.12.1's clang, stated as upstream clang 17 with the linux target, LLVM named.
    let good = &t["reduced"]["good_plain"];
    assert!(good["commands"][0].as_str().unwrap().starts_with("clang-17 -target x86_64-unknown-linux-gnu "), "{good}");
    assert!(good["note"].as_str().unwrap().contains("LLVM 17.0.6"), "{good}");
    let md = std::fs::read_to_string(f.join("triage.md")).unwrap();
    assert!(md.contains(bad["commands"][0].as_str().unwrap()), "{md}");
    // No pass of clang-19 is to blame: .ltext is there with every pass disabled.
    assert_eq!(t["pass"]["blame"]["verdict"], "not-an-optimisation", "{}", t["pass"]);
    // upstream.md, for LLVM by default: title, versions, the reproducer inline, the commands, expected vs
    // actual, the first bad release and pass, the kernel impact.
    let up = std::fs::read_to_string(f.join("upstream.md")).unwrap();
    let reproducer = std::fs::read_to_string(f.join("reproducer.c")).unwrap();
    assert!(up.starts_with("# [X86] new exec section .ltext with -mcmodel=large -fno-pic -O2 since LLVM 18"), "{up}");
    for want in [
        "**Affected:** llvm 18",
        "**Unaffected:** llvm 17",
        reproducer.as_str(),
        bad["commands"][0].as_str().unwrap(),
        "## Expected",
        "## Actual",
        "WARN",
        "- release: llvm 18",
        "not an optimisation",
        "**Kernel impact:** the linux-x86_64 loader",
    ] {
        assert!(up.contains(want), "{want} missing from upstream.md:\n{up}");
    }
    // The kernel's form says that no flag of the purgatory is to blame.
    let (code, out, err) = kreloc(&["triage", f.to_str().unwrap(), "--max-tests", "60", "--upstream", "kernel"]);
    assert_eq!(code, 0, "{out}{err}");
    let up = std::fs::read_to_string(f.join("upstream.md")).unwrap();
    assert!(up.starts_with("# x86/purgatory: new exec section .ltext"), "{up}");
    assert!(up.contains("No flag of the purgatory's set is to blame"), "{up}");
}

#[test]
fn the_seed_000_reproducer_rebuilds_good_and_bad_with_the_stated_gcc_12_commands() {
    let out = tempfile::tempdir().unwrap();
    let (f, t) = triaged(out.path(), "gcc@12", "kernel-2018,kernel-2019");
    let (bad, good) = (&t["reduced"]["bad_plain"], &t["reduced"]["good_plain"]);
    assert_eq!(bad["compiler"], "gcc-12", "{bad}");
    assert!(bad["commands"][0].as_str().unwrap().contains("-mcmodel=kernel"), "{bad}");
    let reproducer = std::fs::read_to_string(f.join("reproducer.c")).unwrap();
    assert!(reproducer.lines().count() < t["reduced"]["reduced_c"].as_str().unwrap().lines().count(), "{reproducer}");
    let v = load(&rebuild(&f, bad), "linux-x86_64", AT);
    assert!(!v.loaded, "{:?}", v.messages);
    assert!(
        v.relocations.iter().any(|r| r.type_name == "R_X86_64_32S" && r.status == kreloc_oracle::Status::Overflow),
        "{:?}",
        v.messages
    );
    let v = load(&rebuild(&f, good), "linux-x86_64", AT);
    assert!(v.relocations.iter().all(|r| r.status == kreloc_oracle::Status::Ok), "{:?}", v.messages);
    // A config step goes to the kernel's tracker, naming the purgatory flag to change.
    let up = std::fs::read_to_string(f.join("upstream.md")).unwrap();
    assert!(
        up.starts_with("# x86/purgatory: R_X86_64_32S overflows above 2 GiB when built with -mcmodel=kernel"),
        "{up}"
    );
    assert!(up.contains("build with `-mcmodel=large` instead of `-mcmodel=kernel`"), "{up}");
}
