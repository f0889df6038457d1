//! An owned, validated model of an ELF relocatable object: everything a loader reads, nothing more.

pub mod consts;
mod parse;

use consts::*;

use serde::Serialize;
pub use smol_str::SmolStr;

pub use parse::parse;

/// ELF class of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Class {
    /// ELFCLASS32
    Elf32,
    /// ELFCLASS64
    Elf64,
}

/// Why an object cannot be read at all (exit 125: cannot test).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ParseError {
    /// The bytes are not ELF, or the header is truncated or inconsistent.
    #[error("not a readable ELF file: {0}")]
    Header(String),
    /// The section header table is malformed.
    #[error("bad section header table: {0}")]
    Sections(String),
    /// A section's contents lie outside the file.
    #[error(
        "section [{index}] {name}: contents (offset {offset:#x}, size {size:#x}) lie outside the {file_len}-byte file"
    )]
    SectionOutsideFile { index: usize, name: String, offset: u64, size: u64, file_len: usize },
    /// A symbol table is malformed.
    #[error("symbol table [{index}]: {reason}")]
    Symbols { index: usize, reason: String },
    /// A relocation section is malformed.
    #[error("relocation section [{index}] {name}: {reason}")]
    Relocations { index: usize, name: String, reason: String },
}

/// One section header, with the bytes of ALLOC PROGBITS-like sections.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub index: usize,
    /// Inline for names up to 23 bytes: parsing and reports copy names without allocating.
    pub name: SmolStr,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub addralign: u64,
    pub link: u32,
    pub info: u32,
    /// Contents, present for SHF_ALLOC sections that occupy file space.
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl Section {
    /// SHF_ALLOC is set.
    pub fn is_alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
    /// SHF_EXECINSTR is set.
    pub fn is_exec(&self) -> bool {
        self.flags & SHF_EXECINSTR != 0
    }
    /// SHT_NOBITS (bss-like: takes memory, not file space).
    pub fn is_nobits(&self) -> bool {
        self.sh_type == SHT_NOBITS
    }
}

/// One symbol-table entry.
#[derive(Debug, Clone, Serialize)]
pub struct Symbol {
    pub name: SmolStr,
    pub value: u64,
    pub size: u64,
    /// Section index, or a special SHN_* value (extended indices already resolved).
    pub shndx: u32,
    pub bind: u8,
    pub kind: u8,
}

/// One relocation entry (REL entries carry addend 0 here; their in-place addend is read at apply time).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Reloc {
    pub offset: u64,
    pub r_type: u32,
    pub sym: u32,
    pub addend: i64,
}

/// A SHT_REL or SHT_RELA section.
#[derive(Debug, Clone, Serialize)]
pub struct RelocSection {
    pub index: usize,
    pub name: SmolStr,
    pub is_rela: bool,
    /// `sh_info`: the section the entries patch.
    pub target: u32,
    /// `sh_link`: the symbol table.
    pub symtab: u32,
    pub entries: Vec<Reloc>,
}

/// A parsed relocatable (or any) ELF object.
#[derive(Debug, Clone, Serialize)]
pub struct Object {
    pub class: Class,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub shentsize: u16,
    pub sections: Vec<Section>,
    /// Symbol tables by section index (SHT_SYMTAB only).
    pub symtabs: Vec<(usize, Vec<Symbol>)>,
    pub relocs: Vec<RelocSection>,
}

impl Object {
    /// The symbols of the SHT_SYMTAB at section index `index`.
    pub fn symtab(&self, index: u32) -> Option<&[Symbol]> {
        self.symtabs.iter().find(|(i, _)| *i == index as usize).map(|(_, s)| s.as_slice())
    }

    /// A global symbol by name from any symbol table (the kernel's lookup rule: STB_GLOBAL only).
    pub fn global_symbol(&self, name: &str) -> Option<&Symbol> {
        self.symtabs.iter().flat_map(|(_, syms)| syms.iter()).find(|s| s.bind == STB_GLOBAL && s.name == name)
    }

    /// The sections holding code: allocated, executable and not empty (what the exec-section rules see).
    pub fn code_sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|s| s.is_alloc() && s.is_exec() && s.size > 0)
    }

    /// Total number of relocation entries.
    pub fn reloc_count(&self) -> usize {
        self.relocs.iter().map(|r| r.entries.len()).sum()
    }

    /// Name of section `index`, or a placeholder naming the index.
    pub fn section_name(&self, index: u32) -> SmolStr {
        match self.sections.get(index as usize) {
            Some(s) if !s.name.is_empty() => s.name.clone(),
            _ => smol_str::format_smolstr!("[{index}]"),
        }
    }

    /// How a relocation's symbol reads in messages: its name, or its section's name (the kernel's rule).
    pub fn symbol_label(&self, sym: &Symbol) -> SmolStr {
        if !sym.name.is_empty() {
            return sym.name.clone();
        }
        match sym.shndx {
            SHN_ABS => SmolStr::new_static("*ABS*"),
            0 => SmolStr::new_static("*UND*"),
            i => self.section_name(i),
        }
    }
}
