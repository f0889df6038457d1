//! The campaign loop: programs of one shard, each examined across the matrix, findings stored, progress
//! saved after every program so an interrupted run resumes where it stopped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use kreloc_gen::Program;

use crate::examine::Examiner;
use crate::finding::finding;
use crate::shard::{program_seed, Progress, Shard};
use crate::store::{FindingStore, Recorded};

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Count(u64),
    Time(Duration),
}

/// A campaign's parameters.
pub struct Plan {
    pub seed: u64,
    pub shard: Shard,
    pub limit: Limit,
    /// Bytes of randomness per program (bigger gives bigger programs).
    pub program_size: usize,
    pub out: PathBuf,
    pub progress: bool,
    /// Programs examined together (progress is saved after each batch).
    pub batch: usize,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub programs: u64,
    pub resumed_at: u64,
    pub new_findings: Vec<String>,
    pub duplicate_findings: u64,
    pub cache_hits: u64,
    pub elapsed_ms: u64,
}

/// Runs (or resumes) a campaign.
pub fn run(examiner: &Examiner, plan: &Plan) -> std::io::Result<Stats> {
    let start = Instant::now();
    let store = FindingStore::open(&plan.out)?;
    let cells: Vec<String> = examiner.cells.iter().map(|c| c.label()).collect();
    let profiles: Vec<String> = examiner.judge.profiles.iter().map(|p| p.name()).collect();
    let key = crate::signature::short_hash(format!("{}|{cells:?}|{profiles:?}|{:?}|{}", plan.seed, examiner.judge.addresses, plan.program_size).as_bytes());
    let mut progress = Progress::resume(&plan.out, &key, plan.shard);
    let mut stats = Stats { resumed_at: progress.done, ..Stats::default() };
    let bar = if plan.progress { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {pos} programs ({per_sec}) {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(200));
    loop {
        let done_enough = match plan.limit {
            Limit::Count(n) => stats.programs >= n,
            Limit::Time(t) => start.elapsed() >= t,
        };
        if done_enough {
            break;
        }
        let left = match plan.limit {
            Limit::Count(n) => n - stats.programs,
            Limit::Time(_) => u64::MAX,
        };
        let batch = (plan.batch.max(1) as u64).min(left);
        let programs: Vec<Program> =
            (0..batch).map(|k| Program::from_seed(program_seed(plan.seed, plan.shard.program_index(progress.done + k)), plan.program_size)).collect();
        for (p, ex) in programs.iter().zip(examiner.examine_many(&programs)) {
            stats.cache_hits += ex.cache_hits;
            progress.cache_hits += ex.cache_hits;
            progress.compiles += ex.cells.len() as u64 - ex.cache_hits;
            if let Some(fp) = &ex.fingerprint {
                match store.record(&finding(p, &ex, examiner, fp))? {
                    Recorded::New(_) => {
                        stats.new_findings.push(fp.clone());
                        progress.findings += 1;
                    }
                    Recorded::Duplicate(_) => stats.duplicate_findings += 1,
                }
            }
            progress.done += 1;
            stats.programs += 1;
        }
        progress.save(&plan.out)?;
        bar.inc(batch);
        bar.set_message(format!("findings {} (+{} seen again), cache hits {}", progress.findings, stats.duplicate_findings, progress.cache_hits));
    }
    bar.finish_and_clear();
    stats.elapsed_ms = start.elapsed().as_millis() as u64;
    Ok(stats)
}
