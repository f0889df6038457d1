//! Synthetic relocatable objects from structured fuzz input: random sections, symbols and relocations
//! written with `object`'s ELF writer, then header quirks and raw byte mutations it cannot express.

use arbitrary::Arbitrary;

/// A description of a relocatable object, derived from fuzz bytes.
#[derive(Debug, Clone, Arbitrary)]
pub struct SynthObject {
    pub sections: Vec<SynthSection>,
    pub symbols: Vec<SynthSymbol>,
    pub relocs: Vec<SynthReloc>,
    pub entry: u16,
    /// Which profile of `profile::catalogue()` the fuzz target exercises for this input.
    pub profile: u8,
    /// (byte position, value) pairs applied to the written file.
    pub mutations: Vec<(u16, u8)>,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct SynthSection {
    /// 0 text, 1 data, 2 read-only data, 3 bss, 4 non-ALLOC.
    pub kind: u8,
    pub size: u16,
    /// log2 of the alignment; 250..=255 pick quirky raw values instead (0, 3, 24, 2^20).
    pub align_log: u8,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct SynthSymbol {
    /// Index into `sections`; 250 ABS, 251 UNDEF, 252 COMMON.
    pub section: u8,
    pub value: u16,
    pub global: bool,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct SynthReloc {
    pub section: u8,
    pub offset: u16,
    /// Index into symbols; beyond them, a section symbol.
    pub symbol: u8,
    pub r_type: u8,
    pub addend: i32,
}

const TYPES: [u32; 12] = [0, 1, 2, 4, 10, 11, 24, 9, 41, 42, 12, 14];

const SECTION_NAMES: [&[u8]; 8] = [b".s0", b".s1", b".s2", b".s3", b".s4", b".s5", b".s6", b".s7"];
const RELA_NAMES: [&[u8]; 8] =
    [b".rela.s0", b".rela.s1", b".rela.s2", b".rela.s3", b".rela.s4", b".rela.s5", b".rela.s6", b".rela.s7"];
const SYMBOL_NAMES: [&[u8]; 16] = [
    b"sym0", b"sym1", b"sym2", b"sym3", b"sym4", b"sym5", b"sym6", b"sym7", b"sym8", b"sym9", b"sym10", b"sym11",
    b"sym12", b"sym13", b"sym14", b"sym15",
];
/// Every section's contents (sizes are below 1024).
static FILL: [u8; 1024] = [0xa5; 1024];

/// One section as written: its kind, size and the alignment its header says.
struct Written {
    kind: u8,
    size: u64,
    /// The power of two its file offset is aligned to.
    file_align: u64,
    /// `sh_addralign`: the power of two, or one of the quirky raw values.
    header_align: u64,
}

impl Written {
    fn of(s: &SynthSection) -> Written {
        let file_align = 1u64 << (s.align_log % 8);
        let header_align = match s.align_log {
            250 => 0,
            251 => 3,
            252 => 24,
            253 => 1 << 20,
            _ => file_align,
        };
        Written { kind: s.kind % 5, size: u64::from(s.size % 1024), file_align, header_align }
    }

    fn is_bss(&self) -> bool {
        self.kind == 3
    }

    fn sh_type_and_flags(&self) -> (object::elf::SectionType, object::elf::SectionFlags) {
        use object::elf::{SectionFlags, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS};
        match self.kind {
            0 => (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
            1 => (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
            2 => (SHT_PROGBITS, SHF_ALLOC),
            3 => (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
            _ => (SHT_PROGBITS, SectionFlags(0)),
        }
    }
}

/// What a relocation refers to: a described symbol, or a section's STT_SECTION symbol.
#[derive(Clone, Copy)]
enum Target {
    Symbol(usize),
    Section(usize),
}

impl SynthObject {
    /// Writes the object with `object`'s ELF writer: the sections (`.s0`…), a `.rela` section for each
    /// one relocated, then the symbol, string and section-name tables; then the header quirks and raw
    /// mutations. Never panics; returns an empty vector when there is no section.
    pub fn build(&self) -> Vec<u8> {
        use object::elf;
        use object::write::elf::{FileHeader, Rel, SectionHeader, SectionIndex, Sym, SymbolIndex, Writer};

        let sections: Vec<Written> = self.sections.iter().take(8).map(Written::of).collect();
        if sections.is_empty() {
            return Vec::new();
        }
        let symbols = &self.symbols[..self.symbols.len().min(16)];
        // Relocations of each section, in input order (none in NOBITS sections).
        let mut relocs: Vec<Vec<(u64, Target, u32, i64)>> = (0..sections.len()).map(|_| Vec::new()).collect();
        let mut section_symbol = [false; 8];
        for r in self.relocs.iter().take(64) {
            let at = r.section as usize % sections.len();
            if sections[at].is_bss() {
                continue;
            }
            let target = match r.symbol as usize {
                i if i < symbols.len() => Target::Symbol(i),
                i => Target::Section(i % sections.len()),
            };
            if let Target::Section(s) = target {
                section_symbol[s] = true;
            }
            let r_type = TYPES.get(r.r_type as usize % 16).copied().unwrap_or(u32::from(r.r_type));
            relocs[at].push((u64::from(r.offset % 1024), target, r_type, i64::from(r.addend)));
        }

        let mut out = Vec::new();
        let mut w = Writer::new(object::Endianness::Little, true, &mut out);
        w.reserve_file_header();
        // Section indices and names.
        w.reserve_null_section_index();
        let index: Vec<SectionIndex> = sections.iter().map(|_| w.reserve_section_index()).collect();
        let names: Vec<_> = (0..sections.len()).map(|i| w.add_section_name(SECTION_NAMES[i])).collect();
        let rela: Vec<Option<(SectionIndex, object::write::StringId)>> = relocs
            .iter()
            .enumerate()
            .map(|(i, r)| (!r.is_empty()).then(|| (w.reserve_section_index(), w.add_section_name(RELA_NAMES[i]))))
            .collect();
        let symtab = w.reserve_symtab_section_index();
        w.reserve_strtab_section_index();
        w.reserve_shstrtab_section_index();

        // Symbols: the null one, section symbols and local ones, then the global ones.
        let symbol_section = |s: &SynthSymbol| match s.section {
            250 => Err(elf::SHN_ABS),
            251 => Err(elf::SHN_UNDEF),
            252 => Err(elf::SHN_COMMON),
            n => Ok(index[n as usize % sections.len()]),
        };
        w.reserve_null_symbol_index();
        let mut section_sym: [Option<SymbolIndex>; 8] = [None; 8];
        for (s, wanted) in section_symbol.iter().enumerate().take(sections.len()) {
            if *wanted {
                section_sym[s] = Some(w.reserve_symbol_index(Some(index[s])));
            }
        }
        // ELF puts the local symbols first: the described ones in the order they are reserved and written.
        let (locals, globals): (Vec<usize>, Vec<usize>) = (0..symbols.len()).partition(|&i| !symbols[i].global);
        let order: Vec<usize> = locals.into_iter().chain(globals).collect();
        let mut sym_index = vec![SymbolIndex(0); symbols.len()];
        for &i in &order {
            sym_index[i] = w.reserve_symbol_index(symbol_section(&symbols[i]).ok());
        }
        let sym_name: Vec<_> = (0..symbols.len()).map(|i| w.add_string(SYMBOL_NAMES[i])).collect();
        let num_local =
            1 + section_sym.iter().flatten().count() as u32 + symbols.iter().filter(|s| !s.global).count() as u32;

        // File layout.
        let offsets: Vec<u64> = sections
            .iter()
            .map(|s| if s.is_bss() { w.reserved_len() } else { w.reserve(s.size, s.file_align) })
            .collect();
        let rela_offsets: Vec<u64> =
            relocs.iter().map(|r| if r.is_empty() { 0 } else { w.reserve_relocations(r.len(), true) }).collect();
        w.reserve_symtab();
        if w.reserve_strtab().is_err() || w.reserve_shstrtab().is_err() {
            return Vec::new();
        }
        w.reserve_section_headers();

        // Contents.
        let header = FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_REL,
            e_machine: elf::EM_X86_64,
            e_entry: u64::from(self.entry),
            e_flags: elf::FileFlags(0),
        };
        if w.write_file_header(&header).is_err() {
            return Vec::new();
        }
        for s in sections.iter().filter(|s| !s.is_bss()) {
            w.write_align(s.file_align);
            w.write(&FILL[..s.size as usize]);
        }
        for r in relocs.iter().filter(|r| !r.is_empty()) {
            w.write_align_relocation();
            for &(r_offset, target, r_type, r_addend) in r {
                let r_sym = match target {
                    Target::Symbol(i) => sym_index[i].0,
                    Target::Section(s) => section_sym[s].map_or(0, |i| i.0),
                };
                w.write_relocation(true, &Rel { r_offset, r_sym, r_type: elf::RelocationType(r_type), r_addend });
            }
        }
        w.write_null_symbol();
        for (s, sym) in section_sym.iter().enumerate() {
            if sym.is_some() {
                w.write_symbol(&Sym {
                    section: Some(index[s].0),
                    st_name: 0,
                    st_info: elf::SymbolInfo::new(elf::STB_LOCAL, elf::STT_SECTION),
                    st_other: elf::SymbolOther(0),
                    st_shndx: elf::SymbolSection(0),
                    st_value: 0,
                    st_size: 0,
                });
            }
        }
        for &i in &order {
            let s = &symbols[i];
            let (section, st_shndx) = match symbol_section(s) {
                Ok(at) => (Some(at.0), elf::SymbolSection(0)),
                Err(special) => (None, special),
            };
            let (bind, other) =
                if s.global { (elf::STB_GLOBAL, elf::STV_HIDDEN) } else { (elf::STB_LOCAL, elf::STV_DEFAULT) };
            w.write_symbol(&Sym {
                section,
                st_name: w.string_offset(Some(sym_name[i])),
                st_info: elf::SymbolInfo::new(bind, elf::STT_OBJECT),
                st_other: other.into(),
                st_shndx,
                st_value: u64::from(s.value),
                st_size: 8,
            });
        }
        w.write_strtab();
        w.write_shstrtab();
        w.write_null_section_header();
        for (i, s) in sections.iter().enumerate() {
            let (sh_type, sh_flags) = s.sh_type_and_flags();
            w.write_section_header(&SectionHeader {
                sh_name: w.section_name_offset(Some(names[i])),
                sh_type,
                sh_flags,
                sh_addr: 0,
                sh_offset: offsets[i],
                sh_size: s.size,
                sh_link: 0,
                sh_info: 0,
                sh_addralign: s.header_align,
                sh_entsize: 0,
            });
        }
        for (i, r) in relocs.iter().enumerate() {
            if let Some((_, name)) = rela[i] {
                w.write_relocation_section_header(name, index[i], symtab, rela_offsets[i], r.len(), true);
            }
        }
        w.write_symtab_section_header(num_local);
        w.write_strtab_section_header();
        w.write_shstrtab_section_header();
        drop(w);
        for &(at, v) in self.mutations.iter().take(8) {
            let len = out.len().max(1);
            if let Some(b) = out.get_mut(at as usize % len) {
                *b = v;
            }
        }
        out
    }
}

/// Synthetic reproductions of known bugs whose compilers cannot be had here.
pub mod known {
    use object::write::{Object as WObject, Relocation, Symbol, SymbolSection};
    use object::{
        Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
    };

    fn global(
        w: &mut WObject<'_>,
        name: &str,
        section: object::write::SectionId,
        value: u64,
        size: u64,
        kind: SymbolKind,
    ) {
        w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size,
            kind,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(section),
            flags: SymbolFlags::None,
        });
    }

    /// LLVM 18.1.0–18.1.4 under `-mcmodel=large`: `.text`, `.ltext`, and an R_X86_64_32 from `.ltext` to
    /// `.kexec-purgatory+0x860` (fixed in 18.1.5; zig 0.13 ships 18.1.6). At 0x13fffb000 the kernel says
    /// "Overflow in relocation type 10 value 0x13fffc760".
    pub fn llvm18_r32_large() -> Vec<u8> {
        let mut w = WObject::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = w.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
        w.append_section_data(text, &[0x90; 0x700], 16);
        let ltext = w.add_section(Vec::new(), b".ltext".to_vec(), SectionKind::Text);
        w.append_section_data(ltext, &[0x90; 0x800], 16);
        let kp = w.add_section(Vec::new(), b".kexec-purgatory".to_vec(), SectionKind::Data);
        w.append_section_data(kp, &[0; 0x900], 8);
        global(&mut w, "purgatory_start", text, 0, 0x10, SymbolKind::Text);
        global(&mut w, "purgatory_sha_regions", kp, 0, 256, SymbolKind::Data);
        global(&mut w, "purgatory_sha256_digest", kp, 0x100, 32, SymbolKind::Data);
        let sym = w.section_symbol(kp);
        let r = Relocation {
            offset: 0x24,
            symbol: sym,
            addend: 0x860,
            flags: RelocationFlags::Elf { r_type: object::elf::R_X86_64_32 },
        };
        let _ = w.add_relocation(ltext, r);
        w.write().unwrap_or_default()
    }

    /// An i386 purgatory of `text + 0x1800` bytes with R_386_32 relocations, like kexec-tools' own.
    pub fn i386_purgatory(text: usize) -> Vec<u8> {
        let mut w = WObject::new(BinaryFormat::Elf, Architecture::I386, Endianness::Little);
        let t = w.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
        w.append_section_data(t, &vec![0x90; text], 16);
        let d = w.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
        w.append_section_data(d, &[0; 0x1800], 8);
        global(&mut w, "purgatory_start", t, 0, 0x10, SymbolKind::Text);
        let sym = w.section_symbol(d);
        for i in 0..16u64 {
            let r = Relocation {
                offset: 0x100 + i * 8,
                symbol: sym,
                addend: 0,
                flags: RelocationFlags::Elf { r_type: object::elf::R_386_32 },
            };
            let _ = w.add_relocation(t, r);
        }
        w.write().unwrap_or_default()
    }

    /// An ARM zImage of exactly `len` bytes whose real gzip payload decompresses to `size` bytes.
    pub fn zimage(size: usize, len: usize) -> Vec<u8> {
        use std::io::Write;
        let mut z = vec![0u8; 0x40];
        z[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
        z[0x2c..0x30].copy_from_slice(&(len as u32).to_le_bytes());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let _ = gz.write_all(&payload);
        z.extend(gz.finish().unwrap_or_default());
        z.resize(len.max(z.len()), 0);
        z
    }
}
