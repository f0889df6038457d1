//! ccache's hit counters, read before and after a bisection (`ccache --print-stats`), so the report says
//! how many compiles of this run came from the cache.

use std::time::Duration;

use serde::Serialize;

use kreloc_toolchains::process::Child;

/// Hit and miss counters (cumulative, as ccache keeps them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub hits: u64,
    pub misses: u64,
}

impl Counters {
    /// The counters now, or `None` without ccache.
    pub fn read() -> Option<Counters> {
        let out = Child::new("ccache", Duration::from_secs(30)).arg("--print-stats").run().ok()?;
        if !out.success() {
            return None;
        }
        Some(parse(&String::from_utf8_lossy(&out.stdout)))
    }

    /// What happened between `self` (before) and `after`.
    pub fn since(self, after: Counters) -> Counters {
        Counters { hits: after.hits.saturating_sub(self.hits), misses: after.misses.saturating_sub(self.misses) }
    }

    /// Hits over compiles (None when nothing was compiled).
    pub fn hit_rate(&self) -> Option<f64> {
        let total = self.hits.checked_add(self.misses)?;
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

fn parse(text: &str) -> Counters {
    let mut c = Counters::default();
    for line in text.lines() {
        let mut kv = line.split('\t');
        let (Some(k), Some(v)) = (kv.next(), kv.next().and_then(|v| v.trim().parse::<u64>().ok())) else { continue };
        match k {
            "direct_cache_hit" | "preprocessed_cache_hit" => c.hits = c.hits.saturating_add(v),
            "cache_miss" => c.misses = c.misses.saturating_add(v),
            _ => {}
        }
    }
    c
}
