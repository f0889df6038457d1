//! kexec-tools' symbol steps after relocation, in the order the real code runs them: the bzImage loader's
//! (`do_bzImage64_load`, `do_bzImage_load` protected-mode and `--real-mode`), then `arch_update_purgatory()`,
//! then the digests of `update_purgatory()`. Objects come from gcc-12 and clang-19 (x86_64 and `-m32`), built
//! like kexec-tools' own purgatory (`-fno-zero-initialized-in-bss`), and from `object::write` for absolute and
//! common symbols. Relocation (`loaded`) is unaffected by every symbol problem here.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

use kreloc_oracle::message::{Access, Loader, LoaderMessage};
use kreloc_oracle::{Stage, StageName, Verdict};
use object::SymbolKind;
use support::{load, Builder};

const AT64: u64 = 0x13fffb000;
const AT32: u64 = 0x7000_0000;
const AT_LOW: u64 = 0x8_0000;
const COMPILERS: [&str; 2] = ["gcc", "clang-19"];

/// One global the loader gets or sets: its name and C declaration (`%` stands for the name).
struct Sym {
    name: &'static str,
    decl: &'static str,
}

const fn sym(name: &'static str, decl: &'static str) -> Sym {
    Sym { name, decl }
}

/// Shared by both architectures: `arch_update_purgatory()` (initialised to 0 like purgatory-x86_64.c and
/// console-x86.c) and the digests; `unsigned long` is 8 or 4 bytes as the loader's sizeof is.
const ARCH_UPDATE: [Sym; 9] = [
    sym("reset_vga", "unsigned char % = 0;"),
    sym("serial_base", "unsigned short % = 0;"),
    sym("serial_baud", "unsigned int % = 0;"),
    sym("console_vga", "unsigned char % = 0;"),
    sym("console_serial", "unsigned char % = 0;"),
    sym("backup_src_start", "unsigned long % = 0;"),
    sym("backup_src_size", "unsigned long % = 0;"),
    sym("backup_start", "unsigned long % = 0;"),
    sym("panic_kernel", "unsigned char % = 0;"),
];
const DIGESTS: [Sym; 2] = [
    sym("sha256_regions", "struct { unsigned long long s, l; } %[16] = {{1, 1}};"),
    sym("sha256_digest", "unsigned char %[32] = {1};"),
];
const BZIMAGE64: [Sym; 3] = [
    sym("entry64_regs", "unsigned long long %[17] = {1};"),
    sym("stack_end", "char %[1];"),
    sym("cmdline_end", "unsigned long % = 1;"),
];
const BZIMAGE: [Sym; 6] = [
    sym("entry32_regs", "unsigned int %[9] = {1};"),
    sym("stack_end", "char %[1];"),
    sym("cmdline_end", "unsigned long % = 1;"),
    sym("entry16_regs", "struct { unsigned int r[8]; unsigned short s[8]; } % = {{1}};"),
    sym("entry16_debug_regs", "struct { unsigned int r[8]; unsigned short s[8]; } % = {{1}};"),
    sym("entry16", "void %(void) {}"),
];

/// A purgatory-shaped C file defining `syms` except `omit`, with `resized`'s declaration replaced.
fn source(syms: &[&Sym], omit: &[&str], resized: Option<(&str, &str)>) -> String {
    let mut s = String::from("unsigned long table[4] = {3, 1, 4, 1};\nunsigned long purgatory_start(unsigned long i) { return table[i & 3]; }\n");
    for x in syms.iter().filter(|x| !omit.contains(&x.name)) {
        let decl = match resized {
            Some((name, decl)) if name == x.name => decl,
            _ => x.decl,
        };
        s.push_str(&decl.replace('%', x.name));
        s.push('\n');
    }
    s
}

fn x86_64_syms() -> Vec<&'static Sym> {
    BZIMAGE64.iter().chain(&ARCH_UPDATE).chain(&DIGESTS).collect()
}

fn i386_syms() -> Vec<&'static Sym> {
    BZIMAGE.iter().chain(&ARCH_UPDATE).chain(&DIGESTS).collect()
}

/// Compiles `src` like kexec-tools' purgatory Makefile (unless `bss` keeps zeroes in .bss); fails loudly
/// without the compiler.
fn compile(cc: &str, m32: bool, bss: bool, src: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.c"), src).unwrap();
    let mut cmd = Command::new(cc);
    cmd.current_dir(dir.path()).args([
        "-O2",
        "-ffreestanding",
        "-fno-pic",
        "-fno-stack-protector",
        "-c",
        "p.c",
        "-o",
        "p.o",
    ]);
    cmd.arg(if m32 { "-m32" } else { "-mcmodel=large" });
    if !bss {
        cmd.arg("-fno-zero-initialized-in-bss");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{cc} must be installed (run scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{cc} failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(dir.path().join("p.o")).unwrap()
}

fn lines(v: &Verdict) -> Vec<String> {
    v.message_lines()
}

/// The load relocated, then died in `stage` with exactly `line`; later stages are not reached.
fn dies_in(v: &Verdict, stage: StageName, line: &str) {
    assert!(v.loaded && v.stages.relocates.passed, "relocation alone succeeds: {:?}", v.failure);
    assert!(!v.good && !v.load_succeeds);
    assert_eq!(lines(v), vec![line.to_string()]);
    let stages: Vec<(StageName, &Stage)> = v.stages.in_order().collect();
    assert_eq!(stages.len(), 4, "kexec-tools has an arch symbols stage: {:?}", v.stages);
    let at = stages.iter().position(|(name, _)| *name == stage).unwrap();
    assert!(stages[at].1.reached && !stages[at].1.passed, "{stage} fails: {:?}", v.stages);
    assert!(stages[..at].iter().all(|(_, st)| st.passed), "everything before {stage} passes: {:?}", v.stages);
    assert!(stages[at + 1..].iter().all(|(_, st)| !st.reached), "nothing after {stage} runs: {:?}", v.stages);
}

#[test]
fn complete_kexec_tools_purgatories_load_in_every_mode() {
    for cc in COMPILERS {
        let v = load(&compile(cc, false, false, &source(&x86_64_syms(), &[], None)), "kexec-tools-x86_64", AT64);
        assert!(v.good && v.messages.is_empty(), "{cc}: {:?} {:?}", v.failure, lines(&v));
        let arch = v.stages.arch_symbols.as_ref().expect("kexec-tools runs arch_update_purgatory");
        assert!(arch.passed && arch.reached && v.stages.digest_symbols.reached);
        let i386 = compile(cc, true, false, &source(&i386_syms(), &[], None));
        for (p, at) in
            [("kexec-tools-i386", AT32), ("kexec-tools-i386-nonreloc", AT_LOW), ("kexec-tools-i386-realmode", AT_LOW)]
        {
            let v = load(&i386, p, at);
            assert!(v.good && v.messages.is_empty(), "{cc} {p}: {:?} {:?}", v.failure, lines(&v));
        }
    }
}

#[test]
fn each_missing_arch_update_symbol_dies_after_the_loader_and_before_the_digests() {
    for cc in COMPILERS {
        for s in &ARCH_UPDATE {
            let v =
                load(&compile(cc, false, false, &source(&x86_64_syms(), &[s.name], None)), "kexec-tools-x86_64", AT64);
            dies_in(&v, StageName::ArchSymbols, &format!("Symbol: {} not found cannot set", s.name));
            let v = load(&compile(cc, true, false, &source(&i386_syms(), &[s.name], None)), "kexec-tools-i386", AT32);
            dies_in(&v, StageName::ArchSymbols, &format!("Symbol: {} not found cannot set", s.name));
        }
    }
}

#[test]
fn the_real_order_decides_which_symbol_is_named() {
    for cc in COMPILERS {
        // The loader's cmdline_end comes before arch_update_purgatory; reset_vga before panic_kernel; both
        // before the digests.
        let v = load(
            &compile(
                cc,
                false,
                false,
                &source(&x86_64_syms(), &["panic_kernel", "cmdline_end", "sha256_digest"], None),
            ),
            "kexec-tools-x86_64",
            AT64,
        );
        dies_in(&v, StageName::LoaderSymbols, "Symbol: cmdline_end not found cannot set");
        assert!(
            !v.stages.arch_symbols.as_ref().unwrap().passed,
            "judged alone, arch symbols fail too: {:?}",
            v.stages.arch_symbols
        );
        let v = load(
            &compile(cc, false, false, &source(&x86_64_syms(), &["panic_kernel", "reset_vga", "sha256_digest"], None)),
            "kexec-tools-x86_64",
            AT64,
        );
        dies_in(&v, StageName::ArchSymbols, "Symbol: reset_vga not found cannot set");
        let v = load(
            &compile(cc, false, false, &source(&x86_64_syms(), &["sha256_digest"], None)),
            "kexec-tools-x86_64",
            AT64,
        );
        dies_in(&v, StageName::DigestSymbols, "Symbol: sha256_digest not found cannot set");
    }
}

#[test]
fn a_wrong_size_names_both_sizes_as_unsigned_long_is_on_each_arch() {
    for cc in COMPILERS {
        let v = load(
            &compile(cc, false, false, &source(&x86_64_syms(), &[], Some(("serial_base", "unsigned int % = 0;")))),
            "kexec-tools-x86_64",
            AT64,
        );
        dies_in(&v, StageName::ArchSymbols, "Symbol: serial_base has size: 4 not 2");
        assert_eq!(
            v.messages,
            vec![LoaderMessage::SymbolSizeMismatch {
                loader: Loader::KexecToolsX86_64,
                name: "serial_base".into(),
                st_size: 4,
                wanted: 2
            }]
        );
        // An i386 purgatory built with 8-byte backup fields, as x86_64's are.
        let v = load(
            &compile(
                cc,
                true,
                false,
                &source(&i386_syms(), &[], Some(("backup_src_start", "unsigned long long % = 0;"))),
            ),
            "kexec-tools-i386",
            AT32,
        );
        dies_in(&v, StageName::ArchSymbols, "Symbol: backup_src_start has size: 8 not 4");
    }
}

#[test]
fn zeroes_left_in_bss_cannot_be_set_which_is_why_kexec_tools_builds_without_them() {
    for cc in COMPILERS {
        let v = load(&compile(cc, false, true, &source(&x86_64_syms(), &[], None)), "kexec-tools-x86_64", AT64);
        dies_in(&v, StageName::ArchSymbols, "Symbol: reset_vga is in a bss section cannot set");
        assert_eq!(
            v.messages,
            vec![LoaderMessage::SymbolInBss {
                loader: Loader::KexecToolsX86_64,
                name: "reset_vga".into(),
                access: Access::Set
            }]
        );
        let v = load(&compile(cc, true, true, &source(&i386_syms(), &[], None)), "kexec-tools-i386", AT32);
        dies_in(&v, StageName::ArchSymbols, "Symbol: reset_vga is in a bss section cannot set");
    }
}

#[test]
fn backup_start_is_set_only_for_kexec_p() {
    for cc in COMPILERS {
        let i386 = compile(cc, true, false, &source(&i386_syms(), &["backup_start"], None));
        dies_in(
            &load(&i386, "kexec-tools-i386", AT32),
            StageName::ArchSymbols,
            "Symbol: backup_start not found cannot set",
        );
        for p in ["kexec-tools-i386-nonreloc", "kexec-tools-i386-realmode"] {
            let v = load(&i386, p, AT_LOW);
            assert!(v.good, "{cc} {p}: kexec -l never sets backup_start: {:?}", lines(&v));
        }
    }
}

#[test]
fn i386_protected_mode_sets_entry32_regs_and_real_mode_also_entry16_regs() {
    let crash = "kexec-tools-i386";
    let real = "kexec-tools-i386-realmode";
    for cc in COMPILERS {
        let build = |omit: &[&str], resized| compile(cc, true, false, &source(&i386_syms(), omit, resized));
        // Protected mode: stack_end's address, then entry32_regs (set, never read), then cmdline_end.
        let no_entry16 = build(&["entry16_regs", "entry16_debug_regs", "entry16"], None);
        assert!(load(&no_entry16, crash, AT32).good, "{cc}: the protected-mode path never looks at entry16*");
        dies_in(
            &load(&no_entry16, real, AT_LOW),
            StageName::LoaderSymbols,
            "Symbol: entry16_regs not found cannot get",
        );
        dies_in(
            &load(&build(&["stack_end", "entry32_regs"], None), crash, AT32),
            StageName::LoaderSymbols,
            "Symbol: stack_end not found cannot retrive it's address",
        );
        let short_regs = build(&[], Some(("entry32_regs", "unsigned int %[8] = {1};")));
        dies_in(&load(&short_regs, crash, AT32), StageName::LoaderSymbols, "Symbol: entry32_regs has size: 32 not 36");
        // Real mode: entry16_regs (get), stack_end twice, entry16, then the sets in the loader's order.
        dies_in(
            &load(&build(&["entry16"], None), real, AT_LOW),
            StageName::LoaderSymbols,
            "Symbol: entry16 not found cannot retrive it's address",
        );
        dies_in(
            &load(&build(&["entry16_debug_regs", "entry32_regs"], None), real, AT_LOW),
            StageName::LoaderSymbols,
            "Symbol: entry16_debug_regs not found cannot set",
        );
        let wrong = build(&[], Some(("entry16_regs", "unsigned int %[9] = {1};")));
        dies_in(&load(&wrong, real, AT_LOW), StageName::LoaderSymbols, "Symbol: entry16_regs has size: 36 not 48");
        assert!(load(&wrong, crash, AT32).good);
    }
}

/// An object::write purgatory with every kexec-tools x86_64 symbol, `odd` made absolute or common.
fn written_x86_64(odd: &str, kind: &str) -> Vec<u8> {
    let mut b = Builder::x86_64();
    b.text(".text", 0x40);
    b.bzimage64_symbols();
    let d = b.data(".data", 0x200);
    let sizes = [("cmdline_end", 8)]
        .into_iter()
        .chain(ARCH_UPDATE.iter().map(|s| (s.name, width64(s.decl))))
        .chain([("sha256_regions", 256), ("sha256_digest", 32)]);
    for (i, (name, size)) in sizes.enumerate() {
        let _ = match (name == odd, kind) {
            (false, _) => b.global(name, d, i as u64 * 8, size, SymbolKind::Data),
            (true, "absolute") => b.absolute(name, 0x1000),
            (true, _) => b.common(name, size),
        };
    }
    b.build()
}

/// sizeof on x86_64 of the ARCH_UPDATE declarations.
fn width64(decl: &str) -> u64 {
    match decl.split_whitespace().nth(1) {
        Some("char") => 1,
        Some("short") => 2,
        Some("int") => 4,
        _ => 8,
    }
}

#[test]
fn absolute_and_common_arch_update_symbols_have_a_bad_section_index() {
    for (kind, shndx) in [("absolute", 0xfff1), ("common", 0xfff2)] {
        let bytes = written_x86_64("panic_kernel", kind);
        let v = load(&bytes, "kexec-tools-x86_64", AT64);
        dies_in(&v, StageName::ArchSymbols, &format!("Symbol: panic_kernel has Bad section index {shndx}"));
        assert_eq!(v.messages, vec![LoaderMessage::SymbolBadIndex { name: "panic_kernel".into(), shndx }]);
    }
    assert!(
        load(&written_x86_64("none", "absolute"), "kexec-tools-x86_64", AT64).good,
        "the same object with every symbol defined loads"
    );
}

#[test]
fn kernel_profiles_have_no_arch_update_stage() {
    let bytes = compile(
        "gcc",
        false,
        false,
        &source(&x86_64_syms(), &ARCH_UPDATE.iter().map(|s| s.name).collect::<Vec<_>>(), None),
    );
    let v = load(&bytes, "linux-x86_64", AT64);
    assert!(v.stages.arch_symbols.is_none(), "the kernel has no arch_update_purgatory: {:?}", v.stages.arch_symbols);
    assert_eq!(v.stages.in_order().count(), 3);
    let v = load(&bytes, "kexec-tools-x86_64", AT64);
    dies_in(&v, StageName::ArchSymbols, "Symbol: reset_vga not found cannot set");
}
