#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
mod support;

use kreloc_oracle::{parse, profile, Status};
use support::*;

fn every_profile() -> Vec<Box<dyn kreloc_oracle::Profile>> {
    profile::catalogue().into_iter().map(|(name, _)| profile::parse(&name).unwrap()).collect()
}

#[test]
fn truncated_and_garbage_inputs_are_clear_errors() {
    assert!(parse(b"").unwrap_err().to_string().contains("no ELF magic"));
    assert!(parse(b"\x7fELF\x02\x01\x01").unwrap_err().to_string().contains("not a readable ELF file"));
    let bytes = single_abs(R_64, 1);
    for cut in [16, 40, 63, bytes.len() - 1] {
        let e = parse(&bytes[..cut]);
        assert!(e.is_err(), "cut at {cut} parsed");
    }
}

#[test]
fn huge_section_counts_are_refused() {
    let mut bytes = single_abs(R_64, 1);
    bytes[60..62].copy_from_slice(&0xfff0u16.to_le_bytes()); // e_shnum
    assert!(parse(&bytes).unwrap_err().to_string().contains("section header"));
}

#[test]
fn r_offset_past_its_section_is_an_out_of_bounds_finding() {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x10);
    let s = b.absolute("x", 1);
    b.reloc(text, 0x1000, s, R_64, 0);
    let v = load(&b.build(), "linux-x86_64", 0x10_0000);
    assert_eq!(v.relocations.status(0).unwrap(), Status::OutOfBounds);
    assert!(!v.loaded);
    assert!(v.findings[0].to_string().contains("does not check r_offset"), "{:?}", v.findings);
}

#[test]
fn symbol_index_out_of_range_is_malformed_not_a_panic() {
    let mut bytes = single_abs(R_64, 1);
    let obj = parse(&bytes).unwrap();
    let rela = &obj.sections[obj.relocs[0].index];
    // r_info's symbol half of the first entry.
    let at = rela.offset as usize + 8 + 4;
    bytes[at..at + 4].copy_from_slice(&9999u32.to_le_bytes());
    let v = load(&bytes, "linux-x86_64", 0x10_0000);
    assert_eq!(v.relocations.status(0).unwrap(), Status::Malformed);
    assert!(v.failure_text().unwrap().contains("past the"));
}

#[test]
fn mutated_objects_never_panic_under_any_profile() {
    let base = {
        let mut b = Builder::x86_64();
        let text = b.text(".text", 0x40);
        let d = b.data(".data", 0x40);
        let s = b.section_symbol(d);
        b.reloc(text, 4, s, R_32S, 8);
        b.reloc(text, 12, s, R_PC32, -4);
        b.build()
    };
    let profiles = every_profile();
    let mut state = 0x1234_5678_9abc_def1u64;
    for _ in 0..3000 {
        let mut bytes = base.clone();
        for _ in 0..(1 + state % 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % bytes.len();
            bytes[at] = (state >> 40) as u8;
        }
        if let Ok(obj) = parse(&bytes) {
            for p in &profiles {
                let _ = kreloc_oracle::load(&obj, &**p, 0x13fffb000);
                let _ = kreloc_oracle::window::window(&obj, &**p);
            }
        }
    }
}
