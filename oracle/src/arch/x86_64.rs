//! x86_64 psABI relocation types (the subset a relocatable purgatory can contain, plus names for the rest).

use super::{Formula, Howto, Range};

pub const R_X86_64_NONE: u32 = 0;
pub const R_X86_64_64: u32 = 1;
pub const R_X86_64_PC32: u32 = 2;
pub const R_X86_64_PLT32: u32 = 4;
pub const R_X86_64_GOTPCREL: u32 = 9;
pub const R_X86_64_32: u32 = 10;
pub const R_X86_64_32S: u32 = 11;
pub const R_X86_64_PC64: u32 = 24;

const fn h(name: &'static str, formula: Formula, width: u8, range: Range) -> Howto {
    Howto::plain(name, formula, width, range)
}

/// The howto of an x86_64 relocation type.
pub fn howto(r_type: u32) -> Howto {
    use Formula::*;
    match r_type {
        0 => h("R_X86_64_NONE", None, 0, Range::Any),
        1 => h("R_X86_64_64", Absolute, 8, Range::Any),
        2 => h("R_X86_64_PC32", PcRelative, 4, Range::Signed(32)),
        3 => h("R_X86_64_GOT32", NeedsGot, 4, Range::Signed(32)),
        // Without a PLT, L = S: the psABI formula collapses to PC32's.
        4 => h("R_X86_64_PLT32", PcRelative, 4, Range::Signed(32)),
        5 => h("R_X86_64_COPY", Unsupported, 0, Range::Any),
        6 => h("R_X86_64_GLOB_DAT", Unsupported, 8, Range::Any),
        7 => h("R_X86_64_JUMP_SLOT", Unsupported, 8, Range::Any),
        8 => h("R_X86_64_RELATIVE", Unsupported, 8, Range::Any),
        9 => h("R_X86_64_GOTPCREL", NeedsGot, 4, Range::Signed(32)),
        10 => h("R_X86_64_32", Absolute, 4, Range::Unsigned(32)),
        11 => h("R_X86_64_32S", Absolute, 4, Range::Signed(32)),
        12 => h("R_X86_64_16", Absolute, 2, Range::SignedOrUnsigned(16)),
        13 => h("R_X86_64_PC16", PcRelative, 2, Range::Signed(16)),
        14 => h("R_X86_64_8", Absolute, 1, Range::SignedOrUnsigned(8)),
        15 => h("R_X86_64_PC8", PcRelative, 1, Range::Signed(8)),
        16 => h("R_X86_64_DTPMOD64", Unsupported, 8, Range::Any),
        17 => h("R_X86_64_DTPOFF64", Unsupported, 8, Range::Any),
        18 => h("R_X86_64_TPOFF64", Unsupported, 8, Range::Any),
        19 => h("R_X86_64_TLSGD", Unsupported, 4, Range::Any),
        20 => h("R_X86_64_TLSLD", Unsupported, 4, Range::Any),
        21 => h("R_X86_64_DTPOFF32", Unsupported, 4, Range::Any),
        22 => h("R_X86_64_GOTTPOFF", Unsupported, 4, Range::Any),
        23 => h("R_X86_64_TPOFF32", Unsupported, 4, Range::Any),
        24 => h("R_X86_64_PC64", PcRelative, 8, Range::Any),
        25 => h("R_X86_64_GOTOFF64", NeedsGot, 8, Range::Any),
        26 => h("R_X86_64_GOTPC32", NeedsGot, 4, Range::Signed(32)),
        27 => h("R_X86_64_GOT64", NeedsGot, 8, Range::Any),
        28 => h("R_X86_64_GOTPCREL64", NeedsGot, 8, Range::Any),
        29 => h("R_X86_64_GOTPC64", NeedsGot, 8, Range::Any),
        30 => h("R_X86_64_GOTPLT64", NeedsGot, 8, Range::Any),
        31 => h("R_X86_64_PLTOFF64", NeedsGot, 8, Range::Any),
        32 => h("R_X86_64_SIZE32", Unsupported, 4, Range::Any),
        33 => h("R_X86_64_SIZE64", Unsupported, 8, Range::Any),
        34 => h("R_X86_64_GOTPC32_TLSDESC", Unsupported, 4, Range::Any),
        35 => h("R_X86_64_TLSDESC_CALL", Unsupported, 0, Range::Any),
        36 => h("R_X86_64_TLSDESC", Unsupported, 8, Range::Any),
        37 => h("R_X86_64_IRELATIVE", Unsupported, 8, Range::Any),
        38 => h("R_X86_64_RELATIVE64", Unsupported, 8, Range::Any),
        41 => h("R_X86_64_GOTPCRELX", NeedsGot, 4, Range::Signed(32)),
        42 => h("R_X86_64_REX_GOTPCRELX", NeedsGot, 4, Range::Signed(32)),
        _ => h("R_X86_64_UNKNOWN", Unsupported, 0, Range::Any),
    }
}
