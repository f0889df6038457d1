//! The campaign report: the toolchain × config matrix, the root causes and the campaign's own numbers,
//! folded from what a store keeps (stats logs, finding directories, triage results). `html` renders it as
//! one self-contained page; the same data serializes as JSON (`schema: kreloc/1`).

pub mod html;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::attribute::CellPair;
use crate::stats::{batches, cell_totals, Batch, Counts};
use crate::store::{smallest_program, summarize, Summary};

pub const SCHEMA: &str = kreloc_cli::json::KRELOC;

/// Longest text of one detail file shown in the report.
const DETAIL_CAP: usize = 24 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub store: String,
    pub matrix: Matrix,
    /// Newest first.
    pub causes: Vec<Cause>,
    pub campaign: Numbers,
}

#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// Ordered by family, then version.
    pub rows: Vec<Row>,
    pub configs: Vec<String>,
    pub cells: Vec<MatrixCell>,
    /// Between adjacent releases of one family: where they diverge.
    pub steps: Vec<RowStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub toolchain: String,
    pub family: String,
    pub version: Vec<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    pub toolchain: String,
    pub config: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// good / (good + bad): programs whose whole load succeeds at every tested address (the loader
    /// relocates the object, its symbol steps and digest writes pass) and that run right, among those judged;
    /// `None` when nothing was judged.
    pub share: Option<f64>,
    /// The relocation-only detail: programs whose object relocates at every tested address and runs right,
    /// whatever the symbol steps do, among those judged.
    pub relocation_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowStep {
    pub family: String,
    pub from: String,
    pub to: String,
    /// Configs whose share differs between the two rows.
    pub diverging_configs: Vec<String>,
    /// Root causes blamed on this release step.
    pub causes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    #[serde(flatten)]
    pub summary: Summary,
    pub step_title: String,
    pub change_title: String,
    pub triage: Option<Triage>,
    /// What the finding directory holds: (name, text).
    pub details: Vec<(String, String)>,
}

/// The parts of `triage.json` the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub summary: Option<String>,
    pub first_bad_release: Option<String>,
    pub first_bad_commit: Option<String>,
    pub subject: Option<String>,
    /// For a config step: the flag change(s) of the config that do it.
    pub culprit_flags: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Numbers {
    pub programs: u64,
    /// Matrix cells, and cell results judged or not (programs × cells).
    pub cells: u64,
    pub cell_results: u64,
    pub compiles: u64,
    pub cache_hits: u64,
    pub compiles_per_sec: f64,
    /// From the first batch's start to the last batch's end, over every shard.
    pub wall_ms: u64,
    pub shards: Vec<ShardNumbers>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ShardNumbers {
    /// `i/n`.
    pub shard: String,
    pub programs: u64,
    pub compiles: u64,
    pub cache_hits: u64,
    /// Time the shard spent on its batches.
    pub busy_ms: u64,
    pub compiles_per_sec: f64,
}

/// Typed report failure.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}: not a campaign store (no findings/ or stats/)")]
    NotAStore(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Builds the report of a store.
pub fn build(out: &Path) -> Result<Report, ReportError> {
    if !out.join("findings").is_dir() && !out.join("stats").is_dir() {
        return Err(ReportError::NotAStore(out.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let batches = batches(out).map_err(io(&out.join("stats")))?;
    let mut causes = Vec::new();
    if let Ok(entries) = fs::read_dir(out.join("findings")) {
        let mut dirs: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.join("cause.json").is_file()).collect();
        dirs.sort();
        for dir in dirs {
            causes.push(cause(&dir).map_err(io(&dir))?);
        }
    }
    causes.sort_by(|a, b| {
        b.summary.first_seen.cmp(&a.summary.first_seen).then_with(|| a.summary.fingerprint.cmp(&b.summary.fingerprint))
    });
    Ok(Report {
        schema: SCHEMA,
        store: out.display().to_string(),
        matrix: matrix(&batches, &causes),
        causes,
        campaign: numbers(&batches),
    })
}

fn cause(dir: &Path) -> std::io::Result<Cause> {
    let summary = summarize(dir)?;
    let mut details = Vec::new();
    for name in ["triage.md", "upstream.md", "reduce.md", "reproducer.c", "reduced.c", "reduced.rs"] {
        push_detail(&mut details, name.to_string(), &dir.join(name));
    }
    // A root cause `kreloc kernel` saw in a real tree: what rebuilds it.
    for case in fs::read_dir(dir.join("kernel")).into_iter().flatten().flatten() {
        let id = case.file_name().to_string_lossy().into_owned();
        push_detail(&mut details, format!("kernel/{id}/report.md"), &case.path().join("report.md"));
    }
    if let Ok(p) = smallest_program(dir) {
        let id = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for name in ["program.c", "commands.txt", "report.md"] {
            push_detail(&mut details, format!("programs/{id}/{name}"), &p.join(name));
        }
    }
    Ok(Cause {
        step_title: summary.cause.step.title(),
        change_title: summary.cause.change.title(),
        triage: triage(&dir.join("triage.json")),
        details,
        summary,
    })
}

fn push_detail(details: &mut Vec<(String, String)>, name: String, path: &Path) {
    let Ok(mut text) = fs::read_to_string(path) else { return };
    if text.len() > DETAIL_CAP {
        let mut cut = DETAIL_CAP;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text += "\n… (truncated; see the finding directory)\n";
    }
    details.push((name, text));
}

/// Reads the triage result; a missing or unreadable file means "not triaged".
fn triage(path: &Path) -> Option<Triage> {
    let v: serde_json::Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string()));
    let release = &v["release"];
    let first_bad_release = s(&release["first_bad_toolchain"])
        .or_else(|| Some(format!("{} {}", s(&release["family"])?, s(&release["first_bad"])?)));
    let culprit_flags = v["flags"]["culprit"]
        .as_array()
        .map(|c| c.iter().filter_map(|f| f.as_str()).collect::<Vec<_>>().join(", "))
        .filter(|c| !c.is_empty());
    Some(Triage {
        summary: s(&v["summary"]),
        first_bad_release,
        first_bad_commit: s(&v["commit"]["commit"]),
        subject: s(&v["commit"]["subject"]),
        culprit_flags,
    })
}

/// `llvm-17.0.6-zig-0.12.1` → (`llvm`, [17, 0, 6]).
pub fn family_version(toolchain: &str) -> (String, Vec<u32>) {
    let mut parts = toolchain.splitn(3, '-');
    let family = parts.next().unwrap_or_default().to_string();
    let version = parts.next().unwrap_or_default().split('.').map_while(|n| n.parse().ok()).collect();
    (family, version)
}

fn matrix(batches: &[Batch], causes: &[Cause]) -> Matrix {
    let totals = cell_totals(batches);
    let toolchains: BTreeSet<&String> = totals.keys().map(|(t, _)| t).collect();
    let mut rows: Vec<Row> = toolchains
        .into_iter()
        .map(|t| {
            let (family, version) = family_version(t);
            Row { toolchain: t.clone(), family, version }
        })
        .collect();
    rows.sort_by(|a, b| (&a.family, &a.version, &a.toolchain).cmp(&(&b.family, &b.version, &b.toolchain)));
    // Columns in the order the campaign listed them.
    let mut configs: Vec<String> = Vec::new();
    for b in batches {
        for (_, c, _) in &b.cells {
            if !configs.contains(c) {
                configs.push(c.clone());
            }
        }
    }
    let share = |n: &Counts| (n.judged() > 0).then(|| n.good as f64 / n.judged() as f64);
    let mut cells = Vec::new();
    for r in &rows {
        for c in &configs {
            let counts = totals.get(&(r.toolchain.clone(), c.clone())).copied().unwrap_or_default();
            let relocation_share =
                (counts.judged() > 0).then(|| counts.relocates_right as f64 / counts.judged() as f64);
            cells.push(MatrixCell {
                toolchain: r.toolchain.clone(),
                config: c.clone(),
                counts,
                share: share(&counts),
                relocation_share,
            });
        }
    }
    let steps = rows
        .windows(2)
        .filter(|w| w[0].family == w[1].family && w[0].version.first() != w[1].version.first())
        .map(|w| {
            let get = |t: &str, c: &str| totals.get(&(t.to_string(), c.to_string())).and_then(share);
            let diverging_configs =
                configs.iter().filter(|c| get(&w[0].toolchain, c) != get(&w[1].toolchain, c)).cloned().collect();
            let (from, to) = (w[0].version.first().copied().unwrap_or(0), w[1].version.first().copied().unwrap_or(0));
            let causes = causes
                .iter()
                .filter(|c| is_release_step(&c.summary, &w[0].family, from, to))
                .map(|c| c.summary.fingerprint.clone())
                .collect();
            RowStep {
                family: w[0].family.clone(),
                from: w[0].toolchain.clone(),
                to: w[1].toolchain.clone(),
                diverging_configs,
                causes,
            }
        })
        .collect();
    Matrix { rows, configs, cells, steps }
}

/// The cause is blamed on the release step `family from → to` (read from its typed JSON form).
fn is_release_step(s: &Summary, family: &str, from: u32, to: u32) -> bool {
    let v = serde_json::to_value(&s.cause.step).unwrap_or_default();
    let num = |k: &str| v[k].as_u64();
    v["axis"] == "release" && v["family"] == family && num("from") == Some(from.into()) && num("to") == Some(to.into())
}

fn numbers(batches: &[Batch]) -> Numbers {
    let per_sec = |compiles: u64, ms: u64| if ms == 0 { 0.0 } else { compiles as f64 * 1000.0 / ms as f64 };
    let mut shards: BTreeMap<(u64, u64), ShardNumbers> = BTreeMap::new();
    let mut n = Numbers::default();
    let (mut first, mut last) = (u64::MAX, 0u64);
    let mut cells: BTreeSet<(&str, &str)> = BTreeSet::new();
    for b in batches {
        let s = shards.entry((b.shard.count, b.shard.index)).or_insert_with(|| ShardNumbers {
            shard: format!("{}/{}", b.shard.index, b.shard.count),
            ..ShardNumbers::default()
        });
        // Numbers come from files: saturate rather than overflow on a corrupt log.
        s.programs = s.programs.saturating_add(b.programs);
        s.compiles = s.compiles.saturating_add(b.compiles);
        s.cache_hits = s.cache_hits.saturating_add(b.cache_hits);
        s.busy_ms = s.busy_ms.saturating_add(b.elapsed_ms);
        n.programs = n.programs.saturating_add(b.programs);
        n.compiles = n.compiles.saturating_add(b.compiles);
        n.cache_hits = n.cache_hits.saturating_add(b.cache_hits);
        let results =
            b.cells.iter().fold(0u64, |acc, (_, _, c)| acc.saturating_add(c.judged()).saturating_add(c.not_judged));
        n.cell_results = n.cell_results.saturating_add(results);
        cells.extend(b.cells.iter().map(|(t, c, _)| (t.as_str(), c.as_str())));
        first = first.min(b.ended_ms.saturating_sub(b.elapsed_ms));
        last = last.max(b.ended_ms);
    }
    n.cells = cells.len() as u64;
    n.wall_ms = last.saturating_sub(first);
    n.compiles_per_sec = per_sec(n.compiles, n.wall_ms);
    n.shards = shards
        .into_values()
        .map(|mut s| {
            s.compiles_per_sec = per_sec(s.compiles, s.busy_ms);
            s
        })
        .collect();
    n
}

/// The summary's cell pairs as `from → to (context)` lines.
pub fn cell_lines(cells: &[CellPair]) -> Vec<String> {
    cells.iter().map(|c| format!("{} → {} ({})", c.from.as_deref().unwrap_or("—"), c.to, c.context)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triage_json_gives_first_bad_release_and_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("triage.json");
        assert!(triage(&p).is_none(), "no file: not triaged");
        let v = serde_json::json!({"schema": "kreloc-triage/1", "summary": "llvm 18 puts code in .ltext",
            "release": {"family": "llvm", "last_good": 17, "first_bad": 18, "first_bad_toolchain": "llvm@18", "searched": [17, 18]},
            "commit": {"commit": "0123456789abcdef", "subject": "[X86] large data", "ambiguous": [], "candidates": 3}});
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        let t = triage(&p).unwrap();
        assert_eq!(t.first_bad_release.as_deref(), Some("llvm@18"));
        assert_eq!(t.first_bad_commit.as_deref(), Some("0123456789abcdef"));
        assert_eq!(t.subject.as_deref(), Some("[X86] large data"));
        std::fs::write(&p, br#"{"release": {"family": "gcc", "first_bad": 12}, "commit": null}"#).unwrap();
        assert_eq!(triage(&p).unwrap().first_bad_release.as_deref(), Some("gcc 12"));
    }

    #[test]
    fn rows_order_by_family_then_numeric_version() {
        assert_eq!(family_version("llvm-17.0.6-zig-0.12.1"), ("llvm".to_string(), vec![17, 0, 6]));
        let mut v = ["llvm-9.0.0-clang", "gcc-12.2.0", "llvm-18.1.6-zig-0.13.0", "gcc-11.3.0"].map(family_version);
        v.sort();
        assert_eq!(v.map(|(f, v)| format!("{f}{}", v[0])), ["gcc11", "gcc12", "llvm9", "llvm18"]);
    }
}
