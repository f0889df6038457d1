//! Finding whole ELF relocatable objects embedded in a larger file, and measuring them by their section table.

use object::elf::{FileHeader32, FileHeader64, ET_REL, SHT_NOBITS};
use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

/// Whether `data` starts with an ELF relocatable object header (either class, either byte order).
pub fn is_relocatable(data: &[u8]) -> bool {
    object_size(data).is_some()
}

/// The size of the ELF relocatable object at the start of `data`: the end of its last section or of its
/// section header table, whichever is later. `None` if it is not a well-formed ET_REL header and table.
pub fn object_size(data: &[u8]) -> Option<usize> {
    match data.get(4)? {
        1 => size_of::<FileHeader32<Endianness>>(data),
        2 => size_of::<FileHeader64<Endianness>>(data),
        _ => None,
    }
}

fn size_of<H: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<usize> {
    let header = H::parse(data).ok()?;
    let endian = header.endian().ok()?;
    if header.e_type(endian) != ET_REL {
        return None;
    }
    let sections = header.section_headers(endian, data).ok()?;
    if sections.is_empty() {
        return None;
    }
    let table_end = usize::try_from(header.e_shoff(endian).into())
        .ok()?
        .checked_add(usize::from(header.e_shentsize(endian)).checked_mul(sections.len())?)?;
    let mut end = table_end;
    for s in sections.iter().filter(|s| s.sh_type(endian) != SHT_NOBITS) {
        let off: u64 = s.sh_offset(endian).into();
        let size: u64 = s.sh_size(endian).into();
        end = end.max(usize::try_from(off.checked_add(size)?).ok()?);
    }
    (end <= data.len()).then_some(end)
}

/// `(offset, size)` of every well-formed ELF relocatable object inside `haystack` (not at offset 0 of an
/// executable, which is the executable itself).
pub fn find_objects(haystack: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = find(&haystack[from..], b"\x7fELF").map(|p| p + from) {
        match object_size(&haystack[pos..]) {
            Some(size) => {
                found.push((pos, size));
                from = pos + size.max(1);
            }
            None => from = pos + 1,
        }
    }
    found
}

/// The first occurrence of `needle`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
