//! Load-window analysis: the exact set of aligned load addresses at which every relocation succeeds,
//! built from one affine constraint per relocation (value = k·L + c), never by trying addresses.

use serde::Serialize;

use crate::arch::Formula;
use crate::elf::Object;
use crate::entry;
use crate::layout::{self, Layout};
use crate::plan::{self, Base, Cause, Planned};
use crate::profile::Profile;
use crate::verdict::RelocationSite;

/// A set of disjoint, sorted, inclusive u64 intervals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IntervalSet(pub Vec<(u64, u64)>);

impl IntervalSet {
    /// Every address.
    pub fn full() -> Self {
        IntervalSet(vec![(0, u64::MAX)])
    }

    /// `[lo, hi]`, empty when `lo > hi`.
    pub fn range(lo: u64, hi: u64) -> Self {
        IntervalSet(if lo <= hi { vec![(lo, hi)] } else { Vec::new() })
    }

    /// The arc `[start, start + len)` on the 2^64 circle (len ≥ 2^64 means everything).
    pub fn arc(start: u64, len: u128) -> Self {
        if len == 0 {
            return IntervalSet::default();
        }
        if len >= 1u128 << 64 {
            return IntervalSet::full();
        }
        let last = start.wrapping_add((len - 1) as u64);
        if last >= start {
            IntervalSet(vec![(start, last)])
        } else {
            IntervalSet(vec![(0, last), (start, u64::MAX)])
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, x: u64) -> bool {
        self.0.iter().any(|&(a, b)| a <= x && x <= b)
    }

    /// Intersection (linear merge).
    pub fn intersect(&self, other: &IntervalSet) -> IntervalSet {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.0.len() && j < other.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = other.0[j];
            let (lo, hi) = (a1.max(a2), b1.min(b2));
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet(out)
    }

    /// Only the multiples of `align` (a power of two), each interval shrunk to its aligned ends.
    pub fn aligned(&self, align: u64) -> IntervalSet {
        let mask = align.max(1) - 1;
        IntervalSet(
            self.0
                .iter()
                .filter_map(|&(a, b)| {
                    let lo = a.checked_add(mask)? & !mask;
                    let hi = b & !mask;
                    (lo <= hi).then_some((lo, hi))
                })
                .collect(),
        )
    }

    /// Number of `align`-aligned addresses in the (already aligned) set.
    pub fn count_aligned(&self, align: u64) -> u128 {
        let a = u128::from(align.max(1));
        self.0.iter().map(|&(lo, hi)| (u128::from(hi) - u128::from(lo)) / a + 1).sum()
    }
}

/// A relocation whose constraint removes part of the loader's window.
#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    /// `R_X86_64_32S against .rodata+0x40 in .text+0x1c`
    pub relocation: RelocationSite,
    /// Exact (unaligned) load addresses the relocation allows, within the loader window.
    pub allows: IntervalSet,
    /// `limits the load to < 0x7fffefc0`
    pub text: String,
}

/// A relocation that fails at every load address.
#[derive(Debug, Clone, Serialize)]
pub struct BlockingRelocation {
    /// Its problem: an index into [`Window::blockers`].
    pub blocker: usize,
    /// `R_X86_64_GOTPC64 against _GLOBAL_OFFSET_TABLE_+0x2 in .text+0x2`
    pub relocation: RelocationSite,
}

/// What fails relocation everywhere: the distinct problems, and the relocations that meet each.
#[derive(Default)]
struct Blockers {
    problems: Vec<Cause>,
    relocations: Vec<BlockingRelocation>,
}

impl Blockers {
    fn add(&mut self, problem: Cause, relocation: Option<RelocationSite>) {
        let blocker = self.problems.iter().position(|p| *p == problem).unwrap_or_else(|| {
            self.problems.push(problem);
            self.problems.len() - 1
        });
        if let Some(relocation) = relocation {
            self.relocations.push(BlockingRelocation { blocker, relocation });
        }
    }

    /// The problems as a reader tells them apart: those that read the same (an unknown type's message does not
    /// name its number) become one, the first met. Only the distinct values are rendered.
    fn finish(self) -> (Vec<Cause>, Vec<BlockingRelocation>) {
        let Blockers { problems, mut relocations } = self;
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let (mut kept, mut kept_texts, mut index) = (Vec::new(), Vec::<&str>::new(), Vec::with_capacity(texts.len()));
        for (problem, text) in problems.into_iter().zip(&texts) {
            index.push(kept_texts.iter().position(|t| t == text).unwrap_or_else(|| {
                kept.push(problem);
                kept_texts.push(text);
                kept.len() - 1
            }));
        }
        relocations.iter_mut().for_each(|r| r.blocker = index[r.blocker]);
        (kept, relocations)
    }
}

/// The load window of an object under a profile.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub profile: crate::ProfileId,
    /// Load-address alignment (the segment's `buf_align`, at least a page).
    pub align: u64,
    pub memsz: u64,
    /// The loader's own purgatory window for the load address.
    pub loader: (u64, u64),
    /// Aligned load addresses at which everything relocates, within the loader's window.
    pub intervals: IntervalSet,
    /// Aligned load addresses at which everything relocates, ignoring the loader's window.
    pub relocatable: IntervalSet,
    /// Number of aligned load addresses in `intervals`.
    pub count: u128,
    /// Relocations that bound the window, tightest first (deduplicated by text).
    pub limits: Vec<Limit>,
    /// Problems that fail relocation at every address, each once, in the order first met.
    pub blockers: Vec<Cause>,
    /// Every relocation that fails at every address, with the problem it meets: an object built for another
    /// code model can carry hundreds, all for a few reasons.
    pub blocking_relocations: Vec<BlockingRelocation>,
    /// What the loader does to memory it does not own at the reference layout: hazards, not refusals.
    pub hazards: Vec<crate::message::Finding>,
    /// The entry is misplaced at every address (the window is still about relocation).
    pub entry_misplaced: bool,
    /// False when a non-power-of-two alignment makes the layout itself depend on the load address;
    /// the window is then computed for the layout at one reference address.
    pub exact: bool,
}

impl Window {
    /// The loader's window restricted to aligned start addresses at which the segment fits.
    pub fn loader_aligned(&self) -> IntervalSet {
        let last = self.loader.1.saturating_sub(self.memsz.saturating_sub(1));
        IntervalSet::range(self.loader.0, last).aligned(self.align)
    }

    /// Whether an address is in the window.
    pub fn allows(&self, addr: u64) -> bool {
        self.intervals.contains(addr)
    }
}

/// Reference address used to turn layout addresses into offsets (any aligned value works).
const REFERENCE: u64 = 0x1000_0000;

/// Computes the window of `obj` under `profile`.
pub fn window(obj: &Object, profile: &dyn Profile) -> Window {
    let (_, memsz, align) = layout::footprint(obj, profile.layout_rule());
    let reference = REFERENCE.div_ceil(align.max(1)).saturating_mul(align.max(1));
    let lay = layout::place(obj, profile.layout_rule(), reference);
    let loader = profile.placement_window();
    let mut blockers = Blockers::default();
    if let Err(errs) = profile.validate(obj) {
        errs.into_iter().for_each(|e| blockers.add(Cause::Loader(e), None));
    }
    lay.too_large().into_iter().for_each(|m| blockers.add(Cause::Loader(m), None));
    // The window is about relocation: hazards (the kernel goes on) are listed, not blocking.
    let mut hazards = profile.silent_misapplications(obj);
    hazards.extend(lay.overruns.iter().cloned());
    // The segment must fit below the loader's maximum and inside the address space.
    let last_start = loader.1.saturating_sub(memsz.saturating_sub(1));
    let class_max = if profile.class() == crate::elf::Class::Elf32 { u64::from(u32::MAX) } else { u64::MAX };
    let space = IntervalSet::range(0, class_max.saturating_sub(memsz.saturating_sub(1)));
    let loader_set = space.intersect(&IntervalSet::range(loader.0, last_start));

    let plans = plan::plan(obj, profile, &lay);
    let moving = moving_sections(obj, profile.layout_rule(), &lay, reference, align);
    if let Some((_, f)) = &plans.section_failure {
        blockers.add(Cause::Loader(f.message.clone()), None);
    }
    let mut set = space.clone();
    let mut limits = Vec::new();
    for (site, planned) in &plans.entries {
        let p = match planned {
            Planned::Fatal { cause, .. } => {
                let type_name = profile.arch().howto(site.r_type).name;
                blockers.add((**cause).clone(), Some(site_of(type_name, site)));
                continue;
            }
            Planned::Apply(p) => p,
        };
        let Some((arc_start, arc_len)) = p.howto.range.as_arc().filter(|_| p.checked) else { continue };
        let Some(allowed) = constraint(obj, &lay, &moving, reference, p, arc_start, arc_len) else { continue };
        let allows = allowed.intersect(&loader_set);
        if allows != loader_set {
            limits.push((allows, p.howto.name, site));
        }
        set = set.intersect(&allowed);
    }
    if !blockers.problems.is_empty() {
        set = IntervalSet::default();
    }
    let relocatable = set.aligned(align);
    let intervals = relocatable.intersect(&loader_set).aligned(align);
    // One limit per (allowed addresses, relocation type, symbol + addend), described only once kept: an object
    // can carry hundreds of relocations against the same symbol.
    limits.sort_by_key(|(allows, ..)| allows.count_aligned(1));
    limits.dedup_by(|(a, a_type, a_site), (b, b_type, b_site)| {
        a == b && a_type == b_type && a_site.symbol == b_site.symbol && a_site.addend == b_site.addend
    });
    let limits = limits
        .into_iter()
        .map(|(allows, type_name, site)| Limit {
            relocation: site_of(type_name, site),
            text: describe_limit(&allows, &loader_set),
            allows,
        })
        .collect();
    let entry_misplaced = entry::resolve(obj, &lay, profile.entry_rule(), true).misplaced();
    let (blockers, blocking_relocations) = blockers.finish();
    let exact = obj.sections.iter().filter(|s| s.is_alloc()).all(|s| s.addralign <= 1 || s.addralign.is_power_of_two());
    Window {
        exact,
        profile: profile.id(),
        align,
        memsz,
        loader,
        count: intervals.count_aligned(align),
        intervals,
        relocatable,
        limits,
        blockers,
        blocking_relocations,
        hazards,
        entry_misplaced,
    }
}

fn site_of(type_name: &'static str, site: &plan::OwnedSite) -> RelocationSite {
    RelocationSite {
        type_name,
        symbol: site.symbol.clone(),
        addend: site.addend,
        section: site.target.clone(),
        offset: site.offset,
    }
}

/// Which placed sections move with the load address: a section the kernel's `ALIGN(x, 0)` put at 0
/// stays there wherever the segment goes.
fn moving_sections(obj: &Object, rule: layout::LayoutRule, lay: &Layout, reference: u64, align: u64) -> Vec<bool> {
    let shifted = reference.wrapping_add(align.max(1).saturating_mul(0x1000));
    let other = layout::place(obj, rule, shifted);
    (0..obj.sections.len()).map(|i| lay.section_addr(obj, i) != other.section_addr(obj, i)).collect()
}

/// The load addresses L at which the field value k·L + c lies in the arc `[arc_start, arc_start + len)`.
/// `None` when the relocation does not depend on L and always fits.
fn constraint(
    obj: &Object,
    lay: &Layout,
    moving: &[bool],
    reference: u64,
    p: &plan::Plan,
    arc_start: u64,
    arc_len: u64,
) -> Option<IntervalSet> {
    // Each end is k·L + c with k 1 if it moves with L and 0 if fixed; c is its value at L = 0.
    let end = |moves: bool, at_reference: u64| {
        if moves {
            (1i8, at_reference.wrapping_sub(reference))
        } else {
            (0, at_reference)
        }
    };
    let (s_k, s_c) = match p.base {
        Base::Section(i) => end(moving.get(i).copied().unwrap_or(true), lay.section_addr(obj, i)),
        Base::Fixed(a) => (0, a),
    };
    let (p_k, p_c) =
        end(moving.get(p.target).copied().unwrap_or(true), lay.section_addr(obj, p.target).wrapping_add(p.offset));
    let c_abs = s_c.wrapping_add(p.addend);
    let (k, c) = match p.howto.formula {
        Formula::PcRelative => (s_k - p_k, c_abs.wrapping_sub(p_c)),
        _ => (s_k, c_abs),
    };
    let len = u128::from(arc_len);
    match k {
        // L + c ∈ [s, s+len)  ⇔  L ∈ [s - c, s - c + len)
        1 => Some(IntervalSet::arc(arc_start.wrapping_sub(c), len)),
        // c - L ∈ [s, s+len)  ⇔  L ∈ (c - s - len, c - s]
        -1 => Some(IntervalSet::arc(c.wrapping_sub(arc_start).wrapping_sub(arc_len).wrapping_add(1), len)),
        _ => {
            let fits = IntervalSet::arc(arc_start, len).contains(c);
            (!fits).then(IntervalSet::default)
        }
    }
}

fn describe_limit(allows: &IntervalSet, loader: &IntervalSet) -> String {
    if allows.is_empty() {
        return "fails at every load address".into();
    }
    let (Some(&(llo, _)), Some(&(_, lhi))) = (loader.0.first(), loader.0.last()) else {
        return "fails at every load address".into();
    };
    let parts: Vec<String> = allows
        .0
        .iter()
        .map(|&(a, b)| match (a == llo, b == lhi) {
            (true, false) => format!("< {:#x}", u128::from(b) + 1),
            (false, true) => format!(">= {a:#x}"),
            _ => format!("{a:#x}..={b:#x}"),
        })
        .collect();
    format!("limits the load to {}", parts.join(" or "))
}
