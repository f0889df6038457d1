//! `kreloc merge`: folds campaign stores (from other machines, or shards still running) into one.
//!
//! Everything in a store is either written once and atomically (cause.json, programs/<id>/, state and
//! triage files) or appended by exactly one writer (sightings/<writer>.jsonl, stats/<writer>.jsonl). So a
//! merge copies what the destination lacks, extends a writer's log when the source has more of it, keeps
//! both when two logs of one name disagree, and reads only complete lines and complete directories.
//! Merging the same store twice changes nothing.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::shard::Progress;
use crate::signature::short_hash;
use crate::stats::complete_lines;
use crate::store::{load_json, write_atomically};

/// What a merge did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Merged {
    pub stores: usize,
    /// Root causes in the destination after the merge.
    pub root_causes: usize,
    /// Root causes the destination did not have before.
    pub new_root_causes: usize,
    /// Log files created or extended, files and program directories copied.
    pub logs_extended: usize,
    pub files_copied: usize,
    /// Finding directories skipped because they were still being created (no cause.json yet).
    pub incomplete: usize,
}

/// Typed merge failure.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}: not a campaign store (no findings/ or stats/)")]
    NotAStore(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> MergeError + '_ {
    move |source| MergeError::Io { path: path.to_path_buf(), source }
}

/// Merges every store in `sources` into `into` (created if absent); `tick` is called once per store.
pub fn merge(sources: &[PathBuf], into: &Path, mut tick: impl FnMut(&Path)) -> Result<Merged, MergeError> {
    for s in sources {
        if !s.join("findings").is_dir() && !s.join("stats").is_dir() {
            return Err(MergeError::NotAStore(s.clone()));
        }
    }
    fs::create_dir_all(into.join("findings")).map_err(at(into))?;
    let before = finding_dirs(&into.join("findings")).len();
    let mut m = Merged { stores: sources.len(), ..Merged::default() };
    for s in sources {
        merge_store(s, into, &mut m)?;
        tick(s);
    }
    let findings = finding_dirs(&into.join("findings"));
    for dir in &findings {
        // The destination's report reflects the folded sightings of every store.
        crate::store::refresh_report_in(dir).map_err(at(dir))?;
    }
    m.root_causes = findings.len();
    m.new_root_causes = findings.len().saturating_sub(before);
    Ok(m)
}

/// Complete finding directories (with cause.json) under `findings/`.
fn finding_dirs(findings: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(findings) else { return Vec::new() };
    let mut v: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.join("cause.json").is_file()).collect();
    v.sort();
    v
}

fn visible(name: &std::ffi::OsStr) -> bool {
    !name.to_string_lossy().starts_with('.')
}

fn merge_store(src: &Path, into: &Path, m: &mut Merged) -> Result<(), MergeError> {
    merge_logs(&src.join("stats"), &into.join("stats"), m)?;
    merge_states(src, into, m)?;
    let Ok(entries) = fs::read_dir(src.join("findings")) else { return Ok(()) };
    for e in entries.flatten() {
        let (from, name) = (e.path(), e.file_name());
        if !visible(&name) || !from.is_dir() {
            continue;
        }
        if !from.join("cause.json").is_file() {
            m.incomplete += 1;
            continue;
        }
        merge_finding(&from, &into.join("findings").join(&name), m)?;
    }
    Ok(())
}

/// One root cause: sighting logs extended, stored programs and other files copied when absent.
fn merge_finding(from: &Path, to: &Path, m: &mut Merged) -> Result<(), MergeError> {
    fs::create_dir_all(to).map_err(at(to))?;
    merge_logs(&from.join("sightings"), &to.join("sightings"), m)?;
    if let Ok(programs) = fs::read_dir(from.join("programs")) {
        for p in programs.flatten() {
            let dest = to.join("programs").join(p.file_name());
            if visible(&p.file_name()) && p.path().is_dir() && !dest.exists() {
                copy_dir_atomically(&p.path(), &dest).map_err(at(&dest))?;
                m.files_copied += 1;
            }
        }
    }
    copy_absent(from, to, &["sightings", "programs", "report.md"], m)?;
    // A later campaign writing into the merged store must see the cause as known.
    let claim = to.join(".claimed");
    if !claim.exists() {
        fs::write(&claim, b"").map_err(at(&claim))?;
    }
    Ok(())
}

/// Copies files and directories of `from` that `to` lacks (recursively), skipping `except` and temp files.
fn copy_absent(from: &Path, to: &Path, except: &[&str], m: &mut Merged) -> Result<(), MergeError> {
    let Ok(entries) = fs::read_dir(from) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name();
        if !visible(&name) || except.iter().any(|x| name == *x) {
            continue;
        }
        let dest = to.join(&name);
        if e.path().is_dir() {
            fs::create_dir_all(&dest).map_err(at(&dest))?;
            copy_absent(&e.path(), &dest, &[], m)?;
        } else if !dest.exists() {
            let bytes = fs::read(e.path()).map_err(at(&e.path()))?;
            write_atomically(&dest, &bytes).map_err(at(&dest))?;
            m.files_copied += 1;
        }
    }
    Ok(())
}

/// Per-writer logs: the destination's copy of each is extended to the source's complete lines; when two
/// logs of one name disagree (not one a prefix of the other), the source's is kept beside it under a
/// name derived from its content, so nothing is lost and a second merge finds it already there.
fn merge_logs(from: &Path, to: &Path, m: &mut Merged) -> Result<(), MergeError> {
    let Ok(entries) = fs::read_dir(from) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !visible(&e.file_name()) || !name.ends_with(".jsonl") {
            continue;
        }
        let bytes = fs::read(e.path()).map_err(at(&e.path()))?;
        let src = complete_lines(&bytes);
        if src.is_empty() {
            continue;
        }
        let dest = to.join(&name);
        let have = fs::read(&dest).unwrap_or_default();
        let have = complete_lines(&have);
        if src.starts_with(have) && src.len() > have.len() {
            write_atomically(&dest, src).map_err(at(&dest))?;
            m.logs_extended += 1;
        } else if !have.starts_with(src) {
            let stem = name.trim_end_matches(".jsonl");
            let aside = to.join(format!("{stem}~{}.jsonl", short_hash(src)));
            if !aside.exists() {
                write_atomically(&aside, src).map_err(at(&aside))?;
                m.logs_extended += 1;
            }
        }
    }
    Ok(())
}

/// Shard state files: the one that got further wins (same campaign); another campaign's is kept if absent.
fn merge_states(src: &Path, into: &Path, m: &mut Merged) -> Result<(), MergeError> {
    let Ok(entries) = fs::read_dir(src) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("state-") && name.ends_with(".json")) {
            continue;
        }
        let Some(theirs) = load_json::<Progress>(&e.path()) else { continue };
        let dest = into.join(&name);
        let better = match load_json::<Progress>(&dest) {
            None => true,
            Some(ours) => ours.key == theirs.key && theirs.done > ours.done,
        };
        if better {
            crate::store::save_json(&dest, &theirs).map_err(at(&dest))?;
            m.files_copied += 1;
        }
    }
    Ok(())
}

/// Copies a directory tree into `dest` through a temp sibling and one rename.
fn copy_dir_atomically(from: &Path, dest: &Path) -> io::Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(
        ".merge-{}-{}",
        dest.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&tmp);
    copy_tree(from, &tmp)?;
    match fs::rename(&tmp, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.exists() => fs::remove_dir_all(&tmp),
        Err(e) => Err(e),
    }
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)?.flatten() {
        if !visible(&e.file_name()) {
            continue;
        }
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}
