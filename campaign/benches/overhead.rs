//! Campaign time against compile-only time for the same matrix and programs, and 2 jobs against 1.
//!
//!     cargo bench -p kreloc-campaign --bench overhead

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::time::Instant;

use kreloc_campaign::examine::Examiner;
use kreloc_campaign::setup::{cells, examiner};
use kreloc_gen::Program;
use kreloc_toolchains::{Cache, Source};

const PROGRAMS: u64 = 24;

fn fresh(jobs: usize, exec: bool) -> Examiner {
    let c = cells(
        &["gcc@12".into(), "clang-19".into()],
        &["kernel-2018".into(), "kernel-2024".into(), "small-nopic".into()],
    )
    .expect("scripts/setup.sh");
    let mut ex = examiner(c, &["linux-x86_64".parse().expect("profile")], exec, jobs);
    ex.compiler.cache = Cache::disabled();
    ex
}

fn main() {
    let programs: Vec<Program> = (0..PROGRAMS).map(|s| Program::from_seed(1000 + s, 512)).collect();
    // Compile only: the same cells, sequentially, no judging.
    let ex = fresh(1, true);
    let t = Instant::now();
    for p in &programs {
        let src = Source::c(kreloc_gen::emit_c(p));
        for cell in &ex.cells {
            let _ = ex.compiler.compile(&cell.toolchain, &src, &cell.config).unwrap();
        }
    }
    let compile_only = t.elapsed().as_secs_f64();
    let run = |ex: &Examiner| {
        let t = Instant::now();
        for p in &programs {
            let _ = ex.examine(p);
        }
        t.elapsed().as_secs_f64()
    };
    let static_one = run(&fresh(1, false));
    let full_one = run(&fresh(1, true));
    let two = fresh(2, true);
    let t = Instant::now();
    let _ = two.examine_many(&programs);
    let full_two = t.elapsed().as_secs_f64();
    let cellsn = ex.cells.len() as u64 * PROGRAMS;
    println!(
        "{PROGRAMS} programs x {} cells = {cellsn} objects (gcc-12, clang-19 x kernel-2018, kernel-2024, small-nopic)",
        ex.cells.len()
    );
    println!("| run | wall | vs compile-only |");
    println!("|---|---|---|");
    println!("| compile + link only, 1 job | {compile_only:.2}s | 1.000x |");
    println!("| campaign, static judging only, 1 job | {static_one:.2}s | {:.3}x |", static_one / compile_only);
    println!("| campaign with execution at 4 addresses, 1 job | {full_one:.2}s | {:.3}x |", full_one / compile_only);
    println!("| campaign with execution, 2 jobs | {full_two:.2}s | {:.2}x faster than 1 job |", full_one / full_two);
}
