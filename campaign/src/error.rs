//! What can go wrong setting a campaign up; rendered to text only by the command line.

/// A campaign that cannot start: a toolchain, config or shard it was given does not exist or parse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Toolchain(#[from] kreloc_toolchains::Error),
    #[error("unknown config '{given}'; known: {known}")]
    UnknownConfig { given: String, known: String },
    /// `0` is the shard as given.
    #[error("shard '{0}' must be i/n with 0 <= i < n")]
    Shard(String),
    /// A compile that gave no object where one was needed: how it ended and the commands it ran.
    #[error("{kind}: {}", .commands.join(" && "))]
    NoObject { kind: kreloc_toolchains::CompileKind, commands: Vec<String> },
    #[error(transparent)]
    Parse(#[from] kreloc_oracle::ParseError),
}
