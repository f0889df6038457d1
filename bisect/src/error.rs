//! kbisect's errors: typed, each keeping its source; `exit::Code::from` says which exit code each is.

use std::io;
use std::path::PathBuf;

use kreloc_cli::exit::Code;
use kreloc_toolchains::process::SpawnError;

use crate::judgement::Judgement;

/// One-line errors of a bisection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong arguments or inputs: a usage error.
    #[error(transparent)]
    Usage(#[from] Usage),
    /// `--case` (or a triaged directory) is not a finding the campaign wrote: a usage error.
    #[error(transparent)]
    Finding(#[from] kreloc_campaign::reduce_finding::ReduceError),
    #[error("git: {0}")]
    Git(#[from] GitError),
    /// Resolving, installing or driving a toolchain failed.
    #[error(transparent)]
    Toolchain(#[from] kreloc_toolchains::Error),
    /// A compiler or script could not be run.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// A compiler's output is not an object the oracle can read.
    #[error("{toolchain}: {source}")]
    Object {
        toolchain: String,
        #[source]
        source: kreloc_oracle::ParseError,
    },
    /// The compiler cannot tell its passes apart the way `kbisect pass` needs.
    #[error(transparent)]
    Pass(#[from] PassError),
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Scratch space (a temporary directory) could not be made.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Building, storing or extracting a commit failed.
    #[error(transparent)]
    Store(#[from] kreloc_buildstore::Error),
    /// The predicate asked to abort (exit ≥ 128, as in git bisect).
    #[error("aborted: the script exited with {status:?} (>= 128 aborts, as in git bisect)")]
    Aborted { status: Option<i32> },
}

impl Error {
    /// An I/O error on `path`.
    pub fn file(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::File { path: path.into(), source }
    }
}

/// Which bound of a bisection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Good,
    Bad,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bound::Good => "good",
            Bound::Bad => "bad",
        })
    }
}

/// A usage mistake: what was asked cannot be bisected as given (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Usage {
    #[error("{}: no such directory", .0.display())]
    NoDirectory(PathBuf),
    #[error("{} is not a git repository", .0.display())]
    NotGit(PathBuf),
    #[error("unknown revision '{rev}' in {}", repo.display())]
    UnknownRevision { rev: String, repo: PathBuf },
    #[error("good {good} is not an ancestor of bad {bad}")]
    NotAncestor { good: String, bad: String },
    #[error("good and bad are the same commit")]
    SameCommit,
    #[error("the {bound} commit {commit} does not build: {log}")]
    BoundDoesNotBuild { bound: Bound, commit: String, log: String },
    #[error("the good commit {good} and the bad commit {bad} behave the same on this case: nothing to bisect")]
    CommitsBehaveAlike { good: String, bad: String },
    #[error("the {bound} commit {commit} is judged {got:?}")]
    CommitJudged { bound: Bound, commit: String, got: Judgement },
    #[error("the stored artifacts {artifacts:?} do not include the compiler '{compiler}'; add it to --artifacts")]
    CompilerNotStored { artifacts: Vec<String>, compiler: String },
    #[error("{spec} cannot be had here; available: {available}")]
    NotProvisionable { spec: String, available: String },
    #[error("{family} {good}..{bad}: both must be provisionable and good < bad; available: {available}")]
    ReleaseSpan { family: String, good: u32, bad: u32, available: String },
    #[error(
        "{family} {good} and {bad} behave the same on this case: nothing to bisect (try another --config, --case or --regress)"
    )]
    ReleasesBehaveAlike { family: String, good: u32, bad: u32 },
    #[error("{bound} release {toolchain} is judged {got:?} ({messages:?})")]
    ReleaseJudged { bound: Bound, toolchain: String, got: Judgement, messages: Vec<String> },
    #[error("the good flags must be good and the bad flags bad (good: ok={good_ok} {good_messages:?}; bad: ok={bad_ok} {bad_messages:?})")]
    FlagBounds { good_ok: bool, good_messages: Vec<String>, bad_ok: bool, bad_messages: Vec<String> },
    #[error("no change between the flag sets")]
    NoFlagChange,
    #[error("kbisect pass bisects C compilers (clang, zig cc, gcc)")]
    PassNeedsC,
    #[error("the case is not bad with {toolchain} and these flags: no pass to look for")]
    PassCaseNotBad { toolchain: String },
    #[error("{}: no judge.json", .0.display())]
    NoJudgeFile(PathBuf),
    #[error("{}: {source}", path.display())]
    UnreadableCase {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("unknown config '{given}'; known: {known}")]
    UnknownConfig { given: String, known: String },
    #[error("--good/--bad '{good}'/'{bad}' are not release numbers; give --src to bisect commits")]
    NotReleaseNumbers { good: String, bad: String },
    #[error(
        "kbisect cc needs --src DIR, --build CMD (or --packs DIR) and --compiler PATH (relative to the source tree)"
    )]
    CcNeedsSrc,
    /// A commit bisection without what it needs to build the compiler.
    #[error(transparent)]
    Build(#[from] kreloc_cli::build_args::MissingBuild),
    #[error("--src is required for commit bisection")]
    SrcRequired,
    #[error("--cc is required unless --case is a finding directory")]
    CcRequired,
}

/// git could not be run, or said no.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// The first line of git's stderr.
    #[error("{0}")]
    Failed(String),
}

/// Why `kbisect pass` cannot bisect this compiler's passes.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("{toolchain} lists no passes with {how}")]
    NoPassList { toolchain: String, how: &'static str },
    #[error("-opt-bisect-limit={limit}: {why}")]
    NotJudged { limit: u32, why: String },
}

impl From<&Error> for Code {
    fn from(e: &Error) -> Code {
        match e {
            Error::Usage(_) | Error::Finding(_) | Error::Git(_) => Code::Usage,
            Error::Aborted { .. } => Code::Abort,
            Error::Store(e) if e.is_usage() => Code::Usage,
            Error::Store(_)
            | Error::Toolchain(_)
            | Error::Spawn(_)
            | Error::Object { .. }
            | Error::Pass(_)
            | Error::File { .. }
            | Error::Io(_) => Code::CannotTest,
        }
    }
}
