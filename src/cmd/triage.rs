//! `kreloc triage FINDING`: reduce a root cause's smallest program, bisect its releases (and commits with
//! `--src`), and write `triage.md` and `triage.json` into the finding.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use kreloc_bisect::triage::{triage, TriageOptions, TriageReport};
use kreloc_bisect::upstream::Audience;
use kreloc_campaign::examine::{Cell, Examiner};
use kreloc_campaign::finding::JudgeFile;
use kreloc_campaign::reduce_finding::ReduceError;
use kreloc_campaign::setup::examiner;
use kreloc_cli::exit::Code;

use super::exit;

#[derive(Debug, Args, Clone)]
pub struct TriageArgs {
    /// A finding directory (OUT/findings/<fingerprint>)
    pub finding: PathBuf,
    #[command(flatten)]
    pub opts: TriageFlags,
}

/// Flags shared by `kreloc triage` and `kreloc fuzz --triage`.
#[derive(Debug, Args, Clone)]
pub struct TriageFlags {
    /// A git checkout of the step's compiler family: continue at commit level (needs --build, --compiler)
    #[arg(long, requires_all = ["build", "compiler"])]
    pub src: Option<PathBuf>,
    /// Last good revision in --src (default: the last good release's tag)
    #[arg(long, requires = "src")]
    pub good: Option<String>,
    /// First bad revision in --src (default: the first bad release's tag)
    #[arg(long, requires = "src")]
    pub bad: Option<String>,
    /// Build command run in each commit's worktree (with --src)
    #[arg(long, requires = "src")]
    pub build: Option<String>,
    /// The built compiler, relative to the build directory (with --src)
    #[arg(long, requires = "src")]
    pub compiler: Option<String>,
    /// Where builds are kept, by commit (default $XDG_CACHE_HOME/kreloc/builds)
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Most interestingness tests while reducing the AST (the whole-file text reduction after it gets 5 times as many)
    #[arg(long, default_value_t = 300)]
    pub max_tests: usize,
    /// Build timeout in seconds
    #[arg(long, default_value_t = 7200)]
    pub build_timeout: u64,
    /// Whose tracker upstream.md is for (default: the step's compiler family; the kernel's for a config)
    #[arg(long, value_enum)]
    pub upstream: Option<Audience>,
}

impl TriageFlags {
    fn options(&self, progress: bool, jobs: usize) -> TriageOptions {
        TriageOptions {
            src: self.src.clone(),
            good: self.good.clone(),
            bad: self.bad.clone(),
            build: self.build.clone(),
            compiler: self.compiler.clone(),
            store: self.store.clone().unwrap_or_else(|| kreloc_toolchains::dirs::cache_root().join("builds")),
            build_timeout: Duration::from_secs(self.build_timeout),
            jobs,
            max_tests: self.max_tests,
            progress,
            upstream: self.upstream,
        }
    }
}

/// Why a finding could not be triaged.
#[derive(Debug)]
pub enum Failure {
    Bisect(kreloc_bisect::Error),
    /// A kernel or kexec-tools tree's triage.
    Kernel(kreloc_trees::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Bisect(e) => e.fmt(f),
            Failure::Kernel(e) => e.fmt(f),
        }
    }
}

/// The same code kbisect gives for the same error.
impl From<&Failure> for Code {
    fn from(f: &Failure) -> Code {
        match f {
            Failure::Bisect(e) => Code::from(e),
            Failure::Kernel(e) => Code::from(e),
        }
    }
}

/// The campaign's examiner for a finding's cells (its profiles, addresses and execution).
fn examiner_for(dir: &Path) -> Result<impl Fn(Vec<Cell>) -> Examiner, kreloc_bisect::Error> {
    let program = kreloc_campaign::store::smallest_program(dir).map_err(ReduceError::from)?;
    let judge: JudgeFile = kreloc_campaign::store::load_json(&program.join("judge.json"))
        .ok_or_else(|| kreloc_bisect::Error::Usage(format!("{}: no judge.json", program.display())))?;
    Ok(move |cells: Vec<Cell>| examiner(cells, &judge.profiles, judge.exec, 2))
}

/// Triages one finding directory.
pub fn triage_dir(dir: &Path, flags: &TriageFlags, progress: bool) -> Result<TriageReport, Failure> {
    if let Some(case) = kreloc_trees::triage::kernel_case(dir) {
        return kreloc_trees::triage::triage(dir, &case, progress).map_err(Failure::Kernel);
    }
    let make = examiner_for(dir).map_err(Failure::Bisect)?;
    triage(dir, make, &flags.options(progress, 2)).map_err(Failure::Bisect)
}

/// Runs `kreloc triage`: exit 0 when triaged, else the code kbisect gives for the same error (2 usage, 125 cannot
/// test).
pub fn run(a: &TriageArgs, json: bool) -> i32 {
    match triage_dir(&a.finding, &a.opts, !json) {
        Ok(r) => {
            if json {
                kreloc_cli::json::print(&r);
            } else {
                print!("{}", std::fs::read_to_string(a.finding.join("triage.md")).unwrap_or_default());
            }
            exit::GOOD
        }
        Err(e) => kreloc_cli::json::error(Code::from(&e), e),
    }
}
