//! Whether concurrent builds pay: a build that already keeps every core busy (`make -j`, ninja) gains
//! nothing from a second one beside it, it only halves both. The build's own speed-up (CPU time over wall
//! time, measured on a real build and remembered in the store) and the cores other processes leave idle
//! (the load average) decide how many run at once.

use std::path::{Path, PathBuf};
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
}

impl Parallelism {
    pub fn new(store_root: &Path, max: usize) -> Parallelism {
        let file = store_root.join("build-speedup.json");
        let measured = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Parallelism { max: max.max(1), cores, file, measured: Mutex::new(measured) }
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
        // Cores others keep busy (the load average, less what our own last build added) are not ours.
        let others = load_average().map_or(0.0, |l| (l - s).max(0.0));
        let idle = (self.cores as f64 - others).max(1.0);
        // k builds of speed-up s fill k·s cores; more than are idle only slows each of them.
        Some(((idle / s).floor() as usize).clamp(1, self.max))
    }

    /// Folds in one build timed while it ran alone (a running mean) and remembers it for later runs.
    pub fn record(&self, t: Timing) {
        let Ok(mut m) = self.measured.lock() else { return };
        let next = match *m {
            Some(Measured { speedup, builds }) => Measured { speedup: (speedup * builds as f64 + t.speedup()) / (builds as f64 + 1.0), builds: builds.saturating_add(1) },
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
