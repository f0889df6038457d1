//! The toolchain × flag-set matrix of a tree: each cell's purgatory.ro built and judged (loaded at each
//! address, and its `purgatory()` run there).

use std::time::Duration;

use kreloc_campaign::examine::Cell;
use kreloc_exec::purgatory::PurgatoryRun;
use kreloc_toolchains::config::{self, CompileConfig, ConfigName, NamedConfig};
use kreloc_toolchains::ToolchainId;
use serde::Serialize;

use crate::tree::{dialect, lock_build_dir};
use crate::{linux, run, Error, Tree};

/// A purgatory flag set: the tree's own Makefile's, or a named config with a year.
#[derive(Debug, Clone, Copy)]
pub enum FlagSet {
    Tree,
    Named(&'static NamedConfig),
}

impl FlagSet {
    /// `tree`, or a named config with a year (see `kreloc toolchains list`).
    pub fn parse(name: &str) -> Result<FlagSet, Error> {
        match name {
            "tree" => Ok(FlagSet::Tree),
            n => config::named(n)
                .filter(|c| c.year.is_some())
                .map(FlagSet::Named)
                .ok_or_else(|| Error::UnknownFlagSet { name: n.to_string() }),
        }
    }

    pub fn name(self) -> ConfigName {
        ConfigName(match self {
            FlagSet::Tree => "tree".to_string(),
            FlagSet::Named(n) => n.name.to_string(),
        })
    }

    /// The config it substitutes for the tree's flags (None: the tree's own).
    fn config(self) -> Option<CompileConfig> {
        match self {
            FlagSet::Tree => None,
            FlagSet::Named(n) => Some(n.config()),
        }
    }
}

/// What one (toolchain, flag set) cell gave.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum CellOutcome {
    /// purgatory.ro was built and judged: loaded at each address, and its `purgatory()` run there.
    Judged { exec_sections: Vec<String>, verdicts: Vec<kreloc_oracle::Verdict>, runs: Vec<PurgatoryRun> },
    /// The build failed (a flag the compiler lacks, an old compiler): not judged.
    NotJudged { reason: String },
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub toolchain: ToolchainId,
    pub flags: ConfigName,
    /// Built with LLVM=1 (LLVM's linker and binutils).
    pub llvm: bool,
    /// The build tree (its .config, and make's .cmd files with each compile's flags).
    pub build_dir: std::path::PathBuf,
    #[serde(flatten)]
    pub cell: CellOutcome,
    /// What the campaign's attribution reads: the cell, and its purgatory.ro (None when not judged).
    #[serde(skip)]
    pub matrix_cell: Cell,
    #[serde(skip)]
    pub object: Option<Vec<u8>>,
    /// The make command lines that rebuild this cell's purgatory.ro.
    #[serde(skip)]
    pub commands: Vec<String>,
}

impl Row {
    /// The runs of this cell's purgatory (none when it was not built, or its profile is not run).
    pub fn runs(&self) -> &[PurgatoryRun] {
        match &self.cell {
            CellOutcome::Judged { runs, .. } => runs,
            CellOutcome::NotJudged { .. } => &[],
        }
    }

    /// Judged, and it does not load somewhere, the loader warns, or a run goes wrong.
    pub fn is_bad(&self) -> bool {
        match &self.cell {
            CellOutcome::Judged { verdicts, runs, .. } => {
                verdicts.iter().any(|v| !v.good || !v.warnings.is_empty()) || run::any_bad(runs)
            }
            CellOutcome::NotJudged { .. } => false,
        }
    }
}

/// A tree's matrix: the tree (with the addresses it was judged at) and a row per cell.
#[derive(Debug)]
pub struct Cells {
    pub tree: Tree,
    pub rows: Vec<Row>,
}

/// Builds and judges every (toolchain, flag set) cell of a tree (addresses default to seed 001's and 000's);
/// a bar over the cells when `progress`.
pub fn cells(tree: Tree, toolchains: &[String], flag_sets: &[FlagSet], progress: bool) -> Result<Cells, Error> {
    let tree = tree.with_default_addresses();
    let profile = tree.profile.profile();
    let kind = tree.kind;
    let tree_config = CompileConfig::from_flags(&kind.flags(&tree.src)?);
    let bar = progress_bar(progress, (toolchains.len() * flag_sets.len()) as u64);
    let mut rows = Vec::new();
    for spec in toolchains {
        let tc = kreloc_toolchains::resolve(spec).map_err(|source| Error::Toolchain { spec: spec.clone(), source })?;
        let dialect = dialect(&tc)?;
        let out = tree.build_dir_for(&tc);
        let _building = lock_build_dir(&out)?;
        bar.set_message(format!("{}: configure", tc.id()));
        // Without LLVM's own binutils the toolchain's cells cannot be built: not judged, as a missing tool is.
        let usable = linux::llvm_dir(&tree, &tc).map(|_| ());
        if usable.is_ok() {
            kind.configure(&tree, &out, &tc)?;
        }
        for set in flag_sets {
            let name = set.name();
            bar.set_message(format!("{}: {name}", tc.id()));
            let cfg = set.config();
            let overrides = cfg.as_ref().map(|c| kind.overrides(c, dialect));
            // The row keeps why a cell is not judged as text (its stored and reported form): the typed
            // error is rendered at this one point.
            let not_judged = |why: &Error| CellOutcome::NotJudged { reason: why.to_string() };
            let (cell, object) = match usable.as_ref().map(|()| kind.build(&tree, &out, &tc, overrides.clone())) {
                Ok(Ok(bytes)) => (judge(&bytes, &*profile, &tree.addresses)?, Some(bytes)),
                Ok(Err(why)) => (not_judged(&why), None),
                Err(why) => (not_judged(why), None),
            };
            let matrix_cell = Cell {
                toolchain: tc.clone(),
                config_name: name.0.clone(),
                config: cfg.unwrap_or_else(|| tree_config.clone()),
            };
            rows.push(Row {
                toolchain: tc.tool_id(),
                flags: name,
                llvm: tree.llvm_for(&tc),
                build_dir: out.clone(),
                cell,
                matrix_cell,
                object,
                commands: kind.commands(&tree, &out, &tc, overrides),
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(Cells { tree, rows })
}

fn judge(bytes: &[u8], profile: &dyn kreloc_oracle::Profile, addresses: &[u64]) -> Result<CellOutcome, Error> {
    let obj = kreloc_oracle::parse(bytes).map_err(Error::Parse)?;
    let exec_sections = obj.code_sections().map(|s| obj.name_of(s).to_string()).collect();
    let verdicts = addresses.iter().map(|&at| kreloc_oracle::load(&obj, profile, at)).collect();
    Ok(CellOutcome::Judged { exec_sections, verdicts, runs: run::runs(&obj, profile, addresses) })
}

/// A bar over the cells (indicatif hides it when stderr is not a terminal).
fn progress_bar(show: bool, cells: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(cells);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
