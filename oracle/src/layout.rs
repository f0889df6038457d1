//! Sizing and placement of SHF_ALLOC sections, as each loader family does it.

use serde::Serialize;

use crate::elf::Object;
use crate::message::Finding;

pub const PAGE_SIZE: u64 = 4096;

/// How a loader sizes and places sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LayoutRule {
    /// Linux ≥ 4.17 `kexec_purgatory_setup_kbuf`/`_setup_sechdrs`: offsets from 0, `ALIGN(x, 0) == 0`.
    KernelOffsets,
    /// Linux < 4.17 `__kexec_load_purgatory`: ALIGN on absolute addresses, bss padding by mask.
    KernelLegacy,
    /// kexec-tools `elf_rel_build_load`: like the legacy kernel, but an alignment of 0 counts as 1.
    KexecTools,
    /// The psABI reading: alignment 0 is 1 (non-powers of two are rejected before layout).
    Strict,
}

/// The kernel's `ALIGN(x, a)`, including its results for 0 and non-powers of two.
pub fn kernel_align(x: u64, a: u64) -> u64 {
    x.wrapping_add(a.wrapping_sub(1)) & !a.wrapping_sub(1)
}

/// One placed ALLOC section (its name: `Verdict::placed_name`, or the object's `name_of`).
#[derive(Debug, Clone)]
pub struct Placed {
    pub index: usize,
    /// Final address.
    pub addr: u64,
    pub size: u64,
    pub nobits: bool,
    /// Where the bytes go in the loader's buffer (None for NOBITS).
    pub buf_offset: Option<u64>,
}

/// The result of sizing and placing at one load address.
#[derive(Debug, Clone)]
pub struct Layout {
    pub load_addr: u64,
    /// Bytes the loader allocates and copies (file-backed part).
    pub bufsz: u64,
    /// Bytes the segment occupies in memory, page rounded.
    pub memsz: u64,
    /// Alignment the load address must have.
    pub align: u64,
    pub placed: Vec<Placed>,
    /// Copies past the buffer, onto another section, or bss outside the segment: hazards, not refusals.
    pub overruns: Vec<Finding>,
    /// Bytes the loader's buffer really has: the kernel's vzalloc(bufsz) is page-rounded, so a copy or a
    /// relocation past `bufsz` but below this lands in padding that is never copied to the segment.
    pub capacity: u64,
    /// Empty bss sections placed outside the segment: nothing is cleared, but symbols in them resolve there.
    pub stray_empty: Vec<(String, u64)>,
}

impl Layout {
    /// Final address of a section: the placed one for ALLOC sections, the original `sh_addr` otherwise.
    pub fn section_addr(&self, obj: &Object, index: usize) -> u64 {
        // `placed` is in section order.
        match self.placed.binary_search_by_key(&index, |p| p.index) {
            Ok(i) => self.placed[i].addr,
            Err(_) => obj.sections.get(index).map_or(0, |s| s.addr),
        }
    }
}

/// Sizes the object the way `rule` does, without a load address: (bufsz, memsz, align).
pub fn footprint(obj: &Object, rule: LayoutRule) -> (u64, u64, u64) {
    let mut buf_align = 1u64;
    let mut bss_align = 1u64;
    let mut bufsz = 0u64;
    let mut bss_sz = 0u64;
    for s in obj.sections.iter().filter(|s| s.is_alloc()) {
        let a = effective_align(rule, s.addralign);
        if s.is_nobits() {
            bss_align = bss_align.max(a);
            bss_sz = kernel_align(bss_sz, a).wrapping_add(s.size);
        } else {
            buf_align = buf_align.max(a);
            bufsz = kernel_align(bufsz, a).wrapping_add(s.size);
        }
    }
    let (bufsz, memsz) = match rule {
        LayoutRule::KernelOffsets | LayoutRule::Strict => {
            let bufsz = kernel_align(bufsz, bss_align);
            (bufsz, bufsz.wrapping_add(bss_sz))
        }
        LayoutRule::KernelLegacy | LayoutRule::KexecTools => {
            (bufsz, bufsz.wrapping_add(bss_pad(bufsz, bss_align)).wrapping_add(bss_sz))
        }
    };
    let align = buf_align.max(bss_align).max(PAGE_SIZE);
    (bufsz, kernel_align(memsz, PAGE_SIZE), align)
}

fn bss_pad(bufsz: u64, bss_align: u64) -> u64 {
    let mask = bss_align.wrapping_sub(1);
    if bufsz & mask != 0 {
        bss_align.wrapping_sub(bufsz & mask)
    } else {
        0
    }
}

fn effective_align(rule: LayoutRule, a: u64) -> u64 {
    match rule {
        LayoutRule::KexecTools | LayoutRule::Strict if a == 0 => 1,
        _ => a,
    }
}

/// Some section's placement aligns an absolute address by an alignment that is not a power of two (bss in
/// every layout, every section in the legacy ones). The kernel's bitmask `ALIGN` then does not move with the
/// load address, even between multiples of the segment's alignment: the layout differs from one address to
/// another.
pub(crate) fn aligns_addresses_oddly(obj: &Object, rule: LayoutRule) -> bool {
    let legacy = matches!(rule, LayoutRule::KernelLegacy | LayoutRule::KexecTools);
    obj.sections
        .iter()
        .filter(|s| s.is_alloc() && (legacy || s.is_nobits()))
        .any(|s| !effective_align(rule, s.addralign).is_power_of_two())
}

/// Places every ALLOC section for a load at `load_addr`.
pub fn place(obj: &Object, rule: LayoutRule, load_addr: u64) -> Layout {
    let (bufsz, memsz, align) = footprint(obj, rule);
    let mut placed = Vec::with_capacity(obj.sections.iter().filter(|s| s.is_alloc()).count());
    let mut overruns = Vec::new();
    let mut stray_empty = Vec::new();
    let (unpadded_bufsz, bss_start) = match rule {
        LayoutRule::KernelOffsets | LayoutRule::Strict => (bufsz, load_addr.wrapping_add(bufsz)),
        LayoutRule::KernelLegacy | LayoutRule::KexecTools => {
            let bss_align = obj
                .sections
                .iter()
                .filter(|s| s.is_alloc() && s.is_nobits())
                .map(|s| effective_align(rule, s.addralign))
                .fold(1, u64::max);
            (bufsz, load_addr.wrapping_add(bufsz).wrapping_add(bss_pad(bufsz, bss_align)))
        }
    };
    let capacity = buffer_capacity(rule, bufsz);
    let mut offset = 0u64;
    let mut bss_addr = bss_start;
    // Where the file-backed sections placed so far end, at most: a section at or past it overlaps none.
    let mut placed_end = 0u64;
    for s in obj.sections.iter().filter(|s| s.is_alloc()) {
        let a = effective_align(rule, s.addralign);
        if s.is_nobits() {
            bss_addr = kernel_align(bss_addr, a);
            let seg_end = u128::from(load_addr) + u128::from(memsz);
            let inside = bss_addr >= load_addr && u128::from(bss_addr) + u128::from(s.size) <= seg_end;
            if !inside && s.size == 0 {
                stray_empty.push((obj.name_of(s).to_string(), bss_addr));
            } else if !inside {
                overruns.push(Finding::BssOutsideSegment {
                    section: obj.name_of(s).to_string(),
                    addr: bss_addr,
                    start: load_addr,
                    end: u64::try_from(seg_end).unwrap_or(u64::MAX),
                    align: s.addralign,
                });
            }
            placed.push(Placed { index: s.index, addr: bss_addr, size: s.size, nobits: true, buf_offset: None });
            bss_addr = bss_addr.wrapping_add(s.size);
            continue;
        }
        offset = match rule {
            LayoutRule::KernelOffsets | LayoutRule::Strict => kernel_align(offset, a),
            // The legacy code aligns the absolute address, so ALIGN(addr, 0) == 0 lands at offset -load_addr.
            LayoutRule::KernelLegacy | LayoutRule::KexecTools => {
                kernel_align(load_addr.wrapping_add(offset), a).wrapping_sub(load_addr)
            }
        };
        let end = offset.checked_add(s.size);
        if end.is_none_or(|e| e > unpadded_bufsz) {
            overruns.push(Finding::SectionPastBuffer {
                section: obj.name_of(s).to_string(),
                size: s.size,
                offset,
                bufsz: unpadded_bufsz,
                align: s.addralign,
                into_padding: end.is_some_and(|e| e <= capacity),
            });
        }
        let other = if offset < placed_end { overlapped(obj, &placed, offset, s.size) } else { None };
        if let Some(other) = other {
            overruns.push(Finding::SectionOverlap {
                section: obj.name_of(s).to_string(),
                other,
                offset,
                align: s.addralign,
            });
        }
        let addr = load_addr.wrapping_add(offset);
        placed.push(Placed { index: s.index, addr, size: s.size, nobits: false, buf_offset: Some(offset) });
        if s.size > 0 {
            placed_end = placed_end.max(offset.saturating_add(s.size));
        }
        offset = offset.wrapping_add(s.size);
    }
    Layout { load_addr, bufsz, memsz, align, placed, overruns, capacity, stray_empty }
}

/// The kernel's `vzalloc(bufsz)` hands out whole pages; kexec-tools' `xmalloc(bufsz)` and the strict
/// reading have exactly `bufsz`.
fn buffer_capacity(rule: LayoutRule, bufsz: u64) -> u64 {
    match rule {
        LayoutRule::KernelOffsets | LayoutRule::KernelLegacy => {
            bufsz.checked_next_multiple_of(PAGE_SIZE).unwrap_or(bufsz)
        }
        LayoutRule::KexecTools | LayoutRule::Strict => bufsz,
    }
}

/// The name of an already-placed file-backed section that `[offset, offset + size)` overlaps.
fn overlapped(obj: &Object, placed: &[Placed], offset: u64, size: u64) -> Option<String> {
    let end = offset.saturating_add(size);
    placed
        .iter()
        .filter(|p| size > 0 && p.size > 0)
        .find(|p| p.buf_offset.is_some_and(|o| o < end && offset < o.saturating_add(p.size)))
        .map(|p| obj.name_of(&obj.sections[p.index]).to_string())
}

/// The loader's buffer length: its real capacity, clipped to `MAX_IMAGE`.
pub fn image_capacity(layout: &Layout) -> usize {
    usize::try_from(layout.capacity).unwrap_or(0).min(MAX_IMAGE)
}

/// The loader's buffer up to `bufsz`: section bytes copied in, the gaps between them zeroed (plus any section
/// bytes placed past `bufsz`, up to `image_capacity`). The padding past `bufsz` that no section is copied into
/// is left out: the relocator grows the image (with zeros) only where a relocation writes.
pub fn build_segment(obj: &Object, layout: &Layout) -> Vec<u8> {
    let len = image_capacity(layout);
    let segment = usize::try_from(layout.bufsz).unwrap_or(usize::MAX).min(len);
    // Only the gaps between sections are zeroed: the bytes are appended, not copied over zeros.
    let mut image = Vec::with_capacity(segment);
    for p in &layout.placed {
        let (Some(off), Some(section)) = (p.buf_offset, obj.sections.get(p.index)) else { continue };
        let Ok(start) = usize::try_from(off) else { continue };
        if start >= len {
            continue;
        }
        let data = obj.data(section);
        let n = data.len().min(len - start);
        if image.len() < start {
            image.resize(start, 0);
        }
        // A section placed over bytes already there (out of order, or overlapping) overwrites them.
        let over = (image.len() - start).min(n);
        image[start..start + over].copy_from_slice(&data[..over]);
        image.extend_from_slice(&data[over..n]);
    }
    if image.len() < segment {
        image.resize(segment, 0);
    }
    image
}

/// Segments larger than this are refused: the kernel's vzalloc of a purgatory buffer that size fails
/// (-ENOMEM), and materialising it would exhaust our memory too.
pub const MAX_IMAGE: usize = 256 << 20;

impl Layout {
    /// The loader's buffer allocation fails for this segment.
    pub fn too_large(&self) -> Option<crate::message::LoaderMessage> {
        (self.bufsz > MAX_IMAGE as u64 || self.memsz > MAX_IMAGE as u64)
            .then_some(crate::message::LoaderMessage::TooLarge { bufsz: self.bufsz, memsz: self.memsz })
    }
}
