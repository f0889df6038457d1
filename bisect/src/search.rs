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

/// What the search asks of the candidates: which to probe next, their verdicts, and a place to keep
/// the verdicts after each round (for resuming).
pub trait Predicate {
    type Error;

    /// The candidates to probe next (several are tested at once); empty once the answer is known.
    fn probes(&self, judged: &Judged) -> Vec<usize>;

    /// Verdicts for a batch, in its order.
    fn test(&mut self, batch: &[usize]) -> Result<Vec<Judgement>, Self::Error>;

    /// Called after every batch with all verdicts so far; a failure stops the search (a run that cannot
    /// keep its state would not resume).
    fn save(&mut self, _judged: &Judged) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Runs the search over `n` candidates (index 0 good, `n - 1` bad), testing the batches the predicate
/// picks. Already-judged indices (a resumed state) are not re-tested.
pub fn search<P: Predicate>(n: usize, judged: &mut Judged, p: &mut P) -> Result<Outcome, P::Error> {
    let mut rounds = 0;
    loop {
        let probes = p.probes(judged);
        if probes.is_empty() {
            return Ok(judged.outcome(n, rounds));
        }
        let results = p.test(&probes)?;
        rounds += 1;
        for (i, j) in probes.into_iter().zip(results) {
            judged.0.insert(i, j);
        }
        p.save(judged)?;
    }
}

/// A [`Predicate`] made of closures.
struct Closures<P, T, S> {
    probes: P,
    test: T,
    save: S,
}

impl<E, P, T, S> Predicate for Closures<P, T, S>
where
    P: Fn(&Judged) -> Vec<usize>,
    T: FnMut(&[usize]) -> Result<Vec<Judgement>, E>,
    S: FnMut(&Judged),
{
    type Error = E;

    fn probes(&self, judged: &Judged) -> Vec<usize> {
        (self.probes)(judged)
    }

    fn test(&mut self, batch: &[usize]) -> Result<Vec<Judgement>, E> {
        (self.test)(batch)
    }

    fn save(&mut self, judged: &Judged) -> Result<(), E> {
        (self.save)(judged);
        Ok(())
    }
}

/// [`search`] with closures: `probes` picks each round's batch (e.g. `|j| j.next_probes(n, jobs)`),
/// `test` judges it and `save` runs after every batch.
pub fn bisect<E>(
    n: usize,
    probes: impl Fn(&Judged) -> Vec<usize>,
    judged: &mut Judged,
    test: impl FnMut(&[usize]) -> Result<Vec<Judgement>, E>,
    save: impl FnMut(&Judged),
) -> Result<Outcome, E> {
    search(n, judged, &mut Closures { probes, test, save })
}
