//! Reading goes through `object`'s bounds-checked ELF structs; every failure becomes a `ParseError`.

use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::{BigEndian, Endian, Endianness, LittleEndian};

use super::consts::*;

use super::{
    Class, Entries, HeaderError, Name, Object, ParseError, Reloc, RelocSection, Section, SharedFile, SmolStr, Symbol,
};

/// Parses an ELF32 or ELF64 object. Never panics. The object keeps a copy of `data` (one allocation, made
/// once its headers have been read); a caller that holds the file shared can give it to `parse_shared`.
pub fn parse(data: &[u8]) -> Result<Object, ParseError> {
    parse_with(data, || SharedFile(std::sync::Arc::from(data)))
}

/// `parse` of a file the caller holds shared: the object shares it, and nothing is copied.
pub fn parse_shared(file: &std::sync::Arc<[u8]>) -> Result<Object, ParseError> {
    parse_with(file, || SharedFile(file.clone()))
}

fn parse_with(data: &[u8], file: impl FnOnce() -> SharedFile) -> Result<Object, ParseError> {
    // A static byte order makes every field read a plain load; the runtime `Endianness` branches on each.
    let (little, big) = (data.get(5) == Some(&1), data.get(5) == Some(&2));
    match data.get(4) {
        Some(&2) if little => parse_as::<FileHeader64<LittleEndian>>(data, file, Class::Elf64),
        Some(&2) if big => parse_as::<FileHeader64<BigEndian>>(data, file, Class::Elf64),
        Some(&1) if little => parse_as::<FileHeader32<LittleEndian>>(data, file, Class::Elf32),
        Some(&1) if big => parse_as::<FileHeader32<BigEndian>>(data, file, Class::Elf32),
        Some(&2) => parse_as::<FileHeader64<Endianness>>(data, file, Class::Elf64),
        Some(&1) => parse_as::<FileHeader32<Endianness>>(data, file, Class::Elf32),
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

    /// How to name the table's offsets, as places in `data` (the whole file).
    fn names_in(self, data: &[u8]) -> Names {
        let Some(t) = self.0 else { return Names::default() };
        // Offsets past the table's last NUL name nothing (they would run off its end).
        let names = match t.last() {
            Some(0) => t.len(),
            _ => t.iter().rposition(|&b| b == 0).map_or(0, |last| last + 1),
        };
        Names { base: offset_in(data, t), names }
    }
}

/// A string table's place in the file: offsets below `names` name `base + offset`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Names {
    base: usize,
    names: usize,
}

impl Names {
    pub(crate) fn name(self, offset: u32) -> Name {
        let o = offset as usize;
        if o < self.names {
            Name::starting_at(self.base + o)
        } else {
            Name::EMPTY
        }
    }
}

/// Where `part` (a slice of `data`) starts in `data`.
fn offset_in(data: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize)
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
    // Names are short and ASCII: `from_utf8`'s setup costs more than checking each byte.
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return inline(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => inline(s),
        Err(_) => SmolStr::new(String::from_utf8_lossy(bytes)),
    }
}

fn header_err(e: object::read::Error) -> ParseError {
    ParseError::Header(HeaderError::Elf(e))
}

fn parse_as<H: FileHeader>(data: &[u8], file: impl FnOnce() -> SharedFile, class: Class) -> Result<Object, ParseError> {
    let header = H::parse(data).map_err(header_err)?;
    let endian = header.endian().map_err(header_err)?;
    let table = header.sections(endian, data).map_err(ParseError::Sections)?;

    let file = file();
    let shstrtab = Strings::section_names(header, &table, endian, data).names_in(data);
    let mut sections = Vec::with_capacity(table.len());
    for (index, sh) in table.iter().enumerate() {
        let (name, sh_type, flags) = (shstrtab.name(sh.sh_name(endian)), sh.sh_type(endian).0, sh.sh_flags(endian).0);
        let (offset, size) = (sh.sh_offset(endian).into(), sh.sh_size(endian).into());
        let holds_bytes = flags & SHF_ALLOC != 0 && sh_type != SHT_NOBITS && sh_type != SHT_NULL;
        let contents = if holds_bytes {
            let bytes = sh.data(endian, data).map_err(|_| outside(index, name, offset, size, &file, data.len()))?;
            let start = offset_in(data, bytes);
            start..start + bytes.len()
        } else {
            0..0
        };
        // Made whole, then pushed: a section built and then changed was copied from the stack, with wide
        // loads of the narrow stores just made (`perf` put a third of parsing's samples on that copy).
        sections.push(Section {
            index,
            name,
            sh_type,
            flags,
            addr: sh.sh_addr(endian).into(),
            offset,
            size,
            addralign: sh.sh_addralign(endian).into(),
            link: sh.sh_link(endian),
            info: sh.sh_info(endian),
            data: contents,
        });
    }

    let mut symtabs = super::SymbolTables::default();
    for (index, sh) in table.iter().enumerate() {
        if sh.sh_type(endian).0 != SHT_SYMTAB {
            continue;
        }
        let symtab =
            object::read::elf::SymbolTable::<H, &[u8]>::parse(endian, data, &table, object::SectionIndex(index), sh)
                .map_err(|reason| ParseError::Symbols { index, reason })?;
        let names = Strings::linked(&table, endian, data, symtab.string_section().0).names_in(data);
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
            name: file.name(sections[index].name).to_string(),
            reason,
        };
        let entries = if sh_type == SHT_RELA {
            let (rela, _) = sh.rela(endian, data).map_err(bad)?.unwrap_or((&[], object::SectionIndex(0)));
            let start = offset_in(data, object::pod::bytes_of_slice(rela));
            if let Some(in_place) = rela64_in_place(class, endian.is_little_endian(), &file, start, rela.len()) {
                in_place
            } else {
                Entries::decoded(
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
                        .collect(),
                )
            }
        } else {
            let (rel, _) = sh.rel(endian, data).map_err(bad)?.unwrap_or((&[], object::SectionIndex(0)));
            Entries::decoded(
                rel.iter()
                    .map(|r| Reloc {
                        offset: object::read::elf::Rel::r_offset(r, endian).into(),
                        r_type: object::read::elf::Rel::r_type(r, endian).0,
                        sym: object::read::elf::Rel::r_sym(r, endian),
                        addend: 0,
                    })
                    .collect(),
            )
        };
        relocs.push(RelocSection {
            index,
            name: file.name(sections[index].name),
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
        headers: super::Headers {
            at: usize::try_from(Into::<u64>::into(header.e_shoff(endian))).unwrap_or(usize::MAX),
            entsize: std::mem::size_of::<H::SectionHeader>(),
            count: sections.len(),
            big_endian: !endian.is_little_endian(),
            names: shstrtab,
        },
        sections,
        symtabs,
        relocs,
        file,
    })
}

/// Little-endian ELF64 RELA entries on a little-endian host, `count` of them at `start` in the file, read
/// in place (they are laid out as `Reloc` is); `None` for any other file, or entries not 8-byte aligned in
/// memory (decoded field by field instead).
fn rela64_in_place(class: Class, little: bool, file: &SharedFile, start: usize, count: usize) -> Option<Entries> {
    if class != Class::Elf64 || !little || cfg!(target_endian = "big") {
        return None;
    }
    let bytes = file.bytes().get(start..)?;
    object::pod::slice_from_bytes::<Reloc>(bytes, count).ok()?;
    Some(Entries::in_file(start, count))
}

fn outside(index: usize, name: Name, offset: u64, size: u64, file: &SharedFile, file_len: usize) -> ParseError {
    ParseError::SectionOutsideFile { index, name: file.name(name).to_string(), offset, size, file_len }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries as a little-endian ELF64 file holds them, in 8-byte aligned memory.
    fn rela64_le(entries: &[(u64, u32, u32, i64)]) -> Vec<u64> {
        entries
            .iter()
            .flat_map(|&(o, t, s, a)| [o.to_le(), (u64::from(s) << 32 | u64::from(t)).to_le(), (a as u64).to_le()])
            .collect()
    }

    /// A file of `bytes` after `skip` bytes of padding.
    fn file_with(skip: usize, bytes: &[u8]) -> SharedFile {
        SharedFile(std::iter::repeat_n(0, skip).chain(bytes.iter().copied()).collect::<Vec<u8>>().into())
    }

    #[test]
    fn rela64_read_in_place_reads_as_field_by_field() {
        let want = [(0x15, 11, 3, -4), (0xffff_fff0, 2, 0x00ab_cdef, i64::MIN), (u64::MAX, u32::MAX, 1, 7)];
        let words = rela64_le(&want);
        let file = file_with(8, object::pod::bytes_of_slice(&words));
        let got = rela64_in_place(Class::Elf64, true, &file, 8, 3).expect("aligned little-endian ELF64 in place");
        let got: Vec<_> = got.read(&file).iter().map(|r| (r.offset, r.r_type, r.sym, r.addend)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn rela64_read_in_place_only_when_it_reads_the_same() {
        let words = rela64_le(&[(8, 1, 1, 0)]);
        let file = file_with(0, object::pod::bytes_of_slice(&words));
        assert!(rela64_in_place(Class::Elf64, true, &file, 0, 1).is_some());
        assert!(rela64_in_place(Class::Elf32, true, &file, 0, 1).is_none(), "ELF32 entries are 12 bytes");
        assert!(rela64_in_place(Class::Elf64, false, &file, 0, 1).is_none(), "big-endian fields");
        assert!(rela64_in_place(Class::Elf64, true, &file, 0, 2).is_none(), "past the end of the file");
        let unaligned = file_with(1, object::pod::bytes_of_slice(&words));
        assert!(rela64_in_place(Class::Elf64, true, &unaligned, 1, 1).is_none(), "not 8-byte aligned");
    }

    #[test]
    fn an_object_parses_the_same_wherever_its_bytes_lie() {
        use object::write::{Object as Writer, Relocation, Symbol as WSym, SymbolSection};
        use object::{Architecture, BinaryFormat, SectionKind, SymbolFlags, SymbolKind, SymbolScope};
        let mut w = Writer::new(BinaryFormat::Elf, Architecture::X86_64, object::Endianness::Little);
        let text = w.add_section(vec![], b".text".to_vec(), SectionKind::Text);
        w.append_section_data(text, &[0x90; 32], 16);
        let sym = w.add_symbol(WSym {
            name: b"target".to_vec(),
            value: 4,
            size: 0,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
        for (offset, r_type, addend) in [(0, 1, 5), (8, 2, -4), (16, 11, 0x7fff_ffff)] {
            let flags = object::RelocationFlags::Elf { r_type: object::elf::RelocationType(r_type) };
            w.add_relocation(text, Relocation { offset, symbol: sym, addend, flags }).expect("relocation");
        }
        let file = w.write().expect("object");
        let entries = |obj: &Object| -> Vec<_> {
            obj.relocs
                .iter()
                .flat_map(|r| obj.entries(r).iter().map(|e| (e.offset, e.r_type, e.sym, e.addend)))
                .collect()
        };
        let mut words = vec![0u64; file.len() / 8 + 2];
        let buf = object::pod::bytes_of_slice_mut(&mut words);
        buf[..file.len()].copy_from_slice(&file);
        let obj = parse(&buf[..file.len()]).expect("aligned");
        let aligned = entries(&obj);
        buf[1..=file.len()].copy_from_slice(&file);
        let shifted = entries(&parse(&buf[1..=file.len()]).expect("shifted by one byte"));
        assert_eq!(aligned.len(), 3);
        assert_eq!(
            aligned.iter().map(|e| (e.0, e.1, e.3)).collect::<Vec<_>>(),
            [(0, 1, 5), (8, 2, -4), (16, 11, 0x7fff_ffff)]
        );
        assert_eq!(aligned, shifted);
        assert!(matches!(obj.relocs[0].entries.0, super::super::EntriesRepr::InFile { .. }));
        let shared = parse_shared(&std::sync::Arc::from(file.as_slice())).expect("shared");
        assert_eq!(entries(&shared), aligned);
        for o in [&obj, &shared] {
            let syms = o.symtabs.iter().flat_map(|(_, s)| s).collect::<Vec<_>>();
            assert_eq!(syms.iter().map(|s| o.name(s.name)).collect::<Vec<_>>(), ["", "target"]);
            assert!(o.name_is(syms[1].name, "target") && !o.name_is(syms[1].name, "targe"));
            assert!(!o.is_named(syms[0]) && o.is_named(syms[1]));
            assert!(o.name_is(Name::EMPTY, "") && o.name(Name::EMPTY).is_empty() && !o.name_is(Name::EMPTY, "\x7fELF"));
            assert_eq!(o.data(&o.sections[1]), &[0x90; 32], "{:?}", o.sections[1].name);
            // The object and the names a verdict keeps without it read every section's name the same.
            let names: Vec<_> = o.sections.iter().map(|s| o.name_of(s)).collect();
            assert_eq!(names, ["", ".text", ".rela.text", ".symtab", ".strtab", ".shstrtab"]);
            let kept = o.names();
            assert_eq!((0..6).map(|i| kept.name_of(i)).collect::<Vec<_>>(), names);
            assert_eq!(
                (o.section_name(0), o.section_name(2), o.section_name(9)),
                ("[0]".into(), ".rela.text".into(), "[9]".into())
            );
            assert_eq!(
                (kept.section_name(0), kept.section_name(2), kept.section_name(9)),
                (o.section_name(0), o.section_name(2), o.section_name(9))
            );
            assert_eq!(
                (kept.label(syms[1].name, 1), kept.label(syms[0].name, 1), kept.label(Name::EMPTY, 0)),
                ("target".into(), ".text".into(), "*UND*".into())
            );
            assert_eq!(o.relocs[0].name, ".rela.text");
        }

        // The same entries moved to an odd offset in the file are decoded instead, and read the same.
        let mut odd = file.clone();
        odd.push(0);
        let start = odd.len();
        let rela = &obj.sections[obj.relocs[0].index];
        odd.extend_from_slice(&file[rela.offset as usize..(rela.offset + rela.size) as usize]);
        let shoff = u64::from_le_bytes(odd[0x28..0x30].try_into().expect("e_shoff")) as usize;
        let sh_offset = shoff + 64 * obj.relocs[0].index + 0x18;
        odd[sh_offset..sh_offset + 8].copy_from_slice(&(start as u64).to_le_bytes());
        let moved = parse(&odd).expect("moved entries");
        assert!(matches!(moved.relocs[0].entries.0, super::super::EntriesRepr::Decoded(_)));
        assert_eq!(entries(&moved), aligned);
    }
}
