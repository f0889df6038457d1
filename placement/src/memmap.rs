//! Memory maps (`/proc/iomem` or a simple e820-like list) and `crashkernel=size@offset`.

use serde::Serialize;

/// A physical range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

/// RAM and the crash reservation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemoryMap {
    /// Usable RAM ranges, sorted.
    pub ram: Vec<Range>,
    /// A `Crash kernel` reservation found in the map, if any.
    pub crash: Option<Range>,
}

/// Why a map or crashkernel spec could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct MapError(pub String);

fn hex(s: &str) -> Option<u64> {
    let s = s.trim();
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

impl MemoryMap {
    /// Parses `/proc/iomem` lines (`00001000-0009ffff : System RAM`, nested `Crash kernel`) or e820-like
    /// lines (`0x1000-0x9ffff usable` / `ram` / `reserved`). Blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<MemoryMap, MapError> {
        let mut map = MemoryMap::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                MapError(format!("memory map line {}: '{raw}' is not 'START-END : TYPE' or 'START-END TYPE'", n + 1))
            };
            let (range, kind) = match line.split_once(':') {
                Some((r, k)) if !r.contains(' ') || r.trim().contains('-') => (r.trim(), k.trim()),
                _ => line.split_once(char::is_whitespace).map(|(r, k)| (r, k.trim())).ok_or_else(bad)?,
            };
            let (a, b) = range.split_once('-').ok_or_else(bad)?;
            let (start, end) = (hex(a).ok_or_else(bad)?, hex(b).ok_or_else(bad)?);
            if end < start {
                return Err(MapError(format!("memory map line {}: end {end:#x} is below start {start:#x}", n + 1)));
            }
            let nested = raw.starts_with(' ') || raw.starts_with('\t');
            match kind.to_ascii_lowercase().as_str() {
                "crash kernel" => map.crash = Some(Range { start, end }),
                "system ram" | "ram" | "usable" if !nested => map.ram.push(Range { start, end }),
                _ => {}
            }
        }
        map.ram.sort_by_key(|r| r.start);
        if map.ram.is_empty() {
            return Err(MapError("memory map has no RAM ranges ('System RAM' or 'usable')".into()));
        }
        Ok(map)
    }
}

/// Parses a size with an optional K/M/G suffix (`256M`, `0x10000000`).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let n = match digits.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok()?,
        None => digits.parse().ok()?,
    };
    n.checked_mul(mult)
}

/// `crashkernel=size@offset` as a range.
pub fn parse_crashkernel(s: &str) -> Result<Range, MapError> {
    let bad = || MapError(format!("crashkernel '{s}' is not SIZE@OFFSET (e.g. 256M@1968M or 0x10000000@0x7b000000)"));
    let (size, at) = s.strip_prefix("crashkernel=").unwrap_or(s).split_once('@').ok_or_else(bad)?;
    let (size, start) = (parse_size(size).ok_or_else(bad)?, parse_size(at).ok_or_else(bad)?);
    if size == 0 {
        return Err(bad());
    }
    let end = start.checked_add(size - 1).ok_or_else(bad)?;
    Ok(Range { start, end })
}
