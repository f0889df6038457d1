//! linux-s390x: big-endian fields, halfword-scaled PC offsets, displacement fields, and no checks at all.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use object::write::{Object as WObject, Relocation, SectionId, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

const AT: u64 = 0x500_0000;

fn object(text: &[u8], relocs: &[(u64, u32, bool, i64)]) -> Vec<u8> {
    let mut w = WObject::new(BinaryFormat::Elf, Architecture::S390x, Endianness::Big);
    let t = w.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    w.append_section_data(t, text, 8);
    let d = w.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    w.append_section_data(d, &[0; 0x40], 8);
    let func = w.add_symbol(Symbol {
        name: b"target".to_vec(),
        value: 0x100,
        size: 4,
        kind: SymbolKind::Text,
        scope: SymbolScope::Linkage,
        weak: false,
        section: SymbolSection::Section(t),
        flags: SymbolFlags::None,
    });
    let data = w.section_symbol(d);
    for &(offset, r_type, to_func, addend) in relocs {
        let symbol = if to_func { func } else { data };
        let r = Relocation {
            offset,
            symbol,
            addend,
            flags: RelocationFlags::Elf { r_type: object::elf::RelocationType(r_type) },
        };
        w.add_relocation(t as SectionId, r).unwrap();
    }
    w.write().unwrap()
}

fn load(bytes: &[u8]) -> kreloc_oracle::Verdict {
    let obj = kreloc_oracle::parse(bytes).unwrap();
    kreloc_oracle::load(&obj, &*kreloc_oracle::parse_profile("linux-s390x").unwrap(), AT)
}

#[test]
fn absolute_and_pc_relative_fields_are_big_endian_and_dbl_is_halved() {
    let text = vec![0u8; 0x200];
    // R_390_64 at +0x10 against .data+8; R_390_PC32DBL at +0x22 to target (+0x100); PLT32DBL likewise.
    let v = load(&object(&text, &[(0x10, 22, false, 8), (0x22, 19, true, 0), (0x32, 20, true, 0)]));
    assert!(v.loaded, "{:?}", v.failure);
    let data = v.placed(".data").unwrap().addr;
    assert_eq!(&v.image[0x10..0x18], &(data + 8).to_be_bytes());
    assert_eq!(&v.image[0x22..0x26], &((0x100u32 - 0x22) >> 1).to_be_bytes());
    assert_eq!(&v.image[0x32..0x36], &((0x100u32 - 0x32) >> 1).to_be_bytes(), "PLT32DBL is applied as PC32DBL");
}

#[test]
fn displacement_fields_keep_the_opcode_bits() {
    let mut text = vec![0u8; 0x200];
    text[0x40..0x42].copy_from_slice(&0xa000u16.to_be_bytes());
    text[0x50..0x54].copy_from_slice(&0xf000_00ffu32.to_be_bytes());
    // R_390_12 and R_390_20 against an absolute-looking addend on .data (value = .data addr + addend).
    let bytes = object(&text, &[(0x40, 2, false, 0), (0x50, 57, false, 0)]);
    let v = load(&bytes);
    let data = v.placed(".data").unwrap().addr;
    let d12 = u16::from_be_bytes(v.image[0x40..0x42].try_into().unwrap());
    assert_eq!(d12, 0xa000 | (data & 0xfff) as u16);
    let d20 = u32::from_be_bytes(v.image[0x50..0x54].try_into().unwrap());
    assert_eq!(d20, 0xf000_00ff | (((data & 0xfff) as u32) << 16) | (((data & 0xff000) >> 4) as u32));
}

#[test]
fn nothing_is_checked_so_overflow_only_warns() {
    let v = load(&object(&[0u8; 0x100], &[(0x8, 4, false, 0x1_0000_0000)]));
    assert!(v.loaded, "the s390 loader never checks: {:?}", v.failure);
    assert!(
        v.warnings.iter().any(|w| w.to_string().contains("R_390_32") && w.to_string().contains("silently truncated")),
        "{:?}",
        v.warnings
    );
    let obj = kreloc_oracle::parse(&object(&[0u8; 0x100], &[(0x8, 4, false, 0x1_0000_0000)])).unwrap();
    let w = kreloc_oracle::window::window(&obj, &*kreloc_oracle::parse_profile("linux-s390x").unwrap());
    assert!(w.limits.is_empty(), "no checks, so no limits: {:?}", w.limits);
}

#[test]
fn unknown_types_use_the_kernels_message() {
    let v = load(&object(&[0u8; 0x100], &[(0x8, 6, false, 0)]));
    assert_eq!(v.failure_text().as_deref(), Some("kexec: Unknown rela relocation: 6"));
}
