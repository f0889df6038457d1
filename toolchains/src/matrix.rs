//! Compiling toolchains × configs (× sources) in parallel, with a progress bar.

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::compile::{CompileOutcome, Compiler, Source};
use crate::config::CompileConfig;
use crate::identity::Toolchain;
use crate::Error;

/// One cell of the matrix.
#[derive(Debug, Clone)]
pub struct Cell {
    pub source: usize,
    pub toolchain: Toolchain,
    pub config_name: String,
    pub config: CompileConfig,
}

/// One cell and what compiling it gave.
pub type CellOutcome = (Cell, Result<CompileOutcome, Error>);

/// Compiles every (source, toolchain, config) on `jobs` threads. Results come back in cell order.
pub fn compile_matrix(
    compiler: &Compiler,
    sources: &[Source],
    toolchains: &[Toolchain],
    configs: &[(String, CompileConfig)],
    jobs: usize,
    progress: bool,
) -> Result<Vec<CellOutcome>, Error> {
    let cells: Vec<Cell> = (0..sources.len())
        .flat_map(|s| {
            toolchains.iter().flat_map(move |tc| {
                configs.iter().map(move |(name, cfg)| Cell {
                    source: s,
                    toolchain: tc.clone(),
                    config_name: name.clone(),
                    config: cfg.clone(),
                })
            })
        })
        .collect();
    let bar = if progress && cells.len() > 1 { ProgressBar::new(cells.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} compiles [{elapsed}<{eta}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build()?;
    let results = pool.install(|| {
        cells
            .into_par_iter()
            .map(|cell| {
                let r = compiler.compile(&cell.toolchain, &sources[cell.source], &cell.config);
                bar.inc(1);
                bar.set_message(format!("cache hits {}", compiler.cache.hits()));
                (cell, r)
            })
            .collect()
    });
    bar.finish_and_clear();
    Ok(results)
}
