//! Flag bisection: ddmin (Zeller) over the changes between a good and a bad flag set, giving a 1-minimal
//! set of changes that turns good into bad (seed 000: which of the 2019 flags broke purgatory?).

use serde::Serialize;

/// One difference between the flag sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "change")]
pub enum Change {
    Add { flag: String },
    Remove { flag: String },
    /// `-mcmodel=large` → `-mcmodel=kernel`: the same option with another value.
    Replace { from: String, to: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Add { flag } => write!(f, "+{flag}"),
            Change::Remove { flag } => write!(f, "-{flag}"),
            Change::Replace { from, to } => write!(f, "{from} -> {to}"),
        }
    }
}

/// The option a flag sets: `-mcmodel` for `-mcmodel=kernel`, `-O` for `-O2`, the flag itself otherwise.
fn option_of(flag: &str) -> &str {
    if let Some((k, _)) = flag.split_once('=') {
        return k;
    }
    if flag.starts_with("-O") {
        return "-O";
    }
    flag
}

/// The changes from `good` to `bad`.
pub fn changes(good: &[String], bad: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    for b in bad {
        if good.contains(b) {
            continue;
        }
        match good.iter().find(|g| option_of(g) == option_of(b) && option_of(b) != b.as_str()) {
            Some(g) => out.push(Change::Replace { from: g.clone(), to: b.clone() }),
            None => out.push(Change::Add { flag: b.clone() }),
        }
    }
    for g in good {
        let replaced = out.iter().any(|c| matches!(c, Change::Replace { from, .. } if from == g));
        if !bad.contains(g) && !replaced {
            out.push(Change::Remove { flag: g.clone() });
        }
    }
    out
}

/// `good` with some changes applied.
pub fn apply(good: &[String], changes: &[&Change]) -> Vec<String> {
    let mut flags: Vec<String> = good.to_vec();
    for c in changes {
        match c {
            Change::Add { flag } => flags.push(flag.clone()),
            Change::Remove { flag } => flags.retain(|f| f != flag),
            Change::Replace { from, to } => {
                for f in flags.iter_mut().filter(|f| *f == from) {
                    *f = to.clone();
                }
            }
        }
    }
    flags
}

/// ddmin: a 1-minimal subset of `all` for which `is_bad` holds (given that it holds for `all`).
pub fn ddmin<T: Clone>(all: &[T], mut is_bad: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut c: Vec<T> = all.to_vec();
    let mut n = 2;
    while c.len() >= 2 {
        let chunk = c.len().div_ceil(n);
        let subsets: Vec<Vec<T>> = c.chunks(chunk).map(<[T]>::to_vec).collect();
        if let Some(s) = subsets.iter().find(|s| is_bad(s)) {
            c = s.clone();
            n = 2;
            continue;
        }
        let complements: Vec<Vec<T>> =
            (0..subsets.len()).map(|i| subsets.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, s)| s.iter().cloned()).collect()).collect();
        if let Some(s) = complements.iter().find(|s| is_bad(s)) {
            c = s.clone();
            n = (n - 1).max(2);
            continue;
        }
        if n >= c.len() {
            break;
        }
        n = (2 * n).min(c.len());
    }
    c
}

/// The answer of a flag bisection.
#[derive(Debug, Clone, Serialize)]
pub struct FlagReport {
    /// The 1-minimal changes that turn good into bad.
    pub culprit: Vec<Change>,
    /// All changes between the two sets.
    pub changes: Vec<Change>,
    /// What the oracle says with only the culprit applied.
    pub bad: crate::predicate::Observation,
    pub good: crate::predicate::Observation,
    pub compiles: usize,
}

/// ddmin over the flag changes, judging each candidate set with `pred` (whose config is replaced).
pub fn bisect_flags(good: &[String], bad: &[String], tc: &kreloc_toolchains::Toolchain, pred: &crate::predicate::OraclePredicate) -> Result<FlagReport, crate::Error> {
    use kreloc_toolchains::CompileConfig;
    let all = changes(good, bad);
    let compiles = std::cell::Cell::new(0usize);
    let observe = |flags: &[String]| -> Result<crate::predicate::Observation, crate::Error> {
        compiles.set(compiles.get() + 1);
        let p = crate::predicate::OraclePredicate {
            case: pred.case.clone(),
            config: CompileConfig::from_flags(flags),
            profile: pred.profile.clone(),
            addresses: pred.addresses.clone(),
            regress: pred.regress,
            compiler: kreloc_toolchains::Compiler { cache: kreloc_toolchains::Cache::disabled(), timeout: pred.compiler.timeout, link: pred.compiler.link.clone() },
        };
        p.observe(tc)
    };
    let good_obs = observe(good)?;
    let bad_obs = observe(bad)?;
    let is_bad = |o: &crate::predicate::Observation| pred.judge(o, Some(&good_obs), Some(&bad_obs)) == crate::judgement::Judgement::Bad;
    if is_bad(&good_obs) || !is_bad(&bad_obs) {
        return Err(crate::Error::Usage(format!(
            "the good flags must be good and the bad flags bad (good: ok={} {:?}; bad: ok={} {:?})",
            good_obs.ok, good_obs.messages, bad_obs.ok, bad_obs.messages
        )));
    }
    let culprit = ddmin(&all, |subset| {
        let refs: Vec<&Change> = subset.iter().collect();
        observe(&apply(good, &refs)).map(|o| is_bad(&o)).unwrap_or(false)
    });
    let refs: Vec<&Change> = culprit.iter().collect();
    let bad_min = observe(&apply(good, &refs))?;
    Ok(FlagReport { culprit, changes: all, bad: bad_min, good: good_obs, compiles: compiles.get() })
}
