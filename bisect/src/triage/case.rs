//! One triage for every kind of root cause: a `Case` (a generated program, or a real Linux or kexec-tools
//! tree) runs its stages into one `Stages` bookkeeping, and `triage_case` assembles and writes the one
//! report (triage.md, triage.json, upstream.md).

use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use kreloc_campaign::reduce_finding::{ReduceError, Reduced};
use kreloc_campaign::store::{summarize, Summary};

use super::{write_report_for, CommitAnswer, FlagAnswer, KernelReproducer, ReleaseAnswer, TriageReport};
use crate::pass::PassReport;
use crate::upstream::Audience;
use crate::Error;

/// A root cause to triage.
pub trait Case {
    /// Runs this case's stages, each recorded in `stages`, and says what they found.
    fn run(&mut self, finding: &Summary, stages: &mut Stages) -> Result<Answers, Error>;
}

/// What a case's stages found: the report's parts besides the finding and its stages.
#[derive(Debug, Default)]
pub struct Answers {
    pub summary: String,
    pub reduced: Option<Reduced>,
    pub release: Option<ReleaseAnswer>,
    pub flags: Option<FlagAnswer>,
    pub commit: Option<CommitAnswer>,
    pub pass: Option<PassReport>,
    pub kernel: Option<KernelReproducer>,
}

/// Triages the finding in `dir` as `case`; `upstream.md` is for `audience` (default: the step's tracker).
pub fn triage_case(
    dir: &Path,
    case: &mut dyn Case,
    progress: bool,
    audience: Option<Audience>,
) -> Result<TriageReport, Error> {
    let finding = summarize(dir).map_err(ReduceError::from)?;
    let mut stages = Stages::new(progress, &finding.fingerprint);
    let answers = case.run(&finding, &mut stages)?;
    stages.bar.finish_and_clear();
    let report = TriageReport {
        schema: kreloc_cli::json::KRELOC,
        finding,
        summary: answers.summary,
        stages: stages.done,
        reduced: answers.reduced,
        release: answers.release,
        flags: answers.flags,
        commit: answers.commit,
        pass: answers.pass,
        kernel: answers.kernel,
    };
    write_report_for(dir, &report, audience)?;
    Ok(report)
}

/// A triage stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageName {
    Reduce,
    ReleaseBisect,
    FlagBisect,
    Pass,
    CommitBisect,
}

impl std::fmt::Display for StageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StageName::Reduce => "reduce",
            StageName::ReleaseBisect => "release-bisect",
            StageName::FlagBisect => "flag-bisect",
            StageName::Pass => "pass",
            StageName::CommitBisect => "commit-bisect",
        })
    }
}

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Done,
    Skipped,
    Failed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        })
    }
}

/// One stage as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub stage: StageName,
    pub status: Status,
    pub detail: String,
    pub elapsed_ms: u64,
}

/// The stages run so far, and a bar over them.
pub struct Stages {
    bar: ProgressBar,
    done: Vec<Stage>,
}

impl Stages {
    fn new(show: bool, fingerprint: &str) -> Stages {
        let bar = if show { ProgressBar::new(4) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] triage {prefix} [{pos}/{len}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(fingerprint.to_string());
        bar.enable_steady_tick(Duration::from_millis(150));
        Stages { bar, done: Vec::new() }
    }

    /// Says what runs now; the instant the stage's time counts from.
    pub fn start(&self, what: &str) -> Instant {
        self.bar.set_message(what.to_string());
        Instant::now()
    }

    pub fn end(&mut self, stage: StageName, status: Status, detail: String, since: Instant) {
        self.done.push(Stage { stage, status, detail, elapsed_ms: since.elapsed().as_millis() as u64 });
        self.bar.inc(1);
    }

    /// One more stage than the four the bar counts.
    pub fn add_one(&self) {
        self.bar.inc_length(1);
    }
}
