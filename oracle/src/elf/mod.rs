//! An owned, validated model of an ELF relocatable object: everything a loader reads, nothing more.
//! The object holds its file, shared, and reads section contents, section and symbol names (a `Name` is an
//! offset in the file, read with `Object::name`) and, where the file lays them out as `Reloc`, relocation
//! entries from it in place: parsing copies the file at most once, not each table, name or entry. No name is
//! made into text until something reads it: a verdict keeps `ObjectNames` (the file, shared, and where its
//! section headers are) and names sections and symbols only when a report asks.

pub mod consts;
mod parse;

use consts::*;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;
pub use smol_str::SmolStr;

pub use parse::{parse, parse_shared};

/// ELF class of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Class {
    /// ELFCLASS32
    Elf32,
    /// ELFCLASS64
    Elf64,
}

/// Why an object cannot be read at all (exit 125: cannot test). `object`'s errors are kept as sources;
/// serialized, each reason is its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ParseError {
    /// The bytes are not ELF, or the header is truncated or inconsistent.
    #[error("not a readable ELF file: {0}")]
    Header(
        #[source]
        #[serde(serialize_with = "as_text")]
        HeaderError,
    ),
    /// The section header table is malformed.
    #[error("bad section header table: {0}")]
    Sections(
        #[source]
        #[serde(serialize_with = "as_text")]
        object::read::Error,
    ),
    /// A section's contents lie outside the file.
    #[error(
        "section [{index}] {name}: contents (offset {offset:#x}, size {size:#x}) lie outside the {file_len}-byte file"
    )]
    SectionOutsideFile { index: usize, name: String, offset: u64, size: u64, file_len: usize },
    /// A symbol table is malformed.
    #[error("symbol table [{index}]: {reason}")]
    Symbols {
        index: usize,
        #[source]
        #[serde(serialize_with = "as_text")]
        reason: object::read::Error,
    },
    /// A relocation section is malformed.
    #[error("relocation section [{index}] {name}: {reason}")]
    Relocations {
        index: usize,
        name: String,
        #[source]
        #[serde(serialize_with = "as_text")]
        reason: object::read::Error,
    },
}

/// Why the ELF header cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("no ELF magic")]
    NoMagic,
    /// `e_ident[EI_CLASS]` is neither ELFCLASS32 nor ELFCLASS64.
    #[error("unknown ELF class {0}")]
    UnknownClass(u8),
    #[error("{0}")]
    Elf(#[from] object::read::Error),
}

/// A reason serialized as the text it displays (as when reasons were strings).
fn as_text<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One section header; `Object::data` has the bytes of ALLOC PROGBITS-like sections, `Object::name_of` its name.
#[derive(Debug, Clone)]
pub struct Section {
    pub index: usize,
    /// Where the name starts in the file, as a symbol's: `Object::name_of` gives it as text, `Object::name`
    /// and `name_is` read it in place.
    pub name: Name,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub addralign: u64,
    pub link: u32,
    pub info: u32,
    /// Where the contents are in the file (SHF_ALLOC sections that occupy file space; else empty).
    data: Range<usize>,
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

/// A symbol's or a section's name: where it starts in the file. `Object::name` reads it (up to the first NUL
/// inside its string table; no NUL, or an offset past the table, is the empty name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name(u32);

impl Name {
    /// The empty name: it starts past the end of any file it could name (offsets from 4 GiB on are empty).
    pub const EMPTY: Name = Name(u32::MAX);

    /// The name starting at file offset `at`.
    fn starting_at(at: usize) -> Name {
        u32::try_from(at).map_or(Name::EMPTY, Name)
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::EMPTY
    }
}

/// One symbol-table entry.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: Name,
    pub value: u64,
    pub size: u64,
    /// Section index, or a special SHN_* value (extended indices already resolved).
    pub shndx: u32,
    pub bind: u8,
    pub kind: u8,
}

/// The SHT_SYMTAB sections' symbols with their section indices, in section order. An object has one: it is
/// kept inline, any others after it.
#[derive(Debug, Clone, Default)]
pub struct SymbolTables {
    first: Option<(usize, Vec<Symbol>)>,
    /// The index of the first table's first STB_GLOBAL symbol (its length if none): lookups by name start
    /// there, since compilers put the locals first.
    first_global: usize,
    more: Vec<(usize, Vec<Symbol>)>,
}

type TablesIter<'a> =
    std::iter::Chain<std::option::Iter<'a, (usize, Vec<Symbol>)>, std::slice::Iter<'a, (usize, Vec<Symbol>)>>;

impl SymbolTables {
    pub(crate) fn push(&mut self, table: (usize, Vec<Symbol>)) {
        if self.first.is_none() {
            self.first_global = table.1.iter().position(|s| s.bind == STB_GLOBAL).unwrap_or(table.1.len());
            self.first = Some(table);
        } else {
            self.more.push(table);
        }
    }

    /// Each table: its section index and its symbols.
    pub fn iter(&self) -> TablesIter<'_> {
        self.first.iter().chain(&self.more)
    }
}

impl<'a> IntoIterator for &'a SymbolTables {
    type Item = &'a (usize, Vec<Symbol>);
    type IntoIter = TablesIter<'a>;
    fn into_iter(self) -> TablesIter<'a> {
        self.iter()
    }
}

/// One relocation entry (REL entries carry addend 0 here; their in-place addend is read at apply time).
///
/// Laid out as an `Elf64_Rela` is in a little-endian file on a little-endian host (`r_info`'s low half is the
/// type, its high half the symbol), so such entries are read in place (`Entries`).
#[derive(Debug, Clone, Copy, Serialize)]
#[repr(C)]
pub struct Reloc {
    pub offset: u64,
    pub r_type: u32,
    pub sym: u32,
    pub addend: i64,
}

// SAFETY: `repr(C)` with fields 8 + 4 + 4 + 8 bytes, so no padding; every bit pattern is a valid `Reloc`.
unsafe impl object::pod::Pod for Reloc {}
const _: () = assert!(std::mem::size_of::<Reloc>() == 24 && std::mem::align_of::<Reloc>() == 8);

/// A SHT_REL or SHT_RELA section.
#[derive(Debug, Clone)]
pub struct RelocSection {
    pub index: usize,
    pub name: SmolStr,
    pub is_rela: bool,
    /// `sh_info`: the section the entries patch.
    pub target: u32,
    /// `sh_link`: the symbol table.
    pub symtab: u32,
    /// Read with `Object::entries`; a verdict keeps them without copying them.
    pub entries: Entries,
}

/// A relocation section's entries. Where the file holds them as `Reloc` is laid out (little-endian ELF64
/// RELA on a little-endian host, at an 8-byte aligned offset) they are where they lie in the object's file,
/// and read from it (`Object::entries`): they hold no handle of their own on the file, so keeping them costs
/// no shared count. Any other entries are decoded once, when the object is parsed.
#[derive(Clone)]
pub struct Entries(EntriesRepr);

#[derive(Clone)]
enum EntriesRepr {
    InFile { start: usize, len: usize },
    Decoded(Arc<[Reloc]>),
}

impl Entries {
    pub(crate) fn in_file(start: usize, len: usize) -> Self {
        Entries(EntriesRepr::InFile { start, len })
    }

    pub(crate) fn decoded(entries: Arc<[Reloc]>) -> Self {
        Entries(EntriesRepr::Decoded(entries))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        match &self.0 {
            EntriesRepr::InFile { len, .. } => *len,
            EntriesRepr::Decoded(entries) => entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, those in place read from `file` (the object's).
    fn read<'a>(&'a self, file: &'a SharedFile) -> &'a [Reloc] {
        match &self.0 {
            // `in_file` is made only where the cast holds, so the empty slice is never what is read.
            EntriesRepr::InFile { start, len } => file
                .bytes()
                .get(*start..)
                .and_then(|rest| object::pod::slice_from_bytes(rest, *len).ok())
                .map_or(&[], |(entries, _)| entries),
            EntriesRepr::Decoded(entries) => entries,
        }
    }
}

impl std::fmt::Debug for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            EntriesRepr::InFile { start, len } => write!(f, "Entries({len} at {start:#x} in the file)"),
            EntriesRepr::Decoded(entries) => f.debug_list().entries(entries.iter()).finish(),
        }
    }
}

/// The object's file, held shared (`parse` copies it once; `parse_shared` takes the caller's): section
/// contents, names and (where laid out as `Reloc`) relocation entries are read from it in place, and a
/// verdict keeps it to make its symbols' names into text only when a report reads them.
#[derive(Clone)]
pub(crate) struct SharedFile(Arc<[u8]>);

impl std::fmt::Debug for SharedFile {
    /// Its size, not its bytes: a verdict that keeps the file prints as short as one that does not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedFile({} bytes)", self.0.len())
    }
}

impl SharedFile {
    fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes from where a name starts (`Name::EMPTY`: none).
    fn at_name(&self, name: Name) -> &[u8] {
        self.bytes().get(name.0 as usize..).unwrap_or(&[])
    }

    /// The bytes of a name, without its NUL (`Name::EMPTY`, or no NUL: empty). Parsing makes names only
    /// where their table has a NUL after them, so a name never runs past its table.
    fn name_bytes(&self, name: Name) -> &[u8] {
        let rest = self.at_name(name);
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(0)]
    }

    /// A name as an inline-or-shared string (invalid UTF-8 replaced).
    pub(crate) fn name(&self, name: Name) -> SmolStr {
        parse::lossy(self.name_bytes(name))
    }

    /// The name reads as "" (`Name::EMPTY`, or a NUL where it starts).
    fn is_empty(&self, name: Name) -> bool {
        self.at_name(name).first().is_none_or(|&b| b == 0)
    }

    /// Section `index`, named `name`, as messages name it: its name, or a placeholder naming the index.
    fn section_name(&self, name: Name, index: u32) -> SmolStr {
        if self.is_empty(name) {
            return smol_str::format_smolstr!("[{index}]");
        }
        self.name(name)
    }

    /// A symbol as messages name it: its name, or (the kernel's rule) its section's, `section_name(shndx)`.
    fn label(&self, name: Name, shndx: u32, section_name: impl FnOnce(u32) -> SmolStr) -> SmolStr {
        if !self.is_empty(name) {
            return self.name(name);
        }
        match shndx {
            SHN_ABS => SmolStr::new_static("*ABS*"),
            0 => SmolStr::new_static("*UND*"),
            i => section_name(i),
        }
    }
}

/// A parsed relocatable (or any) ELF object.
#[derive(Debug, Clone)]
pub struct Object {
    pub class: Class,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub shentsize: u16,
    pub sections: Vec<Section>,
    /// Symbol tables by section index (SHT_SYMTAB only).
    pub symtabs: SymbolTables,
    pub relocs: Vec<RelocSection>,
    /// The file: contents, names and entries are read from it in place.
    file: SharedFile,
    /// Where the section headers and their names are in the file, for `ObjectNames`.
    headers: Headers,
}

/// Where an object's section headers lie in its file, and the table their names are in: enough to name a
/// section by its index from the file alone (each header starts with its `sh_name`, in the file's byte
/// order, in ELF32 and ELF64 alike).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Headers {
    pub(crate) at: usize,
    pub(crate) entsize: usize,
    pub(crate) count: usize,
    pub(crate) big_endian: bool,
    pub(crate) names: parse::Names,
}

/// An object's section and symbol names, read from its file (shared, not copied) without the object: a
/// verdict keeps them, and makes a name into text only when a report reads it.
#[derive(Debug, Clone)]
pub struct ObjectNames {
    file: SharedFile,
    headers: Headers,
}

impl ObjectNames {
    /// Where section `index`'s name starts (`Name::EMPTY` past the table); the `Name` parsing gave it.
    pub fn section(&self, index: u32) -> Name {
        let h = &self.headers;
        let i = index as usize;
        if i >= h.count {
            return Name::EMPTY;
        }
        let word = h
            .entsize
            .checked_mul(i)
            .and_then(|o| o.checked_add(h.at))
            .and_then(|at| self.file.bytes().get(at..)?.first_chunk::<4>());
        let Some(&word) = word else { return Name::EMPTY };
        h.names.name(if h.big_endian { u32::from_be_bytes(word) } else { u32::from_le_bytes(word) })
    }

    /// Section `index`'s name as text (empty if it has none), as `Object::name_of` gives it.
    pub fn name_of(&self, index: u32) -> SmolStr {
        self.text(self.section(index))
    }

    /// Section `index`'s name, or a placeholder naming the index, as `Object::section_name` gives it.
    pub fn section_name(&self, index: u32) -> SmolStr {
        self.file.section_name(self.section(index), index)
    }

    /// A name as text (invalid UTF-8 replaced).
    pub fn text(&self, name: Name) -> SmolStr {
        self.file.name(name)
    }

    /// Entries of the object these names are of, read from its file.
    pub(crate) fn entries<'a>(&'a self, entries: &'a Entries) -> &'a [Reloc] {
        entries.read(&self.file)
    }

    /// How a symbol reads in messages, as `Object::symbol_label` reads it: its name, or by its section.
    pub fn label(&self, name: Name, shndx: u32) -> SmolStr {
        self.file.label(name, shndx, |i| self.section_name(i))
    }
}

impl Object {
    /// The bytes of `section` (empty unless it is ALLOC and occupies file space).
    pub fn data(&self, section: &Section) -> &[u8] {
        self.file.bytes().get(section.data.clone()).unwrap_or(&[])
    }

    /// The bytes of a name, without its NUL.
    pub fn name_bytes(&self, name: Name) -> &[u8] {
        self.file.name_bytes(name)
    }

    /// A name as text (invalid UTF-8 replaced, as `String::from_utf8_lossy` does).
    pub fn name(&self, name: Name) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name_bytes(name))
    }

    /// The name is exactly `text`, compared in place.
    pub fn name_is(&self, name: Name, text: &str) -> bool {
        // The NUL right after `text` first: most names fail there without comparing their bytes.
        let (t, at, file) = (text.as_bytes(), name.0 as usize, self.file.bytes());
        match file.get(at.saturating_add(t.len())) {
            Some(&b) => b == 0 && file[at..at + t.len()] == *t,
            None => name == Name::EMPTY && t.is_empty(),
        }
    }

    /// A name as an inline-or-shared string (invalid UTF-8 replaced).
    pub fn name_smol(&self, name: Name) -> SmolStr {
        self.file.name(name)
    }

    /// A relocation section's entries (`rs` is one of this object's).
    pub fn entries<'a>(&'a self, rs: &'a RelocSection) -> &'a [Reloc] {
        rs.entries.read(&self.file)
    }

    /// The object's names, readable without it (the file shared, not copied): a verdict keeps them.
    pub fn names(&self) -> ObjectNames {
        ObjectNames { file: self.file.clone(), headers: self.headers }
    }

    /// A symbol's name as text.
    pub fn symbol_name(&self, sym: &Symbol) -> Cow<'_, str> {
        self.name(sym.name)
    }

    /// The symbols of the SHT_SYMTAB at section index `index`.
    pub fn symtab(&self, index: u32) -> Option<&[Symbol]> {
        self.symtabs.iter().find(|(i, _)| *i == index as usize).map(|(_, s)| s.as_slice())
    }

    /// A global symbol by name from any symbol table (the kernel's lookup rule: STB_GLOBAL only).
    pub fn global_symbol(&self, name: &str) -> Option<&Symbol> {
        // Plain loops: `flat_map` + `find` cost a tenth more, and every load asks a few times.
        let first = self.symtabs.first.iter().map(|(_, syms)| &syms[self.symtabs.first_global..]);
        for syms in first.chain(self.symtabs.more.iter().map(|(_, syms)| &syms[..])) {
            for s in syms {
                if s.bind == STB_GLOBAL && self.name_is(s.name, name) {
                    return Some(s);
                }
            }
        }
        None
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
        self.file.section_name(self.sections.get(index as usize).map_or(Name::EMPTY, |s| s.name), index)
    }

    /// A section's name as text (empty if it has none).
    pub fn name_of(&self, section: &Section) -> SmolStr {
        self.name_smol(section.name)
    }

    /// The symbol has a name of its own (its label is that name, `name_smol(sym.name)`).
    pub fn is_named(&self, sym: &Symbol) -> bool {
        !self.name_is_empty(sym.name)
    }

    /// The name reads as "" (`Name::EMPTY`, or a NUL where it starts).
    pub fn name_is_empty(&self, name: Name) -> bool {
        self.file.is_empty(name)
    }

    /// How a relocation's symbol reads in messages: its name, or its section's name (the kernel's rule).
    pub fn symbol_label(&self, sym: &Symbol) -> SmolStr {
        self.file.label(sym.name, sym.shndx, |i| self.section_name(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object whose one symbol table names `alpha`, `beta` and `gamma` (globals, as `object` writes them).
    fn three_globals() -> Object {
        use object::write::{Object as Writer, Symbol as WSym, SymbolSection};
        use object::{Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope};
        let mut w = Writer::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = w.add_section(vec![], b".text".to_vec(), SectionKind::Text);
        w.append_section_data(text, &[0x90; 16], 16);
        for (value, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
            let name = name.as_bytes().to_vec();
            let (kind, scope, weak, flags) = (SymbolKind::Text, SymbolScope::Linkage, false, SymbolFlags::None);
            let section = SymbolSection::Section(text);
            w.add_symbol(WSym { name, value: value as u64, size: 0, kind, scope, weak, section, flags });
        }
        parse(&w.write().expect("object")).expect("parses")
    }

    /// Lookups by name start at the first table's first global: a global after it, among locals, is still
    /// found, and a later table is read whole.
    #[test]
    fn lookups_by_name_skip_only_the_leading_locals() {
        let mut obj = three_globals();
        let all: Vec<Symbol> = obj.symtabs.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
        let named = |n: &str| all.iter().find(|s| obj.name_is(s.name, n)).expect(n).clone();
        let (alpha, beta, gamma) = (named("alpha"), named("beta"), named("gamma"));
        let local = |s: &Symbol| Symbol { bind: STB_LOCAL, value: s.value + 100, ..s.clone() };
        let mut tables = SymbolTables::default();
        tables.push((1, vec![local(&alpha), local(&gamma), beta.clone(), local(&beta), alpha.clone()]));
        tables.push((2, vec![gamma.clone(), local(&gamma)]));
        assert_eq!(tables.first_global, 2);
        obj.symtabs = tables;
        let found = |obj: &Object, names: &[&str]| -> Vec<_> {
            names.iter().map(|n| obj.global_symbol(n).map(|s| s.value)).collect()
        };
        let want = vec![Some(alpha.value), Some(beta.value), Some(gamma.value), None];
        assert_eq!(found(&obj, &["alpha", "beta", "gamma", "delta"]), want);
        // A first table of locals only: every lookup reads on into the next.
        let mut tables = SymbolTables::default();
        tables.push((1, vec![local(&alpha), local(&beta)]));
        tables.push((2, vec![local(&gamma), beta.clone()]));
        assert_eq!(tables.first_global, 2);
        obj.symtabs = tables;
        assert_eq!(found(&obj, &["alpha", "beta", "gamma"]), vec![None, Some(beta.value), None]);
    }

    #[test]
    fn parse_errors_keep_objects_error_and_serialize_as_before() {
        let e = parse(b"").unwrap_err();
        assert_eq!(e, ParseError::Header(HeaderError::NoMagic));
        assert_eq!(e.to_string(), "not a readable ELF file: no ELF magic");
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::json!({ "Header": "no ELF magic" }));
        assert_eq!(parse(b"\x7fELF\x07").unwrap_err().to_string(), "not a readable ELF file: unknown ELF class 7");
        let truncated = parse(b"\x7fELF\x02\x01\x01").unwrap_err();
        let ParseError::Header(HeaderError::Elf(inner)) = truncated else { panic!("{truncated:?}") };
        assert!(std::error::Error::source(&truncated).is_some(), "object's error is kept");
        assert_eq!(serde_json::to_value(&truncated).unwrap(), serde_json::json!({ "Header": inner.to_string() }));
    }
}
