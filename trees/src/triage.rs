//! `kreloc triage` on a root cause seen only in a real Linux or kexec-tools tree (`kreloc kernel`, `kreloc
//! kexec-tools`): a `Case` of the one triage. Nothing to reduce; the culprit flag between the two flag sets
//! (the flag ddmin of `kbisect flags`, each candidate a real purgatory build) and, for a release step, the
//! first bad release (kbisect's release search); then triage.md/json as for generated findings, with the
//! make commands that rebuild the good and the bad purgatory.

use std::path::{Path, PathBuf};

use kreloc_bisect::flags::{apply, changes, ddmin};
use kreloc_bisect::judgement::Judgement;
use kreloc_bisect::progress::Progress;
use kreloc_bisect::releases::search_releases;
use kreloc_bisect::triage::{
    triage_case, Answers, Case, FlagAnswer, KernelReproducer, ReleaseAnswer, StageName, Stages, Status, TriageReport,
};
use kreloc_campaign::attribute::Step;
use kreloc_campaign::store::{load_json, smallest_program, Summary};
use kreloc_toolchains::{catalog, CompileConfig, Family, Toolchain};

use crate::findings::{facts, shows, KernelCase, KernelCell};
use crate::tree::{dialect, lock_build_dir};
use crate::Error;

/// The `kernel/<id>/` of a finding no generated program showed (None: triage it as a generated finding).
pub fn kernel_case(dir: &Path) -> Option<PathBuf> {
    if smallest_program(dir).is_ok() {
        return None;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir.join("kernel"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("kernel.json").is_file())
        .collect();
    cases.sort();
    cases.into_iter().next()
}

/// Triages the kernel finding `dir` from its case directory `case_dir`.
pub fn triage(dir: &Path, case_dir: &Path, progress: bool) -> Result<TriageReport, Error> {
    let case: KernelCase =
        load_json(&case_dir.join("kernel.json")).ok_or_else(|| Error::NoCase { case_dir: case_dir.to_path_buf() })?;
    let mut tree_case = TreeCase { dir, case_dir, case, builds: 0 };
    Ok(triage_case(dir, &mut tree_case, progress, None)?)
}

/// A finding's tree case, and the purgatory builds its stages made.
struct TreeCase<'a> {
    dir: &'a Path,
    case_dir: &'a Path,
    case: KernelCase,
    builds: usize,
}

impl Case for TreeCase<'_> {
    fn run(&mut self, finding: &Summary, stages: &mut Stages) -> Result<Answers, kreloc_bisect::Error> {
        let tree = &self.case.tree;
        let t = stages.start("nothing to reduce");
        stages.end(
            StageName::Reduce,
            Status::Skipped,
            format!("a real {} tree: its purgatory is rebuilt, not reduced", tree.kind.name()),
            t,
        );
        let flags = self.flag_stage(stages);
        let release = self.release_stage(stages);
        let t = stages.start("commit bisection");
        stages.end(
            StageName::CommitBisect,
            Status::Skipped,
            "a kernel finding: bisect the compiler with kbisect cc and the make command as --script".into(),
            t,
        );
        Ok(self.answers(finding, flags, release))
    }
}

impl TreeCase<'_> {
    /// Builds the case's purgatory with `tc` and `flags` and says whether it shows the root cause (a build
    /// that fails, e.g. gcc's -mcmodel=kernel with -fpic, cannot be judged).
    fn judge(&mut self, tc: &Toolchain, flags: &[String]) -> Judgement {
        let tree = &self.case.tree;
        let d = match dialect(tc) {
            Ok(d) => d,
            Err(e) => return Judgement::Skip(e.to_string()),
        };
        let out = tree.build_dir_for(tc);
        let _building = match lock_build_dir(&out) {
            Ok(lock) => lock,
            Err(e) => return Judgement::Skip(e.to_string()),
        };
        self.builds += 1;
        let kind = tree.kind;
        let overrides = kind.overrides(&CompileConfig::from_flags(flags), d);
        let bytes = match kind.configure(tree, &out, tc).and_then(|()| kind.build(tree, &out, tc, Some(overrides))) {
            Ok(b) => b,
            Err(e) => return Judgement::Skip(e.to_string()),
        };
        match facts(&bytes, &*tree.profile.profile(), &tree.addresses, None) {
            Some(f) if shows(&f, &self.case.cause.change) => Judgement::Bad,
            Some(_) => Judgement::Good,
            None => Judgement::Skip("purgatory.ro does not parse".into()),
        }
    }

    /// For a step between two flag sets: the 1-minimal flag change, by ddmin over real builds.
    fn flag_stage(&mut self, stages: &mut Stages) -> Option<FlagAnswer> {
        let t = stages.start("flag ddmin");
        let (step, from, to) = (self.case.cause.step.clone(), self.case.from.clone(), self.case.to.clone());
        let from = match (&step, from) {
            (Step::Config { .. }, Some(from)) if from.flags != to.flags => from,
            _ => {
                let detail = format!("the step ({}) is not between two flag sets", step.title());
                stages.end(StageName::FlagBisect, Status::Skipped, detail, t);
                return None;
            }
        };
        let tc = &to.toolchain;
        stages.start(&format!("flag ddmin {} → {} with {}", from.flag_set, to.flag_set, tc.id()));
        // ddmin needs the bounds as the flag lists rebuild them: good without the cause, bad with it.
        let bounds = (self.judge(tc, &from.flags), self.judge(tc, &to.flags));
        if bounds != (Judgement::Good, Judgement::Bad) {
            let detail = format!(
                "rebuilt from their flag lists, {} is {:?} and {} is {:?} with {}",
                from.flag_set,
                bounds.0,
                to.flag_set,
                bounds.1,
                tc.id()
            );
            stages.end(StageName::FlagBisect, Status::Failed, detail, t);
            return None;
        }
        let all = changes(&from.flags, &to.flags);
        let culprit = ddmin(&all, |subset| {
            let refs: Vec<_> = subset.iter().collect();
            self.judge(tc, &apply(&from.flags, &refs)) == Judgement::Bad
        });
        let builds = self.builds;
        let answer = FlagAnswer::new(tc.id(), from.flag_set.to_string(), to.flag_set.to_string(), culprit, builds);
        let detail = format!(
            "{} → {} with {}: {} ({builds} builds)",
            from.flag_set,
            to.flag_set,
            tc.id(),
            answer.culprit.join(", ")
        );
        stages.end(StageName::FlagBisect, Status::Done, detail, t);
        Some(answer)
    }

    /// For a step between two releases of one family: the first bad release, rebuilding the bad cell's flags.
    fn release_stage(&mut self, stages: &mut Stages) -> Option<ReleaseAnswer> {
        let t = stages.start("release bisection");
        let (family, from, to) = match &self.case.cause.step {
            Step::Release { family, from, to } => (*family, *from, *to),
            step => {
                let detail = format!("the step ({}) is not between releases of one family", step.title());
                stages.end(StageName::ReleaseBisect, Status::Skipped, detail, t);
                return None;
            }
        };
        stages.start(&format!("bisecting {family} {from}..{to}"));
        match self.first_bad_release(family, from, to) {
            Some(answer) => {
                let between = answer.searched.len() - 2;
                let detail = format!("first bad: {family} {} ({between} releases between)", answer.first_bad);
                stages.end(StageName::ReleaseBisect, Status::Done, detail, t);
                Some(answer)
            }
            None => {
                let detail = format!("{family} {from}..{to}: not both in the catalog");
                stages.end(StageName::ReleaseBisect, Status::Failed, detail, t);
                None
            }
        }
    }

    fn first_bad_release(&mut self, family: Family, from: u32, to: u32) -> Option<ReleaseAnswer> {
        let majors: Vec<u32> = catalog::releases(family).into_iter().filter(|m| (from..=to).contains(m)).collect();
        if majors.len() < 2 {
            return None;
        }
        let flags = self.case.to.flags.clone();
        let quiet = Progress::new(false, &family.to_string());
        let mut installed = Vec::new();
        let outcome = search_releases(family, &majors, 1, &quiet, &mut installed, |tc| {
            Ok(match tc {
                Ok(tc) => self.judge(&tc, &flags),
                Err(e) => Judgement::Skip(e.to_string()),
            })
        })
        .ok()?;
        let (last_good, first_bad) = (majors[outcome.first_bad.saturating_sub(1)], majors[outcome.first_bad]);
        let first_bad_toolchain =
            if first_bad == to { self.case.to.toolchain.id() } else { format!("{family}@{first_bad}") };
        Some(ReleaseAnswer { family: family.to_string(), last_good, first_bad, first_bad_toolchain, searched: majors })
    }

    /// The summary and the rebuild commands of the good and the bad purgatory.
    fn answers(&self, finding: &Summary, flags: Option<FlagAnswer>, release: Option<ReleaseAnswer>) -> Answers {
        let case = &self.case;
        let rel = |p: &Path| p.strip_prefix(self.dir).unwrap_or(p).display().to_string();
        let loader_output = std::fs::read_to_string(self.case_dir.join("loader.txt")).unwrap_or_default();
        let label = |c: &KernelCell| c.id().to_string();
        let kind = if finding.config_only { "Config property" } else { "Regression" };
        let from = case.from.as_ref().map_or_else(|| "—".to_string(), label);
        let mut summary = format!(
            "{kind}: {}. Seen in the real purgatory of {} {} ({from} → {}).",
            finding.title,
            case.tree.kind.name(),
            case.tree.version,
            label(&case.to)
        );
        if let Some(f) = &flags {
            summary += &f.sentence();
        }
        if let Some(r) = &release {
            summary += &r.sentence();
        }
        let kernel = KernelReproducer {
            tree: case.tree.src.display().to_string(),
            version: case.tree.version.clone(),
            good_cell: case.from.as_ref().map(label),
            bad_cell: label(&case.to),
            good_commands: case.from.as_ref().map(|f| f.commands.clone()).unwrap_or_default(),
            bad_commands: case.to.commands.clone(),
            object: rel(&self.case_dir.join("objects").join(&case.to.object)),
            loader_output,
        };
        Answers { summary, release, flags, kernel: Some(kernel), ..Answers::default() }
    }
}
