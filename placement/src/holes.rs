//! Where loaders put the purgatory: kexec-tools' `locate_hole` (kexec/kexec.c) and the kernel's
//! `locate_mem_hole_top_down` (kernel/kexec_file.c).

use super::memmap::Range;

const PAGE: u64 = 4096;

/// `x` rounded up to `a` (a power of two, at least 1); `None` past the top of the address space.
fn align_up(x: u64, a: u64) -> Option<u64> {
    let mask = a.max(1) - 1;
    Some(x.checked_add(mask)? & !mask)
}

fn align_down(x: u64, a: u64) -> u64 {
    x & !(a.max(1) - 1)
}

/// The hole request kexec-tools' `add_buffer` makes.
#[derive(Debug, Clone, Copy)]
pub struct HoleRequest {
    pub size: u64,
    pub align: u64,
    pub min: u64,
    pub max: u64,
    /// -1 top-down (last fit), +1 bottom-up (first fit).
    pub end: i32,
}

/// Why kexec-tools' `locate_hole` fails; displayed as the message kexec-tools prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoleError {
    #[error("Could not find a free area of memory of {size:#x} bytes...")]
    NoRoom { size: u64 },
    #[error("Could not find a free area of memory below: {max:#x}...")]
    NotBelow { max: u64 },
}

/// kexec-tools `locate_hole`: RAM minus existing segments, clamped by `mem_min`/`mem_max` and the
/// request, first or last fit.
pub fn locate_hole(
    ram: &[Range],
    segments: &[Range],
    mem_min: u64,
    mem_max: u64,
    req: HoleRequest,
) -> Result<u64, HoleError> {
    // Sizes and alignments come from the object: past the top of the address space nothing fits.
    let too_big = || HoleError::NoRoom { size: req.size };
    let align = req.align.max(PAGE).checked_next_power_of_two().ok_or_else(too_big)?;
    let size = align_up(req.size.max(1), PAGE).ok_or_else(too_big)?;
    let mut free = Vec::new();
    for r in ram {
        let mut start = r.start;
        for s in segments.iter().filter(|s| s.start <= r.end && s.end >= r.start) {
            if start < s.start {
                free.push(Range { start, end: s.start - 1 });
            }
            start = s.end.saturating_add(1);
        }
        if start < r.end {
            free.push(Range { start, end: r.end });
        }
    }
    let mut base = None;
    for r in free {
        let Some(start) = align_up(r.start.max(mem_min).max(req.min), align) else { continue };
        let end = r.end.min(mem_max).min(req.max);
        if start >= end || start >= mem_max || end <= mem_min {
            continue;
        }
        if end - start >= size - 1 {
            if req.end > 0 {
                base = Some(start);
                break;
            }
            base = Some(align_down(end - (size - 1), align));
        }
    }
    let Some(base) = base else {
        return Err(HoleError::NoRoom { size });
    };
    if base.saturating_add(size - 1) > req.max {
        return Err(HoleError::NotBelow { max: req.max });
    }
    Ok(base)
}

/// Linux `locate_mem_hole_top_down` over the given ranges (highest first), with no other segments.
pub fn kernel_top_down(ranges: &[Range], buf_min: u64, buf_max: u64, memsz: u64, align: u64) -> Option<u64> {
    let align = align.max(PAGE);
    let memsz = align_up(memsz.max(1), PAGE)?;
    ranges.iter().rev().find_map(|r| {
        let (start, end) = (r.start.max(buf_min), r.end.min(buf_max));
        if end < start || end - start < memsz - 1 {
            return None;
        }
        let temp = align_down(end - (memsz - 1), align);
        (temp >= start && temp >= buf_min).then_some(temp)
    })
}
