//! Naming the instruction behind an absolute reference (seed 002: `mov $imm32` where `lea (%rip)` was meant).

use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction};
use serde::Serialize;

use kreloc_oracle::Object;

/// Which part of an instruction a relocated field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperandKind {
    /// An immediate operand (`mov $sym, %reg`).
    Immediate,
    /// An absolute or base+index displacement (`mov sym(,%rax,8), %rdx`).
    Displacement,
    /// A RIP-relative displacement (`lea sym(%rip), %rsi`): position independent.
    RipDisplacement,
    /// Inside the instruction but neither.
    Other,
}

/// One decoded instruction around a relocated field.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedInsn {
    /// Offset of the instruction in the section.
    pub offset: u64,
    pub len: usize,
    pub bytes_hex: String,
    /// AT&T syntax, as objdump prints it.
    pub text: String,
    pub mnemonic: String,
    pub operand_kind: OperandKind,
}

/// Decodes `code` (loaded at `code_addr`) linearly and returns the instruction containing `byte_offset`.
pub fn instruction_at(code: &[u8], code_addr: u64, byte_offset: u64) -> Option<ScannedInsn> {
    if byte_offset >= code.len() as u64 {
        return None;
    }
    let mut decoder = Decoder::with_ip(64, code, code_addr, DecoderOptions::NONE);
    let mut insn = Instruction::default();
    while decoder.can_decode() {
        let start = decoder.position() as u64;
        decoder.decode_out(&mut insn);
        let end = start + insn.len() as u64;
        if byte_offset < start || byte_offset >= end {
            continue;
        }
        let offsets = decoder.get_constant_offsets(&insn);
        let rel = (byte_offset - start) as usize;
        let operand_kind = if offsets.has_displacement() && rel == offsets.displacement_offset() {
            if insn.is_ip_rel_memory_operand() {
                OperandKind::RipDisplacement
            } else {
                OperandKind::Displacement
            }
        } else if offsets.has_immediate() && rel == offsets.immediate_offset() {
            OperandKind::Immediate
        } else {
            OperandKind::Other
        };
        let mut text = String::new();
        let mut fmt = GasFormatter::new();
        fmt.options_mut().set_uppercase_hex(false);
        fmt.options_mut().set_rip_relative_addresses(true);
        fmt.format(&insn, &mut text);
        let bytes = &code[start as usize..end as usize];
        return Some(ScannedInsn {
            offset: start,
            len: insn.len(),
            bytes_hex: bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
            text,
            mnemonic: format!("{:?}", insn.mnemonic()).to_lowercase(),
            operand_kind,
        });
    }
    None
}

/// One line saying why the instruction only works at one address (or why it is fine).
pub fn explain(insn: &ScannedInsn, reloc_type_name: &str) -> String {
    match insn.operand_kind {
        OperandKind::Immediate => format!(
            "{} loads an absolute address as an immediate ({reloc_type_name}): correct only where it was linked; a RIP-relative lea would load anywhere",
            insn.text
        ),
        OperandKind::Displacement => {
            format!("{} uses an absolute address as its displacement ({reloc_type_name}): correct only where it was linked", insn.text)
        }
        OperandKind::RipDisplacement => format!("{} is RIP-relative ({reloc_type_name}): position independent", insn.text),
        OperandKind::Other => format!("{} holds the relocated field ({reloc_type_name})", insn.text),
    }
}

/// An absolute reference from code: a 32, 32S or 64 relocation inside an executable section.
#[derive(Debug, Clone, Serialize)]
pub struct AbsoluteRef {
    pub section: String,
    pub offset: u64,
    pub type_name: &'static str,
    pub symbol: String,
    pub insn: Option<ScannedInsn>,
    pub explanation: String,
}

/// Every absolute reference in the object's executable sections, with the instruction behind it.
/// In code that must run anywhere without fixups (seed 002), each one is a bug.
pub fn absolute_references(obj: &Object) -> Vec<AbsoluteRef> {
    let mut out = Vec::new();
    for rs in &obj.relocs {
        let Some(sec) = obj.sections.get(rs.target as usize).filter(|s| s.is_exec() && s.is_alloc()) else { continue };
        let syms = obj.symtab(rs.symtab).unwrap_or(&[]);
        for r in obj.entries(rs) {
            let howto = kreloc_oracle::arch::x86_64::howto(r.r_type);
            if !matches!(r.r_type, 1 | 10 | 11) {
                continue;
            }
            let insn = instruction_at(obj.data(sec), 0, r.offset);
            let section = obj.name_of(sec).to_string();
            let explanation = insn
                .as_ref()
                .map_or_else(|| format!("{} at {section}+{:#x}", howto.name, r.offset), |i| explain(i, howto.name));
            out.push(AbsoluteRef {
                section,
                offset: r.offset,
                type_name: howto.name,
                symbol: syms.get(r.sym as usize).map(|s| obj.symbol_label(s).to_string()).unwrap_or_default(),
                insn,
                explanation,
            });
        }
    }
    out
}
