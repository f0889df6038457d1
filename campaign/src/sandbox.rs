//! The oracle's sandbox as the judge's executor.

use std::time::Duration;

use kreloc_oracle::exec::{run, ExecOutcome, ExecRequest};

use crate::judge::Executor;
use crate::signature::RunResult;

/// Runs relocated code in a forked, seccomp-strict child.
pub struct Sandbox {
    pub timeout: Duration,
}

impl Executor for Sandbox {
    fn run(&self, image: &[u8], memsz: u64, load: u64, entry_offset: u64) -> RunResult {
        match run(&ExecRequest { image, memsz, load_addr: load, entry_offset, timeout: self.timeout }) {
            ExecOutcome::Returned { out } => RunResult::Checksum(out[0]),
            ExecOutcome::Crashed { name, .. } => RunResult::Failed(name),
            ExecOutcome::SeccompKilled => RunResult::Failed("seccomp".into()),
            ExecOutcome::TimedOut => RunResult::Failed("timeout".into()),
            ExecOutcome::Unmappable { .. } => RunResult::Failed("unmappable".into()),
            ExecOutcome::SandboxError(e) => RunResult::Failed(format!("sandbox: {e}")),
        }
    }
}
