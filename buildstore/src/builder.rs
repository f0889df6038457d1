//! Building a commit: check it out in a persistent worktree, run the build command there (through ccache
//! when present), keep its artifacts in the store. A failure is retried once from a clean tree, because
//! stale products of another commit must not turn a good commit into a skip; a second failure is a skip
//! with the log's tail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kreloc_toolchains::process::{shell_quote, Child, Output};

use crate::elfshaker::{self, PackSource, Snapshot};
use crate::spans;
use crate::store::{ArtifactStore, Manifest};
use crate::worktree::{self, Slot, Worktrees};
use crate::Error;

/// Where a ready build came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Built now.
    Build,
    /// Already in the store.
    Store,
    /// Extracted from published elfshaker packs (`--packs`).
    Packs,
}

/// What building a commit gave.
#[derive(Debug, Clone)]
pub enum Built {
    /// Ready; `dir` holds the artifacts at their relative paths.
    Ready { manifest: Manifest, dir: PathBuf, origin: Origin, timing: Option<Timing> },
    /// The build command failed; the log's last lines.
    Failed { log: String },
}

/// How long a build took, and how much CPU its processes used: `cpu / wall` is its parallel speed-up.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Timing {
    pub wall_s: f64,
    pub cpu_s: f64,
}

impl Timing {
    pub fn speedup(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.cpu_s / self.wall_s
        } else {
            1.0
        }
    }
}

/// Builds commits of one repository into one store.
pub struct Builder {
    pub store: ArtifactStore,
    pub trees: Worktrees,
    /// The build command; without one, only stored commits and those in the packs can be tested.
    pub cmd: Option<String>,
    pub artifacts: Vec<String>,
    pub timeout: Duration,
    /// The ccache masquerade directory put first on PATH (`/usr/lib/ccache`), when ccache is installed.
    pub ccache_dir: Option<PathBuf>,
    /// Published elfshaker packs taken before building (`--packs`).
    pub packs: Option<PackSource>,
    /// Run in a tree extracted from the packs before its artifacts are kept (manyclangs: `bash ./link.sh clang`).
    pub link: Option<String>,
}

/// ccache's compiler-named symlinks, when ccache is installed.
pub fn ccache_masquerade() -> Option<PathBuf> {
    kreloc_toolchains::discover::which("ccache")?;
    ["/usr/lib/ccache", "/usr/lib64/ccache", "/usr/local/lib/ccache"].iter().map(PathBuf::from).find(|d| d.is_dir())
}

impl Builder {
    /// Whether testing `commit` costs no build (it is stored, failed before, or is in the packs).
    pub fn has(&self, commit: &str) -> bool {
        self.store.has(commit) || self.packs.as_ref().is_some_and(|p| p.find(commit).is_some())
    }

    /// Builds `commit` unless the store has it (or its recorded failure) or the packs do.
    pub fn build(&self, commit: &str) -> Result<Built, Error> {
        let step = crate::short_commit(commit);
        if let Some(manifest) = spans::time(step, "store lookup", || self.store.get(commit)) {
            let dir = spans::time(step, "materialize", || self.store.materialize(&manifest))?;
            return Ok(Built::Ready { manifest, dir, origin: Origin::Store, timing: None });
        }
        if let Some(log) = self.store.failure(commit) {
            return Ok(Built::Failed { log });
        }
        if let Some((src, snap)) = self.packs.as_ref().and_then(|p| Some((p, p.find(commit)?))) {
            return self.extract_from_pack(commit, src, snap);
        }
        let Some(cmd) = &self.cmd else {
            return Ok(Built::Failed { log: "not in the packs, and no --build to build it".into() });
        };
        let slot = spans::time(step, "take worktree", || self.trees.take())?;
        spans::time(step, "checkout", || self.trees.checkout(&slot, commit))?;
        let mut out = spans::time(step, "build", || self.run(&slot, cmd, commit))?;
        if !out.success() && !out.timed_out {
            spans::time(step, "clean", || worktree::clean(&slot.dir))?;
            out = spans::time(step, "build again", || self.run(&slot, cmd, commit))?;
        }
        if out.success() {
            let timing = times(&out);
            let manifest = spans::time(step, "store artifacts", || {
                self.store.put(commit, &slot.dir, &self.artifacts, out.elapsed.as_millis() as u64)
            })?;
            let dir = spans::time(step, "materialize", || self.store.materialize(&manifest))?;
            return Ok(Built::Ready { manifest, dir, origin: Origin::Build, timing });
        }
        let log = tail(&out);
        // A timeout may pass another time; a failure is a property of the commit.
        if !out.timed_out {
            self.store.record_failure(commit, &log)?;
        }
        Ok(Built::Failed { log })
    }

    /// Extracts a commit's snapshot from the packs, links it when asked, and keeps its artifacts.
    fn extract_from_pack(&self, commit: &str, src: &PackSource, snap: &Snapshot) -> Result<Built, Error> {
        let start = std::time::Instant::now();
        let dir = self.store.scratch("pack")?;
        let kept = self.extract_and_keep(commit, src, snap, &dir, start);
        let _ = std::fs::remove_dir_all(&dir);
        kept
    }

    fn extract_and_keep(
        &self,
        commit: &str,
        src: &PackSource,
        snap: &Snapshot,
        dir: &Path,
        start: std::time::Instant,
    ) -> Result<Built, Error> {
        src.elfshaker.extract(&src.dir, false, snap, dir)?;
        elfshaker::restore_exec_bits(dir)?;
        if let Some(link) = &self.link {
            let out = Child::new("sh", self.timeout)
                .args(["-c", link])
                .current_dir(dir)
                .env("KBISECT_COMMIT", commit)
                .run()
                .map_err(|source| Error::Spawn { tool: "sh", source })?;
            if !out.success() {
                return Ok(Built::Failed { log: format!("--link failed on {}:\n{}", snap.id(), tail(&out)) });
            }
        }
        let manifest = self.store.put(commit, dir, &self.artifacts, start.elapsed().as_millis() as u64)?;
        let tree = self.store.materialize(&manifest)?;
        Ok(Built::Ready { manifest, dir: tree, origin: Origin::Packs, timing: None })
    }

    fn run(&self, slot: &Slot, cmd: &str, commit: &str) -> Result<Output, Error> {
        let marker = Worktrees::marker(slot);
        // The shell records its process group for a later run to kill if we die; `times` reports the
        // children's CPU time, from which the build's parallel speed-up follows.
        let script =
            format!("echo $$ > {}\n( {}\n)\nrc=$?\ntimes >&2\nexit $rc\n", shell_quote(&marker.to_string_lossy()), cmd);
        let mut child =
            Child::new("sh", self.timeout).args(["-c", &script]).current_dir(&slot.dir).env("KBISECT_COMMIT", commit);
        if let Some(dir) = &self.ccache_dir {
            let path = std::env::var("PATH").unwrap_or_default();
            child = child.env("PATH", format!("{}:{path}", dir.display()));
            // Paths below the worktrees are hashed relative to the build's directory: slots share hits.
            child = child.env("CCACHE_BASEDIR", self.trees_root()).env("CCACHE_NOHASHDIR", "true");
        }
        let out = child.run().map_err(|source| Error::Spawn { tool: "sh", source })?;
        let _ = std::fs::remove_file(&marker);
        Ok(out)
    }

    fn trees_root(&self) -> PathBuf {
        self.store.root.join("worktrees")
    }
}

/// The children's user + system time from the `times` lines at the end of stderr.
fn times(out: &Output) -> Option<Timing> {
    let text = out.stderr_text();
    let last = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let secs = |s: &str| -> Option<f64> {
        let (m, rest) = s.split_once('m')?;
        Some(m.parse::<f64>().ok()? * 60.0 + rest.trim_end_matches('s').parse::<f64>().ok()?)
    };
    let mut parts = last.split_whitespace();
    let cpu = secs(parts.next()?)? + secs(parts.next()?)?;
    Some(Timing { wall_s: out.elapsed.as_secs_f64(), cpu_s: cpu })
}

/// The last lines of a failed build's output, without the `times` report.
fn tail(out: &Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), out.stderr_text());
    let lines: Vec<&str> = text.lines().filter(|l| !is_times_line(l)).collect();
    let mut log: Vec<&str> = lines[lines.len().saturating_sub(5)..].to_vec();
    if out.timed_out {
        log.push("(build timed out)");
    }
    log.join("\n")
}

fn is_times_line(l: &str) -> bool {
    let w: Vec<&str> = l.split_whitespace().collect();
    w.len() == 2
        && w.iter().all(|p| p.contains('m') && p.ends_with('s') && p.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// The worktrees of a store live next to its blobs (same filesystem, so hardlinks work).
pub fn worktrees_root(store_root: &Path) -> PathBuf {
    store_root.join("worktrees")
}
