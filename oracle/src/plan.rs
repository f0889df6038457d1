//! The load-address-independent half of applying a relocation: which symbol, which rule, where it writes.
//! The relocator and the window analysis both consume these plans, so they cannot disagree.

use std::sync::Arc;

use crate::arch::{Formula, Howto};
use crate::elf::consts::{SHN_ABS, SHN_COMMON, SHN_UNDEF, SHT_SYMTAB, STT_NOTYPE};
use crate::elf::{Object, Reloc, RelocSection};
use crate::layout::Layout;
use crate::message::{Finding, LoaderMessage};
use crate::profile::{Profile, Rule, SymbolProblem};
use crate::verdict::Status;

/// Where a symbol's base address comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// An ALLOC section: moves with the load address.
    Section(usize),
    /// SHN_ABS (0) or a non-ALLOC section (its unchanged `sh_addr`).
    Fixed(u64),
}

/// A relocation ready to apply at any load address.
#[derive(Debug, Clone)]
pub struct Plan {
    pub howto: Howto,
    pub checked: bool,
    pub base: Base,
    /// st_value + r_addend (+ the in-place addend for REL), wrapping.
    pub addend: u64,
    /// Index of the patched section.
    pub target: usize,
    /// `r_offset` within it.
    pub offset: u64,
    /// Byte position of the field in the loader's buffer.
    pub buf_pos: usize,
    /// REL semantics: the field's old contents are added (`*loc += value`).
    pub in_place: bool,
}

/// One relocation entry, described for reports.
#[derive(Debug, Clone)]
pub struct Site {
    pub reloc_section: usize,
    pub target: Arc<str>,
    pub offset: u64,
    pub r_type: u32,
    pub symbol: Arc<str>,
    pub addend: i64,
}

/// What a relocation entry amounts to before a load address is chosen.
#[derive(Debug, Clone)]
pub enum Planned {
    Apply(Plan),
    /// The loader refuses it (or would corrupt memory) whatever the address.
    Fatal { status: Status, cause: Cause },
}

/// Why a relocation entry is fatal at every address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The loader says this and stops.
    Loader(LoaderMessage),
    /// The loader reads or writes outside its buffers.
    Corrupts(Finding),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Loader(m) => write!(f, "{m}"),
            Cause::Corrupts(x) => write!(f, "{x}"),
        }
    }
}

/// A relocation section the loader stops at before looking at its entries.
#[derive(Debug, Clone)]
pub struct SectionFailure {
    pub message: LoaderMessage,
}

/// Everything needed to relocate an object under one profile.
pub struct Plans {
    pub entries: Vec<(Site, Planned)>,
    /// The first section-level failure and its position in `entries` order.
    pub section_failure: Option<(usize, SectionFailure)>,
}

/// Builds the plans for every relocation the loader would apply, in the loader's order.
pub fn plan(obj: &Object, profile: &dyn Profile, layout: &Layout) -> Plans {
    let mut entries = Vec::with_capacity(obj.reloc_count());
    let mut section_failure = None;
    let shnum = obj.sections.len() as u32;
    for rs in &obj.relocs {
        if rs.target >= shnum || rs.symtab >= shnum {
            let message = LoaderMessage::RelocSectionIndex { section: rs.name.clone(), sh_info: rs.target, sh_link: rs.symtab, shnum };
            section_failure.get_or_insert((entries.len(), SectionFailure { message }));
            continue;
        }
        let target = &obj.sections[rs.target as usize];
        if !target.is_alloc() {
            continue;
        }
        if !rs.is_rela {
            if let Some(message) = profile.rel_sections() {
                section_failure.get_or_insert((entries.len(), SectionFailure { message }));
                continue;
            }
        }
        plan_section(obj, profile, layout, rs, &mut entries);
    }
    Plans { entries, section_failure }
}

fn plan_section(obj: &Object, profile: &dyn Profile, layout: &Layout, rs: &RelocSection, out: &mut Vec<(Site, Planned)>) {
    let target_name: Arc<str> = obj.section_name(rs.target).into();
    let symtab_ok = obj.sections[rs.symtab as usize].sh_type == SHT_SYMTAB;
    let symbols = obj.symtab(rs.symtab).unwrap_or(&[]);
    let buf_off = layout.placed.iter().find(|p| p.index == rs.target as usize).and_then(|p| p.buf_offset);
    // Labels are made once per symbol a relocation uses, not once per symbol of the table.
    let mut labels: Vec<Option<Arc<str>>> = vec![None; symbols.len()];
    let unknown: Arc<str> = Arc::from("?");
    for r in &rs.entries {
        let symbol = match (labels.get_mut(r.sym as usize), symbols.get(r.sym as usize)) {
            (Some(slot), Some(sym)) => slot.get_or_insert_with(|| Arc::from(obj.symbol_label(sym))).clone(),
            _ => unknown.clone(),
        };
        let site = Site { reloc_section: rs.index, target: target_name.clone(), offset: r.offset, r_type: r.r_type, symbol, addend: r.addend };
        let planned = if !symtab_ok {
            fatal(Status::Malformed, Cause::Corrupts(Finding::NotASymbolTable { section: rs.name.clone(), link: rs.symtab }))
        } else {
            plan_entry(obj, profile, layout, rs, r, symbols, &site, buf_off)
        };
        out.push((site, planned));
    }
}

fn fatal(status: Status, cause: Cause) -> Planned {
    Planned::Fatal { status, cause }
}

#[allow(clippy::too_many_arguments)]
fn plan_entry(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    rs: &RelocSection,
    r: &Reloc,
    symbols: &[crate::elf::Symbol],
    site: &Site,
    buf_off: Option<u64>,
) -> Planned {
    let Some(sym) = symbols.get(r.sym as usize) else {
        return fatal(Status::Malformed, Cause::Corrupts(Finding::SymbolIndexPastTable { index: r.sym, count: symbols.len() }));
    };
    let shnum = obj.sections.len() as u32;
    let problem = match sym.shndx {
        SHN_UNDEF => Some(SymbolProblem::Undefined { notype: sym.kind == STT_NOTYPE }),
        SHN_COMMON => Some(SymbolProblem::Common),
        SHN_ABS => None,
        i if i >= shnum => Some(SymbolProblem::BadSection(i)),
        _ => None,
    };
    let base = match (problem, sym.shndx) {
        (Some(p), _) => match profile.symbol_message(p, &site.symbol) {
            Some(m) => return fatal(Status::BadSymbol, Cause::Loader(m)),
            // The loader goes on with the section's sh_addr as base (section 0's is 0 in any sane object).
            None => Base::Fixed(obj.sections.first().map_or(0, |s| s.addr)),
        },
        (None, SHN_ABS) => Base::Fixed(0),
        (None, i) if obj.sections[i as usize].is_alloc() => Base::Section(i as usize),
        (None, i) => Base::Fixed(obj.sections[i as usize].addr),
    };
    let howto = profile.arch().howto(r.r_type);
    let checked = match profile.rule(r.r_type, &howto) {
        Rule::Reject(m) => return fatal(Status::Unsupported, Cause::Loader(m)),
        Rule::Apply { checked } => checked,
    };
    let section = &obj.sections[rs.target as usize];
    let width = u64::from(howto.width);
    let in_section = r.offset.checked_add(width).is_some_and(|end| end <= section.size);
    let pos = buf_off.and_then(|o| o.checked_add(r.offset)).filter(|p| p.checked_add(width).is_some_and(|e| e <= layout.capacity));
    let (true, Some(pos)) = (in_section || howto.formula == Formula::None, pos) else {
        let finding = Finding::WriteOutsideSection {
            type_name: howto.name.to_string(),
            section: site.target.to_string(),
            offset: r.offset,
            width: howto.width,
            size: section.size,
        };
        return fatal(Status::OutOfBounds, Cause::Corrupts(finding));
    };
    Planned::Apply(Plan {
        howto,
        checked,
        base,
        addend: sym.value.wrapping_add(r.addend as u64),
        target: section.index,
        offset: r.offset,
        buf_pos: pos as usize,
        in_place: !rs.is_rela,
    })
}
