//! The relocator's straight path: the entries nearly every purgatory is made of (RELA, a symbol the
//! loader resolves, an x86_64 64-bit absolute, 32-bit absolute or PC-relative field inside the buffer, a
//! value that fits) are applied in one loop, as the kernel's own loop does, without a `Plan` per entry, and
//! kept as the file has them (`verdict::StraightEntries`). The first entry that is anything else ends it;
//! `plan::for_each_from` and the `Recorder` take over from that entry, so the general path stays the one
//! that explains.

use crate::elf::consts::SHT_SYMTAB;
use crate::elf::{Object, RelocSection, Symbol};
use crate::layout::Layout;
use crate::plan::{rela_kind, symbol_plan, Kind};
use crate::profile::{Profile, Rule};
use crate::verdict::{NameId, Relocations, ResolvedSymbol, StraightEntries, StraightRun};

/// How far the straight path got.
pub(super) enum Straight {
    /// Every entry: stage `relocates` passes with nothing to say.
    All,
    /// The first this many `plan::for_each` entries, each applied, exact, with no message, warning or
    /// finding; the next one needs the general path.
    First(usize),
}

/// Applies entries in the loader's order while they take the straight path, and keeps them in
/// `relocations` (`Relocations::set_straight`).
/// `image`: the loader's buffer, or `None` when it is not built.
pub(super) fn straight_prefix(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    mut image: Option<&mut Vec<u8>>,
    relocations: &mut Relocations,
) -> Straight {
    let mut kept = StraightEntries::default();
    let mut symbols: Option<Symbols<'_>> = None;
    let straight = walk(obj, profile, layout, &mut image, relocations, &mut kept, &mut symbols);
    if let Some(s) = symbols {
        keep_symbols(&mut kept, s);
    }
    relocations.set_straight(kept);
    straight
}

/// A symbol table's cache joins the kept ones (the first one is taken as it is).
fn keep_symbols(kept: &mut StraightEntries, s: Symbols<'_>) {
    if kept.symbols.is_empty() {
        kept.symbols = s.resolved;
    } else {
        kept.symbols.extend(s.resolved);
    }
}

fn walk<'o>(
    obj: &'o Object,
    profile: &dyn Profile,
    layout: &Layout,
    image: &mut Option<&mut Vec<u8>>,
    relocations: &mut Relocations,
    kept: &mut StraightEntries,
    symbols: &mut Option<Symbols<'o>>,
) -> Straight {
    let shnum = obj.sections.len() as u32;
    let mut types = Types::default();
    for rs in &obj.relocs {
        let done = kept.entries.len();
        if rs.target >= shnum || rs.symtab >= shnum {
            return Straight::First(done);
        }
        if !obj.sections[rs.target as usize].is_alloc() {
            continue;
        }
        if !rs.is_rela || obj.sections[rs.symtab as usize].sh_type != SHT_SYMTAB {
            return Straight::First(done);
        }
        let Some(section) = Section::new(obj, layout, rs, relocations) else { return Straight::First(done) };
        // Relocation sections that share a symbol table (they all do, in a compiler's output) share its cache.
        if symbols.as_ref().is_none_or(|s| s.symtab != rs.symtab) {
            if let Some(s) = symbols.take() {
                keep_symbols(kept, s);
            }
        }
        let symbols = symbols.get_or_insert_with(|| Symbols::new(obj, rs.symtab));
        let mut n = 0;
        for r in &rs.entries {
            // The type first: an entry of another type costs the least before the general path takes it.
            let Some(ty) = types.get(profile, r.r_type) else { break };
            let Some(pos) = section.field(r.offset, ty.width) else { break };
            let Some(s) = symbols.get(obj, profile, layout, r.sym, relocations) else { break };
            let place = section.addr.wrapping_add(r.offset);
            let Some((value, true)) = ty.kind.value(s.value.wrapping_add(r.addend as u64), place) else { break };
            if let Some(image) = image.as_mut() {
                let Some(field) = image.get_mut(pos..) else { break };
                if !ty.kind.store(field, value) {
                    break;
                }
            }
            n += 1;
        }
        if n > 0 {
            kept.runs.push(StraightRun {
                start: done,
                reloc_section: rs.index as u32,
                section: section.name,
                section_addr: section.addr,
                symbols: kept.symbols.len(),
                arch: profile.arch(),
            });
            if kept.entries.is_empty() {
                // Room for every entry at once, made only once one takes the straight path.
                kept.entries.reserve(obj.reloc_count());
            }
            kept.entries.extend_from_slice(&rs.entries[..n]);
        }
        if n < rs.entries.len() {
            return Straight::First(kept.entries.len());
        }
    }
    Straight::All
}

/// The relocation types met so far, as the straight path takes them: in place, no allocation per load.
struct Types {
    /// `r_type` → index + 1 into `taken` (0: not met yet; `NOT_TAKEN`), for types below 256.
    slot: [u8; 256],
    taken: [Type; 8],
    len: u8,
}

/// A type the straight path takes: the profile applies it, and its field is a straight-line store.
#[derive(Clone, Copy)]
struct Type {
    kind: Kind,
    width: u8,
}

const NOT_TAKEN: u8 = u8::MAX;

impl Default for Types {
    fn default() -> Self {
        Types { slot: [0; 256], taken: [Type { kind: Kind::Skip, width: 0 }; 8], len: 0 }
    }
}

impl Types {
    #[inline(always)]
    fn get(&mut self, profile: &dyn Profile, r_type: u32) -> Option<Type> {
        let i = usize::try_from(r_type).ok().filter(|&i| i < 256)?;
        if self.slot[i] == 0 {
            self.slot[i] = self.take(profile, r_type);
        }
        match self.slot[i] {
            NOT_TAKEN => None,
            k => self.taken.get(usize::from(k) - 1).copied(),
        }
    }

    /// The slot for a type met for the first time.
    fn take(&mut self, profile: &dyn Profile, r_type: u32) -> u8 {
        let (arch, len) = (profile.arch(), usize::from(self.len));
        let howto = arch.howto(r_type);
        let kind = rela_kind(arch, r_type, &howto);
        let applied = matches!(profile.rule(r_type, &howto), Rule::Apply { .. });
        match self.taken.get_mut(len) {
            Some(t) if applied && kind.is_straight_line() => {
                *t = Type { kind, width: howto.width };
                self.len += 1;
                self.len
            }
            _ => NOT_TAKEN,
        }
    }
}

/// One relocation section's patched section, as the straight path needs it.
struct Section {
    name: NameId,
    /// The patched section's address, and its offset in the loader's buffer.
    addr: u64,
    buf_off: u64,
    /// Fields end at or below this offset: inside the section and inside the buffer.
    limit: u64,
}

impl Section {
    fn new(obj: &Object, layout: &Layout, rs: &RelocSection, relocations: &mut Relocations) -> Option<Self> {
        let index = rs.target as usize;
        let buf_off = layout.placed.iter().find(|p| p.index == index).and_then(|p| p.buf_offset)?;
        let limit = obj.sections[index].size.min(layout.capacity.checked_sub(buf_off)?);
        Some(Section {
            name: relocations.name(&obj.section_name(rs.target)),
            addr: layout.section_addr(obj, index),
            buf_off,
            limit,
        })
    }

    /// The field's position in the buffer, if it lies inside the section and the buffer.
    #[inline(always)]
    fn field(&self, offset: u64, width: u8) -> Option<usize> {
        let last = self.limit.checked_sub(u64::from(width))?;
        (offset <= last).then(|| (self.buf_off + offset) as usize)
    }
}

/// One symbol table's symbols as the straight path needs them, resolved on first use.
struct Symbols<'o> {
    symtab: u32,
    table: &'o [Symbol],
    /// By symbol index: S and the name, `UNSEEN`, or `REFUSED` (the general path explains it).
    resolved: Vec<ResolvedSymbol>,
}

const UNSEEN: NameId = NameId::NONE;
const REFUSED: NameId = NameId::REFUSED;

impl<'o> Symbols<'o> {
    fn new(obj: &'o Object, symtab: u32) -> Self {
        Symbols { symtab, table: obj.symtab(symtab).unwrap_or(&[]), resolved: Vec::new() }
    }

    /// The symbol's S and name, if the loader resolves it.
    #[inline(always)]
    fn get(
        &mut self,
        obj: &Object,
        profile: &dyn Profile,
        layout: &Layout,
        index: u32,
        relocations: &mut Relocations,
    ) -> Option<ResolvedSymbol> {
        if self.resolved.is_empty() {
            // Made on first use: an entry that stops the straight path first costs no allocation.
            self.resolved = vec![ResolvedSymbol { value: 0, name: UNSEEN }; self.table.len()];
        }
        let slot = self.resolved.get_mut(index as usize)?;
        if slot.name == UNSEEN {
            let plan = symbol_plan(obj, profile, layout, &self.table[index as usize]);
            *slot = match plan.base {
                Ok(_) => ResolvedSymbol {
                    value: plan.base_addr.wrapping_add(plan.value),
                    name: relocations.name_owned(plan.label),
                },
                Err(_) => ResolvedSymbol { value: 0, name: REFUSED },
            };
        }
        (slot.name != REFUSED).then_some(*slot)
    }
}
