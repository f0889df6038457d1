//! The load-address-independent half of applying a relocation: which symbol, which rule, where it writes.
//! The relocator and the window analysis both consume these plans, so they cannot disagree.

use crate::arch::{Arch, Formula, Howto};
use crate::elf::consts::{SHN_ABS, SHN_COMMON, SHN_UNDEF, SHT_SYMTAB, STT_NOTYPE};
use crate::elf::{Object, Reloc, RelocSection, SmolStr, Symbol};
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
    /// At the layout planned for: S + A (without a REL in-place addend) and the place P.
    pub s_plus_a: u64,
    pub place: u64,
    pub kind: Kind,
}

/// The field shapes common enough for a straight-line store (little-endian, whole field, no in-place addend).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Skip,
    Abs64,
    Abs32,
    Abs32S,
    Pc32,
    /// Anything else goes through the howto (`Arch::store`, `Range::fits`).
    Generic,
}

impl Kind {
    /// `value` and `store` handle it.
    pub(crate) fn is_straight_line(self) -> bool {
        matches!(self, Kind::Abs64 | Kind::Abs32 | Kind::Abs32S | Kind::Pc32)
    }

    /// The bytes `store` writes.
    pub(crate) fn store_width(self) -> u8 {
        if self == Kind::Abs64 {
            8
        } else {
            4
        }
    }

    /// For the straight-line kinds: the value stored (`s_plus_a`, or less `place`) and whether it fits.
    #[inline(always)]
    pub(crate) fn value(self, s_plus_a: u64, place: u64) -> Option<(u64, bool)> {
        let fits_i32 = |v: u64| v as i64 == i64::from(v as i32);
        match self {
            Kind::Abs64 => Some((s_plus_a, true)),
            Kind::Abs32 => Some((s_plus_a, s_plus_a >> 32 == 0)),
            Kind::Abs32S => Some((s_plus_a, fits_i32(s_plus_a))),
            Kind::Pc32 => Some((s_plus_a.wrapping_sub(place), fits_i32(s_plus_a.wrapping_sub(place)))),
            Kind::Skip | Kind::Generic => None,
        }
    }

    /// Stores a straight-line kind's value at `pos` in `buf`: 8 bytes for `Abs64`, else 4. False if `buf`
    /// does not hold them. Fixed-size stores behind one bounds check: a copy of runtime length would be a
    /// `memcpy` call per entry.
    #[inline(always)]
    pub(crate) fn store(self, buf: &mut [u8], pos: usize, value: u64) -> bool {
        debug_assert!(self.is_straight_line());
        if self == Kind::Abs64 {
            buf.get_mut(pos..pos.wrapping_add(8)).map(|f| f.copy_from_slice(&value.to_le_bytes())).is_some()
        } else {
            buf.get_mut(pos..pos.wrapping_add(4)).map(|f| f.copy_from_slice(&(value as u32).to_le_bytes())).is_some()
        }
    }
}

/// The value a straight-line RELA entry of this type stores (what the relocator's straight path computed).
pub(crate) fn straight_value(arch: Arch, r_type: u32, s_plus_a: u64, place: u64) -> u64 {
    rela_kind(arch, r_type, &arch.howto(r_type)).value(s_plus_a, place).map_or(0, |(v, _)| v)
}

/// The kind of a RELA entry of this type (a REL one adds the field's contents: see `TypeRule::kind`).
pub(crate) fn rela_kind(arch: Arch, r_type: u32, h: &Howto) -> Kind {
    use crate::arch::x86_64::{R_X86_64_32, R_X86_64_32S, R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32};
    if h.formula == Formula::None {
        return Kind::Skip;
    }
    if arch != Arch::X86_64 {
        return Kind::Generic;
    }
    match r_type {
        R_X86_64_64 => Kind::Abs64,
        R_X86_64_32 => Kind::Abs32,
        R_X86_64_32S => Kind::Abs32S,
        R_X86_64_PC32 | R_X86_64_PLT32 => Kind::Pc32,
        _ => Kind::Generic,
    }
}

/// One relocation entry, described for reports. Names are borrowed from the planner: no copy per entry.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub reloc_section: usize,
    pub target: &'a SmolStr,
    pub offset: u64,
    pub r_type: u32,
    pub symbol: &'a SmolStr,
    /// Which of this relocation section's symbols: numbered from 0 in order of first use (`NO_SYMBOL`: the
    /// index is past the table), so a sink can keep one copy of each name.
    pub symbol_number: u32,
    pub addend: i64,
}

/// `Site::symbol_number` of an entry whose symbol index is past the table.
pub const NO_SYMBOL: u32 = u32::MAX;

/// A `Site` that owns its names, for collected plans.
#[derive(Debug, Clone)]
pub struct OwnedSite {
    pub reloc_section: usize,
    pub target: SmolStr,
    pub offset: u64,
    pub r_type: u32,
    pub symbol: SmolStr,
    pub addend: i64,
}

impl Site<'_> {
    pub fn to_owned(&self) -> OwnedSite {
        OwnedSite {
            reloc_section: self.reloc_section,
            target: self.target.clone(),
            offset: self.offset,
            r_type: self.r_type,
            symbol: self.symbol.clone(),
            addend: self.addend,
        }
    }
}

/// What a relocation entry amounts to before a load address is chosen.
#[derive(Debug, Clone)]
pub enum Planned {
    Apply(Plan),
    /// The loader refuses it (or would corrupt memory) whatever the address.
    /// Boxed: fatal entries are rare, and a small `Planned` is cheap to pass along.
    Fatal {
        status: Status,
        cause: Box<Cause>,
    },
}

/// Why a relocation entry is fatal at every address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The loader says this and stops.
    Loader(LoaderMessage),
    /// The loader reads or writes outside its buffers.
    Corrupts(Finding),
}

/// Shown as its text: a window's problems are read by people and scripts alike.
impl serde::Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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
    pub entries: Vec<(OwnedSite, Planned)>,
    /// The first section-level failure and its position in `entries` order.
    pub section_failure: Option<(usize, SectionFailure)>,
}

/// Receives the plan as it is made, in the loader's order.
pub trait Sink {
    /// The loader stops at this relocation section before its entries.
    fn section(&mut self, failure: SectionFailure);
    fn entry(&mut self, site: Site<'_>, planned: Planned);
    /// Nothing further can change what the sink wants to know: planning stops.
    fn done(&self) -> bool {
        false
    }
}

impl Sink for Plans {
    fn section(&mut self, failure: SectionFailure) {
        self.section_failure.get_or_insert((self.entries.len(), failure));
    }
    fn entry(&mut self, site: Site<'_>, planned: Planned) {
        self.entries.push((site.to_owned(), planned));
    }
}

/// Builds the plans for every relocation the loader would apply, in the loader's order.
pub fn plan(obj: &Object, profile: &dyn Profile, layout: &Layout) -> Plans {
    let mut plans = Plans { entries: Vec::with_capacity(obj.reloc_count()), section_failure: None };
    for_each(obj, profile, layout, &mut plans);
    plans
}

/// Streams the plan to `sink` without collecting it: the relocator consumes each entry as it comes.
pub fn for_each(obj: &Object, profile: &dyn Profile, layout: &Layout, sink: &mut impl Sink) {
    for_each_from(obj, profile, layout, 0, sink);
}

/// `for_each` from its `skip`th entry on: the relocator's straight path did the ones before (each in a
/// section the loader patches, none stopping it, so nothing before them reaches the sink).
pub(crate) fn for_each_from(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    mut skip: usize,
    sink: &mut impl Sink,
) {
    let shnum = obj.sections.len() as u32;
    let mut types = TypeRules::new();
    for rs in &obj.relocs {
        if sink.done() {
            return;
        }
        if rs.target >= shnum || rs.symtab >= shnum {
            let message = LoaderMessage::RelocSectionIndex {
                section: rs.name.to_string(),
                sh_info: rs.target,
                sh_link: rs.symtab,
                shnum,
            };
            sink.section(SectionFailure { message });
            continue;
        }
        let target = &obj.sections[rs.target as usize];
        if !target.is_alloc() {
            continue;
        }
        if !rs.is_rela {
            if let Some(message) = profile.rel_sections() {
                sink.section(SectionFailure { message });
                continue;
            }
        }
        let from = skip.min(rs.entries.len());
        skip -= from;
        if from < rs.entries.len() {
            plan_section(obj, profile, layout, rs, from, &mut types, sink);
        }
    }
}

/// The howto and the profile's rule per relocation type, computed once per type rather than per entry.
struct TypeRule {
    howto: Howto,
    rule: Rule,
    /// The kind for RELA entries (REL ones add the field's contents: `Generic`).
    rela_kind: Kind,
}

impl TypeRule {
    fn kind(&self, is_rela: bool) -> Kind {
        match (is_rela, self.rela_kind) {
            (false, Kind::Skip) => Kind::Skip,
            (false, _) => Kind::Generic,
            (true, k) => k,
        }
    }
}

struct TypeRules {
    /// `r_type` → index + 1 into `rules` (0: not computed yet), for types below 256.
    slot: [u8; 256],
    rules: Vec<TypeRule>,
    /// Types from 256 up are recomputed (real objects have none).
    other: Option<TypeRule>,
}

impl TypeRules {
    fn new() -> Self {
        TypeRules { slot: [0; 256], rules: Vec::with_capacity(8), other: None }
    }

    #[inline(always)]
    fn get(&mut self, profile: &dyn Profile, r_type: u32) -> &TypeRule {
        let compute = || {
            let howto = profile.arch().howto(r_type);
            TypeRule { howto, rule: profile.rule(r_type, &howto), rela_kind: rela_kind(profile.arch(), r_type, &howto) }
        };
        let Some(i) = usize::try_from(r_type).ok().filter(|&i| i < 256) else { return self.other.insert(compute()) };
        if self.slot[i] == 0 {
            self.rules.push(compute());
            self.slot[i] = self.rules.len() as u8;
        }
        &self.rules[usize::from(self.slot[i]) - 1]
    }
}

/// What a symbol amounts to for every relocation against it, computed on first use.
pub(crate) struct SymbolPlan {
    label: SmolStr,
    value: u64,
    pub(crate) base: Result<Base, LoaderMessage>,
    /// The base's address at the layout planned for (0 when `base` is an error).
    base_addr: u64,
}

pub(crate) fn symbol_plan(obj: &Object, profile: &dyn Profile, layout: &Layout, sym: &Symbol) -> SymbolPlan {
    let label = obj.symbol_label(sym);
    let base = match defined_base(obj, sym) {
        Ok(base) => Ok(base),
        Err(p) => match profile.symbol_message(p, &label) {
            Some(m) => Err(m),
            // The loader goes on with the section's sh_addr as base (section 0's is 0 in any sane object).
            None => Ok(Base::Fixed(obj.sections.first().map_or(0, |s| s.addr))),
        },
    };
    let base_addr = base.as_ref().map_or(0, |&b| base_addr(obj, layout, b));
    SymbolPlan { label, value: sym.value, base, base_addr }
}

/// A symbol's section index as the loaders read it, before any section is looked at: the special indices
/// first, whatever the object's number of sections.
pub(crate) enum SectionIndex {
    Undefined,
    Common,
    Abs,
    Section(usize),
}

impl SectionIndex {
    #[inline(always)]
    pub(crate) fn of(shndx: u32) -> Self {
        match shndx {
            SHN_UNDEF => SectionIndex::Undefined,
            SHN_COMMON => SectionIndex::Common,
            SHN_ABS => SectionIndex::Abs,
            i => SectionIndex::Section(i as usize),
        }
    }
}

/// The base the loader takes a symbol's value from (0 for SHN_ABS, its section's placed address if that is
/// allocated, else the section's sh_addr), or why it cannot take it as it is: undefined, common, or no such
/// section (the profile says what its loader makes of that).
#[inline(always)]
pub(crate) fn defined_base(obj: &Object, sym: &Symbol) -> Result<Base, SymbolProblem> {
    match SectionIndex::of(sym.shndx) {
        SectionIndex::Undefined => Err(SymbolProblem::Undefined { notype: sym.kind == STT_NOTYPE }),
        SectionIndex::Common => Err(SymbolProblem::Common),
        SectionIndex::Abs => Ok(Base::Fixed(0)),
        SectionIndex::Section(i) => match obj.sections.get(i) {
            None => Err(SymbolProblem::BadSection(sym.shndx)),
            Some(s) if s.is_alloc() => Ok(Base::Section(i)),
            Some(s) => Ok(Base::Fixed(s.addr)),
        },
    }
}

/// The symbol plans of one symbol table, made on first use.
struct SymbolPlans<'o> {
    symbols: &'o [Symbol],
    /// Symbol index → index + 1 into `plans` (0: not made yet).
    slot: Vec<u32>,
    plans: Vec<SymbolPlan>,
}

impl<'o> SymbolPlans<'o> {
    fn new(symbols: &'o [Symbol], entries: usize) -> Self {
        SymbolPlans { symbols, slot: vec![0; symbols.len()], plans: Vec::with_capacity(entries.min(symbols.len())) }
    }

    /// The symbol's plan and its number in order of first use.
    #[inline(always)]
    fn get(&mut self, obj: &Object, profile: &dyn Profile, layout: &Layout, index: u32) -> Option<(u32, &SymbolPlan)> {
        let i = index as usize;
        let sym = self.symbols.get(i)?;
        if self.slot[i] == 0 {
            self.plans.push(symbol_plan(obj, profile, layout, sym));
            self.slot[i] = self.plans.len() as u32;
        }
        let number = self.slot[i] - 1;
        Some((number, &self.plans[number as usize]))
    }
}

fn plan_section(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    rs: &RelocSection,
    from: usize,
    types: &mut TypeRules,
    sink: &mut impl Sink,
) {
    let target_name = obj.section_name(rs.target);
    let unknown = SmolStr::new_static("?");
    let symtab_ok = obj.sections[rs.symtab as usize].sh_type == SHT_SYMTAB;
    let mut symbols = SymbolPlans::new(obj.symtab(rs.symtab).unwrap_or(&[]), rs.entries.len());
    let count = symbols.symbols.len();
    let target = Target::new(obj, layout, rs);
    for r in &obj.entries(rs)[from..] {
        if sink.done() {
            return;
        }
        let (symbol_number, sym) =
            symbols.get(obj, profile, layout, r.sym).map_or((NO_SYMBOL, None), |(n, s)| (n, Some(s)));
        let symbol = sym.map_or(&unknown, |s| &s.label);
        let site = Site {
            reloc_section: rs.index,
            target: &target_name,
            offset: r.offset,
            r_type: r.r_type,
            symbol,
            symbol_number,
            addend: r.addend,
        };
        let planned = match sym {
            _ if !symtab_ok => fatal(
                Status::Malformed,
                Cause::Corrupts(Finding::NotASymbolTable { section: rs.name.to_string(), link: rs.symtab }),
            ),
            None => fatal(Status::Malformed, Cause::Corrupts(Finding::SymbolIndexPastTable { index: r.sym, count })),
            Some(sp) => plan_entry(&target, r, sp, types.get(profile, r.r_type), &target_name),
        };
        sink.entry(site, planned);
    }
}

fn fatal(status: Status, cause: Cause) -> Planned {
    Planned::Fatal { status, cause: Box::new(cause) }
}

/// What every entry of one relocation section shares: the patched section, where it is, and its REL-ness.
pub(crate) struct Target {
    index: usize,
    size: u64,
    /// Its address at the layout planned for.
    pub(crate) addr: u64,
    /// Its offset in the loader's buffer (`None`: not in the buffer).
    buf_off: Option<u64>,
    capacity: u64,
    /// Fields that end at or below this offset are inside the section and the buffer (`field`).
    limit: Option<u64>,
    is_rela: bool,
}

impl Target {
    pub(crate) fn new(obj: &Object, layout: &Layout, rs: &RelocSection) -> Self {
        let index = rs.target as usize;
        let size = obj.sections[index].size;
        let buf_off = layout.placed.iter().find(|p| p.index == index).and_then(|p| p.buf_offset);
        let capacity = layout.capacity;
        Target {
            index,
            size,
            addr: layout.section_addr(obj, index),
            buf_off,
            capacity,
            limit: buf_off.and_then(|o| Some(size.min(capacity.checked_sub(o)?))),
            is_rela: rs.is_rela,
        }
    }

    /// Whether a `width`-byte field at `offset` lies inside the patched section.
    #[inline(always)]
    fn holds(&self, offset: u64, width: u8) -> bool {
        offset.checked_add(u64::from(width)).is_some_and(|end| end <= self.size)
    }

    /// Where that field is in the loader's buffer, if the buffer has it.
    #[inline(always)]
    fn buffer_pos(&self, offset: u64, width: u8) -> Option<usize> {
        let pos = self.buf_off?.checked_add(offset)?;
        (pos.checked_add(u64::from(width))? <= self.capacity).then_some(pos as usize)
    }

    /// Where the section lies in the loader's buffer, and how many of its bytes the buffer holds: fields that
    /// end at or below that many bytes are inside both (`None`: not in the buffer).
    pub(crate) fn in_buffer_at(&self) -> Option<(u64, u64)> {
        Some((self.buf_off?, self.limit?))
    }
}

#[inline(always)]
fn plan_entry(t: &Target, r: &Reloc, sym: &SymbolPlan, ty: &TypeRule, target_name: &SmolStr) -> Planned {
    let base = match &sym.base {
        Ok(b) => *b,
        Err(m) => return fatal(Status::BadSymbol, Cause::Loader(m.clone())),
    };
    let howto = ty.howto;
    let checked = match &ty.rule {
        Rule::Reject(m) => return fatal(Status::Unsupported, Cause::Loader(m.clone())),
        Rule::Apply { checked } => *checked,
    };
    let in_section = t.holds(r.offset, howto.width);
    let pos = t.buffer_pos(r.offset, howto.width);
    let (true, Some(pos)) = (in_section || howto.formula == Formula::None, pos) else {
        let finding = Finding::WriteOutsideSection {
            type_name: howto.name.to_string(),
            section: target_name.to_string(),
            offset: r.offset,
            width: howto.width,
            size: t.size,
        };
        return fatal(Status::OutOfBounds, Cause::Corrupts(finding));
    };
    let addend = sym.value.wrapping_add(r.addend as u64);
    Planned::Apply(Plan {
        howto,
        checked,
        base,
        addend,
        target: t.index,
        offset: r.offset,
        buf_pos: pos,
        in_place: !t.is_rela,
        s_plus_a: sym.base_addr.wrapping_add(addend),
        place: t.addr.wrapping_add(r.offset),
        kind: ty.kind(t.is_rela),
    })
}

/// The address a symbol base has at this layout.
pub(crate) fn base_addr(obj: &Object, layout: &Layout, base: Base) -> u64 {
    match base {
        Base::Section(i) => layout.section_addr(obj, i),
        Base::Fixed(a) => a,
    }
}
