//! Relocations/s and objects/s of the oracle on a purgatory-sized object, against two peers measured in the
//! same run: a C loop equivalent to the kernel's x86_64 `arch_kexec_apply_relocations_add` (benches/kexec_apply.c,
//! compiled here with `cc -O2`), and ld.lld linking the same object at the same address.
//!
//!     cargo bench -p kreloc-oracle --bench relocate

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod common;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// A purgatory-sized C program: ~40 functions, tables of pointers, a sha-regions pair.
fn program() -> String {
    let mut s = String::from("unsigned long g[64];\nstruct r { unsigned long s, l; } purgatory_sha_regions[16] __attribute__((section(\".kexec-purgatory\"))) = {{1,1}};\nunsigned char purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\"))) = {1};\n");
    common::forty_functions(&mut s);
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
        .args([
            "-O2",
            "-ffreestanding",
            "-fno-pic",
            "-mcmodel=large",
            "-fno-asynchronous-unwind-tables",
            "-fcf-protection=none",
            "-c",
        ])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("gcc (scripts/setup.sh)");
    assert!(cc.success());
    let ld = Command::new("ld")
        .args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"])
        .arg(&obj)
        .arg("-o")
        .arg(&ro)
        .status()
        .expect("ld");
    assert!(ld.success());
    let bytes = std::fs::read(&ro).expect("read object");
    let parsed = kreloc_oracle::parse(&bytes).expect("parse");
    let relocs = parsed.reloc_count() as f64;
    let profile = kreloc_oracle::parse_profile("linux-x86_64").expect("profile");
    let at = 0x1_3fff_b000;
    let v = kreloc_oracle::load(&parsed, &*profile, at);
    assert!(v.loaded, "{:?}", v.failure);

    // The peer: the kernel's loop in C, timed by itself over the same seconds.
    let peer = dir.path().join("kexec_apply");
    let c_src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/kexec_apply.c");
    let st = Command::new("cc").args(["-O2", "-o"]).arg(&peer).arg(c_src).status().expect("cc (scripts/setup.sh)");
    assert!(st.success());
    let out = Command::new(&peer).arg(&ro).arg(format!("{at:#x}")).arg("3").output().expect("run the C peer");
    assert!(out.status.success(), "C peer failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|x| x.parse::<f64>().expect("peer output"));
    let (c_relocs, c_secs) = (it.next().expect("count"), it.next().expect("seconds"));
    let c_per_s = c_relocs / c_secs;

    let compiled = kreloc_oracle::compiled::Compiled::new(&parsed, &*profile).expect("compiles");
    let mut buf = vec![0u8; compiled.bufsz()];
    compiled.relocate(at, &mut buf).expect("relocates");
    assert_eq!(buf, v.image, "the compiled program writes the reference bytes");
    let (n, t) = time(
        || {
            for _ in 0..100 {
                compiled.relocate(std::hint::black_box(at), &mut buf).expect("relocates");
            }
        },
        Duration::from_secs(3),
    );
    let compiled_per_s = (n * 100) as f64 / t.as_secs_f64() * compiled.len() as f64;

    let (n, t) =
        time(|| drop(std::hint::black_box(kreloc_oracle::load(&parsed, &*profile, at))), Duration::from_secs(3));
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
        let name = v.placed_name(p);
        let _ = writeln!(s, "  {name} {:#x} : {{ *({name}) }}", p.addr);
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

    println!(
        "object: {} bytes, {} relocations, {} ALLOC sections, profile {}",
        bytes.len(),
        relocs,
        v.sections.len(),
        profile.name()
    );
    println!("| what | relocations/s | vs kernel C loop | vs ld.lld |");
    println!("|---|---|---|---|");
    let row =
        |what: &str, r: f64| println!("| {what} | {r:.3e} | {:.2}x | {:.0}x |", r / c_per_s, r / (lld_per_s * relocs));
    row("kernel's loop in C (cc -O2, peer)", c_per_s);
    row("kreloc compiled program (built once per object)", compiled_per_s);
    row("kreloc load: whole verdict, parsed once", load_per_s * relocs);
    row("kreloc parse + load: whole verdict", parse_load_per_s * relocs);
    row("ld.lld-19 link (process)", lld_per_s * relocs);
}
