//! AST nodes per fuzz size class: `cargo run -p kreloc-gen --example sizes -- [INPUTS]` (default 2000
//! random 2-byte inputs, what libFuzzer feeds first).

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let classes = kreloc_gen::SIZE_CLASSES.len();
    let mut nodes: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for i in 0..n {
        let bytes = [(i % classes as u64) as u8, (i / classes as u64) as u8];
        nodes[kreloc_gen::size_class(&bytes)].push(kreloc_gen::Program::from_fuzz_bytes(&bytes).size());
    }
    println!("budget  programs  min  median  max AST nodes");
    for (c, v) in nodes.iter_mut().enumerate() {
        v.sort_unstable();
        let (lo, mid, hi) = (v[0], v[v.len() / 2], v[v.len() - 1]);
        println!("{:>6}  {:>8}  {lo:>3}  {mid:>6}  {hi:>3}", kreloc_gen::SIZE_CLASSES[c], v.len());
    }
}
