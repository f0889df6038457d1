//! Reading goes through `object`'s bounds-checked ELF structs; every failure becomes a `ParseError`.

use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::{BigEndian, Endianness, LittleEndian};

use super::consts::*;

use super::{Class, HeaderError, Name, NameTable, Object, ParseError, Reloc, RelocSection, Section, SmolStr, Symbol};

/// Parses an ELF32 or ELF64 object. Never panics.
pub fn parse(data: &[u8]) -> Result<Object, ParseError> {
    // A static byte order makes every field read a plain load; the runtime `Endianness` branches on each.
    let (little, big) = (data.get(5) == Some(&1), data.get(5) == Some(&2));
    match data.get(4) {
        Some(&2) if little => parse_as::<FileHeader64<LittleEndian>>(data, Class::Elf64),
        Some(&2) if big => parse_as::<FileHeader64<BigEndian>>(data, Class::Elf64),
        Some(&1) if little => parse_as::<FileHeader32<LittleEndian>>(data, Class::Elf32),
        Some(&1) if big => parse_as::<FileHeader32<BigEndian>>(data, Class::Elf32),
        Some(&2) => parse_as::<FileHeader64<Endianness>>(data, Class::Elf64),
        Some(&1) => parse_as::<FileHeader32<Endianness>>(data, Class::Elf32),
        Some(c) if data.starts_with(b"\x7fELF") => Err(ParseError::Header(HeaderError::UnknownClass(*c))),
        _ => Err(ParseError::Header(HeaderError::NoMagic)),
    }
}

/// A string table read the way `object::read::StringTable::get` reads it (a name runs to the first NUL inside
/// the table; no NUL, or an offset past the table, reads as an empty name), with a plain scan instead of
/// `memchr`: names are a few bytes long, and a check that never calls `memchr` skips its CPU feature
/// detection (`cpuid`, slow in a virtual machine) at start-up.
#[derive(Clone, Copy)]
struct Strings<'d>(Option<&'d [u8]>);

impl<'d> Strings<'d> {
    /// The table a symbol table links to, as `SectionTable::strings` finds it (index 0: no table).
    fn linked<H: FileHeader>(
        table: &object::read::elf::SectionTable<'d, H, &'d [u8]>,
        endian: H::Endian,
        data: &'d [u8],
        index: usize,
    ) -> Self {
        if index == 0 {
            return Strings(None);
        }
        let Ok(sh) = table.section(object::SectionIndex(index)) else { return Strings(None) };
        if sh.sh_type(endian) != object::elf::SHT_STRTAB {
            return Strings(None);
        }
        Self::at(data, Some((sh.sh_offset(endian).into(), sh.sh_size(endian).into())))
    }

    /// The section-name table, as `FileHeader::section_strings` finds it (no type check; NOBITS: no table).
    fn section_names<H: FileHeader>(
        header: &H,
        table: &object::read::elf::SectionTable<'d, H, &'d [u8]>,
        endian: H::Endian,
        data: &'d [u8],
    ) -> Self {
        let Ok(index) = header.shstrndx(endian, data) else { return Strings(None) };
        let Ok(sh) = table.section(object::SectionIndex(index as usize)) else { return Strings(None) };
        Self::at(data, sh.file_range(endian))
    }

    fn at(data: &'d [u8], range: Option<(u64, u64)>) -> Self {
        let range = range.and_then(|(offset, size)| {
            let end = offset.checked_add(size)?;
            Some(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)
        });
        Strings(range.and_then(|r| data.get(r)))
    }

    /// Copies the table to the end of `strings` (once per table) and returns how to name its offsets.
    fn copy_into(self, strings: &mut Vec<u8>, copied: &mut CopiedTables) -> Copied {
        let Some(t) = self.0 else { return Copied { base: 0, names: 0 } };
        let key = (t.as_ptr() as usize, t.len());
        if let Some(c) = copied.find(key) {
            return c;
        }
        // Offsets past the table's last NUL name nothing (they would run off its end).
        let names = match t.last() {
            Some(0) => t.len(),
            _ => t.iter().rposition(|&b| b == 0).map_or(0, |last| last + 1),
        };
        let c = match u32::try_from(strings.len() + names) {
            Ok(_) if names > 0 => {
                let base = strings.len();
                strings.extend_from_slice(&t[..names]);
                Copied { base, names }
            }
            _ => Copied { base: 0, names: 0 },
        };
        copied.keep(key, c);
        c
    }

    fn name(self, offset: u32) -> SmolStr {
        let Some(rest) = self.0.and_then(|t| t.get(offset as usize..)) else { return SmolStr::default() };
        rest.iter().position(|&b| b == 0).map_or_else(SmolStr::default, |end| lossy(&rest[..end]))
    }
}

/// The section-name table, checked as UTF-8 once: names are then cut out of it without checking each.
struct SectionNames<'d> {
    bytes: Strings<'d>,
    text: Option<&'d str>,
}

impl<'d> SectionNames<'d> {
    fn new(bytes: Strings<'d>) -> Self {
        SectionNames { bytes, text: bytes.0.and_then(|t| std::str::from_utf8(t).ok()) }
    }

    fn name(&self, offset: u32) -> SmolStr {
        // A name starting inside a multi-byte character is not valid on its own: read it as bytes.
        let Some(rest) = self.text.and_then(|t| t.get(offset as usize..)) else { return self.bytes.name(offset) };
        // Cut at the NUL (an ASCII byte, so a character boundary); no NUL reads as empty.
        rest.as_bytes().iter().position(|&b| b == 0).map_or_else(SmolStr::default, |end| inline(&rest[..end]))
    }
}

/// The string tables already copied, by place in the file: symbol tables that share one share its copy.
/// The first few are kept in place (an object has one or two: no allocation), the rest on the heap.
#[derive(Default)]
struct CopiedTables {
    first: [((usize, usize), Copied); 4],
    len: usize,
    more: Vec<((usize, usize), Copied)>,
}

impl CopiedTables {
    fn find(&self, key: (usize, usize)) -> Option<Copied> {
        self.first[..self.len].iter().chain(&self.more).find(|(k, _)| *k == key).map(|&(_, c)| c)
    }

    fn keep(&mut self, key: (usize, usize), c: Copied) {
        match self.first.get_mut(self.len) {
            Some(slot) => {
                *slot = (key, c);
                self.len += 1;
            }
            None => self.more.push((key, c)),
        }
    }
}

/// A string table's place in `Object::strings`: offsets below `names` are `base + offset`.
#[derive(Clone, Copy, Default)]
struct Copied {
    base: usize,
    names: usize,
}

impl Copied {
    fn name(self, offset: u32) -> Name {
        let o = offset as usize;
        if o < self.names {
            Name((self.base + o) as u32)
        } else {
            Name::EMPTY
        }
    }
}

/// A name as a `SmolStr`, copied straight in when it fits inline (`SmolStr::new` first looks for its
/// whitespace-only form).
fn inline(s: &str) -> SmolStr {
    if s.len() <= SmolStr::INLINE_CAP {
        SmolStr::new_inline(s)
    } else {
        SmolStr::new(s)
    }
}

pub(super) fn lossy(bytes: &[u8]) -> SmolStr {
    match std::str::from_utf8(bytes) {
        Ok(s) => inline(s),
        Err(_) => SmolStr::new(String::from_utf8_lossy(bytes)),
    }
}

fn header_err(e: object::read::Error) -> ParseError {
    ParseError::Header(HeaderError::Elf(e))
}

fn parse_as<H: FileHeader>(data: &[u8], class: Class) -> Result<Object, ParseError> {
    let header = H::parse(data).map_err(header_err)?;
    let endian = header.endian().map_err(header_err)?;
    let table = header.sections(endian, data).map_err(ParseError::Sections)?;

    let shstrtab = SectionNames::new(Strings::section_names(header, &table, endian, data));
    let mut sections = Vec::with_capacity(table.len());
    let alloc_bytes: u64 = table
        .iter()
        .filter(|sh| sh.sh_flags(endian).0 & SHF_ALLOC != 0 && sh.sh_type(endian).0 != SHT_NOBITS)
        .map(|sh| sh.sh_size(endian).into())
        .fold(0, u64::saturating_add);
    let mut contents = Vec::with_capacity(usize::try_from(alloc_bytes).unwrap_or(0).min(data.len()));
    for (index, sh) in table.iter().enumerate() {
        let name = shstrtab.name(sh.sh_name(endian));
        let mut section = Section {
            index,
            name,
            sh_type: sh.sh_type(endian).0,
            flags: sh.sh_flags(endian).0,
            addr: sh.sh_addr(endian).into(),
            offset: sh.sh_offset(endian).into(),
            size: sh.sh_size(endian).into(),
            addralign: sh.sh_addralign(endian).into(),
            link: sh.sh_link(endian),
            info: sh.sh_info(endian),
            data: 0..0,
        };
        if section.is_alloc() && !section.is_nobits() && section.sh_type != SHT_NULL {
            let bytes = sh.data(endian, data).map_err(|_| outside(&section, data.len()))?;
            section.data = contents.len()..contents.len() + bytes.len();
            contents.extend_from_slice(bytes);
        }
        sections.push(section);
    }

    let mut symtabs = Vec::new();
    // One allocation for every symbol table's names: the linked tables' sizes, bounded by the file.
    let linked: u64 = table
        .iter()
        .filter(|sh| sh.sh_type(endian).0 == SHT_SYMTAB)
        .filter_map(|sh| table.section(object::SectionIndex(sh.sh_link(endian) as usize)).ok())
        .map(|sh| sh.sh_size(endian).into())
        .fold(0, u64::saturating_add);
    let mut strings = Vec::with_capacity(1 + usize::try_from(linked).unwrap_or(0).min(data.len()));
    strings.push(0u8);
    let mut copied = CopiedTables::default();
    for (index, sh) in table.iter().enumerate() {
        if sh.sh_type(endian).0 != SHT_SYMTAB {
            continue;
        }
        let symtab =
            object::read::elf::SymbolTable::<H, &[u8]>::parse(endian, data, &table, object::SectionIndex(index), sh)
                .map_err(|reason| ParseError::Symbols { index, reason })?;
        let names =
            Strings::linked(&table, endian, data, symtab.string_section().0).copy_into(&mut strings, &mut copied);
        let syms = symtab
            .enumerate()
            .map(|(i, s)| Symbol {
                name: names.name(s.st_name(endian)),
                value: s.st_value(endian).into(),
                size: s.st_size(endian).into(),
                shndx: resolve_shndx(&symtab, endian, s, i.0),
                bind: s.st_bind().0,
                kind: s.st_type().0,
            })
            .collect();
        symtabs.push((index, syms));
    }

    let mut relocs = Vec::new();
    for (index, sh) in table.iter().enumerate() {
        let sh_type = sh.sh_type(endian).0;
        if sh_type != SHT_RELA && sh_type != SHT_REL {
            continue;
        }
        let bad = |reason: object::read::Error| ParseError::Relocations {
            index,
            name: sections[index].name.to_string(),
            reason,
        };
        let entries: std::sync::Arc<[Reloc]> = if sh_type == SHT_RELA {
            let (rela, _) = sh.rela(endian, data).map_err(bad)?.unwrap_or((&[], object::SectionIndex(0)));
            rela.iter()
                .map(|r| {
                    let is_mips64el = false;
                    Reloc {
                        offset: object::read::elf::Rela::r_offset(r, endian).into(),
                        r_type: object::read::elf::Rela::r_type(r, endian, is_mips64el).0,
                        sym: object::read::elf::Rela::r_sym(r, endian, is_mips64el),
                        addend: object::read::elf::Rela::r_addend(r, endian).into(),
                    }
                })
                .collect()
        } else {
            let (rel, _) = sh.rel(endian, data).map_err(bad)?.unwrap_or((&[], object::SectionIndex(0)));
            rel.iter()
                .map(|r| Reloc {
                    offset: object::read::elf::Rel::r_offset(r, endian).into(),
                    r_type: object::read::elf::Rel::r_type(r, endian).0,
                    sym: object::read::elf::Rel::r_sym(r, endian),
                    addend: 0,
                })
                .collect()
        };
        relocs.push(RelocSection {
            index,
            name: sections[index].name.clone(),
            is_rela: sh_type == SHT_RELA,
            target: sh.sh_info(endian),
            symtab: sh.sh_link(endian),
            entries,
        });
    }

    Ok(Object {
        class,
        e_type: header.e_type(endian).0,
        machine: header.e_machine(endian).0,
        entry: header.e_entry(endian).into(),
        shentsize: header.e_shentsize(endian),
        sections,
        symtabs,
        relocs,
        strings: NameTable(strings.into()),
        contents,
    })
}

fn outside(section: &Section, file_len: usize) -> ParseError {
    ParseError::SectionOutsideFile {
        index: section.index,
        name: section.name.to_string(),
        offset: section.offset,
        size: section.size,
        file_len,
    }
}

fn resolve_shndx<'d, H: FileHeader>(
    symtab: &object::read::elf::SymbolTable<'d, H, &'d [u8]>,
    endian: H::Endian,
    sym: &H::Sym,
    index: usize,
) -> u32 {
    let shndx = u32::from(sym.st_shndx(endian).0);
    if shndx == SHN_XINDEX {
        return symtab.shndx(endian, object::SymbolIndex(index)).unwrap_or(SHN_XINDEX);
    }
    shndx
}
