//! The build service under commit bisection: build a repository's commits in persistent worktrees
//! (through ccache), keep each build's artifacts once in a store shared by every run and predicate, and
//! decide how many builds run at once. It knows nothing of what a build is judged by.

use std::path::PathBuf;

pub mod builder;
pub mod ccache;
pub mod elfshaker;
pub mod parallel;
pub mod spans;
pub mod store;
pub mod worktree;

/// What can go wrong building, storing or extracting a commit.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A tool could not be started (or waited for).
    #[error("{tool}: {source}")]
    Spawn { tool: &'static str, source: kreloc_toolchains::process::SpawnError },
    /// A git command failed; `message` is the first line git printed.
    #[error("git: {command}: {message}")]
    Git { command: String, message: String },
    /// An `--artifacts` glob does not parse.
    #[error("--artifacts '{glob}': {source}")]
    Glob { glob: String, source: glob::PatternError },
    /// A build succeeded but left nothing the store should keep.
    #[error("the build of {} left nothing matching --artifacts {globs:?}", short_commit(commit))]
    NoArtifacts { commit: String, globs: Vec<String> },
    /// Every worktree slot is taken, by this process or by other kbisect processes.
    #[error("every worktree under {} is in use by another kbisect", root.display())]
    SlotsBusy { root: PathBuf },
    /// elfshaker is not installed: the candidate cannot be tested.
    #[error("{0} not found; run scripts/setup.sh (it builds elfshaker 0.9.0 into the kreloc cache), or set KRELOC_ELFSHAKER")]
    MissingTool(&'static str),
    /// `--packs` does not point at an elfshaker pack directory.
    #[error("--packs {}: no elfshaker_data/packs directory there (put the .pack and .pack.idx files in DIR/elfshaker_data/packs)", dir.display())]
    NoPacks { dir: PathBuf },
    /// An elfshaker command failed; `message` is what it printed.
    #[error("elfshaker {op}: {message}")]
    Elfshaker { op: &'static str, message: String },
}

impl Error {
    /// Whether the user's input is wrong (bad globs, a build keeping nothing, a wrong `--packs`,
    /// a revision git does not know) rather than the candidate untestable.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Glob { .. } | Error::NoArtifacts { .. } | Error::NoPacks { .. } | Error::Git { .. })
    }
}

/// An I/O error about `path`.
pub(crate) fn io_err(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_path_buf(), source }
}

/// A commit's first 12 hex digits, as logs show it.
pub fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}
