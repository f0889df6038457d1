//! The ARM zImage layout check (seed 004): where kexec-tools puts the initrd (`base + 4 × len`) against
//! where the kernel really decompresses to, using the true decompressed size read from the zImage.

use std::io::Read;

use serde::Serialize;

const ZIMAGE_MAGIC: u32 = 0x016f_2818;
const TABLE_MAGIC: u32 = 0x4545_4545;
const TAG_KRNL_SIZE: u32 = 0x5a53_4c4b;
/// The kernel runs 32 KiB above the start of RAM.
pub const TEXT_OFFSET: u64 = 0x8000;
const PAGE: u64 = 4096;
/// head.S relocates the zImage above the decompressed kernel, with its stack (4 KiB) and malloc (64 KiB).
const DECOMPRESSOR_EXTRA: u64 = 0x1000 + 0x10000;

/// Where the initrd goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitrdRule {
    /// kexec-tools: `base + ALIGN(len * 4, page)`.
    Ratio4,
    /// Above everything the boot really touches, from the true sizes.
    Exact,
}

impl InitrdRule {
    pub fn parse(s: &str) -> Option<InitrdRule> {
        match s {
            "ratio4" => Some(InitrdRule::Ratio4),
            "exact" => Some(InitrdRule::Exact),
            _ => None,
        }
    }
}

/// Why a zImage could not be read.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("{0}")]
pub struct ZimageError(pub String);

/// How the decompressed size was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeSource {
    /// The `ZIMAGE_TAG_KRNL_SIZE` tag (edata size at size_ptr, plus bss).
    KrnlSizeTag,
    /// The gzip ISIZE trailer of the payload (checked against the decoded length).
    GzipIsize,
}

/// A memory span, half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

impl Span {
    fn overlaps(self, o: Span) -> bool {
        self.start < o.end && o.start < self.end
    }
}

/// The check's result.
#[derive(Debug, Clone, Serialize)]
pub struct ZimageReport {
    pub zimage_len: u64,
    pub decompressed: u64,
    pub size_source: SizeSource,
    pub base: u64,
    pub rule: InitrdRule,
    /// The decompressed kernel.
    pub kernel: Span,
    /// The zImage after the decompressor moved itself above the kernel.
    pub relocated_zimage: Span,
    /// Where the rule puts the initrd.
    pub initrd_start: u64,
    /// Human-readable overlaps; empty when the layout is safe.
    pub overlaps: Vec<String>,
    /// The lowest initrd address that is safe.
    pub safe_initrd_start: u64,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the true decompressed size of a zImage.
pub fn decompressed_size(z: &[u8]) -> Result<(u64, SizeSource), ZimageError> {
    if u32_at(z, 0x24) != Some(ZIMAGE_MAGIC) {
        return Err(ZimageError("not an ARM zImage (no 0x016f2818 magic at 0x24)".into()));
    }
    if u32_at(z, 0x34) == Some(TABLE_MAGIC) {
        if let Some(size) = krnl_size_tag(z) {
            return Ok((size, SizeSource::KrnlSizeTag));
        }
    }
    let start = z
        .windows(3)
        .position(|w| w == [0x1f, 0x8b, 0x08])
        .ok_or_else(|| ZimageError("no gzip payload found in the zImage".into()))?;
    let payload = &z[start..];
    let mut decoder = flate2::bufread::GzDecoder::new(payload);
    let mut sink = [0u8; 1 << 16];
    let mut decoded = 0u64;
    loop {
        match decoder.read(&mut sink) {
            Ok(0) => break,
            Ok(n) => decoded += n as u64,
            Err(e) => return Err(ZimageError(format!("gzip payload at {start:#x} is corrupt: {e}"))),
        }
    }
    let consumed = payload.len() - decoder.into_inner().len();
    let isize = consumed
        .checked_sub(4)
        .and_then(|at| u32_at(payload, at))
        .ok_or_else(|| ZimageError("gzip payload has no trailer".into()))?;
    if u64::from(isize) != decoded & 0xffff_ffff {
        return Err(ZimageError(format!(
            "gzip ISIZE {isize} disagrees with the {decoded} bytes the payload decodes to"
        )));
    }
    Ok((u64::from(isize), SizeSource::GzipIsize))
}

fn krnl_size_tag(z: &[u8]) -> Option<u64> {
    let mut at = u32_at(z, 0x38)? as usize;
    for _ in 0..16 {
        let (size, tag) = (u32_at(z, at)?, u32_at(z, at + 4)?);
        if size == 0 {
            return None;
        }
        if tag == TAG_KRNL_SIZE {
            let (size_ptr, bss) = (u32_at(z, at + 8)?, u32_at(z, at + 12)?);
            return Some(u64::from(u32_at(z, size_ptr as usize)?) + u64::from(bss));
        }
        at = at.checked_add(size as usize * 4)?;
    }
    None
}

fn align_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

/// Checks the layout of a zImage loaded at `base` with the given initrd rule.
pub fn check_zimage(z: &[u8], base: u64, rule: InitrdRule) -> Result<ZimageReport, ZimageError> {
    let (decompressed, size_source) = decompressed_size(z)?;
    let len = z.len() as u64;
    let kernel = Span { start: base + TEXT_OFFSET, end: base + TEXT_OFFSET + decompressed };
    let reloc_start = align_up(kernel.end + 256, 256);
    let relocated_zimage = Span { start: reloc_start, end: reloc_start + len + DECOMPRESSOR_EXTRA };
    let safe_initrd_start = align_up(kernel.end.max(relocated_zimage.end), PAGE);
    let initrd_start = match rule {
        InitrdRule::Ratio4 => base + align_up(len * 4, PAGE),
        InitrdRule::Exact => safe_initrd_start,
    };
    let initrd = Span { start: initrd_start, end: initrd_start + 1 };
    let mut overlaps = Vec::new();
    if kernel.end > initrd_start {
        overlaps.push(format!(
            "the decompressed kernel ({:#x}..{:#x}, {decompressed} bytes) runs over the initrd at {initrd_start:#x}",
            kernel.start, kernel.end
        ));
    }
    if relocated_zimage.overlaps(Span { start: initrd_start, end: u64::MAX }) && !initrd.overlaps(kernel) {
        overlaps.push(format!(
            "the decompressor moves the zImage to {:#x}..{:#x}, over the initrd at {initrd_start:#x}",
            relocated_zimage.start, relocated_zimage.end
        ));
    }
    Ok(ZimageReport {
        zimage_len: len,
        decompressed,
        size_source,
        base,
        rule,
        kernel,
        relocated_zimage,
        initrd_start,
        overlaps,
        safe_initrd_start,
    })
}
