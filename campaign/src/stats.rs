//! Per-cell outcome counts and the campaign's own numbers, kept as one append-only log per writer under
//! `OUT/stats/<writer>.jsonl`: one line per batch of programs. Concurrent shards never share a file, a torn
//! last line is ignored, and batches are folded by (campaign, shard, first program) so a batch repeated
//! after a crash, or present in two merged stores, counts once.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::change::Change;
use crate::examine::CellResult;
use crate::shard::Shard;

/// How one cell did on one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The whole load succeeds at every tested address (every profile: relocation, the loader's symbol steps,
    /// the digest writes) and the code runs right.
    Good,
    /// A compiler or loader problem: compile failure, refused load, wrong checksum, crash.
    Bad,
    /// The toolchain cannot express the config, is missing, or the code could not be run somewhere.
    NotJudged,
}

/// The outcome of a cell result, from the same typed facts attribution uses.
pub fn outcome(r: &CellResult) -> Outcome {
    match &r.facts {
        None => Outcome::NotJudged,
        // "Loads at every tested address and runs right": a WARN alone does not stop that.
        Some(f) if f.problems.iter().any(|p| !p.only_warns()) => Outcome::Bad,
        Some(f) if !f.unjudged_at.is_empty() => Outcome::NotJudged,
        Some(_) => Outcome::Good,
    }
}

/// Whether the cell's object relocates at every tested address (every profile) and runs right, whatever its
/// symbol stages do: the relocation-only detail of a `Good` or `Bad` outcome.
pub fn relocates_right(r: &CellResult) -> bool {
    r.facts.as_ref().is_some_and(|f| {
        f.unjudged_at.is_empty() && f.problems.iter().all(|p| p.only_warns() || matches!(p, Change::StageFails { .. }))
    })
}

/// Counts of one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// The whole load succeeds and the code runs right.
    pub good: u64,
    pub bad: u64,
    pub not_judged: u64,
    /// Of the judged: relocated and ran right, whether or not the loader's symbol stages passed (logs written
    /// before this count existed read as 0).
    #[serde(default)]
    pub relocates_right: u64,
}

impl Counts {
    /// Adds one program's outcome, with its relocation-only detail.
    pub fn add_result(&mut self, r: &CellResult) {
        let o = outcome(r);
        self.add(o);
        if o != Outcome::NotJudged && relocates_right(r) {
            self.relocates_right += 1;
        }
    }

    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Good => self.good += 1,
            Outcome::Bad => self.bad += 1,
            Outcome::NotJudged => self.not_judged += 1,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        // Counts come from files: saturate rather than overflow on a corrupt log.
        self.good = self.good.saturating_add(other.good);
        self.bad = self.bad.saturating_add(other.bad);
        self.not_judged = self.not_judged.saturating_add(other.not_judged);
        self.relocates_right = self.relocates_right.saturating_add(other.relocates_right);
    }

    /// Programs judged in this cell.
    pub fn judged(&self) -> u64 {
        self.good.saturating_add(self.bad)
    }
}

/// One line of a stats log: what one batch of programs did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The campaign key (seed, matrix, profiles): batches of different campaigns never fold together.
    pub key: String,
    pub shard: Shard,
    /// Index (within the shard) of the batch's first program.
    pub start: u64,
    pub programs: u64,
    pub compiles: u64,
    pub cache_hits: u64,
    /// Wall time of the batch, and when it ended (unix milliseconds).
    pub elapsed_ms: u64,
    pub ended_ms: u64,
    /// Per cell: (toolchain id, config name) → counts.
    pub cells: Vec<(String, String, Counts)>,
}

impl Batch {
    pub fn new(key: &str, shard: Shard, start: u64, toolchains_configs: &[(String, String)]) -> Batch {
        let cells = toolchains_configs.iter().map(|(t, c)| (t.clone(), c.clone(), Counts::default())).collect();
        Batch {
            key: key.to_string(),
            shard,
            start,
            programs: 0,
            compiles: 0,
            cache_hits: 0,
            elapsed_ms: 0,
            ended_ms: 0,
            cells,
        }
    }

    /// Adds one program's cell results (in matrix order).
    pub fn add(&mut self, results: &[CellResult], cache_hits: u64) {
        self.programs += 1;
        self.cache_hits += cache_hits;
        self.compiles += (results.len() as u64).saturating_sub(cache_hits);
        for (slot, r) in self.cells.iter_mut().zip(results) {
            slot.2.add_result(r);
        }
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// This machine's name, so writer files from different machines never collide in a merge.
pub fn host() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    name.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// One writer's stats log.
pub struct StatsLog {
    path: PathBuf,
}

impl StatsLog {
    /// `out/stats/<writer>-<host>-<pid>.jsonl`.
    pub fn open(out: &Path, writer: &str) -> io::Result<StatsLog> {
        let dir = out.join("stats");
        fs::create_dir_all(&dir)?;
        Ok(StatsLog { path: dir.join(format!("{writer}-{}-{}.jsonl", host(), std::process::id())) })
    }

    /// Appends one batch as one line (a single write, synced).
    pub fn append(&self, batch: &Batch) -> io::Result<()> {
        let mut line = serde_json::to_vec(batch).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut f = OpenOptions::new().create(true).append(true).open(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()
    }
}

/// The complete lines of a log (a line still being written by a live shard is left out).
pub fn complete_lines(bytes: &[u8]) -> &[u8] {
    match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => &bytes[..=i],
        None => &[],
    }
}

/// Every batch of every writer under `out/stats/`, each (campaign, shard, start) once.
pub fn batches(out: &Path) -> io::Result<Vec<Batch>> {
    let mut all = Vec::new();
    let Ok(entries) = fs::read_dir(out.join("stats")) else { return Ok(all) };
    let mut paths: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "jsonl")).collect();
    paths.sort();
    let mut seen = BTreeSet::new();
    for p in paths {
        let bytes = fs::read(&p)?;
        for line in complete_lines(&bytes).split(|&b| b == b'\n') {
            let Ok(b) = serde_json::from_slice::<Batch>(line) else { continue };
            if seen.insert((b.key.clone(), b.shard.index, b.shard.count, b.start)) {
                all.push(b);
            }
        }
    }
    Ok(all)
}

/// Per-cell totals over batches: (toolchain, config) → counts.
pub fn cell_totals(batches: &[Batch]) -> BTreeMap<(String, String), Counts> {
    let mut m: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for b in batches {
        for (t, c, n) in &b.cells {
            m.entry((t.clone(), c.clone())).or_default().merge(n);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(problems: &[Change]) -> CellResult {
        let facts = crate::change::Facts { problems: problems.iter().cloned().collect(), ..Default::default() };
        CellResult {
            cell: "c".into(),
            compile: kreloc_toolchains::CompileKind::Object,
            signature: None,
            commands: vec![],
            object: None,
            stderr: String::new(),
            facts: Some(facts),
            facts_ns: 0,
        }
    }

    #[test]
    fn a_failed_symbol_stage_is_bad_but_counts_as_relocated() {
        use kreloc_oracle::{symbols::SilentReason, StageName};
        let stage = Change::StageFails {
            stage: StageName::LoaderSymbols,
            symbol: "entry64_regs".into(),
            reason: SilentReason::InBss,
        };
        let overflow = Change::Relocation {
            r_type: 11,
            type_name: "R_X86_64_32S".into(),
            fault: crate::change::RelocFault::Overflow,
        };
        let mut c = Counts::default();
        for r in [
            result(&[]),
            result(&[Change::EntryWarn]),
            result(std::slice::from_ref(&stage)),
            result(&[stage.clone(), overflow]),
        ] {
            c.add_result(&r);
        }
        assert_eq!((c.good, c.bad, c.relocates_right), (2, 2, 3));
        // A log written before the relocation-only count reads as 0.
        let old: Counts = serde_json::from_str(r#"{"good":1,"bad":0,"not_judged":0}"#).unwrap();
        assert_eq!(old.relocates_right, 0);
    }

    #[test]
    fn fold_skips_torn_lines_counts_a_batch_once_and_saturates() {
        let dir = tempfile::tempdir().unwrap();
        let matrix = vec![("gcc-12.2.0".to_string(), "kernel-2018".to_string())];
        let mut b = Batch::new("k", Shard::ALL, 0, &matrix);
        b.cells[0].2 = Counts { good: u64::MAX, bad: 1, not_judged: 2, ..Counts::default() };
        let line = serde_json::to_string(&b).unwrap();
        std::fs::create_dir_all(dir.path().join("stats")).unwrap();
        // The same batch from two writers (a redone batch, or two merged stores), and a torn line.
        std::fs::write(dir.path().join("stats/a.jsonl"), format!("{line}\n{}", &line[..line.len() / 2])).unwrap();
        std::fs::write(dir.path().join("stats/b.jsonl"), format!("{line}\n")).unwrap();
        let all = batches(dir.path()).unwrap();
        assert_eq!(all.len(), 1);
        let mut second = b.clone();
        second.start = 1;
        let totals = cell_totals(&[b, second]);
        let c = totals[&matrix[0]];
        assert_eq!((c.good, c.bad, c.not_judged, c.judged()), (u64::MAX, 2, 4, u64::MAX));
    }
}
