//! What root-causing costs inside a campaign: the time spent deriving typed facts and attributing them to
//! axis steps, against the campaign's own wall time, measured in the same run — once with compiles
//! (cache disabled, what a fresh campaign pays) and once with every object already cached (the worst case
//! for the ratio: only judging is left).
//!
//!     cargo bench -p kreloc-campaign --bench attribution

use std::time::Instant;

use kreloc_campaign::setup::{cells, examiner};
use kreloc_gen::Program;
use kreloc_toolchains::Cache;

const PROGRAMS: u64 = 20;

fn main() {
    let toolchains: Vec<String> = ["gcc@11", "gcc@12", "llvm@17", "llvm@18", "clang-19"].map(String::from).to_vec();
    let configs: Vec<String> = ["kernel-2018", "kernel-2019", "kernel-2024"].map(String::from).to_vec();
    let programs: Vec<Program> = (0..PROGRAMS).map(|s| Program::from_seed(4200 + s, 512)).collect();
    let cache_dir = std::env::temp_dir().join(format!("kreloc-bench-attribution-{}", std::process::id()));
    let mut ex = examiner(
        cells(&toolchains, &configs).expect("run scripts/setup.sh"),
        &["linux-x86_64".parse().expect("profile")],
        true,
        1,
    );
    println!(
        "{PROGRAMS} programs x {} cells (5 toolchains x 3 configs), 1 job, execution at 4 addresses",
        ex.cells.len()
    );
    println!("| run | campaign wall | attribution | share |");
    println!("|---|---|---|---|");
    for (name, cache) in [
        ("compiling (cache disabled)", Cache::disabled()),
        ("fresh cache (compiles once)", Cache::at(&cache_dir)),
        ("all objects cached", Cache::at(&cache_dir)),
    ] {
        ex.compiler.cache = cache;
        let t = Instant::now();
        let mut attribution_ns = 0u64;
        let mut causes = 0;
        for p in &programs {
            let e = ex.examine(p);
            attribution_ns += e.attribution_ns;
            causes += e.divergences.len();
        }
        let wall = t.elapsed().as_secs_f64();
        let a = attribution_ns as f64 / 1e9;
        println!("| {name} | {wall:.2}s | {:.1} ms ({causes} divergences) | {:.2}% |", a * 1e3, 100.0 * a / wall);
    }
    let _ = std::fs::remove_dir_all(&cache_dir);
}
