//! kreloc's toolchains: discover, provision and drive gcc, clang, zig cc and rustc, with a content-addressed
//! object cache, child processes under timeouts in their own process groups, and a parallel compile matrix.
//!
//! It must not judge objects (that is the oracle's job) or decide what counts as a finding (campaign).

pub mod cache;
pub mod catalog;
pub mod compile;
pub mod config;
pub mod dirs;
pub mod discover;
pub mod driver;
pub mod identity;
pub mod install;
pub mod link;
pub mod matrix;
pub mod process;
pub mod spec;
pub mod upstream;

use serde::{Deserialize, Serialize};

pub use cache::Cache;
pub use compile::{CompileKind, CompileOutcome, Compiler, Source};
pub use config::CompileConfig;
pub use identity::{Family, Toolchain, ToolchainId, Version};
pub use spec::resolve;

/// Source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    C,
    Rust,
}

/// Everything that can go wrong, as one-line messages.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Spawn(#[from] process::SpawnError),
    #[error("bad toolchain {0}")]
    BadSpec(String),
    #[error("{0}")]
    NotInstalled(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The toolchain has no spelling for the config: the cell is not judged (not a compile error).
    #[error("not expressible: {0}")]
    NotExpressible(String),
    #[error("install failed: {0}")]
    Install(String),
    #[error("cannot read the version of {exe}: {output}")]
    Version { exe: String, output: String },
    #[error("{0}")]
    Io(String),
}
