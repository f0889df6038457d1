//! Issue 13: a profile's verdict is the whole load by that loader — relocation, the image loader's symbol
//! steps, the digest writes — with the real code's messages (or silence), on objects from gcc, clang-19
//! (native and `--target=` riscv64/s390x/i386) and `object::write` (absolute, common, typed-undefined symbols).

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

use kreloc_oracle::message::{Access, Loader, LoaderMessage};
use kreloc_oracle::symbols::SilentReason;
use kreloc_oracle::{Failure, StageName, Verdict};
use object::{Architecture, Endianness, SectionKind, SymbolKind};
use support::{load, Builder};

const AT: u64 = 0x13fffb000;

/// A purgatory-shaped C file; `-D` switches choose which loader symbols it defines.
const SOURCE: &str = r#"
#ifdef DIGESTS
struct r { unsigned long long s, l; } purgatory_sha_regions[16] __attribute__((section(".kexec-purgatory"))) = {{1, 1}};
unsigned char purgatory_sha256_digest[32] __attribute__((section(".kexec-purgatory"))) = {1};
#endif
#ifdef BZIMAGE64
unsigned long entry64_regs[17] __attribute__((section(".data"))) = {1};
#endif
#ifdef STACK
unsigned long stack_end[1] __attribute__((section(".bss.stack")));
#endif
#ifdef S390
unsigned long kernel_entry __attribute__((section(".data"))) = 1, kernel_type __attribute__((section(".data"))) = 1;
#endif
#ifdef RISCV
unsigned long riscv_kernel_entry __attribute__((section(".data"))) = 1;
#endif
#ifdef KEXEC_TOOLS
struct r2 { unsigned long long s, l; } sha256_regions[16] __attribute__((section(".data"))) = {{1, 1}};
unsigned char sha256_digest[32] __attribute__((section(".data"))) = {1};
unsigned long cmdline_end __attribute__((section(".data"))) = 1;
/* arch_update_purgatory(); kexec -p also sets backup_start */
unsigned char reset_vga = 1, console_vga = 1, console_serial = 1, panic_kernel = 1;
unsigned short serial_base = 1;
unsigned int serial_baud = 1;
unsigned long backup_src_start = 1, backup_src_size = 1, backup_start = 1;
#endif
#ifdef KEXEC_TOOLS_I386
unsigned int entry32_regs[9] __attribute__((section(".data"))) = {1};
#endif
#ifdef UNDEF
extern unsigned long ext_fn(unsigned long);
#else
static unsigned long ext_fn(unsigned long x) { return x + 1; }
#endif
unsigned long table[8] __attribute__((section(".data"))) = {3, 1, 4, 1, 5, 9, 2, 6};
unsigned long purgatory_start(unsigned long i) { return ext_fn(table[i & 7]); }
#ifdef SPLIT
__attribute__((section(".text.b"))) unsigned long b(unsigned long i) { return table[i & 3] * 3; }
__attribute__((section(".text.c"))) unsigned long c(unsigned long i) { return table[i & 1] * 5; }
#endif
"#;

/// Compiles SOURCE with `cc` (`gcc` or `clang-19`), extra flags and defines; fails loudly without the compiler.
fn compile(cc: &str, flags: &[&str], defines: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.c");
    std::fs::write(&src, SOURCE).unwrap();
    let obj = dir.path().join("p.o");
    let out = Command::new(cc)
        .args(["-O2", "-ffreestanding", "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-c"])
        .args(flags)
        .args(defines.iter().map(|d| format!("-D{d}")))
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap_or_else(|e| panic!("{cc} must be installed (run scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{cc} {flags:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(obj).unwrap()
}

const X86_FLAGS: &[&str] = &["-mcmodel=large", "-fno-pic"];
const X86_COMPLETE: &[&str] = &["DIGESTS", "BZIMAGE64", "STACK"];
const COMPILERS: [&str; 2] = ["gcc", "clang-19"];
const X86_KERNELS: [&str; 2] = ["linux-x86_64", "linux-x86_64@5.4"];

fn lines(v: &Verdict) -> Vec<String> {
    v.message_lines()
}

fn silent(v: &Verdict) -> (StageName, String, SilentReason) {
    match v.failure.clone() {
        Some(Failure::Silent { stage, symbol, reason }) => (stage, symbol, reason),
        other => panic!("expected a silent failure, got {other:?} ({:?})", lines(v)),
    }
}

#[test]
fn a_complete_purgatory_loads_and_every_stage_passes() {
    for cc in COMPILERS {
        let bytes = compile(cc, X86_FLAGS, X86_COMPLETE);
        for p in X86_KERNELS {
            let v = load(&bytes, p, AT);
            assert!(v.good && v.load_succeeds, "{cc} {p}: {:?} {:?}", v.failure, lines(&v));
            assert!(v.stages.relocates.passed && v.stages.loader_symbols.passed && v.stages.digest_symbols.passed);
            assert!(v.messages.is_empty(), "{:?}", lines(&v));
        }
    }
}

#[test]
fn class1_missing_digest_symbols_fail_silently_after_relocating() {
    for cc in COMPILERS {
        let bytes = compile(cc, X86_FLAGS, &["BZIMAGE64", "STACK"]);
        for p in X86_KERNELS {
            let v = load(&bytes, p, AT);
            assert!(v.loaded && v.stages.relocates.passed, "relocation alone succeeds");
            assert!(!v.load_succeeds && !v.good);
            assert_eq!(silent(&v), (StageName::DigestSymbols, "purgatory_sha_regions".into(), SilentReason::Missing));
            assert!(v.messages.is_empty(), "the kernel prints nothing: {:?}", lines(&v));
        }
    }
}

/// object::write objects with `purgatory_sha_regions` absolute, common or undefined (and everything else right).
fn x86_with_odd_sha_regions(kind: &str) -> Vec<u8> {
    let mut b = Builder::x86_64();
    b.text(".text", 0x40);
    b.bzimage64_symbols();
    let d = b.data(".kexec-purgatory", 0x40);
    b.global("purgatory_sha256_digest", d, 0, 32, SymbolKind::Data);
    match kind {
        "absolute" => b.absolute("purgatory_sha_regions", 0x1000),
        "common" => b.common("purgatory_sha_regions", 256),
        _ => b.undefined("purgatory_sha_regions"),
    };
    b.build()
}

#[test]
fn class1_absolute_common_or_undefined_digest_symbols_are_refused_silently() {
    for kind in ["absolute", "common", "undefined"] {
        let bytes = x86_with_odd_sha_regions(kind);
        for p in X86_KERNELS {
            let v = load(&bytes, p, AT);
            assert!(v.stages.relocates.passed, "{kind} {p}: {:?}", v.failure);
            assert_eq!(
                silent(&v),
                (StageName::DigestSymbols, "purgatory_sha_regions".into(), SilentReason::BadSection),
                "{kind} {p}"
            );
            assert!(v.messages.is_empty(), "{kind} {p}: no 'size mismatch', nothing at all: {:?}", lines(&v));
        }
    }
}

#[test]
fn class2_bzimage64_steps_stack_end_prints_entry64_regs_is_silent() {
    for cc in COMPILERS {
        let no_stack = compile(cc, X86_FLAGS, &["DIGESTS", "BZIMAGE64"]);
        let no_regs = compile(cc, X86_FLAGS, &["DIGESTS", "STACK"]);
        for p in X86_KERNELS {
            let v = load(&no_stack, p, AT);
            assert_eq!(lines(&v), vec!["kexec-bzImage64: Could not find address of symbol stack_end"], "{cc} {p}");
            assert!(!v.load_succeeds && !v.stages.loader_symbols.passed);
            assert!(
                !v.stages.digest_symbols.reached && v.stages.digest_symbols.passed,
                "the digests are never reached, and alone would pass"
            );
            let v = load(&no_regs, p, AT);
            assert!(v.messages.is_empty(), "{:?}", lines(&v));
            assert_eq!(silent(&v), (StageName::LoaderSymbols, "entry64_regs".into(), SilentReason::Missing));
        }
    }
}

#[test]
fn class2_kexec_tools_x86_64_dies_on_each_missing_or_wrong_symbol() {
    let kt = &["BZIMAGE64", "STACK", "KEXEC_TOOLS"];
    for cc in COMPILERS {
        let v = load(&compile(cc, X86_FLAGS, kt), "kexec-tools-x86_64", AT);
        assert!(v.good, "{cc}: {:?} {:?}", v.failure, lines(&v));
        let v = load(&compile(cc, X86_FLAGS, &["STACK", "KEXEC_TOOLS"]), "kexec-tools-x86_64", AT);
        assert_eq!(lines(&v), vec!["Symbol: entry64_regs not found cannot get"]);
        let v = load(&compile(cc, X86_FLAGS, &["BZIMAGE64", "KEXEC_TOOLS"]), "kexec-tools-x86_64", AT);
        assert_eq!(lines(&v), vec!["Symbol: stack_end not found cannot retrive it's address"]);
        // A kernel purgatory has none of kexec-tools' own digest symbols.
        let v = load(&compile(cc, X86_FLAGS, X86_COMPLETE), "kexec-tools-x86_64", AT);
        assert_eq!(lines(&v), vec!["Symbol: cmdline_end not found cannot set"]);
    }
    let mut b = Builder::x86_64();
    b.text(".text", 0x10);
    let d = b.data(".data", 0x100);
    b.global("entry64_regs", d, 0, 128, SymbolKind::Data);
    let v = load(&b.build(), "kexec-tools-x86_64", AT);
    assert_eq!(
        v.messages,
        vec![LoaderMessage::SymbolSizeMismatch {
            loader: Loader::KexecToolsX86_64,
            name: "entry64_regs".into(),
            st_size: 128,
            wanted: 136
        }]
    );
    assert_eq!(lines(&v), vec!["Symbol: entry64_regs has size: 128 not 136"]);
    // The stage keeps the typed fault that the message words, for campaigns to compare.
    assert_eq!(
        v.stages.loader_symbols.symbol,
        Some(kreloc_oracle::SymbolFault { name: "entry64_regs", reason: SilentReason::SizeMismatch })
    );
    assert_eq!(v.stages.relocates.symbol, None);
}

#[test]
fn class3_one_warn_per_further_exec_section_from_6_4_on() {
    for cc in COMPILERS {
        // An unlinked object has e_entry 0: every non-empty exec section contains it.
        let bytes = compile(cc, X86_FLAGS, &["DIGESTS", "BZIMAGE64", "STACK", "SPLIT"]);
        let v = load(&bytes, "linux-x86_64", AT);
        let warns = v.messages.iter().filter(|m| m.code() == "entry-warn").count();
        assert_eq!(warns, v.entry.matches.len() - 1, "{cc}: {:?}", v.entry_matches());
        assert!(warns >= 2, "{cc}: three exec sections give two WARNs: {:?}", v.entry_matches());
        assert!(v.load_succeeds, "a WARN does not fail the load");
        let old = load(&bytes, "linux-x86_64@5.4", AT);
        assert!(old.messages.iter().all(|m| m.code() != "entry-warn"), "5.4 recomputes silently");
    }
}

#[test]
fn class4_undefined_symbols_kernel_refuses_in_every_era_kexec_tools_only_typed_ones() {
    for cc in COMPILERS {
        let bytes = compile(cc, X86_FLAGS, &["DIGESTS", "BZIMAGE64", "STACK", "KEXEC_TOOLS", "UNDEF"]);
        for p in [
            "linux-x86_64@4.15",
            "linux-x86_64@4.16",
            "linux-x86_64@5.4",
            "linux-x86_64@6.6",
            "linux-x86_64@7.0",
            "linux-x86_64",
        ] {
            let v = load(&bytes, p, AT);
            assert_eq!(
                lines(&v),
                vec!["kexec: Undefined symbol: ext_fn", "kexec-bzImage64: Loading purgatory failed"],
                "{cc} {p}"
            );
            assert!(!v.stages.relocates.passed);
        }
        let s390 = compile("clang-19", &["--target=s390x-linux-gnu"], &["DIGESTS", "S390", "UNDEF"]);
        assert_eq!(lines(&load(&s390, "linux-s390x", 0x500_0000)), vec!["kexec: Undefined symbol: ext_fn"]);
        // kexec-tools: an STT_NOTYPE undefined symbol relocates against 0 and the load goes on.
        let v = load(&bytes, "kexec-tools-x86_64", AT);
        assert!(v.stages.relocates.passed && v.good, "{cc}: {:?} {:?}", v.failure, lines(&v));
    }
    // A typed (STT_OBJECT) undefined symbol kills kexec-tools' load (object::write only writes untyped ones).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("u.s"), ".type ext_obj, @object\n.text\nmovabs $ext_obj, %rax\n").unwrap();
    let out = Command::new("gcc")
        .current_dir(dir.path())
        .args(["-c", "u.s", "-o", "u.o"])
        .output()
        .expect("gcc (run scripts/setup.sh)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = load(&std::fs::read(dir.path().join("u.o")).unwrap(), "kexec-tools-x86_64", AT);
    assert_eq!(lines(&v), vec!["Undefined symbol: ext_obj"]);
}

#[test]
fn class4_pie_objects_meet_the_relocation_type_first_in_kexec_tools() {
    let bytes = compile("gcc", &["-fpie", "-mcmodel=large"], &["DIGESTS", "BZIMAGE64", "STACK", "KEXEC_TOOLS"]);
    let v = load(&bytes, "linux-x86_64", AT);
    assert_eq!(lines(&v)[0], "kexec: Undefined symbol: _GLOBAL_OFFSET_TABLE_");
    let v = load(&bytes, "kexec-tools-x86_64", AT);
    assert_eq!(
        lines(&v),
        vec!["Unhandled rela relocation: R_X86_64_29"],
        "GOTPC64 against the untyped _GLOBAL_OFFSET_TABLE_"
    );
}

#[test]
fn class5_kexec_tools_names_types_from_its_old_table() {
    for (r_type, name) in [(9, "R_X86_64_GOTPCREL"), (24, "R_X86_64_24"), (42, "R_X86_64_42"), (41, "R_X86_64_41")] {
        let v = load(&support::single_abs(r_type, 0x1000), "kexec-tools-x86_64", AT);
        assert_eq!(lines(&v), vec![format!("Unhandled rela relocation: {name}")]);
    }
    let v = load(&support::single_abs(24, 0x1000), "linux-x86_64", AT);
    assert_eq!(lines(&v)[0], "kexec: Unknown rela relocation: 24");
}

#[test]
fn class7_riscv64_and_s390x_digest_and_loader_steps() {
    let rv = |d: &[&str]| compile("clang-19", &["--target=riscv64-linux-gnu", "-mcmodel=medany", "-mno-relax"], d);
    let at = 0x8020_0000;
    let v = load(&rv(&["DIGESTS", "RISCV"]), "linux-riscv64", at);
    assert!(v.good, "{:?} {:?}", v.failure, lines(&v));
    // elf_kexec_load prints and goes on: later kexec_add_buffer calls overwrite ret.
    let v = load(&rv(&["DIGESTS"]), "linux-riscv64", at);
    assert_eq!(lines(&v), vec!["Error update purgatory ret=-22"]);
    assert!(v.load_succeeds, "{:?}", v.failure);
    let v = load(&rv(&["RISCV"]), "linux-riscv64", at);
    assert!(v.messages.is_empty() && !v.load_succeeds);
    assert_eq!(silent(&v), (StageName::DigestSymbols, "purgatory_sha_regions".into(), SilentReason::Missing));

    let s390 = |d: &[&str]| compile("clang-19", &["--target=s390x-linux-gnu"], d);
    let at = 0x500_0000;
    assert!(load(&s390(&["DIGESTS", "S390"]), "linux-s390x", at).good);
    let v = load(&s390(&["DIGESTS"]), "linux-s390x", at);
    assert_eq!(silent(&v), (StageName::LoaderSymbols, "kernel_entry".into(), SilentReason::Missing));
    let v = load(&s390(&["S390"]), "linux-s390x", at);
    assert_eq!(silent(&v), (StageName::DigestSymbols, "purgatory_sha_regions".into(), SilentReason::Missing));
    assert!(v.messages.is_empty());

    // Absolute and common digest symbols through object::write, on both architectures.
    for (arch, endian, profile, at) in [
        (Architecture::Riscv64, Endianness::Little, "linux-riscv64", 0x8020_0000u64),
        (Architecture::S390x, Endianness::Big, "linux-s390x", 0x500_0000),
    ] {
        for kind in ["absolute", "common"] {
            let mut b = Builder::for_arch(arch, endian);
            b.text(".text", 0x40);
            let d = b.data(".data", 0x40);
            for (name, size) in [("riscv_kernel_entry", 8), ("kernel_entry", 8), ("kernel_type", 8)] {
                b.global(name, d, 0, size, SymbolKind::Data);
            }
            let k = b.section(".kexec-purgatory", SectionKind::Data, &[0; 32], 8);
            b.global("purgatory_sha256_digest", k, 0, 32, SymbolKind::Data);
            if kind == "absolute" {
                b.absolute("purgatory_sha_regions", 0);
            } else {
                b.common("purgatory_sha_regions", 256);
            }
            let v = load(&b.build(), profile, at);
            assert!(v.stages.relocates.passed && v.messages.is_empty(), "{profile} {kind}: {:?}", lines(&v));
            assert_eq!(
                silent(&v),
                (StageName::DigestSymbols, "purgatory_sha_regions".into(), SilentReason::BadSection)
            );
        }
    }
}

#[test]
fn class8_kexec_tools_i386_stops_at_gotpc_before_any_undefined_symbol() {
    let d = &["KEXEC_TOOLS", "KEXEC_TOOLS_I386", "STACK"];
    let pic = compile("clang-19", &["-m32", "-fpic"], d);
    let v = load(&pic, "kexec-tools-i386", 0x7000_0000);
    assert_eq!(lines(&v), vec!["Unknown rel relocation: 10"], "R_386_GOTPC against the untyped _GLOBAL_OFFSET_TABLE_");
    let plain = compile("clang-19", &["-m32", "-fno-pic"], d);
    let v = load(&plain, "kexec-tools-i386", 0x7000_0000);
    assert!(v.good, "{:?} {:?}", v.failure, lines(&v));
    let v =
        load(&compile("clang-19", &["-m32", "-fno-pic"], &["KEXEC_TOOLS", "STACK"]), "kexec-tools-i386", 0x7000_0000);
    assert_eq!(
        v.messages,
        vec![LoaderMessage::SymbolNotFound {
            loader: Loader::KexecToolsI386,
            name: "entry32_regs".into(),
            access: Access::Set
        }]
    );
}

#[test]
fn messages_serialise_tagged_by_code() {
    let m = LoaderMessage::UndefinedSymbol { loader: Loader::LinuxX86_64, name: "memcpy".into() };
    let j = serde_json::to_value(&m).unwrap();
    assert_eq!(j["code"], "undefined-symbol");
    assert_eq!(j["code"], m.code());
    assert_eq!(j["name"], "memcpy");
    let back: LoaderMessage = serde_json::from_value(j).unwrap();
    assert_eq!(back, m);
}
