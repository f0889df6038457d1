//! One program through the matrix: compile every cell, judge every object, and decide whether the oracle
//! judged them differently (a finding).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use kreloc_gen::Program;
use kreloc_toolchains::config::ConfigName;
use kreloc_toolchains::{
    identity::Kind, CompileConfig, CompileKind, CompileOutcome, Compiler, Language, Source, Toolchain, ToolchainId,
};

use std::time::Instant;

use crate::attribute::{attribute, Divergence};
use crate::change::{compile_facts, object_facts, CompileFault, Facts};
use crate::judge::Judge;
use crate::signature::{RunResult, Signature};

/// One toolchain × config.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub toolchain: Toolchain,
    pub config_name: String,
    pub config: CompileConfig,
}

/// Which cell: a toolchain and a config, labelled `gcc-12.2.0/small-nopic`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId {
    pub toolchain: ToolchainId,
    pub config: ConfigName,
}

impl std::fmt::Display for CellId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.toolchain, self.config)
    }
}

/// A label that is not `TOOLCHAIN/CONFIG`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a cell label (TOOLCHAIN/CONFIG)")]
pub struct BadCellLabel(pub String);

impl std::str::FromStr for CellId {
    type Err = BadCellLabel;

    /// The config is after the last `/` (a `path:` toolchain's id holds a path).
    fn from_str(s: &str) -> Result<Self, BadCellLabel> {
        let bad = || BadCellLabel(s.to_string());
        let (toolchain, config) = s.rsplit_once('/').ok_or_else(bad)?;
        let toolchain = toolchain.parse().map_err(|_| bad())?;
        Ok(CellId { toolchain, config: ConfigName(config.to_string()) })
    }
}

impl Cell {
    pub fn id(&self) -> CellId {
        CellId { toolchain: self.toolchain.tool_id(), config: ConfigName(self.config_name.clone()) }
    }

    /// `gcc-12.2.0/small-nopic`.
    pub fn label(&self) -> String {
        self.id().to_string()
    }

    pub fn language(&self) -> Language {
        if matches!(self.toolchain.kind, Kind::Rustc) {
            Language::Rust
        } else {
            Language::C
        }
    }
}

/// `CellResult::compile` of a cell whose config its toolchain cannot express: excluded from comparison.
pub const NOT_JUDGED: CompileKind = CompileKind::NotJudged;

/// What one cell gave.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellResult {
    pub cell: String,
    pub compile: CompileKind,
    pub signature: Option<Signature>,
    pub commands: Vec<String>,
    #[serde(skip)]
    pub object: Option<Vec<u8>>,
    #[serde(skip)]
    pub stderr: String,
    /// Typed facts for attribution; `None` when the cell was not judged (the toolchain cannot express the
    /// config, or is missing).
    #[serde(default)]
    pub facts: Option<Facts>,
    #[serde(skip)]
    pub facts_ns: u64,
}

/// The behaviour class of a cell: what findings compare and deduplicate on (no checksum values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Class {
    pub compile: CompileKind,
    pub loads: BTreeMap<String, bool>,
    pub window: Option<crate::signature::WindowClass>,
    /// Per address: `right`, `wrong` (checksum differs from the evaluator), `not-loaded`, or a failure.
    pub runs: Vec<(u64, String)>,
    pub warnings: Vec<kreloc_oracle::WarningKind>,
}

impl CellResult {
    /// The class of this result, given the program's expected checksum.
    pub fn class(&self, expected: u64) -> Class {
        let sig = self.signature.as_ref();
        Class {
            compile: self.compile,
            loads: sig.map(|s| s.loads.clone()).unwrap_or_default(),
            window: sig.map(|s| s.window),
            runs: sig
                .map(|s| {
                    s.runs
                        .iter()
                        .map(|(at, r)| {
                            let what = match r {
                                RunResult::Checksum(c) if *c == expected => "right".to_string(),
                                RunResult::Checksum(_) => "wrong".to_string(),
                                RunResult::NotLoaded => "not-loaded".to_string(),
                                RunResult::Failed(f) => f.to_string(),
                                RunResult::NotJudged(_) => "not-judged".to_string(),
                            };
                            (*at, what)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            warnings: sig.map(|s| s.warnings.clone()).unwrap_or_default(),
        }
    }
}

/// The verdict on one program.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Examined {
    pub expected_checksum: u64,
    pub cells: Vec<CellResult>,
    /// Cell labels grouped by behaviour class; more than one group, or a wrong checksum, is a finding.
    pub groups: Vec<(Class, Vec<String>)>,
    /// The root causes this program shows, each blamed on one axis step.
    #[serde(default)]
    pub divergences: Vec<Divergence>,
    pub cache_hits: u64,
    /// Time spent deriving facts and attributing them (what root-causing costs on top of judging).
    #[serde(default)]
    pub attribution_ns: u64,
}

/// Compiles and judges programs across a matrix.
pub struct Examiner {
    pub cells: Vec<Cell>,
    pub compiler: Compiler,
    pub judge: Judge,
    pool: Option<rayon::ThreadPool>,
}

impl Examiner {
    /// An examiner compiling `jobs` cells at a time.
    pub fn new(cells: Vec<Cell>, compiler: Compiler, judge: Judge, jobs: usize) -> Examiner {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().ok();
        Examiner { cells, compiler, judge, pool }
    }

    /// Examines several programs at once: work stealing spans programs, so no per-program barrier.
    pub fn examine_many(&self, programs: &[Program]) -> Vec<Examined> {
        let run = || programs.par_iter().map(|p| self.examine_in_pool(p)).collect();
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    /// Compiles `p` in every cell (in parallel) and judges the objects.
    pub fn examine(&self, p: &Program) -> Examined {
        match &self.pool {
            Some(pool) => pool.install(|| self.examine_in_pool(p)),
            None => self.examine_in_pool(p),
        }
    }

    fn examine_in_pool(&self, p: &Program) -> Examined {
        self.examine_sources(
            &Source::c(kreloc_gen::emit_c(p)),
            &Source::rust(kreloc_gen::emit_rust(p)),
            p.expected_checksum(),
        )
    }

    /// Compiles C text (a text-reduction candidate) in every C cell, judged against the `expected` checksum
    /// of the program it came from.
    pub fn examine_text(&self, c: &str, expected: u64) -> Examined {
        let run = || self.examine_sources(&Source::c(c), &Source::rust(String::new()), expected);
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    fn examine_sources(&self, c: &Source, rust: &Source, expected: u64) -> Examined {
        let hits_before = self.compiler.cache.hits();
        let mut cells: Vec<CellResult> = self
            .cells
            .par_iter()
            .map(|cell| {
                let src = if cell.language() == Language::Rust { rust } else { c };
                self.judge_cell(cell, src, expected)
            })
            .collect();
        crate::judge::exclude_unjudged(&mut cells.iter_mut().filter_map(|c| c.signature.as_mut()).collect::<Vec<_>>());
        let mut groups: Vec<(Class, Vec<String>)> = Vec::new();
        // A config the toolchain cannot express is reported, never compared.
        for r in cells.iter().filter(|r| r.compile != NOT_JUDGED) {
            let class = r.class(expected);
            match groups.iter_mut().find(|(c, _)| *c == class) {
                Some((_, v)) => v.push(r.cell.clone()),
                None => groups.push((class, vec![r.cell.clone()])),
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let t = Instant::now();
        let facts: Vec<Option<Facts>> = cells.iter().map(|c| c.facts.clone()).collect();
        let divergences = attribute(&self.cells, &facts);
        let attribution_ns =
            (t.elapsed().as_nanos() as u64).saturating_add(cells.iter().map(|c| c.facts_ns).sum::<u64>());
        // The counters are shared by concurrent examinations: cap at this program's cells.
        let cache_hits = (self.compiler.cache.hits() - hits_before).min(self.cells.len() as u64);
        Examined { expected_checksum: expected, cells, groups, divergences, cache_hits, attribution_ns }
    }

    fn judge_cell(&self, cell: &Cell, src: &Source, expected: u64) -> CellResult {
        let outcome = self.compiler.compile(&cell.toolchain, src, &cell.config);
        let mut r = CellResult {
            cell: cell.label(),
            compile: CompileKind::Unsupported,
            signature: None,
            commands: Vec::new(),
            object: None,
            stderr: String::new(),
            facts: None,
            facts_ns: 0,
        };
        match outcome {
            Err(e) => {
                r.compile = if matches!(e, kreloc_toolchains::Error::NotExpressible { .. }) {
                    NOT_JUDGED
                } else {
                    CompileKind::Unsupported
                };
                r.stderr = e.to_string();
            }
            Ok(o) => {
                r.compile = o.kind();
                r.commands = o.commands().to_vec();
                match o {
                    CompileOutcome::Object { bytes, .. } => {
                        if let Ok(obj) = kreloc_oracle::parse(&bytes) {
                            let sig = self.judge.signature(&obj);
                            let t = Instant::now();
                            r.facts = Some(self.judge_facts(&obj, &sig, expected));
                            r.facts_ns = t.elapsed().as_nanos() as u64;
                            r.signature = Some(sig);
                        }
                        r.object = Some(bytes);
                    }
                    CompileOutcome::CompileError { stderr, .. } => {
                        r.stderr = stderr;
                        r.facts = Some(compile_facts(CompileFault::Error));
                    }
                    CompileOutcome::Ice { stderr, .. } => {
                        r.stderr = stderr;
                        r.facts = Some(compile_facts(CompileFault::Ice));
                    }
                    CompileOutcome::Timeout { .. } => r.facts = Some(compile_facts(CompileFault::Timeout)),
                    // Not judged (its kind says so): the toolchain cannot express the config.
                    CompileOutcome::Refused { stderr, .. } => r.stderr = stderr,
                }
            }
        }
        r
    }

    /// The typed facts of an object: the loader's verdicts under every profile at every address.
    fn judge_facts(&self, obj: &kreloc_oracle::Object, sig: &Signature, expected: u64) -> Facts {
        let verdicts: Vec<kreloc_oracle::Verdict> = self
            .judge
            .profiles
            .iter()
            .flat_map(|p| self.judge.addresses.iter().map(move |&at| kreloc_oracle::load(obj, &**p, at)))
            .collect();
        let runs: Vec<(u64, RunResult)> = sig.runs.iter().map(|(a, r)| (*a, r.clone())).collect();
        object_facts(obj, &verdicts, &runs, expected)
    }
}
