//! Relocations/s and objects/s of the oracle on a purgatory-sized object, against ld.lld linking the
//! same object at the same address, measured in the same run.
//!
//!     cargo bench -p kreloc-oracle --bench relocate

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// A purgatory-sized C program: ~40 functions, tables of pointers, a sha-regions pair.
fn program() -> String {
    let mut s = String::from("unsigned long g[64];\nstruct r { unsigned long s, l; } purgatory_sha_regions[16] __attribute__((section(\".kexec-purgatory\"))) = {{1,1}};\nunsigned char purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\"))) = {1};\n");
    for f in 0..40 {
        let _ = writeln!(s, "static const unsigned long t{f}[8] = {{{f},1,2,3,4,5,6,7}};");
        let _ = writeln!(s, "unsigned long f{f}(unsigned long x) {{ switch (x & 7) {{ case 0: return g[{}] + t{f}[1]; case 1: return g[{}] ^ x; case 2: return t{f}[x & 7]; case 3: return g[{}] * 3; case 4: return x + {f}; case 5: return g[{}]; default: return t{f}[(x >> 3) & 7] + g[x & 63]; }} }}", f % 64, (f * 3) % 64, (f * 5) % 64, (f * 7) % 64);
    }
    s.push_str("static unsigned long (*const fns[40])(unsigned long) = {");
    s.push_str(&(0..40).map(|f| format!("f{f}")).collect::<Vec<_>>().join(","));
    s.push_str("};\nvoid purgatory_start(void) { unsigned long h = 0; for (int i = 0; i < 40; i++) h += fns[i](h); g[0] = h; }\n");
    s
}

fn time<F: FnMut()>(mut f: F, min: Duration) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < min {
        f();
        n += 1;
    }
    (n, start.elapsed())
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("p.c");
    let obj = dir.path().join("p.o");
    let ro = dir.path().join("purgatory.ro");
    std::fs::write(&src, program()).expect("write source");
    let cc = Command::new("gcc")
        .args(["-O2", "-ffreestanding", "-fno-pic", "-mcmodel=large", "-fno-asynchronous-unwind-tables", "-fcf-protection=none", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("gcc (scripts/setup.sh)");
    assert!(cc.success());
    let ld = Command::new("ld").args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"]).arg(&obj).arg("-o").arg(&ro).status().expect("ld");
    assert!(ld.success());
    let bytes = std::fs::read(&ro).expect("read object");
    let parsed = kreloc_oracle::parse(&bytes).expect("parse");
    let relocs = parsed.reloc_count() as f64;
    let profile = kreloc_oracle::parse_profile("strict-x86_64").expect("profile");
    let at = 0x1_3fff_b000;
    let v = kreloc_oracle::load(&parsed, &*profile, at);
    assert!(v.loaded, "{:?}", v.failure);

    let (n, t) = time(|| drop(std::hint::black_box(kreloc_oracle::load(&parsed, &*profile, at))), Duration::from_secs(3));
    let load_per_s = n as f64 / t.as_secs_f64();
    let (n, t) = time(
        || {
            let o = kreloc_oracle::parse(std::hint::black_box(&bytes)).expect("parse");
            drop(std::hint::black_box(kreloc_oracle::load(&o, &*profile, at)));
        },
        Duration::from_secs(3),
    );
    let parse_load_per_s = n as f64 / t.as_secs_f64();

    let script = dir.path().join("place.ld");
    let mut s = String::from("SECTIONS {\n");
    for p in &v.sections {
        let _ = writeln!(s, "  {} {:#x} : {{ *({}) }}", p.name, p.addr, p.name);
    }
    s.push_str("}\n");
    std::fs::write(&script, s).expect("script");
    let out = dir.path().join("linked.elf");
    let (n, t) = time(
        || {
            let st = Command::new("ld.lld-19")
                .args(["-static", "-nostdlib", "--no-relax", "--build-id=none", "-e", "purgatory_start", "-T"])
                .arg(&script)
                .arg(&ro)
                .arg("-o")
                .arg(&out)
                .status()
                .expect("ld.lld-19 (scripts/setup.sh)");
            assert!(st.success());
        },
        Duration::from_secs(3),
    );
    let lld_per_s = n as f64 / t.as_secs_f64();

    println!("object: {} bytes, {} relocations, {} ALLOC sections", bytes.len(), relocs, v.sections.len());
    println!("| what | objects/s | relocations/s | vs ld.lld |");
    println!("|---|---|---|---|");
    println!("| kreloc load (parsed once) | {load_per_s:.0} | {:.2e} | {:.0}x |", load_per_s * relocs, load_per_s / lld_per_s);
    println!("| kreloc parse + load | {parse_load_per_s:.0} | {:.2e} | {:.0}x |", parse_load_per_s * relocs, parse_load_per_s / lld_per_s);
    println!("| ld.lld-19 link (process) | {lld_per_s:.0} | {:.2e} | 1x |", lld_per_s * relocs);
}
