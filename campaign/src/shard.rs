//! Deterministic sharding and resumable progress: program k of a campaign has seed `mix(seed, k)` and
//! belongs to shard `k % n`, so any batch scheduler can run shards independently and reruns agree.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `--shard i/n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole campaign.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n` with `i < n`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("shard '{s}' is not i/n"))?;
        let (index, count) = (i.trim().parse::<u64>(), n.trim().parse::<u64>());
        match (index, count) {
            (Ok(index), Ok(count)) if count > 0 && index < count => Ok(Shard { index, count }),
            _ => Err(format!("shard '{s}' must be i/n with 0 <= i < n")),
        }
    }

    /// The k-th program index this shard owns.
    pub fn program_index(self, k: u64) -> u64 {
        k * self.count + self.index
    }
}

/// The seed of program `index` of a campaign started with `seed` (splitmix64).
pub fn program_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What a shard has done so far; saved after every program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Identifies the campaign (seed, matrix, profiles): a state file of another campaign is ignored.
    pub key: String,
    pub shard: Shard,
    /// Programs of this shard completed (the next one is `shard.program_index(done)`).
    pub done: u64,
    pub findings: u64,
    pub compiles: u64,
    pub cache_hits: u64,
}

impl Progress {
    /// The state file of a shard under the output directory.
    pub fn path(out: &Path, shard: Shard) -> PathBuf {
        out.join(format!("state-{}-of-{}.json", shard.index, shard.count))
    }

    /// Resumes the saved progress if it belongs to this campaign, else starts fresh.
    pub fn resume(out: &Path, key: &str, shard: Shard) -> Progress {
        match crate::store::load_json::<Progress>(&Self::path(out, shard)) {
            Some(p) if p.key == key && p.shard == shard => p,
            _ => Progress { key: key.to_string(), shard, done: 0, findings: 0, compiles: 0, cache_hits: 0 },
        }
    }

    /// Saves atomically.
    pub fn save(&self, out: &Path) -> std::io::Result<()> {
        crate::store::save_json(&Self::path(out, self.shard), self)
    }
}
