//! Against the compilers scripts/setup.sh installs: each kind compiles a purgatory-like file under each
//! code model, and the relocation classes match the spec's table.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::collections::BTreeSet;

use kreloc_toolchains::config::named;
use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::link::Link;
use kreloc_toolchains::{resolve, Cache, CompileConfig, Compiler, Source};
use object::{Object, ObjectSection, ObjectSymbol, RelocationFlags};

const C_SOURCE: &str = include_str!("../../bisect/fixtures/purgatory.c");

const RUST_SOURCE: &str = r#"#![no_std]
#[no_mangle] #[link_section = ".kexec-purgatory"] pub static mut purgatory_sha256_digest: [u8; 32] = [1; 32];
pub static TABLE: [u64; 8] = [3, 1, 4, 1, 5, 9, 2, 6];
#[no_mangle] pub extern "C" fn purgatory_start(i: usize) -> u64 { unsafe { TABLE[i & 7] + purgatory_sha256_digest[i & 31] as u64 } }
"#;

fn compiler() -> (Compiler, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Compiler::new(Cache::at(dir.path())), dir)
}

/// (ALLOC section names, relocation type numbers in ALLOC sections)
fn classes(obj: &[u8]) -> (BTreeSet<String>, BTreeSet<u32>) {
    let file = object::File::parse(obj).unwrap();
    let mut names = BTreeSet::new();
    let mut types = BTreeSet::new();
    for s in file.sections() {
        let alloc = matches!(s.flags(), object::SectionFlags::Elf { sh_flags, .. } if sh_flags.0 & 2 != 0);
        if !alloc {
            continue;
        }
        names.insert(s.name().unwrap_or("").to_string());
        for (_, r) in s.relocations() {
            if let RelocationFlags::Elf { r_type } = r.flags() {
                types.insert(r_type.0);
            }
        }
    }
    (names, types)
}

fn compile(c: &Compiler, tc: &str, flags: &[&str]) -> Vec<u8> {
    let tc = resolve(tc).unwrap_or_else(|e| panic!("{tc}: {e} (run scripts/setup.sh)"));
    let out = c.compile(&tc, &Source::c(C_SOURCE), &CompileConfig::from_flags(flags)).unwrap();
    out.object().unwrap_or_else(|| panic!("{} {flags:?}: {out:?}", tc.id())).to_vec()
}

const R_64: u32 = 1;
const R_PC32: u32 = 2;
const R_PLT32: u32 = 4;
const R_32: u32 = 10;
const R_32S: u32 = 11;

#[test]
fn every_kind_compiles_every_code_model() {
    let (c, _d) = compiler();
    for tc in ["gcc@12", "gcc@11", "clang-19", "zig@0.12.1", "zig@0.13.0"] {
        for model in ["small", "kernel", "medium", "large"] {
            let flag = format!("-mcmodel={model}");
            let obj = compile(&c, tc, &[&flag, "-fno-pic", "-O2"]);
            assert!(!classes(&obj).0.is_empty(), "{tc} {model}");
        }
    }
}

#[test]
fn llvm18_large_gives_ltext_and_llvm17_does_not() {
    let (c, _d) = compiler();
    let l17 = classes(&compile(&c, "llvm@17", &["-mcmodel=large", "-fno-pic"])).0;
    let l18 = classes(&compile(&c, "llvm@18", &["-mcmodel=large", "-fno-pic"])).0;
    let l19 = classes(&compile(&c, "llvm@19", &["-mcmodel=large", "-fno-pic"])).0;
    assert!(!l17.contains(".ltext"), "{l17:?}");
    assert!(l18.contains(".ltext"), "{l18:?}");
    assert!(l19.contains(".ltext"), "{l19:?}");
}

#[test]
fn relocation_classes_match_the_table() {
    let (c, _d) = compiler();
    // gcc small -fno-pic: R_X86_64_32 for &global, 32S for tables.
    let t = classes(&compile(&c, "gcc@12", &["-mcmodel=small", "-fno-pic"])).1;
    assert!(t.contains(&R_32), "{t:?}");
    // kernel: 32S for data and tables.
    let t = classes(&compile(&c, "gcc@12", &["-mcmodel=kernel", "-fno-pic"])).1;
    assert!(t.contains(&R_32S) && !t.contains(&R_32), "{t:?}");
    // large: 64-bit absolutes.
    for tc in ["gcc@12", "clang-19", "llvm@17"] {
        let t = classes(&compile(&c, tc, &["-mcmodel=large", "-fno-pic"])).1;
        assert!(t.contains(&R_64) && !t.contains(&R_32) && !t.contains(&R_32S), "{tc}: {t:?}");
    }
    // pic + hidden: PC-relative only (and R_X86_64_64 for pointer-initialised data, which the fixture's asm stub has).
    for tc in ["gcc@12", "clang-19", "llvm@18"] {
        let t = classes(&compile(&c, tc, &["-mcmodel=small", "-fpic", "-fvisibility=hidden"])).1;
        assert!(t.iter().all(|r| [R_64, R_PC32, R_PLT32].contains(r)), "{tc}: {t:?}");
        assert!(t.contains(&R_PC32), "{tc}: {t:?}");
    }
}

#[test]
fn rustc_pic_with_default_visibility_goes_through_the_got() {
    let (c, _d) = compiler();
    let tc = resolve("rustc").unwrap();
    let pic = c.compile(&tc, &Source::rust(RUST_SOURCE), &CompileConfig::from_flags(&["-fpic", "-O2"])).unwrap();
    let t = classes(pic.object().unwrap_or_else(|| panic!("{pic:?}"))).1;
    assert!(t.iter().any(|r| [9, 41, 42].contains(r)), "GOTPCREL(X) expected: {t:?}");
    let large = c
        .compile(&tc, &Source::rust(RUST_SOURCE), &CompileConfig::from_flags(&["-mcmodel=large", "-fno-pic", "-O2"]))
        .unwrap();
    assert!(classes(large.object().unwrap()).1.contains(&R_64));
    for model in ["small", "kernel", "medium"] {
        let flag = format!("-mcmodel={model}");
        let out = c
            .compile(&tc, &Source::rust(RUST_SOURCE), &CompileConfig::from_flags(&[flag.as_str(), "-fno-pic", "-O2"]))
            .unwrap();
        let t = classes(out.object().unwrap_or_else(|| panic!("rustc {model}: {out:?}"))).1;
        assert!(t.contains(&R_32S) || t.contains(&R_32) || t.contains(&R_PC32), "rustc {model}: {t:?}");
    }
}

#[test]
fn rustc_spells_hidden_visibility_lto_and_kernel_flags_and_refuses_what_it_cannot() {
    let (c, _d) = compiler();
    let tc = resolve("rustc").unwrap();
    // -fpic -fvisibility=hidden: PC-relative only, like the C compilers above.
    let hidden = c
        .compile(
            &tc,
            &Source::rust(RUST_SOURCE),
            &CompileConfig::from_flags(&["-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2"]),
        )
        .unwrap();
    let t = classes(hidden.object().unwrap_or_else(|| panic!("{hidden:?}"))).1;
    assert!(t.iter().all(|r| [R_64, R_PC32, R_PLT32].contains(r)), "{t:?}");
    for name in ["kernel-2018", "kernel-2019", "kernel-2024", "pic-hidden", "large-lto"] {
        let out = c.compile(&tc, &Source::rust(RUST_SOURCE), &named(name).unwrap().config()).unwrap();
        assert!(out.object().is_some(), "rustc {name}: {out:?}");
    }
    let odd = CompileConfig::from_flags(&["-O2", "-fsanitize=kcfi"]);
    assert!(matches!(
        c.compile(&tc, &Source::rust(RUST_SOURCE), &odd),
        Err(kreloc_toolchains::Error::NotExpressible { .. })
    ));
}

#[test]
fn named_configs_and_the_purgatory_link() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Compiler::new(Cache::at(dir.path()));
    c.link = Some(Link::kernel());
    let tc = resolve("gcc@12").unwrap();
    let out = c.compile(&tc, &Source::c(C_SOURCE), &named("kernel-2019").unwrap().config()).unwrap();
    assert_eq!(out.commands().len(), 2, "compile then ld -r");
    assert!(out.commands()[1].contains("-r -e purgatory_start -z nodefaultlib"), "{:?}", out.commands());
    let bytes = out.object().unwrap();
    assert_eq!(u16::from_le_bytes([bytes[16], bytes[17]]), 1, "ET_REL");
}

#[test]
fn lto_links_through_the_driver_into_machine_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Compiler::new(Cache::at(dir.path()));
    c.link = Some(Link::kernel());
    // gcc 7 writes machine code on its own; gcc 9 and later write LTO bytecode again unless asked; zig
    // cc writes bitcode, so zig links with its own lld. The kernel's ThinLTO (leak-lto) is bitcode too.
    let cases = [
        ("gcc@7", "large-lto"),
        ("gcc@11", "large-lto"),
        ("gcc@12", "large-lto"),
        ("llvm@19", "large-lto"),
        ("llvm@18", "large-lto"),
        ("llvm@19", "leak-lto"),
        ("llvm@18", "leak-lto"),
    ];
    for (spec, config) in cases {
        let tc = resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e} (run scripts/setup.sh)"));
        let cfg = named(config).unwrap().config();
        let out = c.compile(&tc, &Source::c(C_SOURCE), &cfg).unwrap();
        let lto = cfg.lto_flag().unwrap();
        let zig = matches!(tc.kind, Kind::Zig { .. });
        let through = if zig { "zig ld.lld -r".to_string() } else { format!("{lto} -nostdlib -r") };
        assert!(out.commands()[1].contains(&through), "{spec} {config}: {:?}", out.commands());
        let bytes = out.object().unwrap_or_else(|| panic!("{spec} {config}: {out:?}"));
        let file = object::File::parse(bytes).unwrap();
        let bytecode: Vec<&str> =
            file.sections().filter_map(|s| s.name().ok()).filter(|n| n.starts_with(".gnu.lto_")).collect();
        assert!(bytecode.is_empty(), "{spec} {config}: LTO bytecode left in the linked object: {bytecode:?}");
        // The C function the assembly entry calls: placeholders for it have no size and no bytes.
        let purgatory = file.symbols().find(|s| s.name() == Ok("purgatory")).unwrap();
        assert!(purgatory.size() > 0, "{spec} {config}: purgatory has no code");
        let text = file.section_by_index(purgatory.section_index().unwrap()).unwrap();
        assert!(text.data().unwrap().iter().any(|&b| b != 0), "{spec} {config}: {:?} is empty", text.name());
    }
}

#[test]
fn compile_errors_keep_stderr() {
    let (c, _d) = compiler();
    let tc = resolve("gcc@12").unwrap();
    let out = c.compile(&tc, &Source::c("int f( {"), &CompileConfig::default()).unwrap();
    match out {
        kreloc_toolchains::CompileOutcome::CompileError { stderr, .. } => assert!(stderr.contains("error"), "{stderr}"),
        other => panic!("{other:?}"),
    }
}
