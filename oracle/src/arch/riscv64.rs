//! riscv64 relocation types, exactly the cases of arch/riscv/kernel/elf_kexec.c: immediates patched into
//! instructions (the HI20/CALL pair as one u64 covering auipc and the next instruction), no overflow checks.

use serde::Serialize;

use super::{Field, Formula, Howto, Range};

/// Which instruction immediate a relocation patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Imm {
    /// B-type (conditional branch), u32.
    Branch,
    /// J-type (jal), u32.
    Jal,
    /// auipc's U-immediate plus the next instruction's I-immediate, one u64 (PCREL_HI20, CALL, CALL_PLT).
    HiLoPair,
    /// Compressed CB-type (c.beqz/c.bnez), written as a u32 as the kernel does.
    CBranch,
    /// Compressed CJ-type (c.j), written as a u32.
    CJump,
}

fn bits(x: u64, s: u32, n: u32) -> u64 {
    (x >> s) & ((1 << n) - 1)
}

fn itype(x: u64) -> u64 {
    bits(x, 0, 12) << 20
}

fn utype(x: u64) -> u64 {
    bits(x, 12, 20) << 12
}

fn high_part(x: u64) -> u64 {
    x.wrapping_add(0x800) & !0xfff
}

impl Imm {
    /// The immediate's bits for `x`.
    fn encode(self, x: u64) -> u64 {
        match self {
            Imm::Branch => {
                (bits(x, 1, 4) << 8) | (bits(x, 5, 6) << 25) | (bits(x, 11, 1) << 7) | (bits(x, 12, 1) << 31)
            }
            Imm::Jal => {
                (bits(x, 1, 10) << 21) | (bits(x, 11, 1) << 20) | (bits(x, 12, 8) << 12) | (bits(x, 20, 1) << 31)
            }
            Imm::HiLoPair => utype(high_part(x)) | (itype(x.wrapping_sub(high_part(x))) << 32),
            Imm::CBranch => {
                (bits(x, 1, 2) << 3)
                    | (bits(x, 3, 2) << 10)
                    | (bits(x, 5, 1) << 2)
                    | (bits(x, 6, 2) << 5)
                    | (bits(x, 8, 1) << 12)
            }
            Imm::CJump => {
                (bits(x, 1, 3) << 3)
                    | (bits(x, 4, 1) << 11)
                    | (bits(x, 5, 1) << 2)
                    | (bits(x, 6, 1) << 7)
                    | (bits(x, 7, 1) << 6)
                    | (bits(x, 8, 2) << 9)
                    | (bits(x, 10, 1) << 8)
                    | (bits(x, 11, 1) << 12)
            }
        }
    }

    /// The bits of the field this immediate occupies (the kernel's `CLEAN_IMM` mask, inverted).
    fn mask(self) -> u64 {
        match self {
            Imm::HiLoPair => utype(u64::MAX) | (itype(u64::MAX) << 32),
            other => other.encode(u64::MAX),
        }
    }

    /// `CLEAN_IMM(old) | ENCODE_IMM(x)`.
    pub fn patch(self, old: u64, x: u64) -> u64 {
        (old & !self.mask()) | self.encode(x)
    }
}

const fn imm(name: &'static str, imm: Imm, width: u8, range: Range) -> Howto {
    Howto { name, formula: Formula::PcRelative, width, range, field: Field::Riscv(imm), shift: 0 }
}

const fn addsub(name: &'static str, field: Field, width: u8) -> Howto {
    Howto { name, formula: Formula::Absolute, width, range: Range::Any, field, shift: 0 }
}

/// The howto of a riscv64 relocation type (the range is what the immediate holds; the kernel never checks).
pub fn howto(r_type: u32) -> Howto {
    match r_type {
        0 => Howto::plain("R_RISCV_NONE", Formula::None, 0, Range::Any),
        2 => Howto::plain("R_RISCV_64", Formula::Absolute, 8, Range::Any),
        16 => imm("R_RISCV_BRANCH", Imm::Branch, 4, Range::Signed(13)),
        17 => imm("R_RISCV_JAL", Imm::Jal, 4, Range::Signed(21)),
        18 => imm("R_RISCV_CALL", Imm::HiLoPair, 8, Range::Signed(32)),
        19 => imm("R_RISCV_CALL_PLT", Imm::HiLoPair, 8, Range::Signed(32)),
        23 => imm("R_RISCV_PCREL_HI20", Imm::HiLoPair, 8, Range::Signed(32)),
        // Applied together with its PCREL_HI20, which the kernel expects right before it.
        24 => Howto::plain("R_RISCV_PCREL_LO12_I", Formula::None, 0, Range::Any),
        34 => addsub("R_RISCV_ADD16", Field::Add, 2),
        35 => addsub("R_RISCV_ADD32", Field::Add, 4),
        38 => addsub("R_RISCV_SUB16", Field::Sub, 2),
        39 => addsub("R_RISCV_SUB32", Field::Sub, 4),
        44 => imm("R_RISCV_RVC_BRANCH", Imm::CBranch, 4, Range::Signed(9)),
        45 => imm("R_RISCV_RVC_JUMP", Imm::CJump, 4, Range::Signed(12)),
        43 => Howto::plain("R_RISCV_ALIGN", Formula::None, 0, Range::Any),
        51 => Howto::plain("R_RISCV_RELAX", Formula::None, 0, Range::Any),
        _ => Howto::plain(unsupported_name(r_type), Formula::Unsupported, 0, Range::Any),
    }
}

/// Names of the types the kernel has no case for, so reports say which one a compiler emitted.
fn unsupported_name(r_type: u32) -> &'static str {
    match r_type {
        1 => "R_RISCV_32",
        3 => "R_RISCV_RELATIVE",
        20 => "R_RISCV_GOT_HI20",
        25 => "R_RISCV_PCREL_LO12_S",
        26 => "R_RISCV_HI20",
        27 => "R_RISCV_LO12_I",
        28 => "R_RISCV_LO12_S",
        33 => "R_RISCV_ADD8",
        36 => "R_RISCV_ADD64",
        37 => "R_RISCV_SUB8",
        40 => "R_RISCV_SUB64",
        52 => "R_RISCV_SUB6",
        53 => "R_RISCV_SET6",
        54 => "R_RISCV_SET8",
        55 => "R_RISCV_SET16",
        56 => "R_RISCV_SET32",
        57 => "R_RISCV_32_PCREL",
        _ => "R_RISCV_UNKNOWN",
    }
}
