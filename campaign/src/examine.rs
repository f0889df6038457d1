//! One program through the matrix: compile every cell, judge every object, and decide whether the oracle
//! judged them differently (a finding).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use kreloc_gen::Program;
use kreloc_toolchains::{identity::Kind, CompileConfig, CompileOutcome, Compiler, Language, Source, Toolchain};

use crate::judge::Judge;
use crate::signature::{short_hash, RunResult, Signature};

/// One toolchain × config.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub toolchain: Toolchain,
    pub config_name: String,
    pub config: CompileConfig,
}

impl Cell {
    /// `gcc-12.2.0/small-nopic`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.toolchain.id(), self.config_name)
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
pub const NOT_JUDGED: &str = "not-judged";

/// What one cell gave.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellResult {
    pub cell: String,
    /// `object`, `compile-error`, `ice`, `timeout`, `unsupported`, or `not-judged`.
    pub compile: String,
    pub signature: Option<Signature>,
    pub commands: Vec<String>,
    #[serde(skip)]
    pub object: Option<Vec<u8>>,
    #[serde(skip)]
    pub stderr: String,
}

/// The behaviour class of a cell: what findings compare and deduplicate on (no checksum values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Class {
    pub compile: String,
    pub loads: BTreeMap<String, bool>,
    pub window: Option<crate::signature::WindowClass>,
    /// Per address: `right`, `wrong` (checksum differs from the evaluator), `not-loaded`, or a failure.
    pub runs: Vec<(u64, String)>,
    pub warnings: Vec<String>,
}

impl Class {
    /// What findings deduplicate on: per-address detail dropped, only the kinds of run failure kept.
    pub fn coarse(&self) -> (String, BTreeMap<String, bool>, Option<crate::signature::WindowClass>, Vec<String>, Vec<String>) {
        let mut kinds: Vec<String> = self.runs.iter().map(|(_, r)| r.clone()).filter(|r| r != "right" && r != "not-loaded").collect();
        kinds.sort();
        kinds.dedup();
        (self.compile.clone(), self.loads.clone(), self.window, kinds, self.warnings.clone())
    }

    /// A run went wrong (bad checksum, crash, hang) somewhere.
    pub fn misbehaves(&self) -> bool {
        self.runs.iter().any(|(_, r)| r != "right" && r != "not-loaded")
    }
}

impl CellResult {
    /// The class of this result, given the program's expected checksum.
    pub fn class(&self, expected: u64) -> Class {
        let sig = self.signature.as_ref();
        Class {
            compile: self.compile.clone(),
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
                                RunResult::Failed(f) => f.clone(),
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
    /// Set when the oracle judged the objects differently or a checksum is wrong.
    pub fingerprint: Option<String>,
    pub cache_hits: u64,
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
        let expected = p.expected_checksum();
        let c = Source::c(kreloc_gen::emit_c(p));
        let rust = Source::rust(kreloc_gen::emit_rust(p));
        let hits_before = self.compiler.cache.hits();
        let cells: Vec<CellResult> = self
            .cells
            .par_iter()
            .map(|cell| {
                let src = if cell.language() == Language::Rust { &rust } else { &c };
                self.judge_cell(cell, src)
            })
            .collect();
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
        let wrong = groups.iter().any(|(c, _)| c.misbehaves());
        let fingerprint = (groups.len() > 1 || wrong).then(|| {
            let mut key: Vec<_> = groups.iter().map(|(c, v)| (c.coarse(), v)).collect();
            key.sort();
            key.dedup();
            short_hash(&serde_json::to_vec(&key).unwrap_or_default())
        });
        // The counters are shared by concurrent examinations: cap at this program's cells.
        let cache_hits = (self.compiler.cache.hits() - hits_before).min(self.cells.len() as u64);
        Examined { expected_checksum: expected, cells, groups, fingerprint, cache_hits }
    }

    fn judge_cell(&self, cell: &Cell, src: &Source) -> CellResult {
        let outcome = self.compiler.compile(&cell.toolchain, src, &cell.config);
        let mut r = CellResult { cell: cell.label(), compile: String::new(), signature: None, commands: Vec::new(), object: None, stderr: String::new() };
        match outcome {
            Err(e) => {
                r.compile = if matches!(e, kreloc_toolchains::Error::NotExpressible(_)) { NOT_JUDGED } else { "unsupported" }.into();
                r.stderr = e.to_string();
            }
            Ok(o) => {
                r.compile = o.kind().to_string();
                r.commands = o.commands().to_vec();
                match o {
                    CompileOutcome::Object { bytes, .. } => {
                        if let Ok(obj) = kreloc_oracle::parse(&bytes) {
                            r.signature = Some(self.judge.signature(&obj));
                        }
                        r.object = Some(bytes);
                    }
                    CompileOutcome::CompileError { stderr, .. } | CompileOutcome::Ice { stderr, .. } => r.stderr = stderr,
                    CompileOutcome::Timeout { .. } => {}
                }
            }
        }
        r
    }
}
