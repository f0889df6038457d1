//! kexec-tools' own purgatory flags as named configs: each carries its kexec-tools commit, compiles with
//! gcc-12 and clang-19, and shows what its era changed: GOT relocations before 2015's -fno-PIC -fno-PIE,
//! none after; vector registers under a -march=x86-64-v3 compiler until 2025's -march=x86-64 -mno-avx.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_toolchains::config::{named, Upstream, NAMED};
use kreloc_toolchains::{resolve, Cache, CompileConfig, Compiler, Source, Toolchain};
use object::{Object, ObjectSection};

const CASE: &str = include_str!("fixtures/kbuild_case.c");

/// A struct copy and a zeroing, which clang turns into vector moves when AVX is available.
const COPY: &str = "struct regs { unsigned long r[16]; };\nstruct regs saved;\n\
void save(const struct regs *in) { saved = *in; }\nvoid clear(void) { struct regs z = {0}; saved = z; }\n\
void purgatory_start(void) { clear(); }\n";

const ERAS: [&str; 7] = [
    "kexec-tools-2012",
    "kexec-tools-2015",
    "kexec-tools-2019",
    "kexec-tools-2022",
    "kexec-tools-2025",
    "kexec-tools-2022-v3",
    "kexec-tools-2025-v3",
];

fn toolchain(spec: &str) -> Toolchain {
    resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e} (run scripts/setup.sh)"))
}

fn compile(c: &Compiler, tc: &Toolchain, src: &str, cfg: &CompileConfig) -> Vec<u8> {
    let out = c.compile(tc, &Source::c(src), cfg).unwrap();
    out.object().unwrap_or_else(|| panic!("{}: {}", tc.id(), out.kind())).to_vec()
}

/// The ELF relocation type numbers of every relocation in the object.
fn reloc_types(obj: &[u8]) -> Vec<u32> {
    let file = object::File::parse(obj).unwrap();
    file.sections()
        .flat_map(|s| s.relocations().map(|(_, r)| r.flags()).collect::<Vec<_>>())
        .filter_map(|f| match f {
            object::RelocationFlags::Elf { r_type } => Some(r_type.0),
            _ => None,
        })
        .collect()
}

/// Instructions of the object's disassembly that name an xmm or ymm register.
fn vector_instructions(obj: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.o");
    std::fs::write(&path, obj).unwrap();
    let out = std::process::Command::new("objdump").arg("-d").arg(&path).output().expect("objdump (binutils)");
    assert!(out.status.success(), "objdump: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("%xmm") || l.contains("%ymm")).count()
}

#[test]
fn every_era_names_its_kexec_tools_commit_and_year() {
    for name in ERAS {
        let n = named(name).unwrap_or_else(|| panic!("{name} is not a named config"));
        let commit = n.commit.as_ref().unwrap_or_else(|| panic!("{name} has no commit"));
        assert_eq!(commit.upstream, Upstream::KexecTools, "{name}");
        assert!(commit.id.len() == 12 && commit.id.chars().all(|c| c.is_ascii_hexdigit()), "{name}: {}", commit.id);
        let year = n.year.unwrap().to_string();
        assert!(n.provenance().starts_with(&format!("{year} kexec-tools {}", commit.id)), "{}", n.provenance());
    }
    assert_eq!(named("kexec-tools-2015").unwrap().commit.as_ref().unwrap().id, "4a837c9a19f9");
    assert_eq!(named("kexec-tools-2022").unwrap().commit.as_ref().unwrap().id, "1b03cf7adc3c");
    // Linux configs keep saying nothing about their project.
    assert!(!named("kernel-2019").unwrap().provenance().contains("kexec-tools"));
    assert_eq!(NAMED.iter().filter(|n| n.name.starts_with("kexec-tools-")).count(), ERAS.len());
}

#[test]
fn got_relocations_go_with_2015_and_vector_registers_with_2025() {
    // R_X86_64_GOTPC64, GOTOFF64, PLTOFF64 and the 32-bit GOT forms kexec-tools' loader does not handle.
    const GOT: [u32; 6] = [29, 25, 31, 26, 9, 42];
    let dir = tempfile::tempdir().unwrap();
    let c = Compiler::new(Cache::at(dir.path()));
    for spec in ["gcc@12", "clang-19"] {
        let tc = toolchain(spec);
        let got = |name: &str| {
            let types = reloc_types(&compile(&c, &tc, CASE, &named(name).unwrap().config()));
            types.iter().filter(|t| GOT.contains(t)).count()
        };
        assert!(got("kexec-tools-2012") > 0, "{spec}: the PIE-default 2012 set makes GOT relocations");
        for name in ["kexec-tools-2015", "kexec-tools-2019", "kexec-tools-2022", "kexec-tools-2025"] {
            assert_eq!(got(name), 0, "{spec} {name}");
        }
        let vector = |name: &str| vector_instructions(&compile(&c, &tc, COPY, &named(name).unwrap().config()));
        assert_eq!(vector("kexec-tools-2025-v3"), 0, "{spec}: 2025's -march=x86-64 -mno-avx win over the default");
        assert_eq!(vector("kexec-tools-2025"), 0, "{spec}");
        if spec == "clang-19" {
            assert!(vector("kexec-tools-2022-v3") > 0, "clang-19 copies the struct with AVX under x86-64-v3");
        }
    }
}
