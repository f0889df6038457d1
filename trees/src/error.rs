//! Why a tree could not be built, judged, stored or triaged, with the exit code each is.

use std::path::PathBuf;

use kreloc_cli::exit::Code;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--src` lacks the file that says what the tree is.
    #[error("{}: {source} (is --src {expected}?)", path.display())]
    NotATree {
        path: PathBuf,
        /// `a Linux tree`, `an x86 Linux tree`, `a kexec-tools tree`.
        expected: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A Linux Makefile without one of its version fields.
    #[error("the Makefile has no {field}")]
    NoVersionField { field: &'static str },
    #[error("{}: no AC_INIT version, or no purgatory/Makefile beside it (is --src a kexec-tools tree?)", configure_ac.display())]
    NoKexecToolsVersion { configure_ac: PathBuf },
    #[error("{}: no $(PURGATORY): CFLAGS", makefile.display())]
    NoPurgatoryCflags { makefile: PathBuf },
    #[error("--kconfig {}: {source}", path.display())]
    Kconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("'{name}' is not a purgatory flag set (tree, or a config with a year: kreloc toolchains list)")]
    UnknownFlagSet { name: String },
    /// A `--toolchains` spec that does not resolve.
    #[error("{spec}: {source}")]
    Toolchain {
        spec: String,
        #[source]
        source: kreloc_toolchains::Error,
    },
    /// A toolchain whose driver the trees' Makefiles cannot call.
    #[error("{toolchain}: kreloc kernel drives gcc and clang only")]
    NotADriver { toolchain: String },
    #[error("LLVM=1 needs {} beside {} (install llvm-N and lld-N of its release: scripts/setup.sh)", missing.join(", "), clang.display())]
    MissingLlvmTools { missing: Vec<&'static str>, clang: PathBuf },
    #[error("locking the build tree {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A build step that could not start.
    #[error("{step}: {source}")]
    Spawn {
        step: String,
        #[source]
        source: kreloc_toolchains::process::SpawnError,
    },
    /// A build step that failed; `why` is the compiler's or linker's own error line (or make's last lines).
    #[error("{step} failed{}: {why}", if *timed_out { " (timed out)" } else { "" })]
    Build { step: String, timed_out: bool, why: String },
    #[error("purgatory.ro: {0}")]
    Parse(#[source] kreloc_oracle::ParseError),
    /// The finding's `kernel/<id>/kernel.json` is missing or unreadable.
    #[error("{}: no readable kernel.json", case_dir.display())]
    NoCase { case_dir: PathBuf },
    /// The one triage (reading the finding, writing its report).
    #[error(transparent)]
    Triage(#[from] kreloc_bisect::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// An unknown flag set or toolchain spec is a usage error; anything else about the tree cannot be tested.
impl From<&Error> for Code {
    fn from(e: &Error) -> Code {
        match e {
            Error::UnknownFlagSet { .. } => Code::Usage,
            Error::Toolchain { source, .. } => Code::from(source),
            Error::Triage(e) => Code::from(e),
            _ => Code::CannotTest,
        }
    }
}
