//! Relocating an object with the oracle and running it.

use std::time::Duration;

use serde::Serialize;

use crate::{run, ExecOutcome, ExecRequest};

/// Why an object could not be run at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{0}")]
pub struct NotRunnable(pub String);

/// Relocates `obj` under `profile` for `link_addr` and runs the resulting image at `run_addr`, calling
/// the global function `entry`. With `link_addr == run_addr` this is a normal load; with different
/// addresses it shows what code that is only correct at its link address does elsewhere (seed 002).
pub fn run_object(
    obj: &kreloc_oracle::Object,
    profile: &dyn kreloc_oracle::Profile,
    link_addr: u64,
    run_addr: u64,
    entry: &str,
    timeout: Duration,
) -> Result<ExecOutcome, NotRunnable> {
    let v = kreloc_oracle::load(obj, profile, link_addr);
    if !v.loaded {
        return Err(NotRunnable(format!("does not load at {link_addr:#x}: {}", v.failure_text().unwrap_or_default())));
    }
    let entry_offset = entry_offset(obj, &v, link_addr, entry)?;
    Ok(run(&ExecRequest {
        image: &v.image,
        memsz: v.memsz,
        load_addr: run_addr,
        entry_offset,
        timeout,
        ..ExecRequest::default()
    }))
}

/// Where the global function `entry` lies in the image `v` (loaded at `load_addr`), from its start.
pub fn entry_offset(
    obj: &kreloc_oracle::Object,
    v: &kreloc_oracle::Verdict,
    load_addr: u64,
    entry: &str,
) -> Result<u64, NotRunnable> {
    let sym = obj.global_symbol(entry).ok_or_else(|| NotRunnable(format!("no global symbol {entry}")))?;
    let sec = v
        .sections
        .iter()
        .find(|s| s.index == sym.shndx as usize)
        .ok_or_else(|| NotRunnable(format!("{entry} is not in a loaded section")))?;
    sec.addr
        .checked_sub(load_addr)
        .and_then(|o| o.checked_add(sym.value))
        .filter(|&o| o < v.memsz)
        .ok_or_else(|| NotRunnable(format!("{entry} lies outside the image")))
}
