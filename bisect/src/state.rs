//! Bisect state on disk, written atomically after every round, so an interrupted run resumes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::search::Judged;

/// Everything needed to resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Identifies the bisection (mode, bounds, predicate): another bisection's state is ignored.
    pub key: String,
    /// The candidates, in order (commit hashes or release names).
    pub candidates: Vec<String>,
    pub judged: Judged,
}

impl State {
    /// Resumes the state at `path` if it belongs to `key` and the same candidates, else starts fresh.
    pub fn resume(path: &Path, key: &str, candidates: &[String]) -> State {
        Self::saved(path, key, candidates).unwrap_or_else(|| State {
            key: key.to_string(),
            candidates: candidates.to_vec(),
            judged: Judged::default(),
        })
    }

    fn saved(path: &Path, key: &str, candidates: &[String]) -> Option<State> {
        kreloc_campaign::store::load_json::<State>(path).filter(|s| s.key == key && s.candidates == candidates)
    }

    /// The same, else the state an earlier kbisect saved at `old.0` under the key form `old.1`, taken over
    /// under `key`.
    pub fn resume_either(path: &Path, key: &str, old: (&Path, &str), candidates: &[String]) -> State {
        match Self::saved(old.0, old.1, candidates) {
            Some(s) if Self::saved(path, key, candidates).is_none() => State { key: key.to_string(), ..s },
            _ => State::resume(path, key, candidates),
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        kreloc_campaign::store::save_json(path, self)
    }
}

/// The default state file for a key: `$XDG_CACHE_HOME/kreloc/bisect/<hash>.json`.
pub fn default_path(key: &str) -> PathBuf {
    kreloc_toolchains::dirs::cache_root()
        .join("bisect")
        .join(format!("{}.json", kreloc_campaign::signature::short_hash(key.as_bytes())))
}
