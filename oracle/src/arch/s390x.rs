//! s390x relocation types, as arch/s390/kernel/machine_kexec_reloc.c applies them (big-endian, no checks).

use super::{Field, Formula, Howto, Range};

/// PC-relative fields are signed (and `*DBL` ones reach twice as far); absolute ones take either reading.
const fn h(name: &'static str, formula: Formula, width: u8, field: Field, shift: u8) -> Howto {
    let range = match formula {
        Formula::PcRelative => Range::Signed(width * 8 + shift),
        _ => Range::SignedOrUnsigned(width * 8),
    };
    Howto { name, formula, width, range, field, shift }
}

/// The howto of an s390x relocation type (the range is what the field can hold; the kernel never checks).
pub fn howto(r_type: u32) -> Howto {
    use Field::*;
    use Formula::*;
    match r_type {
        0 => Howto::plain("R_390_NONE", None, 0, Range::Any),
        1 => h("R_390_8", Absolute, 1, Plain, 0),
        2 => {
            Howto { name: "R_390_12", formula: Absolute, width: 2, range: Range::Unsigned(12), field: Disp12, shift: 0 }
        }
        3 => h("R_390_16", Absolute, 2, Plain, 0),
        4 => h("R_390_32", Absolute, 4, Plain, 0),
        5 => h("R_390_PC32", PcRelative, 4, Plain, 0),
        8 => Howto::plain("R_390_PLT32", NeedsGot, 4, Range::Any),
        9 => Howto::plain("R_390_COPY", Unsupported, 0, Range::Any),
        10 => Howto::plain("R_390_GLOB_DAT", Unsupported, 8, Range::Any),
        11 => Howto::plain("R_390_JMP_SLOT", Unsupported, 8, Range::Any),
        12 => Howto::plain("R_390_RELATIVE", Absolute, 8, Range::Any),
        16 => h("R_390_PC16", PcRelative, 2, Plain, 0),
        17 => h("R_390_PC16DBL", PcRelative, 2, Plain, 1),
        19 => h("R_390_PC32DBL", PcRelative, 4, Plain, 1),
        // The kernel applies PLT32DBL as PC32DBL (there is no PLT): d88a0d8e8d61, 2021.
        20 => h("R_390_PLT32DBL", PcRelative, 4, Plain, 1),
        22 => Howto::plain("R_390_64", Absolute, 8, Range::Any),
        23 => Howto::plain("R_390_PC64", PcRelative, 8, Range::Any),
        57 => {
            Howto { name: "R_390_20", formula: Absolute, width: 4, range: Range::Signed(20), field: Disp20, shift: 0 }
        }
        _ => Howto::plain("R_390_UNKNOWN", Unsupported, 0, Range::Any),
    }
}
