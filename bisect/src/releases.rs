//! Release bisection: order the provisionable releases of a family, install what is needed, judge each
//! with the oracle predicate, and reduce the case to a small reproducer of the difference.

use std::time::Instant;

use serde::Serialize;

use kreloc_campaign::reduce::{reduce, ReduceStats, Reducible};
use kreloc_toolchains::{catalog, install, Family, Source, Toolchain, ToolchainId};

use crate::judgement::Judgement;
use crate::predicate::{Observation, OraclePredicate};
use crate::progress::Progress;
use crate::search::{bisect, Judged, Outcome};
use crate::{Bound, Error, Usage};

/// The source tree's tag of a release (`llvmorg-18.1.8`, `releases/gcc-12.2.0`).
pub fn release_tag(family: Family, version: &kreloc_toolchains::Version) -> String {
    match family {
        Family::Llvm => format!("llvmorg-{version}"),
        _ => format!("releases/gcc-{version}"),
    }
}

/// The answer of a release bisection.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseReport {
    pub family: String,
    pub first_bad: u32,
    pub first_bad_toolchain: ToolchainId,
    pub last_good: u32,
    pub last_good_toolchain: ToolchainId,
    pub good: Observation,
    pub bad: Observation,
    pub releases: Vec<u32>,
    pub steps: usize,
    pub rounds: usize,
    pub installed: Vec<String>,
    /// A reduced case that still shows the difference, with the reduction's statistics.
    pub reproducer: Option<String>,
    pub reduction: Option<ReduceStats>,
    pub elapsed_ms: u64,
}

/// Installs (if needed) and resolves `family@major`.
pub fn toolchain(family: Family, major: u32, installed: &mut Vec<String>, progress: bool) -> Result<Toolchain, Error> {
    let spec = format!("{family}@{major}");
    if let Ok(tc) = kreloc_toolchains::resolve(&spec) {
        return Ok(tc);
    }
    let release = catalog::sources(family, &kreloc_toolchains::Version(vec![major]))
        .into_iter()
        .next()
        .ok_or_else(|| Usage::NotProvisionable { spec: spec.clone(), available: catalog::describe_available() })?;
    if install::install(&release, progress)? {
        installed.push(spec.clone());
    }
    Ok(kreloc_toolchains::resolve(&spec)?)
}

/// Bisects `family` between the `good` and `bad` majors.
#[allow(clippy::too_many_arguments)] // the CLI's options, one each; a struct would only rename them
pub fn bisect_releases(
    family: Family,
    good: u32,
    bad: u32,
    pred: &OraclePredicate,
    script: Option<&str>,
    jobs: usize,
    progress: bool,
    reduce_case: bool,
) -> Result<ReleaseReport, Error> {
    let start = Instant::now();
    let releases: Vec<u32> = catalog::releases(family).into_iter().filter(|m| *m >= good && *m <= bad).collect();
    if releases.first() != Some(&good) || releases.last() != Some(&bad) || releases.len() < 2 {
        return Err(Usage::ReleaseSpan {
            family: family.to_string(),
            good,
            bad,
            available: catalog::describe_available(),
        }
        .into());
    }
    let mut installed = Vec::new();
    let good_tc = toolchain(family, good, &mut installed, progress)?;
    let bad_tc = toolchain(family, bad, &mut installed, progress)?;
    let good_obs = pred.observe(&good_tc)?;
    let bad_obs = pred.observe(&bad_tc)?;
    if good_obs.same_behaviour(&bad_obs) && script.is_none() && pred.regress == crate::predicate::Regress::Signature {
        return Err(Usage::ReleasesBehaveAlike { family: family.to_string(), good, bad }.into());
    }
    let judge = |tc: &Toolchain, obs: &Observation| -> Result<Judgement, Error> {
        match script {
            Some(s) => crate::predicate::run_script(
                s,
                &script_env(tc),
                &std::env::current_dir().unwrap_or_default(),
                pred.compiler.timeout,
            ),
            None => Ok(pred.judge(obs, Some(&good_obs), Some(&bad_obs))),
        }
    };
    for (name, tc, obs, want) in
        [(Bound::Good, &good_tc, &good_obs, Judgement::Good), (Bound::Bad, &bad_tc, &bad_obs, Judgement::Bad)]
    {
        let got = judge(tc, obs)?;
        if got != want {
            return Err(Usage::ReleaseJudged {
                bound: name,
                toolchain: obs.toolchain.clone(),
                got,
                messages: obs.messages.clone(),
            }
            .into());
        }
    }
    let bar = Progress::new(progress, &family.to_string());
    let mut steps = 0;
    let outcome = search_releases(family, &releases, jobs, &bar, &mut installed, |tc| {
        steps += 1;
        let tc = tc?;
        judge(&tc, &pred.observe(&tc)?)
    })?;
    bar.finish();
    let first_bad = releases[outcome.first_bad];
    let last_good = releases[outcome.first_bad - 1];
    let first_bad_tc = toolchain(family, first_bad, &mut installed, false)?;
    let last_good_tc = toolchain(family, last_good, &mut installed, false)?;
    let (reproducer, reduction) = if reduce_case && script.is_none() {
        let (text, stats) = reduce_reproducer(pred, &last_good_tc, &first_bad_tc, &good_obs, &bad_obs);
        (Some(text), Some(stats))
    } else {
        (None, None)
    };
    Ok(ReleaseReport {
        family: family.to_string(),
        first_bad,
        first_bad_toolchain: first_bad_tc.tool_id(),
        last_good,
        last_good_toolchain: last_good_tc.tool_id(),
        good: good_obs,
        bad: bad_obs,
        releases,
        steps,
        rounds: outcome.rounds,
        installed,
        reproducer,
        reduction,
        elapsed_ms: start.elapsed().as_millis() as u64,
    })
}

/// The release search kbisect and triage share: bisects `releases` (the first known good, the last known bad),
/// installing each release it probes, up to `jobs` a round; `judge` gets the release's toolchain, or why it
/// could not be had.
pub fn search_releases(
    family: Family,
    releases: &[u32],
    jobs: usize,
    bar: &Progress,
    installed: &mut Vec<String>,
    mut judge: impl FnMut(Result<Toolchain, Error>) -> Result<Judgement, Error>,
) -> Result<Outcome, Error> {
    let n = releases.len();
    let mut judged = Judged::default();
    judged.0.insert(0, Judgement::Good);
    judged.0.insert(n.saturating_sub(1), Judgement::Bad);
    bisect(
        n,
        |j| j.next_probes(n, jobs),
        &mut judged,
        |batch| {
            bar.round(batch.iter().map(|&i| format!("{family} {}", releases[i])).collect(), "installing if needed");
            batch.iter().map(|&i| judge(toolchain(family, releases[i], installed, false))).collect()
        },
        |_| {},
    )
}

/// What a `--script` sees: `KBISECT_CC` (a command line: `zig cc` for zig), `KBISECT_TOOLCHAIN`.
fn script_env(tc: &Toolchain) -> Vec<(&'static str, String)> {
    let cc = match tc.kind {
        kreloc_toolchains::identity::Kind::Zig { .. } => {
            format!("{} cc -target x86_64-freestanding-none", tc.exe.display())
        }
        _ => tc.exe.display().to_string(),
    };
    vec![("KBISECT_CC", cc), ("KBISECT_TOOLCHAIN", tc.id())]
}

/// Source lines, reducible by deleting runs of lines (largest first).
#[derive(Clone)]
pub struct Lines(pub Vec<String>);

impl Reducible for Lines {
    type Edit = (usize, usize);
    fn candidates(&self) -> Vec<(usize, usize)> {
        let n = self.0.len();
        let mut v = Vec::new();
        let mut len = n / 2;
        while len > 0 {
            v.extend((0..n.saturating_sub(len - 1)).step_by(len).map(|s| (s, len)));
            len /= 2;
        }
        v
    }
    fn apply(&self, &(s, len): &(usize, usize)) -> Option<Lines> {
        let mut v = self.0.clone();
        if s + len > v.len() {
            return None;
        }
        v.drain(s..s + len);
        Some(Lines(v))
    }
    fn size(&self) -> usize {
        self.0.len()
    }
}

/// Shrinks the case while the last good release still judges good and the first bad one still bad.
pub fn reduce_reproducer(
    pred: &OraclePredicate,
    good: &Toolchain,
    bad: &Toolchain,
    good_obs: &Observation,
    bad_obs: &Observation,
) -> (String, ReduceStats) {
    let start = Lines(pred.case.text.lines().map(str::to_string).collect());
    let interesting = |l: &Lines| {
        let case = Source { lang: pred.case.lang, text: l.0.join("\n") + "\n" };
        let judge =
            |tc: &Toolchain| pred.observe_source(tc, &case).ok().map(|o| pred.judge(&o, Some(good_obs), Some(bad_obs)));
        judge(good) == Some(Judgement::Good) && judge(bad) == Some(Judgement::Bad)
    };
    let (small, stats) = reduce(start, interesting, 400);
    (small.0.join("\n") + "\n", stats)
}
