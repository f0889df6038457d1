//! Matrix throughput with 2 jobs vs 1, and a cache-hit re-run vs a cold run, in the same process.
//!
//!     cargo bench -p kreloc-toolchains --bench matrix

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::time::Instant;

use kreloc_toolchains::config::named;
use kreloc_toolchains::link::Link;
use kreloc_toolchains::matrix::compile_matrix;
use kreloc_toolchains::{resolve, Cache, CompileConfig, Compiler, Source};

fn main() {
    let base = include_str!("../../bisect/fixtures/purgatory.c");
    // Distinct sources so nothing is shared between runs except through the cache under test.
    let sources: Vec<Source> =
        (0..6).map(|i| Source::c(format!("{base}\nunsigned long kreloc_variant_{i} = {i};\n"))).collect();
    let toolchains: Vec<_> =
        ["gcc@12", "clang-19", "llvm@17", "llvm@18"].iter().map(|t| resolve(t).expect("scripts/setup.sh")).collect();
    let configs: Vec<(String, CompileConfig)> = ["kernel-2018", "kernel-2019", "kernel-2024"]
        .iter()
        .map(|n| (n.to_string(), named(n).unwrap().config()))
        .collect();
    let cells = sources.len() * toolchains.len() * configs.len();
    let time = |jobs: usize, cache: Cache| {
        let mut c = Compiler::new(cache);
        c.link = Some(Link::kernel());
        let t = Instant::now();
        let r = compile_matrix(&c, &sources, &toolchains, &configs, jobs, false).unwrap();
        assert!(r.iter().all(|(_, o)| o.as_ref().is_ok_and(|o| o.object().is_some())));
        (t.elapsed().as_secs_f64(), c)
    };
    let (one, _) = time(1, Cache::disabled());
    let (two, _) = time(2, Cache::disabled());
    let dir = tempfile::tempdir().unwrap();
    let (cold, _) = time(2, Cache::at(dir.path()));
    let (warm, c) = time(2, Cache::at(dir.path()));
    assert_eq!(c.cache.hits() as usize, cells);
    println!("{cells} compiles+links (6 sources x 4 toolchains x 3 configs)");
    println!("| run | wall | ratio |");
    println!("|---|---|---|");
    println!("| 1 job, no cache | {one:.2}s | 1.00x |");
    println!("| 2 jobs, no cache | {two:.2}s | {:.2}x faster |", one / two);
    println!("| 2 jobs, cold cache | {cold:.2}s | 1.00x |");
    println!("| 2 jobs, warm cache (all hits) | {warm:.3}s | {:.0}x faster |", cold / warm);
}
