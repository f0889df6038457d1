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
pub mod refusal;
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

/// Everything that can go wrong, as one-line messages (rendered only by the command line).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Spawn(#[from] process::SpawnError),
    /// A toolchain spec that does not parse; `given` is what the user typed.
    #[error(
        "bad toolchain '{given}': use gcc@12, llvm@17, llvm@17.0.6, clang-19, zig@0.13.0, rustc or path:/path/to/cc"
    )]
    BadSpec { given: String },
    #[error(transparent)]
    NotInstalled(#[from] NotInstalled),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    #[error("unsupported: {0}")]
    Unsupported(#[from] Unsupported),
    /// The toolchain has no spelling for the config: the cell is not judged (not a compile error).
    /// `flag` is the config's own spelling of the flag.
    #[error("not expressible: {toolchain} has no spelling for {flag}")]
    NotExpressible { toolchain: &'static str, flag: String },
    #[error("install failed: {0}")]
    Install(#[from] Install),
    #[error("cannot read the version of {exe}: {output}")]
    Version { exe: String, output: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{}: {source}", path.display())]
    File {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}

/// A toolchain that this machine could have but does not.
#[derive(Debug, thiserror::Error)]
pub enum NotInstalled {
    /// `clang-19`, `gcc-11`: a binary looked up on PATH.
    #[error("{bin} is not on PATH; try `kreloc toolchains install {bin}`")]
    OnPath { bin: String },
    /// `gcc@12`: no catalog release of the family and version is installed; `spec` is what the user typed.
    #[error("{family}@{version} is not installed; run `kreloc toolchains install {spec}`")]
    Release { family: Family, version: Version, spec: String },
    /// `zig@0.13.0`, `rustc`: the release is not in the cache.
    #[error("{spec} is not installed; run `kreloc toolchains install {spec}`")]
    Spec { spec: String },
    /// `path:/x/cc` names no file.
    #[error("{}: no such compiler", .0.display())]
    NoSuchCompiler(std::path::PathBuf),
}

/// A toolchain that cannot be had here at all.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error("{0} cannot be provisioned here; available: {available}", available = catalog::describe_available())]
    NotProvisionable(spec::Spec),
    #[error("{family}@{version} cannot be had here; available: {available}", available = catalog::describe_available())]
    NoRelease { family: Family, version: Version },
    #[error("{bin} should be on the image but is not on PATH")]
    NotOnImage { bin: &'static str },
    #[error("no ld.lld on PATH (apt-get install lld-19)")]
    NoLld,
}

/// A toolchain that cannot do what was asked of it.
#[derive(Debug, thiserror::Error)]
pub enum Unsupported {
    /// `flag` is the config's own spelling.
    #[error("zig cc rejects {flag}")]
    ZigRejects { flag: String },
    /// `toolchain` is the toolchain's id.
    #[error("{toolchain} cannot compile Rust")]
    CannotCompileRust { toolchain: String },
    #[error("rustc cannot compile C")]
    RustcCannotCompileC,
}

/// Why provisioning a toolchain failed. A subprocess's stderr is kept as the text it printed.
#[derive(Debug, thiserror::Error)]
pub enum Install {
    #[error("pip install {requirement}: {stderr}")]
    Pip { requirement: String, stderr: String },
    /// `args`: the apt-get command line (without `sudo`).
    #[error("{}: {stderr}", .args.join(" "))]
    Apt { args: Vec<String>, stderr: String },
    /// The cache fill itself (its lock, scratch directory or rename) failed at `path`.
    #[error("{}: {source}", path.display())]
    Fill {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Marking the installed programs executable failed.
    #[error("{}: {source}", path.display())]
    RunBits {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn typed_errors_read_as_the_one_line_messages_users_see() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::BadSpec { given: "fortran@9".into() },
                "bad toolchain 'fortran@9': use gcc@12, llvm@17, llvm@17.0.6, clang-19, zig@0.13.0, rustc or path:/path/to/cc",
            ),
            (
                NotInstalled::OnPath { bin: "clang-99".into() }.into(),
                "clang-99 is not on PATH; try `kreloc toolchains install clang-99`",
            ),
            (
                NotInstalled::Release { family: Family::Gcc, version: Version(vec![12]), spec: "gcc@12".into() }.into(),
                "gcc@12 is not installed; run `kreloc toolchains install gcc@12`",
            ),
            (NotInstalled::NoSuchCompiler("/x/cc".into()).into(), "/x/cc: no such compiler"),
            (Unavailable::NoLld.into(), "no ld.lld on PATH (apt-get install lld-19)"),
            (Unavailable::NotOnImage { bin: "gcc" }.into(), "gcc should be on the image but is not on PATH"),
            (Unsupported::ZigRejects { flag: "-mfoo".into() }.into(), "unsupported: zig cc rejects -mfoo"),
            (Unsupported::RustcCannotCompileC.into(), "unsupported: rustc cannot compile C"),
            (
                Error::NotExpressible { toolchain: "rustc", flag: "-fsanitize=kcfi".into() },
                "not expressible: rustc has no spelling for -fsanitize=kcfi",
            ),
            (
                Install::Pip { requirement: "ziglang==0.13.0".into(), stderr: "no wheel".into() }.into(),
                "install failed: pip install ziglang==0.13.0: no wheel",
            ),
            (
                Install::Apt { args: vec!["apt-get".into(), "update".into()], stderr: "E: locked".into() }.into(),
                "install failed: apt-get update: E: locked",
            ),
            (Install::RunBits { path: "/c/zig".into(), source: io() }.into(), "install failed: /c/zig: permission denied"),
            (Error::File { path: "/t/purgatory.o".into(), source: io() }, "/t/purgatory.o: permission denied"),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
        let unavailable = Error::from(Unavailable::NoRelease { family: Family::Llvm, version: Version(vec![12]) });
        assert!(unavailable.to_string().starts_with("llvm@12 cannot be had here; available: "), "{unavailable}");
        assert!(Error::File { path: "/t/o".into(), source: io() }.source().is_some(), "the io::Error is kept");
        let fill = Error::from(Install::Fill { path: "/c/zig".into(), source: io() });
        assert!(fill.source().and_then(|s| s.source()).is_some(), "the io::Error is kept under Install");
    }
}
