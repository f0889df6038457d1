//! Whether concurrent builds pay: a build that already keeps every core busy (`make -j`, ninja) gains
//! nothing from a second one beside it, it only halves both. The build's own speed-up (CPU time over wall
//! time, measured on a real build and remembered in the store) and the cores other processes leave idle
//! (the load average) decide how many run at once.
//!
//! k probes per round split the range k + 1 ways (log2(k + 1) bits); k builds of speed-up s on `idle`
//! cores take max(1, k·s / idle) lone-build times. A build that is mostly one translation unit (TinyCC's
//! `make -j2 tcc`, s ≈ 1.1 on 2 cores) gets 1.58 bits in 1.1 build times with two at once instead of 1
//! bit in 1: it runs two. A build filling both cores (s ≈ 2) would take 2 build times for 1.58 bits: one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::builder::Timing;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Measured {
    speedup: f64,
    builds: u32,
}

/// The concurrency policy of one store, for at most `max` builds at once.
pub struct Parallelism {
    max: usize,
    cores: usize,
    file: PathBuf,
    measured: Mutex<Option<Measured>>,
    /// Builds this process ran at once in its last round: its own share of the load average.
    running: AtomicUsize,
}

/// A concurrency level must beat one build at a time by this much (contention the model ignores:
/// memory bandwidth, caches, the shared disk).
const MARGIN: f64 = 1.1;

/// The number of concurrent builds (≤ `max`) giving the most bits of search per unit of wall time.
pub fn best_concurrency(speedup: f64, idle: f64, max: usize) -> usize {
    let s = speedup.max(1.0);
    let idle = idle.max(1.0);
    let rate = |k: usize| ((k + 1) as f64).log2() / (k as f64 * s / idle).max(1.0);
    let mut best = 1;
    for k in 2..=max.max(1) {
        if rate(k) > rate(best) * MARGIN {
            best = k;
        }
    }
    best
}

impl Parallelism {
    pub fn new(store_root: &Path, max: usize) -> Parallelism {
        let file = store_root.join("build-speedup.json");
        let measured = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Parallelism { max: max.max(1), cores, file, measured: Mutex::new(measured), running: AtomicUsize::new(1) }
    }

    /// The build's measured parallel speed-up, if any build was timed.
    pub fn speedup(&self) -> Option<f64> {
        self.measured.lock().ok().and_then(|m| m.map(|m| m.speedup))
    }

    /// How many builds to run at once; `None` while unmeasured (then build one alone to measure).
    pub fn concurrency(&self) -> Option<usize> {
        if self.max == 1 {
            return Some(1);
        }
        let s = self.speedup()?.max(1.0);
        // Cores others keep busy (the load average, less what our own last round's builds added) are not ours.
        let ours = self.running.load(Ordering::Relaxed) as f64 * s;
        let others = load_average().map_or(0.0, |l| (l - ours).max(0.0));
        Some(best_concurrency(s, self.cores as f64 - others, self.max))
    }

    /// Notes how many builds a round runs at once, so the load they add is not taken for others'.
    pub fn running(&self, k: usize) {
        self.running.store(k.max(1), Ordering::Relaxed);
    }

    /// Folds in one build timed while it ran alone (a running mean) and remembers it for later runs.
    pub fn record(&self, t: Timing) {
        let Ok(mut m) = self.measured.lock() else { return };
        let next = match *m {
            Some(Measured { speedup, builds }) => Measured {
                speedup: (speedup * builds as f64 + t.speedup()) / (builds as f64 + 1.0),
                builds: builds.saturating_add(1),
            },
            None => Measured { speedup: t.speedup(), builds: 1 },
        };
        *m = Some(next);
        let _ = crate::store::write_atomically(&self.file, &serde_json::to_vec(&next).unwrap_or_default());
    }
}

/// The one-minute load average (Linux).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::best_concurrency;

    #[test]
    fn two_builds_run_at_once_only_when_one_leaves_a_core_idle() {
        // TinyCC's make -j2 tcc: mostly libtcc.c alone.
        assert_eq!(best_concurrency(1.1, 2.0, 2), 2);
        assert_eq!(best_concurrency(1.0, 2.0, 4), 2, "three would not fit two cores");
        // A build that fills both cores, or a machine whose other core is taken.
        assert_eq!(best_concurrency(1.9, 2.0, 2), 1);
        assert_eq!(best_concurrency(1.1, 1.0, 2), 1);
        // Eight idle cores and a serial build: as many as allowed.
        assert_eq!(best_concurrency(1.0, 8.0, 4), 4);
        assert_eq!(best_concurrency(1.1, 2.0, 1), 1);
    }
}
