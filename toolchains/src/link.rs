//! The purgatory link: `ld -r -e purgatory_start -z nodefaultlib [-T script]`, with bfd or lld; LTO objects
//! are linked through the compiler driver so the LTO plugin runs (zig's: through its own `zig ld.lld`).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::CompileConfig;
use crate::identity::{Family, Kind, Toolchain};
use crate::process::Child;
use crate::{Error, Unavailable};

/// Which linker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Linker {
    Bfd,
    Lld,
}

/// A purgatory-style link step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    pub linker: Linker,
    /// Linker script text, if any.
    pub script: Option<String>,
}

impl Link {
    /// `ld -r` with GNU ld and no script: what the kernel does.
    pub fn kernel() -> Link {
        Link { linker: Linker::Bfd, script: None }
    }
}

/// The newest `ld.lld-N` on PATH, or `ld.lld`.
pub fn lld() -> Option<std::path::PathBuf> {
    (13..=30)
        .rev()
        .find_map(|n| crate::discover::which(&format!("ld.lld-{n}")))
        .or_else(|| crate::discover::which("ld.lld"))
}

/// Whether `-r -flto` through this driver writes LTO bytecode unless asked for machine code: gcc 9 and
/// later do (an object whose functions are empty placeholders, nothing a loader can run); gcc 7 and 8
/// always write machine code and refuse the option; clang's -r writes machine code.
fn native_output_needs_asking(tc: &Toolchain) -> bool {
    tc.family == Family::Gcc && tc.version.major() >= 9
}

/// The link command for one object.
pub fn command(
    l: &Link,
    tc: &Toolchain,
    cfg: &CompileConfig,
    obj: &Path,
    out: &Path,
    dir: &Path,
    timeout: Duration,
) -> Result<Child, Error> {
    let mut flags: Vec<String> =
        vec!["-r".into(), "-e".into(), "purgatory_start".into(), "-z".into(), "nodefaultlib".into()];
    if let Some(s) = &l.script {
        std::fs::write(dir.join("purgatory.lds"), s)?;
        flags.push("-T".into());
        flags.push("purgatory.lds".into());
    }
    // rustc's LTO objects are native code already: only C drivers link through their LTO plugin.
    let lto = cfg.lto_flag().filter(|_| !matches!(tc.kind, Kind::Rustc));
    if lto.is_some() && matches!(tc.kind, Kind::Zig { .. }) {
        return Ok(crate::driver::zig::ld_lld(tc, timeout).args(flags).arg(obj).arg("-o").arg(out));
    }
    if let Some(lto) = lto {
        // Through the driver: -nostdlib -r, each ld flag passed with -Wl.
        let mut child = Child::new(&tc.exe, timeout);
        if l.linker == Linker::Lld {
            child = child.arg("-fuse-ld=lld");
        }
        let wl: Vec<String> = flags.iter().skip(1).map(|f| format!("-Wl,{f}")).collect();
        child = child.args([lto, "-nostdlib", "-r"]);
        if native_output_needs_asking(tc) {
            child = child.arg("-flinker-output=nolto-rel");
        }
        return Ok(child.args(wl).arg(obj).arg("-o").arg(out));
    }
    let exe = match l.linker {
        // Resolved to an absolute path: a bare name makes std fall back to fork() of the caller, which inside
        // an ASan fuzzer copies hundreds of MB of shadow page tables per link.
        Linker::Bfd => crate::discover::which("ld").unwrap_or_else(|| std::path::PathBuf::from("ld")),
        Linker::Lld => lld().ok_or(Unavailable::NoLld)?,
    };
    Ok(Child::new(exe, timeout).args(flags).arg(obj).arg("-o").arg(out))
}
