//! Flag bisection: ddmin (Zeller) over the changes between a good and a bad flag set, giving a 1-minimal
//! set of changes that turns good into bad (seed 000: which of the 2019 flags broke purgatory?). A bad set
//! can break loading for several independent reasons (kbuild-all: ftrace, rethunk, stack protector, ...):
//! after each cause is found it is taken out of the bad set and ddmin runs again while the rest is still bad.

use serde::Serialize;

use crate::judgement::Judgement;

/// One difference between the flag sets (a compiler flag added, removed or given another value; not
/// `kreloc_campaign::change::Change`, which is how an object's verdict changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "change")]
pub enum FlagChange {
    Add {
        flag: String,
    },
    Remove {
        flag: String,
    },
    /// `-mcmodel=large` → `-mcmodel=kernel`: the same option with another value.
    Replace {
        from: String,
        to: String,
    },
}

impl std::fmt::Display for FlagChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlagChange::Add { flag } => write!(f, "+{flag}"),
            FlagChange::Remove { flag } => write!(f, "-{flag}"),
            FlagChange::Replace { from, to } => write!(f, "{from} -> {to}"),
        }
    }
}

/// The option a flag sets: `-mcmodel` for `-mcmodel=kernel`, `-O` for `-O2`, `-fpic` for `-fno-pic`, the flag
/// itself otherwise.
fn option_of(flag: &str) -> String {
    if let Some((k, _)) = flag.split_once('=') {
        return k.to_string();
    }
    if flag.starts_with("-O") {
        return "-O".into();
    }
    match flag.strip_prefix("-fno-").or_else(|| flag.strip_prefix("-mno-")) {
        Some(rest) => format!("{}{rest}", &flag[..2]),
        None => flag.to_string(),
    }
}

/// Flags that only mean something together, added as one change (`-mfentry` needs `-pg`).
const UNITS: &[&[&str]] = &[&["-pg", "-mfentry"], &["-mindirect-branch=thunk-extern", "-mindirect-branch-register"]];

/// The changes from `good` to `bad`.
pub fn changes(good: &[String], bad: &[String]) -> Vec<FlagChange> {
    let mut out = single_changes(good, bad);
    for unit in UNITS {
        let added = |f: &str| out.iter().position(|c| matches!(c, FlagChange::Add { flag } if flag == f));
        if let Some(positions) = unit.iter().map(|f| added(f)).collect::<Option<Vec<usize>>>() {
            let first = positions.iter().copied().min().unwrap_or(0);
            out[first] = FlagChange::Add { flag: unit.join(" ") };
            let mut rest: Vec<usize> = positions.into_iter().filter(|&p| p != first).collect();
            rest.sort_unstable_by(|a, b| b.cmp(a));
            for p in rest {
                out.remove(p);
            }
        }
    }
    out
}

fn single_changes(good: &[String], bad: &[String]) -> Vec<FlagChange> {
    let mut out = Vec::new();
    for b in bad {
        if good.contains(b) {
            continue;
        }
        match good
            .iter()
            .find(|g| option_of(g) == option_of(b) && *g != b && (option_of(b) != *b || option_of(g) != **g))
        {
            Some(g) => out.push(FlagChange::Replace { from: g.clone(), to: b.clone() }),
            None => out.push(FlagChange::Add { flag: b.clone() }),
        }
    }
    for g in good {
        let replaced = out.iter().any(|c| matches!(c, FlagChange::Replace { from, .. } if from == g));
        if !bad.contains(g) && !replaced {
            out.push(FlagChange::Remove { flag: g.clone() });
        }
    }
    out
}

/// `good` with some changes applied.
pub fn apply(good: &[String], changes: &[&FlagChange]) -> Vec<String> {
    let mut flags: Vec<String> = good.to_vec();
    for c in changes {
        match c {
            FlagChange::Add { flag } => flags.extend(flag.split_whitespace().map(str::to_string)),
            FlagChange::Remove { flag } => flags.retain(|f| f != flag),
            FlagChange::Replace { from, to } => {
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
        let complements: Vec<Vec<T>> = (0..subsets.len())
            .map(|i| subsets.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, s)| s.iter().cloned()).collect())
            .collect();
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

/// One independent reason the bad set is bad.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// A 1-minimal set of changes that, applied to good, makes it bad.
    pub changes: Vec<FlagChange>,
    /// What the oracle says with only these changes applied.
    pub observation: crate::predicate::Observation,
}

/// The answer of a flag bisection.
#[derive(Debug, Clone, Serialize)]
pub struct FlagReport {
    /// Every independent cause, in the order found.
    pub causes: Vec<Cause>,
    /// The first cause's changes (what earlier versions reported alone).
    pub culprit: Vec<FlagChange>,
    /// Changes left out of later rounds because, without the causes already found, the rest did not compile.
    pub set_aside: Vec<FlagChange>,
    /// All changes between the two sets.
    pub changes: Vec<FlagChange>,
    /// What the oracle says with only the first cause applied.
    pub bad: crate::predicate::Observation,
    pub good: crate::predicate::Observation,
    pub compiles: usize,
}

/// ddmin over the flag changes, judging each candidate set with `pred` (whose config is replaced); repeated
/// without each cause found until what remains of the bad set is no longer bad.
pub fn bisect_flags(
    good: &[String],
    bad: &[String],
    tc: &kreloc_toolchains::Toolchain,
    pred: &crate::predicate::OraclePredicate,
) -> Result<FlagReport, crate::Error> {
    bisect_flags_with(good, bad, tc, pred, &|_, _| {})
}

/// [`bisect_flags`], telling `on_compile` the running count and the flags of each compile (for progress).
pub fn bisect_flags_with(
    good: &[String],
    bad: &[String],
    tc: &kreloc_toolchains::Toolchain,
    pred: &crate::predicate::OraclePredicate,
    on_compile: &dyn Fn(usize, &[String]),
) -> Result<FlagReport, crate::Error> {
    use kreloc_toolchains::CompileConfig;
    let all = changes(good, bad);
    let compiles = std::cell::Cell::new(0usize);
    let observe = |flags: &[String]| -> Result<crate::predicate::Observation, crate::Error> {
        compiles.set(compiles.get() + 1);
        on_compile(compiles.get(), flags);
        let p = crate::predicate::OraclePredicate {
            case: pred.case.clone(),
            config: CompileConfig::from_flags(flags),
            profile: pred.profile,
            addresses: pred.addresses.clone(),
            regress: pred.regress,
            compiler: kreloc_toolchains::Compiler {
                cache: kreloc_toolchains::Cache::disabled(),
                timeout: pred.compiler.timeout,
                link: pred.compiler.link.clone(),
            },
        };
        p.observe(tc)
    };
    let good_obs = observe(good)?;
    let bad_obs = observe(bad)?;
    let judge = |o: &crate::predicate::Observation| pred.judge(o, Some(&good_obs), Some(&bad_obs));
    if judge(&good_obs) == Judgement::Bad || judge(&bad_obs) != Judgement::Bad {
        return Err(crate::Usage::FlagBounds {
            good_ok: good_obs.ok,
            good_messages: good_obs.messages.clone(),
            bad_ok: bad_obs.ok,
            bad_messages: bad_obs.messages.clone(),
        }
        .into());
    }
    let judge_applied = |subset: &[FlagChange]| {
        let refs: Vec<&FlagChange> = subset.iter().collect();
        observe(&apply(good, &refs)).map(|o| judge(&o)).unwrap_or_else(|e| Judgement::Skip(e.to_string()))
    };
    let applied_is_bad = |subset: &[FlagChange]| judge_applied(subset) == Judgement::Bad;
    let mut causes = Vec::new();
    let mut set_aside = Vec::new();
    let mut remaining = all.clone();
    while !remaining.is_empty() {
        if !causes.is_empty() {
            match judge_applied(&remaining) {
                Judgement::Bad => {}
                Judgement::Good => break,
                // Without the causes found, the rest may not compile (gcc: -mcmodel=kernel with -fpic once
                // -fno-pic is reverted): set aside the one change whose absence makes it bad again.
                Judgement::Skip(_) => match (0..remaining.len()).find(|&i| applied_is_bad(&without(&remaining, i))) {
                    Some(i) => {
                        set_aside.push(remaining.remove(i));
                        continue;
                    }
                    None => break,
                },
            }
        }
        let cause = ddmin(&remaining, &applied_is_bad);
        let refs: Vec<&FlagChange> = cause.iter().collect();
        let observation = observe(&apply(good, &refs))?;
        remaining.retain(|c| !cause.contains(c));
        causes.push(Cause { changes: cause, observation });
    }
    let first = causes.first().cloned().ok_or(crate::Usage::NoFlagChange)?;
    Ok(FlagReport {
        culprit: first.changes,
        bad: first.observation,
        causes,
        set_aside,
        changes: all,
        good: good_obs,
        compiles: compiles.get(),
    })
}

fn without<T: Clone>(v: &[T], i: usize) -> Vec<T> {
    v.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| x.clone()).collect()
}
