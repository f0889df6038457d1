//! Judging a candidate toolchain: compile the case, load it with the oracle, and compare with what the
//! good and bad bounds gave — or run a user script with git bisect's exit codes.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kreloc_oracle::{Failure, LoaderMessage, ProfileId, Warning, WarningKind};
use kreloc_toolchains::{CompileConfig, CompileKind, CompileOutcome, Compiler, Source, Toolchain};

use crate::judgement::Judgement;
use crate::Error;

/// What counts as the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Regress {
    /// Bad when the observation matches the bad bound's rather than the good bound's (default).
    Signature,
    /// Bad when the object does not load (or is entered wrong) at some address.
    LoadFails,
    /// Bad when the whole load (relocation, the loader's symbol steps, the digest writes) fails or the entry is
    /// wrong at some address.
    WholeLoadFails,
    /// Bad when the loader warns (e.g. the two-exec-sections WARN).
    Warns,
    /// Bad when `kreloc_entry`'s checksum changes with the load address.
    Checksum,
    /// Bad when the compiler crashes.
    Ice,
    /// Bad when the compiler rejects the case.
    CompileError,
}

/// What one toolchain did with the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub toolchain: String,
    pub compile: CompileKind,
    /// Loads and is entered correctly at every address.
    pub ok: bool,
    /// The whole load succeeds and is entered correctly at every address.
    #[serde(default)]
    pub good: bool,
    /// The loader's messages at the first address where it did not load (or its WARN), or the compiler's.
    pub messages: Vec<String>,
    /// The same loader messages and failure, typed: what `same_behaviour` compares.
    #[serde(skip)]
    pub said: (Vec<LoaderMessage>, Option<Failure>),
    /// Warning kinds (without the numbers that move with the code).
    pub warnings: Vec<WarningKind>,
    /// Executable sections of the object, in order.
    pub exec_sections: Vec<String>,
    /// `kreloc_entry`'s first output word per address (None: did not run to completion).
    pub checksums: Vec<Option<u64>>,
    /// The compile commands.
    pub commands: Vec<String>,
}

impl Observation {
    /// What is known of a compile before anything is loaded: how it ended and its commands.
    pub fn of_compile(toolchain: String, compile: CompileKind, commands: Vec<String>) -> Observation {
        Observation {
            toolchain,
            compile,
            ok: false,
            good: false,
            messages: Vec::new(),
            said: Default::default(),
            warnings: Vec::new(),
            exec_sections: Vec::new(),
            checksums: Vec::new(),
            commands,
        }
    }

    /// Same behaviour (ignoring which toolchain and which commands): the loader's typed messages, or for a
    /// case that does not compile, the compiler's.
    pub fn same_behaviour(&self, other: &Observation) -> bool {
        self.signature() == other.signature() && self.said() == other.said() && self.checksums == other.checksums
    }

    /// What the loader said, typed; the compiler's text only for a case that did not compile.
    fn said(&self) -> (&(Vec<LoaderMessage>, Option<Failure>), &[String]) {
        let compiler: &[String] = if self.compile == CompileKind::Object { &[] } else { &self.messages };
        (&self.said, compiler)
    }

    /// The parts the default `signature` mode compares.
    fn signature(&self) -> (CompileKind, bool, &[WarningKind], &[String]) {
        (self.compile, self.ok, &self.warnings, &self.exec_sections)
    }
}

/// The case, its config, and how to judge it.
pub struct OraclePredicate {
    pub case: Source,
    pub config: CompileConfig,
    pub profile: ProfileId,
    pub addresses: Vec<u64>,
    pub regress: Regress,
    pub compiler: Compiler,
}

impl OraclePredicate {
    /// Compiles the case with `tc` and loads it at every address.
    pub fn observe(&self, tc: &Toolchain) -> Result<Observation, Error> {
        self.observe_source(tc, &self.case)
    }

    /// The same for another source (a reduction candidate), with the same config and cache.
    pub fn observe_source(&self, tc: &Toolchain, case: &Source) -> Result<Observation, Error> {
        let outcome = self.compiler.compile(tc, case, &self.config)?;
        self.observe_outcome(tc.id(), outcome)
    }

    /// Loads what a compile produced (by any means) at every address.
    pub fn observe_outcome(&self, toolchain: String, outcome: CompileOutcome) -> Result<Observation, Error> {
        let mut obs = Observation::of_compile(toolchain, outcome.kind(), outcome.commands().to_vec());
        let CompileOutcome::Object { bytes, .. } = outcome else {
            if let CompileOutcome::CompileError { stderr, .. }
            | CompileOutcome::Ice { stderr, .. }
            | CompileOutcome::Refused { stderr, .. } = &outcome
            {
                obs.messages = stderr.lines().take(5).map(str::to_string).collect();
            }
            return Ok(obs);
        };
        let obj = kreloc_oracle::parse(&bytes)
            .map_err(|source| Error::Object { toolchain: obs.toolchain.clone(), source })?;
        let profile = self.profile.profile();
        obs.exec_sections = obj.code_sections().map(|s| obj.name_of(s).to_string()).collect();
        obs.ok = true;
        obs.good = true;
        for &at in &self.addresses {
            let v = kreloc_oracle::load(&obj, &*profile, at);
            obs.warnings.extend(v.warnings.iter().map(Warning::kind));
            if (!v.ok || !v.messages.is_empty()) && obs.messages.is_empty() {
                obs.messages = v.message_lines();
                obs.messages.extend(v.failure_text().filter(|f| !obs.messages.contains(f)));
                obs.said = (v.messages.clone(), v.failure.clone());
            }
            obs.ok &= v.ok;
            obs.good &= v.good;
            if self.regress == Regress::Checksum {
                let run = kreloc_exec::run_object(&obj, &*profile, at, at, "kreloc_entry", Duration::from_secs(5));
                obs.checksums.push(match run {
                    Ok(kreloc_exec::ExecOutcome::Returned { out }) => Some(out[0]),
                    _ => None,
                });
            }
        }
        obs.warnings.sort();
        obs.warnings.dedup();
        Ok(obs)
    }

    /// Judges an observation against the bounds' observations.
    pub fn judge(&self, obs: &Observation, good: Option<&Observation>, bad: Option<&Observation>) -> Judgement {
        let compiled = obs.compile == CompileKind::Object;
        match self.regress {
            _ if obs.compile == CompileKind::NotJudged => {
                Judgement::Skip(format!("{} cannot express the config", obs.toolchain))
            }
            Regress::Ice => verdict(obs.compile == CompileKind::Ice),
            Regress::CompileError => verdict(obs.compile == CompileKind::CompileError),
            _ if !compiled => Judgement::Skip(format!("the case does not compile ({})", obs.compile)),
            Regress::LoadFails => verdict(!obs.ok),
            Regress::WholeLoadFails => verdict(!obs.good),
            Regress::Warns => verdict(!obs.warnings.is_empty()),
            Regress::Checksum => {
                let sums: Vec<_> = obs.checksums.iter().collect();
                verdict(sums.windows(2).any(|w| w[0] != w[1]) || sums.iter().any(|s| s.is_none()))
            }
            Regress::Signature => match (good, bad) {
                (Some(g), _) if g.signature() == obs.signature() => Judgement::Good,
                (_, Some(b)) if b.signature() == obs.signature() => Judgement::Bad,
                // Like neither bound: a failure to load is bad, anything else good.
                _ => verdict(!obs.ok),
            },
        }
    }
}

fn verdict(bad: bool) -> Judgement {
    if bad {
        Judgement::Bad
    } else {
        Judgement::Good
    }
}

/// Runs a user script with git bisect's exit codes; `KBISECT_*` variables describe the candidate.
pub fn run_script(script: &str, env: &[(&str, String)], dir: &Path, timeout: Duration) -> Result<Judgement, Error> {
    let mut child = kreloc_toolchains::process::Child::new("sh", timeout).args(["-c", script]).current_dir(dir);
    for (k, v) in env {
        child = child.env(k, v);
    }
    let out = child.run()?;
    if out.timed_out {
        return Ok(Judgement::Skip("the script timed out".into()));
    }
    match out.code.and_then(Judgement::from_exit_code) {
        Some(j) => Ok(j),
        None => Err(Error::Aborted { status: out.code.or(out.signal.map(|s| kreloc_cli::exit::ABORT + s)) }),
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;
    use kreloc_toolchains::Cache;

    use super::*;

    #[test]
    fn a_toolchain_that_cannot_express_the_config_is_skipped_whatever_the_regression() {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let mut p = OraclePredicate {
            case: Source::c(""),
            config: CompileConfig::default(),
            profile: "linux-x86_64".parse().expect("a profile"),
            addresses: vec![0x1_3fff_b000],
            regress: Regress::Signature,
            compiler: Compiler::new(Cache::at(dir.path())),
        };
        let obs = |compile| Observation::of_compile("gcc-7.3.0".into(), compile, Vec::new());
        for &regress in Regress::value_variants() {
            p.regress = regress;
            let refused = p.judge(&obs(CompileKind::NotJudged), None, None);
            assert!(matches!(refused, Judgement::Skip(ref why) if why.contains("cannot express")), "{regress:?}");
        }
        // A compile error is still a behaviour: bad when that is the regression.
        p.regress = Regress::CompileError;
        assert_eq!(p.judge(&obs(CompileKind::CompileError), None, None), Judgement::Bad);
    }
}
