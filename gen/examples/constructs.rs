//! How many programs carry each construct: `cargo run -p kreloc-gen --example constructs -- [COUNT] [SIZE]`
//! (default 2000 programs of 512 bytes, seeds 0.., what `kreloc fuzz` generates).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(512);
    let mut seen: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for seed in 0..count {
        for f in kreloc_gen::Program::from_seed(seed, size).features() {
            *seen.entry(f).or_default() += 1;
        }
    }
    let mut rows: Vec<(&str, u64)> = seen.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("| construct | programs of {count} | share |\n|---|---|---|");
    for (f, n) in rows {
        println!("| {f} | {n} | {:.1}% |", n as f64 * 100.0 / count as f64);
    }
}
