//! kbisect: bisect toolchain releases, toolchain commits and compiler flag sets to the first bad one,
//! with the kreloc oracle (or a script) as the predicate.
//!
//! It must not judge objects itself (the oracle does) or generate programs (gen); its command line lives
//! in `src/cli.rs` and renders typed reports only there.

use kreloc_cli::exit::Code;

pub mod bisection;
pub mod case;
// The build store lives in its own crate; its modules keep their paths here.
pub use kreloc_buildstore::{builder, ccache, elfshaker, parallel, spans, store, worktree};
pub mod commits;
pub mod git;
pub mod judgement;
pub mod predicate;
pub mod progress;
pub mod rawcc;
pub mod search;
pub mod state;
pub mod triage;

/// The built-in case: a purgatory-like program with seed 001's constructs (an assembly entry in .text
/// calling C, globals in .kexec-purgatory, tables, a switch, function pointers).
pub const BUILTIN_CASE: &str = include_str!("../fixtures/purgatory.c");

/// One-line errors; `exit::Code::from` says which exit code each is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong arguments or inputs (non-git path, unknown revision, bounds judged wrongly): a usage error.
    #[error("{0}")]
    Usage(String),
    /// `--case` (or a triaged directory) is not a finding the campaign wrote: a usage error.
    #[error(transparent)]
    Finding(#[from] kreloc_campaign::reduce_finding::ReduceError),
    #[error("git: {0}")]
    Git(String),
    #[error("{0}")]
    Toolchain(String),
    #[error("{0}")]
    Io(String),
    /// Building, storing or extracting a commit failed.
    #[error(transparent)]
    Store(#[from] kreloc_buildstore::Error),
    /// The predicate asked to abort (exit ≥ 128, as in git bisect).
    #[error("aborted: {0}")]
    Aborted(String),
}

impl From<&Error> for Code {
    fn from(e: &Error) -> Code {
        match e {
            Error::Usage(_) | Error::Finding(_) | Error::Git(_) => Code::Usage,
            Error::Aborted(_) => Code::Abort,
            Error::Store(e) if e.is_usage() => Code::Usage,
            Error::Store(_) | Error::Toolchain(_) | Error::Io(_) => Code::CannotTest,
        }
    }
}

pub mod flags;
pub mod pass;
pub mod releases;
pub mod upstream;
