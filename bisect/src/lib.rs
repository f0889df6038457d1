//! kbisect: bisect toolchain releases, toolchain commits and compiler flag sets to the first bad one,
//! with the kreloc oracle (or a script) as the predicate.
//!
//! It must not judge objects itself (the oracle does) or generate programs (gen); its command line lives
//! in `src/cli.rs` and renders typed reports only there.

pub mod builder;
pub mod case;
pub mod ccache;
pub mod commits;
pub mod elfshaker;
pub mod git;
pub mod judgement;
pub mod parallel;
pub mod predicate;
pub mod progress;
pub mod rawcc;
pub mod search;
pub mod spans;
pub mod state;
pub mod store;
pub mod triage;
pub mod worktree;

/// The built-in case: a purgatory-like program with seed 001's constructs (an assembly entry in .text
/// calling C, globals in .kexec-purgatory, tables, a switch, function pointers).
pub const BUILTIN_CASE: &str = include_str!("../fixtures/purgatory.c");

/// One-line errors with their exit codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong arguments or inputs (non-git path, unknown revision, bounds judged wrongly): exit 2.
    #[error("{0}")]
    Usage(String),
    #[error("git: {0}")]
    Git(String),
    #[error("{0}")]
    Toolchain(String),
    #[error("{0}")]
    Io(String),
    /// A tool kbisect needs is not installed: the candidate cannot be tested (exit 125).
    #[error("{0} not found; run scripts/setup.sh (it builds elfshaker 0.9.0 into the kreloc cache), or set KRELOC_ELFSHAKER")]
    MissingTool(&'static str),
    /// An elfshaker command failed.
    #[error("elfshaker {op}: {msg}")]
    Elfshaker { op: &'static str, msg: String },
    /// The predicate asked to abort (exit ≥ 128, as in git bisect).
    #[error("aborted: {0}")]
    Aborted(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Git(_) => 2,
            Error::Aborted(_) => 128,
            Error::Toolchain(_) | Error::Io(_) | Error::MissingTool(_) | Error::Elfshaker { .. } => 125,
        }
    }
}
pub mod flags;
pub mod pass;
pub mod releases;
pub mod upstream;
