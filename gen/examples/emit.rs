//! Prints a generated program: `cargo run -p kreloc-gen --example emit -- SEED SIZE [c|rust|checksum]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let size = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(512);
    let p = kreloc_gen::Program::from_seed(seed, size);
    match args.get(3).map(String::as_str) {
        Some("rust") => print!("{}", kreloc_gen::emit_rust(&p)),
        Some("checksum") => println!("{}", p.expected_checksum()),
        _ => print!("{}", kreloc_gen::emit_c(&p)),
    }
}
