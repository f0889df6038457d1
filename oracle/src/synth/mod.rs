//! Synthetic relocatable objects from structured fuzz input: random sections, symbols and relocations
//! written as ELF64, then header quirks and raw byte mutations.

mod elf64;

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
    /// Writes the object: the sections (`.s0`…), a `.rela` section for each one relocated, then the symbol,
    /// string and section-name tables and the section headers; then the header quirks and raw mutations.
    /// Never panics; returns an empty vector when there is no section.
    pub fn build(&self) -> Vec<u8> {
        use elf64::{Header, Out, Strings};
        use object::elf;

        let sections: Vec<Written> = self.sections.iter().take(8).map(Written::of).collect();
        if sections.is_empty() {
            return Vec::new();
        }
        let n = sections.len();
        let symbols = &self.symbols[..self.symbols.len().min(16)];
        // Relocations of each section, in input order (none in NOBITS sections).
        let mut relocs: Vec<Vec<(u64, Target, u32, i64)>> = (0..n).map(|_| Vec::new()).collect();
        let mut section_symbol = [false; 8];
        for r in self.relocs.iter().take(64) {
            let at = r.section as usize % n;
            if sections[at].is_bss() {
                continue;
            }
            let target = match r.symbol as usize {
                i if i < symbols.len() => Target::Symbol(i),
                i => Target::Section(i % n),
            };
            if let Target::Section(s) = target {
                section_symbol[s] = true;
            }
            let r_type = TYPES.get(r.r_type as usize % 16).copied().unwrap_or(u32::from(r.r_type));
            relocs[at].push((u64::from(r.offset % 1024), target, r_type, i64::from(r.addend)));
        }

        // Section indices: the null one, the described sections (1..=n), a `.rela` for each one relocated,
        // then `.symtab`, `.strtab` and `.shstrtab`.
        let symtab = 1 + n as u32 + relocs.iter().filter(|r| !r.is_empty()).count() as u32;
        let (strtab, shstrtab) = (symtab + 1, symtab + 2);
        let mut shstr = Strings::new();
        let names: Vec<(u32, u32)> = (0..n).map(|i| shstr.add_section(i, !relocs[i].is_empty())).collect();
        let (symtab_name, strtab_name, shstrtab_name) =
            (shstr.add(b".symtab"), shstr.add(b".strtab"), shstr.add(b".shstrtab"));
        let mut str = Strings::new();
        let symbol_names: Vec<u32> = (0..symbols.len()).map(|i| str.add(elf64::SYMBOL_NAMES[i])).collect();

        // Symbols: the null one, section symbols and local ones, then the global ones.
        let local = |t| elf::SymbolInfo::new(elf::STB_LOCAL, t);
        let mut syms = Vec::with_capacity(1 + n + symbols.len());
        syms.push(elf64::symbol(0, local(elf::STT_NOTYPE), elf::SymbolOther(0), 0, 0, 0));
        let mut section_sym = [0u32; 8];
        for s in (0..n).filter(|&s| section_symbol[s]) {
            section_sym[s] = syms.len() as u32;
            syms.push(elf64::symbol(0, local(elf::STT_SECTION), elf::SymbolOther(0), 1 + s as u16, 0, 0));
        }
        let mut sym_index = [0u32; 16];
        for global in [false, true] {
            for (i, s) in symbols.iter().enumerate().filter(|(_, s)| s.global == global) {
                let shndx = match s.section {
                    250 => elf::SHN_ABS.0,
                    251 => elf::SHN_UNDEF.0,
                    252 => elf::SHN_COMMON.0,
                    at => 1 + (at as usize % n) as u16,
                };
                let (info, other) = if global {
                    (elf::SymbolInfo::new(elf::STB_GLOBAL, elf::STT_OBJECT), elf::STV_HIDDEN.into())
                } else {
                    (local(elf::STT_OBJECT), elf::STV_DEFAULT.into())
                };
                sym_index[i] = syms.len() as u32;
                syms.push(elf64::symbol(symbol_names[i], info, other, shndx, u64::from(s.value), 8));
            }
        }
        let num_local =
            1 + section_symbol.iter().filter(|&&w| w).count() + symbols.iter().filter(|s| !s.global).count();

        // Contents, in file order.
        let mut out = Out::new(4096);
        let offsets: Vec<u64> = sections
            .iter()
            .map(|s| {
                if s.is_bss() {
                    return out.len();
                }
                let at = out.align(s.file_align);
                out.0.extend_from_slice(&FILL[..s.size as usize]);
                at
            })
            .collect();
        let mut rela_offsets = [0u64; 8];
        for (i, r) in relocs.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            rela_offsets[i] = out.align(8);
            for &(r_offset, target, r_type, r_addend) in r {
                let r_sym = match target {
                    Target::Symbol(i) => sym_index[i],
                    Target::Section(s) => section_sym[s],
                };
                out.put(&elf64::rela(r_offset, r_sym, r_type, r_addend));
            }
        }
        let symtab_offset = out.align(8);
        syms.iter().for_each(|s| out.put(s));
        let strtab_offset = out.len();
        out.0.extend_from_slice(&str.0);
        let shstrtab_offset = out.len();
        out.0.extend_from_slice(&shstr.0);

        // Section headers.
        let e_shoff = out.align(8);
        let table = |name, sh_type, offset, size: usize, link, info, entsize| Header {
            name,
            sh_type,
            flags: elf::SectionFlags(0),
            offset,
            size: size as u64,
            link,
            info,
            addralign: if entsize == 0 { 1 } else { 8 },
            entsize,
        };
        out.null_section_header();
        for (i, s) in sections.iter().enumerate() {
            let (sh_type, flags) = s.sh_type_and_flags();
            let h = Header {
                flags,
                size: s.size,
                addralign: s.header_align,
                ..table(names[i].0, sh_type, offsets[i], 0, 0, 0, 0)
            };
            out.put(&h.encode());
        }
        for (i, r) in relocs.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            let size = r.len() * elf64::RELA_SIZE as usize;
            let h = table(names[i].1, elf::SHT_RELA, rela_offsets[i], size, symtab, 1 + i as u32, elf64::RELA_SIZE);
            out.put(&Header { flags: elf::SHF_INFO_LINK, ..h }.encode());
        }
        let size = syms.len() * elf64::SYM_SIZE as usize;
        out.put(
            &table(symtab_name, elf::SHT_SYMTAB, symtab_offset, size, strtab, num_local as u32, elf64::SYM_SIZE)
                .encode(),
        );
        out.put(&table(strtab_name, elf::SHT_STRTAB, strtab_offset, str.0.len(), 0, 0, 0).encode());
        out.put(&table(shstrtab_name, elf::SHT_STRTAB, shstrtab_offset, shstr.0.len(), 0, 0, 0).encode());
        out.patch_header(&elf64::file_header(u64::from(self.entry), e_shoff, shstrtab as u16 + 1, shstrtab as u16));

        let mut out = out.0;
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
