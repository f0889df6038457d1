//! Generated git repositories of tiny "compilers" (wrappers around the system gcc whose code model
//! changes at a known commit) and running kbisect on them; shared by the commit-bisection tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/purgatory.c");

pub fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// 30 commits; the wrapper switches to -mcmodel=kernel at `bad_at`; `broken` commits fail to build.
pub fn make_repo(dir: &Path, bad_at: usize, broken: &[usize], build_delay: &str) -> Vec<String> {
    make_repo_with(
        dir,
        |i| {
            let model = if i >= bad_at { "kernel" } else { "large" };
            let build = if broken.contains(&i) {
                "echo 'error: this commit does not build' >&2; exit 1\n".to_string()
            } else {
                format!("{build_delay}mkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc\n")
            };
            vec![("cc.in", format!("#!/bin/sh\nexec gcc \"$@\" -mcmodel={model}\n")), ("build.sh", build)]
        },
        bad_at,
    )
}

/// 30 commits whose files `files(i)` gives; commit `bad_at` says so in its subject.
pub fn make_repo_with(dir: &Path, files: impl Fn(usize) -> Vec<(&'static str, String)>, bad_at: usize) -> Vec<String> {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "t@example.com"]);
    git(dir, &["config", "user.name", "t"]);
    let mut commits = Vec::new();
    for i in 0..30 {
        for (name, text) in files(i) {
            std::fs::write(dir.join(name), text).unwrap();
        }
        std::fs::write(dir.join("NEWS"), format!("change {i}\n")).unwrap();
        git(dir, &["add", "-A"]);
        git(
            dir,
            &[
                "commit",
                "-q",
                "-m",
                &format!("change {i}{}", if i == bad_at { ": use the kernel code model" } else { "" }),
            ],
        );
        commits.push(git(dir, &["rev-parse", "HEAD"]));
    }
    commits
}

pub fn kbisect(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one per-repository directory under a store.
pub fn store_root(store: &Path) -> PathBuf {
    std::fs::read_dir(store).unwrap().flatten().map(|e| e.path()).find(|p| p.is_dir()).expect("a store root")
}

/// Whether the store holds a build of `commit`.
pub fn stored(store: &Path, commit: &str) -> bool {
    let manifests = std::fs::read_dir(store_root(store).join("commits")).unwrap();
    manifests.flatten().any(|e| e.file_name().to_string_lossy().starts_with(commit))
}

pub struct Run {
    pub repo: tempfile::TempDir,
    pub store: PathBuf,
    pub state: PathBuf,
    pub commits: Vec<String>,
}

pub fn setup(bad_at: usize, broken: &[usize], delay: &str) -> Run {
    setup_with(|dir| make_repo(dir, bad_at, broken, delay))
}

pub fn setup_with(make: impl FnOnce(&Path) -> Vec<String>) -> Run {
    let repo = tempfile::tempdir().unwrap();
    let commits = make(repo.path());
    // Outside the repository, so `git archive` exports never see the store.
    let base = tempfile::tempdir().unwrap().keep();
    Run { store: base.join("store"), state: base.join("state.json"), repo, commits }
}

pub fn args<'a>(r: &'a Run, extra: &[&'a str]) -> Vec<String> {
    args_for("gcc", "sh build.sh", r, extra)
}

pub fn args_for(sub: &str, build: &str, r: &Run, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        sub.into(),
        "--src".into(),
        r.repo.path().display().to_string(),
        "--good".into(),
        r.commits[0].clone(),
        "--bad".into(),
        r.commits[29].clone(),
        "--build".into(),
        build.into(),
        "--compiler".into(),
        "bin/cc".into(),
        "--case".into(),
        FIXTURE.into(),
        "--store".into(),
        r.store.display().to_string(),
        "--state".into(),
        r.state.display().to_string(),
        "--json".into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

pub fn run_json(r: &Run, extra: &[&str]) -> serde_json::Value {
    json_of(&args(r, extra))
}

pub fn json_of(a: &[String]) -> serde_json::Value {
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = kbisect(&refs);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A make-built compiler: `big.o` (unchanged in every commit) is slow and logs each time it is built.
pub fn make_built_repo(dir: &Path, log: &Path, cc_recipe: &'static str, bad_at: usize) -> Vec<String> {
    let makefile = format!(
        "bin/cc: cc.in big.o\n\t{cc_recipe}\nbig.o: big.c\n\techo built >> {}\n\tcp big.c big.o\n",
        log.display()
    );
    make_repo_with(
        dir,
        move |i| {
            let model = if i >= bad_at { "kernel" } else { "large" };
            vec![
                ("cc.in", format!("#!/bin/sh\nexec gcc \"$@\" -mcmodel={model}\n")),
                ("big.c", "int big;\n".into()),
                ("Makefile", makefile.clone()),
            ]
        },
        bad_at,
    )
}
