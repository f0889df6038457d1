//! The kernel's own flag sets as named configs: each compiles with gcc-12 and clang-19, except where the
//! compiler does not know a flag (`Refused`, naming it: campaigns do not judge such a cell); the leaked ones make
//! the compiler reference the symbol the kernel then reports undefined.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::collections::BTreeSet;

use kreloc_toolchains::config::{named, KernelFlag, NAMED};
use kreloc_toolchains::{resolve, Cache, CompileConfig, CompileOutcome, Compiler, Source};
use object::{Object, ObjectSymbol};

const CASE: &str = include_str!("fixtures/kbuild_case.c");

fn undefined(obj: &[u8]) -> BTreeSet<String> {
    let file = object::File::parse(obj).unwrap();
    file.symbols()
        .filter(|s| s.is_undefined() && !s.name().unwrap_or("").is_empty())
        .map(|s| s.name().unwrap().to_string())
        .collect()
}

fn toolchain(spec: &str) -> kreloc_toolchains::Toolchain {
    resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e} (run scripts/setup.sh)"))
}

#[test]
fn every_kernel_config_compiles_with_gcc12_and_clang19_or_is_refused_for_a_flag_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let c = Compiler::new(Cache::at(dir.path()));
    let mut refused = BTreeSet::new();
    for spec in ["gcc@12", "clang-19"] {
        let tc = toolchain(spec);
        for n in NAMED.iter().filter(|n| n.year.is_some()) {
            match c.compile(&tc, &Source::c(CASE), &n.config()).unwrap() {
                CompileOutcome::Object { .. } => {}
                CompileOutcome::Refused { flag, .. } => {
                    refused.insert((spec, n.name, flag));
                }
                other => panic!("{spec} {}: {}", n.name, other.kind()),
            }
        }
    }
    // gcc has neither kCFI nor ThinLTO; clang takes every set (retpoline in its own spelling) but gcc's own
    // kernel command line.
    // gcc-12 lacks -fstrict-flex-arrays (gcc 13 has it).
    let refusal = |spec, name, flag: &str| (spec, name, flag.to_string());
    assert_eq!(
        refused,
        BTreeSet::from([
            refusal("gcc@12", "leak-kcfi", "-fsanitize=kcfi"),
            refusal("gcc@12", "leak-lto", "-flto=thin"),
            refusal("gcc@12", "kbuild-flex-arrays", "-fstrict-flex-arrays=3"),
            refusal("clang-19", "kbuild-all", "-mpreferred-stack-boundary=3"),
        ])
    );
}

#[test]
fn leaked_flags_reference_what_purgatory_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let c = Compiler::new(Cache::at(dir.path()));
    for spec in ["gcc@12", "clang-19"] {
        let tc = toolchain(spec);
        for (config, symbol) in [
            ("leak-ftrace", "__fentry__"),
            ("leak-stack-protector", "__stack_chk_fail"),
            ("leak-rethunk", "__x86_return_thunk"),
            ("leak-retpoline", if spec == "gcc@12" { "__x86_indirect_thunk_rax" } else { "__x86_indirect_thunk_r11" }),
        ] {
            let out = c.compile(&tc, &Source::c(CASE), &named(config).unwrap().config()).unwrap();
            let syms = undefined(out.object().unwrap_or_else(|| panic!("{spec} {config}: {}", out.kind())));
            assert!(syms.contains(symbol), "{spec} {config}: undefined {syms:?}");
        }
        let clean = c.compile(&tc, &Source::c(CASE), &named("kernel-2024").unwrap().config()).unwrap();
        let syms = undefined(clean.object().unwrap());
        assert!(syms.iter().all(|s| s == "_GLOBAL_OFFSET_TABLE_"), "{spec} kernel-2024: undefined {syms:?}");
    }
}

#[test]
fn kernel_flags_are_typed_and_the_later_of_a_flag_and_its_negation_wins() {
    let kbuild = named("kbuild-all").unwrap().config();
    for k in [
        KernelFlag::Pg,
        KernelFlag::Fentry,
        KernelFlag::ReturnThunkExtern,
        KernelFlag::RetpolineExternal,
        KernelFlag::HardenSls,
    ] {
        assert!(kbuild.kernel.contains(&k), "{k:?} missing from {:?}", kbuild.kernel);
    }
    assert!(kbuild
        .kernel
        .contains(&KernelFlag::StackProtector { level: kreloc_toolchains::config::StackProtector::Strong }));
    assert!(kbuild
        .kernel
        .contains(&KernelFlag::CfProtection { kind: kreloc_toolchains::config::CfProtection::Branch }));
    let on = CompileConfig::from_flags(&["-fno-stack-protector", "-fstack-protector-strong"]);
    assert!(
        on.c_flags().contains(&"-fstack-protector-strong".to_string())
            && !on.c_flags().contains(&"-fno-stack-protector".to_string())
    );
    let off = CompileConfig::from_flags(&["-fstack-protector-strong", "-fno-stack-protector"]);
    assert!(off.kernel.is_empty() && off.c_flags().contains(&"-fno-stack-protector".to_string()));
    // Each driver spells retpoline its own way, as the kernel's RETPOLINE_CFLAGS do.
    use kreloc_toolchains::config::Dialect;
    assert!(kbuild.c_flags_for(Dialect::Clang).contains(&"-mretpoline-external-thunk".to_string()));
    assert!(!kbuild
        .c_flags_for(Dialect::Clang)
        .iter()
        .any(|f| f.starts_with("-mindirect-branch=") || f == "-mindirect-branch-register"));
}

#[test]
fn historical_configs_carry_year_and_commit() {
    for name in ["kernel-2014", "kernel-2018", "kernel-2019", "kernel-2019-fix", "kernel-2024"] {
        let n = named(name).unwrap();
        let commit = n.commit.as_ref().unwrap_or_else(|| panic!("{name} has no commit"));
        assert!(commit.id.len() == 12 && commit.id.chars().all(|c| c.is_ascii_hexdigit()), "{name}: {}", commit.id);
        assert!(n.provenance().starts_with(&n.year.unwrap().to_string()), "{}", n.provenance());
    }
    assert_eq!(named("kernel-2019").unwrap().commit.as_ref().unwrap().id, "b059f801a937");
    assert_eq!(named("kernel-2019-fix").unwrap().commit.as_ref().unwrap().id, "e16c2983fba0");
    assert_eq!(named("kernel-2024").unwrap().commit.as_ref().unwrap().id, "cba786af84a0");
}

/// The code sections' bytes and the section names of an object.
fn code_and_sections(obj: &[u8]) -> (Vec<u8>, BTreeSet<String>) {
    use object::{ObjectSection, SectionKind};
    let file = object::File::parse(obj).unwrap();
    let code =
        file.sections().filter(|s| s.kind() == SectionKind::Text).flat_map(|s| s.data().unwrap().to_vec()).collect();
    (code, file.sections().map(|s| s.name().unwrap_or("").to_string()).collect())
}

#[test]
fn hardening_configs_carry_their_commit_and_change_the_code_as_the_flag_says() {
    const ENDBR64: &[u8] = &[0xf3, 0x0f, 0x1e, 0xfa];
    const RET_INT3: &[u8] = &[0xc3, 0xcc];
    let has = |code: &[u8], pattern: &[u8]| code.windows(pattern.len()).any(|w| w == pattern);
    let dir = tempfile::tempdir().unwrap();
    let c = Compiler::new(Cache::at(dir.path()));
    let hardening = [
        "kbuild-auto-var-init",
        "kbuild-zero-call-regs",
        "kbuild-ibt",
        "kbuild-sls",
        "leak-cs-prefix",
        "kbuild-padding",
        "kbuild-no-jump-tables",
        "kbuild-flex-arrays",
    ];
    for name in hardening {
        let n = named(name).unwrap_or_else(|| panic!("no config {name}"));
        let commit = n.commit.as_ref().unwrap_or_else(|| panic!("{name} has no commit"));
        assert!(commit.id.len() == 12 && commit.id.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        assert!(n.year.is_some_and(|y| (2019..=2024).contains(&y)), "{name}");
    }
    for spec in ["gcc@12", "clang-19"] {
        let tc = toolchain(spec);
        let object = |config: &str| {
            let out = c.compile(&tc, &Source::c(CASE), &named(config).unwrap().config()).unwrap();
            out.object().unwrap_or_else(|| panic!("{spec} {config}: {}", out.kind())).to_vec()
        };
        let (base, base_sections) = code_and_sections(&object("kernel-2024"));
        assert!(!has(&base, ENDBR64) && !base_sections.contains("__patchable_function_entries"), "{spec}");
        let (ibt, _) = code_and_sections(&object("kbuild-ibt"));
        assert!(has(&ibt, ENDBR64), "{spec} kbuild-ibt: no endbr64");
        let (sls, _) = code_and_sections(&object("kbuild-sls"));
        assert!(has(&sls, RET_INT3), "{spec} kbuild-sls: no int3 after ret");
        let (_, padded) = code_and_sections(&object("kbuild-padding"));
        assert!(padded.contains("__patchable_function_entries"), "{spec} kbuild-padding: {padded:?}");
        let (zeroed, _) = code_and_sections(&object("kbuild-zero-call-regs"));
        assert_ne!(zeroed, base, "{spec} kbuild-zero-call-regs: same code as kernel-2024");
        let thunk = undefined(&object("leak-cs-prefix"));
        assert!(thunk.iter().any(|s| s.starts_with("__x86_indirect_thunk_")), "{spec} leak-cs-prefix: {thunk:?}");
    }
}
