//! Finding installed toolchains and reading their exact versions.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::catalog::{self, Release, Source};
use crate::identity::{version_after, Family, Kind, Toolchain, Version};
use crate::process::Child;
use crate::Error;

const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

/// An executable on PATH, by name.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Reads the exact version of a compiler executable of the given kind.
pub fn probe(exe: &Path, family: Family, kind: Kind) -> Result<Toolchain, Error> {
    let mut child = Child::new(exe, VERSION_TIMEOUT);
    if matches!(kind, Kind::Zig { .. }) {
        child = child.arg("cc");
    }
    let out = child.arg("--version").run()?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), out.stderr_text());
    let version = match family {
        Family::Llvm => version_after(&text, &["clang version"]),
        Family::Rustc => version_after(&text, &["rustc"]),
        Family::Gcc => text.lines().next().and_then(|l| {
            l.split_whitespace().filter_map(|w| Version::parse(w).filter(|v| v.0.len() >= 2)).next_back()
        }),
    }
    .ok_or_else(|| Error::Version {
        exe: exe.display().to_string(),
        output: text.lines().next().unwrap_or("").to_string(),
    })?;
    Ok(Toolchain { family, version, kind, exe: exe.to_path_buf() })
}

/// The executable a catalog release would have once installed (whether or not it is).
pub fn expected_exe(r: &Release) -> Option<PathBuf> {
    match &r.source {
        Source::Apt { bin, .. } | Source::Image { bin } => which(bin),
        Source::Zig { version } => Some(crate::dirs::zig_exe(version)).filter(|p| is_executable(p)),
        Source::Pip { package, version, bin } => {
            Some(crate::dirs::pip_dir(package, version).join(bin)).filter(|p| is_executable(p))
        }
    }
}

/// The kind a catalog release gives.
pub fn kind_of(r: &Release) -> Kind {
    match (&r.source, r.family) {
        (Source::Zig { version }, _) => Kind::Zig { zig_version: version.to_string() },
        (_, Family::Gcc) => Kind::AptGcc,
        (_, Family::Llvm) => Kind::AptClang,
        (_, Family::Rustc) => Kind::Rustc,
    }
}

/// Installed catalog releases, probed.
pub fn installed() -> Vec<Toolchain> {
    catalog::all().iter().filter_map(|r| probe(&expected_exe(r)?, r.family, kind_of(r)).ok()).collect()
}
