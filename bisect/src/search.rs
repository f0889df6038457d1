//! The search: the first bad candidate in an ordered list whose first element is good and last is bad,
//! going around skipped candidates, and testing several midpoints at once when given several jobs
//! (a k-ary search: k probes split the range into k + 1 parts per round).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::judgement::Judgement;

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Index of the first bad candidate; with skips in the way, the earliest it can be.
    pub first_bad: usize,
    /// Skipped candidates that might be the first bad one instead (then `first_bad` is the last of them + 1).
    pub ambiguous: Vec<usize>,
    /// Rounds of probing (each round tests up to `jobs` candidates at once).
    pub rounds: usize,
}

/// Search state: judgements by index; resumable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged(pub BTreeMap<usize, Judgement>);

impl Judged {
    /// (last known good, first known bad) among judged indices.
    fn bounds(&self, n: usize) -> (usize, usize) {
        let hi = self.0.iter().filter(|(_, j)| **j == Judgement::Bad).map(|(i, _)| *i).min().unwrap_or(n - 1);
        let lo = self.0.iter().filter(|(i, j)| **j == Judgement::Good && **i < hi).map(|(i, _)| *i).max().unwrap_or(0);
        (lo, hi)
    }

    /// Up to `k` untested indices strictly between the bounds, spread evenly.
    pub fn next_probes(&self, n: usize, k: usize) -> Vec<usize> {
        let (lo, hi) = self.bounds(n);
        let open: Vec<usize> = (lo + 1..hi).filter(|i| !self.0.contains_key(i)).collect();
        if open.is_empty() {
            return Vec::new();
        }
        let k = k.max(1).min(open.len());
        let mut picks: Vec<usize> = (1..=k).map(|p| open[(p * open.len()) / (k + 1)]).collect();
        picks.dedup();
        picks
    }

    /// Like `next_probes`, but when candidates that are free to test (`cheap`: already built) lie
    /// between the bounds, the free one nearest each split point is probed instead: a free probe off the
    /// middle costs a little information and saves a build.
    pub fn next_probes_preferring(&self, n: usize, k: usize, cheap: impl Fn(usize) -> bool) -> Vec<usize> {
        let ideal = self.next_probes(n, k);
        let (lo, hi) = self.bounds(n);
        let free: Vec<usize> = (lo + 1..hi).filter(|i| !self.0.contains_key(i) && cheap(*i)).collect();
        if free.is_empty() {
            return ideal;
        }
        let mut picks: Vec<usize> =
            ideal.iter().filter_map(|&p| free.iter().copied().min_by_key(|f| f.abs_diff(p))).collect();
        picks.sort_unstable();
        picks.dedup();
        picks
    }

    /// The answer once no probes are left.
    pub fn outcome(&self, n: usize, rounds: usize) -> Outcome {
        let (lo, hi) = self.bounds(n);
        let ambiguous: Vec<usize> = (lo + 1..hi).filter(|i| self.0.get(i).is_some_and(Judgement::is_skip)).collect();
        Outcome { first_bad: hi, ambiguous, rounds }
    }
}

/// Runs the search over `n` candidates (index 0 good, `n - 1` bad), calling `test` on the batches `probes`
/// picks each round (e.g. `|j| j.next_probes(n, jobs)`; empty once done) and `save` after every batch.
/// Already-judged indices (a resumed state) are not re-tested.
pub fn bisect<E>(
    n: usize,
    mut probes: impl FnMut(&Judged) -> Vec<usize>,
    judged: &mut Judged,
    mut test: impl FnMut(&[usize]) -> Result<Vec<Judgement>, E>,
    mut save: impl FnMut(&Judged),
) -> Result<Outcome, E> {
    let mut rounds = 0;
    loop {
        let probes = probes(judged);
        if probes.is_empty() {
            return Ok(judged.outcome(n, rounds));
        }
        let results = test(&probes)?;
        rounds += 1;
        for (i, j) in probes.into_iter().zip(results) {
            judged.0.insert(i, j);
        }
        save(judged);
    }
}
