//! gcc and clang drivers (Debian's, cross, or at a path). Debian defaults to PIE, so pic is always explicit.

use std::path::Path;
use std::time::Duration;

use crate::config::{CompileConfig, Dialect};
use crate::identity::Toolchain;
use crate::process::Child;
use crate::Error;

/// Flags every purgatory-like compile gets.
pub const BASE: &[&str] =
    &["-c", "-ffreestanding", "-fno-common", "-fno-asynchronous-unwind-tables", "-fcf-protection=none", "-g0"];

pub fn command(tc: &Toolchain, cfg: &CompileConfig, src: &Path, out: &Path, timeout: Duration) -> Result<Child, Error> {
    Ok(Child::new(&tc.exe, timeout).args(flags(tc, cfg)).arg(src).arg("-o").arg(out))
}

/// The base flags and the config's, each once.
pub fn flags(tc: &Toolchain, cfg: &CompileConfig) -> Vec<String> {
    // GCC 7 predates -fcf-protection (GCC 8), and emits no ENDBR64 anyway.
    let base = BASE
        .iter()
        .filter(|f| !(tc.family == crate::Family::Gcc && tc.version.major() < 8 && f.starts_with("-fcf-protection")));
    dedupe(base.map(|f| f.to_string()).chain(cfg.c_flags_for(dialect(tc))))
}

/// Each flag once, at its last place: for the last-one-wins flags (`-fno-pic … -fpic`) the meaning stays.
/// A flag that takes the next word (`-mllvm X`, `-Xclang X`) is kept with it, each pair as a unit.
pub fn dedupe(flags: impl IntoIterator<Item = String>) -> Vec<String> {
    const PAIRED: &[&str] = &["-mllvm", "-Xclang", "-Xassembler", "-Xlinker", "-include", "-target"];
    let mut units: Vec<Vec<String>> = Vec::new();
    let mut it = flags.into_iter();
    while let Some(f) = it.next() {
        let unit = if PAIRED.contains(&f.as_str()) { [f].into_iter().chain(it.next()).collect() } else { vec![f] };
        units.retain(|u| *u != unit);
        units.push(unit);
    }
    units.concat()
}

/// gcc or clang spelling, by family.
fn dialect(tc: &Toolchain) -> Dialect {
    match tc.family {
        crate::Family::Llvm => Dialect::Clang,
        _ => Dialect::Gcc,
    }
}
