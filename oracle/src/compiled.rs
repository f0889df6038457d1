//! A relocation program compiled once per (object, profile): layout offsets, symbol offsets and field kinds are
//! resolved ahead, so relocating at an address is one pass over flat ops with no allocation and no lookups.
//! It computes the same bytes as `relocate::load`, which stays the reference (and the one that explains).

use crate::arch::{Arch, Formula, Howto};
use crate::elf::Object;
use crate::layout;
use crate::plan::{self, Base, Kind, Planned, SectionFailure, Sink, Site};
use crate::profile::Profile;

/// Why an object has no compiled program (use `relocate::load`, which reports the reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Uncompilable {
    #[error("the loader refuses relocation {index} whatever the address")]
    RefusedEverywhere { index: usize },
    #[error("a relocation section is refused before its entries")]
    SectionRefused,
    #[error("a non-power-of-two alignment makes the layout depend on the load address")]
    AddressDependentLayout,
    #[error("the segment is too large to materialise")]
    TooLarge,
}

/// Relocating stopped: the loader's overflow check failed at `index` (the bytes up to it are written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Stopped {
    #[error("relocation {index} overflows with value {value:#x}")]
    Overflow { index: usize, value: u64 },
    #[error("the load address {load_addr:#x} is not aligned to {align:#x}")]
    Misaligned { load_addr: u64, align: u64 },
    #[error("the output buffer has {got} bytes, the segment {want}")]
    BufferSize { got: usize, want: usize },
}

/// One relocation, everything that does not depend on the load address resolved.
#[derive(Debug, Clone, Copy)]
struct Op {
    pos: usize,
    /// P - load_addr.
    place_off: u64,
    /// S + A, minus load_addr when `moving`.
    sym: u64,
    moving: bool,
    checked: bool,
    in_place: bool,
    kind: Kind,
    howto: Howto,
}

/// The compiled program. `relocate` fills a caller-provided buffer of `bufsz()` bytes.
#[derive(Debug, Clone)]
pub struct Compiled {
    arch: Arch,
    ops: Vec<Op>,
    pristine: Vec<u8>,
    align: u64,
}

/// A buffer `relocate_again` reuses: the pristine segment, or what this program last wrote into it.
#[derive(Debug, Clone)]
pub struct Segment {
    bytes: Vec<u8>,
    relocated: bool,
}

impl Segment {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The plans alone: a program needs no names.
struct NamelessPlans {
    entries: Vec<Planned>,
    section_refused: bool,
}

impl Sink for NamelessPlans {
    fn section(&mut self, _: SectionFailure) {
        self.section_refused = true;
    }

    fn entry(&mut self, _: Site<'_>, planned: Planned) {
        self.entries.push(planned);
    }

    fn done(&self) -> bool {
        self.section_refused
    }
}

/// Layout reference address: offsets are taken from a placement here (any aligned value works).
const REFERENCE: u64 = 0x1000_0000;

impl Compiled {
    /// Builds the program from the same plans `relocate::load` and the window use.
    pub fn new(obj: &Object, profile: &dyn Profile) -> Result<Compiled, Uncompilable> {
        let rule = profile.layout_rule();
        if layout::aligns_addresses_oddly(obj, rule) {
            return Err(Uncompilable::AddressDependentLayout);
        }
        let (_, _, align) = layout::footprint(obj, rule);
        let reference = REFERENCE.div_ceil(align.max(1)).saturating_mul(align.max(1));
        let lay = layout::place(obj, rule, reference);
        // Two sample placements must agree too: a backstop behind `aligns_addresses_oddly` (ALIGN(x, 0) and odd
        // alignments on absolute addresses), which two samples alone can miss (4480 agreed at both).
        let other = reference.wrapping_add(align.max(1).saturating_mul(0x1_0000));
        let moved = layout::place(obj, rule, other);
        let same_offsets = lay
            .placed
            .iter()
            .zip(&moved.placed)
            .all(|(a, b)| a.addr.wrapping_sub(reference) == b.addr.wrapping_sub(other));
        if !same_offsets {
            return Err(Uncompilable::AddressDependentLayout);
        }
        if lay.too_large().is_some() {
            return Err(Uncompilable::TooLarge);
        }
        let mut plans = NamelessPlans { entries: Vec::with_capacity(obj.reloc_count()), section_refused: false };
        plan::for_each(obj, profile, &lay, &mut plans);
        if plans.section_refused {
            return Err(Uncompilable::SectionRefused);
        }
        let arch = profile.arch();
        let mut ops = Vec::with_capacity(plans.entries.len());
        for (index, planned) in plans.entries.iter().enumerate() {
            let Planned::Apply(p) = planned else { return Err(Uncompilable::RefusedEverywhere { index }) };
            let place = lay.section_addr(obj, p.target).wrapping_add(p.offset);
            let (base, moving) = match p.base {
                Base::Section(i) => (lay.section_addr(obj, i).wrapping_sub(reference), true),
                Base::Fixed(a) => (a, false),
            };
            ops.push(Op {
                pos: p.buf_pos,
                place_off: place.wrapping_sub(reference),
                sym: base.wrapping_add(p.addend),
                moving,
                checked: p.checked,
                in_place: p.in_place,
                kind: p.kind,
                howto: p.howto,
            });
        }
        let mut pristine = layout::build_segment(obj, &lay);
        pristine.truncate(usize::try_from(lay.bufsz).unwrap_or(usize::MAX));
        // A field past bufsz lands in page padding that is never copied: `put` drops the write, the check stays.
        Ok(Compiled { arch, ops, pristine, align })
    }

    /// Bytes of the relocated segment (its file-backed part).
    pub fn bufsz(&self) -> usize {
        self.pristine.len()
    }

    /// Number of relocations the program applies.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Copies the sections into `out` and applies every relocation for a load at `at`, in the loader's order.
    pub fn relocate(&self, at: u64, out: &mut [u8]) -> Result<(), Stopped> {
        self.check_aligned(at)?;
        if out.len() != self.pristine.len() {
            return Err(Stopped::BufferSize { got: out.len(), want: self.pristine.len() });
        }
        out.copy_from_slice(&self.pristine);
        self.apply(at, out)
    }

    /// A segment holding the pristine bytes, for `relocate_again`.
    pub fn segment(&self) -> Segment {
        Segment { bytes: self.pristine.clone(), relocated: false }
    }

    /// `relocate` into a segment this program made: only the fields a previous call wrote are restored first,
    /// not the whole segment.
    pub fn relocate_again(&self, at: u64, segment: &mut Segment) -> Result<(), Stopped> {
        self.check_aligned(at)?;
        let out = &mut segment.bytes;
        if segment.relocated {
            for op in &self.ops {
                let end = op.pos.saturating_add(usize::from(op.howto.width)).min(out.len());
                if op.pos < end {
                    out[op.pos..end].copy_from_slice(&self.pristine[op.pos..end]);
                }
            }
        }
        segment.relocated = true;
        self.apply(at, out)
    }

    fn check_aligned(&self, at: u64) -> Result<(), Stopped> {
        if self.align > 1 && !at.is_multiple_of(self.align) {
            return Err(Stopped::Misaligned { load_addr: at, align: self.align });
        }
        Ok(())
    }

    /// Applies every relocation to a buffer holding the pristine bytes.
    fn apply(&self, at: u64, out: &mut [u8]) -> Result<(), Stopped> {
        for (index, op) in self.ops.iter().enumerate() {
            let s = if op.moving { at.wrapping_add(op.sym) } else { op.sym };
            let place = at.wrapping_add(op.place_off);
            // The straight-line kinds' value and range are the relocator's own (`Kind::value`).
            let (value, fits) = match (op.kind, op.kind.value(s, place)) {
                (_, Some((v, fits))) => {
                    put_straight(out, op.pos, op.kind, v);
                    (v, fits)
                }
                (Kind::Skip, None) => (s, true),
                (_, None) => self.generic(op, place, s, out),
            };
            if op.checked && !fits {
                return Err(Stopped::Overflow { index, value });
            }
        }
        Ok(())
    }

    /// (value, fits) of a field `Kind::value` does not cover: REL addends, other widths and architectures.
    fn generic(&self, op: &Op, place: u64, s: u64, out: &mut [u8]) -> (u64, bool) {
        // Work on a copy of the field so one that straddles the end of the buffer behaves like the
        // reference's page-rounded buffer: the in-buffer bytes are patched, the rest is dropped.
        let width = usize::from(op.howto.width);
        let mut field = [0u8; 8];
        let present = out.len().saturating_sub(op.pos).min(width);
        if present > 0 {
            field[..present].copy_from_slice(&out[op.pos..op.pos + present]);
        }
        let addend = if op.in_place { self.arch.load(&field, op.howto.width) } else { 0 };
        let s = s.wrapping_add(addend);
        let v = match op.howto.formula {
            Formula::PcRelative => s.wrapping_sub(place),
            _ => s,
        };
        self.arch.store(&op.howto, &mut field[..width], v);
        if present > 0 {
            out[op.pos..op.pos + present].copy_from_slice(&field[..present]);
        }
        (v, op.howto.range.fits(v))
    }
}

/// A straight-line kind's store (8 bytes for `Abs64`, else 4), through `put`: fixed sizes, no `memcpy` call.
#[inline(always)]
fn put_straight(out: &mut [u8], pos: usize, kind: Kind, value: u64) {
    if kind == Kind::Abs64 {
        put(out, pos, &value.to_le_bytes());
    } else {
        put(out, pos, &(value as u32).to_le_bytes());
    }
}

/// Writes `bytes` at `pos`; a field straddling the end keeps its in-buffer prefix (the rest is page padding).
fn put(out: &mut [u8], pos: usize, bytes: &[u8]) {
    if let Some(f) = out.get_mut(pos..pos + bytes.len()) {
        f.copy_from_slice(bytes);
    } else if let Some(f) = out.get_mut(pos..) {
        let n = f.len().min(bytes.len());
        f[..n].copy_from_slice(&bytes[..n]);
    }
}
