//! Seed 000: a 2019 flag change let -mcmodel=kernel into purgatory; with crashkernel above 4 GiB the kernel
//! said "Overflow in relocation type 11 value 0x17f7affd000".

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use support::*;

const AT: u64 = 0x17f_7aff_d000;

/// arch/x86/purgatory/Makefile before b059f801a937: -mcmodel=large.
pub const FLAGS_2018: &[&str] = &["-mcmodel=large", "-ffreestanding", "-fno-zero-initialized-in-bss", "-fno-pic"];
/// After b059f801a937: KBUILD_CFLAGS (with -mcmodel=kernel) leak in through CFLAGS_REMOVE.
pub const FLAGS_2019: &[&str] = &[
    "-mcmodel=kernel",
    "-mno-red-zone",
    "-ffreestanding",
    "-fno-zero-initialized-in-bss",
    "-fno-pic",
    "-mno-sse",
    "-mno-mmx",
    "-mno-sse2",
    "-fno-stack-protector",
];
/// cba786af84a0 (2024).
pub const FLAGS_2024: &[&str] = &[
    "-mcmodel=small",
    "-fpic",
    "-fvisibility=hidden",
    "-ffreestanding",
    "-fno-stack-protector",
    "-fno-zero-initialized-in-bss",
    "-g0",
];

fn gcc(flags: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    purgatory(dir.path(), &["gcc"], flags, &fixture("purgatory.c"), None)
}

#[test]
fn the_2019_flags_fail_above_4gib_with_type_11() {
    let v = load(&gcc(FLAGS_2019), "linux-x86_64", AT);
    assert!(!v.loaded);
    assert!(
        v.messages[0].to_string().starts_with("kexec: Overflow in relocation type 11 value 0x17f7aff"),
        "{:?}",
        v.messages
    );
    assert_eq!(v.first_failed_relocation().unwrap().type_name, "R_X86_64_32S");
}

#[test]
fn the_earlier_and_the_2024_flags_load_there_and_anywhere() {
    for flags in [FLAGS_2018, FLAGS_2024] {
        let bytes = gcc(flags);
        let v = load(&bytes, "linux-x86_64", AT);
        assert!(v.ok, "{flags:?}: {:?}", v.failure);
        let w = kreloc_oracle::window::window(
            &kreloc_oracle::parse(&bytes).unwrap(),
            &*kreloc_oracle::parse_profile("linux-x86_64").unwrap(),
        );
        assert!(w.limits.is_empty(), "{flags:?}: {:?}", w.limits);
    }
}

#[test]
fn kbisect_flags_names_mcmodel_kernel() {
    use kreloc_bisect::predicate::{OraclePredicate, Regress};
    use kreloc_toolchains::{link::Link, Cache, CompileConfig, Compiler, Source};
    let pred = OraclePredicate {
        case: Source::c(std::fs::read_to_string(fixture("purgatory.c")).unwrap()),
        config: CompileConfig::default(),
        profile: "linux-x86_64".parse().unwrap(),
        addresses: vec![AT],
        regress: Regress::LoadFails,
        compiler: Compiler {
            cache: Cache::disabled(),
            timeout: std::time::Duration::from_secs(120),
            link: Some(Link::kernel()),
        },
    };
    let strings = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let tc = kreloc_toolchains::resolve("gcc@12").unwrap();
    let r = kreloc_bisect::flags::bisect_flags(&strings(FLAGS_2018), &strings(FLAGS_2019), &tc, &pred).unwrap();
    let culprit: Vec<String> = r.culprit.iter().map(ToString::to_string).collect();
    assert_eq!(culprit, vec!["-mcmodel=large -> -mcmodel=kernel"]);
    assert!(
        r.bad.messages[0].to_string().starts_with("kexec: Overflow in relocation type 11 value 0x17f7aff"),
        "{:?}",
        r.bad.messages
    );
}
