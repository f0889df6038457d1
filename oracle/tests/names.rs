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
        let ours: Vec<String> = obj.sections.iter().map(|s| s.name.to_string()).collect();
        assert_eq!(ours, sections, "section names");
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
