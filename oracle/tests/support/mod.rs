//! Builds synthetic relocatable objects with `object::write`, plus header patches it cannot express.
#![allow(dead_code)]

use object::write::{Object as WObject, Relocation, SectionId, StandardSection, Symbol, SymbolId, SymbolSection};
use object::{
    elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

pub struct Builder {
    pub w: WObject<'static>,
    entry: u64,
    aligns: Vec<(String, u64)>,
}

impl Builder {
    pub fn x86_64() -> Self {
        Builder {
            w: WObject::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little),
            entry: 0,
            aligns: Vec::new(),
        }
    }

    pub fn for_arch(arch: Architecture, endian: Endianness) -> Self {
        Builder { w: WObject::new(BinaryFormat::Elf, arch, endian), entry: 0, aligns: Vec::new() }
    }

    pub fn i386() -> Self {
        Builder {
            w: WObject::new(BinaryFormat::Elf, Architecture::I386, Endianness::Little),
            entry: 0,
            aligns: Vec::new(),
        }
    }

    /// A section with `data` (or `size` zero bytes of bss when `kind` is UninitializedData).
    pub fn section(&mut self, name: &str, kind: SectionKind, data: &[u8], align: u64) -> SectionId {
        let id = self.w.add_section(Vec::new(), name.as_bytes().to_vec(), kind);
        if kind == SectionKind::UninitializedData {
            self.w.append_section_bss(id, data.len() as u64, align.max(1));
        } else {
            self.w.append_section_data(id, data, align.max(1));
        }
        id
    }

    pub fn text(&mut self, name: &str, size: usize) -> SectionId {
        self.section(name, SectionKind::Text, &vec![0x90; size], 16)
    }

    pub fn data(&mut self, name: &str, size: usize) -> SectionId {
        self.section(name, SectionKind::Data, &vec![0; size], 8)
    }

    pub fn standard_text(&mut self) -> SectionId {
        self.w.section_id(StandardSection::Text)
    }

    pub fn section_symbol(&mut self, s: SectionId) -> SymbolId {
        self.w.section_symbol(s)
    }

    pub fn global(&mut self, name: &str, s: SectionId, value: u64, size: u64, kind: SymbolKind) -> SymbolId {
        self.w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size,
            kind,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(s),
            flags: SymbolFlags::None,
        })
    }

    pub fn absolute(&mut self, name: &str, value: u64) -> SymbolId {
        self.w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size: 0,
            kind: SymbolKind::Data,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Absolute,
            flags: SymbolFlags::None,
        })
    }

    pub fn undefined(&mut self, name: &str) -> SymbolId {
        self.w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: 0,
            size: 0,
            kind: SymbolKind::Data,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Undefined,
            flags: SymbolFlags::None,
        })
    }

    pub fn common(&mut self, name: &str, size: u64) -> SymbolId {
        self.w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: 8,
            size,
            kind: SymbolKind::Data,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Common,
            flags: SymbolFlags::None,
        })
    }

    /// What bzImage64_load gets and sets: `entry64_regs` (136 bytes of data) and `stack_end` (an address).
    pub fn bzimage64_symbols(&mut self) {
        let d = self.section(".data.regs", SectionKind::Data, &[0; 136], 8);
        self.global("entry64_regs", d, 0, 136, SymbolKind::Data);
        let stack = self.section(".bss.stack", SectionKind::UninitializedData, &[0; 0x100], 16);
        self.global("stack_end", stack, 0x100, 0, SymbolKind::Data);
    }

    /// What kexec_calculate_store_digests writes: `purgatory_sha_regions` (256) and `purgatory_sha256_digest` (32).
    pub fn digest_symbols(&mut self) {
        let d = self.section(".kexec-purgatory", SectionKind::Data, &[0; 288], 8);
        self.global("purgatory_sha_regions", d, 0, 256, SymbolKind::Data);
        self.global("purgatory_sha256_digest", d, 256, 32, SymbolKind::Data);
    }

    /// Everything the x86_64 kernel loader needs besides relocating: a complete purgatory.
    pub fn kexec_file_symbols(&mut self) {
        self.bzimage64_symbols();
        self.digest_symbols();
    }

    pub fn reloc(&mut self, s: SectionId, offset: u64, sym: SymbolId, r_type: u32, addend: i64) {
        self.w
            .add_relocation(
                s,
                Relocation {
                    offset,
                    symbol: sym,
                    addend,
                    flags: RelocationFlags::Elf { r_type: elf::RelocationType(r_type) },
                },
            )
            .expect("add relocation");
    }

    pub fn entry(&mut self, e: u64) {
        self.entry = e;
    }

    /// Overwrites a section's sh_addralign after writing (object::write only writes powers of two).
    pub fn raw_align(&mut self, section: &str, align: u64) {
        self.aligns.push((section.to_string(), align));
    }

    pub fn build(self) -> Vec<u8> {
        let mut bytes = self.w.write().expect("write object");
        let is64 = bytes[4] == 2;
        if is64 {
            bytes[24..32].copy_from_slice(&self.entry.to_le_bytes());
        } else {
            bytes[24..28].copy_from_slice(&(self.entry as u32).to_le_bytes());
        }
        if !self.aligns.is_empty() {
            let obj = kreloc_oracle::parse(&bytes).expect("parse own output");
            let shoff = if is64 {
                u64::from_le_bytes(bytes[40..48].try_into().unwrap())
            } else {
                u64::from(u32::from_le_bytes(bytes[32..36].try_into().unwrap()))
            } as usize;
            for (name, align) in &self.aligns {
                let s = obj.sections.iter().find(|s| obj.name_is(s.name, name)).expect("section to patch");
                if is64 {
                    let at = shoff + s.index * 64 + 48;
                    bytes[at..at + 8].copy_from_slice(&align.to_le_bytes());
                } else {
                    let at = shoff + s.index * 40 + 32;
                    bytes[at..at + 4].copy_from_slice(&(*align as u32).to_le_bytes());
                }
            }
        }
        bytes
    }
}

pub const R_64: u32 = elf::R_X86_64_64.0;
pub const R_PC32: u32 = elf::R_X86_64_PC32.0;
pub const R_PLT32: u32 = elf::R_X86_64_PLT32.0;
pub const R_GOTPCREL: u32 = elf::R_X86_64_GOTPCREL.0;
pub const R_32: u32 = elf::R_X86_64_32.0;
pub const R_32S: u32 = elf::R_X86_64_32S.0;

pub fn load(bytes: &[u8], profile: &str, at: u64) -> kreloc_oracle::Verdict {
    let obj = kreloc_oracle::parse(bytes).expect("parse");
    let p = kreloc_oracle::parse_profile(profile).expect("profile");
    kreloc_oracle::load(&obj, &*p, at)
}

pub fn window(bytes: &[u8], profile: &str) -> kreloc_oracle::window::Window {
    let obj = kreloc_oracle::parse(bytes).expect("parse");
    let p = kreloc_oracle::parse_profile(profile).expect("profile");
    kreloc_oracle::window::window(&obj, &*p)
}

/// One relocation of `r_type` from .text+0x10 against an absolute symbol of value `value` (addend 0).
pub fn single_abs(r_type: u32, value: u64) -> Vec<u8> {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 64);
    let s = b.absolute("target", value);
    b.reloc(text, 0x10, s, r_type, 0);
    b.build()
}

/// A linker script placing every section where the oracle placed it, so a real linker relocates the same way.
pub fn linker_script(v: &kreloc_oracle::Verdict) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("SECTIONS {\n");
    for p in &v.sections {
        let name = v.placed_name(p);
        let _ = writeln!(s, "  {name} {:#x} : {{ *({name}) }}", p.addr);
    }
    s.push_str("}\n");
    s
}

/// Each of the verdict's file-backed sections as the linker output holds it: (name, address, bytes).
pub fn linked_sections(linked: &[u8], v: &kreloc_oracle::Verdict, linker: &str) -> Vec<(String, u64, Vec<u8>)> {
    use object::{Object as _, ObjectSection as _};
    let file = object::File::parse(linked).unwrap();
    v.sections
        .iter()
        .filter(|p| !p.nobits && p.size > 0)
        .map(|p| {
            let name = v.placed_name(p);
            let sec = file.section_by_name(&name).unwrap_or_else(|| panic!("{linker} output lacks {name}"));
            (name.to_string(), sec.address(), sec.data().unwrap().to_vec())
        })
        .collect()
}
