//! The pieces of a little-endian ELF64 relocatable, as `object`'s header structs appended to a byte vector.
//! The synthetic objects' names are fixed and few, so their string tables are plain appends: `object`'s `Writer`
//! hashed and sorted them for every object, about a tenth of an `elf` fuzz run.

use object::elf::{self, FileHeader64, Rela64, SectionFlags, SectionHeader64, SectionType, Sym64};
use object::pod::{bytes_of, Pod};
use object::{LittleEndian as LE, I64, U16, U32, U64};

const SECTION_NAMES: [&[u8]; 8] = [b".s0", b".s1", b".s2", b".s3", b".s4", b".s5", b".s6", b".s7"];
const RELA_NAMES: [&[u8]; 8] =
    [b".rela.s0", b".rela.s1", b".rela.s2", b".rela.s3", b".rela.s4", b".rela.s5", b".rela.s6", b".rela.s7"];
pub(super) const SYMBOL_NAMES: [&[u8]; 16] = [
    b"sym0", b"sym1", b"sym2", b"sym3", b"sym4", b"sym5", b"sym6", b"sym7", b"sym8", b"sym9", b"sym10", b"sym11",
    b"sym12", b"sym13", b"sym14", b"sym15",
];

/// A string table being built: each name once, in the order added (no hashing or sorting: the synthetic
/// objects' names are few and known).
pub(super) struct Strings(pub Vec<u8>);

impl Strings {
    pub fn new() -> Strings {
        Strings(vec![0])
    }

    /// Appends `name` and returns where it starts.
    pub fn add(&mut self, name: &[u8]) -> u32 {
        let at = self.0.len() as u32;
        self.0.extend_from_slice(name);
        self.0.push(0);
        at
    }

    /// Section `i`'s name, and its `.rela` section's if it has one (`.sN` is the tail of `.rela.sN`).
    pub fn add_section(&mut self, i: usize, relocated: bool) -> (u32, u32) {
        if relocated {
            let rela = self.add(RELA_NAMES[i]);
            (rela + (RELA_NAMES[i].len() - SECTION_NAMES[i].len()) as u32, rela)
        } else {
            (self.add(SECTION_NAMES[i]), 0)
        }
    }
}

/// The file being written.
pub(super) struct Out(pub Vec<u8>);

impl Out {
    /// An empty file but for the room its header takes (written last, with `patch_header`).
    pub fn new(capacity: usize) -> Out {
        let mut v = Vec::with_capacity(capacity);
        v.resize(size_of::<FileHeader64<LE>>(), 0);
        Out(v)
    }

    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }

    /// Pads with zeros to a multiple of `align` (a power of two) and returns the new length.
    pub fn align(&mut self, align: u64) -> u64 {
        let len = self.len().next_multiple_of(align.max(1));
        self.0.resize(len as usize, 0);
        len
    }

    pub fn put<T: Pod>(&mut self, v: &T) {
        self.0.extend_from_slice(bytes_of(v));
    }

    /// The null section header (index 0): every field zero.
    pub fn null_section_header(&mut self) {
        self.0.resize(self.0.len() + size_of::<SectionHeader64<LE>>(), 0);
    }

    /// Writes the file header over the room `new` left for it.
    pub fn patch_header(&mut self, h: &FileHeader64<LE>) {
        if let Some(at) = self.0.get_mut(..size_of::<FileHeader64<LE>>()) {
            at.copy_from_slice(bytes_of(h));
        }
    }
}

/// An x86_64 ET_REL header with no program headers.
pub(super) fn file_header(e_entry: u64, e_shoff: u64, e_shnum: u16, e_shstrndx: u16) -> FileHeader64<LE> {
    FileHeader64 {
        e_ident: elf::Ident {
            magic: elf::ELFMAG,
            class: elf::ELFCLASS64,
            data: elf::ELFDATA2LSB,
            version: elf::EV_CURRENT,
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            padding: [0; 7],
        },
        e_type: U16::new(LE, elf::ET_REL),
        e_machine: U16::new(LE, elf::EM_X86_64),
        e_version: U32::new(LE, elf::EV_CURRENT.0.into()),
        e_entry: U64::new(LE, e_entry),
        e_phoff: U64::new(LE, 0),
        e_shoff: U64::new(LE, e_shoff),
        e_flags: U32::new(LE, elf::FileFlags(0)),
        e_ehsize: U16::new(LE, size_of::<FileHeader64<LE>>() as u16),
        e_phentsize: U16::new(LE, 0),
        e_phnum: U16::new(LE, 0),
        e_shentsize: U16::new(LE, size_of::<SectionHeader64<LE>>() as u16),
        e_shnum: U16::new(LE, e_shnum),
        e_shstrndx: U16::new(LE, elf::SymbolSection(e_shstrndx)),
    }
}

/// One section header's fields, named as in the ELF specification.
pub(super) struct Header {
    pub name: u32,
    pub sh_type: SectionType,
    pub flags: SectionFlags,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
    pub addralign: u64,
    pub entsize: u64,
}

impl Header {
    pub fn encode(&self) -> SectionHeader64<LE> {
        SectionHeader64 {
            sh_name: U32::new(LE, self.name),
            sh_type: U32::new(LE, self.sh_type),
            sh_flags: U64::new(LE, self.flags),
            sh_addr: U64::new(LE, 0),
            sh_offset: U64::new(LE, self.offset),
            sh_size: U64::new(LE, self.size),
            sh_link: U32::new(LE, self.link),
            sh_info: U32::new(LE, self.info),
            sh_addralign: U64::new(LE, self.addralign),
            sh_entsize: U64::new(LE, self.entsize),
        }
    }
}

/// A symbol-table entry (the null symbol: every argument zero).
pub(super) fn symbol(
    name: u32,
    info: elf::SymbolInfo,
    other: elf::SymbolOther,
    shndx: u16,
    value: u64,
    size: u64,
) -> Sym64<LE> {
    Sym64 {
        st_name: U32::new(LE, name),
        st_info: info,
        st_other: other,
        st_shndx: U16::new(LE, elf::SymbolSection(shndx)),
        st_value: U64::new(LE, value),
        st_size: U64::new(LE, size),
    }
}

pub(super) fn rela(offset: u64, sym: u32, r_type: u32, addend: i64) -> Rela64<LE> {
    Rela64 {
        r_offset: U64::new(LE, offset),
        r_info: U64::new(LE, (u64::from(sym) << 32) | u64::from(r_type)),
        r_addend: I64::new(LE, addend),
    }
}

pub(super) const SYM_SIZE: u64 = size_of::<Sym64<LE>>() as u64;
pub(super) const RELA_SIZE: u64 = size_of::<Rela64<LE>>() as u64;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(table: &[u8], at: u32) -> &[u8] {
        let rest = &table[at as usize..];
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
    }

    #[test]
    fn a_section_name_inside_its_rela_name_reads_back() {
        let mut t = Strings::new();
        let (plain, none) = t.add_section(2, false);
        let (tail, rela) = t.add_section(5, true);
        assert_eq!((read(&t.0, plain), none), (&b".s2"[..], 0));
        assert_eq!((read(&t.0, tail), read(&t.0, rela)), (&b".s5"[..], &b".rela.s5"[..]));
    }
}
