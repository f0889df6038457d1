//! Building a commit: check it out in a persistent worktree, run the build command there (through ccache
//! when present), keep its artifacts in the store. A failure is retried once from a clean tree, because
//! stale products of another commit must not turn a good commit into a skip; a second failure is a skip
//! with the log's tail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kreloc_toolchains::process::{shell_quote, Child, Output};

use crate::store::{ArtifactStore, Manifest};
use crate::worktree::{self, Slot, Worktrees};
use crate::Error;

/// What building a commit gave.
#[derive(Debug, Clone)]
pub enum Built {
    /// Built (now, or in an earlier run: `reused`); `dir` holds the artifacts at their relative paths.
    Ready { manifest: Manifest, dir: PathBuf, reused: bool, timing: Option<Timing> },
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
    pub cmd: String,
    pub artifacts: Vec<String>,
    pub timeout: Duration,
    /// The ccache masquerade directory put first on PATH (`/usr/lib/ccache`), when ccache is installed.
    pub ccache_dir: Option<PathBuf>,
}

/// ccache's compiler-named symlinks, when ccache is installed.
pub fn ccache_masquerade() -> Option<PathBuf> {
    kreloc_toolchains::discover::which("ccache")?;
    ["/usr/lib/ccache", "/usr/lib64/ccache", "/usr/local/lib/ccache"].iter().map(PathBuf::from).find(|d| d.is_dir())
}

impl Builder {
    /// Builds `commit` unless the store has it (or its recorded failure).
    pub fn build(&self, commit: &str) -> Result<Built, Error> {
        if let Some(manifest) = self.store.get(commit) {
            let dir = self.store.materialize(&manifest)?;
            return Ok(Built::Ready { manifest, dir, reused: true, timing: None });
        }
        if let Some(log) = self.store.failure(commit) {
            return Ok(Built::Failed { log });
        }
        let slot = self.trees.take()?;
        self.trees.checkout(&slot, commit)?;
        let mut out = self.run(&slot, commit)?;
        if !out.success() && !out.timed_out {
            worktree::clean(&slot.dir)?;
            out = self.run(&slot, commit)?;
        }
        if out.success() {
            let timing = times(&out);
            let manifest = self.store.put(commit, &slot.dir, &self.artifacts, out.elapsed.as_millis() as u64)?;
            let dir = self.store.materialize(&manifest)?;
            return Ok(Built::Ready { manifest, dir, reused: false, timing });
        }
        let log = tail(&out);
        // A timeout may pass another time; a failure is a property of the commit.
        if !out.timed_out {
            self.store.record_failure(commit, &log)?;
        }
        Ok(Built::Failed { log })
    }

    fn run(&self, slot: &Slot, commit: &str) -> Result<Output, Error> {
        let marker = Worktrees::marker(slot);
        // The shell records its process group for a later run to kill if we die; `times` reports the
        // children's CPU time, from which the build's parallel speed-up follows.
        let script = format!("echo $$ > {}\n( {}\n)\nrc=$?\ntimes >&2\nexit $rc\n", shell_quote(&marker.to_string_lossy()), self.cmd);
        let mut child = Child::new("sh", self.timeout).args(["-c", &script]).current_dir(&slot.dir).env("KBISECT_COMMIT", commit);
        if let Some(dir) = &self.ccache_dir {
            let path = std::env::var("PATH").unwrap_or_default();
            child = child.env("PATH", format!("{}:{path}", dir.display()));
            // Paths below the worktrees are hashed relative to the build's directory: slots share hits.
            child = child.env("CCACHE_BASEDIR", self.trees_root()).env("CCACHE_NOHASHDIR", "true");
        }
        let out = child.run().map_err(|e| Error::Io(e.to_string()))?;
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
    w.len() == 2 && w.iter().all(|p| p.contains('m') && p.ends_with('s') && p.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// The worktrees of a store live next to its blobs (same filesystem, so hardlinks work).
pub fn worktrees_root(store_root: &Path) -> PathBuf {
    store_root.join("worktrees")
}
