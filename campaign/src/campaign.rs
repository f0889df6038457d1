//! The campaign loop: programs of one shard, each examined across the matrix, findings stored, progress
//! saved after every program so an interrupted run resumes where it stopped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use kreloc_gen::Program;
use kreloc_oracle::ProfileId;

use crate::examine::Examiner;
use crate::finding::program_files;
use crate::shard::{program_seed, Progress, Shard};
use crate::stats::{Batch, StatsLog};
use crate::store::{FindingStore, Recorded, Sighting};

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
    /// Root causes first seen in this run (their fingerprints).
    pub new_findings: Vec<String>,
    /// Sightings of root causes already known.
    pub duplicate_findings: u64,
    /// Every root cause this run saw, new or not.
    pub root_causes: Vec<String>,
    pub cache_hits: u64,
    pub elapsed_ms: u64,
    /// Time spent deriving typed facts and attributing them to axis steps (summed over threads).
    pub attribution_ms: f64,
}

/// What identifies a campaign's progress: a state file saved under another key is not resumed.
#[derive(Debug, Clone, Serialize)]
pub struct ResumeKey {
    pub seed: u64,
    /// Cell labels (`toolchain/config`).
    pub cells: Vec<String>,
    pub profiles: Vec<ProfileId>,
    pub addresses: Vec<u64>,
    pub program_size: usize,
}

impl ResumeKey {
    pub fn of(examiner: &Examiner, plan: &Plan) -> ResumeKey {
        ResumeKey {
            seed: plan.seed,
            cells: examiner.cells.iter().map(|c| c.label()).collect(),
            profiles: examiner.judge.profiles.iter().map(|p| p.id()).collect(),
            addresses: examiner.judge.addresses.clone(),
            program_size: plan.program_size,
        }
    }

    /// The short hash of the key's JSON form.
    pub fn hash(&self) -> String {
        crate::signature::short_hash(&serde_json::to_vec(self).unwrap_or_default())
    }
}

/// Runs (or resumes) a campaign.
pub fn run(examiner: &Examiner, plan: &Plan) -> std::io::Result<Stats> {
    run_with(examiner, plan, |_, _| {})
}

/// Runs (or resumes) a campaign, calling `on_new(fingerprint, dir)` as each new root cause is stored.
pub fn run_with(
    examiner: &Examiner,
    plan: &Plan,
    mut on_new: impl FnMut(&str, &std::path::Path),
) -> std::io::Result<Stats> {
    let start = Instant::now();
    let store = FindingStore::open(&plan.out, &format!("shard-{}-of-{}", plan.shard.index, plan.shard.count))?;
    let key = ResumeKey::of(examiner, plan);
    let (key, old_key) = (key.hash(), crate::migrate::debug_key(&key));
    let mut progress = Progress::resume_either(&plan.out, &key, &[old_key], plan.shard);
    let mut stats = Stats { resumed_at: progress.done, ..Stats::default() };
    let stats_log = StatsLog::open(&plan.out, &format!("shard-{}-of-{}", plan.shard.index, plan.shard.count))?;
    let matrix: Vec<(String, String)> =
        examiner.cells.iter().map(|c| (c.toolchain.id(), c.config_name.clone())).collect();
    let bar = crate::progress::campaign_bar(plan.progress, plan.limit);
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
        let seeds: Vec<u64> =
            (0..batch).map(|k| program_seed(plan.seed, plan.shard.program_index(progress.done + k))).collect();
        let programs: Vec<Program> = seeds.iter().map(|&s| Program::from_seed(s, plan.program_size)).collect();
        let batch_start = Instant::now();
        let mut cell_stats = Batch::new(&key, plan.shard, progress.done, &matrix);
        for ((p, seed), ex) in programs.iter().zip(&seeds).zip(examiner.examine_many(&programs)) {
            stats.cache_hits += ex.cache_hits;
            progress.cache_hits += ex.cache_hits;
            progress.compiles += ex.cells.len() as u64 - ex.cache_hits;
            stats.attribution_ms += ex.attribution_ns as f64 / 1e6;
            cell_stats.add(&ex.cells, ex.cache_hits);
            for d in &ex.divergences {
                let fp = d.cause.fingerprint();
                let sighting =
                    Sighting::now(format!("{seed:016x}"), p.size(), d.cells.clone()).with_symptoms(d.symptoms.clone());
                match store.record(&d.cause, &sighting, || program_files(p, &ex, examiner, &fp))? {
                    Recorded::New(dir) => {
                        stats.new_findings.push(fp.clone());
                        progress.findings += 1;
                        bar.suspend(|| on_new(&fp, &dir));
                    }
                    Recorded::Seen(_) => stats.duplicate_findings += 1,
                }
                if !stats.root_causes.contains(&fp) {
                    stats.root_causes.push(fp);
                }
            }
            progress.done += 1;
            stats.programs += 1;
        }
        // Stats first: a batch redone after a crash here is folded once (same campaign, shard and start).
        (cell_stats.elapsed_ms, cell_stats.ended_ms) =
            (batch_start.elapsed().as_millis() as u64, crate::stats::now_ms());
        stats_log.append(&cell_stats)?;
        progress.save(&plan.out)?;
        match plan.limit {
            Limit::Count(_) => bar.inc(batch),
            Limit::Time(t) => bar.set_position(start.elapsed().as_secs().min(t.as_secs())),
        }
        bar.set_message(format!(
            "findings {} (+{} seen again), cache hits {}",
            progress.findings, stats.duplicate_findings, progress.cache_hits
        ));
    }
    for fp in &stats.root_causes {
        store.refresh_report(fp)?;
    }
    bar.finish_and_clear();
    stats.elapsed_ms = start.elapsed().as_millis() as u64;
    Ok(stats)
}
