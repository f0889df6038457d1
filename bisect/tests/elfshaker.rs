//! The elfshaker store backend and published (manyclangs-style) elfshaker packs, with the real elfshaker
//! 0.9.0 that scripts/setup.sh builds: generated repositories whose compiler is built by make, and
//! (with KRELOC_TINYCC_SRC) real TinyCC builds.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// The elfshaker scripts/setup.sh installs (or KRELOC_ELFSHAKER).
fn elfshaker() -> PathBuf {
    let p = std::env::var_os("KRELOC_ELFSHAKER").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
        cache.join("kreloc/elfshaker/0.9.0/bin/elfshaker")
    });
    assert!(p.is_file(), "elfshaker not found at {}: run scripts/setup.sh", p.display());
    p
}

fn run_elfshaker(repo: &Path, args: &[&str]) -> String {
    let out = Command::new(elfshaker()).args(args).current_dir(repo).output().unwrap();
    assert!(out.status.success(), "elfshaker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (snapshot, pack) pairs of an elfshaker repository.
fn snapshots(repo: &Path) -> Vec<(String, String)> {
    run_elfshaker(repo, &["find", ""])
        .lines()
        .filter_map(|l| l.split_once(char::is_whitespace).map(|(s, p)| (s.to_string(), p.trim().to_string())))
        .collect()
}

/// kbisect cc arguments taking builds from `packs` (linked with its link.sh), with no --build.
fn packs_args(r: &Run, packs: &Path) -> Vec<String> {
    let dir = packs.display().to_string();
    let mut a = args_for("cc", "unused", r, &["--packs", &dir, "--link", "sh ./link.sh"]);
    let at = a.iter().position(|x| x == "--build").unwrap();
    a.drain(at..at + 2);
    a
}

#[test]
fn the_elfshaker_backend_packs_builds_and_a_second_bisection_extracts_them() {
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("big.log");
    let r = setup_with(|d| make_built_repo(d, &log, "mkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc", 13));
    let cold = json_of(&args_for("gcc", "make", &r, &["--artifacts", "bin/cc", "--store-backend", "elfshaker"]));
    assert_eq!(cold["first_bad"], r.commits[13]);
    let builds = cold["builds"].as_u64().unwrap();
    assert!(builds >= 5, "{cold}");
    assert_eq!(cold["store"]["backend"], "elfshaker");
    assert_eq!(cold["store"]["packed"].as_u64(), Some(builds), "every snapshot of the run is packed: {cold}");

    // One pack holding one snapshot per built commit, named by the commit; nothing loose, no blobs.
    let root = store_root(&r.store);
    let repo = root.join("elfshaker");
    let snaps = snapshots(&repo);
    assert_eq!(snaps.len() as u64, builds, "{snaps:?}");
    assert!(snaps.iter().all(|(tag, pack)| r.commits.contains(tag) && pack.starts_with("kbisect-")), "{snaps:?}");
    let packs: Vec<PathBuf> =
        std::fs::read_dir(repo.join("elfshaker_data/packs")).unwrap().flatten().map(|e| e.path()).collect();
    assert!(packs.iter().any(|p| p.extension().is_some_and(|x| x == "pack")), "{packs:?}");
    assert!(!repo.join("elfshaker_data/loose").exists() && !repo.join("elfshaker_data/packs/loose").exists());
    assert!(!root.join("blobs").exists());

    // A second bisection (another predicate) after the materialized trees are gone: every commit it
    // tests comes out of the pack, with no build and no make run.
    std::fs::remove_dir_all(root.join("trees")).unwrap();
    std::fs::remove_file(&r.state).unwrap();
    let made = std::fs::read_to_string(&log).unwrap();
    let warm = json_of(&args_for(
        "gcc",
        "make",
        &r,
        &[
            "--artifacts",
            "bin/cc",
            "--store-backend",
            "elfshaker",
            "--script",
            "grep -q kernel \"$KBISECT_COMPILER\" && exit 1; exit 0",
        ],
    ));
    assert_eq!(warm["first_bad"], r.commits[13], "{warm}");
    assert_eq!(warm["builds"], 0, "{warm}");
    assert!(warm["reused_builds"].as_u64().unwrap() >= 3, "{warm}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), made);
    // Extracted compilers run: elfshaker keeps no modes, the manifest gave the exec bit back.
    let tree = std::fs::read_dir(root.join("trees"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("bin/cc").exists())
        .unwrap();
    let out = Command::new(tree.join("bin/cc")).arg("--version").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Publishes `commits` of a generated repository the manyclangs way: one elfshaker repository, a snapshot
/// per commit tagged `DATE-N-TIME-SHA15` holding an unlinked "object" and a `link.sh`, packed into
/// `elfshaker_data/packs/NAME.pack`, with the loose snapshots removed (only the pack is published).
fn publish_manyclangs_pack(src: &Path, commits: &[String], dir: &Path, skip: &[usize]) {
    std::fs::create_dir_all(dir.join("elfshaker_data")).unwrap();
    for (i, c) in commits.iter().enumerate().filter(|(i, _)| !skip.contains(i)) {
        let obj = dir.join("obj");
        std::fs::create_dir_all(&obj).unwrap();
        std::fs::write(obj.join("cc.o"), git(src, &["show", &format!("{c}:cc.in")])).unwrap();
        std::fs::write(dir.join("link.sh"), "#!/bin/sh\nmkdir -p bin && cp obj/cc.o bin/cc && chmod +x bin/cc\n")
            .unwrap();
        std::fs::write(dir.join("COMMIT_SHA"), c).unwrap();
        let tag = format!("20240101-{i:05}T120000-{}", &c[..15]);
        run_elfshaker(dir, &["store", &tag]);
    }
    run_elfshaker(dir, &["pack", "test-manyclangs-202401"]);
    for d in ["elfshaker_data/loose", "elfshaker_data/packs/loose"] {
        std::fs::remove_dir_all(dir.join(d)).unwrap();
    }
}

#[test]
fn published_packs_are_bisected_with_no_build_command() {
    let r = setup(19, &[], "");
    let packs = tempfile::tempdir().unwrap();
    publish_manyclangs_pack(r.repo.path(), &r.commits, packs.path(), &[]);
    let published = snapshots(packs.path());
    assert_eq!(published.len(), 30);
    assert!(published.iter().all(|(_, p)| p == "test-manyclangs-202401"), "{published:?}");

    let head = std::fs::read_to_string(packs.path().join("elfshaker_data/HEAD")).unwrap();
    let j = json_of(&packs_args(&r, packs.path()));
    assert_eq!(j["first_bad"], r.commits[19], "{j}");
    assert_eq!(j["subject"], "change 19: use the kernel code model");
    assert_eq!(j["builds"], 0, "{j}");
    assert!(j["from_packs"].as_u64().unwrap() >= 5, "{j}");
    assert!(!store_root(&r.store).join("worktrees").exists(), "no worktree is made when nothing is built");
    // The published directory is only read: its HEAD stays, no loose objects are written into it.
    assert_eq!(std::fs::read_to_string(packs.path().join("elfshaker_data/HEAD")).unwrap(), head);
    assert!(!packs.path().join("elfshaker_data/loose").exists());
}

#[test]
fn a_commit_missing_from_the_packs_is_skipped_without_a_build_command() {
    let r = setup(19, &[], "");
    let packs = tempfile::tempdir().unwrap();
    publish_manyclangs_pack(r.repo.path(), &r.commits, packs.path(), &[18]);
    let j = json_of(&packs_args(&r, packs.path()));
    assert_eq!(j["first_bad"], r.commits[19], "{j}");
    assert_eq!(j["ambiguous"][0]["commit"], r.commits[18], "{j}");
    assert!(j["ambiguous"][0]["reason"].as_str().unwrap().contains("not in the packs"), "{j}");
}

#[test]
fn missing_elfshaker_and_bad_pack_dirs_are_one_line_errors() {
    let r = setup(19, &[], "");
    let a = args(&r, &["--store-backend", "elfshaker"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
        .args(&refs)
        .env("KRELOC_ELFSHAKER", "/nonexistent/elfshaker")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("elfshaker not found; run scripts/setup.sh"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let empty = tempfile::tempdir().unwrap();
    let a = args(&r, &["--packs", &empty.path().display().to_string()]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = kbisect(&refs);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no elfshaker_data/packs"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// TinyCC's f44060f8 "ELF Relocatable: make undefined global symbol STT_NOTYPE", bisected over 17
/// first-parent commits with real `./configure && make -j2 tcc` builds. Ignored (libtest prints the reason)
/// unless asked for: `KRELOC_TINYCC_SRC=CLONE cargo test -p kreloc-bisect --test elfshaker -- --include-ignored`.
#[test]
#[ignore = "needs KRELOC_TINYCC_SRC, a TinyCC clone (git clone https://github.com/TinyCC/tinycc), and --include-ignored"]
fn real_tinycc_builds_in_elfshaker_packs() {
    let src = std::env::var_os("KRELOC_TINYCC_SRC").map(PathBuf::from).expect(
        "KRELOC_TINYCC_SRC is not set: point it at a TinyCC clone (git clone https://github.com/TinyCC/tinycc)",
    );
    let first_bad = git(&src, &["rev-parse", "f44060f8"]);
    let (good, bad) = (git(&src, &["rev-parse", "f44060f8~8"]), git(&src, &["rev-parse", "ece74cea"]));
    let work = tempfile::tempdir().unwrap();
    let case = work.path().join("case.c");
    std::fs::write(
        &case,
        "extern int helper(int);\nextern int table[];\nint f(int x) { return helper(x) + table[x]; }\n",
    )
    .unwrap();
    let symbol_type = |sym: &str, want: &str| {
        format!(
            "\"$KBISECT_COMPILER\" -c {} -o case.o 2>/dev/null || exit 125; t=$(readelf -sW case.o | awk '$8==\"{sym}\"{{print $4}}'); [ \"$t\" = {want} ] && exit 0; exit 1",
            case.display()
        )
    };
    let store = work.path().join("store");
    let base = |state: &str, script: String, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "cc",
            "--src",
            &src.display().to_string(),
            "--good",
            &good,
            "--bad",
            &bad,
            "--compiler",
            "tcc",
            "--script",
            &script,
            "--jobs",
            "2",
            "--state",
            &work.path().join(state).display().to_string(),
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let store_arg = store.display().to_string();
    let cold = json_of(&base(
        "cold.json",
        symbol_type("helper", "FUNC"),
        &["--build", "./configure && make -j2 tcc", "--store", &store_arg, "--store-backend", "elfshaker"],
    ));
    assert_eq!(cold["first_bad"], first_bad, "{cold}");
    let builds = cold["builds"].as_u64().unwrap();
    assert!(builds >= 3, "{cold}");
    assert_eq!(cold["store"]["packed"].as_u64(), Some(builds), "{cold}");
    let repo = store_root(&store).join("elfshaker");
    eprintln!(
        "TinyCC: {builds} builds packed; store {} bytes per commit; snapshots {:?}",
        cold["store"]["bytes_per_commit"],
        snapshots(&repo).len()
    );

    // The store's elfshaker directory is itself a pack directory a team can publish: a fresh store bisects
    // another predicate from it with no build command and no build.
    let fresh = work.path().join("fresh").display().to_string();
    let warm = json_of(&base(
        "warm.json",
        symbol_type("table", "OBJECT"),
        &["--packs", &repo.display().to_string(), "--store", &fresh],
    ));
    assert_eq!(warm["first_bad"], first_bad, "{warm}");
    assert_eq!(warm["builds"], 0, "{warm}");
    assert!(warm["from_packs"].as_u64().unwrap() >= 3, "{warm}");
    eprintln!(
        "TinyCC from the packs: {} steps, {} extracted, {} ms",
        warm["steps"], warm["from_packs"], warm["elapsed_ms"]
    );
}
