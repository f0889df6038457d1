//! Commit bisection: build each first-parent candidate incrementally in a persistent worktree, keep its
//! artifacts in a content-addressed store, judge it, find the first bad.
//!
//! A built compiler is identified by its commit and the hash of its artifacts, never by `--version`.
//! The bounds are checked in the same round as the first probe; a verdict is reused when a step's
//! artifacts, or the object it produced for the case, are byte-identical to an already judged one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use kreloc_toolchains::identity::{Family, Kind, Version};
use kreloc_toolchains::{CompileOutcome, Toolchain};

use crate::builder::{Builder, Built, Origin};
use crate::ccache::Counters;
use crate::elfshaker::{Elfshaker, PackSource};
use crate::judgement::Judgement;
use crate::parallel::Parallelism;
use crate::predicate::{run_script, Observation, OraclePredicate, Regress};
use crate::progress::Progress;
use crate::search::{bisect, Judged};
use crate::state::State;
use crate::store::{sha256, ArtifactStore, Backend};
use crate::worktree::Worktrees;
use crate::{git, spans, Error};

/// How to judge a built commit.
pub enum CommitPredicate {
    /// A script (git bisect run conventions); `KBISECT_COMPILER` points at the built compiler.
    Script(String),
    /// The oracle on the case compiled with the built compiler.
    Oracle(OraclePredicate),
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

/// A commit's build: its artifact hash and tree, or the failed build's log tail.
type BuildResult = Result<(String, PathBuf), String>;

/// Verdicts already given, by artifact hash and by object hash.
#[derive(Default)]
struct Verdicts {
    by_artifacts: HashMap<String, Judgement>,
    by_object: HashMap<String, Judgement>,
}

impl CommitBisect {
    fn key(&self, good: &str, bad: &str) -> String {
        let pred = match &self.predicate {
            CommitPredicate::Script(s) => format!("script:{s}"),
            CommitPredicate::Oracle(p) => {
                format!(
                    "oracle:{}:{:?}:{:?}:{}:{:?}:{:?}",
                    p.profile,
                    p.regress,
                    p.addresses,
                    sha256(p.case.text.as_bytes()),
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

    /// Runs (or resumes) the bisection.
    pub fn run(&self) -> Result<CommitReport, Error> {
        let start = Instant::now();
        git::check_repo(&self.src)?;
        let good = git::resolve(&self.src, &self.good)?;
        let bad = git::resolve(&self.src, &self.bad)?;
        let commits = spans::time("run", "list commits", || git::first_parent_range(&self.src, &good, &bad))?;
        if commits.len() < 2 {
            return Err(Error::Usage("good and bad are the same commit".into()));
        }
        let key = self.key(&good, &bad);
        let state_path = self.state.clone().unwrap_or_else(|| crate::state::default_path(&key));
        let mut state = State::resume(&state_path, &key, &commits);
        let root = self.store.join(kreloc_campaign::signature::short_hash(
            self.src.canonicalize().unwrap_or_else(|_| self.src.clone()).to_string_lossy().as_bytes(),
        ));
        let packs = match &self.sources.packs {
            Some(dir) => Some(PackSource::open(dir, Elfshaker::locate()?)?),
            None => None,
        };
        let builder = Builder {
            store: ArtifactStore::with_backend(root.clone(), self.sources.backend)?,
            trees: Worktrees::new(&self.src, crate::builder::worktrees_root(&root), self.jobs),
            cmd: self.build.clone(),
            artifacts: self.artifacts.clone(),
            timeout: self.build_timeout,
            ccache_dir: if self.ccache { crate::builder::ccache_masquerade() } else { None },
            packs,
            link: self.sources.link.clone(),
        };
        let parallel = Parallelism::new(&root, self.jobs);
        let ccache_before =
            spans::time("run", "ccache stats", || builder.ccache_dir.as_ref().and_then(|_| Counters::read()));
        let bytes_before = spans::time("run", "store usage", || builder.store.usage().1);
        let (builds, reused, steps, reused_verdicts, new_bytes) =
            (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
        let from_packs = AtomicUsize::new(0);
        let verdicts = Mutex::new(Verdicts::default());
        let alone = AtomicUsize::new(0); // builds running now, so only lone builds are timed

        let build_once = |i: usize| -> Result<BuildResult, Error> {
            alone.fetch_add(1, Ordering::SeqCst);
            let built = builder.build(&commits[i]);
            let was_alone = alone.fetch_sub(1, Ordering::SeqCst) == 1;
            match built? {
                Built::Ready { manifest, dir, origin, timing } => {
                    match origin {
                        Origin::Build => &builds,
                        Origin::Store => &reused,
                        Origin::Packs => &from_packs,
                    }
                    .fetch_add(1, Ordering::Relaxed);
                    new_bytes.fetch_add(manifest.new_bytes as usize, Ordering::Relaxed);
                    if let (Some(t), true) = (timing, was_alone) {
                        parallel.record(t);
                    }
                    if !manifest.files.contains_key(self.compiler.trim_start_matches("./")) {
                        return Err(Error::Usage(format!(
                            "the stored artifacts {:?} do not include the compiler '{}'; add it to --artifacts",
                            self.artifacts, self.compiler
                        )));
                    }
                    Ok(Ok((manifest.artifact_hash, dir)))
                }
                Built::Failed { log } => {
                    builds.fetch_add(1, Ordering::Relaxed);
                    Ok(Err(log))
                }
            }
        };
        let memo: Mutex<HashMap<usize, BuildResult>> = Mutex::new(HashMap::new());
        // Builds commit i (once per run): Ok(Ok((artifact hash, dir))) or Ok(Err(log)) for a build failure.
        let build = |i: usize| -> Result<BuildResult, Error> {
            if let Some(b) = memo.lock().ok().and_then(|m| m.get(&i).cloned()) {
                return Ok(b);
            }
            let b = build_once(i)?;
            if let Ok(mut m) = memo.lock() {
                m.insert(i, b.clone());
            }
            Ok(b)
        };
        let compile = |p: &OraclePredicate, hash: &str, dir: &Path| -> Result<CompileOutcome, Error> {
            let exe = dir.join(&self.compiler);
            match &self.cflags {
                Some(flags) => crate::rawcc::compile(&exe, hash, flags, &p.case, &p.compiler),
                None => {
                    // The tree's path names its content, so the compile cache is keyed by content.
                    let tc = Toolchain { family: self.family, version: Version(vec![0]), kind: Kind::Path, exe };
                    p.compiler.compile(&tc, &p.case, &p.config).map_err(|e| Error::Toolchain(e.to_string()))
                }
            }
        };
        let observe =
            |p: &OraclePredicate, i: usize, hash: &str, dir: &Path| -> Result<(Observation, Option<String>), Error> {
                let step = git::short(&commits[i]);
                let outcome = spans::time(step, "compile case", || compile(p, hash, dir))?;
                let object = outcome.object().map(sha256);
                let obs = spans::time(step, "oracle", || {
                    p.observe_outcome(format!("{}+{}", git::short(&commits[i]), &hash[..12]), outcome)
                })?;
                Ok((obs, object))
            };

        // The bounds are built and observed in the same round as the first probe.
        let mut bounds: [Option<Observation>; 2] = [None, None];
        let last = commits.len() - 1;
        let mut first_probes = Vec::new();
        match &self.predicate {
            CommitPredicate::Script(_) => {
                // Like git bisect run, a script's bounds are trusted.
                state.judged.0.entry(0).or_insert(Judgement::Good);
                state.judged.0.entry(last).or_insert(Judgement::Bad);
            }
            CommitPredicate::Oracle(_) => {
                let mut provisional = state.judged.clone();
                provisional.0.insert(0, Judgement::Good);
                provisional.0.insert(last, Judgement::Bad);
                first_probes =
                    provisional.next_probes_preferring(commits.len(), parallel.concurrency().unwrap_or(1), |i| {
                        builder.has(&commits[i])
                    });
            }
        }
        let pools = Pools::default();
        let run_batch = |batch: &[usize],
                         job: &(dyn Fn(usize) -> Result<Judgement, Error> + Sync)|
         -> Vec<Result<Judgement, Error>> {
            let mut rest = batch;
            let mut out = Vec::new();
            if parallel.concurrency().is_none() {
                // Unmeasured: one build alone tells how well the build uses the cores.
                out.push(job(batch[0]));
                rest = &batch[1..];
            }
            let k = parallel.concurrency().unwrap_or(1);
            parallel.running(k.min(rest.len()));
            out.extend(pools.get(k).install(|| rest.par_iter().map(|&i| job(i)).collect::<Vec<_>>()));
            out
        };

        let judge_built = |i: usize, bounds: &[Option<Observation>; 2]| -> Result<Judgement, Error> {
            steps.fetch_add(1, Ordering::Relaxed);
            let (hash, dir) = match build(i)? {
                Ok(b) => b,
                Err(log) => return Ok(Judgement::Skip(format!("build failed: {}", log.lines().last().unwrap_or("")))),
            };
            if let Some(j) = verdicts.lock().ok().and_then(|v| v.by_artifacts.get(&hash).cloned()) {
                reused_verdicts.fetch_add(1, Ordering::Relaxed);
                return Ok(j);
            }
            let j = match &self.predicate {
                CommitPredicate::Script(s) => {
                    let cwd = tempfile::tempdir().map_err(|e| Error::Io(e.to_string()))?;
                    let env = [
                        ("KBISECT_COMPILER", dir.join(&self.compiler).display().to_string()),
                        ("KBISECT_COMMIT", commits[i].clone()),
                        ("KBISECT_BUILD_DIR", dir.display().to_string()),
                    ];
                    spans::time(git::short(&commits[i]), "script", || {
                        run_script(s, &env, cwd.path(), self.build_timeout)
                    })?
                }
                CommitPredicate::Oracle(p) => {
                    let (obs, object) = observe(p, i, &hash, &dir)?;
                    let known =
                        object.as_ref().and_then(|o| verdicts.lock().ok().and_then(|v| v.by_object.get(o).cloned()));
                    match known {
                        Some(j) => {
                            reused_verdicts.fetch_add(1, Ordering::Relaxed);
                            j
                        }
                        None => {
                            let j = p.judge(&obs, bounds[0].as_ref(), bounds[1].as_ref());
                            if let (Some(o), Ok(mut v)) = (object, verdicts.lock()) {
                                v.by_object.insert(o, j.clone());
                            }
                            j
                        }
                    }
                }
            };
            if let Ok(mut v) = verdicts.lock() {
                v.by_artifacts.insert(hash, j.clone());
            }
            Ok(j)
        };

        let progress = Progress::new(self.progress, "commits");
        let mut extra_rounds = 0;
        if let CommitPredicate::Oracle(p) = &self.predicate {
            let mut batch = vec![0, last];
            batch.extend(first_probes.iter().copied());
            progress
                .round(batch.iter().map(|&i| git::short(&commits[i]).to_string()).collect(), "bounds and first probe");
            // Builds (and compiles) of the whole batch, concurrently as the build allows; the bounds'
            // observations first, then the probes are judged against them.
            let built: Vec<Result<Judgement, Error>> = run_batch(&batch, &|i| build(i).map(|_| Judgement::Good));
            for r in built {
                r?;
            }
            for (slot, &i) in [0, last].iter().enumerate() {
                let (hash, dir) = build(i)?.map_err(|log| {
                    Error::Usage(format!(
                        "the {} commit {} does not build: {log}",
                        ["good", "bad"][slot],
                        git::short(&commits[i])
                    ))
                })?;
                bounds[slot] = Some(observe(p, i, &hash, &dir)?.0);
            }
            if let [Some(g), Some(b)] = &bounds {
                if p.regress == Regress::Signature && g.same_behaviour(b) {
                    return Err(Error::Usage(format!(
                        "the good commit {} and the bad commit {} behave the same on this case: nothing to bisect",
                        git::short(&commits[0]),
                        git::short(&commits[last])
                    )));
                }
            }
            for (i, want) in [(0, Judgement::Good), (last, Judgement::Bad)] {
                let got = judge_built(i, &bounds)?;
                if got != want {
                    return Err(Error::Usage(format!(
                        "the {} commit {} is judged {got:?}",
                        if i == 0 { "good" } else { "bad" },
                        git::short(&commits[i])
                    )));
                }
                state.judged.0.insert(i, got);
            }
            for &i in &first_probes {
                let j = judge_built(i, &bounds)?;
                state.judged.0.insert(i, j);
            }
            if !first_probes.is_empty() {
                extra_rounds = 1;
            }
            let _ = state.save(&state_path);
        }
        let mut judged: Judged = state.judged.clone();
        // Commits already in the store (built, or failed to build) are free to probe.
        let stored = |i: usize| builder.has(&commits[i]);
        let outcome = bisect(
            commits.len(),
            |j| j.next_probes_preferring(commits.len(), parallel.concurrency().unwrap_or(1), stored),
            &mut judged,
            |batch| {
                progress.round(
                    batch.iter().map(|&i| git::short(&commits[i]).to_string()).collect(),
                    &format!("{} of {} candidates", batch.len(), commits.len()),
                );
                run_batch(batch, &|i| judge_built(i, &bounds)).into_iter().collect()
            },
            |j| {
                state.judged = j.clone();
                let _ = spans::time("run", "save state", || state.save(&state_path));
            },
        )?;
        progress.finish();
        // This run's loose snapshots become one pack (elfshaker backend).
        let packed = spans::time("run", "pack", || builder.store.pack())?;
        let ambiguous = outcome
            .ambiguous
            .iter()
            .map(|&i| Skipped {
                commit: commits[i].clone(),
                subject: git::subject(&self.src, &commits[i]),
                reason: match judged.0.get(&i) {
                    Some(Judgement::Skip(r)) => r.clone(),
                    _ => String::new(),
                },
            })
            .collect();
        let (stored, bytes) = spans::time("run", "store usage", || builder.store.usage());
        // Packing replaces the loose snapshots the builds added: what this run added is the difference.
        let new_bytes = if packed > 0 { bytes.saturating_sub(bytes_before) } else { new_bytes.into_inner() as u64 };
        let ccache = ccache_before.and_then(|b| spans::time("run", "ccache stats", Counters::read).map(|a| b.since(a)));
        let [good_obs, bad_obs] = bounds;
        spans::report(start.elapsed().as_secs_f64());
        Ok(CommitReport {
            first_bad: commits[outcome.first_bad].clone(),
            subject: git::subject(&self.src, &commits[outcome.first_bad]),
            ambiguous,
            good: good_obs,
            bad: bad_obs,
            candidates: commits.len(),
            builds: builds.into_inner(),
            reused_builds: reused.into_inner(),
            from_packs: from_packs.into_inner(),
            steps: steps.into_inner(),
            rounds: outcome.rounds + extra_rounds,
            reused_verdicts: reused_verdicts.into_inner(),
            build_speedup: parallel.speedup(),
            concurrent_builds: parallel.concurrency().unwrap_or(1),
            store: StoreUsage {
                commits: stored,
                bytes,
                bytes_per_commit: bytes.checked_div(stored as u64).unwrap_or(0),
                new_bytes,
                backend: self.sources.backend,
                packed,
            },
            ccache,
            elapsed_ms: start.elapsed().as_millis() as u64,
        })
    }
}

/// One rayon pool per concurrency level used.
#[derive(Default)]
struct Pools(Mutex<HashMap<usize, std::sync::Arc<rayon::ThreadPool>>>);

impl Pools {
    fn get(&self, k: usize) -> std::sync::Arc<rayon::ThreadPool> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(k)
            .or_insert_with(|| {
                std::sync::Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(k)
                        .build()
                        .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().build().expect("a thread pool")),
                )
            })
            .clone()
    }
}
