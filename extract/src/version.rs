//! Who built the image: the kernel's `linux_banner` or kexec-tools' version string.

use serde::Serialize;

use crate::embedded::find;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "origin")]
pub enum Origin {
    /// A kernel; `release` as `uname -r` prints it (`6.1.0-57-amd64`).
    Linux { release: String },
    /// kexec-tools; `version` as `kexec --version` prints it (`2.0.25`).
    KexecTools { version: String },
    /// No version string found (or the input was an object already).
    Unknown,
}

impl Origin {
    /// The kernel series `(major, minor)`, e.g. `(6, 1)`.
    pub fn kernel_series(&self) -> Option<(u32, u32)> {
        let Origin::Linux { release } = self else { return None };
        let mut parts = release.split(|c: char| !c.is_ascii_digit());
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }
}

/// The origin told by version strings in the (decompressed) executable, else by the bzImage header's.
pub fn origin(exe: &[u8], header_release: Option<String>) -> Origin {
    if let Some(release) = word_after(exe, b"Linux version ").or(header_release) {
        return Origin::Linux { release };
    }
    match word_after(exe, b"kexec-tools ") {
        Some(version) if version.starts_with(|c: char| c.is_ascii_digit()) => Origin::KexecTools { version },
        _ => Origin::Unknown,
    }
}

/// The release in a bzImage's setup header (`kernel_version` points at "6.1.0-57-amd64 (builder@host) #1 ...").
pub fn bzimage_header_version(b: &[u8]) -> Option<String> {
    let ptr = usize::from(u16::from_le_bytes([*b.get(0x20e)?, *b.get(0x20f)?]));
    let start = ptr.checked_add(0x200)?;
    word_at(b.get(start..)?)
}

/// The printable word following the first `marker` that is followed by a digit.
fn word_after(hay: &[u8], marker: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = find(&hay[from..], marker) {
        let start = from + pos + marker.len();
        if let Some(w) = word_at(&hay[start..]).filter(|w| w.starts_with(|c: char| c.is_ascii_digit())) {
            return Some(w);
        }
        from = start;
    }
    None
}

fn word_at(b: &[u8]) -> Option<String> {
    let len = b.iter().take(64).take_while(|c| c.is_ascii_graphic()).count();
    (len > 0).then(|| String::from_utf8_lossy(&b[..len]).into_owned())
}
