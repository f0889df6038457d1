//! `kreloc report`, `kreloc merge` and `--shard auto` on bad input: one clear line and a documented exit
//! code, never a panic.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::process::{Command, Output};

fn kreloc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("KRELOC_SHARD_INDEX")
        .output()
        .unwrap()
}

fn one_line_error(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_stores_and_shards_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().display().to_string();
    one_line_error(&kreloc(&["report", &empty]), 125, "not a campaign store");
    one_line_error(&kreloc(&["merge", &empty, "--into", &format!("{empty}/m")]), 125, "not a campaign store");
    one_line_error(&kreloc(&["merge", &empty, "--into", &empty]), 2, "also a source");
    one_line_error(&kreloc(&["fuzz", "--shard", "auto", "--count", "1", "--out", &empty]), 125, "JOB_COMPLETION_INDEX");
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["fuzz", "--shard", "auto", "--count", "1", "--out", &empty])
        .env("JOB_COMPLETION_INDEX", "1")
        .env_remove("KRELOC_SHARD_COUNT")
        .output()
        .unwrap();
    one_line_error(&out, 125, "--shard-count");
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["fuzz", "--shard", "auto", "--count", "1", "--out", &empty])
        .env("SLURM_ARRAY_TASK_ID", "5")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .output()
        .unwrap();
    one_line_error(&out, 125, "not below count 4");
}

#[test]
fn report_of_an_empty_store_still_renders() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("findings")).unwrap();
    let page = tmp.path().join("r.html");
    let out = kreloc(&["report", &tmp.path().display().to_string(), "-o", &page.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("No root cause") && html.contains("<table class=\"matrix\">"));
}
