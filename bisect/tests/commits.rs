//! Commit bisection on a real git repository of a tiny "compiler": a wrapper around the system gcc whose
//! code model changes at a known commit, with unbuildable commits in between.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

#[test]
fn finds_the_known_commit_skipping_broken_ones() {
    let r = setup(19, &[7, 12, 23], "");
    let j = run_json(&r, &[]);
    assert_eq!(j["first_bad"], r.commits[19]);
    assert_eq!(j["subject"], "change 19: use the kernel code model");
    assert_eq!(j["ambiguous"].as_array().unwrap().len(), 0);
    assert_eq!(j["good"]["ok"], true);
    assert_eq!(j["bad"]["ok"], false);
    assert!(j["bad"]["messages"][0].as_str().unwrap().contains("Overflow in relocation type 11"), "{}", j["bad"]);
    assert!(j["steps"].as_u64().unwrap() <= 8, "{}", j["steps"]);
}

#[test]
fn a_skipped_commit_next_to_the_answer_is_reported_as_ambiguous() {
    let r = setup(19, &[17, 18], "");
    let j = run_json(&r, &[]);
    assert_eq!(j["first_bad"], r.commits[19]);
    let amb: Vec<&str> = j["ambiguous"].as_array().unwrap().iter().map(|a| a["commit"].as_str().unwrap()).collect();
    assert_eq!(amb, vec![r.commits[17].as_str(), r.commits[18].as_str()]);
    assert!(j["ambiguous"][0]["reason"].as_str().unwrap().contains("build failed"), "{}", j["ambiguous"]);
}

#[test]
fn a_script_predicate_and_two_jobs_give_the_same_answer() {
    let r = setup(11, &[3], "");
    let script = "grep -q kernel \"$KBISECT_COMPILER\" && exit 1; exit 0";
    let one = run_json(&r, &["--script", script]);
    std::fs::remove_file(&r.state).unwrap();
    let two = run_json(&r, &["--script", script, "--jobs", "2"]);
    assert_eq!(one["first_bad"], r.commits[11]);
    assert_eq!(two["first_bad"], r.commits[11]);
    assert!(two["reused_builds"].as_u64().unwrap() > 0, "builds are reused across runs: {two}");
    assert!(two["rounds"].as_u64().unwrap() <= one["rounds"].as_u64().unwrap());
}

/// A regression that judges alone (load-fails) trusts the bounds as git bisect run does: neither is built
/// unless the answer rests on it, and with the answer next to the good bound, that bound is checked.
#[test]
fn a_predicate_judging_alone_builds_a_bound_only_when_the_answer_rests_on_it() {
    let r = setup(19, &[], "");
    let j = run_json(&r, &["--regress", "load-fails"]);
    assert_eq!(j["first_bad"], r.commits[19]);
    assert_eq!(j["builds"], j["steps"], "every step built one probe: {j}");
    assert!(!stored(&r.store, &r.commits[0]) && !stored(&r.store, &r.commits[29]), "the bounds were built: {j}");

    let near = setup(1, &[], "");
    let j = run_json(&near, &["--regress", "load-fails"]);
    assert_eq!(j["first_bad"], near.commits[1]);
    assert!(
        stored(&near.store, &near.commits[0]),
        "the answer rests on the good bound, so it is built and judged: {j}"
    );
}

#[test]
fn an_interrupted_bisection_resumes() {
    let fresh = setup(21, &[], "sleep 0.4\n");
    let full = run_json(&fresh, &[]);
    let fresh_builds = full["builds"].as_u64().unwrap();

    let r = setup(21, &[], "sleep 0.4\n");
    let a = args(&r, &[]);
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_kbisect")).args(&a).stdout(std::process::Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    // Kill it once the state file shows judged candidates beyond the two bounds.
    loop {
        let judged = std::fs::read_to_string(&r.state)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .map(|v| v["judged"].as_object().map_or(0, |o| o.len()));
        if judged.unwrap_or(0) >= 4 || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let resumed = run_json(&r, &[]);
    assert_eq!(resumed["first_bad"], r.commits[21]);
    assert!(
        resumed["builds"].as_u64().unwrap() < fresh_builds,
        "resumed {} builds vs {fresh_builds} fresh",
        resumed["builds"]
    );
}

/// A bisection that cannot keep its state would not resume: the failed save stops it with the path, as
/// "cannot test" (125), instead of going on silently.
#[test]
fn a_state_that_cannot_be_saved_stops_the_bisection_with_its_path() {
    let mut r = setup(19, &[], "");
    let blocker = r.store.with_file_name("not-a-directory");
    std::fs::write(&blocker, "a file where the state's directory should be").unwrap();
    r.state = blocker.join("state.json");
    let a = args(&r, &[]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = kbisect(&refs);
    assert_eq!(code, 125, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(doc["error"].as_str().unwrap().contains("not-a-directory/state.json"), "{doc}");
}

#[test]
fn bad_inputs_are_one_line_errors_with_exit_2() {
    let r = setup(19, &[], "");
    let not_git = tempfile::tempdir().unwrap();
    for (src, good) in [
        (not_git.path().display().to_string(), r.commits[0].clone()),
        (r.repo.path().display().to_string(), "no-such-rev".to_string()),
    ] {
        let (code, out, err) =
            kbisect(&["gcc", "--src", &src, "--good", &good, "--bad", "HEAD", "--build", "true", "--compiler", "x"]);
        assert_eq!(code, 2, "{out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("not a git repository") || err.contains("unknown revision"), "{err}");
    }
    // Both bounds bad: identical behaviour under the default predicate, a bad "good" under load-fails.
    let src = r.repo.path().display().to_string();
    let store = r.store.display().to_string();
    let base = [
        "gcc",
        "--src",
        &src,
        "--good",
        &r.commits[20],
        "--bad",
        &r.commits[29],
        "--build",
        "sh build.sh",
        "--compiler",
        "bin/cc",
        "--case",
        FIXTURE,
        "--store",
        &store,
    ];
    let (code, _, err) = kbisect(&base);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("behave the same"), "{err}");
    let mut with_regress = base.to_vec();
    with_regress.extend(["--regress", "load-fails"]);
    let (code, _, err) = kbisect(&with_regress);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the good commit") && err.contains("judged Bad"), "{err}");
}

/// A wrapper compiler around gcc that answers only `-v` (like TinyCC) and rejects what `reject` matches.
fn picky_compiler(model: &str, reject: &str) -> String {
    format!(
        "#!/bin/sh\nfor a; do case \"$a\" in --version) echo \"cc: error: invalid option -- '--version'\" >&2; exit 1;; -v) echo 'picky cc 1.0'; exit 0;; {reject}) echo \"cc: error: unsupported option $a\" >&2; exit 1;; esac; done\nexec gcc \"$@\" -mcmodel={model}\n"
    )
}

fn picky_repo(dir: &Path, reject: &'static str) -> Vec<String> {
    make_repo_with(
        dir,
        |i| {
            let model = if i >= 19 { "kernel" } else { "large" };
            vec![
                ("cc.in", picky_compiler(model, reject)),
                ("build.sh", "mkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc\n".into()),
            ]
        },
        19,
    )
}

#[test]
fn a_compiler_without_version_is_identified_by_its_commit() {
    let r = setup_with(|d| picky_repo(d, "--no-such-option"));
    let j = json_of(&args_for("cc", "sh build.sh", &r, &[]));
    assert_eq!(j["first_bad"], r.commits[19]);
    let who = j["bad"]["toolchain"].as_str().unwrap();
    assert!(who.starts_with(&r.commits[29][..12]), "a built compiler is named by commit + artifact hash: {who}");
}

#[test]
fn a_compiler_rejecting_mcmodel_is_judged_with_cflags() {
    let r = setup_with(|d| picky_repo(d, "-mcmodel=*|-fcf-protection*"));
    // With --config, every compile is rejected: nothing differs between the bounds.
    let a = args_for("cc", "sh build.sh", &r, &[]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = kbisect(&refs);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("behave the same"), "{err}");
    let j = json_of(&args_for(
        "cc",
        "sh build.sh",
        &r,
        &["--cflags", "-O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables -g0"],
    ));
    assert_eq!(j["first_bad"], r.commits[19]);
    assert_eq!(j["good"]["compile"], "object");
    assert!(j["bad"]["messages"][0].as_str().unwrap().contains("Overflow in relocation type 11"), "{}", j["bad"]);
    let cmd = j["bad"]["commands"][0].as_str().unwrap();
    assert!(!cmd.contains("-mcmodel") && !cmd.contains("-fcf-protection"), "{cmd}");
}

#[test]
fn builds_are_incremental_in_a_persistent_worktree() {
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("big.log");
    let r = setup_with(|d| make_built_repo(d, &log, "mkdir -p bin && cp cc.in bin/cc && chmod +x bin/cc", 13));
    let j = json_of(&args_for("gcc", "make", &r, &["--artifacts", "bin/cc"]));
    assert_eq!(j["first_bad"], r.commits[13]);
    let builds = j["builds"].as_u64().unwrap();
    let big = std::fs::read_to_string(&log).unwrap().lines().count();
    assert!(builds >= 5, "{j}");
    assert_eq!(big, 1, "the unchanged object is built once, not in each of the {builds} builds");
    // The store holds the compiler alone, each distinct content once.
    assert_eq!(j["store"]["commits"].as_u64().unwrap(), builds);
    assert!(j["store"]["bytes_per_commit"].as_u64().unwrap() < 100, "{}", j["store"]);
}

#[test]
fn resumes_after_sigkill_in_the_middle_of_an_incremental_build() {
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("big.log");
    let started = logdir.path().join("started.log");
    // The recipe first writes a wrong compiler (default code model), then the right one: killed between
    // the two, the tree holds a wrong bin/cc newer than cc.in, which make would keep.
    let recipe: &'static str = Box::leak(
        format!(
            "mkdir -p bin && echo start >> {} && printf '#!/bin/sh\\nexec gcc \"$$@\"\\n' > bin/cc && chmod +x bin/cc && sleep 1 && cp cc.in bin/cc",
            started.display()
        )
        .into_boxed_str(),
    );
    let fresh = setup_with(|d| make_built_repo(d, &log, recipe, 17));
    let full = json_of(&args_for("gcc", "make", &fresh, &["--artifacts", "bin/cc"]));
    assert_eq!(full["first_bad"], fresh.commits[17]);
    let fresh_builds = full["builds"].as_u64().unwrap();
    std::fs::remove_file(&started).unwrap();

    let r = setup_with(|d| make_built_repo(d, &log, recipe, 17));
    let a = args_for("gcc", "make", &r, &["--artifacts", "bin/cc"]);
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_kbisect")).args(&a).stdout(std::process::Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    // Kill it (and the build, as a crash would) inside the fourth build's recipe.
    while std::fs::read_to_string(&started).map_or(0, |s| s.lines().count()) < 4
        && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    let store = r.store.display().to_string();
    let _ = Command::new("sh")
        .args(["-c", &format!("for m in {store}/*/worktrees/*.building; do kill -9 -- -$(cat $m); done 2>/dev/null")])
        .status();
    let again = json_of(&a);
    assert_eq!(again["first_bad"], r.commits[17], "{again}");
    assert!(
        again["builds"].as_u64().unwrap() < fresh_builds,
        "resumed {} builds vs {fresh_builds} fresh",
        again["builds"]
    );
}

#[test]
fn a_warm_store_serves_another_predicate_without_building() {
    let r = setup(19, &[7], "");
    let cold = run_json(&r, &[]);
    assert!(cold["builds"].as_u64().unwrap() >= 5, "{cold}");
    std::fs::remove_file(&r.state).unwrap();
    // Another predicate (a script reading the wrapper) over another range, whose midpoints were never
    // built: the stored commits nearest them are probed instead, and nothing is built.
    let mut a = args(&r, &["--script", "grep -q kernel \"$KBISECT_COMPILER\" && exit 1; exit 0"]);
    let bad = a.iter().position(|x| x == "--bad").unwrap() + 1;
    a[bad] = r.commits[25].clone();
    let warm = json_of(&a);
    assert_eq!(warm["first_bad"], r.commits[19]);
    assert_eq!(warm["builds"], 0, "{warm}");
    assert!(warm["reused_builds"].as_u64().unwrap() >= 3, "{warm}");
}

#[test]
fn artifacts_without_the_compiler_are_a_usage_error() {
    let r = setup(19, &[], "");
    let a = args(&r, &["--artifacts", "build.sh"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = kbisect(&refs);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("do not include the compiler 'bin/cc'"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn two_bisections_sharing_a_store_run_at_once() {
    let r = setup(19, &[], "sleep 0.3\n");
    let spawn = |state: &str, extra: &[&str]| {
        let mut a = args(&r, extra);
        let at = a.iter().position(|x| x == "--state").unwrap() + 1;
        a[at] = r.state.with_file_name(state).display().to_string();
        Command::new(env!("CARGO_BIN_EXE_kbisect")).args(&a).output().unwrap()
    };
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(|| spawn("one.json", &[]));
        let two =
            s.spawn(|| spawn("two.json", &["--script", "grep -q kernel \"$KBISECT_COMPILER\" && exit 1; exit 0"]));
        (one.join().unwrap(), two.join().unwrap())
    });
    for out in [one, two] {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["first_bad"], r.commits[19], "{j}");
    }
}
