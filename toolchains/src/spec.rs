//! Resolving what users type (`gcc@12`, `llvm@17`, `clang-19`, `zig@0.13.0`, `rustc`, `path:/x/cc`) to a toolchain.

use std::path::PathBuf;

use crate::catalog::{self, Source};
use crate::discover::{self, expected_exe, kind_of, probe};
use crate::identity::{Family, Kind, Toolchain, Version};
use crate::{Error, NotInstalled, Unavailable};

/// A parsed toolchain request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// `family@version` (major or exact).
    Release(Family, Version),
    /// `zig@0.13.0`.
    Zig(String),
    /// `clang-19`, `gcc-11`.
    Binary(String),
    /// `rustc`.
    Rustc,
    /// `path:/x/cc`.
    Path(PathBuf),
}

impl std::fmt::Display for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spec::Release(fam, v) => write!(f, "{fam}@{v}"),
            Spec::Zig(z) => write!(f, "zig@{z}"),
            Spec::Binary(b) => f.write_str(b),
            Spec::Rustc => f.write_str("rustc"),
            Spec::Path(p) => write!(f, "path:{}", p.display()),
        }
    }
}

impl Spec {
    pub fn parse(s: &str) -> Result<Spec, Error> {
        let bad = || Error::BadSpec { given: s.to_string() };
        if let Some(p) = s.strip_prefix("path:") {
            return Ok(Spec::Path(PathBuf::from(p)));
        }
        if s == "rustc" {
            return Ok(Spec::Rustc);
        }
        if let Some((f, v)) = s.split_once('@') {
            if f == "zig" {
                return Ok(Spec::Zig(v.to_string()));
            }
            let family = Family::parse(f).ok_or_else(bad)?;
            return Ok(Spec::Release(family, Version::parse(v).ok_or_else(bad)?));
        }
        if s.starts_with("gcc") || s.starts_with("clang") || s.contains("-linux-gnu-gcc") {
            return Ok(Spec::Binary(s.to_string()));
        }
        Err(bad())
    }

    /// The catalog release this spec names, if it names one (for installation).
    pub fn release(&self) -> Result<catalog::Release, Error> {
        let found = match self {
            Spec::Release(f, v) => catalog::sources(*f, v).into_iter().next(),
            Spec::Zig(z) => {
                catalog::all().into_iter().find(|r| matches!(r.source, Source::Zig { version } if version == z))
            }
            Spec::Binary(b) => catalog::all()
                .into_iter()
                .find(|r| matches!(r.source, Source::Apt { bin, .. } | Source::Image { bin } if bin == b)),
            Spec::Rustc => catalog::all().into_iter().find(|r| r.family == Family::Rustc),
            Spec::Path(_) => None,
        };
        found.ok_or_else(|| Unavailable::NotProvisionable(self.clone()).into())
    }
}

/// Resolves a spec to an installed toolchain.
pub fn resolve(s: &str) -> Result<Toolchain, Error> {
    let spec = Spec::parse(s)?;
    match &spec {
        Spec::Path(p) => probe_path(p),
        Spec::Binary(b) => {
            let exe = discover::which(b).ok_or_else(|| NotInstalled::OnPath { bin: b.clone() })?;
            let family = if b.starts_with("clang") { Family::Llvm } else { Family::Gcc };
            let kind = match b.split_once("-linux-gnu-gcc") {
                Some((arch, _)) => Kind::CrossGcc { arch: arch.to_string() },
                None if family == Family::Llvm => Kind::AptClang,
                None => Kind::AptGcc,
            };
            probe(&exe, family, kind)
        }
        Spec::Release(family, version) => {
            let candidates = catalog::sources(*family, version);
            if candidates.is_empty() {
                return Err(Unavailable::NoRelease { family: *family, version: version.clone() }.into());
            }
            candidates.iter().find_map(|r| probe(&expected_exe(r)?, r.family, kind_of(r)).ok()).ok_or_else(|| {
                NotInstalled::Release { family: *family, version: version.clone(), spec: s.to_string() }.into()
            })
        }
        Spec::Zig(_) | Spec::Rustc => {
            let r = spec.release()?;
            let exe = expected_exe(&r).ok_or_else(|| NotInstalled::Spec { spec: s.to_string() })?;
            probe(&exe, r.family, kind_of(&r))
        }
    }
}

fn probe_path(p: &std::path::Path) -> Result<Toolchain, Error> {
    if !p.exists() {
        return Err(NotInstalled::NoSuchCompiler(p.to_path_buf()).into());
    }
    probe(p, Family::Llvm, Kind::Path).or_else(|_| probe(p, Family::Gcc, Kind::Path))
}
