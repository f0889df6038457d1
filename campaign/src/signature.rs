//! The verdict signature of one compiled object: what the campaign compares across toolchains and configs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kreloc_oracle::window::Window;

/// How far an object's load window reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowClass {
    /// Every address the loader can choose.
    Anywhere,
    /// Only below 2 GiB (and possibly the top 2 GiB): R_X86_64_32S territory.
    Below2G,
    /// Only below 4 GiB: R_X86_64_32 territory.
    Below4G,
    /// Bounded some other way.
    Bounded,
    /// Nowhere.
    Nowhere,
}

impl WindowClass {
    /// Classifies a window by where its highest low-half address lies.
    pub fn of(w: &Window) -> WindowClass {
        if w.intervals.is_empty() {
            return WindowClass::Nowhere;
        }
        if w.intervals == w.loader_aligned() {
            return WindowClass::Anywhere;
        }
        let low_max = w.intervals.0.iter().filter(|(a, _)| *a < 1 << 63).map(|&(_, b)| b).max().unwrap_or(0);
        match low_max {
            0x7000_0000..=0x7fff_ffff => WindowClass::Below2G,
            0xf000_0000..=0xffff_ffff => WindowClass::Below4G,
            _ => WindowClass::Bounded,
        }
    }
}

/// What running the relocated code at one address gave.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// The checksum `kreloc_entry` returned.
    Checksum(u64),
    /// The loader refused the object there, so nothing ran.
    NotLoaded,
    /// Crashed, hung, or made a system call.
    Failed(crate::sandbox::RunFailure),
    /// The harness could not run it there (unmappable, memory limit, sandbox error): reported, never
    /// compared.
    NotJudged(crate::sandbox::NotJudged),
}

/// A compiled object's behaviour, as the oracle sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// The whole load succeeds (relocation, symbol steps, digest writes) and is entered correctly, per profile.
    pub loads: BTreeMap<String, bool>,
    pub window: WindowClass,
    /// Result per execution address.
    pub runs: BTreeMap<u64, RunResult>,
    /// Distinct warning kinds (stores written before they were typed load as `WarningKind::Legacy`).
    pub warnings: Vec<kreloc_oracle::WarningKind>,
}

impl Signature {
    /// A short stable id.
    pub fn id(&self) -> String {
        short_hash(&serde_json::to_vec(self).unwrap_or_default())
    }

    /// The checksum differs between addresses where the code ran to completion.
    pub fn checksum_unstable(&self) -> bool {
        let mut sums = self.runs.values().filter_map(|r| match r {
            RunResult::Checksum(c) => Some(*c),
            _ => None,
        });
        match sums.next() {
            Some(first) => sums.any(|c| c != first),
            None => false,
        }
    }
}

/// First 16 hex digits of SHA-256.
pub fn short_hash(bytes: &[u8]) -> String {
    kreloc_atomic::digest::hex(&Sha256::digest(bytes)[..8])
}
