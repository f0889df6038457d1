#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
mod support;

use kreloc_oracle::Status;
use support::*;

const AT: u64 = 0x1000_0000;

fn status(bytes: &[u8], profile: &str) -> (Status, kreloc_oracle::Verdict) {
    let v = load(bytes, profile, AT);
    (v.relocations.status(0).unwrap(), v)
}

#[test]
fn r32_edges_are_exact() {
    let (s, v) = status(&single_abs(R_32, 0xffff_ffff), "linux-x86_64");
    assert_eq!(s, Status::Ok);
    assert!(v.loaded);
    assert_eq!(&v.image[0x10..0x14], &[0xff, 0xff, 0xff, 0xff]);
    let (s, v) = status(&single_abs(R_32, 0x1_0000_0000), "linux-x86_64");
    assert_eq!(s, Status::Overflow);
    assert!(!v.loaded);
    assert_eq!(
        v.message_lines(),
        vec!["kexec: Overflow in relocation type 10 value 0x100000000", "kexec-bzImage64: Loading purgatory failed"]
    );
}

#[test]
fn r32s_edges_are_exact_for_both_signs() {
    for (value, ok) in
        [(0x7fff_ffffu64, true), (0x8000_0000, false), (0xffff_ffff_8000_0000, true), (0xffff_ffff_7fff_ffff, false)]
    {
        let (s, v) = status(&single_abs(R_32S, value), "linux-x86_64");
        assert_eq!(s == Status::Ok, ok, "value {value:#x}: {:?}", v.messages);
        if !ok {
            assert_eq!(
                v.failure_text().as_deref(),
                Some(format!("kexec: Overflow in relocation type 11 value {value:#x}").as_str())
            );
        }
    }
}

#[test]
fn r32_against_a_moving_section_overflows_exactly_at_the_edge() {
    // value = L + offset(.data) + addend; pick the addend so value hits 0xffffffff exactly.
    let build = |addend: i64| {
        let mut b = Builder::x86_64();
        let text = b.text(".text", 64);
        let data = b.data(".data", 64);
        let sym = b.section_symbol(data);
        b.reloc(text, 0x8, sym, R_32, addend);
        b.build()
    };
    let probe = load(&build(0), "linux-x86_64", AT);
    let data_addr = probe.placed(".data").unwrap().addr;
    let edge = (0xffff_ffff - data_addr) as i64;
    assert!(load(&build(edge), "linux-x86_64", AT).loaded);
    let v = load(&build(edge + 1), "linux-x86_64", AT);
    assert_eq!(v.failure_text().as_deref(), Some("kexec: Overflow in relocation type 10 value 0x100000000"));
}

#[test]
fn pc32_truncates_silently_in_the_kernel_but_not_in_strict() {
    let bytes = single_abs(R_PC32, 0x7fff_0000_0000);
    let (s, v) = status(&bytes, "linux-x86_64");
    assert_eq!(s, Status::SilentlyTruncated);
    assert!(v.loaded, "the kernel does not check PC32");
    assert!(v.warnings.iter().any(|w| w.to_string().contains("silently truncated")));
    let (s, v) = status(&bytes, "strict-x86_64");
    assert_eq!(s, Status::Overflow);
    assert!(!v.loaded);
}

#[test]
fn pc32_within_range_is_exact() {
    let bytes = single_abs(R_PC32, AT + 0x1000);
    let v = load(&bytes, "strict-x86_64", AT);
    assert_eq!(v.relocations.status(0).unwrap(), Status::Ok);
    // P = L + 0x10, S = L + 0x1000: S - P = 0xff0
    assert_eq!(u32::from_le_bytes(v.image[0x10..0x14].try_into().unwrap()), 0xff0);
}

#[test]
fn r64_stores_the_full_value() {
    let v = load(&single_abs(R_64, 0x1234_5678_9abc_def0), "linux-x86_64", AT);
    assert_eq!(u64::from_le_bytes(v.image[0x10..0x18].try_into().unwrap()), 0x1234_5678_9abc_def0);
}

#[test]
fn plt32_is_unknown_before_4_16() {
    let bytes = single_abs(R_PLT32, AT);
    let v = load(&bytes, "linux-x86_64@4.15", AT);
    assert_eq!(v.failure_text().as_deref(), Some("kexec: Unknown rela relocation: 4"));
    assert!(load(&bytes, "linux-x86_64@4.16", AT).loaded);
    assert!(load(&bytes, "linux-x86_64@6.6", AT).loaded);
}

#[test]
fn gotpcrel_is_unknown_to_the_kernel_and_needs_a_got_in_strict() {
    let bytes = single_abs(R_GOTPCREL, AT);
    assert_eq!(load(&bytes, "linux-x86_64", AT).failure_text().as_deref(), Some("kexec: Unknown rela relocation: 9"));
    let v = load(&bytes, "strict-x86_64", AT);
    assert_eq!(v.relocations.status(0).unwrap(), Status::Unsupported);
    assert!(v.failure_text().unwrap().contains("needs a GOT"));
    assert_eq!(
        load(&bytes, "kexec-tools-x86_64", AT).failure_text().as_deref(),
        Some("Unhandled rela relocation: R_X86_64_GOTPCREL")
    );
}

#[test]
fn shn_abs_has_base_zero_and_undef_common_are_refused() {
    let v = load(&single_abs(R_64, 0x42), "linux-x86_64", AT);
    assert_eq!(v.image[0x10], 0x42);

    let mut b = Builder::x86_64();
    let text = b.text(".text", 32);
    let u = b.undefined("memcpy");
    b.reloc(text, 0, u, R_PLT32, -4);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(v.failure_text().as_deref(), Some("kexec: Undefined symbol: memcpy"));
    assert_eq!(v.relocations.status(0).unwrap(), Status::BadSymbol);

    let mut b = Builder::x86_64();
    let text = b.text(".text", 32);
    let c = b.common("shared_buf", 64);
    b.reloc(text, 0, c, R_64, 0);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(v.failure_text().as_deref(), Some("kexec: symbol 'shared_buf' in common section"));
}

#[test]
fn the_first_error_stops_the_kernel_but_every_relocation_is_reported() {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 64);
    let big = b.absolute("big", 0x1_0000_0000);
    let u = b.undefined("missing");
    b.reloc(text, 0, big, R_32, 0);
    b.reloc(text, 8, u, R_64, 0);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(v.relocations.len(), 2);
    assert_eq!(v.relocations.status(1).unwrap(), Status::BadSymbol);
    assert_eq!(v.messages[0].to_string(), "kexec: Overflow in relocation type 10 value 0x100000000");
    assert!(!v.message_lines().iter().any(|m| m.contains("Undefined")), "the kernel stops at the first error");
}

#[test]
fn rel_sections_are_refused_by_the_kernel_and_applied_in_place_by_kexec_tools_i386() {
    let mut b = Builder::i386();
    let text = b.section(".text", object::SectionKind::Text, &[0x44, 0, 0, 0, 0, 0, 0, 0], 4);
    let data = b.data(".data", 16);
    let sym = b.section_symbol(data);
    b.reloc(text, 0, sym, object::elf::R_386_32.0, 0);
    let bytes = b.build();
    let v = load(&bytes, "kexec-tools-i386", 0x10_0000);
    assert!(v.loaded, "{:?}", v.messages);
    let data_addr = v.placed(".data").unwrap().addr;
    // *loc += S: the in-place 0x44 (object::write stores i386 addends in place) is kept.
    assert_eq!(u32::from_le_bytes(v.image[0..4].try_into().unwrap()), (data_addr + 0x44) as u32);
}

/// The relocator takes the common entries in one straight loop and hands over to the general path at the
/// first entry it does not take. Whatever stops it (an unsupported type, an overflow, an undefined
/// symbol), the verdict is the general path's, and the entries after the handover keep their own symbols'
/// names (a handover once named them after the wrong symbol).
#[test]
fn the_straight_path_hands_over_without_changing_the_verdict() {
    for (stopper, expected) in [
        (Stop::Type(R_GOTPCREL), Status::Unsupported),
        (Stop::Type(R_32), Status::Overflow),
        (Stop::Undefined, Status::BadSymbol),
    ] {
        let mut b = Builder::x86_64();
        // Relocations of a section the loader does not patch come first: the handover counts past them.
        let debug = b.section(".debug_x", object::SectionKind::Debug, &[0; 16], 1);
        let text = b.text(".text", 64);
        let data = b.data(".data", 64);
        let a = b.global("a", data, 0, 8, object::SymbolKind::Data);
        let c = b.global("c", data, 8, 8, object::SymbolKind::Data);
        let u = b.undefined("u");
        b.reloc(debug, 0, a, R_64, 0);
        b.reloc(debug, 8, u, R_64, 0);
        b.reloc(text, 0, a, R_64, 0);
        match stopper {
            Stop::Type(t) => b.reloc(text, 8, c, t, 0),
            Stop::Undefined => b.reloc(text, 8, u, R_64, 0),
        }
        b.reloc(text, 16, c, R_64, 0);
        b.reloc(text, 24, a, R_64, 8);
        let bytes = b.build();
        let obj = kreloc_oracle::parse(&bytes).unwrap();
        kreloc_oracle::properties::straight_path_matches_general(&obj).unwrap_or_else(|e| panic!("{e}"));
        let v = load(&bytes, "linux-x86_64", 0x1_3fff_b000);
        let seen: Vec<_> = v.relocations.iter().map(|r| (r.symbol.to_string(), r.status)).collect();
        let stopped_on = if matches!(stopper, Stop::Undefined) { "u" } else { "c" };
        assert_eq!(
            seen,
            [("a", Status::Ok), (stopped_on, expected), ("c", Status::Ok), ("a", Status::Ok)]
                .map(|(s, st)| (s.to_string(), st)),
            "{stopper:?}"
        );
        assert!(!v.loaded, "{stopper:?}");
    }
}

#[derive(Debug, Clone, Copy)]
enum Stop {
    Type(u32),
    Undefined,
}
