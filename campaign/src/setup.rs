//! Building an examiner from names (toolchain specs, config names, profile names): shared by `kreloc fuzz`,
//! `kreloc reduce` and the `reloc` fuzz target.

use std::time::Duration;

use kreloc_oracle::ProfileId;
use kreloc_toolchains::link::Link;
use kreloc_toolchains::{config, Cache, Compiler};

use crate::examine::{Cell, Examiner};
use crate::judge::Judge;
use crate::sandbox::Sandbox;

/// The matrix cells for toolchain specs × named configs.
pub fn cells(toolchains: &[String], configs: &[String]) -> Result<Vec<Cell>, crate::Error> {
    let mut out = Vec::new();
    for t in toolchains {
        let tc = kreloc_toolchains::resolve(t)?;
        for c in configs {
            let named = config::named(c).ok_or_else(|| crate::Error::UnknownConfig {
                given: c.clone(),
                known: config::NAMED.iter().map(|n| n.name).collect::<Vec<_>>().join(", "),
            })?;
            out.push(Cell { toolchain: tc.clone(), config_name: c.clone(), config: named.config() });
        }
    }
    Ok(out)
}

/// An examiner judging with `profiles` at the standard addresses, linking like purgatory.ro, running the
/// code in the sandbox when `exec`.
pub fn examiner(cells: Vec<Cell>, profiles: &[ProfileId], exec: bool, jobs: usize) -> Examiner {
    let mut judge = Judge::new(profiles, kreloc_exec::STANDARD_ADDRESSES);
    if exec {
        judge.executor = Some(Box::new(Sandbox { timeout: Duration::from_secs(2) }));
    }
    let mut compiler = Compiler::new(Cache::default_location());
    compiler.link = Some(Link::kernel());
    Examiner::new(cells, compiler, judge, jobs)
}
