//! Root-cause findings and campaign state on disk.
//!
//! `OUT/findings/<fingerprint>/` holds one root cause: `cause.json` (the typed cause), `sightings/<writer>.jsonl`
//! (one line per program that showed it, appended by one writer each, so concurrent shards never lose a
//! count: the totals are folded at read time), `programs/<id>/` (the few smallest programs, each written to
//! a temp directory and renamed) and `report.md` (rewritten atomically from the fold when the cause is new
//! and at the end of a run; `summarize` is the truth at any time).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::attribute::{CellPair, RootCause, Step};
use crate::change::Symptom;

/// How many of the smallest programs a finding keeps.
pub const KEEP_PROGRAMS: usize = 3;

/// One program showing a root cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The program's id (its seed, in hex).
    pub program: String,
    /// AST nodes: smaller is a better example.
    pub size: usize,
    /// Unix seconds.
    pub seen_at: u64,
    pub cells: Vec<CellPair>,
    /// For code that runs wrong: how each showing cell's runs went wrong (not part of the fingerprint).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub symptoms: BTreeMap<String, Vec<Symptom>>,
}

impl Sighting {
    pub fn now(program: String, size: usize, cells: Vec<CellPair>) -> Sighting {
        let seen_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Sighting { program, size, seen_at, cells, symptoms: BTreeMap::new() }
    }

    pub fn with_symptoms(mut self, symptoms: BTreeMap<String, Vec<Symptom>>) -> Sighting {
        self.symptoms = symptoms;
        self
    }
}

/// `cause.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CauseFile {
    pub fingerprint: String,
    pub title: String,
    pub cause: RootCause,
}

/// A root cause as folded from every writer's sightings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub fingerprint: String,
    pub title: String,
    pub cause: RootCause,
    /// A config step where, in most programs, every judged toolchain shows it: a property of the config,
    /// not a toolchain regression.
    pub config_only: bool,
    /// Distinct programs that showed it, and sightings in all (re-runs included).
    pub programs: u64,
    pub sightings: u64,
    /// The smallest programs (id, size), smallest first; those with a directory under `programs/`.
    pub smallest: Vec<(String, usize)>,
    /// Which of them are kernel trees (`kreloc kernel`, under `kernel/`; their size counts source lines).
    #[serde(default)]
    pub kernel_trees: Vec<String>,
    pub first_seen: u64,
    pub last_seen: u64,
    /// The cells involved (capped).
    pub cells: Vec<CellPair>,
    /// For code that runs wrong: each symptom kind (`SIGSEGV`, `wrong checksum`) and how many programs showed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<(String, u64)>,
    /// A cause of an older store whose kind is now folded into another: that cause's fingerprint and title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<(String, String)>,
}

/// Whether a root cause was new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    New(PathBuf),
    Seen(PathBuf),
}

/// `DIR/findings/`, written by one writer (a shard of a process).
pub struct FindingStore {
    root: PathBuf,
    writer: String,
    /// Per fingerprint, the size a program must beat to be among the smallest (as last folded from disk):
    /// most sightings then cost one append and no read.
    bar: Mutex<HashMap<String, usize>>,
}

impl FindingStore {
    /// Opens (creating) `dir/findings`; `writer` names this writer's sighting logs (e.g. `shard-0-of-1`).
    pub fn open(dir: &Path, writer: &str) -> io::Result<FindingStore> {
        let root = dir.join("findings");
        fs::create_dir_all(&root)?;
        Ok(FindingStore { root, writer: format!("{writer}-{}", std::process::id()), bar: Mutex::new(HashMap::new()) })
    }

    /// Where a fingerprint's finding lives.
    pub fn path(&self, fingerprint: &str) -> PathBuf {
        self.root.join(fingerprint)
    }

    /// Fingerprints stored.
    pub fn fingerprints(&self) -> io::Result<Vec<String>> {
        let mut v: Vec<String> = fs::read_dir(&self.root)?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("cause.json").exists())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        Ok(v)
    }

    /// Adds a sighting of `cause`; `files` (the program's sources, verdicts, objects) are written only when
    /// the program is among the smallest few.
    pub fn record(
        &self,
        cause: &RootCause,
        sighting: &Sighting,
        files: impl FnOnce() -> Vec<(String, Vec<u8>)>,
    ) -> io::Result<Recorded> {
        let fp = cause.fingerprint();
        let dest = self.path(&fp);
        fs::create_dir_all(dest.join("sightings"))?;
        // Exactly one writer creates the claim, so exactly one reports the cause as new.
        let new = match OpenOptions::new().write(true).create_new(true).open(dest.join(".claimed")) {
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(e),
        };
        if !dest.join("cause.json").exists() {
            save_json(
                &dest.join("cause.json"),
                &CauseFile { fingerprint: fp.clone(), title: cause.title(), cause: cause.clone() },
            )?;
        }
        let mut line = serde_json::to_vec(sighting).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dest.join("sightings").join(format!("{}.jsonl", self.writer)))?;
        log.write_all(&line)?;
        log.sync_data()?;
        let mut bars = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if bars.get(&fp).is_none_or(|&bar| sighting.size <= bar) {
            // Possibly among the smallest: fold every writer's log to decide, keep those, drop the rest.
            let keep = summary_ids(&dest)?;
            let programs = dest.join("programs");
            if keep.iter().any(|(_, id)| *id == sighting.program) && !programs.join(&sighting.program).exists() {
                // No files (a kernel tree's sighting keeps its own under kernel/): no program directory.
                let files = files();
                if !files.is_empty() {
                    write_dir_atomically(&programs, &sighting.program, &files)?;
                }
            }
            let ids: Vec<String> = keep.iter().map(|(_, id)| id.clone()).collect();
            prune_programs(&programs, &ids)?;
            let bar =
                if keep.len() < KEEP_PROGRAMS { usize::MAX } else { keep.last().map_or(usize::MAX, |(size, _)| *size) };
            bars.insert(fp.clone(), bar);
        }
        if new {
            self.refresh_report(&fp)?;
        }
        Ok(if new { Recorded::New(dest) } else { Recorded::Seen(dest) })
    }

    /// Rewrites a finding's `report.md` from the fold of every writer's sightings.
    pub fn refresh_report(&self, fingerprint: &str) -> io::Result<()> {
        refresh_report_in(&self.path(fingerprint))
    }
}

/// Rewrites the `report.md` of the finding directory `dest` from the fold of every writer's sightings.
pub fn refresh_report_in(dest: &Path) -> io::Result<()> {
    let example = smallest_program(dest).ok().and_then(|p| fs::read_to_string(p.join("report.md")).ok());
    write_atomically(
        &dest.join("report.md"),
        crate::finding::summary_report(&summarize(dest)?, example.as_deref()).as_bytes(),
    )
}

/// The smallest programs (size, id), by size then id, across every writer's log.
fn summary_ids(dir: &Path) -> io::Result<Vec<(usize, String)>> {
    let mut all: Vec<(usize, String)> = sightings(dir)?.into_iter().map(|s| (s.size, s.program)).collect();
    all.sort();
    let mut out: Vec<(usize, String)> = Vec::new();
    for (size, id) in all {
        if !out.iter().any(|(_, i)| *i == id) {
            out.push((size, id));
        }
        if out.len() == KEEP_PROGRAMS {
            break;
        }
    }
    Ok(out)
}

fn prune_programs(programs: &Path, keep: &[String]) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(programs) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && !keep.contains(&name) {
            // Another writer may be pruning the same directory: whoever removes it, it is gone.
            match fs::remove_dir_all(e.path()) {
                Err(err) if e.path().exists() => return Err(err),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every sighting of a finding, from every writer; a torn last line (an interrupted append) is skipped.
pub fn sightings(dir: &Path) -> io::Result<Vec<Sighting>> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir.join("sightings")) else { return Ok(out) };
    for e in entries.flatten() {
        let text = fs::read_to_string(e.path())?;
        out.extend(text.lines().filter_map(|l| serde_json::from_str::<Sighting>(l).ok()));
    }
    Ok(out)
}

/// `programs/<id> (N nodes)`, or `kernel/<id> (N source lines)` for a kernel tree.
pub fn describe_program(s: &Summary, id: &str, size: usize) -> String {
    if s.kernel_trees.iter().any(|k| k == id) {
        format!("kernel/{id} ({size} source lines)")
    } else {
        format!("programs/{id} ({size} nodes)")
    }
}

/// Folds a finding directory into its summary.
pub fn summarize(dir: &Path) -> io::Result<Summary> {
    let cause: CauseFile = load_json(&dir.join("cause.json")).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{}: not a finding (no cause.json)", dir.display()))
    })?;
    let all = sightings(dir)?;
    let programs: BTreeSet<&str> = all.iter().map(|s| s.program.as_str()).collect();
    let smallest: Vec<(String, usize)> = summary_ids(dir)?.into_iter().map(|(size, id)| (id, size)).collect();
    // A config property when, in most programs, every judged toolchain showed it under the config.
    let every = all.iter().filter(|s| s.cells.iter().any(|c| c.every_toolchain)).count();
    let config_only = matches!(cause.cause.step, Step::Config { .. }) && 2 * every > all.len();
    let mut cells: Vec<CellPair> =
        all.iter().flat_map(|s| s.cells.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    cells.truncate(24);
    let superseded_by = crate::migrate::superseding(dir, &cause.cause, &all).map(|c| (c.fingerprint(), c.title()));
    Ok(Summary {
        symptoms: symptom_counts(&all),
        superseded_by,
        fingerprint: cause.fingerprint,
        title: if config_only {
            format!("{} (every toolchain) — {}", cause.cause.step.title(), cause.cause.change.title())
        } else {
            cause.title
        },
        config_only,
        cause: cause.cause,
        programs: programs.len() as u64,
        sightings: all.len() as u64,
        kernel_trees: smallest
            .iter()
            .map(|(id, _)| id.clone())
            .filter(|id| dir.join("kernel").join(id).is_dir())
            .collect(),
        smallest,
        first_seen: all.iter().map(|s| s.seen_at).min().unwrap_or(0),
        last_seen: all.iter().map(|s| s.seen_at).max().unwrap_or(0),
        cells,
    })
}

/// Each symptom kind and how many distinct programs showed it, most frequent first.
fn symptom_counts(all: &[Sighting]) -> Vec<(String, u64)> {
    let mut programs: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for s in all {
        for symptom in s.symptoms.values().flatten() {
            programs.entry(symptom.kind()).or_default().insert(&s.program);
        }
    }
    let mut counts: Vec<(String, u64)> = programs.into_iter().map(|(k, p)| (k, p.len() as u64)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// The directory of the smallest stored program of a finding.
pub fn smallest_program(dir: &Path) -> io::Result<PathBuf> {
    let s = summarize(dir)?;
    s.smallest
        .iter()
        .map(|(id, _)| dir.join("programs").join(id))
        .find(|p| p.join("program.json").exists())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{}: no stored program", dir.display())))
}

/// Writes `files` into `parent/name/` through a temp directory and one rename.
pub fn write_dir_atomically(parent: &Path, name: &str, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(".tmp-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    for (file, bytes) in files {
        let path = tmp.join(file);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        fs::write(path, bytes)?;
    }
    match fs::rename(&tmp, parent.join(name)) {
        Ok(()) => Ok(()),
        // Another writer stored the same program first: theirs is identical.
        Err(_) if parent.join(name).exists() => fs::remove_dir_all(&tmp),
        Err(e) => Err(e),
    }
}

/// Writes a file by writing a sibling temp file and renaming it over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    kreloc_atomic::write(path, bytes)
}

/// Saves JSON state atomically.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomically(path, &bytes)
}

/// Loads JSON state, `None` if absent or unreadable (a corrupt state file means starting over).
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}
