//! Judging one compiled object: windows and loads under each profile, and runs at real addresses.

use std::collections::BTreeMap;

use kreloc_oracle::{window, Object, Profile};

use crate::signature::{warning_kind, RunResult, Signature, WindowClass};

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
    /// A judge for the given profile names and addresses, without execution.
    pub fn new(profiles: &[&str], addresses: &[u64]) -> Result<Judge, String> {
        let profiles = profiles.iter().map(|p| kreloc_oracle::parse_profile(p).map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
        Ok(Judge { profiles, addresses: addresses.to_vec(), executor: None, entry_symbol: "kreloc_entry".into() })
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
                warnings.extend(v.warnings.iter().map(|w| warning_kind(&w.to_string())));
                v.ok
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
        let Some(sym) = obj.global_symbol(&self.entry_symbol) else { return RunResult::Failed(format!("no {}", self.entry_symbol)) };
        let Some(sec) = v.sections.iter().find(|s| s.index == sym.shndx as usize) else {
            return RunResult::Failed(format!("{} is not in a loaded section", self.entry_symbol));
        };
        exec.run(&v.image, v.memsz, at, sec.addr - at + sym.value)
    }
}
