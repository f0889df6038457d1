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
    /// The runner at `path` could not be written or started (serialized as `message`, its text).
    #[error("runner {path}: {source}")]
    Runner {
        path: String,
        #[serde(rename = "message")]
        source: RunnerError,
    },
    /// A system call on the sandbox's side failed while `what` (serialized as `message`, its text).
    #[error("{what}: {source}")]
    Os {
        what: &'static str,
        #[serde(rename = "message")]
        source: OsError,
    },
    #[error("runner ended without a result (state {state:#x}, wait status {status})")]
    NoResult { state: u64, status: String },
    #[error("seccomp strict mode is unavailable")]
    NoSeccomp,
    /// The timeout came before the runner entered the code (state 0: not started; else faulting in).
    #[error("runner had not entered the code at the timeout (state {state:#x})")]
    NotStarted { state: u64 },
}

/// Why the runner could not be had; serialized as its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunnerError {
    /// The cache fill's lock, scratch file or rename at `path`.
    #[error("{}: {source}", path.display())]
    Fill { path: std::path::PathBuf, source: OsError },
    /// Writing, reading or starting the runner file.
    #[error("{0}")]
    Io(#[from] OsError),
    /// A runner file already there is not this build's runner.
    #[error("holds {len} bytes, not the runner's {expected}")]
    WrongSize { len: u64, expected: u64 },
}

impl Serialize for RunnerError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An `io::Error` kept whole but shared, so that [`SandboxError`] stays `Clone`. It compares by what it
/// says and serializes as its text (the stored form of a sandbox error's `message`).
#[derive(Debug, Clone)]
pub struct OsError(pub std::sync::Arc<std::io::Error>);

impl From<std::io::Error> for OsError {
    fn from(e: std::io::Error) -> OsError {
        OsError(std::sync::Arc::new(e))
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for OsError {
    fn eq(&self, other: &OsError) -> bool {
        self.0.kind() == other.0.kind() && self.to_string() == other.to_string()
    }
}

impl Eq for OsError {}

impl Serialize for OsError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_errors_keep_their_text_and_their_json() {
        let ebadf = || OsError::from(std::io::Error::from_raw_os_error(libc::EBADF));
        let os = SandboxError::Os { what: "wait", source: ebadf() };
        assert_eq!(os.to_string(), format!("wait: {}", std::io::Error::from_raw_os_error(libc::EBADF)));
        assert!(std::error::Error::source(&os).is_some(), "the io::Error is kept");
        assert_eq!(
            serde_json::to_value(&os).unwrap(),
            serde_json::json!({ "os": { "what": "wait", "message": ebadf().to_string() } })
        );
        let runner =
            SandboxError::Runner { path: "/c/r".into(), source: RunnerError::WrongSize { len: 3, expected: 9 } };
        assert_eq!(runner.to_string(), "runner /c/r: holds 3 bytes, not the runner's 9");
        assert_eq!(
            serde_json::to_value(&runner).unwrap(),
            serde_json::json!({ "runner": { "path": "/c/r", "message": "holds 3 bytes, not the runner's 9" } })
        );
        assert_eq!(os.clone(), os);
    }
}
