//! x86_64 psABI relocation types (the subset a relocatable purgatory can contain, plus names for the rest).

use object::elf;

use super::{Formula, Howto, Range};

pub const R_X86_64_NONE: u32 = elf::R_X86_64_NONE.0;
pub const R_X86_64_64: u32 = elf::R_X86_64_64.0;
pub const R_X86_64_PC32: u32 = elf::R_X86_64_PC32.0;
pub const R_X86_64_PLT32: u32 = elf::R_X86_64_PLT32.0;
pub const R_X86_64_GOTPCREL: u32 = elf::R_X86_64_GOTPCREL.0;
pub const R_X86_64_32: u32 = elf::R_X86_64_32.0;
pub const R_X86_64_32S: u32 = elf::R_X86_64_32S.0;
pub const R_X86_64_PC64: u32 = elf::R_X86_64_PC64.0;

const fn h(name: &'static str, formula: Formula, width: u8, range: Range) -> Howto {
    Howto::plain(name, formula, width, range)
}

/// The howto of an x86_64 relocation type.
pub fn howto(r_type: u32) -> Howto {
    use Formula::*;
    match elf::RelocationType(r_type) {
        elf::R_X86_64_NONE => h("R_X86_64_NONE", None, 0, Range::Any),
        elf::R_X86_64_64 => h("R_X86_64_64", Absolute, 8, Range::Any),
        elf::R_X86_64_PC32 => h("R_X86_64_PC32", PcRelative, 4, Range::Signed(32)),
        elf::R_X86_64_GOT32 => h("R_X86_64_GOT32", NeedsGot, 4, Range::Signed(32)),
        // Without a PLT, L = S: the psABI formula collapses to PC32's.
        elf::R_X86_64_PLT32 => h("R_X86_64_PLT32", PcRelative, 4, Range::Signed(32)),
        elf::R_X86_64_COPY => h("R_X86_64_COPY", Unsupported, 0, Range::Any),
        elf::R_X86_64_GLOB_DAT => h("R_X86_64_GLOB_DAT", Unsupported, 8, Range::Any),
        elf::R_X86_64_JUMP_SLOT => h("R_X86_64_JUMP_SLOT", Unsupported, 8, Range::Any),
        elf::R_X86_64_RELATIVE => h("R_X86_64_RELATIVE", Unsupported, 8, Range::Any),
        elf::R_X86_64_GOTPCREL => h("R_X86_64_GOTPCREL", NeedsGot, 4, Range::Signed(32)),
        elf::R_X86_64_32 => h("R_X86_64_32", Absolute, 4, Range::Unsigned(32)),
        elf::R_X86_64_32S => h("R_X86_64_32S", Absolute, 4, Range::Signed(32)),
        elf::R_X86_64_16 => h("R_X86_64_16", Absolute, 2, Range::SignedOrUnsigned(16)),
        elf::R_X86_64_PC16 => h("R_X86_64_PC16", PcRelative, 2, Range::Signed(16)),
        elf::R_X86_64_8 => h("R_X86_64_8", Absolute, 1, Range::SignedOrUnsigned(8)),
        elf::R_X86_64_PC8 => h("R_X86_64_PC8", PcRelative, 1, Range::Signed(8)),
        elf::R_X86_64_DTPMOD64 => h("R_X86_64_DTPMOD64", Unsupported, 8, Range::Any),
        elf::R_X86_64_DTPOFF64 => h("R_X86_64_DTPOFF64", Unsupported, 8, Range::Any),
        elf::R_X86_64_TPOFF64 => h("R_X86_64_TPOFF64", Unsupported, 8, Range::Any),
        elf::R_X86_64_TLSGD => h("R_X86_64_TLSGD", Unsupported, 4, Range::Any),
        elf::R_X86_64_TLSLD => h("R_X86_64_TLSLD", Unsupported, 4, Range::Any),
        elf::R_X86_64_DTPOFF32 => h("R_X86_64_DTPOFF32", Unsupported, 4, Range::Any),
        elf::R_X86_64_GOTTPOFF => h("R_X86_64_GOTTPOFF", Unsupported, 4, Range::Any),
        elf::R_X86_64_TPOFF32 => h("R_X86_64_TPOFF32", Unsupported, 4, Range::Any),
        elf::R_X86_64_PC64 => h("R_X86_64_PC64", PcRelative, 8, Range::Any),
        elf::R_X86_64_GOTOFF64 => h("R_X86_64_GOTOFF64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_GOTPC32 => h("R_X86_64_GOTPC32", NeedsGot, 4, Range::Signed(32)),
        elf::R_X86_64_GOT64 => h("R_X86_64_GOT64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_GOTPCREL64 => h("R_X86_64_GOTPCREL64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_GOTPC64 => h("R_X86_64_GOTPC64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_GOTPLT64 => h("R_X86_64_GOTPLT64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_PLTOFF64 => h("R_X86_64_PLTOFF64", NeedsGot, 8, Range::Any),
        elf::R_X86_64_SIZE32 => h("R_X86_64_SIZE32", Unsupported, 4, Range::Any),
        elf::R_X86_64_SIZE64 => h("R_X86_64_SIZE64", Unsupported, 8, Range::Any),
        elf::R_X86_64_GOTPC32_TLSDESC => h("R_X86_64_GOTPC32_TLSDESC", Unsupported, 4, Range::Any),
        elf::R_X86_64_TLSDESC_CALL => h("R_X86_64_TLSDESC_CALL", Unsupported, 0, Range::Any),
        elf::R_X86_64_TLSDESC => h("R_X86_64_TLSDESC", Unsupported, 8, Range::Any),
        elf::R_X86_64_IRELATIVE => h("R_X86_64_IRELATIVE", Unsupported, 8, Range::Any),
        elf::R_X86_64_RELATIVE64 => h("R_X86_64_RELATIVE64", Unsupported, 8, Range::Any),
        elf::R_X86_64_GOTPCRELX => h("R_X86_64_GOTPCRELX", NeedsGot, 4, Range::Signed(32)),
        elf::R_X86_64_REX_GOTPCRELX => h("R_X86_64_REX_GOTPCRELX", NeedsGot, 4, Range::Signed(32)),
        _ => h("R_X86_64_UNKNOWN", Unsupported, 0, Range::Any),
    }
}
