//! Profile names as a typed value: the one table of names, eras and placement windows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    I386Mode, KexecToolsI386, KexecToolsX86_64, LinuxEra, LinuxRiscv64, LinuxS390x, LinuxX86_64, Profile, StrictX86_64,
};

/// A kernel release as a profile name gives it: `6`, `6.6` or `6.6.30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: Option<u32>,
    pub patch: Option<u32>,
}

impl KernelVersion {
    /// `major.minor`.
    pub fn series(major: u32, minor: u32) -> Self {
        KernelVersion { major, minor: Some(minor), patch: None }
    }

    /// The loading semantics of this release.
    pub fn era(self) -> LinuxEra {
        LinuxEra::of(self.major, self.minor.unwrap_or(0))
    }
}

impl FromStr for KernelVersion {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.split('.').map(|p| p.parse::<u32>().map_err(|_| ()));
        let major = parts.next().ok_or(())??;
        let minor = parts.next().transpose()?;
        let patch = parts.next().transpose()?;
        match parts.next() {
            None => Ok(KernelVersion { major, minor, patch }),
            Some(_) => Err(()),
        }
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.major)?;
        for part in [self.minor, self.patch].into_iter().flatten() {
            write!(f, ".{part}")?;
        }
        Ok(())
    }
}

/// The name of a loader profile, as users type it (`linux-x86_64@4.15`, `kexec-tools-i386`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileId {
    /// `linux-x86_64` (the 6.x LTS semantics) or `linux-x86_64@VERSION`.
    LinuxX86_64(Option<KernelVersion>),
    KexecToolsX86_64,
    /// `kexec-tools-i386`, `-nonreloc`, `-realmode`.
    KexecToolsI386(I386Mode),
    StrictX86_64,
    LinuxS390x,
    LinuxRiscv64,
}

/// The base names without a version, and what they stand for.
const BASE_NAMES: [(&str, ProfileId); 8] = [
    ("linux-x86_64", ProfileId::LinuxX86_64(None)),
    ("kexec-tools-x86_64", ProfileId::KexecToolsX86_64),
    ("kexec-tools-i386", ProfileId::KexecToolsI386(I386Mode::Crash)),
    ("kexec-tools-i386-nonreloc", ProfileId::KexecToolsI386(I386Mode::NonRelocatable)),
    ("kexec-tools-i386-realmode", ProfileId::KexecToolsI386(I386Mode::RealMode)),
    ("strict-x86_64", ProfileId::StrictX86_64),
    ("linux-s390x", ProfileId::LinuxS390x),
    ("linux-riscv64", ProfileId::LinuxRiscv64),
];

/// What `UnknownProfile` lists as known.
const KNOWN: &str = "linux-x86_64[@VERSION] (e.g. @4.15, @5.4, @6.6, @7.0), kexec-tools-x86_64, kexec-tools-i386, kexec-tools-i386-nonreloc, kexec-tools-i386-realmode, strict-x86_64, linux-s390x, linux-riscv64";

impl ProfileId {
    /// Every profile the catalogue lists: the base names, with `linux-x86_64` also at each era's version.
    pub fn catalogue() -> Vec<ProfileId> {
        let mut out = vec![ProfileId::LinuxX86_64(None)];
        out.extend(LinuxEra::ALL.map(|era| ProfileId::LinuxX86_64(Some(era.representative()))));
        out.extend(BASE_NAMES[1..].iter().map(|&(_, id)| id));
        out
    }

    /// The name without a version.
    pub fn base_name(self) -> &'static str {
        BASE_NAMES.iter().find(|&&(_, id)| id.same_base(self)).map_or("linux-x86_64", |&(name, _)| name)
    }

    fn same_base(self, other: ProfileId) -> bool {
        match (self, other) {
            (ProfileId::LinuxX86_64(_), ProfileId::LinuxX86_64(_)) => true,
            _ => self == other,
        }
    }

    /// The loading semantics of a `linux-x86_64` profile (`None` for the others).
    pub fn era(self) -> Option<LinuxEra> {
        match self {
            ProfileId::LinuxX86_64(v) => Some(v.map_or(LinuxEra::WarnOnSecondMatch, KernelVersion::era)),
            _ => None,
        }
    }

    /// The loader's purgatory window `[buf_min, buf_max]`.
    pub fn placement_window(self) -> (u64, u64) {
        match self {
            ProfileId::LinuxX86_64(_) | ProfileId::KexecToolsX86_64 | ProfileId::StrictX86_64 => (0x3000, u64::MAX),
            ProfileId::KexecToolsI386(I386Mode::Crash) => (0x3000, 0x7fff_ffff),
            ProfileId::KexecToolsI386(_) => (0x3000, 640 * 1024),
            ProfileId::LinuxS390x => (0, u64::MAX),
            ProfileId::LinuxRiscv64 => (0x8000_0000, u64::MAX),
        }
    }

    /// The profile this names.
    pub fn profile(self) -> Box<dyn Profile> {
        match self {
            ProfileId::LinuxX86_64(None) => Box::new(LinuxX86_64::current()),
            ProfileId::LinuxX86_64(Some(v)) => Box::new(LinuxX86_64::new(v.era())),
            ProfileId::KexecToolsX86_64 => Box::new(KexecToolsX86_64),
            ProfileId::KexecToolsI386(mode) => Box::new(KexecToolsI386 { mode }),
            ProfileId::StrictX86_64 => Box::new(StrictX86_64),
            ProfileId::LinuxS390x => Box::new(LinuxS390x),
            ProfileId::LinuxRiscv64 => Box::new(LinuxRiscv64),
        }
    }
}

/// Why a profile name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile '{given}'; known: {known}")]
pub struct UnknownProfile {
    pub given: String,
    pub known: String,
}

impl FromStr for ProfileId {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Self, UnknownProfile> {
        let unknown = || UnknownProfile { given: name.to_string(), known: KNOWN.into() };
        let (base, version) = match name.split_once('@') {
            Some((b, v)) => (b, Some(v)),
            None => (name, None),
        };
        let id = BASE_NAMES.iter().find(|&&(n, _)| n == base).map(|&(_, id)| id).ok_or_else(unknown)?;
        match (id, version) {
            (_, None) => Ok(id),
            (ProfileId::LinuxX86_64(_), Some(v)) => {
                Ok(ProfileId::LinuxX86_64(Some(v.parse().map_err(|()| unknown())?)))
            }
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base_name())?;
        match self {
            ProfileId::LinuxX86_64(Some(v)) => write!(f, "@{v}"),
            _ => Ok(()),
        }
    }
}

impl Serialize for ProfileId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProfileId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
