//! Synthetic relocatable objects from structured fuzz input: random sections, symbols and relocations
//! written with `object::write`, then header quirks and raw byte mutations it cannot express.

use arbitrary::Arbitrary;
use object::write::{Object as WObject, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

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

impl SynthObject {
    /// Writes the object. Never panics; returns an empty vector if `object::write` refuses the description.
    pub fn build(&self) -> Vec<u8> {
        let mut w = WObject::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let mut ids: Vec<SectionId> = Vec::new();
        let mut bss = Vec::new();
        let mut raw_aligns = Vec::new();
        for (i, s) in self.sections.iter().take(8).enumerate() {
            let kind = match s.kind % 5 {
                0 => SectionKind::Text,
                1 => SectionKind::Data,
                2 => SectionKind::ReadOnlyData,
                3 => SectionKind::UninitializedData,
                _ => SectionKind::Other,
            };
            let id = w.add_section(Vec::new(), format!(".s{i}").into_bytes(), kind);
            let size = u64::from(s.size % 1024);
            let align = match s.align_log {
                250 => Some(0),
                251 => Some(3),
                252 => Some(24),
                253 => Some(1 << 20),
                _ => None,
            };
            let written_align = 1u64 << (s.align_log % 8);
            if kind == SectionKind::UninitializedData {
                w.append_section_bss(id, size, written_align);
            } else {
                w.append_section_data(id, &vec![0xa5; size as usize], written_align);
            }
            if let Some(a) = align {
                raw_aligns.push((i, a));
            }
            ids.push(id);
            bss.push(kind == SectionKind::UninitializedData);
        }
        if ids.is_empty() {
            return Vec::new();
        }
        let syms: Vec<SymbolId> =
            self.symbols.iter().take(16).enumerate().map(|(i, s)| add_symbol(&mut w, &ids, s, i)).collect();
        for r in self.relocs.iter().take(64) {
            let at = r.section as usize % ids.len();
            if bss[at] {
                continue;
            }
            let section = ids[at];
            let symbol = match syms.get(r.symbol as usize) {
                Some(s) => *s,
                None => w.section_symbol(ids[r.symbol as usize % ids.len()]),
            };
            let r_type = TYPES.get(r.r_type as usize % 16).copied().unwrap_or(u32::from(r.r_type));
            let reloc = Relocation {
                offset: u64::from(r.offset % 1024),
                symbol,
                addend: i64::from(r.addend),
                flags: RelocationFlags::Elf { r_type: object::elf::RelocationType(r_type) },
            };
            if w.add_relocation(section, reloc).is_err() {
                return Vec::new();
            }
        }
        let Ok(mut bytes) = w.write() else { return Vec::new() };
        bytes[24..32].copy_from_slice(&u64::from(self.entry).to_le_bytes());
        patch_aligns(&mut bytes, &raw_aligns);
        for &(at, v) in self.mutations.iter().take(8) {
            let len = bytes.len().max(1);
            if let Some(b) = bytes.get_mut(at as usize % len) {
                *b = v;
            }
        }
        bytes
    }
}

fn add_symbol(w: &mut WObject<'_>, ids: &[SectionId], s: &SynthSymbol, i: usize) -> SymbolId {
    let section = match s.section {
        250 => SymbolSection::Absolute,
        251 => SymbolSection::Undefined,
        252 => SymbolSection::Common,
        n => SymbolSection::Section(ids[n as usize % ids.len()]),
    };
    w.add_symbol(Symbol {
        name: format!("sym{i}").into_bytes(),
        value: u64::from(s.value),
        size: 8,
        kind: SymbolKind::Data,
        scope: if s.global { SymbolScope::Linkage } else { SymbolScope::Compilation },
        weak: false,
        section,
        flags: SymbolFlags::None,
    })
}

/// Overwrites sh_addralign of the sections named `.s{i}` (object::write only writes powers of two).
fn patch_aligns(bytes: &mut [u8], aligns: &[(usize, u64)]) {
    use object::read::elf::FileHeader;
    if aligns.is_empty() {
        return;
    }
    // Only the section names are needed: read the header table, not the whole object.
    let endian = object::LittleEndian;
    let Ok(header) = object::elf::FileHeader64::<object::LittleEndian>::parse(&*bytes) else { return };
    let Ok(table) = header.sections(endian, &*bytes) else { return };
    let names: Vec<Vec<u8>> =
        table.iter().map(|sh| table.section_name(endian, sh).map(<[u8]>::to_vec).unwrap_or_default()).collect();
    let Some(shoff) = bytes.get(40..48).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes) else { return };
    for &(i, a) in aligns {
        let name = format!(".s{i}");
        if let Some(index) = names.iter().position(|n| n == name.as_bytes()) {
            let at = shoff as usize + index * 64 + 48;
            if let Some(field) = bytes.get_mut(at..at + 8) {
                field.copy_from_slice(&a.to_le_bytes());
            }
        }
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
