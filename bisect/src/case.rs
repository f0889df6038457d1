//! `--case` as a finding directory: the program (its reduced form when `kreloc reduce` or triage made one,
//! C or Rust as the cell with the problem emits it), the config, profile and addresses the campaign judged
//! it with, and the releases of its divergence.

use std::path::Path;

use kreloc_campaign::attribute::Step;
use kreloc_campaign::change::Change;
use kreloc_campaign::finding::JudgeFile;
use kreloc_campaign::reduce_finding::load_case;
use kreloc_oracle::ProfileId;
use kreloc_toolchains::link::Link;
use kreloc_toolchains::{Cache, CompileConfig, Compiler, Family, Language, Source};

use crate::predicate::{OraclePredicate, Regress};
use crate::Error;

/// A finding directory read as a bisection case.
#[derive(Debug, Clone)]
pub struct FindingCase {
    pub source: Source,
    pub config_name: String,
    pub config: CompileConfig,
    pub profile: ProfileId,
    pub addresses: Vec<u64>,
    /// The family and releases of a release step (the span to bisect).
    pub releases: Option<(Family, u32, u32)>,
    pub change: Change,
    pub step: Step,
}

/// What to call bad, for a change: the loader failing, or the objects differing like the bounds do.
pub fn regress_for(change: &Change) -> Regress {
    match change {
        Change::Relocation { .. } | Change::EntryMisplaced | Change::Refused { .. } => Regress::LoadFails,
        Change::RunsWrong { .. } | Change::WrongChecksum { .. } | Change::RunFailed { .. } => Regress::Checksum,
        Change::Compile { fault: kreloc_campaign::change::CompileFault::Ice } => Regress::Ice,
        Change::Compile { .. } => Regress::CompileError,
        Change::NewExecSection { .. } | Change::EntryWarn => Regress::Signature,
        Change::StageFails { .. } => Regress::WholeLoadFails,
    }
}

/// Reads a finding directory (`OUT/findings/<fingerprint>`).
pub fn load(dir: &Path) -> Result<FindingCase, Error> {
    let case = load_case(dir)?;
    let judge: JudgeFile = kreloc_campaign::store::load_json(&case.program_dir.join("judge.json"))
        .ok_or_else(|| crate::Usage::NoJudgeFile(case.program_dir.clone()))?;
    let rust = case.to.language() == Language::Rust;
    let reduced = dir.join(if rust { "reduced.rs" } else { "reduced.c" });
    let text = match std::fs::read_to_string(&reduced) {
        Ok(t) => t,
        Err(_) => {
            if rust {
                kreloc_gen::emit_rust(&case.program)
            } else {
                kreloc_gen::emit_c(&case.program)
            }
        }
    };
    let releases = match &case.cause.step {
        Step::Release { family, from, to } => Some((*family, *from, *to)),
        _ => None,
    };
    Ok(FindingCase {
        source: if rust { Source::rust(text) } else { Source::c(text) },
        config_name: case.to.config_name.clone(),
        config: case.to.config.clone(),
        profile: judge.profiles.first().copied().unwrap_or(ProfileId::LinuxX86_64(None)),
        addresses: judge.addresses,
        releases,
        change: case.cause.change.clone(),
        step: case.cause.step.clone(),
    })
}

impl FindingCase {
    /// The oracle predicate for this case; `regress`/`at` override what the finding implies.
    pub fn predicate(&self, regress: Option<Regress>, at: &[u64]) -> OraclePredicate {
        let mut compiler = Compiler::new(Cache::default_location());
        compiler.link = Some(Link::kernel());
        OraclePredicate {
            case: self.source.clone(),
            config: self.config.clone(),
            profile: self.profile,
            addresses: if at.is_empty() { self.addresses.clone() } else { at.to_vec() },
            regress: regress.unwrap_or_else(|| regress_for(&self.change)),
            compiler,
        }
    }
}

/// `kbisect --case FINDING_DIR`: the finding's predicate; an explicit `--regress` other than the default
/// and explicit `--at` addresses win over what the finding implies.
pub fn predicate_for_cli(dir: &Path, regress: Option<Regress>, at: &[u64]) -> Result<OraclePredicate, Error> {
    Ok(load(dir)?.predicate(regress, at))
}
