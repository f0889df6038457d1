//! `kbisect pass`: which optimisation pass of the bad compiler makes the object bad. LLVM: bisect
//! `-mllvm -opt-bisect-limit=N` to the first pass invocation after which it is bad, named with what it
//! ran on and its level. GCC: ddmin over the `-fdisable-*` passes `-fdump-passes` lists as on, to the
//! smallest set whose disabling makes it good. When it is bad with every pass skipped, no pass is to blame.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::{Compiler, Family, Toolchain};

use crate::judgement::Judgement;
use crate::predicate::{Observation, OraclePredicate};
use crate::{Error, PassError, Usage};
use kreloc_oracle::WarningKind;

/// Where in the compiler a pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// On LLVM IR (or GCC GIMPLE / IPA).
    Ir,
    /// Instruction selection: IR becomes machine instructions.
    Isel,
    /// On machine IR (or GCC RTL).
    Mir,
}

impl Level {
    fn name(self, family: Family) -> &'static str {
        match (self, family) {
            (Level::Ir, Family::Gcc) => "GIMPLE/IPA",
            (Level::Ir, _) => "IR",
            (Level::Isel, _) => "instruction selection (IR → MIR)",
            (Level::Mir, Family::Gcc) => "RTL",
            (Level::Mir, _) => "MIR",
        }
    }
}

/// Who is to blame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Blame {
    /// LLVM: the first pass invocation (its `-opt-bisect-limit` number) after which the object is bad.
    Pass { index: u32, pass: String, on: String, level: Level, of: u32 },
    /// GCC: the smallest set of passes whose disabling (`-fdisable-<name>`) makes the object good.
    Passes { passes: Vec<String>, level: Level, of: usize },
    /// Bad with every optional pass skipped: code generation policy, not an optimisation.
    NotAnOptimisation { with: String },
}

/// What `kbisect pass` found.
#[derive(Debug, Clone, Serialize)]
pub struct PassReport {
    pub toolchain: String,
    pub blame: Blame,
    pub compiles: usize,
}

impl PassReport {
    /// One sentence: `SimplifyCFGPass on f (pass 74 of 137, IR), llvm-19.1.7-clang`.
    pub fn sentence(&self) -> String {
        let family = if self.toolchain.starts_with("gcc") { Family::Gcc } else { Family::Llvm };
        match &self.blame {
            Blame::Pass { index, pass, on, level, of } => {
                format!("{pass} on {on} (pass {index} of {of}, {}), {}", level.name(family), self.toolchain)
            }
            Blame::Passes { passes, level, of } => {
                format!(
                    "{} (disabling {} of the {of} passes on makes it good; {}), {}",
                    passes.join(", "),
                    passes.len(),
                    level.name(family),
                    self.toolchain
                )
            }
            Blame::NotAnOptimisation { with } => format!("present {with}: not an optimisation ({})", self.toolchain),
        }
    }
}

/// One LLVM pass invocation as `-opt-bisect-limit` numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub index: u32,
    pub pass: String,
    pub on: String,
}

/// `BISECT: running pass (N) NAME on TARGET` lines.
pub fn parse_opt_bisect(stderr: &str) -> Vec<Invocation> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("BISECT: running pass (")?;
            let (n, rest) = rest.split_once(") ")?;
            let (pass, on) = rest.rsplit_once(" on ")?;
            Some(Invocation { index: n.parse().ok()?, pass: pass.to_string(), on: on.to_string() })
        })
        .collect()
}

/// The passes `-fdump-passes` lists as on and `-fdisable-` can turn off (`tree-switchconv`, `rtl-cse1`).
pub fn parse_dump_passes(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let (name, state) = l.split_once(':')?;
            let name = name.trim();
            let on = state.trim() == "ON";
            let disablable = ["tree-", "rtl-", "ipa-"].iter().any(|p| name.starts_with(p));
            (on && disablable && !name.contains(' ')).then(|| name.to_string())
        })
        .collect()
}

fn level_of_gcc(pass: &str) -> Level {
    if pass.starts_with("rtl-") {
        Level::Mir
    } else {
        Level::Ir
    }
}

/// LLVM's levels: before the instruction selector is IR, after it MIR.
fn level_of_llvm(list: &[Invocation], index: u32) -> Level {
    let isel = list
        .iter()
        .find(|i| i.pass.contains("Instruction Selection") || i.pass.contains("IRTranslator"))
        .map(|i| i.index);
    match isel {
        Some(s) if index == s => Level::Isel,
        Some(s) if index > s => Level::Mir,
        _ => Level::Ir,
    }
}

/// Runs the bad compiler with `extra` flags and returns its stderr (the pass listings go there).
fn stderr_of(tc: &Toolchain, pred: &OraclePredicate, extra: &[&str]) -> Result<String, Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("purgatory.c");
    std::fs::write(&path, &pred.case.text).map_err(|e| Error::file(&path, e))?;
    let mut cfg = pred.config.clone();
    cfg.extra.extend(extra.iter().map(|s| s.to_string()));
    let child = kreloc_toolchains::driver::compile_command(
        tc,
        kreloc_toolchains::Language::C,
        &cfg,
        Path::new("purgatory.c"),
        Path::new("purgatory.o"),
        Duration::from_secs(120),
    )
    .map_err(Error::from)?
    // zig caches objects by content and then prints nothing: a fresh cache makes it compile.
    .env("ZIG_GLOBAL_CACHE_DIR", dir.path().join("zig-cache"))
    .env("ZIG_LOCAL_CACHE_DIR", dir.path().join("zig-cache"))
    .current_dir(dir.path());
    let out = child.run()?;
    Ok(out.stderr_text())
}

struct Prober<'a> {
    tc: &'a Toolchain,
    pred: &'a OraclePredicate,
    bad: Option<Observation>,
    compiles: usize,
}

impl Prober<'_> {
    fn observe(&mut self, extra: &[String], opt: Option<&str>) -> Result<Observation, Error> {
        self.compiles += 1;
        let mut cfg = self.pred.config.clone();
        cfg.extra.extend(extra.iter().cloned());
        if let Some(o) = opt {
            cfg.opt = o.to_string();
        }
        let p = OraclePredicate {
            case: self.pred.case.clone(),
            config: cfg,
            profile: self.pred.profile,
            addresses: self.pred.addresses.clone(),
            regress: self.pred.regress,
            compiler: Compiler {
                cache: kreloc_toolchains::Cache::default_location(),
                timeout: self.pred.compiler.timeout,
                link: self.pred.compiler.link.clone(),
            },
        };
        p.observe(self.tc)
    }

    /// Bad (what the predicate calls bad, with the bad object's symptom), good, or untestable.
    fn judge(&mut self, extra: &[String], opt: Option<&str>) -> Result<Judgement, Error> {
        let o = self.observe(extra, opt)?;
        Ok(match self.pred.judge(&o, None, self.bad.as_ref()) {
            Judgement::Bad if self.bad.as_ref().is_some_and(|b| symptom(b) != symptom(&o)) => Judgement::Good,
            j => j,
        })
    }
}

/// What the loader says, without the addresses and values that move with the code; and the exec section
/// families. A case that fails for other reasons too (no loader symbols) is bad only when it fails the same way.
fn symptom(o: &Observation) -> (bool, Vec<String>, &[WarningKind], Vec<String>) {
    let strip =
        |m: &String| m.split(' ').map(|w| if w.starts_with("0x") { "0x…" } else { w }).collect::<Vec<_>>().join(" ");
    let mut families: Vec<String> = o.exec_sections.iter().map(|s| kreloc_campaign::change::section_base(s)).collect();
    families.dedup();
    (o.ok, o.messages.iter().map(strip).collect(), &o.warnings, families)
}

/// Finds the pass of `tc` that makes `pred`'s case bad.
pub fn bisect_pass(tc: &Toolchain, pred: &OraclePredicate) -> Result<PassReport, Error> {
    if matches!(tc.kind, Kind::Rustc) {
        return Err(Usage::PassNeedsC.into());
    }
    let mut p = Prober { tc, pred, bad: None, compiles: 0 };
    let full = p.observe(&[], None)?;
    p.bad = Some(full);
    if p.judge(&[], None)? != Judgement::Bad {
        return Err(Usage::PassCaseNotBad { toolchain: tc.id() }.into());
    }
    let blame = match tc.family {
        Family::Gcc => gcc(&mut p)?,
        _ => llvm(&mut p)?,
    };
    Ok(PassReport { toolchain: tc.id(), blame, compiles: p.compiles })
}

fn limit(n: i64) -> Vec<String> {
    vec!["-mllvm".into(), format!("-opt-bisect-limit={n}")]
}

fn llvm(p: &mut Prober) -> Result<Blame, Error> {
    let list = parse_opt_bisect(&stderr_of(p.tc, p.pred, &["-mllvm", "-opt-bisect-limit=-1"])?);
    let Some(total) = list.last().map(|i| i.index) else {
        return Err(PassError::NoPassList { toolchain: p.tc.id(), how: "-mllvm -opt-bisect-limit=-1" }.into());
    };
    if p.judge(&limit(0), None)? == Judgement::Bad {
        return Ok(Blame::NotAnOptimisation { with: "with every pass disabled (-mllvm -opt-bisect-limit=0)".into() });
    }
    // Good at 0, bad at `total`: the smallest bad limit is the culprit invocation.
    let (mut good, mut bad) = (0u32, total);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        match p.judge(&limit(mid as i64), None)? {
            Judgement::Bad => bad = mid,
            Judgement::Good => good = mid,
            Judgement::Skip(why) => return Err(PassError::NotJudged { limit: mid, why }.into()),
        }
    }
    let inv = list.iter().find(|i| i.index == bad).cloned().unwrap_or(Invocation {
        index: bad,
        pass: "?".into(),
        on: "?".into(),
    });
    Ok(Blame::Pass { index: inv.index, level: level_of_llvm(&list, inv.index), pass: inv.pass, on: inv.on, of: total })
}

fn gcc(p: &mut Prober) -> Result<Blame, Error> {
    if p.judge(&[], Some("0"))? == Judgement::Bad {
        return Ok(Blame::NotAnOptimisation { with: "at -O0".into() });
    }
    let passes = parse_dump_passes(&stderr_of(p.tc, p.pred, &["-fdump-passes"])?);
    if passes.is_empty() {
        return Err(PassError::NoPassList { toolchain: p.tc.id(), how: "-fdump-passes" }.into());
    }
    let disable = |set: &[String]| set.iter().map(|n| format!("-fdisable-{n}")).collect::<Vec<_>>();
    if p.judge(&disable(&passes), None)? == Judgement::Bad {
        return Ok(Blame::NotAnOptimisation {
            with: "with every pass disabled (-fdisable-* of each pass -fdump-passes lists)".into(),
        });
    }
    let err = std::cell::RefCell::new(None);
    let found = crate::flags::ddmin(&passes, |set| match p.judge(&disable(set), None) {
        Ok(j) => j == Judgement::Good,
        Err(e) => {
            err.borrow_mut().get_or_insert(e);
            false
        }
    });
    if let Some(e) = err.into_inner() {
        return Err(e);
    }
    let level = if found.iter().all(|f| level_of_gcc(f) == Level::Mir) { Level::Mir } else { Level::Ir };
    Ok(Blame::Passes { passes: found, level, of: passes.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_bisect_and_dump_passes_lines_parse() {
        let l = parse_opt_bisect("BISECT: running pass (74) SimplifyCFGPass on f\nBISECT: running pass (102) X86 DAG->DAG Instruction Selection on function (f)\nnoise\n");
        assert_eq!(l[0], Invocation { index: 74, pass: "SimplifyCFGPass".into(), on: "f".into() });
        assert_eq!(l[1].pass, "X86 DAG->DAG Instruction Selection");
        assert_eq!(level_of_llvm(&l, 74), Level::Ir);
        assert_eq!(level_of_llvm(&l, 102), Level::Isel);
        let g = parse_dump_passes("   *warn_unused_result     :  ON\n         tree-switchconv        :  ON\n         tree-unswitch   :  OFF\n      rtl-cse1   :  ON\n");
        assert_eq!(g, ["tree-switchconv", "rtl-cse1"]);
    }
}
