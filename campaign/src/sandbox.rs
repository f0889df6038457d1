//! The exec crate's sandbox as the judge's executor, and the typed run results it gives.

use std::fmt;
use std::time::Duration;

use kreloc_exec::{run, ExecOutcome, ExecRequest};
use serde::{Deserialize, Serialize};

use crate::judge::Executor;
use crate::signature::RunResult;

/// Runs relocated code in a process of its own, under seccomp strict.
pub struct Sandbox {
    pub timeout: Duration,
}

impl Executor for Sandbox {
    fn run(&self, image: &[u8], memsz: u64, load: u64, entry_offset: u64) -> RunResult {
        let outcome = run(&ExecRequest {
            image,
            memsz,
            load_addr: load,
            entry_offset,
            timeout: self.timeout,
            ..ExecRequest::default()
        });
        match outcome {
            ExecOutcome::Returned { out } => RunResult::Checksum(out[0]),
            ExecOutcome::Crashed { signal } => RunResult::Failed(RunFailure::Crashed { signal }),
            ExecOutcome::SeccompKilled => RunResult::Failed(RunFailure::SystemCall),
            ExecOutcome::Exited { status } => RunResult::Failed(RunFailure::Exited { status }),
            ExecOutcome::TimedOut => RunResult::Failed(RunFailure::TimedOut),
            ExecOutcome::OomKilled => RunResult::NotJudged(NotJudged::MemoryLimit),
            ExecOutcome::Unmappable { reason, .. } => {
                RunResult::NotJudged(NotJudged::Unmappable { reason: reason.to_string() })
            }
            ExecOutcome::SandboxError(e) => RunResult::NotJudged(NotJudged::SandboxError { message: e.to_string() }),
        }
    }
}

/// How relocated code misbehaved: something the compiler or loader made it do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunFailure {
    Crashed {
        signal: i32,
    },
    /// Made a system call (seccomp strict killed it).
    SystemCall,
    /// Called exit itself.
    Exited {
        status: i32,
    },
    TimedOut,
    /// The object has no loaded `kreloc_entry`.
    NoEntry,
}

/// Text used in classes and reports (stable: fingerprints hash it).
impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunFailure::Crashed { signal } => f.write_str(kreloc_exec::outcome::signal_name(*signal)),
            RunFailure::SystemCall => f.write_str("seccomp"),
            RunFailure::Exited { .. } => f.write_str("exit"),
            RunFailure::TimedOut => f.write_str("timeout"),
            RunFailure::NoEntry => f.write_str("no-entry"),
        }
    }
}

/// Why a run at one address is not judged: the harness could not run it there. Such addresses are
/// reported and excluded from every cell's comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotJudged {
    Unmappable {
        reason: String,
    },
    MemoryLimit,
    SandboxError {
        message: String,
    },
    /// This cell ran there, but another cell of the same program could not: not compared.
    ExcludedWithOthers,
}
