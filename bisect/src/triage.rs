//! Triage of one root cause: reduce its smallest program, release-bisect the family across the step,
//! optionally continue at commit level in a checkout, and write `triage.md` / `triage.json` ready to paste
//! into a compiler bug report. A generated program is one `Case` of the one triage (`case.rs`); a real
//! Linux or kexec-tools tree is the other (kreloc-trees).

use std::path::{Path, PathBuf};

use serde::Serialize;

use kreloc_campaign::attribute::Step;
use kreloc_campaign::examine::{Cell, Examiner};
use kreloc_campaign::reduce_finding::{load_case, reduce_case, Reduced};
use kreloc_campaign::store::{write_atomically, Summary};
use kreloc_toolchains::{Family, ToolchainId};

use crate::commits::{CommitBisect, CommitPredicate};
use crate::releases::{bisect_releases, release_tag};
use crate::Error;

pub mod case;
pub use case::{triage_case, Answers, Case, Stage, StageName, Stages, Status};

/// How to triage.
pub struct TriageOptions {
    /// A git checkout of the step's family, to continue at commit level.
    pub src: Option<PathBuf>,
    /// Commit bounds (default: the release tags around the first bad release).
    pub good: Option<String>,
    pub bad: Option<String>,
    /// How the compiler is built at each commit (with `src`; the family's preset by default).
    pub build: kreloc_cli::build_args::BuildArgs,
    pub jobs: usize,
    pub max_tests: usize,
    pub progress: bool,
    /// Whose tracker `upstream.md` is written for (default: the step's family, the kernel's for a config).
    pub upstream: Option<crate::upstream::Audience>,
}

/// The first bad release.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseAnswer {
    pub family: String,
    pub last_good: u32,
    pub first_bad: u32,
    pub first_bad_toolchain: String,
    pub searched: Vec<u32>,
}

/// The 1-minimal flag change between the two configs of a config step.
#[derive(Debug, Clone, Serialize)]
pub struct FlagAnswer {
    pub toolchain: String,
    pub good_config: String,
    pub bad_config: String,
    pub culprit: Vec<String>,
    /// The same, typed (what the kernel form of upstream.md turns into a Makefile change).
    pub changes: Vec<crate::flags::FlagChange>,
    pub compiles: usize,
}

impl ReleaseAnswer {
    /// The summary's sentence.
    pub fn sentence(&self) -> String {
        format!(
            " First bad release: {} {} ({}); last good: {} {}.",
            self.family, self.first_bad, self.first_bad_toolchain, self.family, self.last_good
        )
    }
}

impl FlagAnswer {
    pub fn new(
        toolchain: String,
        good_config: String,
        bad_config: String,
        changes: Vec<crate::flags::FlagChange>,
        compiles: usize,
    ) -> FlagAnswer {
        let culprit = changes.iter().map(ToString::to_string).collect();
        FlagAnswer { toolchain, good_config, bad_config, culprit, changes, compiles }
    }

    /// The summary's sentence.
    pub fn sentence(&self) -> String {
        format!(
            " Of the flags between {} and {}, {} alone does it ({}).",
            self.good_config,
            self.bad_config,
            self.culprit.join(", "),
            self.toolchain
        )
    }
}

/// The first bad commit.
#[derive(Debug, Clone, Serialize)]
pub struct CommitAnswer {
    pub commit: String,
    pub subject: String,
    pub ambiguous: Vec<String>,
    pub candidates: usize,
}

/// For a finding from a real kernel tree (`kreloc kernel`): what rebuilds the good and the bad purgatory.
#[derive(Debug, Clone, Serialize)]
pub struct KernelReproducer {
    pub tree: String,
    pub version: String,
    pub good_cell: Option<String>,
    pub bad_cell: String,
    pub good_commands: Vec<String>,
    pub bad_commands: Vec<String>,
    /// The bad purgatory.ro, relative to the finding.
    pub object: String,
    pub loader_output: String,
}

/// `triage.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TriageReport {
    pub schema: &'static str,
    pub finding: Summary,
    pub summary: String,
    pub stages: Vec<Stage>,
    pub reduced: Option<Reduced>,
    pub release: Option<ReleaseAnswer>,
    /// For a config step: which flag of the config does it.
    pub flags: Option<FlagAnswer>,
    pub commit: Option<CommitAnswer>,
    /// The optimisation pass of the bad compiler that does it (or "not an optimisation").
    pub pass: Option<crate::pass::PassReport>,
    /// A finding from a real kernel tree instead of a generated program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelReproducer>,
}

/// Triages the finding in `dir`; `examiner_for` builds the campaign's examiner for the two cells.
pub fn triage(
    dir: &Path,
    examiner_for: impl Fn(Vec<Cell>) -> Examiner,
    opts: &TriageOptions,
) -> Result<TriageReport, Error> {
    triage_case(dir, &mut Generated { dir, examiner_for, opts }, opts.progress, opts.upstream)
}

/// A root cause generated programs showed: its smallest program is reduced, then bisected.
struct Generated<'a, F> {
    dir: &'a Path,
    examiner_for: F,
    opts: &'a TriageOptions,
}

impl<F: Fn(Vec<Cell>) -> Examiner> Case for Generated<'_, F> {
    fn run(&mut self, finding: &Summary, stages: &mut Stages) -> Result<Answers, Error> {
        generated(self.dir, &self.examiner_for, self.opts, finding, stages)
    }
}

fn generated(
    dir: &Path,
    examiner_for: impl Fn(Vec<Cell>) -> Examiner,
    opts: &TriageOptions,
    finding: &Summary,
    stages: &mut Stages,
) -> Result<Answers, Error> {
    let case = load_case(dir)?;

    let t = stages.start("reducing the smallest program");
    let reduced = match reduce_case(&case, examiner_for, opts.max_tests) {
        Ok(r) => {
            let mut detail =
                format!("{} → {} AST nodes in {} tests", r.stats.size_before, r.stats.size_after, r.stats.tests);
            match (&r.text, &r.text_skipped) {
                (Some(x), _) => {
                    detail += &format!(
                        ", then the whole file {} → {} lines in {} tests",
                        x.lines_before, x.lines_after, x.tests
                    )
                }
                (None, Some(why)) => detail += &format!("; no whole-file reduction: {why}"),
                _ => {}
            }
            stages.end(StageName::Reduce, Status::Done, detail, t);
            Some(r)
        }
        Err(e) => {
            stages.end(StageName::Reduce, Status::Failed, e.to_string(), t);
            None
        }
    };

    let t = stages.start("bisecting releases");
    let fc = crate::case::load(dir)?;
    let pred = fc.predicate(None, &[]);
    // The release bisection's bounds, typed, where the commit bisection starts.
    let mut bounds: Option<(ToolchainId, ToolchainId)> = None;
    let release = match (&fc.step, reduced.is_some()) {
        (Step::Release { family, from, to }, true) if *family != Family::Rustc => {
            match bisect_releases(*family, *from, *to, &pred, None, opts.jobs, false, false) {
                Ok(r) => {
                    stages.end(
                        StageName::ReleaseBisect,
                        Status::Done,
                        format!("first bad: {} {} ({})", r.family, r.first_bad, r.first_bad_toolchain),
                        t,
                    );
                    bounds = Some((r.last_good_toolchain, r.first_bad_toolchain.clone()));
                    Some(ReleaseAnswer {
                        family: r.family,
                        last_good: r.last_good,
                        first_bad: r.first_bad,
                        first_bad_toolchain: r.first_bad_toolchain.to_string(),
                        searched: r.releases,
                    })
                }
                Err(e) => {
                    stages.end(StageName::ReleaseBisect, Status::Failed, e.to_string(), t);
                    None
                }
            }
        }
        (Step::Release { .. }, false) => {
            stages.end(StageName::ReleaseBisect, Status::Skipped, "the finding did not reproduce".into(), t);
            None
        }
        (Step::FixedIn { .. }, _) => {
            stages.end(
                StageName::ReleaseBisect,
                Status::Skipped,
                "a fix: the newer release lost the problem, nothing broke".into(),
                t,
            );
            None
        }
        (step, _) => {
            stages.end(
                StageName::ReleaseBisect,
                Status::Skipped,
                format!("the step ({}) is not between releases of one family", step.title()),
                t,
            );
            None
        }
    };

    let flags = match (&fc.step, &reduced, &case.from) {
        (Step::Config { .. }, Some(_), Some(from)) => {
            stages.add_one();
            let t = stages.start("bisecting the config's flags");
            let named = |c: &Cell| {
                kreloc_toolchains::config::named(&c.config_name)
                    .map(|n| n.flags.iter().map(|f| f.to_string()).collect::<Vec<_>>())
                    .unwrap_or_else(|| c.config.c_flags())
            };
            match crate::flags::bisect_flags(
                &named(from),
                &named(&case.to),
                &case.to.toolchain,
                &fc.predicate(None, &[]),
            ) {
                Ok(r) => {
                    let culprit: Vec<String> = r.culprit.iter().map(|c| c.to_string()).collect();
                    stages.end(
                        StageName::FlagBisect,
                        Status::Done,
                        format!(
                            "{} → {} with {}: {}",
                            from.config_name,
                            case.to.config_name,
                            case.to.toolchain.id(),
                            culprit.join(", ")
                        ),
                        t,
                    );
                    Some(FlagAnswer::new(
                        case.to.toolchain.id(),
                        from.config_name.clone(),
                        case.to.config_name.clone(),
                        r.culprit,
                        r.compiles,
                    ))
                }
                Err(e) => {
                    stages.end(StageName::FlagBisect, Status::Failed, e.to_string(), t);
                    None
                }
            }
        }
        _ => None,
    };

    let t = stages.start("bisecting the bad compiler's passes");
    let pass = match (&reduced, case.to.language()) {
        (Some(_), kreloc_toolchains::Language::C) => {
            match crate::pass::bisect_pass(&case.to.toolchain, &fc.predicate(None, &[])) {
                Ok(p) => {
                    stages.end(StageName::Pass, Status::Done, p.sentence(), t);
                    Some(p)
                }
                Err(e) => {
                    stages.end(StageName::Pass, Status::Failed, e.to_string(), t);
                    None
                }
            }
        }
        (None, _) => {
            stages.end(StageName::Pass, Status::Skipped, "the finding did not reproduce".into(), t);
            None
        }
        (Some(_), _) => {
            stages.end(StageName::Pass, Status::Skipped, "the bad cell compiles Rust".into(), t);
            None
        }
    };

    let t = stages.start("bisecting commits");
    let commit = match (&opts.src, &fc.releases) {
        (Some(src), Some((family, _, _))) => {
            let good = opts.good.clone().or_else(|| bounds.as_ref().map(|(g, _)| release_tag(*family, &g.version)));
            let bad = opts.bad.clone().or_else(|| bounds.as_ref().map(|(_, b)| release_tag(*family, &b.version)));
            match (good, bad) {
                (Some(good), Some(bad)) => {
                    let setup = opts.build.setup(Some(*family), false).map_err(crate::Usage::from)?;
                    let b = CommitBisect {
                        src: src.clone(),
                        good,
                        bad,
                        build: setup.build,
                        artifacts: setup.artifacts,
                        compiler: setup.compiler,
                        family: *family,
                        cflags: None,
                        predicate: CommitPredicate::Oracle(Box::new(fc.predicate(None, &[]))),
                        jobs: opts.jobs,
                        store: opts.build.store(),
                        state: None,
                        build_timeout: opts.build.timeout(),
                        ccache: !opts.build.no_ccache,
                        progress: false,
                        sources: Default::default(),
                    };
                    match b.bisect() {
                        Ok(r) => {
                            stages.end(
                                StageName::CommitBisect,
                                Status::Done,
                                format!("first bad: {} {}", crate::git::short(&r.first_bad), r.subject),
                                t,
                            );
                            Some(CommitAnswer {
                                commit: r.first_bad,
                                subject: r.subject,
                                ambiguous: r.ambiguous.iter().map(|k| format!("{} {}", k.commit, k.subject)).collect(),
                                candidates: r.candidates,
                            })
                        }
                        Err(e) => {
                            stages.end(StageName::CommitBisect, Status::Failed, e.to_string(), t);
                            None
                        }
                    }
                }
                _ => {
                    stages.end(
                        StageName::CommitBisect,
                        Status::Skipped,
                        "no commit bounds (give --good and --bad)".into(),
                        t,
                    );
                    None
                }
            }
        }
        (Some(_), None) => {
            stages.end(
                StageName::CommitBisect,
                Status::Skipped,
                "the step is not between releases of one family".into(),
                t,
            );
            None
        }
        (None, _) => {
            stages.end(StageName::CommitBisect, Status::Skipped, "no --src checkout given".into(), t);
            None
        }
    };
    let mut summary = summary_paragraph(finding, reduced.as_ref(), release.as_ref(), commit.as_ref());
    if let Some(f) = &flags {
        summary += &f.sentence();
    }
    if let Some(p) = &pass {
        summary += &format!(" Pass: {}.", p.sentence());
    }
    Ok(Answers { summary, reduced, release, flags, commit, pass, kernel: None })
}

/// Writes `triage.json`, `triage.md` and `upstream.md` (for the step's tracker) into the finding directory.
pub fn write_report(dir: &Path, report: &TriageReport) -> Result<(), Error> {
    write_report_for(dir, report, None)
}

/// The same, with `upstream.md` for `audience` when given.
pub fn write_report_for(
    dir: &Path,
    report: &TriageReport,
    audience: Option<crate::upstream::Audience>,
) -> Result<(), Error> {
    let json = dir.join("triage.json");
    write_atomically(&json, &serde_json::to_vec_pretty(report).unwrap_or_default())
        .map_err(|e| Error::file(&json, e))?;
    let md = dir.join("triage.md");
    write_atomically(&md, markdown(report).as_bytes()).map_err(|e| Error::file(&md, e))?;
    crate::upstream::write(
        dir,
        report,
        audience.unwrap_or_else(|| crate::upstream::Audience::for_step(&report.finding.cause.step)),
    )
}

fn summary_paragraph(
    f: &Summary,
    r: Option<&Reduced>,
    rel: Option<&ReleaseAnswer>,
    c: Option<&CommitAnswer>,
) -> String {
    let mut s = format!("{}: {}.", if f.config_only { "Config property" } else { "Regression" }, f.title);
    s += &format!(" Seen in {} generated purgatory-like program(s).", f.programs);
    if let Some(r) = r {
        s += &format!(
            " With {} the object is fine; with {} it is not",
            r.from_cell.as_deref().unwrap_or("no cell"),
            r.to_cell
        );
        if let Some(a) = r.evidence.failing_address {
            s += &format!(" (loaded by {} at {a:#x})", r.evidence.profile_name());
        }
        s += &format!("; the reproducer below has {} lines of C.", r.c_lines_after);
    }
    if let Some(rel) = rel {
        s += &rel.sentence();
    }
    if let Some(c) = c {
        s += &format!(" First bad commit: {} \"{}\".", c.commit, c.subject);
    }
    s
}

fn markdown(t: &TriageReport) -> String {
    let mut s = format!("# {}\n\n{}\n\n", t.finding.title, t.summary);
    s += "## Stages\n\n";
    for st in &t.stages {
        s += &format!("- {}: {} — {} ({:.1}s)\n", st.stage, st.status, st.detail, st.elapsed_ms as f64 / 1000.0);
    }
    if let Some(r) = &t.reduced {
        s += &format!("\n## Reproducer\n\n```c\n{}```\n\n## Compile and link\n\n", r.reproducer_c);
        s += &plain_commands(r);
        s += &format!("As run, bad ({}):\n\n```sh\n{}\n```\n", r.to_cell, r.bad_commands.join("\n"));
        if let Some(from) = &r.from_cell {
            s += &format!("\nAs run, good ({from}):\n\n```sh\n{}\n```\n", r.good_commands.join("\n"));
        }
        s += &format!("\n## What the loader does\n\n```\n{}```\n", r.evidence.loader_output);
        if !r.evidence.relocations.is_empty() {
            s += &format!("\n## Relocations\n\n```\n{}\n```\n", r.evidence.relocations.join("\n"));
        }
        if let Some(d) = &r.evidence.disassembly {
            s += &format!("\n## Instruction\n\n```\n{d}```\n");
        }
        let secs: Vec<String> = r.evidence.exec_sections.iter().map(|(n, sz)| format!("{n} ({sz:#x} bytes)")).collect();
        s += &format!("\nExec sections of the bad object: {}\n", secs.join(", "));
    }
    if let Some(k) = &t.kernel {
        s += &format!(
            "\n## Rebuild (Linux {}, {})\n\nBad ({}):\n\n```sh\n{}\n```\n",
            k.version,
            k.tree,
            k.bad_cell,
            k.bad_commands.join("\n")
        );
        if let Some(good) = &k.good_cell {
            s += &format!("\nGood ({good}):\n\n```sh\n{}\n```\n", k.good_commands.join("\n"));
        }
        s += &format!("\n## What the loader does with {}\n\n```\n{}```\n", k.object, k.loader_output);
    }
    if let Some(rel) = &t.release {
        s += &format!(
            "\n## First bad release\n\n{} {} ({}), last good {} {}; searched {:?}\n",
            rel.family, rel.first_bad, rel.first_bad_toolchain, rel.family, rel.last_good, rel.searched
        );
    }
    if let Some(f) = &t.flags {
        s += &format!(
            "\n## The flag\n\n{} → {} with {}: {} ({} compiles)\n",
            f.good_config,
            f.bad_config,
            f.toolchain,
            f.culprit.join(", "),
            f.compiles
        );
    }
    if let Some(p) = &t.pass {
        s += &format!("\n## The pass\n\n{}\n", p.sentence());
    }
    if let Some(c) = &t.commit {
        s += &format!("\n## First bad commit\n\n{} {}\n", c.commit, c.subject);
        for a in &c.ambiguous {
            s += &format!("- or the skipped {a}\n");
        }
    }
    s
}

/// The upstream spelling of the bad and the good compile and link, with what each differs in from the run.
pub fn plain_commands(r: &Reduced) -> String {
    let mut s = String::new();
    for (what, cell, plain) in [("Bad", Some(&r.to_cell), &r.bad_plain), ("Good", r.from_cell.as_ref(), &r.good_plain)]
    {
        let (Some(cell), Some(p)) = (cell, plain) else { continue };
        s += &format!("{what} ({}, {cell}):\n\n```sh\n{}\n```\n", p.compiler, p.commands.join("\n"));
        if let Some(n) = &p.note {
            s += &format!("\n({n}.)\n");
        }
        s += "\n";
    }
    s
}
