//! kbisect against `git bisect run` on a real compiler's history, with the same build command and the
//! same question, in one run. Nothing of the compiler is part of this repository: its clone, build
//! command and predicates are given by the user:
//!
//!     KBISECT_BENCH_SRC=/tmp/tinycc KBISECT_BENCH_GOOD=release_0_9_26 KBISECT_BENCH_BAD=release_0_9_27 \
//!     KBISECT_BENCH_BUILD='./configure && make -j2 tcc' KBISECT_BENCH_COMPILER=tcc \
//!     KBISECT_BENCH_PREDICATE='/tmp/loads.sh' \
//!     KBISECT_BENCH_ORACLE='--case bisect/benches/tinycc_purgatory.c --cflags -O2 --profile linux-x86_64@4.15 --regress load-fails' \
//!     cargo bench -p kreloc-bisect --bench real_history
//!
//! Predicates follow git bisect run's exit codes and find the compiler in `$CC`. With KBISECT_BENCH_ORACLE
//! (kbisect arguments, split at whitespace) kbisect judges with the oracle and git bisect run with the
//! predicate; without it both run the predicate. Rows, from one run: git bisect run; kbisect on an empty
//! store with an empty ccache (a fresh CCACHE_DIR the bench makes); kbisect again on the store that left.
//! Optional KBISECT_BENCH_PREDICATE2 (another predicate, same range) and KBISECT_BENCH_PREDICATE3 (a
//! different change) run next, each beside git bisect run, on the same store.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

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

/// How kbisect judges: the same script as git bisect, or the oracle (`KBISECT_BENCH_ORACLE`'s arguments).
enum Judge<'a> {
    Script(&'a str),
    Oracle(&'a [String]),
}

fn kbisect(src: &Path, s: &Setup, judge: &Judge, base: &Path, state: &str) -> (f64, serde_json::Value) {
    let judge_args: Vec<String> = match judge {
        Judge::Script(p) => vec!["--script".into(), format!("CC=\"$KBISECT_COMPILER\"; export CC; {p}")],
        Judge::Oracle(args) => args.to_vec(),
    };
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
        .args(judge_args)
        .args(["--jobs", &s.jobs, "--json"])
        .args(["--store", base.join("store").to_str().unwrap(), "--state", base.join(state).to_str().unwrap()])
        .env("CCACHE_DIR", base.join("ccache"))
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let j: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (wall, j)
}

/// ccache's hits and misses in one kbisect run, as the report gives them.
fn ccache_state(j: &serde_json::Value) -> String {
    match (j["ccache"]["hits"].as_u64(), j["ccache"]["misses"].as_u64()) {
        (Some(h), Some(m)) => format!("{h} hits, {m} misses"),
        _ => "not used".into(),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let (Some(src), Some(p1)) = (env("KBISECT_BENCH_SRC"), env("KBISECT_BENCH_PREDICATE")) else {
        eprintln!("real_history: set KBISECT_BENCH_SRC and KBISECT_BENCH_PREDICATE (see the file's header); not run");
        return;
    };
    let p2 = env("KBISECT_BENCH_PREDICATE2").unwrap_or_default();
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
    let oracle: Option<Vec<String>> =
        env("KBISECT_BENCH_ORACLE").map(|a| a.split_whitespace().map(str::to_string).collect());
    let first_judge = match &oracle {
        Some(args) => Judge::Oracle(args),
        None => Judge::Script(&p1),
    };
    println!("{candidates} first-parent commits in {}..{}; build: {}", s.good, s.bad, s.build);
    match &oracle {
        Some(args) => println!("kbisect judges with the oracle ({}); git bisect run with {p1}", args.join(" ")),
        None => println!("both judge with {p1}"),
    }
    println!("load average before: {}", load_average());
    println!("| run | tool | steps | builds | rounds | wall | vs git bisect run |");
    println!("|---|---|---|---|---|---|---|");
    // The cold run starts from an empty store and an empty CCACHE_DIR (both fresh under `base`); the warm
    // one asks the same question again of the store the cold run left.
    let (gw, gsteps, gfirst) = git_bisect(&checkout, &s, &p1);
    println!("| one checkout, no ccache | git bisect run | {gsteps} | {gsteps} | {gsteps} | {gw:.1}s | 1.00x |");
    let mut answers = Vec::new();
    for (name, state) in
        [("cold store, empty ccache", "state-cold.json"), ("warm store, same question", "state-warm.json")]
    {
        let (kw, j) = kbisect(&clone, &s, &first_judge, base.path(), state);
        let kfirst = j["first_bad"].as_str().unwrap_or("?").to_string();
        assert!(gfirst == "?" || gfirst == kfirst, "git bisect found {gfirst}, kbisect {kfirst}");
        println!(
            "| {name} | kbisect cc --jobs {} | {} | {} | {} | {kw:.3}s | {:.3}x |",
            s.jobs,
            j["steps"],
            j["builds"],
            j["rounds"],
            kw / gw
        );
        println!("|   | (ccache in this run: {}) | | | | | |", ccache_state(&j));
        answers.push((kfirst, j));
    }
    let mut runs = vec![("warm store, other predicate", p2, "state2.json")];
    if let Some(p3) = env("KBISECT_BENCH_PREDICATE3") {
        runs.push(("warm store, a different change", p3, "state3.json"));
    }
    for (name, pred, state) in runs.iter().filter(|(_, p, _)| !p.is_empty()) {
        let (gw, gsteps, gfirst) = git_bisect(&checkout, &s, pred);
        let (kw, j) = kbisect(&clone, &s, &Judge::Script(pred), base.path(), state);
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
    println!("load average after: {}", load_average());
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
