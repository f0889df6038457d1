//! Hierarchical delta debugging over any tree-shaped test case: try the largest removals first, keep
//! whatever stays interesting, restart from the smaller case, stop when no single edit helps.

use std::time::{Duration, Instant};

use serde::Serialize;

/// A test case the reducer can shrink.
pub trait Reducible: Clone {
    type Edit: Clone;
    /// Candidate edits, largest subtrees first.
    fn candidates(&self) -> Vec<Self::Edit>;
    /// The case with one edit applied, if the edit still makes a valid case.
    fn apply(&self, edit: &Self::Edit) -> Option<Self>;
    /// A size measure that every accepted edit must decrease.
    fn size(&self) -> usize;
}

/// What a reduction did.
#[derive(Debug, Clone, Serialize)]
pub struct ReduceStats {
    pub size_before: usize,
    pub size_after: usize,
    /// Interestingness tests run.
    pub tests: usize,
    pub accepted: usize,
    pub elapsed: Duration,
}

/// Shrinks `case` while `interesting` holds; `max_tests` bounds the work.
pub fn reduce<T: Reducible>(case: T, mut interesting: impl FnMut(&T) -> bool, max_tests: usize) -> (T, ReduceStats) {
    let start = Instant::now();
    let size_before = case.size();
    let (mut cur, mut tests, mut accepted) = (case, 0, 0);
    'outer: loop {
        for edit in cur.candidates() {
            if tests >= max_tests {
                break 'outer;
            }
            let Some(next) = cur.apply(&edit) else { continue };
            if next.size() >= cur.size() {
                continue;
            }
            tests += 1;
            if interesting(&next) {
                cur = next;
                accepted += 1;
                continue 'outer;
            }
        }
        break;
    }
    let stats = ReduceStats { size_before, size_after: cur.size(), tests, accepted, elapsed: start.elapsed() };
    (cur, stats)
}
