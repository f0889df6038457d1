//! `kreloc reduce FINDING`: shrink the smallest program of a root cause while its two cells (the one
//! without the problem and the one with it) still show the same typed change, recompiling only those two.
//! Also gathers the evidence a bug report needs: commands, loader output, relocations, disassembly.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use kreloc_gen::{Edit, Program};
use kreloc_oracle::{Object, ProfileId};
use kreloc_toolchains::upstream::Plain;

use crate::attribute::RootCause;
use crate::change::{explain, Facts};
use crate::examine::{Cell, CellId, CellResult, Examined, Examiner};
use crate::reduce::{reduce, ReduceStats, Reducible};
use crate::reduce_text::{reduce_text, TextStats};
use crate::store::{sightings, smallest_program, summarize};
use crate::ub_guard::{UbError, UbGuard};

impl Reducible for Program {
    type Edit = Edit;
    fn candidates(&self) -> Vec<Edit> {
        self.reduction_candidates()
    }
    fn apply(&self, e: &Edit) -> Option<Program> {
        Program::apply(self, e)
    }
    fn size(&self) -> usize {
        Program::size(self)
    }
}

/// Why a finding cannot be reduced.
#[derive(Debug, thiserror::Error)]
pub enum ReduceError {
    /// The store's reads (their messages name the finding where it matters).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0}: the smallest program's cells are not in cells.json")]
    NoCells(PathBuf),
    /// The stored program no longer shows `cause` in its two cells.
    #[error("the finding does not reproduce with these toolchains ({})", .cause.title())]
    DoesNotReproduce { cause: RootCause },
    /// The text predicate (for `--test-text`) cannot be had.
    #[error("the finding does not reproduce with these toolchains ({0})")]
    NoTextPredicate(#[source] TextSkipped),
}

/// Why the whole-file text reduction was not run or gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum TextSkipped {
    #[error("the cells compile Rust: only C text is reduced")]
    Rust,
    /// The UB guard has no host compilers.
    #[error(transparent)]
    NoGuard(#[from] UbError),
    #[error("the AST-reduced program fails the UB guard: {0}")]
    FailsGuard(#[source] UbError),
    #[error("the flattened program does not show the cause")]
    NoCause,
}

/// A root cause's case: its smallest program and the two cells of the divergence.
#[derive(Debug, Clone)]
pub struct Case {
    pub finding: PathBuf,
    pub cause: RootCause,
    pub program_dir: PathBuf,
    pub program: Program,
    /// The cell without the problem (none for a problem every cell shows).
    pub from: Option<Cell>,
    pub to: Cell,
}

fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T, ReduceError> {
    let path = dir.join(name);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(source) => return Err(ReduceError::File { path, source }),
    };
    serde_json::from_slice(&bytes).map_err(|source| ReduceError::Json { path, source })
}

/// Loads a finding directory: the cause, its smallest program and that program's cell pair.
pub fn load_case(finding: &Path) -> Result<Case, ReduceError> {
    let summary = summarize(finding)?;
    let program_dir = smallest_program(finding)?;
    let id = program_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let program: Program = read_json(&program_dir, "program.json")?;
    let cells: Vec<Cell> = read_json(&program_dir, "cells.json")?;
    let seen = sightings(finding)?;
    let pair = seen
        .iter()
        .filter(|s| s.program == id)
        .flat_map(|s| s.cells.first())
        .next()
        .ok_or_else(|| ReduceError::NoCells(program_dir.clone()))?;
    // Sightings name cells by label; a label that does not parse matches no cell.
    let by_label = |l: &str| {
        let id: CellId = l.parse().ok()?;
        cells.iter().find(|c| c.id() == id).cloned()
    };
    let to = by_label(&pair.to).ok_or_else(|| ReduceError::NoCells(program_dir.clone()))?;
    let from = match &pair.from {
        Some(l) => Some(by_label(l).ok_or_else(|| ReduceError::NoCells(program_dir.clone()))?),
        None => None,
    };
    Ok(Case { finding: finding.to_path_buf(), cause: summary.cause, program_dir, program, from, to })
}

/// Whether the examined cells still show the cause's change: `to` has it over `from` (or at all, without
/// `from`; as a raw problem for a fix, which attribution does not explain by section moves).
pub fn shows(cause: &RootCause, ex: &Examined, from: Option<&str>, to: &str) -> bool {
    let change = &cause.change;
    let facts = |l: &str| -> Option<&Facts> { ex.cells.iter().find(|c| c.cell == l)?.facts.as_ref() };
    let Some(t) = facts(to) else { return false };
    match from {
        None => t.problems.contains(change),
        Some(f) => match facts(f) {
            Some(ff) if matches!(cause.step, crate::attribute::Step::FixedIn { .. }) => {
                t.problems.contains(change) && !ff.problems.contains(change)
            }
            Some(ff) => t.problems.iter().any(|p| explain(p, ff, t).as_ref() == Some(change)),
            None => false,
        },
    }
}

/// The reduced case and the evidence for a bug report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reduced {
    pub stats: ReduceStatsJson,
    pub c_lines_before: usize,
    pub c_lines_after: usize,
    pub from_cell: Option<String>,
    pub to_cell: String,
    /// The exact compile and link commands of the cell with the problem, and of the one without.
    pub bad_commands: Vec<String>,
    pub good_commands: Vec<String>,
    /// The same as upstream spells them (`clang-18 -target x86_64-unknown-linux-gnu …` for a zig cell).
    #[serde(default)]
    pub bad_plain: Option<Plain>,
    #[serde(default)]
    pub good_plain: Option<Plain>,
    pub evidence: Evidence,
    /// The same for the cell without the problem (what upstream is told to expect).
    #[serde(default)]
    pub good_evidence: Option<Evidence>,
    /// The whole-file text reduction after the AST one (`None`: not run, `text_skipped` says why).
    #[serde(default)]
    pub text: Option<TextStats>,
    #[serde(default)]
    pub text_skipped: Option<String>,
    /// The AST-reduced program (`reduced.c`).
    pub reduced_c: String,
    /// The whole-file reduction of it (`reproducer.c`), or the same program when that did not run.
    #[serde(default)]
    pub reproducer_c: String,
}

/// `ReduceStats` with the elapsed time in milliseconds (serializable both ways).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReduceStatsJson {
    pub size_before: usize,
    pub size_after: usize,
    pub tests: usize,
    pub accepted: usize,
    pub elapsed_ms: u64,
}

impl From<&ReduceStats> for ReduceStatsJson {
    fn from(s: &ReduceStats) -> Self {
        ReduceStatsJson {
            size_before: s.size_before,
            size_after: s.size_after,
            tests: s.tests,
            accepted: s.accepted,
            elapsed_ms: s.elapsed.as_millis() as u64,
        }
    }
}

/// What the loader does with the bad object where it goes wrong.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// The profile judging the bad object; none when it did not compile (written `""`, as before).
    #[serde(with = "profile_or_empty")]
    pub profile: Option<ProfileId>,
    pub failing_address: Option<u64>,
    /// `kreloc check`-style text at the failing address.
    pub loader_output: String,
    /// The relocations that fail there (`R_X86_64_32S against .rodata in .text+0x2f = 0x17f7affd0c0 (Overflow)`).
    pub relocations: Vec<String>,
    /// The decoded instruction at the first failing relocation, or at the entry for entry problems.
    pub disassembly: Option<String>,
    /// Exec sections of the bad object, with sizes.
    pub exec_sections: Vec<(String, u64)>,
}

impl Evidence {
    /// The judging profile's name, empty when there is none.
    pub fn profile_name(&self) -> String {
        self.profile.map(|p| p.to_string()).unwrap_or_default()
    }
}

/// `Evidence::profile` on disk: the profile's name, or `""` when there is none.
mod profile_or_empty {
    use kreloc_oracle::ProfileId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(p: &Option<ProfileId>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.collect_str(p),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProfileId>, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Ok(None);
        }
        name.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// Reduces `case`, compiling only its two cells with `examiner_for`; writes `reduced.c`, `reduced.rs`,
/// `reduced.json` and `reduce.md` into the finding directory.
pub fn reduce_case(
    case: &Case,
    examiner_for: impl Fn(Vec<Cell>) -> Examiner,
    max_tests: usize,
) -> Result<Reduced, ReduceError> {
    let start = Instant::now();
    let cells: Vec<Cell> = case.from.iter().cloned().chain([case.to.clone()]).collect();
    let examiner = examiner_for(cells);
    let (from, to) = (case.from.as_ref().map(Cell::label), case.to.label());
    let keeps = |q: &Program| shows(&case.cause, &examiner.examine(q), from.as_deref(), &to);
    if !keeps(&case.program) {
        return Err(ReduceError::DoesNotReproduce { cause: case.cause.clone() });
    }
    let (small, stats) = reduce(case.program.clone(), keeps, max_tests);
    let expected = small.expected_checksum();
    let c_ast = kreloc_gen::emit_c(&small);
    let (reproducer, text, text_skipped) =
        match reduce_whole_file(case, &examiner, &c_ast, expected, max_tests * TEXT_TESTS_PER_AST_TEST) {
            Ok((c, st)) => (c, Some(st), None),
            // reduced.json keeps why as text: the one place this typed error is rendered for the store.
            Err(why) => (c_ast.clone(), None, Some(why.to_string())),
        };
    let ex = examiner.examine_text(&reproducer, expected);
    let cell = |l: &str| ex.cells.iter().find(|c| c.cell == l);
    let bad = cell(&to);
    let evidence = bad.map(|b| evidence(b, &examiner)).unwrap_or_default();
    let reduced = Reduced {
        stats: ReduceStatsJson { elapsed_ms: start.elapsed().as_millis() as u64, ..ReduceStatsJson::from(&stats) },
        c_lines_before: kreloc_gen::emit_c(&case.program).lines().count(),
        c_lines_after: reproducer.lines().count(),
        from_cell: from.clone(),
        to_cell: to.clone(),
        bad_commands: bad.map(|c| c.commands.clone()).unwrap_or_default(),
        good_commands: from.as_deref().and_then(cell).map(|c| c.commands.clone()).unwrap_or_default(),
        bad_plain: plain(&case.to, &examiner),
        good_plain: case.from.as_ref().and_then(|c| plain(c, &examiner)),
        evidence,
        good_evidence: from.as_deref().and_then(cell).map(|c| self::evidence(c, &examiner)),
        text,
        text_skipped,
        reduced_c: c_ast.clone(),
        reproducer_c: reproducer.clone(),
    };
    let write = |name: &str, bytes: &[u8]| {
        let path = case.finding.join(name);
        crate::store::write_atomically(&path, bytes).map_err(|source| ReduceError::File { path, source })
    };
    write("reduced.c", c_ast.as_bytes())?;
    write("reproducer.c", reproducer.as_bytes())?;
    write("reduced.rs", kreloc_gen::emit_rust(&small).as_bytes())?;
    write("reduced.json", &serde_json::to_vec_pretty(&small).unwrap_or_default())?;
    write("reduce.md", reduce_md(&reduced).as_bytes())?;
    Ok(reduced)
}

/// The text reduction's budget per AST test: most of its candidates fail to compile, which is quick.
pub const TEXT_TESTS_PER_AST_TEST: usize = 5;

/// The text reduction's predicate: both cells still compile, the cause still shows (checksums judged
/// against the AST program's evaluator), and the UB guard finds nothing.
pub struct TextPredicate<'a> {
    case: &'a Case,
    examiner: &'a Examiner,
    guard: UbGuard,
    expected: u64,
}

impl<'a> TextPredicate<'a> {
    pub fn new(case: &'a Case, examiner: &'a Examiner, expected: u64) -> Result<TextPredicate<'a>, TextSkipped> {
        if examiner.cells.iter().any(|c| c.language() != kreloc_toolchains::Language::C) {
            return Err(TextSkipped::Rust);
        }
        Ok(TextPredicate { case, examiner, guard: UbGuard::find()?, expected })
    }

    pub fn keeps(&self, text: &str) -> bool {
        let (from, to) = (self.case.from.as_ref().map(Cell::label), self.case.to.label());
        let ex = self.examiner.examine_text(text, self.expected);
        ex.cells.iter().all(|c| c.compile == kreloc_toolchains::CompileKind::Object)
            && shows(&self.case.cause, &ex, from.as_deref(), &to)
            && self.guard.check(text).is_ok()
    }
}

/// Reduces the emitted C text itself with [`TextPredicate`].
fn reduce_whole_file(
    case: &Case,
    examiner: &Examiner,
    c: &str,
    expected: u64,
    max_tests: usize,
) -> Result<(String, TextStats), TextSkipped> {
    let pred = TextPredicate::new(case, examiner, expected)?;
    pred.guard.check(c).map_err(TextSkipped::FailsGuard)?;
    let (out, stats) = reduce_text(c, |t| pred.keeps(t), max_tests);
    if stats.tests == 1 && stats.accepted == 0 && stats.lines_after == stats.lines_before {
        return Err(TextSkipped::NoCause);
    }
    Ok((out, stats))
}

/// Whether C `text` still shows the finding's cause under the text reduction's predicate (for an external
/// reducer such as cvise: `kreloc reduce FINDING --test-text FILE`).
pub fn text_shows(dir: &Path, examiner_for: impl Fn(Vec<Cell>) -> Examiner, text: &str) -> Result<bool, ReduceError> {
    let case = load_case(dir)?;
    let program: Program = read_json(dir, "reduced.json").unwrap_or_else(|_| case.program.clone());
    let examiner = examiner_for(case.from.iter().cloned().chain([case.to.clone()]).collect());
    let pred =
        TextPredicate::new(&case, &examiner, program.expected_checksum()).map_err(ReduceError::NoTextPredicate)?;
    Ok(pred.keeps(text))
}

/// A cell's compile and link as upstream spells them.
pub fn plain(cell: &Cell, examiner: &Examiner) -> Option<Plain> {
    kreloc_toolchains::upstream::plain(&cell.toolchain, cell.language(), &cell.config, examiner.compiler.link.as_ref())
        .ok()
}

/// Loads and reduces a finding directory.
pub fn reduce_finding(
    dir: &Path,
    examiner_for: impl Fn(Vec<Cell>) -> Examiner,
    max_tests: usize,
) -> Result<Reduced, ReduceError> {
    reduce_case(&load_case(dir)?, examiner_for, max_tests)
}

fn reduce_md(r: &Reduced) -> String {
    format!(
        "# Reduced reproducer\n\nReduced from {} to {} AST nodes ({} to {} lines of C) in {:.1}s with {} interestingness tests.\n\nCells: {} → {}\n\n```sh\n{}\n```\n\n```\n{}{}```\n\n```c\n{}```\n",
        r.stats.size_before,
        r.stats.size_after,
        r.c_lines_before,
        r.c_lines_after,
        r.stats.elapsed_ms as f64 / 1000.0,
        r.stats.tests,
        r.from_cell.as_deref().unwrap_or("—"),
        r.to_cell,
        r.bad_commands.join("\n"),
        r.evidence.loader_output,
        r.evidence.disassembly.clone().unwrap_or_default(),
        r.reproducer_c
    )
}

/// The loader's view of a cell's object at the first address where it fails or prints something.
pub fn evidence(cell: &CellResult, examiner: &Examiner) -> Evidence {
    let (Some(obj), Some(profile)) =
        (cell.object.as_ref().and_then(|o| kreloc_oracle::parse(o).ok()), examiner.judge.profiles.first())
    else {
        return Evidence {
            loader_output: cell.stderr.lines().take(20).collect::<Vec<_>>().join("\n") + "\n",
            ..Evidence::default()
        };
    };
    let verdicts: Vec<kreloc_oracle::Verdict> =
        examiner.judge.addresses.iter().map(|&a| kreloc_oracle::load(&obj, &**profile, a)).collect();
    let v = verdicts.iter().find(|v| !v.ok).or(verdicts.iter().find(|v| !v.messages.is_empty())).or(verdicts.first());
    let mut e = Evidence { profile: Some(profile.id()), exec_sections: exec_sections(&obj), ..Evidence::default() };
    let Some(v) = v else { return e };
    e.failing_address = Some(v.load_addr);
    e.loader_output = format!(
        "$ kreloc check purgatory.ro --profile {} --at {:#x}\n{}",
        profile.name(),
        v.load_addr,
        kreloc_oracle::report::verdict_text(v, None)
    );
    e.relocations = v
        .relocations
        .iter()
        .filter(|r| r.status != kreloc_oracle::Status::Ok)
        .map(|r| format!("{} = {:#x} at {:#x} ({:?})", r.describe(), r.value, r.place, r.status))
        .collect();
    e.disassembly =
        match v.first_failed_relocation().or(v.relocations.iter().find(|r| r.status != kreloc_oracle::Status::Ok)) {
            Some(r) => crate::finding::site(&obj, &r.section, r.offset, r.type_name),
            None => entry_site(&obj, v),
        };
    e
}

fn exec_sections(obj: &Object) -> Vec<(String, u64)> {
    obj.code_sections().map(|s| (obj.name_of(s).to_string(), s.size)).collect()
}

/// The first instruction of every exec section that contains `e_entry`: where each could send the loader.
fn entry_site(obj: &Object, v: &kreloc_oracle::Verdict) -> Option<String> {
    let mut out = String::new();
    for index in v.entry.matches.iter() {
        let (sec, name) = (obj.sections.get(index as usize)?, v.section_name(index));
        let off = obj.entry.checked_sub(sec.addr)?;
        if let Some(insn) = kreloc_exec::scan::instruction_at(obj.data(sec), 0, off) {
            out += &format!("{name}+{:#x}: {}   {}\n", insn.offset, insn.bytes_hex, insn.text);
        }
    }
    if let Some(i) = &v.entry.intended {
        out += &format!(
            "the loader enters at {:#x} ({}); {} is at {:#x} ({})\n",
            v.entry.start,
            v.entry.section.map_or("no section".into(), |s| v.section_name(s)),
            v.symbol_name(i.symbol),
            i.addr,
            v.section_name(i.section)
        );
    }
    (!out.is_empty()).then_some(out)
}
