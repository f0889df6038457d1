//! The execution oracle's mutation score: does a misrelocated field change what the program computes?
//! Each relocation the loader applied is corrupted in turn (0x1000 added to the value written into its
//! field) and the image run again; the mutant is *killed* when the checksum differs or the run faults.

use serde::Serialize;

use kreloc_gen::Program;
use kreloc_oracle::arch::Field;
use kreloc_oracle::{Object, Profile};
use kreloc_toolchains::{CompileOutcome, Compiler, Source};

use crate::examine::Cell;
use crate::judge::Executor;
use crate::sandbox::RunFailure;

/// Where `symbol` lies in the loaded image, as an offset from the load address.
fn entry_offset(obj: &Object, v: &kreloc_oracle::Verdict, symbol: &str) -> Result<u64, RunResult> {
    kreloc_exec::run_object::entry_offset(obj, v, v.load_addr, symbol)
        .map_err(|_| RunResult::Failed(RunFailure::NoEntry))
}
use crate::signature::RunResult;

/// What is added to each relocated field.
pub const DELTA: u64 = 0x1000;

/// One surviving mutant: a corrupted relocation the checksum did not notice.
#[derive(Debug, Clone, Serialize)]
pub struct Survivor {
    /// `seed/cell`, filled in by [`score_programs`].
    pub object: String,
    pub relocation: String,
    pub section: String,
}

/// Mutants of one object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// Relocations applied by the loader.
    pub relocations: usize,
    /// Mutants run (relocations with a plain field inside the file-backed image).
    pub mutated: usize,
    pub killed: usize,
    pub survivors: Vec<Survivor>,
    /// Mutants whose run could not be judged (the sandbox failed or the address could not be mapped).
    pub not_judged: usize,
}

impl Score {
    pub fn add(&mut self, o: Score) {
        self.relocations += o.relocations;
        self.mutated += o.mutated;
        self.killed += o.killed;
        self.not_judged += o.not_judged;
        self.survivors.extend(o.survivors);
    }

    /// Killed / judged mutants.
    pub fn ratio(&self) -> f64 {
        let judged = self.mutated - self.not_judged;
        if judged == 0 {
            return 1.0;
        }
        self.killed as f64 / judged as f64
    }
}

/// Why an object could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutationError {
    #[error("the loader refuses the object at {0:#x}: {1}")]
    NotLoaded(u64, String),
    #[error("the unmutated run gave {got:?}, not the expected checksum {want:#x}")]
    Baseline { got: RunResult, want: u64 },
    #[error("cannot run: {0:?}")]
    NoEntry(RunResult),
}

/// A failure that says nothing about the program (the harness could not run it).
fn not_judged(r: &RunResult) -> bool {
    matches!(r, RunResult::NotJudged(_))
}

/// Runs every mutant of `obj` loaded by `profile` at `at`, calling `entry`, which must return `expected`.
pub fn score(
    obj: &Object,
    profile: &dyn Profile,
    at: u64,
    exec: &dyn Executor,
    entry: &str,
    expected: u64,
) -> Result<Score, MutationError> {
    let v = kreloc_oracle::load(obj, profile, at);
    if !v.loaded {
        return Err(MutationError::NotLoaded(at, v.failure_text().unwrap_or_default()));
    }
    let off = entry_offset(obj, &v, entry).map_err(MutationError::NoEntry)?;
    let base = exec.run(&v.image, v.memsz, at, off);
    if base != RunResult::Checksum(expected) {
        return Err(MutationError::Baseline { got: base, want: expected });
    }
    let arch = profile.arch();
    let mut s = Score::default();
    let mut image = v.image.clone();
    for r in v.relocations.iter().filter(|r| !r.status.is_fatal()) {
        s.relocations += 1;
        let howto = arch.howto(r.r_type);
        let width = usize::from(howto.width);
        let Some(pos) = r.place.checked_sub(at).and_then(|p| usize::try_from(p).ok()) else { continue };
        if howto.field != Field::Plain
            || howto.shift != 0
            || width == 0
            || pos.checked_add(width).is_none_or(|end| end > image.len())
        {
            continue;
        }
        let field = &mut image[pos..pos + width];
        let old = arch.load(field, howto.width);
        let mask = if width >= 8 { u64::MAX } else { (1u64 << (8 * width)) - 1 };
        arch.store(&howto, field, old.wrapping_add(DELTA) & mask);
        let got = exec.run(&image, v.memsz, at, off);
        image[pos..pos + width].copy_from_slice(&v.image[pos..pos + width]);
        s.mutated += 1;
        if not_judged(&got) {
            s.not_judged += 1;
        } else if got != RunResult::Checksum(expected) {
            s.killed += 1;
        } else {
            s.survivors.push(Survivor {
                object: String::new(),
                relocation: r.describe(),
                section: r.section.to_string(),
            });
        }
    }
    Ok(s)
}

/// Mutation figures over programs × C cells.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub programs: usize,
    pub objects: usize,
    pub score: Score,
    /// Programs whose expected checksum is 0.
    pub zero_checksums: usize,
    /// `seed/cell: why` for every object that could not be scored.
    pub errors: Vec<String>,
}

/// Compiles each program (C) in each cell and scores every object at `at` under `profile`.
pub fn score_programs(
    programs: &[(u64, Program)],
    cells: &[Cell],
    compiler: &Compiler,
    profile: &dyn Profile,
    at: u64,
    exec: &dyn Executor,
) -> Figures {
    let mut f = Figures { programs: programs.len(), ..Figures::default() };
    for (seed, p) in programs {
        let expected = p.expected_checksum();
        f.zero_checksums += usize::from(expected == 0);
        let src = Source::c(kreloc_gen::emit_c(p));
        for cell in cells {
            let obj = match object(compiler, cell, &src) {
                Ok(o) => o,
                Err(e) => {
                    f.errors.push(format!("{seed}/{}: {e}", cell.label()));
                    continue;
                }
            };
            f.objects += 1;
            match score(&obj, profile, at, exec, "kreloc_entry", expected) {
                Ok(mut s) => {
                    s.survivors.iter_mut().for_each(|v| v.object = format!("{seed}/{}", cell.label()));
                    f.score.add(s)
                }
                Err(e) => f.errors.push(format!("{seed}/{}: {e}", cell.label())),
            }
        }
    }
    f
}

/// What a planted miscompiler did to a set of programs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Planted {
    /// Programs whose loaded image differs from the reference compiler's.
    pub changed: usize,
    /// Of those, programs whose run gave a wrong checksum or faulted.
    pub caught: usize,
    pub errors: Vec<String>,
}

impl Planted {
    pub fn ratio(&self) -> f64 {
        if self.changed == 0 {
            return 0.0;
        }
        self.caught as f64 / self.changed as f64
    }
}

/// Compiles each program with `planted` and with `reference` (same config) and runs the planted object
/// wherever its image differs from the reference's.
pub fn planted_catch(
    programs: &[(u64, Program)],
    planted: &Cell,
    reference: &Cell,
    compiler: &Compiler,
    profile: &dyn Profile,
    at: u64,
    exec: &dyn Executor,
) -> Planted {
    let mut out = Planted::default();
    for (seed, p) in programs {
        let src = Source::c(kreloc_gen::emit_c(p));
        let objs = object(compiler, planted, &src).and_then(|a| Ok((a, object(compiler, reference, &src)?)));
        let (bad, good) = match objs {
            Ok(o) => o,
            Err(e) => {
                out.errors.push(format!("{seed}: {e}"));
                continue;
            }
        };
        let (vb, vg) = (kreloc_oracle::load(&bad, profile, at), kreloc_oracle::load(&good, profile, at));
        if !vb.loaded || !vg.loaded {
            out.errors.push(format!("{seed}: not loaded at {at:#x}"));
            continue;
        }
        if vb.image == vg.image {
            continue;
        }
        out.changed += 1;
        let got = match entry_offset(&bad, &vb, "kreloc_entry") {
            Ok(off) => exec.run(&vb.image, vb.memsz, at, off),
            Err(e) => e,
        };
        if not_judged(&got) {
            out.changed -= 1;
            out.errors.push(format!("{seed}: not judged: {got:?}"));
        } else if got != RunResult::Checksum(p.expected_checksum()) {
            out.caught += 1;
        }
    }
    out
}

/// The parsed object a cell compiles `src` to.
fn object(compiler: &Compiler, cell: &Cell, src: &Source) -> Result<Object, crate::Error> {
    match compiler.compile(&cell.toolchain, src, &cell.config)? {
        CompileOutcome::Object { bytes, .. } => Ok(kreloc_oracle::parse(&bytes)?),
        other => Err(crate::Error::NoObject { kind: other.kind(), commands: other.commands().to_vec() }),
    }
}

/// The recipe: `count` programs (`Program::from_seed(first + i, 512)`) × gcc@12 and clang-19 ×
/// kernel-2024, loaded by linux-x86_64 at 0x13fffb000 and run in the sandbox; and the planted miscompiler
/// `planted_cc` (a path to a gcc wrapper) next to gcc@12 on the same programs.
pub fn standard_figures(
    first: u64,
    count: u64,
    planted_cc: &std::path::Path,
) -> Result<(Figures, Planted), crate::Error> {
    const AT: u64 = 0x1_3fff_b000;
    let configs = ["kernel-2024".to_string()];
    let cells = crate::setup::cells(&["gcc@12".into(), "clang-19".into()], &configs)?;
    let planted = crate::setup::cells(&[format!("path:{}", planted_cc.display())], &configs)?;
    let profile = kreloc_oracle::ProfileId::LinuxX86_64(None).profile();
    let mut compiler = Compiler::new(kreloc_toolchains::Cache::default_location());
    compiler.link = Some(kreloc_toolchains::link::Link::kernel());
    let exec = crate::sandbox::Sandbox { timeout: std::time::Duration::from_secs(2) };
    let programs: Vec<(u64, Program)> = (first..first + count).map(|s| (s, Program::from_seed(s, 512))).collect();
    let figures = score_programs(&programs, &cells, &compiler, &*profile, AT, &exec);
    // The wrapper's identity does not change with its script: never reuse cached objects for it.
    let uncached = Compiler {
        cache: kreloc_toolchains::Cache::disabled(),
        timeout: compiler.timeout,
        link: compiler.link.clone(),
    };
    let caught = planted_catch(&programs, &planted[0], &cells[0], &uncached, &*profile, AT, &exec);
    Ok((figures, caught))
}
