//! A content-addressed cache of compile outcomes: keyed by toolchain identity, language, config, link
//! style and source text. Entries are written atomically, so concurrent or interrupted runs are safe.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::CompileOutcome;

/// The cache directory and its hit/miss counters.
pub struct Cache {
    dir: Option<PathBuf>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    outcome: CompileOutcome,
}

impl Cache {
    /// A cache in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: Some(dir.into()), hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The default location (`$KRELOC_CACHE_DIR` or `$XDG_CACHE_HOME/kreloc/objects`).
    pub fn default_location() -> Cache {
        Cache::at(crate::dirs::object_cache())
    }

    /// No caching (every lookup misses, nothing is stored).
    pub fn disabled() -> Cache {
        Cache { dir: None, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The key of a compile.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        kreloc_atomic::digest::hex(&h.finalize())
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(&key[..2]).join(format!("{key}.json")))
    }

    /// A stored outcome (counted as a hit), or `None` (counted as a miss).
    pub fn get(&self, key: &str) -> Option<CompileOutcome> {
        let found =
            self.path(key).and_then(|p| std::fs::read(p).ok()).and_then(|b| serde_json::from_slice::<Entry>(&b).ok());
        match found {
            Some(e) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(e.outcome.cached())
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores an outcome (timeouts are not stored: they may pass next time).
    pub fn put(&self, key: &str, outcome: &CompileOutcome) {
        let Some(path) = self.path(key) else { return };
        if matches!(outcome, CompileOutcome::Timeout { .. }) {
            return;
        }
        let Ok(bytes) = serde_json::to_vec(&Entry { outcome: outcome.clone() }) else { return };
        // Writers of one key store identical outcomes, so an atomic write is all a race needs; a failed
        // write only costs a compile next time.
        let _ = kreloc_atomic::write(&path, &bytes);
    }
}
