//! Commit bisection: build each first-parent candidate (cached by commit), judge it, find the first bad.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::judgement::Judgement;
use crate::predicate::{run_script, Observation, OraclePredicate};
use crate::progress::Progress;
use crate::search::{bisect, Judged};
use crate::state::State;
use crate::store::{Build, Store};
use crate::{git, Error};

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
    pub build: String,
    /// The compiler inside a build, relative to it (e.g. `bin/cc`).
    pub compiler: String,
    pub predicate: CommitPredicate,
    pub jobs: usize,
    pub store: PathBuf,
    pub state: Option<PathBuf>,
    pub build_timeout: Duration,
    pub progress: bool,
}

/// One skipped commit next to the answer.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub commit: String,
    pub subject: String,
    pub reason: String,
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
    /// Builds run in this invocation (others came from the store).
    pub builds: usize,
    pub reused_builds: usize,
    /// Candidates judged in this invocation, and rounds of probing.
    pub steps: usize,
    pub rounds: usize,
    pub elapsed_ms: u64,
}

impl CommitBisect {
    fn key(&self, good: &str, bad: &str) -> String {
        let pred = match &self.predicate {
            CommitPredicate::Script(s) => format!("script:{s}"),
            CommitPredicate::Oracle(p) => format!("oracle:{}:{:?}:{:?}:{}:{:?}", p.profile, p.regress, p.addresses, p.case.text.len(), p.config),
        };
        format!("commits|{}|{good}|{bad}|{}|{}|{pred}", self.src.display(), self.build, self.compiler)
    }

    /// Runs (or resumes) the bisection.
    pub fn run(&self) -> Result<CommitReport, Error> {
        let start = Instant::now();
        git::check_repo(&self.src)?;
        let good = git::resolve(&self.src, &self.good)?;
        let bad = git::resolve(&self.src, &self.bad)?;
        let commits = git::first_parent_range(&self.src, &good, &bad)?;
        if commits.len() < 2 {
            return Err(Error::Usage("good and bad are the same commit".into()));
        }
        let key = self.key(&good, &bad);
        let state_path = self.state.clone().unwrap_or_else(|| crate::state::default_path(&key));
        let mut state = State::resume(&state_path, &key, &commits);
        let store = Store::new(&self.store, &self.src, &self.build, self.build_timeout);
        let (builds, reused, steps) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));

        let build = |i: usize| -> Result<Result<PathBuf, String>, Error> {
            match store.build(&self.src, &commits[i])? {
                Build::Ready { dir, reused: r } => {
                    if r { &reused } else { &builds }.fetch_add(1, Ordering::Relaxed);
                    Ok(Ok(dir))
                }
                Build::Failed { log } => {
                    builds.fetch_add(1, Ordering::Relaxed);
                    Ok(Err(log))
                }
            }
        };
        let observe = |dir: &Path| -> Result<Observation, Error> {
            let CommitPredicate::Oracle(p) = &self.predicate else { unreachable!("only oracle predicates observe") };
            let tc = kreloc_toolchains::resolve(&format!("path:{}", dir.join(&self.compiler).display())).map_err(|e| Error::Toolchain(e.to_string()))?;
            p.observe(&tc)
        };
        // The bounds: built and judged first, so a wrong good/bad is caught before any search.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(self.jobs.max(1)).build().map_err(|e| Error::Io(e.to_string()))?;
        let mut bounds: [Option<Observation>; 2] = [None, None];
        if let CommitPredicate::Oracle(_) = &self.predicate {
            let ends = [0, commits.len() - 1];
            let observed: Vec<Result<Observation, Error>> = pool.install(|| {
                ends.par_iter()
                    .enumerate()
                    .map(|(slot, &i)| match build(i)? {
                        Ok(dir) => observe(&dir),
                        Err(log) => Err(Error::Usage(format!("the {} commit {} does not build: {log}", ["good", "bad"][slot], git::short(&commits[i])))),
                    })
                    .collect()
            });
            for (slot, o) in observed.into_iter().enumerate() {
                bounds[slot] = Some(o?);
            }
        }
        if let (CommitPredicate::Oracle(p), [Some(g), Some(b)]) = (&self.predicate, &bounds) {
            if p.regress == crate::predicate::Regress::Signature && g.same_behaviour(b) {
                return Err(Error::Usage(format!(
                    "the good commit {} and the bad commit {} behave the same on this case: nothing to bisect",
                    git::short(&commits[0]),
                    git::short(&commits[commits.len() - 1])
                )));
            }
        }
        let judge_one = |i: usize| -> Result<Judgement, Error> {
            steps.fetch_add(1, Ordering::Relaxed);
            let dir = match build(i)? {
                Ok(d) => d,
                Err(log) => return Ok(Judgement::Skip(format!("build failed: {}", log.lines().last().unwrap_or("")))),
            };
            match &self.predicate {
                CommitPredicate::Script(s) => {
                    let env = [("KBISECT_COMPILER", dir.join(&self.compiler).display().to_string()), ("KBISECT_COMMIT", commits[i].clone()), ("KBISECT_BUILD_DIR", dir.display().to_string())];
                    run_script(s, &env, &dir, self.build_timeout)
                }
                CommitPredicate::Oracle(p) => Ok(p.judge(&observe(&dir)?, bounds[0].as_ref(), bounds[1].as_ref())),
            }
        };
        for (i, want) in [(0, Judgement::Good), (commits.len() - 1, Judgement::Bad)] {
            if !state.judged.0.contains_key(&i) {
                // Like git bisect run, a script's bounds are trusted; the oracle's are checked.
                if let CommitPredicate::Script(_) = &self.predicate {
                    state.judged.0.insert(i, want);
                    continue;
                }
                let got = judge_one(i)?;
                if got != want {
                    return Err(Error::Usage(format!("the {} commit {} is judged {got:?}", if i == 0 { "good" } else { "bad" }, git::short(&commits[i]))));
                }
                state.judged.0.insert(i, got);
            }
        }
        let progress = Progress::new(self.progress, "commits");
        let mut judged: Judged = state.judged.clone();
        let outcome = bisect(
            commits.len(),
            self.jobs,
            &mut judged,
            |batch| {
                progress.round(batch.iter().map(|&i| git::short(&commits[i]).to_string()).collect(), &judged_range(batch, commits.len()));
                pool.install(|| batch.par_iter().map(|&i| judge_one(i)).collect())
            },
            |j| {
                state.judged = j.clone();
                let _ = state.save(&state_path);
            },
        )?;
        progress.finish();
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
        let [good_obs, bad_obs] = bounds;
        Ok(CommitReport {
            first_bad: commits[outcome.first_bad].clone(),
            subject: git::subject(&self.src, &commits[outcome.first_bad]),
            ambiguous,
            good: good_obs,
            bad: bad_obs,
            candidates: commits.len(),
            builds: builds.into_inner(),
            reused_builds: reused.into_inner(),
            steps: steps.into_inner(),
            rounds: outcome.rounds,
            elapsed_ms: start.elapsed().as_millis() as u64,
        })
    }
}

fn judged_range(batch: &[usize], n: usize) -> String {
    format!("{} of {n} candidates", batch.len())
}
