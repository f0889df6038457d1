//! The relocator's straight path: the entries nearly every purgatory is made of (RELA, a symbol the
//! loader resolves, an x86_64 64-bit absolute, 32-bit absolute or PC-relative field inside the buffer, a
//! value that fits) are applied and recorded in one loop, as the kernel's own loop does, without a `Plan`
//! per entry. The first entry that is anything else ends it; `plan::for_each` and the `Recorder` take over
//! from there, so the general path stays the one that explains.

use crate::elf::consts::SHT_SYMTAB;
use crate::elf::{Object, RelocSection, Symbol};
use crate::layout::Layout;
use crate::plan::{symbol_plan, TypeRules};
use crate::profile::{Profile, Rule};
use crate::verdict::{NameId, Outcome, Relocations, Status};

/// How far the straight path got.
pub(super) enum Straight {
    /// Every entry: stage `relocates` passes with nothing to say.
    All,
    /// The first this many `plan::for_each` entries, each applied, exact, with no message, warning or
    /// finding; the next one needs the general path.
    First(usize),
}

/// Applies and records entries in the loader's order while they take the straight path.
/// `image`: the loader's buffer, or `None` when it is not built.
pub(super) fn straight_prefix(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    mut image: Option<&mut Vec<u8>>,
    relocations: &mut Relocations,
) -> Straight {
    let shnum = obj.sections.len() as u32;
    let mut types = TypeRules::new();
    let mut done = 0;
    for rs in &obj.relocs {
        if rs.target >= shnum || rs.symtab >= shnum {
            return Straight::First(done);
        }
        if !obj.sections[rs.target as usize].is_alloc() {
            continue;
        }
        if !rs.is_rela || obj.sections[rs.symtab as usize].sh_type != SHT_SYMTAB {
            return Straight::First(done);
        }
        let Some(mut section) = Section::new(obj, layout, rs, relocations) else { return Straight::First(done) };
        for r in &rs.entries {
            let Some(s) = section.symbol(obj, profile, layout, r.sym, relocations) else {
                return Straight::First(done);
            };
            let ty = types.get(profile, r.r_type);
            let (Rule::Apply { .. }, Some(pos)) = (&ty.rule, section.field(r.offset, ty.howto.width)) else {
                return Straight::First(done);
            };
            let place = section.addr.wrapping_add(r.offset);
            let Some((value, true)) = ty.rela_kind.value(s.value.wrapping_add(r.addend as u64), place) else {
                return Straight::First(done);
            };
            if let Some(image) = image.as_mut() {
                let Some(field) = image.get_mut(pos..) else { return Straight::First(done) };
                if !ty.rela_kind.store(field, value) {
                    return Straight::First(done);
                }
            }
            relocations.push(Outcome {
                reloc_section: rs.index,
                section: section.name,
                offset: r.offset,
                r_type: r.r_type,
                type_name: ty.howto.name,
                symbol: s.name,
                addend: r.addend,
                place,
                value,
                status: Status::Ok,
            });
            done += 1;
        }
    }
    Straight::All
}

/// One relocation section's patched section and symbols, as the straight path needs them.
struct Section<'o> {
    table: &'o [Symbol],
    name: NameId,
    /// The patched section's address, and its offset in the loader's buffer.
    addr: u64,
    buf_off: u64,
    /// Fields end at or below this offset: inside the section and inside the buffer.
    limit: u64,
    /// By symbol index, filled on first use.
    symbols: Vec<Resolved>,
}

/// A symbol's S, and its name in the verdict; `UNSEEN` and `REFUSED` (the general path explains it) mark
/// the others.
#[derive(Clone, Copy)]
struct Resolved {
    value: u64,
    name: NameId,
}

const UNSEEN: NameId = NameId::NONE;
const REFUSED: NameId = NameId::REFUSED;

impl<'o> Section<'o> {
    fn new(obj: &'o Object, layout: &Layout, rs: &RelocSection, relocations: &mut Relocations) -> Option<Self> {
        let index = rs.target as usize;
        let buf_off = layout.placed.iter().find(|p| p.index == index).and_then(|p| p.buf_offset)?;
        let limit = obj.sections[index].size.min(layout.capacity.checked_sub(buf_off)?);
        let table = obj.symtab(rs.symtab).unwrap_or(&[]);
        Some(Section {
            table,
            name: relocations.name(&obj.section_name(rs.target)),
            addr: layout.section_addr(obj, index),
            buf_off,
            limit,
            symbols: vec![Resolved { value: 0, name: UNSEEN }; table.len()],
        })
    }

    /// The field's position in the buffer, if it lies inside the section and the buffer.
    #[inline(always)]
    fn field(&self, offset: u64, width: u8) -> Option<usize> {
        let last = self.limit.checked_sub(u64::from(width))?;
        (offset <= last).then(|| (self.buf_off + offset) as usize)
    }

    /// The symbol's S and name, if the loader resolves it.
    #[inline(always)]
    fn symbol(
        &mut self,
        obj: &'o Object,
        profile: &dyn Profile,
        layout: &Layout,
        index: u32,
        relocations: &mut Relocations,
    ) -> Option<Resolved> {
        let slot = self.symbols.get_mut(index as usize)?;
        if slot.name == UNSEEN {
            let plan = symbol_plan(obj, profile, layout, &self.table[index as usize]);
            *slot = match plan.base {
                Ok(_) => Resolved {
                    value: plan.base_addr.wrapping_add(plan.value),
                    name: relocations.name_owned(plan.label),
                },
                Err(_) => Resolved { value: 0, name: REFUSED },
            };
        }
        (slot.name != REFUSED).then_some(*slot)
    }
}
