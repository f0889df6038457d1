//! Mutation score, zero and duplicate checksums, and the planted miscompiler's catch rate over 200
//! programs × gcc@12 and clang-19 × kernel-2024 (BENCHMARKS.md, "Checksum sensitivity").
//!
//!     cargo bench -p kreloc-campaign --bench mutation_score [-- COUNT]

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use kreloc_campaign::mutation::standard_figures;
use kreloc_gen::Program;

fn main() {
    let count: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200);
    let t = Instant::now();
    let planted = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planted_cc.py");
    let (f, p) = standard_figures(0, count, &planted).expect("scripts/setup.sh");
    let s = &f.score;
    println!("programs {} objects {} (errors {})", f.programs, f.objects, f.errors.len());
    for e in f.errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!(
        "mutation score {:.2}% ({} killed of {} mutants, {} not judged; {} relocations)",
        100.0 * s.ratio(),
        s.killed,
        s.mutated,
        s.not_judged,
        s.relocations
    );
    for v in s.survivors.iter().take(10) {
        println!("  survivor: {} {} ({})", v.object, v.relocation, v.section);
    }
    println!(
        "planted miscompiler caught in {}/{} changed programs ({:.1}%), errors {}",
        p.caught,
        p.changed,
        100.0 * p.ratio(),
        p.errors.len()
    );
    println!("zero checksums among the {} programs: {}", f.programs, f.zero_checksums);
    // Distinctness over the population: from_seed(s, 8 | 32) for s in 0..2000.
    let mut by_c: HashMap<String, u64> = HashMap::new();
    for s in 0..2000 {
        for size in [8, 32] {
            let p = Program::from_seed(s, size);
            by_c.insert(kreloc_gen::emit_c(&p), p.expected_checksum());
        }
    }
    let mut per_sum: HashMap<u64, usize> = HashMap::new();
    for c in by_c.values() {
        *per_sum.entry(*c).or_default() += 1;
    }
    let shared: usize = per_sum.values().filter(|&&n| n > 1).sum();
    let zeros = by_c.values().filter(|&&c| c == 0).count();
    println!(
        "from_seed(0..2000, 8|32): {} distinct programs, {} share a checksum ({:.2}%), {} with checksum 0",
        by_c.len(),
        shared,
        100.0 * shared as f64 / by_c.len() as f64,
        zeros
    );
    println!("elapsed {:.1} s", t.elapsed().as_secs_f64());
}
