//! How a run ended, as types.

use serde::Serialize;

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecOutcome {
    /// The entry returned; these are the four words it left in `out`.
    Returned { out: [u64; 4] },
    /// Killed by a signal (SIGSEGV, SIGILL, ...) while running the code.
    Crashed { signal: i32 },
    /// Still running at the wall-clock timeout, or past its CPU limit; killed.
    TimedOut,
    /// Made a system call that strict mode forbids, and was killed for it.
    SeccompKilled,
    /// Ended itself with the exit system call (the one call strict mode allows besides read/write).
    Exited { status: i32 },
    /// Needed more memory than the sandbox allows (image beyond RLIMIT_AS, or killed while faulting
    /// its pages in). The harness's limit, not the code's behaviour: not judged.
    OomKilled,
    /// The segment could not be mapped there. Not judged.
    Unmappable { addr: u64, reason: MapError },
    /// The sandbox itself failed. Not judged.
    SandboxError(SandboxError),
}

impl ExecOutcome {
    /// The harness could not run the code (not a behaviour of the code): such results are reported and
    /// excluded from comparisons.
    pub fn is_judged(&self) -> bool {
        !matches!(self, ExecOutcome::OomKilled | ExecOutcome::Unmappable { .. } | ExecOutcome::SandboxError(_))
    }
}

/// Why an address could not be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum MapError {
    #[error("not page aligned")]
    NotPageAligned,
    #[error("not a user-space range")]
    OutsideUserSpace,
    #[error("the kernel placed the mapping elsewhere")]
    PlacedElsewhere,
    /// mmap's errno (EEXIST: something is already mapped there).
    #[error("mmap: {}", std::io::Error::from_raw_os_error(*.0))]
    Mmap(i32),
}

/// The sandbox failed (a harness problem, never the code's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxError {
    #[error("entry offset {entry_offset:#x} or image size {image_len:#x} outside memsz {memsz:#x}")]
    BadRequest { entry_offset: u64, image_len: u64, memsz: u64 },
    #[error("execution is supported on x86_64 Linux only")]
    Unsupported,
    #[error("runner {path}: {message}")]
    Runner { path: String, message: String },
    #[error("{what}: {message}")]
    Os { what: &'static str, message: String },
    #[error("runner ended without a result (state {state:#x}, wait status {status})")]
    NoResult { state: u64, status: String },
    #[error("seccomp strict mode is unavailable")]
    NoSeccomp,
}

/// SIGSEGV, SIGILL, ...
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGSYS => "SIGSYS",
        libc::SIGKILL => "SIGKILL",
        libc::SIGXCPU => "SIGXCPU",
        _ => "signal",
    }
}
