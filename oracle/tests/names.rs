//! Section and symbol names read by the parser are the names `object`'s string tables give (the parser reads
//! them itself, without `memchr`), on synthetic objects with random bytes overwritten: names cut short,
//! offsets past the table, a bad `e_shstrndx`, a string table of the wrong type.

use arbitrary::{Arbitrary, Unstructured};
use kreloc_oracle::synth::SynthObject;
use object::read::elf::{FileHeader, SectionHeader, Sym};

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every section name and every symbol name, as `object` reads them (unreadable: empty).
fn names_by_object(bytes: &[u8]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let header = object::elf::FileHeader64::<object::LittleEndian>::parse(bytes).ok()?;
    let endian = header.endian().ok()?;
    let table = header.sections(endian, bytes).ok()?;
    let sections = table.iter().map(|sh| table.section_name(endian, sh).map(lossy).unwrap_or_default()).collect();
    let mut symbols = Vec::new();
    for (index, sh) in table.iter().enumerate() {
        if sh.sh_type(endian) != object::elf::SHT_SYMTAB {
            continue;
        }
        let symtab =
            object::read::elf::SymbolTable::parse(endian, bytes, &table, object::SectionIndex(index), sh).ok()?;
        let strings = symtab.strings();
        symbols.push(symtab.iter().map(|s| s.name(endian, strings).map(lossy).unwrap_or_default()).collect());
    }
    Some((sections, symbols))
}

#[test]
fn names_match_objects_string_tables_under_corruption() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut compared, mut odd) = (0, 0);
    for _ in 0..4000 {
        let seed: Vec<u8> = (0..512).map(|_| (next() >> 24) as u8).collect();
        let Ok(desc) = SynthObject::arbitrary(&mut Unstructured::new(&seed)) else { continue };
        let mut bytes = desc.build();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..(next() % 24) {
            let at = (next() as usize) % bytes.len();
            bytes[at] = (next() >> 32) as u8;
        }
        let Ok(obj) = kreloc_oracle::parse(&bytes) else { continue };
        let (sections, symbols) = names_by_object(&bytes).expect("object reads what the parser read");
        let ours: Vec<String> = obj.sections.iter().map(|s| obj.name_of(s).to_string()).collect();
        assert_eq!(ours, sections, "section names");
        // A verdict names sections from the file without the object (`ObjectNames` reads the headers again).
        let kept = obj.names();
        for i in 0..=obj.sections.len() as u32 {
            assert_eq!(kept.section_name(i), obj.section_name(i), "section [{i}] as messages name it");
        }
        let kept_names: Vec<String> = (0..obj.sections.len() as u32).map(|i| kept.name_of(i).to_string()).collect();
        assert_eq!(kept_names, sections, "section names read without the object");
        let ours: Vec<Vec<String>> = obj
            .symtabs
            .iter()
            .map(|(_, syms)| syms.iter().map(|s| obj.symbol_name(s).into_owned()).collect())
            .collect();
        assert_eq!(ours, symbols, "symbol names");
        compared += 1;
        odd += usize::from(sections.iter().any(|n| n.is_empty() || !n.starts_with('.')));
    }
    assert!(compared > 500, "only {compared} objects compared");
    assert!(odd > 20, "only {odd} objects with damaged section names");
}

/// Each relocation result names the section it patches and the symbol it refers to as the object says for
/// that entry (the verdict keeps each name once and joins it back in): every relocation section's results
/// are its entries in order, on synthetic objects with several relocation sections and random damage.
#[test]
fn relocation_results_name_their_entrys_section_and_symbol() {
    let profiles: Vec<_> = ["linux-x86_64", "kexec-tools-x86_64", "strict-x86_64"]
        .iter()
        .map(|p| kreloc_oracle::profile::parse(p).unwrap())
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut checked, mut multi) = (0usize, 0usize);
    for round in 0..12000 {
        let seed: Vec<u8> = (0..768).map(|_| (next() >> 24) as u8).collect();
        let Ok(desc) = SynthObject::arbitrary(&mut Unstructured::new(&seed)) else { continue };
        let mut bytes = desc.build();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % bytes.len();
            bytes[at] = (next() >> 32) as u8;
        }
        let Ok(obj) = kreloc_oracle::parse(&bytes) else { continue };
        let v = kreloc_oracle::load(&obj, &*profiles[round % profiles.len()], 0x1_3fff_b000);
        for p in &v.sections {
            assert_eq!(v.placed_name(p), obj.name_of(&obj.sections[p.index]), "placed section [{}]", p.index);
        }
        let mut sections_seen = Vec::new();
        let mut results = v.relocations.iter().peekable();
        while let Some(first) = results.peek() {
            let rs = obj.relocs.iter().find(|rs| rs.index == first.reloc_section).expect("a relocation section");
            sections_seen.push(rs.index);
            let symbols = obj.symtab(rs.symtab).unwrap_or(&[]);
            for e in obj.entries(rs) {
                let r = results.next().expect("every entry of the section has a result");
                assert_eq!(r.reloc_section, rs.index);
                assert_eq!((r.offset, r.r_type, r.addend), (e.offset, e.r_type, e.addend));
                assert_eq!(r.section, obj.section_name(rs.target), "patched section of {}", r.describe());
                let symbol = symbols.get(e.sym as usize).map_or("?".into(), |s| obj.symbol_label(s));
                assert_eq!(r.symbol, symbol, "symbol of {}", r.describe());
                checked += 1;
            }
        }
        sections_seen.dedup();
        multi += usize::from(sections_seen.len() > 1);
    }
    assert!(checked > 2000, "only {checked} relocations checked ({multi} multi)");
    assert!(multi > 100, "only {multi} objects with several relocation sections");
}
