//! Per-architecture relocation knowledge: what each type computes and what range its field holds.
//! Loader profiles decide which of these they accept and whether they check the range.

pub mod i386;
pub mod riscv64;
pub mod s390x;
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
            Range::SignedOrUnsigned(bits) => {
                Some(((1u64 << (bits - 1)).wrapping_neg(), (1u64 << bits) + (1u64 << (bits - 1))))
            }
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

/// How the value goes into the bytes at the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Field {
    /// The low `width` bytes, replaced.
    Plain,
    /// s390 12-bit displacement: `*(u16 *)loc = (*loc & 0xf000) | (val & 0xfff)`.
    Disp12,
    /// s390 20-bit displacement: DL in bits 16..28, DH in bits 8..16 of a u32.
    Disp20,
    /// RISC-V instruction immediates (the value is `S + A - P`), patched into a u32 (u64 for the pair).
    Riscv(riscv64::Imm),
    /// `*loc += value` (RISC-V ADD16/ADD32).
    Add,
    /// `*loc -= value` (RISC-V SUB16/SUB32).
    Sub,
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
    pub field: Field,
    /// Right shift before storing (s390 `*DBL`: halfword-scaled PC offsets).
    pub shift: u8,
}

impl Howto {
    /// A plain (little- or big-endian, whole-bytes) field.
    pub const fn plain(name: &'static str, formula: Formula, width: u8, range: Range) -> Howto {
        Howto { name, formula, width, range, field: Field::Plain, shift: 0 }
    }
}

/// Architectures the oracle relocates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Arch {
    X86_64,
    I386,
    S390x,
    Riscv64,
}

impl Arch {
    /// The howto for a relocation type number.
    pub fn howto(self, r_type: u32) -> Howto {
        match self {
            Arch::X86_64 => x86_64::howto(r_type),
            Arch::I386 => i386::howto(r_type),
            Arch::S390x => s390x::howto(r_type),
            Arch::Riscv64 => riscv64::howto(r_type),
        }
    }

    /// The ELF e_machine value.
    pub fn machine(self) -> u16 {
        match self {
            Arch::X86_64 => crate::elf::consts::EM_X86_64,
            Arch::I386 => crate::elf::consts::EM_386,
            Arch::S390x => crate::elf::consts::EM_S390,
            Arch::Riscv64 => crate::elf::consts::EM_RISCV,
        }
    }

    pub fn big_endian(self) -> bool {
        self == Arch::S390x
    }

    /// Reads a `width`-byte field, zero-extended.
    pub fn load(self, loc: &[u8], width: u8) -> u64 {
        // Fixed-size reads for the common widths: no variable-length copy on the hot path.
        match (width, self.big_endian()) {
            (4, false) => return u64::from(u32::from_le_bytes(loc[..4].try_into().expect("4 bytes"))),
            (8, false) => return u64::from_le_bytes(loc[..8].try_into().expect("8 bytes")),
            _ => {}
        }
        let w = width as usize;
        let mut bytes = [0u8; 8];
        if self.big_endian() {
            bytes[8 - w..].copy_from_slice(&loc[..w]);
            u64::from_be_bytes(bytes)
        } else {
            bytes[..w].copy_from_slice(&loc[..w]);
            u64::from_le_bytes(bytes)
        }
    }

    /// Stores the low `width` bytes of `value`.
    fn put(self, loc: &mut [u8], width: u8, value: u64) {
        match (width, self.big_endian()) {
            (4, false) => return loc[..4].copy_from_slice(&(value as u32).to_le_bytes()),
            (8, false) => return loc[..8].copy_from_slice(&value.to_le_bytes()),
            _ => {}
        }
        let w = width as usize;
        if self.big_endian() {
            loc[..w].copy_from_slice(&value.to_be_bytes()[8 - w..]);
        } else {
            loc[..w].copy_from_slice(&value.to_le_bytes()[..w]);
        }
    }

    /// Writes `value` into the field as the howto says (shift, then the field encoding).
    #[inline]
    pub fn store(self, howto: &Howto, loc: &mut [u8], value: u64) {
        let v = value >> howto.shift;
        match howto.field {
            Field::Plain => self.put(loc, howto.width, v),
            Field::Disp12 => {
                let old = self.load(loc, 2);
                self.put(loc, 2, (old & 0xf000) | (v & 0xfff));
            }
            Field::Disp20 => {
                let old = self.load(loc, 4) & 0xf000_00ff;
                self.put(loc, 4, old | ((v & 0xfff) << 16) | ((v & 0xff000) >> 4));
            }
            Field::Riscv(imm) => {
                let old = self.load(loc, howto.width);
                self.put(loc, howto.width, imm.patch(old, v));
            }
            Field::Add => {
                let old = self.load(loc, howto.width);
                self.put(loc, howto.width, old.wrapping_add(v));
            }
            Field::Sub => {
                let old = self.load(loc, howto.width);
                self.put(loc, howto.width, old.wrapping_sub(v));
            }
        }
    }
}
