//! One commit bisection in progress: the candidates, the builds, the verdicts given so far and the
//! counters of the report. [`Bisection::run`] builds and judges the bounds (when the predicate compares
//! with them), searches, then checks any trusted bound the answer rests on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use kreloc_toolchains::identity::{Kind, Version};
use kreloc_toolchains::{CompileOutcome, Toolchain};

use crate::builder::{Builder, Built, Origin};
use crate::ccache::Counters;
use crate::commits::{CommitBisect, CommitPredicate, CommitReport, Skipped, StoreUsage};
use crate::elfshaker::{Elfshaker, PackSource};
use crate::judgement::Judgement;
use crate::parallel::Parallelism;
use crate::predicate::{run_script, Observation, OraclePredicate, Regress};
use crate::progress::Progress;
use crate::search::{self, Judged, Outcome};
use crate::state::State;
use crate::store::ArtifactStore;
use crate::worktree::Worktrees;
use crate::{git, spans, Bound, Error, Usage};
use kreloc_atomic::digest::sha256_hex;

/// A commit's build: its artifact hash and tree, or the failed build's log tail.
type BuildResult = Result<(String, PathBuf), String>;

/// Verdicts already given, by artifact hash and by object hash.
#[derive(Default)]
struct Verdicts {
    by_artifacts: HashMap<String, Judgement>,
    by_object: HashMap<String, Judgement>,
}

/// What the report counts (updated from concurrent builds).
#[derive(Default)]
struct Counts {
    builds: AtomicUsize,
    reused_builds: AtomicUsize,
    from_packs: AtomicUsize,
    steps: AtomicUsize,
    reused_verdicts: AtomicUsize,
    new_bytes: AtomicUsize,
    /// Builds running now, so only lone builds are timed.
    building: AtomicUsize,
}

/// A commit bisection being run.
pub struct Bisection<'a> {
    spec: &'a CommitBisect,
    start: Instant,
    commits: Vec<String>,
    state: State,
    state_path: PathBuf,
    builder: Builder,
    parallel: Parallelism,
    pools: Pools,
    builds: Mutex<HashMap<usize, BuildResult>>,
    verdicts: Mutex<Verdicts>,
    counts: Counts,
    /// The good and bad bounds' observations (oracle predicates comparing with them).
    bounds: [Option<Observation>; 2],
    progress: Progress,
    ccache_before: Option<Counters>,
    bytes_before: u64,
}

impl<'a> Bisection<'a> {
    /// Resolves the range, resumes its state and opens the store.
    pub fn new(spec: &'a CommitBisect) -> Result<Bisection<'a>, Error> {
        let start = Instant::now();
        git::check_repo(&spec.src)?;
        let good = git::resolve(&spec.src, &spec.good)?;
        let bad = git::resolve(&spec.src, &spec.bad)?;
        let commits = spans::time("run", "list commits", || git::first_parent_range(&spec.src, &good, &bad))?;
        if commits.len() < 2 {
            return Err(Usage::SameCommit.into());
        }
        let (key, old_key) = (spec.key(&good, &bad), spec.debug_key(&good, &bad));
        let state_path = spec.state.clone().unwrap_or_else(|| crate::state::default_path(&key));
        let old_path = spec.state.clone().unwrap_or_else(|| crate::state::default_path(&old_key));
        let state = State::resume_either(&state_path, &key, (&old_path, &old_key), &commits);
        let root = spec.store.join(kreloc_campaign::signature::short_hash(
            spec.src.canonicalize().unwrap_or_else(|_| spec.src.clone()).to_string_lossy().as_bytes(),
        ));
        let packs = match &spec.sources.packs {
            Some(dir) => Some(PackSource::open(dir, Elfshaker::locate()?)?),
            None => None,
        };
        let builder = Builder {
            store: ArtifactStore::with_backend(root.clone(), spec.sources.backend)?,
            trees: Worktrees::new(&spec.src, crate::builder::worktrees_root(&root), spec.jobs),
            cmd: spec.build.clone(),
            artifacts: spec.artifacts.clone(),
            timeout: spec.build_timeout,
            ccache_dir: if spec.ccache { crate::builder::ccache_masquerade() } else { None },
            packs,
            link: spec.sources.link.clone(),
        };
        let ccache_before =
            spans::time("run", "ccache stats", || builder.ccache_dir.as_ref().and_then(|_| Counters::read()));
        let bytes_before = spans::time("run", "store usage", || builder.store.usage().1);
        Ok(Bisection {
            spec,
            start,
            parallel: Parallelism::new(&root, spec.jobs),
            commits,
            state,
            state_path,
            builder,
            pools: Pools::default(),
            builds: Mutex::new(HashMap::new()),
            verdicts: Mutex::new(Verdicts::default()),
            counts: Counts::default(),
            bounds: [None, None],
            progress: Progress::new(spec.progress, "commits"),
            ccache_before,
            bytes_before,
        })
    }

    /// Runs (or resumes) the bisection to its report.
    pub fn run(mut self) -> Result<CommitReport, Error> {
        let compares_bounds = match &self.spec.predicate {
            CommitPredicate::Oracle(p) => p.regress == Regress::Signature,
            CommitPredicate::Script(_) => false,
        };
        let extra_rounds = if compares_bounds { self.judge_bounds_with_first_probes()? } else { self.trust_bounds() };
        let mut judged = self.state.judged.clone();
        let outcome = search::search(self.commits.len(), &mut judged, &mut self)?;
        if !compares_bounds {
            self.check_trusted_bounds(&outcome, &judged)?;
        }
        self.progress.finish();
        self.report(outcome, &judged, extra_rounds)
    }

    fn last(&self) -> usize {
        self.commits.len() - 1
    }

    fn short(&self, i: usize) -> &str {
        git::short(&self.commits[i])
    }

    /// Like git bisect run, takes the bounds as given; an oracle predicate judging alone checks a bound
    /// after the search, and only when the answer rests on it (saving two builds).
    fn trust_bounds(&mut self) -> usize {
        let last = self.last();
        self.state.judged.0.entry(0).or_insert(Judgement::Good);
        self.state.judged.0.entry(last).or_insert(Judgement::Bad);
        0
    }

    /// Builds the bounds and the first probes in one round (concurrently as the build allows), observes
    /// the bounds, and judges the probes against them. Returns the extra rounds this took.
    fn judge_bounds_with_first_probes(&mut self) -> Result<usize, Error> {
        let CommitPredicate::Oracle(p) = &self.spec.predicate else { return Ok(0) };
        let last = self.last();
        let mut provisional = self.state.judged.clone();
        provisional.0.insert(0, Judgement::Good);
        provisional.0.insert(last, Judgement::Bad);
        let first_probes =
            provisional.next_probes_preferring(self.commits.len(), self.parallel.concurrency().unwrap_or(1), |i| {
                self.builder.has(&self.commits[i])
            });
        let mut batch = vec![0, last];
        batch.extend(first_probes.iter().copied());
        self.progress.round(batch.iter().map(|&i| self.short(i).to_string()).collect(), "bounds and first probe");
        for r in self.run_batch(&batch, &|i| self.build(i).map(|_| Judgement::Good)) {
            r?;
        }
        for (slot, i) in [0, last].into_iter().enumerate() {
            let (hash, dir) = self.build(i)?.map_err(|log| Usage::BoundDoesNotBuild {
                bound: [Bound::Good, Bound::Bad][slot],
                commit: self.short(i).to_string(),
                log,
            })?;
            self.bounds[slot] = Some(self.observe(p, i, &hash, &dir)?.0);
        }
        if let [Some(g), Some(b)] = &self.bounds {
            if g.same_behaviour(b) {
                return Err(Usage::CommitsBehaveAlike {
                    good: self.short(0).to_string(),
                    bad: self.short(last).to_string(),
                }
                .into());
            }
        }
        for (i, want) in [(0, Judgement::Good), (last, Judgement::Bad)] {
            let got = self.judge_built(i)?;
            self.check_bound(i, &got, &want)?;
            self.state.judged.0.insert(i, got);
        }
        for &i in &first_probes {
            let j = self.judge_built(i)?;
            self.state.judged.0.insert(i, j);
        }
        self.state.save(&self.state_path).map_err(|e| Error::file(&self.state_path, e))?;
        Ok(usize::from(!first_probes.is_empty()))
    }

    fn check_bound(&self, i: usize, got: &Judgement, want: &Judgement) -> Result<(), Error> {
        if got == want {
            return Ok(());
        }
        Err(Usage::CommitJudged {
            bound: if i == 0 { Bound::Good } else { Bound::Bad },
            commit: self.short(i).to_string(),
            got: got.clone(),
        }
        .into())
    }

    /// An oracle predicate's trusted bound the answer rests on (no good probe below it, or the answer is
    /// the bad bound itself) is built and judged now; a wrong bound is the same usage error as up front.
    fn check_trusted_bounds(&self, outcome: &Outcome, judged: &Judged) -> Result<(), Error> {
        if !matches!(self.spec.predicate, CommitPredicate::Oracle(_)) {
            return Ok(());
        }
        let last = self.last();
        let rests_on_good = !judged.0.iter().any(|(&i, j)| i > 0 && i < outcome.first_bad && *j == Judgement::Good);
        let mut checks = Vec::new();
        if rests_on_good {
            checks.push((0, Judgement::Good));
        }
        if outcome.first_bad == last {
            checks.push((last, Judgement::Bad));
        }
        for (i, want) in checks {
            let got = self.judge_built(i)?;
            self.check_bound(i, &got, &want)?;
        }
        Ok(())
    }

    /// Builds commit i unless this run already did (or the store has it).
    fn build(&self, i: usize) -> Result<BuildResult, Error> {
        if let Some(b) = self.builds.lock().ok().and_then(|m| m.get(&i).cloned()) {
            return Ok(b);
        }
        let b = self.build_once(i)?;
        if let Ok(mut m) = self.builds.lock() {
            m.insert(i, b.clone());
        }
        Ok(b)
    }

    fn build_once(&self, i: usize) -> Result<BuildResult, Error> {
        let c = &self.counts;
        c.building.fetch_add(1, Ordering::SeqCst);
        let built = self.builder.build(&self.commits[i]);
        let was_alone = c.building.fetch_sub(1, Ordering::SeqCst) == 1;
        match built? {
            Built::Ready { manifest, dir, origin, timing } => {
                match origin {
                    Origin::Build => &c.builds,
                    Origin::Store => &c.reused_builds,
                    Origin::Packs => &c.from_packs,
                }
                .fetch_add(1, Ordering::Relaxed);
                c.new_bytes.fetch_add(manifest.new_bytes as usize, Ordering::Relaxed);
                if let (Some(t), true) = (timing, was_alone) {
                    self.parallel.record(t);
                }
                if !manifest.files.contains_key(self.spec.compiler.trim_start_matches("./")) {
                    return Err(Usage::CompilerNotStored {
                        artifacts: self.spec.artifacts.clone(),
                        compiler: self.spec.compiler.clone(),
                    }
                    .into());
                }
                Ok(Ok((manifest.artifact_hash, dir)))
            }
            Built::Failed { log } => {
                c.builds.fetch_add(1, Ordering::Relaxed);
                Ok(Err(log))
            }
        }
    }

    /// Compiles the case with the compiler in a built tree.
    fn compile(&self, p: &OraclePredicate, hash: &str, dir: &Path) -> Result<CompileOutcome, Error> {
        let exe = dir.join(&self.spec.compiler);
        match &self.spec.cflags {
            Some(flags) => crate::rawcc::compile(&exe, hash, flags, &p.case, &p.compiler),
            None => {
                // The tree's path names its content, so the compile cache is keyed by content.
                let tc = Toolchain { family: self.spec.family, version: Version(vec![0]), kind: Kind::Path, exe };
                p.compiler.compile(&tc, &p.case, &p.config).map_err(Error::from)
            }
        }
    }

    /// What commit i's build does with the case, and the hash of the object it produced.
    fn observe(
        &self,
        p: &OraclePredicate,
        i: usize,
        hash: &str,
        dir: &Path,
    ) -> Result<(Observation, Option<String>), Error> {
        let step = self.short(i);
        let outcome = spans::time(step, "compile case", || self.compile(p, hash, dir))?;
        let object = outcome.object().map(sha256_hex);
        let obs = spans::time(step, "oracle", || p.observe_outcome(format!("{step}+{}", &hash[..12]), outcome))?;
        Ok((obs, object))
    }

    /// Builds (if needed) and judges commit i, reusing the verdict of byte-identical artifacts or objects.
    fn judge_built(&self, i: usize) -> Result<Judgement, Error> {
        self.counts.steps.fetch_add(1, Ordering::Relaxed);
        let (hash, dir) = match self.build(i)? {
            Ok(b) => b,
            Err(log) => return Ok(Judgement::Skip(format!("build failed: {}", log.lines().last().unwrap_or("")))),
        };
        if let Some(j) = self.verdicts.lock().ok().and_then(|v| v.by_artifacts.get(&hash).cloned()) {
            self.counts.reused_verdicts.fetch_add(1, Ordering::Relaxed);
            return Ok(j);
        }
        let j = match &self.spec.predicate {
            CommitPredicate::Script(s) => self.judge_by_script(s, i, &dir)?,
            CommitPredicate::Oracle(p) => self.judge_by_oracle(p, i, &hash, &dir)?,
        };
        if let Ok(mut v) = self.verdicts.lock() {
            v.by_artifacts.insert(hash, j.clone());
        }
        Ok(j)
    }

    fn judge_by_script(&self, script: &str, i: usize, dir: &Path) -> Result<Judgement, Error> {
        let cwd = tempfile::tempdir()?;
        let env = [
            ("KBISECT_COMPILER", dir.join(&self.spec.compiler).display().to_string()),
            ("KBISECT_COMMIT", self.commits[i].clone()),
            ("KBISECT_BUILD_DIR", dir.display().to_string()),
        ];
        spans::time(self.short(i), "script", || run_script(script, &env, cwd.path(), self.spec.build_timeout))
    }

    fn judge_by_oracle(&self, p: &OraclePredicate, i: usize, hash: &str, dir: &Path) -> Result<Judgement, Error> {
        let (obs, object) = self.observe(p, i, hash, dir)?;
        let known = object.as_ref().and_then(|o| self.verdicts.lock().ok().and_then(|v| v.by_object.get(o).cloned()));
        if let Some(j) = known {
            self.counts.reused_verdicts.fetch_add(1, Ordering::Relaxed);
            return Ok(j);
        }
        let j = p.judge(&obs, self.bounds[0].as_ref(), self.bounds[1].as_ref());
        if let (Some(o), Ok(mut v)) = (object, self.verdicts.lock()) {
            v.by_object.insert(o, j.clone());
        }
        Ok(j)
    }

    /// Runs `job` over a batch, as many at once as the build allows (one alone while that is unmeasured).
    fn run_batch(
        &self,
        batch: &[usize],
        job: &(dyn Fn(usize) -> Result<Judgement, Error> + Sync),
    ) -> Vec<Result<Judgement, Error>> {
        let mut rest = batch;
        let mut out = Vec::new();
        if self.parallel.concurrency().is_none() {
            // Unmeasured: one build alone tells how well the build uses the cores.
            out.push(job(batch[0]));
            rest = &batch[1..];
        }
        let k = self.parallel.concurrency().unwrap_or(1);
        self.parallel.running(k.min(rest.len()));
        out.extend(self.pools.get(k).install(|| rest.par_iter().map(|&i| job(i)).collect::<Vec<_>>()));
        out
    }

    /// The report, once the search is done.
    fn report(self, outcome: Outcome, judged: &Judged, extra_rounds: usize) -> Result<CommitReport, Error> {
        let store = &self.builder.store;
        // This run's loose snapshots become one pack (elfshaker backend).
        let packed = spans::time("run", "pack", || store.pack())?;
        let ambiguous = outcome
            .ambiguous
            .iter()
            .map(|&i| Skipped {
                commit: self.commits[i].clone(),
                subject: git::subject(&self.spec.src, &self.commits[i]),
                reason: match judged.0.get(&i) {
                    Some(Judgement::Skip(r)) => r.clone(),
                    _ => String::new(),
                },
            })
            .collect();
        let (stored, bytes) = spans::time("run", "store usage", || store.usage());
        let c = self.counts;
        // Packing replaces the loose snapshots the builds added: what this run added is the difference.
        let new_bytes =
            if packed > 0 { bytes.saturating_sub(self.bytes_before) } else { c.new_bytes.into_inner() as u64 };
        let ccache =
            self.ccache_before.and_then(|b| spans::time("run", "ccache stats", Counters::read).map(|a| b.since(a)));
        let [good, bad] = self.bounds;
        spans::report(self.start.elapsed().as_secs_f64());
        Ok(CommitReport {
            first_bad: self.commits[outcome.first_bad].clone(),
            subject: git::subject(&self.spec.src, &self.commits[outcome.first_bad]),
            ambiguous,
            good,
            bad,
            candidates: self.commits.len(),
            builds: c.builds.into_inner(),
            reused_builds: c.reused_builds.into_inner(),
            from_packs: c.from_packs.into_inner(),
            steps: c.steps.into_inner(),
            rounds: outcome.rounds + extra_rounds,
            reused_verdicts: c.reused_verdicts.into_inner(),
            build_speedup: self.parallel.speedup(),
            concurrent_builds: self.parallel.concurrency().unwrap_or(1),
            store: StoreUsage {
                commits: stored,
                bytes,
                bytes_per_commit: bytes.checked_div(stored as u64).unwrap_or(0),
                new_bytes,
                backend: self.spec.sources.backend,
                packed,
            },
            ccache,
            elapsed_ms: self.start.elapsed().as_millis() as u64,
        })
    }
}

impl search::Predicate for Bisection<'_> {
    type Error = Error;

    /// Commits already in the store (built, or failed to build) are free to probe.
    fn probes(&self, judged: &Judged) -> Vec<usize> {
        let k = self.parallel.concurrency().unwrap_or(1);
        judged.next_probes_preferring(self.commits.len(), k, |i| self.builder.has(&self.commits[i]))
    }

    fn test(&mut self, batch: &[usize]) -> Result<Vec<Judgement>, Error> {
        self.progress.round(
            batch.iter().map(|&i| self.short(i).to_string()).collect(),
            &format!("{} of {} candidates", batch.len(), self.commits.len()),
        );
        self.run_batch(batch, &|i| self.judge_built(i)).into_iter().collect()
    }

    fn save(&mut self, judged: &Judged) -> Result<(), Error> {
        self.state.judged = judged.clone();
        spans::time("run", "save state", || self.state.save(&self.state_path))
            .map_err(|e| Error::file(&self.state_path, e))
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
