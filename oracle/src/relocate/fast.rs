//! The relocator's straight path: the entries nearly every purgatory is made of (RELA, a symbol the
//! loader resolves, an x86_64 64-bit absolute, 32-bit absolute or PC-relative field inside the buffer, a
//! value that fits) are applied in one loop, as the kernel's own loop does, without a `Plan` per entry, and
//! kept as the file has them (`verdict::StraightEntries`). The first entry that is anything else ends it;
//! `plan::for_each_from` and the `Recorder` take over from that entry, so the general path stays the one
//! that explains.

use crate::elf::consts::SHT_SYMTAB;
use crate::elf::{Object, Reloc, Symbol};
use crate::layout::Layout;
use crate::plan::{base_addr, defined_base, rela_kind, symbol_plan, Kind, SectionIndex, Target};
use crate::profile::{Profile, Rule};
use crate::verdict::{Relocations, ResolvedSymbol, StraightEntries, StraightRun};

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
    image: Option<&mut Vec<u8>>,
    relocations: &mut Relocations,
) -> Straight {
    let mut kept = StraightEntries::default();
    let mut symbols: Option<Symbols<'_>> = None;
    let straight = match image {
        Some(image) => walk(obj, profile, layout, image.as_mut_slice(), &mut kept, &mut symbols),
        None => walk(obj, profile, layout, NoImage, &mut kept, &mut symbols),
    };
    if let Some(s) = symbols {
        keep_symbols(&mut kept, s);
    }
    relocations.set_straight(kept);
    straight
}

/// The loader's buffer as the straight path writes it, or nowhere when it is not built (one loop for each,
/// so the loop does not ask which per entry).
trait Buffer {
    /// Where one patched section's fields go.
    fn section(&mut self, at: u64, holds: u64) -> impl Fields + '_;
}

/// One patched section's fields: false if the field is not both inside the section and in the buffer (the
/// general path takes the entry). One bounds check does both.
trait Fields {
    fn store(&mut self, kind: Kind, width: u8, offset: u64, value: u64) -> bool;
}

impl Buffer for &mut [u8] {
    #[inline(always)]
    fn section(&mut self, at: u64, holds: u64) -> impl Fields + '_ {
        // The section's bytes that are in the buffer, up to what the buffer built so far holds (the straight
        // path does not grow it).
        let start = usize::try_from(at).unwrap_or(usize::MAX);
        let end = usize::try_from(at.saturating_add(holds)).unwrap_or(usize::MAX).min(self.len());
        Window(self.get_mut(start..end).unwrap_or_default())
    }
}

/// A patched section's bytes in the buffer.
struct Window<'a>(&'a mut [u8]);

impl Fields for Window<'_> {
    #[inline(always)]
    fn store(&mut self, kind: Kind, _: u8, offset: u64, value: u64) -> bool {
        usize::try_from(offset).is_ok_and(|at| kind.store(self.0, at, value))
    }
}

struct NoImage;

impl Buffer for NoImage {
    #[inline(always)]
    fn section(&mut self, _: u64, holds: u64) -> impl Fields + '_ {
        Holds(holds)
    }
}

/// How many of a patched section's bytes the buffer would hold.
struct Holds(u64);

impl Fields for Holds {
    #[inline(always)]
    fn store(&mut self, _: Kind, width: u8, offset: u64, _: u64) -> bool {
        offset.checked_add(u64::from(width)).is_some_and(|end| end <= self.0)
    }
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
    mut image: impl Buffer,
    kept: &mut StraightEntries,
    symbols: &mut Option<Symbols<'o>>,
) -> Straight {
    let shnum = obj.sections.len() as u32;
    let mut types = Types::default();
    for rs in &obj.relocs {
        let done = kept.len;
        if rs.target >= shnum || rs.symtab >= shnum {
            return Straight::First(done);
        }
        if !obj.sections[rs.target as usize].is_alloc() {
            continue;
        }
        if !rs.is_rela || obj.sections[rs.symtab as usize].sh_type != SHT_SYMTAB {
            return Straight::First(done);
        }
        let target = Target::new(obj, layout, rs);
        let Some((at, holds)) = target.in_buffer_at() else { return Straight::First(done) };
        let mut fields = image.section(at, holds);
        // Relocation sections that share a symbol table (they all do, in a compiler's output) share its cache.
        if symbols.as_ref().is_none_or(|s| s.symtab != rs.symtab) {
            if let Some(s) = symbols.take() {
                keep_symbols(kept, s);
            }
        }
        let symbols = symbols.get_or_insert_with(|| Symbols::new(obj, rs.symtab));
        let (entries, mut n) = (obj.entries(rs), 0);
        // The loop takes entries whose type and symbol it has met; a first meeting is settled here.
        loop {
            let (taken, stop) = apply_met(&entries[n..], &types, &symbols.resolved, target.addr, &mut fields);
            n += taken;
            let settled = match stop {
                Stop::End | Stop::General => false,
                Stop::NewType(r_type) => types.meet(profile, r_type),
                Stop::NewSymbol(index) => symbols.meet(obj, profile, layout, index),
            };
            if !settled {
                break;
            }
        }
        if n > 0 {
            kept.runs.push(StraightRun {
                start: done,
                entries: rs.entries.clone(),
                taken: n,
                reloc_section: rs.index as u32,
                section: rs.target,
                section_addr: target.addr,
                symbols: kept.symbols.len(),
                arch: profile.arch(),
            });
            kept.len += n;
        }
        if n < entries.len() {
            return Straight::First(kept.len);
        }
    }
    Straight::All
}

/// The relocation types met so far, as the straight path takes them: in place, no allocation per load.
struct Types {
    /// By `r_type`, for types below 256: a type taken (never `Kind::Skip`), `NEW` or `NOT_TAKEN`.
    slot: [Type; 256],
}

/// A type the straight path takes: the profile applies it, and its field is a straight-line store.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Type {
    kind: Kind,
    width: u8,
}

/// Not met yet (all zeros: a fresh table is one `memset`).
const NEW: Type = Type { kind: Kind::Skip, width: 0 };
/// The general path takes entries of this type.
const NOT_TAKEN: Type = Type { kind: Kind::Skip, width: 1 };

impl Default for Types {
    fn default() -> Self {
        Types { slot: [NEW; 256] }
    }
}

/// What the type of an entry is to the straight path.
enum Met {
    Taken(Type),
    NotTaken,
    New,
}

impl Types {
    #[inline(always)]
    fn get(&self, r_type: u32) -> Met {
        let Some(&ty) = usize::try_from(r_type).ok().and_then(|i| self.slot.get(i)) else { return Met::NotTaken };
        match ty {
            Type { kind: Kind::Skip, .. } if ty == NEW => Met::New,
            Type { kind: Kind::Skip, .. } => Met::NotTaken,
            _ => Met::Taken(ty),
        }
    }

    /// Settles a type met for the first time; true if the straight path takes it.
    #[cold]
    fn meet(&mut self, profile: &dyn Profile, r_type: u32) -> bool {
        let arch = profile.arch();
        let howto = arch.howto(r_type);
        let kind = rela_kind(arch, r_type, &howto);
        // The field check and the store agree on the field's width (they do for every straight-line type).
        let taken = matches!(profile.rule(r_type, &howto), Rule::Apply { .. })
            && kind.is_straight_line()
            && howto.width == kind.store_width();
        self.slot[r_type as usize] = if taken { Type { kind, width: howto.width } } else { NOT_TAKEN };
        taken
    }
}

/// Why `apply_met` stopped.
enum Stop {
    /// At the end of the entries.
    End,
    /// At an entry the general path takes.
    General,
    /// At an entry whose type, or symbol, it has not met yet.
    NewType(u32),
    NewSymbol(u32),
}

/// Applies entries from the first while each takes the straight path with a type and a symbol met before:
/// how many, and why it stopped. The loop the relocator spends its time in: everything else is outside.
#[inline(always)]
fn apply_met(
    entries: &[Reloc],
    types: &Types,
    symbols: &[ResolvedSymbol],
    section_addr: u64,
    fields: &mut impl Fields,
) -> (usize, Stop) {
    for (n, r) in entries.iter().enumerate() {
        // The type first: an entry of another type costs the least before the general path takes it.
        let ty = match types.get(r.r_type) {
            Met::Taken(ty) => ty,
            Met::NotTaken => return (n, Stop::General),
            Met::New => return (n, Stop::NewType(r.r_type)),
        };
        let s = match symbols.get(r.sym as usize) {
            Some(s) if s.is_resolved() => s.value,
            Some(&ResolvedSymbol::REFUSED) => return (n, Stop::General),
            // No symbol met yet in this table (its cache is made then), or not this one.
            None if !symbols.is_empty() => return (n, Stop::General),
            _ => return (n, Stop::NewSymbol(r.sym)),
        };
        let place = section_addr.wrapping_add(r.offset);
        let Some((value, true)) = ty.kind.value(s.wrapping_add(r.addend as u64), place) else {
            return (n, Stop::General);
        };
        if !fields.store(ty.kind, ty.width, r.offset, value) {
            return (n, Stop::General);
        }
    }
    (entries.len(), Stop::End)
}

/// One symbol table's symbols as the straight path needs them: every defined one resolved at once on first
/// use, any other when an entry first names it.
struct Symbols<'o> {
    symtab: u32,
    table: &'o [Symbol],
    /// By symbol index: S and the name, `UNSEEN` or `REFUSED` (the general path explains it).
    resolved: Vec<ResolvedSymbol>,
}

impl<'o> Symbols<'o> {
    fn new(obj: &'o Object, symtab: u32) -> Self {
        Symbols { symtab, table: obj.symtab(symtab).unwrap_or(&[]), resolved: Vec::new() }
    }

    /// Settles a symbol met for the first time; true if the loader resolves it.
    #[cold]
    fn meet(&mut self, obj: &Object, profile: &dyn Profile, layout: &Layout, index: u32) -> bool {
        if self.resolved.is_empty() {
            self.make(obj, layout);
        }
        let i = index as usize;
        let (Some(sym), Some(r)) = (self.table.get(i), self.resolved.get_mut(i)) else { return false };
        if *r == ResolvedSymbol::UNSEEN {
            // A symbol the loader takes as it is needs no `SymbolPlan` (and so no message made in vain).
            let base = match defined_base(obj, sym) {
                Ok(base) => Ok(base),
                Err(_) => symbol_plan(obj, profile, layout, sym).base.map_err(drop),
            };
            *r = match base {
                Ok(b) => resolved(sym, base_addr(obj, layout, b)),
                Err(()) => ResolvedSymbol::REFUSED,
            };
        }
        r.is_resolved()
    }

    /// Made on first use: an entry that stops the straight path first costs no allocation. Where the object
    /// has at least as many relocations as the table has symbols, every defined symbol is resolved now, in
    /// one pass: one stop and restart of the loop per symbol met cost more. Otherwise each is resolved when
    /// an entry first names it, and most never are.
    #[cold]
    fn make(&mut self, obj: &Object, layout: &Layout) {
        if obj.reloc_count() < self.table.len() {
            self.resolved = vec![ResolvedSymbol::UNSEEN; self.table.len()];
            return;
        }
        let mut inline = [0u64; 32];
        let mut heap = Vec::new();
        let bases = section_bases(obj, layout, &mut inline, &mut heap);
        self.resolved = self
            .table
            .iter()
            .map(|sym| {
                // `base_addr` of `defined_base`, with the section's address read from the table.
                let base = match SectionIndex::of(sym.shndx) {
                    SectionIndex::Section(i) => bases.get(i).copied(),
                    SectionIndex::Abs => Some(0),
                    SectionIndex::Undefined | SectionIndex::Common => None,
                };
                base.map_or(ResolvedSymbol::UNSEEN, |b| resolved(sym, b))
            })
            .collect();
    }
}

/// A symbol resolved against its base: its name and section are read only when a report asks for them.
#[inline(always)]
fn resolved(sym: &Symbol, base: u64) -> ResolvedSymbol {
    ResolvedSymbol { value: base.wrapping_add(sym.value), name: sym.name, shndx: sym.shndx }
}

/// `Layout::section_addr` of every section at once, by index: a placed section's address, another's
/// `sh_addr`. In `inline` when the object has few sections (nearly every purgatory), else in `heap`.
fn section_bases<'a>(obj: &Object, layout: &Layout, inline: &'a mut [u64; 32], heap: &'a mut Vec<u64>) -> &'a [u64] {
    let n = obj.sections.len();
    let bases: &mut [u64] = if n <= inline.len() {
        &mut inline[..n]
    } else {
        heap.resize(n, 0);
        heap
    };
    for (b, s) in bases.iter_mut().zip(&obj.sections) {
        *b = s.addr;
    }
    for p in &layout.placed {
        if let Some(b) = bases.get_mut(p.index) {
            *b = p.addr;
        }
    }
    bases
}
