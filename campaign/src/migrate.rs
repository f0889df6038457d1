//! Stores written by an earlier kreloc keep loading. Warnings stored as text load as `WarningKind::Legacy`;
//! progress saved under a resume key hashed from `Debug` output is taken over (`debug_key`); and causes of stores
//! written before a change kind was folded into another: they still load, and each names
//! the cause that supersedes it. A store written before `RunsWrong` has one cause per symptom and address
//! (`WrongChecksum`, `RunFailed`); its superseding cause is the same step with the address class of the
//! showing cell's runs, read from a stored program's verdicts (or, without one, the one address it names).

use std::path::Path;

use crate::attribute::RootCause;
use crate::campaign::ResumeKey;
use crate::change::{runs_wrong, AddressClass, Change};
use crate::examine::Examined;
use crate::signature::RunResult;
use crate::store::{load_json, Sighting};

/// The cause that supersedes `old`, or `None` if `old` is of a current kind.
pub fn superseding(dir: &Path, old: &RootCause, sightings: &[Sighting]) -> Option<RootCause> {
    let at = match &old.change {
        // A real purgatory's run (`kreloc kernel`, kept under `kernel/`) is still one `RunFailed` per fault.
        Change::RunFailed { .. } if dir.join("kernel").is_dir() => return None,
        Change::WrongChecksum { at } | Change::RunFailed { at, .. } => *at,
        _ => return None,
    };
    let class = stored_class(dir, sightings).unwrap_or(AddressClass::At { addresses: vec![at] });
    Some(RootCause { step: old.step.clone(), change: Change::RunsWrong { class } })
}

/// The address class of a showing cell's runs in the first stored program that has its verdicts.
fn stored_class(dir: &Path, sightings: &[Sighting]) -> Option<AddressClass> {
    sightings.iter().find_map(|s| {
        let ex: Examined = load_json(&dir.join("programs").join(&s.program).join("verdicts.json"))?;
        s.cells.iter().find_map(|pair| {
            let cell = ex.cells.iter().find(|c| c.cell == pair.to)?;
            let runs: Vec<(u64, RunResult)> =
                cell.signature.as_ref()?.runs.iter().map(|(a, r)| (*a, r.clone())).collect();
            match runs_wrong(&runs, ex.expected_checksum)?.0 {
                Change::RunsWrong { class } => Some(class),
                _ => None,
            }
        })
    })
}

/// The resume key as kreloc wrote it before keys were the JSON of `ResumeKey`: a hash of `Debug` output, with
/// profile names as the profiles render them.
pub fn debug_key(key: &ResumeKey) -> String {
    let profiles: Vec<String> = key.profiles.iter().map(ToString::to_string).collect();
    let text = format!("{}|{:?}|{profiles:?}|{:?}|{}", key.seed, key.cells, key.addresses, key.program_size);
    crate::signature::short_hash(text.as_bytes())
}
