//! Judging one compiled object: windows and loads under each profile, and runs at real addresses.

use std::collections::BTreeMap;

use kreloc_oracle::{window, Object, Profile, ProfileId};

use crate::sandbox::{NotJudged, RunFailure};
use crate::signature::{RunResult, Signature, WindowClass};

/// Runs relocated code (the sandbox); kept behind a trait so the campaign can be tested without it.
pub trait Executor: Send + Sync {
    /// Runs `image` (relocated for `load`) with `memsz` bytes mapped, calling `load + entry_offset`.
    fn run(&self, image: &[u8], memsz: u64, load: u64, entry_offset: u64) -> RunResult;
}

/// Profiles, addresses and the executor a campaign judges objects with.
pub struct Judge {
    pub profiles: Vec<Box<dyn Profile>>,
    /// The profile whose relocation is executed (the first of `profiles`).
    pub addresses: Vec<u64>,
    pub executor: Option<Box<dyn Executor>>,
    /// The function executions call: `void kreloc_entry(unsigned long *out)`.
    pub entry_symbol: String,
}

impl Judge {
    /// A judge for the given profiles and addresses, without execution.
    pub fn new(profiles: &[ProfileId], addresses: &[u64]) -> Judge {
        let profiles = profiles.iter().map(|p| p.profile()).collect();
        Judge { profiles, addresses: addresses.to_vec(), executor: None, entry_symbol: "kreloc_entry".into() }
    }

    /// The signature of an object.
    pub fn signature(&self, obj: &Object) -> Signature {
        let mut loads = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut window_class = WindowClass::Nowhere;
        for (i, p) in self.profiles.iter().enumerate() {
            let w = window::window(obj, &**p);
            if i == 0 {
                window_class = WindowClass::of(&w);
            }
            let ok = self.addresses.iter().all(|&at| {
                let v = kreloc_oracle::load(obj, &**p, at);
                warnings.extend(v.warnings.iter().map(kreloc_oracle::Warning::kind));
                v.good
            });
            loads.insert(p.name(), ok);
        }
        warnings.sort();
        warnings.dedup();
        let runs = self.addresses.iter().map(|&at| (at, self.run_at(obj, at))).collect();
        Signature { loads, window: window_class, runs, warnings }
    }

    fn run_at(&self, obj: &Object, at: u64) -> RunResult {
        let (Some(exec), Some(p)) = (&self.executor, self.profiles.first()) else { return RunResult::NotLoaded };
        let v = kreloc_oracle::load(obj, &**p, at);
        if !v.loaded {
            return RunResult::NotLoaded;
        }
        match kreloc_exec::run_object::entry_offset(obj, &v, at, &self.entry_symbol) {
            Ok(entry) => exec.run(&v.image, v.memsz, at, entry),
            Err(_) => RunResult::Failed(RunFailure::NoEntry),
        }
    }
}

/// Takes out of the comparison every address where some cell's run was not judged: there, every cell's
/// run becomes not judged (the unjudged ones keep their reason), so no difference can come from the harness.
pub fn exclude_unjudged(signatures: &mut [&mut Signature]) {
    let unjudged: Vec<u64> = signatures
        .iter()
        .flat_map(|s| s.runs.iter().filter(|(_, r)| matches!(r, RunResult::NotJudged(_))).map(|(at, _)| *at))
        .collect();
    for s in signatures.iter_mut() {
        for at in &unjudged {
            if let Some(r) = s.runs.get_mut(at).filter(|r| !matches!(r, RunResult::NotJudged(_))) {
                *r = RunResult::NotJudged(NotJudged::ExcludedWithOthers);
            }
        }
    }
}
