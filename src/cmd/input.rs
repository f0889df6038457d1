//! Reading inputs: objects (or the purgatory inside a kernel image) and their profiles.

use std::path::Path;

use kreloc_oracle::{Object, Profile};

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
fn profile_for(name: &str, origin: &kreloc_extract::Origin) -> String {
    match (name, origin) {
        ("linux-x86_64", kreloc_extract::Origin::KexecTools { .. }) => "kexec-tools-x86_64".into(),
        ("linux-x86_64", o) => {
            o.kernel_series().map_or_else(|| name.to_string(), |(major, minor)| format!("{name}@{major}.{minor}"))
        }
        _ => name.to_string(),
    }
}

/// Resolves a profile name, or a one-line error listing the known ones.
pub fn profile(name: &str) -> Result<Box<dyn Profile>, String> {
    kreloc_oracle::parse_profile(name).map_err(|e| e.to_string())
}

/// The profile (checked first: a typo there is the likelier mistake) and the object.
pub fn inputs(path: &Path, profile_name: &str) -> Result<(Object, Box<dyn Profile>), String> {
    profile(profile_name)?;
    let (obj, origin) = read_input(path)?;
    Ok((obj, profile(&profile_for(profile_name, &origin))?))
}
