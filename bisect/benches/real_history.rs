//! kbisect against `git bisect run` on a real compiler's history, with the same build command and the
//! same predicates, in one run. Nothing of the compiler is part of this repository: its clone, build
//! command and predicates are given by the user:
//!
//!     KBISECT_BENCH_SRC=/tmp/tinycc KBISECT_BENCH_GOOD=release_0_9_27 KBISECT_BENCH_BAD=origin/mob \
//!     KBISECT_BENCH_BUILD='./configure && make -j2 tcc' KBISECT_BENCH_COMPILER=tcc \
//!     KBISECT_BENCH_PREDICATE='/tmp/pred.sh' KBISECT_BENCH_PREDICATE2='/tmp/pred2.sh' \
//!     cargo bench -p kreloc-bisect --bench real_history
//!
//! Predicates follow git bisect run's exit codes and find the compiler in `$CC`. The first runs on a cold
//! store (and an empty ccache), the second on the store the first left (another predicate, same range);
//! an optional KBISECT_BENCH_PREDICATE3 (a different change) runs third, on the same store.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Setup {
    good: String,
    bad: String,
    build: String,
    compiler: String,
    jobs: String,
}

/// `git bisect run` in one checkout: build in place (a failed build is a skip), then the predicate.
fn git_bisect(repo: &Path, s: &Setup, predicate: &str) -> (f64, usize, String) {
    let t = Instant::now();
    git(repo, &["bisect", "start", &s.bad, &s.good]);
    let script = format!(
        "({}) >/dev/null 2>&1 || exit 125; CC=\"$PWD/{}\"; export CC; cd \"$(mktemp -d)\" && {predicate}",
        s.build, s.compiler
    );
    let out = Command::new("git").arg("-C").arg(repo).args(["bisect", "run", "sh", "-c", &script]).output().unwrap();
    let wall = t.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    let steps = log.matches("running").count();
    let first = log.lines().find_map(|l| l.strip_suffix(" is the first bad commit")).unwrap_or("?").to_string();
    git(repo, &["bisect", "reset"]);
    (wall, steps, first)
}

fn kbisect(src: &Path, s: &Setup, predicate: &str, base: &Path, state: &str) -> (f64, serde_json::Value) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
        .args([
            "cc",
            "--src",
            src.to_str().unwrap(),
            "--good",
            &s.good,
            "--bad",
            &s.bad,
            "--build",
            &s.build,
            "--compiler",
            &s.compiler,
        ])
        .args(["--script", &format!("CC=\"$KBISECT_COMPILER\"; export CC; {predicate}"), "--jobs", &s.jobs, "--json"])
        .args(["--store", base.join("store").to_str().unwrap(), "--state", base.join(state).to_str().unwrap()])
        .env("CCACHE_DIR", base.join("ccache"))
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let j: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (wall, j)
}

fn main() {
    let (Some(src), Some(p1), Some(p2)) =
        (env("KBISECT_BENCH_SRC"), env("KBISECT_BENCH_PREDICATE"), env("KBISECT_BENCH_PREDICATE2"))
    else {
        eprintln!("real_history: set KBISECT_BENCH_SRC, KBISECT_BENCH_PREDICATE and KBISECT_BENCH_PREDICATE2 (see the file's header); not run");
        return;
    };
    let s = Setup {
        good: env("KBISECT_BENCH_GOOD").unwrap_or_else(|| "release_0_9_27".into()),
        bad: env("KBISECT_BENCH_BAD").unwrap_or_else(|| "origin/mob".into()),
        build: env("KBISECT_BENCH_BUILD").unwrap_or_else(|| "./configure && make -j2 tcc".into()),
        compiler: env("KBISECT_BENCH_COMPILER").unwrap_or_else(|| "tcc".into()),
        jobs: env("KBISECT_BENCH_JOBS").unwrap_or_else(|| "2".into()),
    };
    let base = tempfile::tempdir().unwrap();
    let checkout = base.path().join("git-bisect-checkout");
    let clone = base.path().join("kbisect-src");
    for d in [&checkout, &clone] {
        let out = Command::new("git").args(["clone", "-q", &src]).arg(d).output().unwrap();
        assert!(out.status.success(), "git clone {src}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let candidates = git(&clone, &["rev-list", "--first-parent", "--count", &format!("{}..{}", s.good, s.bad)]);
    println!("{candidates} first-parent commits in {}..{}; build: {}", s.good, s.bad, s.build);
    println!("| run | tool | steps | builds | rounds | wall | vs git bisect run |");
    println!("|---|---|---|---|---|---|---|");
    let mut answers = Vec::new();
    let mut runs = vec![("cold store", p1, "state1.json"), ("warm store, other predicate", p2, "state2.json")];
    if let Some(p3) = env("KBISECT_BENCH_PREDICATE3") {
        runs.push(("warm store, a different change", p3, "state3.json"));
    }
    for (name, pred, state) in &runs {
        let (gw, gsteps, gfirst) = git_bisect(&checkout, &s, pred);
        let (kw, j) = kbisect(&clone, &s, pred, base.path(), state);
        let kfirst = j["first_bad"].as_str().unwrap_or("?").to_string();
        assert!(gfirst == "?" || gfirst == kfirst, "git bisect found {gfirst}, kbisect {kfirst}");
        println!("| {name} | git bisect run | {gsteps} | {gsteps} | {gsteps} | {gw:.1}s | 1.00x |");
        println!(
            "| {name} | kbisect cc --jobs {} | {} | {} | {} | {kw:.1}s | {:.2}x |",
            s.jobs,
            j["steps"],
            j["builds"],
            j["rounds"],
            kw / gw
        );
        answers.push((kfirst, j));
    }
    for (first, j) in &answers {
        let rate = j["ccache"]["hits"]
            .as_f64()
            .zip(j["ccache"]["misses"].as_f64())
            .filter(|(h, m)| h + m > 0.0)
            .map(|(h, m)| format!("{:.0}%", 100.0 * h / (h + m)));
        println!(
            "first bad {first}; store {} commits, {} bytes per commit; ccache hit rate {}; build speed-up {}, {} build(s) at once",
            j["store"]["commits"], j["store"]["bytes_per_commit"], rate.unwrap_or_else(|| "n/a".into()), j["build_speedup"], j["concurrent_builds"]
        );
    }
}
