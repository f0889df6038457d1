//! Shared argument parsing: objects, profiles, addresses.

use std::path::Path;

use kreloc_oracle::{Object, Profile};

/// Reads and parses an ELF object, or a one-line error.
pub fn read_object(path: &Path) -> Result<Object, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    kreloc_oracle::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Resolves a profile name, or a one-line error listing the known ones.
pub fn profile(name: &str) -> Result<Box<dyn Profile>, String> {
    kreloc_oracle::parse_profile(name).map_err(|e| e.to_string())
}

/// The profile (checked first: a typo there is the likelier mistake) and the object.
pub fn inputs(path: &Path, profile_name: &str) -> Result<(Object, Box<dyn Profile>), String> {
    let p = profile(profile_name)?;
    Ok((read_object(path)?, p))
}

/// Parses `0x13fffb000`, `5368709120`, `4G`, `1968M`.
pub fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let (digits, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t.as_str(), 1),
    };
    let n = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    }
    .map_err(|_| format!("'{s}' is not an address (use 0x13fffb000, 5368709120, 1968M or 4G)"))?;
    n.checked_mul(mult).ok_or_else(|| format!("'{s}' does not fit in 64 bits"))
}
