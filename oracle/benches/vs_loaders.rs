//! The oracle's parse + whole verdict per object against the two real loaders' C, in one process and one run:
//! benches/loaders.c (Linux's kexec_file load of an x86_64 purgatory, and kexec-tools' elf_rel load, both
//! with their symbol steps), compiled here with `cc -O2 -shared` and called through `dlopen`.
//!
//!     cargo bench -p kreloc-oracle --bench vs_loaders
//!
//! Objects: 300 small purgatory-shaped programs (gcc -O2 -mcmodel=large, `ld -r`) and one of 500+
//! relocations. Each loader loads each object at 0x13fffb000; every time is per object, the median of
//! interleaved rounds, so machine load hits every row alike.
//!
//! Each object file is in memory before the clock starts, as both loaders get it: the C a pointer to its
//! bytes, kreloc the same bytes held shared (`parse_shared`). The last column is `parse` of a borrowed
//! slice, which copies the file once.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod common;

use std::ffi::{c_char, c_int, c_void, CString};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const AT: u64 = 0x1_3fff_b000;
const ROUNDS: usize = 7;
const SLICE: Duration = Duration::from_millis(150);

/// The symbols both loaders get and set (bzImage64, the digests, kexec-tools' arch_update_purgatory), in data.
const LOADER_SYMBOLS: &str = "\
unsigned long entry64_regs[17] = {1};
unsigned long stack_end = 1, cmdline_end = 1, backup_src_start = 1, backup_src_size = 1, backup_start = 1;
unsigned char reset_vga = 1, console_vga = 1, console_serial = 1, panic_kernel = 1;
unsigned short serial_base = 1; unsigned int serial_baud = 1;
struct r { unsigned long s, l; } purgatory_sha_regions[16] = {{1,1}}, sha256_regions[16] = {{1,1}};
unsigned char purgatory_sha256_digest[32] = {1}, sha256_digest[32] = {1};
";

/// A small program: a few functions over a few tables, about a dozen relocations.
fn small_program(seed: usize) -> String {
    let mut s = String::from(LOADER_SYMBOLS);
    let funcs = 3 + seed % 3;
    let _ = writeln!(s, "unsigned long g{seed}[{}], h[8];", 4 + seed % 7);
    for f in 0..funcs {
        let _ = writeln!(s, "static const unsigned long t{f}[4] = {{{seed}, {f}, 3, 4}};");
        let _ = writeln!(
            s,
            "static unsigned long f{f}(unsigned long x) {{ return x & {} ? g{seed}[x & 3] + h[{}] : t{f}[x & 3]; }}",
            1 + (seed + f) % 5,
            f % 8
        );
    }
    s.push_str("void purgatory_start(void) { unsigned long h = entry64_regs[0];");
    for f in 0..funcs {
        let _ = write!(s, " h = f{f}(h);");
    }
    let _ = writeln!(s, " g{seed}[0] = h; }}");
    s
}

/// A purgatory-sized program: 40 functions, their tables and a table of pointers to them.
fn large_program() -> String {
    let mut s = String::from(LOADER_SYMBOLS);
    s.push_str("unsigned long g[64];\n");
    common::forty_functions(&mut s);
    s
}

/// gcc `-mcmodel=large -fno-pic` (the kernel's purgatory flags up to 2019), then `ld -r` as kbuild links it.
fn build(dir: &Path, name: &str, source: &str) -> Vec<u8> {
    let (src, obj, ro) = (dir.join(format!("{name}.c")), dir.join(format!("{name}.o")), dir.join(format!("{name}.ro")));
    std::fs::write(&src, source).expect("write source");
    let st = Command::new("gcc")
        .args(["-O2", "-ffreestanding", "-fno-pic", "-mcmodel=large", "-fno-zero-initialized-in-bss"])
        .args(["-fno-asynchronous-unwind-tables", "-fcf-protection=none", "-fno-stack-protector", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("gcc (scripts/setup.sh)");
    assert!(st.success(), "gcc failed on {name}");
    let st = Command::new("ld")
        .args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"])
        .arg(&obj)
        .arg("-o")
        .arg(&ro)
        .status()
        .expect("ld");
    assert!(st.success(), "ld failed on {name}");
    std::fs::read(&ro).expect("read object")
}

extern "C" {
    fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}

type CLoad = unsafe extern "C" fn(*const u8, usize, u64) -> i64;

/// Compiles benches/loaders.c into a shared object and returns (kernel_load, kexec_tools_load).
fn c_loaders(dir: &Path) -> (CLoad, CLoad) {
    let so = dir.join("loaders.so");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/loaders.c");
    let st = Command::new("cc")
        .args(["-O2", "-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(src)
        .status()
        .expect("cc (scripts/setup.sh)");
    assert!(st.success(), "cc failed on loaders.c");
    let path = CString::new(so.to_str().expect("utf-8 path")).expect("no NUL");
    // SAFETY: dlopen/dlsym of a library this bench just built; the symbols have the `CLoad` signature.
    unsafe {
        let h = dlopen(path.as_ptr(), 2 /* RTLD_NOW */);
        assert!(!h.is_null(), "dlopen: {:?}", std::ffi::CStr::from_ptr(dlerror()));
        let get = |name: &str| {
            let n = CString::new(name).expect("no NUL");
            let f = dlsym(h, n.as_ptr());
            assert!(!f.is_null(), "dlsym {name}");
            std::mem::transmute::<*mut c_void, CLoad>(f)
        };
        (get("kernel_load"), get("kexec_tools_load"))
    }
}

/// An object file as both loaders get it: its bytes in memory (kreloc holds them shared, the C a pointer).
type File = std::sync::Arc<[u8]>;

/// Per-object time of `f` over `objects`, in µs: the median of `ROUNDS` slices run in turn with the others.
struct Timer {
    samples: Vec<Vec<f64>>,
}

impl Timer {
    fn slice(&mut self, row: usize, objects: &[File], f: &mut dyn FnMut(&File)) {
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < SLICE {
            for o in objects {
                f(std::hint::black_box(o));
            }
            n += objects.len();
        }
        self.samples[row].push(start.elapsed().as_secs_f64() * 1e6 / n as f64);
    }

    fn median(&self, row: usize) -> f64 {
        let mut v = self.samples[row].clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
}

fn parse_profile(name: &str) -> Box<dyn kreloc_oracle::Profile> {
    kreloc_oracle::parse_profile(name).expect("profile")
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small: Vec<File> = (0..300).map(|i| build(dir.path(), &format!("s{i}"), &small_program(i)).into()).collect();
    let large: Vec<File> = vec![build(dir.path(), "large", &large_program()).into()];
    if let Some(keep) = std::env::var_os("VS_LOADERS_OBJECTS") {
        // For the process comparison (BENCHMARKS.md): small-0.ro … small-299.ro, large.ro and loaders.c's
        // C program (`loader`).
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).expect("create VS_LOADERS_OBJECTS");
        for (i, o) in small.iter().enumerate() {
            std::fs::write(keep.join(format!("small-{i}.ro")), o).expect("write object");
        }
        std::fs::write(keep.join("large.ro"), &large[0]).expect("write object");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/loaders.c");
        let st = Command::new("cc")
            .args(["-O2", "-DLOADER_MAIN", "-o"])
            .arg(keep.join("loader"))
            .arg(src)
            .status()
            .expect("cc (scripts/setup.sh)");
        assert!(st.success(), "cc failed on loaders.c");
    }
    if let Ok(which) = std::env::var("VS_LOADERS_PROFILE_ONLY") {
        // For `perf record` and A/B runs (callgrind: set VS_LOADERS_OBJECTS_PER_PASS): kreloc's parse + whole verdict
        // alone, best of 5 passes of 60,000 objects.
        let (set, profile) = (if which == "large" { &large } else { &small }, parse_profile("linux-x86_64"));
        let per_pass: usize =
            std::env::var("VS_LOADERS_OBJECTS_PER_PASS").ok().and_then(|n| n.parse().ok()).unwrap_or(60_000);
        let passes = (per_pass / set.len()).max(1);
        let best = (0..5)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..passes {
                    for o in set {
                        let obj = kreloc_oracle::parse_shared(std::hint::black_box(o)).expect("parse");
                        drop(std::hint::black_box(kreloc_oracle::load(&obj, &*profile, AT)));
                    }
                }
                start.elapsed().as_secs_f64() * 1e6 / (passes * set.len()) as f64
            })
            .fold(f64::INFINITY, f64::min);
        println!("{which}: {best:.2} µs per object (parse + whole verdict)");
        return;
    }
    let (kernel, kexec_tools) = c_loaders(dir.path());
    let (linux, tools) = (parse_profile("linux-x86_64"), parse_profile("kexec-tools-x86_64"));

    // Every loader loads every object, and applies as many relocations as kreloc reports.
    for o in small.iter().chain(&large) {
        let parsed = kreloc_oracle::parse(o).expect("parse");
        for (profile, c) in [(&linux, kernel), (&tools, kexec_tools)] {
            let v = kreloc_oracle::load(&parsed, &**profile, AT);
            assert!(v.good, "{}: {:?}", profile.name(), v.failure);
            // SAFETY: the object's bytes, alive for the call.
            let applied = unsafe { c(o.as_ptr(), o.len(), AT) };
            assert_eq!(applied, v.relocations.len() as i64, "{} C peer", profile.name());
        }
    }
    let relocs = |set: &[File]| {
        set.iter().map(|o| kreloc_oracle::parse(o).expect("parse").reloc_count()).sum::<usize>() as f64
            / set.len() as f64
    };
    let (small_relocs, large_relocs) = (relocs(&small), relocs(&large));

    let sets: [(&str, &[File]); 2] = [("small", &small), ("large", &large)];
    let mut timer = Timer { samples: vec![Vec::new(); 16] };
    for _ in 0..ROUNDS {
        for (s, (_, set)) in sets.iter().enumerate() {
            let parsed: Vec<_> = set.iter().map(|o| kreloc_oracle::parse_shared(o).expect("parse")).collect();
            for (p, (profile, c)) in [(&linux, kernel), (&tools, kexec_tools)].into_iter().enumerate() {
                let row = s * 8 + p * 4;
                // SAFETY: the object's bytes, alive for the call.
                timer.slice(row, set, &mut |o| {
                    std::hint::black_box(unsafe { c(o.as_ptr(), o.len(), AT) });
                });
                timer.slice(row + 1, set, &mut |o| {
                    let obj = kreloc_oracle::parse_shared(o).expect("parse");
                    drop(std::hint::black_box(kreloc_oracle::load(&obj, &**profile, AT)));
                });
                let mut i = 0;
                timer.slice(row + 2, set, &mut |_| {
                    drop(std::hint::black_box(kreloc_oracle::load(&parsed[i % parsed.len()], &**profile, AT)));
                    i += 1;
                });
                timer.slice(row + 3, set, &mut |o| {
                    let obj = kreloc_oracle::parse(o).expect("parse");
                    drop(std::hint::black_box(kreloc_oracle::load(&obj, &**profile, AT)));
                });
            }
        }
    }

    println!("load at {AT:#x}; µs per object, median of {ROUNDS} interleaved rounds");
    println!(
        "| objects | peer | peer C | kreloc parse + whole verdict | kreloc whole verdict (parsed once) | \
         kreloc parse of a borrowed slice (a copy) + whole verdict |"
    );
    println!("|---|---|---|---|---|---|");
    for (s, (name, set)) in sets.iter().enumerate() {
        let what = match *name {
            "small" => format!("{} small objects (≈{small_relocs:.0} relocations each)", set.len()),
            _ => format!("one {large_relocs:.0}-relocation object"),
        };
        for (p, peer) in ["Linux kexec_file (linux-x86_64)", "kexec-tools (kexec-tools-x86_64)"].iter().enumerate() {
            let row = s * 8 + p * 4;
            let c = timer.median(row);
            let cell = |r: usize| format!("{:.2} µs ({:.2}x)", timer.median(r), timer.median(r) / c);
            println!("| {what} | {peer} | {c:.2} µs | {} | {} | {} |", cell(row + 1), cell(row + 2), cell(row + 3));
        }
    }
}
