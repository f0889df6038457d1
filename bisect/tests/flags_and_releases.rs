#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/purgatory.c");

fn kbisect(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn flag_ddmin_names_mcmodel_kernel_for_seed_000() {
    let good = "-mcmodel=large -ffreestanding -fno-zero-initialized-in-bss -O2 -fno-pic";
    let bad = "-mcmodel=kernel -mno-red-zone -ffreestanding -fno-zero-initialized-in-bss -O2 -fno-pic -mno-sse -mno-mmx -mno-sse2 -fno-stack-protector";
    let (code, out, err) =
        kbisect(&["flags", "--good", good, "--bad", bad, "--case", FIXTURE, "--cc", "gcc@12", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["schema"], "kbisect/1");
    assert_eq!(
        j["culprit"],
        serde_json::json!([{"change": "replace", "from": "-mcmodel=large", "to": "-mcmodel=kernel"}])
    );
    assert_eq!(j["changes"].as_array().unwrap().len(), 6);
    assert!(j["bad"]["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("kexec: Overflow in relocation type 11 value 0x17f7aff"));
}

#[test]
fn release_bisection_over_three_llvm_releases_probes_and_finds_18() {
    // 17 (zig 0.12.1) good, 19 (clang-19) bad: the answer is only found by probing 18 (zig 0.13.0).
    let (code, out, err) = kbisect(&["llvm", "--good", "17", "--bad", "19", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["first_bad"], 18);
    assert_eq!(j["steps"], 1, "18 was probed: {j}");
    assert_eq!(j["good"]["exec_sections"], serde_json::json!([".text"]));
    assert_eq!(j["bad"]["exec_sections"], serde_json::json!([".text", ".ltext"]));
    assert!(j["bad"]["messages"][0].as_str().unwrap().starts_with("WARNING: at kernel/kexec_file.c"));
    let repro = j["reproducer"].as_str().unwrap();
    assert!(repro.lines().count() < 30 && repro.contains("purgatory_start"), "{repro}");
}

#[test]
fn release_bisection_with_a_script_probes_between_the_bounds() {
    // The script calls only LLVM 19 bad: a search that did not probe 18 would answer 18.
    let (code, out, err) = kbisect(&[
        "llvm",
        "--good",
        "17",
        "--bad",
        "19",
        "--script",
        "case \"$KBISECT_TOOLCHAIN\" in llvm-19*) exit 1;; esac; exit 0",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["first_bad"], 19);
    assert_eq!(j["last_good"], 18);
}

#[test]
fn unprovisionable_releases_and_identical_bounds_are_clear_errors() {
    let (code, _, err) = kbisect(&["llvm", "--good", "3", "--bad", "18"]);
    assert_eq!(code, 2);
    assert!(err.contains("available: gcc ") && err.contains("11, 12; llvm 13"), "{err}");
    let (code, _, err) = kbisect(&["gcc", "--good", "11", "--bad", "12"]);
    assert_eq!(code, 2);
    assert!(err.contains("behave the same"), "{err}");
}

#[test]
fn help_teaches() {
    let (_, out, _) = kbisect(&["--help"]);
    assert!(out.contains("kbisect llvm --good 17 --bad 18"), "{out}");
    let (_, out, _) = kbisect(&["llvm", "--help"]);
    assert!(out.contains("125") && out.contains("--regress"), "{out}");
}

#[test]
fn unknown_values_are_usage_errors_and_help_lists_them() {
    for args in [
        vec!["gcc", "--good", "11", "--bad", "12", "--profile", "linux-arm"],
        vec!["gcc", "--good", "11", "--bad", "12", "--config", "kernel-1999"],
        vec!["gcc", "--good", "11", "--bad", "12", "--regress", "sometimes"],
        vec!["gcc", "--good", "11", "--bad", "12", "--at", "banana"],
    ] {
        let (code, _, err) = kbisect(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        let mut json = args.clone();
        json.push("--json");
        let (code, out, _) = kbisect(&json);
        assert_eq!(code, 2, "{json:?}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{json:?}: {e}: {out}"));
        assert_eq!((doc["schema"].as_str(), doc["exit_code"].as_i64()), (Some("kbisect/1"), Some(2)), "{doc}");
    }
    let (_, out, _) = kbisect(&["gcc", "--help"]);
    for listed in ["- load-fails:", "- compile-error:", "kernel-2019-fix", "kexec-tools-i386-nonreloc"] {
        assert!(out.contains(listed), "{listed} not in --help: {out}");
    }
}
