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
    pub fn parse(s: &str) -> Result<Shard, crate::Error> {
        let (i, n) = s.split_once('/').ok_or_else(|| crate::Error::Shard(s.to_string()))?;
        let (index, count) = (i.trim().parse::<u64>(), n.trim().parse::<u64>());
        match (index, count) {
            (Ok(index), Ok(count)) if count > 0 && index < count => Ok(Shard { index, count }),
            _ => Err(crate::Error::Shard(s.to_string())),
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
        Self::resume_either(out, key, &[], shard)
    }

    /// The same, also taking over progress saved under one of `old` (the campaign's key in a form an earlier
    /// kreloc wrote); it is saved under `key` from then on.
    pub fn resume_either(out: &Path, key: &str, old: &[String], shard: Shard) -> Progress {
        match crate::store::load_json::<Progress>(&Self::path(out, shard)) {
            Some(p) if (p.key == key || old.contains(&p.key)) && p.shard == shard => Progress { key: key.into(), ..p },
            _ => Progress { key: key.to_string(), shard, done: 0, findings: 0, compiles: 0, cache_hits: 0 },
        }
    }

    /// Saves atomically.
    pub fn save(&self, out: &Path) -> std::io::Result<()> {
        crate::store::save_json(&Self::path(out, self.shard), self)
    }
}

/// Where `--shard auto` found its index and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, count from `--shard-count` or `KRELOC_SHARD_COUNT`.
    Kubernetes,
    /// Slurm job array: `SLURM_ARRAY_TASK_ID` (less `SLURM_ARRAY_TASK_MIN`), `SLURM_ARRAY_TASK_COUNT`.
    Slurm,
    /// Explicit `KRELOC_SHARD_INDEX` / `KRELOC_SHARD_COUNT` (a GitHub Actions matrix sets them from `matrix`).
    Explicit,
}

/// Why `--shard auto` could not decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoShardError {
    #[error("--shard auto: none of JOB_COMPLETION_INDEX (Kubernetes), SLURM_ARRAY_TASK_ID (Slurm) or KRELOC_SHARD_INDEX (GitHub Actions matrix, others) is set")]
    NoEngine,
    #[error("--shard auto: {engine:?} sets the index but not the count (pass --shard-count or set {hint})")]
    NoCount { engine: Engine, hint: &'static str },
    #[error("--shard auto: {var}={value} is not a non-negative integer")]
    NotANumber { var: String, value: String },
    #[error("--shard auto: SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")]
    BeforeFirstTask { id: u64, min: u64 },
    #[error("--shard auto: index {index} is not below count {count}")]
    OutOfRange { index: u64, count: u64 },
}

impl Shard {
    /// The shard a batch engine assigned, from its environment (`env(name)` reads one variable); `count`
    /// is the `--shard-count` given on the command line, if any.
    pub fn auto(env: impl Fn(&str) -> Option<String>, count: Option<u64>) -> Result<(Shard, Engine), AutoShardError> {
        let num = |var: &str| -> Result<Option<u64>, AutoShardError> {
            match env(var) {
                None => Ok(None),
                Some(v) => {
                    v.trim().parse().map(Some).map_err(|_| AutoShardError::NotANumber { var: var.into(), value: v })
                }
            }
        };
        let given = match count {
            Some(c) => Some(c),
            None => num("KRELOC_SHARD_COUNT")?,
        };
        let (engine, index, count, hint) = if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            (Engine::Kubernetes, i, given, "KRELOC_SHARD_COUNT to the Job's completions")
        } else if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            // `--array=1-4` numbers tasks from 1: the index is relative to the array's first task.
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let i = id.checked_sub(min).ok_or(AutoShardError::BeforeFirstTask { id, min })?;
            (Engine::Slurm, i, num("SLURM_ARRAY_TASK_COUNT")?.or(given), "--array=0-(N-1)")
        } else if let Some(i) = num("KRELOC_SHARD_INDEX")? {
            (Engine::Explicit, i, given, "KRELOC_SHARD_COUNT")
        } else {
            return Err(AutoShardError::NoEngine);
        };
        let count = count.ok_or(AutoShardError::NoCount { engine, hint })?;
        if index >= count {
            return Err(AutoShardError::OutOfRange { index, count });
        }
        Ok((Shard { index, count }, engine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn auto_reads_each_engine() {
        assert_eq!(
            Shard::auto(env(&[("JOB_COMPLETION_INDEX", "2"), ("KRELOC_SHARD_COUNT", "4")]), None),
            Ok((Shard { index: 2, count: 4 }, Engine::Kubernetes))
        );
        assert_eq!(
            Shard::auto(env(&[("JOB_COMPLETION_INDEX", "3")]), Some(4)),
            Ok((Shard { index: 3, count: 4 }, Engine::Kubernetes))
        );
        assert_eq!(
            Shard::auto(env(&[("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")]), None),
            Ok((Shard { index: 1, count: 4 }, Engine::Slurm))
        );
        assert_eq!(
            Shard::auto(env(&[("KRELOC_SHARD_INDEX", "0"), ("KRELOC_SHARD_COUNT", "2")]), None),
            Ok((Shard { index: 0, count: 2 }, Engine::Explicit))
        );
        assert_eq!(
            Shard::auto(
                env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")]),
                None
            ),
            Ok((Shard { index: 3, count: 4 }, Engine::Slurm))
        );
        assert_eq!(Shard::auto(env(&[]), Some(4)), Err(AutoShardError::NoEngine));
        assert!(matches!(
            Shard::auto(env(&[("JOB_COMPLETION_INDEX", "1")]), None),
            Err(AutoShardError::NoCount { .. })
        ));
        assert_eq!(
            Shard::auto(env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4")]), None),
            Err(AutoShardError::OutOfRange { index: 4, count: 4 })
        );
        assert!(matches!(
            Shard::auto(env(&[("KRELOC_SHARD_INDEX", "x"), ("KRELOC_SHARD_COUNT", "2")]), None),
            Err(AutoShardError::NotANumber { .. })
        ));
    }
}
