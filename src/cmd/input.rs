//! Reading inputs: objects (or the purgatory inside a kernel image) and their profiles.

use std::path::Path;

use kreloc_oracle::profile::KernelVersion;
use kreloc_oracle::{Object, Profile, ProfileId};

/// Reads and parses an ELF object, or a one-line error.
pub fn read_object(path: &Path) -> Result<Object, String> {
    read_input(path).map(|(obj, _)| obj)
}

/// Reads an object, or extracts the purgatory embedded in a kernel image or kexec-tools binary (saying so on stderr).
fn read_input(path: &Path) -> Result<(Object, kreloc_extract::Origin), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let x = kreloc_extract::extract(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if x.container != kreloc_extract::Container::Object {
        eprintln!("kreloc: {}", super::extract::describe(&x));
    }
    let obj = kreloc_oracle::parse(&x.object).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((obj, x.origin))
}

/// The profile for an extracted object: a versionless `linux-x86_64` takes the image's kernel series, and
/// kexec-tools' own purgatory is judged by kexec-tools.
fn profile_for(id: ProfileId, origin: &kreloc_extract::Origin) -> ProfileId {
    match (id, origin) {
        (ProfileId::LinuxX86_64(None), kreloc_extract::Origin::KexecTools { .. }) => ProfileId::KexecToolsX86_64,
        (ProfileId::LinuxX86_64(None), o) => o
            .kernel_series()
            .map_or(id, |(major, minor)| ProfileId::LinuxX86_64(Some(KernelVersion::series(major, minor)))),
        _ => id,
    }
}

/// The object and the profile that judges it.
pub fn inputs(path: &Path, id: ProfileId) -> Result<(Object, Box<dyn Profile>), String> {
    let (obj, origin) = read_input(path)?;
    Ok((obj, profile_for(id, &origin).profile()))
}
