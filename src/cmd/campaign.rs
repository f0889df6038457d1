//! `kreloc fuzz` (a differential campaign) and `kreloc reduce` (shrink a finding).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kreloc_campaign::campaign::{run_with, Limit, Plan};
use kreloc_campaign::examine::Cell;
use kreloc_campaign::setup::{cells, examiner};
use kreloc_campaign::shard::Shard;
use kreloc_oracle::ProfileId;

use super::exit::{self, cannot_test};

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Toolchains, comma-separated (gcc@12, llvm@17, clang-19, zig@0.13.0, rustc)
    #[arg(long, default_value = "gcc@12,clang-19", value_delimiter = ',')]
    pub toolchains: Vec<String>,
    /// Named configs, comma-separated (see `kreloc toolchains list`; e.g. kernel-2018,kernel-2024,small-nopic)
    #[arg(long, default_value = "kernel-2018,kernel-2024", value_delimiter = ',', value_parser = kreloc_cli::values::config_name())]
    pub configs: Vec<String>,
    /// Loader profiles judging the objects, comma-separated
    #[arg(long, default_value = "linux-x86_64", value_delimiter = ',', value_parser = kreloc_cli::values::Profile)]
    pub profile: Vec<ProfileId>,
    /// Parallel compiles
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Stop after this many seconds
    #[arg(long, conflicts_with = "count")]
    pub time: Option<u64>,
    /// Stop after this many programs (default 100)
    #[arg(long)]
    pub count: Option<u64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// i/n: run the i-th of n deterministic shards; `auto` takes them from the batch engine's environment
    /// (JOB_COMPLETION_INDEX for a Kubernetes Indexed Job, SLURM_ARRAY_TASK_ID/_COUNT for a Slurm array,
    /// KRELOC_SHARD_INDEX/KRELOC_SHARD_COUNT otherwise, e.g. set from a GitHub Actions matrix)
    #[arg(long, default_value = "0/1")]
    pub shard: String,
    /// Shard count for `--shard auto` when the engine does not say (Kubernetes: the Job's completions)
    #[arg(long)]
    pub shard_count: Option<u64>,
    /// Output directory (findings/ and the resumable state)
    #[arg(long, default_value = "kreloc-out")]
    pub out: PathBuf,
    /// Judge statically only: do not run the relocated code
    #[arg(long)]
    pub no_exec: bool,
    /// Triage each new root cause as it appears (reduce, release bisect, commit bisect with --src)
    #[arg(long)]
    pub triage: bool,
    #[command(flatten)]
    pub triage_flags: super::triage::TriageFlags,
}

/// Runs `kreloc fuzz`: exit 0 when no new finding, 1 when there are new findings.
pub fn fuzz(a: &FuzzArgs, json: bool) -> i32 {
    let shard = if a.shard == "auto" {
        Shard::auto(|k| std::env::var(k).ok(), a.shard_count).map(|(s, _)| s).map_err(|e| e.to_string())
    } else {
        Shard::parse(&a.shard).map_err(|e| e.to_string())
    };
    let shard = match shard {
        Ok(s) => s,
        Err(e) => return cannot_test(e),
    };
    let ex = match cells(&a.toolchains, &a.configs).map(|c| examiner(c, &a.profile, !a.no_exec, a.jobs)) {
        Ok(e) => e,
        Err(e) => return cannot_test(e),
    };
    let limit = match (a.time, a.count) {
        (Some(t), _) => Limit::Time(Duration::from_secs(t)),
        (None, c) => Limit::Count(c.unwrap_or(100)),
    };
    let plan = Plan {
        seed: a.seed,
        shard,
        limit,
        program_size: 512,
        out: a.out.clone(),
        progress: !json && std::io::stdout().is_terminal(),
        batch: a.jobs.max(1) * 2,
    };
    let mut triaged: Vec<serde_json::Value> = Vec::new();
    let on_new = |fp: &str, dir: &std::path::Path| {
        if a.triage {
            let r = super::triage::triage_dir(dir, &a.triage_flags, !json);
            triaged.push(match r {
                Ok(r) => serde_json::json!({ "fingerprint": fp, "summary": r.summary, "stages": r.stages, "release": r.release, "commit": r.commit }),
                Err(e) => serde_json::json!({ "fingerprint": fp, "error": e.to_string() }),
            });
        }
    };
    let stats = match run_with(&ex, &plan, on_new) {
        Ok(s) => s,
        Err(e) => return cannot_test(format!("{}: {e}", a.out.display())),
    };
    // The report page of the whole store, written after every run.
    let page = a.out.join("report.html");
    let report =
        super::report::write_report(&a.out, &page).map_err(|e| eprintln!("kreloc: warning: no report: {e}")).ok();
    if json {
        let mut v = serde_json::to_value(&stats).unwrap_or_default();
        if report.is_some() {
            v["report"] = serde_json::Value::String(page.display().to_string());
        }
        if a.triage {
            v["triage"] = serde_json::Value::Array(triaged);
        }
        kreloc_cli::json::print(&v);
    } else {
        println!(
            "{} programs (resumed at {}), {} new root causes, {} sightings of known ones, {} cache hits, {:.1}s (attribution {:.1} ms)",
            stats.programs,
            stats.resumed_at,
            stats.new_findings.len(),
            stats.duplicate_findings,
            stats.cache_hits,
            stats.elapsed_ms as f64 / 1000.0,
            stats.attribution_ms
        );
        for f in &stats.root_causes {
            let title =
                kreloc_campaign::store::summarize(&a.out.join("findings").join(f)).map(|s| s.title).unwrap_or_default();
            println!("  {f}  {title}");
        }
        for t in &triaged {
            println!(
                "  triage {}: {}",
                t["fingerprint"].as_str().unwrap_or(""),
                t["summary"].as_str().or(t["error"].as_str()).unwrap_or("")
            );
        }
    }
    if !json && report.is_some() {
        println!("report: {}", page.display());
    }
    if stats.new_findings.is_empty() {
        exit::GOOD
    } else {
        exit::BAD
    }
}

#[derive(Debug, Args)]
pub struct ReduceArgs {
    /// A finding directory (kreloc-out/findings/<fingerprint>)
    pub finding: PathBuf,
    /// Loader profiles (as in the campaign)
    #[arg(long, default_value = "linux-x86_64", value_delimiter = ',', value_parser = kreloc_cli::values::Profile)]
    pub profile: Vec<ProfileId>,
    /// Most interestingness tests to run
    #[arg(long, default_value_t = 500)]
    pub max_tests: usize,
    #[arg(long)]
    pub no_exec: bool,
    /// Only judge FILE (C text): exit 0 when it still shows the finding's cause under the whole-file
    /// reduction's predicate (both cells compile, UB guard), 1 when not; an interestingness test for cvise
    #[arg(long, value_name = "FILE")]
    pub test_text: Option<PathBuf>,
}

/// Runs `kreloc reduce`.
pub fn reduce(a: &ReduceArgs, json: bool) -> i32 {
    let profiles = a.profile.clone();
    let exec = !a.no_exec;
    let make = |cells: Vec<Cell>| examiner(cells, &profiles, exec, 2);
    if let Some(file) = &a.test_text {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => return cannot_test(format!("{}: {e}", file.display())),
        };
        return match kreloc_campaign::reduce_finding::text_shows(&a.finding, make, &text) {
            Ok(true) => exit::GOOD,
            Ok(false) => exit::BAD,
            Err(e) => cannot_test(e),
        };
    }
    let bar = kreloc_campaign::progress::spinner(
        !json && std::io::stdout().is_terminal(),
        format!("reducing {} (at most {} tests)", a.finding.display(), a.max_tests),
    );
    let r = kreloc_campaign::reduce_finding::reduce_finding(&a.finding, make, a.max_tests);
    bar.finish_and_clear();
    match r {
        Ok(r) => {
            if json {
                kreloc_cli::json::print(&r);
            } else {
                print!("{}", std::fs::read_to_string(a.finding.join("reduce.md")).unwrap_or_default());
            }
            exit::GOOD
        }
        Err(e) => cannot_test(e),
    }
}
