//! The strict profile against two independent relocators: GNU ld and ld.lld, each given a linker script
//! that places every ALLOC section where the profile placed it. Bytes and verdicts must agree.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const ADDRESSES: [u64; 2] = [0x20_0000, 0x1_3fff_b000];
const LINKERS: [&str; 2] = ["ld", "ld.lld-19"];
const COMPILERS: [&str; 2] = ["gcc", "clang-19"];
const CONFIGS: [&[&str]; 5] = [
    &["-mcmodel=small", "-fno-pic"],
    &["-mcmodel=kernel", "-fno-pic", "-mno-red-zone"],
    &["-mcmodel=medium", "-fno-pic"],
    &["-mcmodel=large", "-fno-pic"],
    &["-mcmodel=small", "-fpie", "-fvisibility=hidden"],
];
const PROGRAMS: u32 = 20;

/// A purgatory-like C program; `i` varies which constructs appear and how big they are.
fn program(i: u32) -> String {
    let mut s = String::new();
    let n = 3 + i % 5;
    let _ = writeln!(
        s,
        "unsigned long g[{n}] = {{{}}};",
        (1..=n).map(|k| (k * 7 + i).to_string()).collect::<Vec<_>>().join(",")
    );
    let _ = writeln!(
        s,
        "unsigned char purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\"))) = {{{}}};",
        i + 1
    );
    let _ = writeln!(s, "static const unsigned long table[8] = {{3,1,4,1,5,9,2,{i}}};");
    let _ = writeln!(s, "static unsigned long *const ptrs[2] = {{&g[0], &g[{}]}};", n - 1);
    let _ = writeln!(s, "static const char *const msg = \"kreloc {i}\";");
    if i.is_multiple_of(3) {
        let _ = writeln!(s, "static unsigned char big[70000] = {{1}};");
    }
    let _ = writeln!(s, "static unsigned long f0(unsigned long x) {{ return x + {i}; }}");
    let _ = writeln!(s, "static unsigned long f1(unsigned long x) {{ return x * 3; }}");
    let _ = writeln!(s, "static unsigned long (*const fp[2])(unsigned long) = {{f0, f1}};");
    let _ = writeln!(s, "static unsigned long sw(unsigned long x) {{ switch (x & 7) {{");
    for c in 0..7 {
        let _ = writeln!(s, "  case {c}: return g[{}] + {};", c % n, c * 13 + i);
    }
    let _ = writeln!(s, "  default: return table[x & 7]; }} }}");
    let _ = writeln!(s, "unsigned long out;");
    let _ = writeln!(s, "void purgatory_start(void) {{ unsigned long h = 0; for (unsigned long k = 0; k < 8; k++) h = h * 31 + sw(h + k) + fp[k & 1](table[k]) + *ptrs[k & 1] + (unsigned char)msg[k & 7];");
    if i.is_multiple_of(3) {
        let _ = writeln!(s, "  h += big[h % 70000];");
    }
    let _ = writeln!(s, "  out = h + purgatory_sha256_digest[h & 31]; }}");
    s
}

fn compile(dir: &Path, cc: &str, flags: &[&str], i: u32, n: usize) -> PathBuf {
    let src = dir.join(format!("p{i}.c"));
    if !src.exists() {
        std::fs::write(&src, program(i)).unwrap();
    }
    let obj = dir.join(format!("o{n}.o"));
    let out = Command::new(cc)
        .args([
            "-O2",
            "-ffreestanding",
            "-fno-common",
            "-fno-asynchronous-unwind-tables",
            "-fno-unwind-tables",
            "-fno-stack-protector",
            "-fcf-protection=none",
            "-c",
        ])
        .args(flags)
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap_or_else(|e| panic!("{cc} must be installed by scripts/setup.sh: {e}"));
    assert!(out.status.success(), "{cc} {flags:?}: {}", String::from_utf8_lossy(&out.stderr));
    obj
}

/// Links `obj` with `linker` and returns each placed section's bytes, or the linker's error.
fn link(
    linker: &str,
    dir: &Path,
    obj: &Path,
    v: &kreloc_oracle::Verdict,
    tag: &str,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let script = dir.join(format!("{tag}.ld"));
    std::fs::write(&script, support::linker_script(v)).unwrap();
    let out_path = dir.join(format!("{tag}.elf"));
    let out = Command::new(linker)
        .args(["-static", "-nostdlib", "--no-relax", "--build-id=none", "-z", "norelro", "-e", "purgatory_start", "-T"])
        .arg(&script)
        .arg(obj)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap_or_else(|e| panic!("{linker} must be installed by scripts/setup.sh: {e}"));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let bytes = std::fs::read(&out_path).unwrap();
    Ok(support::linked_sections(&bytes, v, linker)
        .into_iter()
        .map(|(name, addr, data)| {
            let p = v.placed(&name).unwrap();
            assert_eq!(addr, p.addr, "{linker} placed {name} elsewhere");
            (name, data)
        })
        .collect())
}

#[test]
fn strict_profile_agrees_with_gnu_ld_and_lld_on_200_objects() {
    let dir = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    for i in 0..PROGRAMS {
        for cc in COMPILERS {
            for flags in CONFIGS {
                jobs.push((i, cc, flags));
            }
        }
    }
    assert_eq!(jobs.len(), 200);
    let strict = kreloc_oracle::parse_profile("strict-x86_64").unwrap();
    let results: Vec<(usize, usize, usize)> = std::thread::scope(|scope| {
        let chunks: Vec<_> = jobs.chunks(jobs.len() / 2 + 1).enumerate().collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|(c, chunk)| {
                let dir = dir.path();
                let strict = &strict;
                scope.spawn(move || {
                    let (mut compared, mut failed_both, mut checked) = (0, 0, 0);
                    for (k, &(i, cc, flags)) in chunk.iter().enumerate() {
                        let n = c * 1000 + k;
                        let obj = compile(dir, cc, flags, i, n);
                        let parsed = kreloc_oracle::parse(&std::fs::read(&obj).unwrap()).unwrap();
                        for (a, &at) in ADDRESSES.iter().enumerate() {
                            let v = kreloc_oracle::load(&parsed, &**strict, at);
                            for linker in LINKERS {
                                checked += 1;
                                let tag = format!("{n}-{a}-{}", linker.len());
                                match (link(linker, dir, &obj, &v, &tag), v.loaded) {
                                    (Ok(sections), true) => {
                                        for (name, data) in sections {
                                            let p = v.placed(&name).unwrap();
                                            let off = p.buf_offset.unwrap() as usize;
                                            assert!(
                                                v.image[off..off + data.len()] == data[..],
                                                "{cc} {flags:?} program {i} at {at:#x}: {name} differs from {linker}"
                                            );
                                        }
                                        compared += 1;
                                    }
                                    (Err(_), false) => failed_both += 1,
                                    (Ok(_), false) => panic!(
                                        "{cc} {flags:?} program {i} at {at:#x}: {linker} links, strict says {:?}",
                                        v.failure
                                    ),
                                    (Err(e), true) => {
                                        panic!("{cc} {flags:?} program {i} at {at:#x}: strict loads, {linker} says {e}")
                                    }
                                }
                            }
                        }
                    }
                    (compared, failed_both, checked)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let compared: usize = results.iter().map(|r| r.0).sum();
    let failed_both: usize = results.iter().map(|r| r.1).sum();
    let checked: usize = results.iter().map(|r| r.2).sum();
    assert_eq!(checked, 200 * ADDRESSES.len() * LINKERS.len());
    // Both outcomes must be exercised: byte-identical links and agreed refusals.
    assert!(compared > 300, "only {compared} byte comparisons");
    assert!(failed_both > 100, "only {failed_both} agreed refusals");
}
