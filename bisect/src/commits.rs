//! Commit bisection: build each first-parent candidate incrementally in a persistent worktree, keep its
//! artifacts in a content-addressed store, judge it, find the first bad.
//!
//! A built compiler is identified by its commit and the hash of its artifacts, never by `--version`.
//! An oracle predicate comparing with the bounds (`--regress signature`) builds them in the same round as
//! the first probe; a script, or an oracle predicate judging alone, trusts them as git bisect run does and
//! (the oracle) checks a bound only when the answer rests on it. A verdict is reused when a step's
//! artifacts, or the object it produced for the case, are byte-identical to an already judged one.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use kreloc_oracle::ProfileId;
use kreloc_toolchains::identity::Family;
use kreloc_toolchains::CompileConfig;

use crate::bisection::Bisection;
use crate::ccache::Counters;
use crate::predicate::{Observation, OraclePredicate, Regress};
use crate::store::Backend;
use crate::Error;
use kreloc_atomic::digest::sha256_hex;

/// How to judge a built commit.
pub enum CommitPredicate {
    /// A script (git bisect run conventions); `KBISECT_COMPILER` points at the built compiler.
    Script(String),
    /// The oracle on the case compiled with the built compiler.
    Oracle(Box<OraclePredicate>),
}

/// A commit bisection.
pub struct CommitBisect {
    pub src: PathBuf,
    pub good: String,
    pub bad: String,
    /// The build command; `None` with `sources.packs` tests only what the packs (or the store) hold.
    pub build: Option<String>,
    /// The compiler inside a build, relative to it (e.g. `bin/cc`).
    pub compiler: String,
    /// What the store keeps of a build (globs relative to the worktree); must include the compiler.
    pub artifacts: Vec<String>,
    /// The driver the oracle's `--config` flags are spelled for.
    pub family: Family,
    /// Raw compile flags replacing `--config` (no code model or driver flags added).
    pub cflags: Option<Vec<String>>,
    pub predicate: CommitPredicate,
    /// At most this many builds (and probes) at once; fewer when the build already uses every core.
    pub jobs: usize,
    pub store: PathBuf,
    pub state: Option<PathBuf>,
    pub build_timeout: Duration,
    /// Put ccache first on the build's PATH when it is installed.
    pub ccache: bool,
    pub progress: bool,
    pub sources: Sources,
}

/// Where builds are kept, and where they come from besides building.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The store's backend for new builds.
    pub backend: Backend,
    /// Published elfshaker packs (`DIR/elfshaker_data/packs`, snapshots named by commit as manyclangs
    /// names them): a commit found there is extracted instead of built.
    pub packs: Option<PathBuf>,
    /// Run in a tree extracted from the packs before its artifacts are kept (manyclangs: `bash ./link.sh clang`).
    pub link: Option<String>,
}

/// One skipped commit next to the answer.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub commit: String,
    pub subject: String,
    pub reason: String,
}

/// What the store holds after the run.
#[derive(Debug, Clone, Serialize)]
pub struct StoreUsage {
    pub commits: usize,
    pub bytes: u64,
    pub bytes_per_commit: u64,
    /// Bytes this run added.
    pub new_bytes: u64,
    pub backend: Backend,
    /// Loose elfshaker snapshots packed at the end of this run.
    pub packed: usize,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct CommitReport {
    pub first_bad: String,
    pub subject: String,
    /// Skipped commits that could be the first bad one instead.
    pub ambiguous: Vec<Skipped>,
    pub good: Option<Observation>,
    pub bad: Option<Observation>,
    pub candidates: usize,
    /// Builds run in this invocation (others came from the store or the packs).
    pub builds: usize,
    pub reused_builds: usize,
    /// Commits extracted from `--packs` instead of built.
    pub from_packs: usize,
    /// Candidates judged in this invocation, and rounds of probing.
    pub steps: usize,
    pub rounds: usize,
    /// Verdicts taken from a byte-identical build or object instead of being judged again.
    pub reused_verdicts: usize,
    /// The build's parallel speed-up (CPU over wall time) and the concurrent builds it led to.
    pub build_speedup: Option<f64>,
    pub concurrent_builds: usize,
    pub store: StoreUsage,
    /// ccache hits and misses during this run (None without ccache).
    pub ccache: Option<Counters>,
    pub elapsed_ms: u64,
}

/// What identifies a commit bisection: a saved state of another is not resumed.
#[derive(Serialize)]
struct Key<'a> {
    src: &'a std::path::Path,
    good: &'a str,
    bad: &'a str,
    build: Option<&'a str>,
    compiler: &'a str,
    artifacts: &'a [String],
    predicate: PredicateKey<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
enum PredicateKey<'a> {
    Script(&'a str),
    Oracle {
        profile: ProfileId,
        regress: Regress,
        addresses: &'a [u64],
        case_sha256: String,
        config: &'a CompileConfig,
        cflags: Option<&'a [String]>,
    },
}

impl CommitBisect {
    /// Runs (or resumes) the bisection: see [`Bisection`].
    pub fn bisect(&self) -> Result<CommitReport, Error> {
        Bisection::new(self)?.run()
    }

    /// Identifies this bisection's state (another bisection's state is not resumed): the JSON of its `Key`.
    pub(crate) fn key(&self, good: &str, bad: &str) -> String {
        let predicate = match &self.predicate {
            CommitPredicate::Script(s) => PredicateKey::Script(s),
            CommitPredicate::Oracle(p) => PredicateKey::Oracle {
                profile: p.profile,
                regress: p.regress,
                addresses: &p.addresses,
                case_sha256: sha256_hex(p.case.text.as_bytes()),
                config: &p.config,
                cflags: self.cflags.as_deref(),
            },
        };
        let key = Key {
            src: &self.src,
            good,
            bad,
            build: self.build.as_deref(),
            compiler: &self.compiler,
            artifacts: &self.artifacts,
            predicate,
        };
        serde_json::to_string(&key).unwrap_or_default()
    }

    /// The key as kbisect wrote it before keys were typed (from `Debug` output): its saved state still resumes.
    pub(crate) fn debug_key(&self, good: &str, bad: &str) -> String {
        let pred = match &self.predicate {
            CommitPredicate::Script(s) => format!("script:{s}"),
            CommitPredicate::Oracle(p) => {
                format!(
                    "oracle:{}:{:?}:{:?}:{}:{:?}:{:?}",
                    p.profile,
                    p.regress,
                    p.addresses,
                    sha256_hex(p.case.text.as_bytes()),
                    p.config,
                    self.cflags
                )
            }
        };
        format!(
            "commits|{}|{good}|{bad}|{}|{}|{:?}|{pred}",
            self.src.display(),
            self.build.as_deref().unwrap_or(""),
            self.compiler,
            self.artifacts
        )
    }
}
