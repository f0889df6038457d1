//! kbisect against `git bisect run` on the same repository with the same predicate, in the same run:
//! 64 first-parent commits of a tiny "compiler" whose build takes 0.3 s; the flags change at commit 41.
//!
//!     cargo bench -p kreloc-bisect --bench vs_git_bisect

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.email", "b@example.com"]);
    git(&repo, &["config", "user.name", "b"]);
    let mut commits = Vec::new();
    for i in 0..64 {
        let model = if i >= 41 { "kernel" } else { "large" };
        std::fs::write(repo.join("cc.in"), format!("#!/bin/sh\nexec gcc \"$@\" -mcmodel={model}\n")).unwrap();
        std::fs::write(repo.join("build.sh"), "sleep 0.3\nmkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc\n")
            .unwrap();
        std::fs::write(repo.join("NEWS"), format!("change {i}\n")).unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", &format!("change {i}")]);
        commits.push(git(&repo, &["rev-parse", "HEAD"]));
    }
    let predicate = "grep -q kernel bin/cc && exit 1; exit 0";

    // git bisect run: build in place, then the predicate.
    let t = Instant::now();
    git(&repo, &["bisect", "start", &commits[63], &commits[0]]);
    let out = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["bisect", "run", "sh", "-c", &format!("sh build.sh || exit 125; {predicate}")])
        .output()
        .unwrap();
    let git_time = t.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains(&commits[41]), "git bisect found something else: {log}");
    let git_steps = log.matches("running").count();
    git(&repo, &["bisect", "reset"]);

    for jobs in [1, 2] {
        let store = dir.path().join(format!("store-{jobs}"));
        let state = dir.path().join(format!("state-{jobs}.json"));
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
            .args([
                "gcc",
                "--src",
                repo.to_str().unwrap(),
                "--good",
                &commits[0],
                "--bad",
                &commits[63],
                "--build",
                "sh build.sh",
                "--compiler",
                "bin/cc",
            ])
            .args([
                "--script",
                "grep -q kernel \"$KBISECT_COMPILER\" && exit 1; exit 0",
                "--jobs",
                &jobs.to_string(),
                "--json",
            ])
            .args(["--store", store.to_str().unwrap(), "--state", state.to_str().unwrap()])
            .output()
            .unwrap();
        let kb_time = t.elapsed().as_secs_f64();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(j["first_bad"], commits[41]);
        if jobs == 1 {
            println!("| tool | steps | builds | rounds | wall | vs git bisect run |");
            println!("|---|---|---|---|---|---|");
            println!("| git bisect run | {git_steps} | {git_steps} | {git_steps} | {git_time:.2}s | 1.00x |");
        }
        println!(
            "| kbisect --jobs {jobs} | {} | {} | {} | {kb_time:.2}s | {:.2}x |",
            j["steps"],
            j["builds"],
            j["rounds"],
            kb_time / git_time
        );
    }
}
