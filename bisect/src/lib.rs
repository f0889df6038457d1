//! kbisect: bisect toolchain releases, toolchain commits and compiler flag sets to the first bad one,
//! with the kreloc oracle (or a script) as the predicate.
//!
//! It must not judge objects itself (the oracle does) or generate programs (gen); its command line lives
//! in `src/cli.rs` and renders typed reports only there.

pub mod bisection;
pub mod case;
// The build store lives in its own crate; its modules keep their paths here.
pub use kreloc_buildstore::{builder, ccache, elfshaker, parallel, spans, store, worktree};
pub mod commits;
pub mod error;
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

pub use error::{Bound, Error, GitError, PassError, Usage};

pub mod flags;
pub mod pass;
pub mod releases;
pub mod upstream;
