//! deploy/watch.sh, the nightly watch's logic, with a stub `gh` on PATH (tests/fixtures/gh): a small campaign
//! and `kreloc kexec-tools` on the kexec-tools-shaped fixture tree, each run into a fresh store as a CI run
//! is. The first run opens one issue per root cause (after a triage); a second run with the same causes
//! opens none and comments on each (reopening a closed one); a run that finds a new cause opens one more.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/kexec_tools.rs"]
mod kexec_tools_tree;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Watch {
    dir: tempfile::TempDir,
    tree: PathBuf,
    bin: PathBuf,
}

impl Watch {
    fn new() -> Watch {
        let dir = tempfile::tempdir().unwrap();
        let tree = kexec_tools_tree::kexec_tools_tree(dir.path());
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(manifest.join("tests/fixtures/gh"), bin.join("gh")).unwrap();
        Watch { dir, tree, bin }
    }

    fn gh(&self) -> PathBuf {
        self.dir.path().join("gh")
    }

    /// Runs the watch into `store-<run>`; returns its store.
    fn run(&self, run: usize, kexec_tools_configs: &str) -> PathBuf {
        let (out, store) = self.watch(run, kexec_tools_configs, &self.tree, "2");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "watch run {run}: {stderr}");
        assert!(stderr.contains("watch: campaign"), "{stderr}");
        store
    }

    fn watch(&self, run: usize, kexec_tools_configs: &str, tree: &Path, count: &str) -> (Output, PathBuf) {
        let store = self.dir.path().join(format!("store-{run}"));
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap());
        let out = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/watch.sh"))
            .env("PATH", path)
            .env("GH_STUB_DIR", self.gh())
            .env("KRELOC", env!("CARGO_BIN_EXE_kreloc"))
            .env("KRELOC_CACHE_DIR", self.dir.path().join("objects"))
            .env("WATCH_STORE", &store)
            .env("WATCH_TOOLCHAINS", "gcc@12,clang-19")
            .env("WATCH_CONFIGS", "kernel-2024")
            .env("WATCH_COUNT", count)
            .env("WATCH_KEXEC_TOOLS_TREES", tree)
            .env("WATCH_KEXEC_TOOLS_CONFIGS", kexec_tools_configs)
            .env("WATCH_BUILD_DIR", self.dir.path().join("build"))
            .env("WATCH_RUN_URL", format!("run-{run}"))
            .output()
            .unwrap();
        (out, store)
    }

    fn calls(&self, verb: &str) -> usize {
        let log = std::fs::read_to_string(self.gh().join("calls.log")).unwrap_or_default();
        log.lines().filter(|l| l.starts_with(verb)).count()
    }

    fn issues(&self) -> Vec<(String, String, String)> {
        let mut issues: Vec<_> = std::fs::read_dir(self.gh().join("issues"))
            .unwrap()
            .flatten()
            .map(|e| {
                let text = std::fs::read_to_string(e.path()).unwrap();
                let (state, title) = text.trim_end().split_once('\t').unwrap();
                (e.file_name().to_string_lossy().to_string(), state.to_string(), title.to_string())
            })
            .collect();
        issues.sort();
        issues
    }
}

/// The fingerprints of a store's root causes, as `kreloc report` lists them.
fn fingerprints(store: &Path) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).arg("report").arg(store).arg("--json").output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["causes"].as_array().unwrap().iter().map(|c| c["fingerprint"].as_str().unwrap().to_string()).collect()
}

#[test]
fn one_issue_per_root_cause_across_runs() {
    let w = Watch::new();
    let first = fingerprints(&w.run(1, "tree,kexec-tools-2012"));
    assert!(first.len() >= 2, "the 2012 flags' GOT relocations: {first:?}");
    let issues = w.issues();
    assert_eq!(w.calls("issue create"), first.len());
    assert_eq!(issues.len(), first.len());
    for fp in &first {
        let (n, _, title) = issues.iter().find(|(_, _, t)| t.starts_with(&format!("[kreloc {fp}] "))).unwrap();
        assert!(title.contains("kexec-tools-2012"), "{title}");
        // Each issue was opened after a triage: its body is the finding's triage.md.
        let body = std::fs::read_to_string(w.gh().join("bodies").join(n)).unwrap();
        assert!(body.contains("run-1") && body.contains("## The flag"), "{body}");
    }
    assert_eq!(w.calls("issue list --label kreloc-watch --state all"), 1);

    // Someone closes one; the same causes again: no new issue, a comment on each, the closed one reopened.
    let (closed, _, title) = issues[0].clone();
    std::fs::write(w.gh().join("issues").join(&closed), format!("CLOSED\t{title}\n")).unwrap();
    let second = fingerprints(&w.run(2, "tree,kexec-tools-2012"));
    assert_eq!(second, first);
    assert_eq!(w.calls("issue create"), first.len(), "no second issue for a known root cause");
    assert_eq!(w.calls("issue comment"), first.len());
    assert_eq!(w.calls(&format!("issue reopen {closed}")), 1);
    assert!(w.issues().iter().all(|(_, state, _)| state == "OPEN"));
    let comments = std::fs::read_to_string(w.gh().join("comments").join(&closed)).unwrap();
    assert!(comments.contains("Seen again") && comments.contains("run-2"), "{comments}");

    // A new cause (clang-19 at x86-64-v3 runs SSE) is one more issue; the known ones get comments.
    let third = fingerprints(&w.run(3, "tree,kexec-tools-2012,kexec-tools-2022-v3"));
    let new: Vec<_> = third.difference(&first).collect();
    assert!(!new.is_empty(), "{third:?}");
    assert_eq!(w.calls("issue create"), first.len() + new.len());
    let issues = w.issues();
    assert_eq!(issues.len(), first.len() + new.len());
    assert!(issues.iter().any(|(_, _, t)| t.contains("kexec-tools-2022-v3") && t.contains("SSE")), "{issues:?}");
    let titles: BTreeSet<_> = issues.iter().map(|(_, _, t)| t.clone()).collect();
    assert_eq!(titles.len(), issues.len(), "two issues with one title");
}

#[test]
fn a_stage_that_cannot_run_fails_the_job_and_opens_nothing() {
    let w = Watch::new();
    let missing = w.dir.path().join("no-such-tree");
    let (out, _) = w.watch(1, "tree", &missing, "0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not run (exit 125)"), "{stderr}");
    assert!(!stderr.contains("watch: campaign"), "WATCH_COUNT=0 runs no campaign: {stderr}");
    assert_eq!(w.calls("issue create"), 0);
}
