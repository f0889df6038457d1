//! Per-architecture relocation knowledge: what each type computes and what range its field holds.
//! Loader profiles decide which of these they accept and whether they check the range.

pub mod i386;
pub mod x86_64;

use serde::Serialize;

/// What a relocation stores, in psABI terms (S symbol, A addend, P place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Formula {
    /// Nothing (R_*_NONE).
    None,
    /// S + A
    Absolute,
    /// S + A - P
    PcRelative,
    /// Needs a GOT or PLT entry the loader does not build.
    NeedsGot,
    /// Dynamic, TLS or otherwise outside what a purgatory loader can apply.
    Unsupported,
}

/// The range a field must hold for the value to be exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Range {
    /// Any value (the field is as wide as an address).
    Any,
    /// Zero-extended: value < 2^bits.
    Unsigned(u8),
    /// Sign-extended: -2^(bits-1) <= value < 2^(bits-1).
    Signed(u8),
    /// Either reading fits (R_X86_64_8/16).
    SignedOrUnsigned(u8),
}

impl Range {
    /// Whether `value` (as a 64-bit two's-complement number) fits.
    pub fn fits(self, value: u64) -> bool {
        match self {
            Range::Any => true,
            Range::Unsigned(bits) => bits >= 64 || value >> bits == 0,
            Range::Signed(bits) => fits_signed(value, bits),
            Range::SignedOrUnsigned(bits) => value >> bits == 0 || fits_signed(value, bits),
        }
    }

    /// The accepted values as a half-open interval `[lo, lo + len)` on the 2^64 circle.
    pub fn as_arc(self) -> Option<(u64, u64)> {
        match self {
            Range::Any => None,
            Range::Unsigned(bits) => Some((0, 1u64 << bits)),
            Range::Signed(bits) => Some(((1u64 << (bits - 1)).wrapping_neg(), 1u64 << bits)),
            // -2^(b-1) .. 2^b - 1
            Range::SignedOrUnsigned(bits) => Some(((1u64 << (bits - 1)).wrapping_neg(), (1u64 << bits) + (1u64 << (bits - 1)))),
        }
    }
}

fn fits_signed(value: u64, bits: u8) -> bool {
    if bits >= 64 {
        return true;
    }
    let v = value as i64;
    let half = 1i64 << (bits - 1);
    (-half..half).contains(&v)
}

/// How one relocation type behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Howto {
    /// The type's psABI name, e.g. `R_X86_64_32S`.
    pub name: &'static str,
    pub formula: Formula,
    /// Bytes written at the place.
    pub width: u8,
    /// The psABI range check.
    pub range: Range,
}

/// Architectures the oracle relocates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Arch {
    X86_64,
    I386,
}

impl Arch {
    /// The howto for a relocation type number.
    pub fn howto(self, r_type: u32) -> Howto {
        match self {
            Arch::X86_64 => x86_64::howto(r_type),
            Arch::I386 => i386::howto(r_type),
        }
    }

    /// The ELF e_machine value.
    pub fn machine(self) -> u16 {
        match self {
            Arch::X86_64 => crate::elf::consts::EM_X86_64,
            Arch::I386 => crate::elf::consts::EM_386,
        }
    }
}

/// Writes the low `width` bytes of `value` little-endian at `loc`.
pub fn store_le(loc: &mut [u8], width: u8, value: u64) {
    let bytes = value.to_le_bytes();
    loc[..width as usize].copy_from_slice(&bytes[..width as usize]);
}

/// Reads `width` bytes little-endian from `loc`, zero-extended.
pub fn load_le(loc: &[u8], width: u8) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..width as usize].copy_from_slice(&loc[..width as usize]);
    u64::from_le_bytes(bytes)
}
