//! i386 psABI relocation types. REL is the norm here: the addend lives in the field itself.

use super::{Formula, Howto, Range};

pub const R_386_32: u32 = 1;
pub const R_386_PC32: u32 = 2;

/// The howto of an i386 relocation type. Fields are 32-bit addresses, so 32-bit values wrap, never overflow.
pub fn howto(r_type: u32) -> Howto {
    let h = Howto::plain;
    match r_type {
        0 => h("R_386_NONE", Formula::None, 0, Range::Any),
        1 => h("R_386_32", Formula::Absolute, 4, Range::Any),
        2 => h("R_386_PC32", Formula::PcRelative, 4, Range::Any),
        3 => h("R_386_GOT32", Formula::NeedsGot, 4, Range::Any),
        4 => h("R_386_PLT32", Formula::PcRelative, 4, Range::Any),
        9 => h("R_386_GOTOFF", Formula::NeedsGot, 4, Range::Any),
        10 => h("R_386_GOTPC", Formula::NeedsGot, 4, Range::Any),
        20 => h("R_386_16", Formula::Absolute, 2, Range::SignedOrUnsigned(16)),
        21 => h("R_386_PC16", Formula::PcRelative, 2, Range::Signed(16)),
        22 => h("R_386_8", Formula::Absolute, 1, Range::SignedOrUnsigned(8)),
        23 => h("R_386_PC8", Formula::PcRelative, 1, Range::Signed(8)),
        43 => h("R_386_GOT32X", Formula::NeedsGot, 4, Range::Any),
        _ => h("R_386_UNKNOWN", Formula::Unsupported, 0, Range::Any),
    }
}
