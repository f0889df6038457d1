//! `kreloc triage` on a root cause seen only in a real Linux or kexec-tools tree (`kreloc kernel`, `kreloc
//! kexec-tools`): nothing to reduce; the culprit flag between the two flag sets (the flag ddmin of `kbisect
//! flags`, each candidate a real purgatory build) and, for a release step, the first bad release; then
//! triage.md/json as for generated findings, with the make commands that rebuild the good and the bad
//! purgatory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use kreloc_bisect::flags::{apply, changes, ddmin};
use kreloc_bisect::judgement::Judgement;
use kreloc_bisect::search::{bisect, Judged};
use kreloc_bisect::triage::{write_report, FlagAnswer, KernelReproducer, ReleaseAnswer, Stage, TriageReport};
use kreloc_campaign::attribute::Step;
use kreloc_campaign::store::{load_json, smallest_program, summarize};
use kreloc_toolchains::{catalog, CompileConfig, Toolchain};

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

/// Builds the case's purgatory with `tc` and `flags` and says whether it shows the root cause (a build
/// that fails, e.g. gcc's -mcmodel=kernel with -fpic, cannot be judged).
fn judge(case: &KernelCase, tc: &Toolchain, flags: &[String], builds: &mut usize) -> Judgement {
    let d = match dialect(tc) {
        Ok(d) => d,
        Err(e) => return Judgement::Skip(e.to_string()),
    };
    let out = case.tree.build_dir_for(tc);
    let _building = match lock_build_dir(&out) {
        Ok(lock) => lock,
        Err(e) => return Judgement::Skip(e.to_string()),
    };
    *builds += 1;
    let kind = case.tree.kind;
    let overrides = kind.overrides(&CompileConfig::from_flags(flags), d);
    let bytes =
        match kind.configure(&case.tree, &out, tc).and_then(|()| kind.build(&case.tree, &out, tc, Some(overrides))) {
            Ok(b) => b,
            Err(e) => return Judgement::Skip(e.to_string()),
        };
    let profile = case.tree.profile.profile();
    match facts(&bytes, &*profile, &case.tree.addresses, None) {
        Some(f) if shows(&f, &case.cause.change) => Judgement::Bad,
        Some(_) => Judgement::Good,
        None => Judgement::Skip("purgatory.ro does not parse".into()),
    }
}

fn stage(stage: &'static str, status: &'static str, detail: String, since: Instant) -> Stage {
    Stage { stage, status, detail, elapsed_ms: since.elapsed().as_millis() as u64 }
}

/// Triages the kernel finding `dir` from its case directory `case_dir`.
pub fn triage(dir: &Path, case_dir: &Path, progress: bool) -> Result<TriageReport, Error> {
    let finding = summarize(dir).map_err(Error::io(dir))?;
    let case: KernelCase =
        load_json(&case_dir.join("kernel.json")).ok_or_else(|| Error::NoCase { case_dir: case_dir.to_path_buf() })?;
    let bar = kreloc_campaign::progress::spinner(
        progress,
        format!("triage {} ({} {})", finding.fingerprint, case.tree.kind.name(), case.tree.version),
    );
    let mut stages = vec![stage(
        "reduce",
        "skipped",
        format!("a real {} tree: its purgatory is rebuilt, not reduced", case.tree.kind.name()),
        Instant::now(),
    )];
    let mut builds = 0;

    let t = Instant::now();
    let flags = match (&case.cause.step, &case.from) {
        (Step::Config { .. }, Some(from)) if from.flags != case.to.flags => {
            bar.set_message(format!(
                "flag ddmin {} → {} with {}",
                from.flag_set,
                case.to.flag_set,
                case.to.toolchain.id()
            ));
            let tc = &case.to.toolchain;
            // ddmin needs the bounds as the flag lists rebuild them: good without the cause, bad with it.
            let bounds = (judge(&case, tc, &from.flags, &mut builds), judge(&case, tc, &case.to.flags, &mut builds));
            if bounds != (Judgement::Good, Judgement::Bad) {
                stages.push(stage(
                    "flag-bisect",
                    "failed",
                    format!(
                        "rebuilt from their flag lists, {} is {:?} and {} is {:?} with {}",
                        from.flag_set,
                        bounds.0,
                        case.to.flag_set,
                        bounds.1,
                        tc.id()
                    ),
                    t,
                ));
                None
            } else {
                let all = changes(&from.flags, &case.to.flags);
                let culprit = ddmin(&all, |subset| {
                    let refs: Vec<_> = subset.iter().collect();
                    judge(&case, tc, &apply(&from.flags, &refs), &mut builds) == Judgement::Bad
                });
                let answer =
                    FlagAnswer::new(tc.id(), from.flag_set.to_string(), case.to.flag_set.to_string(), culprit, builds);
                stages.push(stage(
                    "flag-bisect",
                    "done",
                    format!(
                        "{} → {} with {}: {} ({builds} builds)",
                        from.flag_set,
                        case.to.flag_set,
                        tc.id(),
                        answer.culprit.join(", ")
                    ),
                    t,
                ));
                Some(answer)
            }
        }
        (step, _) => {
            stages.push(stage(
                "flag-bisect",
                "skipped",
                format!("the step ({}) is not between two flag sets", step.title()),
                t,
            ));
            None
        }
    };

    let t = Instant::now();
    let release = match &case.cause.step {
        Step::Release { family, from, to } => {
            bar.set_message(format!("bisecting {family} {from}..{to}"));
            let majors: Vec<u32> =
                catalog::releases(*family).into_iter().filter(|m| (*from..=*to).contains(m)).collect();
            let n = majors.len();
            let mut judged = Judged(BTreeMap::from([(0, Judgement::Good), (n.saturating_sub(1), Judgement::Bad)]));
            let mut installed = Vec::new();
            let searched = bisect(
                n,
                |j| j.next_probes(n, 1),
                &mut judged,
                |probes| {
                    Ok::<_, String>(
                        probes
                            .iter()
                            .map(|&i| {
                                match kreloc_bisect::releases::toolchain(*family, majors[i], &mut installed, false) {
                                    Ok(tc) => judge(&case, &tc, &case.to.flags, &mut builds),
                                    Err(e) => Judgement::Skip(e.to_string()),
                                }
                            })
                            .collect(),
                    )
                },
                |_| {},
            );
            match searched {
                Ok(o) if n >= 2 => {
                    let (last_good, first_bad) = (majors[o.first_bad.saturating_sub(1)], majors[o.first_bad]);
                    let first_bad_toolchain =
                        if first_bad == *to { case.to.toolchain.id() } else { format!("{family}@{first_bad}") };
                    stages.push(stage(
                        "release-bisect",
                        "done",
                        format!("first bad: {family} {first_bad} ({} releases between)", n - 2),
                        t,
                    ));
                    Some(ReleaseAnswer {
                        family: family.to_string(),
                        last_good,
                        first_bad,
                        first_bad_toolchain,
                        searched: majors.clone(),
                    })
                }
                _ => {
                    stages.push(stage(
                        "release-bisect",
                        "failed",
                        format!("{family} {from}..{to}: not both in the catalog"),
                        t,
                    ));
                    None
                }
            }
        }
        step => {
            stages.push(stage(
                "release-bisect",
                "skipped",
                format!("the step ({}) is not between releases of one family", step.title()),
                t,
            ));
            None
        }
    };
    stages.push(stage(
        "commit-bisect",
        "skipped",
        "a kernel finding: bisect the compiler with kbisect cc and the make command as --script".into(),
        Instant::now(),
    ));
    bar.finish_and_clear();

    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
    let loader_output = std::fs::read_to_string(case_dir.join("loader.txt")).unwrap_or_default();
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
        object: rel(&case_dir.join("objects").join(&case.to.object)),
        loader_output,
    };
    let report = TriageReport {
        schema: "kreloc/1",
        finding,
        summary,
        stages,
        reduced: None,
        release,
        flags,
        commit: None,
        pass: None,
        kernel: Some(kernel),
    };
    write_report(dir, &report)?;
    Ok(report)
}
