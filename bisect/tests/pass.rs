//! `kbisect pass`: the pass of the bad compiler that makes the object bad. A switch that only -O2 turns
//! into a lookup table (an R_X86_64_32S under -mcmodel=kernel) is blamed on LLVM's SimplifyCFG and GCC's
//! switchconv; `.ltext` under -mcmodel=large is there with every pass disabled: not an optimisation.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::process::Command;

fn kbisect_pass(case: &str, cc: &str, flags: &str, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
        .args(["--json", "pass", "--cc", cc, "--flags", flags, "--case"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(case))
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kbisect pass failed (run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn llvm_names_simplifycfg_for_the_switch_table_that_only_o2_makes() {
    let r = kbisect_pass("switch_table.c", "clang-19", "-mcmodel=kernel -fno-pic -O2", &[]);
    assert_eq!(r["blame"]["verdict"], "pass", "{r}");
    assert_eq!(r["blame"]["pass"], "SimplifyCFGPass", "{r}");
    assert_eq!(r["blame"]["on"], "f", "{r}");
    assert_eq!(r["blame"]["level"], "ir", "{r}");
    assert!(r["compiles"].as_u64().unwrap() < 20, "a bisection, not a scan: {r}");
    // At -O0 it is not bad: nothing to bisect.
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
        .args(["pass", "--cc", "clang-19", "--flags", "-mcmodel=kernel -fno-pic -O0", "--regress", "warns", "--case"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/switch_table.c"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn gcc_names_switchconv_alone() {
    let r = kbisect_pass("switch_table.c", "gcc@12", "-mcmodel=kernel -fno-pic -O2", &[]);
    assert_eq!(r["blame"]["verdict"], "passes", "{r}");
    assert_eq!(r["blame"]["passes"], serde_json::json!(["tree-switchconv"]), "{r}");
}

#[test]
fn ltext_is_not_an_optimisation() {
    let r = kbisect_pass("ltext.c", "clang-19", "-mcmodel=large -fno-pic -O2", &["--regress", "warns"]);
    assert_eq!(r["blame"]["verdict"], "not-an-optimisation", "{r}");
    assert!(r["blame"]["with"].as_str().unwrap().contains("every pass disabled"), "{r}");
}
