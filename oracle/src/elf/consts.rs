//! ELF constants from `object::elf`, widened to the types the model stores its raw header fields in.

use object::elf;

pub const ET_REL: u16 = elf::ET_REL.0;
pub const EM_386: u16 = elf::EM_386.0;
pub const EM_X86_64: u16 = elf::EM_X86_64.0;
pub const EM_S390: u16 = elf::EM_S390.0;
pub const EM_RISCV: u16 = elf::EM_RISCV.0;
pub const SHT_NULL: u32 = elf::SHT_NULL.0;
pub const SHT_PROGBITS: u32 = elf::SHT_PROGBITS.0;
pub const SHT_SYMTAB: u32 = elf::SHT_SYMTAB.0;
pub const SHT_RELA: u32 = elf::SHT_RELA.0;
pub const SHT_NOBITS: u32 = elf::SHT_NOBITS.0;
pub const SHT_REL: u32 = elf::SHT_REL.0;
pub const SHF_WRITE: u64 = elf::SHF_WRITE.0;
pub const SHF_ALLOC: u64 = elf::SHF_ALLOC.0;
pub const SHF_EXECINSTR: u64 = elf::SHF_EXECINSTR.0;
pub const SHN_UNDEF: u32 = elf::SHN_UNDEF.0 as u32;
pub const SHN_ABS: u32 = elf::SHN_ABS.0 as u32;
pub const SHN_COMMON: u32 = elf::SHN_COMMON.0 as u32;
pub const SHN_XINDEX: u32 = elf::SHN_XINDEX.0 as u32;
pub const STB_LOCAL: u8 = elf::STB_LOCAL.0;
pub const STB_GLOBAL: u8 = elf::STB_GLOBAL.0;
pub const STB_WEAK: u8 = elf::STB_WEAK.0;
pub const STT_NOTYPE: u8 = elf::STT_NOTYPE.0;
