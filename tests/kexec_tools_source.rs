//! `kreloc kexec-tools` on a kexec-tools-shaped tree of the test's own (tests/fixtures/kexec-tools-tree: a
//! release's layout, configure and purgatory Makefiles with kexec-tools 2.0.32's flags, and the purgatory
//! of run_purgatory.c with kexec-tools' symbols). No real kexec-tools source is fetched: Debian's
//! `apt-get source kexec-tools` needs deb-src entries this machine lacks, and its binary package carries no
//! tree. Built with gcc-12 and clang-19 under the tree's flags and three eras, judged and run as
//! `kexec -p` loads it.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/kexec_tools.rs"]
mod kexec_tools_tree;

use std::path::Path;
use std::process::{Command, Output};

use kexec_tools_tree::kexec_tools_tree;

fn kexec_tools(src: &Path, dir: &Path, configs: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["--json", "kexec-tools", "--src"])
        .arg(src)
        .args(["--toolchains", "gcc@12,clang-19", "--configs", configs, "--at", "0x17f7affd000", "--build-dir"])
        .arg(dir.join("build"))
        .arg("--out")
        .arg(dir.join("store"))
        .output()
        .unwrap()
}

fn parse(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn cell<'a>(doc: &'a serde_json::Value, tc: &str, flags: &str) -> &'a serde_json::Value {
    doc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["toolchain"].as_str().unwrap().starts_with(tc) && c["flags"] == flags)
        .unwrap_or_else(|| panic!("no cell {tc} {flags} in {doc}"))
}

fn run_kind(cell: &serde_json::Value) -> &str {
    cell["runs"][0]["outcome"]["kind"].as_str().unwrap_or_else(|| panic!("no run in {cell}"))
}

#[test]
fn eras_of_a_kexec_tools_tree_load_and_run_as_kexec_loads_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = kexec_tools_tree(dir.path());
    let configs = "tree,kexec-tools-2012,kexec-tools-2022-v3,kexec-tools-2025-v3";
    let out = kexec_tools(&src, dir.path(), configs);
    let doc = parse(&out);
    assert_eq!(out.status.code(), Some(1), "the 2012 flags must fail: {doc}");
    assert_eq!(doc["version"], "2.0.32.kreloc");
    assert_eq!(doc["profile"], "kexec-tools-x86_64");
    for tc in ["gcc-12", "llvm-19"] {
        // The tree's own flags (-mcmodel=large -march=x86-64 -mno-sse ...): loads and verifies its digest.
        let own = cell(&doc, tc, "tree");
        assert_eq!(own["verdicts"][0]["good"], true, "{tc}: {own}");
        assert_eq!(run_kind(own), "returned", "{tc}: {own}");
        // 2012's flags under a PIE-default compiler: GOT relocations kexec-tools refuses.
        let old = cell(&doc, tc, "kexec-tools-2012");
        assert_eq!(old["verdicts"][0]["good"], false, "{tc}: {old}");
        // R_X86_64_GOTOFF64 (25), R_X86_64_GOTPC64 (29).
        let r_type = &old["verdicts"][0]["failure"]["message"]["r_type"];
        assert!(r_type == 25 || r_type == 29, "{tc}: {old}");
        // 2025's -march=x86-64 -mno-avx win over an x86-64-v3 compiler's default.
        assert_eq!(run_kind(cell(&doc, tc, "kexec-tools-2025-v3")), "returned", "{tc}");
    }
    // clang-19 at x86-64-v3 without 2025's flags moves SHA-256 data through vector registers: #UD in purgatory.
    assert_eq!(run_kind(cell(&doc, "llvm-19", "kexec-tools-2022-v3")), "vector-instruction");
    let causes = doc["root_causes"].as_array().unwrap();
    let titles: Vec<&str> = causes.iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert!(titles.iter().any(|t| t.starts_with("config kexec-tools-2012") && t.contains("GOT")), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("kexec-tools-2022-v3") && t.contains("SSE/AVX")), "{titles:?}");
    assert!(causes.iter().all(|c| c["new"] == true), "{causes:?}");
    // Each finding keeps what rebuilds its purgatory: configure and make with the era's CFLAGS.
    let finding = Path::new(causes[0]["dir"].as_str().unwrap());
    let case = std::fs::read_dir(finding.join("kernel")).unwrap().next().unwrap().unwrap().path();
    let report = std::fs::read_to_string(case.join("report.md")).unwrap();
    assert!(report.contains("The real purgatory of kexec-tools 2.0.32.kreloc"), "{report}");
    assert!(report.contains("configure CC=") && report.contains("make -C"), "{report}");

    // Again: the build trees are configured once, and every cause is a sighting of a known one.
    let stamps = std::fs::read_dir(dir.path().join("build")).unwrap().flatten().flat_map(|v| {
        std::fs::read_dir(v.path()).unwrap().flatten().map(|t| t.path().join(".kreloc-configured")).collect::<Vec<_>>()
    });
    assert_eq!(stamps.filter(|s| s.is_file()).count(), 2, "one configured build tree per toolchain");
    let again = parse(&kexec_tools(&src, dir.path(), configs));
    assert_eq!(again["root_causes"].as_array().unwrap().len(), causes.len());
    assert!(again["root_causes"].as_array().unwrap().iter().all(|c| c["new"] == false), "{again}");
}

#[test]
fn a_tree_that_is_not_kexec_tools_cannot_be_tested() {
    let dir = tempfile::tempdir().unwrap();
    let out = kexec_tools(dir.path(), dir.path(), "tree");
    assert_eq!(out.status.code(), Some(125));
    assert!(parse(&out)["error"].as_str().unwrap().contains("is --src a kexec-tools tree?"));
    let bad = kexec_tools(dir.path(), dir.path(), "tree,kernel-1999");
    assert_eq!(bad.status.code(), Some(125), "{}", String::from_utf8_lossy(&bad.stdout));
}
